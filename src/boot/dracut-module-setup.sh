#!/bin/bash
# dracut module "syscontainer": before the switch to the real root, run
# `syscontainer --root /sysroot apply /etc/syscontainer/boot.conf` so the
# containers that file lists are installed, updated or left as they are
# (syscontainer(1), apply).  Opt-in: add_dracutmodules+=" syscontainer "
# in a dracut.conf.d file.  Settings there:
#   syscontainer_config=FILE   the apply file (/etc/syscontainer/boot.conf)
#   syscontainer_binary=PATH   the static program (@BINDIR@/syscontainer)
# Into the initramfs go the program, the apply file (always as
# /etc/syscontainer/boot.conf), every archive the file names (at its own
# path), the CA certificates (*.crt) of /etc/containers/certs.d and
# /etc/docker/certs.d, and the pre-pivot hook.  Nothing else of the host:
# credentials and client keys are read from the real root at boot.

# shellcheck disable=SC2154   # dracut sets moddir, initdir, dracutsysrootdir

check() {
    # only when asked for: it changes the real root at every boot
    return 255
}

depends() {
    return 0
}

install() {
    local conf="${syscontainer_config:-/etc/syscontainer/boot.conf}"
    local bin="${syscontainer_binary:-@BINDIR@/syscontainer}"
    local files f d

    if [[ ! -x "$dracutsysrootdir$bin" ]]; then
        derror "syscontainer: no program at '$bin' (set syscontainer_binary= in dracut.conf)"
        return 1
    fi
    if [[ ! -f "$dracutsysrootdir$conf" ]]; then
        derror "syscontainer: no apply file '$conf' (set syscontainer_config= in dracut.conf)"
        return 1
    fi
    inst_simple "$bin" /usr/bin/syscontainer
    inst_simple "$conf" /etc/syscontainer/boot.conf
    # The program reads the file as apply will: the archives of its good
    # lines, one a line; a bad line is named now and fails again at boot.
    if ! files=$("$dracutsysrootdir$bin" apply --list-files "$dracutsysrootdir$conf"); then
        dwarn "syscontainer: '$conf' has errors (above): those lines will fail at every boot"
    fi
    while read -r f; do
        [[ $f ]] || continue
        if [[ -f "$dracutsysrootdir$f" ]]; then
            inst_simple "$f"
        else
            dwarn "syscontainer: '$f', named in '$conf', does not exist: its line will fail at boot"
        fi
    done <<< "$files"
    for d in /etc/containers/certs.d /etc/docker/certs.d; do
        [[ -d "$dracutsysrootdir$d" ]] || continue
        while read -r f; do
            inst_simple "${f#"$dracutsysrootdir"}"
        done < <(find "$dracutsysrootdir$d" -type f -name '*.crt')
    done
    inst_multiple mount umount sync mkdir cat
    inst_multiple -o timeout
    inst_simple "$moddir/syscontainer-boot.sh" /lib/syscontainer-boot.sh
    inst_hook pre-pivot 50 "$moddir/pre-pivot.sh"
}
