#!/bin/bash
# Issue 15, layers at the same time: a registry image's layers come over up
# to three connections at once (the proxy in front of the registry holds
# every blob GET a while and counts how many it holds), each into its own
# transaction; the output is the one a pull of one layer at a time prints
# (manifest order, a repeated layer skipped), the layer commits equal those
# of a pull from the OCI layout, and nothing is left staged.  A damaged
# layer among them fails the pull with that layer's one line -- the first
# damaged one in manifest order, whichever finishes first -- the layers
# before it stored, the store fsck-clean; so does a layer whose diff ID is
# not the config's, found once its bytes are in.  A kill while three layers are in
# flight leaves a store the next pull completes; a repository too small for
# the image is refused with the usual message.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! "$PY" "$top/tests/fixtures/hostile.py" --oci "$fx" layers > /dev/null ||
	! "$PY" "$top/tests/fixtures/hostile.py" --oci "$fx" wrong-diffid > /dev/null; then
	not_ok "build the fixtures (hostile.py)"
	done_testing
	exit 1
fi
P=$(free_port) PP=$(free_port)
REG=127.0.0.1:$P
PX=127.0.0.1:$PP
start_registry reg "$P" "$T/data" || { not_ok "start docker-registry"; done_testing; exit 1; }
start_badproxy "$T/px" "$PP" "$P" || { not_ok "start the proxy"; done_testing; exit 1; }
check "push the six-layer image" \
	"$PY" "$top/tests/helpers/ocipush.py" "$fx/layers.oci" latest "$REG" test/layers:t
check "push the image whose config names another diff ID for layer 2" \
	"$PY" "$top/tests/helpers/ocipush.py" "$fx/wrong-diffid.oci" latest "$REG" test/wrong-diffid:t
mode() { echo "$1" > "$T/px/mode"; : > "$T/px/inflight.log"; }
mapfile -t diffs < <(info "$fx/layers.info" 'd["images"][0]["diff_ids"]')
mapfile -t blobs < <(info "$fx/layers.info" '[l["file_digest"] for l in d["images"][0]["layers"]]')
REF=$PX/test/layers:t
max_held() { sort -n "$T/px/inflight.log" | tail -1; }
staging() { find "$R/tmp" -maxdepth 1 -name 'staging-*' 2> /dev/null | wc -l; }

expected=
for i in 0 1 2 3 5; do
	expected="${expected}Pulling layer ${diffs[$i]#sha256:}
Stored layer ${diffs[$i]:7:12}: *
"
	[ "$i" = 3 ] && expected="${expected}Skipping layer ${diffs[4]#sha256:}: already present
"
done
expected="${expected}Pulled $REF (IMAGE ID *): 5 layers stored, 1 skipped, *"

