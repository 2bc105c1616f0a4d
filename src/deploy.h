/* Checking an image out into a deployment's rootfs, layer by layer, safely:
 * whiteouts and opaque directories applied, an upper directory replacing a
 * lower file or symlink, an upper directory's mode and owner applied (never
 * a directory the layer only synthesised), and never following a symlink:
 * every parent is resolved below the rootfs with path.c's PATH_NO_SYMLINKS,
 * so a lower layer's symlink is replaced, never written through.
 *
 * Files and symlinks are hardlinked from a `bare` repository on the same
 * file system, whose objects carry their owner, mode and xattrs; nothing
 * is looked at but a name that is already taken.  Otherwise (another file
 * system, a bare-user repository) symlinks are made anew and, as for an
 * object already at the hard link limit (EMLINK), each file is copied once into
 * a private directory of the deployment, outside the rootfs, and every use
 * is a hardlink to that copy: no path inside the rootfs is ever a link
 * source, since a later layer may have replaced it. */
#ifndef SC_DEPLOY_H
#define SC_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

struct deploy_stats {
	uint64_t files, dirs, whiteouts;
	uint64_t symlinks;           /* made anew; a linked one counts as a file */
	uint64_t linked, copied;     /* objects hardlinked / objects copied */
	int cross_fs;                /* copied because the repository's objects
	                                cannot be linked at all (another file
	                                system, a bare-user repository), not
	                                because one reached the link limit */
};

/* Check out the layer commits (bottom first) into the empty directory
 * rootfs_fd.  objects_fd is an empty private directory (not inside the
 * rootfs, same file system) for object copies; the caller removes it. */
int deploy_checkout(struct store *s, const char *const *commits, size_t n, int rootfs_fd,
		    int objects_fd, struct deploy_stats *st, struct err *e);

#endif
