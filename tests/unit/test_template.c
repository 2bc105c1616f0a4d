/* Template syntax: which variables a template uses, and what is an error;
 * expansion: values, $$, unknown names, and JSON-aware escaping. */
#include <string.h>

#include "json.h"

#include "tap.h"
#include "template.h"

static char seen[512];

static int collect(void *ctx, const char *name, size_t len, struct err *e)
{
	(void)ctx, (void)e;
	size_t n = strlen(seen);
	snprintf(seen + n, sizeof seen - n, "%s%.*s", n ? "," : "", (int)len, name);
	return 0;
}

/* The variables every expansion row knows. */
static const char *const vars[][2] = {
	{ "NAME", "etcd" },
	{ "DESTDIR", "/var/lib/containers/atomic/etcd.0" },
	{ "Q", "say \"hi\"\\n" },          /* say "hi"\n : a quote and a backslash */
	{ "NL", "a\nb\tc\001" },          /* control characters */
	{ "CAPS", "\"CAP_CHOWN\", \"CAP_KILL\"" }, /* a JSON list body */
	{ "DOLLAR", "$HOME" },             /* values are never expanded again */
	{ "EMPTY", "" },
	{ "NUL", NULL },                   /* found, NULL value: empty */
	{ "BADUTF", "\xff\xfe" },
};

static int lookup(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (strlen(vars[i][0]) == len && !memcmp(vars[i][0], name, len)) {
			*value = vars[i][1];
			return 1;
		}
	return 0;
}

struct xrow {
	int json;
	const char *in, *out, *err;
	const char *why;
};

static void test_expand(void)
{
	static const struct xrow rows[] = {
		{ 0, "", "", NULL, "empty template" },
		{ 0, "no vars", "no vars", NULL, "plain text passes through" },
		{ 0, "Description=$NAME\nWorkingDirectory=${DESTDIR}\n",
		  "Description=etcd\nWorkingDirectory=/var/lib/containers/atomic/etcd.0\n", NULL,
		  "both spellings expand" },
		{ 0, "$$NAME costs $$5", "$NAME costs $5", NULL, "$$ is a literal dollar" },
		{ 0, "$$$NAME", "$etcd", NULL, "$$ then a variable" },
		{ 0, "x$DOLLAR", "x$HOME", NULL, "a value is not expanded again" },
		{ 0, "[$Q]", "[say \"hi\"\\n]", NULL, "text mode inserts values raw" },
		{ 0, "[$EMPTY$NUL]", "[]", NULL, "empty and NULL values" },
		{ 0, "$NAMEX", NULL, "unknown variable NAMEX", "a name runs to the last name char" },
		{ 0, "$FOO $BAR $FOO ${BAR} $BAZ", NULL, "unknown variables FOO, BAR, BAZ",
		  "every unknown name, deduplicated, in order" },
		{ 0, "$FOO $", NULL, "invalid '$' at byte 5: expected $NAME, ${NAME} or $$",
		  "a syntax error wins over unknown names" },
		{ 0, "\xff$NAME", "\xff" "etcd", NULL, "text mode does not care about UTF-8" },
		{ 1, "{\"name\": \"$NAME\"}", "{\"name\": \"etcd\"}", NULL, "json: plain value in a string" },
		{ 1, "{\"a\": \"$Q\"}", "{\"a\": \"say \\\"hi\\\"\\\\n\"}", NULL,
		  "json: quote and backslash inside a string are escaped" },
		{ 1, "[\"$NL\"]", "[\"a\\nb\\tc\\u0001\"]", NULL, "json: control characters escaped" },
		{ 1, "{\"bounding\": [ $CAPS ]}", "{\"bounding\": [ \"CAP_CHOWN\", \"CAP_KILL\" ]}", NULL,
		  "json: outside a string the value is raw" },
		{ 1, "[\"\\\"$Q\", $CAPS]", "[\"\\\"say \\\"hi\\\"\\\\n\", \"CAP_CHOWN\", \"CAP_KILL\"]", NULL,
		  "json: an escaped quote does not end the string; the real one does" },
		{ 1, "[\"\\\\\", $CAPS]", "[\"\\\\\", \"CAP_CHOWN\", \"CAP_KILL\"]", NULL,
		  "json: an escaped backslash does not escape the closing quote" },
		{ 1, "[\"${NAME}-$$x\"]", "[\"etcd-$x\"]", NULL, "json: $$ inside a string" },
		{ 1, "[\"\\$NAME\"]", NULL, "variable NAME at byte 3 follows a backslash inside a JSON string",
		  "json: a value may not complete an escape" },
		{ 1, "[\"\\$NAME\", $]", NULL, "invalid '$' at byte 11: expected $NAME, ${NAME} or $$",
		  "json: a syntax error anywhere comes before any other error" },
		{ 1, "[\"\\$$\"]", "[\"\\$\"]", NULL, "json: \\$$ is left for the JSON parser to refuse" },
		{ 1, "[\"$BADUTF\"]", NULL, "variable BADUTF: value is not valid UTF-8 (it lands inside a JSON string)",
		  "json: a non-UTF-8 value inside a string is refused" },
		{ 1, "[$BADUTF]", "[\xff\xfe]", NULL, "json: outside strings the parser judges the value" },
		{ 1, "{\"$NAME\": 1}", "{\"etcd\": 1}", NULL, "json: keys are strings too" },
		{ 1, "[\"$FOO\", $BAR]", NULL, "unknown variables FOO, BAR", "json: unknown names collected" },
		{ 1, "\"$Q", "\"say \\\"hi\\\"\\\\n", NULL, "json: an unterminated string still escapes" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		struct buf out;
		buf_init(&out);
		buf_puts(&out, "KEEP:");
		int r = template_expand(rows[i].in, strlen(rows[i].in), rows[i].json, lookup, NULL,
					&out, &e);
		if (rows[i].err)
			ok(r < 0 && !strcmp(e.msg, rows[i].err) && !strcmp(buf_cstr(&out), "KEEP:"),
			   "%s: %s", rows[i].why, e.msg);
		else
			ok(r == 0 && !strncmp(buf_cstr(&out), "KEEP:", 5) &&
			   !strcmp(buf_cstr(&out) + 5, rows[i].out), "%s: [%s]", rows[i].why,
			   one_line(buf_cstr(&out)));
		buf_free(&out);
	}
}

static int lookup_none(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx, (void)name, (void)len, (void)value;
	return 0;
}

/* Expand in json mode and parse the result: escaping keeps it valid. */
static int expands_to_valid_json(const char *tpl)
{
	struct buf out;
	struct err e;
	int r;

	buf_init(&out);
	r = template_expand(tpl, strlen(tpl), 1, lookup, NULL, &out, &e) == 0 &&
	    json_validate(out.data, out.len, &e) == 0;
	buf_free(&out);
	return r;
}

static void test_expand_misc(void)
{
	struct err e;
	struct buf out;
	char names[40 * 8 + 1] = "";

	/* one unknown name: singular */
	buf_init(&out);
	ok(template_expand("$X", 2, 0, lookup_none, NULL, &out, &e) < 0 &&
	   !strcmp(e.msg, "unknown variable X") && out.len == 0, "singular: %s", e.msg);
	/* a NULL lookup knows nothing */
	ok(template_expand("${A}", 4, 0, NULL, NULL, &out, &e) < 0 &&
	   !strcmp(e.msg, "unknown variable A"), "no lookup function: %s", e.msg);
	/* more distinct unknown names than the error lists */
	for (int i = 0; i < 40; i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), "$V%02d ", i);
	ok(template_expand(names, strlen(names), 0, lookup_none, NULL, &out, &e) < 0 &&
	   strstr(e.msg, "unknown variables V00, V01, ") && strstr(e.msg, "V31, ...") &&
	   !strstr(e.msg, "V32"), "the list is capped: %s", e.msg);
	/* the length bounds the expansion */
	ok(template_expand("$NAMEXYZ", 5, 0, lookup, NULL, &out, &e) == 0 &&
	   !strcmp(buf_cstr(&out), "etcd"), "len bounds the expansion: [%s]", buf_cstr(&out));
	buf_free(&out);
	/* values that would break the JSON if pasted raw keep it valid */
	ok(expands_to_valid_json("{\"a\": \"$Q$NL\", \"b\": [\"x\\\"$Q\", $CAPS], \"$Q\": 1}"),
	   "escaped values keep the document valid JSON");
}

