#!/bin/bash
# install / uninstall / containers list under --root (the offline and
# early-boot mode): the safe checkout equals umoci's rootfs, generated files
# carry target paths, real runc runs the bundle, hostile images never touch
# the host, and every refused install leaves root and repo as they were.
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace: the strace'd runs of a SANITIZE=1
# build check memory errors, not leaks.
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0
. "$top/tests/helpers/pull-lib.sh"
build_umoci || { not_ok "fixtures"; done_testing; exit 1; }
build_hostile symlink-dir symlink-whiteout symlink-opaque file-then-dir
python3 "$top/tests/helpers/mkarchive.py" "$fx/demo.tar" demo/hello:1.0 "$top/tests/demo/image.json" 2>/dev/null ||
	(cd "$top" && python3 tests/helpers/mkarchive.py "$fx/demo.tar" demo/hello:1.0 tests/demo/image.json)

ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
R=$CK/.storage/ostree
mkdir -p "$ROOT/usr/bin" "$T/runc-state"
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$T/runc-state" > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
rs() { sc --root "$ROOT" "$@"; }
snapshot() { (cd "$ROOT" && find . -path ./var/lib/containers/atomic/.storage -prune -o -print | sort); }

for f in multi demo symlink-dir symlink-whiteout symlink-opaque file-then-dir; do
	rs pull "dockertar:$fx/$f.tar"
	assert_eq "pull $f" "$rc" 0
done

# --- the checkout equals umoci's rootfs ---------------------------------------
rs install test/multi
assert_eq "install multi: exit 0" "$rc" 0
assert_eq "install multi: output" "$out" "Extracting to /var/lib/containers/atomic/multi.0
Claiming /var/lib/multi/data/vol (made by systemd-tmpfiles)
systemd is not running here: unit reload and tmpfiles happen at boot"
D=$CK/multi.0
check "the layers checked out equal umoci's rootfs" python3 "$top/tests/helpers/treecmp.py" "$fx/multi.rootfs" "$D/rootfs"
f=$(find "$D/rootfs/bin" -name busybox)
check "files are hardlinked from the repo" test "$(stat -c %h "$f")" -ge 2
assert_eq "NAME link flipped last, to slot 0" "$(readlink "$CK/multi")" "multi.0"
check "pin ref to the image commit" sh -c "ostree rev-parse --repo='$R' syscontainer/deploy/multi.0 >/dev/null"
assert_eq "CHECKOUT is 0700" "$(stat -c %a "$CK")" 700

# --- generated files, with target paths ----------------------------------------
U=$ROOT/etc/systemd/system/multi.service
check "unit written" test -f "$U"
assert_match "unit: ExecStart with the target's runtime" "$(cat "$U")" "*ExecStart=/usr/bin/runc --systemd-cgroup run 'multi'*"
assert_match "unit: WorkingDirectory is the target path" "$(cat "$U")" "*WorkingDirectory=/var/lib/containers/atomic/multi.0*"
assert_eq "enabled offline: WantedBy symlink" "$(readlink "$ROOT/etc/systemd/system/multi-user.target.wants/multi.service")" "/etc/systemd/system/multi.service"
check "tmpfiles conf written" test -f "$ROOT/etc/tmpfiles.d/multi.conf"
assert_eq "tmpfiles: the image's Volume gets its state directory (never /etc/hosts or resolv.conf)" "$(cat "$ROOT/etc/tmpfiles.d/multi.conf")" "d /var/lib/multi/data/vol 0700 0 0 - -"
assert_eq "no build path in generated files" "$(grep -l "$T" "$U" "$D/config.json" "$ROOT/etc/tmpfiles.d/multi.conf" | wc -l)" 0
check "config.json: root readonly" python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(not (c["root"]=={"path":"rootfs","readonly":True}))' "$D/config.json"
assert_eq "config.json: args from the image (/run.sh)" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"])' "$D/config.json")" "['/run.sh']"
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/bin/runc|$(command -v runc)|g" "$U" > "$T/multi.service"
	check "systemd-analyze verify accepts the unit" sh -c "systemd-analyze verify '$T/multi.service' 2>&1 | grep -v 'Cannot add dependency\|multi-user.target' | grep -q . && exit 1 || exit 0"
