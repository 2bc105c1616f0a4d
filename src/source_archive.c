/* The resolvers of source_archive.h: from manifest.json (docker save) or
 * index.json (OCI image layout) to a struct image, through whatever reads
 * the members (a file, a directory, what a stream kept). */
#include "source_archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "layer.h"
#include "sha256.h"
#include "text.h"

/* "blobs/sha256/<hex>" of a sha256 digest into out[80]. */
static void archive_blob_path(const char *digest, char *out)
{
	snprintf(out, 80, "blobs/sha256/%.64s", digest + 7);
}

int archive_name_hex(const char *path, char *hex)
{
	size_t n = strlen(path);
	const char *h = NULL;

	if (n == 13 + 64 && !strncmp(path, "blobs/sha256/", 13))
		h = path + 13;
	else if ((n == 68 && !strcmp(path + 64, ".tar")) || (n == 69 && !strcmp(path + 64, ".json")))
		h = path;
	if (!h || !text_is_lower_hex(h, 64))
		return 0;
	memcpy(hex, h, 64);
	hex[64] = '\0';
	return 1;
}

void archive_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

static int has(const struct member_reader *r, const char *path)
{
	uint64_t size;
	struct err ignore;

	return r->size(r->ctx, path, &size, &ignore) == 0;
}

/* ---- naming ---- */

/* The archive's name for the image, else (saying so when the archive's own
 * name is invalid) the file's. */
static int name_image(struct image *img, const char *name, const char *bad,
		      const struct archive_want *w, const struct source_opts *o, struct err *e)
{
	char from_file[IMGREF_FORMAT_MAX], shown[ARCHIVE_SHOW_MAX], what[ARCHIVE_SHOW_MAX + 64];

	if (name[0]) {
		snprintf(img->name, sizeof img->name, "%s", name);
		return 0;
	}
	if (bad[0])
		snprintf(what, sizeof what, "the archive names its image '%s', which is no image name",
			 bad);
	else
		snprintf(what, sizeof what, "the archive names no image");
	if (w->file && archive_file_name(w->file, from_file) == 0) {
		if (bad[0])
			source_warn(o, "%s: naming it %s after the file", what, from_file);
		snprintf(img->name, sizeof img->name, "%s", from_file);
		return 0;
	}
	if (!w->file)
		return err_set(e, 0, "%s", what);
	text_escape(shown, sizeof shown, w->file, strlen(w->file), TEXT_QUOTE);
	return err_set(e, 0, "%s, nor is the file name '%s' one%s", what, shown,
		       w->oci ? "" : ": give one as docker-archive:FILE:NAME[:TAG]");
}

/* ---- docker save ---- */

static int docker_layers(const struct member_reader *r, const struct archive_image *ai,
			 struct image *img, struct err *e)
{
	for (size_t i = 0; i < ai->nlayers; i++) {
		struct image_layer *l = &img->layers[i];
		uint64_t size;
		char hex[65];

		if (r->size(r->ctx, ai->layers[i], &size, e) < 0)
			return err_wrap(e, "layer %zu", i + 1);
		l->size = (int64_t)size;
		/* An OCI blob's name is its digest: check it like a registry's. */
		if (!strncmp(ai->layers[i], "blobs/", 6) && archive_name_hex(ai->layers[i], hex))
			snprintf(l->digest, sizeof l->digest, "sha256:%s", hex);
	}
	return 0;
}

/* The config a member names, checked against the digest its name carries
 * ("<hex>.json", "blobs/sha256/<hex>"). */
static int docker_config(const struct member_reader *r, const char *path, struct image *img,
			 struct err *e)
{
	char *buf = NULL, hex[65], want[72];
	size_t len = 0;
	int named = archive_name_hex(path, hex), rc;

	if (r->read(r->ctx, path, IMAGE_MAX_CONFIG, &buf, &len, e) < 0)
		return -1;
	snprintf(want, sizeof want, "sha256:%s", named ? hex : "");
	rc = image_set_config(img, buf, len, named ? want : NULL, e);
	free(buf);
	return rc;
}

static int docker_name(const struct member_reader *r, const struct archive_image *ai,
		       const struct archive_want *w, const struct source_opts *o,
		       struct image *img, struct err *e)
{
	char legacy[IMGREF_FORMAT_MAX], bad[ARCHIVE_SHOW_MAX];
	char *buf = NULL;
	size_t len = 0;
	struct err ignore;
	int named = 0;

