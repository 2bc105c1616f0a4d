#!/bin/bash
# Issue 3: kill -9 a pull of a multi-layer archive at many points and check
# that the repo is never corrupt (README, Design, "Locking and crash safety").
# Deterministic kills: strace's fault injection delivers SIGKILL at the Nth
# call of one syscall: pread64 (byte offsets of the archive), renameat and
# renameat2 (libostree's object and commit renames, ref writes), write,
# fsync/fdatasync/syncfs (inside libostree's transactions), mkdirat
# (creating the private repo).  N runs over a bounded set spread across the
# calls a clean pull makes (counted first), ends included.
# After each kill: the repo is absent or `ostree fsck` clean; every layer ref
# left names the right tree; an image ref only exists with all its layers;
# and a rerun completes, fsck clean, with the same trees as a clean pull;
# the next command removes the staging data the killed pull left.
# Takes 40-60 s: ~55 killed pulls and their reruns.
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace: the strace'd runs of a SANITIZE=1
# build check memory errors, not leaks.
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0
. "$top/tests/helpers/pull-lib.sh"

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
A=$fx/multi.tar
NS=
unshare -n true 2> /dev/null && NS="unshare -n"
mapfile -t diffs < <(diff_ids "$A")
img=$(image_ref docker.io/test/multi:latest)

# content LAYER_REF: the tree checksum of a commit (metadata and date apart).
content() { ostree show --repo="$R" "$1" 2> /dev/null | sed -n 's/^ContentChecksum: *//p'; }

# A clean pull, counted: the trees every later state must match, and how
# many times the pull makes each syscall we kill at.
use_checkout "$T/c-ref"
# shellcheck disable=SC2086
$NS strace -f -o "$T/trace" -e trace=pread64,renameat,renameat2,write,fsync,fdatasync,syncfs,mkdirat \
	"$SC_REAL" pull "dockertar:$A" > /dev/null 2>&1
assert_eq "clean pull under strace: exit 0" "$?" 0
want=()
for d in "${diffs[@]}"; do want+=("$(content "ociimage/${d#sha256:}")"); done
check "clean pull: every layer has a tree" test "$(echo "${want[*]}" | wc -w)" = "${#diffs[@]}"
count() { max_calls "$T/trace" "$1"; }   # per thread: see pull-lib.sh

# points SYSCALL TOTAL: where to kill, N from 1 to TOTAL (a number <= 0
# counts back from the last call: 0 is the last).  Every rename up to a
# Fibonacci bound (libostree's object, commit and ref renames), every syncfs
# and fdatasync (one per transaction and per ref), the first calls of
# mkdirat (the repo's own directories), and a few spread over the rest;
# always the last calls: the commit and the refs come last.
points() {
	case $1 in
	renameat)           set -- "$2" 1 2 3 5 8 13 21 34 55 89 144 233 -2 -1 0 ;;
	fdatasync | syncfs) set -- "$2" $(seq 1 "$2") ;;
	mkdirat)            set -- "$2" 1 2 3 5 8 0 ;;
	pread64)            set -- "$2" 1 -8 -4 -1 0 ;;   # the index first, layer data last
	*)                  set -- "$2" 1 5 21 144 -1 0 ;;
	esac
	t=$1
	shift
	for n in "$@"; do
		[ "$n" -le 0 ] && n=$((t + n))
		[ "$n" -ge 1 ] && [ "$n" -le "$t" ] && echo "$n"
	done | sort -nu
}

# The refs a pull of multi may leave: its layer refs and its image ref.
for d in "${diffs[@]}"; do echo "ociimage/${d#sha256:}"; done | sort > "$T/layers.allowed"
{ cat "$T/layers.allowed"; echo "$img"; } | sort > "$T/refs.allowed"

# kill_at SYSCALL N: a pull killed at the Nth call of SYSCALL; sets $krc.
kill_at() {
	(
		# shellcheck disable=SC2086
		$NS strace -f -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
			"$SC_REAL" pull "dockertar:$A" > /dev/null 2>&1
		echo $? > "$T/.krc"
	) 2> /dev/null    # not bash's "Killed" notice
	krc=$(cat "$T/.krc")
}

