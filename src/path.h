/* Resolving paths beneath a directory: the one primitive behind every open,
 * write, link and removal in a deployment and on the target system.
 *
 * Two ways to resolve:
 *   PATH_NO_SYMLINKS  every component, the last included, must be a real
 *                     directory or file: a symlink anywhere fails with ELOOP.
 *                     What we write or remove (host files, units, tmpfiles
 *                     files, deployments) goes this way, so neither an image
 *                     nor anything on the target can redirect a write.
 *   PATH_IN_ROOT      symlinks are followed as the target system itself
 *                     would see them: an absolute one restarts at dirfd and
 *                     ".." never climbs above it.  Only for looking at the
 *                     target's own layout (does /lib/systemd/system/X exist
 *                     on a merged-/usr system?), never for writing.
 * The kernel does it with openat2() (RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS or
 * RESOLVE_IN_ROOT) where it has it (Linux 5.6); elsewhere a component walk
 * with O_NOFOLLOW does the same.
 *
 * A path is relative to dirfd; a leading '/' is allowed and means the same
 * (target paths such as "/etc/x" are passed as they are).  Empty and "."
 * components are skipped.  Under PATH_NO_SYMLINKS a ".." component fails
 * with EXDEV.  Functions returning int give -1 with errno set, or fill *e. */
#ifndef SC_PATH_H
#define SC_PATH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

enum path_how { PATH_NO_SYMLINKS, PATH_IN_ROOT };

/* openat() of path below dirfd: an fd, or -1 with errno. */
int path_openat(int dirfd, const char *path, enum path_how how, int flags, mode_t mode);

/* Called with each directory path_open_parent() created, relative to dirfd
 * ("usr/local/lib/x"), parents first. */
typedef int (*path_created_fn)(void *ctx, const char *rel, struct err *e);

/* An fd (O_PATH) of the directory that holds path's last component, which
 * *base then points at (inside path).  With mkdir_mode >= 0 missing
 * directories are created with that mode (exactly, whatever the umask) and
 * reported to created (may be NULL).  A path without a last component ("",
 * "/", ".") is EINVAL. */
int path_open_parent(int dirfd, const char *path, enum path_how how, const char **base,
		     int mkdir_mode, path_created_fn created, void *ctx, struct err *e);

/* lstat() of path below dirfd: 0, or -1 with errno (ENOENT when it or a
 * parent is missing). */
int path_lstat(int dirfd, const char *path, enum path_how how, struct stat *st);

/* Write len bytes to path atomically (PATH_NO_SYMLINKS): a temporary file
 * in the same directory, fsync, renameat over path, fsync of the
 * directory, each checked.  Missing parents are created (0755). */
int path_write_atomic(int dirfd, const char *path, const void *buf, size_t len, unsigned mode,
		      struct err *e);

/* Make path a symlink to target atomically (a temporary link renamed over
 * path), the directory synced.  Missing parents are created (0755). */
int path_symlink_atomic(int dirfd, const char *path, const char *target, struct err *e);

/* Remove path (a file, a symlink or a whole tree) below dirfd without
 * following any symlink; a missing path or parent is not an error.  The
 * directory is synced when something was removed. */
int path_remove(int dirfd, const char *path, struct err *e);

/* Remove what path_write_atomic or path_symlink_atomic of path left when
 * killed before its rename (hidden temporaries beside path); the
 * directory is synced when something was removed. */
int path_remove_temps(int dirfd, const char *path, struct err *e);

/* Remove the directory path only when it is empty: 1 removed, 0 kept (not
 * empty, missing, or not a directory). */
int path_remove_empty_dir(int dirfd, const char *path, struct err *e);

/* fsync the directory that holds path (after a rename or unlink there). */
int path_sync_parent(int dirfd, const char *path, struct err *e);

/* out = a "/" b, b's leading '/' dropped ("/" + "etc" = "/etc"); -1 with
 * ENAMETOOLONG when it does not fit (out is then ""). */
int path_join(char *out, size_t outsz, const char *a, const char *b);
/* snprintf for a path, a name or a ref, which may never be cut short: 0, or
 * -1 with errno ENAMETOOLONG, out "" and (e not NULL) e naming the start of
 * what did not fit. */
int path_fmt(char *out, size_t outsz, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* For tests: 1 makes every call take the component walk (as on a kernel
 * without openat2), 0 back to the kernel's resolution. */
void path_force_walk(int on);

#endif
