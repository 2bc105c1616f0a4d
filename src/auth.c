/* Registry credentials and the Basic / Bearer schemes; see auth.h. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "authhdr.h"
#include "base64.h"
#include "buf.h"
#include "cleanup.h"
#include "http.h"
#include "json.h"
#include "path.h"

enum { KEY_MAX = 1024 };

void auth_creds_wipe(struct auth_creds *c)
{
	if (c)
		explicit_bzero(c, sizeof *c);
}

/* ---- credentials ---- */

/* Read a line from the terminal with echo off. */
static int prompt_password(char *out, size_t outsz, struct err *e)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	int r = 0, echo_off;

	if (fd < 0)
		return err_usage(e, "--creds: no password given and no terminal to ask for it "
				 "(use --creds USER:PASS)");
	echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, "Password: ", 10) < 0)
		r = err_set(e, errno, "--creds: terminal");
	while (!r) {
		char ch;
		ssize_t k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || ch == '\n')
			break;
		if (n + 1 >= outsz) {
			r = err_set(e, 0, "--creds: password longer than %zu bytes", outsz - 1);
			break;
		}
		out[n++] = ch;
	}
	out[n] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return r;
}

/* One line of standard input (--password-stdin), without its newline. */
static int read_stdin_line(char *out, size_t outsz, struct err *e)
{
	size_t n = 0;

	for (;;) {
		char ch;
		ssize_t k = read(STDIN_FILENO, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			explicit_bzero(out, outsz);
			return err_set(e, errno, "--password-stdin");
		}
		if (k == 0 || ch == '\n')
			break;
		if (n + 1 >= outsz) {
			explicit_bzero(out, outsz);
			return err_set(e, 0, "--password-stdin: password longer than %zu bytes",
				       outsz - 1);
		}
		out[n++] = ch;
	}
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	return 0;
}

int auth_creds_from_option(const char *opt, int from_stdin, struct auth_creds *c,
			   struct err *e)
{
	const char *colon = strchr(opt, ':');
	size_t ul = colon ? (size_t)(colon - opt) : strlen(opt);

	memset(c, 0, sizeof *c);
	if (!ul)
		return err_usage(e, "--creds: empty user name");
	if (ul >= sizeof c->user)
		return err_usage(e, "--creds: user name longer than %zu bytes", sizeof c->user - 1);
	if (colon && from_stdin)
		return err_usage(e, "--password-stdin: --creds already holds a password");
	memcpy(c->user, opt, ul);
	if (colon) {
		if (strlen(colon + 1) >= sizeof c->pass)
			return err_usage(e, "--creds: password longer than %zu bytes",
					 sizeof c->pass - 1);
		strcpy(c->pass, colon + 1);
	} else if ((from_stdin ? read_stdin_line(c->pass, sizeof c->pass, e)
			       : prompt_password(c->pass, sizeof c->pass, e)) < 0) {
		auth_creds_wipe(c);
		return -1;
	}
	c->set = 1;
	return 0;
}

/* An auths key as a "host[:port][/path]" to compare: URLs lose their
 * scheme and path (docker's "https://index.docker.io/v1/"), and Docker
 * Hub's API host names mean docker.io. */
static void norm_key(const char *k, char *out, size_t outsz)
{
	int url = 0;
	size_t n;

	if (!strncmp(k, "https://", 8))
		k += 8, url = 1;
	else if (!strncmp(k, "http://", 7))
		k += 7, url = 1;
	n = url ? strcspn(k, "/") : strlen(k);
	while (!url && n && k[n - 1] == '/')
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, k, n);
	out[n] = '\0';
	for (const char *hub = "index.docker.io\0registry-1.docker.io\0"; *hub; hub += strlen(hub) + 1) {
		size_t hl = strlen(hub);
		if (!strncmp(out, hub, hl) && (out[hl] == '\0' || out[hl] == '/')) {
			char rest[512];
			snprintf(rest, sizeof rest, "%s", out + hl);
			snprintf(out, outsz, "docker.io%s", rest);
		}
	}
}

/* An entry's "identitytoken" (what `docker login` keeps for registries
 * that hand out refresh tokens) into c: 1 when it held one. */
static int entry_identity(const struct json *j, int entry, struct auth_creds *c)
{
	char *tok = json_str(j, json_get(j, entry, "identitytoken"));
	int r = tok && *tok && strlen(tok) < sizeof c->pass;

	if (r) {
		memset(c, 0, sizeof *c);
		strcpy(c->pass, tok);
		c->identity = c->set = 1;
	}
	if (tok)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	return r;
}

