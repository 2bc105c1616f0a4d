/* The registry client of registry.h: TLS set-up per registry, the /v2/
 * ping, authenticated GETs with retries, manifests and blobs. */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "authhdr.h"
#include "http.h"
#include "json.h"
#include "net.h"
#include "path.h"
#include "tls.h"

enum { ERRDOC_MAX = 65536, CERT_FILES_MAX = 64, BACKOFF_MS = 250 };

struct registry {
	char label[256];              /* the registry as the user named it */
	char host[NET_HOST_MAX + 16]; /* API host[:port] */
	char path[256];
	char scope[AUTH_SCOPE_MAX];   /* repository:PATH:pull */
	int tls_verify, plain_first;
	int https;
	char trust[1024];             /* what is trusted, for the unknown-CA message */
	struct tls_config *tls;
	struct http_client *http;
	struct auth *auth;
	registry_note_fn note;
	void *note_ctx;
	/* what registry_clone() needs to set up the same trust again */
	char cert_dir[PATH_MAX], root[PATH_MAX];
	int has_cert_dir, has_root, timeout_s;
};

__attribute__((format(printf, 2, 3)))
static void say(const struct registry *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!r->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->note(r->note_ctx, msg);
}

const char *registry_scheme(const struct registry *r)
{
	return r->https ? "https" : "http";
}

/* ---- TLS: CA files and client pairs of a certs.d-style directory ---- */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n > k && !strcmp(s + n - k, suf);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_one(struct tls_config *t, const char *dir, const char *name, struct err *e)
{
	char p[PATH_MAX], k[PATH_MAX];
	size_t n = strlen(name);
	struct stat st;

	if (path_fmt(p, sizeof p, e, "%s/%s", dir, name) < 0)
		return err_wrap(e, "certificate directory");
	if (has_suffix(name, ".crt"))
		return tls_config_add_ca_file(t, p, e);
	if (has_suffix(name, ".cert")) {
		if (path_fmt(k, sizeof k, e, "%s/%.*s.key", dir, (int)(n - 5), name) < 0)
			return err_wrap(e, "client certificate '%s'", p);
		if (stat(k, &st) < 0)
			return err_set(e, 0, "client certificate '%s' has no key '%s'", p, k);
		return tls_config_add_client_cert(t, p, k, e);
	}
	if (has_suffix(name, ".key")) {
		if (path_fmt(k, sizeof k, e, "%s/%.*s.cert", dir, (int)(n - 4), name) < 0)
			return err_wrap(e, "key '%s'", p);
		if (stat(k, &st) < 0)
			return err_set(e, 0, "key '%s' has no client certificate '%s'", p, k);
	}
	return 0;
}

/* Load dir's *.crt, *.cert + *.key in name order (mbedtls presents the
 * first client pair, so the order must not depend on readdir). */
