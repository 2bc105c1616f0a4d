/* Streams: an image archive read once, front to back -- from standard
 * input, a pipe, a gzip-compressed file or the Docker engine -- with no
 * temporary copy.  The outer archive (gzip when its magic says so) passes
 * through inflate.c and tar.c; each regular member is classified by its
 * first bytes:
 *
 *   JSON (first non-blank byte '{' or '[', at most IMAGE_MAX_MANIFEST
 *        bytes): kept in memory, at most STREAM_MAX_KEPT bytes in all;
 *   a layer (gzip, zstd, xz or bzip2 magic, or a valid tar header):
 *        imported as it passes, through pull's struct source_pull, into a
 *        commit without refs -- or read past when its name carries the
 *        digest of a layer stored already;
 *   anything else: read past.
 *
 * Engines write manifest.json after the layers, so which members make the
 * image is known only at the end.  stream_image() then resolves it like
 * any archive and checks each layer's blob digest (when the archive names
 * one) and diff ID against the manifest and config; only the layers of a
 * verified image get refs (pull writes them), the rest go at the next
 * prune.  Memory: one member's first block, the JSON kept, the member
 * index, and what one layer import holds. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inflate.h"
#include "source_archive.h"
#include "tar.h"
#include "text.h"

enum {
	SNIFF = TAR_BLOCK,
	STREAM_MAX_KEPT = 64 << 20,
	STREAM_CHUNK = 256 << 10,
};

enum kind { K_OTHER, K_JSON, K_LAYER };

/* What the stream left of a member (parallel to idx.m). */
struct kept {
	enum kind kind;
	char *json;                 /* K_JSON: the bytes, NUL-terminated */
	int have_res;               /* K_LAYER: imported, or stored already */
	struct layer_result res;
};

struct stream {
	const struct source_opts *o;
	struct inflate *z;
	struct tar *t;
	struct archive_index idx;
	struct kept *kept;
	size_t kept_cap, kept_bytes;
	/* the member being read */
	long cur;                   /* its index, -1 outside a regular member */
	uint64_t size, done;
	uint8_t sniff[SNIFF];
	size_t sniffed;
	int decided, skipping;
	void *layer;                /* the import in progress */
};

static struct kept *cur_kept(struct stream *st)
{
	return &st->kept[st->cur];
}

static int on_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct stream *st = ctx;

	if (archive_index_add(&st->idx, ent, 0, e) < 0)
		return -1;
	if (st->idx.n > st->kept_cap) {
		size_t cap = st->idx.cap;
		struct kept *k = realloc(st->kept, cap * sizeof *k);
		if (!k)
			return err_set(e, ENOMEM, "archive index");
		memset(k + st->kept_cap, 0, (cap - st->kept_cap) * sizeof *k);
		st->kept = k;
		st->kept_cap = cap;
	}
	st->cur = ent->type == TAR_REG ? (long)st->idx.n - 1 : -1;
	st->size = ent->size;
	st->done = st->sniffed = 0;
	st->decided = st->skipping = 0;
	return 0;
}

static int looks_like_tar(const uint8_t *b)
{
	struct tar *t;
	struct err ignore;
	int ok;

	if (tar_new(&t, NULL, NULL, &ignore) < 0)
		return 0;
	ok = tar_feed(t, b, SNIFF, &ignore) == 0;
	tar_free(t);
	return ok;
}

static enum kind classify(const uint8_t *b, size_t n, uint64_t size)
{
	static const struct { const char *magic; size_t len; } packed[] = {
		{ "\x1f\x8b", 2 }, { "\x28\xb5\x2f\xfd", 4 }, { "\xfd" "7zXZ\0", 6 }, { "BZh", 3 },
	};
	size_t i = 0;

	while (i < n && strchr(" \t\r\n", b[i]))
		i++;
	if (i < n && (b[i] == '{' || b[i] == '['))
		return size <= IMAGE_MAX_MANIFEST ? K_JSON : K_OTHER;
	for (size_t k = 0; k < sizeof packed / sizeof packed[0]; k++)
		if (n >= packed[k].len && !memcmp(b, packed[k].magic, packed[k].len))
			return K_LAYER;
	return n == SNIFF && looks_like_tar(b) ? K_LAYER : K_OTHER;
}

static const char *cur_path(const struct stream *st)
{
	return st->idx.m[st->cur].path;
}

/* e, with the member being read named as a layer. */
static int layer_err(const struct stream *st, struct err *e)
{
	char shown[TAR_MAX_PATH + 16];

	text_escape(shown, sizeof shown, cur_path(st), strlen(cur_path(st)), TEXT_QUOTE);
	return err_wrap(e, "layer '%s'", shown);
}

/* Bytes of the member being read, after its kind is known. */
static int sink(struct stream *st, const void *buf, size_t len, struct err *e)
{
	struct kept *k = cur_kept(st);

	if (k->kind == K_JSON) {
		memcpy(k->json + st->done, buf, len);
	} else if (k->kind == K_LAYER && !st->skipping &&
		   st->o->pull->layer_feed(st->layer, buf, len, e) < 0) {
		return layer_err(st, e);
	}
	st->done += len;
	return 0;
}

