#!/bin/bash
# Early boot (a dracut hook, a rescue shell): a chroot holding nothing but
# busybox-static and our static binary -- no /etc, no /proc, no /dev, no /tmp
# -- pulls an image from a file and installs it into the real root mounted at
# /sysroot.  The result must be what the booted system needs: unit, enable
# symlink, tmpfiles conf and bundle, every path in them as the target sees
# it.  Inside an initramfs (/etc/initrd-release) install refuses to run
# without --root and writes nothing.
. "$(dirname "$0")/lib.sh"

BB=/bin/busybox
if [ "$(id -u)" != 0 ]; then
	skip_or_fail "chroot and mounts need root"
	done_testing
	exit
fi
if ! [ -x "$BB" ] || ! file -L "$BB" | grep -q 'statically linked'; then
	skip_or_fail "needs Debian's busybox-static at $BB"
	done_testing
	exit
fi
if [ -n "${SANITIZE:-}" ]; then
	skip "an empty chroot needs the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
if ! file -L "$SC_FILE" | grep -q 'statically linked'; then
	not_ok "the binary '$SC_FILE' is not statically linked: it cannot run in an empty chroot"
	done_testing
	exit
fi
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)

# --- the chroot: busybox, its applets, the binary, the image, /sysroot -------
C=$T/initramfs
S=$C/sysroot
mkdir -p "$C/bin" "$S/usr/bin"
cp "$BB" "$C/bin/busybox"
for a in $("$BB" --list); do
	[ -e "$C/bin/$a" ] || ln -s busybox "$C/bin/$a"
done
sc_into_root "$C" /bin/syscontainer
# The target's runtime: found in /sysroot's PATH and written as /usr/bin/runc.
cp "$(command -v runc)" "$S/usr/bin/runc"
cat > "$T/early.json" <<EOF
{"config": {"config": {"Cmd": ["/bin/sh", "-c", "echo early: hello; echo kept > /data/written"],
                       "Volumes": {"/data": {}}}},
 "layers": [[{"path": "bin/", "dir": true},
             {"path": "bin/busybox", "from": "$BB", "mode": 493},
             {"path": "bin/sh", "symlink": "busybox"}]]}
EOF
python3 "$top/tests/helpers/mkarchive.py" "$C/image.tar" test/early:latest "$T/early.json"
assert_eq "the chroot has no /etc, /proc, /dev or /tmp" "$(ls "$C" | tr '\n' ' ')" "bin image.tar sysroot "

