#!/bin/bash
# The install's trust boundary (HOST FILES in syscontainer(1)): what a
# hostile image may place on the host, tried with hand-written images
# installed under --root onto a scratch root with the usual /etc
# directories.  Every refusal: exit 1, one line naming the image path, the
# target and the rule, and the root exactly as before (names, modes,
# owners, sizes).  A faithful Atomic-style image still installs and
# uninstalls cleanly, and images info / install --dry-run show the plan.
. "$(dirname "$0")/lib.sh"

ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
R=$CK/.storage/ostree
mkdir -p "$ROOT/usr/bin" "$ROOT/bin" "$ROOT/etc/cron.d" "$ROOT/etc/sudoers.d" \
	"$ROOT/etc/systemd/system" "$ROOT/etc/tmpfiles.d" "$ROOT/usr/local/bin" "$ROOT/root" \
	"$ROOT/run" "$ROOT/var/lib" "$T/runc-state"
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$T/runc-state" > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
echo 'root:x:0:0::/root:/bin/sh' > "$ROOT/etc/passwd"
touch "$ROOT/bin/ls"
rs() { sc --root "$ROOT" "$@"; }
# What is on the target: every name with mode, owner and size (the store aside).
snapshot() {
	(cd "$ROOT" && find . -path ./var/lib/containers/atomic/.storage -prune -o \
		-printf '%p %M %U:%G %s\n' | sort)
}
# image NAME SPEC: build bad/NAME:latest from a layer spec and pull it.
image() {
	printf '%s\n' "$2" > "$T/$1.json"
	python3 "$top/tests/helpers/mkarchive.py" "$T/$1.tar" "bad/$1:latest" "$T/$1.json"
	rs pull "dockertar:$T/$1.tar"
	[ "$rc" = 0 ] || note "pull $1: $errout"
}
# refused DESCRIPTION 'message' INSTALL-ARGS...: exit 1, that one line, and
# nothing on the target changed.
refused() {
	_d=$1 _m=$2; shift 2
	_before=$(snapshot)
	expect_fail "$_d" 1 "$_m" --root "$ROOT" install "$@"
	assert_eq "$_d: the target is as it was" "$(snapshot)" "$_before"
}
RUNSH='{"path": "run.sh", "data": "#!/bin/sh\\n", "mode": 493}, {"path": "exports/", "dir": true}'

# --- host files: where they may go ---------------------------------------------
image cron "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/etc/cron.d/evil\", \"data\": \"* * * * * root sh\\n\"}]]}"
refused "a cron job as a host file" "syscontainer: install cron: host file '/etc/cron.d/evil' (from /exports/hostfs/etc/cron.d/evil): /etc/cron.d is not a place images may write (run as root on a schedule; see HOST FILES in syscontainer(1))" bad/cron

image unitfile "{\"layers\": [[$RUNSH, {\"path\": \"exports/manifest.json\", \"data\": \"{\\\"renameFiles\\\": {\\\"/usr/local/share/x\\\": \\\"/etc/systemd/system/evil.service\\\"}}\"}, {\"path\": \"exports/hostfs/usr/local/share/x\", \"data\": \"[Service]\\nExecStart=/bin/sh\\n\"}]]}"
refused "a unit placed through renameFiles" "syscontainer: install unitfile: host file '/etc/systemd/system/evil.service' (from /exports/hostfs/usr/local/share/x): /etc/systemd is not a place images may write (units reach systemd only through the unit the install generates; see HOST FILES in syscontainer(1))" bad/unitfile

image preload "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/etc/ld.so.preload\", \"data\": \"/x.so\\n\"}]]}"
refused "the loader's preload file" "syscontainer: install preload: host file '/etc/ld.so.preload' (from /exports/hostfs/etc/ld.so.preload): /etc/ld.so.preload is not a place images may write (loads code into every program; see HOST FILES in syscontainer(1))" bad/preload

