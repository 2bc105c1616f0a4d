/* Streaming decompression of layer blobs: format sniffing, multi-member
 * gzip through zlib, raw passthrough.  See inflate.h for the contract. */
#include "inflate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST /* next_in is const: our input is the caller's */
#include <zlib.h>

enum {
	OUT_LEN = 64 * 1024,
	HEAD_MAX = 10, /* longest signature below: once this many bytes are in, every row has decided */
};

/* zlib counts input in a 32-bit uInt: hand it at most this much at once. */
#define ZLIB_MAX_IN ((size_t)1 << 30)

enum format { FMT_UNKNOWN, FMT_RAW, FMT_GZIP };

/* Where a gzip stream is: inside a member, right after one (another member
 * or padding may follow), or in the zero padding (only zeros may follow). */
enum gz_state { GZ_MEMBER, GZ_BETWEEN, GZ_PADDING };

struct inflate {
	z_stream zs;
	int zs_ready;           /* inflateInit2 succeeded: inflateEnd needed */
	enum format fmt;
	enum gz_state gz;
	int failed;             /* an error was returned: every later call fails */
	int finished;
	unsigned members;       /* gzip members started */
	uint64_t in_bytes;      /* gzip input consumed, for error messages */
	uint64_t out_bytes;
	inflate_sink sink;
	void *ctx;
	size_t nhead;
	uint8_t head[HEAD_MAX]; /* first bytes, held until the format is known */
	uint8_t out[OUT_LEN];
};

/* Signatures.  '?' stands for an ASCII digit 1-9 (bzip2's block size); no
 * signature contains a literal 0x3f.  bzip2 is matched with its first block
 * magic (pi or sqrt(pi)) so that a tar whose first name starts "BZh" is not
 * taken for it. */
static const struct magic {
	const char *sig;
	size_t len;
	enum format fmt;        /* FMT_GZIP, or FMT_UNKNOWN when refused */
	const char *refusal;
} magics[] = {
	{ "\x1f\x8b", 2, FMT_GZIP, NULL },
	{ "\x28\xb5\x2f\xfd", 4, FMT_UNKNOWN, "zstd compression is not supported" },
	{ "\xfd" "7zXZ" "\0", 6, FMT_UNKNOWN, "xz compression is not supported" },
	{ "BZh?" "1AY&SY", 10, FMT_UNKNOWN, "bzip2 compression is not supported" },
	{ "BZh?" "\x17\x72\x45\x38\x50\x90", 10, FMT_UNKNOWN,
	  "bzip2 compression is not supported" },
};

enum match { MATCH_NO, MATCH_PARTIAL, MATCH_FULL };

static enum match magic_match(const struct magic *m, const uint8_t *p, size_t n)
{
	size_t i, k = n < m->len ? n : m->len;

	for (i = 0; i < k; i++) {
		uint8_t c = (uint8_t)m->sig[i];
		int same = c == '?' ? p[i] >= '1' && p[i] <= '9' : p[i] == c;
		if (!same)
			return MATCH_NO;
	}
	return n >= m->len ? MATCH_FULL : MATCH_PARTIAL;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct inflate *z, struct err *e, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof e->msg];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	z->failed = 1;
	return err_set(e, 0, "%s", msg);
}

/* Decide the format from z->head.  At the end of input an undecided prefix
 * (empty included) is raw, except a lone 1f: a gzip stream cut after one
 * byte. */
static int detect(struct inflate *z, int at_end, struct err *e)
{
	int maybe = 0;
	size_t i;

	for (i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		const struct magic *m = &magics[i];

		switch (magic_match(m, z->head, z->nhead)) {
		case MATCH_FULL:
			if (m->refusal)
				return fail(z, e, "%s", m->refusal);
			z->fmt = m->fmt;
			return 0;
		case MATCH_PARTIAL:
			if (at_end && z->nhead && m->fmt == FMT_GZIP)
				return fail(z, e, "truncated gzip stream");
			maybe = 1;
			break;
		case MATCH_NO:
			break;
		}
	}
	if (!maybe || at_end)
		z->fmt = FMT_RAW;
	return 0;
}

static int sink_out(struct inflate *z, const uint8_t *p, size_t n, struct err *e)
{
	if (!n)
		return 0;
	if (z->sink(z->ctx, p, n, e) != 0) {
		z->failed = 1;
		return -1; /* the sink's error, unchanged */
	}
	z->out_bytes += n;
	return 0;
}

/* Run zlib over at most ZLIB_MAX_IN bytes of the current member, draining
 * the output buffer to the sink as often as it fills.  *used is the input
 * consumed; it is less than len when the member ended inside it. */
