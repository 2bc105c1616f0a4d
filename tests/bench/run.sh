#!/bin/sh
# make bench: speed and memory against peers measured in the same run.
#   pull:    syscontainer pull dockertar:  (stream: hash, inflate, hash, tar,
#            OSTree) against `ostree commit --tree=tar=` of the same layer;
#            the 2 GiB / 75,000-file layer's peak RSS against its limit
#   install: syscontainer install from a repository on another file system
#            (10,000 and 40,000 files: the cost per file must not grow), and
#            of 1,000,000 empty files on ext4 (past its hardlink limit),
#            against `ostree checkout` of the same layer
#   streams: the big image as docker save writes it (layer uncompressed),
#            read as a stream from a pipe (docker-archive:-) and from
#            podman's Docker API (docker:), which syscontainer keeps no copy
#            of (podman writes one of its own before it sends it): peak RSS
#            against the archive's size
#   registry (tests/bench/registry.sh, issue 15): real files from a local
#            registry against tar -xf, skopeo + umoci, gunzip + ostree
#            commit, cp -al; start times.  BENCH_ONLY=registry runs only it.
# Figures are wall time and peak RSS; ratios are syscontainer / peer.
# BENCH_MB sets the size of the big file (default 1024).  Generated images
# are kept in .build/bench (rebuilt when hostile.py changes).  The file
# systems are mounted in a mount namespace of the bench's own.
set -eu
[ -n "${SC_BENCH_NS:-}" ] || SC_BENCH_NS=1 exec unshare -m --propagation private sh "$0" "$@"
SC=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
# skopeo as the tests run it: as root it keeps a blob-info cache in
# /var/lib/containers/cache, which must stay the host's own.
export PATH="$top/tests/helpers/bin:$PATH"
MB=${BENCH_MB:-1024}
RSS_LIMIT_KB=$((32 * 1024))
T=$(mktemp -d /var/tmp/scbench.XXXXXX)
svc=
cleanup() {
	[ -z "$svc" ] || { kill "$svc"; wait "$svc"; } 2> /dev/null
	for m in $(grep " $T" /proc/self/mounts | cut -d' ' -f2 | sort -r); do umount "$m"; done
	rm -rf "$T"
}
trap cleanup EXIT
sh "$top/tests/deps.sh" >/dev/null

# fixture CASE [HOSTILE-OPTION...]: .build/bench/CASE-OPTIONS.tar, made once.
cache=$top/.build/bench
stamp=$(sha256sum "$top/tests/fixtures/hostile.py" | cut -c1-16)
[ "$(cat "$cache/stamp" 2> /dev/null)" = "$stamp" ] || { rm -rf "$cache"; mkdir -p "$cache"; echo "$stamp" > "$cache/stamp"; }
fixture() {
	c=$1
	shift
	f=$cache/$c$(echo "$*" | tr -d ' -').tar
	if [ ! -f "$f" ]; then
		python3 "$top/tests/fixtures/hostile.py" "$@" "$T/fx" "$c" > /dev/null
		mv "$T/fx/$c.tar" "$f"
	fi
	echo "$f"
}

# issue 15's table first: pulls from a registry and installs of real files
echo "registry pull and install of real files against tar, skopeo + umoci, ostree, cp -al:"
bash "$top/tests/bench/registry.sh" "$SC" "$T" "$cache"
[ "${BENCH_ONLY:-}" != registry ] || exit 0

echo "bench: building the images (cached in .build/bench)..."
BIG=$(fixture big-file --big-mb "$MB")
RAW=$(fixture big-raw --big-mb "$MB")
MANY=$(fixture many-entries)
TREE=$(fixture big-tree --big-mb 2048 --files 75000)
TREE10=$(fixture big-tree --big-mb 40 --files 10000)
TREE40=$(fixture big-tree --big-mb 160 --files 40000)
EMPTY=$(fixture empty-files --files 1000000)

measure() {   # measure LABEL CMD...: sets $secs and $kib (wall time, peak RSS)
	label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/time" "$@" > /dev/null 2> "$T/err" || {
		echo "bench: $label failed:" >&2; cat "$T/err" >&2; exit 1; }
	read -r secs kib < "$T/time"
}
layer_tar() {   # the uncompressed layer of a one-layer archive
	python3 - "$1" "$2" <<'PY'
import gzip, json, shutil, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))
src = t.extractfile(m[0]["Layers"][0]); head = src.read(2)
out = open(sys.argv[2], "wb")
if head == b"\x1f\x8b":
    rest = src.read()
    out.write(gzip.decompress(head + rest))
else:
    out.write(head)
    shutil.copyfileobj(src, out, 1 << 20)
PY
}
ratio() { echo "$1 / $2" | bc -l; }

row() {   # row NAME ARCHIVE: pull against ostree commit
	layer_tar "$2" "$T/layer.tar"
	rm -rf "$T/ck" "$T/repo"
	sync
	ATOMIC_OSTREE_CHECKOUT_PATH=$T/ck measure sc "$SC" --quiet pull "dockertar:$2"
	sct=$secs scm=$kib
	ostree init --repo="$T/repo" --mode=bare
	measure ostree ostree commit --repo="$T/repo" -b bench --tar-autocreate-parents --tree=tar="$T/layer.tar"
	rm -f "$T/layer.tar"
	printf '%-22s syscontainer %7.2fs %7d KiB | ostree commit %7.2fs %7d KiB | time ratio %.2f, RSS ratio %.3f\n' \
		"$1" "$sct" "$scm" "$secs" "$kib" "$(ratio "$sct" "$secs")" "$(ratio "$scm" "$kib")"
}

