/* Unit tests for the streaming tar reader (src/tar.c).
 *
 * Archives are built here, header by header, with a checksum helper; each
 * one is fed whole and one byte at a time and must give the same events.
 * Real archives written by GNU tar and Python's tarfile live in
 * tests/unit/data/ (found via $TEST_DATA_DIR, next to this file, or
 * tests/unit/data relative to the working directory). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tar.h"

/* ---- archive builder ---- */

struct ar {
	uint8_t *p;
	size_t len, cap;
};

static void ar_reserve(struct ar *a, size_t n)
{
	if (a->len + n <= a->cap)
		return;
	while (a->len + n > a->cap)
		a->cap = a->cap ? a->cap * 2 : 4096;
	a->p = realloc(a->p, a->cap);
	if (!a->p)
		abort();
}

static void ar_put(struct ar *a, const void *d, size_t n)
{
	ar_reserve(a, n);
	memcpy(a->p + a->len, d, n);
	a->len += n;
}

static void ar_zero(struct ar *a, size_t n)
{
	ar_reserve(a, n);
	memset(a->p + a->len, 0, n);
	a->len += n;
}

static void ar_str(struct ar *a, const char *s)
{
	ar_put(a, s, strlen(s));
}

static void ar_free(struct ar *a)
{
	free(a->p);
	memset(a, 0, sizeof *a);
}

/* Octal, NUL-terminated, right-aligned like GNU tar writes it. */
static void set_oct(uint8_t *h, size_t off, size_t len, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%0*llo", (int)len - 1, (unsigned long long)v);
	memcpy(h + off, buf, len);
}

/* GNU base-256: 0x80 marker, big-endian value. */
static void set_b256(uint8_t *h, size_t off, size_t len, uint64_t v)
{
	memset(h + off, 0, len);
	h[off] = 0x80;
	for (size_t i = 0; i < 8 && i < len - 1; i++)
		h[off + len - 1 - i] = (uint8_t)(v >> (8 * i));
}

static void cksum(uint8_t *h)
{
	unsigned sum = 0;
	char buf[8];

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf(buf, sizeof buf, "%06o", sum);
	memcpy(h + 148, buf, 7);       /* 6 digits, NUL, keep the space */
}

/* Append a POSIX ustar header; returns its offset for later tweaks (call
 * cksum(a->p + off) after changing it). */
static size_t ar_hdr(struct ar *a, const char *name, char type, uint64_t size,
	const char *link)
{
	size_t off = a->len;
	uint8_t *h;

	ar_zero(a, 512);
	h = a->p + off;
	memcpy(h, name, strnlen(name, 100));
	set_oct(h, 100, 8, type == '5' ? 0755 : 0644);
	set_oct(h, 108, 8, 0);
	set_oct(h, 116, 8, 0);
	set_oct(h, 124, 12, size);
	set_oct(h, 136, 12, 0);
	h[156] = (uint8_t)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	cksum(h);
	return off;
}

/* Content plus zero padding to the next block. */
static void ar_body(struct ar *a, const void *d, size_t n)
{
	ar_put(a, d, n);
	ar_zero(a, (512 - n % 512) % 512);
}

static void ar_end(struct ar *a)
{
	ar_zero(a, 1024);
}

/* One pax record "LEN key=value\n", LEN counting itself. */
static void pax_rec(struct ar *r, const char *key, const void *val, size_t vl)
{
	size_t body = 1 + strlen(key) + 1 + vl + 1, n = body + 1;
	char num[32];

	while ((size_t)snprintf(num, sizeof num, "%zu", n) + body != n)
		n++;
	ar_str(r, num);
	ar_str(r, " ");
	ar_str(r, key);
	ar_str(r, "=");
	ar_put(r, val, vl);
	ar_str(r, "\n");
}

static void pax_recs(struct ar *r, const char *key, const char *val)
{
	pax_rec(r, key, val, strlen(val));
}

/* A pax header ('x' or 'g') carrying the records in r. */
static void ar_pax(struct ar *a, char type, const struct ar *r)
{
	ar_hdr(a, "PaxHeaders/x", type, r->len, NULL);
	ar_body(a, r->p, r->len);
}

static void ar_pax1(struct ar *a, char type, const char *key, const char *val)
{
	struct ar r = { 0 };
	pax_recs(&r, key, val);
	ar_pax(a, type, &r);
	ar_free(&r);
}

/* ---- event recorder ---- */

struct rec {
	char *log;
	size_t len, cap;
	uint8_t data[4096];
	size_t dlen;
	uint64_t dtotal, want;
	int entries, ends, fail_entry;   /* fail_entry: 1-based, 0 = never */
	bool zero_chunk;                 /* ->data got len == 0 */
};

__attribute__((format(printf, 2, 3)))
static void logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (r->len + (size_t)n + 1 > r->cap) {
		r->cap = (r->len + (size_t)n + 1) * 2;
		r->log = realloc(r->log, r->cap);
		if (!r->log)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(r->log + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
}

static void log_esc(struct rec *r, const uint8_t *p, size_t n)
{
	logf_(r, "\"");
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			logf_(r, "\\n");
		else if (p[i] == '"' || p[i] == '\\')
			logf_(r, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			logf_(r, "%c", p[i]);
		else
			logf_(r, "\\x%02x", p[i]);
	}
	logf_(r, "\"");
}

static const char *type_name(enum tar_type t)
{
	static const char *n[] = { "reg", "dir", "sym", "hard", "chr", "blk",
		"fifo" };
	return n[t];
}

static int on_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct rec *r = ctx;

	r->entries++;
	if (r->fail_entry == r->entries)
		return err_set(e, 0, "callback refused entry '%s'", ent->path);
	logf_(r, "%s '%s'", type_name(ent->type), ent->path);
	if (ent->link)
		logf_(r, " -> '%s'", ent->link);
	logf_(r, " mode=%o uid=%u gid=%u size=%llu", ent->mode, ent->uid,
		ent->gid, (unsigned long long)ent->size);
	if (ent->type == TAR_CHR || ent->type == TAR_BLK)
		logf_(r, " dev=%u,%u", ent->devmajor, ent->devminor);
	for (size_t i = 0; i < ent->nxattrs; i++) {
		size_t n = ent->xattrs[i].len;
		logf_(r, " xattr %s=", ent->xattrs[i].name);
		log_esc(r, ent->xattrs[i].value, n < 64 ? n : 64);
	}
	logf_(r, "\n");
	r->want = ent->size;
	r->dtotal = 0;
	r->dlen = 0;
	return 0;
}

static int on_data(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct rec *r = ctx;
	size_t n = len < sizeof r->data - r->dlen ? len : sizeof r->data - r->dlen;

	(void)e;
	if (!len)
		r->zero_chunk = true;
	memcpy(r->data + r->dlen, buf, n);
	r->dlen += n;
	r->dtotal += len;
	return 0;
}

static int on_end(void *ctx, struct err *e)
{
	struct rec *r = ctx;

	(void)e;
	r->ends++;
	if (r->dtotal) {
		logf_(r, "  data %llu ", (unsigned long long)r->dtotal);
		log_esc(r, r->data, r->dlen < 64 ? r->dlen : 64);
		logf_(r, "\n");
	}
	if (r->dtotal != r->want)
		logf_(r, "  SIZE MISMATCH\n");
	return 0;
}

