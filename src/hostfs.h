/* /exports/hostfs: files an image installs onto the host (DESIGN.md step 5).
 * Every destination is checked before anything is written: absolute, no
 * "..", no symlink on the way (resolved from the target root one component
 * at a time), and nothing already there.  Each file written is recorded
 * with its sha256 so uninstall removes only what nobody edited.
 *
 * struct hostfs owns its strings: hostfs_free() releases them. */
#ifndef SC_HOSTFS_H
#define SC_HOSTFS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "template.h"

enum { HOSTFS_MAX = 512 };

struct hostfile {
	char *src;          /* relative to rootfs/exports/hostfs */
	char *target;       /* absolute, as the target sees it */
	int templated;      /* listed in installedFilesTemplate: content expanded */
	uint32_t mode;
	char sha256[65];    /* of what was written */
};

struct hostfs {
	struct hostfile v[HOSTFS_MAX];
	size_t n;
};

/* Plan the copy: every regular file under exports/hostfs of the rootfs,
 * renamed by manifest.json's renameFiles (values expanded), checked against
 * the target root.  manifest may be NULL. */
int hostfs_plan(int rootfs_fd, int target_fd, const char *manifest, size_t mlen,
		template_lookup_fn lookup, void *ctx, struct hostfs *h, struct err *e);
/* Write the planned files (O_EXCL, never through a symlink). */
int hostfs_write(int rootfs_fd, int target_fd, struct hostfs *h, template_lookup_fn lookup,
		 void *ctx, struct err *e);
/* sha256 hex of the target file now, "" when it is gone or not a file. */
void hostfs_current_sha256(int target_fd, const char *target, char out[65]);
void hostfs_free(struct hostfs *h);

#endif