echo "pull (dockertar:) against ostree commit --tree=tar= of the same layer:"
row "${MB} MiB file" "$BIG"
row "20k files" "$MANY"
row "2 GiB, 75k files" "$TREE"
if [ "$scm" -le "$RSS_LIMIT_KB" ]; then verdict=within; else verdict=OVER; fi
printf '%-22s peak RSS %d KiB: %s the %d KiB limit\n' "" "$scm" "$verdict" "$RSS_LIMIT_KB"

echo "streams: the ${MB} MiB image as docker save writes it, read once, front to back:"
stream_row() {   # stream_row NAME ARCHIVE_BYTES CMD...: time, peak RSS, RSS / archive
	name=$1 bytes=$2
	shift 2
	rm -rf "$T/ck"
	sync
	ATOMIC_OSTREE_CHECKOUT_PATH=$T/ck measure "$name" "$@"
	printf '%-22s syscontainer %7.2fs %7d KiB | archive %d MiB | RSS / archive %.4f\n' \
		"$name" "$secs" "$kib" $((bytes >> 20)) "$(ratio "$kib * 1024" "$bytes")"
}
BYTES=$(stat -c %s "$RAW")
stream_row "${MB} MiB pipe" "$BYTES" sh -c "cat '$RAW' | '$SC' --quiet pull docker-archive:-"
E=$T/engine
mkdir -p "$E/tmp"
# podman on storage and state of its own under $E, never the host's
PM="podman --root $E/storage --runroot $E/run --tmpdir $E/libpod --storage-driver=vfs
	--events-backend=file --cgroup-manager=cgroupfs"
TMPDIR=$E/tmp sh "$top/tests/helpers/contained.sh" "$E/ov" $PM load -i "$RAW" > /dev/null 2>&1
(TMPDIR=$E/tmp exec sh "$top/tests/helpers/contained.sh" "$E/ov" $PM system service --time=0 \
	"unix://$E/docker.sock" > "$E/log" 2>&1) &
svc=$!
for i in $(seq 100); do [ -S "$E/docker.sock" ] && break; sleep 0.1; done
DOCKER_HOST=unix://$E/docker.sock stream_row "${MB} MiB docker:" "$BYTES" \
	"$SC" --quiet pull docker:localhost/test/big-raw   # podman names short names localhost/
kill "$svc"
wait "$svc" 2> /dev/null || true
svc=

# A target root for installs under --root (a runtime that does nothing).
newroot() {
	rm -rf "$T/root"
	mkdir -p "$T/root/usr/bin" "$T/root/var/lib/containers/atomic"
	printf '#!/bin/sh\nexit 0\n' > "$T/root/usr/bin/runc"
	chmod +x "$T/root/usr/bin/runc"
}
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic

# install_pair OPTIONS NAME ARCHIVE: pull, then time the install and
# `ostree checkout` of the layer to the same file system; sets $sct, $scm
# (install) and $ot (checkout).
install_pair() {
	"$SC" --quiet --root "$T/root" $1 pull "dockertar:$3" > /dev/null
	measure install "$SC" --quiet --root "$T/root" $1 install "test/$2"
	sct=$secs scm=$kib
	repo=$T/root$(echo "$1" | sed -n 's/^--repo //p')
	[ "$repo" = "$T/root" ] && repo=$T/root/var/lib/containers/atomic/.storage/ostree
	layer=$(ostree refs --repo="$repo" | grep '^ociimage/[0-9a-f]\{64\}$')
	measure checkout ostree checkout --repo="$repo" "$layer" "$T/root/var/lib/containers/atomic/peer"
	ot=$secs
}

echo "install from a repository on another file system (a tmpfs) against ostree checkout:"
for n in 10 40; do
	newroot
	mkdir -p "$T/root/srv"
	mount -t tmpfs -o size=1g tmpfs "$T/root/srv"
	eval "f=\$TREE$n"
	install_pair "--repo /srv/repo" big-tree "$f"
	printf '%-22s syscontainer %7.2fs %7d KiB | ostree checkout %7.2fs | time ratio %.2f, %.0f us a file\n' \
		"${n}k files" "$sct" "$scm" "$ot" "$(ratio "$sct" "$ot")" "$(ratio "$sct * 1000" "$n")"
	eval "t$n=\$sct"
	umount "$T/root/srv"
done
printf '%-22s 40k / 10k install time: %.2f (linear: 4)\n' "" "$(ratio "$t40" "$t10")"

echo "install of 1,000,000 empty files on ext4 (65,000 links an inode) against ostree checkout:"
newroot
mkdir -p "$T/disks"
mount -t tmpfs -o size=4g tmpfs "$T/disks"
truncate -s 8G "$T/disks/ext4.img"
mkfs.ext4 -q -F -N 2200000 "$T/disks/ext4.img"
dev=$(losetup -f --show "$T/disks/ext4.img")
mount "$dev" "$T/root/var/lib/containers/atomic"
losetup -d "$dev"   # detached when unmounted
measure pull "$SC" --quiet --root "$T/root" pull "dockertar:$EMPTY"
pt=$secs pm=$kib
install_pair "" empty-files "$EMPTY"
printf '%-22s pull %.2fs %d KiB; install %7.2fs %7d KiB | ostree checkout %7.2fs | time ratio %.2f\n' \
	"1M empty files" "$pt" "$pm" "$sct" "$scm" "$ot" "$(ratio "$sct" "$ot")"
