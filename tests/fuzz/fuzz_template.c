/* Fuzz target for src/template.c.
 *
 * fuzz_template: the first byte picks the mode (odd: json_mode), the rest
 * is the template.  Expansion must agree with template_scan() on syntax,
 * leave the output untouched on failure, succeed whenever every name is
 * known (in json mode, except the two documented refusals), report unknown
 * names when none is known, and never re-expand a value.
 * Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "template.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Every name is known; the value depends on its first letter so that
 * quotes, backslashes, control bytes, '$' and invalid UTF-8 all occur. */
static int lookup_all(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx, (void)len;
	switch (name[0]) {
	case 'Q': *value = "\"\\\n]},\x01"; break;
	case 'B': *value = "\xff\xfe"; break;
	case 'D': *value = "$$X ${Y}"; break;
	case 'N': *value = NULL; break;
	default: *value = "v"; break;
	}
	return 1;
}

static int lookup_none(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx, (void)name, (void)len, (void)value;
	return 0;
}

static int count_refs(void *ctx, const char *name, size_t len, struct err *e)
{
	(void)name, (void)len, (void)e;
	(*(size_t *)ctx)++;
	return 0;
}

int fuzz_template(const uint8_t *data, size_t size)
{
	struct buf out;
	struct err es, ex;
	size_t refs = 0, n;
	const char *t;
	int json, rs, rx;

	if (size < 1)
		return 0;
	json = data[0] & 1;
	t = (const char *)data + 1;
	n = size - 1;
	buf_init(&out);
	buf_puts(&out, "KEEP");

	rs = template_scan(t, n, count_refs, &refs, &es);
	rx = template_expand(t, n, json, lookup_all, NULL, &out, &ex);
	if (rs < 0)
		CHECK(rx < 0 && !strcmp(es.msg, ex.msg));
	if (rx < 0)
		CHECK(out.len == 4 && !memcmp(out.data, "KEEP", 4));
	if (rs == 0 && rx < 0)
		CHECK(json && (strstr(ex.msg, "follows a backslash inside a JSON string") ||
			       strstr(ex.msg, "is not valid UTF-8")));
	if (rs == 0 && !json) {
		/* values come back verbatim: "$$X ${Y}" is never expanded again */
		CHECK(rx == 0);
		CHECK(out.len >= 4 && !memcmp(out.data, "KEEP", 4));
	}
	buf_free(&out);

	buf_init(&out);
	rx = template_expand(t, n, json, lookup_none, NULL, &out, &ex);
	if (rs == 0 && refs == 0)
		CHECK(rx == 0 && out.len <= n);
	if (rs == 0 && refs > 0)
		CHECK(rx < 0 && (!strncmp(ex.msg, "unknown variable", 16) ||
				 strstr(ex.msg, "follows a backslash")));
	if (rx < 0)
		CHECK(out.len == 0);
	buf_free(&out);
	return 0;
}
