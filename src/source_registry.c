/* Source docker:// (the default): an image from a registry.  Resolves the
 * name through registries.conf (a short name to its candidates, each name
 * to its mirrors and primary location), then, at the first endpoint that
 * has it: the tag or digest to an image manifest (through an index when the
 * registry serves one, choosing the platform), the config, verified, and
 * each layer blob streamed as served; the import core checks its digest,
 * size and diff ID.  The image keeps the name asked for, whichever endpoint
 * served it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "layer.h"
#include "regconf.h"
#include "registry.h"
#include "sha256.h"
#include "source.h"
#include "text.h"

struct regsrc {
	struct registry *reg;
};

static void regsrc_close(struct source *src)
{
	struct regsrc *s = src->priv;

	if (!s)
		return;
	registry_free(s->reg);
	free(s);
	src->priv = NULL;
}

/* Layer i's blob through the registry client w: the source's own, or a
 * worker's. */
static int regsrc_worker_fetch(struct source *src, void *w, size_t i, source_feed_fn feed,
			       void *ctx, struct err *e)
{
	const struct image_layer *l = &src->img.layers[i];
	return registry_get_blob(w, l->digest, l->size, feed, ctx, e);
}

static int regsrc_fetch(struct source *src, size_t i, source_feed_fn feed, void *ctx,
			struct err *e)
{
	struct regsrc *s = src->priv;
	return regsrc_worker_fetch(src, s->reg, i, feed, ctx, e);
}

/* A worker: a clone of the registry client (its own connection, TLS state
 * and copy of the tokens), so that layers come over connections of their
 * own on their own threads. */
static int regsrc_worker_open(struct source *src, void **w, struct err *e)
{
	struct regsrc *s = src->priv;
	return registry_clone(s->reg, (struct registry **)w, e);
}

static void regsrc_worker_close(void *w)
{
	registry_free(w);
}

static const struct source_ops regsrc_ops = {
	regsrc_fetch, regsrc_close, regsrc_worker_open, regsrc_worker_fetch, regsrc_worker_close,
};

/* "repo:tag" or "repo@digest", for messages. */
static void manifest_name(const struct imgref *ref, const char *what, char *out, size_t sz)
{
	snprintf(out, sz, "manifest '%s%s%s'", ref->path, strchr(what, ':') ? "@" : ":", what);
}

/* GET a manifest, its digest computed over the bytes as served and, when
 * want_digest is given, checked against it. */
static int fetch_manifest(struct registry *reg, const struct imgref *ref, const char *what,
			  const char *want_digest, char **body, size_t *len,
			  struct registry_manifest **m, char digest[72], struct err *e)
{
	char ctype[256], name[600];
	uint8_t d[32];

	manifest_name(ref, what, name, sizeof name);
	if (registry_get_manifest(reg, what, body, len, ctype, sizeof ctype, e) < 0)
		return -1;
	sha256_oneshot(*body, *len, d);
	layer_digest_string(d, digest);
	if (want_digest && strcmp(want_digest, digest))
		return err_set(e, 0, "%s: digest mismatch: expected %s, got %s", name, want_digest,
			       digest);
	if (registry_manifest_parse(*body, *len, ctype, m, e) < 0)
		return err_wrap(e, "%s", name);
	return 0;
}

/* The image manifest for ref: directly, or the index's entry for the
 * platform (verified against the index's digest for it). */
static int resolve(struct registry *reg, const struct imgref *ref, const struct source_opts *o,
		   struct image *img, struct registry_manifest **out, struct err *e)
{
	const char *what = ref->digest[0] ? ref->digest : ref->tag;
	struct registry_manifest *m = NULL;
	struct registry_platform p;
	const struct registry_desc *d;
	char *body = NULL, name[600];
	size_t len = 0, pick;

