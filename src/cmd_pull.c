/* pull IMAGE...: store images' layers and the images themselves in the repo.
 *
 * Under the shared repo lock, for each layer in manifest order: skip it
 * when its diff-ID ref exists, else stream it through the layer import
 * (digests checked before anything is referenced); a registry's layers
 * come up to PULL_JOBS at a time (see "layers fetched at the same time").  Stream sources (the
 * Docker engine, standard input) import layers as they pass, before the
 * manifest that names them arrives: through the hooks below, into commits
 * without refs; here those layers only get their refs, once the source
 * has verified the image.  The image ref comes last, so a failed pull
 * leaves no new or changed image ref.  Several images are pulled one after
 * the other (the docker: ones in one request to the engine); a layer one
 * of them stored is skipped by the next. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "cli.h"
#include "imgref.h"
#include "json.h"
#include "layer.h"
#include "platform.h"
#include "progress.h"
#include "pull.h"
#include "registry.h"
#include "sha256.h"
#include "source.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* One layer being imported: its import and its line on the display. */
struct progress {
	const struct cli *c;
	struct layer_import *li;
	struct progress_item *item;
	char label[80];           /* "layer <12 hex>" or "layer '<member>'", for warnings */
	uint64_t *need;           /* where a failure for space puts what the
	                             layer needs (layer_import_needs) */
	const size_t *fail_at;    /* the first failed layer among those fetched
	                             at the same time: a layer after it gives
	                             up (NULL: fetched alone) */
	size_t index;             /* this layer's */
	int cancelled;            /* gave up for that */
};

/* One pull run, for the stream hooks. */
struct puller {
	struct cli *c;
	struct store *s;
	struct source_pull hooks;
	uint64_t max_size;        /* --max-layer-size */
	uint64_t need;            /* a stream's layer that failed for space */
};

void pull_on_wait(void *ctx, const char *repo, unsigned timeout_s)
{
	(void)ctx;
	fprintf(stderr, "syscontainer: waiting for the repository lock on '%s' (up to %u s)\n",
		repo, timeout_s);
}

static void on_warn(void *ctx, const char *path, const char *what)
{
	const struct progress *p = ctx;
	char shown[256], line[512];

	if (p->c->quiet)
		return;
	text_escape(shown, sizeof shown, path, strlen(path), TEXT_QUOTE);
	snprintf(line, sizeof line, "syscontainer: warning: %s: skipped %s '%s' (OSTree cannot store it)\n",
		 p->label, what, shown);
	progress_print(stderr, line);
}

static int feed(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct progress *p = ctx;
	if (p->fail_at && __atomic_load_n(p->fail_at, __ATOMIC_RELAXED) < p->index) {
		p->cancelled = 1;
		return err_set(e, ECANCELED, "stopped: another layer failed");
	}
	if (layer_import_feed(p->li, buf, len, e) < 0) {
		if (e->code == ERR_NO_SPACE && p->need)
			*p->need = layer_import_needs(p->li);
		return -1;
	}
	progress_item_bytes(p->item, layer_import_fed(p->li));
	return 0;
}

/* The layer's bytes are in: write its commit, and say how it went. */
static int import_end(struct progress *p, struct layer_result *res, struct err *e)
{
	progress_item_storing(p->item);
	if (layer_import_end(p->li, res, e) < 0) {
		if (e->code == ERR_NO_SPACE && p->need)
			*p->need = res->need;
		progress_item_failed(p->item);
		return -1;
	}
	if (res->present && !p->item)
		return 0;
	if (res->present)
		progress_item_skipped(p->item, res->diff_id + 7);
	else
		progress_item_done(p->item, res->diff_id + 7, res->entries);
	return 0;
}

/* Begin layer l's import into s, through p. */
static int layer_begin(struct store *s, const struct image_layer *l, uint64_t max_size,
		       struct progress *p, struct err *e)
{
	struct layer_expect x = {
		.diff_id = l->diff_id,
		.blob_digest = l->digest[0] ? l->digest : NULL,
		.blob_size = l->size,
		.max_size = max_size,
	};

	snprintf(p->label, sizeof p->label, "layer %.12s", l->diff_id + 7);
	return layer_import_begin(s, &x, on_warn, p, &p->li, e);
}

/* Layer l's line on the display. */
static void layer_item_start(struct progress *p, const struct image_layer *l, int remote)
{
	char start[100];

	snprintf(start, sizeof start, "Pulling layer %s\n", l->diff_id + 7);
	p->item = progress_item_start(l->diff_id + 7, remote ? "fetching" : "reading", l->size,
				      start);
}

/* Layer i's bytes into p's begun import, through the source's worker w
 * (NULL: the source itself), then its commit; p's item is final and its
 * import freed either way. */
static int fetch_and_end(struct progress *p, struct source *src, void *w, size_t i,
			 struct layer_result *res, struct err *e)
{
	int r = w ? src->ops->worker_fetch(src, w, i, feed, p, e)
		  : src->ops->fetch_layer(src, i, feed, p, e);

	if (r < 0) {
		progress_item_failed(p->item);
		layer_import_abort(p->li);
		return -1;
	}
	return import_end(p, res, e);
}