else
	skip_or_fail "systemd-analyze is not installed"
fi

# --- runc runs the bundles for real -------------------------------------------
# Volumes live under STATE_DIRECTORY: point it into the test's world, let
# systemd-tmpfiles create them as at boot, and run the bundle.
rs install --name multi2 --set "STATE_DIRECTORY=$T/state" test/multi
assert_eq "install with STATE_DIRECTORY set" "$rc" 0
systemd-tmpfiles --create "$ROOT/etc/tmpfiles.d/multi2.conf" 2>/dev/null
check "tmpfiles made the volume's source" test -d "$T/state/multi2/data/vol"
out=$(runc --root "$T/runc-state" run -b "$CK/multi2.0" multi-t < /dev/null 2>&1)
assert_eq "runc runs the default config: /run.sh prints" "$out" "multi: hello"
rs install --set GREETING=bonjour demo/hello:1.0
assert_eq "install demo with --set" "$rc" 0
out=$(runc --root "$T/runc-state" run -b "$CK/hello-1.0.0" demo-t < /dev/null 2>&1)
assert_eq "the container prints its variables (--set beats the manifest default)" "$out" "bonjour from hello-1.0, would listen on 127.0.0.1:8080
state in /var/lib/hello-1.0"
rs containers list
assert_eq "containers list: under --root nothing runs, so nothing is listed" "$out" "CONTAINER ID IMAGE        COMMAND CREATED           STATUS     RUNTIME"
rs containers list -a
assert_eq "containers list -a" "$(echo "$out" | awk 'NR>1 {print $1, $2, $3, $6, $7}')" "hello-1.0 docker.io/demo/hello:1.0 /bin/sh installed runc
multi docker.io/test/multi:latest /run.sh installed runc
multi2 docker.io/test/multi:latest /run.sh installed runc"

# --- hostile images: a lower symlink is never followed ----------------------------
mkdir -p "$T/hostile-target"
echo precious > "$T/hostile-target/passwd"
echo precious > "$T/hostile-target/shadow"
before=$(cd "$T/hostile-target" && ls -la --time-style=+ . | md5sum)
for h in symlink-dir symlink-whiteout symlink-opaque; do
	rs install --name "$h" "test/$h"
	assert_eq "$h: installs" "$rc" 0
	assert_eq "$h: the host target is untouched" "$(cd "$T/hostile-target" && ls -la --time-style=+ . | md5sum)" "$before"
	check "$h: x is a real directory in the rootfs" test -d "$CK/$h.0/rootfs/x" -a ! -L "$CK/$h.0/rootfs/x"
done
assert_eq "symlink-dir: the upper file landed inside the rootfs" "$(cat "$CK/symlink-dir.0/rootfs/x/passwd" 2>/dev/null | head -c 4 | wc -c)" 4
rs install --name ftd test/file-then-dir
check "file-then-dir: the upper directory replaced the lower file" test -d "$CK/ftd.0/rootfs/d" -a -f "$CK/ftd.0/rootfs/d/f"
assert_eq "file-then-dir: the upper directory's mode applied" "$(stat -c %a "$CK/ftd.0/rootfs/d")" 750

