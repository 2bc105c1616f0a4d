#!/bin/bash
# Issue 11: a full disk is said plainly and leaves nothing behind.  On a
# small tmpfs and a loop-mounted ext4: a gzip bomb (from a file and from a
# pipe), a plain layer larger than the disk, a disk filled by something
# else, libostree's reserve switched off (the kernel's ENOSPC), a file
# system out of inodes.  Each
# time: one line naming the file system, about how much more is needed
# and how much is free; the store unchanged (refs and objects), no staging
# data left, fsck clean; and once space is freed, the pull works.
# --max-layer-size stops a bomb while it streams.  Takes ~30 s.
[ -n "${SC_PRIVATE_MOUNTS:-}" ] ||
	SC_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/disk-lib.sh"

offline
if ! build_umoci || ! build_hostile --big-mb 1024 gzip-bomb || ! build_hostile --big-mb 100 big-raw ||
   ! build_hostile many-entries; then
	not_ok "build the fixtures"
	done_testing
	exit 1
fi
GIB=$((1024 * 1024 * 1024))

# snapshot: what "the store unchanged" means here, every ref and object.
snapshot() { { refs; objects; } > "$1"; }

# staging: what repo/tmp holds besides libostree's cache directory.
staging() { ls -A "$R/tmp" 2> /dev/null | grep -vx cache | tr '\n' ' '; }

# usable DIR [PERCENT]: bytes the repository may still use there: free
# blocks (root) less libostree's reserve of PERCENT (3) of the file system;
# usable_mb: the same in MB.
usable() {
	set -- $(stat -f -c '%f %b %S' "$1") "${2:-3}"
	echo $(($1 * $3 - $2 * $3 * $4 / 100))
}
usable_mb() { echo $(($(usable "$@") / 1000000)); }

# no_space LABEL ARCHIVE MOUNT NEED_BYTES [PERCENT]: the pull of ARCHIVE
# fails saying MOUNT is full, needing about NEED_BYTES in all; the store
# is as it was (snapshot $T/before), without staging data.
no_space() {
	_l=$1 _a=$2 _m=$3 _need=$4 _pct=${5:-3}
	sc pull "dockertar:$_a"
	assert_eq "$_l: exit status" "$rc" 1
	assert_match "$_l: one line naming the file system" "$errout" \
		"syscontainer: pull dockertar:$_a: no space left on $_m (needs about * MB more; * MB free)"
	_more=$(echo "$errout" | sed -n 's/.*needs about \([0-9]*\) MB more.*/\1/p')
	_free=$(echo "$errout" | sed -n 's/.*; \([0-9]*\) MB free)$/\1/p')
	_want=$(usable_mb "$_m" "$_pct")
	check "$_l: ${_free} MB free, as the file system says ($_want MB after the reserve)" \
		test "${_free:-x}" -ge $((_want - 1)) -a "${_free:-x}" -le $((_want + 1))
	_exp=$(((_need / 1000000) - _want))
	check "$_l: needs about ${_more} MB more (expected ~$_exp)" \
		test "${_more:-0}" -ge $((_exp * 95 / 100)) -a "${_more:-0}" -le $((_exp * 105 / 100 + 2))
	snapshot "$T/after"
	assert_eq "$_l: the store is unchanged (refs and objects)" \
		"$(diff "$T/before" "$T/after" | head -5)" ""
	assert_eq "$_l: no staging data left" "$(staging)" ""
	assert_fsck "$R" "$_l"
}

# ---------------------------------------------------------------- tmpfs
D=$T/tmpfs
if ! mount_tmpfs "$D" 64m; then
	skip_or_fail "cannot mount a tmpfs (needs root)"
	done_testing
	exit
fi
use_checkout "$D/checkout"
sc pull "dockertar:$fx/multi.tar"
assert_eq "tmpfs: a small image fits" "$rc" 0
snapshot "$T/before"