image outside "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/usr/bin/x\", \"data\": \"x\"}]]}"
refused "outside the allowed roots" "syscontainer: install outside: host file '/usr/bin/x' (from /exports/hostfs/usr/bin/x): '/usr/bin/x' is outside /etc, /usr/local and /opt, the only places images may write (see HOST FILES in syscontainer(1))" bad/outside

image shadowls "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/usr/local/bin/ls\", \"data\": \"x\", \"mode\": 493}]]}"
refused "a command that would shadow the system's" "syscontainer: install shadowls: host file '/usr/local/bin/ls' (from /exports/hostfs/usr/local/bin/ls): would shadow the system's /bin/ls in every PATH (see HOST FILES in syscontainer(1))" bad/shadowls

image hostlink "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/usr/local/bin/l\", \"symlink\": \"/etc/shadow\"}]]}"
refused "a symlink as a host file" "syscontainer: install hostlink: /exports/hostfs/usr/local/bin/l: only regular files are copied to the host" bad/hostlink

image twice "{\"layers\": [[$RUNSH, {\"path\": \"exports/manifest.json\", \"data\": \"{\\\"renameFiles\\\": {\\\"/opt/a\\\": \\\"/opt/b\\\"}}\"}, {\"path\": \"exports/hostfs/opt/a\", \"data\": \"a\"}, {\"path\": \"exports/hostfs/opt/b\", \"data\": \"b\"}]]}"
refused "two files to one place" "syscontainer: install twice: host file '/opt/b': both /exports/hostfs/opt/a and /exports/hostfs/opt/b go there" bad/twice

# --- host files: modes, owners, xattrs, and what install says -------------------
image modes "{\"layers\": [[$RUNSH, {\"path\": \"exports/hostfs/usr/local/bin/x\", \"data\": \"#!/bin/sh\\n\", \"mode\": 4095, \"uid\": 1000, \"gid\": 1000, \"xattrs\": {\"user.evil\": \"1\"}}, {\"path\": \"exports/hostfs/opt/tool/share/data\", \"data\": \"d\", \"mode\": 438}]]}"
rs install bad/modes
assert_eq "a 07777 host file installs" "$rc" 0
assert_eq "install names each host file and directory" "$out" "Extracting to /var/lib/containers/atomic/modes.0
Installing /opt/ (directory, 0755)
Installing /opt/tool/ (directory, 0755)
Installing /opt/tool/share/ (directory, 0755)
Installing /opt/tool/share/data (0644)
Installing /usr/local/bin/x (0755)
systemd is not running here: unit reload and tmpfiles happen at boot"
assert_eq "masked: no setuid, setgid, sticky or group/other write; owned by the installer" \
	"$(stat -c '%a %u:%g' "$ROOT/usr/local/bin/x") $(stat -c '%a %u:%g' "$ROOT/opt/tool/share/data")" "755 0:0 644 0:0"
assert_eq "no xattr copied to the host" "$(getfattr -d -m - "$ROOT/usr/local/bin/x" 2>/dev/null | grep -c evil)" 0
rs uninstall modes
assert_eq "uninstall: host files and the directories made for them go" \
	"$(ls -A "$ROOT/usr/local/bin"; test -e "$ROOT/opt" && echo opt-left)" ""

# --- tmpfiles lines and directory values ---------------------------------------
image runcron "{\"layers\": [[$RUNSH, {\"path\": \"exports/manifest.json\", \"data\": \"{\\\"defaultValues\\\": {\\\"RUN_DIRECTORY\\\": \\\"/etc/cron.d\\\"}}\"}, {\"path\": \"exports/tmpfiles.template\", \"data\": \"f \${RUN_DIRECTORY}/hijack 0644 root root - * * * * * root sh\\n\"}]]}"
refused "an image moving RUN_DIRECTORY into cron" "syscontainer: install runcron: /exports/manifest.json: defaultValues: RUN_DIRECTORY '/etc/cron.d': an image may only move it below /run (only --set may put it elsewhere)" bad/runcron