# --- refusals leave root and repo as they were --------------------------------------
snap=$(snapshot)
refs=$(ostree refs --repo="$R" | sort)
unchanged() {
	assert_eq "$1: root unchanged" "$(snapshot)" "$snap"
	assert_eq "$1: refs unchanged" "$(ostree refs --repo="$R" | sort)" "$refs"
}
expect_fail "already installed" 1 "syscontainer: install multi: container 'multi' is already installed: uninstall it first" --root "$ROOT" install test/multi
unchanged "already installed"
mkdir -p "$ROOT/usr/lib/systemd/system" && touch "$ROOT/usr/lib/systemd/system/admin.service"
snap=$(snapshot)
expect_fail "a vendor unit of that name" 1 "syscontainer: install admin: unit '/usr/lib/systemd/system/admin.service' already exists: not ours to replace" --root "$ROOT" install --name admin test/multi
unchanged "vendor unit"
touch "$ROOT/etc/systemd/system/admin2.service"
snap=$(snapshot)
expect_fail "an admin unit of that name" 1 "syscontainer: install admin2: unit '/etc/systemd/system/admin2.service' already exists: not ours to replace" --root "$ROOT" install --name admin2 test/multi
unchanged "admin unit"
expect_fail "--set of a fixed variable" 2 "syscontainer: install: --set NAME: a fixed variable cannot be set" --root "$ROOT" install --set NAME=x test/multi
expect_fail "--set RUNTIME" 2 "syscontainer: install: --set RUNTIME: a fixed variable cannot be set (use --runtime)" --root "$ROOT" install --set RUNTIME=/bin/sh test/multi
expect_fail "bad name" 2 "syscontainer: install: --name '../x': use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64" --root "$ROOT" install --name ../x test/multi
expect_fail "missing runtime" 1 "syscontainer: install nort: runtime '/opt/none' is not an executable file under $ROOT" --root "$ROOT" install --name nort --runtime /opt/none test/multi
unchanged "missing runtime"

