/* Unit tests for inflate.c: gzip made by zlib's own deflate is decoded back
 * whatever the chunking, multi-member and padded streams are accepted,
 * truncated, corrupt and foreign-format streams are refused by name, and
 * the sink's errors come back unchanged. */
#include "inflate.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- helpers ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void buf_zeros(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_add(b, "", 1);
}

static void buf_reset(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static void fill_random(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(rng() >> 56);
		buf_add(b, &c, 1);
	}
}

/* Compressible text: repeated words with random choices. */
static void fill_text(struct buf *b, size_t n)
{
	static const char *words[] = { "layer ", "tar ", "ostree ", "commit ", "\n" };

	while (b->n < n) {
		const char *w = words[rng() % 5];
		size_t k = strlen(w);
		buf_add(b, w, b->n + k > n ? n - b->n : k);
	}
}

/* Append one gzip member of in[0..n) to out, made by zlib's deflate. */
static void gz_member(struct buf *out, const uint8_t *in, size_t n, int level,
		      gz_header *hdr)
{
	z_stream zs;
	uint8_t tmp[4096];
	int ret;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	if (hdr && deflateSetHeader(&zs, hdr) != Z_OK)
		abort();
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	do {
		zs.next_out = tmp;
		zs.avail_out = sizeof tmp;
		ret = deflate(&zs, Z_FINISH);
		buf_add(out, tmp, sizeof tmp - zs.avail_out);
	} while (ret == Z_OK);
	if (ret != Z_STREAM_END)
		abort();
	deflateEnd(&zs);
}

/* Sink that collects output; fails on call number fail_at (1-based). */
struct collect {
	struct buf out;
	int calls, fail_at;
	size_t max_chunk;
};

static int collect_sink(void *ctx, const void *p, size_t n, struct err *e)
{
	struct collect *c = ctx;

	if (++c->calls == c->fail_at)
		return err_set(e, ENOSPC, "write layer 'x'");
	if (n > c->max_chunk)
		c->max_chunk = n;
	buf_add(&c->out, p, n);
	return 0;
}

enum chunking { WHOLE, ONE_BYTE, RANDOM };
static const char *chunking_name[] = { "whole", "1-byte", "random" };

/* Feed in[] with the given chunking, then finish.  Returns 0 or -1. */
static int run(const uint8_t *in, size_t n, enum chunking how, struct collect *c,
	       struct err *e, int *is_gzip, uint64_t *out_bytes)
{
	struct inflate *z;
	size_t off = 0, k;
	int rc = 0;

	if (inflate_new(&z, collect_sink, c, e))
		return -1;
	while (rc == 0 && off < n) {
		k = how == WHOLE ? n - off : how == ONE_BYTE ? 1 : 1 + rng() % 3000;
		if (k > n - off)
			k = n - off;
		rc = inflate_feed(z, in + off, k, e);
		off += k;
	}
	if (rc == 0)
		rc = inflate_finish(z, e);
	if (is_gzip)
		*is_gzip = inflate_is_gzip(z);
	if (out_bytes)
		*out_bytes = inflate_out_bytes(z);
	inflate_free(z);
	return rc;
}

/* ---- table of whole streams ---- */

enum recipe {
	R_RANDOM_L6, R_RANDOM_L0, R_RANDOM_L1, R_TEXT_L9, R_ZEROS_1M, R_EMPTY_MEMBER,
	R_MULTI3, R_MANY, R_HEADER_FIELDS, R_PADDED1, R_PADDED_4K, R_RAW_TAR,
	R_RAW_1F, R_RAW_BZH, R_RAW_SHORT, R_EMPTY,
	R_GARBAGE, R_GARBAGE_AFTER_ZEROS, R_MEMBER_AFTER_ZEROS, R_BAD_SECOND_MAGIC,
	R_LONE_1F, R_CRC, R_ISIZE, R_MIDDLE, R_ZSTD, R_XZ, R_BZIP2, R_BZIP2_EMPTY,
};

