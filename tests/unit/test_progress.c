/* Which display a run gets: quiet, lines, or a terminal redrawn in place,
 * from the options, stdout and the environment (journald's stream). */
#include "progress.h"
#include "tap.h"

struct row {
	int quiet, atomic, verbose, tty;
	const char *journal;
	const char *term;
	enum progress_mode want;
	const char *why;
};

static const struct row rows[] = {
	{ 0, 0, 0, 1, NULL, "xterm", PROGRESS_TERMINAL, "a terminal is redrawn" },
	{ 1, 0, 0, 1, NULL, "xterm", PROGRESS_QUIET, "--quiet: nothing, even on a terminal" },
	{ 1, 1, 1, 0, NULL, NULL, PROGRESS_QUIET, "--quiet wins over -v and atomic" },
	{ 0, 0, 0, 0, NULL, "xterm", PROGRESS_LINES, "no terminal: lines" },
	{ 0, 1, 0, 1, NULL, "xterm", PROGRESS_LINES, "atomic: lines, as Atomic printed" },
	{ 0, 0, 1, 1, NULL, "xterm", PROGRESS_LINES, "-v: lines, so its notes never cut a redrawn one" },
	{ 0, 0, 0, 1, NULL, "dumb", PROGRESS_LINES, "TERM=dumb: lines" },
	{ 0, 0, 0, 1, NULL, NULL, PROGRESS_LINES, "no TERM: lines" },
	{ 0, 0, 0, 1, NULL, "", PROGRESS_LINES, "empty TERM: lines" },
	{ 0, 0, 0, 1, "8:1234", "xterm", PROGRESS_LINES, "JOURNAL_STREAM naming stdout: the journal gets lines" },
	{ 0, 0, 0, 1, "8:999", "xterm", PROGRESS_TERMINAL, "JOURNAL_STREAM inherited, stdout elsewhere: terminal" },
	{ 0, 0, 0, 1, "9:1234", "xterm", PROGRESS_TERMINAL, "JOURNAL_STREAM of another device: terminal" },
	{ 0, 0, 0, 1, "8:1234x", "xterm", PROGRESS_TERMINAL, "JOURNAL_STREAM malformed: ignored" },
	{ 0, 0, 0, 1, "", "xterm", PROGRESS_TERMINAL, "JOURNAL_STREAM empty: ignored" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		ok(progress_choose(r->quiet, r->atomic, r->verbose, r->tty, r->journal, 8, 1234,
				   r->term) == r->want, "%s", r->why);
	}
	return tap_done();
}
