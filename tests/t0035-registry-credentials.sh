#!/bin/bash
# Issue 14, credentials: docker-registry with htpasswd Basic auth, logged
# into for real by `podman login` (as root without XDG_RUNTIME_DIR it writes
# /run/containers/0/auth.json) and `skopeo login`; every other place of
# containers-auth.json(5) in its order; credential helpers (credHelpers,
# credsStore, registries.conf's credential-helpers) as scripts, including
# one that hangs, one that prints garbage and one that fails; the password
# from standard input; an inline --creds password kept off
# /proc/PID/cmdline; and Bearer tokens refreshed in the middle of a pull,
# by their lifetime and when the registry refuses one.
#
# Runs in a private mount namespace with a tmpfs over /run, so podman's
# /run/containers is the test's own; podman's storage is under $T.
if [ -z "${SC_IN_MOUNTNS:-}" ]; then
	if unshare -m true 2> /dev/null; then
		SC_IN_MOUNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
	fi
	. "$(dirname "$0")/lib.sh"
	skip_or_fail "unshare -m (a private mount namespace) is not available"
	done_testing
	exit
fi
mount -t tmpfs tmpfs /run
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
export HOME=$T/home
mkdir -p "$HOME"
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR XDG_CONFIG_HOME DOCKER_CONFIG
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf
echo '# defaults' > "$CONTAINERS_REGISTRIES_CONF"
PW=Zq7-not-in-any-output
b64() { printf '%s' "$1" | base64 -w0; }
P=$(free_port)
"$PY" -c 'import bcrypt, sys; print("alice:" + bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(5)).decode())' "$PW" > "$T/htpasswd"
start_registry basic "$P" "$T/data" "" "auth:
  htpasswd:
    realm: test-realm
    path: $T/htpasswd" || { not_ok "start the htpasswd registry"; done_testing; exit 1; }
REG=127.0.0.1:$P
check "push with Basic credentials" push "oci:$fx/oci:multi" "$REG/test/multi:t" --dest-creds "alice:$PW"
NEEDS="syscontainer: pull $REG/test/multi:t: registry '$REG' requires authentication for 'test/multi': give --creds USER[:PASS] or add the registry to an auth file"
# pulls CO [ARGS...]: a fresh checkout, then pull the image (-v)
pulls() { use_checkout "$T/$1"; shift; sc -v pull --tls-verify=false "$@" "$REG/test/multi:t"; }
no_secret() {
	assert_eq "$1: the password is in no output" \
		"$(printf '%s\n%s' "$out" "$errout" | grep -c -e "$PW" -e "$(b64 "alice:$PW")")" 0
}

# ---------------------------------------------------------------- podman login
PODMAN="podman --root $T/storage --runroot $T/prun --storage-driver vfs"
echo "$PW" | $PODMAN login --tls-verify=false -u alice --password-stdin "$REG" > "$T/podman.out" 2>&1
check "podman login as root wrote /run/containers/0/auth.json" test -s /run/containers/0/auth.json
pulls co-podman
assert_eq "after podman login: pulled without a flag" "$rc" 0
assert_match "-v: the credentials came from podman's file" "$errout" \
	"*syscontainer: credentials for '$REG' from '/run/containers/0/auth.json'*"
no_secret "podman login"
assert_fsck "$R" "after the podman-login pull"
mv /run/containers/0/auth.json "$T/podman-auth.json"

# ---------------------------------------------------------------- skopeo login
mkdir -p "$T/xdg"
echo "$PW" | XDG_RUNTIME_DIR=$T/xdg skopeo login --tls-verify=false -u alice --password-stdin "$REG" > "$T/skopeo.out" 2>&1
check "skopeo login wrote \${XDG_RUNTIME_DIR}/containers/auth.json" test -s "$T/xdg/containers/auth.json"
XDG_RUNTIME_DIR=$T/xdg pulls co-skopeo
assert_eq "after skopeo login: pulled" "$rc" 0
assert_match "-v: from skopeo's file" "$errout" "*credentials for '$REG' from '$T/xdg/containers/auth.json'*"

