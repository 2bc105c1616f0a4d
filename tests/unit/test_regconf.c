/* Unit tests for src/toml.c (the TOML subset reader) and src/regconf.c
 * (registries.conf: reading, merging, and resolving names to endpoints). */
#include "regconf.h"
#include "tap.h"
#include "toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- toml ---- */

/* The tree as compact text: tables {k=v ...}, arrays [v,...], strings
 * quoted, each value followed by @LINE when with_lines. */
static void dump(const struct toml_node *n, char *out, size_t sz, int with_lines)
{
	size_t o = strlen(out);

	switch (n->type) {
	case TOML_TABLE:
	case TOML_ARRAY:
		snprintf(out + o, sz - o, "%c", n->type == TOML_TABLE ? '{' : '[');
		for (const struct toml_node *c = n->child; c; c = c->next) {
			o = strlen(out);
			if (c != n->child)
				snprintf(out + o, sz - o, "%s", n->type == TOML_TABLE ? " " : ",");
			o = strlen(out);
			if (c->key)
				snprintf(out + o, sz - o, "%s=", c->key);
			dump(c, out, sz, with_lines);
		}
		o = strlen(out);
		snprintf(out + o, sz - o, "%c", n->type == TOML_TABLE ? '}' : ']');
		break;
	case TOML_STRING:
		snprintf(out + o, sz - o, "\"%s\"", n->str);
		break;
	case TOML_BOOL:
		snprintf(out + o, sz - o, "%s", n->boolean ? "true" : "false");
		break;
	case TOML_INT:
		snprintf(out + o, sz - o, "%lld", n->integer);
		break;
	}
	o = strlen(out);
	if (with_lines)
		snprintf(out + o, sz - o, "@%u", n->line);
}

static const struct tcase {
	const char *in, *want, *why;
} tomls[] = {
	{ "", "{}", "empty document" },
	{ "# only a comment\n\n", "{}", "comments and blank lines" },
	{ "a = \"x\"\nb='y\\z'\n", "{a=\"x\" b=\"y\\z\"}", "basic and literal strings (no escapes in literal)" },
	{ "k = \"\\t\\\"\\\\\\u00e9\\U0001F600\"", "{k=\"\t\"\\\xc3\xa9\xf0\x9f\x98\x80\"}", "escapes, \\u and \\U as UTF-8" },
	{ "t = true\nf = false\nn = -12_345\nz = 0", "{t=true f=false n=-12345 z=0}", "booleans and integers" },
	{ "l = [ \"a\", # c\n  \"b\",\n]\n", "{l=[\"a\",\"b\"]}", "multi-line array with comment and trailing comma" },
	{ "l = []", "{l=[]}", "empty array" },
	{ "[t]\nx = 1\n[t.u]\ny = 2", "{t={x=1 u={y=2}}}", "table and sub-table" },
	{ "[a.b]\nx=1\n[a]\ny=2", "{a={b={x=1} y=2}}", "implicit table defined later" },
	{ "[[r]]\nx=1\n[[r.m]]\ny=1\n[[r.m]]\ny=2\n[[r]]\nx=2",
	  "{r=[{x=1 m=[{y=1},{y=2}]},{x=2}]}", "arrays of tables, nested into the last one" },
	{ "\"quoted key\" = 1\n'lit.key' = 2", "{quoted key=1 lit.key=2}", "quoted keys keep dots" },
	{ "a.b.c = 1\na.d = 2", "{a={b={c=1} d=2}}", "dotted keys" },
	{ "m = [{ location = \"x\", insecure = true }, {location=\"y\"}]",
	  "{m=[{location=\"x\" insecure=true},{location=\"y\"}]}", "inline tables in an array" },
	{ "a = 1\r\nb = 2\r\n", "{a=1 b=2}", "CRLF line ends" },
	{ "\xef\xbb\xbf" "a = 1", "{a=1}", "a UTF-8 byte order mark" },
	{ "a = 9223372036854775807\nb = -9223372036854775808", "{a=9223372036854775807 b=-9223372036854775808}",
	  "the integer limits" },
};

