# syscontainer at early boot: the procedure the dracut pre-pivot hook and
# the initramfs-tools init-bottom script both run, sourced by them (POSIX
# sh plus `local`, which dash, busybox and klibc's sh all have).
#
#   syscontainer_boot ROOT INFO WARN
#
# settles the containers /etc/syscontainer/boot.conf (in the initramfs)
# lists on the real root mounted at ROOT: `syscontainer --root ROOT apply`.
# ROOT is made writable for the run when it is mounted read-only and put
# back afterwards; a separate /var in ROOT's fstab is mounted for the run
# and unmounted again.  Every line apply prints goes through INFO (errors
# and warnings, the lines starting "syscontainer:", through WARN), and all
# of it to /run/syscontainer/boot.log, which the booted system keeps.
#
# It never fails the boot: every problem is logged and it returns 0.
# Kernel command line: rd.syscontainer=0 skips it; rd.syscontainer.timeout=S
# bounds the run (300 s; a killed apply is finished or undone by the next).

SC_BOOT_BIN=/usr/bin/syscontainer
SC_BOOT_CONF=/etc/syscontainer/boot.conf
SC_BOOT_LOG=/run/syscontainer/boot.log

# The value of NAME=VALUE on the kernel command line (the last one), or
# $2 when it is not there.
sc_boot_arg() {
	local _v _c
	_v=$2
	_c=
	[ -r /proc/cmdline ] && read -r _c < /proc/cmdline
	# word by word without splitting the line (no glob expansion)
	_c=" $_c "
	while :; do
		case $_c in
		*" $1="*) _c=${_c#*" $1="}; _v=${_c%% *} ;;
		*) break ;;
		esac
	done
	echo "$_v"
}

# The options of the mount at $1, from /proc/mounts ("" when none).
sc_boot_mount_opts() {
	local _o _dev _mp _type _opts _rest
	_o=
	while read -r _dev _mp _type _opts _rest; do
		[ "$_mp" = "$1" ] && _o=$_opts
	done < /proc/mounts
	echo "$_o"
}

# fstab options worth keeping for a short rw mount: not ro, not x-*,
# not the ones only boot-time tools read.
sc_boot_var_opts() {
	local _keep _ifs _o
	_keep=rw
	_ifs=$IFS
	IFS=,
	for _o in $1; do
		case $_o in
		ro|rw|defaults|auto|noauto|nofail|user|users|nouser|owner|group|_netdev|x-*|comment=*) ;;
		*) _keep="$_keep,$_o" ;;
		esac
	done
	IFS=$_ifs
	echo "$_keep"
}

# A fstab device spec as a device path (udev's symlinks).
sc_boot_dev() {
	case $1 in
	UUID=*) echo "/dev/disk/by-uuid/${1#UUID=}" ;;
	LABEL=*) echo "/dev/disk/by-label/${1#LABEL=}" ;;
	PARTUUID=*) echo "/dev/disk/by-partuuid/${1#PARTUUID=}" ;;
	PARTLABEL=*) echo "/dev/disk/by-partlabel/${1#PARTLABEL=}" ;;
	*) echo "$1" ;;
	esac
}

# Mount ROOT's separate /var, when its fstab has one that is not mounted:
# without it apply would write beneath the mount point.  Sets
# sc_boot_var_mounted.  1 when /var is listed but could not be mounted.
sc_boot_mount_var() {
	local _dev _mp _type _opts _rest _t
	sc_boot_var_mounted=
	[ -r "$1/etc/fstab" ] || return 0
	while read -r _dev _mp _type _opts _rest; do
		case $_dev in ''|'#'*) continue ;; esac
		[ "$_mp" = /var ] || [ "$_mp" = /var/ ] || continue
		[ -n "$(sc_boot_mount_opts "$1/var")" ] && return 0
		_t=
		[ "$_type" != auto ] && _t="-t $_type"
		# shellcheck disable=SC2086
		if mount $_t -o "$(sc_boot_var_opts "$_opts")" "$(sc_boot_dev "$_dev")" "$1/var"; then
			sc_boot_var_mounted=1
			return 0
		fi
		return 1
	done < "$1/etc/fstab"
	return 0
}

# Log the run's output: errors and warnings through WARN, the rest INFO.
sc_boot_relay() {
	local _line
	while IFS= read -r _line || [ -n "$_line" ]; do
		case $_line in
		syscontainer:*) "$2" "$_line" ;;
		*) "$1" "syscontainer: $_line" ;;
		esac
	done < "$SC_BOOT_LOG"
}

syscontainer_boot() {
	local _root _info _warn _ro _t _timeout _rc
	_root=$1 _info=$2 _warn=$3
	case $(sc_boot_arg rd.syscontainer 1) in
	0|no|off) "$_info" "syscontainer: skipped (rd.syscontainer=0)"; return 0 ;;
	esac
	if [ ! -x "$SC_BOOT_BIN" ] || [ ! -f "$SC_BOOT_CONF" ]; then
		"$_warn" "syscontainer: $SC_BOOT_BIN or $SC_BOOT_CONF is missing from the initramfs: nothing applied"
		return 0
	fi
	if [ -z "$(sc_boot_mount_opts "$_root")" ]; then
		"$_warn" "syscontainer: nothing is mounted at $_root: nothing applied"
		return 0
	fi
	mkdir -p "${SC_BOOT_LOG%/*}"
	: > "$SC_BOOT_LOG"
	_ro=
	case ,$(sc_boot_mount_opts "$_root"), in
	*,ro,*)
		if ! mount -o remount,rw "$_root"; then
			"$_warn" "syscontainer: cannot make $_root writable: nothing applied"
			return 0
		fi
		_ro=1 ;;
	esac
	if sc_boot_mount_var "$_root"; then
		_t=$(sc_boot_arg rd.syscontainer.timeout 300)
		case $_t in ''|*[!0-9]*) _t=300 ;; esac
		_timeout=$(command -v timeout)
		[ -n "$_timeout" ] && _timeout="$_timeout $_t"
		"$_info" "syscontainer: applying $SC_BOOT_CONF to $_root"
		# shellcheck disable=SC2086
		$_timeout "$SC_BOOT_BIN" --root "$_root" apply "$SC_BOOT_CONF" >> "$SC_BOOT_LOG" 2>&1
		_rc=$?
		# coreutils' timeout says 124; busybox's runs apply in its place: TERM
		case $_rc in
		124|143) [ -n "$_timeout" ] &&
			echo "syscontainer: apply stopped after $_t s (rd.syscontainer.timeout)" >> "$SC_BOOT_LOG" ;;
		esac
		sc_boot_relay "$_info" "$_warn"
		[ "$_rc" = 0 ] || "$_warn" "syscontainer: apply exited with status $_rc (the boot goes on; $SC_BOOT_LOG has it all)"
		if [ -n "$sc_boot_var_mounted" ] && ! umount "$_root/var"; then
			"$_warn" "syscontainer: cannot unmount $_root/var"
		fi
	else
		"$_warn" "syscontainer: $_root/etc/fstab lists /var but it could not be mounted: nothing applied"
	fi
	sync
	if [ -n "$_ro" ] && ! mount -o remount,ro "$_root"; then
		"$_warn" "syscontainer: cannot make $_root read-only again"
	fi
	return 0
}
