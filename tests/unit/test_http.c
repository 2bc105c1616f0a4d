/* Unit tests for the pure parts of the HTTP stack: src/http_parse.c (URLs,
 * response heads, chunked decoding), src/authhdr.c (WWW-Authenticate,
 * Retry-After), src/net.c (proxy settings, no_proxy) and src/tls.c
 * (the clock check).  The client against real servers is test_http_live. */
#include "authhdr.h"
#include "http.h"
#include "net.h"
#include "tap.h"
#include "tls.h"

#include <stdlib.h>
#include <string.h>

/* An exact-size heap copy, so a sanitizer catches any read past the end:
 * no parser may rely on a NUL. */
static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

static int contains(const char *hay, const char *needle)
{
	return needle && strstr(hay, needle) != NULL;
}

/* ---- response heads ---- */

static const struct hcase {
	const char *in;
	int ok, status, nfields;
	long long cl;
	int chunked, close;
	const char *err; /* substring of the message when !ok */
	const char *why;
} heads[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1, 200, 1, 5, 0, 0, NULL,
	  "plain 200 with Content-Length" },
	{ "HTTP/1.1 204 \r\n\r\n", 1, 204, 0, -1, 0, 0, NULL,
	  "empty reason phrase after the space" },
	{ "HTTP/1.1 200\r\n\r\n", 1, 200, 0, -1, 0, 0, NULL,
	  "no space and no reason: tolerated" },
	{ "HTTP/1.0 200 OK\r\n\r\n", 1, 200, 0, -1, 0, 1, NULL,
	  "HTTP/1.0 closes the connection" },
	{ "HTTP/1.1 200 OK\nContent-Length: 1\n\n", 1, 200, 1, 1, 0, 0, NULL,
	  "bare LF line ends accepted" },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 200, 1, -1, 1, 0, NULL,
	  "chunked" },
	{ "HTTP/1.1 200 OK\r\ntransfer-encoding:  Chunked \r\n\r\n", 1, 200, 1, -1, 1, 0, NULL,
	  "header names and the coding are case-insensitive, OWS trimmed" },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n", 1, 200, 2,
	  -1, 1, 1, NULL, "TE and CL: chunked wins and the connection is not reused" },
	{ "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n", 1, 200, 1, -1, 0, 1, NULL,
	  "Connection: close found in a list" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", 1, 200, 2, 7, 0, 0,
	  NULL, "duplicate but equal Content-Length is fine" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n", 1, 200, 1, 7, 0, 0, NULL,
	  "Content-Length list of equal values" },
	{ "HTTP/1.1 200 OK\r\nX-Empty:\r\n\r\n", 1, 200, 1, -1, 0, 0, NULL,
	  "empty header value" },
	{ "HTTP/1.1 999 Odd\r\n\r\n", 1, 999, 0, -1, 0, 0, NULL, "any 3-digit status >= 100" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "conflicting Content-Length", "duplicate Content-Length disagreeing" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7, 8\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "conflicting Content-Length", "Content-Length list disagreeing" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "malformed Content-Length", "negative Content-Length" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "malformed Content-Length", "junk after Content-Length digits" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "too large", "Content-Length overflow" },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "unsupported Transfer-Encoding 'gzip'", "codings other than chunked" },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	  0, 0, 0, 0, 0, 0, "unsupported Transfer-Encoding", "chunked twice" },
	{ "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "folding", "obsolete line folding refused" },
	{ "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "malformed header field name", "whitespace before the colon refused" },
	{ "HTTP/1.1 200 OK\r\n: 1\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "malformed header field name", "empty field name" },
	{ "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "malformed header field name", "line without a colon" },
	{ "HTTP/1.1 200 OK\r\nX-A: a\x01" "b\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "control character in header 'X-A'", "control character in a value" },
	{ "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", 0, 0, 0, 0, 0, 0,
	  "stray carriage return", "bare CR inside a line" },
	{ "HTTP/2 200\r\n\r\n", 0, 0, 0, 0, 0, 0, "expected HTTP/1.x", "HTTP/2 status line" },
	{ "HTTP/1.2 200 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "expected HTTP/1.x", "unknown minor version" },
	{ "http/1.1 200 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "expected HTTP/1.x", "lower-case protocol name" },
	{ "HTTP/1.1 20 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "malformed status code", "two-digit status" },
	{ "HTTP/1.1 2000 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "malformed status code", "four-digit status" },
	{ "HTTP/1.1 099 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "out of range", "status below 100" },
	{ "HTTP/1.1 200 O\x7fK\r\n\r\n", 0, 0, 0, 0, 0, 0, "control character", "DEL in the reason" },
	{ "HTTP/1.1  200 OK\r\n\r\n", 0, 0, 0, 0, 0, 0, "malformed status code", "double space" },
	{ "\r\n\r\n", 0, 0, 0, 0, 0, 0, "expected HTTP/1.x", "empty status line" },
	{ "HTTP/1.1 200 OK\r\n", 0, 0, 0, 0, 0, 0, "incomplete header block", "no blank line" },
	{ "HTTP/1.1 200 OK\r\n\r\nbody", 0, 0, 0, 0, 0, 0, "data after", "bytes after the head" },
};

static void test_heads(void)
{
	struct http_head *h = malloc(sizeof *h);
	struct err e;

	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		const struct hcase *c = &heads[i];
		size_t n = strlen(c->in);
		char *in = dup_exact(c->in, n);
		int rc = http_head_parse(in, n, h, &e);
		if (c->ok)
			ok(rc == 0 && h->status == c->status && (int)h->nfields == c->nfields &&
				   h->content_length == c->cl && h->chunked == c->chunked &&
				   h->close == c->close && h->len == n,
			   "head: %s", c->why);
		else
			ok(rc < 0 && contains(e.msg, c->err), "head refused: %s (%s)", c->why,
			   rc < 0 ? e.msg : "accepted");
		free(in);
	}
	free(h);
}

static void test_head_limits(void)
{
	struct http_head *h = malloc(sizeof *h);
	struct err e;
	char *big = malloc(HTTP_HEAD_MAX + 64);
	size_t n = 0;
	const struct http_hfield *f;

	/* exactly HTTP_MAX_HEADERS fields pass, one more fails */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < HTTP_MAX_HEADERS + extra; i++)
			n += (size_t)sprintf(big + n, "X-%d: v\r\n", i);
		n += (size_t)sprintf(big + n, "\r\n");
		int rc = http_head_parse(big, n, h, &e);
		ok(extra ? rc < 0 && contains(e.msg, "more than 100 header fields") : rc == 0,
		   "%d header fields %s", HTTP_MAX_HEADERS + extra, extra ? "refused" : "accepted");
	}
	/* a head over 64 KiB is refused before anything else */
	memset(big, 'a', HTTP_HEAD_MAX + 64);
	ok(http_head_parse(big, HTTP_HEAD_MAX + 1, h, &e) < 0 && contains(e.msg, "64 KiB"),
	   "header block over 64 KiB refused");
	/* lookups are case-insensitive and count duplicates */
	n = (size_t)sprintf(big, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=a\r\n"
			    "www-authenticate: Bearer realm=b\r\n\r\n");
	ok(http_head_parse(big, n, h, &e) == 0 && (f = http_head_find(h, "Www-Authenticate", 1)) &&
		   f->value_len == 14 && !memcmp(f->value, "Bearer realm=b", 14) &&
		   !http_head_find(h, "www-authenticate", 2),
	   "header lookup: case-insensitive, nth occurrence");
	free(big);
	free(h);
}

static const struct ecase {
	const char *in;
	size_t end;
	const char *why;
} ends[] = {
	{ "HTTP/1.1 200 OK\r\n\r\nxyz", 19, "CRLF CRLF ends the head; body not included" },
	{ "HTTP/1.1 200 OK\n\nxyz", 17, "LF LF ends the head" },
	{ "HTTP/1.1 200 OK\r\nA: b\r\n", 0, "incomplete head" },
	{ "HTTP/1.1 200 OK\r\n\r", 0, "CR of the blank line only" },
	{ "", 0, "empty input" },
};

static void test_head_end(void)
{
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		size_t n = strlen(ends[i].in);
		char *in = dup_exact(ends[i].in, n);
		ok(http_head_end(in, n) == ends[i].end, "head end: %s", ends[i].why);
		free(in);
	}
}

/* ---- chunked ---- */

static const struct ccase {
	const char *in;
	int rc;          /* 1 complete, 0 needs more, -1 error */
	const char *out; /* decoded data when rc >= 0 */
	size_t rest;     /* bytes left unconsumed after completion */
	const char *err;
	const char *why;
} chunks[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", 1, "hello", 0, NULL, "one chunk" },
	{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1, "hello world", 0, NULL, "two chunks" },
	{ "A\r\n0123456789\r\n0\r\n\r\n", 1, "0123456789", 0, NULL, "upper-case hex" },
	{ "00005\r\nhello\r\n000\r\n\r\n", 1, "hello", 0, NULL, "leading zeros" },
	{ "5;name=value;x=\"q\"\r\nhello\r\n0;last\r\n\r\n", 1, "hello", 0, NULL,
	  "chunk extensions skipped" },
	{ "5 ;ext\r\nhello\r\n0\r\n\r\n", 1, "hello", 0, NULL, "whitespace before an extension" },
	{ "5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", 1, "hello", 0, NULL,
	  "trailers skipped" },
	{ "5\nhello\n0\n\n", 1, "hello", 0, NULL, "bare LF line ends" },
	{ "0\r\n\r\nEXTRA", 1, "", 5, NULL, "stops at the end: later bytes not consumed" },
	{ "5\r\nhel", 0, "hel", 0, NULL, "partial data: needs more" },
	{ "5\r\nhello\r\n0\r\n", 0, "hello", 0, NULL, "last chunk without the final CRLF" },
	{ "\r\n", -1, NULL, 0, "malformed chunk size", "missing size" },
	{ "g\r\n", -1, NULL, 0, "malformed chunk size", "non-hex size" },
	{ "0x5\r\nhello\r\n", -1, NULL, 0, "malformed chunk size line", "0x prefix" },
	{ "-5\r\n", -1, NULL, 0, "malformed chunk size", "negative size" },
	{ " 5\r\n", -1, NULL, 0, "malformed chunk size", "leading space" },
	{ "5 5\r\n", -1, NULL, 0, "malformed chunk size line", "space inside the size" },
	{ "5\r\nhelloX\r\n", -1, NULL, 0, "missing CRLF after chunk data", "data longer than size" },
	{ "5\rX", -1, NULL, 0, "malformed chunk size line", "CR not followed by LF" },
	{ "10000000000000000\r\n", -1, NULL, 0, "too large", "size overflowing 64 bits" },
	{ "8000000000000000\r\n", -1, NULL, 0, "too large", "size above INT64_MAX" },
	{ "5\r\nhello\r\n0\r\nX: \x01\r\n\r\n", -1, NULL, 0, "control character",
	  "control character in a trailer" },
	{ "5\r\nhello\r\n0\r\n\rX", -1, NULL, 0, "malformed chunked trailer", "bad final CRLF" },
	{ "5;a\x01\r\n", -1, NULL, 0, "malformed chunk size line", "control char in extension" },
};

/* Feed in pieces of `step` bytes (0: all at once) into a separate output
 * buffer; collect data and the consumed count. */
static int feed(const char *in, size_t n, size_t step, char *out, size_t *olen, size_t *used,
		struct err *e)
{
	struct http_chunked c;
	size_t pos = 0;
	int rc = 0;

	http_chunked_init(&c);
	*olen = *used = 0;
	while (pos < n && rc == 0) {
		size_t len = step && n - pos > step ? step : n - pos, cons, prod;
		char *piece = dup_exact(in + pos, len);
		rc = http_chunked_feed(&c, piece, len, out + *olen, &cons, &prod, e);
		free(piece);
		if (cons > len || prod > cons)
			return -2; /* broken promise */
		pos += cons;
		*olen += prod;
		if (rc == 0 && cons < len)
			return -2;
	}
	*used = pos;
	return rc;
}

static void test_chunked(void)
{
	char out[256];
	struct err e;

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		const struct ccase *c = &chunks[i];
		size_t n = strlen(c->in);
		for (size_t step = 0; step < 2; step++) {
			size_t olen, used;
			int rc = feed(c->in, n, step, out, &olen, &used, &e);
			const char *how = step ? "1 byte at a time" : "whole";
			if (c->rc < 0)
				ok(rc == -1 && contains(e.msg, c->err), "chunked %s refused: %s (%s)", how,
				   c->why, rc == -1 ? e.msg : "accepted");
			else
				ok(rc == c->rc && olen == strlen(c->out) && !memcmp(out, c->out, olen) &&
					   (rc == 0 || used == n - c->rest),
				   "chunked %s: %s", how, c->why);
		}
	}
}

static void test_chunked_in_place(void)
{
	char buf[] = "3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n";
	struct http_chunked c;
	size_t cons, prod;
	struct err e;
	int rc;

	http_chunked_init(&c);
	rc = http_chunked_feed(&c, buf, strlen(buf), buf, &cons, &prod, &e);
	ok(rc == 1 && http_chunked_done(&c) && prod == 5 && !memcmp(buf, "abcde", 5) &&
		   cons == strlen("3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n"),
	   "chunked decodes in place (out == in)");

	/* a size line longer than the limit (zeros, so no overflow) */
	size_t n = HTTP_CHUNK_LINE_MAX + 8;
	char *zeros = malloc(n);
	memset(zeros, '0', n);
	http_chunked_init(&c);
	ok(http_chunked_feed(&c, zeros, n, zeros, &cons, &prod, &e) < 0 &&
		   contains(e.msg, "chunk size line longer"),
	   "chunk size line over %d bytes refused", HTTP_CHUNK_LINE_MAX);
	free(zeros);

	/* endless trailers */
	n = HTTP_TRAILER_MAX + 64;
	char *tr = malloc(n);
	memcpy(tr, "0\r\n", 3);
	for (size_t i = 3; i < n; i += 4)
		memcpy(tr + i, i + 4 <= n ? "X:\r\n" : "XXXX", i + 4 <= n ? 4 : n - i);
	http_chunked_init(&c);
	ok(http_chunked_feed(&c, tr, n, tr, &cons, &prod, &e) < 0 &&
		   contains(e.msg, "trailer longer"),
	   "trailers over %d bytes refused", HTTP_TRAILER_MAX);
	free(tr);
}

/* ---- URLs ---- */

static const struct ucase {
	const char *in;
	int ok, https;
	const char *host;
	unsigned port;
	const char *target;
	const char *err;
	const char *why;
} urls[] = {
	{ "https://registry-1.docker.io/v2/", 1, 1, "registry-1.docker.io", 443, "/v2/", NULL,
	  "https with default port" },
	{ "http://localhost:5000/v2/x/manifests/t", 1, 0, "localhost", 5000,
	  "/v2/x/manifests/t", NULL, "http with port" },
	{ "HTTPS://Quay.IO", 1, 1, "quay.io", 443, "/", NULL,
	  "scheme case-insensitive, host lower-cased, empty path is /" },
	{ "https://[::1]:5000/v2/", 1, 1, "::1", 5000, "/v2/", NULL, "IPv6 literal with port" },
	{ "http://[FE80::1]/", 1, 0, "fe80::1", 80, "/", NULL, "IPv6 literal lower-cased" },
	{ "http://127.0.0.1:8080/a?b=c&d=e", 1, 0, "127.0.0.1", 8080, "/a?b=c&d=e", NULL,
	  "IPv4 literal, query kept" },
	{ "https://s3.example/b?X-Sig=abc#frag", 1, 1, "s3.example", 443, "/b?X-Sig=abc", NULL,
	  "fragment dropped" },
	{ "http://h?q=1", 1, 0, "h", 80, "?q=1", NULL, "query without path: target starts at ?" },
	{ "https://user:pw@host/", 0, 0, NULL, 0, NULL, "user information refused",
	  "userinfo refused" },
	{ "https://user@host/", 0, 0, NULL, 0, NULL, "user information refused",
	  "user without password refused" },
	{ "ftp://host/", 0, 0, NULL, 0, NULL, "scheme", "other schemes refused" },
	{ "host/path", 0, 0, NULL, 0, NULL, "scheme", "relative URL refused" },
	{ "https:///path", 0, 0, NULL, 0, NULL, "malformed host", "empty host" },
	{ "https://h:0/", 0, 0, NULL, 0, NULL, "malformed host", "port 0" },
	{ "https://h:65536/", 0, 0, NULL, 0, NULL, "malformed host", "port too big" },
	{ "https://h:/", 0, 0, NULL, 0, NULL, "malformed host", "empty port" },
	{ "https://h:12a/", 0, 0, NULL, 0, NULL, "malformed host", "non-digit port" },
	{ "https://[::1/", 0, 0, NULL, 0, NULL, "malformed host", "unclosed bracket" },
	{ "https://[nothex]/", 0, 0, NULL, 0, NULL, "malformed host", "bracketed non-address" },
	{ "https://h%41/", 0, 0, NULL, 0, NULL, "malformed host", "percent in host" },
	{ "https://h/a b", 0, 0, NULL, 0, NULL, "space", "space in path" },
	{ "https://h/a\r\nX: y", 0, 0, NULL, 0, NULL, "control character", "CRLF injection" },
	{ "https://h/\xc3\xa9", 0, 0, NULL, 0, NULL, "non-ASCII", "raw UTF-8" },
};

static void test_urls(void)
{
	struct http_url u;
	struct err e;

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		const struct ucase *c = &urls[i];
		size_t n = strlen(c->in);
		char *in = dup_exact(c->in, n);
		int rc = http_url_parse(in, n, &u, &e);
		if (c->ok)
			ok(rc == 0 && u.https == c->https && !strcmp(u.host, c->host) &&
				   u.port == c->port && u.target_len == strlen(c->target) &&
				   !memcmp(u.target, c->target, u.target_len),
			   "url: %s", c->why);
		else
			ok(rc < 0 && contains(e.msg, c->err) && !strstr(e.msg, "pw"),
			   "url refused: %s (%s)", c->why, rc < 0 ? e.msg : "accepted");
		free(in);
	}
	char *longurl = malloc(HTTP_URL_MAX + 2);
	memcpy(longurl, "http://h/", 9);
	memset(longurl + 9, 'a', HTTP_URL_MAX + 2 - 9);
	ok(http_url_parse(longurl, HTTP_URL_MAX + 1, &u, &e) < 0 && contains(e.msg, "longer"),
	   "URL over HTTP_URL_MAX refused");
	free(longurl);
}

static const struct rcase {
	const char *base, *ref, *want, *why;
} resolves[] = {
	{ "https://r/v2/a/blobs/x", "https://s3.example/bucket/obj?sig=1", "https://s3.example/bucket/obj?sig=1",
	  "absolute Location" },
	{ "https://r/v2/a/blobs/x", "//cdn.example/o", "https://cdn.example/o", "scheme-relative" },
	{ "https://r:5000/v2/a/blobs/x?q", "/v2/b/blobs/y", "https://r:5000/v2/b/blobs/y",
	  "absolute path keeps the authority" },
	{ "https://r/v2/a/blobs/x", "y", "https://r/v2/a/blobs/y", "relative path" },
	{ "https://r/v2/a/blobs/x", "../../b/c?d=1", "https://r/v2/b/c?d=1", "dot segments" },
	{ "https://r/v2/a/", "./.", "https://r/v2/a/", "single dots" },
	{ "https://r/a", "../../../x", "https://r/x", "too many .. stop at the root" },
	{ "https://r/a/b?old", "?new", "https://r/a/b?new", "query only" },
	{ "https://r/a/b?old", "", "https://r/a/b?old", "empty reference" },
	{ "https://r", "x", "https://r/x", "base without a path" },
	{ "https://r/a", "/b#frag", "https://r/b", "fragment dropped" },
};

static void test_resolve(void)
{
	struct err e;
	char *out;

	for (size_t i = 0; i < sizeof resolves / sizeof resolves[0]; i++) {
		const struct rcase *c = &resolves[i];
		size_t n = strlen(c->ref);
		char *ref = dup_exact(c->ref, n);
		int rc = http_url_resolve(c->base, ref, n, &out, &e);
		ok(rc == 0 && !strcmp(out, c->want), "resolve: %s (%s)", c->why, rc ? e.msg : out);
		free(out);
		free(ref);
	}
}

static void test_redact(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "https://s3.example/b/o?X-Amz-Signature=secret", "https://s3.example/b/o" },
		{ "https://u:p@h/x#f", "https://h/x" },
		{ "http://h", "http://h" },
		/* fuzz finds: junk before "://" is no scheme, so '?' still cuts */
		{ "/*.?:///", "/*." },
		{ "http9x:p?q/1tp://u:p@h/", "http9x:p" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		http_url_redact(cases[i].in, out, sizeof out);
		ok(!strcmp(out, cases[i].want), "redact '%s' -> '%s'", cases[i].want, out);
	}
	http_url_redact("https://example.com/a/very/long/path", out, 16);
	ok(strlen(out) == 15 && !strcmp(out + 12, "..."), "redact truncates with ...");
}

/* ---- WWW-Authenticate ---- */

static const struct acase {
	const char *in;
	int ok;
	size_t n;
	const char *scheme, *realm, *service, *scope, *error;
	const char *err, *why;
} auths[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	  "scope=\"repository:library/busybox:pull\"",
	  1, 1, "bearer", "https://auth.docker.io/token", "registry.docker.io",
	  "repository:library/busybox:pull", NULL, NULL, "Docker Hub" },
	{ "Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:o/i:pull\"",
	  1, 1, "bearer", "https://ghcr.io/token", "ghcr.io", "repository:o/i:pull", NULL, NULL,
	  "GHCR" },
	{ "Bearer realm=\"https://quay.io/v2/auth\",service=\"quay.io\"", 1, 1, "bearer",
	  "https://quay.io/v2/auth", "quay.io", NULL, NULL, NULL, "Quay (no scope)" },
	{ "Bearer realm=\"https://r/t\",service=\"r\",scope=\"repository:a:pull\","
	  "error=\"insufficient_scope\"",
	  1, 1, "bearer", "https://r/t", "r", "repository:a:pull", "insufficient_scope", NULL,
	  "insufficient_scope error" },
	{ "Basic realm=\"Registry Realm\"", 1, 1, "basic", "Registry Realm", NULL, NULL, NULL, NULL,
	  "Basic (distribution htpasswd)" },
	{ "basic REALM=r", 1, 1, "basic", "r", NULL, NULL, NULL, NULL,
	  "names case-insensitive, token value" },
	{ "Bearer realm = \"x\" , service=y", 1, 1, "bearer", "x", "y", NULL, NULL, NULL,
	  "whitespace around = and ," },
	{ "Bearer realm=\"a\\\"b\\\\c\"", 1, 1, "bearer", "a\"b\\c", NULL, NULL, NULL, NULL,
	  "quoted-string escapes decoded" },
	{ "Bearer realm=\"a,b=c\"", 1, 1, "bearer", "a,b=c", NULL, NULL, NULL, NULL,
	  "comma and = inside quotes" },
	{ "Basic realm=\"b\", Bearer realm=\"t\",service=\"s\"", 1, 2, "basic", "b", NULL, NULL,
	  NULL, NULL, "two challenges in one header" },
	{ "Negotiate abc+/==, Bearer realm=x", 1, 2, "negotiate", NULL, NULL, NULL, NULL, NULL,
	  "token68 challenge, then another" },
	{ "Bearer", 1, 1, "bearer", NULL, NULL, NULL, NULL, NULL, "scheme alone" },
	{ ",, Bearer realm=x,,", 1, 1, "bearer", "x", NULL, NULL, NULL, NULL,
	  "empty list elements skipped" },
	{ "Bearer realm=\"\"", 1, 1, "bearer", "", NULL, NULL, NULL, NULL, "empty quoted value" },
	{ "", 0, 0, NULL, NULL, NULL, NULL, NULL, "no challenge", "empty header" },
	{ "Bearer realm=\"x", 0, 0, NULL, NULL, NULL, NULL, NULL, "unterminated", "open quote" },
	{ "Bearer realm=x, realm=y", 0, 0, NULL, NULL, NULL, NULL, NULL, "twice",
	  "duplicate parameter" },
	{ "Bearer realm=\"a\x01\"", 0, 0, NULL, NULL, NULL, NULL, NULL, "control character",
	  "control character in quotes" },
	{ "Bearer realm=x y", 0, 0, NULL, NULL, NULL, NULL, NULL, "expected ','",
	  "junk after a value" },
	{ "=x", 0, 0, NULL, NULL, NULL, NULL, NULL, "expected an authentication scheme",
	  "no scheme" },
	{ "Bearer realm=x, \"q\"", 0, 0, NULL, NULL, NULL, NULL, NULL,
	  "expected an authentication scheme", "quoted string where a scheme belongs" },
};

static int streq_null(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void test_www_authenticate(void)
{
	struct authhdr *a = malloc(sizeof *a);
	struct err e;

	for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
		const struct acase *c = &auths[i];
		size_t n = strlen(c->in);
		char *in = dup_exact(c->in, n);
		authhdr_init(a);
		int rc = authhdr_parse(a, in, n, &e);
		if (c->ok)
			ok(rc == 0 && a->n == c->n && !strcmp(authhdr_scheme(a, 0), c->scheme) &&
				   streq_null(authhdr_param(a, 0, "realm"), c->realm) &&
				   streq_null(authhdr_param(a, 0, "service"), c->service) &&
				   streq_null(authhdr_param(a, 0, "scope"), c->scope) &&
				   streq_null(authhdr_param(a, 0, "error"), c->error),
			   "www-authenticate: %s", c->why);
		else
			ok(rc < 0 && a->n == 0 && contains(e.msg, c->err),
			   "www-authenticate refused: %s (%s)", c->why, rc < 0 ? e.msg : "accepted");
		free(in);
	}
	/* two headers accumulate; a bad third leaves the set unchanged */
	authhdr_init(a);
	authhdr_parse(a, "Basic realm=r", 13, &e);
	authhdr_parse(a, "Bearer realm=\"t\",service=s", 26, &e);
	size_t used = a->used;
	int bad = authhdr_parse(a, "Bearer realm=\"", 14, &e);
	ok(a->n == 2 && a->used == used && bad < 0 && authhdr_find(a, "BEARER") == 1 &&
		   !strcmp(authhdr_param(a, authhdr_find(a, "bearer"), "service"), "s") &&
		   authhdr_find(a, "digest") == -1 && !authhdr_param(a, -1, "realm"),
	   "challenges from several headers; a failed parse changes nothing");
	authhdr_init(a);
	authhdr_parse(a, "Negotiate abc==", 15, &e);
	ok(a->n == 1 && streq_null(authhdr_token68(a, 0), "abc=="), "token68 kept");
	free(a);
}

/* ---- Retry-After, dates ---- */

static void test_retry_after(void)
{
	static const struct {
		const char *in;
		long long now;
		int ok;
		unsigned long long secs;
		const char *why;
	} cases[] = {
		{ "120", 0, 1, 120, "delta seconds" },
		{ " 7 ", 0, 1, 7, "surrounding whitespace" },
		{ "0", 0, 1, 0, "zero" },
		{ "99999999999999999999999", 0, 1, 4294967295ull, "huge delta saturates" },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 10, 1, 10, "IMF-fixdate" },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 10, 1, 10, "RFC 850 date" },
		{ "Sun Nov  6 08:49:37 1994", 784111777 - 10, 1, 10, "asctime date" },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 100, 1, 0, "date in the past -> 0" },
		{ "Sun, 06 Nov 1994 08:49:37 PST", 0, 0, 0, "zone other than GMT" },
		{ "Sun, 31 Foo 1994 08:49:37 GMT", 0, 0, 0, "bad month" },
		{ "Sun, 06 Nov 1994 25:49:37 GMT", 0, 0, 0, "bad hour" },
		{ "-5", 0, 0, 0, "negative delta" },
		{ "12abc", 0, 0, 0, "junk after digits" },
		{ "", 0, 0, 0, "empty" },
	};
	struct err e;
	uint64_t s;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].in);
		char *in = dup_exact(cases[i].in, n);
		int rc = authhdr_retry_after(in, n, (time_t)cases[i].now, &s, &e);
		if (cases[i].ok)
			ok(rc == 0 && s == cases[i].secs, "retry-after: %s", cases[i].why);
		else
			ok(rc < 0 && contains(e.msg, "malformed Retry-After"), "retry-after refused: %s",
			   cases[i].why);
		free(in);
	}
}