static const struct terr {
	const char *in, *msg, *why;
} toml_errors[] = {
	{ "a = 1\na = 2", "line 2: key 'a' defined twice", "duplicate key" },
	{ "[t]\n[t]", "line 2: table [t] defined twice", "duplicate table" },
	{ "a = \"x", "line 1: unterminated string", "unterminated string" },
	{ "a = \"\"\"x\"\"\"", "line 1: multi-line strings are not supported", "multi-line string" },
	{ "a = 1.5", "line 1: floats, dates and times are not supported", "float" },
	{ "a = 1979-05-27", "line 1: floats, dates and times are not supported", "date" },
	{ "a = inf", "line 1: floats, dates and times are not supported", "inf" },
	{ "a = 0x10", "line 1: only plain decimal integers are supported", "hex integer" },
	{ "a = 9223372036854775808", "line 1: integer out of range", "overflow" },
	{ "a = \"\\q\"", "line 1: unknown escape '\\q'", "bad escape" },
	{ "a = \"\\u0000\"", "line 1: escape names no usable character (U+0000)", "NUL escape" },
	{ "a = \"\\u000a\"", "line 1: escape names no usable character (U+000A)", "newline by \\u" },
	{ "a = \"x\\ny\"", "line 1: escape '\\n' makes a control character", "newline by \\n" },
	{ "\"\\u0007\" = 1", "line 1: escape names no usable character (U+0007)", "control character in a key" },
	{ "a = \"\\ud800\"", "line 1: escape names no usable character (U+D800)", "surrogate" },
	{ "a = 1 b = 2", "line 1: unexpected 'b' after the value", "two pairs on one line" },
	{ "a", "line 1: expected '=' after key 'a'", "key without value" },
	{ "a =", "line 1: expected a value", "missing value" },
	{ "= 1", "line 1: unexpected '=' where a key was expected", "missing key" },
	{ "[t\nx=1", "line 1: expected ']' to close the table header", "open header" },
	{ "[[t]\n", "line 1: expected ']]' to close the table header", "half-closed array header" },
	{ "t = 1\n[t]", "line 2: table [t] defined twice", "table over a value" },
	{ "t = 1\n[[t]]", "line 2: [[t]]: 't' is already defined as something else", "array over a value" },
	{ "t = 1\n[t.u]", "line 2: 't' is already defined as an integer", "through a value" },
	{ "l = [1, 2", "line 1: expected ',' or ']' in an array", "open array" },
	{ "l = [1\n 2]", "line 2: expected ',' or ']' in an array", "missing comma" },
	{ "i = { a = 1\n}", "line 1: expected ',' or '}' in an inline table (which must fit on one line)",
	  "inline table over two lines" },
	{ "i = { a = 1 }\n[i]", "line 2: table [i] defined twice", "inline table reopened" },
	{ "i = { a = 1 }\ni.b = 2", "line 2: 'i' is already defined as an inline table", "inline table extended" },
	{ "a = \"x\ty\"", NULL, "a tab inside a string is fine" },
	{ "a = \"x\x01y\"", "line 1: control character in a string", "control character" },
	{ "# x\x7f\n", "line 1: control character in a comment", "DEL in a comment" },
	{ "a = 1\rb = 2", "line 1: carriage return without a line feed", "lone CR" },
	{ "a = truex", "line 1: expected a value", "a word that is not true" },
};

