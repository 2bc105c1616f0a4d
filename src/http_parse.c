/* The pure parsers of http.h: URLs, response heads, chunked bodies.  No
 * I/O; every input is (buf, len) with explicit limits.  The client that
 * uses them is http.c. */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"

int http_field_byte(int c)
{
	return c == '\t' || c == ' ' || text_is_vchar(c);
}

/* ---- URLs ---- */

int http_url_parse(const char *s, size_t len, struct http_url *u, struct err *e)
{
	size_t i, auth_end;
	const char *hash;

	memset(u, 0, sizeof *u);
	if (len > HTTP_URL_MAX)
		return err_set(e, 0, "URL longer than %d bytes", HTTP_URL_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return err_set(e, 0, "URL contains a space, control character or non-ASCII byte");
	if (len >= 7 && !strncasecmp(s, "http://", 7))
		i = 7;
	else if (len >= 8 && !strncasecmp(s, "https://", 8))
		i = 8, u->https = 1;
	else
		return err_set(e, 0, "URL scheme must be http:// or https://");
	if ((hash = memchr(s, '#', len)))
		len = (size_t)(hash - s);
	for (auth_end = i; auth_end < len && s[auth_end] != '/' && s[auth_end] != '?'; auth_end++)
		if (s[auth_end] == '@')
			return err_set(e, 0, "URL with user information refused");
	u->port = u->https ? 443 : 80;
	if (net_parse_hostport(s + i, auth_end - i, u->host, &u->port) < 0)
		return err_set(e, 0, "URL has a malformed host or port");
	for (char *p = u->host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p |= 0x20;
	u->target = auth_end < len ? s + auth_end : "/";
	u->target_len = auth_end < len ? len - auth_end : 1;
	return 0;
}

int http_url_same_origin(const struct http_url *a, const struct http_url *b)
{
	return a->https == b->https && a->port == b->port && !strcmp(a->host, b->host);
}

/* Length of the URI scheme at the start of s[0..n) including its ':', or
 * 0 when s does not start with one. */
static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
			 (i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' ||
				s[i] == '.'))))
		i++;
	return i > 0 && i < n && s[i] == ':' ? i + 1 : 0;
}

void http_url_redact(const char *url, char *out, size_t outsz)
{
	const char *sep = strstr(url, "://"), *rest = url, *end;
	size_t scheme = 0;
	int n;

	if (!outsz)
		return;
	if (sep && scheme_len(url, (size_t)(sep - url) + 1) == (size_t)(sep - url) + 1) {
		scheme = (size_t)(sep - url) + 3;
		rest = url + scheme;
		size_t al = strcspn(rest, "/?#");
		for (size_t i = al; i-- > 0;)
			if (rest[i] == '@') {
				rest += i + 1;
				break;
			}
	}
	end = rest + strcspn(rest, "?#");
	n = snprintf(out, outsz, "%.*s%.*s", (int)scheme, url, (int)(end - rest), rest);
	if (n >= 0 && (size_t)n >= outsz && outsz > 4)
		memcpy(out + outsz - 4, "...", 4);
}

/* Append path p[0..n) (starting with '/') with "." and ".." segments
 * removed (RFC 3986 5.2.4). */
static void remove_dots(struct buf *b, const char *p, size_t n)
{
	size_t start = b->len, i = 0;

	while (i < n) {
		size_t j = i + 1;
		while (j < n && p[j] != '/')
			j++;
		const char *seg = p + i + 1;
		size_t sl = j - i - 1;
		if (sl == 1 && seg[0] == '.') {
			if (j >= n)
				buf_putc(b, '/');
		} else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			size_t k = b->len;
			while (k > start && b->data[k - 1] != '/')
				k--;
			buf_truncate(b, k > start ? k - 1 : start);
			if (j >= n)
				buf_putc(b, '/');
		} else {
			buf_putc(b, '/');
			buf_append(b, seg, sl);
		}
		i = j;
	}
	if (b->len == start)
		buf_putc(b, '/');
}

int http_url_resolve(const char *base, const char *ref, size_t reflen, char **out,
		     struct err *e)
{
	struct buf b = { 0 };
	const char *hash = memchr(ref, '#', reflen), *auth, *path, *query;
	size_t scheme;

