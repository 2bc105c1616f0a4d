#!/bin/sh
# dracut pre-pivot hook of the syscontainer module: apply the boot file to
# the real root before the switch; logs through dracut's info and warn and
# never fails the boot (/lib/syscontainer-boot.sh says how).
type info > /dev/null 2>&1 || . /lib/dracut-lib.sh
. /lib/syscontainer-boot.sh
syscontainer_boot "${NEWROOT:-/sysroot}" info warn