/* ---- proxies ---- */

static void test_proxy_parse(void)
{
	static const struct {
		const char *in;
		int ok;
		const char *host;
		unsigned port;
		const char *auth, *why;
	} cases[] = {
		{ "http://proxy.corp:3128", 1, "proxy.corp", 3128, "", "scheme, host, port" },
		{ "proxy.corp:3128/", 1, "proxy.corp", 3128, "", "no scheme, trailing slash" },
		{ "http://proxy", 1, "proxy", 80, "", "default port 80" },
		{ "http://[::1]:8080", 1, "::1", 8080, "", "IPv6 proxy" },
		{ "http://user:p%40ss@proxy:1", 1, "proxy", 1, "Basic dXNlcjpwQHNz",
		  "credentials, percent-decoded" },
		{ "https://proxy:1", 0, NULL, 0, NULL, "https proxy scheme refused" },
		{ "socks5://proxy:1", 0, NULL, 0, NULL, "socks refused" },
		{ "http://user:secret@", 0, NULL, 0, NULL, "no host" },
		{ "http://proxy:1/path", 0, NULL, 0, NULL, "a path" },
		{ "http://u:%zz@proxy", 0, NULL, 0, NULL, "bad percent-encoding" },
	};
	struct net_proxy p;
	struct err e;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].in);
		char *in = dup_exact(cases[i].in, n);
		int rc = net_proxy_parse(in, n, &p, &e);
		if (cases[i].ok)
			ok(rc == 0 && !strcmp(p.host, cases[i].host) && p.port == cases[i].port &&
				   !strcmp(p.auth, cases[i].auth),
			   "proxy: %s", cases[i].why);
		else
			ok(rc < 0 && !strstr(e.msg, "secret") && !strstr(e.msg, "%zz"),
			   "proxy refused without echoing it: %s (%s)", cases[i].why,
			   rc < 0 ? e.msg : "accepted");
		free(in);
	}
}