image sudoers "{\"layers\": [[$RUNSH, {\"path\": \"exports/manifest.json\", \"data\": \"{\\\"defaultValues\\\": {\\\"CONF_DIRECTORY\\\": \\\"/etc/sudoers.d\\\"}}\"}, {\"path\": \"exports/tmpfiles.template\", \"data\": \"f \${CONF_DIRECTORY}/\${NAME}/rules 0440 root root - ALL ALL=(ALL) NOPASSWD: ALL\\n\"}]]}"
refused "an image moving CONF_DIRECTORY into sudoers" "syscontainer: install sudoers: /exports/manifest.json: defaultValues: CONF_DIRECTORY '/etc/sudoers.d': a system place (grants root; see HOST FILES in syscontainer(1))" bad/sudoers

image named "{\"layers\": [[$RUNSH, {\"path\": \"exports/tmpfiles.template\", \"data\": \"f /etc/ld.so.preload/x 0644 root root - /x.so\\n\"}]]}"
refused "a container named after a system file" "syscontainer: install ld.so.preload: container name 'ld.so.preload': '/etc/ld.so.preload' is a system place, never a container's own (/etc/ld.so.preload: loads code into every program; see HOST FILES in syscontainer(1))" --name ld.so.preload bad/named

image sshkeys "{\"layers\": [[$RUNSH, {\"path\": \"exports/config.json.template\", \"data\": \"{\\\"root\\\": {\\\"path\\\": \\\"rootfs\\\", \\\"readonly\\\": true}, \\\"process\\\": {\\\"args\\\": [\\\"/run.sh\\\"]}, \\\"mounts\\\": [{\\\"destination\\\": \\\"/k\\\", \\\"type\\\": \\\"bind\\\", \\\"source\\\": \\\"/root/.ssh\\\", \\\"options\\\": [\\\"rbind\\\"]}]}\"}, {\"path\": \"exports/tmpfiles.template\", \"data\": \"f /root/.ssh/authorized_keys 0600 root root - ssh-ed25519 AAAA\\n\"}]]}"
refused "a bind source outside the container's places" "syscontainer: install sshkeys: tmpfiles: line 1: tmpfiles line refused: 'f /root/.ssh/authorized_keys 0600 root root - ssh-ed25519 AAAA' (path outside the container's own directories)" bad/sshkeys

image remove "{\"layers\": [[$RUNSH, {\"path\": \"exports/tmpfiles.template\", \"data\": \"R /var/lib/remove\\n\"}]]}"
refused "a removal line, even on its own place" "syscontainer: install remove: tmpfiles: line 1: tmpfiles line refused: 'R /var/lib/remove' (only the types d D v q Q z Z, and f F w L C for files, are allowed)" bad/remove

image atprefix "{\"layers\": [[$RUNSH, {\"path\": \"exports/tmpfiles.template\", \"data\": \"f /var/lib/atprefix 0644 - - - x\\n\"}]]}"
refused "a file in place of NAME's own directory" "syscontainer: install atprefix: tmpfiles: line 1: tmpfiles line refused: 'f /var/lib/atprefix 0644 - - - x' (files only below the container's own directories)" bad/atprefix

# --set is the admin's: it may put a directory anywhere.
rs install --name widened --set CONF_DIRECTORY=/srv/conf bad/sudoers
assert_eq "--set may widen what an image may not" "$rc" 0
assert_eq "the tmpfiles line lands in the admin's place" "$(cat "$ROOT/etc/tmpfiles.d/widened.conf")" "f /srv/conf/widened/rules 0440 root root - ALL ALL=(ALL) NOPASSWD: ALL"
rs uninstall widened

