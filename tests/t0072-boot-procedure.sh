#!/bin/bash
# The early-boot procedure both hooks source (src/boot/syscontainer-boot.sh),
# run by busybox's sh in a chroot laid out as an initramfs, against a real
# root mounted read-only at /sysroot, every case in seconds (the VM tests
# boot it for real, but only on its good path): it makes the root writable
# for the run and read-only again; rd.syscontainer=0 skips it;
# rd.syscontainer.timeout bounds a run that hangs; a /var the root's fstab
# lists but that cannot be mounted, a missing program or file, or no root
# at all: nothing applied, said through WARN, and it always returns 0.
. "$(dirname "$0")/lib.sh"

BB=/bin/busybox
if [ "$(id -u)" != 0 ]; then
	skip_or_fail "mounts and chroot need root"
	done_testing
	exit
fi
if [ -n "${SANITIZE:-}" ]; then
	skip "the chroot needs the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
if ! file -L "$SC" | grep -q 'statically linked' || ! file -L "$BB" | grep -q 'statically linked'; then
	not_ok "the binary '$SC' and $BB must be statically linked"
	done_testing
	exit
fi
# Everything below in a mount namespace of its own: every mount goes with it.
if [ -z "${SC_T0072_NS:-}" ]; then
	rm -rf "$T"
	trap - EXIT
	exec unshare -m --propagation private env SC_T0072_NS=1 bash "$0"
fi
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)
C=$T/initramfs
# The mounts go before the files do.
trap 'umount -R "$C/proc" "$C/run" 2>/dev/null; umount "$C/sysroot" 2>/dev/null; _cleanup' EXIT

mkdir -p "$C/bin" "$C/usr/bin" "$C/lib" "$C/etc/syscontainer" "$C/images" "$C/proc" "$C/run" "$C/sysroot"
cp "$BB" "$C/bin/busybox"
for a in $("$BB" --list); do
	[ -e "$C/bin/$a" ] || ln -s busybox "$C/bin/$a"
done
cp "$SC" "$C/usr/bin/syscontainer"
cp "$top/src/boot/syscontainer-boot.sh" "$C/lib/syscontainer-boot.sh"
cat > "$T/web.json" <<EOF
{"config": {"config": {"Cmd": ["/bin/sh"]}},
 "layers": [[{"path": "bin/", "dir": true}, {"path": "bin/busybox", "from": "$BB", "mode": 493}]]}
EOF
python3 "$top/tests/helpers/mkarchive.py" "$C/images/web.tar" test/web:1 "$T/web.json"
echo 'web dockertar:/images/web.tar' > "$C/etc/syscontainer/boot.conf"
mount -t proc proc "$C/proc"
echo "console=ttyS0 root=/dev/vda ro" > "$T/cmdline"
mount --bind "$T/cmdline" "$C/proc/cmdline"
mount -t tmpfs run "$C/run"
mount -t tmpfs sysroot "$C/sysroot"
mkdir -p "$C/sysroot/usr/bin" "$C/sysroot/etc"
printf '#!/bin/sh\nexit 0\n' > "$C/sysroot/usr/bin/runc" && chmod 755 "$C/sysroot/usr/bin/runc"
mount -o remount,ro "$C/sysroot"