# a 1 MB gzip layer holding one 1 GiB file of zeros: refused once its
# bytes reach libostree's reserve, its staged data removed
no_space "tmpfs, gzip bomb" "$fx/gzip-bomb.tar" "$D" "$GIB"
# a plain 100 MiB layer
no_space "tmpfs, plain layer larger than the disk" "$fx/big-raw.tar" "$D" $((100 * 1024 * 1024))
# the bomb as a stream (a pipe on standard input), whose layers come
# before its manifest: the same line, the estimate from the layer alone
sc pull docker-archive:- < <(cat "$fx/gzip-bomb.tar")
assert_eq "tmpfs, gzip bomb on a pipe: exit status" "$rc" 1
assert_match "tmpfs, gzip bomb on a pipe: one line naming the file system" "$errout" \
	"syscontainer: pull docker-archive:-: no space left on $D (needs about * MB more; $(usable_mb "$D") MB free)"
snapshot "$T/after"
assert_eq "tmpfs, gzip bomb on a pipe: the store is unchanged" \
	"$(diff "$T/before" "$T/after" | head -5)" ""
assert_eq "tmpfs, gzip bomb on a pipe: no staging data left" "$(staging)" ""

# Something else fills the disk up to the reserve: the pull of shared (one
# new, small layer) fails; once that is deleted, the same pull works.
head -c "$(($(usable "$D") - 4096))" /dev/zero > "$D/filler"
snapshot "$T/before"
sc pull "dockertar:$fx/shared.tar"
assert_eq "tmpfs, filled by another file: exit status" "$rc" 1
assert_match "tmpfs, filled by another file: message" "$errout" \
	"syscontainer: pull dockertar:$fx/shared.tar: no space left on $D (needs about * MB more; 0 MB free)"
snapshot "$T/after"
assert_eq "tmpfs, filled: the store is unchanged" "$(diff "$T/before" "$T/after" | head -5)" ""
assert_eq "tmpfs, filled: no staging data left" "$(staging)" ""
rm -f "$D/filler"
sc pull "dockertar:$fx/shared.tar"
assert_eq "tmpfs, space freed: the same pull works" "$rc" 0
assert_match "tmpfs, space freed: stored" "$out" "*Pulled docker.io/test/shared:latest *: 1 layer stored, 1 skipped, *"
assert_eq "tmpfs, space freed: no staging data left" "$(staging)" ""
assert_fsck "$R" "tmpfs, after the pull that fit"

# Without libostree's reserve the kernel's ENOSPC stops the pull: said the
# same way, the disk given back.
ostree config --repo="$R" set core.min-free-space-percent 0
snapshot "$T/before"
no_space "tmpfs, no reserve (ENOSPC)" "$fx/big-raw.tar" "$D" $((100 * 1024 * 1024)) 0
check "tmpfs, ENOSPC: the disk is free again" test "$(usable_mb "$D" 0)" -gt 50

# ---------------------------------------------------------------- ext4
E=$T/ext4
if ! mount_ext4 "$E" 96; then
	not_ok "mount a loop ext4 (mkfs.ext4, losetup)"
	done_testing
	exit 1
fi
use_checkout "$E/checkout"
sc pull "dockertar:$fx/multi.tar"
assert_eq "ext4: a small image fits" "$rc" 0
snapshot "$T/before"
no_space "ext4, gzip bomb" "$fx/gzip-bomb.tar" "$E" "$GIB"
no_space "ext4, plain layer larger than the disk" "$fx/big-raw.tar" "$E" $((100 * 1024 * 1024))

# An ext4 with few inodes: 20,000 files cannot be stored although blocks
# are free; the message says so, and the inodes come back.
I=$T/inodes
mount_ext4 "$I" 128 -N 4096
use_checkout "$I/checkout"
sc pull "dockertar:$fx/multi.tar"
snapshot "$T/before"
inodes_before=$(stat -f -c %d "$I")
sc pull "dockertar:$fx/many-entries.tar"
assert_eq "ext4 out of inodes: exit status" "$rc" 1
assert_match "ext4 out of inodes: message" "$errout" \
	"syscontainer: pull dockertar:$fx/many-entries.tar: no space left on $I (no free inodes; * MB free)"
