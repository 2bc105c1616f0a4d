/* Fuzz targets for the pure HTTP parsers (src/http_parse.c, src/authhdr.c,
 * the proxy helpers of src/net.c).
 *
 * fuzz_http_response:    http_head_end + http_head_parse; every promise of
 *                        http.h about a parsed head is checked.
 * fuzz_chunked:          the chunked decoder fed whole, in pseudo-random
 *                        pieces, and in place: all three must agree exactly
 *                        (result, data, consumed bytes, error text).
 * fuzz_www_authenticate: authhdr_parse (twice, accumulating), every accessor,
 *                        a failed parse leaving the set unchanged; plus
 *                        authhdr_retry_after / authhdr_http_date.
 * fuzz_http_url:         http_url_parse, http_url_resolve against fixed
 *                        bases (the result must parse or fail cleanly),
 *                        http_url_redact, net_proxy_parse, net_no_proxy_match.
 * Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authhdr.h"
#include "http.h"
#include "net.h"

int fuzz_http_response(const uint8_t *data, size_t size);
int fuzz_chunked(const uint8_t *data, size_t size);
int fuzz_www_authenticate(const uint8_t *data, size_t size);
int fuzz_http_url(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int within(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* ---- response heads ---- */

static void check_field(const struct http_hfield *f, const char *buf, size_t len)
{
	CHECK(f->name_len > 0 && within(f->name, f->name_len, buf, len));
	CHECK(within(f->value, f->value_len, buf, len));
	for (size_t i = 0; i < f->name_len; i++)
		CHECK(f->name[i] != ':' && (unsigned char)f->name[i] > 0x20 &&
		      (unsigned char)f->name[i] < 0x7f);
	for (size_t i = 0; i < f->value_len; i++)
		CHECK(f->value[i] == '\t' || ((unsigned char)f->value[i] >= 0x20 &&
					      f->value[i] != 0x7f));
	if (f->value_len)
		CHECK(f->value[0] != ' ' && f->value[f->value_len - 1] != ' ');
}

int fuzz_http_response(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_head *h = malloc(sizeof *h);
	size_t end = http_head_end(buf, size);
	struct err e;

	CHECK(h && end <= size);
	if (end)
		CHECK(buf[end - 1] == '\n');
	/* the whole input as a head, and the head found at its start */
	for (int pass = 0; pass < 2; pass++) {
		size_t len = pass ? end : size;
		if (pass && !end)
			break;
		if (http_head_parse(buf, len, h, &e) < 0) {
			CHECK(e.msg[0] != '\0');
			continue;
		}
		CHECK(len <= HTTP_HEAD_MAX && h->len == len);
		CHECK(h->status >= 100 && h->status <= 999 && (h->minor == 0 || h->minor == 1));
		CHECK(h->nfields <= HTTP_MAX_HEADERS);
		CHECK(within(h->reason, h->reason_len, buf, len));
		CHECK(h->content_length >= -1 && !(h->chunked && h->content_length >= 0));
		CHECK(!h->chunked || h->close || !http_head_find(h, "content-length", 0));
		for (size_t i = 0; i < h->nfields; i++)
			check_field(&h->fields[i], buf, len);
		CHECK(http_head_find(h, "content-type", h->nfields) == NULL);
	}
	free(h);
	return 0;
}

/* ---- chunked ---- */

struct run {
	int rc;
	size_t consumed, produced;
	char msg[sizeof ((struct err *)0)->msg];
};

/* Feed in pieces whose sizes come from seed (0: all at once). */
static void chunked_run(const char *in, size_t len, uint32_t seed, char *out, struct run *r)
{
	struct http_chunked c;
	struct err e;
	size_t pos = 0;

	memset(r, 0, sizeof *r);
	http_chunked_init(&c);
	while (pos < len) {
		size_t piece = len - pos, cons, prod;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			piece = 1 + (seed >> 16) % 37;
			if (piece > len - pos)
				piece = len - pos;
		}
		r->rc = http_chunked_feed(&c, in + pos, piece, out + r->produced, &cons, &prod, &e);
		CHECK(cons <= piece && prod <= cons);
		CHECK(r->rc != 0 || cons == piece);
		pos += cons;
		r->produced += prod;
		if (r->rc < 0)
			memcpy(r->msg, e.msg, sizeof r->msg);
		if (r->rc != 0)
			break;
	}
	CHECK((r->rc == 1) == http_chunked_done(&c));
	r->consumed = pos;
}

int fuzz_chunked(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *a = malloc(size + 1), *b = malloc(size + 1), *c = malloc(size + 1);
	struct run ra, rb;
	uint32_t seed = 1;
	struct http_chunked ch;
	struct err e;
	size_t cons, prod;

	CHECK(a && b && c);
	for (size_t i = 0; i < size && i < 8; i++)
		seed = seed * 31 + data[i];
	chunked_run(in, size, 0, a, &ra);
	chunked_run(in, size, seed | 1, b, &rb);
	CHECK(ra.rc == rb.rc && ra.produced == rb.produced && !memcmp(a, b, ra.produced));
	CHECK(ra.rc < 0 ? !strcmp(ra.msg, rb.msg) : ra.consumed == rb.consumed);
	/* in place: out == in */
	memcpy(c, in, size);
	http_chunked_init(&ch);
	int r = http_chunked_feed(&ch, c, size, c, &cons, &prod, &e);
	CHECK(r == ra.rc && prod == ra.produced && !memcmp(c, a, prod));
	free(a);
	free(b);
	free(c);
	return 0;
}

