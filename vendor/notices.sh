#!/bin/sh
# notices.sh SYSROOT: print THIRD-PARTY-NOTICES, the license texts of every
# library linked into syscontainer, taken from the fetched sources at build
# time (SYSROOT: vendor/prefix, or vendor/prefix-ARCH of a cross build).
set -eu
lic=${1:?usage: notices.sh SYSROOT}/usr/share/licenses
cat <<HEAD
syscontainer is statically linked with the following libraries.  Their
license texts follow.  GLib and libostree are under the GNU LGPL (version 2
or later): the recipes in syscontainer's vendor/ directory and syscontainer's
own sources are the means to relink the program against modified versions.
HEAD
for d in musl zlib mbedtls glib ostree pcre2 libffi xz jsmn; do
	[ -d "$lic/$d" ] || { echo "notices: no license files for $d" >&2; exit 1; }
	printf '\n==============================================================================\n'
	printf '%s\n' "$(cat "$lic/$d/VERSION")"
	printf '==============================================================================\n'
	for f in "$lic/$d"/*; do
		[ "$(basename "$f")" = VERSION ] && continue
		cat "$f"
	done
done
