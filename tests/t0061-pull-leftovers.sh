#!/bin/bash
# Issue 11: nothing left behind, nothing written twice.
# - A pull killed half-way leaves staging data; the next command removes it,
#   and `images prune` says how much it reclaimed.
# - A pull running next to another command keeps its own staging data
#   (each staging directory is locked while in use).
# - A repository creation killed half-way leaves no half-made repository
#   once the next pull ran.
# - Re-pulling an unchanged image, from an archive or a registry, writes
#   nothing at all: every file and directory of CHECKOUT and the
#   repository keeps its size, mtime and ctime; "Image is up to date".
#   A changed image under the same name is pulled.
# - The suite's skopeo leaves the host's /var/lib/containers alone.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

offline
if ! build_umoci || ! build_hostile --big-mb 300 big-raw; then
	not_ok "build the fixtures"
	done_testing
	exit 1
fi

# staging: the staging directories in repo/tmp (libostree's cache aside).
staging() { ls -A "$R/tmp" 2> /dev/null | grep -vx cache | tr '\n' ' '; }

# held_pull ARCHIVE MB: start a pull of ARCHIVE from a pipe this test
# holds, and feed it the first MB MiB: the pull cannot end (nor run ahead
# of a check) until feed_rest.  $bg is its PID; fd 7 the pipe.
held_pull() {
	rm -f "$T/feed"
	mkfifo "$T/feed"
	"$SC" pull "dockertar:-" < "$T/feed" > "$T/bg.out" 2>&1 &
	bg=$!
	track_pid "$bg"
	exec 7> "$T/feed"
	held=$1 fed=$(($2 * 1048576))
	head -c "$fed" "$held" >&7 2> /dev/null
}
feed_rest() {
	tail -c +$((fed + 1)) "$held" >&7 2> /dev/null
	exec 7>&-
}

# wait_staged MB: until the held pull has staged at least MB MiB (20 s).
wait_staged() {
	for _i in $(seq 2000); do
		_kb=$(du -sk "$R/tmp" 2> /dev/null | cut -f1)
		[ "${_kb:-0}" -ge $(($1 * 1024)) ] && return 0
		kill -0 "$bg" 2> /dev/null || return 1
		sleep 0.01
	done
	return 1
}

# ---------------------------------------------------------------- killed, then prune
use_checkout "$T/co-prune"
sc pull "dockertar:$fx/multi.tar"
held_pull "$fx/big-raw.tar" 60
if wait_staged 50; then
	kill -KILL "$bg"
	wait "$bg" 2> /dev/null
	exec 7>&-
	left=$(du -sb "$R/tmp" | cut -f1)
	check "killed mid-layer: its staging data is left ($((left / 1000000)) MB)" test -n "$(staging)"
	sc images prune
	assert_eq "prune: exit 0" "$rc" 0
	said=$(echo "$out" | sed -n 's/^Removed \([0-9.]*\) MB of staging data that interrupted pulls left$/\1/p')
	check "prune says it removed the staging data (${said:-nothing} MB, du said $((left / 1000000)) MB)" \
		"$PY" -c "import sys; s, d = float('${said:-0}'), $left / 1e6; sys.exit(not (d * 0.9 <= s <= d * 1.1))"
	assert_eq "prune: no staging data left" "$(staging)" ""
	assert_fsck "$R" "after the prune"
	sc images prune
	assert_eq "a second prune finds none" "$(echo "$out" | grep -c 'staging data')" 0
else
	not_ok "a pull fed 60 of 300 MiB staged 50 MiB: $(cat "$T/bg.out")"
	exec 7>&-
fi

# ---------------------------------------------------------------- a pull running next to us
use_checkout "$T/co-concurrent"
sc pull "dockertar:$fx/multi.tar"
held_pull "$fx/big-raw.tar" 30
if wait_staged 20; then
	before=$(staging)
	sc images list
	assert_eq "another command while a pull waits for its input: exit 0" "$rc" 0
	assert_eq "... leaves the running pull's staging data alone" "$(staging)" "$before"
	sc pull "dockertar:$fx/shared.tar"
	assert_eq "... and so does a second pull next to it" "$rc" 0
	feed_rest
	wait "$bg"
	assert_eq "the held pull completes" "$?" 0
	assert_eq "then no staging data is left" "$(staging)" ""
	assert_fsck "$R" "after two pulls side by side"
else
	not_ok "a pull fed 30 of 300 MiB staged 20 MiB: $(cat "$T/bg.out")"
	exec 7>&-
