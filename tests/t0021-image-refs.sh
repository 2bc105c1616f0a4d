#!/bin/bash
# Issue 19: image references read as Docker reads them, end to end.  An
# upper-case one-word host without a port (LOCALDOMAIN) is a registry, and a
# real one answers there; a bare 64-hex name is refused as an image ID while
# the lookups take IDs first; the 255-byte limit is on the normalised path;
# a pull by NAME:TAG@sha256:... is shown pinned by images list --no-trunc and
# images info (text and JSON), and only for the name that was pulled so.
#
# Runs in network and mount namespaces of its own: only loopback is up, and
# /etc/hosts and /etc/resolv.conf are replaced (privately) so that
# LOCALDOMAIN is 127.0.0.1 and nothing can reach docker.io.
if [ -z "${SC_T0021_NS:-}" ] && unshare -n -m true 2> /dev/null; then
	SC_T0021_NS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if [ -z "${SC_T0021_NS:-}" ]; then
	skip_or_fail "unshare -n -m (network and mount namespaces) is not available"
	done_testing
	exit
fi
# Loopback up (what `ip link set lo up` does, with no iproute2 needed).
"$PY" -c '
import fcntl, socket, struct
s = socket.socket()
flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))  # SIOC[GS]IFFLAGS, IFF_UP
' || { not_ok "bring loopback up in the test's network namespace"; done_testing; exit 1; }
printf '127.0.0.1 localhost LOCALDOMAIN localdomain\n::1 localhost\n' > "$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$T/resolv.conf"
mount --bind "$T/hosts" /etc/hosts && mount --bind "$T/resolv.conf" /etc/resolv.conf ||
	{ not_ok "replace /etc/hosts and /etc/resolv.conf in the test's mount namespace"; done_testing; exit 1; }
# The host's credentials are never read; its certs.d directories are only
# looked at for this test's own random ports, where nothing can be.
export HOME=$T/home
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR

H64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
bad_ref() { echo "invalid image reference '$1': $2"; }

# ---------------------------------------------------------------- refused
expect_fail "pull of a bare 64-hex name" 2 \
	"syscontainer: pull: $(bad_ref "$H64" "looks like an image ID (64 hex digits), not a repository name")" \
	pull "$H64"
expect_fail "the same through docker://" 2 \
	"syscontainer: pull: $(bad_ref "docker://$H64" "looks like an image ID (64 hex digits), not a repository name")" \
	pull "docker://$H64"
expect_fail "a bare 64-hex name as a tag's target" 2 \
	"syscontainer: images tag: $(bad_ref "$H64" "looks like an image ID (64 hex digits), not a repository name")" \
	images tag busybox "$H64"
expect_fail "an upper-case first word that is no host is a path, not lower case" 2 \
	"syscontainer: pull: $(bad_ref My_Org/app "repository name must be lowercase")" pull My_Org/app
long=$(printf 'p%.0s' $(seq 248))
expect_fail "a Hub name of 248 bytes is 256 with library/ (the quote is cut at 200)" 2 \
	"syscontainer: pull: $(bad_ref "${long:0:200}..." "repository path longer than 255 bytes (with 'library/')")" \
	pull "$long"
check "nothing refused created a repository" test ! -e "$T/checkout"

# ---------------------------------------------------------------- a registry at LOCALDOMAIN
if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
C=$T/pki
mkdir -p "$C" "$T/certs"
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
newkey "$C/ca.key" && newkey "$C/srv.key" &&
	openssl req -x509 -new -key "$C/ca.key" -subj /CN=t0021-ca -days 2 -out "$C/ca.crt" 2> /dev/null &&
	openssl req -new -key "$C/srv.key" -subj /CN=localdomain -out "$C/srv.csr" 2> /dev/null &&
	printf 'subjectAltName=DNS:localdomain,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$C/srv.ext" &&
	openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
		-days 2 -extfile "$C/srv.ext" -out "$C/srv.crt" 2> /dev/null ||
	{ not_ok "make the registry's certificate"; done_testing; exit 1; }
cp "$C/ca.crt" "$T/certs/ca.crt"
# No port in the name: HTTPS on 443, which only a namespace of our own frees.
start_registry reg 443 "$T/reg-data" "tls:
  certificate: $C/srv.crt
  key: $C/srv.key" || { not_ok "start docker-registry on 127.0.0.1:443"; done_testing; exit 1; }
