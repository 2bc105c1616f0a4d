/* HTTP/1.1 client: connections, the keep-alive pool, requests, redirects
 * and bodies; see http.h.  The pure parsers it uses are in http_parse.c. */
#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "text.h"
#include "tls.h"

#ifndef SC_VERSION
#define SC_VERSION "dev"
#endif

/* ---- client: connections and the pool ---- */

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

#define METHOD_MAX 16

struct conn {
	int fd;
	struct tls_conn *tls;
	int https;                     /* the pool key: origin and TLS config */
	char host[NET_HOST_MAX + 1];
	unsigned port;
	struct tls_config *tlscfg;
	int reused;                    /* taken from the pool */
	int via_proxy;                 /* plain http through a proxy: absolute URIs */
	char proxy_auth[NET_PROXY_AUTH_MAX]; /* secret */
	unsigned long stamp;           /* when pooled, for LRU eviction */
	size_t rpos, rlen;             /* unread bytes in rbuf */
	char rbuf[HTTP_HEAD_MAX];
};

struct http_client {
	enum http_stage stage;
	int head_ms, window_ms;
	unsigned min_rate;
	struct tls_config *tls;
	struct tls_config *(*tls_for)(void *arg, const char *host, unsigned port);
	void *tls_arg;
	char *proxy_copy[4];
	struct net_proxy_env proxy;    /* points into proxy_copy */
	char *user_agent;
	struct conn *idle[HTTP_POOL_MAX];
	unsigned long clock;
};

struct http_response {
	struct http_client *c;
	struct conn *conn;             /* NULL once the body is done */
	char method[METHOD_MAX];
	char *url;
	char *head;                    /* our copy; values NUL-terminated */
	struct http_head h;
	int framing;
	uint64_t left;                 /* BODY_LENGTH: bytes still to come */
	struct http_chunked ch;
	int done, failed, dropped;
	uint64_t got;
	int64_t expect;                /* -1: no expectation */
	int64_t win_start;             /* the current minimum-rate window */
	uint64_t win_bytes;
};

static int wrap_req(struct err *e, const char *method, const char *url)
{
	char red[512];

	http_url_redact(url, red, sizeof red);
	return err_wrap(e, "%s %s", method, red);
}

static void conn_close(struct conn *k)
{
	if (!k)
		return;
	tls_close(k->tls);
	if (k->fd >= 0)
		close(k->fd);
	/* it may hold a proxy's credentials, and what a token server said */
	explicit_bzero(k->proxy_auth, sizeof k->proxy_auth);
	explicit_bzero(k->rbuf, sizeof k->rbuf);
	free(k);
}

static int conn_send(struct conn *k, const void *p, size_t n, int64_t deadline, struct err *e)
{
	if (k->tls)
		return tls_send_all(k->tls, p, n, deadline, e);
	return net_send_all(k->fd, p, n, deadline, e);
}

static ssize_t conn_recv(struct conn *k, void *p, size_t n, int64_t deadline, struct err *e)
{
	if (k->tls)
		return tls_recv(k->tls, p, n, deadline, e);
	return net_recv(k->fd, p, n, deadline, e);
}