static void test_toml(void)
{
	for (size_t i = 0; i < sizeof tomls / sizeof tomls[0]; i++) {
		struct toml_doc *d = NULL;
		struct err e = { 0 };
		char got[512] = "";
		int rc = toml_parse(tomls[i].in, strlen(tomls[i].in), &d, &e);
		if (!rc)
			dump(toml_root(d), got, sizeof got, 0);
		ok(rc == 0 && !strcmp(got, tomls[i].want), "toml: %s: %s", tomls[i].why,
		   rc ? e.msg : one_line(got));
		toml_free(d);
	}
	for (size_t i = 0; i < sizeof toml_errors / sizeof toml_errors[0]; i++) {
		struct toml_doc *d = NULL;
		struct err e = { 0 };
		int rc = toml_parse(toml_errors[i].in, strlen(toml_errors[i].in), &d, &e);
		if (!toml_errors[i].msg)
			ok(rc == 0, "toml: %s", toml_errors[i].why);
		else
			ok(rc < 0 && !d && !strcmp(e.msg, toml_errors[i].msg), "toml refuses: %s: %s",
			   toml_errors[i].why, rc < 0 ? e.msg : "accepted");
		toml_free(d);
	}
	/* lines of values, for the messages regconf builds on them */
	struct toml_doc *d = NULL;
	struct err e;
	char got[256] = "";
	static const char lines[] = "\n[[r]]\nl = [\n \"a\",\n \"b\"]\n";
	ok(toml_parse(lines, sizeof lines - 1, &d, &e) == 0, "toml: parse for lines");
	dump(toml_root(d), got, sizeof got, 1);
	ok(!strcmp(got, "{r=[{l=[\"a\"@4,\"b\"@5]@3}@2]@2}@0"), "toml: each node knows its line: %s", got);
	toml_free(d);
	/* input limits */
	char *big = malloc(TOML_MAX_INPUT + 1);
	memset(big, '#', TOML_MAX_INPUT + 1);
	ok(toml_parse(big, TOML_MAX_INPUT + 1, &d, &e) < 0 && strstr(e.msg, "larger than"),
	   "toml: input over the limit refused");
	free(big);
	char deep[TOML_MAX_DEPTH * 2 + 8];
	memset(deep, '[', sizeof deep);
	memcpy(deep, "a=", 2);
	ok(toml_parse(deep, sizeof deep, &d, &e) < 0 && strstr(e.msg, "nested more than"),
	   "toml: nesting over the limit refused: %s", e.msg);
}

/* ---- regconf: reading ---- */

static const struct rerr {
	const char *in, *msg, *why;
} conf_errors[] = {
	{ "unqualified-search-registries = [\"a\"]\nmirrors = 1",
	  "'F' line 2: unknown key 'mirrors'", "unknown top-level key" },
	{ "[[registry]]\nlocation = \"x\"\nmirors = []", "'F' line 3: unknown key 'mirors' in [[registry]]",
	  "unknown key in a registry (a typo)" },
	{ "[[registry]]\nlocation = \"x\"\n[[registry.mirror]]\ninsecure = true\n",
	  "'F' line 3: [[registry.mirror]] without a location", "mirror without location" },
	{ "[[registry]]\nlocation = \"x\"\n[[registry.mirror]]\nlocation = \"m\"\nfoo = 1",
	  "'F' line 5: unknown key 'foo' in [[registry.mirror]]", "unknown key in a mirror" },
	{ "[[registry]]\ninsecure = true", "'F' line 1: [[registry]] without a location or a prefix",
	  "registry without location" },
	{ "[[registry]]\nprefix = \"example.com\"", "'F' line 1: [[registry]] prefix 'example.com' needs a location",
	  "prefix without location" },
	{ "[[registry]]\nlocation = \"https://x\"", "'F' line 2: 'location' = \"https://x\": URI schemes are not supported",
	  "scheme in a location" },
	{ "[[registry]]\nprefix = \"a.*.com\"\nlocation = \"x\"",
	  "'F' line 1: prefix 'a.*.com': a wildcard must be a whole \"*.domain\"", "wildcard inside" },
	{ "[[registry]]\nlocation = \"x\"\ninsecure = \"yes\"",
	  "'F' line 3: 'insecure' must be a boolean, not a string", "insecure not a boolean" },
	{ "short-name-mode = \"strict\"",
	  "'F' line 1: short-name-mode must be \"enforcing\", \"permissive\" or \"disabled\"", "bad mode" },
	{ "unqualified-search-registries = \"docker.io\"",
	  "'F' line 1: 'unqualified-search-registries' must be an array, not a string", "search not a list" },
	{ "unqualified-search-registries = [\"a/b\"]",
	  "'F' line 1: unqualified-search-registries: 'a/b' is not a host[:port]", "search entry with a path" },
	{ "[aliases]\n\"r.example/x\" = \"r.example/x\"",
	  "'F' line 2: alias 'r.example/x': the name must be a short name without a tag", "alias name qualified" },
	{ "[aliases]\n\"x\" = \"y/z\"",
	  "'F' line 2: alias 'x': \"y/z\" is not a fully qualified name without a tag", "alias value short" },
	{ "[aliases]\n\"x\" = \"r.example/z:1\"",
	  "'F' line 2: alias 'x': \"r.example/z:1\" is not a fully qualified name without a tag", "alias value with tag" },
	{ "[[registry]]\nlocation = \"x\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"tag-only\"",
	  "'F' line 1: pull-from-mirror is not allowed with mirror-by-digest-only = true", "conflicting mirror settings" },
	{ "[[registry]]\nlocation = \"x\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"some\"",
	  "'F' line 5: pull-from-mirror must be \"all\", \"digest-only\" or \"tag-only\"", "bad pull-from-mirror" },
	{ "[registries.search]\nregistries = [\"a\"]\n[[registry]]\nlocation = \"x\"",
	  "'F': mixes version 1 ([registries.*]) and version 2 keys", "v1 and v2 mixed" },
	{ "[registries.serch]\nregistries = []", "'F' line 1: unknown table [registries.serch]", "v1 typo" },
	{ "a = [", "'F': line 1: expected a value", "bad TOML names the file" },
};