# in_chroot ARGS...: the binary run by the chroot's busybox shell with an
# empty environment, as an initramfs hook runs it.  No /proc, so libostree
# is told the boot id (it names its staging directories with it).
BOOTID=0123456789abcdef0123456789abcdef
in_chroot() {
	timeout 120 env -i PATH=/bin OSTREE_BOOTID=$BOOTID "$CHROOT" "$C" /bin/sh -c "exec $sc_in_root \"\$@\"" sh "$@" \
		> "$T/.out" 2> "$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}

# --- pull and install into /sysroot --------------------------------------------
in_chroot --root /sysroot pull dockertar:/image.tar
assert_eq "pull in the chroot: exit 0" "$rc" 0
assert_match "pull in the chroot: says what it stored" "$out" "*Pulled docker.io/test/early:latest*"
[ "$rc" = 0 ] || note "stderr: $errout"
in_chroot --root /sysroot install test/early
assert_eq "install in the chroot: exit 0" "$rc" 0
[ "$rc" = 0 ] || note "stderr: $errout"
assert_eq "install in the chroot: output" "$out" "Extracting to /var/lib/containers/atomic/early.0
Claiming /var/lib/early/data (made by systemd-tmpfiles)
systemd is not running here: unit reload and tmpfiles happen at boot"

CK=$S/var/lib/containers/atomic
D=$CK/early.0
U=$S/etc/systemd/system/early.service
check "unit written in /sysroot" test -f "$U"
assert_match "unit: ExecStart runs the target's runc from its PATH" "$(cat "$U" 2>/dev/null)" "*ExecStart=/usr/bin/runc --systemd-cgroup run 'early'*"
assert_match "unit: WorkingDirectory is the target's path" "$(cat "$U" 2>/dev/null)" "*WorkingDirectory=/var/lib/containers/atomic/early.0
*"
assert_eq "enable symlink, to the target's unit path" "$(readlink "$S/etc/systemd/system/multi-user.target.wants/early.service")" "/etc/systemd/system/early.service"
assert_eq "tmpfiles conf: the volume under the target's /var/lib" "$(cat "$S/etc/tmpfiles.d/early.conf" 2>/dev/null)" "d /var/lib/early/data 0700 0 0 - -"
check "bundle: config.json" test -f "$D/config.json"
check "bundle: rootfs with the image's files" test -x "$D/rootfs/bin/busybox" -a -L "$D/rootfs/bin/sh"
assert_eq "NAME link to slot 0" "$(readlink "$CK/early")" "early.0"
assert_eq "bundle: the volume bound from the target's path" \
	"$(python3 -c 'import json,sys; print([m["source"] for m in json.load(open(sys.argv[1]))["mounts"] if m["destination"] == "/data"])' "$D/config.json" 2>&1)" \
	"['/var/lib/early/data']"
assert_eq "info: the runtime as the target sees it" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runtime"])' "$D/info" 2>&1)" "/usr/bin/runc"
# No generated file, link or record may carry a path of the build side:
# neither the test's directory nor /sysroot.
leaks=$( { grep -rlF --exclude-dir=rootfs --exclude-dir=objects -e "$T" -e /sysroot "$S/etc" "$CK"
	   find "$S/etc" "$CK" \( -path "$D/rootfs" -o -path "$CK/.storage/ostree/objects" \) -prune -o \
		-type l -printf '%l\n' | grep -F -e "$T" -e /sysroot; } 2>&1)
assert_eq "no chroot or test path inside any generated file or link" "$leaks" ""
assert_fsck "$CK/.storage/ostree" "the repo the chroot wrote"

# --- the bundle runs as the booted target would run it -------------------------
# tmpfiles creates the volume under /sysroot; in a private mount namespace the
# target's /var/lib stands where the bundle expects it.
if systemd-tmpfiles --root="$S" --create "$S/etc/tmpfiles.d/early.conf" 2>/dev/null; then
	mkdir -p "$T/runc-state"
	out=$(unshare -m --propagation private sh -c 'mount --bind "$1/var/lib" /var/lib &&
		exec runc --root "$2" run -b "$3" early-t' sh "$S" "$T/runc-state" "$D" < /dev/null 2>&1)
	assert_eq "runc runs the installed bundle" "$out" "early: hello"
	assert_eq "the volume lands in the target's state directory" "$(cat "$S/var/lib/early/data/written" 2>&1)" "kept"
else
	not_ok "systemd-tmpfiles --root creates the volume"
fi

# --- inside an initramfs, no --root: refused, nothing written ------------------
mkdir "$C/etc"
echo 'NAME="test initramfs"' > "$C/etc/initrd-release"
snapshot() { (cd "$C" && find . -printf '%p %y %s %m %l\n' | sort); }
before=$(snapshot)
in_chroot install test/early
assert_eq "initramfs, no --root: exit 1" "$rc" 1
assert_eq "initramfs, no --root: message" "$errout" "syscontainer: install test/early: running inside an initramfs: give --root (the units would be enabled inside the initramfs)"
assert_eq "initramfs, no --root: nothing written" "$(snapshot)" "$before"
in_chroot install dockertar:/image.tar
assert_eq "initramfs, no --root, an image to pull first: exit 1" "$rc" 1
assert_eq "initramfs, an image to pull first: nothing written (no pull either)" "$(snapshot)" "$before"
in_chroot --root /sysroot install --name early2 test/early
assert_eq "initramfs with --root: installs" "$rc" 0
rm -rf "$C/etc"

# --- uninstall from the chroot leaves /sysroot as before the installs -----------
for n in early early2; do
	in_chroot --root /sysroot uninstall "$n"
	assert_eq "uninstall $n in the chroot" "$rc" 0
done
left=$(cd "$S" && find etc var/lib/containers/atomic -path '*/.storage' -prune -o \( -type f -o -type l \) -print | sort)
assert_eq "uninstall: no unit, link, conf or bundle left" "$left" ""
done_testing