static int import_layer(struct cli *c, struct store *s, struct source *src, size_t i,
			uint64_t max_size, struct layer_result *res, struct err *e)
{
	const struct image_layer *l = &src->img.layers[i];
	struct progress p = { .c = c, .need = &res->need };

	if (layer_begin(s, l, max_size, &p, e) < 0)
		return -1;
	layer_item_start(&p, l, src->remote);
	return fetch_and_end(&p, src, NULL, i, res, e);
}

/* ---- the hooks stream sources import layers through ---- */

/* A member whose name carries the digest of a stored layer (its diff ID,
 * or the compressed blob's alias): that layer, without reading it. */
static int stored_by_name(struct puller *pl, const char *hex, struct layer_result *res,
			  struct err *e)
{
	char ref[STORE_REF_MAX], *diff = NULL;
	int have;

	memset(res, 0, sizeof *res);
	snprintf(res->blob_digest, sizeof res->blob_digest, "sha256:%s", hex);
	store_layer_ref(res->blob_digest, ref);
	if ((have = store_ref_get(pl->s, ref, res->commit, e)) <= 0)
		return have;
	if (store_commit_meta(pl->s, res->commit, "docker.uncompressed_digest", &diff, e) < 0)
		return -1;
	if (!diff || strlen(diff) != 71) {
		free(diff);
		return 0;             /* not a layer commit of ours: read it */
	}
	memcpy(res->diff_id, diff, 72);
	free(diff);
	res->compressed = strcmp(res->blob_digest, res->diff_id) != 0;
	res->present = 1;
	progress_skipped(res->diff_id + 7);
	return 1;
}

static int hook_begin(void *ctx, const char *member, uint64_t size, const char *hint,
		      void **layer, struct layer_result *stored, struct err *e)
{
	struct puller *pl = ctx;
	struct layer_expect x = { .diff_id = NULL, .blob_digest = NULL, .blob_size = (int64_t)size,
				  .max_size = pl->max_size };
	struct progress *p;
	char shown[64];
	int r;

	if (hint && (r = stored_by_name(pl, hint, stored, e)) != 0)
		return r;
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ENOMEM, "layer");
	text_escape(shown, sizeof shown, member, strlen(member), TEXT_QUOTE);
	snprintf(p->label, sizeof p->label, "layer '%s'", shown);
	p->c = pl->c;
	p->need = &pl->need;
	if (layer_import_begin(pl->s, &x, on_warn, p, &p->li, e) < 0) {
		free(p);
		return -1;
	}
	p->item = progress_item_start(hint ? hint : member, "reading", (int64_t)size, NULL);
	*layer = p;
	return 0;
}

static int hook_feed(void *layer, const void *buf, size_t len, struct err *e)
{
	return feed(layer, buf, len, e);
}

static int hook_end(void *layer, struct layer_result *res, struct err *e)
{
	struct progress *p = layer;
	int r = import_end(p, res, e);

	free(p);
	return r;
}

static void hook_abort(void *layer)
{
	struct progress *p = layer;

	progress_item_failed(p->item);
	layer_import_abort(p->li);
	free(p);
}

static void hook_warn(void *ctx, const char *msg)
{
	const struct puller *pl = ctx;
	char shown[1024], line[1100];

	if (pl->c->quiet)
		return;
	text_escape(shown, sizeof shown, msg, strlen(msg), 0);
	snprintf(line, sizeof line, "syscontainer: warning: %s\n", shown);
	progress_print(stderr, line);
}

static void puller_init(struct puller *pl, struct cli *c, struct store *s, uint64_t max_size)
{
	*pl = (struct puller){ .c = c, .s = s, .max_size = max_size, .hooks = {
		.layer_begin = hook_begin, .layer_feed = hook_feed, .layer_end = hook_end,
		.layer_abort = hook_abort, .warn = hook_warn } };
	pl->hooks.ctx = pl;
}

/* What an already-stored layer needs for the synthesised manifest. */
static int stored_layer(struct store *s, const char *commit, struct layer_result *res,
			struct err *e)
{
	char *v = NULL;

	if (store_commit_meta(s, commit, "docker.uncompressed_size", &v, e) < 0)
		return -1;
	res->tar_bytes = v ? strtoull(v, NULL, 10) : 0;
	free(v);
	return 0;
}

/* Sources without a registry manifest (docker save) get one describing the
 * layers in their uncompressed form, so the same image always has the same
 * manifest whichever layers were already stored. */
static int synth_manifest(struct image *img, const struct layer_result *res, struct err *e)
{
	struct buf b;
	struct jw w;
	uint8_t d[32];

	buf_init(&b);
	jw_init(&w, &b, 0);
	jw_begin_obj(&w);
	jw_key(&w, "schemaVersion");
	jw_int(&w, 2);
	jw_key(&w, "mediaType");
	jw_str(&w, "application/vnd.docker.distribution.manifest.v2+json");
	jw_key(&w, "config");
	jw_begin_obj(&w);
	jw_key(&w, "mediaType");
	jw_str(&w, "application/vnd.docker.container.image.v1+json");
	jw_key(&w, "size");
	jw_uint(&w, img->config_len);
	jw_key(&w, "digest");
	jw_str(&w, img->config_digest);
	jw_end_obj(&w);
	jw_key(&w, "layers");
	jw_begin_arr(&w);
	for (size_t i = 0; i < img->nlayers; i++) {
		jw_begin_obj(&w);
		jw_key(&w, "mediaType");
		jw_str(&w, "application/vnd.docker.image.rootfs.diff.tar");
		jw_key(&w, "size");
		jw_uint(&w, res[i].tar_bytes);
		jw_key(&w, "digest");
		jw_str(&w, img->layers[i].diff_id);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "manifest");
	}
	img->manifest = buf_steal(&b, &img->manifest_len);
	sha256_oneshot(img->manifest, img->manifest_len, d);
	layer_digest_string(d, img->manifest_digest);
	return 0;
}

