# A Debian bookworm machine booted by qemu-system-x86_64 (TCG: no KVM is
# needed) from a real initramfs, for the early-boot tests.  Sourced by a
# test after lib.sh.  Checks what it needs (skipping or failing as lib.sh's
# skip_or_fail says), then defines:
#
#   vm_sysroot           $SYSROOT: an overlay of the cached root, for this
#                        test only (unmounted at exit)
#   vm_install_product   `make install` into a staging directory ($T/inst),
#                        checked, then copied into $SYSROOT: the hooks as a
#                        user gets them
#   vm_chroot CMD...     CMD in $SYSROOT with /proc, /dev, /tmp and the
#                        kernel's modules, in a private mount namespace:
#                        how the initramfs is built, with the sysroot's own
#                        dracut or mkinitramfs, never the host's
#   vm_disk IMG          an ext4 image of $SYSROOT (its root file system)
#   vm_boot NAME INITRD IMG...
#                        boot it from IMG (/dev/vda; more images are vdb...),
#                        `ro` on the command line, the serial console in
#                        $T/NAME.console; bounded by a timeout
#   vm_lines NAME        the console's "SCTEST: " lines, prefix removed
#
# Cached in $SC_TEST_CACHE (/var/cache/syscontainer-tests), outside the
# repository, built when missing, one builder at a time:
#   vm-kernel/VERSION    Debian's kernel package, unpacked (never installed)
#   vm-root-KEY          debootstrap'ed root: systemd, runc, udev, dracut-core
#                        and initramfs-tools (both may be installed together)
# Debian's mirror ($DEBIAN_MIRROR) is reached only to build the cache.

if [ -n "${SANITIZE:-}" ]; then
	skip "the VM boots the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
vm_need=
[ "$(id -u)" = 0 ] || vm_need="$vm_need root"
[ "$(uname -m)" = x86_64 ] || vm_need="$vm_need an-x86_64-host"
for c in qemu-system-x86_64 debootstrap mkfs.ext4 dpkg-deb apt-get unshare flock timeout; do
	command -v "$c" > /dev/null || vm_need="$vm_need $c"
done
file -L "$SC" 2>/dev/null | grep -q 'statically linked' || vm_need="$vm_need a-static-$SC"
if [ -n "$vm_need" ]; then
	skip_or_fail "booting a VM needs:$vm_need"
	done_testing
	exit
fi
vm_started=$(date +%s)

# --- the cache ---------------------------------------------------------------
VM_CACHE=${SC_TEST_CACHE:-/var/cache/syscontainer-tests}
VM_PKGS=systemd,systemd-sysv,udev,kmod,runc,busybox,initramfs-tools,dracut-core
VM_ROOT=$VM_CACHE/vm-root-$(echo "bookworm $VM_PKGS" | sha256sum | cut -c1-12)
mkdir -p "$VM_CACHE"