/* Decode one entry's "auth" into c: 1 when it held "user:pass" (or an
 * identity token, which takes precedence as in docker). */
static int entry_creds(const struct json *j, int entry, struct auth_creds *c)
{
	if (entry_identity(j, entry, c))
		return 1;
	char *b64 = json_str(j, json_get(j, entry, "auth"));
	unsigned char dec[AUTH_USER_MAX + AUTH_PASS_MAX];
	long n = b64 ? base64_decode(b64, strlen(b64), dec, sizeof dec - 1) : -1;
	unsigned char *colon;
	int r = 0;

	if (b64)
		explicit_bzero(b64, strlen(b64));
	free(b64);
	if (n <= 0)
		goto out;
	dec[n] = '\0';
	colon = memchr(dec, ':', (size_t)n);
	if (!colon || colon == dec || memchr(dec, '\0', (size_t)n) ||
	    (size_t)(colon - dec) >= sizeof c->user || strlen((char *)colon + 1) >= sizeof c->pass)
		goto out;
	memset(c, 0, sizeof *c);
	memcpy(c->user, dec, (size_t)(colon - dec));
	strcpy(c->pass, (char *)colon + 1);
	c->set = 1;
	r = 1;
out:
	explicit_bzero(dec, sizeof dec);
	return r;
}

/* The member of an object whose key means registry/path (the most
 * specific key first: registry/a/b, registry/a, registry; only registry
 * without match_path), or -1.  With c, only an entry whose "auth" holds
 * credentials counts, and they go to c. */
static int find_entry(const struct json *j, int obj, const char *registry, const char *path,
		      int match_path, struct auth_creds *c)
{
	char want[KEY_MAX];
	size_t n = (size_t)snprintf(want, sizeof want, "%s/%s", registry, path);

	if (!match_path || n >= sizeof want)
		n = strlen(registry) < sizeof want ? strlen(registry) : 0;
	want[n] = '\0';
	for (;;) {
		for (size_t i = 0; i < json_count(j, obj); i++) {
			int key, val = json_member(j, obj, i, &key);
			char *k = json_str(j, key), nk[KEY_MAX];
			if (!k)
				continue;
			norm_key(k, nk, sizeof nk);
			free(k);
			if (strcmp(nk, want))
				continue;
			if (!c)
				return val;
			if (json_kind(j, val) == JSON_OBJECT && entry_creds(j, val, c))
				return val;
		}
		char *slash = strrchr(want, '/');
		if (!slash || (size_t)(slash - want) < strlen(registry))
			return -1;
		*slash = '\0';
	}
}

/* A credential helper's name from a string node into helper[64]. */
static int helper_name(const struct json *j, int node, char *helper, struct err *e)
{
	char *h = json_str(j, node);
	int ok = h && *h && strlen(h) < 64 && strspn(h, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(h);

	if (ok)
		strcpy(helper, h);
	free(h);
	return ok ? 2 : err_set(e, 0, "a credential helper name is not [A-Za-z0-9_.-]+");
}

int auth_file_lookup(const char *buf, size_t len, int legacy, const char *registry,
		     const char *path, struct auth_creds *c, char *helper, struct err *e)
{
	struct json *j = NULL;
	int root, auths, helpers, store, r = 0;

	if (json_parse(&j, buf, len, e) < 0)
		return -1;
	root = json_root(j);
	auths = legacy ? root : json_get(j, root, "auths");
	helpers = legacy ? -1 : json_get(j, root, "credHelpers");
	store = legacy ? -1 : json_get(j, root, "credsStore");
	if ((auths >= 0 && json_kind(j, auths) != JSON_OBJECT) ||
	    (helpers >= 0 && json_kind(j, helpers) != JSON_OBJECT) ||
	    (store >= 0 && json_kind(j, store) != JSON_STRING)) {
		json_free(j);
		return err_set(e, 0, legacy ? "not a JSON object" : "'auths' or 'credHelpers' is not "
			       "an object, or 'credsStore' not a string");
	}
	/* docker's order: a helper for this registry, the file's own entry,
	 * then the store that holds everything */
	int h = helpers >= 0 ? find_entry(j, helpers, registry, path, 0, NULL) : -1;
	if (h >= 0)
		r = helper_name(j, h, helper, e);
	else if (auths >= 0 && find_entry(j, auths, registry, path, 1, c) >= 0)
		r = 1;
	else if (store >= 0 && !json_str_eq(j, store, ""))
		r = helper_name(j, store, helper, e);
	json_free(j);
	return r;
}

static int home_dir(char *out, size_t outsz)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (!h || !*h) {
		pw = getpwuid(getuid());
		h = pw ? pw->pw_dir : NULL;
	}
	out[0] = '\0';
	if (!h || !*h)
		return -1;
	return path_fmt(out, outsz, NULL, "%s", h);
}