/* Disk full, said plainly (README, Design, "Disk space"): where, about how
 * much more space the pull needs (layer i as far as it got, extrapolated,
 * and the layers of img still to fetch; img is NULL for a stream, whose
 * layers come before its manifest), and how much the repository may still
 * use now that the failed layer's staging data is gone. */
static void say_no_space(struct store *s, const struct image *img, size_t i, uint64_t need,
			 struct err *e)
{
	struct store_space sp;
	struct err ignore;
	uint64_t more;

	for (size_t j = i + 1; img && j < img->nlayers; j++) {
		char ref[STORE_REF_MAX];
		store_layer_ref(img->layers[j].diff_id, ref);
		if (img->layers[j].size > 0 && store_ref_get(s, ref, NULL, &ignore) == 0)
			need += (uint64_t)img->layers[j].size;
	}
	if (store_space(s, &sp, &ignore) < 0)
		return;
	more = need > sp.usable ? need - sp.usable : 0;
	if (sp.no_inodes)
		err_setc(e, ERR_NO_SPACE, 0, "no space left on %s (no free inodes; %llu MB free)",
			 sp.mount, (unsigned long long)(sp.usable / 1000000));
	else
		err_setc(e, ERR_NO_SPACE, 0, "no space left on %s (needs about %llu MB more; %llu MB "
			 "free)", sp.mount, (unsigned long long)(more / 1000000 + 1),
			 (unsigned long long)(sp.usable / 1000000));
	e->errnum = ENOSPC;
}

/* Write the image commit and its ref; *fresh = 0 when the commit stored
 * under this name already carries exactly this metadata (the same
 * manifest, pulled the same way) and nothing was written: appliances pull
 * on every boot, onto flash. */
static int write_image(struct store *s, struct image *img, int *fresh, char commit[65],
		       struct err *e)
{
	char ref[IMGREF_REF_MAX];
	const struct store_kv kv[] = {
		{ "docker.manifest", img->manifest },
		{ "docker.digest", img->manifest_digest },
		{ "syscontainer.config", img->config },
		{ "syscontainer.source", img->source },
		{ "syscontainer.name", img->name },
	};
	size_t n = sizeof kv / sizeof kv[0], same = 0;
	int have;

	if (imgref_ostree_ref(img->name, ref, sizeof ref) < 0)
		return err_set(e, 0, "image name too long");
	if ((have = store_ref_get(s, ref, commit, e)) < 0)
		return -1;
	for (size_t i = 0; have && i == same && i < n; i++) {
		char *stored = NULL;
		if (store_commit_meta(s, commit, kv[i].key, &stored, e) < 0)
			return -1;
		same += stored && !strcmp(stored, kv[i].value);
		free(stored);
	}
	*fresh = same < n;
	if (!*fresh)
		return 0;
	return store_write_meta_commit(s, ref, kv, n, commit, e);
}

unsigned pull_lock_timeout(void)
{
	const char *v = getenv("SYSCONTAINER_LOCK_TIMEOUT");
	return v && *v ? (unsigned)strtoul(v, NULL, 10) : 600;
}

/* Layer i: skipped when stored, named when a stream staged it, else
 * fetched and imported. */
enum layer_kind { LAYER_FETCH, LAYER_STORED, LAYER_STAGED, LAYER_DUP };

/* What layer l needs: LAYER_STORED (res read from the store), LAYER_STAGED
 * (a stream imported it as it passed: res is that, its refs written now)
 * or LAYER_FETCH. */
static int layer_kind(struct store *s, const struct image_layer *l, struct layer_result *res,
		      enum layer_kind *kind, struct err *e)
{
	char lref[STORE_REF_MAX];
	int have;

	*kind = LAYER_FETCH;
	store_layer_ref(l->diff_id, lref);
	if ((have = store_ref_get(s, lref, res->commit, e)) < 0)
		return -1;
	if (have) {
		*kind = LAYER_STORED;
		return stored_layer(s, res->commit, res, e);
	}
	if (l->staged) {
		*kind = LAYER_STAGED;
		*res = l->staged_res;
		return layer_write_refs(s, res, e);
	}
	return 0;
}

/* A stored layer's "Skipping" line; a stream said so as it passed. */
static void say_skipped(const struct image_layer *l)
{
	if (!l->staged)
		progress_skipped(l->diff_id + 7);
}

static int store_layer(struct cli *c, struct store *s, struct source *src, size_t i,
		       uint64_t max_size, struct layer_result *res, int *stored, struct err *e)
{
	const struct image_layer *l = &src->img.layers[i];
	enum layer_kind kind;

	*stored = 0;
	if (layer_kind(s, l, res, &kind, e) < 0)
		return -1;
	if (kind == LAYER_STORED) {
		say_skipped(l);
		return 0;
	}
	*stored = 1;
	return kind == LAYER_STAGED ? 0 : import_layer(c, s, src, i, max_size, res, e);
}

