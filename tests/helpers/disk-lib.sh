# Real file systems for the disk tests (t0060-t0064), sourced after
# tests/lib.sh: small tmpfs and loop-mounted ext4 file systems, removed at
# exit with their loop devices.  Such a test starts, before anything else,
# in a mount namespace of its own, so no mount of it is ever seen (or left)
# on the host:
#   [ -n "${SC_PRIVATE_MOUNTS:-}" ] ||
#	SC_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
#
#   mount_tmpfs DIR SIZE  a tmpfs of SIZE (e.g. 64m) on DIR
#   mount_ext4 DIR MB [MKFS-OPTION...]   a fresh ext4 of MB MiB on DIR,
#                         from an image file (in a tmpfs) on a loop device
#   power_cut DIR         the ext4 on DIR as a power cut now would leave it

_disk_mounts=
declare -A _disk_img

_disk_cleanup() {
	for p in $_pids; do kill "$p" 2> /dev/null; done
	for p in $_pids; do wait "$p" 2> /dev/null; done
	for m in $_disk_mounts; do umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null; done
}
trap '_disk_cleanup; _cleanup' EXIT

mount_tmpfs() {
	[ -n "${SC_PRIVATE_MOUNTS:-}" ] || return 1
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || return 1
	_disk_mounts="$1 $_disk_mounts"
}

mount_ext4() {
	_dir=$1 _mb=$2
	shift 2
	[ -n "${SC_PRIVATE_MOUNTS:-}" ] && mkdir -p "$_dir" || return 1
	# the images live in memory: a sync inside the test costs no real flush
	if [ ! -d "$T/.disks/." ] || ! mountpoint -q "$T/.disks"; then
		mount_tmpfs "$T/.disks" 1g || return 1
	fi
	_img=$T/.disks/$(basename "$_dir").img
	truncate -s "${_mb}M" "$_img" && mkfs.ext4 -q -F "$@" "$_img" || return 1
	_disk_attach "$_dir" "$_img"
}

_disk_attach() {
	_dev=$(losetup -f --show "$2") || return 1
	_disk_img[$1]=$2
	# no timed journal commit: what nobody synced stays in memory, as it
	# may on a real machine when the power goes
	mount -o commit=600 "$_dev" "$1"
	_r=$?
	losetup -d "$_dev"   # detached once unmounted, even if we are killed
	[ $_r = 0 ] || return 1
	_disk_mounts="$1 $_disk_mounts"
}

# What reached the disk is what the loop device holds: a copy of its image
# taken now, while nothing runs, is the disk after a power cut (without the
# dirty pages and the uncommitted journal the file system keeps in memory).
# The old file system is thrown away and the copy mounted on DIR, which
# replays its journal as a boot would.
power_cut() {
	_img=${_disk_img[$1]}
	cp --sparse=always "$_img" "$_img.cut" || return 1
	umount "$1" || return 1
	mv "$_img.cut" "$_img" && _disk_attach "$1" "$_img"
}