/* The registry as docker login names it to a credential helper. */
static const char *helper_server(const char *registry)
{
	return strcmp(registry, "docker.io") ? registry : "https://index.docker.io/v1/";
}

static int try_helper(const struct auth_lookup *l, const char *name, const char *registry,
		      struct auth_creds *c, char *from, size_t fromsz, struct err *e)
{
	int r = auth_helper_get(name, helper_server(registry), l->timeout_ms, c, e);

	if (r == 1 && from)
		snprintf(from, fromsz, "credential helper 'docker-credential-%s'", name);
	return r;
}

/* The whole of an auth file in one buffer sized from fstat: a buffer grown
 * by realloc would leave copies of the credentials in the freed blocks. */
static int read_secret_file(const char *path, char **out, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	struct stat st;
	size_t n = 0;
	char *buf = NULL;

	*out = NULL;
	if (fd < 0)
		return err_set(e, errno, "open '%s'", path);
	if (fstat(fd, &st) < 0 || st.st_size < 0 || st.st_size > AUTH_FILE_MAX)
		rc = err_set(e, 0, "'%s': not a regular file of at most %d bytes", path, AUTH_FILE_MAX);
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		rc = err_set(e, ENOMEM, "read '%s'", path);
	while (!rc && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			rc = err_set(e, r < 0 ? errno : 0, "read '%s'%s", path, r ? "" : ": it shrank");
		else
			n += (size_t)r;
	}
	close(fd);
	if (rc < 0) {
		if (buf)
			explicit_bzero(buf, n);
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* One auth file, when it exists: 1 found, 0 not there, -1. */
static int try_file(const struct auth_lookup *l, const char *file, int legacy, int must_exist,
		    const char *registry, const char *path, struct auth_creds *c, char *from,
		    size_t fromsz, struct err *e)
{
	char *buf = NULL, helper[64];
	size_t len = 0;
	int r;

	if (!must_exist && access(file, F_OK) < 0)
		return 0;
	if (read_secret_file(file, &buf, &len, e) < 0)
		return err_wrap(e, "auth file '%s'", file);
	r = auth_file_lookup(buf, len, legacy, registry, path, c, helper, e);
	explicit_bzero(buf, len);
	free(buf);
	if (r == 2)
		r = try_helper(l, helper, registry, c, from, fromsz, e);
	else if (r == 1 && from)
		snprintf(from, fromsz, "'%s'", file);
	return r < 0 ? err_wrap(e, "auth file '%s'", file) : r;
}

/* The auth files of containers-auth.json(5), each under --root first. */
static int auth_files(const struct auth_lookup *l, const char *registry, const char *path,
		      struct auth_creds *c, char *from, size_t fromsz, struct err *e)
{
	const char *v = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *cfg = getenv("XDG_CONFIG_HOME"), *dcfg = getenv("DOCKER_CONFIG");
	const char *root = l->root && strcmp(l->root, "/") ? l->root : NULL;
	char home[PATH_MAX], f[5][PATH_MAX + 64], p[2 * PATH_MAX + 64];
	int n = 0, r;

	if (from)
		from[0] = '\0';
	if (l->authfile || (v && *v))
		return try_file(l, l->authfile ? l->authfile : v, 0, l->authfile != NULL, registry,
				path, c, from, fromsz, e);
	if (xdg && *xdg)
		r = path_fmt(f[n++], sizeof f[0], e, "%s/containers/auth.json", xdg);
	else
		r = path_fmt(f[n++], sizeof f[0], e, "/run/containers/%u/auth.json", (unsigned)getuid());
	if (r == 0 && (home_dir(home, sizeof home) == 0 || (cfg && *cfg && dcfg && *dcfg))) {
		if (cfg && *cfg)
			r = path_fmt(f[n++], sizeof f[0], e, "%s/containers/auth.json", cfg);
		else
			r = path_fmt(f[n++], sizeof f[0], e, "%s/.config/containers/auth.json", home);
		if (r == 0 && dcfg && *dcfg)
			r = path_fmt(f[n++], sizeof f[0], e, "%s/config.json", dcfg);
		else if (r == 0)
			r = path_fmt(f[n++], sizeof f[0], e, "%s/.docker/config.json", home);
		if (r == 0 && home[0])
			r = path_fmt(f[n++], sizeof f[0], e, "%s/.dockercfg", home);
	}
	if (r < 0)
		return err_wrap(e, "auth file");
	for (int i = 0; i < n; i++) {
		int legacy = strstr(f[i], "/.dockercfg") != NULL;
		for (int in_root = root ? 1 : 0; in_root >= 0; in_root--) {
			if (path_fmt(p, sizeof p, e, "%s%s", in_root ? root : "", f[i]) < 0)
				return err_wrap(e, "auth file");
			if ((r = try_file(l, p, legacy, 0, registry, path, c, from, fromsz, e)))
				return r;
		}
	}
	return 0;
}

int auth_creds_find(const struct auth_lookup *l, const char *registry, const char *path,
		    struct auth_creds *c, char *from, size_t fromsz, struct err *e)
{
	static const char def[][64] = { "containers-auth.json" };
	const char (*helpers)[64] = l->helpers ? l->helpers : def;
	size_t n = l->helpers ? l->nhelpers : 1;

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		int r = !strcmp(helpers[i], "containers-auth.json")
			? auth_files(l, registry, path, c, from, fromsz, e)
			: try_helper(l, helpers[i], registry, c, from, fromsz, e);
		if (r)
			return r;
	}
	return 0;
}

/* ---- schemes ---- */

struct token {
	char scope[AUTH_SCOPE_MAX];
	char *value;                  /* "Bearer ..." */
	time_t expires;               /* CLOCK_MONOTONIC seconds */
	unsigned long used;
};

struct auth {
	char label[256];
	struct auth_creds creds;
	int plain_http_ok;
	enum auth_scheme scheme;
	char realm[HTTP_URL_MAX / 4];
	char service[512];
	struct token cache[AUTH_CACHE];
	unsigned long clock;
};

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int auth_new(const char *label, const struct auth_creds *creds, int plain_http_ok,
	     struct auth **out, struct err *e)
{
	struct auth *a = calloc(1, sizeof *a);

	*out = NULL;
	if (!a)
		return err_set(e, ENOMEM, "auth");
	snprintf(a->label, sizeof a->label, "%s", label);
	if (creds && creds->set)
		a->creds = *creds;
	a->plain_http_ok = plain_http_ok;
	*out = a;
	return 0;
}

static void token_drop(struct token *t)
{
	if (t->value) {
		explicit_bzero(t->value, strlen(t->value));
		free(t->value);
	}
	memset(t, 0, sizeof *t);
}

int auth_copy(const struct auth *a, struct auth **out, struct err *e)
{
	struct auth *c = malloc(sizeof *c);

	*out = NULL;
	if (!c)
		return err_set(e, ENOMEM, "auth");
	*c = *a;
	for (int i = 0; i < AUTH_CACHE; i++)
		if (a->cache[i].value && !(c->cache[i].value = strdup(a->cache[i].value)))
			memset(&c->cache[i], 0, sizeof c->cache[i]);  /* fetched again */
	*out = c;
	return 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (int i = 0; i < AUTH_CACHE; i++)
		token_drop(&a->cache[i]);
	explicit_bzero(a, sizeof *a);
	free(a);
}

enum auth_scheme auth_get_scheme(const struct auth *a)
{
	return a->scheme;
}

int auth_has_creds(const struct auth *a)
{
	return a->creds.set;
}

void auth_forget(struct auth *a, const char *scope)
{
	for (int i = 0; i < AUTH_CACHE; i++)
		if (a->cache[i].value && !strcmp(a->cache[i].scope, scope))
			token_drop(&a->cache[i]);
}

int auth_learn(struct auth *a, const struct http_response *r, char *scope, struct err *e)
{
	_cleanup_free_ struct authhdr *h = malloc(sizeof *h);
	const char *v, *realm, *err;
	long i;

	scope[0] = '\0';
	if (!h)
		return err_set(e, ENOMEM, "auth");
	authhdr_init(h);
	for (size_t n = 0; (v = http_response_header_nth(r, "WWW-Authenticate", n)); n++)
		if (authhdr_parse(h, v, strlen(v), e) < 0)
			return err_wrap(e, "registry '%s': WWW-Authenticate", a->label);
	if ((i = authhdr_find(h, "bearer")) >= 0) {
		realm = authhdr_param(h, i, "realm");
		if (!realm || !*realm || strlen(realm) >= sizeof a->realm)
			return err_set(e, 0, "registry '%s': Bearer challenge without a usable realm",
				       a->label);
		v = authhdr_param(h, i, "service");
		if (v && strlen(v) >= sizeof a->service)
			return err_set(e, 0, "registry '%s': Bearer challenge with a service name "
				       "longer than %zu bytes", a->label, sizeof a->service - 1);
		snprintf(a->realm, sizeof a->realm, "%s", realm);
		snprintf(a->service, sizeof a->service, "%s", v ? v : "");
		err = authhdr_param(h, i, "error");
		v = authhdr_param(h, i, "scope");
		if (err && !strcmp(err, "insufficient_scope") && v && strlen(v) < AUTH_SCOPE_MAX)
			strcpy(scope, v);
		a->scheme = AUTH_BEARER;
	} else if (authhdr_find(h, "basic") >= 0) {
		a->scheme = AUTH_BASIC;
	}
	return 0;
}

static void url_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch))
			buf_putc(b, ch);
		else
			buf_appendf(b, "%%%02X", ch);
	}
}