	snprintf(bad, sizeof bad, "%s", ai->bad_name);
	if (!ai->name[0] && r->read(r->ctx, "repositories", 1 << 20, &buf, &len, &ignore) == 0)
		named = archive_legacy_name(buf, len, legacy, bad);
	free(buf);
	return name_image(img, named ? legacy : ai->name, bad, w, o, e);
}

static int choose_docker(const char *buf, size_t len, const struct archive_want *w,
			 struct archive_image *ai, struct err *e)
{
	struct err first;

	if (archive_docker_choose(buf, len, w->name, ai, e) == 0)
		return 0;
	if (!w->any_single || !w->name)
		return -1;
	/* The engine resolved the name its own way: its only image is it. */
	first = *e;
	if (archive_docker_choose(buf, len, NULL, ai, e) == 0)
		return 0;
	*e = first;
	return -1;
}

static int resolve_docker(const struct member_reader *r, const struct archive_want *w,
			  const struct source_opts *o, struct image *img, char ***layers,
			  struct err *e)
{
	struct archive_image ai;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	memset(&ai, 0, sizeof ai);
	if (r->read(r->ctx, "manifest.json", IMAGE_MAX_MANIFEST, &buf, &len, e) < 0) {
		if (e->errnum != ENOENT)
			return err_wrap(e, "manifest.json");
		return err_set(e, 0, "no manifest.json: not a docker save archive%s",
			       has(r, "index.json") ? " (an OCI one: pull it as oci-archive:)" : "");
	}
	if (choose_docker(buf, len, w, &ai, e) < 0 ||
	    image_alloc_layers(img, ai.nlayers, e) < 0 || docker_layers(r, &ai, img, e) < 0 ||
	    docker_config(r, ai.config, img, e) < 0) {
		err_wrap(e, "manifest.json");
		goto out;
	}
	if (docker_name(r, &ai, w, o, img, e) < 0)
		goto out;
	*layers = ai.layers;
	ai.layers = NULL;
	ai.nlayers = 0;
	rc = 0;
out:
	free(buf);
	archive_image_free(&ai);
	return rc;
}

/* ---- OCI image layout ---- */

static int check_layout(const struct member_reader *r, struct err *e)
{
	struct json *j = NULL;
	char *buf = NULL, *v = NULL;
	size_t len = 0;
	int rc = 0;

	if (r->read(r->ctx, "oci-layout", 4096, &buf, &len, e) < 0) {
		if (e->errnum != ENOENT)
			return err_wrap(e, "oci-layout");
		return err_set(e, 0, "not an OCI image layout: no oci-layout file%s",
			       has(r, "manifest.json") ? " (a docker save archive: pull it as "
			       "docker-archive:)" : "");
	}
	if (json_parse(&j, buf, len, e) < 0)
		rc = err_wrap(e, "oci-layout");
	else if (!(v = json_str(j, json_get(j, json_root(j), "imageLayoutVersion"))) ||
		 strncmp(v, "1.", 2))
		rc = err_set(e, 0, "oci-layout: not an image layout of version 1.x");
	free(v);
	json_free(j);
	free(buf);
	return rc;
}

/* A blob whole, its size and digest checked against d. */
static int read_blob(const struct member_reader *r, const struct registry_desc *d, size_t max,
		     const char *what, char **buf, size_t *len, struct err *e)
{
	char path[80], got[72];
	uint8_t md[32];

	if (d->size > (int64_t)max)
		return err_set(e, 0, "%s %s: %lld bytes, more than the %zu we accept", what,
			       d->digest, (long long)d->size, max);
	archive_blob_path(d->digest, path);
	if (r->read(r->ctx, path, max, buf, len, e) < 0)
		return err_wrap(e, "%s %s", what, d->digest);
	sha256_oneshot(*buf, *len, md);
	layer_digest_string(md, got);
	if (*len != (size_t)d->size)
		err_set(e, 0, "%s %s: %zu bytes, %lld expected", what, d->digest, *len,
			(long long)d->size);
	else if (strcmp(got, d->digest))
		err_set(e, 0, "%s %s: digest mismatch: the blob is %s", what, d->digest, got);
	else
		return 0;
	free(*buf);
	*buf = NULL;
	return -1;
}

