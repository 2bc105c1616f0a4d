#!/bin/bash
# A container's life under --root (offline, as from an initramfs or an image
# build): containers update into the other slot and rollback, values and the
# UUID carried over, host files switched (an edited one kept), data kept by
# uninstall and reused by the next install, another name refused it,
# uninstall --purge; every bad input one line with the target untouched; and
# kill -9 at every rename, unlink, link and symlink of an update, a rollback
# and an uninstall: the next command finishes or undoes it, and the state is
# always one deployment, whole (link, unit, tmpfiles conf, host files, pins).
. "$(dirname "$0")/lib.sh"
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0

ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
R=$CK/.storage/ostree
mkdir -p "$ROOT/usr/bin" "$ROOT/etc" "$T/img"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc" && chmod +x "$ROOT/usr/bin/runc"
rs() { sc --root "$ROOT" "$@"; }
sc_id() { "$SC" --root "$ROOT" images info --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"][:19])'; }

# kv:VERSION: a service with a data directory (tmpfiles), a tool and a
# config on the host; v2 drops the v1-only file and changes the others.
mkimg() {   # mkimg TAG RUNSH HOSTFS-JSON-ENTRIES
	cat > "$T/img/$1.json" <<SPEC
{"layers": [[{"path": "run.sh", "data": "$2", "mode": 493},
             {"path": "exports/", "dir": true},
             {"path": "exports/manifest.json", "data": "{\\"defaultValues\\": {\\"PORT\\": \\"2379\\"}}"},
             {"path": "exports/tmpfiles.template", "data": "d \${STATE_DIRECTORY}/\${NAME} 0700 0 0 - -\\n"},
             {"path": "exports/service.template", "data": "[Service]\\nExecStart=/bin/true \$PORT \$UUID $1\\n[Install]\\nWantedBy=multi-user.target\\n"}$3]]}
SPEC
	python3 "$top/tests/helpers/mkarchive.py" "$T/img/$1.tar" "test/kv:$1" "$T/img/$1.json"
}
mkimg v1 '#!/bin/sh\necho v1\n' ', {"path": "exports/hostfs/usr/local/bin/kvctl", "data": "kvctl v1\n", "mode": 493}, {"path": "exports/hostfs/etc/kv-v1.conf", "data": "only in v1\n"}, {"path": "exports/hostfs/etc/kv/kv.conf", "data": "conf v1\n"}'
mkimg v2 '#!/bin/sh\necho v2\n' ', {"path": "exports/hostfs/usr/local/bin/kvctl", "data": "kvctl v2\n", "mode": 493}, {"path": "exports/hostfs/etc/kv/kv.conf", "data": "conf v2\n"}'
mkimg v3 '#!/bin/sh\n' ', {"path": "exports/hostfs/etc/cron.d/kv", "data": "x\n"}'
mkimg v4 '#!/bin/sh\n' ''
for v in v1 v2 v3 v4; do rs pull "dockertar:$T/img/$v.tar"; done
rs images tag test/kv:v1 test/kv:live

unit() { cat "$ROOT/etc/systemd/system/kv.service" 2>/dev/null; }
live() { readlink "$CK/kv"; }
uuid() { sed -n 's/.*ExecStart=[^ ]* [^ ]* \([^ ]*\) .*/\1/p' "$ROOT/etc/systemd/system/kv.service"; }
snapshot() { (cd "$ROOT" && find . -path ./var/lib/containers/atomic/.storage -prune -o -printf '%p %M %s\n' | sort); }

# --- install, then update into the other slot ----------------------------------------
rs install --name kv test/kv:live
assert_eq "install v1" "$rc" 0
systemd-tmpfiles --root="$ROOT" --create "$ROOT/etc/tmpfiles.d/kv.conf"   # as at boot
echo precious > "$ROOT/var/lib/kv/data"
u1=$(uuid)
rs images tag test/kv:v2 test/kv:live
rs containers update kv
assert_eq "update: exit 0" "$rc" 0
assert_eq "update: what it says" "$out" "Extracting to /var/lib/containers/atomic/kv.1
Installing /etc/kv/kv.conf (0644)
Installing /usr/local/bin/kvctl (0755)
systemd is not running here: the new deployment starts at boot
Updated kv to docker.io/test/kv:live (IMAGE ID $(sc_id test/kv:v2)); kv.0 is kept for rollback"
assert_eq "update: the link flipped to slot 1" "$(live)" kv.1
assert_eq "update: the unit is v2's" "$(unit | grep -c 'ExecStart=.* v2$')" 1
assert_eq "update: host files are v2's, the v1-only one removed" "$(cat "$ROOT/usr/local/bin/kvctl" "$ROOT/etc/kv/kv.conf"; ls "$ROOT/etc/kv-v1.conf" 2>&1 | grep -c 'No such')" "kvctl v2
conf v2
1"
assert_eq "update: the UUID is kept" "$(uuid)" "$u1"
assert_eq "update: the data is still there" "$(cat "$ROOT/var/lib/kv/data")" precious
assert_eq "update: both slots pinned" "$(ostree refs --repo="$R" syscontainer/deploy | sort | tr '\n' ' ')" "kv.0 kv.1 "
before=$(snapshot)
rs containers update kv
assert_eq "nothing changed: Atomic's line" "$out" "Latest version already installed."
assert_eq "nothing changed: nothing touched" "$(snapshot)" "$before"

# --- --set: the other values stay, the previous deployment is replaced ----------------
rs containers update --set PORT=4001 kv
assert_eq "update --set: exit 0" "$rc" 0
assert_eq "update --set: into slot 0 again" "$(live)" kv.0
assert_match "update --set: the new value is used" "$(unit)" "*ExecStart=/bin/true 4001 $u1 v2*"
rs containers update --set EXTRA=1 kv
assert_match "a later update keeps the earlier --set" "$(unit)" "*ExecStart=/bin/true 4001 *"
assert_eq "info records both --set" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"])' "$CK/kv.1/info")" "['PORT=4001', 'EXTRA=1']"

# --- rollback ------------------------------------------------------------------------------
rs containers rollback kv
assert_eq "rollback: exit 0" "$rc" 0
assert_eq "rollback: what it says" "$out" "systemd is not running here: the previous deployment starts at boot
Rolled back kv to kv.0"
assert_eq "rollback: the link" "$(live)" kv.0
assert_match "rollback: the unit of that deployment" "$(unit)" "*ExecStart=/bin/true 4001 $u1 v2*"
rs images tag test/kv:v1 test/kv:live
rs containers update kv
rs containers rollback kv
assert_eq "rollback to v2: its host files come back, v1's go" "$(cat "$ROOT/usr/local/bin/kvctl"; ls "$ROOT/etc/kv-v1.conf" 2>&1 | grep -c 'No such')" "kvctl v2
1"
rs containers rollback kv
assert_eq "rollback again rolls forward (to v1)" "$(cat "$ROOT/usr/local/bin/kvctl" "$ROOT/etc/kv-v1.conf")" "kvctl v1
only in v1"

# --- an edited host file is the admin's ----------------------------------------------------
echo "my own" >> "$ROOT/etc/kv/kv.conf"
rs images tag test/kv:v2 test/kv:live
rs containers update kv
assert_match "update: an edited file is kept and named" "$out" "*Kept /etc/kv/kv.conf: edited since it was installed*"
assert_eq "update: the edit stays" "$(tail -1 "$ROOT/etc/kv/kv.conf")" "my own"

# --- bad input: one line, nothing changed ----------------------------------------------
before=$(snapshot)
refs=$(ostree refs --repo="$R" | sort)
unchanged() {
	assert_eq "$1: the target is as it was" "$(snapshot)" "$before"
	assert_eq "$1: refs as they were" "$(ostree refs --repo="$R" | sort)" "$refs"
}
expect_fail "update of an unknown container" 1 "syscontainer: containers update nosuch: no container 'nosuch' is installed" --root "$ROOT" containers update nosuch
expect_fail "rebase to an image that is not stored" 1 "syscontainer: containers update kv: image 'test/none:1' is not stored: pull it first" --root "$ROOT" containers update --rebase test/none:1 kv
expect_fail "--set of a fixed variable" 2 "syscontainer: containers update: --set NAME: a fixed variable cannot be set" --root "$ROOT" containers update --set NAME=x kv
expect_fail "an update whose image fails the trust policy" 1 "syscontainer: containers update kv: host file '/etc/cron.d/kv' (from /exports/hostfs/etc/cron.d/kv): /etc/cron.d is not a place images may write (run as root on a schedule; see HOST FILES in syscontainer(1))" --root "$ROOT" containers update --rebase test/kv:v3 kv
unchanged "refused updates"
rs install --name fresh test/kv:v4
expect_fail "rollback without a previous deployment" 1 "syscontainer: containers rollback fresh: no previous deployment to roll back to" --root "$ROOT" containers rollback fresh
rs uninstall fresh

# --- data outlives an uninstall, for the same name only ------------------------------------
rs uninstall kv
assert_eq "uninstall: exit 0" "$rc" 0
assert_eq "uninstall: the edited file is kept and named" "$out" "Kept /etc/kv/kv.conf: edited since it was installed"
assert_eq "uninstall: the data stays" "$(cat "$ROOT/var/lib/kv/data")" precious
assert_eq "uninstall: the record says kept" "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["kept"], r["places"])' "$CK/.storage/owners/kv")" "True ['/var/lib/kv']"
rm "$ROOT/etc/kv/kv.conf"
expect_fail "another name is refused the data, naming its holder" 1 "syscontainer: install kv2: '/var/lib/kv/kv2' belongs to container 'kv' (its data, kept since it was uninstalled; \`uninstall --purge kv\` drops it)" --root "$ROOT" install --name kv2 --set STATE_DIRECTORY=/var/lib/kv test/kv:v1
rs install --name kv test/kv:v1
assert_match "the same name reuses it, saying so" "$out" "*Reusing /var/lib/kv, kept from an earlier install of kv*"
assert_eq "the data is the old one" "$(cat "$ROOT/var/lib/kv/data")" precious
rs uninstall --purge kv
assert_eq "uninstall --purge: says what it removed" "$out" "Removed /var/lib/kv"
check "uninstall --purge: the data is gone" test ! -e "$ROOT/var/lib/kv"
check "uninstall --purge: the record is gone" test ! -e "$CK/.storage/owners/kv"
left=$(cd "$ROOT" && find etc usr/local var/lib/containers/atomic -path '*/.storage' -prune -o \( -type f -o -type l \) -print 2>/dev/null | sort)
assert_eq "uninstall: nothing of kv left" "$left" ""

# --- kill -9 anywhere: one whole deployment, always ------------------------------------------
# consistent WHAT: the link names a slot that has its info; the unit, the
# tmpfiles conf and the host files are that slot's; no journal is left;
# the live slot is pinned; the repository fscks clean.
consistent() {
	local l
	l=$(live)
	if [ -z "$l" ]; then
		assert_eq "$1: not installed: nothing of kv on the target" \
			"$(ls "$ROOT/etc/systemd/system/kv.service" "$ROOT/usr/local/bin/kvctl" 2>/dev/null)" ""
	else
		check "$1: the live slot is whole" test -f "$CK/$l/info" -a -f "$CK/$l/config.json"
		check "$1: the unit is the live slot's" cmp -s "$CK/$l/kv.service" "$ROOT/etc/systemd/system/kv.service"
		check "$1: the tmpfiles conf is the live slot's" cmp -s "$CK/$l/tmpfiles.conf" "$ROOT/etc/tmpfiles.d/kv.conf"
		check "$1: kvctl is the live slot's" cmp -s "$CK/$l/hostfs/usr/local/bin/kvctl" "$ROOT/usr/local/bin/kvctl"
		check "$1: the live slot is pinned" sh -c "ostree refs --repo='$R' | grep -qx 'syscontainer/deploy/$l'"
	fi
	check "$1: no journal left" sh -c "! ls '$CK'/.*.journal >/dev/null 2>&1"
	if ! ostree fsck --repo="$R" > "$T/.fsck" 2>&1; then
		not_ok "$1: fsck"
		tail -3 "$T/.fsck" | sed 's/^/#   /'
	fi
}
# sweep OP ARGS...: kill OP at each call of each syscall it makes to change
# things, then let the next command recover, check, and finish the job.
sweep() {
	local op=$1 sys n total k=0
	shift
	for sys in renameat unlinkat linkat symlinkat; do
		rm -rf "$ROOT" && cp -a "$T/base" "$ROOT"
		strace -f -c -o "$T/counts" -e trace=$sys "$SC" --root "$ROOT" "$@" > /dev/null 2>&1
		total=$(awk -v s="$sys" '$NF == s {print $4}' "$T/counts")
		for n in $(seq 1 "${total:-0}"); do
			rm -rf "$ROOT" && cp -a "$T/base" "$ROOT"
			(strace -f -o /dev/null -e trace=$sys -e inject=$sys:signal=KILL:when=$n \
				"$SC" --root "$ROOT" "$@" > /dev/null 2>&1; true) 2>/dev/null
			rs containers list -a
			consistent "$op killed at $sys #$n"
			rs "$@"
			k=$((k + 1))
		done
	done
	note "$op: $k kill points"
}
rm -rf "$ROOT/var/lib/containers/atomic/kv"* 2>/dev/null
rs images tag test/kv:v1 test/kv:live
rs install --name kv test/kv:live
rs images tag test/kv:v2 test/kv:live
cp -a "$ROOT" "$T/base"
sweep update containers update kv
rs containers update kv
rm -rf "$T/base" && cp -a "$ROOT" "$T/base"
sweep rollback containers rollback kv
sweep uninstall uninstall kv
done_testing
