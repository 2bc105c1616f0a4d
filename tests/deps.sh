#!/bin/sh
# Install the real peers the tests drive when missing.  As root
# on Debian we install them; otherwise we name what is missing and stop.
#   tests/deps.sh            peers for `make check`
#   tests/deps.sh sanitize   Debian's -dev libraries and clang for SANITIZE=1
#   tests/deps.sh fuzz       clang with libFuzzer
set -eu
case ${1:-check} in
check)    pkgs="ostree skopeo umoci runc busybox-static file strace python3 util-linux attr openssl tinyproxy time docker-registry python3-jwt python3-cryptography python3-bcrypt curl systemd-container debootstrap procps podman iproute2 qemu-system-x86 e2fsprogs" ;;
sanitize) pkgs="clang libclang-rt-14-dev pkgconf libostree-dev libglib2.0-dev libmbedtls-dev zlib1g-dev libjsmn-dev" ;;
fuzz)     pkgs="clang libclang-rt-14-dev pkgconf libostree-dev libglib2.0-dev libmbedtls-dev zlib1g-dev libjsmn-dev" ;;
*) echo "usage: $0 [check|sanitize|fuzz]" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tests: missing packages; run as root: apt-get install$missing" >&2
	exit 1
fi
echo "tests: installing$missing" >&2
# Packages such as tinyproxy would start their daemons: the tests start
# their own instances, on their own ports, and stop them.
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && ours=1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$ours" ] && rm -f "$policy"
exit 0