	if (fetch_manifest(reg, ref, what, ref->digest[0] ? ref->digest : NULL, &body, &len, &m,
			   img->manifest_digest, e) < 0)
		goto fail;
	if (m->kind == REGISTRY_INDEX) {
		manifest_name(ref, what, name, sizeof name);
		if (source_platform(o, &p, e) < 0)
			goto fail;
		if (registry_index_choose(m, &p, &pick, e) < 0) {
			err_wrap(e, "%s", name);
			goto fail;
		}
		d = &m->desc[pick];
		free(body);
		body = NULL;
		char digest[72];
		snprintf(digest, sizeof digest, "%s", d->digest);
		registry_manifest_free(m);
		m = NULL;
		if (fetch_manifest(reg, ref, digest, digest, &body, &len, &m, img->manifest_digest,
				   e) < 0)
			goto fail;
		if (m->kind != REGISTRY_IMAGE) {
			manifest_name(ref, digest, name, sizeof name);
			err_set(e, 0, "%s: an index inside an index is not supported", name);
			goto fail;
		}
	}
	img->manifest = body;
	img->manifest_len = len;
	*out = m;
	return 0;
fail:
	free(body);
	registry_manifest_free(m);
	return -1;
}

static int fill_image(struct registry *reg, struct image *img, const struct registry_manifest *m,
		      struct err *e)
{
	char *cfg = NULL;
	size_t len = 0;
	int r;

	if (image_alloc_layers(img, m->n, e) < 0)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		memcpy(img->layers[i].digest, m->desc[i].digest, sizeof img->layers[i].digest);
		img->layers[i].size = m->desc[i].size;
		snprintf(img->layers[i].media_type, sizeof img->layers[i].media_type, "%s",
			 m->desc[i].media_type);
	}
	if (registry_get_blob_all(reg, m->config.digest, m->config.size, IMAGE_MAX_CONFIG, &cfg,
				  &len, e) < 0)
		return err_wrap(e, "config");
	r = image_set_config(img, cfg, len, m->config.digest, e);
	free(cfg);
	return r;
}

/* --creds, read once: a terminal or standard input cannot be asked twice */
static struct auth_creds cli_creds;
static int cli_creds_read;

static void wipe_cli_creds(void)
{
	auth_creds_wipe(&cli_creds);
}

static void note(void *ctx, const char *msg)
{
	const struct source_opts *o = ctx;

	/* messages quote what servers said: escaped, one line */
	if (o->verbose)
		text_printf(stderr, "syscontainer: %s\n", msg);
}

__attribute__((format(printf, 2, 3)))
static void say(const struct source_opts *o, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	note((void *)o, msg);
}

static int endpoint_creds(const struct source_opts *o, const struct regconf *conf,
			  const struct imgref *ep, struct auth_creds *c, struct err *e)
{
	struct auth_lookup l = { o->root, o->authfile, conf->helpers_origin ? conf->helpers : NULL,
				 conf->nhelpers, o->timeout_s * 1000 };
	char from[4200];
	int r;

	if (o->creds) {
		if (!cli_creds_read) {
			if (auth_creds_from_option(o->creds, o->password_stdin, &cli_creds, e) < 0)
				return -1;
			cli_creds_read = 1;
			atexit(wipe_cli_creds);
		}
		*c = cli_creds;
		return 0;
	}
	if ((r = auth_creds_find(&l, ep->registry, ep->path, c, from, sizeof from, e)) < 0)
		return -1;
	if (r)
		say(o, "credentials for '%s' from %s", ep->registry, from);
	return 0;
}

static void reset_image(struct image *img)
{
	free(img->config);
	free(img->manifest);
	free(img->layers);
	memset(img, 0, sizeof *img);
}

/* Open one endpoint and read the image there: manifest, config. */
static int try_endpoint(struct source *src, const struct regconf *conf,
			const struct regconf_source *ep, int plain_first,
			const struct source_opts *o, struct err *e)
{
	struct regsrc *s = src->priv;
	struct registry_manifest *m = NULL;
	struct auth_creds creds = { 0 };
	struct registry_options ro = {
		.registry = ep->ref.registry,
		.api_host = imgref_api_host(&ep->ref),
		.path = ep->ref.path,
		.tls_verify = o->tls_verify && !ep->insecure && !plain_first,
		.plain_first = plain_first,
		.cert_dir = o->cert_dir,
		.root = o->root,
		.creds = &creds,
		.timeout_s = o->timeout_s,
		.note = note,
		.note_ctx = (void *)o,
	};
	int r;

	r = endpoint_creds(o, conf, &ep->ref, &creds, e);
	if (!r)
		r = registry_open(&ro, &s->reg, e);
	auth_creds_wipe(&creds);
	if (!r)
		r = resolve(s->reg, &ep->ref, o, &src->img, &m, e);
	if (!r)
		r = fill_image(s->reg, &src->img, m, e);
	registry_manifest_free(m);
	if (r < 0) {
		registry_free(s->reg);
		s->reg = NULL;
		reset_image(&src->img);
	}
	return r;
}

