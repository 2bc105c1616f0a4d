/* Fuzz targets for the image-archive readers (src/archive.c,
 * src/source_stream.c).
 *
 * fuzz_archive_docker: the input as manifest.json, chosen with no name and
 *   with a few names; a chosen image has a config and its layers, a name
 *   is "" or normalised; the same bytes as a `repositories` file.
 * fuzz_archive_oci: the input as index.json, with and without a ref, for
 *   a few platforms; a pick has a well-formed digest.
 * fuzz_stream: the input as a streamed archive (docker save or OCI
 *   layout, gzip or not), fed in uneven pieces; layers "imported" by hooks
 *   that hash what they get; then resolved both ways.
 * Any broken invariant abort()s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "sha256.h"
#include "source_archive.h"

int fuzz_archive_docker(const uint8_t *data, size_t size);
int fuzz_archive_oci(const uint8_t *data, size_t size);
int fuzz_stream(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int fuzz_archive_docker(const uint8_t *data, size_t size)
{
	static const char *const wants[] = { NULL, "docker.io/library/busybox:latest",
					     "docker.io/test/multi:latest" };
	char name[IMGREF_FORMAT_MAX], bad[ARCHIVE_SHOW_MAX] = "";

	for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
		struct archive_image im;
		struct err e;

		if (archive_docker_choose((const char *)data, size, wants[w], &im, &e) < 0) {
			CHECK(memchr(e.msg, '\0', sizeof e.msg) && e.msg[0]);
			continue;
		}
		CHECK(im.config && im.config[0]);
		CHECK(im.nlayers <= IMAGE_MAX_LAYERS);
		for (size_t i = 0; i < im.nlayers; i++)
			CHECK(im.layers[i] && im.layers[i][0]);
		CHECK(!wants[w] || !strcmp(im.name, wants[w]));
		CHECK(!im.name[0] || !strncmp(im.name, "docker.io/", 10) || strchr(im.name, '/'));
		archive_image_free(&im);
	}
	if (archive_legacy_name((const char *)data, size, name, bad) == 1)
		CHECK(strchr(name, ':'));
	return 0;
}

int fuzz_archive_oci(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { NULL, "latest", "multi" };
	static const char *const plats[] = { "linux/amd64", "linux/arm64", "linux/arm/v7" };

	for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++)
		for (size_t p = 0; p < sizeof plats / sizeof plats[0]; p++) {
			struct registry_platform want;
			struct archive_oci_pick pick;
			struct err e;

			CHECK(registry_platform_parse(plats[p], strlen(plats[p]), &want, &e) == 0);
			if (archive_oci_choose((const char *)data, size, refs[r], &want, &pick, &e) < 0)
				continue;
			CHECK(sha256_digest_ok(pick.desc.digest, strlen(pick.desc.digest)));
			CHECK(!refs[r] || !strcmp(pick.ref_name, refs[r]));
		}
	return 0;
}

/* ---- the stream, with hooks that hash instead of storing ---- */

struct fake_layer {
	struct sha256 h;
	uint64_t n;
};

static int fake_begin(void *ctx, const char *member, uint64_t size, const char *hint,
		      void **layer, struct layer_result *stored, struct err *e)
{
	struct fake_layer *l = calloc(1, sizeof *l);

	(void)ctx, (void)member, (void)size, (void)stored;
	if (hint && hint[0] == '0') {   /* some names count as stored */
		memset(stored, 0, sizeof *stored);
		snprintf(stored->diff_id, sizeof stored->diff_id, "sha256:%s", hint);
		snprintf(stored->blob_digest, sizeof stored->blob_digest, "sha256:%s", hint);
		stored->present = 1;
		free(l);
		return 1;
	}
	if (!l)
		return err_set(e, 0, "oom");
	sha256_init(&l->h);
	*layer = l;
	return 0;
}

static int fake_feed(void *layer, const void *buf, size_t len, struct err *e)
{
	struct fake_layer *l = layer;

	(void)e;
	sha256_update(&l->h, buf, len);
	l->n += len;
	return 0;
}

static int fake_end(void *layer, struct layer_result *res, struct err *e)
{
	struct fake_layer *l = layer;
	uint8_t d[32];

	(void)e;
	memset(res, 0, sizeof *res);
	sha256_final(&l->h, d);
	layer_digest_string(d, res->diff_id);
	memcpy(res->blob_digest, res->diff_id, sizeof res->blob_digest);
	res->blob_bytes = l->n;
	free(l);
	return 0;
}

static void fake_abort(void *layer)
{
	free(layer);
}

static void fake_warn(void *ctx, const char *msg)
{
	(void)ctx;
	CHECK(!strchr(msg, '\n'));
}

static void resolve(struct stream *st, const struct source_opts *o, int oci)
{
	struct archive_want w = { .oci = oci, .file = "/tmp/fuzz.tar" };
	struct image img;
	struct err e;

	(void)o;
	memset(&img, 0, sizeof img);
	if (stream_image(st, &w, &img, &e) == 0) {
		CHECK(img.name[0] && img.config);
		for (size_t i = 0; i < img.nlayers; i++)
			CHECK(img.layers[i].staged &&
			      !strcmp(img.layers[i].staged_res.diff_id, img.layers[i].diff_id));
	}
	free(img.config);
	free(img.manifest);
	free(img.layers);
}

int fuzz_stream(const uint8_t *data, size_t size)
{
	static const struct source_pull hooks = { NULL, fake_begin, fake_feed, fake_end,
						  fake_abort, fake_warn };
	struct source_opts o = { .pull = &hooks };
	struct stream *st = NULL;
	struct err e;
	size_t off = 0, step = 1;

	if (stream_new(&st, &o, &e) < 0)
		return 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		if (stream_feed(st, data + off, n, &e) < 0)
			break;
		off += n;
		step = step * 3 + 1;    /* pieces of every size, headers split */
	}
	if (off == size && stream_finish(st, &e) == 0) {
		resolve(st, &o, 0);
		resolve(st, &o, 1);
	}
	stream_free(st);
	return 0;
}
