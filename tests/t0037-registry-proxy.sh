#!/bin/bash
# Issue 14, proxies: Debian's tinyproxy on loopback, one open and one that
# wants Basic credentials, in front of docker-registry over HTTPS (CONNECT)
# and plain HTTP (absolute-URI requests).  The variables are read as curl
# and Go read them (lower case, then upper case; ALL_PROXY for either
# scheme; HTTP_PROXY not in a CGI environment; NO_PROXY with domains,
# addresses, CIDR blocks and ports); tinyproxy's log proves which requests
# went through it.  A dead proxy, refused proxy credentials and a socks
# proxy are one line each naming the proxy and its variable, never the
# password.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
for v in http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY REQUEST_METHOD; do
	unset "$v"
done
C=$T/pki
mkdir -p "$C" "$T/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/ca.key" \
	-subj /CN=proxy-test-ca -days 30 -out "$C/ca.crt" 2> /dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/srv.key" \
	-subj /CN=localhost -out "$C/srv.csr" 2> /dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$C/srv.ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 30 \
	-extfile "$C/srv.ext" -out "$C/srv.crt" 2> /dev/null
cp "$C/ca.crt" "$T/certs/ca.crt"

PS=$(free_port) PH=$(free_port) PA=$(free_port) PB=$(free_port) DEAD=$(free_port)
start_registry tls "$PS" "$T/data" "tls:
  certificate: $C/srv.crt
  key: $C/srv.key" || { not_ok "start the HTTPS registry"; done_testing; exit 1; }
start_registry plain "$PH" "$T/data" || { not_ok "start the HTTP registry"; done_testing; exit 1; }
check "push multi" push "oci:$fx/oci:multi" "127.0.0.1:$PH/test/multi:t"

# tinyproxy NAME PORT [BasicAuth line]
tinyproxy_start() {
	mkdir -p "$T/$1"
	printf 'Port %s\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 20\nLogFile "%s"\nLogLevel Info\n%s\n' \
		"$2" "$T/$1/log" "${3:-}" > "$T/$1/conf"
	tinyproxy -d -c "$T/$1/conf" > "$T/$1/out" 2>&1 &
	track_pid $!
	wait_port "$2"
}
tinyproxy_start open "$PA" || { not_ok "start tinyproxy"; done_testing; exit 1; }
tinyproxy_start auth "$PB" "BasicAuth user pw-not-shown" || { not_ok "start tinyproxy with auth"; done_testing; exit 1; }
# through NAME: the requests tinyproxy NAME passed since the last call (it
# keeps appending at its own offset, so the log is never truncated)
through() {
	_m=$(cat "$T/$1/mark" 2> /dev/null || echo 0)
	tail -c +$((_m + 1)) "$T/$1/log" | grep -a 'Request (file descriptor' | sed 's/.*): //'
	wc -c < "$T/$1/log" > "$T/$1/mark"
}
TLSREF=127.0.0.1:$PS/test/multi:t
HTTPREF=http:127.0.0.1:$PH/test/multi:t
# via ENV... -- ARGS: a fresh checkout and a pull with those variables
via() {
	_env=()
	while [ "$1" != -- ]; do _env+=("$1"); shift; done
	shift
	use_checkout "$T/co-$((++_co))"
	env "${_env[@]}" "$SC" --quiet pull "$@" > "$T/.out" 2> "$T/.err"
	rc=$? errout=$(cat "$T/.err")
}
_co=0

# ---------------------------------------------------------------- HTTPS through CONNECT
through open > /dev/null
via HTTPS_PROXY="http://127.0.0.1:$PA" -- --cert-dir "$T/certs" "$TLSREF"
assert_eq "HTTPS_PROXY (upper case): exit 0" "$rc" 0
assert_eq "HTTPS_PROXY: one tunnel for the whole pull, kept alive" "$(through open | sort -u)" "CONNECT 127.0.0.1:$PS HTTP/1.1"
via https_proxy="http://user:pw-not-shown@127.0.0.1:$PB" HTTPS_PROXY="http://127.0.0.1:$DEAD" -- --cert-dir "$T/certs" "$TLSREF"
assert_eq "https_proxy with credentials (lower case wins): exit 0" "$rc" 0
assert_eq "https_proxy with credentials: the proxy that wants them tunnelled it" \
	"$(through auth | sort -u)" "CONNECT 127.0.0.1:$PS HTTP/1.1"