static const struct tar_callbacks cbs = { on_entry, on_data, on_end };

static void rec_free(struct rec *r)
{
	free(r->log);
	memset(r, 0, sizeof *r);
}

/* Expected logs spell long runs as {c*N}: "{p*149}" is 149 'p's. */
static char *expand(const char *tmpl)
{
	size_t cap = strlen(tmpl) + 1, len = 0;
	char *out = malloc(cap);

	for (const char *p = tmpl; *p; p++) {
		char c = *p;
		unsigned long n = 1;

		if (p[0] == '{' && p[1] && p[2] == '*') {
			char *end;
			n = strtoul(p + 3, &end, 10);
			c = p[1];
			p = end;        /* at the closing brace */
		}
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
		}
		memset(out + len, c, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

/* Feed buf in chunks of `chunk` bytes (0: all at once) then finish.
 * Returns 0 or -1; r->log holds the events, e the error. */
static int run(const uint8_t *buf, size_t len, size_t chunk, struct rec *r,
	struct err *e)
{
	struct tar *t;
	int rc = 0;

	err_clear(e);
	logf_(r, "%s", "");
	if (tar_new(&t, &cbs, r, e))
		return -1;
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len && !rc; off += chunk)
		rc = tar_feed(t, buf + off, len - off < chunk ? len - off : chunk, e);
	if (!rc)
		rc = tar_finish(t, e);
	tar_free(t);
	return rc;
}

/* Run whole and byte by byte; both must agree on events and errors. */
static int run2(const uint8_t *buf, size_t len, struct rec *r, struct err *e,
	bool *same)
{
	struct rec r1 = { 0 };
	struct err e1;
	int rc = run(buf, len, 0, r, e), rc1 = run(buf, len, 1, &r1, &e1);

	*same = rc == rc1 && !strcmp(r->log, r1.log) &&
		(rc == 0 || !strcmp(e->msg, e1.msg));
	rec_free(&r1);
	return rc;
}

/* ---- pure helpers ---- */

static void test_normalize(void)
{
	static const struct {
		const char *in;
		size_t len;     /* 0: strlen(in) */
		const char *out;        /* NULL: must fail */
		const char *err;
		const char *why;
	} rows[] = {
		{ "etc/x", 0, "etc/x", NULL, "plain relative name kept" },
		{ "/etc/x", 0, "etc/x", NULL, "leading slash dropped: stays inside the layer" },
		{ "///etc/x", 0, "etc/x", NULL, "several leading slashes dropped" },
		{ "./etc/x", 0, "etc/x", NULL, "leading ./ dropped" },
		{ "././etc//x/", 0, "etc/x", NULL, "./, // and trailing / collapsed" },
		{ "a/./b/.", 0, "a/b", NULL, "inner and final . components dropped" },
		{ "//a///b//", 0, "a/b", NULL, "runs of slashes collapse" },
		{ "usr/bin/", 0, "usr/bin", NULL, "trailing slash of a directory removed" },
		{ "a/../b", 0, "b", NULL, ".. resolved lexically" },
		{ "a/b/../../c", 0, "c", NULL, "two .. back to the root is still inside" },
		{ "a/b/c/../../d/./e", 0, "a/d/e", NULL, "mixed . and .." },
		{ ".", 0, "", NULL, ". is the root itself" },
		{ "./", 0, "", NULL, "./ is the root itself" },
		{ "/", 0, "", NULL, "/ is the root itself" },
		{ "a/..", 0, "", NULL, "a/.. comes back to the root" },
		{ "...", 0, "...", NULL, "three dots is an ordinary name" },
		{ "..a/b..", 0, "..a/b..", NULL, "dots inside names are not .." },
		{ ".hidden/.x", 0, ".hidden/.x", NULL, "dot files kept" },
		{ "..", 0, NULL, "path escapes the layer root", ".. alone climbs out" },
		{ "../x", 0, NULL, "path escapes the layer root", "leading .. climbs out" },
		{ "a/../../x", 0, NULL, "path escapes the layer root", "a/../.. climbs out" },
		{ "/../x", 0, NULL, "path escapes the layer root", "a leading slash does not absorb .." },
		{ "./../x", 0, NULL, "path escapes the layer root", "./.. climbs out" },
		{ "a/b/../../../etc", 0, NULL, "path escapes the layer root", "deep escape" },
		{ "", 0, NULL, "empty path", "empty name refused" },
		{ "a\0b", 3, NULL, "NUL byte", "embedded NUL refused" },
	};
	char out[64];
	struct err e;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		int rc;

		err_clear(&e);
		rc = tar_normalize_path(rows[i].in, len, out, sizeof out, &e);
		if (rows[i].out)
			ok(rc == 0 && !strcmp(out, rows[i].out),
				"normalize '%s' -> '%s': %s (got rc %d '%s')",
				rows[i].in, rows[i].out, rows[i].why, rc,
				rc ? e.msg : out);
		else
			ok(rc == -1 && strstr(e.msg, rows[i].err),
				"normalize '%s' fails: %s (got '%s')",
				rows[i].in, rows[i].why, e.msg);
	}
	/* output buffer must hold the whole input */
	err_clear(&e);
	ok(tar_normalize_path("abcdef", 6, out, 6, &e) == -1 &&
		strstr(e.msg, "longer than 5 bytes"),
		"normalize refuses a too small output buffer (%s)", e.msg);
	ok(tar_normalize_path("abcdef", 6, out, 7, &e) == 0 &&
		!strcmp(out, "abcdef"), "normalize fits exactly len + 1");
	/* input is (buf, len): bytes after len are never read */
	ok(tar_normalize_path("ab/../..", 5, out, sizeof out, &e) == 0 &&
		!strcmp(out, ""), "normalize reads only len bytes");
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len;
		bool valid;
		const char *why;
	} rows[] = {
		{ "usr/bin/ls", 10, true, "ASCII" },
		{ "caf\xc3\xa9", 5, true, "two-byte e acute" },
		{ "\xe2\x82\xac", 3, true, "three-byte euro sign" },
		{ "\xf0\x9f\x98\x80", 4, true, "four-byte emoji" },
		{ "\xf4\x8f\xbf\xbf", 4, true, "U+10FFFF is the last valid" },
		{ "\xef\xbf\xbf", 3, true, "U+FFFF is valid" },
		{ "\xff", 1, false, "0xff never appears in UTF-8" },
		{ "\x80", 1, false, "lone continuation byte" },
		{ "\xc3", 1, false, "truncated two-byte sequence" },
		{ "\xe2\x82", 2, false, "truncated three-byte sequence" },
		{ "\xc0\xaf", 2, false, "overlong '/' (c0 af)" },
		{ "\xc1\xbf", 2, false, "overlong two-byte (c1)" },
		{ "\xe0\x80\xaf", 3, false, "overlong three-byte '/'" },
		{ "\xf0\x80\x80\xaf", 4, false, "overlong four-byte '/'" },
		{ "\xed\xa0\x80", 3, false, "surrogate U+D800" },
		{ "\xed\xbf\xbf", 3, false, "surrogate U+DFFF" },
		{ "\xf4\x90\x80\x80", 4, false, "U+110000 above the Unicode range" },
		{ "\xf5\x80\x80\x80", 4, false, "f5 lead byte" },
		{ "\xc3\x28", 2, false, "bad continuation byte" },
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		ok(tar_utf8_valid(rows[i].s, rows[i].len) == rows[i].valid,
			"utf8 %s: %s", rows[i].valid ? "accepts" : "rejects",
			rows[i].why);
}

