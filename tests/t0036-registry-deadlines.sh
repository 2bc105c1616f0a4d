#!/bin/bash
# Issue 14, deadlines and resume, against docker-registry behind the test
# suite's fault-injecting proxy (tests/helpers/badproxy.py):
#  - a response head trickled a byte at a time misses its deadline, a blob
#    sent at 10 bytes/s falls under the minimum rate: one line each naming
#    the host and what was slow, with --timeout 2 so each takes seconds;
#  - a blob whose connection drops half-way is resumed with Range from the
#    first byte not yet stored (the proxy's log of Range requests proves
#    it), also behind a server that ignores Range or answers another
#    Content-Range than asked (both read again from the start), and behind
#    a redirect to an object store whose signed URLs work once (each resume
#    asks the registry again; an expired one is asked for afresh);
#  - a blob that drops every time is given up after the bounded number of
#    resumes.
# Every pull that completes stores the tree umoci built; every failure
# leaves no image ref and a clean fsck.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
P=$(free_port) PP=$(free_port)
PX=127.0.0.1:$PP
start_registry reg "$P" "$T/data" || { not_ok "start docker-registry"; done_testing; exit 1; }
start_badproxy "$T/px" "$PP" "$P" || { not_ok "start the fault-injecting proxy"; done_testing; exit 1; }
check "push multi" push "oci:$fx/oci:multi" "127.0.0.1:$P/test/multi:t"
manifest_of "$P" test/multi t > "$T/manifest"
mapfile -t blobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/manifest")
mapfile -t sizes < <(json_get '[l["size"] for l in d["layers"]]' < "$T/manifest")
mapfile -t diffs < <(skopeo inspect --tls-verify=false --config "docker://127.0.0.1:$P/test/multi:t" | json_get 'd["rootfs"]["diff_ids"]')
# the blobs the proxy damages: those over 1000 bytes
big=()
for i in "${!blobs[@]}"; do [ "${sizes[$i]}" -gt 1000 ] && big+=("$i"); done
check "fixture: multi has a layer over 1000 bytes" test "${#big[@]}" -gt 0
b=${big[0]} D=${blobs[$b]} S=${sizes[$b]} half=$((sizes[$b] / 2))
mode() { echo "$1" > "$T/px/mode"; : > "$T/px/proxy.log"; }
# blob_log DIGEST: the proxy's log lines for that blob (and its object-store
# copies), the path shortened to the kind of request
blob_log() {
	grep -e "/blobs/$1 " -e "/blobs/$1?" "$T/px/proxy.log" |
		sed -e 's|/v2/test/multi/blobs/sha256:[0-9a-f]*|registry|' \
		    -e 's|/objstore/test/multi/blobs/sha256:[0-9a-f]*?|store?|'
}
# pulled NAME: a fresh checkout, the pull, and a tree equal to umoci's
pulled() {
	if [ "$rc" = 0 ] && rootfs "$T/root-$1" "ociimage/${diffs[0]#sha256:}" \
		"ociimage/${diffs[1]#sha256:}" "ociimage/${diffs[2]#sha256:}"; then
		assert_tree "$1: the stored tree equals umoci unpack" "$fx/multi.rootfs" "$T/root-$1"
		assert_fsck "$R" "$1"
	else
		not_ok "$1: pulled ($errout)"
	fi
}
REF=http:$PX/test/multi:t

# ---------------------------------------------------------------- deadlines
use_checkout "$T/co-slowhead"
mode slow-head
start=$(date +%s)
expect_fail "a response head trickled a byte every 0.3 s misses its deadline" 1 \
	"syscontainer: pull $REF: GET http://$PX/v2/: no complete response head from '127.0.0.1' port $PP within 2 s" \
	pull --timeout 2 "$REF"
check "slow head: given up in seconds, not minutes" test $(($(date +%s) - start)) -lt 8
unchanged "slow head"

use_checkout "$T/co-slowblob"
mode slow-blob
start=$(date +%s)
sc pull --timeout 2 "$REF"
assert_eq "a blob at 10 bytes/s: exit 1" "$rc" 1
assert_match "a blob at 10 bytes/s is under the minimum rate: one line naming the host" "$errout" \
	"syscontainer: pull $REF: layer *: GET http://$PX/v2/test/multi/blobs/sha256:*: '127.0.0.1' port $PP sent * bytes in 2 s, under the minimum of 1000 bytes/s"