/* The image manifest d names: itself, or its entry for the platform when
 * it is an index. */
static int oci_manifest(const struct member_reader *r, struct registry_desc d,
			const struct registry_platform *want, struct image *img,
			struct registry_manifest **out, struct err *e)
{
	struct registry_manifest *m = NULL;
	char *buf = NULL;
	size_t len = 0, pick;

	for (int depth = 0;; depth++) {
		if (read_blob(r, &d, IMAGE_MAX_MANIFEST, "manifest", &buf, &len, e) < 0)
			return -1;
		if (registry_manifest_parse(buf, len, d.media_type, &m, e) < 0) {
			free(buf);
			return err_wrap(e, "manifest %s", d.digest);
		}
		if (m->kind == REGISTRY_IMAGE)
			break;
		if (depth || registry_index_choose(m, want, &pick, e) < 0) {
			if (depth)
				err_set(e, 0, "an index inside an index is not supported");
			err_wrap(e, "index %s", d.digest);
			registry_manifest_free(m);
			free(buf);
			return -1;
		}
		d = m->desc[pick];
		registry_manifest_free(m);
		free(buf);
	}
	img->manifest = buf;
	img->manifest_len = len;
	snprintf(img->manifest_digest, sizeof img->manifest_digest, "%s", d.digest);
	*out = m;
	return 0;
}

static int oci_layers(const struct member_reader *r, const struct registry_manifest *m,
		      struct image *img, char ***layers, struct err *e)
{
	char **paths = calloc(m->n ? m->n : 1, sizeof *paths);

	if (!paths)
		return err_set(e, ENOMEM, "layers");
	for (size_t i = 0; i < m->n; i++) {
		struct image_layer *l = &img->layers[i];
		uint64_t size;

		memcpy(l->digest, m->desc[i].digest, sizeof l->digest);
		l->size = m->desc[i].size;
		snprintf(l->media_type, sizeof l->media_type, "%s", m->desc[i].media_type);
		if (!(paths[i] = malloc(80))) {
			archive_paths_free(paths, i);
			return err_set(e, ENOMEM, "layers");
		}
		archive_blob_path(l->digest, paths[i]);
		/* A missing or short blob is refused before any layer is read. */
		if (r->size(r->ctx, paths[i], &size, e) < 0 ||
		    (size != (uint64_t)l->size &&
		     err_set(e, 0, "%s: %llu bytes, the manifest says %lld", l->digest,
			     (unsigned long long)size, (long long)l->size))) {
			archive_paths_free(paths, i + 1);
			return err_wrap(e, "layer %zu", i + 1);
		}
	}
	*layers = paths;
	return 0;
}

static int resolve_oci(const struct member_reader *r, const struct archive_want *w,
		       const struct source_opts *o, struct image *img, char ***layers,
		       struct err *e)
{
	struct registry_manifest *m = NULL;
	struct registry_platform want;
	struct archive_oci_pick pick;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (check_layout(r, e) < 0 || source_platform(o, &want, e) < 0)
		return -1;
	if (r->read(r->ctx, "index.json", IMAGE_MAX_MANIFEST, &buf, &len, e) < 0) {
		if (e->errnum != ENOENT)
			return err_wrap(e, "index.json");
		return err_set(e, 0, "not an OCI image layout: no index.json");
	}
	if (archive_oci_choose(buf, len, w->ref, &want, &pick, e) < 0)
		goto out;
	free(buf);
	buf = NULL;
	if (oci_manifest(r, pick.desc, &want, img, &m, e) < 0 ||
	    read_blob(r, &m->config, IMAGE_MAX_CONFIG, "config", &buf, &len, e) < 0 ||
	    image_alloc_layers(img, m->n, e) < 0 ||
	    image_set_config(img, buf, len, m->config.digest, e) < 0 ||
	    name_image(img, pick.name, pick.bad_name, w, o, e) < 0 ||
	    oci_layers(r, m, img, layers, e) < 0)
		goto out;
	rc = 0;
out:
	free(buf);
	registry_manifest_free(m);
	return rc;
}

int archive_resolve(const struct member_reader *r, const struct archive_want *w,
		    const struct source_opts *o, struct image *img, char ***layers,
		    struct err *e)
{
	*layers = NULL;
	return w->oci ? resolve_oci(r, w, o, img, layers, e) : resolve_docker(r, w, o, img, layers, e);
}