/* ---- stream cases, one builder per row ---- */

static void b_basic3(struct ar *a)
{
	uint8_t d[700];

	for (size_t i = 0; i < sizeof d; i++)
		d[i] = (uint8_t)('a' + i % 26);
	ar_hdr(a, "dir/", '5', 0, NULL);
	ar_hdr(a, "dir/file", '0', sizeof d, NULL);
	ar_body(a, d, sizeof d);
	ar_hdr(a, "dir/link", '2', 0, "file");
	ar_end(a);
}

static void b_leading(struct ar *a)
{
	ar_hdr(a, "./", '5', 0, NULL);
	ar_hdr(a, "/etc/passwd", '0', 3, NULL);
	ar_body(a, "x:\n", 3);
	ar_hdr(a, "./usr//bin/./", '5', 0, NULL);
	ar_end(a);
}

static void b_root_file(struct ar *a)
{
	ar_hdr(a, ".", '0', 0, NULL);
	ar_end(a);
}

static void b_escape(struct ar *a)
{
	ar_hdr(a, "../x", '0', 0, NULL);
	ar_end(a);
}

static void b_escape2(struct ar *a)
{
	ar_hdr(a, "a/../../x", '5', 0, NULL);
	ar_end(a);
}

static void b_empty_name(struct ar *a)
{
	ar_hdr(a, "", '0', 0, NULL);
	ar_end(a);
}

static void b_prefix(struct ar *a)
{
	size_t off = ar_hdr(a, "x", '0', 2, NULL);
	memcpy(a->p + off + 345, "usr/lib", 7);
	cksum(a->p + off);
	ar_body(a, "hi", 2);
	ar_end(a);
}

static void b_gnu_no_prefix(struct ar *a)
{
	/* GNU headers keep atime/ctime where ustar has prefix: not a name */
	size_t off = ar_hdr(a, "x", '0', 0, NULL);
	memcpy(a->p + off + 257, "ustar  \0", 8);
	memcpy(a->p + off + 345, "14000000000", 11);
	cksum(a->p + off);
	ar_end(a);
}

static void b_v7(struct ar *a)
{
	/* V7: no magic, no type for directories, only a trailing slash */
	size_t off = ar_hdr(a, "old/", '\0', 0, NULL);
	memset(a->p + off + 257, 0, 255);
	cksum(a->p + off);
	off = ar_hdr(a, "old/f", '\0', 1, NULL);
	memset(a->p + off + 257, 0, 255);
	cksum(a->p + off);
	ar_body(a, "!", 1);
	ar_end(a);
}

static void b_all_types(struct ar *a)
{
	size_t off;

	ar_hdr(a, "r7", '7', 0, NULL);
	ar_hdr(a, "h", '1', 0, "./r7");
	off = ar_hdr(a, "dev/c", '3', 0, NULL);
	set_oct(a->p + off, 329, 8, 4);
	set_oct(a->p + off, 337, 8, 64);
	cksum(a->p + off);
	off = ar_hdr(a, "dev/b", '4', 0, NULL);
	set_oct(a->p + off, 329, 8, 8);
	set_oct(a->p + off, 337, 8, 1);
	cksum(a->p + off);
	ar_hdr(a, "p", '6', 0, NULL);
	ar_end(a);
}

static void b_modes(struct ar *a)
{
	size_t off = ar_hdr(a, "suid", '0', 0, NULL);
	/* leading spaces, space terminator; type bits above 07777 dropped */
	memcpy(a->p + off + 100, "  104755 ", 8);
	memcpy(a->p + off + 108, "    1750", 8);    /* fills the field: no NUL */
	memcpy(a->p + off + 116, "\0\0\0\0\0\0\0\0", 8);  /* empty -> 0 */
	cksum(a->p + off);
	ar_end(a);
}

static void b_bad_octal(struct ar *a)
{
	size_t off = ar_hdr(a, "f", '0', 0, NULL);
	memcpy(a->p + off + 100, "0644x\0\0", 8);
	cksum(a->p + off);
	ar_end(a);
}

static void b_octal_junk_after_nul(struct ar *a)
{
	size_t off = ar_hdr(a, "f", '0', 0, NULL);
	memcpy(a->p + off + 108, "0012\0" "9\0", 8);
	cksum(a->p + off);
	ar_end(a);
}

static void b_base256(struct ar *a)
{
	size_t off = ar_hdr(a, "big", '0', 0, NULL);
	set_b256(a->p + off, 108, 8, 0x12345678);        /* uid */
	set_b256(a->p + off, 116, 8, 4000000000u);       /* gid */
	set_b256(a->p + off, 124, 12, 5);                /* size */
	cksum(a->p + off);
	ar_body(a, "12345", 5);
	ar_end(a);
}

static void b_base256_neg(struct ar *a)
{
	size_t off = ar_hdr(a, "neg", '0', 0, NULL);
	memset(a->p + off + 124, 0xff, 12);             /* size -1 */
	cksum(a->p + off);
	ar_end(a);
}

static void b_base256_uid_big(struct ar *a)
{
	size_t off = ar_hdr(a, "u", '0', 0, NULL);
	set_b256(a->p + off, 108, 8, 0x100000000ull);   /* uid > 32 bits */
	cksum(a->p + off);
	ar_end(a);
}

static void b_bad_cksum(struct ar *a)
{
	size_t off = ar_hdr(a, "file", '0', 0, NULL);
	a->p[off] = 'F';        /* changed after the checksum */
	ar_end(a);
}

static void b_signed_cksum(struct ar *a)
{
	/* old tools summed signed chars: e acute counts negative */
	size_t off = ar_hdr(a, "caf\xc3\xa9", '0', 0, NULL);
	uint8_t *h = a->p + off;
	int sum = 0;
	char buf[8];

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (int8_t)h[i];
	snprintf(buf, sizeof buf, "%06o", sum);
	memcpy(h + 148, buf, 7);
	ar_end(a);
}

