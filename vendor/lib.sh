# Shared helpers for the dependency recipes, sourced by vendor/build.sh and
# vendor/tools.sh.  Everything lands under vendor/: fetched archives in dl/,
# unpacked trees in src/, the private sysroot in prefix/, build tools (musl's
# gcc wrapper, pkg-config) in .tools/ (all git-ignored).

V=$(cd "$(dirname "$0")" && pwd)
DL=$V/dl

log() { printf 'vendor: %s\n' "$*" >&2; }
die() { printf 'vendor: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Target facts come from the compiler (gcc or musl's wrapper around it), so a
# cross build needs no recipe change.  (A function: on a fresh machine the
# compiler exists only after tools.sh.)
: "${CC:=gcc}"
target_facts() {
	TRIPLET=$($CC -dumpmachine) || die "compiler '$CC' does not run"   # aarch64-linux-gnu
	ARCH=${TRIPLET%%-*}
	# A cross build keeps its own sysroot, tools, sources and stamps (suffix
	# -ARCH) so builds for several targets coexist; archives are shared.  Its
	# autotools get --host, meson a cross file, binutils the triplet prefix.
	if [ "$ARCH" = "$(uname -m)" ]; then
		SFX= CROSS= HOSTFLAG=
	else
		SFX=-$ARCH CROSS=$TRIPLET- HOSTFLAG=--host=$TRIPLET
	fi
	SRCDIR=$V/src$SFX
	PREFIX=$V/prefix$SFX      # a sysroot: libraries are configured for /usr and installed with DESTDIR
	STAMPS=$V/.stamps$SFX
	TOOLS=$V/.tools$SFX
	AR=${CROSS}ar RANLIB=${CROSS}ranlib STRIP=${CROSS}strip
}

# meson's arguments for the target: nothing natively, else a cross file
# written from the triplet.  Test programs of a cross build run under
# qemu-user.
meson_target_args() {
	[ -n "$CROSS" ] || return 0
	f=$TOOLS/meson-cross.ini
	cat > "$f" <<INI
[binaries]
c = '$CC'
ar = '${CROSS}ar'
strip = '${CROSS}strip'
pkg-config = '$TOOLS/pkg-config'
exe_wrapper = 'qemu-$ARCH-static'

[host_machine]
system = 'linux'
cpu_family = '$ARCH'
cpu = '$ARCH'
endian = 'little'
INI
	echo "--cross-file=$f"
}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
VCFLAGS="-O2 -fPIC -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
