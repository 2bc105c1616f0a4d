#!/bin/bash
# Issue 4, failures: every way a registry pull can fail gives one line, exit
# status 1 and an unchanged repository (no image ref, fsck clean): unknown
# repository, tag or digest, plain HTTP without opt-in, connection refused,
# DNS failure, and -- through the test suite's corrupting proxy in front of
# the registry -- a malformed manifest, a manifest whose digest does not
# match, a schema 1 manifest, a zstd layer, a blob with one flipped byte, a
# blob whose Content-Length disagrees with the manifest.  Transient 503s and
# connection resets are retried, within bounds.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
P=$(free_port) PP=$(free_port) NOBODY=$(free_port)
REG=127.0.0.1:$P
PX=127.0.0.1:$PP
start_registry reg "$P" "$T/data" || { not_ok "start docker-registry"; done_testing; exit 1; }
start_badproxy "$T/px" "$PP" "$P" || { not_ok "start the corrupting proxy"; done_testing; exit 1; }
check "push multi" push "oci:$fx/oci:multi" "$REG/test/multi:t"
manifest_of "$P" test/multi t > "$T/manifest"
mdigest=sha256:$(sha256 "$T/manifest")
mlen=$(stat -c %s "$T/manifest")
mapfile -t blobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/manifest")
mapfile -t sizes < <(json_get '[l["size"] for l in d["layers"]]' < "$T/manifest")
diff0=$(skopeo inspect --tls-verify=false --config "docker://$REG/test/multi:t" | json_get 'd["rootfs"]["diff_ids"][0]' | cut -c8-)
mode() { echo "$1" > "$T/px/mode"; }
use_checkout "$T/checkout"

# ---------------------------------------------------------------- names
expect_fail "unknown repository" 1 \
	"syscontainer: pull $REG/test/nosuch:t: repository 'test/nosuch' not found on registry '$REG'" \
	pull --tls-verify=false "$REG/test/nosuch:t"
unchanged "unknown repository"
expect_fail "unknown tag" 1 \
	"syscontainer: pull $REG/test/multi:nosuch: manifest 'test/multi:nosuch' not found on registry '$REG' (MANIFEST_UNKNOWN)" \
	pull --tls-verify=false "$REG/test/multi:nosuch"
unchanged "unknown tag"
zero=sha256:$(printf '%064d' 0)
expect_fail "unknown digest" 1 \
	"syscontainer: pull $REG/test/multi@$zero: manifest 'test/multi@$zero' not found on registry '$REG' (MANIFEST_UNKNOWN)" \
	pull --tls-verify=false "$REG/test/multi@$zero"
unchanged "unknown digest"

# ---------------------------------------------------------------- transport
expect_fail "plain HTTP without --tls-verify=false" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' speaks plain HTTP: pass --tls-verify=false to allow it" \
	pull "$REG/test/multi:t"
unchanged "plain HTTP without opt-in"
for opt in --tls-verify=true --tls-verify=false; do
	expect_fail "connection refused ($opt)" 1 \
		"syscontainer: pull 127.0.0.1:$NOBODY/test/multi:t: GET https://127.0.0.1:$NOBODY/v2/: connect to '127.0.0.1' port $NOBODY: Connection refused" \
		pull "$opt" "127.0.0.1:$NOBODY/test/multi:t"
done
unchanged "connection refused"
start=$(date +%s)
sc pull nosuch.invalid/test/multi:t
assert_eq "DNS failure: exit 1" "$rc" 1
assert_match "DNS failure: message" "$errout" \
	"syscontainer: pull nosuch.invalid/test/multi:t: GET https://nosuch.invalid/v2/: resolve 'nosuch.invalid': *"
assert_eq "DNS failure: one line" "$(echo "$errout" | wc -l)" 1
check "DNS failure: not retried (under 10 s)" test $(($(date +%s) - start)) -lt 10
unchanged "DNS failure"

# ---------------------------------------------------------------- damaged documents
mode pass
sc --quiet pull --tls-verify=false "$PX/test/multi:t" --platform "linux/$IMAGE_ARCH"
assert_eq "through the proxy, undamaged: exit 0" "$rc" 0
use_checkout "$T/co-bad"