static void b_pax_overrides(struct ar *a)
{
	struct ar r = { 0 };
	char longp[301];

	memset(longp, 'p', 300);
	longp[0] = '/';
	longp[150] = '/';
	longp[300] = '\0';
	pax_recs(&r, "path", longp);
	pax_recs(&r, "uid", "100000");
	pax_recs(&r, "gid", "4294967295");
	pax_recs(&r, "size", "5");
	pax_recs(&r, "mtime", "1700000000.123456789");
	pax_recs(&r, "uname", "nobody");
	pax_recs(&r, "vendor.unknown", "whatever");
	pax_rec(&r, "SCHILY.xattr.user.bin", "a\0b\nc=d", 7);
	pax_recs(&r, "SCHILY.xattr.security.capability", "\x01\x02");
	ar_pax(a, 'x', &r);
	ar_hdr(a, "short", '0', 0, NULL);
	ar_body(a, "hello", 5);
	ar_free(&r);
	/* pax values apply to one entry only */
	ar_hdr(a, "next", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_linkpath(struct ar *a)
{
	char target[201];

	memset(target, 't', 200);
	target[0] = '/';
	target[200] = '\0';
	ar_pax1(a, 'x', "linkpath", target);
	ar_hdr(a, "sym", '2', 0, "ignored");
	ar_pax1(a, 'x', "linkpath", "/abs/../hard");
	ar_hdr(a, "hard", '1', 0, "ignored");
	ar_end(a);
}

static void b_global(struct ar *a)
{
	struct ar r = { 0 };

	pax_recs(&r, "uid", "7");
	pax_recs(&r, "SCHILY.xattr.user.g", "global");
	pax_recs(&r, "comment", "ignored");
	ar_pax(a, 'g', &r);
	ar_free(&r);
	ar_hdr(a, "one", '0', 0, NULL);
	/* local override of the uid and of the global xattr */
	pax_recs(&r, "uid", "9");
	pax_recs(&r, "SCHILY.xattr.user.g", "local");
	pax_recs(&r, "SCHILY.xattr.user.l", "");
	ar_pax(a, 'x', &r);
	ar_free(&r);
	ar_hdr(a, "two", '0', 0, NULL);
	/* local empty value: the header field applies over the global */
	ar_pax1(a, 'x', "uid", "");
	ar_hdr(a, "three", '0', 0, NULL);
	/* a second global with an empty value deletes the global uid */
	ar_pax1(a, 'g', "uid", "");
	ar_hdr(a, "four", '0', 0, NULL);
	ar_end(a);
}

static void b_gnu_long(struct ar *a)
{
	char name[201], link[151];

	memset(name, 'n', 200);
	name[100] = '/';
	name[200] = '\0';
	memset(link, 'l', 150);
	link[150] = '\0';
	ar_hdr(a, "././@LongLink", 'K', sizeof link, NULL);
	ar_body(a, link, sizeof link);          /* with its NUL, as GNU tar */
	ar_hdr(a, "././@LongLink", 'L', sizeof name, NULL);
	ar_body(a, name, sizeof name);
	ar_hdr(a, "truncated-name", '2', 0, "truncated-link");
	ar_hdr(a, "././@LongLink", 'K', 9, NULL);
	ar_body(a, "/a/b/../c", 9);             /* without NUL */
	ar_hdr(a, "h", '1', 0, "x");
	ar_end(a);
}

static void b_nonzero_sizes(struct ar *a)
{
	/* a dir carrying payload */
	ar_hdr(a, "d", '5', 600, NULL);
	ar_zero(a, 1024);
	ar_end(a);
}

static void b_nonzero_hardlink(struct ar *a)
{
	/* a hardlink given a size by pax */
	ar_hdr(a, "f", '0', 0, NULL);
	ar_pax1(a, 'x', "size", "10");
	ar_hdr(a, "h", '1', 0, "f");
	ar_body(a, "0123456789", 10);
	ar_end(a);
}

static void b_sparse_type(struct ar *a)
{
	ar_hdr(a, "sparse", 'S', 0, NULL);
	ar_end(a);
}

static void b_sparse_pax(struct ar *a)
{
	ar_pax1(a, 'x', "GNU.sparse.major", "1");
	ar_hdr(a, "GNUSparseFile.0/sp", '0', 0, NULL);
	ar_end(a);
}

static void b_unknown_type(struct ar *a)
{
	ar_hdr(a, "usr/bin/x", 'V', 0, NULL);
	ar_end(a);
}

static void b_unknown_type_ctl(struct ar *a)
{
	ar_hdr(a, "y", '\x01', 0, NULL);
	ar_end(a);
}

static void b_bad_utf8(struct ar *a)
{
	ar_hdr(a, "bad\xff'name", '0', 0, NULL);
	ar_end(a);
}

static void b_overlong(struct ar *a)
{
	ar_hdr(a, "a\xc0\xaf..", '0', 0, NULL);
	ar_end(a);
}

static void b_bad_utf8_link(struct ar *a)
{
	ar_hdr(a, "l", '2', 0, "\xed\xa0\x80");
	ar_end(a);
}

static void b_symlink_asis(struct ar *a)
{
	ar_hdr(a, "l", '2', 0, "../../../etc//shadow/.");
	ar_end(a);
}

static void b_hard_norm(struct ar *a)
{
	ar_hdr(a, "usr/bin/a", '0', 0, NULL);
	ar_hdr(a, "usr/bin/b", '1', 0, "/usr/./bin//a");
	ar_end(a);
}

static void b_hard_escape(struct ar *a)
{
	ar_hdr(a, "usr/bin/b", '1', 0, "../../etc/passwd");
	ar_end(a);
}

static void b_hard_root(struct ar *a)
{
	ar_hdr(a, "b", '1', 0, "./");
	ar_end(a);
}

static void b_hard_empty(struct ar *a)
{
	ar_hdr(a, "b", '1', 0, NULL);
	ar_end(a);
}

static void b_end_padding(struct ar *a)
{
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
	ar_zero(a, 10240 - 1536 + 7);   /* writers pad to a record, or not */
}

static void b_garbage_after_end(struct ar *a)
{
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
	ar_zero(a, 100);
	ar_str(a, "junk");
}

static void b_one_zero_block(struct ar *a)
{
	ar_hdr(a, "f", '0', 0, NULL);
	ar_zero(a, 512);
}

static void b_no_end(struct ar *a)
{
	ar_hdr(a, "f", '0', 1, NULL);
	ar_body(a, "1", 1);
}

static void b_lone_zero(struct ar *a)
{
	ar_hdr(a, "f", '0', 0, NULL);
	ar_zero(a, 512);
	ar_hdr(a, "hidden", '0', 0, NULL);
	ar_end(a);
}

static void b_huge_pax_size(struct ar *a)
{
	ar_pax1(a, 'x', "size", "1000000000000000000");
	ar_hdr(a, "huge", '0', 0, NULL);
	ar_zero(a, 100);
}

static void b_pax_size_neg(struct ar *a)
{
	ar_pax1(a, 'x', "size", "-1");
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_uid_big(struct ar *a)
{
	ar_pax1(a, 'x', "uid", "4294967296");
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_meta_limit(struct ar *a)
{
	ar_hdr(a, "PaxHeaders/big", 'x', TAR_MAX_META + 1, NULL);
	ar_end(a);
}

static void b_pax_meta_at_limit(struct ar *a)
{
	/* exactly 1 MiB of payload, valid records, padded with NULs */
	struct ar r = { 0 };
	pax_recs(&r, "comment", "filler");
	ar_hdr(a, "PaxHeaders/big", 'x', TAR_MAX_META, NULL);
	ar_put(a, r.p, r.len);
	ar_zero(a, TAR_MAX_META - r.len);
	ar_free(&r);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_long_path(struct ar *a)
{
	char p[TAR_MAX_PATH + 2];

	memset(p, 'a', sizeof p - 1);
	p[sizeof p - 1] = '\0';
	ar_pax1(a, 'x', "path", p);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_max_path(struct ar *a)
{
	char p[TAR_MAX_PATH + 1];

	for (size_t i = 0; i < TAR_MAX_PATH; i++)
		p[i] = i % 200 == 199 ? '/' : 'a';
	p[TAR_MAX_PATH] = '\0';
	ar_pax1(a, 'x', "path", p);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_many_xattrs(struct ar *a)
{
	struct ar r = { 0 };
	char key[64];

	for (int i = 0; i <= TAR_MAX_XATTRS; i++) {
		snprintf(key, sizeof key, "SCHILY.xattr.user.%d", i);
		pax_recs(&r, key, "v");
	}
	ar_pax(a, 'x', &r);
	ar_free(&r);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_many_xattrs_merged(struct ar *a)
{
	/* 100 global + 29 local = 129 distinct */
	struct ar r = { 0 };
	char key[64];

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "SCHILY.xattr.user.g%d", i);
		pax_recs(&r, key, "v");
	}
	ar_pax(a, 'g', &r);
	ar_free(&r);
	for (int i = 0; i < 29; i++) {
		snprintf(key, sizeof key, "SCHILY.xattr.user.l%d", i);
		pax_recs(&r, key, "v");
	}
	ar_pax(a, 'x', &r);
	ar_free(&r);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_xattr_value(struct ar *a, size_t n)
{
	struct ar r = { 0 };
	uint8_t *v = malloc(n);

	memset(v, 0xee, n);
	pax_rec(&r, "SCHILY.xattr.user.big", v, n);
	free(v);
	ar_pax(a, 'x', &r);
	ar_free(&r);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_xattr_64k(struct ar *a)
{
	b_xattr_value(a, TAR_MAX_XATTR_VALUE);
}

static void b_xattr_64k1(struct ar *a)
{
	b_xattr_value(a, TAR_MAX_XATTR_VALUE + 1);
}

static void b_xattr_long_name(struct ar *a)
{
	char key[13 + 257];

	memcpy(key, "SCHILY.xattr.", 13);
	memset(key + 13, 'x', 256);
	key[13 + 256] = '\0';
	ar_pax1(a, 'x', key, "v");
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_rawn(struct ar *a, const char *payload, size_t n)
{
	ar_hdr(a, "PaxHeaders/raw", 'x', n, NULL);
	ar_body(a, payload, n);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_raw(struct ar *a, const char *payload)
{
	ar_hdr(a, "PaxHeaders/raw", 'x', strlen(payload), NULL);
	ar_body(a, payload, strlen(payload));
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_len_short(struct ar *a) { b_pax_raw(a, "8 uid=12\n"); }
static void b_pax_len_long(struct ar *a) { b_pax_raw(a, "11 uid=12\nX"); }
static void b_pax_len_over(struct ar *a) { b_pax_raw(a, "99 uid=12\n"); }
static void b_pax_no_eq(struct ar *a) { b_pax_raw(a, "9 uid12\n\n"); }
static void b_pax_zero_lead(struct ar *a) { b_pax_raw(a, "010 uid=1\n"); }
static void b_pax_no_len(struct ar *a) { b_pax_raw(a, "uid=1\n"); }
static void b_pax_no_space(struct ar *a) { b_pax_raw(a, "9uid=12\n\n"); }
static void b_pax_empty_key(struct ar *a) { b_pax_raw(a, "6 =12\n"); }
static void b_pax_trailing_junk(struct ar *a) { b_pax_raw(a, "9 uid=12\nX"); }
static void b_pax_path_nul(struct ar *a) { b_pax_rawn(a, "12 path=a\0b\n", 12); }

static void b_pax_trailing_nul(struct ar *a)
{
	ar_hdr(a, "PaxHeaders/raw", 'x', 16, NULL);
	ar_body(a, "9 uid=12\n\0\0\0\0\0\0\0", 16);
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_twice(struct ar *a)
{
	ar_pax1(a, 'x', "uid", "1");
	ar_pax1(a, 'x', "gid", "1");
	ar_hdr(a, "f", '0', 0, NULL);
	ar_end(a);
}

static void b_pax_then_end(struct ar *a)
{
	ar_pax1(a, 'x', "uid", "1");
	ar_end(a);
}

static void b_pax_then_eof(struct ar *a)
{
	ar_pax1(a, 'x', "uid", "1");
}

static void b_global_then_eof(struct ar *a)
{
	ar_hdr(a, "f", '0', 0, NULL);
	ar_pax1(a, 'g', "uid", "1");
}

static void b_L_then_bad(struct ar *a)
{
	ar_hdr(a, "././@LongLink", 'L', 5, NULL);
	ar_body(a, "../x", 5);
	ar_hdr(a, "innocent", '0', 0, NULL);
	ar_end(a);
}

static void b_L_empty(struct ar *a)
{
	ar_hdr(a, "././@LongLink", 'L', 0, NULL);
	ar_hdr(a, "innocent", '0', 0, NULL);
	ar_end(a);
}

static void b_reg_slash(struct ar *a)
{
	ar_hdr(a, "looks/like/dir/", '0', 0, NULL);
	ar_end(a);
}

static void b_callback_fail(struct ar *a)
{
	ar_hdr(a, "first", '0', 0, NULL);
	ar_hdr(a, "second", '0', 0, NULL);
	ar_end(a);
}

static void b_empty(struct ar *a)
{
	(void)a;
}

static void b_uid_field_ignored(struct ar *a)
{
	/* pax uid wins; the garbage header field is never parsed */
	size_t off;

	ar_pax1(a, 'x', "uid", "5");
	off = ar_hdr(a, "f", '0', 0, NULL);
	memcpy(a->p + off + 108, "garbage", 7);
	cksum(a->p + off);
	ar_end(a);
}

static void test_streams(void)
{
	static const struct {
		void (*build)(struct ar *);
		const char *err;        /* NULL: must succeed; else a substring */
		const char *log;        /* exact event log when it succeeds */
		const char *why;
	} rows[] = {
		{ b_basic3, NULL,
		  "dir 'dir' mode=755 uid=0 gid=0 size=0\n"
		  "reg 'dir/file' mode=644 uid=0 gid=0 size=700\n"
		  "  data 700 \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl\"\n"
		  "sym 'dir/link' -> 'file' mode=644 uid=0 gid=0 size=0\n",
		  "dir, 700-byte file over two blocks, symlink" },
		{ b_leading, NULL,
		  "dir '' mode=755 uid=0 gid=0 size=0\n"
		  "reg 'etc/passwd' mode=644 uid=0 gid=0 size=3\n"
		  "  data 3 \"x:\\n\"\n"
		  "dir 'usr/bin' mode=755 uid=0 gid=0 size=0\n",
		  "./ is the root dir; /etc/passwd stays inside; ./usr//bin/./ normalised" },
		{ b_root_file, "entry '.': names the layer root but is not a directory", NULL,
		  "the root may only be a directory" },
		{ b_escape, "entry '../x': path escapes the layer root", NULL,
		  "a name climbing out of the layer is refused" },
		{ b_escape2, "entry 'a/../../x': path escapes the layer root", NULL,
		  "a/../../x climbs out too" },
		{ b_empty_name, "entry '': empty name", NULL, "empty names refused" },
		{ b_prefix, NULL,
		  "reg 'usr/lib/x' mode=644 uid=0 gid=0 size=2\n  data 2 \"hi\"\n",
		  "ustar prefix joined to the name" },
		{ b_gnu_no_prefix, NULL, "reg 'x' mode=644 uid=0 gid=0 size=0\n",
		  "GNU magic: the prefix area is not part of the name" },
		{ b_v7, NULL,
		  "dir 'old' mode=644 uid=0 gid=0 size=0\n"
		  "reg 'old/f' mode=644 uid=0 gid=0 size=1\n  data 1 \"!\"\n",
		  "V7 header without magic; directory by trailing slash" },
		{ b_all_types, NULL,
		  "reg 'r7' mode=644 uid=0 gid=0 size=0\n"
		  "hard 'h' -> 'r7' mode=644 uid=0 gid=0 size=0\n"
		  "chr 'dev/c' mode=644 uid=0 gid=0 size=0 dev=4,64\n"
		  "blk 'dev/b' mode=644 uid=0 gid=0 size=0 dev=8,1\n"
		  "fifo 'p' mode=644 uid=0 gid=0 size=0\n",
		  "types 7, 1, 3, 4, 6 with device numbers" },
		{ b_modes, NULL, "reg 'suid' mode=4755 uid=1000 gid=0 size=0\n",
		  "octal with leading spaces, no terminator, all NUL; mode & 07777" },
		{ b_bad_octal, "entry 'f': invalid mode field", NULL,
		  "a non-octal digit in a number field is refused" },
		{ b_octal_junk_after_nul, "entry 'f': invalid uid field", NULL,
		  "bytes after the terminator must be spaces or NULs" },
		{ b_base256, NULL,
		  "reg 'big' mode=644 uid=305419896 gid=4000000000 size=5\n"
		  "  data 5 \"12345\"\n",
		  "GNU base-256 uid, gid and size" },
		{ b_base256_neg, "entry 'neg': invalid size field", NULL,
		  "negative base-256 size refused" },
		{ b_base256_uid_big, "entry 'u': invalid uid field", NULL,
		  "base-256 uid above 32 bits refused" },
		{ b_bad_cksum, "tar stream: header checksum mismatch at offset 0", NULL,
		  "a header whose checksum does not match is refused" },
		{ b_signed_cksum, NULL, "reg 'caf\xc3\xa9' mode=644 uid=0 gid=0 size=0\n",
		  "a signed-char checksum is accepted" },
		{ b_pax_overrides, NULL,
		  "reg '{p*149}/{p*149}'"
		  " mode=644 uid=100000 gid=4294967295 size=5"
		  " xattr user.bin=\"a\\x00b\\nc=d\" xattr security.capability=\"\\x01\\x02\"\n"
		  "  data 5 \"hello\"\n"
		  "reg 'next' mode=644 uid=0 gid=0 size=0\n",
		  "pax path, uid, gid, size, binary xattrs; times and unknown keys ignored" },
		{ b_pax_linkpath, NULL,
		  "sym 'sym' -> '/{t*199}'"
		  " mode=644 uid=0 gid=0 size=0\n"
		  "hard 'hard' -> 'hard' mode=644 uid=0 gid=0 size=0\n",
		  "pax linkpath: symlink kept as stored, hardlink normalised" },
		{ b_global, NULL,
		  "reg 'one' mode=644 uid=7 gid=0 size=0 xattr user.g=\"global\"\n"
		  "reg 'two' mode=644 uid=9 gid=0 size=0 xattr user.g=\"local\" xattr user.l=\"\"\n"
		  "reg 'three' mode=644 uid=0 gid=0 size=0 xattr user.g=\"global\"\n"
		  "reg 'four' mode=644 uid=0 gid=0 size=0 xattr user.g=\"global\"\n",
		  "global pax applies to later entries; local overrides; empty values clear" },
		{ b_gnu_long, NULL,
		  "sym '{n*100}/{n*99}' -> '{l*150}'"
		  " mode=644 uid=0 gid=0 size=0\n"
		  "hard 'h' -> 'a/c' mode=644 uid=0 gid=0 size=0\n",
		  "GNU L and K long name and link; K target of a hardlink normalised" },
		{ b_nonzero_sizes, "entry 'd': a non-regular entry may not carry data (600 bytes)", NULL,
		  "a dir carrying payload is refused: Go's readers would parse it differently" },
		{ b_nonzero_hardlink, "entry 'h': a non-regular entry may not carry data (10 bytes)", NULL,
		  "a hardlink carrying payload (pax size) is refused" },
		{ b_sparse_type, "entry 'sparse': GNU sparse files are not supported", NULL,
		  "GNU sparse type S refused" },
		{ b_sparse_pax, "entry 'GNUSparseFile.0/sp': GNU sparse files are not supported", NULL,
		  "pax GNU.sparse.* keys refused" },
		{ b_unknown_type, "entry 'usr/bin/x': unsupported entry type 'V'", NULL,
		  "unknown type letter named with the entry" },
		{ b_unknown_type_ctl, "entry 'y': unsupported entry type '\\x01'", NULL,
		  "a control byte as type is escaped in the message" },
		{ b_bad_utf8, "entry 'bad\\xff\\x27name': name is not valid UTF-8", NULL,
		  "non-UTF-8 name refused, bytes escaped in the message" },
		{ b_overlong, "name is not valid UTF-8", NULL, "overlong '/' refused" },
		{ b_bad_utf8_link, "entry 'l': link target is not valid UTF-8", NULL,
		  "surrogate in a symlink target refused" },
		{ b_symlink_asis, NULL,
		  "sym 'l' -> '../../../etc//shadow/.' mode=644 uid=0 gid=0 size=0\n",
		  "symlink target is data: neither normalised nor checked" },
		{ b_hard_norm, NULL,
		  "reg 'usr/bin/a' mode=644 uid=0 gid=0 size=0\n"
		  "hard 'usr/bin/b' -> 'usr/bin/a' mode=644 uid=0 gid=0 size=0\n",
		  "hardlink target normalised like a name" },
		{ b_hard_escape, "entry 'usr/bin/b': hardlink target '../../etc/passwd': path escapes the layer root", NULL,
		  "hardlink target climbing out refused" },
		{ b_hard_root, "entry 'b': hardlink target './' is the layer root", NULL,
		  "hardlink to the root refused" },
		{ b_hard_empty, "entry 'b': empty link target", NULL,
		  "hardlink without target refused" },
		{ b_end_padding, NULL, "reg 'f' mode=644 uid=0 gid=0 size=0\n",
		  "zero padding after the end marker consumed" },
		{ b_garbage_after_end, "non-zero data at offset 1636 after the end-of-archive marker", NULL,
		  "garbage after the end marker refused, offset named" },
		{ b_one_zero_block, NULL, "reg 'f' mode=644 uid=0 gid=0 size=0\n",
		  "a single zero block then EOF is accepted" },
		{ b_no_end, NULL, "reg 'f' mode=644 uid=0 gid=0 size=1\n  data 1 \"1\"\n",
		  "no end marker at a header boundary is accepted" },
		{ b_empty, NULL, "", "an empty stream is an empty archive" },
		{ b_lone_zero, "header at offset 1024 after a lone zero block", NULL,
		  "a header after a lone zero block is refused (readers disagree)" },
		{ b_huge_pax_size, "truncated tar: entry 'huge' ends 999999999999999900 bytes early", NULL,
		  "pax size 10^18 on a short stream: truncation at finish, nothing allocated" },
		{ b_pax_size_neg, "invalid size value", NULL, "negative pax size refused" },
		{ b_pax_uid_big, "invalid uid value", NULL, "pax uid above 32 bits refused" },
		{ b_pax_meta_limit, "pax header 'PaxHeaders/big': size 1048577 exceeds the limit of 1048576 bytes", NULL,
		  "pax payload over 1 MiB refused at its header" },
		{ b_pax_meta_at_limit, NULL, "reg 'f' mode=644 uid=0 gid=0 size=0\n",
		  "pax payload of exactly 1 MiB accepted (trailing NULs tolerated)" },
		{ b_long_path, "name longer than the limit of 4096 bytes", NULL,
		  "path over 4096 bytes refused" },
		{ b_max_path, NULL, NULL, "path of exactly 4096 bytes accepted" },
		{ b_many_xattrs, "more than the limit of 128 xattrs", NULL,
		  "129 xattrs in one pax header refused" },
		{ b_many_xattrs_merged, "entry 'f': more than the limit of 128 xattrs", NULL,
		  "global + local xattrs over 128 refused" },
		{ b_xattr_64k, NULL, NULL, "xattr value of exactly 64 KiB accepted" },
		{ b_xattr_64k1, "value of 65537 bytes exceeds the limit of 65536 bytes", NULL,
		  "xattr value over 64 KiB refused" },
		{ b_xattr_long_name, "longer than the limit of 255 bytes", NULL,
		  "xattr name over 255 bytes refused" },
		{ b_pax_len_short, "does not end where its length says", NULL,
		  "record length shorter than the record" },
		{ b_pax_len_long, "does not end where its length says", NULL,
		  "record length longer than the record" },
		{ b_pax_len_over, "overruns the header", NULL,
		  "record length past the end of the payload" },
		{ b_pax_no_eq, "has no key", NULL, "record without '='" },
		{ b_pax_zero_lead, "bad record length", NULL, "leading zero in a length" },
		{ b_pax_no_len, "bad record length", NULL, "record without a length" },
		{ b_pax_no_space, "bad record length", NULL, "length not followed by a space" },
		{ b_pax_empty_key, "has no key", NULL, "empty key" },
		{ b_pax_trailing_junk, "bad record length", NULL, "junk after the last record" },
		{ b_pax_path_nul, "path value contains a NUL byte", NULL, "NUL inside a pax path" },
		{ b_pax_trailing_nul, NULL, "reg 'f' mode=644 uid=12 gid=0 size=0\n",
		  "NUL padding after the last record tolerated" },
		{ b_pax_twice, "a second one before the same entry", NULL,
		  "two pax headers for one entry refused" },
		{ b_pax_then_end, "right after a pax or GNU long-name header", NULL,
		  "pax header followed by the end marker refused" },
		{ b_pax_then_eof, "truncated tar: stream ends right after a pax or GNU long-name header", NULL,
		  "pax header followed by EOF refused" },
		{ b_global_then_eof, NULL, "reg 'f' mode=644 uid=0 gid=0 size=0\n",
		  "a trailing global header needs no entry" },
		{ b_L_then_bad, "entry '../x': path escapes the layer root", NULL,
		  "GNU long name is checked like any name" },
		{ b_L_empty, "entry '': empty name", NULL,
		  "an empty GNU long name is an empty name" },
		{ b_reg_slash, NULL, "dir 'looks/like/dir' mode=644 uid=0 gid=0 size=0\n",
		  "type 0 with a trailing slash is a directory, as old tools meant" },
		{ b_uid_field_ignored, NULL, "reg 'f' mode=644 uid=5 gid=0 size=0\n",
		  "a header field overridden by pax is not parsed" },
	};
	struct rec r;
	struct err e;
	struct ar a;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		bool same, good;
		char *want;
		int rc;

		memset(&a, 0, sizeof a);
		memset(&r, 0, sizeof r);
		rows[i].build(&a);
		rc = run2(a.p, a.len, &r, &e, &same);
		want = rows[i].log ? expand(rows[i].log) : NULL;
		if (rows[i].err)
			good = rc == -1 && strstr(e.msg, rows[i].err) && same;
		else
			good = rc == 0 && same && r.ends == r.entries &&
				!strstr(r.log, "MISMATCH") &&
				(!want || !strcmp(r.log, want));
		if (!ok(good, "%s", rows[i].why))
			printf("# same=%d got: %s\n# log:\n%.2000s\n", same,
				rc ? e.msg : "success", r.log);
		free(want);
		ok(!r.zero_chunk, "no empty data chunk: %s", rows[i].why);
		rec_free(&r);
		ar_free(&a);
	}
}

/* Cut the 3-entry archive at every offset: only header boundaries (and the
 * empty stream) are accepted, everything else names what is missing. */
static void test_truncation(void)
{
	/* layout: dir hdr 0, file hdr 512, data 1024..1724, pad ..2048,
	 * link hdr 2048, zero blocks 2560 and 3072, end 3584 */
	static const size_t good[] = { 0, 512, 2048, 2560, 3072, 3584 };
	struct ar a = { 0 };
	int bad = 0;

	b_basic3(&a);
	for (size_t cut = 0; cut <= a.len; cut++) {
		struct rec r = { 0 };
		struct err e;
		bool accept = false, fine;
		char want[128] = "truncated tar header";
		int rc;

		for (size_t g = 0; g < sizeof good / sizeof good[0]; g++)
			accept |= cut == good[g];
		if (cut > 1024 && cut < 2048)
			snprintf(want, sizeof want, "truncated tar: entry "
				"'dir/file' ends %zu bytes early", 2048 - cut);
		else if (cut == 1024)
			snprintf(want, sizeof want, "truncated tar: entry "
				"'dir/file' ends 1024 bytes early");
		rc = run(a.p, cut, cut % 3 ? 1 : 0, &r, &e);
		fine = accept ? rc == 0 && r.ends == r.entries :
			rc == -1 && strstr(e.msg, want);
		if (!fine && bad++ < 5)
			ok(0, "cut at %zu: %s (got %s)", cut,
				accept ? "accepted" : want, rc ? e.msg : "ok");
		rec_free(&r);
	}
	ok(bad == 0, "truncation at each of %zu offsets errors or accepts "
		"exactly per the rule (%d wrong)", a.len + 1, bad);
	ar_free(&a);
}

/* Any chunking gives the same events as one feed. */
static void test_chunking(const char *name, const uint8_t *buf, size_t len)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 100, 511, 512, 513, 1000,
		4096 };
	struct rec r0 = { 0 };
	struct err e0;
	int rc0 = run(buf, len, 0, &r0, &e0), bad = 0;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct rec r = { 0 };
		struct err e;
		int rc = run(buf, len, sizes[i], &r, &e);

		if (rc != rc0 || strcmp(r.log, r0.log) ||
		    (rc && strcmp(e.msg, e0.msg)))
			bad++;
		rec_free(&r);
	}
	ok(bad == 0, "%s: chunks of 1..4096 bytes give the events of one feed",
		name);
	rec_free(&r0);
}

static void test_callback_error(void)
{
	struct ar a = { 0 };
	struct rec r = { .fail_entry = 2 };
	struct tar *t;
	struct err e;
	int rc;

	b_callback_fail(&a);
	tar_new(&t, &cbs, &r, &e);
	rc = tar_feed(t, a.p, a.len, &e);
	ok(rc == -1 && !strcmp(e.msg, "callback refused entry 'second'"),
		"a callback error propagates unchanged (%s)", e.msg);
	err_clear(&e);
	ok(tar_feed(t, a.p, 1, &e) == -1 &&
		!strcmp(e.msg, "callback refused entry 'second'"),
		"after an error tar_feed returns the same error");
	err_clear(&e);
	ok(tar_finish(t, &e) == -1 &&
		!strcmp(e.msg, "callback refused entry 'second'"),
		"after an error tar_finish returns the same error");
	ok(r.entries == 2, "no entry delivered after the failing callback");
	tar_free(t);
	rec_free(&r);

	/* data after tar_finish is an error; finish twice is fine */
	tar_new(&t, &cbs, &r, &e);
	ok(tar_feed(t, a.p, a.len, &e) == 0 && tar_finish(t, &e) == 0 &&
		tar_finish(t, &e) == 0, "finish after the end marker, twice");
	ok(tar_feed(t, "x", 1, &e) == -1 && strstr(e.msg, "after the end"),
		"data after tar_finish refused (%s)", e.msg);
	tar_free(t);
	tar_free(NULL);
	rec_free(&r);
	ar_free(&a);

	/* NULL callbacks: the stream is still checked */
	memset(&a, 0, sizeof a);
	b_escape(&a);
	tar_new(&t, NULL, NULL, &e);
	ok(tar_feed(t, a.p, a.len, &e) == -1 && strstr(e.msg, "escapes"),
		"without callbacks the stream is still validated");
	tar_free(t);
	ar_free(&a);
}

/* ---- real archives ---- */

static uint8_t *slurp(const char *name, size_t *len)
{
	char dir[1024], path[1200];
	const char *env = getenv("TEST_DATA_DIR");
	const char *cands[3];
	const char *slash = strrchr(__FILE__, '/');
	uint8_t *buf = NULL;

	snprintf(dir, sizeof dir, "%.*s/data",
		slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	cands[0] = env;
	cands[1] = dir;
	cands[2] = "tests/unit/data";
	for (int i = 0; i < 3 && !buf; i++) {
		FILE *f;
		long n;

		if (!cands[i])
			continue;
		snprintf(path, sizeof path, "%s/%s", cands[i], name);
		if (!(f = fopen(path, "rb")))
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
		fclose(f);
	}
	return buf;
}


static void test_real(void)
{
	static const struct {
		const char *file;
		const char *log;
		const char *why;
	} rows[] = {
		{ "tar-gnutar-pax.bin",
		  "dir 'dir' mode=755 uid=0 gid=0 size=0\n"
		  "reg 'dir/hard' mode=4755 uid=0 gid=0 size=6 xattr user.comment=\"bin\\x00ary\\n\" xattr user.mime=\"text/plain\"\n"
		  "  data 6 \"hello\\n\"\n"
		  "hard 'dir/hello.txt' -> 'dir/hard' mode=4755 uid=0 gid=0 size=0\n"
		  "sym 'dir/longlink' -> '../{t*120}' mode=777 uid=0 gid=0 size=0\n"
		  "sym 'dir/sym' -> 'hello.txt' mode=777 uid=0 gid=0 size=0\n"
		  "dir '{d*60}' mode=755 uid=0 gid=0 size=0\n"
		  "reg '{d*60}/{e*200}' mode=644 uid=0 gid=0 size=1\n"
		  "  data 1 \"x\"\n"
		  "reg '{d*60}/{n*70}' mode=644 uid=0 gid=0 size=18\n"
		  "  data 18 \"long file content\\n\"\n",
		  "GNU tar --format=pax: xattrs, pax path, ustar prefix, links" },
		{ "tar-gnutar-gnu.bin",
		  "dir 'dir' mode=755 uid=0 gid=0 size=0\n"
		  "reg 'dir/hard' mode=4755 uid=0 gid=0 size=6\n"
		  "  data 6 \"hello\\n\"\n"
		  "hard 'dir/hello.txt' -> 'dir/hard' mode=4755 uid=0 gid=0 size=0\n"
		  "sym 'dir/longlink' -> '../{t*120}' mode=777 uid=0 gid=0 size=0\n"
		  "sym 'dir/sym' -> 'hello.txt' mode=777 uid=0 gid=0 size=0\n"
		  "dir '{d*60}' mode=755 uid=0 gid=0 size=0\n"
		  "reg '{d*60}/{n*70}' mode=644 uid=0 gid=0 size=18\n"
		  "  data 18 \"long file content\\n\"\n",
		  "GNU tar --format=gnu: L and K long names" },
		{ "tar-gnutar-v7.bin",
		  "reg 'dir/hello.txt' mode=4755 uid=0 gid=0 size=6\n"
		  "  data 6 \"hello\\n\"\n"
		  "sym 'dir/sym' -> 'hello.txt' mode=777 uid=0 gid=0 size=0\n"
		  "hard 'dir/hard' -> 'dir/hello.txt' mode=4755 uid=0 gid=0 size=0\n",
		  "GNU tar --format=v7" },
		{ "tar-py-pax.bin",
		  "dir '' mode=755 uid=0 gid=0 size=0 xattr user.global=\"g1\"\n"
		  "dir 'etc' mode=755 uid=0 gid=0 size=0 xattr user.global=\"g1\"\n"
		  "reg 'etc/big-uid' mode=640 uid=3000000 gid=4000000 size=4 xattr user.global=\"local\" xattr security.capability=\"\\x01\\x00\\x00\\x02\"\n"
		  "  data 4 \"uid\\n\"\n"
		  "chr 'dev/null' mode=666 uid=0 gid=0 size=0 dev=1,3 xattr user.global=\"g1\"\n"
		  "sym 'etc/link' -> '/{l*150}' mode=644 uid=0 gid=0 size=0 xattr user.global=\"g1\"\n"
		  "reg 'etc/h\xc3\xa9llo' mode=644 uid=0 gid=0 size=6 xattr user.global=\"g1\"\n"
		  "  data 6 \"caf\\xc3\\xa9\\n\"\n",
		  "Python tarfile pax: global header, pax uid/gid, chr device, 10 KiB record" },
		{ "tar-py-gnu.bin",
		  "reg 'a/b' mode=644 uid=16777216 gid=5 size=13\n"
		  "  data 13 \"base-256 uid\\n\"\n"
		  "fifo 'fifo' mode=600 uid=0 gid=0 size=0\n",
		  "Python tarfile GNU: base-256 uid" },
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct rec r = { 0 };
		struct err e;
		size_t len = 0;
		uint8_t *buf = slurp(rows[i].file, &len);
		bool same = false;
		int rc = -1;

		char *want = expand(rows[i].log);

		if (buf)
			rc = run2(buf, len, &r, &e, &same);
		if (!ok(buf && rc == 0 && same && !strcmp(r.log, want),
			"%s: %s", rows[i].file, rows[i].why))
			printf("# got: %s\n# log:\n%s\n", !buf ? "missing file" :
				rc ? e.msg : "success", r.log ? r.log : "");
		free(want);
		if (buf)
			test_chunking(rows[i].file, buf, len);
		free(buf);
		rec_free(&r);
	}
}

int main(void)
{
	struct ar a = { 0 };

	test_normalize();
	test_utf8();
	test_streams();
	test_truncation();
	b_basic3(&a);
	test_chunking("built 3-entry archive", a.p, a.len);
	ar_free(&a);
	b_gnu_long(&a);
	test_chunking("built GNU long-name archive", a.p, a.len);
	ar_free(&a);
	b_global(&a);
	test_chunking("built pax global archive", a.p, a.len);
	ar_free(&a);
	test_callback_error();
	test_real();
	return tap_done();
}
