#!/bin/bash
# The dependency recipes: a checksum mismatch stops the build naming the
# archive, the Debian revision fetched is logged, and a recipe for a source
# package apt does not know says so.  Runs the real vendor/build.sh on a
# copy of vendor/ (jsmn: one small header) so the project's build is untouched.
. "$(dirname "$0")/lib.sh"
V=$T/vendor
mkdir -p "$V/jsmn"
cp "$top/vendor/lib.sh" "$top/vendor/build.sh" "$V/"
cp "$top/vendor/jsmn/recipe" "$V/jsmn/recipe"
mkdir -p "$V/.tools"
export CC=${CC:-musl-gcc}
command -v "$CC" >/dev/null || CC=cc

out=$(sh "$V/build.sh" jsmn 2>&1)
assert_eq "the pinned jsmn builds" "$?" 0
assert_match "the Debian revision fetched is logged" "$out" "*vendor: jsmn: using jsmn 1.1.0-* (jsmn_1.1.0.orig.tar.gz, sha256 ok)*"
check "the header is installed in the private sysroot" test -f "$V/prefix/usr/include/jsmn.h"
check "a stamp records it" test -f "$V/.stamps/jsmn"

sed -i 's/^sha256=.*/sha256=0000000000000000000000000000000000000000000000000000000000000000/' "$V/jsmn/recipe"
out=$(sh "$V/build.sh" jsmn 2>&1)
assert_eq "a checksum mismatch stops the build" "$?" 1
got=$(sha256sum "$top/vendor/dl/jsmn_1.1.0.orig.tar.gz" 2>/dev/null | cut -d' ' -f1)
assert_match "the message names the archive and both checksums" "$out" \
	"*vendor: jsmn: checksum mismatch for jsmn_1.1.0.orig.tar.gz: expected 0000000000000000000000000000000000000000000000000000000000000000, got ${got:-*}"
check "the mismatching archive is not kept" test ! -e "$V/dl/jsmn_1.1.0.orig.tar.gz"

sed -i 's/^pkg=.*/pkg=no-such-source-package-xyz/' "$V/jsmn/recipe"
out=$(sh "$V/build.sh" jsmn 2>&1)
assert_eq "an unknown source package stops the build" "$?" 1
assert_match "and says so" "$out" "*vendor: jsmn: source package 'no-such-source-package-xyz' unknown to apt*"
done_testing