assert_eq "slow blob: one line" "$(echo "$errout" | wc -l)" 1
check "slow blob: given up within a few windows" test $(($(date +%s) - start)) -lt 10
unchanged "slow blob"
sc pull --timeout=x "$REF"
assert_eq "--timeout takes seconds: usage error" "$rc $errout" \
	"2 syscontainer: pull: --timeout takes whole seconds from 1 to 86400, not 'x'"

# ---------------------------------------------------------------- resume
use_checkout "$T/co-drop"
mode "drop-blob 1"
sc pull "$REF"
pulled "dropped once"
assert_eq "dropped once: the blob asked for again from the first byte not stored" \
	"$(blob_log "$D")" "GET registry 200
GET registry 206 range=bytes=$half-"

use_checkout "$T/co-drop3"
mode "drop-blob 3"
sc -v pull "$REF"
pulled "dropped on three whole GETs"
assert_eq "dropped: resumed once (a resume asks a range, which this proxy passes)" \
	"$(blob_log "$D" | cut -d' ' -f3 | tr '\n' ' ')" "200 206 "
assert_match "-v says the blob was resumed" "$errout" \
	"*syscontainer: blob $D: resuming at byte $half of $S (1 of 5) after: GET http://$PX/v2/test/multi/blobs/$D: connection closed after $half of $S body bytes*"

use_checkout "$T/co-ignore"
mode ignore-range
sc pull "$REF"
pulled "Range ignored"
assert_eq "a server that ignores Range: the whole blob read again, the first half dropped" \
	"$(blob_log "$D")" "GET registry 200
GET registry 200 range=bytes=$half-"

use_checkout "$T/co-badcr"
mode bad-content-range
sc pull "$REF"
pulled "wrong Content-Range"
assert_eq "a wrong Content-Range: asked again without Range" \
	"$(blob_log "$D")" "GET registry 200
GET registry 206 range=bytes=$half-
GET registry 200"

use_checkout "$T/co-redirect"
mode redirect-blob
sc pull "$REF"
pulled "redirected to an object store"
blob_log "$D" > "$T/redirect.log"
sig=$(sed -n 's/^GET store?sig=\([0-9]*\) 200$/\1/p' "$T/redirect.log")
# the other layers, fetched at the same time, take signatures in between
sig2=$(sed -n 's/^GET store?sig=\([0-9]*\) 206 .*/\1/p' "$T/redirect.log")
assert_eq "redirect: the cut object-store download resumes through the registry, with a new signed URL" \
	"$(cat "$T/redirect.log")" "GET registry 307
GET store?sig=$sig 200
GET registry 307 range=bytes=$half-
GET store?sig=$sig2 206 range=bytes=$half-"
check "redirect: the resume's signed URL is a later one ($sig, then $sig2)" test "${sig2:-0}" -gt "${sig:-0}"

use_checkout "$T/co-expired"
mode expired-redirect
sc pull "$REF"
pulled "an expired signed URL"
assert_eq "an expired signed URL: the registry asked again, once" \
	"$(grep -e ' 403' -e 'sig=2 ' "$T/px/proxy.log" | sed 's|/objstore/[^?]*?|store?|' | cut -d' ' -f2,3)" "store?sig=1 403
store?sig=2 200"

use_checkout "$T/co-always"
mode drop-always
# each answer is half of what is left: the sixth brings half of S/2^5
left=$S
for i in 1 2 3 4 5; do left=$((left - left / 2)); done
expect_fail "a blob that drops every time: given up after 5 resumes" 1 \
	"syscontainer: pull $REF: layer ${diffs[$b]:7:12}: blob $D: gave up after 5 resumes: GET http://$PX/v2/test/multi/blobs/$D: connection closed after $((left / 2)) of $left body bytes" \
	pull "$REF"
assert_eq "drop every time: 1 GET + 5 resumes" "$(blob_log "$D" | wc -l)" 6
unchanged "dropped every time"

done_testing