# boot [CMDLINE]: the hook's call, INFO and WARN printing "I: " and "W: "
# lines; then the root's mount options.  Sets $out.
boot() {
	[ -n "${1:-}" ] && echo "console=ttyS0 root=/dev/vda ro $1" > "$T/cmdline"
	out=$(timeout 120 env -i PATH=/bin OSTREE_BOOTID=0123456789abcdef0123456789abcdef "$CHROOT" "$C" /bin/sh -c '
		info() { echo "I: $*"; }
		warn() { echo "W: $*"; }
		. /lib/syscontainer-boot.sh
		syscontainer_boot /sysroot info warn
		echo "returned $?"
		sed -n "s/^[^ ]* \/sysroot [^ ]* \([a-z]*\),.*/root \1/p" /proc/mounts' 2>&1)
	echo "console=ttyS0 root=/dev/vda ro" > "$T/cmdline"
}
files() { (cd "$C/sysroot" && find . -printf '%p %s\n' | sort); }

# --- the good path: writable for the run, read-only again --------------------------
boot
assert_eq "first boot: installed, the root read-only again" "$(echo "$out" | grep -v -e 'layer' -e 'Pulled')" \
"I: syscontainer: applying /etc/syscontainer/boot.conf to /sysroot
I: syscontainer: Extracting to /var/lib/containers/atomic/web.0
I: syscontainer: systemd is not running here: unit reload and tmpfiles happen at boot
I: syscontainer: web: installed docker.io/test/web:1 (IMAGE ID $(sed -n 's/.*(IMAGE ID \([0-9a-f]*\)).*/\1/p' "$C/run/syscontainer/boot.log" | head -1))
returned 0
root ro"
check "the unit is on the root" test -f "$C/sysroot/etc/systemd/system/web.service"
assert_eq "the log in /run has apply's output" "$(tail -1 "$C/run/syscontainer/boot.log")" \
	"web: installed docker.io/test/web:1 (IMAGE ID $(sed -n 's/.*(IMAGE ID \([0-9a-f]*\)).*/\1/p' "$C/run/syscontainer/boot.log" | head -1))"
before=$(files)
boot
assert_eq "second boot: up to date" "$(echo "$out" | grep -v -e 'layer' -e 'Pulled')" \
"I: syscontainer: applying /etc/syscontainer/boot.conf to /sysroot
I: syscontainer: web: up to date
returned 0
root ro"

# --- skipped, bounded ----------------------------------------------------------------
boot rd.syscontainer=0
assert_eq "rd.syscontainer=0: skipped" "$out" "I: syscontainer: skipped (rd.syscontainer=0)
returned 0
root ro"
boot "rd.syscontainer=1 rd.syscontainer=off"
assert_eq "the last rd.syscontainer= counts" "$(echo "$out" | head -1)" "I: syscontainer: skipped (rd.syscontainer=0)"
# an archive nobody ever writes (a FIFO): the run hangs and is stopped at
# the bound, as one waiting on a registry would be (busybox's timeout: the
# shell says "Terminated", the status is TERM's)
mkfifo "$C/images/never.tar"
cp "$C/etc/syscontainer/boot.conf" "$T/good.conf"
echo "never dockertar:/images/never.tar" >> "$C/etc/syscontainer/boot.conf"
start=$(date +%s)
boot rd.syscontainer.timeout=3
assert_eq "rd.syscontainer.timeout: the run is stopped, the boot goes on" "$(echo "$out" | grep -v -e 'layer' -e 'Pulled')" \
"I: syscontainer: applying /etc/syscontainer/boot.conf to /sysroot
I: syscontainer: web: up to date
I: syscontainer: Terminated
W: syscontainer: apply stopped after 3 s (rd.syscontainer.timeout)
W: syscontainer: apply exited with status 143 (the boot goes on; /run/syscontainer/boot.log has it all)
returned 0
root ro"
check "rd.syscontainer.timeout: within the bound" test $(($(date +%s) - start)) -lt 20
cp "$T/good.conf" "$C/etc/syscontainer/boot.conf"
boot
assert_eq "after a stopped run, the next settles it" "$(echo "$out" | grep -c 'web: up to date')" 1

# --- nothing applied: said, the root left as it was ------------------------------------
mount -o remount,rw "$C/sysroot"
echo 'LABEL=nosuchdisk /var ext4 defaults 0 2' > "$C/sysroot/etc/fstab"
mount -o remount,ro "$C/sysroot"
before=$(files)
boot
assert_eq "a /var that cannot be mounted: nothing applied" "$(echo "$out" | grep -e '^[IW]: ' -e '^returned' -e '^root')" \
"W: syscontainer: /sysroot/etc/fstab lists /var but it could not be mounted: nothing applied
returned 0
root ro"
assert_eq "a /var that cannot be mounted: nothing written" "$(files)" "$before"
mv "$C/etc/syscontainer/boot.conf" "$T/boot.conf"
boot
assert_eq "no apply file in the initramfs" "$out" \
"W: syscontainer: /usr/bin/syscontainer or /etc/syscontainer/boot.conf is missing from the initramfs: nothing applied
returned 0
root ro"
mv "$T/boot.conf" "$C/etc/syscontainer/boot.conf"
umount "$C/sysroot"
boot
assert_eq "no root mounted" "$out" "W: syscontainer: nothing is mounted at /sysroot: nothing applied
returned 0"
done_testing