/* The token (or access_token) and its lifetime from a token response. */
static int read_token(struct auth *a, const char *body, size_t len, struct token *t,
		      struct err *e)
{
	struct json *j = NULL;
	int64_t ttl = 60;
	char *tok;
	size_t tl;

	if (json_parse(&j, body, len, e) < 0)
		return err_wrap(e, "registry '%s': token response", a->label);
	tok = json_str(j, json_get(j, json_root(j), "token"));
	if (!tok || !*tok) {
		free(tok);
		tok = json_str(j, json_get(j, json_root(j), "access_token"));
	}
	json_int64(j, json_get(j, json_root(j), "expires_in"), &ttl);
	json_free(j);
	tl = tok ? strlen(tok) : 0;
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)tok[i] < 0x21 || (unsigned char)tok[i] > 0x7e)
			tl = 0;
	if (!tl || tl > AUTH_TOKEN_MAX) {
		if (tok)
			explicit_bzero(tok, strlen(tok));
		free(tok);
		return err_set(e, 0, "registry '%s': the token response holds no usable token",
			       a->label);
	}
	if (!(t->value = malloc(tl + 8))) {
		explicit_bzero(tok, tl);
		free(tok);
		return err_set(e, ENOMEM, "token");
	}
	snprintf(t->value, tl + 8, "Bearer %s", tok);
	explicit_bzero(tok, tl);
	free(tok);
	if (ttl <= 0)
		ttl = 60;
	/* ask again a little before it runs out, but never for a token that
	 * lives only a second or two */
	t->expires = mono_now() + (time_t)(ttl > 20 ? ttl - 10 : ttl > 2 ? ttl - 1 : ttl);
	return 0;
}

