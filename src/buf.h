/* A growable byte buffer for building output (JSON, unit files, messages).
 *
 * Ownership: the struct lives wherever the caller puts it; buf_free() releases
 * its data (and is a no-op on a zeroed or already freed buf).  buf_steal()
 * hands the data over to the caller, who then frees it with free().
 *
 * Errors are sticky: when an allocation fails or the buffer would grow past
 * BUF_MAX, `oom` is set, that append and every later one do nothing and
 * return -1.  Writers may therefore append freely and check `oom` once at the
 * end.  The data is always NUL-terminated once anything was allocated, so
 * buf_cstr() is a valid C string (it may contain earlier NUL bytes if the
 * caller appended some: use `len` for binary content). */
#ifndef SC_BUF_H
#define SC_BUF_H

#include <stddef.h>

/* Refuse to grow beyond this: nothing we build legitimately comes close, and
 * it keeps size arithmetic far from overflow. */
#define BUF_MAX ((size_t)1 << 30)

struct buf {
	char *data;  /* NULL until the first append; then NUL-terminated */
	size_t len;  /* bytes used, excluding the terminating NUL */
	size_t cap;  /* bytes allocated */
	int oom;     /* sticky: an append failed; content is incomplete */
};

/* Same as `struct buf b = {0}`. */
void buf_init(struct buf *b);
/* Make room for n more bytes (plus the NUL).  0, or -1 setting oom. */
int buf_reserve(struct buf *b, size_t n);
/* Append n bytes from p (p may point into b's own data). 0 or -1 (oom). */
int buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string. 0 or -1 (oom). */
int buf_puts(struct buf *b, const char *s);
/* Append one byte. 0 or -1 (oom). */
int buf_putc(struct buf *b, int c);
/* Append printf-formatted text. 0 or -1 (oom, or a vsnprintf failure). */
int buf_appendf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget the content and clear oom; keeps the allocation for reuse. */
void buf_reset(struct buf *b);
/* Shorten to len bytes (no-op if len >= b->len); oom is unchanged. */
void buf_truncate(struct buf *b, size_t len);
/* Release the data; the buf is then empty and reusable. NULL-safe. */
void buf_free(struct buf *b);
/* The content as a C string; "" when nothing was appended.  Valid until the
 * next append, reset or free. */
const char *buf_cstr(const struct buf *b);
/* Hand the data over: returns a malloc'd NUL-terminated string (the caller
 * frees it) and stores its length in *len when len != NULL; the buf is left
 * empty.  Returns NULL (the content stays) when oom is set, or when the
 * allocation needed for an empty buffer fails (which sets oom). */
char *buf_steal(struct buf *b, size_t *len);

#endif
