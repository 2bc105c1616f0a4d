#!/bin/bash
# The release binary is what the product promises: static, musl, small, with
# no build paths inside, and a CLI contract that holds.
. "$(dirname "$0")/lib.sh"

if [ -n "${SANITIZE:-}" ]; then
	skip "static-binary checks apply to the release build, not SANITIZE=1"
else
	f=$(file -b "$SC_FILE")
	assert_match "file says statically linked" "$f" "*statically linked*"
	assert_match "ldd says not a dynamic executable" "$(ldd "$SC_FILE" 2>&1)" "*not a dynamic executable*"
	assert_eq "no vendor/ path baked into the binary" "$(strings "$SC_FILE" | grep -c vendor/)" 0
	size=$(stat -c %s "$SC_FILE")
	check "stripped size $size <= ceiling $SIZE_CEILING" [ "$size" -le "$SIZE_CEILING" ]
	check "stripped" sh -c "file -b '$SC_FILE' | grep -q ', stripped'"
fi

# The README's module map names every file of src/ (a header by its .c, or
# by itself when it has none), and names only files that exist.
map=$(sed -n '/^    The module map:/,/^Design$/p' "$top/README" | grep -oE '\b[a-z0-9_]+\.[ch]\b' | sort -u)
check "the README has a module map" [ -n "$map" ]
unnamed= missing=
for f in "$top"/src/*.c "$top"/src/*.h; do
	b=$(basename "$f")
	case $b in *.h) [ -e "${f%.h}.c" ] && continue ;; esac   # named by its .c
	printf '%s\n' "$map" | grep -qx "$b" || unnamed="$unnamed $b"
done
for b in $map; do
	[ -e "$top/src/$b" ] || missing="$missing $b"
done
assert_eq "the module map names every file of src/" "${unnamed# }" ""
assert_eq "every file the module map names exists" "${missing# }" ""

sc --version
assert_eq "--version exits 0" "$rc" 0
for lib in "syscontainer " "libostree 2022.7" "GLib 2.74.6" "mbed TLS 2.28.3" "zlib 1.2.13"; do
	assert_match "--version names $lib" "$out" "*$lib*"
done

sc --help
assert_eq "--help exits 0" "$rc" 0
assert_match "--help shows usage" "$out" "usage: syscontainer *"

sc frobnicate
assert_eq "unknown verb: exit 2" "$rc" 2
assert_match "unknown verb: named" "$errout" "syscontainer: unknown verb 'frobnicate'*"
sc --frob
assert_eq "unknown global option: exit 2" "$rc" 2
assert_match "unknown global option: named" "$errout" "syscontainer: unknown option '--frob'*"
sc
assert_eq "no verb: exit 2" "$rc" 2
sc --storage=docker --version
assert_eq "--storage=docker refused: exit 2" "$rc" 2
assert_match "--storage=docker refused: message" "$errout" "syscontainer: --storage: only 'ostree' is supported, not 'docker'*"
sc --system --storage ostree -y --version
assert_eq "Atomic compatibility flags accepted" "$rc" 0
sc --repo
assert_eq "--repo without value: exit 2" "$rc" 2
assert_match "--repo without value: message" "$errout" "syscontainer: --repo needs a value*"

# An empty chroot holding only the binary: no /etc, no /proc, no libraries.
if [ -n "${SANITIZE:-}" ]; then
	skip "the empty chroot needs the static release binary, not SANITIZE=1's"
elif [ "$(id -u)" = 0 ] && command -v chroot >/dev/null; then
	mkdir -p "$T/empty"
	sc_into_root "$T/empty" /syscontainer
	v=$(env -i "$(command -v chroot)" "$T/empty" $sc_in_root --version 2>&1)
	assert_match "--version works in an empty chroot" "$v" "syscontainer *libostree*"
	# Creating a repository there too, with no /proc: libostree needs a
	# boot id, and without /proc (and no OSTREE_BOOTID) we make one up.
	python3 "$top/tests/helpers/mkarchive.py" "$T/empty/one.tar" test/one:1 /dev/stdin <<-'SPEC'
	{"layers": [[{"path": "hello", "data": "hi\n"}]]}
	SPEC
	v=$(env -i ATOMIC_OSTREE_CHECKOUT_PATH=/ck \
		"$(command -v chroot)" "$T/empty" $sc_in_root pull dockertar:/one.tar 2>&1)
	assert_match "a pull creates a repository in the empty chroot" "$v" "*Pulled docker.io/test/one:1 *"
	assert_fsck "$T/empty/ck/.storage/ostree" "the empty chroot's repository"
else
	skip_or_fail "empty chroot needs root"
fi
done_testing
