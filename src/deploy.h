/* Checking an image out into a deployment's rootfs, layer by layer, safely:
 * whiteouts and opaque directories applied, an upper directory replacing a
 * lower file or symlink, an upper directory's mode and owner applied (never
 * a directory the layer only synthesised), and never following a symlink a
 * lower layer created: every path is resolved from the rootfs descriptor
 * one component at a time with O_NOFOLLOW.
 *
 * Files are hardlinked from a `bare` repository on the same filesystem;
 * otherwise each object is copied once per deployment and its other uses are
 * hardlinked to that copy. */
#ifndef SC_DEPLOY_H
#define SC_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

struct deploy_stats {
	uint64_t files, dirs, symlinks, whiteouts;
	uint64_t linked, copied;     /* files hardlinked from the repo / copied */
};

/* Check out the layer commits (bottom first) into the empty directory
 * rootfs_fd. */
int deploy_checkout(struct store *s, const char *const *commits, size_t n, int rootfs_fd,
		    struct deploy_stats *st, struct err *e);

/* Open a directory below rootfs_fd by a relative path, never following a
 * symlink (O_NOFOLLOW per component); -1 with errno when not a real dir. */
int deploy_open_dir(int rootfs_fd, const char *path);

#endif