check "push multi as test/pin:1.0" push "oci:$fx/oci:multi" "127.0.0.1:443/test/pin:1.0"
check "push shared as test/pin:2.0" push "oci:$fx/oci:shared" "127.0.0.1:443/test/pin:2.0"
manifest() {
	curl -sf --cacert "$C/ca.crt" -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
		"https://127.0.0.1/v2/test/pin/manifests/$1"
}
D1=sha256:$(manifest 1.0 | sha256 -)
D2=sha256:$(manifest 2.0 | sha256 -)
ID1=$(manifest 1.0 | json_get 'd["config"]["digest"]')
ID2=$(manifest 2.0 | json_get 'd["config"]["digest"]')
assert_match "fixture: two images, two manifest digests" "$D1 $D2 $ID1" "sha256:* sha256:* sha256:*"
check "fixture: the digests differ" test "$D1" != "$D2"
use_checkout "$T/checkout"
sc pull --cert-dir "$T/certs" "LOCALDOMAIN/test/pin:1.0@$D1"
assert_eq "pull LOCALDOMAIN/test/pin:1.0@DIGEST: exit 0" "$rc" 0
assert_match "pulled from the one-word host, stored as NAME:TAG" "$out" \
	"*Pulled LOCALDOMAIN/test/pin:1.0 (IMAGE ID ${ID1:7:12}): 3 layers stored, 0 skipped, *"
assert_eq "the manifest was asked for by digest, at LOCALDOMAIN" \
	"$(grep -c "\"GET /v2/test/pin/manifests/$D1 " "$T/reg/log")" 1
assert_eq "the source recorded is the pinned reference" \
	"$(meta_str "$(image_ref LOCALDOMAIN/test/pin:1.0)" syscontainer.source)" \
	"docker://LOCALDOMAIN/test/pin:1.0@$D1"

# The same word in lower case is a Docker Hub namespace: no host of ours.
sc pull --cert-dir "$T/certs" "localdomain/test/pin:1.0"
assert_eq "lower-case localdomain/...: exit 1" "$rc" 1
assert_match "lower-case localdomain/... goes to Docker Hub (unreachable here)" "$errout" \
	"syscontainer: pull localdomain/test/pin:1.0: GET https://registry-1.docker.io/v2/: *"

# ---------------------------------------------------------------- shown pinned
row() { echo "$out" | awk -v r="$1" '$1 == r {print $1, $2, $3, $NF}'; }
sc images list
assert_eq "list: the default view shows the tag alone" "$(row LOCALDOMAIN/test/pin)" \
	"LOCALDOMAIN/test/pin 1.0 ${ID1:7:12} system"
sc images list --no-trunc
assert_eq "list --no-trunc: the tag shows the digest it was pulled by" "$(row LOCALDOMAIN/test/pin)" \
	"LOCALDOMAIN/test/pin 1.0@$D1 $ID1 system"
sc images list --json
assert_eq "list --json: pinned_digest" "$(echo "$out" | json_get \
	'[" ".join((x["name"], x["repository"], x["tag"], x["pinned_digest"], x["manifest_digest"])) for x in d]')" \
	"LOCALDOMAIN/test/pin:1.0 LOCALDOMAIN/test/pin 1.0 $D1 $D1"
sc images info LOCALDOMAIN/test/pin:1.0
assert_eq "info: the image line shows the pin" "$(echo "$out" | head -3)" \
	"Image:      LOCALDOMAIN/test/pin:1.0@$D1
IMAGE ID:   $ID1
Manifest:   $D1"
sc images info --json LOCALDOMAIN/test/pin:1.0
assert_eq "info --json: name and pinned_digest" \
	"$(echo "$out" | json_get '" ".join((d["name"], d["pinned_digest"], d["id"]))')" \
	"LOCALDOMAIN/test/pin:1.0 $D1 $ID1"
sc images info "LOCALDOMAIN/test/pin:1.0@$D1"
assert_eq "info NAME:TAG@DIGEST finds the pinned image" "$rc/$(echo "$out" | head -1)" \
	"0/Image:      LOCALDOMAIN/test/pin:1.0@$D1"
expect_fail "info NAME:TAG@ANOTHER-DIGEST: not this image" 1 \
	"syscontainer: images info LOCALDOMAIN/test/pin:1.0@$D2: no such image (LOCALDOMAIN/test/pin:1.0 is another digest)" \
	images info "LOCALDOMAIN/test/pin:1.0@$D2"

# A second name for it is not pinned: the digest belongs to the name pulled.
sc images tag LOCALDOMAIN/test/pin:1.0 local/copy:1
sc images list --no-trunc
assert_eq "a tag of the pinned image is not pinned" "$(row local/copy)" "local/copy 1 $ID1 system"
sc images info local/copy:1
assert_eq "info of the tag: no digest" "$(echo "$out" | head -1)" "Image:      docker.io/local/copy:1"
sc images delete local/copy:1

# By digest alone: no tag to show.
sc --quiet pull --cert-dir "$T/certs" "LOCALDOMAIN/test/pin@$D2"
assert_eq "pull by digest alone: exit 0" "$rc" 0
sc images list
assert_eq "list: a digest-only name has no tag" "$(echo "$out" | awk '$1 == "LOCALDOMAIN/test/pin" {print $2, $3}' | sort)" \
	"1.0 ${ID1:7:12}
