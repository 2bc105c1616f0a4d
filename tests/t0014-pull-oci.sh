#!/bin/bash
# Issue 12: oci:DIR[:REF] and oci-archive:FILE[:REF], offline, from what
# real producers write (umoci's layout, skopeo's oci-archive), each stored
# exactly as the registry pull of the same image: same layer refs (diff IDs
# and compressed-blob aliases), same trees, same manifest digest and config.
# An index chosen by platform; then every bad layout refused in one line,
# with no image ref and a clean fsck.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"
. "$top/tests/helpers/sources-lib.sh"

if ! build_umoci || ! "$PY" "$top/tests/fixtures/hostile.py" --oci "$fx" swapped-layer > /dev/null ||
	! "$PY" "$top/tests/fixtures/hostile.py" --oci "$fx" wrong-diffid > /dev/null; then
	not_ok "build the fixtures (mkimage-umoci.sh, hostile.py)"
	done_testing
	exit 1
fi
registry_baseline multi shared || not_ok "the registry pulls to compare with"
offline
L=$fx/oci

# ---------------------------------------------------------------- oci:DIR:REF
use_checkout "$T/co-oci"
mapfile -t diffs < <(diff_ids "$fx/multi.tar")
sc pull "oci:$L:multi"
assert_eq "oci:DIR:multi: exit 0" "$rc" 0
assert_eq "oci:DIR:multi: nothing on stderr" "$errout" ""
cfg=$(sed -n 's/^config sha256://p' "$T/baseline.multi")
assert_match "oci:DIR:multi: a line per layer, then the summary" "$out" \
	"Pulling layer ${diffs[0]#sha256:}
Stored layer ${diffs[0]:7:12}: *
Pulling layer ${diffs[1]#sha256:}
Stored layer ${diffs[1]:7:12}: *
Pulling layer ${diffs[2]#sha256:}
Stored layer ${diffs[2]:7:12}: *
Pulled docker.io/library/multi:latest (IMAGE ID ${cfg:0:12}): 3 layers stored, 0 skipped, *"
img=$(image_ref docker.io/library/multi:latest)
same_as_registry "oci:DIR:multi" multi docker.io/library/multi:latest
assert_eq "oci:DIR:multi: the registry's layer refs, compressed-blob aliases included" \
	"$(refs | grep -vx "$img")" "$(cat "$T/baseline.multi.refs")"
mdigest=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "multi"][0])' "$L/index.json")
assert_eq "oci:DIR:multi: docker.digest is the layout's manifest digest" \
	"$(meta_str "$img" docker.digest)" "$mdigest"
meta_str "$img" docker.manifest > "$T/manifest.got"
check "oci:DIR:multi: docker.manifest is the layout's manifest, byte for byte" \
	cmp -s "$T/manifest.got" "$L/blobs/sha256/${mdigest#sha256:}"
assert_eq "oci:DIR:multi: syscontainer.source" "$(meta_str "$img" syscontainer.source)" "oci:$L:multi"
sc images list
assert_match "images list: the name the layout gives it (its ref name)" "$out" "*multi * latest * ${cfg:0:12} *"
assert_fsck "$R" "after oci:DIR:multi"

sc pull "oci:$L:shared"
assert_eq "oci:DIR:shared: exit 0" "$rc" 0
assert_match "oci:DIR:shared: the layer it shares with multi is skipped" "$out" \
	"Skipping layer ${diffs[0]#sha256:}: already present
Pulling layer *
Pulled docker.io/library/shared:latest (IMAGE ID *): 1 layer stored, 1 skipped, *"
same_as_registry "oci:DIR:shared" shared docker.io/library/shared:latest

expect_fail "oci:DIR with two refs and none asked" 1 \
	"syscontainer: pull oci:$L: '$L': index.json lists 2 images (multi, shared): choose one with :REF" \
	pull "oci:$L"
expect_fail "oci:DIR:REF that the layout lacks" 1 \
	"syscontainer: pull oci:$L:nosuch: '$L': no image 'nosuch' in index.json; it holds: multi, shared" \
	pull "oci:$L:nosuch"