# vm_build_kernel: $VM_KVER, $VM_KERNEL (vmlinuz) and $VM_MODULES (the
# directory holding $VM_KVER/, depmod'ed by vm_depmod).
vm_build_kernel() {
	local pkg dir
	pkg=$(apt-cache depends linux-image-amd64 2> /dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
	[ -n "$pkg" ] || { note "apt-cache knows no linux-image-amd64 (apt-get update?)"; return 1; }
	dir=$VM_CACHE/vm-kernel/$pkg
	if [ ! -e "$dir/ready" ]; then
		note "fetching and unpacking $pkg into $dir"
		rm -rf "$dir" && mkdir -p "$dir" &&
			(cd "$dir" && apt-get download -q "$pkg" > "$T/kernel.log" 2>&1) &&
			dpkg-deb -x "$dir"/*.deb "$dir/x" && rm -f "$dir"/*.deb && touch "$dir/ready" ||
			return 1
	fi
	VM_KVER=$(ls "$dir/x/lib/modules")
	VM_KERNEL=$dir/x/boot/vmlinuz-$VM_KVER
	VM_MODULES=$dir/x/lib/modules
	[ -f "$VM_KERNEL" ] && [ -d "$VM_MODULES/$VM_KVER" ]
}

# The target: a minimal bookworm with systemd, runc, both initramfs
# builders; fstab for the virtio disk; modules come from the kernel's own
# directory, bound in while an initramfs is built.
vm_build_root() {
	[ -e "$VM_ROOT/.ready" ] && return 0
	note "building $VM_ROOT (debootstrap, a few minutes)"
	rm -rf "$VM_ROOT.tmp"
	debootstrap --variant=minbase --include="$VM_PKGS" bookworm "$VM_ROOT.tmp" \
		"${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$T/debootstrap.log" 2>&1 || return 1
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$VM_ROOT.tmp/etc/fstab"
	echo vm > "$VM_ROOT.tmp/etc/hostname"
	# the console is the test's: no login prompt writing over it
	ln -sf /dev/null "$VM_ROOT.tmp/etc/systemd/system/serial-getty@ttyS0.service"
	mkdir -p "$VM_ROOT.tmp/usr/lib/modules"
	rm -rf "$VM_ROOT.tmp/var/cache/apt/archives"/*.deb "$VM_ROOT.tmp/var/lib/apt/lists"/*_Packages
	touch "$VM_ROOT.tmp/.ready"
	rm -rf "$VM_ROOT" && mv "$VM_ROOT.tmp" "$VM_ROOT"
}

# The host may have no kmod: depmod is the target's.
vm_depmod() {
	[ -f "$VM_MODULES/$VM_KVER/modules.dep" ] && return 0
	unshare -m --propagation private sh -c 'mount --bind "$1" "$2/usr/lib/modules" &&
		exec chroot "$2" /sbin/depmod "$3"' sh "$VM_MODULES" "$VM_ROOT" "$VM_KVER"
}

(
	flock 9
	vm_build_kernel || exit 1
	vm_build_root || exit 2
	vm_depmod || exit 1
) 9> "$VM_CACHE/.vm.lock"
case $? in
1) skip_or_fail "Debian's kernel package could not be fetched into $VM_CACHE/vm-kernel"
   done_testing; exit ;;
2) tail -5 "$T/debootstrap.log" 2>/dev/null | sed 's/^/#   /'
   skip_or_fail "no VM root: debootstrap into $VM_ROOT failed (is Debian's mirror reachable?)"
   done_testing; exit ;;
esac
vm_build_kernel && [ -f "$VM_MODULES/$VM_KVER/modules.dep" ] ||
	{ not_ok "the cached kernel in $VM_CACHE/vm-kernel"; done_testing; exit 1; }
note "cache ready after $(($(date +%s) - vm_started)) s (kernel $VM_KVER)"

# --- this test's root ---------------------------------------------------------
SYSROOT=$T/sysroot
vm_overlay=
vm_cleanup() {
	if [ -n "$vm_overlay" ]; then
		umount "$SYSROOT" 2>/dev/null || umount -l "$SYSROOT"
		vm_overlay=
	fi
}
trap 'vm_cleanup; _cleanup' EXIT

vm_sysroot() {
	mkdir -p "$SYSROOT" "$T/upper" "$T/work"
	if mount -t overlay overlay -o "lowerdir=$VM_ROOT,upperdir=$T/upper,workdir=$T/work" "$SYSROOT"; then
		vm_overlay=1
	else
		note "overlayfs unavailable: copying the cached root"
		cp -a "$VM_ROOT/." "$SYSROOT/"
	fi
	# mkinitramfs reads the kernel's configuration
	cp "${VM_KERNEL%/*}/config-$VM_KVER" "$SYSROOT/boot/"
}

# What `make install` ships, staged, then put into the target as a package
# would put it.  The test fails here when an installed file is missing.
vm_install_product() {
	local got
	make -s -C "$top" install DESTDIR="$T/inst" PREFIX=/usr/local > "$T/install.log" 2>&1 ||
		{ not_ok "make install DESTDIR=..."; sed 's/^/#   /' "$T/install.log" | tail -5; return 1; }
	got=$(cd "$T/inst" && find . -type f -printf '%m %p\n' | grep -v -e /share/doc/ -e /man1/ | sort -k2)
	assert_eq "make install: the binary, its completion, the dracut module, the initramfs-tools hook" "$got" \
"755 ./usr/lib/dracut/modules.d/95syscontainer/module-setup.sh
755 ./usr/lib/dracut/modules.d/95syscontainer/pre-pivot.sh
644 ./usr/lib/dracut/modules.d/95syscontainer/syscontainer-boot.sh
755 ./usr/local/bin/syscontainer
644 ./usr/local/share/bash-completion/completions/syscontainer
755 ./usr/share/initramfs-tools/hooks/syscontainer
755 ./usr/share/initramfs-tools/scripts/init-bottom/syscontainer
644 ./usr/share/initramfs-tools/scripts/syscontainer-boot"
	cp -a "$T/inst/." "$SYSROOT/"
}

vm_chroot() {
	unshare -m --propagation private sh -c '
		r=$1 m=$2; shift 2
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
			mount -t tmpfs tmpfs "$r/tmp" && mount --bind "$m" "$r/usr/lib/modules" &&
			exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C chroot "$r" "$@"' \
		sh "$SYSROOT" "$VM_MODULES" "$@"
}

vm_disk() {
	rm -f "$1"
	mkfs.ext4 -q -F -L root -d "$SYSROOT" "$1" 2G > /dev/null
}

# The machine: no network, no display, the serial console to a file.  A
# boot to a powered-off machine takes 1-3 minutes under TCG.
VM_TIMEOUT=${SC_VM_TIMEOUT:-600}
vm_boot() {
	local name=$1 initrd=$2 start rc drives=
	shift 2
	for img in "$@"; do
		drives="$drives -drive file=$img,if=virtio,format=raw"
	done
	start=$(date +%s)
	# shellcheck disable=SC2086
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -machine pc -nodefaults -accel tcg,thread=multi \
		-smp 2 -m 1024 -display none -no-reboot -serial "file:$T/$name.console" \
		-kernel "$VM_KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 root=/dev/vda ro panic=-1 mitigations=off systemd.show_status=0" \
		$drives < /dev/null > "$T/$name.qemu" 2>&1
	rc=$?
	note "$name: qemu exit $rc after $(($(date +%s) - start)) s"
	[ "$rc" = 124 ] && note "$name: stopped by the $VM_TIMEOUT s timeout"
	return "$rc"
}

vm_lines() {
	tr -d '\r' < "$T/$1.console" | sed -n 's/^.*SCTEST: //p'
}
