/* Base64 (RFC 4648, the standard alphabet, padded) and the Basic credential
 * value (RFC 7617) built on it.  Both the registry's Basic scheme (auth.c)
 * and a proxy's credentials (net.c) use them, and docker's auth files hold
 * "auth": base64(user:pass).  Pure functions, no allocation. */
#ifndef SC_BASE64_H
#define SC_BASE64_H

#include <stddef.h>

#include "err.h"

/* Base64 of in[0..len) into out, NUL-terminated.  Returns the encoded
 * length, or 0 when out is too small (out is then ""). */
size_t base64_encode(const void *in, size_t len, char *out, size_t outsz);
/* Decode in[0..len) (padding required, no whitespace) into out[0..outsz);
 * the decoded length, or -1 when malformed or too long. */
long base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz);
/* The Authorization value "Basic base64(user:pass)" into out.  A ':' in
 * user is refused (RFC 7617).  The output is a secret: never print it;
 * the plain text is wiped before returning. */
int base64_basic_credentials(const char *user, const char *pass, char *out, size_t outsz,
			     struct err *e);

#endif
