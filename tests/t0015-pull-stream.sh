#!/bin/bash
# Issue 12: archives read once as streams -- standard input (`-`), a fifo,
# a gzip-compressed file -- in every shape engines write: skopeo's
# docker-archive, Docker's classic `docker save` (<id>/layer.tar), the OCI
# layout newer engines put in the same tar (layers uncompressed, or
# compressed as the containerd store keeps them), and skopeo's oci-archive.
# Layers come before manifest.json in each; each pull, offline, stores the
# registry pull's trees.  Then broken and endless streams: one line, exit
# 1, no ref at all (layers of a refused image stay unreferenced), fsck
# clean, and the next prune takes what the stream left.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"
. "$top/tests/helpers/sources-lib.sh"

if ! build_umoci || ! build_hostile dotdot symlinked-layer no-manifest not-a-tar ||
	! docker_save oci "$fx/d25.tar" || ! docker_save oci "$fx/d25-gz.tar" --compressed ||
	! docker_save classic "$fx/classic.tar" || ! docker_save oci "$fx/d25-bad.tar" --tamper 2 ||
	! docker_save classic "$fx/classic-bad.tar" --tamper 2; then
	not_ok "build the fixtures (mkimage-umoci.sh, hostile.py, mkdockersave.py)"
	done_testing
	exit 1
fi
registry_baseline multi || not_ok "the registry pull to compare with"
offline
NAME=docker.io/test/multi:latest
mapfile -t diffs < <(diff_ids "$fx/multi.tar")
cfg=$(sed -n 's/^config sha256://p' "$T/baseline.multi")

# layers_first ARCHIVE: every member holding a layer comes before
# manifest.json (what makes the stream import layers before it knows them).
layers_first() {
	"$PY" - "$1" <<'EOF'
import json, sys, tarfile
names = [m.name for m in tarfile.open(sys.argv[1])]
man = json.load(tarfile.open(sys.argv[1]).extractfile('manifest.json'))
sys.exit(0 if all(names.index(l) < names.index('manifest.json') for l in man[0]['Layers']) else 1)
EOF
}
for a in multi.tar classic.tar d25.tar d25-gz.tar; do
	check "fixture $a: the layers come before manifest.json" layers_first "$fx/$a"
done

# stream DESC SOURCE FEEDER...: a fresh repo; SOURCE pulled with the
# feeder's output as standard input (a pipe: nothing to seek in).
stream() {
	_d=$1 _src=$2
	shift 2
	use_checkout "$T/co-$((++nstream))"
	sc pull "$_src" < <("$@")
	assert_eq "$_d: exit 0" "$rc" 0
	[ "$rc" = 0 ] || note "$errout"
}
nstream=0
expected=
for d in "${diffs[@]}"; do expected="${expected}Pulling layer ${d#sha256:}
Stored layer ${d:7:12}: *
"; done

stream "docker-archive:- (skopeo's)" docker-archive:- cat "$fx/multi.tar"
assert_match "docker-archive:-: a line per layer as it is stored, then the summary" "$out" \
	"${expected}Pulled $NAME (IMAGE ID ${cfg:0:12}): 3 layers stored, 0 skipped, [0-9]*"
same_as_registry "docker-archive:-" multi "$NAME"
assert_eq "docker-archive:-: syscontainer.source" "$(meta_str "$(image_ref "$NAME")" syscontainer.source)" \
	"dockertar:-"
assert_fsck "$R" "after docker-archive:-"

stream "dockertar:- gzip-compressed" dockertar:- gzip -c "$fx/multi.tar"
same_as_registry "dockertar:- gzip-compressed" multi "$NAME"

gzip -c "$fx/multi.tar" > "$T/multi.tar.gz"
use_checkout "$T/co-gzfile"
sc pull "docker-archive:$T/multi.tar.gz"
assert_eq "docker-archive:FILE.tar.gz (read as a stream): exit 0" "$rc" 0
same_as_registry "docker-archive:FILE.tar.gz" multi "$NAME"

mkfifo "$T/fifo"
cat "$fx/multi.tar" > "$T/fifo" &
use_checkout "$T/co-fifo"
sc pull "docker-archive:$T/fifo"
assert_eq "docker-archive:FIFO: exit 0" "$rc" 0
same_as_registry "docker-archive:FIFO" multi "$NAME"

stream "Docker's classic docker save (<id>/layer.tar)" docker-archive:- cat "$fx/classic.tar"
same_as_registry "classic docker save" multi "$NAME"
assert_eq "classic docker save: diff-ID refs only (its layers are uncompressed)" \
	"$(refs | grep -v "^$(image_ref "$NAME")$")" "$(for d in "${diffs[@]}"; do echo "ociimage/${d#sha256:}"; done | sort)"

stream "newer engines' docker save (an OCI layout inside)" docker-archive:- cat "$fx/d25.tar"
same_as_registry "newer docker save" multi "$NAME"
stream "newer docker save, read by its index.json" oci-archive:- cat "$fx/d25.tar"
same_as_registry "newer docker save by index.json" multi "$NAME"
assert_eq "newer docker save by index.json: named by io.containerd.image.name" "$(image_refs)" \
	"$(image_ref "$NAME")"

stream "containerd-store docker save (gzip blobs)" docker-archive:- cat "$fx/d25-gz.tar"
same_as_registry "containerd-store docker save" multi "$NAME"
assert_eq "containerd-store docker save: the registry's refs, compressed-blob aliases included" \
	"$(refs | grep -v "^$(image_ref "$NAME")$")" "$(cat "$T/baseline.multi.refs")"

stream "oci-archive:- (skopeo's)" oci-archive:- cat "$fx/multi-oci.tar"
same_as_registry "oci-archive:-" multi docker.io/library/multi:latest
assert_eq "oci-archive:-: the registry's refs" \
	"$(refs | grep -v "^$(image_ref docker.io/library/multi:latest)$")" "$(cat "$T/baseline.multi.refs")"

# a second stream into the same repo stores nothing; a member whose name
# is the digest of a stored layer is not even imported
sc pull docker-archive:- < <(cat "$fx/d25-gz.tar")
assert_eq "again: every layer skipped (in the order they pass), nothing stored" \
	"$rc:$(echo "$out" | sort)" "0:$( (echo "Pulled $NAME (IMAGE ID ${cfg:0:12}): 0 layers stored, 3 skipped, 0 B"
	for d in "${diffs[@]}"; do echo "Skipping layer ${d#sha256:}: already present"; done) | sort)"