struct row {
	const char *in, *vars, *err;
	const char *why;
};

int main(void)
{
	static const struct row rows[] = {
		{ "plain text", "", NULL, "no variables" },
		{ "$A and ${B}", "A,B", NULL, "both spellings" },
		{ "${NAME}x$NAME-y", "NAME,NAME", NULL, "a name ends at the first non-name char" },
		{ "$$HOME is literal", "", NULL, "$$ is a literal dollar, not $HOME" },
		{ "$$$X", "X", NULL, "$$ then $X" },
		{ "end$", NULL, "invalid '$' at byte 3: expected $NAME, ${NAME} or $$", "trailing $" },
		{ "${UNCLOSED", NULL, "invalid '$' at byte 0: expected $NAME, ${NAME} or $$", "unclosed brace" },
		{ "$1", NULL, "invalid '$' at byte 0: expected $NAME, ${NAME} or $$", "names start with a letter or _" },
		{ "${}", NULL, "invalid '$' at byte 0: expected $NAME, ${NAME} or $$", "empty braces" },
		{ "${A B}", NULL, "invalid '$' at byte 0: expected $NAME, ${NAME} or $$", "space inside braces" },
		{ "$_x9", "_x9", NULL, "underscore and digits" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		seen[0] = '\0';
		int r = template_scan(rows[i].in, strlen(rows[i].in), collect, NULL, &e);
		if (rows[i].err)
			ok(r < 0 && !strcmp(e.msg, rows[i].err), "%s: %s", rows[i].why, e.msg);
		else
			ok(r == 0 && !strcmp(seen, rows[i].vars), "%s: [%s]", rows[i].why, seen);
	}
	/* the length bounds the scan: no NUL needed, nothing read past it */
	struct err e;
	seen[0] = '\0';
	ok(template_scan("$AB", 2, collect, NULL, &e) == 0 && !strcmp(seen, "A"), "len bounds the scan");
	test_expand();
	test_expand_misc();
	return tap_done();
}
