/* Bytes handed to a consumer on a thread of its own, through a bounded
 * queue (4 slots of 128 KiB): the producer inflates and hashes while the
 * consumer parses and writes, each on a core.
 *
 * The consumer sees the bytes in order, in slots (not the producer's
 * pieces).  Its first error stops it: the next pipe_put() or
 * pipe_finish() returns that error, as it was set.  A killed process
 * loses the queued bytes, as it would lose them in a buffer.
 *
 * Ownership: pipe_start() allocates; pipe_free() stops the consumer (what
 * is queued is dropped), waits for it and frees; pipe_free(NULL) is a
 * no-op.  Only one thread may put. */
#ifndef SC_PIPE_H
#define SC_PIPE_H

#include <stddef.h>

#include "err.h"

struct pipe;
typedef int (*pipe_sink)(void *ctx, const void *buf, size_t len, struct err *e);

int pipe_start(struct pipe **out, pipe_sink sink, void *ctx, struct err *e);
/* Queues a copy of buf, waiting while the queue is full. */
int pipe_put(struct pipe *p, const void *buf, size_t len, struct err *e);
/* Hands over what is queued, waits until the consumer has taken all of it
 * (or failed) and has stopped; after it the sink's context is the caller's
 * again.  Idempotent. */
int pipe_finish(struct pipe *p, struct err *e);
void pipe_free(struct pipe *p);

#endif