static int add(struct regconf *c, const char *path, const char *s, struct err *e)
{
	return regconf_add_file(c, path, s, strlen(s), 1, 0, e);
}

static void test_conf_errors(void)
{
	for (size_t i = 0; i < sizeof conf_errors / sizeof conf_errors[0]; i++) {
		struct regconf *c = regconf_new();
		struct err e = { 0 };
		int rc = add(c, "F", conf_errors[i].in, &e);
		ok(rc < 0 && !strcmp(e.msg, conf_errors[i].msg) && e.status == 1,
		   "registries.conf refuses: %s: %s", conf_errors[i].why, rc < 0 ? e.msg : "accepted");
		regconf_free(c);
	}
	struct regconf *c = regconf_new();
	struct err e;
	static const char v1[] = "[registries.search]\nregistries = []";
	static const char cache[] = "short-name-mode = \"disabled\"\n[aliases]\nx = \"r.example/x\"";
	ok(regconf_add_file(c, "D", v1, sizeof v1 - 1, 0, 0, &e) < 0 &&
		   !strcmp(e.msg, "'D' line 1: version 1 tables ([registries.*]) are only allowed in "
				  "registries.conf itself"), "a drop-in may not use version 1: %s", e.msg);
	ok(regconf_add_file(c, "A", cache, sizeof cache - 1, 0, 1, &e) < 0 && !strcmp(e.msg, "'A' line 1: only [aliases] belong in the "
							    "short-name alias cache"),
	   "the alias cache holds aliases only: %s", e.msg);
	regconf_free(c);
}

/* ---- regconf: resolution ---- */

