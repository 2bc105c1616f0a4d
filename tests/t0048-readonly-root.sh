#!/bin/bash
# A read-only target, as an initramfs hook or a board mounted `ro` meets it:
# every command that must write fails with one line naming the read-only
# mount and how to make it writable for the run, exit 1, nothing changed;
# what needs no write still works (apply that is up to date, images list).
# Twice: with /proc (a read-only bind mount of --root, found through
# mountinfo) and in a chroot without /proc (a read-only tmpfs at /sysroot,
# found by walking up the directories' devices).
[ -n "${SC_PRIVATE_MOUNTS:-}" ] ||
	SC_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/disk-lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip_or_fail "mounts need root"
	done_testing
	exit
fi
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
mkdir -p "$ROOT/usr/bin" "$T/img"
cp "$(command -v runc)" "$ROOT/usr/bin/runc"
for n in a b; do
	python3 "$top/tests/helpers/mkarchive.py" "$T/img/$n.tar" test/$n:1 /dev/stdin > /dev/null <<EOF
{"layers": [[{"path": "$n", "data": "$n"}]], "config": {"config": {"Cmd": ["/$n"]}}}
EOF
done
printf 'a dockertar:%s\n' "$T/img/a.tar" > "$T/boot.conf"
sc --root "$ROOT" apply "$T/boot.conf"
assert_eq "writable root: apply installs" "$rc" 0
sc --root "$ROOT" pull "dockertar:$T/img/b.tar"
assert_eq "writable root: pull b" "$rc" 0
sc --root "$ROOT" images delete test/b:1
assert_eq "writable root: b deleted again (its layer left for prune)" "$rc" 0

snapshot() { (cd "$1" && find . -printf '%p %M %s %T@\n' | sort); }
mount --bind "$ROOT" "$ROOT" && mount -o remount,bind,ro "$ROOT" && _disk_mounts="$ROOT $_disk_mounts"
check "the root is mounted read-only" sh -c "! touch '$ROOT/x' 2> /dev/null"
before=$(snapshot "$ROOT")
hint="($ROOT is mounted read-only: mount -o remount,rw $ROOT for the run)"

# verb, arguments, the message up to the hint
while IFS='|' read -r what args msg; do
	sc --root "$ROOT" $args
	assert_eq "read-only, $what: exit 1" "$rc" 1
	assert_match "read-only, $what: one line naming the mount" "$errout" "syscontainer: $msg*Read-only file system $hint"
done <<EOF
pull|pull dockertar:$T/img/b.tar|pull dockertar:$T/img/b.tar: *
install|install --name a2 test/a:1|install a2: *
uninstall|uninstall a|uninstall a: *
images prune|images prune|images prune: *
EOF
sc --root "$ROOT" apply "$T/boot.conf"
assert_eq "read-only, apply up to date: exit 0" "$rc" 0
assert_eq "read-only, apply up to date: says so" "$(echo "$out" | tail -1)" "a: up to date"
assert_eq "read-only, apply up to date: stderr" "$errout" ""
sc --root "$ROOT" images list --quiet
assert_eq "read-only, images list: exit 0" "$rc" 0
assert_eq "read-only: nothing changed" "$(snapshot "$ROOT")" "$before"
umount "$ROOT"
assert_fsck "$ROOT/var/lib/containers/atomic/.storage/ostree" "the repository after the read-only runs"

# The same without /proc: a chroot of busybox and the binary, the target a
# read-only tmpfs at /sysroot.
BB=/bin/busybox
if [ -n "${SANITIZE:-}" ]; then
	skip "an empty chroot needs the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
if ! file -L "$SC" | grep -q 'statically linked' || ! file -L "$BB" | grep -q 'statically linked'; then
	not_ok "the binary '$SC' and $BB must be statically linked"
	done_testing
	exit
fi
C=$T/initramfs
S=$C/sysroot
mkdir -p "$C/bin" "$C/images"
cp "$BB" "$C/bin/busybox"
ln -s busybox "$C/bin/sh"
cp "$SC" "$C/bin/syscontainer"
cp "$T/img/a.tar" "$T/img/b.tar" "$C/images/"
printf 'a dockertar:/images/a.tar\n' > "$C/boot.conf"
mount_tmpfs "$S" 64m
mkdir -p "$S/usr/bin" && cp "$(command -v runc)" "$S/usr/bin/runc"
in_chroot() {
	timeout 120 env -i PATH=/bin "$(command -v chroot || echo /usr/sbin/chroot)" "$C" \
		/bin/sh -c 'exec syscontainer "$@"' sh "$@" > "$T/.out" 2> "$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}
in_chroot --root /sysroot apply /boot.conf
assert_eq "no /proc, writable: apply installs" "$rc" 0
mount -o remount,ro "$S"
before=$(snapshot "$S")
in_chroot --root /sysroot pull dockertar:/images/b.tar
assert_eq "no /proc, read-only: pull exits 1" "$rc" 1
assert_match "no /proc, read-only: the hint names /sysroot" "$errout" \
	"syscontainer: pull dockertar:/images/b.tar: *Read-only file system (/sysroot is mounted read-only: mount -o remount,rw /sysroot for the run)"
in_chroot --root /sysroot apply /boot.conf
assert_eq "no /proc, read-only: apply up to date, exit 0" "$rc" 0
assert_eq "no /proc, read-only: apply says up to date" "$(echo "$out" | tail -1)" "a: up to date"
assert_eq "no /proc, read-only: nothing changed" "$(snapshot "$S")" "$before"
done_testing