static void test_no_proxy(void)
{
	static const struct {
		const char *list, *host;
		unsigned port;
		int match;
		const char *why;
	} cases[] = {
		{ "*", "anything", 443, 1, "* matches everything" },
		{ "example.com", "example.com", 443, 1, "exact name" },
		{ "example.com", "r.example.com", 443, 1, "subdomain of a bare name" },
		{ "example.com", "badexample.com", 443, 0, "suffix without a dot boundary" },
		{ ".example.com", "example.com", 443, 1, "leading dot matches the domain too" },
		{ "*.example.com", "a.b.example.com", 443, 1, "*. prefix" },
		{ "EXAMPLE.com", "example.COM", 443, 1, "case-insensitive" },
		{ "a.org, example.com ,b.org", "example.com", 443, 1, "list with spaces" },
		{ "a.org b.org", "b.org", 443, 1, "space-separated list" },
		{ "example.com:5000", "example.com", 5000, 1, "host:port, port matches" },
		{ "example.com:5000", "example.com", 443, 0, "host:port, other port" },
		{ "10.0.0.0/8", "10.1.2.3", 443, 1, "IPv4 CIDR" },
		{ "10.0.0.0/8", "11.1.2.3", 443, 0, "outside the CIDR" },
		{ "10.0.0.0/8", "ten.example", 443, 0, "CIDR never matches names" },
		{ "127.0.0.1", "127.0.0.1", 80, 1, "IPv4 address" },
		{ "::1", "::1", 80, 1, "IPv6 address" },
		{ "[::1]:5000", "::1", 5000, 1, "bracketed IPv6 with port" },
		{ "fd00::/8", "fd12::1", 80, 1, "IPv6 CIDR" },
		{ "fd00::/8", "fe80::1", 80, 0, "outside the IPv6 CIDR" },
		{ "192.168.1.0/23", "192.168.0.9", 80, 1, "CIDR with a partial byte" },
		{ "192.168.2.0/23", "192.168.4.1", 80, 0, "outside the partial-byte CIDR" },
		{ "", "example.com", 443, 0, "empty list" },
		{ ",,,", "example.com", 443, 0, "only separators" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].list);
		char *in = dup_exact(cases[i].list, n);
		ok(net_no_proxy_match(in, n, cases[i].host, cases[i].port) == cases[i].match,
		   "no_proxy: %s", cases[i].why);
		free(in);
	}
}

