#!/bin/bash
# apply where a hook runs it: a chroot holding nothing but busybox-static,
# our static binary, an apply file and an archive -- no /etc, /proc, /dev or
# /tmp -- settles the file on the real root mounted at /sysroot: installed
# on the first run, "up to date" with nothing written on the second.
# Inside an initramfs (/etc/initrd-release) apply without --root refuses,
# writing nothing.
. "$(dirname "$0")/lib.sh"

BB=/bin/busybox
if [ "$(id -u)" != 0 ]; then
	skip_or_fail "chroot needs root"
	done_testing
	exit
fi
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
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)

C=$T/initramfs
S=$C/sysroot
mkdir -p "$C/bin" "$C/images" "$S/usr/bin"
cp "$BB" "$C/bin/busybox"
ln -s busybox "$C/bin/sh"
cp "$SC" "$C/bin/syscontainer"
cp "$(command -v runc)" "$S/usr/bin/runc"
cat > "$T/early.json" <<EOF
{"config": {"config": {"Cmd": ["/bin/sh", "-c", "echo early"]}},
 "layers": [[{"path": "bin/", "dir": true}, {"path": "bin/busybox", "from": "$BB", "mode": 493},
             {"path": "bin/sh", "symlink": "busybox"}]]}
EOF
python3 "$top/tests/helpers/mkarchive.py" "$C/images/early.tar" test/early:1 "$T/early.json"
printf '# what this machine runs\nearly dockertar:/images/early.tar --set MOTD=hi\n' > "$C/boot.conf"
assert_eq "the chroot has no /etc, /proc, /dev or /tmp" "$(ls "$C" | tr '\n' ' ')" "bin boot.conf images sysroot "

BOOTID=0123456789abcdef0123456789abcdef
in_chroot() {
	timeout 120 env -i PATH=/bin OSTREE_BOOTID=$BOOTID "$CHROOT" "$C" /bin/sh -c 'exec syscontainer "$@"' sh "$@" \
		> "$T/.out" 2> "$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}
snapshot() { (cd "$S" && find . -path ./var/lib/containers/atomic/.storage/ostree -prune -o -printf '%p %M %s %T@\n' | sort); }

in_chroot --root /sysroot apply /boot.conf
assert_eq "first run: exit 0" "$rc" 0
assert_eq "first run: stderr" "$errout" ""
assert_match "first run: installed" "$out" "*Extracting to /var/lib/containers/atomic/early.0
systemd is not running here: unit reload and tmpfiles happen at boot
early: installed docker.io/test/early:1 (IMAGE ID *)"
check "the unit is on the target" test -f "$S/etc/systemd/system/early.service"
assert_eq "enabled on the target" "$(readlink "$S/etc/systemd/system/multi-user.target.wants/early.service")" \
	/etc/systemd/system/early.service
before=$(snapshot)
in_chroot --root /sysroot apply /boot.conf
assert_eq "second run: exit 0" "$rc" 0
assert_eq "second run: up to date" "$(echo "$out" | tail -1)" "early: up to date"
assert_eq "second run: nothing written on the target" "$(snapshot)" "$before"
assert_fsck "$S/var/lib/containers/atomic/.storage/ostree" "the repository the chroot wrote"

mkdir "$C/etc"
echo 'NAME="test initramfs"' > "$C/etc/initrd-release"
all() { (cd "$C" && find . -printf '%p %y %s %T@\n' | sort); }
before=$(all)
in_chroot apply /boot.conf
assert_eq "initramfs, no --root: exit 1" "$rc" 1
assert_eq "initramfs, no --root: message" "$errout" "syscontainer: apply /boot.conf: running inside an initramfs: give --root (the units would be enabled inside the initramfs)"
assert_eq "initramfs, no --root: nothing written" "$(all)" "$before"
in_chroot apply --list-files /boot.conf
assert_eq "initramfs, --list-files needs no --root" "$out" /images/early.tar
done_testing