static const char conf_main[] =
	"unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n"
	"short-name-mode = \"permissive\"\n"
	"[aliases]\n"
	"\"myapp\" = \"registry.example/apps/myapp\"\n"
	"\"gone\" = \"registry.example/gone\"\n"
	"[[registry]]\n"                                   /* line 6 */
	"prefix = \"docker.io\"\n"
	"location = \"docker.io\"\n"
	"[[registry.mirror]]\n"                            /* line 9 */
	"location = \"mirror.local:5000\"\n"
	"insecure = true\n"
	"[[registry.mirror]]\n"                            /* line 12 */
	"location = \"digests.local/hub\"\n"
	"pull-from-mirror = \"digest-only\"\n"
	"[[registry]]\n"                                   /* line 15 */
	"prefix = \"example.com/foo\"\n"
	"location = \"internal.example/bar\"\n"
	"[[registry]]\n"                                   /* line 18 */
	"prefix = \"example.com/foo/secret\"\n"
	"location = \"internal.example/x\"\n"
	"blocked = true\n"
	"[[registry]]\n"                                   /* line 22 */
	"prefix = \"*.corp.example\"\n"
	"insecure = true\n"
	"[[registry.mirror]]\n"
	"location = \"cache.corp.example:5000\"\n"
	"[[registry]]\n"                                   /* line 27 */
	"location = \"example.com\"\n"
	"mirror-by-digest-only = true\n"
	"[[registry.mirror]]\n"
	"location = \"m.example.com\"\n";

static const char conf_dropin[] =
	"short-name-mode = \"enforcing\"\n"
	"[aliases]\n"
	"\"gone\" = \"\"\n"
	"[[registry]]\n"
	"prefix = \"example.com/foo\"\n"
	"location = \"override.example/baz\"\n";

static struct regconf *load_test_conf(void)
{
	struct regconf *c = regconf_new();
	struct err e;

	if (add(c, "M", conf_main, &e) < 0 || regconf_add_file(c, "D", conf_dropin,
							       sizeof conf_dropin - 1, 0, 0, &e) < 0) {
		ok(0, "test configuration: %s", e.msg);
		regconf_free(c);
		return NULL;
	}
	return c;
}

static const struct scase {
	const char *name;          /* what the user pulls */
	const char *want;          /* endpoints, "|" between, "!" = insecure */
	const char *why;
} sources[] = {
	{ "docker.io/library/busybox:latest",
	  "mirror.local:5000/library/busybox:latest!|docker.io/library/busybox:latest",
	  "by tag: the all-mirror then the primary; the digest-only mirror skipped" },
	{ "docker.io/library/busybox@sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "mirror.local:5000/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!|"
	  "digests.local/hub/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef|"
	  "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "by digest: every mirror, in order" },
	{ "example.com/foo/app:1", "override.example/baz/app:1", "the drop-in replaced the same prefix" },
	{ "example.com/foobar/app:1", "example.com/foobar/app:1",
	  "a prefix matches whole components only (foo is not foobar); mirror-by-digest-only: no mirror" },
	{ "example.com/other@sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "m.example.com/other@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef|"
	  "example.com/other@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "mirror-by-digest-only: mirrors for digests" },
	{ "build.corp.example/x/y:2", "cache.corp.example:5000/x/y:2|build.corp.example/x/y:2!",
	  "wildcard prefix: mirror replaces the host, primary kept as is, insecure" },
	{ "a.b.corp.example/x:2", "cache.corp.example:5000/x:2|a.b.corp.example/x:2!",
	  "wildcard matches any depth of subdomains" },
	{ "corp.example/x:2", "corp.example/x:2", "wildcard does not match the bare domain" },
	{ "example.com:5000/x:1", "example.com:5000/x:1", "prefix example.com does not match another port" },
	{ "quay.io/x/y:1", "quay.io/x/y:1", "no rule: the name itself" },
};

static void fmt_sources(const struct regconf_source *s, size_t n, char *out, size_t sz)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[IMGREF_FORMAT_MAX * 2];
		size_t o = strlen(out);
		imgref_format_source(&s[i].ref, one, sizeof one);
		snprintf(out + o, sz - o, "%s%s%s", i ? "|" : "", one, s[i].insecure ? "!" : "");
	}
}