/* Build the compressed input and the output expected from it. */
static void build(enum recipe r, struct buf *in, struct buf *want)
{
	gz_header h;

	switch (r) {
	case R_RANDOM_L6:
	case R_RANDOM_L0:
	case R_RANDOM_L1:
		fill_random(want, 100000 + rng() % 1000);
		gz_member(in, want->p, want->n, r == R_RANDOM_L6 ? 6 : r == R_RANDOM_L0 ? 0 : 1, NULL);
		break;
	case R_TEXT_L9:
		fill_text(want, 300000);
		gz_member(in, want->p, want->n, 9, NULL);
		break;
	case R_ZEROS_1M:
		buf_zeros(want, 1 << 20);
		gz_member(in, want->p, want->n, 9, NULL);
		break;
	case R_EMPTY_MEMBER:
		gz_member(in, (const uint8_t *)"", 0, 6, NULL);
		break;
	case R_MULTI3:
		for (int i = 0; i < 3; i++) {
			size_t at = want->n;
			fill_text(want, at + 70000 + 1000 * i);
			gz_member(in, want->p + at, want->n - at, 1 + 4 * i, NULL);
		}
		break;
	case R_MANY:
		for (int i = 0; i < 200; i++) {
			size_t at = want->n;
			fill_random(want, rng() % 300);
			gz_member(in, want->n ? want->p + at : (const uint8_t *)"", want->n - at, 6, NULL);
		}
		break;
	case R_HEADER_FIELDS:
		memset(&h, 0, sizeof h);
		h.name = (Bytef *)"layer.tar";
		h.comment = (Bytef *)"made by the unit test";
		h.extra = (Bytef *)"SC\x04\0abcd";
		h.extra_len = 8;
		h.hcrc = 1;
		fill_text(want, 5000);
		gz_member(in, want->p, want->n, 6, &h);
		break;
	case R_PADDED1:
	case R_PADDED_4K:
		fill_text(want, 20000);
		gz_member(in, want->p, want->n, 6, NULL);
		buf_zeros(in, r == R_PADDED1 ? 1 : 4096);
		break;
	case R_RAW_TAR:
		buf_add(want, "etc/\0", 5);
		buf_zeros(want, 507);
		fill_random(want, 5000);
		buf_add(in, want->p, want->n);
		break;
	case R_RAW_1F:
		buf_add(want, "\x1f" "abc", 4);
		buf_add(in, want->p, want->n);
		break;
	case R_RAW_BZH:
		buf_add(want, "BZh9 is a file name, not bzip2", 30);
		buf_add(in, want->p, want->n);
		break;
	case R_RAW_SHORT:
		buf_add(want, "BZ", 2);
		buf_add(in, want->p, want->n);
		break;
	case R_EMPTY:
		break;
	case R_GARBAGE:
		fill_text(want, 1000);
		gz_member(in, want->p, want->n, 6, NULL);
		buf_add(in, "x", 1);
		break;
	case R_GARBAGE_AFTER_ZEROS:
		fill_text(want, 1000);
		gz_member(in, want->p, want->n, 6, NULL);
		buf_zeros(in, 100);
		buf_add(in, "x", 1);
		break;
	case R_MEMBER_AFTER_ZEROS:
		fill_text(want, 1000);
		gz_member(in, want->p, want->n, 6, NULL);
		buf_zeros(in, 10);
		gz_member(in, want->p, want->n, 6, NULL);
		break;
	case R_BAD_SECOND_MAGIC:
		fill_text(want, 1000);
		gz_member(in, want->p, want->n, 6, NULL);
		buf_add(in, "\x1f\x00\x08\x00", 4);
		break;
	case R_LONE_1F:
		buf_add(in, "\x1f", 1);
		break;
	case R_CRC:
	case R_ISIZE:
	case R_MIDDLE:
		fill_text(want, 50000);
		gz_member(in, want->p, want->n, 6, NULL);
		in->p[r == R_CRC ? in->n - 8 : r == R_ISIZE ? in->n - 1 : in->n / 2] ^= 0x55;
		break;
	case R_ZSTD: /* frame header of `zstd` output */
		buf_add(in, "\x28\xb5\x2f\xfd\x24\x05\x29\x00\x00hello", 14);
		break;
	case R_XZ: /* stream header of `xz` output */
		buf_add(in, "\xfd" "7zXZ\0\0\x04\xe6\xd6\xb4\x46", 12);
		break;
	case R_BZIP2: /* `bzip2 -9` output starts with the block magic (pi) */
		buf_add(in, "BZh91AY&SY\x12\x34", 12);
		break;
	case R_BZIP2_EMPTY: /* `bzip2` of nothing: end-of-stream magic (sqrt pi) */
		buf_add(in, "BZh9\x17\x72\x45\x38\x50\x90\0\0\0\0", 14);
		break;
	}
}

