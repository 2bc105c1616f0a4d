/* WWW-Authenticate parsing, Retry-After and HTTP-date; see authhdr.h. */
#include "authhdr.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "text.h"

struct cursor {
	const char *s;
	size_t len, pos;
};

static int is_t68char(int c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       (c && strchr("-._~+/", c));
}

static int peek(const struct cursor *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static void skip_ows(struct cursor *c)
{
	while (peek(c) == ' ' || peek(c) == '\t')
		c->pos++;
}

static size_t token_len(const struct cursor *c, size_t at)
{
	size_t n = 0;

	while (at + n < c->len && text_is_tchar((unsigned char)c->s[at + n]))
		n++;
	return n;
}

static int fail(struct err *e, const struct cursor *c, const char *what)
{
	return err_set(e, 0, "malformed WWW-Authenticate at byte %zu: %s", c->pos, what);
}

/* Append s[0..n) (lower-cased when lower) plus a NUL to the store; its
 * offset in *off. */
static int store(struct authhdr *a, const char *s, size_t n, int lower, unsigned short *off,
		 struct err *e)
{
	if (a->used + n + 1 > AUTHHDR_STORE)
		return err_set(e, 0, "WWW-Authenticate challenges too long (over %d bytes)",
			       AUTHHDR_STORE);
	*off = (unsigned short)a->used;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		a->store[a->used++] = lower && ch >= 'A' && ch <= 'Z' ? (char)(ch | 0x20) : ch;
	}
	a->store[a->used++] = '\0';
	return 0;
}

/* Is the cursor at `token BWS "=" BWS value`, i.e. an auth-param (as opposed
 * to a token68 or the next challenge's scheme)? */
static int at_param(const struct cursor *c)
{
	size_t p = c->pos, n = token_len(c, p);

	if (!n)
		return 0;
	p += n;
	while (p < c->len && (c->s[p] == ' ' || c->s[p] == '\t'))
		p++;
	if (p >= c->len || c->s[p] != '=')
		return 0;
	p++;
	while (p < c->len && (c->s[p] == ' ' || c->s[p] == '\t'))
		p++;
	return p < c->len && (c->s[p] == '"' || (c->s[p] != '=' && text_is_tchar((unsigned char)c->s[p])));
}

/* A quoted-string, decoded into the store. */
static int quoted(struct authhdr *a, struct cursor *c, unsigned short *off, struct err *e)
{
	char tmp[AUTHHDR_MAX_LEN];
	size_t n = 0;

	c->pos++; /* opening quote */
	for (;;) {
		int ch = peek(c);
		if (ch < 0)
			return fail(e, c, "unterminated quoted string");
		c->pos++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			ch = peek(c);
			if (ch < 0)
				return fail(e, c, "unterminated quoted string");
			c->pos++;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(e, c, "control character in quoted string");
		tmp[n++] = (char)ch; /* n < len <= AUTHHDR_MAX_LEN */
	}
	return store(a, tmp, n, 0, off, e);
}

static int param(struct authhdr *a, struct authhdr_challenge *ch, struct cursor *c,
		 struct err *e)
{
	size_t n = token_len(c, c->pos);
	unsigned short name, value;

	if (ch->nparams == AUTHHDR_MAX_PARAMS)
		return fail(e, c, "too many parameters");
	if (store(a, c->s + c->pos, n, 1, &name, e) < 0)
		return -1;
	for (unsigned i = 0; i < ch->nparams; i++)
		if (!strcmp(a->store + ch->name[i], a->store + name))
			return fail(e, c, "parameter given twice");
	c->pos += n;
	skip_ows(c);
	c->pos++; /* '=', checked by at_param() */
	skip_ows(c);
	if (peek(c) == '"') {
		if (quoted(a, c, &value, e) < 0)
			return -1;
	} else {
		n = token_len(c, c->pos);
		if (store(a, c->s + c->pos, n, 0, &value, e) < 0)
			return -1;
		c->pos += n;
	}
	ch->name[ch->nparams] = name;
	ch->value[ch->nparams++] = value;
	return 0;
}

