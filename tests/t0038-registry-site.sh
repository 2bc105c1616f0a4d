#!/bin/bash
# Issue 14, done when: a site whose /etc/containers/registries.conf mirrors
# docker.io to a local registry pulls `busybox` by its short name from the
# mirror, offline, with the credentials `podman login` stored, and no flag.
#
# The site is real but private to the test: a network namespace with only a
# loopback (no way to docker.io or to any DNS server), a mount namespace
# whose /etc/containers is the test's own directory (registries.conf and
# certs.d/HOST:PORT/ca.crt) and whose /run is a fresh tmpfs (podman login
# writes /run/containers/0/auth.json as root).  The mirror is docker-registry
# over TLS with htpasswd auth; its access log shows what it served.
if [ -z "${SC_IN_SITE:-}" ]; then
	if unshare -n -m true 2> /dev/null; then
		SC_IN_SITE=1 exec unshare -n -m --propagation private bash "$0" "$@"
	fi
	. "$(dirname "$0")/lib.sh"
	skip_or_fail "unshare -n -m (private network and mount namespaces) is not available"
	done_testing
	exit
fi
ip link set lo up
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
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR XDG_CONFIG_HOME DOCKER_CONFIG CONTAINERS_REGISTRIES_CONF
PW=site-secret-9
PM=$(free_port)
MIR=127.0.0.1:$PM

# --- the mirror: TLS from the site's CA, htpasswd ----------------------------
C=$T/pki
mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/ca.key" \
	-subj /CN=site-ca -days 30 -out "$C/ca.crt" 2> /dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/srv.key" \
	-subj /CN=mirror -out "$C/srv.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$C/srv.ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 30 \
	-extfile "$C/srv.ext" -out "$C/srv.crt" 2> /dev/null
"$PY" -c 'import bcrypt, sys; print("site:" + bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(5)).decode())' "$PW" > "$T/htpasswd"
start_registry mirror "$PM" "$T/data" "tls:
  certificate: $C/srv.crt
  key: $C/srv.key" "auth:
  htpasswd:
    realm: site
    path: $T/htpasswd" || { not_ok "start the mirror"; done_testing; exit 1; }
check "the mirror holds library/busybox:latest" push "oci:$fx/oci:multi" "$MIR/library/busybox:latest" \
	--dest-creds "site:$PW"

# --- the site's /etc/containers ------------------------------------------------
E=$T/etc-containers
mkdir -p "$E/certs.d/$MIR"
cp "$C/ca.crt" "$E/certs.d/$MIR/ca.crt"
cat > "$E/registries.conf" <<EOF
# This site reaches Docker Hub only through its mirror.
unqualified-search-registries = ["docker.io"]

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "$MIR"
EOF
mkdir -p /etc/containers
mount --bind "$E" /etc/containers
[ -e /var/cache/containers/short-name-aliases.conf ] &&
	mount --bind /dev/null /var/cache/containers/short-name-aliases.conf
check "the site's registries.conf is the one in /etc" cmp -s /etc/containers/registries.conf "$E/registries.conf"

echo "$PW" | podman --root "$T/storage" --runroot "$T/prun" --storage-driver vfs \
	login -u site --password-stdin "$MIR" > "$T/podman.out" 2>&1
check "podman login (TLS verified through certs.d) stored the credentials" \
	test -s /run/containers/0/auth.json

# --- the pull: a short name, no flag ---------------------------------------------
use_checkout "$T/checkout"
sc pull busybox
assert_eq "pull busybox: exit 0" "$rc" 0
assert_match "pull busybox: stored as Docker Hub's busybox" "$out" \
	"*Pulled docker.io/library/busybox:latest (IMAGE ID *): 3 layers stored, 0 skipped, *"
assert_eq "pull busybox: says what the short name became" "$errout" \
	"syscontainer: notice: 'busybox' is not fully qualified: pulling docker.io/library/busybox:latest (unqualified-search-registries ('/etc/containers/registries.conf' line 2))"
curl -sf --cacert "$C/ca.crt" -u "site:$PW" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"https://$MIR/v2/library/busybox/manifests/latest" > "$T/manifest"
mapfile -t blobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/manifest")
served=0
for b in "${blobs[@]}"; do served=$((served + $(blob_gets "$T/mirror/log" "$b"))); done
assert_eq "the mirror served every layer, once, to syscontainer" "$served" "${#blobs[@]}"
mapfile -t diffs < <(curl -sf --cacert "$C/ca.crt" -u "site:$PW" \
	"https://$MIR/v2/library/busybox/blobs/$(json_get 'd["config"]["digest"]' < "$T/manifest")" | json_get 'd["rootfs"]["diff_ids"]')
if rootfs "$T/root" "ociimage/${diffs[0]#sha256:}" "ociimage/${diffs[1]#sha256:}" "ociimage/${diffs[2]#sha256:}"; then
	assert_tree "the stored tree equals the image's" "$fx/multi.rootfs" "$T/root"
else
	not_ok "check out the stored layers"
fi
assert_eq "image ref: docker.io/library/busybox:latest" "$(image_refs)" "$(image_ref docker.io/library/busybox:latest)"
assert_eq "syscontainer.source: the name, not the mirror" \
	"$(meta_str "$(image_ref docker.io/library/busybox:latest)" syscontainer.source)" "docker://docker.io/library/busybox:latest"
assert_fsck "$R" "after the site pull"
sc -v pull busybox
assert_match "-v: the mirror served it; Docker Hub was never asked" "$errout" \
	"*trying $MIR/library/busybox:latest, mirror '$MIR' of 'docker.io' ('/etc/containers/registries.conf' line 8)*credentials for '$MIR' from '/run/containers/0/auth.json'*pulling from $MIR/library/busybox:latest over https*"
assert_eq "-v: no request to Docker Hub at all" "$(echo "$errout" | grep -c 'registry-1.docker.io')" 0

done_testing