static const struct stream_case {
	enum recipe r;
	const char *why;
	int gzip;          /* expected inflate_is_gzip() */
	const char *err;   /* NULL: must succeed with the expected output;
			      else a substring of the expected error */
} cases[] = {
	{ R_RANDOM_L6, "random data at level 6 round-trips", 1, NULL },
	{ R_RANDOM_L0, "level 0 (stored blocks) round-trips", 1, NULL },
	{ R_RANDOM_L1, "level 1 round-trips", 1, NULL },
	{ R_TEXT_L9, "compressible text at level 9 round-trips", 1, NULL },
	{ R_ZEROS_1M, "1 MiB of zeros: one input chunk fills the 64 KiB buffer many times", 1, NULL },
	{ R_EMPTY_MEMBER, "a member of zero bytes is valid and yields nothing", 1, NULL },
	{ R_MULTI3, "three members at different levels decode as one stream", 1, NULL },
	{ R_MANY, "200 small members (eStargz-like) decode as one stream", 1, NULL },
	{ R_HEADER_FIELDS, "FNAME, FCOMMENT, FEXTRA and FHCRC header fields are skipped", 1, NULL },
	{ R_PADDED1, "one zero byte after the last member is padding", 1, NULL },
	{ R_PADDED_4K, "4 KiB of zeros after the last member are padding", 1, NULL },
	{ R_RAW_TAR, "an uncompressed tar passes through unchanged", 0, NULL },
	{ R_RAW_1F, "1f not followed by 8b is raw data", 0, NULL },
	{ R_RAW_BZH, "\"BZh9\" without the block magic is raw data", 0, NULL },
	{ R_RAW_SHORT, "a stream shorter than any magic is raw data", 0, NULL },
	{ R_EMPTY, "empty input is an empty raw stream", 0, NULL },
	{ R_GARBAGE, "a byte other than zero or a member after the last member is refused",
	  1, "trailing garbage after gzip stream" },
	{ R_GARBAGE_AFTER_ZEROS, "garbage after the zero padding is refused",
	  1, "trailing garbage after gzip stream" },
	{ R_MEMBER_AFTER_ZEROS, "padding ends the stream: a member after it is refused",
	  1, "trailing garbage after gzip stream" },
	{ R_BAD_SECOND_MAGIC, "a second member with a bad magic reports zlib's message",
	  1, "incorrect header check" },
	{ R_LONE_1F, "a single 1f byte is a gzip stream cut short",
	  0, "truncated gzip stream" },
	{ R_CRC, "a flipped CRC-32 in the trailer is caught", 1, "incorrect data check" },
	{ R_ISIZE, "a flipped ISIZE in the trailer is caught", 1, "incorrect length check" },
	{ R_MIDDLE, "a flipped byte in the deflate data is caught", 1, "corrupt gzip stream" },
	{ R_ZSTD, "zstd is refused by name", 0, "zstd compression is not supported" },
	{ R_XZ, "xz is refused by name", 0, "xz compression is not supported" },
	{ R_BZIP2, "bzip2 is refused by name", 0, "bzip2 compression is not supported" },
	{ R_BZIP2_EMPTY, "an empty bzip2 stream is refused by name",
	  0, "bzip2 compression is not supported" },
};

static void test_streams(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct stream_case *t = &cases[i];
		struct buf in = { 0 }, want = { 0 };

		build(t->r, &in, &want);
		for (int how = WHOLE; how <= RANDOM; how++) {
			struct collect c = { 0 };
			struct err e = { 0 };
			uint64_t out_bytes = 0;
			int gz = -1, rc;

			rc = run(in.p, in.n, how, &c, &e, &gz, &out_bytes);
			if (!t->err)
				ok(rc == 0 && c.out.n == want.n &&
				   (want.n == 0 || memcmp(c.out.p, want.p, want.n) == 0) &&
				   out_bytes == want.n && gz == t->gzip &&
				   (!t->gzip || c.max_chunk <= 64 * 1024),
				   "%s (%s): rc %d, %zu of %zu bytes, gzip %d%s%s", t->why,
				   chunking_name[how], rc, c.out.n, want.n, gz,
				   rc ? ", error: " : "", rc ? e.msg : "");
			else
				ok(rc == -1 && strstr(e.msg, t->err) && gz == t->gzip,
				   "%s (%s): got '%s'", t->why, chunking_name[how], e.msg);
			buf_reset(&c.out);
		}
		buf_reset(&in);
		buf_reset(&want);
	}
}

/* Each foreign format's message is exactly the documented one. */
static void test_refusal_text(void)
{
	struct buf in = { 0 }, want = { 0 };
	struct collect c = { 0 };
	struct err e = { 0 };

	build(R_ZSTD, &in, &want);
	run(in.p, in.n, ONE_BYTE, &c, &e, NULL, NULL);
	ok(strcmp(e.msg, "zstd compression is not supported") == 0 && c.calls == 0,
	   "zstd: exact message, nothing reached the sink");
	buf_reset(&in);
}