# docker save's symlinked layers, one through a chain of two
mapfile -t sd < <(info "$fx/symlinked-layer.info" 'd["images"][0]["diff_ids"]')
stream "symlinked layers" docker-archive:- cat "$fx/symlinked-layer.tar"
assert_match "symlinked layers: two stored, the repeated one skipped" "$out" \
	"*Pulled docker.io/test/symlinked-layer:latest (IMAGE ID *): 2 layers stored, 1 skipped, *"

# ---------------------------------------------------------------- refused
# bad_stream DESC MESSAGE SOURCE FEEDER...: one line, exit 1, no ref at
# all, fsck clean; the commits the stream left go at the next prune.
bad_stream() {
	_d=$1 _m=$2 _src=$3
	shift 3
	use_checkout "$T/co-bad-$((++nstream))"
	sc pull "$_src" < <("$@")
	assert_eq "$_d: exit 1" "$rc" 1
	assert_match "$_d: one line naming the cause" "$errout" "$_m"
	assert_eq "$_d: no ref at all (nothing verified)" "$(refs)" ""
	[ -d "$R" ] && assert_fsck "$R" "$_d"
	if [ "$(count_objects commit)" != 0 ]; then
		sc images prune
		assert_eq "$_d: the next prune takes the layers the stream left" \
			"$rc:$(count_objects commit):$(count_objects file)" "0:0:0"
	fi
}
P="syscontainer: pull docker-archive:-: standard input"
half=$(($(stat -c %s "$fx/multi.tar") / 2))
bad_stream "a stream cut short" "$P: truncated tar: entry '*.tar' ends * bytes early" \
	docker-archive:- head -c "$half" "$fx/multi.tar"
bad_stream "a gzip stream cut short" "$P: truncated gzip stream" \
	docker-archive:- sh -c "gzip -c '$fx/multi.tar' | head -c $((half / 2))"

tampered=$(tar -xOf "$fx/d25-bad.tar" "blobs/sha256/${diffs[1]#sha256:}" | sha256 -)
bad_stream "newer docker save, a layer tampered with" \
	"$P: layer ${diffs[1]:7:12}: blob digest mismatch: expected ${diffs[1]}, got sha256:$tampered" \
	docker-archive:- cat "$fx/d25-bad.tar"
member=$(tar -xOf "$fx/classic-bad.tar" manifest.json | json_get 'd[0]["Layers"][1]')
tampered=$(tar -xOf "$fx/classic-bad.tar" "$member" | sha256 -)
bad_stream "classic docker save, a layer tampered with" \
	"$P: layer ${diffs[1]:7:12}: diff ID mismatch: the config says ${diffs[1]}, the layer is sha256:$tampered" \
	docker-archive:- cat "$fx/classic-bad.tar"
bad_stream "newer docker save as an oci-archive, a layer tampered with" \
	"syscontainer: pull oci-archive:-: standard input: layer ${diffs[1]:7:12}: blob digest mismatch: expected ${diffs[1]}, got sha256:*" \
	oci-archive:- cat "$fx/d25-bad.tar"

layer=$(info "$fx/dotdot.info" 'd["images"][0]["layers"][1]["file_digest"]')
bad_stream "a layer climbing out of its root, refused as it passes" \
	"$P: layer '${layer#sha256:}.tar': entry '../x': path escapes the layer root" \
	docker-archive:- cat "$fx/dotdot.tar"
bad_stream "no manifest.json" "$P: no manifest.json: not a docker save archive" \
	docker-archive:- cat "$fx/no-manifest.tar"
bad_stream "not a tar" "$P: tar stream: header checksum mismatch at offset 0" \
	docker-archive:- cat "$fx/not-a-tar.tar"
bad_stream "oci-archive:- of a docker save" \
	"syscontainer: pull oci-archive:-: standard input: not an OCI image layout: no oci-layout file (a docker save archive: pull it as docker-archive:)" \
	oci-archive:- cat "$fx/multi.tar"

# streams that never end
use_checkout "$T/co-endless"
start=$(date +%s)
sc pull --timeout 2 docker-archive:- < <(cat /dev/zero)
assert_eq "an endless stream of zeros: --timeout ends it" "$rc:$errout" \
	"1:$P: not finished after 2 s (--timeout)"
check "an endless stream of zeros: within a few seconds" test $(($(date +%s) - start)) -lt 10
sc pull --timeout 2 docker-archive:- < <(head -c "$half" "$fx/multi.tar"; sleep 4)
assert_eq "a stream that stalls mid-layer: --timeout ends it" "$rc:$errout" \
	"1:$P: not finished after 2 s (--timeout)"
unchanged "a stalled stream"
expect_fail "--timeout 0" 2 "syscontainer: pull: --timeout takes whole seconds from 1 to 86400, not '0'" \
	pull --timeout 0 docker-archive:-

done_testing