static void test_proxy_select(void)
{
	struct net_proxy_env env = { .https_proxy = "http://sp:1", .http_proxy = "http://hp:2",
				     .no_proxy = "skip.example", .https_var = "HTTPS_PROXY",
				     .http_var = "http_proxy", .all_var = "ALL_PROXY" };
	struct net_proxy p;
	struct err e;

	ok(net_proxy_select(&env, 1, "r.example", 443, &p, &e) == 0 && !strcmp(p.host, "sp") &&
		   !strcmp(p.var, "HTTPS_PROXY"),
	   "https URLs use https_proxy, and know which variable it was");
	ok(net_proxy_select(&env, 0, "r.example", 80, &p, &e) == 0 && !strcmp(p.host, "hp"),
	   "http URLs use http_proxy");
	ok(net_proxy_select(&env, 1, "skip.example", 443, &p, &e) == 0 && !p.host[0],
	   "no_proxy gives a direct connection");
	env.https_proxy = NULL;
	env.all_proxy = "http://ap:3";
	ok(net_proxy_select(&env, 1, "r.example", 443, &p, &e) == 0 && !strcmp(p.host, "ap") &&
		   p.port == 3 && !strcmp(p.var, "ALL_PROXY"),
	   "all_proxy stands in when the scheme's own variable is unset");
	env.all_proxy = "socks5://ap:1080";
	ok(net_proxy_select(&env, 1, "r.example", 443, &p, &e) < 0 &&
		   !strcmp(e.msg, "ALL_PROXY: proxy scheme 'socks5' not supported (only http://)"),
	   "a socks all_proxy is refused naming the variable (%s)", e.msg);
	env.https_proxy = "https://user:secret@x";
	ok(net_proxy_select(&env, 1, "r.example", 443, &p, &e) < 0 &&
		   contains(e.msg, "HTTPS_PROXY") && !strstr(e.msg, "secret"),
	   "a bad proxy setting names the variable, not its value (%s)", e.msg);
}

