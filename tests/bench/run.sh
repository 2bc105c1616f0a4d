#!/bin/sh
# make bench: import speed and memory against peers measured in the same run.
#   syscontainer pull dockertar:   (stream: hash, inflate, hash, tar, OSTree)
#   ostree commit --tree=tar=      (the ostree CLI importing the same layer tar)
# Figures are wall time and peak RSS; ratios are syscontainer / peer.
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
	printf '%-14s syscontainer %6.2fs %7d KiB | ostree commit %6.2fs %7d KiB | time ratio %.2f, RSS ratio %.3f\n' \
		"$name" "$sct" "$scm" "$ot" "$om" "$(echo "$sct / $ot" | bc -l)" "$(echo "$scm / $om" | bc -l)"
}
row "${MB} MiB file" "$T/big-file.tar"
row "20k files" "$T/many-entries.tar"
