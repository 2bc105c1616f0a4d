#!/bin/bash
# Early boot with initramfs-tools (Debian's and Ubuntu's default), proven by
# booting: the target's own mkinitramfs (never the host's /boot) builds an
# initramfs with our hook, which joins in because the apply file exists;
# qemu boots it with `ro` on the kernel command line.  Boot 1 installs the
# service and it runs; boot 2 says "up to date" and it runs again; a
# corrupt and a missing archive in the apply file fail their lines at every
# boot, logged, and never stop it.  /var is a disk of its own, which the
# hook mounts for the run.  Without an apply file the hook adds nothing.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/vm-lib.sh"

vm_sysroot
vm_install_product || { done_testing; exit 1; }
mv "$SYSROOT/usr/local/bin/syscontainer" "$SYSROOT/usr/local/bin/syscontainer.keep"

# --- the initramfs -----------------------------------------------------------
# Only the modules this machine needs: a small image, built fast.
sed -i -e 's/^MODULES=.*/MODULES=list/' -e 's/^COMPRESS=.*/COMPRESS=gzip/' "$SYSROOT/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n' >> "$SYSROOT/etc/initramfs-tools/modules"
vm_chroot sh -c "mkinitramfs -o /boot/plain.img $VM_KVER && lsinitramfs /boot/plain.img" > "$T/plain.log" 2>&1
assert_eq "no apply file: the hook adds nothing (its script only)" \
	"$(grep -e syscontainer "$T/plain.log" | sort)" "scripts/init-bottom/syscontainer
scripts/syscontainer-boot"
mv "$SYSROOT/usr/local/bin/syscontainer.keep" "$SYSROOT/usr/local/bin/syscontainer"
. "$top/tests/helpers/vm-target.sh"
start=$(date +%s)
vm_chroot mkinitramfs -o /boot/initrd.img "$VM_KVER" > "$T/mkinitramfs.log" 2>&1
rc=$?
assert_eq "mkinitramfs builds the initramfs: exit 0" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$T/mkinitramfs.log" | sed 's/^/#   /'
note "mkinitramfs took $(($(date +%s) - start)) s"
assert_eq "mkinitramfs: the missing archive is named when building" "$(cat "$T/mkinitramfs.log")" \
	"W: syscontainer: '/usr/share/sctest/gone.tar', named in '/etc/syscontainer/boot.conf', cannot be copied: its line will fail at boot"
vm_chroot lsinitramfs /boot/initrd.img > "$T/lsinitramfs.log" 2>&1
assert_eq "the initramfs holds the program, the file, the archives, the CA (no key), the scripts" \
	"$(grep -e syscontainer -e sctest -e certs.d "$T/lsinitramfs.log" | sort)" \
	"etc/containers/certs.d
etc/containers/certs.d/registry.example:5000
etc/containers/certs.d/registry.example:5000/ca.crt
etc/syscontainer
etc/syscontainer/boot.conf
scripts/init-bottom/syscontainer
scripts/syscontainer-boot
usr/bin/syscontainer
usr/share/sctest
usr/share/sctest/bad.tar
usr/share/sctest/web.tar"
mv "$SYSROOT/boot/initrd.img" "$T/initrd.img"
rm -f "$SYSROOT/boot/plain.img"
# /var on a disk of its own, as fstab says: the hook must mount it, or apply
# would write beneath the mount point, where the booted system never looks.
mkdir "$T/var"
cp -a "$SYSROOT/var/." "$T/var/"
rm -rf "${SYSROOT:?}/var/"*
echo 'LABEL=var /var ext4 defaults,x-systemd.device-timeout=30s 0 2' >> "$SYSROOT/etc/fstab"
mkfs.ext4 -q -F -L var -d "$T/var" "$T/var.img" 512M > /dev/null
vm_disk "$T/disk.img"

# --- boot twice --------------------------------------------------------------------
# console LOG: what the init-bottom script said on the console.
console() {
	tr -d '\r' < "$T/$1.console" | grep -a -e '^syscontainer: ' -e '^Warning: syscontainer: ' |
		grep -v -e '^syscontainer: Pulling layer' -e '^syscontainer: Stored layer' -e '^syscontainer: Skipping layer' -e '^syscontainer: Pulled '
}
FAILED="Warning: syscontainer: apply /etc/syscontainer/boot.conf:3: pull dockertar:/usr/share/sctest/bad.tar: $VM_BAD_ERR
Warning: syscontainer: apply /etc/syscontainer/boot.conf:4: pull dockertar:/usr/share/sctest/gone.tar: open '/usr/share/sctest/gone.tar': No such file or directory
Warning: syscontainer: apply /etc/syscontainer/boot.conf: 2 of 3 lines failed
Warning: syscontainer: apply exited with status 1 (the boot goes on; /run/syscontainer/boot.log has it all)"
vm_boot boot1 "$T/initrd.img" "$T/disk.img" "$T/var.img"
vm_expect_boot boot1 1
assert_eq "boot1: the containers live on the /var disk" "$(vm_lines boot1 | sed -n 's/^checkout on //p')" /dev/vdb
assert_eq "boot1: nothing was written beneath the /var mount point" "$(vm_lines boot1 | sed -n 's/^beneath \/var: //p')" ""
assert_eq "boot1: the console: apply's lines, its errors as warnings" "$(console boot1)" \
"syscontainer: applying /etc/syscontainer/boot.conf to /root
syscontainer: Extracting to /var/lib/containers/atomic/web.0
syscontainer: Claiming /var/lib/web/data (made by systemd-tmpfiles)
syscontainer: systemd is not running here: unit reload and tmpfiles happen at boot
syscontainer: web: installed docker.io/test/web:1 (IMAGE ID $VM_WEB_ID)
$FAILED"
vm_boot boot2 "$T/initrd.img" "$T/disk.img" "$T/var.img"
vm_expect_boot boot2 2
assert_eq "boot2: the console says up to date" "$(console boot2)" \
"syscontainer: applying /etc/syscontainer/boot.conf to /root
syscontainer: web: up to date
$FAILED"
note "whole test: $(($(date +%s) - vm_started)) s"
done_testing