/* The environment as curl and Go read it: lower case first, HTTP_PROXY
 * not in a CGI request (httpoxy). */
static void test_proxy_env(void)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY", "http_proxy",
					    "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
					    "NO_PROXY", "REQUEST_METHOD" };
	struct net_proxy_env env;

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("HTTPS_PROXY", "http://upper:1", 1);
	setenv("HTTP_PROXY", "http://upperhttp:2", 1);
	setenv("ALL_PROXY", "http://all:3", 1);
	setenv("NO_PROXY", ".example", 1);
	net_proxy_env_load(&env);
	ok(env.https_proxy && !strcmp(env.https_proxy, "http://upper:1") &&
		   !strcmp(env.https_var, "HTTPS_PROXY") && env.http_proxy &&
		   !strcmp(env.http_var, "HTTP_PROXY") && env.all_proxy && env.no_proxy &&
		   !strcmp(env.no_proxy, ".example"),
	   "upper-case HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY are read");
	setenv("https_proxy", "http://lower:1", 1);
	net_proxy_env_load(&env);
	ok(!strcmp(env.https_proxy, "http://lower:1") && !strcmp(env.https_var, "https_proxy"),
	   "lower case wins over upper case");
	setenv("REQUEST_METHOD", "GET", 1);
	net_proxy_env_load(&env);
	ok(!env.http_proxy, "HTTP_PROXY is ignored in a CGI environment (REQUEST_METHOD set)");
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static const struct hostscase {
	const char *file, *host;
	int listed;
	const char *why;
} etchosts[] = {
	{ "127.0.0.1 localhost\n10.0.0.5 registry.lan reg\n", "registry.lan", 1, "a name" },
	{ "127.0.0.1 localhost\n10.0.0.5 registry.lan reg\n", "reg", 1, "an alias" },
	{ "10.0.0.5\tREGISTRY.lan\r\n", "registry.LAN", 1, "case and tabs and CRLF" },
	{ "10.0.0.5 registry.lan\n", "10.0.0.5", 0, "the address field is not a name" },
	{ "# 10.0.0.5 registry.lan\n", "registry.lan", 0, "a comment" },
	{ "10.0.0.5 other # registry.lan\n", "registry.lan", 0, "a trailing comment" },
	{ "10.0.0.5 registry.lanx\n", "registry.lan", 0, "a longer name" },
	{ "", "x", 0, "an empty file" },
};