snapshot "$T/after"
assert_eq "ext4 out of inodes: the store is unchanged" "$(diff "$T/before" "$T/after" | head -5)" ""
assert_eq "ext4 out of inodes: no staging data left" "$(staging)" ""
assert_eq "ext4 out of inodes: every inode given back" "$(stat -f -c %d "$I")" "$inodes_before"
assert_fsck "$R" "ext4 out of inodes"

# ---------------------------------------------------------------- install
# CHECKOUT on a 16 MB tmpfs, the repository elsewhere: the checkout copies
# the 100 MiB file and runs out of space; the install is rolled back.
ROOT=$T/root
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
mount_tmpfs "$ROOT/var/lib/containers/atomic" 16m
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
sc --root "$ROOT" --repo /repo pull "dockertar:$fx/big-raw.tar"
assert_eq "install: the image pulled into a repository on another file system" "$rc" 0
R=$ROOT/repo
snapshot "$T/before"
sc --root "$ROOT" --repo /repo install test/big-raw
assert_eq "install out of space: exit status" "$rc" 1
assert_match "install out of space: one line, saying so" "$errout" \
	"syscontainer: install big-raw: checkout: 'big': write '*': No space left on device"
assert_eq "install out of space: rolled back, CHECKOUT holds only .storage" \
	"$(ls -A "$ROOT/var/lib/containers/atomic")" ".storage"
check "install out of space: no unit written" test ! -e "$ROOT/etc/systemd/system/big-raw.service"
snapshot "$T/after"
assert_eq "install out of space: the repository unchanged (no pin)" "$(diff "$T/before" "$T/after" | head -5)" ""
check "install out of space: the space is given back" \
	test "$(stat -f -c '%f' "$ROOT/var/lib/containers/atomic")" -ge $((16 * 1024 * 1024 / 4096 - 16))
assert_fsck "$R" "after the install that did not fit"

# ---------------------------------------------------------------- --max-layer-size
use_checkout "$T/roomy"
sc pull "dockertar:$fx/multi.tar"
snapshot "$T/before"
bomb_diff=$(info "$fx/gzip-bomb.info" 'd["images"][0]["diff_ids"][0]')
expect_fail "--max-layer-size 100M stops the bomb" 1 \
	"syscontainer: pull dockertar:$fx/gzip-bomb.tar: layer ${bomb_diff:7:12}: larger than 100 MiB uncompressed (--max-layer-size)" \
	pull --max-layer-size 100M "dockertar:$fx/gzip-bomb.tar"
snapshot "$T/after"
assert_eq "--max-layer-size: the store is unchanged" "$(diff "$T/before" "$T/after" | head -5)" ""
assert_eq "--max-layer-size: no staging data left" "$(staging)" ""
expect_fail "--max-layer-size stops the bomb on a pipe too" 1 \
	"syscontainer: pull docker-archive:-: standard input: layer '$(info "$fx/gzip-bomb.info" 'd["images"][0]["manifest_layers"][0]')': larger than 10 MiB uncompressed (--max-layer-size)" \
	pull --max-layer-size 10M docker-archive:- < <(cat "$fx/gzip-bomb.tar")
assert_eq "--max-layer-size on a pipe: no staging data left" "$(staging)" ""
sc pull --max-layer-size=2G "dockertar:$fx/gzip-bomb.tar"
assert_eq "--max-layer-size=2G lets the 1 GiB layer through" "$rc" 0
for bad in 0 1x -5 M 99999999999999999999G; do
	expect_fail "--max-layer-size $bad: usage error" 2 \
		"syscontainer: pull: --max-layer-size takes a size such as 512M or 64G, not '$bad'" \
		pull --max-layer-size "$bad" "dockertar:$fx/multi.tar"
done

done_testing
