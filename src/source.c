#include "source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "layer.h"
#include "sha256.h"

int source_open(struct source **out, const struct imgref *ref, const struct source_opts *o,
		struct err *e)
{
	struct source *src;
	int r = -1;

	if (ref->transport == IMGREF_DOCKER_DAEMON)
		return source_open_engine(out, ref, 1, o, e);
	if (!(src = calloc(1, sizeof *src)))
		return err_set(e, ENOMEM, "open source");
	switch (ref->transport) {
	case IMGREF_REGISTRY:
		r = source_registry_open(src, ref, o, e);
		break;
	case IMGREF_DOCKER_ARCHIVE:
	case IMGREF_OCI_ARCHIVE:
		r = source_archive_file_open(src, ref, o, e);
		break;
	case IMGREF_OCI:
		r = source_oci_dir_open(src, ref, o, e);
		break;
	case IMGREF_DOCKER_DAEMON:
		break;
	}
	if (r < 0) {
		source_free(src);
		return -1;
	}
	*out = src;
	return 0;
}

int source_platform(const struct source_opts *o, struct registry_platform *p, struct err *e)
{
	if (o && o->platform)
		return registry_platform_parse(o->platform, strlen(o->platform), p, e);
	return registry_platform_host(p, e);
}

void source_warn(const struct source_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o || !o->pull || !o->pull->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o->pull->warn(o->pull->ctx, msg);
}

void source_free(struct source *src)
{
	if (!src)
		return;
	if (src->ops && src->ops->close)
		src->ops->close(src);
	free(src->img.config);
	free(src->img.manifest);
	free(src->img.layers);
	free(src);
}

int image_alloc_layers(struct image *img, size_t n, struct err *e)
{
	if (n > IMAGE_MAX_LAYERS)
		return err_set(e, 0, "image has %zu layers, more than the %d we accept", n,
			       IMAGE_MAX_LAYERS);
	free(img->layers);
	img->layers = calloc(n ? n : 1, sizeof *img->layers);
	if (!img->layers)
		return err_set(e, ENOMEM, "layers");
	img->nlayers = n;
	for (size_t i = 0; i < n; i++)
		img->layers[i].size = -1;
	return 0;
}

static int read_diff_ids(struct image *img, const struct json *j, struct err *e)
{
	int ids = json_getpath(j, json_root(j), "rootfs.diff_ids");
	size_t n;

	if (json_kind(j, ids) != JSON_ARRAY)
		return err_set(e, 0, "config %s: no rootfs.diff_ids", img->config_digest);
	n = json_count(j, ids);
	if (img->layers && n != img->nlayers)
		return err_set(e, 0, "config %s lists %zu diff IDs for %zu layers", img->config_digest,
			       n, img->nlayers);
	if (!img->layers && image_alloc_layers(img, n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *s = json_str(j, json_at(j, ids, i));
		if (!s || strlen(s) != 71 || strncmp(s, "sha256:", 7)) {
			free(s);
			return err_set(e, 0, "config %s: diff ID %zu is not a sha256 digest",
				       img->config_digest, i);
		}
		memcpy(img->layers[i].diff_id, s, 72);
		free(s);
	}
	return 0;
}

int image_set_config(struct image *img, const char *buf, size_t len, const char *expect_digest,
		     struct err *e)
{
	struct json *j = NULL;
	uint8_t d[32];
	int r;

	if (len > IMAGE_MAX_CONFIG)
		return err_set(e, 0, "config larger than %d bytes", IMAGE_MAX_CONFIG);
	sha256_oneshot(buf, len, d);
	layer_digest_string(d, img->config_digest);
	if (expect_digest && strcmp(expect_digest, img->config_digest))
		return err_set(e, 0, "config digest mismatch: expected %s, got %s", expect_digest,
			       img->config_digest);
	if (json_parse(&j, buf, len, e) < 0)
		return err_wrap(e, "config %s", img->config_digest);
	r = read_diff_ids(img, j, e);
	json_free(j);
	if (r < 0)
		return -1;
	free(img->config);
	img->config = malloc(len + 1);
	if (!img->config)
		return err_set(e, ENOMEM, "config");
	memcpy(img->config, buf, len);
	img->config[len] = '\0';
	img->config_len = len;
	return 0;
}