# ---------------------------------------------------------------- at once
use_checkout "$T/co"
mode "hold-blob 1"
sc pull --tls-verify=false "$REF"
assert_eq "pull, blobs held 1 s each: exit 0" "$rc" 0
assert_match "the output is in manifest order, the repeated layer skipped" "$out" "$expected"
assert_eq "three blob GETs were held at once, never more" "$(max_held)" 3
assert_eq "the repeated layer was fetched once (config + 5 blobs)" "$(wc -l < "$T/px/inflight.log")" 6
assert_fsck "$R" "layers at the same time"
assert_eq "no staging directory is left" "$(staging)" 0
for i in 0 1 2 3 5; do echo "${diffs[$i]} $(rev "ociimage/${diffs[$i]#sha256:}")"; done > "$T/reg.commits"
use_checkout "$T/co-oci"
sc pull "oci:$fx/layers.oci:latest"
assert_eq "the same image from the OCI layout, one layer at a time: exit 0" "$rc" 0
for i in 0 1 2 3 5; do echo "${diffs[$i]} $(rev "ociimage/${diffs[$i]#sha256:}")"; done > "$T/oci.commits"
assert_eq "every layer commit equals the one-at-a-time pull's" "$(cat "$T/reg.commits")" "$(cat "$T/oci.commits")"

# ---------------------------------------------------------------- failures
use_checkout "$T/co-flip"
mode "flip-one ${blobs[3]:7:12}"
sc pull --tls-verify=false "$REF"
assert_eq "layer 4 of 6 damaged: exit 1" "$rc" 1
assert_match "layer 4 of 6 damaged: that layer's gzip check fails" "$errout" \
	"syscontainer: pull $REF: layer ${diffs[3]:7:12}: corrupt gzip stream at byte *"
assert_eq "layer 4 of 6 damaged: one line" "$(echo "$errout" | wc -l)" 1
unchanged "layer 4 of 6 damaged"
assert_eq "layer 4 damaged: the layers before it are stored" \
	"$(for i in 0 1 2; do [ -n "$(rev "ociimage/${diffs[$i]#sha256:}")" ] && echo y; done | wc -l)" 3
assert_eq "layer 4 damaged: it has no ref" "$(rev "ociimage/${diffs[3]#sha256:}")" ""
assert_eq "layer 4 damaged: no staging directory is left" "$(staging)" 0

# layers 2 and 6 damaged, layer 2's answer a second late: layer 6 fails
# first, and the error said is still layer 2's
use_checkout "$T/co-flip2"
mode "flip-one ${blobs[1]:7:12},${blobs[5]:7:12}"
sc pull --tls-verify=false "$REF"
assert_eq "layers 2 and 6 damaged: exit 1" "$rc" 1
assert_match "layers 2 and 6 damaged: the first damaged layer's error" "$errout" \
	"syscontainer: pull $REF: layer ${diffs[1]:7:12}: corrupt gzip stream at byte *"
assert_eq "layers 2 and 6 damaged: one line" "$(echo "$errout" | wc -l)" 1
unchanged "layers 2 and 6 damaged"
assert_eq "layers 2 and 6 damaged: no staging directory is left" "$(staging)" 0

# a failure found once the layer's bytes are all in (its commit step)
use_checkout "$T/co-diffid"
mode pass
mapfile -t wd < <(info "$fx/wrong-diffid.info" 'd["images"][0]["diff_ids"]')
actual=$(info "$fx/wrong-diffid.info" 'd["images"][0]["layers"][1]["diff_id"]')
expect_fail "a layer whose diff ID is not the config's" 1 \
	"syscontainer: pull $PX/test/wrong-diffid:t: layer ${wd[1]:7:12}: diff ID mismatch: the config says ${wd[1]}, the layer is $actual" \
	pull --tls-verify=false "$PX/test/wrong-diffid:t"
unchanged "wrong diff ID"
assert_eq "wrong diff ID: only the first layer's ref remains" "$(refs)" "ociimage/${wd[0]#sha256:}"
assert_eq "wrong diff ID: no staging directory is left" "$(staging)" 0

# ---------------------------------------------------------------- a kill
use_checkout "$T/co-kill"
mode "hold-blob 3"
"$SC" pull --tls-verify=false "$REF" > /dev/null 2>&1 &
pid=$!
track_pid "$pid"
for _ in $(seq 100); do
	[ "$(max_held)" = 3 ] && break
	sleep 0.1
done
sleep 0.5
{ kill -9 "$pid"; wait "$pid"; } 2> /dev/null
assert_eq "killed while three layers are in flight (3 held)" "$(max_held)" 3
assert_fsck "$R" "killed mid-pull"
mode pass
sc pull --tls-verify=false "$REF"
assert_eq "the next pull completes: exit 0" "$rc" 0
assert_match "the next pull: output" "$out" "$expected"
assert_fsck "$R" "after the next pull"
assert_eq "after the next pull: no staging directory is left" "$(staging)" 0

# ---------------------------------------------------------------- space
D=$T/small
mkdir -p "$D"
if mount -t tmpfs -o size=700k tmpfs "$D" 2> /dev/null; then
	_umount_small() { umount "$D"; }
	trap '_umount_small; _cleanup' EXIT
	use_checkout "$D/co"
	mode pass
	sc pull --tls-verify=false "$REF"
	assert_eq "a repository too small for the layers: exit 1" "$rc" 1
	assert_match "a repository too small: one line saying so" "$errout" \
		"syscontainer: pull $REF: no space left on $D (needs about * MB more; * MB free)"
	unchanged "a repository too small"
	assert_eq "a repository too small: no staging directory is left" "$(staging)" 0
else
	skip_or_fail "mount a 700k tmpfs"
fi
done_testing
