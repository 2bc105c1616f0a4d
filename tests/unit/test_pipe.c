/* pipe.c: bytes reach the consumer thread whole and in order, its first
 * error comes back to the producer as it was set, and a pipe can be
 * dropped half-way. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "sha256.h"
#include "tap.h"

struct sink {
	struct sha256 h;
	size_t bytes, calls;
	size_t fail_after;         /* fail the call that passes this many bytes; 0: never */
};

static int take(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_after && s->bytes + len > s->fail_after)
		return err_set(e, EIO, "sink: refused at byte %zu", s->bytes);
	sha256_update(&s->h, buf, len);
	s->bytes += len;
	return 0;
}

/* 5 MB in odd-sized pieces, a pattern no slot boundary can hide */
static unsigned char *pattern(size_t n)
{
	unsigned char *b = malloc(n);
	uint32_t x = 1;
	for (size_t i = 0; b && i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 16);
	}
	return b;
}

static int feed(struct pipe *p, const unsigned char *b, size_t n, struct err *e)
{
	static const size_t piece[] = { 1, 4095, 131072, 131073, 77777, 262144 };
	for (size_t off = 0, k = 0; off < n; k++) {
		size_t m = piece[k % 6] < n - off ? piece[k % 6] : n - off;
		if (pipe_put(p, b + off, m, e) < 0)
			return -1;
		off += m;
	}
	return 0;
}

int main(void)
{
	enum { N = 5 * 1000 * 1000 + 3 };
	unsigned char *b = pattern(N), want[32], got[32];
	struct sink s;
	struct pipe *p = NULL;
	struct err e = { 0 };
	int r;

	sha256_oneshot(b, N, want);

	/* every byte, in order, then finish hands the sink back */
	memset(&s, 0, sizeof s);
	sha256_init(&s.h);
	r = pipe_start(&p, take, &s, &e) == 0 && feed(p, b, N, &e) == 0 && pipe_finish(p, &e) == 0;
	sha256_final(&s.h, got);
	ok(r && s.bytes == N && !memcmp(got, want, 32), "all %d bytes arrive in order", N);
	ok(pipe_finish(p, &e) == 0, "finish twice is harmless");
	pipe_free(p);

	/* the consumer's first error reaches the producer unchanged */
	memset(&s, 0, sizeof s);
	memset(&e, 0, sizeof e);
	sha256_init(&s.h);
	s.fail_after = 1000000;
	r = pipe_start(&p, take, &s, &e);
	r = r == 0 ? feed(p, b, N, &e) : -2;
	if (r == 0)
		r = pipe_finish(p, &e);
	ok(r == -1 && e.errnum == EIO && strstr(e.msg, "sink: refused at byte") != NULL,
	   "the sink's error comes back: %s", e.msg);
	ok(s.bytes <= 1000000, "nothing is taken after the error (%zu bytes)", s.bytes);
	pipe_free(p);

	/* dropped half-way: the thread stops, nothing leaks or hangs */
	memset(&s, 0, sizeof s);
	sha256_init(&s.h);
	r = pipe_start(&p, take, &s, &e) == 0 && feed(p, b, N / 2, &e) == 0;
	pipe_free(p);
	ok(r, "a pipe freed without finish stops its thread");
	pipe_free(NULL);
	ok(1, "pipe_free(NULL) is a no-op");

	free(b);
	return tap_done();
}
