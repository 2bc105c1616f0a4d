/* Unit tests for the pure parts of src/registry_manifest.c and src/auth.c:
 * platform normalisation and choice, manifest/index reading, auth files. */
#include "auth.h"
#include "registry.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D64 "sha256:" H64

/* ---- platforms ---- */

static const struct ncase {
	const char *in, *out;
	const char *why;
} norm[] = {
	{ "linux/amd64", "linux/amd64", "already normal" },
	{ "linux/x86_64", "linux/amd64", "uname's x86_64 is amd64" },
	{ "Linux/X86-64", "linux/amd64", "case and x86-64 folded" },
	{ "linux/amd64/v1", "linux/amd64", "amd64/v1 is plain amd64" },
	{ "linux/amd64/v3", "linux/amd64/v3", "other amd64 variants kept" },
	{ "linux/aarch64", "linux/arm64", "aarch64 is arm64" },
	{ "linux/arm64/v8", "linux/arm64", "arm64/v8 is plain arm64" },
	{ "linux/arm64/8", "linux/arm64", "arm64/8 too" },
	{ "linux/arm", "linux/arm/v7", "arm without variant means v7" },
	{ "linux/arm/6", "linux/arm/v6", "bare digit gets a v" },
	{ "linux/armhf", "linux/arm/v7", "Debian armhf" },
	{ "linux/armel", "linux/arm/v6", "Debian armel" },
	{ "linux/i386", "linux/386", "i386 is 386" },
	{ "macos/arm64", "darwin/arm64", "macos is darwin" },
};

static void test_normalize(void)
{
	for (size_t i = 0; i < sizeof norm / sizeof norm[0]; i++) {
		struct registry_platform p;
		struct err e;
		char out[96] = "";
		int rc = registry_platform_parse(norm[i].in, strlen(norm[i].in), &p, &e);
		if (!rc)
			registry_platform_format(&p, out, sizeof out);
		ok(rc == 0 && !strcmp(out, norm[i].out), "normalise %s -> %s (%s): got %s", norm[i].in,
		   norm[i].out, norm[i].why, out);
	}
}

static const char *const bad_platforms[] = {
	"linux",              /* no arch */
	"linux/",             /* empty arch */
	"/amd64",             /* empty os */
	"linux/arm/v7/x",     /* four parts */
	"linux/am d64",       /* blank */
	"",                   /* nothing */
	"linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* too long */
};

static void test_bad_platform(void)
{
	for (size_t i = 0; i < sizeof bad_platforms / sizeof bad_platforms[0]; i++) {
		struct registry_platform p;
		struct err e = { 0 };
		const char *s = bad_platforms[i];
		int rc = registry_platform_parse(s, strlen(s), &p, &e);
		ok(rc < 0 && e.status == EXIT_USAGE && strstr(e.msg, "expected os/arch[/variant]"),
		   "--platform '%s' is a usage error: %s", s, e.msg);
	}
}

/* offers: a ';'-separated list of platforms; want; the index expected */
static const struct ccase {
	const char *offers, *want;
	long expect;
	const char *why;
} choose[] = {
	{ "linux/amd64;linux/arm64", "linux/amd64", 0, "exact amd64" },
	{ "linux/amd64;linux/arm64", "linux/x86_64", 0, "x86_64 host takes amd64" },
	{ "linux/amd64;linux/arm64/v8", "linux/aarch64", 1, "aarch64 host takes arm64/v8" },
	{ "linux/amd64;linux/arm64", "linux/arm64/v8", 1, "arm64/v8 wanted, arm64 offered" },
	{ "linux/arm/v5;linux/arm/v6;linux/arm/v7", "linux/arm/v7", 2, "exact arm/v7 beats older" },
	{ "linux/arm/v5;linux/arm/v6", "linux/arm/v7", 1, "arm/v7 falls back to v6 first" },
	{ "linux/arm/v5", "linux/arm/v7", 0, "then to v5" },
	{ "linux/arm/v7", "linux/arm/v6", -1, "a v6 board cannot run v7" },
	{ "linux/arm/v7", "linux/arm/v8", 0, "arm/v8 runs v7" },
	{ "linux/arm64;linux/arm/v7", "linux/arm", 1, "arm means arm/v7" },
	{ "windows/amd64;linux/amd64", "linux/amd64", 1, "os must match" },
	{ "linux/amd64", "linux/riscv64", -1, "no match" },
	{ "linux/amd64/v3", "linux/amd64", -1, "amd64/v3 is not for any amd64" },
	{ "linux/amd64;linux/amd64", "linux/amd64", 0, "the first of equals" },
	{ "", "linux/amd64", -1, "empty index" },
};