static int begin_layer(struct stream *st, struct kept *k, struct err *e)
{
	char hex[65];
	int r = st->o->pull->layer_begin(st->o->pull->ctx, cur_path(st), st->size,
					 archive_name_hex(cur_path(st), hex) ? hex : NULL,
					 &st->layer, &k->res, e);
	if (r < 0)
		return layer_err(st, e);
	st->skipping = k->have_res = r == 1;
	return 0;
}

static int decide(struct stream *st, struct err *e)
{
	struct kept *k = cur_kept(st);

	k->kind = classify(st->sniff, st->sniffed, st->size);
	st->decided = 1;
	if (k->kind == K_JSON) {
		if (st->kept_bytes + st->size > STREAM_MAX_KEPT)
			return err_set(e, 0, "more than %d MiB of JSON members", STREAM_MAX_KEPT >> 20);
		if (!(k->json = malloc(st->size + 1)))
			return err_set(e, ENOMEM, "JSON member");
		k->json[st->size] = '\0';
		st->kept_bytes += st->size;
	} else if (k->kind == K_LAYER && begin_layer(st, k, e) < 0) {
		return -1;
	}
	return sink(st, st->sniff, st->sniffed, e);
}

static int on_data(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct stream *st = ctx;
	const uint8_t *p = buf;

	if (st->cur < 0)
		return 0;
	if (!st->decided) {
		size_t want = (st->size < SNIFF ? (size_t)st->size : SNIFF) - st->sniffed;
		size_t take = len < want ? len : want;

		memcpy(st->sniff + st->sniffed, p, take);
		st->sniffed += take;
		p += take;
		len -= take;
		if (take < want)
			return 0;
		if (decide(st, e) < 0)
			return -1;
	}
	return len ? sink(st, p, len, e) : 0;
}

static int on_entry_end(void *ctx, struct err *e)
{
	struct stream *st = ctx;
	struct kept *k;
	void *layer;

	if (st->cur < 0)
		return 0;
	if (!st->decided && decide(st, e) < 0)
		return -1;
	k = cur_kept(st);
	if (k->kind != K_LAYER || st->skipping)
		return 0;
	layer = st->layer;
	st->layer = NULL;
	if (st->o->pull->layer_end(layer, &k->res, e) < 0)
		return layer_err(st, e);
	k->have_res = 1;
	return 0;
}

static const struct tar_callbacks tar_cb = { on_entry, on_data, on_entry_end };

static int to_tar(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct stream *st = ctx;
	return tar_feed(st->t, buf, len, e);
}

int stream_new(struct stream **out, const struct source_opts *o, struct err *e)
{
	struct stream *st;

	if (!o || !o->pull)
		return err_set(e, 0, "streams are read by pull only");
	if (!(st = calloc(1, sizeof *st)))
		return err_set(e, ENOMEM, "stream");
	st->o = o;
	st->cur = -1;
	if (inflate_new(&st->z, to_tar, st, e) < 0 || tar_new(&st->t, &tar_cb, st, e) < 0) {
		stream_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void stream_free(struct stream *st)
{
	if (!st)
		return;
	if (st->layer)
		st->o->pull->layer_abort(st->layer);
	for (size_t i = 0; i < st->idx.n; i++)
		free(st->kept[i].json);
	free(st->kept);
	archive_index_free(&st->idx);
	tar_free(st->t);
	inflate_free(st->z);
	free(st);
}

int stream_feed(struct stream *st, const void *buf, size_t len, struct err *e)
{
	return inflate_feed(st->z, buf, len, e);
}

int stream_finish(struct stream *st, struct err *e)
{
	if (inflate_finish(st->z, e) < 0 || tar_finish(st->t, e) < 0)
		return -1;
	return 0;
}

/* ---- reading a file descriptor, within --timeout ---- */

int64_t stream_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t stream_deadline(const struct source_opts *o)
{
	return o->timeout_s ? stream_now_ms() + (int64_t)o->timeout_s * 1000 : 0;
}

/* Milliseconds left until deadline (-1: none, 0: passed). */
static int stream_ms_left(int64_t deadline)
{
	int64_t left;

	if (!deadline)
		return -1;
	left = deadline - stream_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static int stream_timed_out(const struct source_opts *o, struct err *e)
{
	err_set(e, 0, "not finished after %u s (--timeout)", o->timeout_s);
	e->errnum = ETIMEDOUT;
	return -1;
}

ssize_t stream_read_some(int fd, void *buf, size_t len, int64_t deadline,
			 const struct source_opts *o, struct err *e)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = stream_ms_left(deadline), r;
		ssize_t n;

		if (ms == 0)
			return stream_timed_out(o, e);
		r = poll(&p, 1, ms);
		if (r < 0 && errno != EINTR)
			return err_set(e, errno, "poll");
		if (r <= 0)
			continue;
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN)
			return err_set(e, errno, "read");
	}
}