# state LABEL WHEN: what a repo holds after a kill (WHEN=kill) or a rerun.
state() {
	if ! ostree refs --repo="$R" > "$T/.refs" 2> "$T/.refs.err"; then
		not_ok "$1: ostree refs lists the refs ($2): $(cat "$T/.refs.err")"
		return
	fi
	sort -o "$T/.refs" "$T/.refs"
	assert_eq "$1: no stray ref ($2)" "$(comm -23 "$T/.refs" "$T/refs.allowed" | tr '\n' ' ')" ""
	bad=
	for i in "${!diffs[@]}"; do
		lr=ociimage/${diffs[$i]#sha256:}
		grep -qx "$lr" "$T/.refs" || continue
		[ "$(content "$lr")" = "${want[$i]}" ] || bad="$bad layer$((i + 1))"
	done
	assert_eq "$1: every layer ref names the right tree ($2)" "$bad" ""
	if grep -qx "$img" "$T/.refs"; then
		assert_eq "$1: the image ref exists only with all its layers ($2)" \
			"$(comm -23 "$T/layers.allowed" "$T/.refs" | tr '\n' ' ')" ""
	fi
	assert_fsck "$R" "$1: $2"
}

# after_kill LABEL: the state a kill left, then a rerun.
after_kill() {
	if [ ! -e "$R" ] || [ -z "$(ls -A "$R")" ]; then
		ok "$1: killed before the repo existed (at most an empty directory)"
	elif [ ! -e "$R/config" ] || [ ! -d "$R/objects" ]; then
		not_ok "$1: a half-made repository is left ($(cd "$R" && echo *))"
	else
		# libostree writes a ref as refs/heads/.../tmp.XXXXXX, then renames
		# it: a kill in between leaves that file.  The next command of ours
		# removes it (any command opening the store); only then must no
		# stray ref remain.
		sc images list
		assert_eq "$1: the next command runs (after the kill)" "$rc" 0
		# ... and removes the staging data the killed pull left (issue 11)
		assert_eq "$1: no staging data left (after the kill)" \
			"$(ls -A "$R/tmp" 2> /dev/null | grep -vx cache | tr '\n' ' ')" ""
		state "$1" "after the kill"
	fi
	sc pull "dockertar:$A"
	assert_eq "$1: rerun exit 0" "$rc" 0
	[ "$rc" = 0 ] || note "rerun: $errout"
	[ -d "$R/objects" ] || return
	state "$1" "after the rerun"
	assert_eq "$1: rerun leaves every ref" "$(cat "$T/.refs")" "$(cat "$T/refs.allowed")"
}

for sys in pread64 renameat renameat2 write fsync fdatasync syncfs mkdirat; do
	total=$(count $sys)
	if [ -z "$total" ] || [ "$total" = 0 ]; then
		note "a clean pull makes no $sys call: nothing to kill at"
		continue
	fi
	note "$sys: $total calls in a clean pull"
	for n in $(points $sys "$total"); do
		use_checkout "$T/c-$sys-$n"
		kill_at $sys "$n"
		if [ "$krc" = 0 ]; then
			# libostree's count of some syncs varies from run to run.
			ok "$sys #$n: the pull finished before call $n (counts vary): nothing to check"
			rm -rf "$T/c-$sys-$n"
			continue
		fi
		assert_eq "$sys #$n: the pull was killed (SIGKILL)" "$krc" 137
		after_kill "$sys #$n"
		rm -rf "$T/c-$sys-$n"
	done
done

# The last recovered repo, checked out, is still umoci's tree.
use_checkout "$T/c-final"
kill_at renameat "$(count renameat)"
sc pull "dockertar:$A"
layer_refs=()
for d in "${diffs[@]}"; do layer_refs+=("ociimage/${d#sha256:}"); done
if rootfs "$T/root" "${layer_refs[@]}"; then
	assert_tree "killed at the last rename, rerun: checkout equals umoci unpack" "$fx/multi.rootfs" "$T/root"
else
	not_ok "check out the recovered layers"
fi

# Two pulls at once into one new repo (first boot: two services pulling)
# share the lock and both complete; three rounds, each in a fresh repo.
for round in 1 2 3; do
	use_checkout "$T/c-concurrent-$round"
	"$SC" pull "dockertar:$A" > "$T/p1.out" 2>&1 &
	p1=$!
	track_pid $p1
	"$SC" pull "dockertar:$fx/shared.tar" > "$T/p2.out" 2>&1 &
	p2=$!
	track_pid $p2
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	assert_eq "concurrent pulls $round: multi completes" "$r1" 0
	[ "$r1" = 0 ] || note "$(cat "$T/p1.out")"
	assert_eq "concurrent pulls $round: shared completes" "$r2" 0
	[ "$r2" = 0 ] || note "$(cat "$T/p2.out")"
	check "concurrent pulls $round: both image refs" \
		test -n "$(rev "$img")" -a -n "$(rev "$(image_ref docker.io/test/shared:latest)")"
	assert_fsck "$R" "after concurrent pulls $round"
done

done_testing
