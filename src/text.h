/* Text rules shared by every parser and every printer: UTF-8 validity (RFC
 * 3629), the character classes of HTTP (RFC 9110), hex digits, and the one
 * function that makes untrusted text safe to show on a terminal.
 *
 * Untrusted text reaches the user from images (labels, defaults, names,
 * paths), from servers (reason phrases, certificate names) and from the
 * command line.  main() passes every error through text_escape() before it
 * prints it and listings print through text_printf(), so no such string can
 * retitle or clear a terminal, fake a line, or hide text behind a bidi
 * override.  Pure functions, no allocation. */
#ifndef SC_TEXT_H
#define SC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s[0..n) (1 to 4), or 0 when it is
 * invalid: overlong forms, surrogates and code points above U+10FFFF are
 * refused.  n must be > 0. */
size_t text_utf8_len(const unsigned char *s, size_t n);
/* Whole buffer valid UTF-8 (NUL bytes count as valid). */
bool text_utf8_valid(const void *buf, size_t len);

/* RFC 9110 token character (tchar) and visible character (VCHAR / obs-text). */
bool text_is_tchar(int c);
bool text_is_vchar(int c);
/* a[0..alen) (no NUL needed) is b, ASCII letters compared case-insensitively:
 * header names, schemes, month names. */
bool text_ieq(const char *a, size_t alen, const char *b);
/* s[0..n) is n > 0 lower-case hex digits (how digests and IDs are written). */
bool text_is_lower_hex(const char *s, size_t n);
/* Value of a hex digit, -1 when c is none. */
int text_hexval(int c);

enum {
	/* Also escape '\'' and '\\': for a string shown inside quotes in a
	 * message, which must not end the quotes early. */
	TEXT_QUOTE = 1,
};

/* Copy in[0..len) to out (NUL-terminated, outsz > 4) with everything a
 * terminal would act on written as an escape: C0 controls and DEL as \n,
 * \t, \r or \xNN, invalid UTF-8 bytes as \xNN, C1 controls (U+0080..U+009F)
 * and bidi controls (U+202A..U+202E, U+2066..U+2069) as \uNNNN.  What does
 * not fit ends in "...".  Returns the length written. */
size_t text_escape(char *out, size_t outsz, const char *in, size_t len, int flags);

/* printf one line to f, escaped: a '\n' at the very end is printed as a
 * line end, every other control character (an embedded '\n' included) is
 * escaped, so a value can never fake a line.  For listings and progress;
 * output longer than 8 KiB is cut with "...". */
void text_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