/* After an element: OWS, then end or ',' (plus empty elements). 1 when more
 * follows, 0 at the end. */
static int next_element(struct cursor *c, struct err *e)
{
	skip_ows(c);
	if (peek(c) < 0)
		return 0;
	if (peek(c) != ',')
		return fail(e, c, "expected ',' or end");
	while (peek(c) == ',' || peek(c) == ' ' || peek(c) == '\t')
		c->pos++;
	return peek(c) >= 0;
}

/* token68 right after the scheme: t68chars then '='s, ending the element. */
static int token68(struct authhdr *a, struct authhdr_challenge *ch, struct cursor *c,
		   struct err *e)
{
	size_t p = c->pos;

	while (p < c->len && is_t68char((unsigned char)c->s[p]))
		p++;
	while (p < c->len && c->s[p] == '=')
		p++;
	if (p == c->pos)
		return 0;
	if (store(a, c->s + c->pos, p - c->pos, 0, &ch->token68, e) < 0)
		return -1;
	c->pos = p;
	return 0;
}

/* One challenge: scheme, then a token68 or params up to the next scheme.
 * 1 when more elements follow, 0 at the end, -1 on error. */
static int challenge(struct authhdr *a, struct cursor *c, struct err *e)
{
	struct authhdr_challenge *ch;
	size_t n = token_len(c, c->pos);
	int more;

	if (!n)
		return fail(e, c, "expected an authentication scheme");
	if (a->n == AUTHHDR_MAX_CHALLENGES)
		return fail(e, c, "too many challenges");
	ch = &a->c[a->n];
	memset(ch, 0, sizeof *ch);
	if (store(a, c->s + c->pos, n, 1, &ch->scheme, e) < 0)
		return -1;
	a->n++;
	c->pos += n;
	if (peek(c) == ' ' || peek(c) == '\t') {
		skip_ows(c);
		if (at_param(c)) {
			if (param(a, ch, c, e) < 0)
				return -1;
		} else if (peek(c) >= 0 && peek(c) != ',' && token68(a, ch, c, e) < 0) {
			return -1;
		}
	}
	/* "Basic, realm=x" is read leniently as Basic with realm x */
	while ((more = next_element(c, e)) > 0 && !ch->token68 && at_param(c))
		if (param(a, ch, c, e) < 0)
			return -1;
	return more;
}

void authhdr_init(struct authhdr *a)
{
	a->n = 0;
	a->used = 1;
	a->store[0] = '\0';
}

int authhdr_parse(struct authhdr *a, const char *s, size_t len, struct err *e)
{
	struct cursor c = { s, len, 0 };
	size_t n0 = a->n, used0 = a->used;
	int more = 1;

	if (len > AUTHHDR_MAX_LEN)
		return err_set(e, 0, "WWW-Authenticate longer than %d bytes", AUTHHDR_MAX_LEN);
	while (peek(&c) == ',' || peek(&c) == ' ' || peek(&c) == '\t')
		c.pos++;
	if (peek(&c) < 0)
		return fail(e, &c, "no challenge");
	while (more > 0) {
		/* params are consumed by challenge(); what follows is a scheme */
		if (c.pos < c.len && token_len(&c, c.pos) == 0) {
			more = fail(e, &c, "expected an authentication scheme");
			break;
		}
		more = challenge(a, &c, e);
	}
	if (more < 0) {
		a->n = n0;
		a->used = used0;
		return -1;
	}
	return 0;
}

const char *authhdr_scheme(const struct authhdr *a, size_t i)
{
	return i < a->n ? a->store + a->c[i].scheme : NULL;
}

const char *authhdr_token68(const struct authhdr *a, size_t i)
{
	return i < a->n && a->c[i].token68 ? a->store + a->c[i].token68 : NULL;
}

