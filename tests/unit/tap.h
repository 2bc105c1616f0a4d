/* Minimal TAP producer for the C unit tests: one binary per module.
 * ok(cond, "what this row proves") prints "ok N - ..." or "not ok N - ...";
 * tap_done() prints the plan and returns the exit status. */
#ifndef SC_TAP_H
#define SC_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

/* s on one TAP line: newlines shown as \\n (a static buffer: one use per
 * ok() call). */
__attribute__((unused))
static const char *one_line(const char *s)
{
	static char out[2048];
	size_t o = 0;

	for (; *s && o + 3 < sizeof out; s++) {
		if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