	*out = NULL;
	if (hash)
		reflen = (size_t)(hash - ref);
	auth = strstr(base, "://");
	if (!auth)
		return err_set(e, 0, "base URL is not absolute");
	scheme = (size_t)(auth - base) + 1; /* "https:" */
	path = auth + 3 + strcspn(auth + 3, "/?#");
	query = path + strcspn(path, "?#");
	if (scheme_len(ref, reflen)) {
		buf_append(&b, ref, reflen);
	} else if (reflen >= 2 && ref[0] == '/' && ref[1] == '/') {
		buf_append(&b, base, scheme);
		buf_append(&b, ref, reflen);
	} else {
		const char *qm = memchr(ref, '?', reflen);
		size_t pl = qm ? (size_t)(qm - ref) : reflen, rq = reflen - pl;
		buf_append(&b, base, (size_t)(path - base));
		if (pl && ref[0] == '/') {
			remove_dots(&b, ref, pl);
		} else if (pl) {
			struct buf m = { 0 };
			const char *slash = path;
			for (const char *p = path; p < query; p++)
				if (*p == '/')
					slash = p;
			if (slash < query && *slash == '/')
				buf_append(&m, path, (size_t)(slash - path) + 1);
			else
				buf_putc(&m, '/');
			buf_append(&m, ref, pl);
			remove_dots(&b, m.data ? m.data : "/", m.oom ? 0 : m.len);
			buf_free(&m);
		} else {
			buf_append(&b, path, (size_t)(query - path));
			if (!rq)
				buf_append(&b, query, strcspn(query, "#"));
		}
		buf_append(&b, ref + pl, rq);
	}
	if (b.oom || !(*out = buf_steal(&b, NULL))) {
		buf_free(&b);
		return err_set(e, ENOMEM, "resolve redirect");
	}
	return 0;
}

/* ---- response head ---- */

size_t http_head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Next line of buf from *pos, without its CRLF or LF.  -1 when no LF. */
static int next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *ll)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);

	if (!nl)
		return -1;
	*line = buf + *pos;
	*ll = (size_t)(nl - *line);
	if (*ll && (*line)[*ll - 1] == '\r')
		(*ll)--;
	*pos = (size_t)(nl - buf) + 1;
	return 0;
}

static int parse_status(const char *l, size_t n, struct http_head *h, struct err *e)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
		return err_set(e, 0, "malformed status line (expected HTTP/1.x)");
	for (int i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return err_set(e, 0, "malformed status code");
	if (n > 12 && l[12] != ' ')
		return err_set(e, 0, "malformed status code");
	h->minor = l[7] - '0';
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (h->status < 100)
		return err_set(e, 0, "status code %03d out of range", h->status);
	h->reason = l + (n > 12 ? 13 : 12);
	h->reason_len = n > 12 ? n - 13 : 0;
	for (size_t i = 0; i < h->reason_len; i++)
		if (!http_field_byte((unsigned char)h->reason[i]))
			return err_set(e, 0, "control character in the status line");
	return 0;
}