mode bad-json
expect_fail "malformed manifest JSON" 1 \
	"syscontainer: pull $PX/test/multi:t: manifest 'test/multi:t': invalid JSON at byte $(($(tr -d '\n' < "$T/manifest" | wc -c) - 1)) (end of input): expected ',' or '}'" \
	pull --tls-verify=false "$PX/test/multi:t"
unchanged "malformed manifest"

mode alter-manifest
altered=sha256:$(printf '{ ' | cat - <(tail -c +2 "$T/manifest") | sha256 -)
expect_fail "manifest digest mismatch (pull by digest)" 1 \
	"syscontainer: pull $PX/test/multi@$mdigest: manifest 'test/multi@$mdigest': digest mismatch: expected $mdigest, got $altered" \
	pull --tls-verify=false "$PX/test/multi@$mdigest"
unchanged "manifest digest mismatch"

mode schema1
expect_fail "schema 1 manifest" 1 \
	"syscontainer: pull $PX/test/multi:t: manifest 'test/multi:t': unsupported legacy manifest (schema 1)" \
	pull --tls-verify=false "$PX/test/multi:t"
unchanged "schema 1"

mode zstd
expect_fail "zstd layer" 1 \
	"syscontainer: pull $PX/test/multi:t: manifest 'test/multi:t': layer 1: unsupported media type 'application/vnd.oci.image.layer.v1.tar+zstd'" \
	pull --tls-verify=false "$PX/test/multi:t"
unchanged "zstd layer"

mode flip-blob
sc pull --tls-verify=false "$PX/test/multi:t"
assert_eq "blob with one flipped byte: exit 1" "$rc" 1
assert_match "blob with one flipped byte: the gzip check of the layer fails" "$errout" \
	"syscontainer: pull $PX/test/multi:t: layer ${diff0:0:12}: corrupt gzip stream at byte *"
assert_eq "blob with one flipped byte: one line" "$(echo "$errout" | wc -l)" 1
unchanged "flipped byte"
check "flipped byte: the damaged layer has no ref" sh -c "! ostree rev-parse --repo='$R' ociimage/${blobs[0]#sha256:} 2>/dev/null"

mode short-blob
expect_fail "blob Content-Length disagrees with the manifest" 1 \
	"syscontainer: pull $PX/test/multi:t: layer ${diff0:0:12}: GET http://$PX/v2/test/multi/blobs/${blobs[0]}: Content-Length $((sizes[0] - 1)) disagrees with the expected size ${sizes[0]}" \
	pull --tls-verify=false "$PX/test/multi:t"
unchanged "short blob"

# ---------------------------------------------------------------- retries
use_checkout "$T/co-retry"
mode "fail503 2"
: > "$T/px/proxy.log"
start=$(date +%s)
sc --quiet pull --tls-verify=false "$PX/test/multi:t"
assert_eq "two 503s with Retry-After: retried, exit 0" "$rc" 0
assert_eq "two 503s: the /v2/ ping answered 503, 503, then 200" \
	"$(grep '^GET /v2/ ' "$T/px/proxy.log" | cut -d' ' -f3 | tr '\n' ' ')" "503 503 200 "
check "two 503s: Retry-After (1 s) honoured" test $(($(date +%s) - start)) -ge 2

mode "reset 1"
use_checkout "$T/co-reset"
: > "$T/px/proxy.log"
sc --quiet pull --tls-verify=false "$PX/test/multi:t"
assert_eq "a connection reset is retried: exit 0" "$rc" 0
assert_eq "connection reset: then the ping went through" \
	"$(grep '^GET /v2/ ' "$T/px/proxy.log" | cut -d' ' -f3 | tr '\n' ' ')" "reset 200 "

use_checkout "$T/co-giveup"
mode "fail503 100"
: > "$T/px/proxy.log"
start=$(date +%s)
expect_fail "503 for ever: gives up" 1 \
	"syscontainer: pull $PX/test/multi:t: GET /v2/: registry '$PX' answered HTTP 503 Service Unavailable" \
	pull --tls-verify=false "$PX/test/multi:t"
assert_eq "503 for ever: 1 try + 4 retries" "$(grep -c '^GET /v2/ 503' "$T/px/proxy.log")" 5
check "503 for ever: bounded in time" test $(($(date +%s) - start)) -lt 20
unchanged "503 for ever"

done_testing
