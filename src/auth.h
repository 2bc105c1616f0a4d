/* Registry authentication: credentials and the Basic / Bearer schemes.
 *
 * Credentials, first that applies:
 *   --creds USER[:PASS]   without ":PASS", read from standard input with
 *                         --password-stdin, else asked for on the terminal
 *   registries.conf's credential-helpers, in order (default: only
 *   "containers-auth.json"):
 *     "containers-auth.json"  the auth files, in containers-auth.json(5)'s
 *         order: --authfile FILE or $REGISTRY_AUTH_FILE alone when given;
 *         else ${XDG_RUNTIME_DIR}/containers/auth.json (without
 *         XDG_RUNTIME_DIR: /run/containers/UID/auth.json, where podman
 *         login writes as root), ${XDG_CONFIG_HOME:-~/.config}/containers/
 *         auth.json, $DOCKER_CONFIG/config.json or ~/.docker/config.json,
 *         ~/.dockercfg (the legacy format: entries at the top level).  Under
 *         --root each file is looked for inside ROOT first.  In a file:
 *         credHelpers[REGISTRY] names a credential helper; else an "auths"
 *         entry (KEY "host[:port]" or "host[:port]/path...", the most
 *         specific first, or a URL "https://host/v1/"; index.docker.io and
 *         registry-1.docker.io mean docker.io); else credsStore names a
 *         helper for every registry.
 *     "NAME"  the credential helper docker-credential-NAME.
 *   A credential helper is docker-credential-NAME from PATH, run as `get`
 *   with the registry on standard input ("https://index.docker.io/v1/" for
 *   docker.io, as docker login stores it), its standard error discarded,
 *   given the --timeout deadline; its JSON answer {"Username","Secret"} is
 *   read by our JSON reader.  "credentials not found" means none.
 *
 * Schemes, as the registry's WWW-Authenticate says (the /v2/ ping, or any
 * 401 later):
 *   Basic   "Authorization: Basic base64(user:pass)" on every request
 *   Bearer  a token from the realm (GET realm?service=S&scope=SCOPE, with
 *           Basic credentials when we have any, anonymous otherwise), taken
 *           from the "token" or "access_token" member, cached per scope for
 *           the run and fetched again once "expires_in" (default 60 s) runs
 *           out, or when the registry refuses it (a token that expired
 *           early).  Credentials go to a plain-http realm only when the
 *           registry itself is used without TLS verification.
 *
 * Secrets (passwords, tokens, Authorization values, helper output) never
 * appear in an error message or on a command line, and every buffer that
 * held one is wiped before it is freed.
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
#define AUTH_PASS_MAX 4096          /* a password, or an identity token (a JWT) */
#define AUTH_FILE_MAX (1 << 20)     /* bytes of an auth file */
#define AUTH_TOKEN_MAX 16384        /* bytes of a bearer token */
#define AUTH_VALUE_MAX (AUTH_TOKEN_MAX + 16) /* an Authorization value */
#define AUTH_SCOPE_MAX 512
#define AUTH_CACHE 8                /* tokens kept, one per scope */
#define AUTH_HELPER_OUT_MAX 65536   /* bytes of a credential helper's answer */

struct auth_creds {
	int set;
	int identity;             /* pass is an identity token: an OAuth2 refresh
	                             token the token server trades for access
	                             tokens (a helper's "<token>" user, an auth
	                             file's "identitytoken"); Bearer only */
	char user[AUTH_USER_MAX];
	char pass[AUTH_PASS_MAX];
};

void auth_creds_wipe(struct auth_creds *c);

/* --creds USER[:PASS].  Without ":PASS" the password is read from
 * standard input up to a newline when from_stdin (--password-stdin), else
 * from the terminal (/dev/tty, echo off); no terminal is an error. */
int auth_creds_from_option(const char *opt, int from_stdin, struct auth_creds *c,
			   struct err *e);

/* Where auth_creds_find() looks. */
struct auth_lookup {
	const char *root;            /* --root, or NULL */
	const char *authfile;        /* --authfile: that file alone, which must
	                                exist; NULL: $REGISTRY_AUTH_FILE or the
	                                default list */
	const char (*helpers)[64];   /* registries.conf credential-helpers, or
	                                NULL for ["containers-auth.json"] */
	size_t nhelpers;
	int timeout_ms;              /* a credential helper's deadline; <= 0: 60 s */
};

/* Look for credentials for registry ("docker.io", "127.0.0.1:5000") and
 * repository path (see above).  1 found (c filled; from, when not NULL,
 * says where: "'/run/containers/0/auth.json'", "credential helper
 * 'docker-credential-pass'"), 0 none, -1 on an unreadable or malformed file
 * or a failing helper (the message names it). */
int auth_creds_find(const struct auth_lookup *l, const char *registry, const char *path,
		    struct auth_creds *c, char *from, size_t fromsz, struct err *e);

/* The lookup in one auth file's bytes buf[0..len) (legacy: the ~/.dockercfg
 * format), pure.  1 found (c filled), 2 a credential helper decides (its
 * NAME into helper[64]), 0 none, -1 malformed. */
int auth_file_lookup(const char *buf, size_t len, int legacy, const char *registry,
		     const char *path, struct auth_creds *c, char *helper, struct err *e);

/* Run docker-credential-NAME get for server (see above): 1 found, 0 none,
 * -1 with a one-line error naming the helper (a timeout, an exit status,
 * output that is not a credentials document). */
int auth_helper_get(const char *name, const char *server, int timeout_ms,
		    struct auth_creds *c, struct err *e);
/* A helper's answer buf[0..len), pure: 0 (c filled) or -1; the message
 * never quotes the output. */
int auth_helper_parse(const char *buf, size_t len, struct auth_creds *c, struct err *e);

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth;

/* label names the registry in messages ("127.0.0.1:5000"); creds may be
 * NULL (anonymous; copied otherwise).  plain_http_ok allows a realm on
 * plain http to receive credentials. */
int auth_new(const char *label, const struct auth_creds *creds, int plain_http_ok,
	     struct auth **out, struct err *e);
/* A copy of a's state (scheme, credentials, cached tokens) for another
 * connection; tokens that cannot be copied are simply fetched again. */
int auth_copy(const struct auth *a, struct auth **out, struct err *e);
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

#endif
