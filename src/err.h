/* One error type for the whole program.
 *
 * A failing function fills a caller-provided struct err and returns -1;
 * each caller on the way up may prefix context with err_wrap().  Only main()
 * prints, once: "syscontainer: <verb> <object>: <cause>".
 * The struct owns no heap memory: nothing to free. */
#ifndef SC_ERR_H
#define SC_ERR_H

#include <stddef.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* What kind of failure, for callers that act on it (never read the text). */
enum err_code {
	ERR_OTHER = 0,
	ERR_NOT_FOUND,   /* the named image, container or object does not exist */
	ERR_REFUSED,     /* a policy refused it (HOST FILES, tmpfiles, names) */
	ERR_NO_SPACE,    /* the file system is full (ENOSPC, or the repository's
	                    min-free-space reserve would be crossed) */
};

struct err {
	int errnum;      /* errno of the root cause, 0 when none */
	int status;      /* process exit status main() should use: 1 or 2 */
	int code;        /* enum err_code of the root cause; context keeps it */
	char msg[1024];
};

/* Set the root cause.  When errnum != 0, ": strerror(errnum)" is appended.
 * Always returns -1 so callers can write `return err_set(...)`. */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same as err_set, with a code callers may act on. */
int err_setc(struct err *e, enum err_code code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same as err_set, but marks the error as a usage error (exit status 2). */
int err_usage(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix "<context>: " to the message already in e (not to usage errors,
 * which are about the command line itself).  Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Reset to "no error". */
void err_clear(struct err *e);

#endif
