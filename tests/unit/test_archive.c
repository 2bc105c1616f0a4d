/* Unit tests for src/archive.c: the member index and the pure readers of
 * manifest.json (docker save) and index.json (OCI layouts). */
#include "archive.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"

/* From an exact-size heap copy, so a sanitizer catches reads past the end. */
static int docker_choose(const char *doc, const char *want, struct archive_image *im,
			 struct err *e)
{
	size_t n = strlen(doc);
	char *copy = malloc(n ? n : 1);
	int r;

	memcpy(copy, doc, n);
	r = archive_docker_choose(copy, n, want, im, e);
	free(copy);
	return r;
}

static int oci_choose(const char *doc, const char *ref, const char *platform,
		      struct archive_oci_pick *p, struct err *e)
{
	struct registry_platform want;
	size_t n = strlen(doc);
	char *copy = malloc(n ? n : 1);
	int r;

	registry_platform_parse(platform, strlen(platform), &want, e);
	memcpy(copy, doc, n);
	r = archive_oci_choose(copy, n, ref, &want, p, e);
	free(copy);
	return r;
}

static void test_lookup(void)
{
	static const struct { const char *path, *link; enum tar_type type; } members[] = {
		{ "a.tar", NULL, TAR_REG },
		{ "id1/layer.tar", "../a.tar", TAR_SYMLINK },
		{ "id2/layer.tar", "../id1/layer.tar", TAR_SYMLINK },
		{ "hard", "a.tar", TAR_HARDLINK },
		{ "up/layer.tar", "../../etc/passwd", TAR_SYMLINK },
		{ "abs", "/etc/passwd", TAR_SYMLINK },
		{ "dir", NULL, TAR_DIR },
		{ "loop1", "loop2", TAR_SYMLINK },
		{ "loop2", "loop1", TAR_SYMLINK },
	};
	static const struct { const char *name; long want; const char *msg, *why; } rows[] = {
		{ "a.tar", 0, NULL, "a regular member is itself" },
		{ "./a.tar", 0, NULL, "names are normalised like tar entries" },
		{ "id1/layer.tar", 0, NULL, "a symlink resolves relative to its directory" },
		{ "id2/layer.tar", 0, NULL, "a chain of symlinks (old docker save) resolves" },
		{ "hard", 0, NULL, "a hardlink resolves to its target" },
		{ "missing", -1, "'missing' is not in the archive", "absent: named, errnum ENOENT" },
		{ "up/layer.tar", -1, "'up/layer.tar' is a symlink out of the archive",
		  "a symlink climbing out is refused" },
		{ "abs", -1, "'abs' is a symlink out of the archive", "an absolute symlink is refused" },
		{ "dir", -1, "'dir' is not a file in the archive", "a directory is no file" },
		{ "loop1", -1, "'loop1': too many levels of links", "a link loop ends" },
	};
	struct archive_index a = { 0 };
	struct err e;

	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		struct tar_entry ent = { .path = members[i].path, .link = members[i].link,
					 .type = members[i].type, .size = 10 };
		archive_index_add(&a, &ent, 512 * i, &e);
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t got = 99;
		int r = archive_lookup(&a, rows[i].name, &got, &e);
		if (rows[i].want >= 0)
			ok(r == 0 && got == (size_t)rows[i].want, "lookup: %s", rows[i].why);
		else
			ok(r < 0 && !strcmp(e.msg, rows[i].msg) &&
			   (strcmp(rows[i].name, "missing") || e.errnum == ENOENT),
			   "lookup: %s (%s)", rows[i].why, e.msg);
	}
	archive_index_free(&a);
}

