/* Streaming tar reader: a push parser for image layers.
 *
 * Bytes arrive in chunks of any size (1 byte included) from the decompressor
 * through tar_feed(); entries come out through callbacks.  The reader does no
 * I/O and never buffers file content: each chunk of a regular file is handed
 * to ->data as a slice of the caller's buffer.  It buffers at most one
 * 512-byte header, one pax / GNU long-name payload (TAR_MAX_META) and the
 * pax values it keeps (paths, xattrs; each set bounded by the limits below).
 *
 * Formats: POSIX ustar and pax ('x' local, 'g' global headers), GNU (long
 * names 'L', long links 'K', base-256 numbers), old V7 headers.  Every entry
 * is treated as hostile: names are normalised lexically and may not climb
 * above the layer root; names and link targets must be UTF-8; sizes, counts
 * and lengths are bounded.
 *
 * Ownership: tar_new() allocates, tar_free() releases (tar_free(NULL) is a
 * no-op).  Everything a callback receives (the entry, its strings, xattrs,
 * data chunks) is owned by the reader or the caller of tar_feed() and is
 * valid only until the callback returns: copy what you keep.
 *
 * Errors: a failing call fills *e and returns -1; the message names the
 * entry ("entry 'usr/bin/x': ...").  An error returned by a callback is
 * passed back unchanged.  After any error the reader is dead: every further
 * tar_feed()/tar_finish() returns the same error. */
#ifndef SC_TAR_H
#define SC_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum {
	TAR_BLOCK = 512,
	TAR_MAX_META = 1 << 20,          /* pax or GNU long-name payload, bytes */
	TAR_MAX_PATH = 4096,             /* entry name or link target, bytes */
	TAR_MAX_XATTRS = 128,            /* xattrs per entry */
	TAR_MAX_XATTR_NAME = 255,        /* as the kernel's XATTR_NAME_MAX */
	TAR_MAX_XATTR_VALUE = 64 << 10,  /* as the kernel's XATTR_SIZE_MAX */
};

enum tar_type {
	TAR_REG,
	TAR_DIR,
	TAR_SYMLINK,
	TAR_HARDLINK,
	TAR_CHR,
	TAR_BLK,
	TAR_FIFO,
};

struct tar_xattr {
	const char *name;       /* e.g. "user.foo", "security.capability" */
	const uint8_t *value;   /* binary, not NUL-terminated */
	size_t len;
};

struct tar_entry {
	/* Normalised: relative, no ".", "..", "//" or trailing "/";
	 * "" for the layer root itself (always TAR_DIR). */
	const char *path;
	/* TAR_SYMLINK: the target exactly as stored (data, never resolved).
	 * TAR_HARDLINK: the target normalised like path, never "".
	 * NULL for every other type. */
	const char *link;
	enum tar_type type;
	uint32_t mode;          /* permission bits incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	uint64_t size;          /* bytes ->data will deliver; 0 unless TAR_REG */
	uint32_t devmajor, devminor;  /* TAR_CHR / TAR_BLK only, else 0 */
	size_t nxattrs;
	const struct tar_xattr *xattrs;   /* from pax SCHILY.xattr.NAME */
};

/* Each callback returns 0, or -1 with *e filled to abort the stream.
 * Any of them may be NULL (the event is then dropped).  For every entry the
 * order is: entry, data (zero or more chunks totalling exactly ent->size),
 * entry_end. */
struct tar_callbacks {
	int (*entry)(void *ctx, const struct tar_entry *ent, struct err *e);
	int (*data)(void *ctx, const void *buf, size_t len, struct err *e);
	int (*entry_end)(void *ctx, struct err *e);
};

struct tar;

/* Allocate a reader; *cb is copied, ctx is passed to every callback. */
int tar_new(struct tar **out, const struct tar_callbacks *cb, void *ctx,
	struct err *e);
/* Push the next len bytes of the stream (len may be 0). */
int tar_feed(struct tar *t, const void *buf, size_t len, struct err *e);
/* End of input.  Fails when the stream stops inside a header, an entry's
 * data or padding, or right after a pax/long-name header.  A stream that
 * ends on a header boundary without the two-zero-block end marker is
 * accepted (Go's writer and others omit it).  Bytes after the end marker
 * must be zero. */
int tar_finish(struct tar *t, struct err *e);
void tar_free(struct tar *t);

/* Seekable input (an archive on disk): right after the entry callback the
 * caller may seek past the rest of the entry instead of feeding it.
 * tar_skippable() says how many stream bytes that is (content and padding;
 * 0 outside an entry); tar_skip() accounts for exactly that many, calling
 * entry_end as if the content had been fed. */
uint64_t tar_skippable(const struct tar *t);
int tar_skip(struct tar *t, uint64_t n, struct err *e);

/* Pure helpers, exposed for tests. */

/* Lexically normalise the tar name in[0..len) into out (NUL-terminated):
 * leading "/" and "./", "." components, repeated and trailing "/" are
 * dropped, "a/../b" becomes "b".  "." (or "/", "a/..") gives "".  Fails on an
 * empty name, a NUL byte, a ".." that would climb above the root ("path
 * escapes the layer root"), or outsz < len + 1. */
int tar_normalize_path(const char *in, size_t len, char *out, size_t outsz,
	struct err *e);
/* True when buf[0..len) is valid UTF-8: no overlong forms, no surrogates,
 * nothing above U+10FFFF.  NUL bytes count as valid here. */
bool tar_utf8_valid(const void *buf, size_t len);

#endif
