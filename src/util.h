/* Small file-system helpers shared by the verbs: atomic writes and bounded
 * reads.  No hidden state. */
#ifndef SC_UTIL_H
#define SC_UTIL_H

#include <stddef.h>
#include <stdint.h>
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

/* fsync() of the directory dirfd (an O_PATH fd will do), after a rename,
 * link or unlink in it: 0, or -1 with errno. */
int util_sync_dir(int dirfd);

/* Bytes a file or a whole tree under dirfd occupies on disk (st_blocks),
 * symlinks never followed; what cannot be read counts 0. */
uint64_t util_tree_bytes(int dirfd, const char *name);

/* Where the file system holding fd is mounted, as this process sees it
 * (from /proc/self/mountinfo): 0 and out filled, or -1 when it cannot be
 * told (no /proc). */
int util_mount_point(int fd, char *out, size_t outsz);
/* Where the file system holding path, or its nearest existing ancestor
 * (path is cut there, in place), is mounted: as util_mount_point() when
 * /proc is mounted, else by walking up while the device stays the same
 * (which misses bind mounts).  Writes "/" when nothing better is known. */
void util_mount_point_path(char *path, char *out, size_t outsz);

/* Read at most max bytes of path into a malloc'd buffer (NUL-terminated for
 * convenience; *len excludes the NUL).  Larger files are an error naming the
 * limit.  Caller frees *out. */
int util_read_file(const char *path, size_t max, char **out, size_t *len, struct err *e);

/* Remove name under dirfd (file, symlink or whole tree) without ever
 * following a symlink.  A missing name is not an error. */
int util_remove_at(int dirfd, const char *name, struct err *e);
/* Remove everything inside the directory fd (which this takes and closes). */
int util_remove_children(int fd, struct err *e);

/* A size as options take it: digits, then K, M, G, T, P or E (optionally
 * followed by iB or B) for powers of 1024 ("512M", "64GiB").  0, or -1
 * when s is not one or overflows. */
int util_parse_size(const char *s, uint64_t *out);
/* The other way round, exact: "64 GiB", "1536 KiB", "1000 bytes". */
void util_iec_size(uint64_t bytes, char *out, size_t outsz);

/* Human-readable size ("1.5 MB", decimal units as docker prints them). */
void util_human_size(unsigned long long bytes, char *out, size_t outsz);

#endif