static void test_hosts(void)
{
	for (size_t i = 0; i < sizeof etchosts / sizeof etchosts[0]; i++) {
		size_t n = strlen(etchosts[i].file);
		char *in = dup_exact(etchosts[i].file, n);
		ok(net_hosts_lookup(in, n, etchosts[i].host) == etchosts[i].listed, "/etc/hosts: %s",
		   etchosts[i].why);
		free(in);
	}
}

/* ---- TLS helpers ---- */

static void test_tls_helpers(void)
{
	ok(tls_build_epoch() > 1672531200 /* 2023 */ && tls_build_epoch() < time(NULL),
	   "the build epoch is recent and past");
	ok(!strncmp(tls_library_version(), "2.28.", 5), "mbedtls version %s",
	   tls_library_version());
}

/* ---- the clock floor ---- */

static const struct clockcase {
	time_t now, built, at;
	int floored;
	const char *why;
} floors[] = {
	{ 86400, 1700000000, 1700000000, 1, "a board without RTC in 1970: the build date" },
	{ 1800000000, 1700000000, 1800000000, 0, "a set clock after the build: the clock" },
	{ 1700000000, 1700000000, 1700000000, 0, "the build instant itself: the clock" },
	{ 1699999999, 1700000000, 1700000000, 1, "one second before the build: the floor" },
};

