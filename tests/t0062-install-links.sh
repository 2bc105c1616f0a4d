#!/bin/bash
# Issue 11, install at scale on a real ext4 (loop-mounted), offline under
# --root:
# - 70,000 empty files are one OSTree object; ext4 lets an inode have
#   65,000 links: the checkout links the object up to the limit, then a
#   private copy for the rest, and the install succeeds with every file;
# - with the repository on another file system (a tmpfs), each object is
#   copied once and every further file with it is a hardlink to that copy
#   (20,000 files, 15,001 objects: 15,001 inodes);
# - symlinks are linked as objects too: 66,000 identical ones fill their
#   object's 65,000 links and the rest are made anew, as they are when the
#   repository is on another file system.
# The 1,000,000-file image and the cross-file-system timings (40k vs 10k
# files) belong to `make bench`.  Takes ~30 s.
[ -n "${SC_PRIVATE_MOUNTS:-}" ] ||
	SC_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/disk-lib.sh"

offline
if ! build_hostile many-entries || ! "$PY" "$top/tests/fixtures/hostile.py" --files 70000 "$fx" empty-files > /dev/null ||
	! "$PY" "$top/tests/fixtures/hostile.py" --files 66000 "$fx" same-symlinks > /dev/null ||
	! "$PY" "$top/tests/fixtures/hostile.py" --files 3000 "$fx/3000" same-symlinks > /dev/null; then
	not_ok "build the fixtures"
	done_testing
	exit 1
fi
ROOT=$T/root
CK=$ROOT/var/lib/containers/atomic
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
if ! mount_ext4 "$CK" 512; then
	not_ok "mount a loop ext4 (mkfs.ext4, losetup)"
	done_testing
	exit 1
fi
rs() { sc --root "$ROOT" "$@"; }

# files DIR: "INODE LINKS" of every regular file below DIR, counted per inode.
inodes() { find "$1" -type f -printf '%i %n\n' | sort | uniq -c | sort -rn; }

# ---------------------------------------------------------------- link limit
rs pull "dockertar:$fx/empty-files.tar"
assert_eq "pull 70,000 empty files: exit 0" "$rc" 0
rs install test/empty-files
assert_eq "install past the hardlink limit: exit 0" "$rc" 0
assert_eq "install past the hardlink limit: says so" "$out" \
	"Extracting to /var/lib/containers/atomic/empty-files.0
The file system's hardlink limit was reached: 1 objects copied
systemd is not running here: unit reload and tmpfiles happen at boot"
D=$CK/empty-files.0/rootfs
assert_eq "every file is checked out" "$(find "$D" -type f | wc -l | tr -d ' ')" 70000
assert_eq "every file empty, 0644, root's" "$(find "$D" -type f -printf '%s %m %u\n' | sort -u)" "0 644 root"
inodes "$D" > "$T/inodes"
assert_eq "two inodes: the repository's object, full, and one private copy" "$(wc -l < "$T/inodes" | tr -d ' ')" 2
assert_eq "the object has the 65,000 links ext4 allows" "$(head -1 "$T/inodes" | awk '{print $3}')" 65000
check "the deployment's object copies directory is gone" test ! -e "$CK/empty-files.0/.objects"
assert_fsck "$CK/.storage/ostree" "after the install past the link limit"
rs uninstall empty-files
assert_eq "uninstall: exit 0" "$rc" 0
assert_eq "uninstall: CHECKOUT holds only .storage (and ext4's lost+found)" "$(ls -A "$CK" | tr '\n' ' ')" ".storage lost+found "

# symlinks DIR: "COUNT LINKS TARGET" of the symlinks below DIR, per inode
symlinks() { find "$1" -type l -printf '%i %n %l\n' | sort | uniq -c | sort -rn | awk '{print $1, $3, $4}'; }

rs pull "dockertar:$fx/same-symlinks.tar"
assert_eq "pull 66,000 identical symlinks: exit 0" "$rc" 0
rs install test/same-symlinks
assert_eq "install symlinks past the hardlink limit: exit 0" "$rc" 0
D=$CK/same-symlinks.0/rootfs
symlinks "$D" > "$T/links"
assert_eq "the symlink object has the 65,000 links ext4 allows" "$(head -1 "$T/links" | cut -d' ' -f2-)" "65000 ../target"
assert_eq "the others are made anew, one inode each" "$(sed 1d "$T/links" | sort -u)" "1 1 ../target"
assert_eq "every symlink is there" "$(awk '{n += $1} END {print n}' "$T/links")" 66000
assert_eq "a symlink's owner and target" "$(stat -c '%U %N' "$D/d065/s999")" "root '$D/d065/s999' -> '../target'"
assert_eq "through a symlink, the file" "$(cat "$D/d000/s000")" "the target"
assert_fsck "$CK/.storage/ostree" "after the install of symlinks past the link limit"
rs uninstall same-symlinks
assert_eq "uninstall the symlinks: exit 0" "$rc" 0

# ---------------------------------------------------------------- another file system
mount_tmpfs "$ROOT/srv" 256m
rs --repo /srv/repo pull "dockertar:$fx/many-entries.tar"
assert_eq "pull into a repository on a tmpfs: exit 0" "$rc" 0
rs --repo /srv/repo install test/many-entries
assert_eq "install from another file system: exit 0" "$rc" 0
assert_match "install from another file system: says so" "$out" \
	"*The repository is on another filesystem: 15001 files copied, 4999 hardlinked*"
D=$CK/many-entries.0/rootfs
assert_eq "every file is checked out" "$(find "$D" -type f | wc -l | tr -d ' ')" 20000
assert_eq "one copy per object: 15,001 inodes for 20,000 files" "$(inodes "$D" | wc -l | tr -d ' ')" 15001
assert_eq "the 5,000 files of one content share one copy" "$(inodes "$D" | head -1 | awk '{print $1}')" 5000
assert_eq "a file's content" "$(cat "$D/d42/f137")" "file $((42 * 200 + 137))"
# symlinks from another file system are made anew: 3,000 (each takes an
# inode of this small ext4)
rs --repo /srv/repo pull "dockertar:$fx/3000/same-symlinks.tar"
assert_eq "pull symlinks into a repository on a tmpfs: exit 0" "$rc" 0
rs --repo /srv/repo install test/same-symlinks
assert_eq "install symlinks from another file system: exit 0" "$rc" 0
D=$CK/same-symlinks.0/rootfs
assert_eq "from another file system, every symlink is made anew" "$(symlinks "$D" | sort -u)" "1 1 ../target"
assert_eq "from another file system, every symlink is there" "$(find "$D" -type l | wc -l | tr -d ' ')" 3000
assert_eq "from another file system, the file through a symlink" "$(cat "$D/d002/s137")" "the target"

done_testing
