#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct err *e, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
	e->errnum = errnum;
	e->code = ERR_OTHER;
}

int err_set(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, errnum, fmt, ap);
	va_end(ap);
	e->status = EXIT_FAIL;
	return -1;
}

int err_setc(struct err *e, enum err_code code, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, errnum, fmt, ap);
	va_end(ap);
	e->status = EXIT_FAIL;
	e->code = code;
	return -1;
}

int err_usage(struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, 0, fmt, ap);
	va_end(ap);
	e->status = EXIT_USAGE;
	return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char old[sizeof e->msg];
	size_t n;
	int r;
	va_list ap;

	/* A usage error is about the command line the user typed: it needs no
	 * context, and main() prints it as "VERB: message". */
	if (e->status == EXIT_USAGE)
		return -1;
	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	r = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r;
	/* Truncation keeps the start of the message: context, then cause. */
	if (n + 2 < sizeof e->msg) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
		old[sizeof old - 1 - n] = '\0';
		memcpy(e->msg + n, old, strlen(old) + 1);
	}
	if (!e->status)
		e->status = EXIT_FAIL;
	return -1;
}

void err_clear(struct err *e)
{
	e->errnum = 0;
	e->status = 0;
	e->code = ERR_OTHER;
	e->msg[0] = '\0';
}