# ---------------------------------------------------------------- oci-archive:FILE
use_checkout "$T/co-ociarchive"
A=$fx/multi-oci.tar
sc pull "oci-archive:$A"
assert_eq "oci-archive:FILE: exit 0" "$rc" 0
same_as_registry "oci-archive:FILE" multi docker.io/library/multi:latest
assert_eq "oci-archive:FILE: the registry's layer refs" \
	"$(refs | grep -vx "$img")" "$(cat "$T/baseline.multi.refs")"
assert_eq "oci-archive:FILE: the same manifest digest as oci:DIR" "$(meta_str "$img" docker.digest)" "$mdigest"
sc pull "oci-archive:$A:multi"
assert_eq "oci-archive:FILE:REF: exit 0, nothing new" "$rc:$(echo "$out" | tail -1)" \
	"0:Pulled docker.io/library/multi:latest (IMAGE ID ${cfg:0:12}): 0 layers stored, 3 skipped, 0 B"
assert_fsck "$R" "after oci-archive:FILE"

# ---------------------------------------------------------------- an index of platforms
# multi for linux/amd64 and shared for linux/arm64 behind one index blob
# whose index.json entry is ref "both" (what skopeo copy --all writes)
P=$T/platforms
cp -a "$L" "$P"
"$PY" - "$P" <<'EOF'
import hashlib, json, os, sys
lay = sys.argv[1]
idx = json.load(open(lay + '/index.json'))
by = {m['annotations']['org.opencontainers.image.ref.name']: m for m in idx['manifests']}
sub = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json', 'manifests': [
    dict(by['multi'], annotations={}, platform={'os': 'linux', 'architecture': 'amd64'}),
    dict(by['shared'], annotations={}, platform={'os': 'linux', 'architecture': 'arm64'})]}
b = json.dumps(sub).encode()
h = hashlib.sha256(b).hexdigest()
open(lay + '/blobs/sha256/' + h, 'wb').write(b)
idx['manifests'].append({'mediaType': sub['mediaType'], 'digest': 'sha256:' + h, 'size': len(b),
                         'annotations': {'org.opencontainers.image.ref.name': 'both'}})
json.dump(idx, open(lay + '/index.json', 'w'))
EOF
use_checkout "$T/co-platform"
scfg=$(sed -n 's/^config sha256://p' "$T/baseline.shared")
# The arm64 entry is shared's manifest, whose config says amd64: the entry
# is taken, then its config refused for not being what the index said.
expect_fail "index: --platform linux/arm64 takes its entry, whose config is checked" 1 \
	"syscontainer: pull oci:$P:both: the image is for linux/amd64, not linux/arm64 as --platform says" \
	pull --platform linux/arm64 "oci:$P:both"
sc pull --platform linux/amd64 "oci:$P:both"
assert_match "index: --platform linux/amd64 takes multi's" "$rc:$out" \
	"0:*Pulled docker.io/library/both:latest (IMAGE ID ${cfg:0:12}): *"
use_checkout "$T/co-platform-none"
expect_fail "index: a platform it lacks" 1 \
	"syscontainer: pull oci:$P:both: '$P': index sha256:$(ls -t "$P/blobs/sha256" | head -1): no image for linux/riscv64 in the index; it offers linux/amd64, linux/arm64" \
	pull --platform linux/riscv64 "oci:$P:both"
unchanged "index: a platform it lacks"

# ---------------------------------------------------------------- names
# a ref name that is no image name: said in a warning, named after the file
use_checkout "$T/co-names"
B=$T/named-dir
cp -a "$L" "$B"
sed -i 's/"org.opencontainers.image.ref.name":"multi"/"org.opencontainers.image.ref.name":"Multi_X"/' "$B/index.json"
sc pull "oci:$B:Multi_X"
assert_eq "an invalid ref name: exit 0" "$rc" 0
assert_eq "an invalid ref name: a warning says how the image is named" "$errout" \
	"syscontainer: warning: the archive names its image 'Multi_X', which is no image name: naming it docker.io/library/named-dir:latest after the file"
