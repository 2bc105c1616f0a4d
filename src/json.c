/* JSON reader and writer; see json.h for the contract.
 *
 * Why a validator in front of jsmn: jsmn is a tokeniser, and even in strict
 * mode it accepts "[1,,2]", "01", "tru", "\"a\":1", raw control characters,
 * invalid UTF-8 and two top-level values.  So the document is first checked
 * against the RFC 8259 grammar by the recursive-descent validator below
 * (bounded depth, no allocation), which also counts the tokens jsmn will
 * produce; jsmn then indexes the already-valid text and the index is
 * cross-checked once, so a disagreement between the two can never turn into
 * a wrong answer. */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct json {
	char *doc;        /* own copy, followed by "\n\0" (see json_parse) */
	size_t len;       /* document length, without the added "\n" */
	jsmntok_t *tok;
	int ntok;
	/* children of token i (document order) are kids[kid0[i] .. kid0[i+1]);
	 * an object's children are its keys, a key's child is its value,
	 * which is always the key's index + 1 */
	int *kid0;
	int *kids;
};

/* ---- UTF-8 ---- */

static size_t utf8_put(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Four hex digits at s[0..n) -> code unit, or -1. */
static long hex4(const unsigned char *s, size_t n)
{
	long v = 0;
	int i, h;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		h = text_hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* ---- validator ---- */

struct vp {
	const unsigned char *s;
	size_t len, pos;
	size_t ntok, max_tok;
	struct err *e;
};

static int vp_fail(struct vp *v, size_t at, const char *what)
{
	if (at >= v->len)
		return err_set(v->e, 0, "invalid JSON at byte %zu (end of input): %s",
			       at, what);
	return err_set(v->e, 0, "invalid JSON at byte %zu: %s", at, what);
}

static int vp_peek(const struct vp *v)
{
	return v->pos < v->len ? v->s[v->pos] : -1;
}

static void vp_ws(struct vp *v)
{
	while (v->pos < v->len) {
		unsigned char c = v->s[v->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		v->pos++;
	}
}

static int vp_token(struct vp *v)
{
	if (++v->ntok > v->max_tok)
		return err_set(v->e, 0, "JSON document too large: more than %zu tokens",
			       v->max_tok);
	return 0;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* \uXXXX at pos (pointing at the 'u'); pairs surrogates. */
static int vp_uescape(struct vp *v)
{
	size_t at = v->pos - 1;
	long hi, lo;

	hi = hex4(v->s + v->pos + 1, v->len - v->pos - 1);
	if (hi < 0)
		return vp_fail(v, at, "invalid \\u escape: four hex digits expected");
	v->pos += 5;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return vp_fail(v, at, "lone low surrogate in \\u escape");
	if (hi < 0xD800 || hi > 0xDBFF)
		return 0;
	if (v->len - v->pos < 6 || v->s[v->pos] != '\\' || v->s[v->pos + 1] != 'u')
		return vp_fail(v, at, "lone high surrogate in \\u escape");
	lo = hex4(v->s + v->pos + 2, v->len - v->pos - 2);
	if (lo < 0xDC00 || lo > 0xDFFF)
		return vp_fail(v, at, "lone high surrogate in \\u escape");
	v->pos += 6;
	return 0;
}

static int vp_escape(struct vp *v)
{
	size_t at = v->pos;

	v->pos++; /* the backslash */
	if (v->pos >= v->len)
		return vp_fail(v, v->pos, "unterminated string");
	switch (v->s[v->pos]) {
	case '"': case '\\': case '/': case 'b':
	case 'f': case 'n': case 'r': case 't':
		v->pos++;
		return 0;
	case 'u':
		return vp_uescape(v);
	}
	return vp_fail(v, at, "invalid escape in string");
}

/* A string at pos (pointing at the opening quote). */
static int vp_string(struct vp *v)
{
	size_t start = v->pos, k;
	unsigned char c;

	v->pos++;
	while (v->pos < v->len) {
		c = v->s[v->pos];
		if (c == '"') {
			v->pos++;
			return 0;
		}
		if (c == '\\') {
			if (vp_escape(v) < 0)
				return -1;
			continue;
		}
		if (c < 0x20)
			return vp_fail(v, v->pos, "raw control character in string");
		k = text_utf8_len(v->s + v->pos, v->len - v->pos);
		if (!k)
			return vp_fail(v, v->pos, "invalid UTF-8 in string");
		v->pos += k;
	}
	return vp_fail(v, start, "unterminated string");
}

static void vp_digits(struct vp *v)
{
	while (is_digit(vp_peek(v)))
		v->pos++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int vp_number(struct vp *v)
{
	if (vp_peek(v) == '-')
		v->pos++;
	if (vp_peek(v) == '0') {
		v->pos++;
		if (is_digit(vp_peek(v)))
			return vp_fail(v, v->pos - 1, "leading zero in number");
	} else if (is_digit(vp_peek(v))) {
		vp_digits(v);
	} else {
		return vp_fail(v, v->pos, "invalid number: digit expected");
	}
	if (vp_peek(v) == '.') {
		v->pos++;
		if (!is_digit(vp_peek(v)))
			return vp_fail(v, v->pos, "invalid number: digit expected after '.'");
		vp_digits(v);
	}
	if (vp_peek(v) == 'e' || vp_peek(v) == 'E') {
		v->pos++;
		if (vp_peek(v) == '+' || vp_peek(v) == '-')
			v->pos++;
		if (!is_digit(vp_peek(v)))
			return vp_fail(v, v->pos, "invalid number: digit expected in exponent");
		vp_digits(v);
	}
	return 0;
}

static int is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       c == '_';
}

static int vp_literal(struct vp *v, const char *lit)
{
	size_t n = strlen(lit);

	if (v->len - v->pos < n || memcmp(v->s + v->pos, lit, n) != 0 ||
	    is_word(v->pos + n < v->len ? v->s[v->pos + n] : -1))
		return vp_fail(v, v->pos, "invalid literal (true, false or null expected)");
	v->pos += n;
	return 0;
}

static int vp_value(struct vp *v, int depth);

static int vp_enter(struct vp *v, int depth)
{
	if (depth >= JSON_MAX_DEPTH)
		return err_set(v->e, 0, "invalid JSON at byte %zu: nesting deeper than %d",
			       v->pos, JSON_MAX_DEPTH);
	v->pos++;
	vp_ws(v);
	return 0;
}

static int vp_object(struct vp *v, int depth)
{
	if (vp_enter(v, depth) < 0)
		return -1;
	if (vp_peek(v) == '}') {
		v->pos++;
		return 0;
	}
	for (;;) {
		if (vp_peek(v) != '"')
			return vp_fail(v, v->pos, "expected string key");
		if (vp_token(v) < 0 || vp_string(v) < 0)
			return -1;
		vp_ws(v);
		if (vp_peek(v) != ':')
			return vp_fail(v, v->pos, "expected ':'");
		v->pos++;
		vp_ws(v);
		if (vp_value(v, depth + 1) < 0)
			return -1;
		vp_ws(v);
		if (vp_peek(v) == '}') {
			v->pos++;
			return 0;
		}
		if (vp_peek(v) != ',')
			return vp_fail(v, v->pos, "expected ',' or '}'");
		v->pos++;
		vp_ws(v);
	}
}

static int vp_array(struct vp *v, int depth)
{
	if (vp_enter(v, depth) < 0)
		return -1;
	if (vp_peek(v) == ']') {
		v->pos++;
		return 0;
	}
	for (;;) {
		if (vp_value(v, depth + 1) < 0)
			return -1;
		vp_ws(v);
		if (vp_peek(v) == ']') {
			v->pos++;
			return 0;
		}
		if (vp_peek(v) != ',')
			return vp_fail(v, v->pos, "expected ',' or ']'");
		v->pos++;
		vp_ws(v);
	}
}

/* One value at pos (whitespace already skipped); depth = enclosing
 * containers, so recursion is bounded by JSON_MAX_DEPTH. */
static int vp_value(struct vp *v, int depth)
{
	int c = vp_peek(v);

	if (vp_token(v) < 0)
		return -1;
	switch (c) {
	case '{':
		return vp_object(v, depth);
	case '[':
		return vp_array(v, depth);
	case '"':
		return vp_string(v);
	case 't':
		return vp_literal(v, "true");
	case 'f':
		return vp_literal(v, "false");
	case 'n':
		return vp_literal(v, "null");
	}
	if (c == '-' || is_digit(c))
		return vp_number(v);
	return vp_fail(v, v->pos, "expected a value");
}

/* Validate buf[0..len); *ntok receives the number of jsmn tokens. */
static int validate(const char *buf, size_t len, size_t max_tok, size_t *ntok,
		    struct err *e)
{
	struct vp v = { (const unsigned char *)buf, len, 0, 0, max_tok, e };

	if (len > JSON_MAX_LEN)
		return err_set(e, 0, "JSON document too large: %zu bytes, limit %zu",
			       len, JSON_MAX_LEN);
	vp_ws(&v);
	if (v.pos == len)
		return vp_fail(&v, v.pos, "empty document, expected a value");
	if (vp_value(&v, 0) < 0)
		return -1;
	vp_ws(&v);
	if (v.pos != len)
		return vp_fail(&v, v.pos, "unexpected data after the top-level value");
	*ntok = v.ntok;
	return 0;
}

int json_validate(const char *buf, size_t len, struct err *e)
{
	size_t n;

	return validate(buf, len, JSON_DEFAULT_MAX_TOKENS, &n, e);
}

/* ---- index ---- */

static int disagree(struct err *e, int i)
{
	return err_set(e, 0, "JSON tokeniser disagrees with validator at token %d", i);
}

/* Children lists by parent, document order kept (counting sort). */
static int build_kids(struct json *j, struct err *e)
{
	int i, p, n = j->ntok;

	j->kid0 = calloc((size_t)n + 2, sizeof *j->kid0);
	j->kids = calloc((size_t)n, sizeof *j->kids);
	if (!j->kid0 || !j->kids)
		return err_set(e, ENOMEM, "index JSON document");
	for (i = 0; i < n; i++) {
		p = j->tok[i].parent;
		if ((i == 0) != (p == -1) || p >= i)
			return disagree(e, i);
		if (p >= 0)
			j->kid0[p + 2]++;
	}
	for (i = 2; i < n + 2; i++)
		j->kid0[i] += j->kid0[i - 1];
	for (i = 1; i < n; i++)
		j->kids[j->kid0[j->tok[i].parent + 1]++] = i;
	return 0;
}

static int nkids(const struct json *j, int i)
{
	return j->kid0[i + 1] - j->kid0[i];
}

/* The structure json.c relies on, checked once per document. */
static int check_token(const struct json *j, int i, struct err *e)
{
	const jsmntok_t *t = &j->tok[i];
	int k, c, in_obj;

	if (t->start < 0 || t->end < t->start || (size_t)t->end > j->len ||
	    nkids(j, i) != t->size)
		return disagree(e, i);
	in_obj = t->parent >= 0 && j->tok[t->parent].type == JSMN_OBJECT;
	switch (t->type) {
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		if (in_obj || j->doc[t->start] != (t->type == JSMN_OBJECT ? '{' : '['))
			return disagree(e, i);
		for (k = j->kid0[i]; k < j->kid0[i + 1]; k++) {
			c = j->kids[k];
			if (t->type == JSMN_OBJECT && j->tok[c].type != JSMN_STRING)
				return disagree(e, i);
		}
		return 0;
	case JSMN_STRING:
		if (t->start < 1 || j->doc[t->start - 1] != '"' || j->doc[t->end] != '"')
			return disagree(e, i);
		/* a key has exactly its value, right after it */
		if (in_obj != (t->size == 1) ||
		    (in_obj && (i + 1 >= j->ntok || j->tok[i + 1].parent != i)))
			return disagree(e, i);
		return 0;
	case JSMN_PRIMITIVE:
		if (in_obj || t->size != 0 || t->end == t->start ||
		    !strchr("-0123456789tfn", j->doc[t->start]))
			return disagree(e, i);
		return 0;
	default:
		return disagree(e, i);
	}
}

static int tokenise(struct json *j, size_t ntok, struct err *e)
{
	jsmn_parser p;
	int r, i;

	/* jsmn 1.1.0 in strict mode reports a bare top-level number as
	 * incomplete unless a delimiter follows it: hence the "\n" we added */
	jsmn_init(&p);
	r = jsmn_parse(&p, j->doc, j->len + 1, NULL, 0);
	if (r < 0 || (size_t)r != ntok)
		return disagree(e, r);
	j->tok = calloc(ntok, sizeof *j->tok);
	if (!j->tok)
		return err_set(e, ENOMEM, "index JSON document");
	jsmn_init(&p);
	r = jsmn_parse(&p, j->doc, j->len + 1, j->tok, (unsigned)ntok);
	if (r < 0 || (size_t)r != ntok)
		return disagree(e, r);
	j->ntok = r;
	if (build_kids(j, e) < 0)
		return -1;
	for (i = 0; i < j->ntok; i++)
		if (check_token(j, i, e) < 0)
			return -1;
	return 0;
}

int json_parse_limits(struct json **out, const char *buf, size_t len,
		      size_t max_tokens, struct err *e)
{
	struct json *j;
	size_t ntok;

	*out = NULL;
	if (!max_tokens)
		max_tokens = JSON_DEFAULT_MAX_TOKENS;
	if (max_tokens > INT32_MAX / 2)
		max_tokens = INT32_MAX / 2;
	if (validate(buf, len, max_tokens, &ntok, e) < 0)
		return -1;
	j = calloc(1, sizeof *j);
	if (!j || !(j->doc = malloc(len + 2))) {
		free(j);
		return err_set(e, ENOMEM, "copy JSON document");
	}
	memcpy(j->doc, buf, len);
	j->doc[len] = '\n';
	j->doc[len + 1] = '\0';
	j->len = len;
	if (tokenise(j, ntok, e) < 0) {
		json_free(j);
		return -1;
	}
	*out = j;
	return 0;
}

int json_parse(struct json **out, const char *buf, size_t len, struct err *e)
{
	return json_parse_limits(out, buf, len, JSON_DEFAULT_MAX_TOKENS, e);
}

void json_free(struct json *j)
{
	if (!j)
		return;
	free(j->doc);
	free(j->tok);
	free(j->kid0);
	free(j->kids);
	free(j);
}

/* ---- access ---- */

static int has(const struct json *j, int node)
{
	return j && node >= 0 && node < j->ntok;
}

int json_root(const struct json *j)
{
	return j && j->ntok > 0 ? 0 : -1;
}

enum json_kind json_kind(const struct json *j, int node)
{
	if (!has(j, node))
		return JSON_ABSENT;
	switch (j->tok[node].type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	case JSMN_PRIMITIVE:
		switch (j->doc[j->tok[node].start]) {
		case 't': case 'f':
			return JSON_BOOL;
		case 'n':
			return JSON_NULL;
		}
		return JSON_NUMBER;
	default:
		return JSON_ABSENT;
	}
}

size_t json_count(const struct json *j, int node)
{
	enum json_kind k = json_kind(j, node);

	if (k != JSON_ARRAY && k != JSON_OBJECT)
		return 0;
	return (size_t)nkids(j, node);
}

int json_at(const struct json *j, int arr, size_t i)
{
	if (json_kind(j, arr) != JSON_ARRAY || i >= (size_t)nkids(j, arr))
		return -1;
	return j->kids[j->kid0[arr] + (int)i];
}

int json_member(const struct json *j, int obj, size_t i, int *key_node)
{
	int k;

	if (key_node)
		*key_node = -1;
	if (json_kind(j, obj) != JSON_OBJECT || i >= (size_t)nkids(j, obj))
		return -1;
	k = j->kids[j->kid0[obj] + (int)i];
	if (key_node)
		*key_node = k;
	return k + 1;
}

/* Decode the next character of the (validated) string body s[*i..end)
 * into out; returns its byte count. */
static size_t str_next(const unsigned char *s, size_t end, size_t *i,
		       unsigned char out[4])
{
	size_t k = *i;
	long hi, lo;

	if (s[k] != '\\') {
		out[0] = s[k];
		*i = k + 1;
		return 1;
	}
	*i = k + 2;
	switch (s[k + 1]) {
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u': break;
	default: out[0] = s[k + 1]; return 1; /* " \ / */
	}
	hi = hex4(s + k + 2, end - k - 2);
	*i = k + 6;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		lo = hex4(s + k + 8, end - k - 8);
		*i = k + 12;
		return utf8_put(out, 0x10000 + (((uint32_t)hi - 0xD800) << 10) +
				     ((uint32_t)lo - 0xDC00));
	}
	return utf8_put(out, (uint32_t)hi);
}

/* Does string node's unescaped value equal s[0..n)? */
static int str_eq_n(const struct json *j, int node, const char *s, size_t n)
{
	const unsigned char *d = (const unsigned char *)j->doc;
	size_t i = (size_t)j->tok[node].start, end = (size_t)j->tok[node].end;
	size_t at = 0, k, m;
	unsigned char ch[4];

	while (i < end) {
		m = str_next(d, end, &i, ch);
		if (n - at < m)
			return 0;
		for (k = 0; k < m; k++)
			if ((unsigned char)s[at + k] != ch[k])
				return 0;
		at += m;
	}
	return at == n;
}

int json_str_eq(const struct json *j, int node, const char *s)
{
	if (json_kind(j, node) != JSON_STRING || !s)
		return 0;
	return str_eq_n(j, node, s, strlen(s));
}

static int get_n(const struct json *j, int obj, const char *key, size_t n)
{
	int k, found = -1;

	if (json_kind(j, obj) != JSON_OBJECT)
		return -1;
	/* the last duplicate wins, as in Go: see json.h */
	for (k = j->kid0[obj]; k < j->kid0[obj + 1]; k++)
		if (str_eq_n(j, j->kids[k], key, n))
			found = j->kids[k] + 1;
	return found;
}

int json_get(const struct json *j, int obj, const char *key)
{
	if (!key)
		return -1;
	return get_n(j, obj, key, strlen(key));
}

int json_getpath(const struct json *j, int node, const char *path)
{
	const char *dot;
	size_t n;

	if (!path || !has(j, node))
		return -1;
	if (!*path)
		return node;
	for (;;) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (!n)
			return -1;
		node = get_n(j, node, path, n);
		if (!dot || node < 0)
			return node;
		path = dot + 1;
	}
}

char *json_str(const struct json *j, int node)
{
	const unsigned char *d;
	size_t i, end, at = 0, m, k;
	unsigned char ch[4];
	char *out;

	if (json_kind(j, node) != JSON_STRING)
		return NULL;
	d = (const unsigned char *)j->doc;
	i = (size_t)j->tok[node].start;
	end = (size_t)j->tok[node].end;
	/* unescaping never makes a string longer */
	out = malloc(end - i + 1);
	if (!out)
		return NULL;
	while (i < end) {
		m = str_next(d, end, &i, ch);
		for (k = 0; k < m; k++) {
			if (!ch[k]) {
				free(out);
				return NULL;
			}
			out[at++] = (char)ch[k];
		}
	}
	out[at] = '\0';
	return out;
}

int json_int64(const struct json *j, int node, int64_t *out)
{
	const char *p;
	size_t i = 0, n;
	uint64_t v = 0, lim;
	int neg = 0;

	if (json_kind(j, node) != JSON_NUMBER)
		return -1;
	p = j->doc + j->tok[node].start;
	n = (size_t)(j->tok[node].end - j->tok[node].start);
	if (p[0] == '-') {
		neg = 1;
		i = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!is_digit(p[i]))
			return -1; /* fraction or exponent */
		if (v > (lim - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (neg)
		*out = v ? -(int64_t)(v - 1) - 1 : 0;
	else
		*out = (int64_t)v;
	return 0;
}

int json_bool(const struct json *j, int node, int *out)
{
	if (json_kind(j, node) != JSON_BOOL)
		return -1;
	*out = j->doc[j->tok[node].start] == 't';
	return 0;
}

const char *json_raw(const struct json *j, int node, size_t *len)
{
	int s, t;

	*len = 0;
	if (!has(j, node))
		return NULL;
	s = j->tok[node].start;
	t = j->tok[node].end;
	if (j->tok[node].type == JSMN_STRING) {
		s--;
		t++;
	}
	*len = (size_t)(t - s);
	return j->doc + s;
}

/* ---- writer ---- */

enum { JW_OBJ = 1, JW_ITEMS = 2 };

int json_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run = 0;
	unsigned char c;
	const char *esc;
	char tmp[8];

	if (!text_utf8_valid(u, n))
		return -1;
	for (i = 0; i < n; i++) {
		c = u[i];
		esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (!esc && (c < 0x20 || c == 0x7f)) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			esc = tmp;
		}
		/* U+2028 / U+2029 end a line in JavaScript */
		if (c == 0xE2 && n - i >= 3 && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
			esc = u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
			buf_append(b, s + i - run, run);
			buf_puts(b, esc);
			run = 0;
			i += 2;
			continue;
		}
		if (!esc) {
			run++;
			continue;
		}
		buf_append(b, s + i - run, run);
		buf_puts(b, esc);
		run = 0;
	}
	buf_append(b, s + n - run, run);
	return b->oom ? -1 : 0;
}

void jw_init(struct jw *w, struct buf *b, int pretty)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->pretty = pretty;
}

int jw_finish(const struct jw *w)
{
	if (w->bad || w->b->oom || w->depth || w->want_value || w->nvalues != 1)
		return -1;
	return 0;
}

static int jw_fail(struct jw *w)
{
	w->bad = 1;
	return -1;
}

static void jw_newline(struct jw *w, int depth)
{
	int i;

	buf_putc(w->b, '\n');
	for (i = 0; i < depth; i++)
		buf_append(w->b, "  ", 2);
}

/* Separator and indentation before a value; refuses a misplaced one. */
static int jw_pre(struct jw *w)
{
	unsigned char *l;

	if (w->bad || w->b->oom)
		return -1;
	if (w->depth == 0)
		return w->nvalues ? jw_fail(w) : 0;
	l = &w->lvl[w->depth - 1];
	if (*l & JW_OBJ)
		return w->want_value ? 0 : jw_fail(w);
	if (*l & JW_ITEMS)
		buf_putc(w->b, ',');
	if (w->pretty)
		jw_newline(w, w->depth);
	*l |= JW_ITEMS;
	return 0;
}

static int jw_post(struct jw *w)
{
	w->want_value = 0;
	if (w->depth == 0)
		w->nvalues++;
	return w->b->oom ? -1 : 0;
}

static int jw_quoted(struct jw *w, const char *s, size_t n)
{
	buf_putc(w->b, '"');
	if (json_escape(w->b, s, n) < 0)
		return w->b->oom ? -1 : jw_fail(w);
	buf_putc(w->b, '"');
	return w->b->oom ? -1 : 0;
}

static int jw_begin(struct jw *w, int obj)
{
	if (jw_pre(w) < 0)
		return -1;
	if (w->depth >= JSON_MAX_DEPTH)
		return jw_fail(w);
	buf_putc(w->b, obj ? '{' : '[');
	w->lvl[w->depth++] = obj ? JW_OBJ : 0;
	w->want_value = 0; /* the key's value has begun */
	return w->b->oom ? -1 : 0;
}

static int jw_end(struct jw *w, int obj)
{
	unsigned char l;

	if (w->bad || w->b->oom)
		return -1;
	if (!w->depth || w->want_value)
		return jw_fail(w);
	l = w->lvl[w->depth - 1];
	if (!(l & JW_OBJ) != !obj)
		return jw_fail(w);
	w->depth--;
	if ((l & JW_ITEMS) && w->pretty)
		jw_newline(w, w->depth);
	buf_putc(w->b, obj ? '}' : ']');
	return jw_post(w);
}

int jw_begin_obj(struct jw *w) { return jw_begin(w, 1); }
int jw_end_obj(struct jw *w) { return jw_end(w, 1); }
int jw_begin_arr(struct jw *w) { return jw_begin(w, 0); }
int jw_end_arr(struct jw *w) { return jw_end(w, 0); }

int jw_keyn(struct jw *w, const char *k, size_t n)
{
	unsigned char *l;

	if (w->bad || w->b->oom)
		return -1;
	if (!k || !w->depth || w->want_value)
		return jw_fail(w);
	l = &w->lvl[w->depth - 1];
	if (!(*l & JW_OBJ))
		return jw_fail(w);
	if (!text_utf8_valid(k, n))
		return jw_fail(w);
	if (*l & JW_ITEMS)
		buf_putc(w->b, ',');
	if (w->pretty)
		jw_newline(w, w->depth);
	*l |= JW_ITEMS;
	if (jw_quoted(w, k, n) < 0)
		return -1;
	buf_puts(w->b, w->pretty ? ": " : ":");
	w->want_value = 1;
	return w->b->oom ? -1 : 0;
}

int jw_key(struct jw *w, const char *k)
{
	return jw_keyn(w, k, k ? strlen(k) : 0);
}

int jw_strn(struct jw *w, const char *s, size_t n)
{
	if (w->bad || w->b->oom)
		return -1;
	if (!s || !text_utf8_valid(s, n))
		return jw_fail(w);
	if (jw_pre(w) < 0 || jw_quoted(w, s, n) < 0)
		return -1;
	return jw_post(w);
}

int jw_str(struct jw *w, const char *s)
{
	return jw_strn(w, s, s ? strlen(s) : 0);
}

int jw_int(struct jw *w, int64_t v)
{
	if (jw_pre(w) < 0)
		return -1;
	buf_appendf(w->b, "%" PRId64, v);
	return jw_post(w);
}

int jw_uint(struct jw *w, uint64_t v)
{
	if (jw_pre(w) < 0)
		return -1;
	buf_appendf(w->b, "%" PRIu64, v);
	return jw_post(w);
}

int jw_bool(struct jw *w, int v)
{
	if (jw_pre(w) < 0)
		return -1;
	buf_puts(w->b, v ? "true" : "false");
	return jw_post(w);
}

int jw_null(struct jw *w)
{
	if (jw_pre(w) < 0)
		return -1;
	buf_puts(w->b, "null");
	return jw_post(w);
}

int jw_raw(struct jw *w, const char *text, size_t n)
{
	struct err e;

	if (w->bad || w->b->oom)
		return -1;
	if (!text || json_validate(text, n, &e) < 0)
		return jw_fail(w);
	if (jw_pre(w) < 0)
		return -1;
	buf_append(w->b, text, n);
	return jw_post(w);
}
