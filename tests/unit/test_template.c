/* Template syntax: which variables a template uses, and what is an error. */
#include <string.h>

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
	return tap_done();
}