static int load_cert_dir(struct tls_config *t, const char *dir, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[CERT_FILES_MAX];
	size_t n = 0;
	int r = 0;

	if (!d)
		return err_set(e, errno, "certificate directory '%s'", dir);
	while ((de = readdir(d)) && !r) {
		if (!has_suffix(de->d_name, ".crt") && !has_suffix(de->d_name, ".cert") &&
		    !has_suffix(de->d_name, ".key"))
			continue;
		if (n == CERT_FILES_MAX)
			r = err_set(e, 0, "certificate directory '%s': more than %d files", dir,
				    CERT_FILES_MAX);
		else if (!(names[n++] = strdup(de->d_name)))
			r = err_set(e, ENOMEM, "certificate directory '%s'", dir);
	}
	closedir(d);
	if (!r)
		qsort(names, n, sizeof names[0], cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (!r && names[i])
			r = load_one(t, dir, names[i], e);
		free(names[i]);
	}
	return r;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --cert-dir, else the first existing certs.d/REGISTRY of the bases (the
 * target's first under --root).  r->trust says what ended up trusted, for
 * the message about a certificate from an unknown CA. */
static int load_certs(struct registry *r, const struct registry_options *o, struct err *e)
{
	static const char *const bases[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
	const char *root = o->root && strcmp(o->root, "/") ? o->root : NULL;
	char dir[PATH_MAX], looked[700] = "", bundle[PATH_MAX + 32];
	const char *found = NULL;
	int rc = 0;

	if (o->cert_dir)
		rc = load_cert_dir(r->tls, found = o->cert_dir, e);
	for (int i = root ? 0 : 2; !found && i < 4; i++) {
		size_t used = strlen(looked);
		if (snprintf(dir, sizeof dir, "%s%s/%s", i < 2 ? root : "", bases[i % 2],
			     o->registry) >= (int)sizeof dir)
			continue;
		if (is_dir(dir))
			rc = load_cert_dir(r->tls, found = dir, e);
		else
			snprintf(looked + used, sizeof looked - used, "%s'%s'", used ? ", " : "", dir);
	}
	if (tls_config_bundle(r->tls)[0])
		snprintf(bundle, sizeof bundle, "the system bundle '%s'", tls_config_bundle(r->tls));
	else
		snprintf(bundle, sizeof bundle, "no system bundle");
	if (o->cert_dir)
		snprintf(r->trust, sizeof r->trust, "trusted: the CAs in --cert-dir '%s' and %s",
			 found, bundle);
	else if (found)
		snprintf(r->trust, sizeof r->trust, "trusted: the CAs in '%s' and %s; --cert-dir "
			 "DIR names another directory", found, bundle);
	else
		snprintf(r->trust, sizeof r->trust, "no CA for it in %s; trusted: %s; put its CA "
			 "in one of those directories or give --cert-dir DIR", looked, bundle);
	return rc;
}

/* ---- requests ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int retry_status(int s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static int retry_errno(int n)
{
	return n == ECONNRESET || n == EPIPE || n == ECONNABORTED;
}

/* How long to wait before attempt+1: Retry-After when given, else
 * exponential backoff.  -1 when the budget or the count is spent. */
static long retry_delay(const struct http_response *resp, int attempt, long waited)
{
	long ms = BACKOFF_MS << attempt;
	const char *ra = resp ? http_response_header(resp, "Retry-After") : NULL;
	uint64_t s;
	struct err e;

	if (attempt >= REGISTRY_RETRIES)
		return -1;
	if (ra && authhdr_retry_after(ra, strlen(ra), time(NULL), &s, &e) == 0)
		ms = s > (uint64_t)REGISTRY_RETRY_BUDGET_MS / 1000 ? REGISTRY_RETRY_BUDGET_MS + 1
								  : (long)s * 1000;
	return waited + ms > REGISTRY_RETRY_BUDGET_MS ? -1 : ms;
}

struct get {
	const char *target;           /* "/v2/..." */
	const char *accept;           /* or NULL */
	const char *range;            /* a Range header value, or NULL */
	int authed;                   /* send credentials / tokens */
	int max_redirects;
};

static void make_url(const struct registry *r, const char *target, char *url, size_t sz)
{
	snprintf(url, sz, "%s://%s%s", r->https ? "https" : "http", r->host, target);
}

/* One request with the Authorization it needs. */
static int send_once(struct registry *r, const struct get *g, const char *scope,
		     struct http_response **out, struct err *e)
{
	char url[1024], authz[AUTH_VALUE_MAX];
	struct http_field h[3];
	struct http_request rq = { "GET", url, h, 0, NULL, 0, g->max_redirects };
	int rc;

	make_url(r, g->target, url, sizeof url);
	authz[0] = '\0';
	if (g->authed && auth_authorization(r->auth, r->http, scope, authz, e) < 0)
		return -1;
	if (g->accept)
		h[rq.nheaders++] = (struct http_field){ "Accept", g->accept };
	if (g->range)
		h[rq.nheaders++] = (struct http_field){ "Range", g->range };
	if (authz[0])
		h[rq.nheaders++] = (struct http_field){ "Authorization", authz };
	rc = http_request(r->http, &rq, out, e);
	explicit_bzero(authz, sizeof authz);
	return rc;
}

/* A 401: learn the challenge; 1 when one more try with new credentials
 * or a new token makes sense. */
static int reauth(struct registry *r, const struct http_response *resp, char *scope,
		  struct err *e)
{
	enum auth_scheme before = auth_get_scheme(r->auth);
	char want[AUTH_SCOPE_MAX];

	if (auth_learn(r->auth, resp, want, e) < 0)
		return -1;
	switch (auth_get_scheme(r->auth)) {
	case AUTH_BEARER:
		auth_forget(r->auth, scope);
		if (want[0])
			snprintf(scope, AUTH_SCOPE_MAX, "%s", want);
		return 1;
	case AUTH_BASIC:
		return before != AUTH_BASIC && auth_has_creds(r->auth);
	default:
		return 0;
	}
}

/* GET with retries (resets, 408/429/5xx) and one re-authentication. */
static int get(struct registry *r, const struct get *g, struct http_response **out,
	       struct err *e)
{
	char scope[AUTH_SCOPE_MAX];
	int attempt = 0, reauthed = 0;
	long waited = 0, d;

	snprintf(scope, sizeof scope, "%s", r->scope);
	for (;;) {
		struct http_response *resp = NULL;
		int status, k;

		if (send_once(r, g, scope, &resp, e) < 0) {
			if (!retry_errno(e->errnum) || (d = retry_delay(NULL, attempt, waited)) < 0)
				return -1;
			sleep_ms(d);
			waited += d;
			attempt++;
			continue;
		}
		status = http_response_status(resp);
		if (status == 401 && g->authed && !reauthed) {
			if ((k = reauth(r, resp, scope, e)) < 0) {
				http_response_free(resp);
				return -1;
			}
			reauthed = 1;
			if (k) {
				http_response_free(resp);
				continue;
			}
		}
		if (retry_status(status) && (d = retry_delay(resp, attempt, waited)) >= 0) {
			http_response_free(resp);
			sleep_ms(d);
			waited += d;
			attempt++;
			continue;
		}
		*out = resp;
		return 0;
	}
}

/* Printable ASCII of a server-chosen text, cut short. */
static void clean(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; s && *s && o + 4 < outsz; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (s && *s && o + 4 >= outsz)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = '\0';
}

/* The first error of a registry error document: code and message. */
static void error_doc(struct http_response *resp, char *code, size_t codesz, char *msg,
		      size_t msgsz)
{
	struct json *j = NULL;
	struct err e;
	char *body = NULL, *c = NULL, *m = NULL;
	size_t len;
	int first;

	code[0] = msg[0] = '\0';
	if (http_response_read_all(resp, ERRDOC_MAX, &body, &len, &e) < 0 ||
	    json_parse(&j, body, len, &e) < 0) {
		free(body);
		return;
	}
	first = json_at(j, json_get(j, json_root(j), "errors"), 0);
	c = json_str(j, json_get(j, first, "code"));
	m = json_str(j, json_get(j, first, "message"));
	clean(c, code, codesz);
	clean(m, msg, msgsz);
	free(c);
	free(m);
	free(body);
	json_free(j);
}

/* 0 when the registry says the repository does not exist (a missing tag
 * and a missing repository both answer MANIFEST_UNKNOWN in distribution). */
static int repo_exists(struct registry *r)
{
	char target[400];
	struct get g = { target, NULL, NULL, 1, 0 };
	struct http_response *resp = NULL;
	struct err e;
	int s;

	snprintf(target, sizeof target, "/v2/%s/tags/list?n=1", r->path);
	if (get(r, &g, &resp, &e) < 0)
		return 1;
	s = http_response_status(resp);
	http_response_free(resp);
	return s != 404;
}

/* A final response that is not 200, as one message about `what`. */
static int status_error(struct registry *r, struct http_response *resp, const char *what,
			struct err *e)
{
	int s = http_response_status(resp);
	char code[64], msg[200], reason[64], detail[300];

	clean(http_response_reason(resp), reason, sizeof reason);
	error_doc(resp, code, sizeof code, msg, sizeof msg);
	snprintf(detail, sizeof detail, "%s%s%s", code, code[0] && msg[0] ? ": " : "", msg);
	if (s == 401 && !auth_has_creds(r->auth))
		return err_set(e, 0, "registry '%s' requires authentication for '%s': give --creds "
			       "USER[:PASS] or add the registry to an auth file", r->label, r->path);
	if (s == 401 && auth_get_scheme(r->auth) == AUTH_BASIC)
		return err_set(e, 0, "registry '%s' rejected the credentials", r->label);
	if (s == 401 || s == 403)
		return err_set(e, 0, "registry '%s' denied access to '%s'%s%s%s", r->label, r->path,
			       detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
	if (s == 404 && (!strcmp(code, "NAME_UNKNOWN") || !repo_exists(r)))
		return err_set(e, 0, "repository '%s' not found on registry '%s'", r->path, r->label);
	if (s == 404)
		return err_set(e, 0, "%s not found on registry '%s'%s%s%s", what, r->label,
			       code[0] ? " (" : "", code, code[0] ? ")" : "");
	return err_set(e, 0, "%s: registry '%s' answered HTTP %d %s%s%s%s", what, r->label, s,
		       reason, detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
}

/* ---- ping and set-up ---- */

static int ping_once(struct registry *r, struct http_response **out, struct err *e)
{
	struct get g = { "/v2/", NULL, NULL, 0, 0 };
	return get(r, &g, out, e);
}

/* Could the other scheme be the right one, after this ping?  An HTTPS port
 * answers plain HTTP with 400 (Go: "Client sent an HTTP request to an HTTPS
 * server", nginx: "The plain HTTP request was sent to HTTPS port") or with
 * something that is not HTTP; a plain-HTTP port fails the TLS handshake (a
 * certificate that does not verify means TLS is spoken: not that; a server
 * that is merely slow is not either). */
static int wrong_scheme(const struct registry *r, const struct http_response *resp,
			const struct err *e)
{
	if (resp)
		return !r->https && http_response_status(resp) == 400;
	if (e->errnum == ETIMEDOUT)
		return 0;
	if (r->https)
		return http_client_stage(r->http) == HTTP_STAGE_TLS &&
		       tls_config_last_failure(r->tls) == TLS_FAIL_HANDSHAKE;
	return http_client_stage(r->http) == HTTP_STAGE_HEAD;
}

/* https first (or http first for plain_first); the other scheme only when
 * the answer suggests it.  Plain HTTP is used only when allowed
 * (tls_verify = 0); otherwise finding it gives a hint. */
static int ping(struct registry *r, struct http_response **out, struct err *e)
{
	struct http_response *resp = NULL, *resp2 = NULL;
	enum http_stage first;
	struct err e2;
	int rc;

	r->https = !r->plain_first;
	rc = ping_once(r, &resp, e);
	if (!wrong_scheme(r, rc == 0 ? resp : NULL, e)) {
		*out = resp;
		return rc;
	}
	first = http_client_stage(r->http);
	http_response_free(resp);
	r->https = !r->https;
	if (ping_once(r, &resp2, &e2) < 0 || (!r->https && http_response_status(resp2) == 400)) {
		/* the error of the attempt that got further (rc == 0: the first
		 * got a 400, the second nothing) */
		if (!resp2 && (rc == 0 || http_client_stage(r->http) > first))
			*e = e2;
		http_response_free(resp2);
		r->https = !r->https;
		return -1;
	}
	if (!r->https && r->tls_verify) {
		http_response_free(resp2);
		r->https = 1;
		return err_set(e, 0, "registry '%s' speaks plain HTTP: pass --tls-verify=false to "
			       "allow it", r->label);
	}
	*out = resp2;
	return 0;
}

/* TLS trust (the target's first under --root), the HTTP client with the
 * deadlines asked for, and the auth state. */
static int setup(struct registry *r, const struct registry_options *o, struct err *e)
{
	struct tls_options to = { .insecure = !o->tls_verify, .root = o->root };
	struct http_client_options ho = { 0 };
	int floored;
	time_t at = tls_check_time(time(NULL), tls_build_epoch(), &floored);

	if (tls_config_new(&to, &r->tls, e) < 0 || load_certs(r, o, e) < 0)
		return -1;
	if (o->tls_verify && floored) {
		char clock[32], build[32];
		tls_format_day(time(NULL), clock, sizeof clock);
		tls_format_day(at, build, sizeof build);
		say(r, "the system clock says %s, before this program was built: certificates "
		    "are checked as of %s", clock, build);
	}
	ho.tls = r->tls;
	ho.head_timeout_ms = ho.rate_window_ms = o->timeout_s > 0 ? o->timeout_s * 1000 : 0;
	if (http_client_new(&ho, &r->http, e) < 0)
		return -1;
	return auth_new(o->registry, o->creds, !o->tls_verify, &r->auth, e);
}

int registry_open(const struct registry_options *o, struct registry **out, struct err *e)
{
	struct registry *r = calloc(1, sizeof *r);
	struct http_response *resp = NULL;
	char scope[AUTH_SCOPE_MAX];
	int s;

	*out = NULL;
	if (!r)
		return err_set(e, ENOMEM, "registry");
	if (path_fmt(r->label, sizeof r->label, e, "%s", o->registry) < 0 ||
	    path_fmt(r->host, sizeof r->host, e, "%s", o->api_host) < 0 ||
	    path_fmt(r->path, sizeof r->path, e, "%s", o->path) < 0 ||
	    path_fmt(r->scope, sizeof r->scope, e, "repository:%s:pull", o->path) < 0) {
		err_wrap(e, "registry");
		goto fail;
	}
	r->tls_verify = o->tls_verify;
	r->plain_first = o->plain_first && !o->tls_verify;
	r->note = o->note;
	r->note_ctx = o->note_ctx;
	r->timeout_s = o->timeout_s;
	if ((o->cert_dir && path_fmt(r->cert_dir, sizeof r->cert_dir, e, "%s", o->cert_dir) < 0) ||
	    (o->root && path_fmt(r->root, sizeof r->root, e, "%s", o->root) < 0)) {
		err_wrap(e, "registry");
		goto fail;
	}
	r->has_cert_dir = o->cert_dir != NULL;
	r->has_root = o->root != NULL;
	if (setup(r, o, e) < 0)
		goto fail;
	if (ping(r, &resp, e) < 0) {
		/* the one failure the user can fix with a file: say which */
		if (r->https && r->tls_verify && tls_config_last_failure(r->tls) == TLS_FAIL_UNTRUSTED)
			snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg), " (%s)",
				 r->trust);
		goto fail;
	}
	s = http_response_status(resp);
	if (s == 401 && auth_learn(r->auth, resp, scope, e) < 0)
		goto fail;
	if (s == 404) {
		err_set(e, 0, "registry '%s' does not speak the distribution API (GET /v2/: "
			"HTTP 404)", r->label);
		goto fail;
	}
	if (s != 401 && s / 100 != 2 && status_error(r, resp, "GET /v2/", e) < 0)
		goto fail;
	say(r, "registry '%s': %s://%s/v2/ answered", r->label, registry_scheme(r), r->host);
	http_response_free(resp);
	*out = r;
	return 0;
fail:
	http_response_free(resp);
	registry_free(r);
	return -1;
}

int registry_clone(const struct registry *r, struct registry **out, struct err *e)
{
	struct registry *c = malloc(sizeof *c);
	struct registry_options o = {
		.registry = r->label,
		.api_host = r->host,
		.path = r->path,
		.tls_verify = r->tls_verify,
		.cert_dir = r->has_cert_dir ? r->cert_dir : NULL,
		.root = r->has_root ? r->root : NULL,
		.timeout_s = r->timeout_s,
	};

	*out = NULL;
	if (!c)
		return err_set(e, ENOMEM, "registry");
	*c = *r;
	c->tls = NULL;
	c->http = NULL;
	c->auth = NULL;
	c->note = NULL;           /* setup's notes were said once, by r */
	if (setup(c, &o, e) < 0) {
		registry_free(c);
		return -1;
	}
	auth_free(c->auth);
	c->auth = NULL;
	if (auth_copy(r->auth, &c->auth, e) < 0) {
		registry_free(c);
		return -1;
	}
	c->note = r->note;
	*out = c;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	auth_free(r->auth);
	http_client_free(r->http);
	tls_config_free(r->tls);
	free(r);
}

/* ---- manifests and blobs ---- */

int registry_get_manifest(struct registry *r, const char *ref, char **body, size_t *len,
			  char *ctype, size_t ctypesz, struct err *e)
{
	char target[600], what[600];
	struct get g = { target, REGISTRY_MANIFEST_ACCEPT, NULL, 1, 0 };
	struct http_response *resp = NULL;
	const char *ct;
	int rc;

	*body = NULL;
	ctype[0] = '\0';
	if (path_fmt(target, sizeof target, e, "/v2/%s/manifests/%s", r->path, ref) < 0)
		return err_wrap(e, "manifest");
	snprintf(what, sizeof what, "manifest '%s%s%s'", r->path, strchr(ref, ':') ? "@" : ":", ref);
	if (get(r, &g, &resp, e) < 0)
		return -1;
	if (http_response_status(resp) != 200) {
		status_error(r, resp, what, e);
		http_response_free(resp);
		return -1;
	}
	ct = http_response_header(resp, "Content-Type");
	snprintf(ctype, ctypesz, "%s", ct ? ct : "");
	rc = http_response_read_all(resp, REGISTRY_MANIFEST_MAX, body, len, e);
	http_response_free(resp);
	return rc < 0 ? err_wrap(e, "%s", what) : 0;
}

/* Did a redirect take the request for target elsewhere? */
static int redirected(const struct registry *r, const char *target,
		      const struct http_response *resp)
{
	char url[1024];

	make_url(r, target, url, sizeof url);
	return strcmp(http_response_url(resp), url) != 0;
}

/* "bytes FIRST-LAST/TOTAL" exactly as asked for a resume from first. */
static int content_range_ok(const char *v, uint64_t first, int64_t size)
{
	char want[80];

	if (!v)
		return 0;
	snprintf(want, sizeof want, "bytes %llu-%llu/%lld", (unsigned long long)first,
		 (unsigned long long)size - 1, (long long)size);
	return !strcmp(v, want);
}

/* GET the blob, from byte `from` on when from > 0.  *skip is how many bytes
 * of the body are already fed (a server that ignored Range, or one whose
 * Content-Range was not what we asked for and was asked again without). */
static int open_blob(struct registry *r, const char *digest, int64_t size, uint64_t from,
		     struct http_response **out, uint64_t *skip, struct err *e)
{
	char target[600], what[128], range[64];
	struct get g = { target, NULL, NULL, 1, 0 };
	int s;

	if (path_fmt(target, sizeof target, e, "/v2/%s/blobs/%s", r->path, digest) < 0)
		return err_wrap(e, "blob");
	snprintf(what, sizeof what, "blob %s", digest);
	snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)from);
	g.range = from ? range : NULL;
	*skip = 0;
	for (int again = 0;; again++) {
		if (get(r, &g, out, e) < 0)
			return -1;
		s = http_response_status(*out);
		if (s == 206 && g.range &&
		    content_range_ok(http_response_header(*out, "Content-Range"), from, size))
			return http_response_expect_length(*out, (uint64_t)size - from, e) < 0 ? -1 : 0;
		if (s == 200) {
			*skip = from;
			break;
		}
		if (s == 206 && g.range) {
			char cr[96];
			clean(http_response_header(*out, "Content-Range"), cr, sizeof cr);
			say(r, "%s: asked for %s, got Content-Range '%s': reading it from the start",
			    what, range, cr);
			g.range = NULL;
		} else if (!again && redirected(r, target, *out) &&
			   (s == 400 || s == 401 || s == 403 || s == 404 || s == 410)) {
			/* a signed object-storage URL that expired: ask the registry again */
			say(r, "%s: the redirect target answered HTTP %d: asking the registry again",
			    what, s);
		} else {
			status_error(r, *out, what, e);
			goto fail;
		}
		http_response_free(*out);
		*out = NULL;
	}
	if (size >= 0 && http_response_expect_length(*out, (uint64_t)size, e) < 0)
		goto fail;
	return 0;
fail:
	http_response_free(*out);
	*out = NULL;
	return -1;
}

int registry_get_blob_all(struct registry *r, const char *digest, int64_t size, size_t max,
			  char **out, size_t *len, struct err *e)
{
	struct http_response *resp;
	uint64_t skip;
	int rc;

	*out = NULL;
	if (size >= 0 && (uint64_t)size > max)
		return err_set(e, 0, "blob %s: %lld bytes, more than the %zu we accept", digest,
			       (long long)size, max);
	if (open_blob(r, digest, size, 0, &resp, &skip, e) < 0)
		return -1;
	rc = http_response_read_all(resp, max, out, len, e);
	http_response_free(resp);
	return rc;
}

/* The caller's feed, behind what a resume needs: the count of bytes fed,
 * bytes to drop first, and whether the feed itself refused. */
struct blobfeed {
	int (*feed)(void *ctx, const void *buf, size_t len, struct err *e);
	void *ctx;
	uint64_t fed, skip;
	int refused;
};

static int blob_cb(void *arg, const void *data, size_t len, struct err *e)
{
	struct blobfeed *b = arg;
	const char *p = data;

	if (b->skip) {
		size_t k = b->skip < len ? (size_t)b->skip : len;
		p += k;
		len -= k;
		b->skip -= k;
		if (!len)
			return 0;
	}
	if (b->feed(b->ctx, p, len, e) < 0) {
		b->refused = 1;
		return -1;
	}
	b->fed += len;
	return 0;
}

int registry_get_blob(struct registry *r, const char *digest, int64_t size,
		      int (*feed)(void *ctx, const void *buf, size_t len, struct err *e),
		      void *ctx, struct err *e)
{
	struct blobfeed bf = { feed, ctx, 0, 0, 0 };

	for (int resumes = 0;; resumes++) {
		struct http_response *resp;
		int rc, dropped;

		if (open_blob(r, digest, size, bf.fed, &resp, &bf.skip, e) < 0)
			return -1;
		rc = http_response_stream(resp, blob_cb, &bf, e);
		dropped = rc < 0 && !bf.refused && http_response_dropped(resp);
		http_response_free(resp);
		if (rc == 0)
			return 0;
		/* only a blob of known size can be resumed, and only so often */
		if (!dropped || size < 0 || resumes == REGISTRY_RESUMES) {
			if (dropped && size >= 0)
				err_wrap(e, "blob %s: gave up after %d resumes", digest, resumes);
			return -1;
		}
		say(r, "blob %s: resuming at byte %llu of %lld (%d of %d) after: %s", digest,
		    (unsigned long long)bf.fed, (long long)size, resumes + 1, REGISTRY_RESUMES, e->msg);
	}
}
