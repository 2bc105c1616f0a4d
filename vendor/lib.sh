# Shared helpers for the dependency recipes, sourced by vendor/build.sh and
# vendor/tools.sh.  Everything lands under vendor/: fetched archives in dl/,
# unpacked trees in src/, the private sysroot in prefix/ (all git-ignored).

V=$(cd "$(dirname "$0")" && pwd)
DL=$V/dl
SRCDIR=$V/src
PREFIX=$V/prefix          # a sysroot: libraries are configured for /usr and installed with DESTDIR
STAMPS=$V/.stamps
TOOLS=$V/.tools

log() { printf 'vendor: %s\n' "$*" >&2; }
die() { printf 'vendor: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Target facts come from the compiler, so a cross CC needs no recipe change.
# (A function: on a fresh machine the compiler exists only after tools.sh.)
: "${CC:=musl-gcc}"
target_facts() {
	TRIPLET=$($CC -dumpmachine) || die "compiler '$CC' does not run"   # x86_64-linux-gnu under musl-gcc
	ARCH=${TRIPLET%%-*}
}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
VCFLAGS="-O2 -fPIC -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
