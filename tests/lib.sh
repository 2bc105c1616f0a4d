# Shared by every tests/tNNNN-*.sh: a fresh temporary world per test, TAP
# assertions, and cleanup of whatever the test started (by PID).
#
# Every test runs with its own CHECKOUT and repo under $T, so nothing touches
# the host's /ostree, /etc/systemd or /var/lib/containers (tests/run.sh
# checks).  The peers that would write there by themselves run through the
# wrappers of tests/helpers/bin, first in PATH.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$top/tests/helpers/bin:$PATH
SC_FILE=${SC_BIN:-$top/syscontainer}   # the binary itself: inspected, copied into chroots
SC=$SC_FILE                            # the command that runs it
T=$(mktemp -d "${TMPDIR:-/tmp}/sctest.XXXXXX")
# Another architecture's binary (`make check-cross`) runs under qemu-user
# (SC_EMU): $SC becomes a wrapper, so tests run it as they run a native one.
SC_EMU=${SC_EMU:-}
if [ -n "$SC_EMU" ]; then
	SC=$T/.emu/syscontainer
	mkdir -p "$T/.emu"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$SC_EMU" "'$SC_FILE'" > "$SC"
	chmod +x "$SC"
fi
# Test images name the tested binary's architecture (in Go's words), or pull
# would refuse them.
case ${SC_ARCH:-$(uname -m)} in
x86_64) IMAGE_ARCH=amd64 ;;
aarch64) IMAGE_ARCH=arm64 ;;
*) IMAGE_ARCH=${SC_ARCH:-$(uname -m)} ;;
esac
export IMAGE_ARCH
export ATOMIC_OSTREE_CHECKOUT_PATH=$T/checkout
unset ATOMIC_OSTREE_REPO
export LC_ALL=C
_n=0 _failed=0 _pids=

_cleanup() {
	for p in $_pids; do kill "$p" 2>/dev/null; done
	for p in $_pids; do wait "$p" 2>/dev/null; done
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT

# Remember a background process to stop at exit.
track_pid() { _pids="$_pids $1"; }

ok()     { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
skip()   { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
note()   { echo "# $*"; }

# check DESCRIPTION COMMAND...: pass when the command succeeds.
check() {
	_d=$1; shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; echo "#   command: $*"; fi
}

# assert_eq DESCRIPTION GOT EXPECTED
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
	fi
}

# assert_match DESCRIPTION STRING GLOB
assert_match() {
	case $2 in
	$3) ok "$1" ;;
	*) not_ok "$1"; printf '#   got:     %s\n#   pattern: %s\n' "$2" "$3" ;;
	esac
}

# sc ARGS...: run the binary; sets $rc, $out (stdout) and $errout (stderr).
sc() {
	"$SC" "$@" > "$T/.out" 2> "$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
	return 0
}

# expect_fail DESCRIPTION RC 'exact stderr line' ARGS...
expect_fail() {
	_d=$1 _rc=$2 _msg=$3; shift 3
	sc "$@"
	assert_eq "$_d: exit status" "$rc" "$_rc"
	assert_eq "$_d: message" "$errout" "$_msg"
}

# The repository's fsck by the system's ostree CLI must be clean.
assert_fsck() {
	if ostree fsck --repo="$1" > "$T/.fsck" 2>&1; then ok "ostree fsck clean: ${2:-$1}"
	else not_ok "ostree fsck clean: ${2:-$1}"; sed 's/^/#   /' "$T/.fsck" | tail -20; fi
}

# sc_into_root DIR PATH: copy the binary to DIR/PATH for a chroot at DIR and
# set $sc_in_root to the command that runs it there (PATH, or PATH under a
# copy of the emulator put next to it).
sc_into_root() {
	cp "$SC_FILE" "$1$2"
	sc_in_root=$2
	if [ -n "$SC_EMU" ]; then
		cp "$(command -v "$SC_EMU")" "$1${2%/*}/qemu-user"
		sc_in_root="${2%/*}/qemu-user $2"
	fi
}

# Tests that need what a machine may lack: fail unless ALLOW_SKIP is set.
skip_or_fail() {
	if [ -n "${ALLOW_SKIP:-}" ]; then skip "$*"; else not_ok "cannot run: $* (set ALLOW_SKIP=1 to allow)"; fi
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" = 0 ]
}