# --- whiteouts that name nothing --------------------------------------------------
for w in ".wh." ".wh.." ".wh..."; do
	printf '{"layers": [[{"path": "a/", "dir": true}, {"path": "a/f", "data": "x"}], [{"path": "a/%s", "data": ""}]]}\n' "$w" > "$T/wh.json"
	python3 "$top/tests/helpers/mkarchive.py" "$T/wh.tar" "bad/wh:latest" "$T/wh.json"
	refs=$(ostree refs --repo="$R" | sort)
	sc --root "$ROOT" pull "dockertar:$T/wh.tar"
	assert_eq "whiteout '$w': refused at pull" "$rc" 1
	assert_match "whiteout '$w': the message names the entry" "$errout" "syscontainer: pull dockertar:$T/wh.tar: *entry 'a/$w': a whiteout that names nothing it could remove"
	assert_eq "whiteout '$w': no image ref" "$(ostree refs --repo="$R" | grep -c wh_3A)" 0
done

# --- the target's own symlinks are never written through ----------------------------
mkdir -p "$T/decoy"
mv "$ROOT/etc/tmpfiles.d" "$ROOT/etc/tmpfiles.d.real"
ln -s "$T/decoy" "$ROOT/etc/tmpfiles.d"
image good "{\"layers\": [[$RUNSH]]}"
refused "tmpfiles.d an absolute symlink to a decoy" "syscontainer: install good: '/etc/tmpfiles.d' is a symlink: units and tmpfiles files are written only into a real directory" bad/good
rm "$ROOT/etc/tmpfiles.d" && mv "$ROOT/etc/tmpfiles.d.real" "$ROOT/etc/tmpfiles.d"
mv "$ROOT/etc/systemd/system" "$ROOT/etc/systemd/system.real"
ln -s "$T/decoy" "$ROOT/etc/systemd/system"
refused "etc/systemd/system an absolute symlink to a decoy" "syscontainer: install good: '/etc/systemd/system' is a symlink: units and tmpfiles files are written only into a real directory" bad/good
assert_eq "the decoy stays empty" "$(ls -A "$T/decoy")" ""
rm "$ROOT/etc/systemd/system" && mv "$ROOT/etc/systemd/system.real" "$ROOT/etc/systemd/system"

# --- terminal safety: what images and users say is shown escaped --------------------
image labels "{\"config\": {\"config\": {\"Labels\": {\"title\": \"\\u001b]0;pwned\\u0007\\u001b[2J\"}}}, \"layers\": [[$RUNSH, {\"path\": \"exports/manifest.json\", \"data\": \"{\\\"defaultValues\\\": {\\\"GREETING\\\": \\\"hi\\\\nFAKE=line\\\"}}\"}, {\"path\": \"exports/service.template\", \"data\": \"[Service]\\nExecStart=/bin/echo \$GREETING\\n\"}]]}"
rs images info bad/labels
assert_eq "images info: exit 0" "$rc" 0
check "no escape character reaches the terminal" sh -c "! printf '%s' \"\$1\" | grep -q \"\$(printf '\\033')\"" - "$out"
check "the label is shown escaped" grep -qxF '  title=\x1b]0;pwned\x07\x1b[2J' "$T/.out"
check "a default with a newline stays on its line" grep -qxF '  GREETING=hi\nFAKE=line' "$T/.out"
expect_fail "a --name with a newline" 2 'syscontainer: install: --name '"'"'a\nb'"'"': use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64' --root "$ROOT" install --name "$(printf 'a\nb')" bad/good