static int token_url(struct auth *a, const char *scope, char **out, struct err *e)
{
	struct buf b = { 0 };
	struct http_url u;

	if (http_url_parse(a->realm, strlen(a->realm), &u, e) < 0)
		return err_wrap(e, "registry '%s': token realm", a->label);
	if (!u.https && a->creds.set && !a->plain_http_ok)
		return err_set(e, 0, "registry '%s': token realm is plain HTTP: refusing to send "
			       "credentials (pass --tls-verify=false to allow it)", a->label);
	buf_puts(&b, a->realm);
	buf_putc(&b, strchr(a->realm, '?') ? '&' : '?');
	if (a->service[0]) {
		buf_puts(&b, "service=");
		url_escape(&b, a->service);
		buf_putc(&b, '&');
	}
	buf_puts(&b, "scope=");
	url_escape(&b, scope);
	if (b.oom || !(*out = buf_steal(&b, NULL))) {
		buf_free(&b);
		return err_set(e, ENOMEM, "token request");
	}
	return 0;
}

/* The form an identity token is traded with (OAuth2 refresh_token grant,
 * as docker sends it): POSTed to the realm itself. */
static int refresh_form(struct auth *a, const char *scope, struct buf *b, struct err *e)
{
	struct http_url u;

	if (http_url_parse(a->realm, strlen(a->realm), &u, e) < 0)
		return err_wrap(e, "registry '%s': token realm", a->label);
	if (!u.https && !a->plain_http_ok)
		return err_set(e, 0, "registry '%s': token realm is plain HTTP: refusing to send "
			       "the identity token (pass --tls-verify=false to allow it)", a->label);
	buf_puts(b, "grant_type=refresh_token&client_id=syscontainer&service=");
	url_escape(b, a->service);
	buf_puts(b, "&scope=");
	url_escape(b, scope);
	buf_puts(b, "&refresh_token=");
	url_escape(b, a->creds.pass);
	if (b->oom) {
		buf_free(b);
		return err_set(e, ENOMEM, "token request");
	}
	return 0;
}

