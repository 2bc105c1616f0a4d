#!/bin/bash
# Early boot with dracut, proven by booting: Debian's dracut 059, run in the
# target's own root (never the host's /boot), builds an initramfs with our
# module, opted in as the README says; qemu boots it with `ro` on the kernel
# command line.  Boot 1 installs the service and it runs; boot 2 says "up to
# date" and it runs again; a corrupt and a missing archive in the apply file
# fail their lines at every boot, logged, and never stop it.  Without the
# opt-in the module stays out of the initramfs.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/vm-lib.sh"

vm_sysroot
vm_install_product || { done_testing; exit 1; }
. "$top/tests/helpers/vm-target.sh"

# --- the initramfs -----------------------------------------------------------
DRACUT_ARGS="--force --no-hostonly --kver $VM_KVER"
DRACUT_ARGS="$DRACUT_ARGS -m 'systemd systemd-initrd dracut-systemd udev-rules rootfs-block fs-lib kernel-modules base'"
DRACUT_ARGS="$DRACUT_ARGS --drivers 'virtio_pci virtio_blk ext4 crc32c_generic'"
vm_chroot sh -c "dracut $DRACUT_ARGS --no-kernel /boot/plain.img && lsinitrd /boot/plain.img" > "$T/plain.log" 2>&1
assert_eq "not opted in: the module stays out" "$(grep -c -e syscontainer "$T/plain.log")" 0
echo 'add_dracutmodules+=" syscontainer "' > "$SYSROOT/etc/dracut.conf.d/90-syscontainer.conf"
start=$(date +%s)
vm_chroot sh -c "dracut $DRACUT_ARGS /boot/initrd.img" > "$T/dracut.log" 2>&1
rc=$?
assert_eq "dracut builds the initramfs: exit 0" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$T/dracut.log" | sed 's/^/#   /'
note "dracut took $(($(date +%s) - start)) s"
assert_eq "dracut: the missing archive is named when building" \
	"$(grep -o "syscontainer: '/usr/share/sctest/gone.tar'.*" "$T/dracut.log")" \
	"syscontainer: '/usr/share/sctest/gone.tar', named in '/etc/syscontainer/boot.conf', does not exist: its line will fail at boot"
vm_chroot lsinitrd /boot/initrd.img > "$T/lsinitrd.log" 2>&1
assert_eq "the initramfs holds the program, the file, the archives, the CA (no key), the hook" \
	"$(grep -o -e ' usr/bin/syscontainer$' -e ' etc/syscontainer/boot.conf$' -e ' usr/share/sctest/[a-z]*.tar$' \
		-e ' usr/lib/dracut/hooks/pre-pivot/50-pre-pivot.sh$' -e ' usr/lib/syscontainer-boot.sh$' \
		-e ' etc/containers/certs.d/.*' "$T/lsinitrd.log" | sort)" \
	" etc/containers/certs.d/registry.example:5000
 etc/containers/certs.d/registry.example:5000/ca.crt
 etc/syscontainer/boot.conf
 usr/bin/syscontainer
 usr/lib/dracut/hooks/pre-pivot/50-pre-pivot.sh
 usr/lib/syscontainer-boot.sh
 usr/share/sctest/bad.tar
 usr/share/sctest/web.tar"
mv "$SYSROOT/boot/initrd.img" "$T/initrd.img"
rm -f "$SYSROOT/boot/plain.img"
vm_disk "$T/disk.img"

# --- boot twice --------------------------------------------------------------------
# journal LOG: what dracut's pre-pivot service logged of apply, the info
# lines then the warnings (two streams: their order between them varies).
journal() {
	vm_lines "$1" | sed -n 's/^journal: //p' | grep syscontainer | grep -v -e '^syscontainer: Pulling layer' -e '^syscontainer: Stored layer' \
		-e '^syscontainer: Skipping layer' -e '^syscontainer: Pulled ' | sort -s -k1,1
}
vm_boot boot1 "$T/initrd.img" "$T/disk.img"
vm_expect_boot boot1 1
assert_eq "boot1: dracut's log: apply's lines through info, its errors through warn" "$(journal boot1)" \
"Warning: syscontainer: apply /etc/syscontainer/boot.conf:3: pull dockertar:/usr/share/sctest/bad.tar: $VM_BAD_ERR
Warning: syscontainer: apply /etc/syscontainer/boot.conf:4: pull dockertar:/usr/share/sctest/gone.tar: open '/usr/share/sctest/gone.tar': No such file or directory
Warning: syscontainer: apply /etc/syscontainer/boot.conf: 2 of 3 lines failed
Warning: syscontainer: apply exited with status 1 (the boot goes on; /run/syscontainer/boot.log has it all)
syscontainer: applying /etc/syscontainer/boot.conf to /sysroot
syscontainer: Extracting to /var/lib/containers/atomic/web.0
syscontainer: Claiming /var/lib/web/data (made by systemd-tmpfiles)
syscontainer: systemd is not running here: unit reload and tmpfiles happen at boot
syscontainer: web: installed docker.io/test/web:1 (IMAGE ID $VM_WEB_ID)"
assert_match "boot1: the warnings reach the console" "$(tr -d '\r' < "$T/boot1.console")" \
	"*dracut-pre-pivot*Warning: syscontainer: apply /etc/syscontainer/boot.conf: 2 of 3 lines failed*"
vm_boot boot2 "$T/initrd.img" "$T/disk.img"
vm_expect_boot boot2 2
assert_eq "boot2: dracut's log says up to date" "$(journal boot2)" \
"Warning: syscontainer: apply /etc/syscontainer/boot.conf:3: pull dockertar:/usr/share/sctest/bad.tar: $VM_BAD_ERR
Warning: syscontainer: apply /etc/syscontainer/boot.conf:4: pull dockertar:/usr/share/sctest/gone.tar: open '/usr/share/sctest/gone.tar': No such file or directory
Warning: syscontainer: apply /etc/syscontainer/boot.conf: 2 of 3 lines failed
Warning: syscontainer: apply exited with status 1 (the boot goes on; /run/syscontainer/boot.log has it all)
syscontainer: applying /etc/syscontainer/boot.conf to /sysroot
syscontainer: web: up to date"
note "whole test: $(($(date +%s) - vm_started)) s"
done_testing