# --- a faithful Atomic-style image, and the plan shown before any install -----------
cat > "$T/etcd.json" <<'SPEC'
{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493},
             {"path": "exports/", "dir": true},
             {"path": "exports/manifest.json", "data": "{\"defaultValues\": {\"ETCD_PORT\": \"2379\"}, \"renameFiles\": {\"/etc/etcd.conf\": \"/etc/$NAME/etcd.conf\"}, \"installedFilesTemplate\": [\"/etc/etcd.conf\"]}"},
             {"path": "exports/tmpfiles.template", "data": "d ${STATE_DIRECTORY}/${NAME} 0700 0 0 - -\nd ${RUN_DIRECTORY}/${NAME} 0755 0 0 - -\n"},
             {"path": "exports/hostfs/usr/local/bin/etcdctl", "data": "#!/bin/sh\necho etcdctl\n", "mode": 493},
             {"path": "exports/hostfs/etc/etcd.conf", "data": "port=$ETCD_PORT name=$NAME\n"}]]}
SPEC
python3 "$top/tests/helpers/mkarchive.py" "$T/etcd.tar" atomic/etcd:latest "$T/etcd.json"
rs pull "dockertar:$T/etcd.tar"
rs images info atomic/etcd
assert_match "images info shows what an install places on the host" "$out" "*Installed as etcd with these defaults, it places on the host:
  Deployment:   /var/lib/containers/atomic/etcd.0
  Unit:         /etc/systemd/system/etcd.service (enabled in multi-user.target.wants)
  Tmpfiles:     /etc/tmpfiles.d/etcd.conf
    d /var/lib/etcd 0700 0 0 - -
    d /run/etcd 0755 0 0 - -
  Host files:
    /etc/etcd/etcd.conf (0644) expanded
    /usr/local/bin/etcdctl (0755)
    /etc/etcd/ (directory, 0755)
  Own places:   /run/etcd (created) /var/lib/etcd (created) /etc/etcd*"
rs images info --json atomic/etcd
assert_eq "images info --json: the plan's host files" "$(echo "$out" | python3 -c 'import json,sys; p=json.load(sys.stdin)["install"]; print(" ".join(f["path"] for f in p["host_files"]), p["host_directories"])')" "/etc/etcd/etcd.conf /usr/local/bin/etcdctl ['/etc/etcd']"
before=$(snapshot)
rs install --dry-run --name etcd2 --set ETCD_PORT=4001 atomic/etcd
assert_eq "install --dry-run: exit 0" "$rc" 0
assert_match "install --dry-run: the plan for that name" "$out" "Would install etcd2 from docker.io/atomic/etcd:latest*/etc/etcd2/etcd.conf (0644) expanded*"
assert_eq "install --dry-run changes nothing" "$(snapshot)" "$before"
rs install atomic/etcd
assert_eq "the Atomic-style image installs" "$rc" 0
assert_eq "etcdctl on the host" "$(cat "$ROOT/usr/local/bin/etcdctl")" "#!/bin/sh
echo etcdctl"
assert_eq "its config renamed into /etc/etcd, expanded" "$(cat "$ROOT/etc/etcd/etcd.conf")" "port=2379 name=etcd"
assert_eq "tmpfiles lines under /var/lib/etcd and /run/etcd" "$(cat "$ROOT/etc/tmpfiles.d/etcd.conf")" "d /var/lib/etcd 0700 0 0 - -
d /run/etcd 0755 0 0 - -"
rs uninstall etcd
assert_eq "uninstall: exit 0" "$rc" 0
check "uninstall removed etcdctl" test ! -e "$ROOT/usr/local/bin/etcdctl"
check "uninstall removed /etc/etcd, which the install made" test ! -e "$ROOT/etc/etcd"

# --- checkouts that copy (another file system, a bare-user repository) -------------
# Layer 1 has a/shadow and e/f; layer 2 turns a into an absolute symlink to
# a decoy and rewrites e/f; layer 3 ships b (a/shadow's content) and c
# (e/f's old content).  A checkout that links later uses of an object from
# where it first placed it follows the symlink to the decoy (on the same
# file system as CHECKOUT, so the link would work), or hands c the
# rewritten content.
xfs_image() {   # xfs_image DECOY: build and pull test/xfs:latest
	mkdir -p "$1" && echo SECRET > "$1/shadow"
	cat > "$T/xfs.json" <<SPEC
{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\\n", "mode": 493},
             {"path": "a/", "dir": true}, {"path": "a/shadow", "data": "X"},
             {"path": "e/", "dir": true}, {"path": "e/f", "data": "old"}],
            [{"path": "a", "symlink": "$1"}, {"path": "e/f", "data": "new"}],
            [{"path": "b", "data": "X"}, {"path": "c", "data": "old"}]]}
