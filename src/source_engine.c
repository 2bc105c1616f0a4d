/* Source docker:NAME[:TAG] -- an image of the local Docker engine (or of
 * podman's Docker-compatible service) through the Engine API on a unix
 * socket: $DOCKER_HOST (unix:// only), else /var/run/docker.sock, else
 * /run/podman/podman.sock.
 *
 *   GET /_ping                          the API version the engine speaks
 *   GET /vX/images/NAME/json            is each one there?
 *   GET /vX/images/get?names=N&names=M  one `docker save` archive of them
 *
 * The archive is read as a stream (source_stream.c) straight into the
 * store: no temporary copy.  All docker: images of one pull come in one
 * archive, so the layers they share pass once.  The engine may take long
 * before its first byte (podman writes the archive out first): only
 * --timeout limits the export; /_ping gets PING_MS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "source_archive.h"
#include "text.h"

enum {
	PING_MS = 30000,
	MIN_API_MINOR = 24,        /* API 1.24: the oldest engines still serve */
	ERROR_BODY_MAX = 64 << 10,
};

struct engine {
	char sock[sizeof ((struct sockaddr_un *)0)->sun_path];
	char what[sizeof ((struct sockaddr_un *)0)->sun_path + 32];
	char version[16];          /* "1.41" */
	const struct source_opts *o;
	int64_t deadline;          /* --timeout, 0: none */
};

/* One HTTP/1.1 exchange on its own connection (Connection: close). */
struct conn {
	int fd;
	int64_t deadline;
	const struct source_opts *o;
	char buf[HTTP_HEAD_MAX];
	size_t have, pos;
	int status, chunked;
	int64_t left;              /* Content-Length bytes still to come, -1 none */
	struct http_chunked ch;
	char api_version[16];
};

static int engine_socket(struct engine *g, struct err *e)
{
	static const char *const defaults[] = { "/var/run/docker.sock", "/run/podman/podman.sock" };
	const char *h = getenv("DOCKER_HOST");

	if (h && *h) {
		if (strncmp(h, "unix://", 7) || h[7] != '/')
			return err_set(e, 0, "DOCKER_HOST: only unix:///PATH sockets are supported");
		if (strlen(h + 7) >= sizeof g->sock)
			return err_set(e, 0, "DOCKER_HOST: socket path longer than %zu bytes",
				       sizeof g->sock - 1);
		snprintf(g->sock, sizeof g->sock, "%s", h + 7);
	} else {
		size_t i = 0;
		while (i < 2 && access(defaults[i], F_OK) < 0)
			i++;
		if (i == 2)
			return err_set(e, 0, "no Docker engine: neither %s nor %s exists (set "
				       "DOCKER_HOST=unix:///PATH)", defaults[0], defaults[1]);
		snprintf(g->sock, sizeof g->sock, "%s", defaults[i]);
	}
	snprintf(g->what, sizeof g->what, "the Docker engine at '%s'", g->sock);
	return 0;
}

/* ---- one request ---- */

static int conn_send(struct conn *c, const char *target, struct err *e)
{
	struct buf req;
	int r = 0;

	buf_init(&req);
	buf_appendf(&req, "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: syscontainer/"
		    SC_VERSION "\r\nConnection: close\r\n\r\n", target);
	if (req.oom) {
		buf_free(&req);
		return err_set(e, ENOMEM, "request");
	}
	for (const char *p = req.data, *end = p + req.len; p < end && r == 0;) {
		ssize_t k = send(c->fd, p, (size_t)(end - p), MSG_NOSIGNAL);
		if (k < 0 && errno != EINTR)
			r = err_set(e, errno, "send");
		if (k > 0)
			p += k;
	}
	buf_free(&req);
	return r;
}

static int conn_head(struct conn *c, struct err *e)
{
	struct http_head h;
	const struct http_hfield *v;
	size_t end;

	while (!(end = http_head_end(c->buf, c->have))) {
		ssize_t n;
		if (c->have == sizeof c->buf)
			return err_set(e, 0, "response head larger than %zu bytes", sizeof c->buf);
		n = stream_read_some(c->fd, c->buf + c->have, sizeof c->buf - c->have, c->deadline,
				     c->o, e);
		if (n < 0)
			return -1;
		if (n == 0)
			return err_set(e, 0, "connection closed before a response");
		c->have += (size_t)n;
	}
	if (http_head_parse(c->buf, end, &h, e) < 0)
		return err_wrap(e, "response");
	c->status = h.status;
	c->chunked = h.chunked;
	c->left = h.chunked ? -1 : h.content_length;
	if ((v = http_head_find(&h, "Api-Version", 0)) && v->value_len < sizeof c->api_version)
		snprintf(c->api_version, sizeof c->api_version, "%.*s", (int)v->value_len, v->value);
	http_chunked_init(&c->ch);
	c->pos = end;
	return 0;
}

