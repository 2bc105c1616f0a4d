#!/bin/bash
# Issue 4, HTTPS: docker-registry with a certificate from a test CA (DNS
# localhost and IP 127.0.0.1), reached through both names with the CA from
# --cert-dir, a certs.d directory or the CA bundle of the --root target; an
# untrusted CA (the message says where a CA was looked for), a certificate
# for another name, --tls-verify=false, and client certificates.  Every
# failure leaves the repository unchanged.  The host's certs.d directories
# are only ever looked at for 127.0.0.1 and localhost on this test's own
# random ports, where nothing can be.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi

# ---------------------------------------------------------------- certificates
C=$T/pki
mkdir -p "$C" "$T/certs" "$T/certs-client" "$T/certs-wrongca"
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
# sign NAME CN EXT: NAME.crt for NAME.key, by the test CA
sign() {
	newkey "$C/$1.key"
	openssl req -new -key "$C/$1.key" -subj "/CN=$2" -out "$C/$1.csr" 2> /dev/null &&
		printf '%s\n' "$3" > "$C/$1.ext" &&
		openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
			-days 30 -extfile "$C/$1.ext" -out "$C/$1.crt" 2> /dev/null
}
newkey "$C/ca.key"
openssl req -x509 -new -key "$C/ca.key" -subj /CN=syscontainer-test-ca -days 30 -out "$C/ca.crt" 2> /dev/null
newkey "$C/other-ca.key"
openssl req -x509 -new -key "$C/other-ca.key" -subj /CN=another-ca -days 30 -out "$C/other-ca.crt" 2> /dev/null
if ! sign srv localhost "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth" || ! sign other other.example "subjectAltName=DNS:other.example
extendedKeyUsage=serverAuth" || ! sign client client "extendedKeyUsage=clientAuth"; then
	not_ok "make the test certificates with openssl"
	done_testing
	exit 1
fi
cp "$C/ca.crt" "$T/certs/ca.crt"
cp "$C/ca.crt" "$T/certs-client/ca.crt"
cp "$C/client.crt" "$T/certs-client/client.cert"
cp "$C/client.key" "$T/certs-client/client.key"
cp "$C/other-ca.crt" "$T/certs-wrongca/ca.crt"

P=$(free_port) P2=$(free_port)
start_registry reg "$P" "$T/data" "tls:
  certificate: $C/srv.crt
  key: $C/srv.key" || { not_ok "start the HTTPS registry"; done_testing; exit 1; }
check "push multi over HTTPS" push "oci:$fx/oci:multi" "127.0.0.1:$P/test/multi:t"
cfg=$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$P/test/multi:t" | json_get 'd["config"]["digest"]')

# ---------------------------------------------------------------- trusted
use_checkout "$T/checkout"
sc pull --cert-dir "$T/certs" "127.0.0.1:$P/test/multi:t"
assert_eq "by IP address, CA from --cert-dir: exit 0" "$rc" 0
assert_match "by IP address: pulled" "$out" "*Pulled 127.0.0.1:$P/test/multi:t (IMAGE ID ${cfg:7:12}): 3 layers stored, 0 skipped, *"
mapfile -t diffs < <(skopeo inspect --tls-verify=false --config "docker://127.0.0.1:$P/test/multi:t" | json_get 'd["rootfs"]["diff_ids"]')
if rootfs "$T/root" "ociimage/${diffs[0]#sha256:}" "ociimage/${diffs[1]#sha256:}" "ociimage/${diffs[2]#sha256:}"; then
	assert_tree "over HTTPS: the tree equals umoci unpack" "$fx/multi.rootfs" "$T/root"
else
	not_ok "over HTTPS: check out the layers"
fi
sc pull --cert-dir "$T/certs" "localhost:$P/test/multi:t"
assert_eq "by host name localhost: exit 0" "$rc" 0
assert_match "by host name: every layer already there" "$out" "*Pulled localhost:$P/test/multi:t (IMAGE ID ${cfg:7:12}): 0 layers stored, 3 skipped, 0 B"
assert_fsck "$R" "after the HTTPS pulls"

