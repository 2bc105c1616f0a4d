#!/bin/bash
# Issue 11: power loss, not only kill -9.  The target root lives on a
# loop-mounted ext4 (mounted without timed journal commits, so what nobody
# synced stays in memory); a "power cut" keeps only what reached the loop
# device (tests/helpers/disk-lib.sh, power_cut) and mounts that again.
# - A pull, install, update, rollback or uninstall that said it was done
#   is done after the power cut: every rename that publishes state was
#   synced.
# - One cut at the Nth rename, fsync or syncfs (strace stops the process
#   there with SIGKILL, then the power goes) leaves a repository that
#   `ostree fsck` finds clean, an image ref only with all its layers, and
#   a container absent or whole on one of its two deployments (the one
#   before or the one after) once the next command ran (README, Design,
#   "Power cuts").  The operation then succeeds.
# The container "app" follows test/app:live, multi's image first, then
# shared's (an update).  Takes ~90 s: some forty power cuts.
[ -n "${SC_PRIVATE_MOUNTS:-}" ] ||
	SC_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0   # no LSan under ptrace
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/disk-lib.sh"

offline
if ! command -v strace > /dev/null; then
	skip_or_fail "strace is not installed"
	done_testing
	exit
fi
if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
R=$CK/.storage/ostree
mapfile -t diffs < <(diff_ids "$fx/multi.tar")
img=$(image_ref docker.io/test/multi:latest)
rs() { sc --root "$ROOT" "$@"; }
retag "$fx/multi.tar" test/app:live "$T/app-v1.tar"
retag "$fx/shared.tar" test/app:v2 "$T/app-v2.tar"

# fresh: a new ext4 as the target root, with a runtime for the units.
fresh() {
	[ -n "${_disk_img[$ROOT]:-}" ] && umount "$ROOT"
	mount_ext4 "$ROOT" 64 || return 1
	mkdir -p "$ROOT/usr/bin"
	printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc"
	chmod +x "$ROOT/usr/bin/runc"
	sync -f "$ROOT"
}

# killed_at SYSCALL N COMMAND...: the command, stopped for good at the Nth
# call of SYSCALL; sets $krc (137 when it was killed).
killed_at() {
	_ka_sys=$1 _ka_n=$2
	shift 2
	(strace -f -o /dev/null -e trace="$_ka_sys" -e inject="$_ka_sys":signal=KILL:when="$_ka_n" \
		"$SC" --root "$ROOT" "$@" > /dev/null 2>&1; echo $? > "$T/.krc") 2> /dev/null
	krc=$(cat "$T/.krc")
}