/* Decoded body bytes to fn until the body ends.  buf[pos..have) holds
 * what came with the head; the chunked decoder works in place. */
static int conn_body(struct conn *c, int (*fn)(void *, const void *, size_t, struct err *),
		     void *ctx, struct err *e)
{
	for (;;) {
		char *in = c->buf + c->pos;
		size_t avail = c->have - c->pos, used = avail, got = avail;
		ssize_t n;

		if (avail && c->chunked &&
		    http_chunked_feed(&c->ch, in, avail, in, &used, &got, e) < 0)
			return err_wrap(e, "response body");
		if (c->left >= 0 && (int64_t)got > c->left)
			got = (size_t)c->left;
		if (got && fn(ctx, in, got, e) < 0)
			return -1;
		if (c->left > 0)
			c->left -= (int64_t)got;
		c->pos = c->have = 0;
		if ((c->chunked && http_chunked_done(&c->ch)) || c->left == 0)
			return 0;
		n = stream_read_some(c->fd, c->buf, sizeof c->buf, c->deadline, c->o, e);
		if (n < 0)
			return -1;
		if (n == 0)
			return c->chunked || c->left > 0 ? err_set(e, 0, "the response ended early") : 0;
		c->have = (size_t)n;
	}
}

static int conn_open(struct engine *g, struct conn *c, const char *target, int64_t deadline,
		     struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->deadline = deadline;
	c->o = g->o;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", g->sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_set(e, errno, "socket");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return err_set(e, errno, "connect");
	if (conn_send(c, target, e) < 0 || conn_head(c, e) < 0)
		return -1;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int collect(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct buf *b = ctx;

	if (b->len + len > ERROR_BODY_MAX)
		return err_set(e, 0, "error response larger than %d bytes", ERROR_BODY_MAX);
	return buf_append(b, buf, len) < 0 ? err_set(e, ENOMEM, "response") : 0;
}

/* What an engine says with an error status: its JSON "message", escaped. */
static void engine_message(struct conn *c, char *out, size_t outsz)
{
	struct buf b;
	struct json *j = NULL;
	struct err ignore;
	char *msg = NULL;

	buf_init(&b);
	snprintf(out, outsz, "HTTP %d", c->status);
	if (conn_body(c, collect, &b, &ignore) == 0 && b.len &&
	    json_parse(&j, b.data, b.len, &ignore) == 0 &&
	    (msg = json_str(j, json_get(j, json_root(j), "message")))) {
		char shown[512];
		text_escape(shown, sizeof shown, msg, strlen(msg), TEXT_QUOTE);
		snprintf(out, outsz, "HTTP %d: %s", c->status, shown);
	}
	free(msg);
	json_free(j);
	buf_free(&b);
}

/* ---- the API ---- */

/* /_ping: is it an engine, and which API version does it speak? */
static int engine_ping(struct engine *g, struct err *e)
{
	int64_t ping = stream_now_ms() + PING_MS;
	int by_ping = !g->deadline || ping < g->deadline;
	struct conn c;
	unsigned major = 0, minor = 0;
	char msg[600], tail;
	int r = conn_open(g, &c, "/_ping", by_ping ? ping : g->deadline, e);

	if (r < 0 && e->errnum == ETIMEDOUT && by_ping)
		err_set(e, 0, "no answer to /_ping within %d s", PING_MS / 1000);
	if (r == 0 && c.status != 200) {
		engine_message(&c, msg, sizeof msg);
		r = err_set(e, 0, "/_ping answered %s: not a Docker engine", msg);
	}
	if (r == 0 && (sscanf(c.api_version, "%u.%u%c", &major, &minor, &tail) != 2 || major != 1))
		r = err_set(e, 0, "/_ping gave no API version: not a Docker engine");
	if (r == 0 && minor < MIN_API_MINOR)
		r = err_set(e, 0, "it speaks API version %u.%u; syscontainer needs 1.%d or later",
			    major, minor, MIN_API_MINOR);
	if (r == 0)
		snprintf(g->version, sizeof g->version, "%u.%u", major, minor);
	conn_close(&c);
	return r;
}

/* Is the image there (GET /images/NAME/json)? */
static int engine_has(struct engine *g, const char *name, struct err *e)
{
	char target[IMGREF_FORMAT_MAX + 64], msg[600];
	struct conn c;
	int r;

	snprintf(target, sizeof target, "/v%s/images/%s/json", g->version, name);
	r = conn_open(g, &c, target, g->deadline, e);
	if (r == 0 && c.status == 404) {
		engine_message(&c, msg, sizeof msg);
		r = err_set(e, 0, "no such image %s (%s)", name, msg);
	} else if (r == 0 && c.status != 200) {
		engine_message(&c, msg, sizeof msg);
		r = err_set(e, 0, "image %s: %s", name, msg);
	}
	conn_close(&c);
	return r;
}

static void add_query_name(struct buf *b, const char *name, size_t i)
{
	buf_puts(b, i ? "&names=" : "names=");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._", *p))
			buf_putc(b, *p);
		else
			buf_appendf(b, "%%%02X", *p);
	}
}