via ALL_PROXY="http://127.0.0.1:$PA" -- --cert-dir "$T/certs" "$TLSREF"
assert_eq "ALL_PROXY alone serves https: exit 0" "$rc" 0
assert_eq "ALL_PROXY: through the open proxy" "$(through open | sort -u)" "CONNECT 127.0.0.1:$PS HTTP/1.1"

# ---------------------------------------------------------------- plain HTTP through absolute URIs
via HTTP_PROXY="http://127.0.0.1:$PA" -- "$HTTPREF"
assert_eq "HTTP_PROXY (upper case): exit 0" "$rc" 0
assert_eq "HTTP_PROXY: every request went through the proxy as an absolute URI" \
	"$(through open | grep -c "^GET http://127.0.0.1:$PH/v2/")" "$(grep -ac '"GET /v2/.*"syscontainer/' "$T/plain/log")"
via HTTP_PROXY="http://127.0.0.1:$DEAD" REQUEST_METHOD=GET -- "$HTTPREF"
assert_eq "HTTP_PROXY in a CGI environment is ignored (httpoxy): direct, exit 0" "$rc" 0
assert_eq "in a CGI environment: nothing through the proxy" "$(through open)" ""

# ---------------------------------------------------------------- NO_PROXY
for np in "127.0.0.0/8:direct" "127.0.0.1:direct" "127.0.0.1:$PS:direct" "[::1],127.0.0.2/32:proxy" \
	"127.0.0.1:1:proxy" ".example.com,other:proxy" "*:direct"; do
	list=${np%:*} want=${np##*:}
	via HTTPS_PROXY="http://127.0.0.1:$PA" NO_PROXY="$list" -- --cert-dir "$T/certs" "$TLSREF"
	got=$(through open | grep -q CONNECT && echo proxy || echo direct)
	assert_eq "NO_PROXY=$list: $want, exit 0" "$got $rc" "$want 0"
done
via HTTPS_PROXY="http://127.0.0.1:$PA" no_proxy=localhost -- --cert-dir "$T/certs" "localhost:$PS/test/multi:t"
assert_eq "no_proxy=localhost: direct to localhost" "$(through open) $rc" " 0"

# ---------------------------------------------------------------- failures
use_checkout "$T/co-fail"
HTTPS_PROXY="http://127.0.0.1:$DEAD" expect_fail "a dead proxy is named, with its variable" 1 \
	"syscontainer: pull $TLSREF: GET https://127.0.0.1:$PS/v2/: proxy '127.0.0.1' port $DEAD (from HTTPS_PROXY): connect to '127.0.0.1' port $DEAD: Connection refused" \
	pull --cert-dir "$T/certs" "$TLSREF"
unchanged "dead proxy"
https_proxy="http://user:wrong-pw@127.0.0.1:$PB" expect_fail "refused proxy credentials: named, the password not shown" 1 \
	"syscontainer: pull $TLSREF: GET https://127.0.0.1:$PS/v2/: proxy '127.0.0.1' port $PB (from https_proxy) refused CONNECT to '127.0.0.1:$PS': HTTP 401" \
	pull --cert-dir "$T/certs" "$TLSREF"
ALL_PROXY="socks5://127.0.0.1:1080" expect_fail "a socks proxy in ALL_PROXY" 1 \
	"syscontainer: pull $TLSREF: GET https://127.0.0.1:$PS/v2/: ALL_PROXY: proxy scheme 'socks5' not supported (only http://)" \
	pull --cert-dir "$T/certs" "$TLSREF"
unchanged "proxy failures"

done_testing