/* -v: what a stored layer was. */
static void say_layer(const struct cli *c, const struct layer_result *res)
{
	if (c->verbose)
		fprintf(stderr, "syscontainer: layer %.12s: %llu bytes as served (%s), %llu "
			"uncompressed, %llu entries, %llu skipped, commit %s\n",
			res->diff_id + 7, (unsigned long long)res->blob_bytes,
			res->compressed ? "gzip" : "tar", (unsigned long long)res->tar_bytes,
			(unsigned long long)res->entries, (unsigned long long)res->skipped,
			res->commit);
}

/* ---- layers fetched at the same time ---- */

/* Layers of a registry image come over up to PULL_JOBS connections at once
 * (Docker's default of concurrent downloads), each into its own
 * transaction on its own repository handle, so that one layer's commit
 * (sync, renames) overlaps the others' transfer.  The main thread reads
 * the store before any layer starts and hands the layers out in manifest
 * order; the display prints them in that order too.  A failure stops the
 * layers after it at their next bytes, while those before it run to their
 * end: the error said is the one a pull of one layer at a time says, that
 * of the first failing layer in manifest order.  A layer's commit is the
 * same whatever the order (timestamp 0); the image ref is still written
 * last, by the main thread, once every layer is in. */
enum { PULL_JOBS = 3 };

struct slot {
	void *w;                  /* the source's worker; NULL: the source itself */
	struct store *s;          /* a peer handle, or the pull's own */
	int ready, busy;
};

struct jobs {
	struct source *src;
	uint64_t max_size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t fail_at;           /* the first layer that failed; nlayers: none */
	size_t running;
	struct slot slot[PULL_JOBS];
};

struct job {
	struct jobs *js;
	struct slot *slot;
	size_t i;
	struct progress p;
	struct layer_result *res;
	struct err e;
	int rc, started;
	pthread_t th;
};

/* Give a slot back; failed: layer i failed, so the layers after it stop. */
static void slot_release(struct jobs *js, struct slot *sl, size_t i, int failed)
{
	pthread_mutex_lock(&js->mu);
	if (failed && i < js->fail_at)
		__atomic_store_n(&js->fail_at, i, __ATOMIC_RELAXED);
	sl->busy = 0;
	js->running--;
	pthread_cond_broadcast(&js->cv);
	pthread_mutex_unlock(&js->mu);
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct source *src = j->js->src;

	if (layer_begin(j->slot->s, &src->img.layers[j->i], j->js->max_size, &j->p, &j->e) < 0) {
		j->rc = -1;
		progress_item_failed(j->p.item);
	} else {
		j->rc = fetch_and_end(&j->p, src, j->slot->w, j->i, j->res, &j->e);
	}
	slot_release(j->js, j->slot, j->i, j->rc < 0);
	return NULL;
}

/* A free slot, set up on first use: slot 0 is the pull's own source and
 * store; the others get a worker of the source and a peer store. */
static struct slot *take_slot(struct jobs *js, size_t i, struct store *s, struct err *e)
{
	struct slot *sl = NULL;

	pthread_mutex_lock(&js->mu);
	while (js->fail_at == js->src->img.nlayers && js->running == PULL_JOBS)
		pthread_cond_wait(&js->cv, &js->mu);
	for (size_t k = 0; js->fail_at == js->src->img.nlayers && !sl && k < PULL_JOBS; k++)
		if (!js->slot[k].busy)
			sl = &js->slot[k];
	if (sl) {
		sl->busy = 1;
		js->running++;
	}
	pthread_mutex_unlock(&js->mu);
	if (!sl || sl->ready)
		return sl;
	if (sl == &js->slot[0]) {
		sl->s = s;
	} else if (js->src->ops->worker_open(js->src, &sl->w, e) < 0 ||
		   store_open_peer(s, &sl->s, e) < 0) {
		js->src->ops->worker_close(sl->w);
		sl->w = NULL;
		slot_release(js, sl, i, 1);
		return NULL;
	}
	sl->ready = 1;
	return sl;
}

static int start_job(struct job *j, struct err *e)
{
	const struct image_layer *l = &j->js->src->img.layers[j->i];
	pthread_attr_t a;
	int r;

	layer_item_start(&j->p, l, j->js->src->remote);
	/* musl's default 128 KiB is too little for libostree's commit */
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 8 << 20);
	r = pthread_create(&j->th, &a, run_job, j);
	pthread_attr_destroy(&a);
	if (r == 0) {
		j->started = 1;
		return 0;
	}
	progress_item_failed(j->p.item);
	slot_release(j->js, j->slot, j->i, 1);
	return err_set(e, r, "layer %.12s: start a thread", l->diff_id + 7);
}

/* Read the store for every layer first (the threads then own it), then
 * fetch the missing ones, at most PULL_JOBS at a time.  On failure, *failed
 * is the layer whose error e holds (unwrapped, as store_layer's), or
 * nlayers for a failure of no layer's. */
