#!/bin/sh
# Make sure the build tools and deb-src are present.  As root we install what is
# missing; otherwise we print the exact command and stop.
set -eu
. "$(dirname "$0")/lib.sh"

# The target comes from the GNU C compiler (CC: gcc, or a cross gcc such as
# aarch64-linux-gnu-gcc); musl is built with it by vendor/musl.
case ${CC##*/} in
gcc) cross= ;;
*-gcc) cross=${CC##*/} cross=${cross%gcc} ;;
*) die "CC '$CC': give gcc or a Debian cross compiler (TRIPLET-gcc)" ;;
esac

# command-or-file  package
need='meson:meson ninja:ninja-build autoreconf:autoconf automake:automake
libtoolize:libtool bison:bison flex:flex autopoint:autopoint gtkdocize:gtk-doc-tools
pkgconf:pkgconf /usr/include/linux/fs.h:linux-libc-dev xz:xz-utils bzip2:bzip2
apt-get:apt make:make gcc:gcc sha256sum:coreutils'
if [ -n "$cross" ]; then
	# Debian's cross gcc, binutils and kernel headers for the target (its
	# Debian architecture names the headers' package), and qemu-user to run
	# the test programs of configure and meson.
	t=${cross%-}
	case ${t%%-*} in
	aarch64) debarch=arm64 ;;
	x86_64) debarch=amd64 ;;
	*) die "no Debian architecture known for $t: add it to vendor/tools.sh" ;;
	esac
	pkgt=$(echo "$t" | tr _ -)
	need="$need ${cross}gcc:gcc-$pkgt ${cross}strip:binutils-$pkgt
/usr/$t/include/linux/fs.h:linux-libc-dev-$debarch-cross qemu-${t%%-*}-static:qemu-user-static"
fi
missing=
for pair in $need; do
	what=${pair%%:*} pkg=${pair#*:}
	case $what in
	/*) [ -e "$what" ] && continue ;;
	*) command -v "$what" >/dev/null 2>&1 && continue ;;
	esac
	case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done
if [ -n "$missing" ]; then
	if is_root; then
		log "installing build tools:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		die "missing build tools; run as root: apt-get install$missing"
	fi
fi

# Sources come from Debian's signed source index: deb-src must be enabled.
has_debsrc() {
	grep -qsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}
if ! has_debsrc; then
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	f=/etc/apt/sources.list.d/syscontainer-deb-src.sources
	if ! is_root; then
		die "deb-src is not enabled; run as root:
  printf 'Types: deb-src\\nURIs: http://deb.debian.org/debian\\nSuites: $suite $suite-updates\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n\\nTypes: deb-src\\nURIs: http://deb.debian.org/debian-security\\nSuites: $suite-security\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $f && apt-get update"
	fi
	log "enabling deb-src for Debian's archive in $f"
	cat > "$f" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -qq
fi

target_facts
# musl has no kernel headers: give it only linux/, asm/ and asm-generic/,
# from Debian's cross package for a cross build.
kinc=$PREFIX/kernel-include
mkdir -p "$kinc"
if [ -n "$CROSS" ]; then
	kdir=/usr/$TRIPLET/include asm=$kdir/asm
else
	kdir=/usr/include asm=/usr/include/$TRIPLET/asm
	[ -d "$asm" ] || asm=/usr/include/asm
fi
[ -d "$asm" ] && [ -d "$kdir/linux" ] || die "no kernel headers for $TRIPLET in $kdir"
ln -sfn "$kdir/linux" "$kinc/linux"
ln -sfn "$asm" "$kinc/asm"
ln -sfn "$kdir/asm-generic" "$kinc/asm-generic"

# pkg-config that only ever sees our sysroot and always links statically.
mkdir -p "$TOOLS"
cat > "$TOOLS/pkg-config" <<PC
#!/bin/sh
PKG_CONFIG_LIBDIR=$PREFIX/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$PREFIX \\
	exec pkgconf --static "\$@"
PC
chmod +x "$TOOLS/pkg-config"
mkdir -p "$STAMPS"
touch "$STAMPS/tools"
