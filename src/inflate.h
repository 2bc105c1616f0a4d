/* Streaming decompression stage of a layer import: bytes in, sink out.
 *
 * Pure: no I/O of its own.  The format is detected from the first bytes,
 * never from a name or media type: 1f 8b is gzip (multi-member, as eStargz
 * writes it), zstd/xz/bzip2 magic is refused by name, anything else is
 * passed through to the sink unchanged (an uncompressed tar).  Up to 10
 * leading bytes are held back until the format is known.
 *
 * Gzip: members are decoded one after another; each member's CRC-32 and
 * length trailer is checked.  After the last member only zero bytes may
 * follow (some writers pad to a block size).  inflate_finish() fails on a
 * stream that ends inside a member.
 *
 * Memory is bounded by a constant: one 64 KiB output buffer inside the
 * struct plus zlib's ~40 KiB of state.  Each sink call gets at most 64 KiB
 * in gzip mode; in raw mode it gets the caller's buffers as they come.
 *
 * Errors: any failure is sticky (later calls fail too).  An error returned
 * by the sink aborts the feed and is passed up unchanged.
 *
 * Ownership: inflate_new() allocates *out; the caller frees it with
 * inflate_free() (NULL is a no-op).  The sink's ctx stays the caller's. */
#ifndef SC_INFLATE_H
#define SC_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Receives decoded bytes; returns 0, or -1 with *e set to abort the feed. */
typedef int (*inflate_sink)(void *ctx, const void *buf, size_t len, struct err *e);

struct inflate;

int inflate_new(struct inflate **out, inflate_sink sink, void *ctx, struct err *e);
/* Decode len bytes of input and pass what they yield to the sink. */
int inflate_feed(struct inflate *z, const void *buf, size_t len, struct err *e);
/* End of input: flushes held-back bytes; fails if the gzip stream is
 * truncated.  No feed may follow. */
int inflate_finish(struct inflate *z, struct err *e);
/* 1 once the first bytes showed gzip, else 0 (also while undecided). */
int inflate_is_gzip(const struct inflate *z);
/* Bytes handed to the sink so far. */
uint64_t inflate_out_bytes(const struct inflate *z);
void inflate_free(struct inflate *z);

#endif