static int member_feed(struct inflate *z, const uint8_t *p, size_t len,
		       size_t *used, struct err *e)
{
	size_t n = len < ZLIB_MAX_IN ? len : ZLIB_MAX_IN, produced;
	uInt before;
	int ret;

	z->zs.next_in = p;
	z->zs.avail_in = (uInt)n;
	for (;;) {
		before = z->zs.avail_in;
		z->zs.next_out = z->out;
		z->zs.avail_out = OUT_LEN;
		ret = inflate(&z->zs, Z_NO_FLUSH);
		produced = OUT_LEN - z->zs.avail_out;
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			return fail(z, e, "corrupt gzip stream at byte %llu (member %u): %s",
				    (unsigned long long)(z->in_bytes + n - z->zs.avail_in),
				    z->members, z->zs.msg ? z->zs.msg : zError(ret));
		if (sink_out(z, z->out, produced, e))
			return -1;
		if (ret == Z_STREAM_END) {
			z->gz = GZ_BETWEEN;
			break;
		}
		/* Input used up and output not full: zlib holds nothing back. */
		if (z->zs.avail_in == 0 && z->zs.avail_out != 0)
			break;
		/* Z_BUF_ERROR with input left cannot happen; never spin on it. */
		if (!produced && z->zs.avail_in == before)
			return fail(z, e, "corrupt gzip stream at byte %llu (member %u): "
				    "decoder made no progress",
				    (unsigned long long)(z->in_bytes + n - z->zs.avail_in),
				    z->members);
	}
	*used = n - z->zs.avail_in;
	return 0;
}

static int member_start(struct inflate *z, struct err *e)
{
	if (inflateReset(&z->zs) != Z_OK)
		return fail(z, e, "gzip: cannot reset decoder");
	z->members++;
	z->gz = GZ_MEMBER;
	return 0;
}

static int gzip_feed(struct inflate *z, const uint8_t *p, size_t len, struct err *e)
{
	size_t used = 0;

	while (len) {
		switch (z->gz) {
		case GZ_BETWEEN:
			if (p[0] == 0) {
				z->gz = GZ_PADDING;
			} else if (p[0] != 0x1f) {
				return fail(z, e, "trailing garbage after gzip stream at byte %llu",
					    (unsigned long long)z->in_bytes);
			} else if (member_start(z, e)) {
				return -1;
			}
			break;
		case GZ_PADDING:
			for (used = 0; used < len && p[used] == 0; used++)
				;
			z->in_bytes += used;
			if (used < len)
				return fail(z, e, "trailing garbage after gzip stream at byte %llu",
					    (unsigned long long)z->in_bytes);
			return 0;
		case GZ_MEMBER:
			if (member_feed(z, p, len, &used, e))
				return -1;
			p += used;
			len -= used;
			z->in_bytes += used;
			break;
		}
	}
	return 0;
}

static int dispatch(struct inflate *z, const uint8_t *p, size_t len, struct err *e)
{
	if (z->fmt == FMT_GZIP)
		return gzip_feed(z, p, len, e);
	return sink_out(z, p, len, e);
}

int inflate_new(struct inflate **out, inflate_sink sink, void *ctx, struct err *e)
{
	struct inflate *z = calloc(1, sizeof *z);

	if (!z)
		return err_set(e, errno, "allocate decompressor");
	/* 15 + 16: 32 KiB window, gzip wrapper only (CRC-32 and ISIZE checked). */
	if (inflateInit2(&z->zs, 15 + 16) != Z_OK) {
		free(z);
		return err_set(e, ENOMEM, "initialise zlib");
	}
	z->zs_ready = 1;
	z->fmt = FMT_UNKNOWN;
	z->gz = GZ_BETWEEN;
	z->sink = sink;
	z->ctx = ctx;
	*out = z;
	return 0;
}

static int check_usable(struct inflate *z, struct err *e)
{
	if (z->failed)
		return err_set(e, 0, "decompression already failed");
	if (z->finished)
		return fail(z, e, "decompression input after end of stream");
	return 0;
}

int inflate_feed(struct inflate *z, const void *buf, size_t len, struct err *e)
{
	const uint8_t *p = buf;

	if (check_usable(z, e))
		return -1;
	if (!len)
		return 0;
	if (z->fmt == FMT_UNKNOWN) {
		/* One byte at a time: at most HEAD_MAX bytes, then decided. */
		while (z->fmt == FMT_UNKNOWN && len) {
			z->head[z->nhead++] = *p++;
			len--;
			if (detect(z, 0, e))
				return -1;
		}
		if (z->fmt == FMT_UNKNOWN)
			return 0;
		if (dispatch(z, z->head, z->nhead, e))
			return -1;
	}
	return dispatch(z, p, len, e);
}

int inflate_finish(struct inflate *z, struct err *e)
{
	if (check_usable(z, e))
		return -1;
	z->finished = 1;
	if (z->fmt == FMT_UNKNOWN) {
		if (detect(z, 1, e) || dispatch(z, z->head, z->nhead, e))
			return -1;
	}
	if (z->fmt == FMT_GZIP && z->gz == GZ_MEMBER)
		return fail(z, e, "truncated gzip stream");
	return 0;
}

int inflate_is_gzip(const struct inflate *z)
{
	return z->fmt == FMT_GZIP;
}

uint64_t inflate_out_bytes(const struct inflate *z)
{
	return z->out_bytes;
}

void inflate_free(struct inflate *z)
{
	if (!z)
		return;
	if (z->zs_ready)
		inflateEnd(&z->zs);
	free(z);
}
