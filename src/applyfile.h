/* The file `apply` reads (syscontainer(1), APPLY FILE): one container a
 * line,
 *
 *     NAME SOURCE [--set KEY=VALUE]...
 *
 * Words are separated by blanks; '...' or "..." hold blanks (no escapes
 * inside: a quote of the other kind is literal); a word starting with '#'
 * starts a comment; empty lines are skipped; a line may end in CRLF.
 * NAME is a container name, SOURCE anything pull takes, with an archive's
 * FILE an absolute path (the hook runs wherever it runs).
 *
 * A bad line does not spoil the others: it is kept with its error, so the
 * caller can report it and still apply every good line.  Pure: no I/O.
 * applyfile_free() releases what applyfile_parse() made. */
#ifndef SC_APPLYFILE_H
#define SC_APPLYFILE_H

#include <stddef.h>

#include "err.h"

enum {
	APPLYFILE_MAX = 1 << 20,     /* bytes in the file */
	APPLYFILE_LINE_MAX = 16384,  /* bytes in a line */
	APPLYFILE_ENTRIES_MAX = 256, /* lines naming a container */
};

struct apply_entry {
	unsigned line;               /* 1-based line number in the file */
	char name[65];               /* "" when the line has no valid NAME */
	char *source;                /* as written, unquoted; NULL on an error */
	char **sets;                 /* "KEY=VALUE", in file order */
	size_t nsets;
	char error[1024];            /* "" when the line is good; else why not */
};

struct apply_file {
	struct apply_entry *v;       /* every non-empty, non-comment line */
	size_t n;
	size_t nbad;                 /* entries with an error */
};

/* Parse buf[0..len).  -1 (e set) only when the file as a whole cannot be
 * read as one: bigger than APPLYFILE_MAX, more than APPLYFILE_ENTRIES_MAX
 * entries.  A line with a problem is an entry with error set; a NAME
 * listed again is an error on the later line. */
int applyfile_parse(const char *buf, size_t len, struct apply_file *f, struct err *e);
void applyfile_free(struct apply_file *f);

/* 1 when the two lists of KEY=VALUE give the same values: the last one of
 * a KEY wins, order does not matter. */
int applyfile_same_sets(char *const *a, size_t na, char *const *b, size_t nb);

#endif