# Images whose /exports are wrong, each refused with its reason.
bad() {   # bad NAME SPEC-JSON: pull an image built from SPEC
	echo "$2" > "$T/$1.json"
	python3 "$top/tests/helpers/mkarchive.py" "$fx/$1.tar" "bad/$1:latest" "$T/$1.json"
	rs pull "dockertar:$fx/$1.tar"
	snap=$(snapshot)
	refs=$(ostree refs --repo="$R" | sort)
}
tmpl() { printf '{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\\n", "mode": 493}, {"path": "exports/", "dir": true}, {"path": "exports/%s", "data": %s}]]}' "$1" "$2"; }
bad unknownvar "$(tmpl config.json.template '"{\"root\": {\"path\": \"rootfs\", \"readonly\": true}, \"process\": {\"args\": [\"$NOPE\", \"${ALSO}\"]}}"')"
expect_fail "unknown variables" 1 "syscontainer: install unknownvar: /exports/config.json.template: unknown variables NOPE, ALSO" --root "$ROOT" install bad/unknownvar
unchanged "unknown variables"
bad badsyntax "$(tmpl service.template '"[Service]\nExecStart=${OOPS\n"')"
expect_fail "template syntax" 1 "syscontainer: install badsyntax: /exports/service.template: invalid '\$' at byte 20: expected \$NAME, \${NAME} or \$\$" --root "$ROOT" install bad/badsyntax
unchanged "template syntax"
bad badjson "$(tmpl config.json.template '"{\"root\": {\"path\": \"rootfs\", \"readonly\": true}, \"process\": {\"args\": [\"x\"]}"')"
expect_fail "invalid JSON after expansion" 1 "syscontainer: install badjson: config.json: invalid JSON at byte 73 (end of input): expected ',' or '}'" --root "$ROOT" install bad/badjson
unchanged "invalid JSON"
bad writable "$(tmpl config.json '"{\"root\": {\"path\": \"rootfs\", \"readonly\": false}, \"process\": {\"args\": [\"x\"]}}"')"
expect_fail "readonly false" 1 "syscontainer: install writable: config.json: root.readonly must be true (a writable root would write through the hardlinks into the image store)" --root "$ROOT" install bad/writable
unchanged "readonly false"
echo 'root:*:1::::::' > "$ROOT/etc/shadow"
bad shadow "$(tmpl tmpfiles.template '"w /etc/shadow - - - - x\n"')"
expect_fail "tmpfiles line outside the container" 1 "syscontainer: install svc: tmpfiles: line 1: tmpfiles line refused: 'w /etc/shadow - - - - x' (path outside the container's own directories)" --root "$ROOT" install --name svc bad/shadow
unchanged "tmpfiles on /etc/shadow"
expect_fail "a container named shadow does not own /etc/shadow" 1 "syscontainer: install shadow: container name 'shadow': '/etc/shadow' is a system place, never a container's own (/etc/shadow: accounts; see HOST FILES in syscontainer(1))" --root "$ROOT" install bad/shadow
unchanged "container named shadow"
echo '127.0.0.1 localhost' > "$ROOT/etc/hosts"
bad hosts "$(tmpl tmpfiles.template '"w /etc/hosts - - - - 6.6.6.6 evil\n"')"
expect_fail "tmpfiles line on an existing bind source" 1 "syscontainer: install svc2: tmpfiles: line 1: tmpfiles line refused: 'w /etc/hosts - - - - 6.6.6.6 evil' (path outside the container's own directories)" --root "$ROOT" install --name svc2 bad/hosts
unchanged "tmpfiles on /etc/hosts"
bad exportslink '{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493}, {"path": "exports", "symlink": "/etc"}]]}'
expect_fail "exports symlinked out of the rootfs" 1 "syscontainer: install exportslink: /exports is not a directory inside the image (a symlink?): refusing to follow it" --root "$ROOT" install bad/exportslink
unchanged "exports symlink"
bad filelink '{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493}, {"path": "exports/", "dir": true}, {"path": "exports/service.template", "symlink": "/etc/passwd"}]]}'
expect_fail "a template symlinked out" 1 "syscontainer: install filelink: /exports/service.template is a symlink: refusing to follow it" --root "$ROOT" install bad/filelink
unchanged "template symlink"

# A kill during install: the next command rolls it back from the journal.
snap=$(snapshot)
refs=$(ostree refs --repo="$R" | sort)
(strace -f -o /dev/null -e trace=symlinkat -e inject=symlinkat:signal=KILL:when=1 "$SC" --root "$ROOT" install --name killed test/multi >/dev/null 2>&1; true) 2>/dev/null
check "killed install left its journal" test -e "$CK/.killed.journal"
rs containers list
assert_match "the next command rolls it back, saying so" "$errout" "*rolling back an unfinished install (.killed.journal)*"
unchanged "killed install"

# Disk full during checkout (a small tmpfs as CHECKOUT's filesystem).
if mount -t tmpfs -o size=1m tmpfs "$T/root/var/lib/containers/atomic/.storage" 2>/dev/null; then
	umount "$T/root/var/lib/containers/atomic/.storage"
	mkdir -p "$T/small"
	mount -t tmpfs -o size=1500k tmpfs "$T/small"
	export ATOMIC_OSTREE_CHECKOUT_PATH=$T/small/ck
	sc --repo "$R" install --name full test/multi
	assert_eq "disk full: exit 1" "$rc" 1
	assert_match "disk full: says so" "$errout" "*No space left on device*"
	assert_eq "disk full: nothing left behind" "$(ls -A "$T/small/ck" 2>/dev/null | grep -v '^\.storage$\|^\.full\.lock$\|^\.storage' | wc -l)" 0
	umount "$T/small"
	export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
else
	skip_or_fail "mounting a tmpfs needs root"
fi

# --- /exports/hostfs: files for the host, checked, recorded, removed if unedited
cat > "$T/hostfs.json" <<'SPEC'
{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493},
             {"path": "exports/", "dir": true},
             {"path": "exports/manifest.json", "data": "{\"defaultValues\": {\"GREETING\": \"hi\"}, \"renameFiles\": {\"/usr/local/bin/tool\": \"/usr/local/bin/tool-$NAME\"}, \"installedFilesTemplate\": [\"/etc/hostfs-demo.conf\"]}"},
             {"path": "exports/hostfs/usr/local/bin/tool", "data": "#!/bin/sh\necho $NAME\n", "mode": 493},
             {"path": "exports/hostfs/etc/hostfs-demo.conf", "data": "name=$NAME greeting=$GREETING\n"}]]}
SPEC
python3 "$top/tests/helpers/mkarchive.py" "$fx/hostfs.tar" test/hostfs:latest "$T/hostfs.json"
rs pull "dockertar:$fx/hostfs.tar"
echo mine > "$ROOT/etc/hostfs-demo.conf"
snap=$(snapshot)
refs=$(ostree refs --repo="$R" | sort)
expect_fail "hostfs: an existing host file is not ours to replace" 1 "syscontainer: install hostfs: host file '/etc/hostfs-demo.conf' (from /exports/hostfs/etc/hostfs-demo.conf): exists and is not ours: refusing to replace it" --root "$ROOT" install test/hostfs
unchanged "hostfs onto an existing file"
rm "$ROOT/etc/hostfs-demo.conf"
mkdir -p "$T/elsewhere" "$ROOT/usr/local" && ln -s "$T/elsewhere" "$ROOT/usr/local/bin"
snap=$(snapshot)
expect_fail "hostfs: no path through a symlink" 1 "syscontainer: install hostfs: host file '/usr/local/bin/tool-hostfs' (from /exports/hostfs/usr/local/bin/tool): '/usr/local/bin' is on the way and is a symlink (never followed)" --root "$ROOT" install test/hostfs
unchanged "hostfs through a symlink"
check "hostfs: nothing written through the symlink" test -z "$(ls -A "$T/elsewhere")"
rm "$ROOT/usr/local/bin"
rs install test/hostfs
assert_eq "hostfs: installs" "$rc" 0
assert_eq "hostfs: renameFiles applied, content kept verbatim" "$(cat "$ROOT/usr/local/bin/tool-hostfs")" '#!/bin/sh
echo $NAME'
assert_eq "hostfs: mode kept" "$(stat -c %a "$ROOT/usr/local/bin/tool-hostfs")" 755
assert_eq "hostfs: installedFilesTemplate expanded" "$(cat "$ROOT/etc/hostfs-demo.conf")" "name=hostfs greeting=hi"
assert_eq "hostfs: recorded with sha256 in info" "$(python3 -c 'import json,sys; print(len([f for f in json.load(open(sys.argv[1]))["host_files"] if len(f["sha256"]) == 64]))' "$CK/hostfs.0/info")" 2
echo edited >> "$ROOT/etc/hostfs-demo.conf"
rs uninstall hostfs
assert_eq "uninstall keeps the edited host file and says so" "$out" "Kept /etc/hostfs-demo.conf: edited since it was installed"
check "uninstall removed the unedited host file" test ! -e "$ROOT/usr/local/bin/tool-hostfs"
check "the edited one stays" test -f "$ROOT/etc/hostfs-demo.conf"
rm -f "$ROOT/etc/hostfs-demo.conf"

# An OSTree system's /usr/local is a link to var/usrlocal: host files go
# there (made when missing, as OSTree's tmpfiles would), and go again.
mv "$ROOT/usr/local" "$T/usrlocal.real"
ln -s ../var/usrlocal "$ROOT/usr/local"
rs install test/hostfs
assert_eq "hostfs, /usr/local -> ../var/usrlocal: installs" "$rc" 0
assert_eq "hostfs, /usr/local -> ../var/usrlocal: the file is in var/usrlocal" \
	"$(cat "$ROOT/var/usrlocal/bin/tool-hostfs")" '#!/bin/sh
echo $NAME'
check "hostfs, /usr/local -> ../var/usrlocal: the link stays a link" test -L "$ROOT/usr/local"
rs uninstall hostfs
check "hostfs, /usr/local -> ../var/usrlocal: uninstall removes it" test ! -e "$ROOT/var/usrlocal/bin/tool-hostfs"
rm -f "$ROOT/etc/hostfs-demo.conf" "$ROOT/usr/local"
ln -s /etc "$ROOT/usr/local"
snap=$(snapshot)
expect_fail "hostfs: /usr/local linked anywhere else is refused" 1 "syscontainer: install hostfs: host file '/usr/local/bin/tool-hostfs' (from /exports/hostfs/usr/local/bin/tool): '/usr/local' is on the way and is a symlink (never followed)" --root "$ROOT" install test/hostfs
unchanged "hostfs through /usr/local -> /etc"
rm "$ROOT/usr/local"
mv "$T/usrlocal.real" "$ROOT/usr/local"

# renameFiles may not climb out with "..".
cat > "$T/dotdot.json" <<'SPEC'
{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493},
             {"path": "exports/", "dir": true},
             {"path": "exports/manifest.json", "data": "{\"renameFiles\": {\"/usr/local/bin/t\": \"/usr/local/../../etc/evil\"}}"},
             {"path": "exports/hostfs/usr/local/bin/t", "data": "x\n"}]]}