/* ---- WWW-Authenticate, Retry-After ---- */

static void check_lower_token(const char *s)
{
	CHECK(s && *s);
	for (; *s; s++)
		CHECK(!(*s >= 'A' && *s <= 'Z') && (unsigned char)*s > 0x20 && *s != '=' &&
		      *s != ',' && *s != '"');
}

static void check_set(const struct authhdr *a)
{
	CHECK(a->n <= AUTHHDR_MAX_CHALLENGES && a->used <= AUTHHDR_STORE);
	for (size_t i = 0; i < a->n; i++) {
		const struct authhdr_challenge *c = &a->c[i];
		check_lower_token(authhdr_scheme(a, i));
		CHECK(authhdr_find(a, authhdr_scheme(a, i)) <= (long)i);
		CHECK(c->nparams <= AUTHHDR_MAX_PARAMS);
		CHECK(!(c->token68 && c->nparams));
		for (unsigned k = 0; k < c->nparams; k++) {
			const char *name = a->store + c->name[k], *v = a->store + c->value[k];
			check_lower_token(name);
			CHECK(c->value[k] < a->used && authhdr_param(a, (long)i, name) == v);
			for (; *v; v++)
				CHECK((unsigned char)*v >= 0x20 || *v == '\t');
		}
	}
	CHECK(authhdr_scheme(a, a->n) == NULL && authhdr_param(a, (long)a->n, "realm") == NULL);
}

int fuzz_www_authenticate(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct authhdr *a = malloc(sizeof *a), *copy = malloc(sizeof *a);
	struct err e;
	uint64_t secs;
	time_t t;

	CHECK(a && copy);
	authhdr_init(a);
	for (int i = 0; i < 2; i++) {
		memcpy(copy, a, sizeof *a);
		if (authhdr_parse(a, in, size, &e) < 0)
			CHECK(a->n == copy->n && a->used == copy->used && e.msg[0]);
		check_set(a);
	}
	if (authhdr_retry_after(in, size, 1000000000, &secs, &e) == 0) {
		/* beyond delta-seconds' saturation only a date can go: the value
		 * without the blanks Retry-After allows around it */
		size_t s = 0, n = size;
		while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
			n--;
		while (s < n && (in[s] == ' ' || in[s] == '\t'))
			s++;
		CHECK(secs <= UINT32_MAX || authhdr_http_date(in + s, n - s, &t) == 0);
	}
	free(a);
	free(copy);
	return 0;
}

/* ---- URLs and proxy settings ---- */

static void check_url(const struct http_url *u, const char *s, size_t len)
{
	CHECK(u->host[0] && strlen(u->host) <= NET_HOST_MAX);
	for (const char *p = u->host; *p; p++)
		CHECK(!(*p >= 'A' && *p <= 'Z'));
	CHECK(u->port >= 1 && u->port <= 65535);
	CHECK(u->target_len > 0);
	/* within the input, or the constant "/" for an empty path */
	CHECK(within(u->target, u->target_len, s, len) ||
	      (u->target_len == 1 && u->target[0] == '/'));
	for (size_t i = 0; i < u->target_len; i++)
		CHECK((unsigned char)u->target[i] > 0x20 && (unsigned char)u->target[i] < 0x7f &&
		      u->target[i] != '#');
}

int fuzz_http_url(const uint8_t *data, size_t size)
{
	static const char *const bases[] = { "https://r.example:5000/v2/a/blobs/x?q=1",
					     "http://[::1]/", "https://h" };
	const char *in = (const char *)data;
	char *z = malloc(size + 1), *out, red[128];
	struct http_url u;
	struct net_proxy p;
	struct err e;

	CHECK(z);
	memcpy(z, in, size);
	z[size] = '\0';
	if (http_url_parse(in, size, &u, &e) == 0)
		check_url(&u, in, size);
	for (size_t i = 0; i < 3; i++) {
		if (http_url_resolve(bases[i], in, size, &out, &e) < 0)
			continue;
		if (http_url_parse(out, strlen(out), &u, &e) == 0)
			check_url(&u, out, strlen(out));
		free(out);
	}
	http_url_redact(z, red, sizeof red);
	CHECK(strlen(red) < sizeof red && !strchr(red, '?') && !strchr(red, '#'));
	if (net_proxy_parse(in, size, &p, &e) == 0)
		CHECK(p.host[0] && p.port >= 1 && p.port <= 65535 &&
		      (!p.auth[0] || !strncmp(p.auth, "Basic ", 6)));
	/* "LIST\nHOST" */
	const char *nl = memchr(in, '\n', size);
	if (nl && (size_t)(in + size - nl - 1) <= NET_HOST_MAX) {
		char host[NET_HOST_MAX + 1];
		size_t hl = (size_t)(in + size - nl - 1);
		memcpy(host, nl + 1, hl);
		host[hl] = '\0';
		int m = net_no_proxy_match(in, (size_t)(nl - in), host, 443);
		CHECK(m == 0 || m == 1);
	}
	free(z);
	return 0;
}