SPEC
	python3 "$top/tests/helpers/mkarchive.py" "$T/xfs.tar" test/xfs:latest "$T/xfs.json"
	rs pull "dockertar:$T/xfs.tar"
}
copies_ok() {   # copies_ok WHAT ROOTFS DECOY
	assert_eq "$1: b has its own content, not the decoy's" "$(cat "$2/b")" X
	assert_eq "$1: c has the content its layer gave it" "$(cat "$2/c")" old
	assert_eq "$1: e/f was rewritten" "$(cat "$2/e/f")" new
	check "$1: a is the symlink, the decoy never linked in" test -L "$2/a" -a "$(stat -c %h "$3/shadow")" = 1
	check "$1: no private object copies left in the deployment" test ! -e "$2/../.objects"
}
mkdir -p "$ROOT/xfs"
if mount -t tmpfs -o size=64m tmpfs "$ROOT/xfs" 2>/dev/null; then
	xfs_image "$ROOT/xfs/decoy"
	ATOMIC_OSTREE_CHECKOUT_PATH=/xfs/ck sc --root "$ROOT" --repo /var/lib/containers/atomic/.storage/ostree install test/xfs
	assert_eq "cross-filesystem install: exit 0" "$rc" 0
	copies_ok "cross-filesystem" "$ROOT/xfs/ck/xfs.0/rootfs" "$ROOT/xfs/decoy"
	ATOMIC_OSTREE_CHECKOUT_PATH=/xfs/ck sc --root "$ROOT" --repo /var/lib/containers/atomic/.storage/ostree uninstall xfs
	umount "$ROOT/xfs"
else
	skip_or_fail "mounting a tmpfs needs root"
fi
rmdir "$ROOT/xfs"
ostree init --repo="$ROOT/bu" --mode=bare-user
xfs_image "$T/decoy2"
sc --root "$ROOT" --repo /bu pull "dockertar:$T/xfs.tar"
ATOMIC_OSTREE_CHECKOUT_PATH=/bu-ck sc --root "$ROOT" --repo /bu install test/xfs
assert_eq "bare-user repository install: exit 0" "$rc" 0
copies_ok "bare-user" "$ROOT/bu-ck/xfs.0/rootfs" "$T/decoy2"
assert_eq "bare-user: the owner and mode come from the repository's records" "$(stat -c '%a %U' "$ROOT/bu-ck/xfs.0/rootfs/run.sh")" "755 root"
ATOMIC_OSTREE_CHECKOUT_PATH=/bu-ck sc --root "$ROOT" --repo /bu uninstall xfs
rm -rf "$ROOT/bu" "$ROOT/bu-ck"

# --- modes whatever the umask -----------------------------------------------------
for m in 000 077; do
	mkdir -p "$T/u$m"
	(umask $m; "$SC" --root "$T/u$m" --quiet pull "dockertar:$T/etcd.tar" >/dev/null 2>&1)
	U=$T/u$m/var/lib/containers/atomic
	assert_eq "umask $m: CHECKOUT, .storage, repository, objects" \
		"$(stat -c %a "$U" "$U/.storage" "$U/.storage/ostree" "$U/.storage/ostree/objects" "$U/.storage/ostree/refs/heads" | tr '\n' ' ')" "700 700 755 755 755 "
	assert_eq "umask $m: the record" "$(stat -c %a "$U/.storage/repo-path")" 600
done

assert_fsck "$R"
done_testing
