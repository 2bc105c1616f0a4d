#!/bin/bash
# The platform check: pull and install take an image whose config names
# another os/architecture than this machine's only when --platform says so,
# and install then warns that it will not run natively.  The refusal is one
# line naming both platforms and leaves the repository as it was.  Run for
# both architectures (`make check`, `make check-cross`): "ours" is the tested
# binary's, "other" the other one.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"

offline
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
R=$ROOT/var/lib/containers/atomic/.storage/ostree
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\n' > "$ROOT/usr/bin/runc" && chmod 755 "$ROOT/usr/bin/runc"
case $IMAGE_ARCH in
amd64) other=arm64 compat='"architecture": "386"' compat_name=linux/386 ;;
arm64) other=amd64 compat='"architecture": "arm", "variant": "v7"' compat_name=linux/arm/v7 ;;
*) other=amd64 compat= ;;
esac
ours=linux/$IMAGE_ARCH

# mk NAME CONFIG-KEYS: a one-layer docker-archive of test/NAME:1.
mk() {
	cat > "$T/$1.json" <<-SPEC
	{"config": {"config": {"Cmd": ["/hello"]}${2:+, $2}}, "layers": [[{"path": "hello", "data": "$1\n"}]]}
	SPEC
	"$PY" "$helpers/mkarchive.py" "$T/$1.tar" "test/$1:1" "$T/$1.json"
}
mk foreign "\"architecture\": \"$other\""
mk native ""
mk nameless '"architecture": "", "os": ""'
mk variant "\"variant\": \"$([ "$IMAGE_ARCH" = arm64 ] && echo v8 || echo v3)\""

# --- pull ---------------------------------------------------------------------
expect_fail "pull of another architecture's image: refused" 1 \
	"syscontainer: pull dockertar:$T/foreign.tar: the image is for linux/$other, this machine is $ours (--platform linux/$other takes it anyway)" \
	--root "$ROOT" pull "dockertar:$T/foreign.tar"
assert_eq "the refused pull stored nothing" "$(refs)" ""

sc --root "$ROOT" pull --platform "linux/$other" "dockertar:$T/foreign.tar"
assert_eq "--platform linux/$other takes it: exit 0" "$rc" 0
assert_match "--platform linux/$other takes it: pulled" "$out" "*Pulled docker.io/test/foreign:1 *"
assert_eq "--platform linux/$other takes it: no warning from pull" "$errout" ""

expect_fail "--platform naming another platform than the image's: refused" 1 \
	"syscontainer: pull dockertar:$T/native.tar: the image is for $ours, not linux/$other as --platform says" \
	--root "$ROOT" pull --platform "linux/$other" "dockertar:$T/native.tar"

for n in native nameless variant; do
	sc --root "$ROOT" --quiet pull "dockertar:$T/$n.tar"
	assert_eq "pull $n (this machine's, none named, or its variant): exit 0" "$rc" 0
done
if [ -n "$compat" ]; then
	mk compat "$compat"
	sc --root "$ROOT" --quiet pull "dockertar:$T/compat.tar"
	assert_eq "pull $compat_name on $ours (runs there, as containerd says): exit 0" "$rc" 0
fi

# --- install --------------------------------------------------------------------
expect_fail "install of the stored foreign image: refused" 1 \
	"syscontainer: install test/foreign:1: the image is for linux/$other, this machine is $ours (--platform linux/$other takes it anyway)" \
	--root "$ROOT" install test/foreign:1
check "the refused install wrote no unit" test ! -e "$ROOT/etc/systemd/system/foreign-1.service"

sc --root "$ROOT" install --platform "linux/$other" test/foreign:1
assert_eq "install --platform linux/$other: exit 0" "$rc" 0
assert_eq "install --platform linux/$other: warns it will not run natively" "$errout" \
	"syscontainer: warning: docker.io/test/foreign:1 is for linux/$other: it will not run natively on this machine"
check "install --platform linux/$other: the unit is written" test -f "$ROOT/etc/systemd/system/foreign-1.service"

sc --root "$ROOT" install test/native:1
assert_eq "install of this machine's image: exit 0" "$rc" 0
assert_eq "install of this machine's image: no warning" "$errout" ""
done_testing
