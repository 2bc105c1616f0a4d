/* Fuzz target for src/unit.c.
 *
 * fuzz_unit: the input as a unit file (unit_wanted_by, unit_aliases: every
 * entry a safe directory name, nothing on failure), as a tmpfiles file
 * (every accepted line with an unquoted path really is below a prefix),
 * and as a bind source for tmpfiles_default_line (a simple source's line
 * must read back as that very path).  Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "unit.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char *const prefixes[] = { "/run/app", "/var/lib/app", "/srv/a b" };
/* NAME's directories, then one bind source */
static const struct tmpfiles_places places = { prefixes, 2, prefixes + 2, 1, NULL, 0 };

static void check_entries(char (*v)[UNIT_NAME_MAX], size_t n, size_t max, int dirs)
{
	CHECK(n <= max);
	for (size_t i = 0; i < n; i++) {
		size_t l = strnlen(v[i], UNIT_NAME_MAX);
		CHECK(l > 0 && l < UNIT_NAME_MAX);
		CHECK(v[i][0] != '.' && !strchr(v[i], '/') && !strchr(v[i], '%'));
		if (dirs) {
			size_t w = l >= 6 && !strcmp(v[i] + l - 6, ".wants");
			size_t r = l >= 9 && !strcmp(v[i] + l - 9, ".requires");
			size_t u = l >= 8 && !strcmp(v[i] + l - 8, ".upholds");
			CHECK(w || r || u);
		}
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(v[i], v[j]));
	}
}

static void fuzz_install(const char *s, size_t n)
{
	char v[8][UNIT_NAME_MAX];
	size_t k = 99;
	struct err e;

	if (unit_wanted_by(s, n, v, 8, &k, &e) == 0)
		check_entries(v, k, 8, 1);
	else
		CHECK(k == 0);
	k = 99;
	if (unit_aliases(s, n, v, 8, &k, &e) == 0)
		check_entries(v, k, 8, 0);
	else
		CHECK(k == 0);
}

/* The second blank-separated token of line[0..n), if it has no quotes:
 * the path exactly as tmpfiles reads it (backslashes are refused). */
static int raw_path(const char *l, size_t n, char *out, size_t cap)
{
	size_t i = 0, s, k = 0;

	while (i < n && strchr(" \t\r", l[i]))
		i++;
	while (i < n && !strchr(" \t\r", l[i]))
		i++;
	while (i < n && strchr(" \t\r", l[i]))
		i++;
	s = i;
	while (i < n && !strchr(" \t\r", l[i])) {
		if (l[i] == '"' || l[i] == '\'' || k + 1 >= cap)
			return -1;
		out[k++] = l[i++];
	}
	out[k] = '\0';
	return i > s ? 0 : -1;
}

/* p's components without "" and "." joined by '/', then "%%" -> "%". */
static void normalise(const char *p, char *out)
{
	size_t o = 0;

	while (*p) {
		const char *c;
		size_t l;
		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		l = (size_t)(p - c);
		if (l == 0 || (l == 1 && c[0] == '.'))
			continue;
		out[o++] = '/';
		for (size_t i = 0; i < l; i++) {
			out[o++] = c[i];
			if (c[i] == '%' && i + 1 < l && c[i + 1] == '%')
				i++;
		}
	}
	out[o] = '\0';
}

static void check_accepted(const char *l, size_t n)
{
	static char p[TMPFILES_PATH_MAX], q[TMPFILES_PATH_MAX];
	int ok = 0;

	if (raw_path(l, n, p, sizeof p) < 0)
		return;
	CHECK(p[0] == '/' && !strchr(p, '{') && !strstr(p, "/../") &&
	      strcmp(p + strlen(p) - (strlen(p) >= 3 ? 3 : 0), "/.."));
	normalise(p, q);
	for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
		size_t pl = strlen(prefixes[k]);
		if (!strncmp(q, prefixes[k], pl) && (q[pl] == '\0' || q[pl] == '/'))
			ok = 1;
	}
	CHECK(ok);
}

static void fuzz_tmpfiles(const char *s, size_t n)
{
	size_t i = 0;
	struct err e;

	(void)tmpfiles_check(s, n, &places, &e);
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		const char *l = s + i;
		size_t ln = end - i, k = 0;

		while (k < ln && strchr(" \t\r", l[k]))
			k++;
		if (tmpfiles_check_line(l, ln, &places, &e) == 0 && k < ln && l[k] != '#')
			check_accepted(l, ln);
		i = end + 1;
	}
}

/* A source made of harmless characters must come back through the check
 * with itself as the only prefix. */
static void fuzz_default_line(const uint8_t *data, size_t size)
{
	char src[256];
	struct buf b;
	struct err e;
	size_t n = size < sizeof src - 1 ? size : sizeof src - 1;
	int simple;

	memcpy(src, data, n);
	src[n] = '\0';
	buf_init(&b);
	if (tmpfiles_default_line(&b, src, 1, 2) == 0) {
		const char *pre[] = { src };
		const struct tmpfiles_places own = { NULL, 0, pre, 1, NULL, 0 };
		CHECK(b.len > 0 && b.data[b.len - 1] == '\n' && !memchr(b.data, '\n', b.len - 1));
		simple = !strpbrk(src, "\\\"{}*?[]") && !strstr(src, "/../") &&
			 strcmp(src + strlen(src) - (strlen(src) >= 3 ? 3 : 0), "/..");
		if (simple)
			CHECK(tmpfiles_check(b.data, b.len, &own, &e) == 0);
	} else {
		CHECK(b.len == 0);
	}
	buf_free(&b);
}

int fuzz_unit(const uint8_t *data, size_t size)
{
	fuzz_install((const char *)data, size);
	fuzz_tmpfiles((const char *)data, size);
	fuzz_default_line(data, size);
	return 0;
}
