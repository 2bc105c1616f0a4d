#!/bin/bash
# Issue 11: power loss, not only kill -9.  The target root lives on a
# loop-mounted ext4 (mounted without timed journal commits, so what nobody
# synced stays in memory); a "power cut" keeps only what reached the loop
# device (tests/helpers/disk-lib.sh, power_cut) and mounts that again.
# - A pull, install or uninstall that said it was done is done after the
#   power cut: every rename that publishes state was synced.
# - One cut at the Nth rename, fsync or syncfs (strace stops the process
#   there with SIGKILL, then the power goes) leaves a repository that
#   `ostree fsck` finds clean, an image ref only with all its layers, and
#   a container either absent or complete once the next command ran
#   (README, Design, "Power cuts").  The operation then succeeds.
# Takes ~60 s: some thirty power cuts.
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

# fresh: a new ext4 as the target root, with a runtime for the units.
n_disk=0
fresh() {
	[ -n "${_disk_img[$ROOT]:-}" ] && umount "$ROOT"
	n_disk=$((n_disk + 1))
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

# installed LABEL: multi is installed, whole: the link, its slot's bundle
# and rootfs (umoci's), the unit, the pin, the listing.
installed() {
	assert_eq "$1: NAME links to slot 0" "$(readlink "$CK/multi")" "multi.0"
	check "$1: config.json is whole" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$CK/multi.0/config.json"
	assert_tree "$1: the rootfs is umoci's" "$fx/multi.rootfs" "$CK/multi.0/rootfs"
	check "$1: the unit" test -s "$ROOT/etc/systemd/system/multi.service"
	assert_eq "$1: the pin names the image" "$(rev syscontainer/deploy/multi.0)" "$(rev "$img")"
	rs containers list -q
	assert_eq "$1: listed" "$out" "multi"
}

# absent LABEL: nothing of multi's installation is left.
absent() {
	assert_eq "$1: no deployment, link or journal" \
		"$(cd "$CK" 2> /dev/null && ls -A | grep -v '^\.storage$' | tr '\n' ' ')" ""
	assert_eq "$1: no unit, tmpfiles or enable link" \
		"$(find "$ROOT/etc" -name '*multi.*' 2> /dev/null | tr '\n' ' ')" ""
	assert_eq "$1: no pin" "$(rev syscontainer/deploy/multi.0)" ""
}

# counts COMMAND...: how often a clean run of it calls each syscall we cut at.
counts() {
	strace -f -c -o "$T/counts" -e trace=renameat,renameat2,fsync,fdatasync,syncfs \
		"$SC" --root "$ROOT" "$@" > /dev/null 2>&1
}
count() { awk -v s="$1" '$NF == s {print $4}' "$T/counts"; }

# points TOTAL: where to cut, among 1..TOTAL: the first, half way, and the
# last three (the commit, the refs, the link flip, the journal's removal
# come last).
points() {
	echo 1 $(($1 / 2)) $(($1 - 2)) $(($1 - 1)) "$1" | tr ' ' '\n' |
		awk -v t="$1" '$1 >= 1 && $1 <= t' | sort -nu
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

rs install test/multi
assert_eq "install: exit 0" "$rc" 0
power_cut "$ROOT"
installed "installed, then the power cut"

rs uninstall multi
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

# ---------------------------------------------------------------- cut half-way: install, uninstall
fresh
rs pull "dockertar:$fx/multi.tar"
sync -f "$ROOT"
cp --sparse=always "${_disk_img[$ROOT]}" "$T/pulled.img"   # the start of every case below
counts install test/multi
ins_counts=$(cat "$T/counts")
counts uninstall multi
uni_counts=$(cat "$T/counts")

# from_pulled: the target root as it was after the pull, synced.
from_pulled() {
	umount "$ROOT"
	cp --sparse=always "$T/pulled.img" "${_disk_img[$ROOT]}"
	_disk_attach "$ROOT" "${_disk_img[$ROOT]}"
}

for op in install uninstall; do
	if [ $op = install ]; then echo "$ins_counts" > "$T/counts"; else echo "$uni_counts" > "$T/counts"; fi
	for sys in renameat fsync syncfs; do
		total=$(count $sys)
		[ -n "$total" ] || continue
		note "$op: $total $sys calls"
		for n in $(points "$total"); do
			l="$op cut at $sys #$n"
			from_pulled
			if [ $op = uninstall ]; then
				rs install test/multi
				sync -f "$ROOT"
			fi
			if [ $op = install ]; then arg=test/multi; else arg=multi; fi
			killed_at $sys "$n" $op "$arg"
			power_cut "$ROOT"
			rs containers list -q   # finishes or rolls back what was cut
			assert_eq "$l: the next command runs" "$rc" 0
			if [ "$out" = multi ]; then
				installed "$l: complete"
				rs uninstall multi
			else
				absent "$l: absent"
			fi
			repo_consistent "$l"
			rs install test/multi
			assert_eq "$l: an install then works" "$rc" 0
		done
	done
done

done_testing