/* Every prefix of a member, cut anywhere before its end, is refused. */
static void test_truncation(void)
{
	struct buf in = { 0 }, want = { 0 };
	int bad = 0;
	size_t cut;

	fill_text(&want, 3000);
	gz_member(&in, want.p, want.n, 6, NULL);
	for (cut = 1; cut < in.n; cut++) {
		struct collect c = { 0 };
		struct err e = { 0 };

		if (run(in.p, cut, cut % 2 ? WHOLE : RANDOM, &c, &e, NULL, NULL) != -1 ||
		    strcmp(e.msg, "truncated gzip stream") != 0) {
			if (!bad++)
				printf("# cut at %zu: '%s'\n", cut, e.msg);
		}
		buf_reset(&c.out);
	}
	ok(bad == 0, "one member cut at each of %zu offsets: all 'truncated gzip stream' (%d not)",
	   in.n - 1, bad);

	/* Cuts inside the second of two members; a cut between them is valid. */
	size_t first = in.n;
	gz_member(&in, want.p, want.n, 1, NULL);
	bad = 0;
	for (cut = first + 1; cut < in.n; cut++) {
		struct collect c = { 0 };
		struct err e = { 0 };

		bad += run(in.p, cut, ONE_BYTE, &c, &e, NULL, NULL) != -1 ||
		       strcmp(e.msg, "truncated gzip stream") != 0;
		buf_reset(&c.out);
	}
	ok(bad == 0, "second member cut at each offset: all refused (%d not)", bad);
	{
		struct collect c = { 0 };
		struct err e = { 0 };

		ok(run(in.p, first, WHOLE, &c, &e, NULL, NULL) == 0 && c.out.n == want.n,
		   "a cut exactly between members is a valid one-member stream");
		buf_reset(&c.out);
	}
	buf_reset(&in);
	buf_reset(&want);
}

/* The sink's error comes back unchanged and the decoder stays failed. */
static void test_sink_error(void)
{
	static const enum recipe rows[] = {
		R_TEXT_L9, /* gzip: fails on the 2nd 64 KiB output chunk */
		R_RAW_TAR, /* raw: fails on the 2nd passthrough chunk */
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct buf in = { 0 }, want = { 0 };
		struct collect c = { .fail_at = 2 };
		struct err e = { 0 };
		struct inflate *z;
		int rc1, rc2, rc3;

		build(rows[i], &in, &want);
		if (inflate_new(&z, collect_sink, &c, &e))
			abort();
		/* raw: the first feed decides and passes through (call 1) */
		rc1 = inflate_feed(z, in.p, 100, &e);
		rc1 = rc1 ? rc1 : inflate_feed(z, in.p + 100, in.n - 100, &e);
		ok(rc1 == -1 && e.errnum == ENOSPC &&
		   strcmp(e.msg, "write layer 'x': No space left on device") == 0,
		   "%s: sink error propagates unchanged ('%s')",
		   rows[i] == R_RAW_TAR ? "raw" : "gzip", e.msg);
		rc2 = inflate_feed(z, "x", 1, &e);
		rc3 = inflate_finish(z, &e);
		ok(rc2 == -1 && rc3 == -1 && strstr(e.msg, "already failed"),
		   "after a sink error, feed and finish keep failing");
		inflate_free(z);
		buf_reset(&c.out);
		buf_reset(&in);
		buf_reset(&want);
	}
}

static void test_api_edges(void)
{
	struct collect c = { 0 };
	struct err e = { 0 };
	struct inflate *z;

	if (inflate_new(&z, collect_sink, &c, &e))
		abort();
	ok(inflate_is_gzip(z) == 0, "undecided stream is not reported as gzip");
	inflate_feed(z, "\x1f", 1, &e);
	ok(inflate_is_gzip(z) == 0 && c.calls == 0,
	   "one byte 1f: still undecided, nothing delivered");
	inflate_feed(z, "\x8b", 1, &e);
	ok(inflate_is_gzip(z) == 1, "1f 8b over two feeds: gzip");
	ok(inflate_feed(z, NULL, 0, &e) == 0, "an empty feed is a no-op");
	inflate_free(z);

	if (inflate_new(&z, collect_sink, &c, &e))
		abort();
	ok(inflate_finish(z, &e) == 0 && inflate_out_bytes(z) == 0,
	   "finish without any feed: empty raw stream");
	ok(inflate_feed(z, "a", 1, &e) == -1 && strstr(e.msg, "after end of stream"),
	   "feed after finish is refused ('%s')", e.msg);
	inflate_free(z);

	inflate_free(NULL);
	ok(1, "inflate_free(NULL) is a no-op");
	buf_reset(&c.out);
}

int main(void)
{
	test_streams();
	test_refusal_text();
	test_truncation();
	test_sink_error();
	test_api_edges();
	return tap_done();
}
