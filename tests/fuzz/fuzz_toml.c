/* Fuzz target for the TOML reader (src/toml.c) and registries.conf on top
 * of it (src/regconf.c).
 *
 * fuzz_toml: the input parsed as TOML from an exact-size copy (no NUL to
 *   lean on); every node of the tree is checked (strings NUL-terminated at
 *   their length with no NUL inside, lines within the document, only
 *   tables and arrays having children); then the same bytes merged as a
 *   registries.conf, and, when they are one, a few names resolved through
 *   it (sources and short-name candidates), each result a valid name.
 *   Errors must be one line starting with the file name or "line N: ".
 *   Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regconf.h"
#include "toml.h"

int fuzz_toml(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_node(const struct toml_node *n, unsigned lines, int depth)
{
	CHECK(depth <= TOML_MAX_DEPTH * 2 + 2);
	CHECK(n->line <= lines);
	if (n->type == TOML_STRING) {
		CHECK(n->str && n->len <= TOML_MAX_STRING && strlen(n->str) == n->len);
	}
	if (n->type != TOML_TABLE && n->type != TOML_ARRAY)
		CHECK(!n->child);
	for (const struct toml_node *c = n->child; c; c = c->next) {
		CHECK(n->type == TOML_ARRAY ? !c->key : c->key != NULL);
		check_node(c, lines, depth + 1);
	}
}

static void one_line(const struct err *e)
{
	CHECK(memchr(e->msg, '\0', sizeof e->msg) && e->msg[0] && !strchr(e->msg, '\n'));
}

static void resolve(const struct regconf *c)
{
	static const char *const names[] = {
		"busybox", "library/busybox:1", "myapp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"docker.io/library/busybox", "example.com/foo/bar:t", "a.corp.example:5000/x",
		"localhost/x", "quay.io/a/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct imgref ref;
		struct err e;
		struct regconf_source *s = NULL;
		struct regconf_candidate *k = NULL;
		size_t n = 0;
		char typed[IMGREF_FORMAT_MAX];
		CHECK(imgref_parse_name(&ref, names[i], strlen(names[i]), &e) == 0);
		if (regconf_short_name(names[i], &ref, typed, sizeof typed)) {
			if (regconf_candidates(c, typed, &ref, &k, &n, &e) == 0) {
				CHECK(n >= 1 && n <= REGCONF_MAX_SEARCH);
				for (size_t j = 0; j < n; j++)
					CHECK(k[j].ref.has_name && k[j].why[0]);
			} else {
				CHECK(!k);
				one_line(&e);
			}
			free(k);
			continue;
		}
		if (regconf_sources(c, &ref, &s, &n, &e) == 0) {
			CHECK(n >= 1 && n <= REGCONF_MAX_MIRRORS + 1 && !s[n - 1].mirror);
			for (size_t j = 0; j < n; j++)
				CHECK(s[j].ref.has_name && s[j].ref.registry[0] && s[j].ref.path[0]);
		} else {
			CHECK(!s);
			one_line(&e);
		}
		free(s);
	}
}

int fuzz_toml(const uint8_t *data, size_t size)
{
	struct toml_doc *d = NULL;
	struct regconf *c;
	struct err e;
	unsigned lines = 1;
	char *copy;

	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);
	for (size_t i = 0; i < size; i++)
		lines += copy[i] == '\n';
	if (toml_parse(copy, size, &d, &e) == 0) {
		CHECK(d && toml_root(d)->type == TOML_TABLE);
		check_node(toml_root(d), lines, 0);
		toml_free(d);
	} else {
		CHECK(!d && !strncmp(e.msg, "line ", 5) && strtoul(e.msg + 5, NULL, 10) <= lines);
		one_line(&e);
	}
	if ((c = regconf_new())) {
		if (regconf_add_file(c, "F", copy, size, 1, 0, &e) == 0)
			resolve(c);
		else
			CHECK(!strncmp(e.msg, "'F'", 3) || e.errnum == 12 /* ENOMEM */);
		regconf_free(c);
	}
	free(copy);
	return 0;
}