static int feed_stream(void *ctx, const void *buf, size_t len, struct err *e)
{
	return stream_feed(ctx, buf, len, e);
}

/* GET /images/get for names[0..n) into st. */
static int engine_export(struct engine *g, char (*names)[IMGREF_FORMAT_MAX], size_t n,
			 struct stream *st, struct err *e)
{
	char msg[600];
	struct buf target;
	struct conn c;
	int r;

	buf_init(&target);
	buf_appendf(&target, "/v%s/images/get?", g->version);
	for (size_t i = 0; i < n; i++)
		add_query_name(&target, names[i], i);
	if (target.oom) {
		buf_free(&target);
		return err_set(e, ENOMEM, "export");
	}
	r = conn_open(g, &c, buf_cstr(&target), g->deadline, e);
	buf_free(&target);
	if (r == 0 && c.status != 200) {
		engine_message(&c, msg, sizeof msg);
		r = err_set(e, 0, "export: %s", msg);
	}
	if (r == 0)
		r = conn_body(&c, feed_stream, st, e);
	if (r == 0)
		r = stream_finish(st, e);
	conn_close(&c);
	return r;
}

static int no_fetch(struct source *src, size_t i, source_feed_fn feed, void *ctx, struct err *e)
{
	(void)src, (void)feed, (void)ctx;
	return err_set(e, 0, "layer %zu was not in the engine's archive", i + 1);
}

static const struct source_ops engine_ops = { .fetch_layer = no_fetch };

/* Each wanted image out of the archive the engine sent. */
static int take_images(struct engine *g, struct stream *st, struct source **srcs,
		       const struct imgref *refs, char (*names)[IMGREF_FORMAT_MAX],
		       const size_t *idx, size_t k, struct err *errs)
{
	int rc = 0;

	for (size_t j = 0; j < k; j++) {
		size_t i = idx[j];
		struct archive_want w = { .name = names[j], .any_single = k == 1 };
		struct source *src = calloc(1, sizeof *src);

		if (!src) {
			rc = err_set(&errs[i], ENOMEM, "%s", g->what);
			continue;
		}
		src->ops = &engine_ops;
		imgref_format_source(&refs[i], src->img.source, sizeof src->img.source);
		if (stream_image(st, &w, &src->img, &errs[i]) < 0) {
			rc = err_wrap(&errs[i], "%s", g->what);
			source_free(src);
			continue;
		}
		srcs[i] = src;
	}
	return rc;
}

/* The images that are there: their positions into idx, names into names.
 * (Asked one by one: an export of several fails as a whole, and engines
 * differ in how it says that one is missing.) */
static size_t present(struct engine *g, const struct imgref *refs, size_t n,
		      char (*names)[IMGREF_FORMAT_MAX], size_t *idx, struct err *errs)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		imgref_format(&refs[i], names[k], IMGREF_FORMAT_MAX);
		if (engine_has(g, names[k], &errs[i]) < 0) {
			err_wrap(&errs[i], "%s", g->what);
			continue;
		}
		idx[k++] = i;
	}
	return k;
}

int source_open_engine(struct source **srcs, const struct imgref *refs, size_t n,
		       const struct source_opts *o, struct err *errs)
{
	struct engine g = { .o = o, .deadline = stream_deadline(o) };
	char (*names)[IMGREF_FORMAT_MAX] = calloc(n ? n : 1, sizeof *names);
	size_t *idx = calloc(n ? n : 1, sizeof *idx), k;
	struct stream *st = NULL;
	struct err e;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		srcs[i] = NULL;
	if (!names || !idx) {
		err_set(&e, ENOMEM, "docker:");
		goto all_fail;
	}
	if (engine_socket(&g, &e) < 0)
		goto all_fail;
	if (engine_ping(&g, &e) < 0) {
		err_wrap(&e, "%s", g.what);
		goto all_fail;
	}
	k = present(&g, refs, n, names, idx, errs);
	if (k && (stream_new(&st, o, &e) < 0 || engine_export(&g, names, k, st, &e) < 0)) {
		err_wrap(&e, "%s", g.what);
		for (size_t j = 0; j < k; j++)
			errs[idx[j]] = e;
	} else if (k && take_images(&g, st, srcs, refs, names, idx, k, errs) == 0 && k == n) {
		rc = 0;
	}
	goto out;
all_fail:
	for (size_t i = 0; i < n; i++)
		errs[i] = e;
out:
	stream_free(st);
	free(names);
	free(idx);
	return rc;
}