static int fetch_token(struct auth *a, struct http_client *c, const char *scope,
		       struct token *t, struct err *e)
{
	char basic[AUTH_VALUE_MAX], red[512], *url = NULL, *body = NULL;
	struct http_field h[1];
	struct http_request rq = { "GET", NULL, h, 0, NULL, 0, 0 };
	struct http_response *r = NULL;
	struct buf form = { 0 };
	size_t len;
	int status, rc = -1;

	if (a->creds.identity) {
		if (refresh_form(a, scope, &form, e) < 0)
			return -1;
		rq.method = "POST";
		rq.url = a->realm;
		rq.body = form.data;
		rq.body_len = form.len;
		h[0].name = "Content-Type";
		h[0].value = "application/x-www-form-urlencoded";
		rq.nheaders = 1;
	} else if (token_url(a, scope, &url, e) < 0) {
		return -1;
	} else {
		rq.url = url;
	}
	if (a->creds.set && !a->creds.identity) {
		if (base64_basic_credentials(a->creds.user, a->creds.pass, basic, sizeof basic, e) < 0)
			goto out;
		h[0].name = "Authorization";
		h[0].value = basic;
		rq.nheaders = 1;
	}
	if (http_request(c, &rq, &r, e) < 0)
		goto out;
	status = http_response_status(r);
	http_url_redact(a->realm, red, sizeof red);
	if (status == 401 || status == 403) {
		err_set(e, 0, a->creds.identity ? "token server %s rejected the identity token (HTTP %d)"
			: a->creds.set ? "token server %s rejected the credentials (HTTP %d)"
				       : "token server %s refused an anonymous token (HTTP %d)",
			red, status);
		goto out;
	}
	if (status != 200) {
		err_set(e, 0, "token server %s: HTTP %d", red, status);
		goto out;
	}
	if (http_response_read_secret(r, AUTH_FILE_MAX, &body, &len, e) < 0)
		goto out;
	rc = read_token(a, body, len, t, e);
	snprintf(t->scope, sizeof t->scope, "%s", scope);
out:
	explicit_bzero(basic, sizeof basic);
	if (body)
		explicit_bzero(body, len);
	if (form.data)
		explicit_bzero(form.data, form.len);
	buf_free(&form);
	free(body);
	free(url);
	http_response_free(r);
	return rc;
}

static int bearer(struct auth *a, struct http_client *c, const char *scope, char *out,
		  struct err *e)
{
	struct token *slot = &a->cache[0];
	time_t now = mono_now();

	for (int i = 0; i < AUTH_CACHE; i++) {
		struct token *t = &a->cache[i];
		if (t->value && !strcmp(t->scope, scope)) {
			if (now < t->expires) {
				t->used = ++a->clock;
				snprintf(out, AUTH_VALUE_MAX, "%s", t->value);
				return 0;
			}
			token_drop(t); /* expired: fetch a new one */
		}
	}
	/* an empty slot, else the least recently used */
	for (int i = 0; i < AUTH_CACHE && slot->value; i++)
		if (!a->cache[i].value || a->cache[i].used < slot->used)
			slot = &a->cache[i];
	token_drop(slot);
	if (fetch_token(a, c, scope, slot, e) < 0) {
		token_drop(slot);
		return -1;
	}
	slot->used = ++a->clock;
	snprintf(out, AUTH_VALUE_MAX, "%s", slot->value);
	return 0;
}

int auth_authorization(struct auth *a, struct http_client *c, const char *scope, char *out,
		       struct err *e)
{
	out[0] = '\0';
	if (a->scheme == AUTH_BEARER)
		return bearer(a, c, scope, out, e);
	if (a->scheme == AUTH_BASIC && a->creds.identity)
		return err_set(e, 0, "registry '%s' asks for Basic credentials; the identity token "
			       "found for it is only traded at a Bearer token server", a->label);
	if (a->scheme == AUTH_BASIC && a->creds.set)
		return base64_basic_credentials(a->creds.user, a->creds.pass, out, AUTH_VALUE_MAX, e);
	return 0;
}
