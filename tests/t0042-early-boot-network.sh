#!/bin/bash
# Issue 13 item 4, the network path at early boot.
#
# 1. A chroot holding nothing but busybox-static, our static binary and the
#    target at /sysroot -- no /dev, /proc or /etc -- pulls from
#    docker-registry on 127.0.0.1: over plain HTTP (the random generator
#    needs getrandom(): there is no /dev/urandom), and over TLS with the CA
#    found only inside --root (the target's certs.d, then its CA bundle),
#    by address and as "localhost" (no /etc/hosts: the loopback is known).
#    Without /etc/resolv.conf a name fails at once naming the file; an http:
#    reference's errors show http://; an unknown CA names every directory
#    looked in and --cert-dir.
# 2. The clock: a real kernel booted by qemu (TCG) with its RTC in 1970,
#    from an initramfs of the same three things, pulls over TLS from a
#    registry whose certificate dates from 2020: the build date stands in
#    for the clock, and -v says so.  A certificate issued after the build
#    still fails, saying why.  No other safe way exists to run the real
#    binary on a 1970 clock here: a time namespace does not move
#    CLOCK_REALTIME, and the host's clock is not ours to set.  The kernel
#    package is fetched once into /var/cache/syscontainer-tests.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

BB=/bin/busybox
if [ "$(id -u)" != 0 ]; then
	skip_or_fail "chroot needs root"
	done_testing
	exit
fi
if [ -n "${SANITIZE:-}" ]; then
	skip "an empty chroot and a bare initramfs need the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
if ! file -L "$SC" | grep -q 'statically linked' || ! file -L "$BB" | grep -q 'statically linked'; then
	not_ok "the binary '$SC' and $BB must be statically linked"
	done_testing
	exit
fi
if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)
K=$T/pki
mkdir -p "$K"
"$PY" "$top/tests/helpers/mkcerts.py" "$K" DNS:localhost IP:127.0.0.1 IP:10.0.2.100 ||
	{ not_ok "make the test certificates"; done_testing; exit 1; }
PH=$(free_port) PS=$(free_port) PN=$(free_port)
start_registry plain "$PH" "$T/data" || { not_ok "start the HTTP registry"; done_testing; exit 1; }
start_registry tls "$PS" "$T/data" "tls:
  certificate: $K/old.crt
  key: $K/old.key" || { not_ok "start the HTTPS registry"; done_testing; exit 1; }
start_registry new "$PN" "$T/data" "tls:
  certificate: $K/new.crt
  key: $K/new.key" || { not_ok "start the registry with a new certificate"; done_testing; exit 1; }
check "push multi" push "oci:$fx/oci:multi" "127.0.0.1:$PH/test/multi:t"
# the VM's /sysroot is its initramfs's own tmpfs, which keeps no user.*
# xattrs (multi has one): it pulls a plain busybox image instead
cat > "$T/early.json" <<EOF
{"config": {"config": {"Cmd": ["/bin/sh"]}},
 "layers": [[{"path": "bin/", "dir": true}, {"path": "bin/busybox", "from": "$BB", "mode": 493},
             {"path": "bin/sh", "symlink": "busybox"}]]}
EOF
"$PY" "$top/tests/helpers/mkarchive.py" "$T/early.tar" test/early:t "$T/early.json" &&
	check "push a plain busybox image" push "docker-archive:$T/early.tar" "127.0.0.1:$PH/test/early:t"