static void test_docker(void)
{
	static const struct { const char *doc, *want, *name, *bad, *config, *layer2, *msg, *why; } rows[] = {
		{ "[{\"Config\":\"c.json\",\"RepoTags\":[\"busybox:1\"],\"Layers\":[\"a.tar\",\"b.tar\"]}]",
		  NULL, "docker.io/library/busybox:1", "", "c.json", "b.tar", NULL,
		  "one image: its RepoTag normalised, config and layers in order" },
		{ "[{\"Config\":\"c\",\"RepoTags\":[\"Bad/NAME\"],\"Layers\":[\"a\",\"b\"]}]",
		  NULL, "", "Bad/NAME", "c", "b", NULL,
		  "an invalid RepoTag: no name, the bad one kept for a warning" },
		{ "[{\"Config\":\"c\",\"RepoTags\":null,\"Layers\":[\"a\",\"b\"]}]",
		  NULL, "", "", "c", "b", NULL, "RepoTags null (docker save by ID): no name" },
		{ "[{\"Config\":\"c1\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"a\",\"b\"]},"
		  "{\"Config\":\"c2\",\"RepoTags\":[\"y:1\",\"y:2\"],\"Layers\":[\"a\",\"d\"]}]",
		  "docker.io/library/y:2", "docker.io/library/y:2", "", "c2", "d", NULL,
		  "several images: the one named by any of its tags" },
		{ "[{\"Config\":\"c1\",\"RepoTags\":[\"x:1\"],\"Layers\":[]},"
		  "{\"Config\":\"c2\",\"RepoTags\":[\"y:1\"],\"Layers\":[]}]", NULL, NULL, NULL, NULL, NULL,
		  "the archive holds 2 images (docker.io/library/x:1, docker.io/library/y:1): name one "
		  "as docker-archive:FILE:NAME[:TAG]", "several images, none named: each listed" },
		{ "[{\"Config\":\"c\",\"RepoTags\":[\"x:1\"],\"Layers\":[]}]", "docker.io/library/z:1",
		  NULL, NULL, NULL, NULL,
		  "no image named docker.io/library/z:1 in the archive; it holds: docker.io/library/x:1",
		  "a name it does not hold: what it holds" },
		{ "[]", NULL, NULL, NULL, NULL, NULL, "it lists no image", "an empty list" },
		{ "{}", NULL, NULL, NULL, NULL, NULL, "it lists no image", "not a list" },
		{ "[{\"Config\":\"c\",\"Layers\":[\"a\",7]}]", NULL, NULL, NULL, NULL, NULL,
		  "layer 2 is not a file name", "a layer that is no string, counted from 1" },
		{ "[{\"Config\":\"c\",\"Layers\":[\"a\",\"\"]}]", NULL, NULL, NULL, NULL, NULL,
		  "layer 2 is not a file name", "an empty layer name (found by the fuzzer: it leaked)" },
		{ "[{\"Layers\":[\"a\"]}]", NULL, NULL, NULL, NULL, NULL, "image has no Config",
		  "no Config" },
		{ "[{\"Config\":\"c\"}]", NULL, NULL, NULL, NULL, NULL, "image has no Layers",
		  "no Layers" },
		{ "[{\"Config\":\"c\",\"Layers\":[\"a\"]", NULL, NULL, NULL, NULL, NULL,
		  "invalid JSON at byte 29 (end of input): expected ',' or '}'", "truncated JSON" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct archive_image im;
		struct err e = { 0 };
		int r = docker_choose(rows[i].doc, rows[i].want, &im, &e);

		if (rows[i].msg) {
			ok(r < 0 && !strcmp(e.msg, rows[i].msg), "docker: %s (%s)", rows[i].why, e.msg);
			continue;
		}
		ok(r == 0 && !strcmp(im.name, rows[i].name) && !strcmp(im.bad_name, rows[i].bad) &&
		   !strcmp(im.config, rows[i].config) && im.nlayers == 2 &&
		   !strcmp(im.layers[1], rows[i].layer2), "docker: %s", rows[i].why);
		archive_image_free(&im);
	}
}

#define ENTRY(d, extra) "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," \
	"\"digest\":\"sha256:" d "\",\"size\":10" extra "}"
#define REF(r) ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" r "\"}"
#define PLAT(a) ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" a "\"}"
#define INDEX(entries) "{\"schemaVersion\":2,\"manifests\":[" entries "]}"

static void test_oci(void)
{
	static const struct { const char *doc, *ref, *platform, *digest, *name, *msg, *why; } rows[] = {
		{ INDEX(ENTRY(H1, REF("multi"))), NULL, "linux/amd64", H1, "docker.io/library/multi:latest",
		  NULL, "one entry: taken without a ref; its ref name read as an image name" },
		{ INDEX(ENTRY(H1, ",\"annotations\":{\"io.containerd.image.name\":\"docker.io/x/y:2\","
			      "\"org.opencontainers.image.ref.name\":\"2\"}")), "2", "linux/amd64", H1,
		  "docker.io/x/y:2", NULL, "newer docker save: the containerd name wins over the tag" },
		{ INDEX(ENTRY(H1, REF("a")) "," ENTRY(H2, REF("b"))), "b", "linux/amd64", H2,
		  "docker.io/library/b:latest", NULL, "several: the one whose ref name is asked" },
		{ INDEX(ENTRY(H1, REF("a")) "," ENTRY(H2, REF("b"))), NULL, "linux/amd64", NULL, NULL,
		  "index.json lists 2 images (a, b): choose one with :REF", "several, no ref: listed" },
		{ INDEX(ENTRY(H1, REF("a"))), "z", "linux/amd64", NULL, NULL,
		  "no image 'z' in index.json; it holds: a", "a ref it does not hold" },
		{ INDEX(ENTRY(H1, PLAT("amd64")) "," ENTRY(H2, PLAT("arm64"))), NULL, "linux/arm64", H2,
		  "", NULL, "entries by platform: the one for the platform asked" },
		{ INDEX(ENTRY(H1, PLAT("amd64")) "," ENTRY(H2, PLAT("arm64"))), NULL, "linux/riscv64", NULL,
		  NULL, "index.json: no image for linux/riscv64 in the index; it offers linux/amd64, "
		  "linux/arm64", "no entry for the platform: what it offers" },
		{ INDEX(ENTRY(H1, REF("Bad Name"))), NULL, "linux/amd64", H1, "", NULL,
		  "a ref name that is no image name: no name" },
		{ INDEX(""), NULL, "linux/amd64", NULL, NULL, "index.json lists no image", "empty" },
		{ INDEX(ENTRY("12", "")), NULL, "linux/amd64", NULL, NULL,
		  "index.json: entry 1: digest is not sha256:<64 hex digits>", "a bad digest" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct archive_oci_pick p;
		struct err e = { 0 };
		int r = oci_choose(rows[i].doc, rows[i].ref, rows[i].platform, &p, &e);

		if (rows[i].msg)
			ok(r < 0 && !strcmp(e.msg, rows[i].msg), "oci: %s (%s)", rows[i].why, e.msg);
		else
			ok(r == 0 && !strcmp(p.desc.digest + 7, rows[i].digest) &&
			   !strcmp(p.name, rows[i].name), "oci: %s (%s)", rows[i].why, r ? e.msg : p.name);
	}
}

#define LEGACY "{\"test/legacy\":{\"v1\":\"" H3 "\"}}"
#define BADLEGACY "{\"BAD\":{\"v1\":\"x\"}}"

static void test_names(void)
{
	static const struct { const char *in, *want, *why; } files[] = {
		{ "/tmp/etcd.tar", "docker.io/library/etcd:latest", "the base name without .tar" },
		{ "etcd.tar.gz", "docker.io/library/etcd:latest", ".tar.gz dropped too" },
		{ "/srv/oci/busybox/", "docker.io/library/busybox:latest", "a directory's trailing / ignored" },
		{ "/tmp/Etcd.tar", NULL, "uppercase is no image name" },
		{ "/", NULL, "nothing to name it after" },
	};
	char out[IMGREF_FORMAT_MAX], bad[ARCHIVE_SHOW_MAX] = "";

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		int r = archive_file_name(files[i].in, out);
		ok(files[i].want ? r == 0 && !strcmp(out, files[i].want) : r < 0, "file name: %s",
		   files[i].why);
	}
	ok(archive_legacy_name(LEGACY, strlen(LEGACY), out, bad) == 1 &&
	   !strcmp(out, "docker.io/test/legacy:v1"), "repositories: its first name and tag");
	ok(archive_legacy_name(BADLEGACY, strlen(BADLEGACY), out, bad) == 0 && !strcmp(bad, "BAD:v1"),
	   "repositories: an invalid name kept for the warning");
}

int main(void)
{
	test_lookup();
	test_docker();
	test_oci();
	test_names();
	return tap_done();
}
