/* Registry authentication: credentials and the Basic / Bearer schemes.
 *
 * Credentials, first that applies:
 *   --creds USER[:PASS]   (no ":PASS": asked for on the terminal, no echo)
 *   the auth files: $REGISTRY_AUTH_FILE alone when set (as containers/image
 *   does), else ${XDG_RUNTIME_DIR}/containers/auth.json,
 *   ~/.config/containers/auth.json, ~/.docker/config.json; the first file
 *   with a matching entry wins.  Entries: {"auths": {KEY: {"auth":
 *   base64("user:pass")}}}; KEY is "host[:port]" or "host[:port]/path..."
 *   (the most specific match first: "r.example/ns/app" before "r.example/ns"
 *   before "r.example"), or a URL "https://host/v1/" (scheme and path
 *   dropped); index.docker.io and registry-1.docker.io mean docker.io.
 *   Credential helpers (credsStore, credHelpers) are not run.
 *
 * Schemes, as the registry's WWW-Authenticate says (the /v2/ ping, or any
 * 401 later):
 *   Basic   "Authorization: Basic base64(user:pass)" on every request
 *   Bearer  a token from the realm (GET realm?service=S&scope=SCOPE, with
 *           Basic credentials when we have any, anonymous otherwise), taken
 *           from the "token" or "access_token" member, cached per scope for
 *           the run and fetched again once "expires_in" (default 60 s) runs
 *           out.  Credentials go to a plain-http realm only when the
 *           registry itself is used without TLS verification.
 *
 * Secrets (passwords, tokens, Authorization values) never appear in an
 * error message, and are wiped from memory when freed.
 *
 * Ownership: auth_free() frees an auth (NULL is a no-op).  struct
 * auth_creds holds no heap memory; auth_creds_wipe() clears it. */
#ifndef SC_AUTH_H
#define SC_AUTH_H

#include <stddef.h>

#include "err.h"

struct http_client;
struct http_response;

#define AUTH_USER_MAX 256
#define AUTH_PASS_MAX 1024
#define AUTH_FILE_MAX (1 << 20)     /* bytes of an auth file */
#define AUTH_TOKEN_MAX 16384        /* bytes of a bearer token */
#define AUTH_VALUE_MAX (AUTH_TOKEN_MAX + 16) /* an Authorization value */
#define AUTH_SCOPE_MAX 512
#define AUTH_CACHE 8                /* tokens kept, one per scope */

struct auth_creds {
	int set;
	char user[AUTH_USER_MAX];
	char pass[AUTH_PASS_MAX];
};

void auth_creds_wipe(struct auth_creds *c);

/* --creds USER[:PASS].  Without ":PASS" the password is read from the
 * terminal (/dev/tty, echo off); no terminal is an error. */
int auth_creds_from_option(const char *opt, struct auth_creds *c, struct err *e);

/* Search the auth files (see above) for registry ("docker.io",
 * "127.0.0.1:5000") and repository path.  1 found (c filled), 0 none, -1 on
 * an unreadable or malformed file (the message names the file). */
int auth_creds_find(const char *registry, const char *path, struct auth_creds *c,
		    struct err *e);

/* The lookup in one auth file's bytes buf[0..len), pure.  1, 0 or -1 as
 * auth_creds_find. */
int auth_file_lookup(const char *buf, size_t len, const char *registry, const char *path,
		     struct auth_creds *c, struct err *e);

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth;

/* label names the registry in messages ("127.0.0.1:5000"); creds may be
 * NULL (anonymous; copied otherwise).  plain_http_ok allows a realm on
 * plain http to receive credentials. */
int auth_new(const char *label, const struct auth_creds *creds, int plain_http_ok,
	     struct auth **out, struct err *e);
void auth_free(struct auth *a);

/* Learn the scheme from r's WWW-Authenticate headers (none: nothing
 * changes).  When a Bearer challenge carries error="insufficient_scope"
 * and a scope, that scope is copied to scope (AUTH_SCOPE_MAX bytes, ""
 * otherwise). */
int auth_learn(struct auth *a, const struct http_response *r, char *scope, struct err *e);

/* The Authorization value for a request in scope ("repository:P:pull")
 * into out[AUTH_VALUE_MAX], "" when there is none to send.  For Bearer this
 * may fetch a token through c. */
int auth_authorization(struct auth *a, struct http_client *c, const char *scope, char *out,
		       struct err *e);
/* Drop a cached token (the registry refused it). */
void auth_forget(struct auth *a, const char *scope);

enum auth_scheme auth_get_scheme(const struct auth *a);
int auth_has_creds(const struct auth *a);

/* Standard base64 (padding required, no whitespace) of in[0..len) into
 * out[0..outsz); the decoded length, or -1 when malformed or too long. */
long auth_base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz);

#endif