/* The first endpoint of ref (mirrors, then the primary) that serves it.
 * On failure, the primary's error, with the mirrors' appended. */
static int open_name(struct source *src, const struct regconf *conf, const struct imgref *ref,
		     const struct source_opts *o, struct err *e)
{
	struct regconf_source *eps = NULL;
	char name[IMGREF_FORMAT_MAX], mirrors[600] = "";
	size_t n = 0;

	if (regconf_sources(conf, ref, &eps, &n, e) < 0)
		return -1;
	imgref_format(ref, name, sizeof name);
	for (size_t i = 0; i < n; i++) {
		char at[IMGREF_FORMAT_MAX];
		struct err e2;
		int last = i + 1 == n;
		imgref_format(&eps[i].ref, at, sizeof at);
		if (eps[i].why[0])
			say(o, "%s: trying %s, %s", name, at, eps[i].why);
		if (try_endpoint(src, conf, &eps[i], last && ref->insecure, o, last ? e : &e2) == 0) {
			say(o, "%s: pulling from %s over %s", name, at, registry_scheme(
				((struct regsrc *)src->priv)->reg));
			free(eps);
			return 0;
		}
		if (!last) {
			size_t used = strlen(mirrors);
			say(o, "%s: mirror %s: %s", name, eps[i].ref.registry, e2.msg);
			snprintf(mirrors + used, sizeof mirrors - used, "%s'%s'", used ? ", " : "",
				 eps[i].ref.registry);
		}
	}
	free(eps);
	if (mirrors[0])
		snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
			 " (mirror%s %s failed first)", strchr(mirrors, ',') ? "s" : "", mirrors);
	return -1;
}

/* A short name: each candidate in turn; a qualified one: itself. */
static int open_any(struct source *src, const struct regconf *conf, const struct imgref *ref,
		    struct imgref *chosen, const struct source_opts *o, struct err *e)
{
	struct regconf_candidate *cand = NULL;
	char typed[IMGREF_FORMAT_MAX], failed[900] = "";
	size_t n = 0;
	int rc = -1;

	if (!o->typed || !regconf_short_name(o->typed, ref, typed, sizeof typed)) {
		*chosen = *ref;
		return open_name(src, conf, ref, o, e);
	}
	if (regconf_candidates(conf, typed, ref, &cand, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc < 0; i++) {
		char name[IMGREF_FORMAT_MAX];
		size_t used = strlen(failed);
		imgref_format(&cand[i].ref, name, sizeof name);
		cand[i].ref.insecure = ref->insecure;
		say(o, "short name '%s': trying %s, from %s", typed, name, cand[i].why);
		if ((rc = open_name(src, conf, &cand[i].ref, o, e)) == 0) {
			*chosen = cand[i].ref;
			if (!o->quiet)
				text_printf(stderr, "syscontainer: notice: '%s' is not fully qualified: "
					    "pulling %s (%s)\n", typed, name, cand[i].why);
		} else if (n > 1) {
			snprintf(failed + used, sizeof failed - used, "%s%s: %s", used ? "; " : "",
				 name, e->msg);
		}
	}
	if (rc < 0 && n > 1)
		err_set(e, 0, "short name '%s': no candidate could be pulled: %s", typed, failed);
	free(cand);
	return rc;
}

int source_registry_open(struct source *src, const struct imgref *ref,
			 const struct source_opts *o, struct err *e)
{
	struct regsrc *s = calloc(1, sizeof *s);
	struct regconf *conf = NULL;
	struct imgref chosen;
	char full[sizeof src->img.source];
	int r;

	if (!s)
		return err_set(e, ENOMEM, "registry source");
	src->priv = s;
	src->ops = &regsrc_ops;
	src->remote = 1;
	if (regconf_load(o->root, &conf, e) < 0)
		return -1;
	if (conf->files[0])
		say(o, "registries configuration: %s", conf->files);
	r = open_any(src, conf, ref, &chosen, o, e);
	regconf_free(conf);
	if (r < 0)
		return -1;
	imgref_format(&chosen, src->img.name, sizeof src->img.name);
	imgref_format_source(&chosen, full, sizeof full);
	snprintf(src->img.source, sizeof src->img.source, "%s%s",
		 chosen.insecure ? "" : "docker://", full);
	return 0;
}