const char *authhdr_param(const struct authhdr *a, long i, const char *name)
{
	if (i < 0 || (size_t)i >= a->n)
		return NULL;
	for (unsigned k = 0; k < a->c[i].nparams; k++)
		if (!strcasecmp(a->store + a->c[i].name[k], name))
			return a->store + a->c[i].value[k];
	return NULL;
}

long authhdr_find(const struct authhdr *a, const char *scheme)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcasecmp(a->store + a->c[i].scheme, scheme))
			return (long)i;
	return -1;
}

/* ---- Retry-After and HTTP-date ---- */

static int month_index(const char *s, size_t n)
{
	static const char m[] = "janfebmaraprmayjunjulaugsepoctnovdec";

	for (int i = 0; n == 3 && i < 12; i++)
		if (!strncasecmp(s, m + 3 * i, 3))
			return i;
	return -1;
}

/* Number value of a digit token, or -1. */
static long num(const char *s, size_t n)
{
	long v = 0;

	if (!n || n > 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int authhdr_http_date(const char *s, size_t len, time_t *out)
{
	const char *tok[9];
	size_t tl[9], nt = 0, i = 0;
	struct tm tm = { 0 };
	long day, year, hms[3];
	int mon, d;

	while (i < len) {
		while (i < len && strchr(" ,-:", s[i]) && s[i])
			i++;
		if (i == len)
			break;
		if (nt == 9)
			return -1;
		tok[nt] = s + i;
		while (i < len && !(strchr(" ,-:", s[i]) && s[i]))
			i++;
		tl[nt] = (size_t)(s + i - tok[nt]);
		nt++;
	}
	/* IMF-fixdate / RFC 850: Wkd DD Mon YYYY HH MM SS GMT;
	 * asctime: Wkd Mon DD HH MM SS YYYY */
	d = nt == 8 ? 1 : 2;
	if (nt == 8 && !text_ieq(tok[7], tl[7], "GMT"))
		return -1;
	if (nt != 8 && nt != 7)
		return -1;
	mon = month_index(tok[nt == 8 ? 2 : 1], tl[nt == 8 ? 2 : 1]);
	day = num(tok[d], tl[d]);
	year = num(tok[nt == 8 ? 3 : 6], tl[nt == 8 ? 3 : 6]);
	for (int k = 0; k < 3; k++)
		hms[k] = num(tok[(nt == 8 ? 4 : 3) + k], tl[(nt == 8 ? 4 : 3) + k]);
	if (nt == 8 && tl[3] == 2 && year >= 0)
		year += year < 70 ? 2000 : 1900;
	if (mon < 0 || day < 1 || day > 31 || year < 1970 || hms[0] < 0 || hms[0] > 23 ||
	    hms[1] < 0 || hms[1] > 59 || hms[2] < 0 || hms[2] > 60)
		return -1;
	tm.tm_year = (int)year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = (int)day;
	tm.tm_hour = (int)hms[0];
	tm.tm_min = (int)hms[1];
	tm.tm_sec = (int)hms[2];
	*out = timegm(&tm);
	return 0;
}

int authhdr_retry_after(const char *s, size_t len, time_t now, uint64_t *seconds,
		     struct err *e)
{
	size_t i = 0, digits = 0;
	uint64_t v = 0;
	time_t t;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (size_t k = i; k < len && s[k] >= '0' && s[k] <= '9'; k++, digits++)
		v = v >= UINT32_MAX ? UINT32_MAX : v * 10 + (uint64_t)(s[k] - '0');
	if (digits && i + digits == len) {
		*seconds = v > UINT32_MAX ? UINT32_MAX : v;
		return 0;
	}
	if (authhdr_http_date(s + i, len - i, &t) < 0)
		return err_set(e, 0, "malformed Retry-After");
	*seconds = t > now ? (uint64_t)(t - now) : 0;
	return 0;
}
