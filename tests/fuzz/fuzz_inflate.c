/* Fuzz target "gzip": arbitrary bytes through inflate.c.
 *
 * Input layout: byte 0 steers the harness (chunk sizes, and whether the sink
 * fails on its Nth call); the rest is the stream.  Invariants checked with
 * abort(): raw output is the input byte for byte, a gzip sink call gets at
 * most 64 KiB, and inflate_out_bytes() counts exactly what the sink took. */
#include "inflate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int fuzz_gzip(const uint8_t *data, size_t size);

/* Output beyond this is a decompression bomb, not a bug: stop early so a
 * large input cannot time the fuzzer out. */
#define FUZZ_OUT_MAX ((uint64_t)64 << 20)

struct fuzz_sink {
	struct inflate *z;
	const uint8_t *in;      /* the stream, for the raw passthrough check */
	size_t in_len;
	uint64_t got;
	int calls, fail_at;
};

static int fuzz_sink(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct fuzz_sink *s = ctx;

	if (len == 0)
		abort(); /* the decoder never makes empty sink calls */
	if (++s->calls == s->fail_at)
		return err_set(e, 0, "sink refused call %d", s->calls);
	if (inflate_is_gzip(s->z)) {
		if (len > 64 * 1024)
			abort();
	} else if (s->got + len > s->in_len ||
		   memcmp(buf, s->in + s->got, len) != 0) {
		abort(); /* raw mode must pass the input through unchanged */
	}
	if (s->got + len > FUZZ_OUT_MAX)
		return err_set(e, 0, "output limit");
	s->got += len;
	return 0;
}

int fuzz_gzip(const uint8_t *data, size_t size)
{
	struct fuzz_sink s = { 0 };
	struct err e = { 0 };
	uint32_t lcg;
	size_t off = 0, n;
	int rc = 0;
	uint8_t ctl;

	if (size < 1)
		return 0;
	ctl = data[0];
	s.in = data + 1;
	s.in_len = size - 1;
	s.fail_at = ctl & 0x80 ? 1 + ((ctl >> 4) & 7) : 0;
	lcg = ctl;
	if (inflate_new(&s.z, fuzz_sink, &s, &e))
		return 0;
	while (rc == 0 && off < s.in_len) {
		/* low 3 bits: 0 = all at once, else pieces of 1 .. 2^k bytes */
		lcg = lcg * 1103515245u + 12345u;
		n = (ctl & 7) ? 1 + (lcg >> 16) % (1u << (ctl & 7)) : s.in_len;
		if (n > s.in_len - off)
			n = s.in_len - off;
		rc = inflate_feed(s.z, s.in + off, n, &e);
		off += n;
	}
	if (rc == 0)
		rc = inflate_finish(s.z, &e);
	if (inflate_out_bytes(s.z) != s.got)
		abort();
	if (rc == 0 && !inflate_is_gzip(s.z) && s.got != s.in_len)
		abort(); /* a successful raw stream delivers every byte */
	if (rc != 0 && e.msg[0] == '\0')
		abort(); /* every failure says why */
	/* once failed, always failed */
	if (rc != 0 && inflate_feed(s.z, "", 1, &e) != -1)
		abort();
	inflate_free(s.z);
	return 0;
}