static void test_sources(struct regconf *c)
{
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		struct imgref ref;
		struct regconf_source *s = NULL;
		struct err e;
		size_t n = 0;
		char got[2048] = "";
		if (imgref_parse_name(&ref, sources[i].name, strlen(sources[i].name), &e) < 0) {
			ok(0, "parse %s: %s", sources[i].name, e.msg);
			continue;
		}
		int rc = regconf_sources(c, &ref, &s, &n, &e);
		if (!rc)
			fmt_sources(s, n, got, sizeof got);
		ok(rc == 0 && !strcmp(got, sources[i].want), "sources: %s: %s", sources[i].why,
		   rc ? e.msg : got);
		free(s);
	}
	struct imgref ref;
	struct regconf_source *s = NULL;
	struct err e;
	size_t n;
	imgref_parse_name(&ref, "example.com/foo/secret/app", 26, &e);
	ok(regconf_sources(c, &ref, &s, &n, &e) < 0 && !s &&
		   !strcmp(e.msg, "'example.com/foo/secret/app:latest' is blocked by the [[registry]] at "
				  "'M' line 18 (prefix 'example.com/foo/secret')"),
	   "blocked: the longest prefix wins and names its rule: %s", e.msg);
	imgref_parse_name(&ref, "docker.io/library/busybox", 25, &e);
	regconf_sources(c, &ref, &s, &n, &e);
	ok(n == 2 && s[0].mirror && !s[1].mirror &&
		   !strcmp(s[0].why, "mirror 'mirror.local:5000' of 'docker.io' ('M' line 9)") &&
		   !strcmp(s[1].why, "registry 'docker.io' ('M' line 6)"),
	   "sources say where they come from: %s; %s", n ? s[0].why : "", n > 1 ? s[1].why : "");
	free(s);
}

/* parse text, and the name as typed when it is a short one */
static int short_ref(const char *text, struct imgref *ref, char *typed)
{
	struct err e;

	return imgref_parse(ref, text, strlen(text), &e) == 0 &&
	       regconf_short_name(text, ref, typed, IMGREF_FORMAT_MAX) == 1;
}

static const struct shcase {
	const char *text, *typed, *why;
} shorts[] = {
	{ "busybox", "busybox", "one component" },
	{ "busybox:1.36", "busybox", "the tag is not part of it" },
	{ "library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "library/busybox", "library/ as typed; the digest is not part of it" },
	{ "http:team/app:v2", "team/app", "after the http: prefix" },
	{ "docker://busybox", "busybox", "after docker://" },
	{ "docker.io/busybox", NULL, "docker.io named" },
	{ "index.docker.io/library/busybox", NULL, "index.docker.io named" },
	{ "quay.io/busybox", NULL, "another registry" },
	{ "localhost/busybox", NULL, "localhost is a registry" },
	{ "127.0.0.1:5000/busybox", NULL, "a registry with a port" },
	{ "dockertar:/x.tar", NULL, "not a registry reference" },
};

static void test_short_names(void)
{
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
		struct imgref ref;
		char typed[IMGREF_FORMAT_MAX] = "";
		int is = short_ref(shorts[i].text, &ref, typed);
		ok(shorts[i].typed ? is && !strcmp(typed, shorts[i].typed) : !is,
		   "short name? %s: %s (%s)", shorts[i].text, is ? typed : "no", shorts[i].why);
	}
}

static const struct ccase {
	const char *typed, *want, *why;
} cands[] = {
	{ "myapp", "registry.example/apps/myapp:latest", "an alias wins over the search list" },
	{ "myapp:2", "registry.example/apps/myapp:2", "the tag carries over to the alias" },
	{ "library/busybox", "quay.io/library/busybox:latest|docker.io/library/busybox:latest",
	  "what was typed, on each search registry" },
};