# --- 1. the chroot ---------------------------------------------------------------
C=$T/initramfs
S=$C/sysroot
mkdir -p "$C/bin" "$S"
cp "$BB" "$C/bin/busybox"
ln -s busybox "$C/bin/sh"
cp "$SC" "$C/bin/syscontainer"
assert_eq "the chroot has no /dev, /proc or /etc" "$(ls "$C" | tr '\n' ' ')" "bin sysroot "
BOOTID=0123456789abcdef0123456789abcdef
# in_chroot ARGS...: the binary in the chroot with an empty environment
in_chroot() {
	timeout 120 env -i PATH=/bin OSTREE_BOOTID=$BOOTID "$CHROOT" "$C" /bin/sh -c 'exec syscontainer "$@"' sh "$@" \
		> "$T/.out" 2> "$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}
R=$S/var/lib/containers/atomic/.storage/ostree

in_chroot --root /sysroot pull "http:127.0.0.1:$PH/test/multi:t"
assert_eq "plain HTTP without /dev: exit 0 (getrandom() seeds the generator)" "$rc" 0
[ "$rc" = 0 ] || note "$errout"
mkdir -p "$S/etc/containers/certs.d/127.0.0.1:$PS" "$S/etc/docker/certs.d/localhost:$PS"
cp "$K/ca.crt" "$S/etc/containers/certs.d/127.0.0.1:$PS/ca.crt"
cp "$K/ca.crt" "$S/etc/docker/certs.d/localhost:$PS/ca.crt"
in_chroot --root /sysroot pull "127.0.0.1:$PS/test/multi:t"
assert_eq "TLS with the CA in /sysroot/etc/containers/certs.d: exit 0" "$rc" 0
[ "$rc" = 0 ] || note "$errout"
in_chroot --root /sysroot pull "localhost:$PS/test/multi:t"
assert_eq "TLS to localhost without /etc/hosts, CA in /sysroot/etc/docker/certs.d: exit 0" "$rc" 0
[ "$rc" = 0 ] || note "$errout"
rm -r "$S/etc/containers/certs.d" "$S/etc/docker"
mkdir -p "$S/etc/ssl/certs"
cp "$K/ca.crt" "$S/etc/ssl/certs/ca-certificates.crt"
in_chroot --root /sysroot pull "127.0.0.1:$PS/test/multi:t"
assert_eq "TLS with the CA in the target's bundle only: exit 0" "$rc" 0
rm -r "$S/etc/ssl"
assert_fsck "$R" "the repository the chroot wrote"

start=$(date +%s)
in_chroot --root /sysroot pull registry.example/test/multi:t
assert_eq "no /etc/resolv.conf: exit 1" "$rc" 1
assert_eq "no /etc/resolv.conf: named in the one-line error" "$errout" \
	"syscontainer: pull registry.example/test/multi:t: GET https://registry.example/v2/: resolve 'registry.example': no /etc/resolv.conf (so no DNS server to ask) and no /etc/hosts"
check "no /etc/resolv.conf: no 5 s wait for a DNS server" test $(($(date +%s) - start)) -lt 3
DEAD=$(free_port)
in_chroot --root /sysroot pull "http:127.0.0.1:$DEAD/test/multi:t"
assert_eq "an http: reference: the message shows http://" "$errout" \
	"syscontainer: pull http:127.0.0.1:$DEAD/test/multi:t: GET http://127.0.0.1:$DEAD/v2/: connect to '127.0.0.1' port $DEAD: Connection refused"
in_chroot --root /sysroot pull "127.0.0.1:$PS/test/multi:t"
assert_eq "an unknown CA: the directories looked in, inside --root first, and --cert-dir" "$errout" \
	"syscontainer: pull 127.0.0.1:$PS/test/multi:t: GET https://127.0.0.1:$PS/v2/: certificate for '127.0.0.1' is not signed by a trusted CA (no CA for it in '/sysroot/etc/containers/certs.d/127.0.0.1:$PS', '/sysroot/etc/docker/certs.d/127.0.0.1:$PS', '/etc/containers/certs.d/127.0.0.1:$PS', '/etc/docker/certs.d/127.0.0.1:$PS'; trusted: no system bundle; put its CA in one of those directories or give --cert-dir DIR)"

# --- 2. a booted kernel whose clock says 1970 ---------------------------------
QEMU=$(command -v qemu-system-x86_64)
CACHE=/var/cache/syscontainer-tests/linux-image
kernel_ready() {
	[ "$(uname -m)" = x86_64 ] || return 1
	pkg=$(apt-cache depends linux-image-amd64 2> /dev/null | sed -n 's/.*Depends: \(linux-image-[^ ]*\)/\1/p' | head -1)
	[ -n "$pkg" ] || return 1
	if [ ! -e "$CACHE/$pkg/ready" ]; then
		rm -rf "$CACHE/$pkg" && mkdir -p "$CACHE/$pkg" &&
			(cd "$CACHE/$pkg" && apt-get download -q "$pkg" > /dev/null 2>&1) &&
			dpkg-deb -x "$CACHE/$pkg/"*.deb "$CACHE/$pkg/x" && touch "$CACHE/$pkg/ready" ||
			return 1
	fi
	VMLINUZ=$(ls "$CACHE/$pkg/x/boot/vmlinuz-"*)
	E1000=$(find "$CACHE/$pkg/x/lib/modules" -name e1000.ko)
	[ -f "$VMLINUZ" ] && [ -f "$E1000" ]
}
if [ -z "$QEMU" ] || ! kernel_ready; then
	skip_or_fail "qemu-system-x86_64 and Debian's kernel package are needed to boot with a 1970 clock"
	done_testing
	exit
fi
V=$T/vm
mkdir -p "$V/bin" "$V/dev" "$V/lib" "$V/sysroot/etc/containers/certs.d/10.0.2.100:5000" \
	"$V/sysroot/etc/containers/certs.d/10.0.2.100:5001"
cp "$BB" "$V/bin/busybox"
for a in sh date insmod ip poweroff echo; do ln -s busybox "$V/bin/$a"; done
cp "$SC" "$V/bin/syscontainer"
cp "$E1000" "$V/lib/e1000.ko"
mknod -m 600 "$V/dev/console" c 5 1
cp "$K/ca.crt" "$V/sysroot/etc/containers/certs.d/10.0.2.100:5000/ca.crt"
cp "$K/ca.crt" "$V/sysroot/etc/containers/certs.d/10.0.2.100:5001/ca.crt"
cat > "$V/init" <<EOF
#!/bin/sh
export PATH=/bin OSTREE_BOOTID=$BOOTID
echo "vm clock: \$(date -u +%Y-%m-%d)"
insmod /lib/e1000.ko && ip link set lo up && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
syscontainer -v --quiet --root /sysroot pull 10.0.2.100:5000/test/early:t 2>&1
echo "vm old certificate: exit \$?"
syscontainer --quiet --root /sysroot pull 10.0.2.100:5001/test/early:t 2>&1
echo "vm new certificate: exit \$?"
poweroff -f
EOF
chmod 755 "$V/init"
"$PY" "$top/tests/helpers/mkcpio.py" "$V" "$T/initrd.gz" || not_ok "make the initramfs"
timeout 300 "$QEMU" -machine pc -accel tcg -m 512 -nographic -no-reboot -kernel "$VMLINUZ" \
	-initrd "$T/initrd.gz" -append "console=ttyS0 panic=-1 quiet rdinit=/init" \
	-rtc base=1970-01-02T00:00:00 \
	-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:5000-cmd:$BB nc 127.0.0.1 $PS,guestfwd=tcp:10.0.2.100:5001-cmd:$BB nc 127.0.0.1 $PN" \
	-device e1000,netdev=n0 < /dev/null > "$T/console" 2>&1
vmlog=$(tr -d '\r' < "$T/console" | grep -a -o -e 'vm .*' -e 'syscontainer: .*')
assert_match "the VM's clock is in 1970" "$vmlog" "*vm clock: 1970-01-02*"
assert_match "a certificate from 2020 verifies on a 1970 clock; -v says the build date stands in" "$vmlog" \
	"*syscontainer: the system clock says 1970-01-02, before this program was built: certificates are checked as of 20*
*vm old certificate: exit 0*"
assert_match "a certificate newer than the program fails, saying the clock must be set" "$vmlog" \
	"*syscontainer: pull 10.0.2.100:5001/test/early:t: GET https://10.0.2.100:5001/v2/: certificate for '10.0.2.100' is not valid before 20* UTC (the system clock says 1970-01-02, so certificates are checked as of this program's build, 20*: set the clock)
vm new certificate: exit 1*"
[ -n "$vmlog" ] || { note "console:"; tail -20 "$T/console" | sed 's/^/#   /'; }

done_testing
