#!/bin/bash
# bench/registry.sh SC WORKDIR CACHE: issue 15's table.  Images of real
# files served by Debian's docker-registry on 127.0.0.1:
#   mid     python3 dist-packages + perl + gconv, one gzip layer
#   multi4  the same three directories and /usr/lib/python3.11, four layers
#           (and each of its layers alone, as l1..l4, for "less than the sum")
#   big     /usr/share and /usr/lib/x86_64-linux-gnu, one layer (about 2 GB
#           and 75,000 files here; BENCH_BIG=0 leaves it out)
# pull from the registry against: tar -xf of the uncompressed layers into an
# empty directory (the file-creation floor), skopeo copy + umoci unpack,
# gunzip + ostree commit --tree=tar=; install against cp -al of the same tree
# and umoci unpack; the start time of --version and images list.
# BENCH_RUNS alternating runs (default 3), the median of each; ratios are
# syscontainer / peer, each beside the issue's goal; the pull's peak RSS
# (the big image's against its 32 MB limit).  Everything started here
# is stopped by PID.
set -eu
SC=$1 T=$2 cache=$3
RUNS=${BENCH_RUNS:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$T/reg
mkdir -p "$B"
reg=
stop_registry() { [ -z "$reg" ] || { kill "$reg"; wait "$reg"; } 2> /dev/null || true; reg=; }
trap stop_registry EXIT

# the fixtures: built once, kept in CACHE/real (the host's files may change:
# delete the directory to rebuild)
R=$cache/real
if [ ! -f "$R/done" ]; then
	echo "bench: building mid and multi4 from the host's files (cached in $R)..."
	rm -rf "$R"
	mkdir -p "$R"
	py=/usr/lib/python3/dist-packages perl=/usr/share/perl gconv=/usr/lib/x86_64-linux-gnu/gconv
	python3 "$top/tests/bench/mkimage.py" "$R" mid "$py,$perl,$gconv"
	python3 "$top/tests/bench/mkimage.py" "$R" multi4 "$py" "$perl" "$gconv" /usr/lib/python3.11
	for i in 1 2 3 4; do python3 "$top/tests/bench/mkimage.py" "$R" l$i \
		"$(echo "$py $perl $gconv /usr/lib/python3.11" | cut -d' ' -f$i)"; done
	touch "$R/done"
fi
IMAGES="mid multi4"
if [ "${BENCH_BIG:-1}" != 0 ]; then
	IMAGES="mid multi4 big"
	if [ ! -f "$R/big.done" ]; then
		echo "bench: building big from the host's files (cached in $R)..."
		python3 "$top/tests/bench/mkimage.py" "$R" big /usr/share,/usr/lib/x86_64-linux-gnu
		touch "$R/big.done"
	fi
fi
layers() { ls "$R/$1".[0-9]*.tar | sort -t. -k2n; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$port
cat > "$B/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $B/data}}
http: {addr: $REG, secret: not-a-secret}
EOF
docker-registry serve "$B/config.yml" > "$B/log" 2>&1 &
reg=$!
for i in $(seq 100); do (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break; sleep 0.1; done
for img in $IMAGES l1 l2 l3 l4; do
	skopeo copy --quiet --dest-tls-verify=false "oci:$R/$img.oci:t" "docker://$REG/bench/$img:t"
done

# t FILE CMD...: append CMD's wall time (seconds) to FILE, the CPU time it
# took (user + system, all threads and children) to FILE.cpu and its peak
# RSS (KB, the largest process) to FILE.rss
t() {
	f=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$B/time" "$@" > /dev/null 2> "$B/err" || {
		echo "bench: $* failed:" >&2; tail -5 "$B/err" >&2; exit 1; }
	read -r _wall _user _sys _rss < "$B/time"
	echo "$_wall" >> "$B/$f"
	echo "$_user + $_sys" | bc -l >> "$B/$f.cpu"
	echo "$_rss" >> "$B/$f.rss"
}
# Trees are moved aside, never deleted, until the end: this ext4 (no
# journal) does not reuse an inode for a minute after its deletion and
# scans past each such inode when it allocates one, so a run right after
# an rm -rf of thousands of files measures that scan, not the work.
trash() { for d in "$@"; do [ ! -e "$d" ] || mv "$d" "$B/trash/$(date +%s%N)"; done; }
mkdir -p "$B/trash"
fresh() { trash "$@"; mkdir -p "$@"; sync; }
# a --root target where install works offline (a runtime that does nothing)
newroot() {
	trash "$B/root"
	mkdir -p "$B/root/usr/bin" "$B/root/var/lib/containers/atomic"
	printf '#!/bin/sh\nexit 0\n' > "$B/root/usr/bin/runc"
	chmod +x "$B/root/usr/bin/runc"
	sync
}
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
scr() { "$SC" --quiet --root "$B/root" "$@"; }

sc_pull() { newroot; t "$1.sc_pull" "$SC" --quiet --root "$B/root" pull --tls-verify=false "$REG/bench/$1:t"; }
sc_install() { t "$1.sc_install" "$SC" --quiet --root "$B/root" install --name "i$1" "$REG/bench/$1:t"; }
tar_x() {
	fresh "$B/x"
	t "$1.tar" sh -c 'for l in $(ls '"$R/$1"'.[0-9]*.tar | sort -t. -k2n); do tar -xf "$l" -C '"$B/x"' || exit 1; done'
}
cp_al() { trash "$B/xl"; sync; t "$1.cp_al" cp -al "$B/x" "$B/xl"; }
skopeo_umoci() {
	fresh "$B/u"
	t "$1.skopeo_umoci" sh -c "skopeo copy --quiet --src-tls-verify=false docker://$REG/bench/$1:t oci:$B/u/l:t &&
		umoci unpack --image $B/u/l:t $B/u/b"
	trash "$B/u/b"
	sync
	t "$1.umoci" umoci unpack --image "$B/u/l:t" "$B/u/b"
}
gunzip_ostree() {
	fresh "$B/o"
	ostree init --repo="$B/o/repo" --mode=bare
	t "$1.ostree" sh -c 'for l in $(ls '"$R/$1"'.[0-9]*.tar.gz | sort -t. -k2n); do
		gunzip -c "$l" > '"$B/o/l.tar"' && ostree commit --repo='"$B/o/repo"' -b b \
			--tar-autocreate-parents --tree=tar='"$B/o/l.tar"' || exit 1; done'
}
layers_alone() {   # the four layers of multi4 pulled alone, one after another
	s=0
	for i in 1 2 3 4; do
		newroot
		/usr/bin/time -f %e -o "$B/time" "$SC" --quiet --root "$B/root" pull --tls-verify=false \
			"$REG/bench/l$i:t" > /dev/null
		s=$(echo "$s + $(cat "$B/time")" | bc -l)
	done
	echo "$s" >> "$B/multi4.sum"
}
start_ms() {   # start_ms NAME CMD...: milliseconds per run, over 50 runs
	f=$1 n=50
	shift
	s=$(date +%s%N)
	for i in $(seq $n); do "$@" > /dev/null; done
	echo "scale=2; ($(date +%s%N) - $s) / 1000000 / $n" | bc -l >> "$B/$f"
}

# one run of an image's pull, install and peers, in alternating order
image_run() {
	if [ $(($1 % 2)) = 1 ]; then
		sc_pull $2; sc_install $2; tar_x $2; cp_al $2; skopeo_umoci $2; gunzip_ostree $2
	else
		gunzip_ostree $2; skopeo_umoci $2; tar_x $2; cp_al $2; sc_pull $2; sc_install $2
	fi
}
for run in $(seq "$RUNS"); do
	echo "bench: run $run of $RUNS..."
	for img in mid multi4; do image_run $run $img; done
	layers_alone
	newroot
	scr pull --tls-verify=false "$REG/bench/mid:t" > /dev/null
	start_ms start.true /bin/true      # what starting any program costs here
	start_ms start.version "$SC" --version
	start_ms start.list "$SC" --quiet --root "$B/root" images list
done
# The big image last: its trees, 2 GB each, would fill the disk kept in
# the trash, so they are removed after each run, and the inode scan that
# follows (see trash) weighs little against 2 GB but would slow the small
# images' next runs.
for run in $(seq "$RUNS"); do
	case $IMAGES in *big*) ;; *) break ;; esac
	echo "bench: big, run $run of $RUNS..."
	image_run $run big
	rm -rf "$B/trash" "$B/root"
	mkdir -p "$B/trash"
	sync
