#!/bin/sh
# vendor/build.sh NAME: fetch NAME's Debian source package, check the upstream
# archive against the sha256 in vendor/NAME/recipe, unpack it and build it into
# the private sysroot vendor/prefix[-ARCH].  Writes vendor/.stamps[-ARCH]/NAME on
# success.
set -eu
. "$(dirname "$0")/lib.sh"

name=$1
recipe=$V/$name/recipe
[ -f "$recipe" ] || die "$name: no recipe at $recipe"
# Each recipe sets: pkg, upstream, orig, sha256, licenses; defines build().
. "$recipe"
target_facts

mkdir -p "$DL" "$SRCDIR" "$STAMPS"

verify() {
	got=$(sha256sum "$DL/$orig" | cut -d' ' -f1)
	[ "$got" = "$sha256" ] || {
		rm -f "$DL/$orig"
		die "$name: checksum mismatch for $orig: expected $sha256, got $got"
	}
}

# Debian keeps only the newest revision of a package in each suite, so we never
# pin one: any revision whose .orig matches our checksum will do.  Try the
# revisions apt knows, newest first (a listed one may not be downloadable).
fetch() {
	[ -f "$DL/$orig" ] && return 0
	versions=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -urV)
	[ -n "$versions" ] || die "$name: source package '$pkg' unknown to apt (is deb-src enabled? run 'apt-get update')"
	for v in $versions; do
		case $v in *"$upstream"-*) ;; *) continue ;; esac
		rm -rf "$DL/tmp" && mkdir -p "$DL/tmp"
		# Only the .orig is needed; a missing .debian.tar is no reason to fail.
		(cd "$DL/tmp" && apt-get -qq -o APT::Sandbox::User=root source --download-only "$pkg=$v") \
			>"$DL/tmp.log" 2>&1 || true
		if [ -f "$DL/tmp/$orig" ]; then
			mv "$DL/tmp/$orig" "$DL/$orig"
			echo "$pkg $v" > "$DL/$name.revision"
			log "$name: fetched $pkg $v"
			rm -rf "$DL/tmp"
			return 0
		fi
		log "$name: $orig not downloadable from $pkg $v: $(grep -m1 'E:' "$DL/tmp.log" || true)"
	done
	rm -rf "$DL/tmp" "$DL/tmp.log"
	die "$name: no revision of $pkg with upstream $upstream could be downloaded"
}

fetch
verify
[ -f "$DL/$name.revision" ] && log "$name: using $(cat "$DL/$name.revision") ($orig, sha256 ok)"

S=$SRCDIR/$name
rm -rf "$S" && mkdir -p "$S"
tar -xf "$DL/$orig" -C "$S" --strip-components=1
for p in "$V/$name"/*.patch; do
	[ -f "$p" ] || continue
	log "$name: applying $(basename "$p")"
	patch -d "$S" -p1 -s < "$p"
done

export PATH="$TOOLS:$PATH" PKG_CONFIG="$TOOLS/pkg-config" CC AR RANLIB
export CFLAGS="$VCFLAGS -isystem $PREFIX/kernel-include -I$PREFIX/usr/include"
# musl is built static-only: configure's and meson's test programs too.
export LDFLAGS="-L$PREFIX/usr/lib -static"
log "$name: building (log: $S.log)"
# Not `(...) || die`: that context would switch off set -e inside build().
set +e
(set -e; cd "$S"; build) > "$S.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { tail -30 "$S.log" >&2; die "$name: build failed (exit $rc), full log in $S.log"; }
# libtool archives point at /usr/lib; static links go through pkg-config instead.
rm -f "$PREFIX"/usr/lib/*.la

lic=$PREFIX/usr/share/licenses/$name
rm -rf "$lic" && mkdir -p "$lic"
for f in $licenses; do cp "$S/$f" "$lic/"; done
echo "$pkg $upstream" > "$lic/VERSION"
touch "$STAMPS/$name"
log "$name: done"