# certs.d of the target: --root ROOT looks in ROOT/etc/docker/certs.d too
TR=$T/target
use_checkout /co-certsd
mkdir -p "$TR/etc/docker/certs.d/localhost:$P"
cp "$C/ca.crt" "$TR/etc/docker/certs.d/localhost:$P/ca.crt"
sc --quiet --root "$TR" pull "localhost:$P/test/multi:t"
assert_eq "ROOT/etc/docker/certs.d/HOST:PORT/ca.crt trusted without --cert-dir: exit 0" "$rc" 0
bundle=$(ls /etc/ssl/certs/ca-certificates.crt 2> /dev/null)
trusted=${bundle:+the system bundle \'$bundle\'}
use_checkout /co-certsd-other
expect_fail "certs.d of another HOST:PORT does not apply; the message says where a CA was looked for" 1 \
	"syscontainer: pull 127.0.0.1:$P/test/multi:t: GET https://127.0.0.1:$P/v2/: certificate for '127.0.0.1' is not signed by a trusted CA (no CA for it in '$TR/etc/containers/certs.d/127.0.0.1:$P', '$TR/etc/docker/certs.d/127.0.0.1:$P', '/etc/containers/certs.d/127.0.0.1:$P', '/etc/docker/certs.d/127.0.0.1:$P'; trusted: ${trusted:-no system bundle}; put its CA in one of those directories or give --cert-dir DIR)" \
	--root "$TR" pull "127.0.0.1:$P/test/multi:t"
R=$TR/co-certsd-other/.storage/ostree
unchanged "certs.d of another HOST:PORT"

# the target's own CA bundle comes before the running system's
mkdir -p "$TR/etc/ssl/certs"
cat "$C/ca.crt" > "$TR/etc/ssl/certs/ca-certificates.crt"
use_checkout /co-bundle
sc --quiet --root "$TR" pull "127.0.0.1:$P/test/multi:t"
assert_eq "ROOT/etc/ssl/certs/ca-certificates.crt is the bundle under --root: exit 0" "$rc" 0
rm -r "$TR/etc/ssl"

use_checkout "$T/co-insecure"
sc --quiet pull --tls-verify=false "localhost:$P/test/multi:t"
assert_eq "--tls-verify=false: no CA needed" "$rc" 0
sc --quiet pull "http:localhost:$P/test/multi:t"
assert_eq "http: prefix over HTTPS: no CA needed either" "$rc" 0

# ---------------------------------------------------------------- untrusted
use_checkout "$T/co-fail"
for via in 127.0.0.1 localhost; do
	expect_fail "untrusted CA via $via" 1 \
		"syscontainer: pull $via:$P/test/multi:t: GET https://$via:$P/v2/: certificate for '$via' is not signed by a trusted CA (no CA for it in '/etc/containers/certs.d/$via:$P', '/etc/docker/certs.d/$via:$P'; trusted: ${trusted:-no system bundle}; put its CA in one of those directories or give --cert-dir DIR)" \
		pull "$via:$P/test/multi:t"
	unchanged "untrusted CA via $via"
done
expect_fail "a CA that did not sign it (--cert-dir)" 1 \
	"syscontainer: pull localhost:$P/test/multi:t: GET https://localhost:$P/v2/: certificate for 'localhost' is not signed by a trusted CA (trusted: the CAs in --cert-dir '$T/certs-wrongca' and ${trusted:-no system bundle})" \
	pull --cert-dir "$T/certs-wrongca" "localhost:$P/test/multi:t"
expect_fail "--cert-dir that does not exist" 1 \
	"syscontainer: pull localhost:$P/test/multi:t: certificate directory '$T/nonexistent': No such file or directory" \
	pull --cert-dir "$T/nonexistent" "localhost:$P/test/multi:t"

start_registry reg-other "$P2" "$T/data" "tls:
  certificate: $C/other.crt
  key: $C/other.key" || not_ok "start the registry with a certificate for another name"
for via in 127.0.0.1 localhost; do
	expect_fail "hostname mismatch via $via" 1 \
		"syscontainer: pull $via:$P2/test/multi:t: GET https://$via:$P2/v2/: certificate for '$via' does not match: it is for 'other.example'" \
		pull --cert-dir "$T/certs" "$via:$P2/test/multi:t"
	unchanged "hostname mismatch via $via"
done

# ---------------------------------------------------------------- client certificates
P3=$(free_port)
start_registry reg-mtls "$P3" "$T/data" "tls:
  certificate: $C/srv.crt
  key: $C/srv.key
  clientcas:
    - $C/ca.crt" || not_ok "start the registry that wants client certificates"
use_checkout "$T/co-mtls"
sc --quiet pull --cert-dir "$T/certs-client" "localhost:$P3/test/multi:t"
assert_eq "client certificate from --cert-dir (client.cert + client.key): exit 0" "$rc" 0
use_checkout "$T/co-mtls-fail"
sc pull --cert-dir "$T/certs" "localhost:$P3/test/multi:t"
assert_eq "no client certificate: exit 1" "$rc" 1
assert_match "no client certificate: says so" "$errout" \
	"syscontainer: pull localhost:$P3/test/multi:t: GET https://localhost:$P3/v2/: tls handshake with 'localhost': the server requires a client certificate and none is configured: *"
unchanged "no client certificate"
rm "$T/certs-client/client.key"
expect_fail "a client certificate without its key" 1 \
	"syscontainer: pull localhost:$P3/test/multi:t: client certificate '$T/certs-client/client.cert' has no key '$T/certs-client/client.key'" \
	pull --cert-dir "$T/certs-client" "localhost:$P3/test/multi:t"

done_testing