static int store_layers_parallel(struct cli *c, struct store *s, struct source *src,
				 uint64_t max_size, struct layer_result *res, size_t *stored,
				 size_t *skipped, unsigned long long *bytes, size_t *failed,
				 struct err *e)
{
	size_t n = src->img.nlayers;
	enum layer_kind *kind = calloc(n ? n : 1, sizeof *kind);
	struct job *job = calloc(n ? n : 1, sizeof *job);
	size_t *dup_of = calloc(n ? n : 1, sizeof *dup_of);
	struct jobs js = { .src = src, .max_size = max_size, .fail_at = n };
	int r = -1;

	*failed = n;
	if (!kind || !job || !dup_of) {
		err_set(e, ENOMEM, "pull");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct image_layer *l = &src->img.layers[i];

		kind[i] = LAYER_FETCH;
		for (size_t j = 0; j < i; j++)
			if (kind[j] == LAYER_FETCH && !strcmp(src->img.layers[j].diff_id, l->diff_id)) {
				kind[i] = LAYER_DUP;
				dup_of[i] = j;
			}
		if (kind[i] != LAYER_DUP && layer_kind(s, l, &res[i], &kind[i], e) < 0) {
			*failed = i;
			goto out;
		}
	}
	pthread_mutex_init(&js.mu, NULL);
	pthread_cond_init(&js.cv, NULL);
	for (size_t i = 0; i < n && __atomic_load_n(&js.fail_at, __ATOMIC_RELAXED) == n; i++) {
		struct slot *sl;

		if (kind[i] == LAYER_STORED || kind[i] == LAYER_DUP)
			say_skipped(&src->img.layers[i]);
		if (kind[i] != LAYER_FETCH)
			continue;
		job[i] = (struct job){ .js = &js, .i = i, .res = &res[i] };
		job[i].p = (struct progress){ .c = c, .need = &res[i].need, .fail_at = &js.fail_at,
					      .index = i };
		if (!(sl = take_slot(&js, i, s, &job[i].e))) {
			if (job[i].e.msg[0])
				job[i].rc = -1;
			break;
		}
		job[i].slot = sl;
		if (start_job(&job[i], &job[i].e) < 0) {
			job[i].rc = -1;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (job[i].started)
			pthread_join(job[i].th, NULL);
	/* the first failure in manifest order; the layers it stopped say less */
	for (size_t i = 0; i < n && *failed == n; i++)
		if (job[i].rc < 0 && !job[i].p.cancelled) {
			*failed = i;
			*e = job[i].e;
		}
	if (*failed < n)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (kind[i] == LAYER_DUP)
			res[i] = res[dup_of[i]];
		if (kind[i] == LAYER_STORED || kind[i] == LAYER_DUP) {
			(*skipped)++;
			continue;
		}
		(*stored)++;
		*bytes += res[i].blob_bytes;
		say_layer(c, &res[i]);
	}
	r = 0;
out:
	for (size_t k = 1; k < PULL_JOBS; k++) {
		if (js.slot[k].ready) {
			src->ops->worker_close(js.slot[k].w);
			store_free(js.slot[k].s);
		}
	}
	free(kind);
	free(job);
	free(dup_of);
	return r;
}

/* Store an opened source's image; the caller holds the shared lock.  An
 * image of another platform than want (--platform, NULL: this machine's) is
 * refused before any ref is written: a stream's layers, imported as they
 * passed, stay without refs for the next prune. */
static int pull_source(struct cli *c, struct store *s, struct source *src,
		       const struct source_opts *o, char *name_out, struct err *e)
{
	const char *want = o->platform;
	uint64_t max_size = o->max_layer_size;
	struct layer_result *res = calloc(src->img.nlayers ? src->img.nlayers : 1, sizeof *res);
	size_t stored = 0, skipped = 0, failed = src->img.nlayers;
	unsigned long long bytes = 0;
	char commit[65], human[32];
	int r = -1, now, fresh;

	if (!res)
		return err_set(e, ENOMEM, "pull");
	if (platform_check(src->img.config, src->img.config_len, want, NULL, NULL, e) < 0)
		goto out;
	for (size_t i = 0; !src->ops->worker_open && i < src->img.nlayers; i++) {
		if (store_layer(c, s, src, i, max_size, &res[i], &now, e) < 0) {
			failed = i;
			break;
		}
		if (!now) {
			skipped++;
			continue;
		}
		stored++;
		bytes += res[i].blob_bytes;
		say_layer(c, &res[i]);
	}
	if (src->ops->worker_open &&
	    store_layers_parallel(c, s, src, max_size, res, &stored, &skipped, &bytes, &failed,
				  e) < 0 && failed == src->img.nlayers)
		goto out;             /* not a layer's failure */
	if (failed < src->img.nlayers) {
		if (e->code == ERR_NO_SPACE)
			say_no_space(s, &src->img, failed, res[failed].need, e);
		else
			err_wrap(e, "layer %.12s", src->img.layers[failed].diff_id + 7);
		goto out;
	}
	if (!src->img.manifest && synth_manifest(&src->img, res, e) < 0)
		goto out;
	if (write_image(s, &src->img, &fresh, commit, e) < 0) {
		if (e->code == ERR_NO_SPACE)
			say_no_space(s, &src->img, src->img.nlayers, 0, e);
		goto out;
	}
	util_human_size(bytes, human, sizeof human);
	/* Atomic printed "Pulling layer" lines only: its scripts see no more */
	if (!c->atomic && (fresh || stored))
		cli_say(c, "Pulled %s (IMAGE ID %.12s): %zu layer%s stored, %zu skipped, %s\n",
			src->img.name, src->img.config_digest + 7, stored, stored == 1 ? "" : "s",
			skipped, human);
	else if (!c->atomic && !o->no_unchanged_line)
		cli_say(c, "Image is up to date for %s (IMAGE ID %.12s)\n", src->img.name,
			src->img.config_digest + 7);
	if (name_out)
		snprintf(name_out, IMGREF_FORMAT_MAX, "%s", src->img.name);
	r = 0;
out:
	free(res);
	return r;
}

/* What every verb that pulls shares: the root and how much to say. */
static void pull_opts_common(const struct cli *c, struct source_opts *o)
{
	o->root = c->root;
	o->verbose = c->verbose;
	o->quiet = c->quiet;
}

int pull_image(struct cli *c, struct store *s, const struct imgref *ref,
	       const struct source_opts *o, char *name_out, struct err *e)
{
	struct source_opts so = *o;
	struct source *src = NULL;
	struct puller pl;
	int r;

	pull_opts_common(c, &so);
	if (store_lock(s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0)
		return -1;
	puller_init(&pl, c, s, so.max_layer_size);
	so.pull = &pl.hooks;
	r = source_open(&src, ref, &so, e);
	if (r < 0 && e->code == ERR_NO_SPACE)
		say_no_space(s, NULL, 0, pl.need, e);
	if (r == 0)
		r = pull_source(c, s, src, &so, name_out, e);
	source_free(src);
	store_unlock(s, e);
	return r;
}

/* The OSTree system repo is shared with the host OS: only in bare mode,
 * which keeps ownership, and only when its objects can really be hardlinked
 * into CHECKOUT (same filesystem, no protection in the way). */
static int system_repo_ok(struct cli *c, struct store *s, int ckfd, struct err *e)
{
	char probe[64];
	int fd, r = 0;

	if (!store_is_bare(s))
		return err_set(e, 0, "the system repository '%s' is in %s mode: only bare is used",
			       c->paths.repo, store_mode_name(s));
	snprintf(probe, sizeof probe, "tmp/syscontainer-probe-%d", (int)getpid());
	fd = openat(store_dfd(s), probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, errno, "system repository '%s': probe", c->paths.repo);
	close(fd);
	if (linkat(store_dfd(s), probe, ckfd, ".link-probe", 0) < 0)
		r = err_set(e, errno, "the system repository '%s' cannot hardlink into '%s'",
			    c->paths.repo, c->paths.checkout);
	unlinkat(ckfd, ".link-probe", 0);
	unlinkat(store_dfd(s), probe, 0);
	return r;
}

/* The repository, its parent resolved on the target as the target sees it. */
static int open_repo(struct cli *c, int create, struct store **s, struct err *e)
{
	char parent[PATH_MAX];
	const char *name = strrchr(c->paths.repo, '/') + 1;
	int pfd, r;

	/* paths_resolve() made the repository path absolute, without a
	 * trailing '/': name is its last component. */
	snprintf(parent, sizeof parent, "%.*s", (int)(name - c->paths.repo - 1), c->paths.repo);
	if (!parent[0])
		memcpy(parent, "/", 2);
	pfd = create ? target_mkdirs(&c->tgt, parent, 0755, 0, e) : target_open_dir(&c->tgt, parent, e);
	if (pfd < 0 && !create && errno == ENOENT)
		return err_setc(e, ERR_NOT_FOUND, 0,
				"repository '%s' does not exist (nothing pulled yet?)", c->paths.repo);
	if (pfd < 0)
		return err_wrap(e, "repository");
	r = store_open(s, pfd, name, c->paths.repo, create, e);
	close(pfd);
	return r;
}

int pull_open_existing_store(struct cli *c, struct store **s, struct err *e)
{
	if (cli_target(c, e) < 0)
		return -1;
	return open_repo(c, 0, s, e);
}

int pull_open_store(struct cli *c, struct store **s, struct err *e)
{
	int ckfd, r;

	if (cli_target(c, e) < 0 || (ckfd = paths_prepare(&c->paths, &c->tgt, e)) < 0)
		return -1;
	/* A recorded repository that vanished is never replaced by an empty
	 * one: the containers installed from it would lose their images. */
	r = open_repo(c, c->paths.repo_source != REPO_FROM_RECORD, s, e);
	if (r < 0 && e->code == ERR_NOT_FOUND)
		err_set(e, 0, "repository '%s' (recorded in %s/.storage/repo-path) does not exist: "
			"restore it, or remove that file to start a new private repository",
			c->paths.repo, c->paths.checkout);
	if (r == 0 && paths_repo_is_system(&c->paths) && system_repo_ok(c, *s, ckfd, e) < 0)
		r = -1;
	/* Only a repository that was opened and accepted is recorded. */
	if (r == 0 && paths_record_repo(&c->paths, ckfd, e) < 0)
		r = -1;
	close(ckfd);
	if (r < 0) {
		store_free(*s);
		*s = NULL;
		return -1;
	}
	if (c->verbose) {
		static const char *const from[] = { "--repo", "$ATOMIC_OSTREE_REPO",
						    "the recorded choice", "the private default" };
		fprintf(stderr, "syscontainer: repository %s (%s, from %s), CHECKOUT %s%s%s\n",
			c->paths.repo, store_mode_name(*s), from[c->paths.repo_source],
			c->paths.checkout, c->root ? " under " : "", c->root ? c->root : "");
	}
	return 0;
}

/* "--name VALUE" or "--name=VALUE" at argv[i]: how many entries it took
 * (0: not this option), the value in *val. */
static int option_value(int argc, char **argv, int i, const char *name, const char **val,
			struct err *e)
{
	size_t n = strlen(name);

	if (strncmp(argv[i], name, n))
		return 0;
	if (argv[i][n] == '=') {
		*val = argv[i] + n + 1;
		return 1;
	}
	if (argv[i][n])
		return 0;
	if (i + 1 >= argc)
		return err_usage(e, "%s needs a value", name);
	*val = argv[i + 1];
	return 2;
}

/* An inline --creds password lives in our static copy, not in argv, where
 * /proc/PID/cmdline would show it for the whole pull; wiped at exit. */
static char creds_copy[AUTH_USER_MAX + AUTH_PASS_MAX + 2];

static void wipe_creds_copy(void)
{
	explicit_bzero(creds_copy, sizeof creds_copy);
}

static int take_creds(char *val, struct source_opts *o, struct err *e)
{
	char *colon = strchr(val, ':');

	if (strlen(val) >= sizeof creds_copy)
		return err_usage(e, "--creds: longer than %zu bytes", sizeof creds_copy - 1);
	if (!creds_copy[0])
		atexit(wipe_creds_copy);
	strcpy(creds_copy, val);
	if (colon)
		explicit_bzero(colon + 1, strlen(colon + 1));
	o->creds = creds_copy;
	return 0;
}

/* The pull options: --creds, --password-stdin, --authfile, --cert-dir,
 * --tls-verify, --platform, --timeout (for registries), --max-layer-size. */
int pull_option(int argc, char **argv, int i, struct source_opts *o, struct err *e)
{
	struct registry_platform p;
	const char *v = NULL;
	int n;

	if ((n = option_value(argc, argv, i, "--creds", &v, e))) {
		/* argv[i] itself, or the next entry: the value is in argv */
		if (n > 0 && take_creds(argv[i + n - 1] + (n == 1 ? 8 : 0), o, e) < 0)
			return -1;
		return n;
	}
	if (!strcmp(argv[i], "--password-stdin")) {
		o->password_stdin = 1;
		return 1;
	}
	if ((n = option_value(argc, argv, i, "--authfile", &o->authfile, e)))
		return n;
	if ((n = option_value(argc, argv, i, "--cert-dir", &o->cert_dir, e)))
		return n;
	if ((n = option_value(argc, argv, i, "--max-layer-size", &v, e))) {
		if (n > 0 && (util_parse_size(v, &o->max_layer_size) < 0 || !o->max_layer_size))
			return err_usage(e, "--max-layer-size takes a size such as 512M or 64G, not "
					 "'%s'", v);
		return n;
	}
	if ((n = option_value(argc, argv, i, "--platform", &o->platform, e))) {
		if (n > 0 && registry_platform_parse(o->platform, strlen(o->platform), &p, e) < 0)
			return -1;
		return n;
	}
	if ((n = option_value(argc, argv, i, "--timeout", &v, e))) {
		char *end;
		unsigned long t = n > 0 ? strtoul(v, &end, 10) : 0;
		if (n > 0 && (!*v || *end || t < 1 || t > 86400))
			return err_usage(e, "--timeout takes whole seconds from 1 to 86400, not '%s'", v);
		o->timeout_s = (unsigned)t;
		return n;
	}
	if (!strcmp(argv[i], "--tls-verify")) {
		o->tls_verify = 1;
		return 1;
	}
	if (!strncmp(argv[i], "--tls-verify=", 13)) {
		v = argv[i] + 13;
		if (strcmp(v, "true") && strcmp(v, "false"))
			return err_usage(e, "--tls-verify takes true or false, not '%s'", v);
		o->tls_verify = !strcmp(v, "true");
		return 1;
	}
	return 0;
}

/* A failure of one of several images, printed here (main prints only the
 * last error) as main prints one: "syscontainer: pull IMAGE: cause",
 * escaped. */
static void print_failure(const char *image, const struct err *e)
{
	text_printf(stderr, "syscontainer: pull %s: %s", image, e->msg);
	fputc('\n', stderr);
}

/* The images of the command line, parsed (a malformed one is a usage
 * error before anything is pulled). */
static int parse_pull(int argc, char **argv, struct source_opts *o, const char **images,
		      struct imgref *refs, size_t *n, struct err *e)
{
	int stdin_at = -1;

	*n = 0;
	for (int i = 1; i < argc; i++) {
		int k = cli_compat_flag(argc, argv, i, e);
		if (k == 0 && (k = pull_option(argc, argv, i, o, e)) == 0 && argv[i][0] == '-' &&
		    argv[i][1])
			return err_usage(e, "unknown option '%s'", argv[i]);
		if (k < 0)
			return -1;
		if (k > 0) {
			i += k - 1;
			continue;
		}
		if (imgref_parse(&refs[*n], argv[i], strlen(argv[i]), e) < 0)
			return -1;
		if (refs[*n].transport != IMGREF_REGISTRY && refs[*n].transport != IMGREF_OCI &&
		    refs[*n].transport != IMGREF_DOCKER_DAEMON && !strcmp(refs[*n].file, "-")) {
			if (stdin_at >= 0)
				return err_usage(e, "standard input can be read once ('%s' and '%s')",
						 images[stdin_at], argv[i]);
			stdin_at = (int)*n;
		}
		images[(*n)++] = argv[i];
	}
	if (o->password_stdin && stdin_at >= 0)
		return err_usage(e, "standard input can be read once (--password-stdin and '%s')",
				 images[stdin_at]);
	return *n ? 0 : err_usage(e, "which image?");
}

/* The docker: images of the command line, opened with one request. */
static void open_engine_images(const struct imgref *refs, size_t n, const struct source_opts *o,
			       struct source **srcs, struct err *errs)
{
	struct imgref *dr = calloc(n, sizeof *dr);
	struct source **ds = calloc(n, sizeof *ds);
	struct err *de = calloc(n, sizeof *de);
	size_t k = 0, j = 0;

	for (size_t i = 0; dr && i < n; i++)
		if (refs[i].transport == IMGREF_DOCKER_DAEMON)
			dr[k++] = refs[i];
	if (k && (!dr || !ds || !de)) {
		for (size_t i = 0; i < n; i++)
			err_set(&errs[i], ENOMEM, "docker:");
	} else if (k) {
		source_open_engine(ds, dr, k, o, de);
		for (size_t i = 0; i < n; i++)
			if (refs[i].transport == IMGREF_DOCKER_DAEMON) {
				srcs[i] = ds[j];
				errs[i] = de[j++];
			}
	}
	free(dr);
	free(ds);
	free(de);
}

/* Pull each image; their failures are printed as they come.  How many
 * failed; e holds the last failure. */
static size_t pull_all(struct cli *c, struct store *s, const char **images,
		       const struct imgref *refs, size_t n, const struct source_opts *o,
		       struct err *e)
{
	struct source **srcs = calloc(n, sizeof *srcs);
	struct err *errs = calloc(n, sizeof *errs);
	size_t failed = 0;

	if (!srcs || !errs) {
		free(srcs);
		free(errs);
		err_set(e, ENOMEM, "pull");
		return n;
	}
	open_engine_images(refs, n, o, srcs, errs);
	for (size_t i = 0; i < n; i++) {
		struct source_opts so = *o;
		int r;

		so.typed = images[i];   /* a short name goes through registries.conf */
		if (o->pull)
			((struct puller *)o->pull->ctx)->need = 0;
		r = refs[i].transport == IMGREF_DOCKER_DAEMON ? (srcs[i] ? 0 : -1)
			: source_open(&srcs[i], &refs[i], &so, &errs[i]);
		if (r < 0 && errs[i].code == ERR_NO_SPACE && o->pull)
			say_no_space(s, NULL, 0, ((struct puller *)o->pull->ctx)->need, &errs[i]);
		if (r == 0 && c->atomic)
			cli_say(c, "Image %s is being pulled to ostree ...\n", images[i]);
		if (r == 0)
			r = pull_source(c, s, srcs[i], o, NULL, &errs[i]);
		source_free(srcs[i]);
		if (r == 0)
			continue;
		failed++;
		*e = errs[i];
		err_wrap(e, "%s", images[i]);
		if (n > 1)
			print_failure(images[i], &errs[i]);
	}
	free(srcs);
	free(errs);
	return failed;
}

/* Checks across the pull options, once they are all read. */
int pull_options_check(const struct source_opts *o, struct err *e)
{
	if (o->password_stdin && !o->creds)
		return err_usage(e, "--password-stdin needs --creds USER");
	return 0;
}

int cmd_pull(struct cli *c, int argc, char **argv, struct err *e)
{
	const char **images = calloc((size_t)argc, sizeof *images);
	struct imgref *refs = calloc((size_t)argc, sizeof *refs);
	struct source_opts o = { .tls_verify = 1 };
	struct store *s = NULL;
	struct puller pl;
	size_t n = 0, failed;
	int r = -1;

	if (!images || !refs) {
		err_set(e, ENOMEM, "pull");
		goto out;
	}
	if (parse_pull(argc, argv, &o, images, refs, &n, e) < 0 || pull_options_check(&o, e) < 0)
		goto out;
	pull_opts_common(c, &o);
	if (pull_open_store(c, &s, e) < 0 ||
	    store_lock(s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0) {
		if (n == 1)
			err_wrap(e, "%s", images[0]);
		goto out;
	}
	puller_init(&pl, c, s, o.max_layer_size);
	o.pull = &pl.hooks;
	failed = pull_all(c, s, images, refs, n, &o, e);
	if (n > 1)
		cli_say(c, failed ? "Pulled %zu of %zu images, %zu failed\n" : "Pulled %zu of %zu images\n",
			n - failed, n, failed);
	if (failed && n > 1) {
		err_clear(e);         /* each failure is printed already */
		e->status = EXIT_FAIL;
	}
	r = failed ? -1 : 0;
out:
	store_free(s);
	free(images);
	free(refs);
	return r;
}
