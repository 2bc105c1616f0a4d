/* The TOML subset reader of toml.h: one pass over the bytes, building a
 * tree of nodes in an arena that toml_free() releases at once. */
#include "toml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

enum {
	F_DEFINED = 1,   /* a [header] or an inline table defined it */
	F_IMPLICIT = 2,  /* created on the way to a deeper [a.b] header */
	F_AOT = 4,       /* an array made by [[headers]] */
	F_INLINE = 8,    /* inline table or array value: closed for additions */
	F_DOTTED = 16,   /* created by a dotted key */
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct toml_doc {
	struct toml_node root;
	struct chunk *chunks;
	size_t nodes;
};

struct parser {
	const char *p, *end;
	unsigned line;
	struct toml_doc *d;
	struct err *e;
};

/* ---- arena ---- */

static void *arena(struct toml_doc *d, size_t n)
{
	struct chunk *c = d->chunks;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);

	if (!c || c->cap - c->used < need) {
		size_t cap = need > 16384 ? need : 16384;
		if (!(c = malloc(sizeof *c + cap)))
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = d->chunks;
		d->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

void toml_free(struct toml_doc *d)
{
	if (!d)
		return;
	for (struct chunk *c = d->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(d);
}

/* ---- errors and characters ---- */

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(ps->e, 0, "line %u: %s", ps->line, msg);
}

static int at(const struct parser *ps, char c)
{
	return ps->p < ps->end && *ps->p == c;
}

static int is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A control character TOML allows nowhere but as a tab or a line end. */
static int is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* A byte as a message may show it: printable ASCII, else '?'. */
static char shown(char c)
{
	return c > 0x20 && c < 0x7f ? c : '?';
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static int skip_comment(struct parser *ps)
{
	if (!at(ps, '#'))
		return 0;
	for (; ps->p < ps->end && *ps->p != '\n'; ps->p++)
		if (is_control((unsigned char)*ps->p) && *ps->p != '\r')
			return fail(ps, "control character in a comment");
	return 0;
}

/* A line end ("\n" or "\r\n"): 1 consumed, 0 none here, -1 a lone CR. */
static int newline(struct parser *ps)
{
	if (at(ps, '\r')) {
		if (ps->p + 1 >= ps->end || ps->p[1] != '\n')
			return fail(ps, "carriage return without a line feed");
		ps->p++;
	}
	if (!at(ps, '\n'))
		return 0;
	ps->p++;
	ps->line++;
	return 1;
}

/* Blanks, comments and line ends, as inside an array. */
static int skip_space(struct parser *ps)
{
	for (;;) {
		int r;
		skip_ws(ps);
		if (skip_comment(ps) < 0 || (r = newline(ps)) < 0)
			return -1;
		if (!r)
			return 0;
	}
}

/* After a header or a key/value: blanks, a comment, then the line's end. */
static int end_of_line(struct parser *ps, const char *after)
{
	int r;

	skip_ws(ps);
	if (skip_comment(ps) < 0)
		return -1;
	if (ps->p == ps->end)
		return 0;
	if ((r = newline(ps)) < 0)
		return -1;
	return r ? 0 : fail(ps, "unexpected '%c' after %s", shown(*ps->p), after);
}

/* ---- nodes ---- */

static struct toml_node *node_new(struct parser *ps, enum toml_type t, const char *key)
{
	struct toml_node *n;

	if (ps->d->nodes >= TOML_MAX_NODES) {
		fail(ps, "more than %d keys and values", TOML_MAX_NODES);
		return NULL;
	}
	if (!(n = arena(ps->d, sizeof *n))) {
		err_set(ps->e, ENOMEM, "toml");
		return NULL;
	}
	memset(n, 0, sizeof *n);
	n->type = t;
	n->line = ps->line;
	n->key = key;
	ps->d->nodes++;
	return n;
}

static void append(struct toml_node *parent, struct toml_node *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
}

const struct toml_node *toml_get(const struct toml_node *table, const char *key)
{
	if (!table || table->type != TOML_TABLE)
		return NULL;
	for (const struct toml_node *n = table->child; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

const struct toml_node *toml_root(const struct toml_doc *d)
{
	return &d->root;
}

const char *toml_type_name(enum toml_type t)
{
	static const char *const names[] = { "table", "array", "string", "boolean", "integer" };
	return t <= TOML_INT ? names[t] : "value";
}

/* ---- strings ---- */

struct sbuf {
	char data[TOML_MAX_STRING + 1];
	size_t len;
};

static int sput(struct parser *ps, struct sbuf *s, const char *p, size_t n)
{
	if (s->len + n > TOML_MAX_STRING)
		return fail(ps, "string longer than %d bytes", TOML_MAX_STRING);
	memcpy(s->data + s->len, p, n);
	s->len += n;
	return 0;
}

/* \uXXXX or \UXXXXXXXX at ps->p (after the 'u'), as UTF-8. */
static int unicode_escape(struct parser *ps, struct sbuf *s, int digits)
{
	uint32_t cp = 0;
	char u[4];
	size_t n;

	for (int i = 0; i < digits; i++) {
		int h = ps->p < ps->end ? text_hexval(*ps->p) : -1;
		if (h < 0)
			return fail(ps, "\\%c needs %d hex digits", digits == 4 ? 'u' : 'U', digits);
		cp = cp << 4 | (uint32_t)h;
		ps->p++;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp < 0x80 && is_control((unsigned char)cp)))
		return fail(ps, "escape names no usable character (U+%04X)", (unsigned)cp);
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sput(ps, s, u, n);
}

static int escape(struct parser *ps, struct sbuf *s)
{
	/* no escape may make a control character but a tab: every string may
	 * end up quoted in a one-line message */
	static const char from[] = "t\"\\", to[] = "\t\"\\";
	const char *k;

	if (ps->p == ps->end)
		return fail(ps, "unterminated string");
	char c = *ps->p++;
	if (c == 'u' || c == 'U')
		return unicode_escape(ps, s, c == 'u' ? 4 : 8);
	if (c && strchr("bnfr", c))
		return fail(ps, "escape '\\%c' makes a control character", c);
	if (!c || !(k = strchr(from, c)))
		return fail(ps, "unknown escape '\\%c'", shown(c));
	return sput(ps, s, &to[k - from], 1);
}

/* A basic or literal string at ps->p (on its quote), decoded into s. */
static int string(struct parser *ps, struct sbuf *s)
{
	char q = *ps->p;

	s->len = 0;
	if (ps->end - ps->p >= 3 && ps->p[1] == q && ps->p[2] == q)
		return fail(ps, "multi-line strings are not supported");
	ps->p++;
	for (;;) {
		if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail(ps, "unterminated string");
		char c = *ps->p++;
		if (c == q)
			break;
		if (is_control((unsigned char)c))
			return fail(ps, "control character in a string");
		if (q == '"' && c == '\\') {
			if (escape(ps, s) < 0)
				return -1;
		} else if (sput(ps, s, &c, 1) < 0) {
			return -1;
		}
	}
	s->data[s->len] = '\0';
	return 0;
}

static const char *keep(struct parser *ps, const struct sbuf *s)
{
	char *p = arena(ps->d, s->len + 1);

	if (!p) {
		err_set(ps->e, ENOMEM, "toml");
		return NULL;
	}
	memcpy(p, s->data, s->len + 1);
	return p;
}

/* ---- keys ---- */

struct key {
	const char *part[TOML_MAX_DEPTH];
	size_t n;
};

static int key(struct parser *ps, struct key *k, struct sbuf *s)
{
	k->n = 0;
	for (;;) {
		skip_ws(ps);
		if (k->n == TOML_MAX_DEPTH)
			return fail(ps, "key with more than %d parts", TOML_MAX_DEPTH);
		if (at(ps, '"') || at(ps, '\'')) {
			if (string(ps, s) < 0)
				return -1;
		} else {
			const char *b = ps->p;
			while (ps->p < ps->end && is_bare((unsigned char)*ps->p))
				ps->p++;
			if (ps->p == b)
				return ps->p == ps->end ? fail(ps, "expected a key")
				       : fail(ps, "unexpected '%c' where a key was expected",
					      shown(*ps->p));
			s->len = 0;
			if (sput(ps, s, b, (size_t)(ps->p - b)) < 0)
				return -1;
			s->data[s->len] = '\0';
		}
		if (!(k->part[k->n++] = keep(ps, s)))
			return -1;
		skip_ws(ps);
		if (!at(ps, '.'))
			return 0;
		ps->p++;
	}
}

static const char *key_text(const struct key *k, char *out, size_t outsz)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < k->n && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "." : "", k->part[i]);
	return out;
}

/* The table a dotted key part leads through, creating it when missing. */
static struct toml_node *descend(struct parser *ps, struct toml_node *t, const char *name,
				 unsigned create_flags)
{
	struct toml_node *c = (struct toml_node *)toml_get(t, name);

	if (!c) {
		if (!(c = node_new(ps, TOML_TABLE, name)))
			return NULL;
		c->flags = create_flags;
		append(t, c);
		return c;
	}
	if (c->type == TOML_ARRAY && (c->flags & F_AOT) && create_flags == F_IMPLICIT)
		return c->last;
	if (c->type == TOML_TABLE && !(c->flags & F_INLINE))
		return c;
	const char *what = c->flags & F_INLINE && c->type == TOML_TABLE ? "inline table"
			   : toml_type_name(c->type);
	fail(ps, "'%s' is already defined as a%s %s", name, strchr("aeiou", what[0]) ? "n" : "",
	     what);
	return NULL;
}

/* ---- values ---- */

static int value(struct parser *ps, struct toml_node *n, int depth);

static int keyval(struct parser *ps, struct toml_node *table, int depth, struct sbuf *s)
{
	struct key k;
	struct toml_node *t = table, *v;
	char name[256];

	if (key(ps, &k, s) < 0)
		return -1;
	for (size_t i = 0; i + 1 < k.n; i++)
		if (!(t = descend(ps, t, k.part[i], F_DOTTED)))
			return -1;
	if (toml_get(t, k.part[k.n - 1]))
		return fail(ps, "key '%s' defined twice", key_text(&k, name, sizeof name));
	if (!at(ps, '='))
		return fail(ps, "expected '=' after key '%s'", key_text(&k, name, sizeof name));
	ps->p++;
	skip_ws(ps);
	if (!(v = node_new(ps, TOML_STRING, k.part[k.n - 1])) || value(ps, v, depth) < 0)
		return -1;
	append(t, v);
	return 0;
}

static int array(struct parser *ps, struct toml_node *n, int depth)
{
	n->type = TOML_ARRAY;
	n->flags = F_INLINE;
	ps->p++;
	for (;;) {
		struct toml_node *item;
		if (skip_space(ps) < 0)
			return -1;
		if (at(ps, ']'))
			break;
		if (!(item = node_new(ps, TOML_STRING, NULL)) || value(ps, item, depth + 1) < 0)
			return -1;
		append(n, item);
		if (skip_space(ps) < 0)
			return -1;
		if (at(ps, ','))
			ps->p++;
		else if (!at(ps, ']'))
			return fail(ps, "expected ',' or ']' in an array");
	}
	ps->p++;
	return 0;
}

static int inline_table(struct parser *ps, struct toml_node *n, int depth)
{
	struct sbuf *s = malloc(sizeof *s);
	int r = 0;

	if (!s)
		return err_set(ps->e, ENOMEM, "toml");
	n->type = TOML_TABLE;
	ps->p++;
	skip_ws(ps);
	if (at(ps, '}'))
		ps->p++;
	else
		for (;;) {
			if ((r = keyval(ps, n, depth + 1, s)) < 0)
				break;
			skip_ws(ps);
			if (at(ps, '}')) {
				ps->p++;
				break;
			}
			if (!at(ps, ',')) {
				r = fail(ps, "expected ',' or '}' in an inline table (which must "
					 "fit on one line)");
				break;
			}
			ps->p++;
		}
	free(s);
	n->flags = F_INLINE | F_DEFINED;
	return r;
}

static int integer(struct parser *ps, struct toml_node *n)
{
	const char *b = ps->p;
	int neg = 0, digits = 0;
	unsigned long long v = 0;

	if (at(ps, '+') || at(ps, '-'))
		neg = *ps->p++ == '-';
	if (ps->end - ps->p > 1 && ps->p[0] == '0' && is_bare((unsigned char)ps->p[1]))
		return fail(ps, "only plain decimal integers are supported");
	for (; ps->p < ps->end; ps->p++) {
		char c = *ps->p;
		if (c == '_' && digits && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
			continue;
		if (c < '0' || c > '9')
			break;
		if (v > ((unsigned long long)LLONG_MAX + 1 - (unsigned)(c - '0')) / 10)
			return fail(ps, "integer out of range");
		v = v * 10 + (unsigned)(c - '0');
		digits++;
	}
	if (ps->p < ps->end && memchr(".eE:-T", *ps->p, 6) && digits)
		return fail(ps, "floats, dates and times are not supported");
	if (!digits || (ps->p < ps->end && is_bare((unsigned char)*ps->p))) {
		ps->p = b;
		return fail(ps, "expected a value");
	}
	if (!neg && v > (unsigned long long)LLONG_MAX)
		return fail(ps, "integer out of range");
	n->type = TOML_INT;
	n->integer = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static int word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, w, n) &&
	       ((size_t)(ps->end - ps->p) == n || !is_bare((unsigned char)ps->p[n]));
}

static int value(struct parser *ps, struct toml_node *n, int depth)
{
	struct sbuf *s;
	int r;

	n->line = ps->line;
	if (depth >= TOML_MAX_DEPTH)
		return fail(ps, "values nested more than %d deep", TOML_MAX_DEPTH);
	if (ps->p == ps->end)
		return fail(ps, "expected a value");
	switch (*ps->p) {
	case '"':
	case '\'':
		if (!(s = malloc(sizeof *s)))
			return err_set(ps->e, ENOMEM, "toml");
		r = string(ps, s);
		if (!r && !(n->str = keep(ps, s)))
			r = -1;
		n->len = s->len;
		n->type = TOML_STRING;
		free(s);
		return r;
	case '[':
		return array(ps, n, depth);
	case '{':
		return inline_table(ps, n, depth);
	}
	if (word(ps, "true") || word(ps, "false")) {
		n->type = TOML_BOOL;
		n->boolean = *ps->p == 't';
		ps->p += n->boolean ? 4 : 5;
		return 0;
	}
	if (word(ps, "inf") || word(ps, "nan") || word(ps, "+inf") || word(ps, "-inf") ||
	    word(ps, "+nan") || word(ps, "-nan"))
		return fail(ps, "floats, dates and times are not supported");
	return integer(ps, n);
}

/* ---- headers ---- */

static int header(struct parser *ps, struct toml_node **cur, struct sbuf *s)
{
	int aot = ps->end - ps->p >= 2 && ps->p[1] == '[';
	struct toml_node *t = &ps->d->root, *c;
	struct key k;
	char name[256];

	ps->p += aot ? 2 : 1;
	if (key(ps, &k, s) < 0)
		return -1;
	if (!at(ps, ']') || (aot && (ps->end - ps->p < 2 || ps->p[1] != ']')))
		return fail(ps, "expected '%s' to close the table header", aot ? "]]" : "]");
	ps->p += aot ? 2 : 1;
	for (size_t i = 0; i + 1 < k.n; i++)
		if (!(t = descend(ps, t, k.part[i], F_IMPLICIT)))
			return -1;
	key_text(&k, name, sizeof name);
	c = (struct toml_node *)toml_get(t, k.part[k.n - 1]);
	if (aot) {
		if (!c) {
			if (!(c = node_new(ps, TOML_ARRAY, k.part[k.n - 1])))
				return -1;
			c->flags = F_AOT;
			append(t, c);
		} else if (c->type != TOML_ARRAY || !(c->flags & F_AOT)) {
			return fail(ps, "[[%s]]: '%s' is already defined as something else", name, name);
		}
		if (!(t = node_new(ps, TOML_TABLE, NULL)))
			return -1;
		t->flags = F_DEFINED;
		append(c, t);
	} else if (!c) {
		if (!(t = descend(ps, t, k.part[k.n - 1], F_DEFINED)))
			return -1;
	} else if (c->type == TOML_TABLE && (c->flags & F_IMPLICIT)) {
		c->flags = F_DEFINED;
		t = c;
	} else {
		return fail(ps, "table [%s] defined twice", name);
	}
	*cur = t;
	return end_of_line(ps, "the table header");
}

int toml_parse(const char *buf, size_t len, struct toml_doc **out, struct err *e)
{
	struct parser ps = { buf, buf + len, 1, NULL, e };
	struct toml_node *cur;
	struct sbuf *s;
	int r = 0;

	*out = NULL;
	if (len > TOML_MAX_INPUT)
		return err_set(e, 0, "larger than %zu bytes", TOML_MAX_INPUT);
	if (!(ps.d = calloc(1, sizeof *ps.d)) || !(s = malloc(sizeof *s))) {
		free(ps.d);
		return err_set(e, ENOMEM, "toml");
	}
	ps.d->root.type = TOML_TABLE;
	ps.d->root.flags = F_DEFINED;
	cur = &ps.d->root;
	/* a UTF-8 byte order mark is allowed before anything */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		ps.p += 3;
	while (!r) {
		if ((r = skip_space(&ps)) < 0 || ps.p == ps.end)
			break;
		if (at(&ps, '['))
			r = header(&ps, &cur, s);
		else if ((r = keyval(&ps, cur, 0, s)) == 0)
			r = end_of_line(&ps, "the value");
	}
	free(s);
	if (r < 0) {
		toml_free(ps.d);
		return -1;
	}
	*out = ps.d;
	return 0;
}
