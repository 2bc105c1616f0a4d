/* /exports/hostfs: files an image installs onto the host, planned from the
 * image in the store before anything is written, then written.
 *
 * Each file goes to its own path, or where manifest.json's renameFiles
 * sends it (the new path expanded as a template); files listed in
 * installedFilesTemplate are expanded too.  Every destination obeys HOST
 * FILES (policy.h): below /etc, /usr/local or /opt, never a system place,
 * never over anything that exists, never through a symlink, never a
 * command in /usr/local/{s,}bin that would shadow the system's; the mode is
 * masked (no setuid, setgid, sticky, group or other write) and the owner is
 * the installing user; xattrs (file capabilities) are never copied.  The
 * directories the install must create for them are planned too, so they
 * are journaled before they exist and removed (when empty) at uninstall.
 *
 * struct hostfs owns its strings: hostfs_free(). */
#ifndef SC_HOSTFS_H
#define SC_HOSTFS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"
#include "paths.h"
#include "template.h"

struct json;

enum {
	HOSTFS_MAX = 512,                /* host files of one image */
	HOSTFS_TEMPLATE_MAX = 1 << 20,   /* bytes of a file expanded as a template */
	HOSTFS_FILE_MAX = 1 << 30,       /* bytes of any host file */
};

struct hostfile {
	char *src;          /* below exports/hostfs: "usr/local/bin/x" */
	char *target;       /* absolute, as the target sees it */
	uint32_t image_mode, mode;   /* as the image has it / as installed */
	int templated;
	char checksum[65];  /* the content object (files copied as they are) */
	char *content;      /* the expanded content (templated files) */
	size_t len;
	char sha256[65];    /* of what is (or will be) written; "" until known */
};

struct hostfs {
	struct hostfile v[HOSTFS_MAX];
	size_t n;
	char *dirs[HOSTFS_MAX];   /* target directories to create, parents first */
	size_t ndirs;
};

/* Plan every regular file of the image's exports/hostfs (manifest may be
 * NULL).  A preview (images info) does not refuse what the target already
 * has; owned[0..nowned) are paths the container has already (an update
 * replaces them).  Errors name the file and the rule:
 *   "host file '/etc/cron.d/evil' (from /exports/hostfs/etc/cron.d/evil):
 *    /etc/cron.d is not a place images may write (...)" */
int hostfs_plan(struct store *s, const struct image_info *im, const struct json *manifest,
		template_lookup_fn lookup, void *ctx, const struct target *t, int preview,
		const char *const *owned, size_t nowned, struct hostfs *h, struct err *e);

/* Create one planned directory (0755, never through a symlink). */
int hostfs_mkdir(const struct target *t, const char *dir, struct err *e);
/* Write one planned file's content to fd (a deployment keeps a copy of
 * what goes to the host); fills f->sha256. */
int hostfs_content(struct store *s, struct hostfile *f, int fd, struct err *e);
/* Put the content of srcfd at a target path (never through a symlink),
 * owned by uid:gid with mode: a temporary file beside it, then renamed over
 * what is there (replace) or linked in only when nothing is (!replace). */
int hostfs_install(const struct target *t, int srcfd, const char *path, uint32_t mode,
		   uint32_t uid, uint32_t gid, int replace, struct err *e);

/* sha256 hex of the regular file at a target path now, "" when it is gone
 * or not a regular file (never followed through a symlink). */
void hostfs_current_sha256(const struct target *t, const char *path, char out[65]);
void hostfs_free(struct hostfs *h);

#endif