/* A deadline that passed, said as what was slow (errnum stays ETIMEDOUT). */
__attribute__((format(printf, 3, 4)))
static int slow(struct err *e, int ms, const char *fmt, ...)
{
	char what[400], t[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	net_format_ms(ms, t, sizeof t);
	err_set(e, 0, "%s %s", what, t);
	e->errnum = ETIMEDOUT;
	return -1;
}

static int conn_matches(const struct conn *k, const struct http_url *u,
			const struct tls_config *tlscfg)
{
	return k->https == u->https && k->port == u->port && !strcmp(k->host, u->host) &&
	       k->tlscfg == tlscfg;
}

static struct conn *pool_take(struct http_client *c, const struct http_url *u,
			      const struct tls_config *tlscfg)
{
	for (int i = 0; i < HTTP_POOL_MAX; i++) {
		struct conn *k = c->idle[i];
		if (!k || !conn_matches(k, u, tlscfg))
			continue;
		c->idle[i] = NULL;
		if (!net_idle_ok(k->fd) || (k->tls && tls_pending(k->tls))) {
			conn_close(k); /* closed by the server meanwhile */
			return NULL;
		}
		k->reused = 1;
		return k;
	}
	return NULL;
}

static void pool_put(struct http_client *c, struct conn *k)
{
	int slot = -1;

	for (int i = 0; i < HTTP_POOL_MAX; i++) {
		struct conn *o = c->idle[i];
		if (o && o->https == k->https && o->port == k->port &&
		    !strcmp(o->host, k->host) && o->tlscfg == k->tlscfg) {
			conn_close(o); /* one per origin */
			c->idle[i] = NULL;
		}
		if (!c->idle[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < HTTP_POOL_MAX; i++)
			if (c->idle[i]->stamp < c->idle[slot]->stamp)
				slot = i;
		conn_close(c->idle[slot]);
	}
	k->stamp = ++c->clock;
	k->rpos = k->rlen = 0;
	c->idle[slot] = k;
}

/* "host[:port]" as in a Host header or CONNECT target. */
static void host_port(const char *host, unsigned port, int https, int always_port,
		      char *out, size_t outsz)
{
	int v6 = strchr(host, ':') != NULL;

	if (!always_port && port == (https ? 443u : 80u))
		snprintf(out, outsz, v6 ? "[%s]" : "%s", host);
	else
		snprintf(out, outsz, v6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* Read until rbuf holds a complete head at rpos; its length in *hl.
 * *nothing tells the caller the connection died before any byte came (a
 * pooled connection the server had closed). */
static int conn_read_head(struct conn *k, int64_t deadline, size_t *hl, int *nothing,
			  struct err *e)
{
	*nothing = 0;
	for (;;) {
		ssize_t n;
		if ((*hl = http_head_end(k->rbuf + k->rpos, k->rlen - k->rpos)))
			return 0;
		if (k->rlen - k->rpos >= HTTP_HEAD_MAX)
			return err_set(e, 0, "response header block larger than %d KiB",
				       HTTP_HEAD_MAX / 1024);
		if (k->rpos) {
			memmove(k->rbuf, k->rbuf + k->rpos, k->rlen - k->rpos);
			k->rlen -= k->rpos;
			k->rpos = 0;
		}
		n = conn_recv(k, k->rbuf + k->rlen, sizeof k->rbuf - k->rlen, deadline, e);
		if (n < 0) {
			*nothing = !k->rlen && (e->errnum == ECONNRESET || e->errnum == EPIPE);
			return -1;
		}
		if (n == 0) {
			*nothing = !k->rlen;
			return err_set(e, 0, k->rlen ? "connection closed inside the response header"
					     : "connection closed before a response");
		}
		k->rlen += (size_t)n;
	}
}

/* Append a header line; the value is copied as is (never through a
 * formatting buffer of its own: it may be a secret). */
static void put_field(struct buf *b, const char *name, const char *value)
{
	buf_puts(b, name);
	buf_puts(b, ": ");
	buf_puts(b, value);
	buf_puts(b, "\r\n");
}

/* Send b (a request head that may hold secrets), then wipe and free it. */
static int send_secret(struct conn *k, struct buf *b, int64_t deadline, struct err *e)
{
	int rc = b->oom ? err_set(e, ENOMEM, "request") : conn_send(k, b->data, b->len, deadline, e);

	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
	return rc;
}

/* CONNECT through the proxy (already connected as k->fd) to u. */
static int tunnel(struct http_client *c, struct conn *k, const struct http_url *u,
		  const struct net_proxy *px, int64_t deadline, struct err *e)
{
	struct buf b = { 0 };
	struct http_head *h;
	char hp[NET_HOST_MAX + 10];
	size_t hl;
	int nothing, rc;

	host_port(u->host, u->port, 1, 1, hp, sizeof hp);
	/* sized once: a realloc would leave the credentials behind */
	buf_reserve(&b, 2 * strlen(hp) + strlen(c->user_agent) + strlen(px->auth) + 128);
	buf_appendf(&b, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", hp, hp,
		    c->user_agent);
	if (px->auth[0])
		put_field(&b, "Proxy-Authorization", px->auth);
	buf_puts(&b, "\r\n");
	rc = send_secret(k, &b, deadline, e);
	if (!rc && (rc = conn_read_head(k, deadline, &hl, &nothing, e)) < 0 && e->errnum == ETIMEDOUT)
		return slow(e, c->head_ms, "proxy '%s' port %u (from %s): no answer to CONNECT within",
			    px->host, px->port, px->var);
	if (rc < 0)
		return err_wrap(e, "proxy '%s' port %u (from %s)", px->host, px->port, px->var);
	if (!(h = malloc(sizeof *h)))
		return err_set(e, errno, "CONNECT");
	rc = http_head_parse(k->rbuf, hl, h, e);
	if (!rc && h->status / 100 != 2)
		rc = err_set(e, 0, "proxy '%s' port %u (from %s) refused CONNECT to '%s': HTTP %d",
			     px->host, px->port, px->var, hp, h->status);
	else if (rc < 0)
		err_wrap(e, "proxy '%s' port %u (from %s)", px->host, px->port, px->var);
	else if (k->rlen != hl)
		rc = err_set(e, 0, "proxy '%s' port %u (from %s) sent data after its CONNECT answer",
			     px->host, px->port, px->var);
	k->rpos = k->rlen = 0;
	free(h);
	return rc;
}

/* net_connect(), its timeout said with the whole budget it had. */
static int connect_by(struct http_client *c, const char *host, unsigned port, int64_t deadline,
		      struct err *e)
{
	int fd = net_connect(host, port, deadline, e);

	if (fd < 0 && e->errnum == ETIMEDOUT)
		slow(e, c->head_ms, "connect to '%s' port %u: timed out after", host, port);
	return fd;
}

static int conn_open(struct http_client *c, const struct http_url *u,
		     struct tls_config *tlscfg, int64_t deadline, struct conn **out, struct err *e)
{
	struct net_proxy px;
	struct conn *k;

	*out = NULL;
	if (u->https && !tlscfg)
		return err_set(e, 0, "https is not configured");
	if (net_proxy_select(&c->proxy, u->https, u->host, u->port, &px, e) < 0)
		return -1;
	if (!(k = calloc(1, sizeof *k)))
		return err_set(e, errno, "connect");
	k->https = u->https;
	k->port = u->port;
	k->tlscfg = tlscfg;
	memcpy(k->host, u->host, sizeof k->host);
	c->stage = HTTP_STAGE_CONNECT;
	if (px.host[0]) {
		if ((k->fd = connect_by(c, px.host, px.port, deadline, e)) < 0) {
			err_wrap(e, "proxy '%s' port %u (from %s)", px.host, px.port, px.var);
			goto fail;
		}
		k->via_proxy = !u->https;
		if (k->via_proxy) /* sent with every request */
			memcpy(k->proxy_auth, px.auth, sizeof px.auth);
		if (u->https && tunnel(c, k, u, &px, deadline, e) < 0)
			goto fail;
	} else if ((k->fd = connect_by(c, u->host, u->port, deadline, e)) < 0) {
		goto fail;
	}
	explicit_bzero(px.auth, sizeof px.auth);
	c->stage = HTTP_STAGE_TLS;
	if (u->https && tls_connect(tlscfg, k->fd, u->host, deadline, &k->tls, e) < 0) {
		if (e->errnum == ETIMEDOUT)
			slow(e, c->head_ms, "tls handshake with '%s' port %u not done within",
			     u->host, u->port);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	explicit_bzero(px.auth, sizeof px.auth);
	conn_close(k);
	return -1;
}

/* ---- client: requests ---- */

int http_client_new(const struct http_client_options *o, struct http_client **out,
		    struct err *e)
{
	static const struct http_client_options none;
	struct http_client *c = calloc(1, sizeof *c);
	struct net_proxy_env env;
	const char *v[4];

	*out = NULL;
	if (!o)
		o = &none;
	if (!c)
		return err_set(e, errno, "http client");
	c->head_ms = o->head_timeout_ms > 0 ? o->head_timeout_ms : HTTP_HEAD_TIMEOUT_MS;
	c->window_ms = o->rate_window_ms > 0 ? o->rate_window_ms : HTTP_RATE_WINDOW_MS;
	c->min_rate = o->min_rate ? o->min_rate : HTTP_MIN_RATE;
	c->tls = o->tls;
	c->tls_for = o->tls_for;
	c->tls_arg = o->tls_arg;
	if (o->proxy)
		env = *o->proxy;
	else
		net_proxy_env_load(&env);
	v[0] = env.https_proxy, v[1] = env.http_proxy, v[2] = env.all_proxy, v[3] = env.no_proxy;
	for (int i = 0; i < 4; i++)
		if (v[i] && !(c->proxy_copy[i] = strdup(v[i])))
			goto oom;
	c->proxy = env; /* the variable names are string literals */
	c->proxy.https_proxy = c->proxy_copy[0];
	c->proxy.http_proxy = c->proxy_copy[1];
	c->proxy.all_proxy = c->proxy_copy[2];
	c->proxy.no_proxy = c->proxy_copy[3];
	c->user_agent = strdup(o->user_agent ? o->user_agent : "syscontainer/" SC_VERSION);
	if (!c->user_agent)
		goto oom;
	*out = c;
	return 0;
oom:
	http_client_free(c);
	return err_set(e, ENOMEM, "http client");
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < HTTP_POOL_MAX; i++)
		conn_close(c->idle[i]);
	for (int i = 0; i < 4; i++) {
		if (c->proxy_copy[i])
			explicit_bzero(c->proxy_copy[i], strlen(c->proxy_copy[i]));
		free(c->proxy_copy[i]);
	}
	free(c->user_agent);
	free(c);
}

static int check_request(const struct http_request *rq, struct err *e)
{
	static const char *const ours[] = { "host", "content-length", "connection",
					    "transfer-encoding", NULL };
	size_t ml = strlen(rq->method);

	if (!ml || ml >= METHOD_MAX)
		return err_set(e, 0, "bad method");
	for (size_t i = 0; i < ml; i++)
		if (!text_is_tchar((unsigned char)rq->method[i]))
			return err_set(e, 0, "bad method");
	for (size_t i = 0; i < rq->nheaders; i++) {
		const char *n = rq->headers[i].name, *v = rq->headers[i].value;
		size_t nl = strlen(n);
		for (size_t k = 0; k < nl; k++)
			if (!text_is_tchar((unsigned char)n[k]))
				nl = 0;
		if (!nl)
			return err_set(e, 0, "bad header name");
		for (int k = 0; ours[k]; k++)
			if (!strcasecmp(n, ours[k]))
				return err_set(e, 0, "header '%s' is set by the client itself", n);
		for (; *v; v++)
			if (!http_field_byte((unsigned char)*v))
				return err_set(e, 0, "header '%s' has a control character", n);
	}
	return 0;
}

static int is_credential(const char *name)
{
	return !strcasecmp(name, "authorization") || !strcasecmp(name, "cookie");
}

struct hop {
	const char *method, *url;
	struct http_url u;
	int send_auth;                 /* same origin as the URL asked for */
	const void *body;
	size_t body_len;
};

static int send_request(struct http_client *c, struct conn *k, const struct hop *hp,
			const struct http_request *rq, int64_t deadline, struct err *e)
{
	struct buf b = { 0 };
	char host[NET_HOST_MAX + 10];
	size_t need = 2 * sizeof host + strlen(c->user_agent) + hp->u.target_len +
		      sizeof k->proxy_auth + 160;
	int rc;

	host_port(hp->u.host, hp->u.port, hp->u.https, 0, host, sizeof host);
	for (size_t i = 0; i < rq->nheaders; i++)
		need += strlen(rq->headers[i].name) + strlen(rq->headers[i].value) + 4;
	/* sized once: a realloc would leave credentials in the freed block */
	buf_reserve(&b, need);
	buf_appendf(&b, "%s ", hp->method);
	if (k->via_proxy)
		buf_appendf(&b, "http://%s", host);
	if (hp->u.target[0] != '/')
		buf_putc(&b, '/');
	buf_append(&b, hp->u.target, hp->u.target_len);
	buf_appendf(&b, " HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", host, c->user_agent);
	for (size_t i = 0; i < rq->nheaders; i++)
		if (hp->send_auth || !is_credential(rq->headers[i].name))
			put_field(&b, rq->headers[i].name, rq->headers[i].value);
	if (hp->body || (strcmp(hp->method, "GET") && strcmp(hp->method, "HEAD")))
		buf_appendf(&b, "Content-Length: %zu\r\n", hp->body_len);
	if (k->via_proxy && k->proxy_auth[0])
		put_field(&b, "Proxy-Authorization", k->proxy_auth);
	buf_puts(&b, "\r\n");
	rc = send_secret(k, &b, deadline, e);
	if (!rc && hp->body_len)
		rc = conn_send(k, hp->body, hp->body_len, deadline, e);
	return rc;
}

/* Read heads until a final (non-1xx) one; it becomes r's head. */
static int read_head(struct conn *k, struct http_response *r, int64_t deadline, int *nothing,
		     struct err *e)
{
	for (int interim = 0;; interim++) {
		size_t hl;
		if (conn_read_head(k, deadline, &hl, nothing, e) < 0)
			return -1;
		free(r->head);
		if (!(r->head = malloc(hl + 1)))
			return err_set(e, errno, "response");
		memcpy(r->head, k->rbuf + k->rpos, hl);
		r->head[hl] = '\0';
		k->rpos += hl;
		if (http_head_parse(r->head, hl, &r->h, e) < 0)
			return -1;
		if (r->h.status == 101)
			return err_set(e, 0, "unexpected HTTP 101 Switching Protocols");
		if (r->h.status >= 200)
			break;
		if (interim == 8)
			return err_set(e, 0, "too many interim (1xx) responses");
	}
	/* callers get C strings: each value and the reason end in the copy's
	 * CR, LF or trailing whitespace, which nobody reads any more */
	for (size_t i = 0; i < r->h.nfields; i++)
		((char *)r->h.fields[i].value)[r->h.fields[i].value_len] = '\0';
	((char *)r->h.reason)[r->h.reason_len] = '\0';
	return 0;
}

/* The body is done (or abandoned): pool or close the connection. */
static void finish(struct http_response *r)
{
	struct conn *k = r->conn;

	r->done = 1;
	r->conn = NULL;
	if (!k)
		return;
	if (r->failed || r->h.close || r->framing == BODY_CLOSE || k->rpos != k->rlen)
		conn_close(k);
	else
		pool_put(r->c, k);
}

static void set_framing(struct http_response *r)
{
	int s = r->h.status;

	if (!strcmp(r->method, "HEAD") || s / 100 == 1 || s == 204 || s == 304) {
		r->framing = BODY_NONE;
	} else if (r->h.chunked) {
		r->framing = BODY_CHUNKED;
		http_chunked_init(&r->ch);
	} else if (r->h.content_length >= 0) {
		r->framing = BODY_LENGTH;
		r->left = (uint64_t)r->h.content_length;
	} else {
		r->framing = BODY_CLOSE;
	}
	if (r->framing == BODY_NONE || (r->framing == BODY_LENGTH && !r->left))
		finish(r);
}

static int idempotent(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
	       !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

/* One request/response on a pooled or new connection; a pooled one that
 * turns out dead is replaced once.  The whole head is due by one deadline. */
static int exchange(struct http_client *c, const struct hop *hp, const struct http_request *rq,
		    struct http_response *r, struct err *e)
{
	int64_t deadline = net_now_ms() + c->head_ms;
	const struct http_url *u = &hp->u;
	struct tls_config *tlscfg = NULL;
	struct conn *k;

	if (u->https)
		tlscfg = c->tls_for ? c->tls_for(c->tls_arg, u->host, u->port) : NULL;
	if (u->https && !tlscfg)
		tlscfg = c->tls;
	for (int attempt = 0;; attempt++) {
		int nothing = 0, reused;
		c->stage = HTTP_STAGE_CONNECT;
		k = pool_take(c, u, tlscfg);
		if (!k && conn_open(c, u, tlscfg, deadline, &k, e) < 0)
			return -1;
		reused = k->reused;
		c->stage = HTTP_STAGE_SEND;
		if (send_request(c, k, hp, rq, deadline, e) < 0) {
			nothing = e->errnum == EPIPE || e->errnum == ECONNRESET;
			if (e->errnum == ETIMEDOUT)
				slow(e, c->head_ms, "could not send the request to '%s' port %u within",
				     u->host, u->port);
		} else {
			c->stage = HTTP_STAGE_HEAD;
			if (read_head(k, r, deadline, &nothing, e) == 0) {
				c->stage = HTTP_STAGE_DONE;
				break;
			}
			if (e->errnum == ETIMEDOUT)
				slow(e, c->head_ms, "no complete response head from '%s' port %u within",
				     u->host, u->port);
		}
		conn_close(k);
		if (!reused || !nothing || attempt || !idempotent(hp->method))
			return -1;
	}
	r->conn = k;
	r->win_start = net_now_ms();
	set_framing(r);
	return 0;
}

static int is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* Read and drop a little of a redirect's body so its connection can be
 * reused; a big one is simply closed by the free. */
static void drain(struct http_response *r)
{
	char tmp[4096];
	struct err e;

	for (int i = 0; i < 16 && !r->done; i++)
		if (http_response_read(r, tmp, sizeof tmp, &e) <= 0)
			break;
}

static struct http_response *response_new(struct http_client *c, const struct hop *hp)
{
	struct http_response *r = calloc(1, sizeof *r);

	if (!r || !(r->url = strdup(hp->url))) {
		free(r);
		return NULL;
	}
	r->c = c;
	r->expect = -1;
	snprintf(r->method, sizeof r->method, "%s", hp->method);
	return r;
}

/* The next hop after redirect response r, or 0 with *next NULL when r is
 * final. */
static int redirect(const struct http_response *r, struct hop *hp, int hops, int max,
		    char **next, struct err *e)
{
	const char *loc = http_response_header(r, "Location");
	int s = r->h.status;

	*next = NULL;
	if (max < 0 || !is_redirect(s) || !loc)
		return 0;
	if (hops >= max)
		return err_set(e, 0, "too many redirects (more than %d)", max);
	if (http_url_resolve(hp->url, loc, strlen(loc), next, e) < 0)
		return err_wrap(e, "redirect");
	if (hp->u.https && !strncasecmp(*next, "http:", 5)) {
		free(*next);
		*next = NULL;
		return err_set(e, 0, "redirect from https to plain http refused");
	}
	if (s == 303 || ((s == 301 || s == 302) && !strcmp(hp->method, "POST"))) {
		hp->method = strcmp(hp->method, "HEAD") ? "GET" : "HEAD";
		hp->body = NULL;
		hp->body_len = 0;
	}
	return 0;
}

int http_request(struct http_client *c, const struct http_request *rq,
		 struct http_response **out, struct err *e)
{
	struct hop hp = { rq->method, rq->url, { 0 }, 1, rq->body, rq->body_len };
	struct http_url orig;
	struct http_response *r = NULL;
	int max = rq->max_redirects ? rq->max_redirects : HTTP_MAX_REDIRECTS;
	char *owned = NULL, *next;

	*out = NULL;
	if (check_request(rq, e) < 0 || http_url_parse(rq->url, strlen(rq->url), &orig, e) < 0)
		return wrap_req(e, rq->method, rq->url);
	for (int hops = 0;; hops++) {
		if (http_url_parse(hp.url, strlen(hp.url), &hp.u, e) < 0)
			goto fail;
		hp.send_auth = http_url_same_origin(&hp.u, &orig);
		if (!(r = response_new(c, &hp))) {
			err_set(e, ENOMEM, "response");
			goto fail;
		}
		if (exchange(c, &hp, rq, r, e) < 0 || redirect(r, &hp, hops, max, &next, e) < 0)
			goto fail;
		if (!next)
			break;
		drain(r);
		http_response_free(r);
		r = NULL;
		free(owned);
		hp.url = owned = next;
	}
	free(owned);
	*out = r;
	return 0;
fail:
	wrap_req(e, hp.method, hp.url);
	http_response_free(r);
	free(owned);
	return -1;
}

enum http_stage http_client_stage(const struct http_client *c)
{
	return c->stage;
}

/* ---- responses ---- */

int http_response_status(const struct http_response *r)
{
	return r->h.status;
}

const char *http_response_reason(const struct http_response *r)
{
	return r->h.reason;
}

const char *http_response_url(const struct http_response *r)
{
	return r->url;
}

const char *http_response_header_nth(const struct http_response *r, const char *name,
				     size_t nth)
{
	const struct http_hfield *f = http_head_find(&r->h, name, nth);

	return f ? f->value : NULL;
}

const char *http_response_header(const struct http_response *r, const char *name)
{
	return http_response_header_nth(r, name, 0);
}

int64_t http_response_content_length(const struct http_response *r)
{
	return r->h.content_length;
}

int http_response_expect_length(struct http_response *r, uint64_t n, struct err *e)
{
	if (r->h.content_length >= 0 && (uint64_t)r->h.content_length != n) {
		err_set(e, 0, "Content-Length %lld disagrees with the expected size %llu",
			(long long)r->h.content_length, (unsigned long long)n);
		return wrap_req(e, r->method, r->url);
	}
	r->expect = (int64_t)n;
	return 0;
}

static int too_slow(struct http_response *r, struct err *e)
{
	struct http_client *c = r->c;
	char t[32];

	net_format_ms(c->window_ms, t, sizeof t);
	err_set(e, 0, "'%s' port %u sent %llu bytes in %s, under the minimum of %u bytes/s",
		r->conn->host, r->conn->port, (unsigned long long)r->win_bytes, t, c->min_rate);
	e->errnum = ETIMEDOUT;
	return -1;
}

/* Body bytes from the socket.  Waits at most to the end of the current
 * rate window; a window that brought fewer bytes than the minimum rate asks
 * for ends the body. */
static ssize_t body_recv(struct http_response *r, void *buf, size_t len, struct err *e)
{
	struct http_client *c = r->c;
	uint64_t need = (uint64_t)c->min_rate * (uint64_t)c->window_ms / 1000;

	for (;;) {
		int64_t end = r->win_start + c->window_ms, now;
		ssize_t n = conn_recv(r->conn, buf, len, end, e);
		if (n < 0 && e->errnum != ETIMEDOUT) {
			r->dropped = e->errnum == ECONNRESET || e->errnum == EPIPE;
			return -1;
		}
		if (n > 0)
			r->win_bytes += (uint64_t)n;
		if ((now = net_now_ms()) >= end) {
			if (r->win_bytes < need)
				return too_slow(r, e);
			r->win_start = now;
			r->win_bytes = 0;
		}
		if (n >= 0)
			return n;
	}
}

/* Body bytes as they are: what rbuf holds, else straight from the socket. */
static ssize_t read_raw(struct http_response *r, void *buf, size_t len, struct err *e)
{
	struct conn *k = r->conn;
	size_t n = k->rlen - k->rpos;

	if (!n)
		return body_recv(r, buf, len, e);
	if (n > len)
		n = len;
	memcpy(buf, k->rbuf + k->rpos, n);
	k->rpos += n;
	return (ssize_t)n;
}

static ssize_t read_chunked(struct http_response *r, char *buf, size_t len, struct err *e)
{
	struct conn *k = r->conn;

	for (;;) {
		size_t cons, prod, avail;
		int rc;
		if (k->rpos == k->rlen) {
			ssize_t n = body_recv(r, k->rbuf, sizeof k->rbuf, e);
			if (n == 0) {
				r->dropped = 1;
				return err_set(e, 0, "connection closed inside a chunked body");
			}
			if (n < 0)
				return -1;
			k->rpos = 0;
			k->rlen = (size_t)n;
		}
		avail = k->rlen - k->rpos;
		rc = http_chunked_feed(&r->ch, k->rbuf + k->rpos, avail < len ? avail : len, buf,
				       &cons, &prod, e);
		k->rpos += cons;
		if (rc < 0)
			return -1;
		if (rc == 1 || prod)
			return (ssize_t)prod;
	}
}

static ssize_t read_body(struct http_response *r, void *buf, size_t len, struct err *e)
{
	struct conn *k = r->conn;
	ssize_t n;

	if (r->framing == BODY_CHUNKED)
		return read_chunked(r, buf, len, e);
	if (r->framing == BODY_LENGTH && len > r->left)
		len = (size_t)r->left;
	n = read_raw(r, buf, len, e);
	if (n == 0 && r->framing == BODY_LENGTH) {
		r->dropped = 1;
		return err_set(e, 0, "connection closed after %llu of %lld body bytes",
			       (unsigned long long)r->got, (long long)r->h.content_length);
	}
	/* over TLS, only close_notify tells the end of the body from a cut */
	if (n == 0 && k->tls && !tls_closed_cleanly(k->tls)) {
		r->dropped = 1;
		return err_set(e, 0, "the connection ended without a TLS close_notify after %llu "
			       "body bytes: the body may be truncated", (unsigned long long)r->got);
	}
	if (n > 0 && r->framing == BODY_LENGTH)
		r->left -= (uint64_t)n;
	return n;
}

static int body_complete(const struct http_response *r, ssize_t n)
{
	if (r->framing == BODY_LENGTH)
		return r->left == 0;
	if (r->framing == BODY_CHUNKED)
		return http_chunked_done(&r->ch);
	return n == 0;
}

ssize_t http_response_read(struct http_response *r, void *buf, size_t len, struct err *e)
{
	ssize_t n;

	if (r->failed) {
		err_set(e, 0, "body already failed");
		return wrap_req(e, r->method, r->url);
	}
	if (r->done || !len)
		return 0;
	n = read_body(r, buf, len, e);
	if (n >= 0) {
		r->got += (uint64_t)n;
		if (r->expect >= 0 && r->got > (uint64_t)r->expect)
			n = err_set(e, 0, "body longer than the expected %lld bytes",
				    (long long)r->expect);
		else if (body_complete(r, n) && r->expect >= 0 && r->got != (uint64_t)r->expect)
			n = err_set(e, 0, "body of %llu bytes, expected %lld",
				    (unsigned long long)r->got, (long long)r->expect);
	}
	if (n < 0) {
		r->failed = 1;
		finish(r);
		return wrap_req(e, r->method, r->url);
	}
	if (body_complete(r, n))
		finish(r);
	return n;
}

int http_response_stream(struct http_response *r,
			 int (*cb)(void *arg, const void *data, size_t len, struct err *e),
			 void *arg, struct err *e)
{
	size_t size = 65536;
	char *buf = malloc(size);
	ssize_t n;

	if (!buf)
		return err_set(e, errno, "read body");
	while ((n = http_response_read(r, buf, size, e)) > 0)
		if (cb(arg, buf, (size_t)n, e) < 0) {
			n = -1;
			break;
		}
	free(buf);
	return n < 0 ? -1 : 0;
}

/* Read a whole body into a malloc'd buffer; a secret's copies (the old
 * block at each growth, the stack buffer) are wiped. */
static int read_all(struct http_response *r, size_t max, int secret, char **out, size_t *len,
		    struct err *e)
{
	char tmp[16384], *data = NULL;
	size_t used = 0, cap = 0;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (r->h.content_length >= 0 && (uint64_t)r->h.content_length > max) {
		err_set(e, 0, "body of %lld bytes is over the limit of %zu",
			(long long)r->h.content_length, max);
		return wrap_req(e, r->method, r->url);
	}
	while ((n = http_response_read(r, tmp, sizeof tmp, e)) > 0) {
		if (used + (size_t)n > max) {
			err_set(e, 0, "body over the limit of %zu bytes", max);
			n = wrap_req(e, r->method, r->url);
			break;
		}
		if (used + (size_t)n + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *p;
			while (ncap < used + (size_t)n + 1)
				ncap *= 2;
			if (!(p = malloc(ncap))) {
				n = err_set(e, ENOMEM, "read body");
				break;
			}
			if (data) {
				memcpy(p, data, used);
				if (secret)
					explicit_bzero(data, cap);
			}
			free(data);
			data = p;
			cap = ncap;
		}
		memcpy(data + used, tmp, (size_t)n);
		used += (size_t)n;
	}
	if (secret)
		explicit_bzero(tmp, sizeof tmp);
	if (n == 0 && !data && !(data = malloc(1)))
		n = err_set(e, ENOMEM, "read body");
	if (n < 0) {
		if (data && secret)
			explicit_bzero(data, cap);
		free(data);
		return -1;
	}
	data[used] = '\0';
	*out = data;
	*len = used;
	return 0;
}

int http_response_read_all(struct http_response *r, size_t max, char **out, size_t *len,
			   struct err *e)
{
	return read_all(r, max, 0, out, len, e);
}

int http_response_read_secret(struct http_response *r, size_t max, char **out, size_t *len,
			      struct err *e)
{
	return read_all(r, max, 1, out, len, e);
}

int http_response_dropped(const struct http_response *r)
{
	return r->dropped;
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	if (r->conn)
		conn_close(r->conn); /* unread body: the connection is unusable */
	free(r->head);
	free(r->url);
	free(r);
}
