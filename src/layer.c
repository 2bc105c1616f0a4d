#include "layer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflate.h"
#include "pipe.h"
#include "sha256.h"
#include "store.h"
#include "tar.h"
#include "text.h"
#include "util.h"

struct layer_import {
	struct store *s;
	struct store_layer *sl;
	struct inflate *z;
	struct tar *t;
	struct pipe *pipe;            /* tar parse and store, on their own thread */
	struct sha256 blob, diff;
	uint64_t blob_bytes, tar_bytes, skipped;
	int skipping;                 /* inside an entry we do not store */
	layer_warn_fn warn;
	void *wctx;
	char diff_id[72], blob_digest[72];
	int64_t blob_size;
	uint64_t max_size;
	int has_diff_id, has_blob_digest;
};

void layer_digest_string(const uint8_t d[32], char out[72])
{
	char hex[65];
	sha256_hex(d, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

int layer_bad_whiteout(const char *name)
{
	return !strncmp(name, ".wh.", 4) &&
	       (!name[4] || !strcmp(name + 4, ".") || !strcmp(name + 4, ".."));
}

static int on_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct layer_import *li = ctx;
	const char *base = strrchr(ent->path, '/');

	base = base ? base + 1 : ent->path;
	if (layer_bad_whiteout(base)) {
		char shown[300];
		text_escape(shown, sizeof shown, ent->path, strlen(ent->path), TEXT_QUOTE);
		return err_set(e, 0, "entry '%s': a whiteout that names nothing it could remove",
			       shown);
	}

	li->skipping = 0;
	switch (ent->type) {
	case TAR_CHR:
	case TAR_BLK:
	case TAR_FIFO:
		/* OSTree cannot hold these; Atomic dropped them too. */
		li->skipping = 1;
		li->skipped++;
		if (li->warn)
			li->warn(li->wctx, ent->path, ent->type == TAR_FIFO ? "fifo"
				 : ent->type == TAR_CHR ? "character device" : "block device");
		return 0;
	default:
		return store_layer_entry(li->sl, ent, e);
	}
}

static int on_data(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct layer_import *li = ctx;
	return li->skipping ? 0 : store_layer_data(li->sl, buf, len, e);
}

static int on_entry_end(void *ctx, struct err *e)
{
	struct layer_import *li = ctx;
	return li->skipping ? 0 : store_layer_entry_end(li->sl, e);
}

/* Uncompressed tar bytes: hashed for the diff ID, then parsed. */
static int on_tar_bytes(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct layer_import *li = ctx;

	if (li->tar_bytes + len > li->max_size) {
		char limit[32];
		util_iec_size(li->max_size, limit, sizeof limit);
		return err_set(e, 0, "larger than %s uncompressed (--max-layer-size)", limit);
	}
	sha256_update(&li->diff, buf, len);
	li->tar_bytes += len;
	return pipe_put(li->pipe, buf, len, e);
}

/* On the pipe's thread: the tar stream, entries to the store. */
static int tar_sink(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct layer_import *li = ctx;
	return tar_feed(li->t, buf, len, e);
}

/* A failure on this side (the compressed stream, the sizes): the bytes
 * already queued came before it, so their error, if any, is the one to
 * report, as it was when one thread did it all. */
static int first_error(struct layer_import *li, struct err *e)
{
	struct err queued = { 0 };

	if (pipe_finish(li->pipe, &queued) < 0)
		*e = queued;
	return -1;
}

static const struct tar_callbacks tar_cb = { on_entry, on_data, on_entry_end };

int layer_import_begin(struct store *s, const struct layer_expect *x, layer_warn_fn warn,
		       void *wctx, struct layer_import **out, struct err *e)
{
	struct layer_import *li;

	if (x->diff_id && !sha256_digest_ok(x->diff_id, strlen(x->diff_id)))
		return err_set(e, 0, "diff ID '%s' is not a sha256 digest", x->diff_id);
	if (x->blob_digest && !sha256_digest_ok(x->blob_digest, strlen(x->blob_digest)))
		return err_set(e, 0, "blob digest '%s' is not a sha256 digest", x->blob_digest);
	li = calloc(1, sizeof *li);
	if (!li)
		return err_set(e, ENOMEM, "layer import");
	li->s = s;
	if (x->diff_id) {
		snprintf(li->diff_id, sizeof li->diff_id, "%s", x->diff_id);
		li->has_diff_id = 1;
	}
	if (x->blob_digest) {
		snprintf(li->blob_digest, sizeof li->blob_digest, "%s", x->blob_digest);
		li->has_blob_digest = 1;
	}
	li->blob_size = x->blob_size;
	li->max_size = x->max_size ? x->max_size : LAYER_MAX_SIZE;
	li->warn = warn;
	li->wctx = wctx;
	sha256_init(&li->blob);
	sha256_init(&li->diff);
	if (inflate_new(&li->z, on_tar_bytes, li, e) < 0 ||
	    tar_new(&li->t, &tar_cb, li, e) < 0 ||
	    store_layer_begin(s, &li->sl, e) < 0 ||
	    pipe_start(&li->pipe, tar_sink, li, e) < 0) {
		layer_import_abort(li);
		return -1;
	}
	*out = li;
	return 0;
}

void layer_import_abort(struct layer_import *li)
{
	if (!li)
		return;
	pipe_free(li->pipe);          /* first: its thread uses the rest */
	store_layer_abort(li->sl);
	tar_free(li->t);
	inflate_free(li->z);
	free(li);
}

uint64_t layer_import_fed(const struct layer_import *li)
{
	return li->blob_bytes;
}

uint64_t layer_import_needs(const struct layer_import *li)
{
	uint64_t written = 0, refused = 0, need;
	double scale = 1;

	if (li->sl)
		store_layer_space(li->sl, &written, &refused);
	/* the rest of the blob taken to inflate, and to store, as it did so far */
	if (li->blob_size > 0 && li->blob_bytes > 0 && (uint64_t)li->blob_size > li->blob_bytes)
		scale = (double)li->blob_size / (double)li->blob_bytes;
	need = written + refused;
	if ((double)li->tar_bytes * scale > (double)need)
		need = (uint64_t)((double)li->tar_bytes * scale);
	if ((double)written * scale > (double)need)
		need = (uint64_t)((double)written * scale);
	return need;
}

int layer_import_feed(struct layer_import *li, const void *buf, size_t len, struct err *e)
{
	/* Refuse more bytes than declared before storing any of them. */
	if (li->blob_size >= 0 && li->blob_bytes + len > (uint64_t)li->blob_size) {
		err_set(e, 0, "blob is larger than the %lld bytes the manifest declares",
			(long long)li->blob_size);
		return first_error(li, e);
	}
	sha256_update(&li->blob, buf, len);
	li->blob_bytes += len;
	return inflate_feed(li->z, buf, len, e) < 0 ? first_error(li, e) : 0;
}

static int verify(struct layer_import *li, struct layer_result *res, struct err *e)
{
	uint8_t d[32];

	sha256_final(&li->blob, d);
	layer_digest_string(d, res->blob_digest);
	sha256_final(&li->diff, d);
	layer_digest_string(d, res->diff_id);
	if (li->blob_size >= 0 && li->blob_bytes != (uint64_t)li->blob_size)
		return err_set(e, 0, "blob has %llu bytes, the manifest declares %lld",
			       (unsigned long long)li->blob_bytes, (long long)li->blob_size);
	if (li->has_blob_digest && strcmp(res->blob_digest, li->blob_digest))
		return err_set(e, 0, "blob digest mismatch: expected %s, got %s", li->blob_digest,
			       res->blob_digest);
	if (li->has_diff_id && strcmp(res->diff_id, li->diff_id))
		return err_set(e, 0, "diff ID mismatch: the config says %s, the layer is %s",
			       li->diff_id, res->diff_id);
	return 0;
}

/* A layer whose diff ID we learn only now: when it is stored already, keep
 * the stored one and write nothing. */
static int already_stored(struct layer_import *li, struct layer_result *res, struct err *e)
{
	char ref[STORE_REF_MAX];
	int have;

	if (li->has_diff_id)
		return 0;
	store_layer_ref(res->diff_id, ref);
	if ((have = store_ref_get(li->s, ref, res->commit, e)) <= 0)
		return have;
	res->present = 1;
	return 1;
}

int layer_import_end(struct layer_import *li, struct layer_result *res, struct err *e)
{
	struct store_layer_meta m;
	struct store_layer *sl;
	int r;

	memset(res, 0, sizeof *res);
	if ((inflate_finish(li->z, e) < 0 && first_error(li, e) < 0) ||
	    pipe_finish(li->pipe, e) < 0 || tar_finish(li->t, e) < 0 || verify(li, res, e) < 0) {
		if (e->code == ERR_NO_SPACE)
			res->need = layer_import_needs(li);
		layer_import_abort(li);
		return -1;
	}
	res->compressed = inflate_is_gzip(li->z);
	res->blob_bytes = li->blob_bytes;
	res->tar_bytes = li->tar_bytes;
	res->skipped = li->skipped;
	res->entries = store_layer_entries(li->sl);
	if ((r = already_stored(li, res, e)) != 0) {
		layer_import_abort(li);
		return r < 0 ? -1 : 0;
	}
	m = (struct store_layer_meta){
		.diff_id = res->diff_id,
		.blob_digest = res->compressed ? res->blob_digest : NULL,
		.size = li->blob_bytes,
		.uncompressed_size = li->tar_bytes,
		.unreferenced = !li->has_diff_id,
	};
	sl = li->sl;
	li->sl = NULL;
	r = store_layer_commit(sl, &m, res->commit, e);
	if (r < 0 && e->code == ERR_NO_SPACE)
		res->need = layer_import_needs(li);
	layer_import_abort(li);
	return r;
}

int layer_write_refs(struct store *s, const struct layer_result *res, struct err *e)
{
	char ref[STORE_REF_MAX];

	store_layer_ref(res->diff_id, ref);
	if (store_set_ref(s, ref, res->commit, e) < 0)
		return -1;
	if (!res->compressed || !strcmp(res->blob_digest, res->diff_id))
		return 0;
	store_layer_ref(res->blob_digest, ref);
	return store_set_ref(s, ref, res->commit, e);
}
