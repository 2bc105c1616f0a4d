#!/bin/bash
# Which repository is used, and which are refused (README, Design,
# "Paths"): the private default, $ATOMIC_OSTREE_REPO, --repo, the
# recorded choice, the OSTree system repo only in bare mode after a real
# linkat() probe, never an archive repo.
. "$(dirname "$0")/lib.sh"
python3 "$top/tests/helpers/mkarchive.py" "$T/one.tar" test/one:1 /dev/stdin <<'SPEC'
{"layers": [[{"path": "hello", "data": "hi\n"}]]}
SPEC
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
expect_fail "--root must exist" 1 "syscontainer: pull dockertar:$T/one.tar: open root '$ROOT': No such file or directory" --root "$ROOT" pull "dockertar:$T/one.tar"
check "a missing root is not created" test ! -e "$ROOT"
mkdir -p "$ROOT"

sc --root "$ROOT" --quiet pull "dockertar:$T/one.tar"
assert_eq "first pull into the private repo" "$rc" 0
assert_fsck "$CK/.storage/ostree" "private repo"
assert_eq "private repo is bare as root" "$(ostree config --repo="$CK/.storage/ostree" get core.mode)" bare
assert_eq "the choice is recorded (a target path)" "$(cat "$CK/.storage/repo-path")" "/var/lib/containers/atomic/.storage/ostree"
assert_eq "CHECKOUT 0700, .storage 0700" "$(stat -c %a "$CK") $(stat -c %a "$CK/.storage")" "700 700"

sc --root "$ROOT" -v pull "dockertar:$T/one.tar"
assert_eq "-v names the repository, its mode and why it was chosen" "$errout" "syscontainer: repository /var/lib/containers/atomic/.storage/ostree (bare, from the recorded choice), CHECKOUT /var/lib/containers/atomic under $ROOT"

# An archive repo cannot serve hardlinked checkouts, and a refused
# repository is never recorded as the choice.
mkdir -p "$T/r3"
ostree init --repo="$T/r3/arch" --mode=archive
expect_fail "archive repo refused" 1 "syscontainer: pull dockertar:$T/one.tar: repository '/arch' is in archive mode: syscontainer needs a bare or bare-user repository" --root "$T/r3" --repo /arch pull "dockertar:$T/one.tar"
assert_eq "archive repo: nothing written" "$(ostree refs --repo="$T/r3/arch" | wc -l)" 0
check "the refused repository is not recorded" test ! -e "$T/r3/var/lib/containers/atomic/.storage/repo-path"
sc --root "$T/r3" --quiet pull "dockertar:$T/one.tar"
assert_eq "the next pull without --repo uses the private default" "$(cat "$T/r3/var/lib/containers/atomic/.storage/repo-path")" "/var/lib/containers/atomic/.storage/ostree"
# A recorded repository that vanished is an error, never a new empty one.
rm -rf "$T/r3/var/lib/containers/atomic/.storage/ostree"
expect_fail "a vanished recorded repository" 1 "syscontainer: pull dockertar:$T/one.tar: repository '/var/lib/containers/atomic/.storage/ostree' (recorded in /var/lib/containers/atomic/.storage/repo-path) does not exist: restore it, or remove that file to start a new private repository" --root "$T/r3" pull "dockertar:$T/one.tar"
check "no empty repository made in its place" test ! -e "$T/r3/var/lib/containers/atomic/.storage/ostree"

# The system repo: bare only, and only when it can hardlink into CHECKOUT.
R2=$T/sys
mkdir -p "$R2/ostree"
ostree init --repo="$R2/ostree/repo" --mode=bare-user
expect_fail "system repo in bare-user mode refused" 1 "syscontainer: pull dockertar:$T/one.tar: the system repository '/ostree/repo' is in bare-user mode: only bare is used" --root "$R2" --repo /ostree/repo pull "dockertar:$T/one.tar"
rm -rf "$R2/ostree/repo" && ostree init --repo="$R2/ostree/repo" --mode=bare
ATOMIC_OSTREE_REPO=/ostree/repo sc --root "$R2" --quiet pull "dockertar:$T/one.tar"
assert_eq "bare system repo via \$ATOMIC_OSTREE_REPO" "$rc" 0
check "the image is in the system repo" sh -c "ostree refs --repo='$R2/ostree/repo' | grep -q docker.io_2Ftest_2Fone_3A1"
assert_eq "the system repo choice is recorded" "$(cat "$R2/var/lib/containers/atomic/.storage/repo-path")" "/ostree/repo"
sc --root "$R2" images list -q
id=$(python3 -c 'import hashlib,json,sys,tarfile
t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))
print(hashlib.sha256(t.extractfile(m[0]["Config"]).read()).hexdigest()[:12])' "$T/one.tar")
assert_eq "a later command without --repo uses the recorded repo (the image is listed)" "$out" "$id"
check "no private repo was made beside it" test ! -e "$R2/var/lib/containers/atomic/.storage/ostree"
# A system repo on another filesystem than CHECKOUT cannot hardlink into it.
mkdir -p "$T/r4/ostree"
if mount -t tmpfs tmpfs "$T/r4/ostree" 2>/dev/null; then
	ostree init --repo="$T/r4/ostree/repo" --mode=bare
	sc --root "$T/r4" --repo /ostree/repo pull "dockertar:$T/one.tar"
	assert_eq "system repo on another filesystem refused: exit 1" "$rc" 1
	# (musl and glibc word EXDEV differently)
	assert_match "system repo on another filesystem refused: message" "$errout" \
		"syscontainer: pull dockertar:$T/one.tar: the system repository '/ostree/repo' cannot hardlink into '/var/lib/containers/atomic': *ross-device link"
	assert_eq "refused: no image ref" "$(ostree refs --repo="$T/r4/ostree/repo" | wc -l)" 0
	umount "$T/r4/ostree"
else
	skip_or_fail "mounting a tmpfs needs root"
fi
# Precedence: --repo beats $ATOMIC_OSTREE_REPO.
ATOMIC_OSTREE_REPO=/nonexistent sc --root "$ROOT" --repo /var/lib/containers/atomic/.storage/ostree images list -q
assert_eq "--repo beats \$ATOMIC_OSTREE_REPO" "$rc" 0
expect_fail "relative --repo" 2 "syscontainer: images list: --repo 'rel': must be an absolute path" --repo rel images list
done_testing