# repo_consistent LABEL: fsck clean; an image ref only with all its layers,
# each layer ref naming the tree umoci's layer gives.
repo_consistent() {
	[ -e "$R/config" ] || { ok "$1: no repository yet"; return; }
	assert_fsck "$R" "$1"
	if [ -n "$(rev "$img")" ]; then
		missing=
		for d in "${diffs[@]}"; do [ -n "$(rev "ociimage/${d#sha256:}")" ] || missing="$missing ${d:7:12}"; done
		assert_eq "$1: the image ref only with all its layers" "$missing" ""
	fi
}

# deployed LABEL SLOT...: app is installed, whole, on one of SLOT (0: the
# deployment of multi's image, 1: of shared's): the link, the slot's
# bundle and rootfs (umoci's), the unit, the slot's pin, the listing.
deployed() {
	_l=$1
	shift
	_live=$(readlink "$CK/app")
	assert_match "$_l: NAME links to a slot (${_live:-none}; one of: $*)" " $* " "* ${_live#app.} *"
	[ -n "$_live" ] || return
	_img=multi
	[ "$_live" = app.1 ] && _img=shared
	check "$_l: config.json is whole" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$CK/$_live/config.json"
	assert_tree "$_l: the rootfs is umoci's $_img" "$fx/$_img.rootfs" "$CK/$_live/rootfs"
	check "$_l: the unit" test -s "$ROOT/etc/systemd/system/app.service"
	check "$_l: the slot is pinned" test -n "$(rev "syscontainer/deploy/$_live")"
	rs containers list -a -q
	assert_eq "$_l: listed" "$out" "app"
}

# absent LABEL: nothing of app's installation is left.
absent() {
	assert_eq "$1: no deployment, link or journal" \
		"$(cd "$CK" 2> /dev/null && ls -A | grep -v '^\.storage$' | tr '\n' ' ')" ""
	assert_eq "$1: no unit, tmpfiles or enable link" \
		"$(find "$ROOT/etc" -name '*app.*' 2> /dev/null | tr '\n' ' ')" ""
	assert_eq "$1: no pin" "$(refs | grep syscontainer/deploy)" ""
}

# counts COMMAND...: how often a clean run of it calls each syscall we cut at.
counts() {
	strace -f -c -o "$T/counts" -e trace=renameat,renameat2,fsync,fdatasync,syncfs \
		"$SC" --root "$ROOT" "$@" > /dev/null 2>&1
}
count() { awk -v s="$1" '$NF == s {print $4}' "$T/counts"; }

# points TOTAL: where to cut, among 1..TOTAL: the first, half way, and the
# last two (the commit, the refs, the link flip, the journal's removal
# come last).
points() {
	echo 1 $(($1 / 2)) $(($1 - 1)) "$1" | tr ' ' '\n' | awk -v t="$1" '$1 >= 1 && $1 <= t' | sort -nu
}

# ---------------------------------------------------------------- done means done
fresh || { not_ok "mount a loop ext4 (mkfs.ext4, losetup)"; done_testing; exit 1; }
rs pull "dockertar:$fx/multi.tar"
assert_eq "pull: exit 0" "$rc" 0
power_cut "$ROOT"
assert_eq "pulled, then the power cut: every ref" "$(refs | tr '\n' ' ')" \
	"$( (for d in "${diffs[@]}"; do echo "ociimage/${d#sha256:}"; done; echo "$img") | sort | tr '\n' ' ')"
repo_consistent "pulled, then the power cut"
layer_refs=()
for d in "${diffs[@]}"; do layer_refs+=("ociimage/${d#sha256:}"); done
# (checked out beside the repository: ostree checkout --union renames)
if rootfs "$ROOT/layers" "${layer_refs[@]}"; then
	assert_tree "pulled, then the power cut: the layers are umoci's" "$fx/multi.rootfs" "$ROOT/layers"
else
	not_ok "pulled, then the power cut: check the layers out"
fi
rm -rf "$ROOT/layers"

rs pull "dockertar:$T/app-v1.tar"
rs install --name app test/app:live
assert_eq "install: exit 0" "$rc" 0
power_cut "$ROOT"
deployed "installed, then the power cut" 0

rs pull "dockertar:$T/app-v2.tar"
rs images tag test/app:v2 test/app:live
rs containers update app
assert_eq "update: exit 0" "$rc" 0
power_cut "$ROOT"
deployed "updated, then the power cut" 1

rs containers rollback app
assert_eq "rollback: exit 0" "$rc" 0
power_cut "$ROOT"
deployed "rolled back, then the power cut" 0

rs uninstall app
assert_eq "uninstall: exit 0" "$rc" 0
power_cut "$ROOT"
absent "uninstalled, then the power cut"
repo_consistent "uninstalled, then the power cut"

# ---------------------------------------------------------------- cut half-way: pull
fresh
counts pull "dockertar:$fx/multi.tar"
# (libostree's many fsyncs are of object directories inside a transaction;
# its transactions end with syncfs and fdatasync, the refs with renames)
for sys in renameat fdatasync syncfs; do
	total=$(count $sys)
	[ -n "$total" ] || continue
	note "pull: $total $sys calls"
	for n in $(points "$total"); do
		l="pull cut at $sys #$n"
		fresh
		killed_at $sys "$n" pull "dockertar:$fx/multi.tar"
		power_cut "$ROOT"
		rs images list
		assert_eq "$l: the next command runs" "$rc" 0
		repo_consistent "$l"
		assert_eq "$l: no staging data left" "$(ls -A "$R/tmp" 2> /dev/null | grep -vx cache)" ""
		rs pull "dockertar:$fx/multi.tar"
		assert_eq "$l: the pull then works" "$rc" 0
	done
done

# ---------------------------------------------------------------- cut half-way: the container
# Each operation starts from a synced image of the disk (save_disk), is
# cut, and is checked and redone from what the power cut left.
save_disk() { sync -f "$ROOT" && cp --sparse=always "${_disk_img[$ROOT]}" "$T/$1.img"; }
load_disk() {
	umount "$ROOT"
	cp --sparse=always "$T/$1.img" "${_disk_img[$ROOT]}"
	_disk_attach "$ROOT" "${_disk_img[$ROOT]}"
}

fresh
rs pull "dockertar:$T/app-v1.tar"
rs pull "dockertar:$T/app-v2.tar"
save_disk none                               # install starts here
rs install --name app test/app:live
rs images tag test/app:v2 test/app:live
save_disk v1                                 # update and uninstall start here
rs containers update app
save_disk v2                                 # rollback starts here

# cases OP START BEFORE AFTER CMD...: cut CMD (OP) at each point of each
# syscall, from disk START; what the next command finds must be the
# deployment BEFORE or AFTER ("-": none), whole.  When it is BEFORE, the
# operation is then done again, and works.
cases() {
	_op=$1 _start=$2 _before=$3 _after=$4
	shift 4
	load_disk "$_start"
	counts "$@"
	for sys in renameat fsync syncfs; do
		total=$(count $sys)
		[ -n "$total" ] || continue
		note "$_op: $total $sys calls"
		for n in $(points "$total"); do
			l="$_op cut at $sys #$n"
			load_disk "$_start"
			killed_at $sys "$n" "$@"
			power_cut "$ROOT"
			rs containers list -a -q   # finishes or rolls back what was cut
			assert_eq "$l: the next command runs" "$rc" 0
			if [ -z "$out" ]; then
				now=-
				check "$l: no container, which is allowed ($_before or $_after)" \
					test "$_before" = - -o "$_after" = -
				absent "$l: absent"
			else
				now=$(readlink "$CK/app" | sed 's/^app\.//')
				deployed "$l: whole" $(echo "$_before $_after" | tr -d -)
			fi
			repo_consistent "$l"
			if [ "$now" = "$_before" ]; then
				sc --root "$ROOT" "$@"
				assert_eq "$l: not done, and then done" "$rc" 0
			fi
		done
	done
}
cases install none - 0 install --name app test/app:live
cases update v1 0 1 containers update app
cases rollback v2 1 0 containers rollback app
cases uninstall v1 0 - uninstall app

done_testing