done
stop_registry
rm -rf "$B/x" "$B/xl" "$B/u" "$B/o" "$B/root" "$B/trash"

med() { sort -n "$B/$1" | sed -n "$(( (RUNS + 1) / 2 ))p"; }
# line WORK SC PEER GOAL-TEXT TEST: TEST is a bc condition on r (the ratio)
line() {
	r=$(echo "$2 / $3" | bc -l)
	if [ "$(echo "$5" | sed "s/r/$r/g" | bc -l)" = 1 ]; then v=met; else v="NOT met"; fi
	printf '  %-34s %6.2fs / %6.2fs = %5.2fx   goal %-9s %s\n' "$1" "$2" "$3" "$r" "$4" "$v"
}
for img in $IMAGES; do
	p=$(med $img.sc_pull) i=$(med $img.sc_install)
	echo "$img ($(layers $img | wc -l) layer(s), $(du -cb $(layers $img) | tail -1 | cut -f1 | awk '{printf "%d MB", $1/1e6}')), median of $RUNS; syscontainer / peer:"
	line "pull vs tar -xf" "$p" "$(med $img.tar)" "<= 1.0x" "r <= 1.0"
	# the floor a pull cannot pass on this machine: the CPU it needs (the
	# blob hashed, inflated, its bytes hashed again for the diff ID and the
	# objects, the files written) on every core there is, against tar's
	printf '  %-34s %6.2fs / %6.2fs of CPU; / %d cores = %.2fs\n' "  CPU: pull, tar -xf" \
		"$(med $img.sc_pull.cpu)" "$(med $img.tar.cpu)" "$(nproc)" \
		"$(echo "$(med $img.sc_pull.cpu) / $(nproc)" | bc -l)"
	line "pull vs skopeo copy + umoci unpack" "$p" "$(med $img.skopeo_umoci)" "<= 0.5x" "r <= 0.5"
	line "pull vs gunzip + ostree commit" "$p" "$(med $img.ostree)" "<= 0.67x" "r <= 1 / 1.5"
	[ $img = multi4 ] && line "pull vs its 4 layers pulled alone" "$p" "$(med multi4.sum)" "< 1.0x" "r < 1.0"
	line "install vs cp -al" "$i" "$(med $img.cp_al)" "<= 1.2x" "r <= 1.2"
	line "install vs umoci unpack" "$i" "$(med $img.umoci)" "<= 0.2x" "r <= 0.2"
	rss=$(med $img.sc_pull.rss)
	if [ $img != big ]; then
		printf '  %-34s %6.1f MB\n' "pull peak RSS" "$(echo "$rss / 1024" | bc -l)"
	else
		if [ "$rss" -le $((32 * 1024)) ]; then v=met; else v="NOT met"; fi
		printf '  %-34s %6.1f MB                   goal %-9s %s\n' "pull peak RSS" \
			"$(echo "$rss / 1024" | bc -l)" "<= 32 MB" "$v"
	fi
done
floor=$(med start.true)
for s in version list; do
	ms=$(med start.$s)
	if [ "$(echo "$ms < 5" | bc -l)" = 1 ]; then v=met; else v="NOT met"; fi
	if [ $s = version ]; then label="start: --version"; else label="start: images list"; fi
	printf '  %-34s %6.2f ms (/bin/true %.2f ms)   goal %-9s %s\n' "$label" "$ms" "$floor" "< 5 ms" "$v"
done
