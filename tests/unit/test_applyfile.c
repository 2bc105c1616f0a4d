/* The apply file: lines, words, quotes, comments, each line's errors kept
 * with it (the others stay good), limits; and when two --set lists give
 * the same values. */
#include <stdlib.h>
#include <string.h>

#include "applyfile.h"
#include "tap.h"

/* The parse as text: "LINE:NAME|SOURCE|SET,SET" for a good line, "LINE!ERROR"
 * for a bad one, ";" between entries. */
static const char *dump(const struct apply_file *f)
{
	static char out[8192];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < f->n; i++) {
		const struct apply_entry *a = &f->v[i];
		if (a->error[0]) {
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%u!%s", i ? ";" : "", a->line,
					      a->error);
			continue;
		}
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%u:%s|%s|", i ? ";" : "", a->line,
				      a->name, a->source);
		for (size_t k = 0; k < a->nsets; k++)
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", k ? "," : "", a->sets[k]);
	}
	return out;
}

struct row {
	const char *in, *out;
	size_t nbad;
	const char *why;
};

static void test_lines(void)
{
	static const struct row rows[] = {
		{ "", "", 0, "an empty file lists nothing" },
		{ "# only a comment\n\n   \t\n", "", 0, "comments and blank lines are skipped" },
		{ "web dockertar:/img/web.tar\n", "1:web|dockertar:/img/web.tar|", 0, "NAME SOURCE" },
		{ "web busybox", "1:web|busybox|", 0, "a registry name; no newline at the end" },
		{ "\n\nweb busybox --set PORT=80 --set=A='b c'\n", "3:web|busybox|PORT=80,A=b c", 0,
		  "both --set spellings; line numbers count every line" },
		{ "web busybox\r\ndb postgres\r\n", "1:web|busybox|;2:db|postgres|", 0,
		  "CRLF line ends" },
		{ "  web\tbusybox   # the web server\n", "1:web|busybox|", 0,
		  "blanks around words and a trailing comment" },
		{ "web busybox --set 'MOTD=hello world' --set ARGS=\"a 'b' c\"\n",
		  "1:web|busybox|MOTD=hello world,ARGS=a 'b' c", 0,
		  "quotes hold blanks; the other quote is literal inside" },
		{ "web busybox --set X=a#b\n", "1:web|busybox|X=a#b", 0,
		  "# inside a word is no comment" },
		{ "web busybox --set X=\n", "1:web|busybox|X=", 0, "an empty value" },
		{ "web busybox --set X=''\n", "1:web|busybox|X=", 0, "an empty quoted value" },
		{ "web 'docker-archive:/my images/web.tar:test/web:1'\n",
		  "1:web|docker-archive:/my images/web.tar:test/web:1|", 0, "a quoted SOURCE with a blank" },
		{ "web http:127.0.0.1:5000/test/web:1\n", "1:web|http:127.0.0.1:5000/test/web:1|", 0,
		  "plain HTTP registry" },
		{ "web\n", "1!'web' needs a SOURCE: a line is NAME SOURCE [--set KEY=VALUE]...", 1,
		  "a NAME alone" },
		{ "-x busybox\n",
		  "1!'-x' is not a container name: use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64", 1,
		  "a bad NAME" },
		{ "web dockertar:web.tar\n",
		  "1!'dockertar:web.tar': FILE must be an absolute path in an apply file", 1,
		  "an archive's FILE must be absolute" },
		{ "web Busybox\n",
		  "1!invalid image reference 'Busybox': repository name must be lowercase", 1,
		  "a malformed reference, as pull says it" },
		{ "web busybox --name x\n",
		  "1!unknown option '--name': a line is NAME SOURCE [--set KEY=VALUE]...", 1,
		  "only --set is an option" },
		{ "web busybox other\n",
		  "1!unexpected 'other': a line is NAME SOURCE [--set KEY=VALUE]...", 1,
		  "one SOURCE a line" },
		{ "web busybox --set\n", "1!--set needs a value", 1, "--set without a value" },
		{ "web busybox --set NAME=x\n", "1!--set NAME: a fixed variable cannot be set", 1,
		  "--set checked as install checks it" },
		{ "web busybox --set 1X=y\n", "1!--set '1X=y': expected NAME=VALUE", 1,
		  "--set needs a variable name" },
		{ "web busybox --set 'X=a\n", "1!unterminated '", 1, "an unterminated quote" },
		{ "web busy\x01" "box\n", "1!a control character (0x01) at byte 9", 1,
		  "control characters are refused" },
		{ "web busybox --set X=\xff\n", "1!not valid UTF-8", 1, "invalid UTF-8 is refused" },
		{ "web busybox\nbad\ndb postgres\n",
		  "1:web|busybox|;2!'bad' needs a SOURCE: a line is NAME SOURCE [--set KEY=VALUE]...;"
		  "3:db|postgres|", 1, "a bad line leaves the others good" },
		{ "web busybox\nweb nginx\n", "1:web|busybox|;2!'web' is already listed on line 1", 1,
		  "a NAME listed twice: the later line is the error" },
		{ "# '\nweb busybox # it's fine\n", "2:web|busybox|", 0,
		  "a quote inside a comment is nothing" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct apply_file f;
		struct err e = { 0 };
		int r = applyfile_parse(rows[i].in, strlen(rows[i].in), &f, &e);
		ok(r == 0 && !strcmp(dump(&f), rows[i].out) && f.nbad == rows[i].nbad, "%s: %s", rows[i].why,
		   r == 0 ? one_line(dump(&f)) : e.msg);
		applyfile_free(&f);
	}
}

static void test_limits(void)
{
	struct apply_file f;
	struct err e = { 0 };
	size_t n = APPLYFILE_LINE_MAX + 64;
	char *buf = malloc(APPLYFILE_MAX + 2);
	size_t len = 0;
	int r;

	/* the length is the bound: no NUL needed, none read */
	r = applyfile_parse("web busyboxXXXX", 11, &f, &e);
	ok(r == 0 && !strcmp(dump(&f), "1:web|busybox|"), "len bounds the parse: %s", dump(&f));
	applyfile_free(&f);
	/* a NUL byte is a control character */
	r = applyfile_parse("web a\0b\n", 8, &f, &e);
	ok(r == 0 && !strcmp(dump(&f), "1!a control character (0x00) at byte 6"), "NUL: %s", dump(&f));
	applyfile_free(&f);
	/* a line longer than the limit is an error of its own; the next is good */
	memset(buf, 'a', n);
	memcpy(buf, "web ", 4);
	memcpy(buf + n, "\ndb busybox\n", 12);
	r = applyfile_parse(buf, n + 12, &f, &e);
	ok(r == 0 && f.n == 2 && f.nbad == 1 &&
	   !strcmp(f.v[0].error, "longer than 16384 bytes") && !strcmp(f.v[1].name, "db"),
	   "an overlong line: %s", f.v[0].error);
	applyfile_free(&f);
	/* too many containers: the file as a whole is refused */
	for (int i = 0; i <= APPLYFILE_ENTRIES_MAX; i++)
		len += (size_t)sprintf(buf + len, "c%d busybox\n", i);
	r = applyfile_parse(buf, len, &f, &e);
	ok(r < 0 && !strcmp(e.msg, "more than 256 containers") &&
	   f.n == 0, "too many lines: %s", e.msg);
	/* exactly the limit is fine */
	len = 0;
	for (int i = 0; i < APPLYFILE_ENTRIES_MAX; i++)
		len += (size_t)sprintf(buf + len, "c%d busybox\n", i);
	r = applyfile_parse(buf, len, &f, &e);
	ok(r == 0 && f.n == APPLYFILE_ENTRIES_MAX && f.nbad == 0,
	   "256 lines are accepted");
	applyfile_free(&f);
	/* too big */
	memset(buf, '#', APPLYFILE_MAX + 1);
	r = applyfile_parse(buf, APPLYFILE_MAX + 1, &f, &e);
	ok(r < 0 && !strcmp(e.msg, "bigger than 1048576 bytes"), "too big: %s", e.msg);
	/* free is idempotent */
	applyfile_free(&f);
	applyfile_free(&f);
	ok(f.n == 0 && f.v == NULL, "applyfile_free twice is harmless");
	free(buf);
}

static void test_same_sets(void)
{
	static char *a[] = { "A=1", "B=2" }, *b[] = { "B=2", "A=1" }, *c[] = { "A=0", "B=2", "A=1" },
		    *d[] = { "A=1" }, *e[] = { "A=1", "B=3" }, *f[] = { "A=1", "B=2", "A=0" },
		    *g[] = { "AB=1" }, *h[] = { "A=B=1" };

	ok(applyfile_same_sets(a, 2, b, 2), "order does not matter");
	ok(applyfile_same_sets(a, 2, c, 3), "the last value of a KEY counts");
	ok(!applyfile_same_sets(a, 2, f, 3), "an earlier value of a KEY does not");
	ok(!applyfile_same_sets(a, 2, d, 1), "a KEY dropped is a change");
	ok(!applyfile_same_sets(d, 1, a, 2), "a KEY added is a change");
	ok(!applyfile_same_sets(a, 2, e, 2), "a value changed is a change");
	ok(applyfile_same_sets(NULL, 0, NULL, 0), "no values on either side");
	ok(!applyfile_same_sets(g, 1, h, 1), "KEY ends at the first '='");
}

int main(void)
{
	test_lines();
	test_limits();
	test_same_sets();
	return tap_done();
}