<none> ${ID2:7:12}"
sc images list --no-trunc
assert_eq "list --no-trunc: <none>@DIGEST" "$(echo "$out" | awk -v i="$ID2" '$3 == i {print $1, $2}')" \
	"LOCALDOMAIN/test/pin <none>@$D2"
sc images info "LOCALDOMAIN/test/pin@$D2"
assert_eq "info: the digest-only name, once" "$(echo "$out" | head -1)" "Image:      LOCALDOMAIN/test/pin@$D2"
sc images list --json
assert_eq "list --json: a digest-only name has tag \"\" and its pin" "$(echo "$out" | json_get \
	'[x["tag"] + "|" + x["pinned_digest"] for x in d if x["id"] == "'"$ID2"'"]')" "|$D2"

# Pulled again by tag alone, the name is no longer pinned.
sc --quiet pull --cert-dir "$T/certs" LOCALDOMAIN/test/pin:1.0
sc images list --no-trunc
assert_eq "pulled again by tag: not pinned any more" "$(row LOCALDOMAIN/test/pin | grep " 1.0")" \
	"LOCALDOMAIN/test/pin 1.0 $ID1 system"
sc images info "LOCALDOMAIN/test/pin:1.0@$D1"
assert_eq "NAME:TAG@DIGEST still finds it: its manifest has that digest" "$rc" 0

# ---------------------------------------------------------------- IDs first
sc images info "${ID1#sha256:}"
assert_eq "info by the full 64-hex ID: exit 0" "$rc/$(echo "$out" | sed -n 2p)" "0/IMAGE ID:   $ID1"
expect_fail "info of an unknown 64-hex ID: no such image, not a usage error" 1 \
	"syscontainer: images info $H64: no such image" images info "$H64"
expect_fail "delete of an unknown 64-hex ID: the same" 1 \
	"syscontainer: images delete $H64: no such image" images delete "$H64"
assert_fsck "$R" "after the pulls"

# ---------------------------------------------------------------- install
# Under --root (no systemd, nothing run): install takes IDs first too, and
# a pinned reference whose NAME:TAG is stored at another digest is pulled.
ROOT=$T/root
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$T/runc-state" > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
rs() { sc --root "$ROOT" "$@"; }
R=$ROOT/var/lib/containers/atomic/.storage/ostree
rs --quiet pull --cert-dir "$T/certs" LOCALDOMAIN/test/pin:2.0
rs images tag LOCALDOMAIN/test/pin:2.0 LOCALDOMAIN/test/pin:1.0
assert_eq "fixture: LOCALDOMAIN/test/pin:1.0 names the other image" "$rc/$(rev "$(image_ref LOCALDOMAIN/test/pin:1.0)")" \
	"0/$(rev "$(image_ref LOCALDOMAIN/test/pin:2.0)")"
rs install --cert-dir "$T/certs" --name pinned "LOCALDOMAIN/test/pin:1.0@$D1"
assert_eq "install NAME:TAG@DIGEST over NAME:TAG at another digest: exit 0" "$rc" 0
assert_match "it pulls the pinned image rather than take what NAME:TAG is" "$out" \
	"*Pulled LOCALDOMAIN/test/pin:1.0 (IMAGE ID ${ID1:7:12}): 2 layers stored, 1 skipped, *"
assert_eq "the container pins the image of that digest" "$(rev syscontainer/deploy/pinned.0)" \
	"$(rev "$(image_ref LOCALDOMAIN/test/pin:1.0)")"
rs images info --json LOCALDOMAIN/test/pin:1.0
assert_eq "and that image is shown pinned" "$(echo "$out" | json_get '" ".join((d["id"], d["pinned_digest"]))')" "$ID1 $D1"
rs install "${ID2#sha256:}"
assert_eq "install by 64-hex IMAGE ID: exit 0, nothing pulled" "$rc/$(echo "$out" | grep -c Pulled)" "0/0"
assert_eq "the default name comes from the image's name" "$(echo "$out" | head -1)" \
	"Extracting to /var/lib/containers/atomic/pin-2.0.0"
assert_eq "the container pins the image of that ID" "$(rev syscontainer/deploy/pin-2.0.0)" \
	"$(rev "$(image_ref LOCALDOMAIN/test/pin:2.0)")"
expect_fail "install of an unknown 64-hex ID: no such image, nothing pulled" 1 \
	"syscontainer: install $H64: no such image" \
	--root "$ROOT" install "$H64"
expect_fail "install of an unknown sha256: ID: the same, never a Hub name" 1 \
	"syscontainer: install sha256:$H64: no such image" \
	--root "$ROOT" install "sha256:$H64"
assert_fsck "$R" "after the installs"
done_testing