static void test_candidates(struct regconf *c)
{
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		struct imgref ref;
		struct regconf_candidate *k = NULL;
		struct err e;
		size_t n = 0;
		char got[1024] = "", typed[IMGREF_FORMAT_MAX];
		short_ref(cands[i].typed, &ref, typed);
		/* enforcing (from the drop-in) makes the two-registry list ambiguous */
		c->mode = REGCONF_PERMISSIVE;
		int rc = regconf_candidates(c, typed, &ref, &k, &n, &e);
		for (size_t j = 0; !rc && j < n; j++) {
			char one[IMGREF_FORMAT_MAX];
			imgref_format(&k[j].ref, one, sizeof one);
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", j ? "|" : "", one);
		}
		ok(rc == 0 && !strcmp(got, cands[i].want), "short name %s: %s: %s", cands[i].typed,
		   cands[i].why, rc ? e.msg : got);
		free(k);
	}
	struct imgref ref;
	struct regconf_candidate *k = NULL;
	struct err e;
	char typed[IMGREF_FORMAT_MAX];
	size_t n;
	c->mode = REGCONF_ENFORCING;
	c->mode_origin = "'D' line 1";
	short_ref("busybox", &ref, typed);
	ok(regconf_candidates(c, typed, &ref, &k, &n, &e) < 0 &&
		   !strcmp(e.msg, "short name 'busybox' is ambiguous (short-name-mode \"enforcing\", 'D' "
				  "line 1): give one of quay.io/busybox:latest, docker.io/library/busybox:latest"),
	   "enforcing: an ambiguous short name lists the candidates: %s", e.msg);
	short_ref("gone", &ref, typed);
	ok(regconf_candidates(c, typed, &ref, &k, &n, &e) < 0 && strstr(e.msg, "ambiguous"),
	   "an alias erased by a later file no longer applies");
	c->nsearch = 1;
	ok(regconf_candidates(c, typed, &ref, &k, &n, &e) == 0 && n == 1 &&
		   !strcmp(k[0].ref.registry, "quay.io") && !strcmp(k[0].ref.path, "gone") &&
		   !strcmp(k[0].why, "unqualified-search-registries ('M' line 1)"),
	   "enforcing with one search registry: no ambiguity");
	free(k);
	c->nsearch = 0;
	ok(regconf_candidates(c, typed, &ref, &k, &n, &e) < 0 &&
		   !strcmp(e.msg, "short name 'gone': unqualified-search-registries is empty ('M' line 1): "
				  "give a fully qualified name"), "an empty search list: %s", e.msg);

	struct regconf *none = regconf_new();
	short_ref("busybox:1.36", &ref, typed);
	ok(regconf_candidates(none, typed, &ref, &k, &n, &e) == 0 && n == 1 &&
		   !strcmp(k[0].ref.registry, "docker.io") && !strcmp(k[0].ref.path, "library/busybox") &&
		   !strcmp(k[0].ref.tag, "1.36"),
	   "no configuration: a short name means docker.io, as always");
	free(k);
	regconf_free(none);
}

static void test_v1(void)
{
	static const char v1[] = "[registries.search]\nregistries = ['r1.example', 'r2.example']\n"
				 "[registries.insecure]\nregistries = ['r3.example']\n"
				 "[registries.block]\nregistries = ['bad.example']\n";
	struct regconf *c = regconf_new();
	struct regconf_source *s = NULL;
	struct imgref ref;
	struct err e;
	size_t n = 0;

	ok(add(c, "V1", v1, &e) == 0 && c->nsearch == 2 && !strcmp(c->search[1], "r2.example"),
	   "version 1: the search list");
	imgref_parse_name(&ref, "r3.example/x", 12, &e);
	ok(regconf_sources(c, &ref, &s, &n, &e) == 0 && n == 1 && s[0].insecure,
	   "version 1: insecure registries");
	free(s);
	imgref_parse_name(&ref, "bad.example/x", 13, &e);
	ok(regconf_sources(c, &ref, &s, &n, &e) < 0 && strstr(e.msg, "is blocked by the [[registry]] at 'V1' line 6"),
	   "version 1: blocked registries: %s", e.msg);
	regconf_free(c);
}

int main(void)
{
	struct regconf *c;

	test_toml();
	test_conf_errors();
	test_short_names();
	if ((c = load_test_conf())) {
		test_sources(c);
		test_candidates(c);
		regconf_free(c);
	}
	test_v1();
	return tap_done();
}