static size_t split_offers(const char *s, struct registry_platform *p, size_t max)
{
	size_t n = 0;
	struct err e;

	while (*s && n < max) {
		size_t l = strcspn(s, ";");
		if (registry_platform_parse(s, l, &p[n], &e) == 0)
			n++;
		s += l + (s[l] == ';');
	}
	return n;
}

static void test_choose(void)
{
	for (size_t i = 0; i < sizeof choose / sizeof choose[0]; i++) {
		struct registry_platform offers[8], want;
		struct err e;
		size_t n = split_offers(choose[i].offers, offers, 8);
		long got;
		registry_platform_parse(choose[i].want, strlen(choose[i].want), &want, &e);
		got = registry_platform_choose(offers, n, &want);
		ok(got == choose[i].expect, "choose %s from [%s]: %ld (%s), got %ld", choose[i].want,
		   choose[i].offers, choose[i].expect, choose[i].why, got);
	}
}

static void test_host(void)
{
	struct registry_platform p;
	struct err e;
	ok(registry_platform_host(&p, &e) == 0 && !strcmp(p.os, "linux") &&
	   (!strcmp(p.arch, "amd64") || !strcmp(p.arch, "arm64") || !strcmp(p.arch, "arm") ||
	    p.arch[0]), "host platform: linux/%s", p.arch);
}

/* ---- manifests ---- */

#define DESC(mt, size) "{\"mediaType\":\"" mt "\",\"digest\":\"" D64 "\",\"size\":" #size "}"
#define CFG DESC("application/vnd.oci.image.config.v1+json", 10)
#define GZ DESC("application/vnd.oci.image.layer.v1.tar+gzip", 20)

