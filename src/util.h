/* Small file-system helpers shared by the verbs: atomic writes and bounded
 * reads.  No hidden state. */
#ifndef SC_UTIL_H
#define SC_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Write len bytes to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync the directory.  A crash leaves the old file
 * or the new one, never a mix. */
int util_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode,
			   struct err *e);

/* write() all of buf, through short writes and EINTR: 0, or -1 with errno. */
int util_write_all(int fd, const void *buf, size_t len);
/* pread() up to len bytes at off, through short reads and EINTR: the bytes
 * read (fewer only at end of file), or -1 with errno. */
ssize_t util_pread_all(int fd, void *buf, size_t len, off_t off);

/* syncfs() of the file system holding the directory dirfd (an O_PATH fd
 * will do): 0, or -1 with errno. */
int util_syncfs(int dirfd);

/* Read at most max bytes of path into a malloc'd buffer (NUL-terminated for
 * convenience; *len excludes the NUL).  Larger files are an error naming the
 * limit.  Caller frees *out. */
int util_read_file(const char *path, size_t max, char **out, size_t *len, struct err *e);

/* Remove name under dirfd (file, symlink or whole tree) without ever
 * following a symlink.  A missing name is not an error. */
int util_remove_at(int dirfd, const char *name, struct err *e);
/* Remove everything inside the directory fd (which this takes and closes). */
int util_remove_children(int fd, struct err *e);

/* Human-readable size ("1.5 MB", decimal units as docker prints them). */
void util_human_size(unsigned long long bytes, char *out, size_t outsz);

#endif