check "an invalid ref name: the image is named after the directory" \
	test -n "$(rev "$(image_ref docker.io/library/named-dir:latest)")"

# ---------------------------------------------------------------- refused
# bad_pull DESC MESSAGE IMAGE: one line, exit 1, no image ref, fsck clean
bad_pull() {
	use_checkout "$T/co-bad-$((++nbad))"
	expect_fail "$1" 1 "$2" pull "$3"
	unchanged "$1"
}
nbad=0
mkdir -p "$T/empty"
bad_pull "oci: of a directory that is no layout" \
	"syscontainer: pull oci:$T/empty: '$T/empty': not an OCI image layout: no oci-layout file" "oci:$T/empty"
bad_pull "oci: of a file" \
	"syscontainer: pull oci:$A: '$A' is not a directory: an OCI layout is one (an archive of one is oci-archive:FILE)" \
	"oci:$A"
bad_pull "oci-archive: of a docker save archive" \
	"syscontainer: pull oci-archive:$fx/multi.tar: '$fx/multi.tar': not an OCI image layout: no oci-layout file (a docker save archive: pull it as docker-archive:)" \
	"oci-archive:$fx/multi.tar"

# a layer blob missing: refused before any layer is read
M=$T/missing
cp -a "$L" "$M"
mblob=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][1]["digest"])' \
	"$L/blobs/sha256/${mdigest#sha256:}")
rm "$M/blobs/sha256/${mblob#sha256:}"
bad_pull "a manifest naming a missing blob" \
	"syscontainer: pull oci:$M:multi: '$M': layer 2: 'blobs/sha256/${mblob#sha256:}' is not in the layout" \
	"oci:$M:multi"
assert_eq "a manifest naming a missing blob: no layer was even read" "$(refs)" ""

# the config blob replaced: its digest no longer matches
C=$T/badconfig
cp -a "$L" "$C"
cblob=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' \
	"$L/blobs/sha256/${mdigest#sha256:}")
sed -i 's/GREETING=hello/GREETING=hullo/' "$C/blobs/sha256/${cblob#sha256:}"
bad_pull "a tampered config" \
	"syscontainer: pull oci:$C:multi: '$C': config $cblob: digest mismatch: the blob is sha256:$(sha256 "$C/blobs/sha256/${cblob#sha256:}")" \
	"oci:$C:multi"

# hand-written layouts that lie about a layer
for c in swapped-layer wrong-diffid; do
	mapfile -t hd < <(info "$fx/$c.info" 'd["images"][0]["diff_ids"]')
	decl=$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["file_digest"]')
	act=$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["actual_digest"]')
	if [ "$c" = swapped-layer ]; then
		msg="blob digest mismatch: expected $decl, got $act"
	else
		msg="diff ID mismatch: the config says ${hd[1]}, the layer is $(info "$fx/$c.info" 'd["images"][0]["layers"][1]["diff_id"]')"
	fi
	bad_pull "oci: $c" "syscontainer: pull oci:$fx/$c.oci: layer ${hd[1]:7:12}: $msg" "oci:$fx/$c.oci"
	assert_eq "oci: $c: only the verified first layer's ref remains" "$(refs)" "ociimage/${hd[0]#sha256:}"
done

# an oci-archive cut short
head -c $(($(stat -c %s "$A") / 2)) "$A" > "$T/cut.tar"
use_checkout "$T/co-cut"
sc pull "oci-archive:$T/cut.tar"
assert_eq "a truncated oci-archive: exit 1" "$rc" 1
assert_match "a truncated oci-archive: one line naming the member cut" "$errout" \
	"syscontainer: pull oci-archive:$T/cut.tar: '$T/cut.tar': not a readable tar archive: truncated tar: entry 'blobs/sha256/*' ends * bytes early"
unchanged "a truncated oci-archive"

done_testing