static int parse_field(const char *l, size_t n, struct http_head *h, struct err *e)
{
	struct http_hfield *f;
	size_t i = 0, end;

	if (l[0] == ' ' || l[0] == '\t')
		return err_set(e, 0, "obsolete header line folding refused");
	while (i < n && text_is_tchar((unsigned char)l[i]))
		i++;
	if (!i || i == n || l[i] != ':')
		return err_set(e, 0, "malformed header field name");
	if (h->nfields == HTTP_MAX_HEADERS)
		return err_set(e, 0, "more than %d header fields", HTTP_MAX_HEADERS);
	f = &h->fields[h->nfields++];
	f->name = l;
	f->name_len = i;
	for (i++; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	for (end = n; end > i && (l[end - 1] == ' ' || l[end - 1] == '\t'); end--)
		;
	f->value = l + i;
	f->value_len = end - i;
	for (; i < end; i++)
		if (!http_field_byte((unsigned char)l[i]))
			return err_set(e, 0, "control character in header '%.*s'",
				       (int)(f->name_len > 64 ? 64 : f->name_len), f->name);
	return 0;
}

/* One Content-Length field: a list of equal decimal values (RFC 9110 8.6). */
static int content_length(const struct http_hfield *f, int64_t *cl, struct err *e)
{
	size_t i = 0;

	do {
		int64_t v = 0;
		size_t digits = 0;
		while (i < f->value_len && (f->value[i] == ' ' || f->value[i] == '\t'))
			i++;
		for (; i < f->value_len && f->value[i] >= '0' && f->value[i] <= '9'; i++, digits++) {
			if (v > (INT64_MAX - 9) / 10)
				return err_set(e, 0, "Content-Length too large");
			v = v * 10 + (f->value[i] - '0');
		}
		while (i < f->value_len && (f->value[i] == ' ' || f->value[i] == '\t'))
			i++;
		if (!digits || (i < f->value_len && f->value[i] != ','))
			return err_set(e, 0, "malformed Content-Length");
		if (*cl >= 0 && *cl != v)
			return err_set(e, 0, "conflicting Content-Length values");
		*cl = v;
	} while (i++ < f->value_len);
	return 0;
}

/* Every list element of every Transfer-Encoding field together must be
 * exactly "chunked": other codings (gzip...) are not supported. */
static int transfer_encoding(const struct http_hfield *f, int *chunked, struct err *e)
{
	size_t i = 0;

	while (i < f->value_len) {
		size_t s, t;
		while (i < f->value_len && (f->value[i] == ' ' || f->value[i] == '\t' ||
					    f->value[i] == ','))
			i++;
		for (s = i; i < f->value_len && f->value[i] != ','; i++)
			;
		for (t = i; t > s && (f->value[t - 1] == ' ' || f->value[t - 1] == '\t'); t--)
			;
		if (t == s)
			continue;
		if (*chunked || !text_ieq(f->value + s, t - s, "chunked"))
			return err_set(e, 0, "unsupported Transfer-Encoding '%.*s'",
				       (int)(t - s > 32 ? 32 : t - s), f->value + s);
		*chunked = 1;
	}
	return 0;
}

static int has_token(const struct http_hfield *f, const char *tok)
{
	size_t i = 0, tl = strlen(tok);

	while (i < f->value_len) {
		while (i < f->value_len && (f->value[i] == ' ' || f->value[i] == ','))
			i++;
		size_t s = i;
		while (i < f->value_len && f->value[i] != ',' && f->value[i] != ' ')
			i++;
		if (i - s == tl && !strncasecmp(f->value + s, tok, tl))
			return 1;
	}
	return 0;
}

/* Framing facts from the fields: Content-Length, chunked, close. */
static int head_semantics(struct http_head *h, struct err *e)
{
	h->content_length = -1;
	h->close = h->minor == 0;
	for (size_t i = 0; i < h->nfields; i++) {
		const struct http_hfield *f = &h->fields[i];
		if (text_ieq(f->name, f->name_len, "content-length")) {
			if (content_length(f, &h->content_length, e) < 0)
				return -1;
		} else if (text_ieq(f->name, f->name_len, "transfer-encoding")) {
			if (transfer_encoding(f, &h->chunked, e) < 0)
				return -1;
		} else if (text_ieq(f->name, f->name_len, "connection") && has_token(f, "close")) {
			h->close = 1;
		}
	}
	if (h->chunked && h->content_length >= 0) {
		/* possible smuggling: believe chunked, never reuse this connection */
		h->content_length = -1;
		h->close = 1;
	}
	return 0;
}

int http_head_parse(const char *buf, size_t len, struct http_head *h, struct err *e)
{
	size_t pos = 0, n;
	const char *l;

	memset(h, 0, sizeof *h);
	if (len > HTTP_HEAD_MAX)
		return err_set(e, 0, "response header block larger than %d KiB", HTTP_HEAD_MAX / 1024);
	if (next_line(buf, len, &pos, &l, &n) < 0)
		return err_set(e, 0, "incomplete status line");
	if (parse_status(l, n, h, e) < 0)
		return -1;
	for (;;) {
		if (next_line(buf, len, &pos, &l, &n) < 0)
			return err_set(e, 0, "incomplete header block");
		if (memchr(l, '\r', n))
			return err_set(e, 0, "stray carriage return in the header block");
		if (!n)
			break;
		if (parse_field(l, n, h, e) < 0)
			return -1;
	}
	if (pos != len)
		return err_set(e, 0, "data after the header block");
	h->len = len;
	return head_semantics(h, e);
}

const struct http_hfield *http_head_find(const struct http_head *h, const char *name,
					 size_t nth)
{
	for (size_t i = 0; i < h->nfields; i++)
		if (text_ieq(h->fields[i].name, h->fields[i].name_len, name) && nth-- == 0)
			return &h->fields[i];
	return NULL;
}

/* ---- chunked ---- */

enum {
	CH_SIZE, CH_SIZE_WS, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_LINE, CH_TRAILER_LF, CH_END_LF, CH_DONE,
};

void http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof *c);
}

