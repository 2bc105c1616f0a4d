/* Fuzz target for src/spec.c.
 *
 * fuzz_spec: the input as an image config -- whenever a default template
 * is produced, expanding it (json mode) and validating the result must
 * succeed, whatever quotes, backslashes or '$' the image put in its
 * strings; as a config.json for spec_validate (bind sources absolute,
 * distinct, bounded); and as "USER\nPASSWD-AND-GROUP" for
 * spec_resolve_user.  Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "spec.h"
#include "template.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char passwd[] = "root:x:0:0::/:/bin/sh\napp:x:100:101::/:/bin/sh\n";
static const char group[] = "root:x:0:\napp:x:101:\nwheel:x:10:app\n";

static int lookup(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx;
	if (len == 4 && !memcmp(name, "NAME", 4)) {
		*value = "app";
		return 1;
	}
	if (len == 15 && !memcmp(name, "STATE_DIRECTORY", 15)) {
		*value = "/var/lib";
		return 1;
	}
	return 0;
}

static void check_info(const struct spec_info *si)
{
	CHECK(si->nbind <= SPEC_MAX_BINDS);
	for (size_t i = 0; i < si->nbind; i++) {
		CHECK(si->bind_sources[i] && si->bind_sources[i][0] == '/');
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(si->bind_sources[i], si->bind_sources[j]));
	}
}

static void fuzz_default(const uint8_t *data, size_t size)
{
	struct spec_image im = { .has_run_sh = (int)(size & 1), .passwd = passwd,
				 .passwd_len = sizeof passwd - 1, .group = group,
				 .group_len = sizeof group - 1 };
	struct spec_info si = { 0 };
	struct buf tpl, out;
	struct err e;

	buf_init(&tpl);
	buf_init(&out);
	if (spec_default_template((const char *)data, size, &im, &tpl, &e) == 0) {
		CHECK(template_expand(tpl.data, tpl.len, 1, lookup, NULL, &out, &e) == 0);
		CHECK(spec_validate(out.data, out.len, &si, &e) == 0);
		CHECK(si.nbind >= 2);
		check_info(&si);
		spec_info_free(&si);
	} else {
		CHECK(tpl.len == 0);
	}
	buf_free(&tpl);
	buf_free(&out);
}

static void fuzz_validate(const uint8_t *data, size_t size)
{
	struct spec_info si = { 0 };
	struct err e;

	if (spec_validate((const char *)data, size, &si, &e) == 0)
		check_info(&si);
	else
		CHECK(si.nbind == 0 && !strncmp(e.msg, "config.json: ", 13));
	spec_info_free(&si);
}

static void fuzz_user(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ul = nl ? (size_t)(nl - data) : size;
	const char *files = nl ? (const char *)nl + 1 : NULL;
	size_t fl = nl ? size - ul - 1 : 0;
	char *user = malloc(ul + 1);
	uint32_t uid = 7, gid = 7;
	struct err e;

	if (!user)
		return;
	memcpy(user, data, ul);
	user[ul] = '\0';
	if (spec_resolve_user(user, files, fl, files, fl, &uid, &gid, &e) == 0)
		CHECK(uid != UINT32_MAX && gid != UINT32_MAX);
	else
		CHECK(uid == 7 && gid == 7 && !strchr(e.msg, '\n'));
	free(user);
}

int fuzz_spec(const uint8_t *data, size_t size)
{
	fuzz_default(data, size);
	fuzz_validate(data, size);
	fuzz_user(data, size);
	return 0;
}
