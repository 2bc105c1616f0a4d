/* Pure helpers for the registry layer's header handling: WWW-Authenticate
 * challenges (RFC 7235), Retry-After and HTTP-date (base64 and Basic
 * credentials are in base64.h).
 *
 *   struct authhdr a;
 *   authhdr_init(&a);
 *   for each WWW-Authenticate value v of the response:
 *           if (authhdr_parse(&a, v, strlen(v), e) < 0) ...
 *   long i = authhdr_find(&a, "bearer");
 *   const char *realm = authhdr_param(&a, i, "realm");   // NULL if absent
 *
 * Grammar: 1#( auth-scheme [ 1*SP ( token68 / #auth-param ) ] ), auth-param
 * = token BWS "=" BWS ( token / quoted-string ); quoted-string escapes
 * ("\x" -> "x") are decoded.  Empty list elements (",,") are skipped.  A
 * parameter name given twice in one challenge, a control character, an
 * unterminated quoted string, a missing value and junk between elements
 * are errors.  Scheme and parameter names are stored lower-cased
 * (compare them in lower case); values keep their bytes.
 *
 * struct authhdr owns all its storage (no heap, no pointers into the input)
 * and may be copied with memcpy; nothing to free.  A failed authhdr_parse()
 * leaves the set as it was.  Errors name the byte offset and what was
 * expected, never the header's content. */
#ifndef SC_AUTHHDR_H
#define SC_AUTHHDR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define AUTHHDR_MAX_LEN 8192        /* longest value authhdr_parse() accepts */
#define AUTHHDR_MAX_CHALLENGES 8    /* per set, over every parsed header */
#define AUTHHDR_MAX_PARAMS 16       /* per challenge */
#define AUTHHDR_STORE 16384         /* decoded names and values, NULs included */

struct authhdr_challenge {
	unsigned short scheme;    /* offsets into store */
	unsigned short token68;   /* 0 when the challenge has none */
	unsigned short nparams;
	unsigned short name[AUTHHDR_MAX_PARAMS];
	unsigned short value[AUTHHDR_MAX_PARAMS];
};

struct authhdr {
	size_t n;                 /* challenges parsed so far */
	struct authhdr_challenge c[AUTHHDR_MAX_CHALLENGES];
	size_t used;              /* bytes of store in use; store[0] is "" */
	char store[AUTHHDR_STORE];
};

/* Empty the set. */
void authhdr_init(struct authhdr *a);
/* Append the challenges of one header value s[0..len) (no NUL needed). */
int authhdr_parse(struct authhdr *a, const char *s, size_t len, struct err *e);
/* Scheme of challenge i ("bearer", "basic", ...); NULL if i is out of range. */
const char *authhdr_scheme(const struct authhdr *a, size_t i);
/* token68 of challenge i, or NULL. */
const char *authhdr_token68(const struct authhdr *a, size_t i);
/* Value of parameter name (matched case-insensitively) of challenge i, or
 * NULL when absent or i is out of range (negative included). */
const char *authhdr_param(const struct authhdr *a, long i, const char *name);
/* Index of the first challenge whose scheme is `scheme` (case-insensitive),
 * or -1. */
long authhdr_find(const struct authhdr *a, const char *scheme);

/* HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994")
 * from s[0..len) into *out.  0, or -1 for a bad date (no message). */
int authhdr_http_date(const char *s, size_t len, time_t *out);
/* Retry-After from s[0..len): delta seconds (saturating at 2^32-1) or an
 * HTTP-date, giving the seconds from now (0 when in the past). */
int authhdr_retry_after(const char *s, size_t len, time_t now, uint64_t *seconds,
			struct err *e);

#endif