static const struct mcase {
	const char *doc, *ctype;
	int ok;
	int kind;
	size_t n;
	const char *err;   /* substring of the message */
	const char *why;
} mans[] = {
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\",\"config\":" CFG
	  ",\"layers\":[" GZ "," GZ "]}", NULL, 1, REGISTRY_IMAGE, 2, NULL, "OCI manifest, 2 layers" },
	{ "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":[]}", NULL, 1, REGISTRY_IMAGE, 0, NULL,
	  "no mediaType: recognised by shape" },
	{ "{\"schemaVersion\":2,\"config\":" DESC(REGISTRY_MT_DOCKER_CONFIG, 5) ",\"layers\":["
	  DESC("application/vnd.docker.image.rootfs.diff.tar.gzip", 7) "]}",
	  REGISTRY_MT_DOCKER_MANIFEST "; charset=utf-8", 1, REGISTRY_IMAGE, 1, NULL,
	  "Docker schema 2 from the Content-Type, parameters ignored" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_DOCKER_LIST "\",\"manifests\":["
	  "{\"mediaType\":\"" REGISTRY_MT_DOCKER_MANIFEST "\",\"digest\":\"" D64 "\",\"size\":3,"
	  "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}", NULL, 1,
	  REGISTRY_INDEX, 1, NULL, "Docker manifest list" },
	{ "{\"schemaVersion\":2,\"manifests\":[]}", NULL, 1, REGISTRY_INDEX, 0, NULL,
	  "OCI index by shape" },
	{ "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL, 0, 0, 0,
	  "unsupported legacy manifest (schema 1)", "schema 1 by schemaVersion" },
	{ "{}", REGISTRY_MT_DOCKER_V1_SIGNED, 0, 0, 0, "unsupported legacy manifest (schema 1)",
	  "schema 1 by Content-Type" },
	{ "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":["
	  DESC("application/vnd.oci.image.layer.v1.tar+zstd", 1) "]}", NULL, 0, 0, 0,
	  "layer 1: unsupported media type 'application/vnd.oci.image.layer.v1.tar+zstd'",
	  "zstd layers are named and refused" },
	{ "{\"schemaVersion\":2,\"config\":" DESC("application/vnd.cncf.helm.config.v1+json", 1)
	  ",\"layers\":[]}", NULL, 0, 0, 0, "not a container image", "helm chart refused" },
	{ "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha512:abc\",\"size\":1},\"layers\":[]}",
	  NULL, 0, 0, 0, "config: unsupported digest algorithm", "sha512 refused" },
	{ "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:ABC\",\"size\":1},\"layers\":[]}",
	  NULL, 0, 0, 0, "config: digest is not sha256", "malformed digest" },
	{ "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":[{\"mediaType\":"
	  "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" D64 "\",\"size\":-1}]}", NULL,
	  0, 0, 0, "layer 1: no valid size", "negative size" },
	{ "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":[" GZ ",", NULL, 0, 0, 0,
	  "invalid JSON at byte", "truncated JSON" },
	{ "[]", NULL, 0, 0, 0, "not a JSON object", "an array" },
	{ "{\"schemaVersion\":3,\"config\":" CFG ",\"layers\":[]}", NULL, 0, 0, 0,
	  "schemaVersion is not 2", "schema 3" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"text/html\"}", NULL, 0, 0, 0,
	  "unsupported manifest media type 'text/html'", "unknown type" },
	{ "{\"schemaVersion\":2}", NULL, 0, 0, 0, "neither an image manifest nor an index",
	  "nothing to go by" },
	{ "{\"schemaVersion\":2,\"config\":" CFG ",\"layers\":{}}", NULL, 0, 0, 0,
	  "no layers array", "layers not an array" },
};

static void test_manifests(void)
{
	for (size_t i = 0; i < sizeof mans / sizeof mans[0]; i++) {
		const struct mcase *c = &mans[i];
		struct registry_manifest *m = NULL;
		struct err e = { 0 };
		size_t n = strlen(c->doc);
		char *copy = malloc(n ? n : 1);
		int rc;

		memcpy(copy, c->doc, n);
		rc = registry_manifest_parse(copy, n, c->ctype, &m, &e);
		if (c->ok)
			ok(rc == 0 && m && (int)m->kind == c->kind && m->n == c->n,
			   "manifest: %s (%s)", c->why, rc ? e.msg : "ok");
		else
			ok(rc < 0 && !m && strstr(e.msg, c->err), "manifest refused: %s: %s", c->why,
			   e.msg);
		registry_manifest_free(m);
		free(copy);
	}
}

static void test_index_choose(void)
{
	static const char doc[] =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\",\"digest\":\"" D64 "\",\"size\":1,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		"{\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\",\"digest\":\"" D64 "\",\"size\":1,"
		"\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
		"{\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\",\"digest\":\"" D64 "\",\"size\":1,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"aarch64\",\"variant\":\"v8\"}}]}";
	struct registry_manifest *m = NULL;
	struct registry_platform p;
	struct err e;
	size_t pick = 99;

	ok(registry_manifest_parse(doc, strlen(doc), NULL, &m, &e) == 0 && m->n == 3,
	   "index with an attestation entry parses");
	registry_platform_parse("linux/arm64", 11, &p, &e);
	ok(m && registry_index_choose(m, &p, &pick, &e) == 0 && pick == 2,
	   "arm64 picks entry 3 (aarch64/v8 normalised)");
	registry_platform_parse("linux/s390x", 11, &p, &e);
	ok(m && registry_index_choose(m, &p, &pick, &e) < 0 &&
	   !strcmp(e.msg, "no image for linux/s390x in the index; it offers linux/amd64, linux/arm64"),
	   "no match lists the offers, not unknown/unknown: %s", e.msg);
	registry_manifest_free(m);
}

/* ---- auth files ---- */

/* base64("alice:s3cret") = YWxpY2U6czNjcmV0, ("bob:pw") = Ym9iOnB3,
 * ("hub:x") = aHViOng=, ("deep:y") = ZGVlcDp5 */
static const char authfile[] =
	"{\"auths\":{"
	"\"r.example:5000\":{\"auth\":\"YWxpY2U6czNjcmV0\"},"
	"\"r.example:5000/team\":{\"auth\":\"Ym9iOnB3\"},"
	"\"r.example:5000/team/app/deep\":{\"auth\":\"ZGVlcDp5\"},"
	"\"https://index.docker.io/v1/\":{\"auth\":\"aHViOng=\"},"
	"\"empty.example\":{},"
	"\"bad.example\":{\"auth\":\"!!!!\"}}}";

static const struct acase {
	const char *registry, *path, *user, *pass;
	const char *why;
} auths[] = {
	{ "r.example:5000", "other/x", "alice", "s3cret", "host key" },
	{ "r.example:5000", "team/app", "bob", "pw", "host/namespace key is more specific" },
	{ "r.example:5000", "team/app/deep", "deep", "y", "the full path wins" },
	{ "r.example:5000", "teamx/app", "alice", "s3cret", "a prefix must end at a '/'" },
	{ "docker.io", "library/busybox", "hub", "x", "the legacy Docker Hub URL key" },
	{ "r.example", "x", NULL, NULL, "another port is another registry" },
	{ "empty.example", "x", NULL, NULL, "an entry without auth (credential store)" },
	{ "bad.example", "x", NULL, NULL, "undecodable auth is ignored" },
};

static void test_auth_files(void)
{
	char helper[64];

	for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
		struct auth_creds c = { 0 };
		struct err e;
		int rc = auth_file_lookup(authfile, strlen(authfile), 0, auths[i].registry,
					  auths[i].path, &c, helper, &e);
		if (auths[i].user)
			ok(rc == 1 && !strcmp(c.user, auths[i].user) && !strcmp(c.pass, auths[i].pass),
			   "auth file: %s/%s -> %s (%s)", auths[i].registry, auths[i].path,
			   auths[i].user, auths[i].why);
		else
			ok(rc == 0 && !c.set, "auth file: %s/%s: none (%s)", auths[i].registry,
			   auths[i].path, auths[i].why);
	}
	{
		struct auth_creds c = { 0 };
		struct err e;
		ok(auth_file_lookup("{\"auths\":[]}", 12, 0, "x", "y", &c, helper, &e) < 0,
		   "auths that is not an object is an error");
		ok(auth_file_lookup("{", 1, 0, "x", "y", &c, helper, &e) < 0 &&
			   strstr(e.msg, "invalid JSON"), "a broken auth file is an error");
		ok(auth_file_lookup("{}", 2, 0, "x", "y", &c, helper, &e) == 0, "no auths: nothing");
	}
}

/* Docker's order inside one file: credHelpers for the registry, then the
 * file's own auths, then credsStore; and the legacy ~/.dockercfg shape. */
static const struct hcase {
	const char *file;
	int legacy;
	const char *registry;
	int want;
	const char *got, *why;
} helper_cases[] = {
	{ "{\"credHelpers\":{\"r.example\":\"pass\"},\"auths\":{\"r.example\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}",
	  0, "r.example", 2, "pass", "credHelpers wins over auths" },
	{ "{\"credHelpers\":{\"other.example\":\"pass\"},\"auths\":{\"r.example\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}",
	  0, "r.example", 1, "alice", "a helper for another registry does not apply" },
	{ "{\"credsStore\":\"secretservice\",\"auths\":{\"r.example\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}",
	  0, "r.example", 1, "alice", "auths before credsStore" },
	{ "{\"credsStore\":\"secretservice\",\"auths\":{\"https://index.docker.io/v1/\":{}}}",
	  0, "docker.io", 2, "secretservice", "credsStore for an entry without auth (docker login's)" },
	{ "{\"credsStore\":\"\"}", 0, "docker.io", 0, "", "an empty credsStore is none" },
	{ "{\"credHelpers\":{\"r.example\":\"../evil\"}}", 0, "r.example", -1, "",
	  "a helper name with a path is refused" },
	{ "{\"r.example\":{\"auth\":\"YWxpY2U6czNjcmV0\",\"email\":\"x\"}}", 1, "r.example", 1,
	  "alice", "~/.dockercfg: entries at the top level" },
	{ "{\"auths\":{\"r.example\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}", 1, "r.example", 0, "",
	  "~/.dockercfg has no auths wrapper: 'auths' is just a registry name there" },
};

static void test_auth_helpers_in_files(void)
{
	for (size_t i = 0; i < sizeof helper_cases / sizeof helper_cases[0]; i++) {
		const struct hcase *h = &helper_cases[i];
		struct auth_creds c = { 0 };
		struct err e;
		char helper[64] = "";
		int rc = auth_file_lookup(h->file, strlen(h->file), h->legacy, h->registry, "x/y", &c,
					  helper, &e);
		const char *got = rc == 2 ? helper : rc == 1 ? c.user : "";
		ok(rc == h->want && !strcmp(got, h->got), "auth file: %s (%d %s)", h->why, rc,
		   rc < 0 ? e.msg : got);
	}
}

static void test_identity_tokens(void)
{
	struct auth_creds c = { 0 };
	struct err e = { 0 };
	char helper[64] = "";
	static const char file[] = "{\"auths\": {\"r.example\": {\"auth\": \"Ym9iOg==\", "
		"\"identitytoken\": \"rt-1\"}, \"s.example\": {\"identitytoken\": \"\", "
		"\"auth\": \"Ym9iOnB3\"}}}";

	static const char answer[] = "{\"Username\":\"<token>\",\"Secret\":\"refresh\"}";

	ok(auth_helper_parse(answer, strlen(answer), &c, &e) == 0 &&
	   c.set && c.identity && !strcmp(c.pass, "refresh"), "helper answer: an identity token");
	ok(auth_file_lookup(file, strlen(file), 0, "r.example", "x/y", &c, helper, &e) == 1 &&
	   c.identity && !strcmp(c.pass, "rt-1"), "auth file: identitytoken wins over auth");
	ok(auth_file_lookup(file, strlen(file), 0, "s.example", "x/y", &c, helper, &e) == 1 &&
	   !c.identity && !strcmp(c.user, "bob") && !strcmp(c.pass, "pw"),
	   "auth file: an empty identitytoken is none");
}

static void test_helper_answers(void)
{
	static const struct { const char *out, *user, *msg, *why; } cases[] = {
		{ "{\"ServerURL\":\"r.example\",\"Username\":\"bob\",\"Secret\":\"s3\"}", "bob", NULL,
		  "a credentials document" },
		{ "{\"Username\":\"bob\"}", NULL, "its answer has no Username and Secret", "no Secret" },
		{ "hunter2 is my password\n", NULL, "its answer is not a JSON object",
		  "garbage, never quoted" },
		{ "[1]", NULL, "its answer is not a JSON object", "an array" },
		{ "{\"Username\":\"a:b\",\"Secret\":\"x\"}", NULL,
		  "its Username or Secret is empty, too long or holds ':'", "':' in the user" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct auth_creds c;
		struct err e = { 0 };
		int rc = auth_helper_parse(cases[i].out, strlen(cases[i].out), &c, &e);
		if (cases[i].user)
			ok(rc == 0 && c.set && !strcmp(c.user, cases[i].user) && !strcmp(c.pass, "s3"),
			   "helper answer: %s", cases[i].why);
		else
			ok(rc < 0 && !c.set && !strcmp(e.msg, cases[i].msg) && !strstr(e.msg, "hunter2"),
			   "helper answer refused: %s: %s", cases[i].why, e.msg);
	}
}

static void test_creds_option(void)
{
	struct auth_creds c;
	struct err e = { 0 };

	ok(auth_creds_from_option("u:p:q", 0, &c, &e) == 0 && !strcmp(c.user, "u") &&
	   !strcmp(c.pass, "p:q") && c.set, "--creds splits at the first ':'");
	ok(auth_creds_from_option(":p", 0, &c, &e) < 0 && e.status == EXIT_USAGE,
	   "--creds with an empty user is a usage error");
	ok(auth_creds_from_option("u:", 0, &c, &e) == 0 && !strcmp(c.pass, ""),
	   "--creds u: is an empty password, not a prompt");
	ok(auth_creds_from_option("u:p", 1, &c, &e) < 0 && e.status == EXIT_USAGE &&
		   !strcmp(e.msg, "--password-stdin: --creds already holds a password"),
	   "--password-stdin with an inline password is a usage error");

	/* --password-stdin: one line of standard input, newline and CR dropped */
	int p[2], saved = dup(0);
	if (pipe(p) == 0) {
		if (write(p[1], "pw with spaces\r\nnext line\n", 27) != 27)
			p[1] = -1;
		close(p[1]);
		dup2(p[0], 0);
		close(p[0]);
		ok(auth_creds_from_option("u", 1, &c, &e) == 0 && !strcmp(c.pass, "pw with spaces"),
		   "--password-stdin reads the first line: '%s'", c.pass);
		dup2(saved, 0);
	}
	close(saved);
}

int main(void)
{
	test_normalize();
	test_bad_platform();
	test_choose();
	test_host();
	test_manifests();
	test_index_choose();
	test_auth_files();
	test_auth_helpers_in_files();
	test_helper_answers();
	test_identity_tokens();
	test_creds_option();
	return tap_done();
}
