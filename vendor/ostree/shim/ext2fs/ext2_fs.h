/* Shim written for syscontainer's static build: libostree includes
 * <ext2fs/ext2_fs.h> only for these three names, which the kernel's own
 * <linux/fs.h> provides under their generic FS_* spelling.  This spares us
 * building e2fsprogs. */
#ifndef SYSCONTAINER_EXT2FS_SHIM_H
#define SYSCONTAINER_EXT2FS_SHIM_H
#include <linux/fs.h>
#define EXT2_IOC_GETFLAGS FS_IOC_GETFLAGS
#define EXT2_IOC_SETFLAGS FS_IOC_SETFLAGS
#define EXT2_IMMUTABLE_FL FS_IMMUTABLE_FL
#endif
