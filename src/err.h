/* One error type for the whole program (STYLE.md habit 2).
 *
 * A failing function fills a caller-provided struct err and returns -1;
 * each caller on the way up may prefix context with err_wrap().  Only main()
 * prints, once: "syscontainer: <verb> <object>: <cause>".
 * The struct owns no heap memory: nothing to free. */
#ifndef SC_ERR_H
#define SC_ERR_H

#include <stddef.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct err {
	int errnum;      /* errno of the root cause, 0 when none */
	int status;      /* process exit status main() should use: 1 or 2 */
	char msg[1024];
};

/* Set the root cause.  When errnum != 0, ": strerror(errnum)" is appended.
 * Always returns -1 so callers can write `return err_set(...)`. */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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
