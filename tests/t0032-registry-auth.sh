#!/bin/bash
# Issue 4, authentication: docker-registry with htpasswd Basic auth, and
# with Bearer tokens from the test suite's token server (ES256 JWTs with
# x5c).  Credentials from --creds and from every auth file (most specific
# key first); the failures (none, wrong password) leave the repository
# unchanged, tokens are cached per scope, and no password or token ever
# appears in the output, -v included.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
# No credentials of the host's user may leak into the test.
export HOME=$T/home
mkdir -p "$HOME"
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
PW=Zq7-not-in-any-output
b64() { printf '%s' "$1" | base64 -w0; }

# ---------------------------------------------------------------- Basic
P=$(free_port)
"$PY" -c 'import bcrypt, sys; print("alice:" + bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(5)).decode())' "$PW" > "$T/htpasswd"
start_registry basic "$P" "$T/data-basic" "" "auth:
  htpasswd:
    realm: test-realm
    path: $T/htpasswd" || { not_ok "start the htpasswd registry"; done_testing; exit 1; }
REG=127.0.0.1:$P
check "push with Basic credentials" push "oci:$fx/oci:multi" "$REG/test/multi:t" --dest-creds "alice:$PW"

use_checkout "$T/co-basic-fail"
expect_fail "Basic, no credentials" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' requires authentication for 'test/multi': give --creds USER[:PASS] or add the registry to an auth file" \
	pull --tls-verify=false "$REG/test/multi:t"
unchanged "Basic, no credentials"
expect_fail "Basic, wrong password" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' rejected the credentials" \
	pull --tls-verify=false --creds alice:wrong "$REG/test/multi:t"
unchanged "Basic, wrong password"
sc -v pull --tls-verify=false --creds "alice:$PW-x" "$REG/test/multi:t"
assert_eq "Basic, wrong password with -v: the password is not printed" "$(printf '%s\n%s' "$out" "$errout" | grep -c "$PW")" 0

use_checkout "$T/co-basic"
sc -v pull --tls-verify=false --creds "alice:$PW" "$REG/test/multi:t"
assert_eq "Basic, --creds: exit 0" "$rc" 0
assert_match "Basic, --creds: pulled" "$out" "*Pulled $REG/test/multi:t (IMAGE ID *): 3 layers stored, 0 skipped, *"
assert_eq "Basic, -v: neither the password nor its base64 is printed" \
	"$(printf '%s\n%s' "$out" "$errout" | grep -c -e "$PW" -e "$(b64 "alice:$PW")")" 0
assert_fsck "$R" "after the Basic pull"

sc pull --tls-verify=false --creds alice "$REG/test/multi:t" < /dev/null
if [ -r /dev/tty ] && (: < /dev/tty) 2> /dev/null; then
	skip "--creds USER without a terminal: this test has a controlling terminal"
else
	assert_eq "--creds USER, no terminal to ask: usage error" "$rc" 2
	assert_eq "--creds USER, no terminal to ask: message" "$errout" \
		"syscontainer: pull: --creds: no password given and no terminal to ask for it (use --creds USER:PASS)"
fi

# --creds USER on a terminal: the password is asked for, not echoed
use_checkout "$T/co-tty"
"$PY" - "$SC" "$PW" "$REG/test/multi:t" > "$T/tty.out" 2>&1 <<'PYEOF'
import os, pty, sys, time
sc, pw, ref = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sc, [sc, "--quiet", "pull", "--tls-verify=false", "--creds", "alice", ref])
seen = b""
deadline = time.time() + 30
while b"Password: " not in seen and time.time() < deadline:
    seen += os.read(fd, 100)
