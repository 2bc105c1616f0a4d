/* Unit tests for src/json.c (and src/buf.c, which the writer sits on). */
#include "json.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Parse doc[0..len) from an exact-size heap copy, so a sanitizer catches any
 * read past the end (the parser must not assume a NUL). */
static int parse_exact(struct json **j, const char *doc, size_t len, struct err *e)
{
	char *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, doc, len);
	r = json_parse(j, copy, len, e);
	free(copy);  /* json keeps its own copy: reading after this is fine */
	return r;
}

#define L(s) s, sizeof(s) - 1

static const struct vcase {
	const char *doc;
	size_t len;
	int valid;
	const char *msg; /* substring of the error for invalid rows */
	const char *why;
} vcases[] = {
	/* --- accepted --- */
	{ L("{}"), 1, NULL, "empty object" },
	{ L("[]"), 1, NULL, "empty array" },
	{ L("1"), 1, NULL, "top-level number (jsmn needs a delimiter; we add one)" },
	{ L("\"x\""), 1, NULL, "top-level string" },
	{ L("null"), 1, NULL, "top-level null" },
	{ L("true"), 1, NULL, "top-level true" },
	{ L(" \t\r\n false \n"), 1, NULL, "whitespace around the value" },
	{ L("-0"), 1, NULL, "negative zero" },
	{ L("0.5e-3"), 1, NULL, "fraction and signed exponent" },
	{ L("-12.25E+10"), 1, NULL, "capital exponent with plus" },
	{ L("[1,2,[3,{\"a\":[]}],\"s\",null,true,false]"), 1, NULL, "mixed nesting" },
	{ L("{\"a\":1,\"b\":{\"c\":\"d\"}}"), 1, NULL, "nested object" },
	{ L("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""), 1, NULL, "every short escape" },
	{ L("\"\\u00e9\\u00E9\""), 1, NULL, "\\u escapes, both hex cases" },
	{ L("\"\\ud83d\\ude00\""), 1, NULL, "surrogate pair" },
	{ L("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), 1, NULL, "raw 2-, 3- and 4-byte UTF-8" },
	{ L("\"\\u0000\""), 1, NULL, "escaped NUL is valid JSON" },
	{ L("{\"\":\"\"}"), 1, NULL, "empty key and value" },
	{ L("\"\x7f\""), 1, NULL, "DEL is not a control character for JSON" },
	/* --- rejected --- */
	{ L(""), 0, "empty document", "empty input" },
	{ L("  \n\t "), 0, "empty document", "whitespace only" },
	{ L("[1,]"), 0, "expected a value", "trailing comma in array" },
	{ L("{\"a\":1,}"), 0, "expected string key", "trailing comma in object" },
	{ L("[1,,2]"), 0, "expected a value", "empty array element (jsmn accepts it)" },
	{ L("01"), 0, "leading zero", "leading zero" },
	{ L("[-01]"), 0, "leading zero", "negative leading zero" },
	{ L("1."), 0, "after '.'", "no digit after the point" },
	{ L(".5"), 0, "expected a value", "no digit before the point" },
	{ L("1e"), 0, "exponent", "empty exponent" },
	{ L("1e+"), 0, "exponent", "signed empty exponent" },
	{ L("-"), 0, "digit expected", "lone minus" },
	{ L("+1"), 0, "expected a value", "leading plus" },
	{ L("[1 2]"), 0, "expected ',' or ']'", "missing comma" },
	{ L("\"\\x\""), 0, "invalid escape", "bad escape \\x" },
	{ L("\"\\u12\""), 0, "\\u escape", "short \\u escape" },
	{ L("\"\\u12G4\""), 0, "\\u escape", "non-hex in \\u escape" },
	{ L("\"\\ud800\""), 0, "lone high surrogate", "lone high surrogate" },
	{ L("\"\\ud800\\u0041\""), 0, "lone high surrogate", "high surrogate + non-low" },
	{ L("\"\\udc00\""), 0, "lone low surrogate", "lone low surrogate" },
	{ L("\"a\nb\""), 0, "control character", "raw newline in string" },
	{ L("\"a\tb\""), 0, "control character", "raw tab in string" },
	{ L("\"a\0b\""), 0, "control character", "raw NUL in string" },
	{ L("\"\xff\""), 0, "UTF-8", "byte 0xff" },
	{ L("\"\x80\""), 0, "UTF-8", "lone continuation byte" },
	{ L("\"\xc3\""), 0, "UTF-8", "truncated 2-byte sequence" },
	{ L("\"\xc0\xaf\""), 0, "UTF-8", "overlong '/'" },
	{ L("\"\xe0\x80\xaf\""), 0, "UTF-8", "overlong 3-byte" },
	{ L("\"\xed\xa0\x80\""), 0, "UTF-8", "UTF-8 encoded surrogate" },
	{ L("\"\xf4\x90\x80\x80\""), 0, "UTF-8", "above U+10FFFF" },
	{ L("\"\xf5\x80\x80\x80\""), 0, "UTF-8", "lead byte 0xf5" },
	{ L("tru"), 0, "invalid literal", "truncated literal" },
	{ L("truex"), 0, "invalid literal", "literal with suffix" },
	{ L("True"), 0, "expected a value", "capitalised literal" },
	{ L("nul"), 0, "invalid literal", "truncated null" },
	{ L("1 2"), 0, "after the top-level value", "two top-level values" },
	{ L("{}{}"), 0, "after the top-level value", "two top-level objects" },
	{ L("[1]x"), 0, "after the top-level value", "trailing garbage" },
	{ L("[1]\0"), 0, "after the top-level value", "trailing NUL within len" },
	{ L("\"abc"), 0, "unterminated string", "unterminated string" },
	{ L("\"abc\\"), 0, "unterminated string", "string ending in a backslash" },
	{ L("{\"a\":1"), 0, "expected ',' or '}'", "unterminated object" },
	{ L("[1"), 0, "expected ',' or ']'", "unterminated array" },
	{ L("{\"a\"}"), 0, "expected ':'", "key without value" },
	{ L("{\"a\":}"), 0, "expected a value", "colon without value" },
	{ L("{1:2}"), 0, "expected string key", "number as key" },
	{ L("{\"a\" 1}"), 0, "expected ':'", "missing colon" },
	{ L("{\"a\":1 \"b\":2}"), 0, "expected ',' or '}'", "missing comma in object" },
	{ L("[1}"), 0, "expected ',' or ']'", "mismatched bracket" },
	{ L("]"), 0, "expected a value", "closing bracket alone" },
	{ L("'a'"), 0, "expected a value", "single quotes" },
	{ L("\xef\xbb\xbf{}"), 0, "expected a value", "byte order mark" },
	{ L("[NaN]"), 0, "expected a value", "NaN" },
	{ L("/*c*/1"), 0, "expected a value", "comment" },
};

static void test_validity(void)
{
	size_t i;

	for (i = 0; i < sizeof vcases / sizeof *vcases; i++) {
		const struct vcase *c = &vcases[i];
		struct json *j = (struct json *)1;
		struct err e = { 0 };
		int r = parse_exact(&j, c->doc, c->len, &e);

		if (c->valid) {
			ok(r == 0 && j && json_root(j) == 0,
			   "accepts: %s%s%s", c->why, r ? " -- " : "", r ? e.msg : "");
		} else {
			ok(r == -1 && j == NULL && strstr(e.msg, c->msg) &&
			   strncmp(e.msg, "invalid JSON at byte ", 21) == 0 &&
			   e.status == EXIT_FAIL,
			   "rejects: %s (%s)", c->why, e.msg);
		}
		json_free(j == (struct json *)1 ? NULL : j);
	}
}

static void test_messages(void)
{
	static const struct {
		const char *doc;
		const char *msg;
		const char *why;
	} m[] = {
		{ "{\"a\":1 x}", "invalid JSON at byte 7: expected ',' or '}'",
		  "message names the byte offset and what was expected" },
		{ "[1,", "invalid JSON at byte 3 (end of input): expected a value",
		  "running out of input says so" },
		{ "  \"ab", "invalid JSON at byte 2: unterminated string",
		  "unterminated string points at its opening quote" },
		{ "[\"\\q\"]", "invalid JSON at byte 2: invalid escape in string",
		  "bad escape points at the backslash" },
	};
	size_t i;

	for (i = 0; i < sizeof m / sizeof *m; i++) {
		struct err e = { 0 };
		json_validate(m[i].doc, strlen(m[i].doc), &e);
		ok(strcmp(e.msg, m[i].msg) == 0, "%s: '%s'", m[i].why, e.msg);
	}
}

static char *nest(int depth, size_t *len)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int i;

	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	*len = (size_t)depth * 2;
	return s;
}

static void test_limits(void)
{
	struct json *j = NULL;
	struct err e = { 0 };
	size_t len;
	char *s;

	s = nest(64, &len);
	ok(json_parse(&j, s, len, &e) == 0, "depth 64 accepted");
	json_free(j);
	free(s);
	s = nest(65, &len);
	ok(json_parse(&j, s, len, &e) == -1 && strstr(e.msg, "nesting deeper than 64"),
	   "depth 65 rejected: %s", e.msg);
	free(s);
	/* deep input must not blow the stack either */
	s = nest(100000, &len);
	ok(json_parse(&j, s, len, &e) == -1, "depth 100000 rejected (recursion stops at 64)");
	free(s);

	/* [1,2,3] is 4 tokens */
	ok(json_parse_limits(&j, "[1,2,3]", 7, 4, &e) == 0, "4 tokens within a limit of 4");
	json_free(j);
	ok(json_parse_limits(&j, "[1,2,3]", 7, 3, &e) == -1 &&
	   strstr(e.msg, "more than 3 tokens"), "4 tokens over a limit of 3: %s", e.msg);
	/* {"a":1} is 3 tokens: object, key, value */
	ok(json_parse_limits(&j, "{\"a\":1}", 7, 2, &e) == -1, "object keys count as tokens");
}

static const char docker_manifest[] =
	"{\n"
	"  \"schemaVersion\": 2,\n"
	"  \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"  \"config\": {\n"
	"    \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
	"    \"size\": 1469,\n"
	"    \"digest\": \"sha256:beae173ccac6ad749f76713cf4440fe3d21d1043fe616dfbe30775815d1d0f6a\"\n"
	"  },\n"
	"  \"layers\": [\n"
	"    {\n"
	"      \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"      \"size\": 772788,\n"
	"      \"digest\": \"sha256:5cc84ad355aaa64f46ea9c7bbcc319a9d808ab15088a27209c9e70ef86e5a2aa\"\n"
	"    },\n"
	"    {\n"
	"      \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"      \"size\": 32,\n"
	"      \"digest\": \"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

static const char oci_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":528,"
	"\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":528,"
	"\"digest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\","
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}],"
	"\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.36\"}}";

static void test_docker_manifest(void)
{
	struct json *j = NULL;
	struct err e = { 0 };
	int root, layers, cfg, k, v;
	int64_t n = 0;
	char *s;
	size_t len, i;
	const char *raw;

	ok(parse_exact(&j, docker_manifest, strlen(docker_manifest), &e) == 0,
	   "docker manifest parses %s", e.msg);
	root = json_root(j);
	ok(json_kind(j, root) == JSON_OBJECT, "root is an object");
	ok(json_count(j, root) == 4, "four members");
	ok(json_int64(j, json_get(j, root, "schemaVersion"), &n) == 0 && n == 2,
	   "schemaVersion == 2");
	ok(json_str_eq(j, json_get(j, root, "mediaType"),
		       "application/vnd.docker.distribution.manifest.v2+json"),
	   "mediaType compares equal");
	cfg = json_get(j, root, "config");
	s = json_str(j, json_get(j, cfg, "digest"));
	ok(s && strcmp(s, "sha256:beae173ccac6ad749f76713cf4440fe3d21d1043fe616dfbe30775815d1d0f6a") == 0,
	   "config.digest read as a string");
	free(s);
	ok(json_int64(j, json_getpath(j, root, "config.size"), &n) == 0 && n == 1469,
	   "json_getpath config.size == 1469");
	ok(json_getpath(j, root, "config.nope") == -1 && json_getpath(j, root, "config.") == -1 &&
	   json_getpath(j, root, "") == root && json_getpath(j, root, "layers.size") == -1,
	   "json_getpath misses are -1, empty path is the node itself");
	layers = json_get(j, root, "layers");
	ok(json_kind(j, layers) == JSON_ARRAY && json_count(j, layers) == 2, "two layers");
	ok(json_int64(j, json_get(j, json_at(j, layers, 1), "size"), &n) == 0 && n == 32,
	   "layers[1].size == 32");
	ok(json_at(j, layers, 2) == -1, "layers[2] is absent");
	v = json_member(j, root, 2, &k);
	ok(v == cfg && json_str_eq(j, k, "config"), "third member is config, by index");
	ok(json_member(j, root, 4, &k) == -1 && k == -1, "member past the end is absent");
	/* iterate the members in order */
	for (i = 0; i < json_count(j, cfg); i++)
		json_member(j, cfg, i, &k);
	ok(json_str_eq(j, k, "digest"), "members come in document order");
	raw = json_raw(j, cfg, &len);
	ok(raw && len > 2 && raw[0] == '{' && raw[len - 1] == '}', "json_raw of an object");
	raw = json_raw(j, json_get(j, cfg, "size"), &len);
	ok(raw && len == 4 && memcmp(raw, "1469", 4) == 0, "json_raw of a number");
	raw = json_raw(j, json_get(j, root, "mediaType"), &len);
	ok(raw && raw[0] == '"' && raw[len - 1] == '"', "json_raw of a string keeps its quotes");
	json_free(j);
}

static void test_oci_index(void)
{
	struct json *j = NULL;
	struct err e = { 0 };
	int root, ms, m, plat;
	size_t i, found = 99;

	ok(json_parse(&j, oci_index, strlen(oci_index), &e) == 0, "OCI index parses");
	root = json_root(j);
	ms = json_get(j, root, "manifests");
	for (i = 0; i < json_count(j, ms); i++) {
		m = json_at(j, ms, i);
		plat = json_get(j, m, "platform");
		if (json_str_eq(j, json_get(j, plat, "architecture"), "arm64") &&
		    json_str_eq(j, json_get(j, plat, "variant"), "v8"))
			found = i;
	}
	ok(found == 1, "arm64/v8 manifest found at index 1");
	ok(json_str_eq(j, json_get(j, json_get(j, root, "annotations"),
				   "org.opencontainers.image.ref.name"), "1.36"),
	   "dotted key reachable with json_get");
	ok(json_get(j, json_at(j, ms, 0), "variant") == -1, "missing key is -1");
	json_free(j);
}

static void test_absent_and_kinds(void)
{
	struct json *j = NULL;
	struct err e = { 0 };
	const char doc[] = "[null,true,false,1.5,\"s\",[],{}]";
	static const enum json_kind kinds[] = {
		JSON_NULL, JSON_BOOL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
	};
	int64_t n = 7;
	int b = 7, k;
	size_t i, len;

	json_parse(&j, doc, strlen(doc), &e);
	for (i = 0; i < 7; i++)
		ok(json_kind(j, json_at(j, 0, i)) == kinds[i], "kind of element %zu", i);
	ok(json_bool(j, json_at(j, 0, 1), &b) == 0 && b == 1, "true reads 1");
	ok(json_bool(j, json_at(j, 0, 2), &b) == 0 && b == 0, "false reads 0");
	ok(json_bool(j, json_at(j, 0, 0), &b) == -1 && b == 0, "null is not a bool");
	ok(json_int64(j, json_at(j, 0, 3), &n) == -1 && n == 7, "1.5 is not an int64");
	ok(json_int64(j, json_at(j, 0, 4), &n) == -1, "string is not an int64");
	ok(json_kind(j, -1) == JSON_ABSENT && json_kind(j, 1000) == JSON_ABSENT &&
	   json_kind(NULL, 0) == JSON_ABSENT, "-1, out of range and NULL json are absent");
	ok(json_get(j, -1, "a") == -1 && json_get(j, 0, "a") == -1 && json_get(j, 0, NULL) == -1,
	   "json_get on -1, on an array, with NULL key");
	ok(json_count(j, -1) == 0 && json_count(j, json_at(j, 0, 4)) == 0,
	   "json_count of absent and scalar is 0");
	ok(json_at(j, -1, 0) == -1 && json_at(j, json_at(j, 0, 6), 0) == -1,
	   "json_at on absent and on an object");
	ok(json_member(j, 0, 0, &k) == -1 && k == -1 && json_member(j, 0, 0, NULL) == -1,
	   "json_member on an array");
	ok(json_str(j, -1) == NULL && json_str(j, json_at(j, 0, 3)) == NULL,
	   "json_str on absent and on a number");
	ok(json_str_eq(j, -1, "s") == 0 && json_str_eq(j, json_at(j, 0, 4), NULL) == 0,
	   "json_str_eq on absent / NULL");
	ok(json_raw(j, -1, &len) == NULL && len == 0, "json_raw of absent");
	ok(json_root(NULL) == -1, "json_root(NULL)");
	json_free(j);
	json_free(NULL);
}

static void test_int64(void)
{
	static const struct {
		const char *doc;
		int ok;
		int64_t v;
		const char *why;
	} c[] = {
		{ "0", 1, 0, "zero" },
		{ "-0", 1, 0, "negative zero" },
		{ "9223372036854775807", 1, INT64_MAX, "INT64_MAX" },
		{ "-9223372036854775808", 1, INT64_MIN, "INT64_MIN" },
		{ "9223372036854775808", 0, 0, "INT64_MAX + 1 overflows" },
		{ "-9223372036854775809", 0, 0, "INT64_MIN - 1 overflows" },
		{ "18446744073709551616", 0, 0, "2^64 overflows" },
		{ "1e3", 0, 0, "exponent is not an integer" },
		{ "1.0", 0, 0, "fraction is not an integer" },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		struct json *j = NULL;
		struct err e = { 0 };
		int64_t v = 42;
		int r;

		json_parse(&j, c[i].doc, strlen(c[i].doc), &e);
		r = json_int64(j, json_root(j), &v);
		ok(c[i].ok ? r == 0 && v == c[i].v : r == -1 && v == 42, "json_int64: %s", c[i].why);
		json_free(j);
	}
}

static void test_unescape(void)
{
	static const struct {
		const char *doc;
		const char *want;
		const char *why;
	} c[] = {
		{ "\"\\u00e9\"", "\xc3\xa9", "\\u00e9 -> 2-byte UTF-8" },
		{ "\"\\u20AC\"", "\xe2\x82\xac", "\\u20AC -> 3-byte UTF-8" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", "surrogate pair -> 4-byte UTF-8" },
		{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", "highest pair -> U+10FFFF" },
		{ "\"a\\/b\"", "a/b", "\\/ -> /" },
		{ "\"\\\"\\\\\\b\\f\\n\\r\\t\"", "\"\\\b\f\n\r\t", "short escapes" },
		{ "\"\\u0041\\u007f\"", "A\x7f", "\\u of ASCII" },
		{ "\"\xc3\xa9 raw\"", "\xc3\xa9 raw", "raw UTF-8 passes through" },
		{ "\"\"", "", "empty string" },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		struct json *j = NULL;
		struct err e = { 0 };
		char *s;

		json_parse(&j, c[i].doc, strlen(c[i].doc), &e);
		s = json_str(j, json_root(j));
		ok(s && strcmp(s, c[i].want) == 0 && json_str_eq(j, json_root(j), c[i].want),
		   "unescape: %s", c[i].why);
		free(s);
		json_free(j);
	}
}

static void test_keys_unescaped(void)
{
	struct json *j = NULL;
	struct err e = { 0 };
	const char doc[] = "{\"\\u0061b\":1,\"a\\u0000\":2,\"dup\":1,\"dup\":2,\"ca\\u0066\\u00e9\":3}";
	int64_t n = 0;

	json_parse(&j, doc, strlen(doc), &e);
	ok(json_int64(j, json_get(j, 0, "ab"), &n) == 0 && n == 1, "escaped key matches 'ab'");
	ok(json_get(j, 0, "a") == -1, "key with \\u0000 does not match its prefix");
	ok(json_str(j, json_member(j, 0, 1, NULL) - 1) == NULL,
	   "json_str refuses a string with an embedded NUL");
	ok(json_int64(j, json_get(j, 0, "dup"), &n) == 0 && n == 2,
	   "duplicate key: the last wins, as in Go");
	ok(json_get(j, 0, "caf\xc3\xa9") > 0, "key with \\u00e9 matches its UTF-8 form");
	ok(json_get(j, 0, "caf") == -1 && json_get(j, 0, "ab\xc3") == -1,
	   "prefixes and overlong lookups do not match");
	json_free(j);
}

/* Write every value kind, parse it back, compare. */
static void test_round_trip(void)
{
	struct buf b;
	struct jw w;
	struct json *j = NULL;
	struct err e = { 0 };
	char all[128];
	char *s;
	int i, pretty, root;
	int64_t n;

	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	for (pretty = 0; pretty < 2; pretty++) {
		buf_init(&b);
		jw_init(&w, &b, pretty);
		jw_begin_obj(&w);
		jw_key(&w, "all");
		jw_str(&w, all);
		jw_key(&w, "q\"k\\ey\n");
		jw_str(&w, "say \"hi\" C:\\dir\t\x01\x1f");
		jw_key(&w, "nums");
		jw_begin_arr(&w);
		jw_int(&w, INT64_MIN);
		jw_int(&w, INT64_MAX);
		jw_uint(&w, UINT64_MAX);
		jw_end_arr(&w);
		jw_key(&w, "empty");
		jw_begin_arr(&w);
		jw_end_arr(&w);
		jw_key(&w, "eo");
		jw_begin_obj(&w);
		jw_end_obj(&w);
		jw_key(&w, "t");
		jw_bool(&w, 1);
		jw_key(&w, "n");
		jw_null(&w);
		jw_key(&w, "raw");
		jw_raw(&w, "{\"x\":[1,2]}", 11);
		jw_key(&w, "nul");
		jw_strn(&w, "a\0b", 3);
		jw_key(&w, "u");
		jw_str(&w, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80");
		jw_end_obj(&w);
		ok(jw_finish(&w) == 0, "writer finished cleanly (pretty=%d)", pretty);
		ok(json_parse(&j, b.data, b.len, &e) == 0, "written JSON parses (pretty=%d) %s",
		   pretty, e.msg);
		root = json_root(j);
		s = json_str(j, json_get(j, root, "all"));
		ok(s && strcmp(s, all) == 0, "every byte 0x01..0x7f survives (pretty=%d)", pretty);
		free(s);
		ok(json_str_eq(j, json_get(j, root, "q\"k\\ey\n"), "say \"hi\" C:\\dir\t\x01\x1f"),
		   "quotes, backslashes, controls in key and value (pretty=%d)", pretty);
		ok(json_int64(j, json_at(j, json_get(j, root, "nums"), 0), &n) == 0 && n == INT64_MIN,
		   "INT64_MIN survives");
		ok(json_int64(j, json_at(j, json_get(j, root, "nums"), 1), &n) == 0 && n == INT64_MAX,
		   "INT64_MAX survives");
		ok(json_kind(j, json_at(j, json_get(j, root, "nums"), 2)) == JSON_NUMBER,
		   "UINT64_MAX written as a number");
		ok(json_count(j, json_get(j, root, "empty")) == 0 &&
		   json_kind(j, json_get(j, root, "eo")) == JSON_OBJECT, "empty containers");
		ok(json_int64(j, json_at(j, json_getpath(j, root, "raw.x"), 1), &n) == 0 && n == 2,
		   "raw value embedded");
		ok(json_str(j, json_get(j, root, "nul")) == NULL &&
		   strstr(b.data, "\"a\\u0000b\""), "embedded NUL written as \\u0000");
		ok(json_str_eq(j, json_get(j, root, "u"), "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80") &&
		   strstr(b.data, "\\u2028"), "UTF-8 kept, U+2028 escaped");
		json_free(j);
		buf_free(&b);
	}
}

static void test_pretty_exact(void)
{
	struct buf b;
	struct jw w;

	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "a");
	jw_int(&w, 1);
	jw_key(&w, "b");
	jw_begin_arr(&w);
	jw_str(&w, "x");
	jw_begin_obj(&w);
	jw_end_obj(&w);
	jw_end_arr(&w);
	jw_end_obj(&w);
	ok(jw_finish(&w) == 0 && strcmp(buf_cstr(&b),
		"{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    {}\n  ]\n}") == 0,
	   "pretty output has 2-space indents");
	buf_reset(&b);
	jw_init(&w, &b, 0);
	jw_begin_arr(&w);
	jw_int(&w, -3);
	jw_bool(&w, 0);
	jw_str(&w, "");
	jw_end_arr(&w);
	ok(jw_finish(&w) == 0 && strcmp(buf_cstr(&b), "[-3,false,\"\"]") == 0,
	   "compact output: %s", buf_cstr(&b));
	buf_free(&b);
}

static void test_writer_misuse(void)
{
	struct buf b;
	struct jw w;
	int i, r;

	buf_init(&b);
	jw_init(&w, &b, 0);
	jw_begin_obj(&w);
	ok(jw_int(&w, 1) == -1 && w.bad, "value without a key in an object is bad");

	jw_init(&w, &b, 0);
	jw_begin_arr(&w);
	ok(jw_key(&w, "k") == -1 && w.bad, "key inside an array is bad");

	jw_init(&w, &b, 0);
	jw_begin_arr(&w);
	ok(jw_end_obj(&w) == -1 && w.bad, "mismatched end is bad");

	jw_init(&w, &b, 0);
	ok(jw_end_arr(&w) == -1, "end with nothing open is bad");

	jw_init(&w, &b, 0);
	jw_int(&w, 1);
	ok(jw_int(&w, 2) == -1 && jw_finish(&w) == -1, "second top-level value is bad");

	jw_init(&w, &b, 0);
	jw_begin_obj(&w);
	jw_key(&w, "a");
	ok(jw_end_obj(&w) == -1, "closing an object after a dangling key is bad");

	jw_init(&w, &b, 0);
	jw_begin_arr(&w);
	ok(jw_finish(&w) == -1 && !w.bad, "unfinished document fails jw_finish");

	jw_init(&w, &b, 0);
	ok(jw_finish(&w) == -1, "empty document fails jw_finish");

	jw_init(&w, &b, 0);
	ok(jw_str(&w, "\xff") == -1 && w.bad, "invalid UTF-8 string is refused");
	jw_init(&w, &b, 0);
	jw_begin_obj(&w);
	ok(jw_key(&w, "\xc3") == -1 && w.bad, "invalid UTF-8 key is refused");
	jw_init(&w, &b, 0);
	ok(jw_str(&w, NULL) == -1 && w.bad, "NULL string is refused");
	jw_init(&w, &b, 0);
	ok(jw_raw(&w, "{\"a\":1}, \"b\"", 12) == -1 && w.bad,
	   "raw text that is not exactly one value is refused");
	jw_init(&w, &b, 0);
	ok(jw_raw(&w, " [1] ", 5) == 0 && jw_finish(&w) == 0, "valid raw text accepted");

	jw_init(&w, &b, 0);
	for (i = 0, r = 0; i < 64 && r == 0; i++)
		r = jw_begin_arr(&w);
	ok(r == 0 && jw_begin_arr(&w) == -1 && w.bad, "writer refuses depth 65");
	ok(jw_null(&w) == -1, "bad is sticky");
	buf_free(&b);
}

static void test_escape(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
		const char *why;
	} c[] = {
		{ L("plain"), "plain", "plain text unchanged" },
		{ L("a\"b\\c"), "a\\\"b\\\\c", "quote and backslash" },
		{ L("\b\f\n\r\t"), "\\b\\f\\n\\r\\t", "short escapes" },
		{ L("\x01\x1f\x7f"), "\\u0001\\u001f\\u007f", "other controls and DEL as \\u00XX" },
		{ L("a\0b"), "a\\u0000b", "NUL within n" },
		{ L("/"), "/", "slash not escaped" },
		{ L("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029", "JS line terminators" },
		{ L("\xc3\xa9"), "\xc3\xa9", "UTF-8 kept" },
		{ L(""), "", "empty" },
	};
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof c / sizeof *c; i++) {
		buf_reset(&b);
		ok(json_escape(&b, c[i].in, c[i].n) == 0 && strcmp(buf_cstr(&b), c[i].out) == 0,
		   "json_escape: %s -> %s", c[i].why, buf_cstr(&b));
	}
	buf_reset(&b);
	buf_puts(&b, "keep");
	ok(json_escape(&b, "ok\xff", 3) == -1 && strcmp(buf_cstr(&b), "keep") == 0,
	   "json_escape refuses invalid UTF-8 and appends nothing");
	buf_free(&b);
}

static void test_buf(void)
{
	struct buf b;
	char big[1000];
	char *s;
	size_t n = 0;

	buf_init(&b);
	ok(strcmp(buf_cstr(&b), "") == 0, "empty buf is \"\"");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_appendf(&b, "%s|%d", big, 42);
	ok(b.len == 1002 && strcmp(b.data + 999, "|42") == 0 && !b.oom,
	   "buf_appendf longer than its stack buffer");
	buf_append(&b, b.data, b.len);
	ok(b.len == 2004 && memcmp(b.data + 1002, b.data, 1002) == 0,
	   "appending from its own data survives realloc");
	buf_truncate(&b, 3);
	ok(strcmp(buf_cstr(&b), "xxx") == 0, "buf_truncate");
	buf_putc(&b, 'y');
	s = buf_steal(&b, &n);
	ok(s && n == 4 && strcmp(s, "xxxy") == 0 && b.data == NULL && b.len == 0,
	   "buf_steal hands over the data");
	free(s);
	ok(buf_reserve(&b, BUF_MAX) == -1 && b.oom, "growing past BUF_MAX sets oom");
	ok(buf_puts(&b, "a") == -1 && buf_steal(&b, NULL) == NULL, "oom is sticky");
	buf_reset(&b);
	ok(!b.oom && buf_puts(&b, "a") == 0, "buf_reset clears oom");
	s = buf_steal(&b, NULL);
	free(s);
	s = buf_steal(&b, &n);
	ok(s && n == 0 && *s == '\0', "buf_steal of an empty buf gives \"\"");
	free(s);
	buf_free(&b);
	buf_free(NULL);
}

int main(void)
{
	test_validity();
	test_messages();
	test_limits();
	test_docker_manifest();
	test_oci_index();
	test_absent_and_kinds();
	test_int64();
	test_unescape();
	test_keys_unescaped();
	test_round_trip();
	test_pretty_exact();
	test_writer_misuse();
	test_escape();
	test_buf();
	return tap_done();
}
