#include "template.h"

#include <errno.h>
#include <string.h>

#include "json.h"

static int name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* One reference starting at buf[i] == '$'.  On return (*name, *nlen) is the
 * variable (nlen == 0 for `$$`) and *next the offset just past it. */
static int next_ref(const char *buf, size_t len, size_t i, const char **name, size_t *nlen,
		    size_t *next, struct err *e)
{
	size_t start, end;
	int braced;

	if (i + 1 < len && buf[i + 1] == '$') {
		*name = buf + i;
		*nlen = 0;
		*next = i + 2;
		return 0;
	}
	braced = i + 1 < len && buf[i + 1] == '{';
	start = i + 1 + braced;
	end = start;
	if (end < len && name_start(buf[end]))
		while (end < len && name_char(buf[end]))
			end++;
	if (end == start || (braced && (end >= len || buf[end] != '}')))
		return err_set(e, 0, "invalid '$' at byte %zu: expected $NAME, ${NAME} or $$", i);
	if (end - start > TEMPLATE_MAX_NAME)
		return err_set(e, 0, "variable name at byte %zu longer than %d bytes", i,
			       TEMPLATE_MAX_NAME);
	*name = buf + start;
	*nlen = end - start;
	*next = end + braced;
	return 0;
}

int template_scan(const char *buf, size_t len, template_var_fn fn, void *ctx, struct err *e)
{
	const char *name;
	size_t i = 0, nlen, next;

	while (i < len) {
		const char *d = memchr(buf + i, '$', len - i);
		if (!d)
			break;
		i = (size_t)(d - buf);
		if (next_ref(buf, len, i, &name, &nlen, &next, e) < 0)
			return -1;
		if (nlen && fn && fn(ctx, name, nlen, e) < 0)
			return -1;
		i = next;
	}
	return 0;
}

/* ---- expansion ---- */

/* Unknown names, pointing into the template: no allocation, bounded. */
struct unknowns {
	const char *name[TEMPLATE_MAX_UNKNOWN];
	size_t len[TEMPLATE_MAX_UNKNOWN];
	size_t n;
	int more;
};

static void unknown_add(struct unknowns *u, const char *name, size_t len)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->len[i] == len && !memcmp(u->name[i], name, len))
			return;
	if (u->n == TEMPLATE_MAX_UNKNOWN) {
		u->more = 1;
		return;
	}
	u->name[u->n] = name;
	u->len[u->n++] = len;
}

static int unknown_error(const struct unknowns *u, struct err *e)
{
	/* 32 names of at most 128 bytes each can exceed e->msg: build, then
	 * let err_set truncate the one line. */
	char list[TEMPLATE_MAX_UNKNOWN * (TEMPLATE_MAX_NAME + 2) + 8];
	size_t off = 0;

	for (size_t i = 0; i < u->n; i++) {
		if (i) {
			memcpy(list + off, ", ", 2);
			off += 2;
		}
		memcpy(list + off, u->name[i], u->len[i]);
		off += u->len[i];
	}
	if (u->more) {
		memcpy(list + off, ", ...", 5);
		off += 5;
	}
	list[off] = '\0';
	return err_set(e, 0, "unknown variable%s %s", u->n > 1 ? "s" : "", list);
}

/* Where the template text stands, as JSON. */
enum jstate { J_OUT, J_STR, J_ESC };

static enum jstate json_step(enum jstate s, char c)
{
	switch (s) {
	case J_OUT:
		return c == '"' ? J_STR : J_OUT;
	case J_STR:
		return c == '\\' ? J_ESC : c == '"' ? J_OUT : J_STR;
	default:
		return J_STR;
	}
}

static int insert_value(struct buf *out, enum jstate s, const char *name, size_t nlen,
			const char *v, struct err *e)
{
	if (!v)
		v = "";
	if (s == J_OUT) {
		buf_puts(out, v);
		return 0;
	}
	if (json_escape(out, v, strlen(v)) < 0 && !out->oom)
		return err_set(e, 0, "variable %.*s: value is not valid UTF-8 (it lands inside a "
			       "JSON string)", (int)nlen, name);
	return 0;
}

struct expander {
	int json_mode;
	template_lookup_fn fn;
	void *ctx;
	struct buf *out;
	enum jstate js;
	struct unknowns unknown;
};

/* One reference at buf[i]; *next receives the offset past it. */
static int expand_ref(struct expander *x, const char *buf, size_t len, size_t i, size_t *next,
		      struct err *e)
{
	const char *name, *v = NULL;
	size_t nlen;

	if (next_ref(buf, len, i, &name, &nlen, next, e) < 0)
		return -1;
	if (!nlen) {
		buf_putc(x->out, '$');
		if (x->js == J_ESC)
			x->js = J_STR; /* "\$" is invalid JSON: the caller's parse says so */
		return 0;
	}
	if (x->js == J_ESC)
		return err_set(e, 0, "variable %.*s at byte %zu follows a backslash inside a JSON "
			       "string", (int)nlen, name, i);
	if (!x->fn || !x->fn(x->ctx, name, nlen, &v)) {
		unknown_add(&x->unknown, name, nlen);
		return 0;
	}
	return insert_value(x->out, x->json_mode ? x->js : J_OUT, name, nlen, v, e);
}

int template_expand(const char *buf, size_t len, int json_mode, template_lookup_fn fn,
		    void *ctx, struct buf *out, struct err *e)
{
	struct expander x = { .json_mode = json_mode, .fn = fn, .ctx = ctx, .out = out,
			      .js = J_OUT };
	size_t orig = out->len, i = 0, lit = 0;
	int r = 0;

	/* syntax errors first, wherever they are: one answer for one file */
	if (template_scan(buf, len, NULL, NULL, e) < 0)
		return -1;
	while (i < len && r == 0) {
		if (buf[i] != '$') {
			if (json_mode)
				x.js = json_step(x.js, buf[i]);
			i++;
			continue;
		}
		buf_append(out, buf + lit, i - lit);
		r = expand_ref(&x, buf, len, i, &i, e);
		lit = i;
	}
	if (r == 0)
		buf_append(out, buf + lit, len - lit);
	if (r == 0 && x.unknown.n)
		r = unknown_error(&x.unknown, e);
	if (r == 0 && out->oom)
		r = err_set(e, ENOMEM, "expanding template");
	if (r < 0)
		buf_truncate(out, orig);
	return r;
}
