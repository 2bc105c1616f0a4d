/* What a person sees while layers are stored and rootfs checked out.
 *
 * One display per process, on stdout, in one of three modes chosen once by
 * progress_init():
 *   - quiet (--quiet): nothing at all; errors are main's, on stderr.
 *   - lines: stdout is no terminal, is the journal ($JOURNAL_STREAM names
 *     stdout's device:inode), TERM is dumb, -v is on, or syscontainer runs
 *     as `atomic`.  No redraws: a layer prints its start line when it
 *     starts and its end line when it is stored (Atomic mode: the start line
 *     only, as Atomic printed); an activity prints its line once.
 *   - terminal: each layer has one line, redrawn in place at most five
 *     times a second by a ticker thread: digest prefix, phase (fetching or
 *     reading / storing / done / skipped / failed), bytes and total, rate;
 *     an activity (a checkout) shows a spinner and the seconds it has taken.
 *     Lines are cut to the terminal's width.  The ticker runs only while a
 *     line is being redrawn, so a fork (systemctl) never meets it.
 * Anything else printed meanwhile goes through progress_print(), which
 * takes the redrawn lines away, prints, and draws them again, so a warning
 * stays one whole line. */
#ifndef SC_PROGRESS_H
#define SC_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

enum progress_mode { PROGRESS_QUIET, PROGRESS_LINES, PROGRESS_TERMINAL };

/* Choose the mode: quiet, atomic and verbose as the global options say;
 * the rest from stdout and the environment. */
void progress_init(int quiet, int atomic, int verbose);
enum progress_mode progress_mode(void);

/* The mode a terminal gets, decided from its parts (pure, for tests):
 * is_tty is isatty(stdout); journal is $JOURNAL_STREAM or NULL; dev:ino
 * are stdout's; term is $TERM or NULL. */
enum progress_mode progress_choose(int quiet, int atomic, int verbose, int is_tty,
				   const char *journal, unsigned long long dev,
				   unsigned long long ino, const char *term);

struct progress_item;

/* A layer starts: id is its digest's hex (shown as 12 characters) or, for
 * a stream member whose digest comes at the end, its escaped name; verb is
 * "fetching" or "reading"; total its size, -1 when unknown.  start_line is
 * what lines mode prints now (NULL: nothing).  NULL when nothing is shown
 * (quiet), which every other call accepts. */
struct progress_item *progress_item_start(const char *id, const char *verb, int64_t total,
					  const char *start_line);
/* Bytes read so far (cheap: called for every buffer). */
void progress_item_bytes(struct progress_item *it, uint64_t done);
/* The bytes are in; the layer's commit is being written and synced. */
void progress_item_storing(struct progress_item *it);
/* The layer is stored (entries: files and directories it held), skipped
 * (already present), or failed (its error follows from main); id, when
 * not NULL, replaces the shown id (a stream's digest, known now).  Frees
 * it. */
void progress_item_done(struct progress_item *it, const char *id, uint64_t entries);
void progress_item_skipped(struct progress_item *it, const char *id);
void progress_item_failed(struct progress_item *it);

/* A layer that was never started because it is stored already. */
void progress_skipped(const char *hex);

/* An activity with no byte count (a checkout): line is printed as given
 * (with its newline) in lines mode; on a terminal, followed by a spinner
 * and the seconds so far until progress_activity_end(). */
void progress_activity(const char *line);
void progress_activity_end(void);

/* End the display: an activity still shown ends, items still shown are
 * marked failed.  Before main prints an error, and at exit. */
void progress_finish(void);

/* Print text (one or more whole lines, already escaped) to f without
 * breaking a redrawn line. */
void progress_print(FILE *f, const char *text);

#endif