# ---------------------------------------------------------------- the other places, in order
good=$T/podman-auth.json
bad() { echo "{\"auths\": {\"$REG\": {\"auth\": \"$(b64 alice:wrong)\"}}}" > "$1"; }
mkdir -p "$T/cfg/containers" "$T/dcfg" "$HOME/.docker"
cp "$good" "$T/cfg/containers/auth.json"
XDG_CONFIG_HOME=$T/cfg pulls co-xdgcfg
assert_eq "\$XDG_CONFIG_HOME/containers/auth.json" "$rc" 0
echo "{\"auths\": {\"http://$REG/v1/\": {\"auth\": \"$(b64 "alice:$PW")\"}}}" > "$T/dcfg/config.json"
DOCKER_CONFIG=$T/dcfg pulls co-dockerconfig
assert_eq "\$DOCKER_CONFIG/config.json (a URL key)" "$rc" 0
echo "{\"$REG\": {\"auth\": \"$(b64 "alice:$PW")\", \"email\": \"a@example\"}}" > "$HOME/.dockercfg"
pulls co-dockercfg
assert_eq "~/.dockercfg, the legacy format" "$rc" 0
bad "$HOME/.docker/config.json"
use_checkout "$T/co-order"
expect_fail "~/.docker/config.json comes before ~/.dockercfg" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' rejected the credentials" \
	pull --tls-verify=false "$REG/test/multi:t"
rm -r "$HOME/.docker" "$HOME/.dockercfg"
pulls co-authfile --authfile "$good"
assert_eq "--authfile" "$rc" 0
bad "$T/bad.json"
REGISTRY_AUTH_FILE=$T/bad.json pulls co-authfile2 --authfile "$good"
assert_eq "--authfile wins over \$REGISTRY_AUTH_FILE" "$rc" 0
expect_fail "--authfile that does not exist" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/nosuch.json': open '$T/nosuch.json': No such file or directory" \
	pull --tls-verify=false --authfile "$T/nosuch.json" "$REG/test/multi:t"
# --root: the target's /run/containers/0/auth.json before the running system's
TR=$T/target
mkdir -p "$TR/run/containers/0" /run/containers/0
cp "$good" "$TR/run/containers/0/auth.json"
bad /run/containers/0/auth.json
use_checkout /co-root
sc -v --root "$TR" pull --tls-verify=false "$REG/test/multi:t"
assert_eq "--root: the target's auth file first" "$rc" 0
assert_match "--root: -v names it" "$errout" "*credentials for '$REG' from '$TR/run/containers/0/auth.json'*"
rm /run/containers/0/auth.json

