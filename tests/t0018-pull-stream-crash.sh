#!/bin/bash
# Issue 12: kill -9 a pull reading a stream (standard input, a pipe: the
# layers come before the manifest, so they are committed without refs
# first) at points across the whole run: reads of the stream, libostree's
# renames and syncs, the ref writes at the end.  After each kill the repo
# is absent or fsck clean, no image ref exists without all its layers,
# every layer ref names the right tree; the next prune takes the commits a
# kill left unreferenced; a rerun completes with the clean pull's trees.
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace (see t0012).
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
content() { ostree show --repo="$R" "$1" 2> /dev/null | sed -n 's/^ContentChecksum: *//p'; }
SYSCALLS=read,renameat,fdatasync,syncfs

# pulled_under STRACE-ARGS...: the stream pulled from a fifo under strace.
# The writer is the test's child, not strace's: strace must not wait for
# it (it ends once no reader is left).
pulled_under() {
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	cat "$A" > "$T/fifo" 2> /dev/null &
	# shellcheck disable=SC2086
	$NS strace -f "$@" "$SC_REAL" pull docker-archive:- < "$T/fifo" > /dev/null 2>&1
	_r=$?
	wait $!
	return $_r
}

use_checkout "$T/c-ref"
pulled_under -o "$T/trace" -e trace=$SYSCALLS
assert_eq "clean stream pull under strace: exit 0" "$?" 0
want=()
for d in "${diffs[@]}"; do want+=("$(content "ociimage/${d#sha256:}")"); done
check "clean pull: every layer has a tree" test "$(echo "${want[*]}" | wc -w)" = "${#diffs[@]}"
count() { max_calls "$T/trace" "$1"; }   # per thread: see pull-lib.sh
for d in "${diffs[@]}"; do echo "ociimage/${d#sha256:}"; done | sort > "$T/layers.allowed"
{ cat "$T/layers.allowed"; echo "$img"; } | sort > "$T/refs.allowed"

# points TOTAL FRACTIONS...: calls to kill at, each a per-mille of TOTAL
# (0: the first call, 1000: the last).
points() {
	t=$1
	shift
	for f in "$@"; do echo $((1 + (t - 1) * f / 1000)); done | sort -nu
}

kill_at() {
	(
		pulled_under -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2"
		echo $? > "$T/.krc"
	) 2> /dev/null
	krc=$(cat "$T/.krc")
}

state() {
	ostree refs --repo="$R" 2> /dev/null | sort > "$T/.refs"
	assert_eq "$1: no stray ref" "$(comm -23 "$T/.refs" "$T/refs.allowed" | tr '\n' ' ')" ""
	bad=
	for i in "${!diffs[@]}"; do
		lr=ociimage/${diffs[$i]#sha256:}
		grep -qx "$lr" "$T/.refs" || continue
		[ "$(content "$lr")" = "${want[$i]}" ] || bad="$bad layer$((i + 1))"
	done
	assert_eq "$1: every layer ref names the right tree" "$bad" ""
	if grep -qx "$img" "$T/.refs"; then
		assert_eq "$1: the image ref exists only with all its layers" \
			"$(comm -23 "$T/layers.allowed" "$T/.refs" | tr '\n' ' ')" ""
	fi
	assert_fsck "$R" "$1"
}

pruned=0
for sys in ${SYSCALLS//,/ }; do
	total=$(count "$sys")
	[ -n "$total" ] && [ "$total" != 0 ] || { note "no $sys call to kill at"; continue; }
	note "$sys: $total calls in a clean pull"
	case $sys in
	read) set -- 0 100 300 500 700 900 1000 ;;
	*) set -- 0 250 500 750 1000 ;;
	esac
	for n in $(points "$total" "$@"); do
		use_checkout "$T/c-$sys-$n"
		kill_at "$sys" "$n"
		if [ "$krc" = 0 ]; then
			ok "$sys #$n: the pull finished before call $n (counts vary): nothing to check"
			continue
		fi
		assert_eq "$sys #$n: the pull was killed (SIGKILL)" "$krc" 137
		if [ -d "$R/objects" ]; then
			sc images list > /dev/null   # drops a ref file a kill left half-written
			state "$sys #$n: after the kill"
			if [ "$pruned" = 0 ] && [ -z "$(cat "$T/.refs")" ] && [ "$(count_objects commit)" != 0 ]; then
				sc images prune
				assert_eq "$sys #$n: commits left without refs go at the next prune" \
					"$rc:$(count_objects commit)" "0:0"
				pruned=1
			fi
		else
			ok "$sys #$n: killed before the repository was made"
		fi
		sc pull docker-archive:- < <(cat "$A")
		assert_eq "$sys #$n: rerun exit 0" "$rc" 0
		state "$sys #$n: after the rerun"
		assert_eq "$sys #$n: rerun leaves every ref" "$(cat "$T/.refs")" "$(cat "$T/refs.allowed")"
		rm -rf "$T/c-$sys-$n"
	done
done
check "some kill left layers committed without refs (and prune took them)" test "$pruned" = 1

done_testing