/* Read fd to its end into the stream, within o->timeout_s. */
static int stream_read_fd(struct stream *st, int fd, struct err *e)
{
	int64_t deadline = stream_deadline(st->o);
	char *buf = malloc(STREAM_CHUNK);
	ssize_t n;
	int r = -1;

	if (!buf)
		return err_set(e, ENOMEM, "read");
	while ((n = stream_read_some(fd, buf, STREAM_CHUNK, deadline, st->o, e)) > 0)
		if (stream_feed(st, buf, (size_t)n, e) < 0)
			goto out;
	if (n == 0)
		r = stream_finish(st, e);
out:
	free(buf);
	return r;
}

/* ---- the image ---- */

static int kept_size(void *ctx, const char *path, uint64_t *size, struct err *e)
{
	struct stream *st = ctx;
	size_t i;

	if (archive_lookup(&st->idx, path, &i, e) < 0)
		return -1;
	*size = st->idx.m[i].size;
	return 0;
}

static int kept_read(void *ctx, const char *path, size_t max, char **out, size_t *len,
		     struct err *e)
{
	struct stream *st = ctx;
	const struct kept *k;
	size_t i, n;

	if (archive_lookup(&st->idx, path, &i, e) < 0)
		return -1;
	k = &st->kept[i];
	n = (size_t)st->idx.m[i].size;
	if (n > max)
		return err_set(e, 0, "'%s' is larger than %zu bytes", path, max);
	if (k->kind != K_JSON)
		return err_set(e, 0, "'%s' is not a JSON document", path);
	if (!(*out = malloc(n + 1)))
		return err_set(e, ENOMEM, "'%s'", path);
	memcpy(*out, k->json, n + 1);
	*len = n;
	return 0;
}

/* An empty member named as a layer is an empty layer: import it now. */
static int import_empty(struct stream *st, const char *path, struct kept *k, struct err *e)
{
	void *layer = NULL;
	int r = st->o->pull->layer_begin(st->o->pull->ctx, path, 0, NULL, &layer, &k->res, e);

	if (r == 0 && st->o->pull->layer_end(layer, &k->res, e) < 0)
		r = -1;
	k->have_res = r >= 0;
	return r < 0 ? -1 : 0;
}

/* Layer i of img is the member at path: what the stream made of it must be
 * what the manifest and config say. */
static int stage(struct stream *st, struct image_layer *l, const char *path, struct err *e)
{
	struct kept *k;
	size_t m;

	if (archive_lookup(&st->idx, path, &m, e) < 0)
		return -1;
	k = &st->kept[m];
	if (!k->have_res && st->idx.m[m].size == 0 && import_empty(st, path, k, e) < 0)
		return -1;
	if (!k->have_res)
		return err_set(e, 0, "'%s' is not a layer (neither a tar nor a compressed stream)",
			       path);
	if (l->digest[0] && strcmp(k->res.blob_digest, l->digest))
		return err_set(e, 0, "blob digest mismatch: expected %s, got %s", l->digest,
			       k->res.blob_digest);
	if (strcmp(k->res.diff_id, l->diff_id))
		return err_set(e, 0, "diff ID mismatch: the config says %s, the layer is %s",
			       l->diff_id, k->res.diff_id);
	l->staged = 1;
	l->staged_res = k->res;
	return 0;
}

int stream_image(struct stream *st, const struct archive_want *w, struct image *img,
		 struct err *e)
{
	struct member_reader r = { st, kept_read, kept_size };
	char **paths = NULL;
	int rc = 0;

	if (archive_resolve(&r, w, st->o, img, &paths, e) < 0)
		return -1;
	for (size_t i = 0; i < img->nlayers && rc == 0; i++)
		if ((rc = stage(st, &img->layers[i], paths[i], e)) < 0)
			err_wrap(e, "layer %.12s", img->layers[i].diff_id + 7);
	archive_paths_free(paths, img->nlayers);
	return rc;
}

/* ---- a source read from a file descriptor ---- */

static int no_fetch(struct source *src, size_t i, source_feed_fn feed, void *ctx, struct err *e)
{
	(void)src, (void)feed, (void)ctx;
	return err_set(e, 0, "layer %zu was not in the stream", i + 1);
}

static const struct source_ops stream_ops = { .fetch_layer = no_fetch };

int source_stream_open(struct source *src, int fd, const char *what,
		       const struct archive_want *w, const struct source_opts *o,
		       struct err *e)
{
	struct stream *st = NULL;
	int r;

	src->ops = &stream_ops;
	r = stream_new(&st, o, e);
	if (r == 0)
		r = stream_read_fd(st, fd, e);
	if (r == 0)
		r = stream_image(st, w, &src->img, e);
	stream_free(st);
	return r < 0 ? err_wrap(e, "%s", what) : 0;
}
