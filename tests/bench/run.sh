#!/bin/sh
# make bench: import speed and memory against peers measured in the same run.
#   syscontainer pull dockertar:   (stream: hash, inflate, hash, tar, OSTree)
#   ostree commit --tree=tar=      (the ostree CLI importing the same layer tar)
# Figures are wall time and peak RSS; ratios are syscontainer / peer.
# Then the big image as docker save writes it (layer uncompressed), read
# as a stream from a pipe (docker-archive:-) and from podman's Docker API
# (docker:), which syscontainer keeps no copy of (podman writes one of its
# own before it sends it): peak RSS against the archive's size.
# BENCH_MB sets the size of the big file (default 1024).
set -eu
SC=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
MB=${BENCH_MB:-1024}
T=$(mktemp -d /var/tmp/scbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
sh "$top/tests/deps.sh" >/dev/null

echo "bench: building a ${MB} MiB single-file layer and a 20,000-file layer..."
python3 "$top/tests/fixtures/hostile.py" --big-mb "$MB" "$T" big-file > /dev/null
python3 "$top/tests/fixtures/hostile.py" "$T" many-entries > /dev/null

measure() {   # measure LABEL CMD...: prints "seconds kib"
	label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/time" "$@" > /dev/null 2> "$T/err" || {
		echo "bench: $label failed:" >&2; cat "$T/err" >&2; exit 1; }
	cat "$T/time"
}
layer_tar() {   # the uncompressed layer of a one-layer archive
	python3 - "$1" "$2" <<'PY'
import gzip, json, shutil, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))
src = t.extractfile(m[0]["Layers"][0]); head = src.read(2)
rest = src.read()
data = head + rest
out = open(sys.argv[2], "wb")
out.write(gzip.decompress(data) if head == b"\x1f\x8b" else data)
PY
}

row() {   # row NAME ARCHIVE
	layer_tar "$2" "$T/layer.tar"
	rm -rf "$T/ck" "$T/repo"
	sync
	set -- "$1" $(ATOMIC_OSTREE_CHECKOUT_PATH=$T/ck measure sc "$SC" --quiet pull "dockertar:$2")
	name=$1 sct=$2 scm=$3
	ostree init --repo="$T/repo" --mode=bare
	set -- $(measure ostree ostree commit --repo="$T/repo" -b bench --tar-autocreate-parents --tree=tar="$T/layer.tar")
	ot=$1 om=$2
	printf '%-16s syscontainer %6.2fs %7d KiB | ostree commit %6.2fs %7d KiB | time ratio %.2f, RSS ratio %.3f\n' \
		"$name" "$sct" "$scm" "$ot" "$om" "$(echo "$sct / $ot" | bc -l)" "$(echo "$scm / $om" | bc -l)"
}
row "${MB} MiB file" "$T/big-file.tar"
row "20k files" "$T/many-entries.tar"

# ---- streams: the same image read once, front to back ----
stream_row() {   # stream_row NAME ARCHIVE_BYTES CMD...: time, peak RSS, RSS / archive
	name=$1 bytes=$2
	shift 2
	rm -rf "$T/ck"
	sync
	set -- $(ATOMIC_OSTREE_CHECKOUT_PATH=$T/ck measure "$name" "$@")
	printf '%-16s syscontainer %6.2fs %7d KiB | archive %d MiB | RSS / archive %.4f\n' \
		"$name" "$1" "$2" $((bytes >> 20)) "$(echo "$2 * 1024 / $bytes" | bc -l)"
}
python3 - "$T/big-file.tar" "$T/big-docker.tar" <<'PY'
# the archive as docker save writes it: the layer uncompressed
import gzip, io, json, shutil, sys, tarfile
src = tarfile.open(sys.argv[1]); man = json.load(src.extractfile("manifest.json"))
with tarfile.open(sys.argv[2], "w") as out:
    for m in src:
        f = src.extractfile(m) if m.isfile() else None
        if m.name == man[0]["Layers"][0]:
            tmp = open(sys.argv[2] + ".layer", "w+b")
            shutil.copyfileobj(gzip.GzipFile(fileobj=f), tmp, 1 << 20)
            m.size = tmp.tell(); tmp.seek(0); f = tmp
        out.addfile(m, f)
PY
rm -f "$T/big-docker.tar.layer"
BYTES=$(stat -c %s "$T/big-docker.tar")
stream_row "${MB} MiB pipe" "$BYTES" sh -c "cat '$T/big-docker.tar' | '$SC' --quiet pull docker-archive:-"

E=$T/engine
mkdir -p "$E/tmp"
# podman on storage and state of its own under $E, never the host's
PM="podman --root $E/storage --runroot $E/run --tmpdir $E/libpod --storage-driver=vfs
	--events-backend=file --cgroup-manager=cgroupfs"
TMPDIR=$E/tmp sh "$top/tests/helpers/contained.sh" "$E/ov" $PM load -i "$T/big-docker.tar" > /dev/null 2>&1
(TMPDIR=$E/tmp exec sh "$top/tests/helpers/contained.sh" "$E/ov" $PM system service --time=0 \
	"unix://$E/docker.sock" > "$E/log" 2>&1) &
svc=$!
trap 'kill $svc 2>/dev/null; wait $svc 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 100); do [ -S "$E/docker.sock" ] && break; sleep 0.1; done
DOCKER_HOST=unix://$E/docker.sock stream_row "${MB} MiB docker:" "$BYTES" \
	"$SC" --quiet pull docker:localhost/test/big-file   # podman names short names localhost/