static const struct vcase {
	time_t from, to, at;
	int want;
	const char *why;
} validity[] = {
	{ 1600000000, 1900000000, 1700000000, 0, "inside the validity" },
	{ 1600000000, 1900000000, 1600000000, 0, "on the first second" },
	{ 1600000000, 1900000000, 1900000000, 0, "on the last second" },
	{ 1600000000, 1650000000, 1700000000, TLS_CERT_EXPIRED, "after it: expired" },
	{ 1750000000, 1900000000, 1700000000, TLS_CERT_FUTURE, "before it: not yet valid" },
};

static void test_clock_floor(void)
{
	time_t built = tls_build_epoch();
	char day[32];
	int floored;

	for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++) {
		time_t at = tls_check_time(floors[i].now, floors[i].built, &floored);
		ok(at == floors[i].at && floored == floors[i].floored, "clock floor: %s", floors[i].why);
	}
	for (size_t i = 0; i < sizeof validity / sizeof validity[0]; i++)
		ok(tls_validity(validity[i].from, validity[i].to, validity[i].at) == validity[i].want,
		   "certificate validity: %s", validity[i].why);
	/* the decision a 1970 board makes about a certificate valid from last
	 * year for ten years: valid, thanks to the floor alone */
	time_t at = tls_check_time(86400, built, &floored);
	ok(floored && tls_validity(built - 365 * 86400, built + 3650 * 86400, at) == 0 &&
		   tls_validity(built - 365 * 86400, built + 3650 * 86400, 86400) == TLS_CERT_FUTURE,
	   "a current certificate is valid at the floor, not at the 1970 clock");
	tls_format_day(86400, day, sizeof day);
	ok(!strcmp(day, "1970-01-02"), "days for messages: %s", day);
}

int main(void)
{
	test_heads();
	test_head_limits();
	test_head_end();
	test_chunked();
	test_chunked_in_place();
	test_urls();
	test_resolve();
	test_redact();
	test_www_authenticate();
	test_retry_after();
	test_proxy_parse();
	test_no_proxy();
	test_proxy_select();
	test_proxy_env();
	test_hosts();
	test_tls_helpers();
	test_clock_floor();
	return tap_done();
}
