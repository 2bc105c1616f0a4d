/* Source docker:// (the default): an image from a registry.  Resolves the
 * tag or digest to an image manifest (through an index when the registry
 * serves one, choosing the platform), fetches and verifies the config, and
 * streams each layer blob as served; the import core checks its digest,
 * size and diff ID. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "layer.h"
#include "registry.h"
#include "sha256.h"
#include "source.h"

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

static int regsrc_fetch(struct source *src, size_t i, source_feed_fn feed, void *ctx,
			struct err *e)
{
	struct regsrc *s = src->priv;
	const struct image_layer *l = &src->img.layers[i];

	return registry_get_blob(s->reg, l->digest, l->size, feed, ctx, e);
}

static const struct source_ops regsrc_ops = { regsrc_fetch, regsrc_close };

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

static int get_creds(const struct imgref *ref, const struct source_opts *o,
		     struct auth_creds *c, struct err *e)
{
	if (o->creds)
		return auth_creds_from_option(o->creds, c, e);
	return auth_creds_find(ref->registry, ref->path, c, e) < 0 ? -1 : 0;
}

int source_registry_open(struct source *src, const struct imgref *ref,
			 const struct source_opts *o, struct err *e)
{
	struct regsrc *s = calloc(1, sizeof *s);
	struct registry_manifest *m = NULL;
	struct auth_creds creds = { 0 };
	struct registry_options ro = {
		.registry = ref->registry,
		.api_host = imgref_api_host(ref),
		.path = ref->path,
		.tls_verify = o->tls_verify && !ref->insecure,
		.cert_dir = o->cert_dir,
		.creds = &creds,
	};
	char full[sizeof src->img.source];
	int r;

	if (!s)
		return err_set(e, ENOMEM, "registry source");
	src->priv = s;
	src->ops = &regsrc_ops;
	r = get_creds(ref, o, &creds, e);
	if (!r)
		r = registry_open(&ro, &s->reg, e);
	auth_creds_wipe(&creds);
	if (r < 0)
		return -1;
	if (resolve(s->reg, ref, o, &src->img, &m, e) < 0)
		return -1;
	r = fill_image(s->reg, &src->img, m, e);
	registry_manifest_free(m);
	if (r < 0)
		return -1;
	imgref_format(ref, src->img.name, sizeof src->img.name);
	imgref_format_source(ref, full, sizeof full);
	snprintf(src->img.source, sizeof src->img.source, "%s%s",
		 ref->insecure ? "" : "docker://", full);
	return 0;
}