SPEC
python3 "$top/tests/helpers/mkarchive.py" "$fx/dotdot.tar" test/dotdot:latest "$T/dotdot.json"
rs pull "dockertar:$fx/dotdot.tar"
snap=$(snapshot)
refs=$(ostree refs --repo="$R" | sort)
expect_fail "hostfs: a renamed path with '..' is refused" 1 "syscontainer: install dotdot: host file '/usr/local/../../etc/evil' (from /exports/hostfs/usr/local/bin/t): '/usr/local/../../etc/evil' is not an absolute plain path (no '.', '..' or empty components)" --root "$ROOT" install test/dotdot
unchanged "hostfs with .."

# --- the store keeps what installed containers pin -----------------------------
rs images delete test/multi
assert_eq "delete refused while multi and multi2 use the image" "$errout" "syscontainer: images delete test/multi: used by installed container multi, multi2 (uninstall it, or use -f)"
rs images delete -f test/multi
rs images prune
assert_eq "prune after deleting the image: the pinned layers stay" "$(echo "$out" | grep -c '^Deleting')" 0
assert_fsck "$R" "after prune with pins"
check "the deployment still equals umoci's rootfs" python3 "$top/tests/helpers/treecmp.py" "$fx/multi.rootfs" "$D/rootfs"

# A repository on another filesystem than CHECKOUT: every object is copied
# once into the deployment, its other uses hardlinked to that copy.
mkdir -p "$ROOT/xfs"
if mount -t tmpfs -o size=64m tmpfs "$ROOT/xfs" 2>/dev/null; then
	X="--root $ROOT --repo /var/lib/containers/atomic/.storage/ostree"
	# shellcheck disable=SC2086
	ATOMIC_OSTREE_CHECKOUT_PATH=/xfs/ck sc $X install --name xfs "dockertar:$fx/shared.tar"
	assert_eq "cross-filesystem install: exit 0" "$rc" 0
	assert_match "says once that it copies" "$out" "*The repository is on another filesystem: * files copied, * hardlinked*"
	check "cross-filesystem checkout equals umoci's rootfs" python3 "$top/tests/helpers/treecmp.py" "$fx/shared.rootfs" "$ROOT/xfs/ck/xfs.0/rootfs"
	copies=$(echo "$out" | sed -n 's/.*filesystem: \([0-9]*\) files copied.*/\1/p')
	objs=$(find "$ROOT/xfs/ck/xfs.0/rootfs" -type f -printf '%i\n' | sort -u | wc -l)
	assert_eq "each object copied once (distinct inodes = copies)" "$objs" "$copies"
	# shellcheck disable=SC2086
	ATOMIC_OSTREE_CHECKOUT_PATH=/xfs/ck sc $X uninstall xfs
	assert_eq "uninstall the cross-filesystem container" "$rc" 0
	umount "$ROOT/xfs" && rmdir "$ROOT/xfs"