os.write(fd, pw.encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
print("exit", os.waitstatus_to_exitcode(status))
print("echoed" if pw.encode() in seen else "not echoed")
print("prompted" if seen.startswith(b"Password: ") else "no prompt")
PYEOF
assert_eq "--creds USER on a terminal: asked once, not echoed, pulled" "$(cat "$T/tty.out")" "exit 0
not echoed
prompted"

# auth files: the most specific key wins; each location is read
cat > "$T/auth.json" <<EOF
{"auths": {"$REG": {"auth": "$(b64 alice:wrong)"},
           "$REG/test": {"auth": "$(b64 "alice:$PW")"},
           "$REG/test/other": {"auth": "$(b64 alice:wrong2)"}}}
EOF
use_checkout "$T/co-authfile"
REGISTRY_AUTH_FILE=$T/auth.json sc --quiet pull --tls-verify=false "$REG/test/multi:t"
assert_eq "\$REGISTRY_AUTH_FILE: HOST/NAMESPACE beats HOST: exit 0" "$rc" 0
echo '{"auths": {}}' > "$T/empty.json"
mkdir -p "$HOME/.docker"
echo "{\"auths\": {\"http://$REG/v1/\": {\"auth\": \"$(b64 "alice:$PW")\"}}}" > "$HOME/.docker/config.json"
REGISTRY_AUTH_FILE=$T/empty.json expect_fail "\$REGISTRY_AUTH_FILE set: the other files are not read" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' requires authentication for 'test/multi': give --creds USER[:PASS] or add the registry to an auth file" \
	pull --tls-verify=false "$REG/test/multi:t"
use_checkout "$T/co-docker"
sc --quiet pull --tls-verify=false "$REG/test/multi:t"
assert_eq "~/.docker/config.json with a URL key: exit 0" "$rc" 0
mkdir -p "$HOME/.config/containers" "$T/run/containers"
echo "{\"auths\": {\"$REG\": {\"auth\": \"$(b64 alice:wrong)\"}}}" > "$HOME/.config/containers/auth.json"
use_checkout "$T/co-config"
expect_fail "~/.config/containers/auth.json comes before ~/.docker/config.json" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' rejected the credentials" \
	pull --tls-verify=false "$REG/test/multi:t"
echo "{\"auths\": {\"$REG/test/multi\": {\"auth\": \"$(b64 "alice:$PW")\"}}}" > "$T/run/containers/auth.json"
XDG_RUNTIME_DIR=$T/run sc --quiet pull --tls-verify=false "$REG/test/multi:t"
assert_eq "\${XDG_RUNTIME_DIR}/containers/auth.json comes first: exit 0" "$rc" 0
echo '{"auths": ' > "$T/broken.json"
REGISTRY_AUTH_FILE=$T/broken.json expect_fail "a broken auth file is an error naming it" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/broken.json': invalid JSON at byte 11 (end of input): expected a value" \
	pull --tls-verify=false "$REG/test/multi:t"
rm -rf "$HOME/.docker" "$HOME/.config"

# ---------------------------------------------------------------- Bearer
TP=$(free_port) P2=$(free_port)
mkdir -p "$T/tok"
"$PY" "$top/tests/helpers/tokenserver.py" "$T/tok" "$TP" test-service "alice:$PW" > "$T/tok/out" 2>&1 &
track_pid $!
wait_port "$TP" || { not_ok "start the token server"; sed 's/^/#   /' "$T/tok/out"; done_testing; exit 1; }
start_registry bearer "$P2" "$T/data-bearer" "" "auth:
  token:
    realm: http://127.0.0.1:$TP/token
    service: test-service
    issuer: test-issuer
    rootcertbundle: $T/tok/token.crt" || { not_ok "start the token-auth registry"; done_testing; exit 1; }
REG=127.0.0.1:$P2
TLOG=$T/tok/token.log
check "push with a token" push "oci:$fx/oci:multi" "$REG/test/multi:t" --dest-creds "alice:$PW"

use_checkout "$T/co-bearer-fail"
: > "$TLOG"
expect_fail "Bearer, no credentials: an anonymous token is not enough" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' requires authentication for 'test/multi': give --creds USER[:PASS] or add the registry to an auth file" \
	pull --tls-verify=false "$REG/test/multi:t"
unchanged "Bearer, no credentials"
assert_eq "Bearer, no credentials: one anonymous token, one retry after the 401 (insufficient_scope)" \
	"$(cut -d' ' -f3 "$TLOG" | tr '\n' ' ')" "anonymous anonymous "
expect_fail "Bearer, wrong password" 1 \
	"syscontainer: pull $REG/test/multi:t: token server http://127.0.0.1:$TP/token rejected the credentials (HTTP 401)" \
	pull --tls-verify=false --creds alice:wrong "$REG/test/multi:t"
unchanged "Bearer, wrong password"

use_checkout "$T/co-bearer"
: > "$TLOG"
sc -v pull --tls-verify=false --creds "alice:$PW" "$REG/test/multi:t"
assert_eq "Bearer, --creds: exit 0" "$rc" 0
assert_match "Bearer, --creds: pulled" "$out" "*Pulled $REG/test/multi:t (IMAGE ID *): 3 layers stored, 0 skipped, *"
assert_eq "Bearer: one token for the whole pull (cached per scope), asked with credentials" \
	"$(cat "$TLOG")" "GET /token?service=test-service&scope=repository%3Atest%2Fmulti%3Apull basic"
assert_eq "Bearer, -v: no password, no token printed" \
	"$(printf '%s\n%s' "$out" "$errout" | grep -c -e "$PW" -e 'eyJ')" 0
mapfile -t diffs < <(skopeo inspect --tls-verify=false --creds "alice:$PW" --config "docker://$REG/test/multi:t" | json_get 'd["rootfs"]["diff_ids"]')
if rootfs "$T/root" "ociimage/${diffs[0]#sha256:}" "ociimage/${diffs[1]#sha256:}" "ociimage/${diffs[2]#sha256:}"; then
	assert_tree "Bearer: the tree equals umoci unpack" "$fx/multi.rootfs" "$T/root"
else
	not_ok "Bearer: check out the layers"
fi
assert_fsck "$R" "after the Bearer pull"

done_testing