fi

# ---------------------------------------------------------------- killed repository creation
if command -v strace > /dev/null; then
	use_checkout "$T/co-create"
	# the third mkdir of a pull into a new CHECKOUT is inside the new
	# repository, while libostree builds it
	(strace -f -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:signal=KILL:when=4 \
		"$SC" pull "dockertar:$fx/multi.tar" > /dev/null 2>&1; true) 2> /dev/null   # not bash's "Killed"
	check "killed while creating the repository: a half-made one is left" \
		sh -c "ls -d '$T/co-create/.storage/ostree.new-'* > /dev/null 2>&1"
	check "... not the repository itself" test ! -e "$R"
	sc pull "dockertar:$fx/multi.tar"
	assert_eq "the next pull creates the repository" "$rc" 0
	assert_eq "... and removes the half-made one" "$(cd "$T/co-create/.storage" && ls -A)" "ostree
repo-path"
	assert_fsck "$R" "after the killed creation"
else
	skip_or_fail "strace is not installed"
fi

# ---------------------------------------------------------------- the suite's skopeo
# skopeo run as root writes its cache to /var/lib/containers/cache; the
# suite's wrapper (tests/helpers/bin, first in PATH) keeps it off the host.
# Seen in a mount namespace whose /var/lib is an empty tmpfs: the real
# skopeo leaves its cache there, the wrapper leaves nothing.
cache_after() {   # cache_after SKOPEO OUTDIR: what it left under /var/lib
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /var/lib &&
		"$0" copy -q "oci:$1:multi" "dir:$2" > /dev/null 2>&1; find /var/lib -mindepth 1 | head -3' \
		"$1" "$fx/oci" "$2"
}
real=$(PATH=$(echo "$PATH" | sed "s|$top/tests/helpers/bin:||") command -v skopeo)
assert_match "the real skopeo writes its cache under /var/lib" "$(cache_after "$real" "$T/sk1")" \
	"*/var/lib/containers/cache*"
assert_eq "the suite's skopeo writes nothing there" "$(cache_after "$(command -v skopeo)" "$T/sk2")" ""
check "... and did copy the image" test -s "$T/sk2/manifest.json"

# ---------------------------------------------------------------- re-pulls write nothing
# every file and directory: type, size, mtime and ctime
tree_state() { find "$1" -printf '%p %y %s %T@ %C@\n' | sort; }

use_checkout "$T/co-repull"
sc pull "dockertar:$fx/multi.tar"
tree_state "$T/co-repull" > "$T/state.before"
sleep 1.1   # a write now would show in the times
sc pull "dockertar:$fx/multi.tar"
assert_eq "archive re-pull: exit 0" "$rc" 0
assert_match "archive re-pull: up to date" "$out" "*
Image is up to date for docker.io/test/multi:latest (IMAGE ID *)"
tree_state "$T/co-repull" > "$T/state.after"
assert_eq "archive re-pull: nothing in CHECKOUT or the repository changed" \
	"$(diff "$T/state.before" "$T/state.after" | head -10)" ""

SC=$SC_REAL   # the registry listens on the host's loopback
P=$(free_port)
REG=127.0.0.1:$P
if start_registry reg "$P" "$T/reg-data" && push "oci:$fx/oci:multi" "$REG/test/app:t"; then
	sc pull --tls-verify=false "$REG/test/app:t"
	assert_eq "registry pull: exit 0" "$rc" 0
	tree_state "$T/co-repull" > "$T/state.before"
	sleep 1.1
	sc pull --tls-verify=false "$REG/test/app:t"
	assert_eq "registry re-pull: exit 0" "$rc" 0
	assert_match "registry re-pull: up to date" "$out" "*
Image is up to date for $REG/test/app:t (IMAGE ID *)"
	tree_state "$T/co-repull" > "$T/state.after"
	assert_eq "registry re-pull: nothing changed" "$(diff "$T/state.before" "$T/state.after" | head -10)" ""
	# the tag moves to another image: that one is pulled
	check "push shared under the same tag" push "oci:$fx/oci:shared" "$REG/test/app:t"
	sc pull --tls-verify=false "$REG/test/app:t"
	assert_match "registry: a changed image under the same tag is pulled" "$out" \
		"*Pulled $REG/test/app:t (IMAGE ID *): 1 layer stored, 1 skipped, *"
	assert_fsck "$R" "after the re-pulls"
else
	not_ok "start docker-registry and push multi"
fi

done_testing
