/* Fuzz target for the registry's pure readers (src/registry_manifest.c,
 * the auth-file lookup of src/auth.c, a credential helper's answer).
 *
 * fuzz_manifest: the input as a manifest or index, read without a
 *   Content-Type and with each kind's; every promise of registry.h about a
 *   parsed manifest is checked (digests well formed, sizes >= 0, counts
 *   within the limits, image layers of a type we import, index platforms
 *   normalised), an index is asked for a few platforms; the same bytes as
 *   an auth file (both formats, looked up for a nested path), as a
 *   credential helper's answer and, cut to 80 bytes, as a --platform
 *   value.  Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "registry.h"
#include "sha256.h"

int fuzz_manifest(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_desc(const struct registry_desc *d)
{
	CHECK(sha256_digest_ok(d->digest, strlen(d->digest)));
	CHECK(d->size >= 0);
	CHECK(memchr(d->media_type, '\0', sizeof d->media_type));
}

static void check_platform_normal(const struct registry_platform *p)
{
	struct registry_platform q = *p;

	registry_platform_normalize(&q);
	CHECK(!memcmp(&q, p, sizeof q)); /* normalising is idempotent */
}

static void check_index(const struct registry_manifest *m)
{
	static const char *const wants[] = { "linux/amd64", "linux/arm64", "linux/arm/v7",
					     "linux/arm/v5" };
	CHECK(m->n <= REGISTRY_INDEX_MAX);
	for (size_t i = 0; i < m->n; i++) {
		check_desc(&m->desc[i]);
		if (m->desc[i].has_platform)
			check_platform_normal(&m->desc[i].platform);
	}
	for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
		struct registry_platform p;
		struct err e;
		size_t pick = (size_t)-1;
		CHECK(registry_platform_parse(wants[w], strlen(wants[w]), &p, &e) == 0);
		if (registry_index_choose(m, &p, &pick, &e) == 0) {
			CHECK(pick < m->n && m->desc[pick].has_platform);
			CHECK(!strcmp(m->desc[pick].platform.os, p.os) &&
			      !strcmp(m->desc[pick].platform.arch, p.arch));
		} else {
			CHECK(memchr(e.msg, '\0', sizeof e.msg) && !strncmp(e.msg, "no image for ", 13));
		}
	}
}

static void one_manifest(const char *buf, size_t len, const char *ctype)
{
	struct registry_manifest *m = NULL;
	struct err e;

	if (registry_manifest_parse(buf, len, ctype, &m, &e) < 0) {
		CHECK(!m && memchr(e.msg, '\0', sizeof e.msg) && e.msg[0]);
		return;
	}
	CHECK(m && (m->kind == REGISTRY_IMAGE || m->kind == REGISTRY_INDEX));
	if (m->kind == REGISTRY_IMAGE) {
		CHECK(m->n <= REGISTRY_LAYERS_MAX);
		check_desc(&m->config);
		for (size_t i = 0; i < m->n; i++) {
			check_desc(&m->desc[i]);
			CHECK(registry_layer_type_ok(m->desc[i].media_type));
		}
	} else {
		check_index(m);
	}
	registry_manifest_free(m);
}

int fuzz_manifest(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = { NULL, REGISTRY_MT_DOCKER_MANIFEST,
					      REGISTRY_MT_DOCKER_LIST "; charset=utf-8",
					      REGISTRY_MT_DOCKER_V1_SIGNED };
	const char *buf = (const char *)data;
	struct registry_platform p;
	struct auth_creds c;
	struct err e;
	char *copy;

	/* an exact-size copy: the readers must not rely on a NUL */
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, buf, size);
	for (size_t i = 0; i < sizeof ctypes / sizeof ctypes[0]; i++)
		one_manifest(copy, size, ctypes[i]);
	for (int legacy = 0; legacy < 2; legacy++) {
		char helper[64];
		int r;
		memset(&c, 0, sizeof c);
		r = auth_file_lookup(copy, size, legacy, "r.example:5000", "a/b/c", &c, helper, &e);
		if (r == 1)
			CHECK(c.set && c.user[0] && memchr(c.pass, '\0', sizeof c.pass));
		if (r == 2)
			CHECK(helper[0] && strlen(helper) < 64 && !strchr(helper, '/'));
	}
	if (auth_helper_parse(copy, size, &c, &e) == 0)
		CHECK(c.set && c.user[0] && c.pass[0] && !strchr(c.user, ':'));
	else
		CHECK(!c.set && memchr(e.msg, '\0', sizeof e.msg));
	if (registry_platform_parse(copy, size < 80 ? size : 80, &p, &e) == 0)
		check_platform_normal(&p);
	else
		CHECK(e.status == EXIT_USAGE);
	free(copy);
	return 0;
}