# ---------------------------------------------------------------- credential helpers
mkdir -p "$T/bin"
cat > "$T/bin/docker-credential-test" <<EOF
#!/bin/sh
read server
echo "get \$server" >> "$T/helper.log"
[ "\$server" = "$REG" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}\n' "\$server" "$PW"
EOF
cat > "$T/bin/docker-credential-hang" <<EOF
#!/bin/sh
echo \$\$ > "$T/hang.pid"
exec sleep 60
EOF
printf '#!/bin/sh\necho "%s is my {password"\n' "$PW" > "$T/bin/docker-credential-garbage"
printf '#!/bin/sh\necho "the keyring is locked"\nexit 3\n' > "$T/bin/docker-credential-fail"
chmod +x "$T/bin"/*
export PATH=$T/bin:$PATH
helperfile() { echo "{\"auths\": {}, $1}" > "$T/helpers.json"; }

helperfile "\"credHelpers\": {\"$REG\": \"test\"}"
: > "$T/helper.log"
pulls co-credhelper --authfile "$T/helpers.json"
assert_eq "credHelpers: exit 0" "$rc" 0
assert_eq "credHelpers: the helper was asked once, for the registry" "$(cat "$T/helper.log")" "get $REG"
assert_match "-v names the helper" "$errout" "*credentials for '$REG' from credential helper 'docker-credential-test'*"
no_secret "credential helper"
helperfile "\"credsStore\": \"test\""
pulls co-credsstore --authfile "$T/helpers.json"
assert_eq "credsStore: exit 0" "$rc" 0
printf 'credential-helpers = ["test"]\n' > "$CONTAINERS_REGISTRIES_CONF"
pulls co-regconf-helper
assert_eq "registries.conf credential-helpers = [\"test\"]: no auth file needed" "$rc" 0
echo '# defaults' > "$CONTAINERS_REGISTRIES_CONF"

helperfile "\"credHelpers\": {\"$REG\": \"hang\"}"
use_checkout "$T/co-hang"
start=$(date +%s)
expect_fail "a helper that hangs: one line, after --timeout" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/helpers.json': credential helper 'docker-credential-hang' gave no answer within 2 s" \
	pull --tls-verify=false --timeout 2 --authfile "$T/helpers.json" "$REG/test/multi:t"
check "a helper that hangs: given up in seconds" test $(($(date +%s) - start)) -lt 6
check "a helper that hangs: killed, not left behind" sh -c "! kill -0 $(cat "$T/hang.pid" 2> /dev/null || echo 1) 2> /dev/null"
unchanged "helper that hangs"
helperfile "\"credHelpers\": {\"$REG\": \"garbage\"}"
expect_fail "a helper that prints garbage: one line, the garbage not quoted" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/helpers.json': credential helper 'docker-credential-garbage': its answer is not a JSON object" \
	pull --tls-verify=false --authfile "$T/helpers.json" "$REG/test/multi:t"
helperfile "\"credHelpers\": {\"$REG\": \"fail\"}"
expect_fail "a helper that fails: its exit status and first line" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/helpers.json': credential helper 'docker-credential-fail' failed (exit status 3): the keyring is locked" \
	pull --tls-verify=false --authfile "$T/helpers.json" "$REG/test/multi:t"
helperfile "\"credHelpers\": {\"$REG\": \"nosuch\"}"
expect_fail "a helper that is not installed" 1 \
	"syscontainer: pull $REG/test/multi:t: auth file '$T/helpers.json': credential helper 'docker-credential-nosuch': cannot run it: No such file or directory" \
	pull --tls-verify=false --authfile "$T/helpers.json" "$REG/test/multi:t"
unchanged "failing helpers"

# ---------------------------------------------------------------- passwords
use_checkout "$T/co-stdin"
echo "$PW" | "$SC" --quiet pull --tls-verify=false --creds alice --password-stdin "$REG/test/multi:t" > "$T/.out" 2>&1
assert_eq "--password-stdin: exit 0" "$?" 0
sc pull --tls-verify=false --password-stdin "$REG/test/multi:t"
assert_eq "--password-stdin without --creds: usage error" "$rc $errout" \
	"2 syscontainer: pull: --password-stdin needs --creds USER"
# an inline password leaves the argument list at once: look while the pull
# waits on a server that never answers
SILENT=$(free_port)
"$PY" -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(60)' \
	"$SILENT" > /dev/null 2>&1 &
track_pid $!
wait_port "$SILENT"
"$SC" pull --timeout 3 --creds "alice:$PW" "http:127.0.0.1:$SILENT/test/multi:t" > /dev/null 2>&1 &
pid=$!
sleep 1
cmdline=$(tr '\0' ' ' < /proc/$pid/cmdline 2> /dev/null)
assert_match "--creds USER:PASS: the command line keeps the user" "$cmdline" "*--creds alice:*"
assert_eq "--creds USER:PASS: the password is gone from /proc/PID/cmdline" "$(echo "$cmdline" | grep -c "$PW")" 0
wait $pid

# ---------------------------------------------------------------- Bearer tokens refreshed mid-pull
TP=$(free_port) P2=$(free_port) PP=$(free_port)
mkdir -p "$T/tok" "$T/px"
RT=rt-9f2c-not-in-any-output     # the identity token the server trades
TOKEN_REFRESH=$RT "$PY" "$top/tests/helpers/tokenserver.py" "$T/tok" "$TP" test-service "alice:$PW" 2 > "$T/tok/out" 2>&1 &
track_pid $!
wait_port "$TP" || { not_ok "start the token server"; done_testing; exit 1; }
start_registry bearer "$P2" "$T/data-bearer" "" "auth:
  token:
    realm: http://127.0.0.1:$TP/token
    service: test-service
    issuer: test-issuer
    rootcertbundle: $T/tok/token.crt" || { not_ok "start the token-auth registry"; done_testing; exit 1; }
start_badproxy "$T/px" "$PP" "$P2" || { not_ok "start the proxy"; done_testing; exit 1; }
check "push to the token registry" push "oci:$fx/oci:multi" "127.0.0.1:$P2/test/multi:t" --dest-creds "alice:$PW"
TLOG=$T/tok/token.log
tokens() { grep -c "scope=repository%3Atest%2Fmulti%3Apull basic" "$TLOG"; }

# ping, manifest and config before the layers (which come at the same
# time) take 3 s of delays: the 2 s token has run out by the blobs
echo "delay 1" > "$T/px/mode"
: > "$TLOG"
use_checkout "$T/co-token-life"
start=$(date +%s)
sc --quiet pull --tls-verify=false --creds "alice:$PW" "127.0.0.1:$PP/test/multi:t"
assert_eq "tokens living 2 s, a pull of several seconds: exit 0" "$rc" 0
check "the pull outlived a token ($(($(date +%s) - start)) s)" test $(($(date +%s) - start)) -ge 3
check "a new token was fetched when the first ran out ($(tokens) tokens)" test "$(tokens)" -ge 2

echo "expire-token 2" > "$T/px/mode"
: > "$TLOG"
: > "$T/px/proxy.log"
use_checkout "$T/co-token-refused"
sc --quiet pull --tls-verify=false --creds "alice:$PW" "127.0.0.1:$PP/test/multi:t"
assert_eq "the registry refuses a token mid-pull: exit 0" "$rc" 0
assert_eq "refused token: the blob was asked again with a new token" \
	"$(grep '/blobs/' "$T/px/proxy.log" | cut -d' ' -f3 | tr '\n' ' ')" "200 401 200 200 200 "
assert_eq "refused token: two tokens in all" "$(tokens)" 2
assert_fsck "$R" "after the refused token"

# ---------------------------------------------------------------- identity tokens
# What `docker login` keeps for registries that hand out refresh tokens (an
# auth file's identitytoken, a helper's "<token>" user): traded at the token
# server by a refresh_token grant, never sent to the registry.
REG2=127.0.0.1:$P2
cat > "$T/bin/docker-credential-idtok" <<EOF
#!/bin/sh
read server
printf '{"ServerURL":"%s","Username":"<token>","Secret":"%s"}\n' "\$server" "$RT"
EOF
chmod +x "$T/bin/docker-credential-idtok"
helperfile "\"credHelpers\": {\"$REG2\": \"idtok\"}"
: > "$TLOG"
use_checkout "$T/co-identity-helper"
sc -v pull --tls-verify=false --authfile "$T/helpers.json" "$REG2/test/multi:t"
assert_eq "identity token from a helper: exit 0" "$rc" 0
assert_eq "identity token: traded once, by POST, for the pull scope" "$(cat "$TLOG")" \
	"POST /token scope=repository:test/multi:pull refresh"
assert_eq "identity token: in no output" "$(printf '%s\n%s' "$out" "$errout" | grep -c "$RT")" 0
echo "{\"auths\": {\"$REG2\": {\"auth\": \"$(b64 "alice:")\", \"identitytoken\": \"$RT\"}}}" > "$T/idtok.json"
use_checkout "$T/co-identity-file"
sc --quiet pull --tls-verify=false --authfile "$T/idtok.json" "$REG2/test/multi:t"
assert_eq "an auth file's identitytoken: exit 0" "$rc" 0
echo "{\"auths\": {\"$REG2\": {\"identitytoken\": \"expired\"}}}" > "$T/idtok.json"
use_checkout "$T/co-identity-bad"
expect_fail "a refused identity token: one line" 1 \
	"syscontainer: pull $REG2/test/multi:t: token server http://127.0.0.1:$TP/token rejected the identity token (HTTP 401)" \
	pull --tls-verify=false --authfile "$T/idtok.json" "$REG2/test/multi:t"
echo "{\"auths\": {\"$REG\": {\"identitytoken\": \"$RT\"}}}" > "$T/idtok.json"
expect_fail "an identity token for a Basic registry: one line" 1 \
	"syscontainer: pull $REG/test/multi:t: registry '$REG' asks for Basic credentials; the identity token found for it is only traded at a Bearer token server" \
	pull --tls-verify=false --authfile "$T/idtok.json" "$REG/test/multi:t"

done_testing