else
	skip_or_fail "mounting a tmpfs needs root"
fi

# --- uninstall leaves nothing behind ------------------------------------------
for n in multi multi2 hello-1.0 symlink-dir symlink-whiteout symlink-opaque ftd; do
	rs uninstall "$n"
	assert_eq "uninstall $n" "$rc" 0
done
rm -f "$ROOT/usr/lib/systemd/system/admin.service" "$ROOT/etc/systemd/system/admin2.service" "$ROOT/etc/shadow" "$ROOT/etc/hosts"
left=$(cd "$ROOT" && find etc var/lib/containers/atomic -path '*/.storage' -prune -o \( -type f -o -type l \) -print | sort)
assert_eq "uninstall: no file or link left in /etc or CHECKOUT" "$left" ""
assert_eq "uninstall: no pin refs left" "$(ostree refs --repo="$R" | grep -c syscontainer/deploy)" 0
rs images delete test/shared
rs images prune
assert_eq "the last prune drops the layers once nothing pins them (multi's 3, shared's own)" "$(echo "$out" | grep -c '^Deleting')" 4
expect_fail "uninstall an unknown name" 1 "syscontainer: uninstall nosuch: no container 'nosuch' is installed" --root "$ROOT" uninstall nosuch
assert_fsck "$R"
done_testing