static int chunk_size_char(struct http_chunked *c, int ch, struct err *e)
{
	int v = text_hexval(ch);

	if (c->state == CH_SIZE && v >= 0) {
		if (c->left > (UINT64_MAX >> 4) || (c->left << 4 | (unsigned)v) > (uint64_t)INT64_MAX)
			return err_set(e, 0, "chunk size too large");
		c->left = c->left << 4 | (unsigned)v;
		c->digits++;
		return 0;
	}
	if (!c->digits)
		return err_set(e, 0, "malformed chunk size");
	if (ch == ' ' || ch == '\t')
		c->state = c->state == CH_EXT ? CH_EXT : CH_SIZE_WS;
	else if (ch == ';')
		c->state = CH_EXT;
	else if (ch == '\r')
		c->state = CH_SIZE_LF;
	else if (c->state == CH_EXT && ch != '\n' && http_field_byte(ch))
		;
	else if (ch != '\n')
		return err_set(e, 0, "malformed chunk size line");
	if (ch == '\n') {
		c->state = c->left ? CH_DATA : CH_TRAILER;
		c->line = 0;
		c->digits = 0;
	}
	return 0;
}

/* One byte outside chunk data. */
static int chunk_step(struct http_chunked *c, int ch, struct err *e)
{
	switch (c->state) {
	case CH_SIZE:
	case CH_SIZE_WS:
	case CH_EXT:
		if (++c->line > HTTP_CHUNK_LINE_MAX)
			return err_set(e, 0, "chunk size line longer than %d bytes", HTTP_CHUNK_LINE_MAX);
		return chunk_size_char(c, ch, e);
	case CH_SIZE_LF:
		if (ch != '\n')
			return err_set(e, 0, "malformed chunk size line");
		c->state = c->left ? CH_DATA : CH_TRAILER;
		c->line = 0;
		c->digits = 0;
		return 0;
	case CH_DATA_CR:
	case CH_DATA_LF:
		if (ch == '\r' && c->state == CH_DATA_CR)
			c->state = CH_DATA_LF;
		else if (ch == '\n')
			c->state = CH_SIZE;
		else
			return err_set(e, 0, "missing CRLF after chunk data");
		return 0;
	default:
		break;
	}
	if (++c->trailer > HTTP_TRAILER_MAX)
		return err_set(e, 0, "chunked trailer longer than %d bytes", HTTP_TRAILER_MAX);
	if (c->state == CH_TRAILER || c->state == CH_TRAILER_LINE) {
		if (ch == '\r')
			c->state = c->state == CH_TRAILER ? CH_END_LF : CH_TRAILER_LF;
		else if (ch == '\n')
			c->state = c->state == CH_TRAILER ? CH_DONE : CH_TRAILER;
		else if (!http_field_byte(ch))
			return err_set(e, 0, "control character in chunked trailer");
		else
			c->state = CH_TRAILER_LINE;
		return 0;
	}
	if (ch != '\n') /* CH_TRAILER_LF, CH_END_LF */
		return err_set(e, 0, "malformed chunked trailer");
	c->state = c->state == CH_END_LF ? CH_DONE : CH_TRAILER;
	return 0;
}

int http_chunked_feed(struct http_chunked *c, const char *in, size_t len, char *out,
		      size_t *consumed, size_t *produced, struct err *e)
{
	size_t i = 0, o = 0;
	int rc = 0;

	while (i < len && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			size_t n = len - i < c->left ? len - i : (size_t)c->left;
			memmove(out + o, in + i, n);
			i += n;
			o += n;
			c->left -= n;
			if (!c->left)
				c->state = CH_DATA_CR;
			continue;
		}
		if ((rc = chunk_step(c, (unsigned char)in[i], e)) < 0)
			break;
		i++;
	}
	*consumed = i;
	*produced = o;
	return rc < 0 ? -1 : c->state == CH_DONE;
}

int http_chunked_done(const struct http_chunked *c)
{
	return c->state == CH_DONE;
}
