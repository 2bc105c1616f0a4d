/* Unit tests for src/imgref.c. */
#include "imgref.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parse from an exact-size heap copy so a sanitizer catches reads past
 * the end: the parser must not rely on a NUL. */
static int parse_exact(struct imgref *r, const char *s, struct err *e)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, s, n);
	rc = imgref_parse(r, copy, n, e);
	free(copy);
	return rc;
}

static const struct rcase {
	const char *in;
	enum imgref_transport t;
	const char *registry, *path, *tag, *digest, *file;
	int insecure, has_name;
	const char *why;
} good[] = {
	{ "busybox", IMGREF_REGISTRY, "docker.io", "library/busybox", "latest", "", "", 0, 1,
	  "bare name: docker.io, library/, latest" },
	{ "library/busybox", IMGREF_REGISTRY, "docker.io", "library/busybox", "latest", "", "", 0, 1,
	  "library/ given explicitly" },
	{ "docker.io/busybox", IMGREF_REGISTRY, "docker.io", "library/busybox", "latest", "", "", 0, 1,
	  "docker.io with one component gets library/" },
	{ "index.docker.io/busybox:1.36", IMGREF_REGISTRY, "docker.io", "library/busybox", "1.36", "", "", 0, 1,
	  "index.docker.io normalised to docker.io" },
	{ "gscrivano/etcd", IMGREF_REGISTRY, "docker.io", "gscrivano/etcd", "latest", "", "", 0, 1,
	  "two components on the Hub: no library/" },
	{ "localhost/x", IMGREF_REGISTRY, "localhost", "x", "latest", "", "", 0, 1,
	  "localhost is a registry even without port or dot" },
	{ "localhost:5000/a/b:t", IMGREF_REGISTRY, "localhost:5000", "a/b", "t", "", "", 0, 1,
	  "registry with port, nested path, tag" },
	{ "localhost:5000", IMGREF_REGISTRY, "docker.io", "library/localhost", "5000", "", "", 0, 1,
	  "no slash: 'localhost:5000' is name:tag, as in docker" },
	{ "127.0.0.1:5000/x", IMGREF_REGISTRY, "127.0.0.1:5000", "x", "latest", "", "", 0, 1,
	  "IPv4 registry: no library/ outside docker.io" },
	{ "[::1]:5000/x:y", IMGREF_REGISTRY, "[::1]:5000", "x", "y", "", "", 0, 1,
	  "bracketed IPv6 registry with port" },
	{ "[fe80::1]/x", IMGREF_REGISTRY, "[fe80::1]", "x", "latest", "", "", 0, 1,
	  "bracketed IPv6 registry without port" },
	{ "quay.io/coreos/etcd:v3.5.0", IMGREF_REGISTRY, "quay.io", "coreos/etcd", "v3.5.0", "", "", 0, 1,
	  "third-party registry keeps the path as is" },
	{ "Quay.IO/coreos/etcd", IMGREF_REGISTRY, "Quay.IO", "coreos/etcd", "latest", "", "", 0, 1,
	  "hostnames may have uppercase (only the path must be lowercase)" },
	{ "busybox@sha256:" H64, IMGREF_REGISTRY, "docker.io", "library/busybox", "", "sha256:" H64, "", 0, 1,
	  "digest only: no default tag" },
	{ "busybox:1.36@sha256:" H64, IMGREF_REGISTRY, "docker.io", "library/busybox", "1.36", "sha256:" H64, "", 0, 1,
	  "tag and digest: both kept" },
	{ "localhost:5000/x@sha256:" H64, IMGREF_REGISTRY, "localhost:5000", "x", "", "sha256:" H64, "", 0, 1,
	  "port colon is not taken for a tag before a digest" },
	{ "x/a__b/c---d/e.f/g_h", IMGREF_REGISTRY, "docker.io", "x/a__b/c---d/e.f/g_h", "latest", "", "", 0, 1,
	  "every separator form of the path grammar" },
	{ "docker://busybox", IMGREF_REGISTRY, "docker.io", "library/busybox", "latest", "", "", 0, 1,
	  "docker:// is the registry transport" },
	{ "docker://docker:latest", IMGREF_REGISTRY, "docker.io", "library/docker", "latest", "", "", 0, 1,
	  "docker:// disambiguates the image called docker" },
	{ "http:localhost:5000/x", IMGREF_REGISTRY, "localhost:5000", "x", "latest", "", "", 1, 1,
	  "http: is Atomic's insecure registry prefix" },
	{ "http://localhost:5000/x", IMGREF_REGISTRY, "localhost:5000", "x", "latest", "", "", 1, 1,
	  "http:// accepted too" },
	{ "dockertar:/tmp/x.tar", IMGREF_DOCKER_ARCHIVE, "", "", "", "", "/tmp/x.tar", 0, 0,
	  "dockertar: path only" },
	{ "dockertar:/tmp/a:b.tar", IMGREF_DOCKER_ARCHIVE, "", "", "", "", "/tmp/a:b.tar", 0, 0,
	  "dockertar: takes the path verbatim, colons included" },
	{ "docker-archive:/tmp/x.tar", IMGREF_DOCKER_ARCHIVE, "", "", "", "", "/tmp/x.tar", 0, 0,
	  "docker-archive: without a name" },
	{ "docker-archive:/tmp/x.tar:name:tag", IMGREF_DOCKER_ARCHIVE, "docker.io", "library/name", "tag", "", "/tmp/x.tar", 0, 1,
	  "docker-archive: name and tag after .tar:" },
	{ "docker-archive:/tmp/x.tar:quay.io/a/b", IMGREF_DOCKER_ARCHIVE, "quay.io", "a/b", "latest", "", "/tmp/x.tar", 0, 1,
	  "docker-archive: qualified name, default tag" },
	{ "docker-archive:/a:b/x.tgz", IMGREF_DOCKER_ARCHIVE, "", "", "", "", "/a:b/x.tgz", 0, 0,
	  "docker-archive: no .tar: means all of it is the path" },
	{ "oci:/d:t", IMGREF_OCI, "", "", "t", "", "/d", 0, 0,
	  "oci: dir and tag" },
	{ "oci:/d", IMGREF_OCI, "", "", "", "", "/d", 0, 0,
	  "oci: without tag leaves the tag empty" },
	{ "oci-archive:img.tar:1.0", IMGREF_OCI_ARCHIVE, "", "", "1.0", "", "img.tar", 0, 0,
	  "oci-archive: relative file and tag" },
	{ "docker:busybox", IMGREF_DOCKER_DAEMON, "docker.io", "library/busybox", "latest", "", "", 0, 1,
	  "docker: local engine" },
	{ "docker:latest", IMGREF_DOCKER_DAEMON, "docker.io", "library/latest", "latest", "", "", 0, 1,
	  "the prefix wins, as in Atomic: docker:latest is the engine's 'latest'" },
	/* upper case in the first of several components names a registry host */
	{ "LOCALDOMAIN/debian", IMGREF_REGISTRY, "LOCALDOMAIN", "debian", "latest", "", "", 0, 1,
	  "an upper-case one-word first component is a registry host, not a Hub user" },
	{ "Foo/bar:v1", IMGREF_REGISTRY, "Foo", "bar", "v1", "", "", 0, 1,
	  "one upper-case letter is enough; no library/ outside docker.io" },
	{ "myHost/a/b@sha256:" H64, IMGREF_REGISTRY, "myHost", "a/b", "", "sha256:" H64, "", 0, 1,
	  "upper-case host with a nested path and a digest" },
	{ "Reg-1/x", IMGREF_REGISTRY, "Reg-1", "x", "latest", "", "", 0, 1,
	  "an upper-case host may hold '-' like any host label" },
	{ "localdomain/debian", IMGREF_REGISTRY, "docker.io", "localdomain/debian", "latest", "", "", 0, 1,
	  "the same word in lower case is a Hub namespace" },
	{ "http:LOCALDOMAIN/x", IMGREF_REGISTRY, "LOCALDOMAIN", "x", "latest", "", "", 1, 1,
	  "an upper-case host behind Atomic's insecure prefix" },
	{ "docker-archive:/a.tar:LOCALDOMAIN/x:t", IMGREF_DOCKER_ARCHIVE, "LOCALDOMAIN", "x", "t", "", "/a.tar", 0, 1,
	  "an upper-case host in a docker-archive: name" },
	/* only a bare 64-hex name is taken for an image ID */
	{ H64 ":v1", IMGREF_REGISTRY, "docker.io", "library/" H64, "v1", "", "", 0, 1,
	  "64 hex digits with a tag are a name" },
	{ H64 "@sha256:" H64, IMGREF_REGISTRY, "docker.io", "library/" H64, "", "sha256:" H64, "", 0, 1,
	  "64 hex digits with a digest are a name" },
	{ "library/" H64, IMGREF_REGISTRY, "docker.io", "library/" H64, "latest", "", "", 0, 1,
	  "64 hex digits under a namespace are a name" },
	{ "docker.io/" H64, IMGREF_REGISTRY, "docker.io", "library/" H64, "latest", "", "", 0, 1,
	  "64 hex digits after a registry are a name" },
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", IMGREF_REGISTRY,
	  "docker.io", "library/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	  "latest", "", "", 0, 1, "63 hex digits are a name: an image ID has 64" },
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefa", IMGREF_REGISTRY,
	  "docker.io", "library/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefa",
	  "latest", "", "", 0, 1, "65 hex digits are a name" },
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", IMGREF_REGISTRY,
	  "docker.io", "library/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	  "latest", "", "", 0, 1, "64 characters with one that is not hex are a name" },
};

static const struct bcase {
	const char *in;
	const char *msg;
	const char *why;
} bad[] = {
	{ "", "empty image name", "empty input" },
	{ "docker://", "empty image name", "empty after a prefix" },
	{ "Busybox", "repository name must be lowercase", "uppercase single component" },
	{ "Busybox:1", "repository name must be lowercase", "uppercase single component with a tag" },
	{ "quay.io/Coreos/etcd", "repository name must be lowercase", "uppercase after a registry" },
	{ "foo/Bar", "repository name must be lowercase", "uppercase in a later component of a Hub name" },
	{ "Foo/Bar", "repository name must be lowercase", "an upper-case host does not excuse the path" },
	{ "My_Org/app", "repository name must be lowercase",
	  "an upper-case first component that is no host is a path, and not lower case" },
	{ "Foo-/x", "invalid repository name component 'Foo-'",
	  "no host (a label ends in '-') and no path component either: named as such" },
	{ "Bad-/Name", "invalid repository name component 'Bad-'",
	  "a component invalid even in lower case is named, not called upper case" },
	{ "Foo..com/x", "invalid registry 'Foo..com'", "with a '.', a bad host is a bad registry" },
	{ "LOCALDOMAIN:0/x", "invalid registry 'LOCALDOMAIN:0'", "the port rule holds for upper-case hosts" },
	{ "[abc]/x", "invalid repository name component '[abc]'",
	  "brackets without ':' name no IPv6 host (Docker reads a path)" },
	/* a bare 64-hex name cannot be told from an image ID */
	{ H64, "looks like an image ID (64 hex digits), not a repository name", "bare 64 hex digits" },
	{ "docker://" H64, "looks like an image ID", "the same after docker://" },
	{ "http:" H64, "looks like an image ID", "the same after http:" },
	{ "docker:" H64, "looks like an image ID", "the same after docker:" },
	{ "docker-archive:/x.tar:" H64, "looks like an image ID", "the same as a docker-archive: name" },
	{ "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  "repository name must be lowercase", "64 hex digits in upper case: a name, not lower case" },
	{ "a:b:c", "invalid repository name component 'a:b'", "two colons without a registry" },
	{ "x@sha256:short", "64 lowercase hex", "short digest" },
	{ "x@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  "64 lowercase hex", "uppercase hex digest" },
	{ "x@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm 'md5'",
	  "other algorithms are named" },
	{ "x@sha512:" H64 H64, "unsupported digest algorithm 'sha512'", "sha512 is not supported" },
	{ "x@" H64, "lacks an algorithm", "digest without algorithm" },
	{ "x@", "lacks an algorithm", "empty digest" },
	{ ":tag", "missing repository name", "tag without a name" },
	{ "@sha256:" H64, "missing repository name", "digest without a name" },
	{ "a//b", "empty component", "double slash" },
	{ "a/", "empty component", "trailing slash" },
	{ "/a", "empty component", "leading slash" },
	{ "quay.io/", "missing repository name", "registry without path" },
	{ "x:", "invalid tag ''", "empty tag" },
	{ "x:-a", "invalid tag", "tag starting with '-'" },
	{ "x:.a", "invalid tag", "tag starting with '.'" },
	{ "x:a+b", "invalid tag", "tag with '+'" },
	{ "x:" "a123456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345678",
	  "invalid tag", "tag of 129 characters" },
	{ "a..b", "invalid repository name component", "double dot in a component" },
	{ "a___b", "invalid repository name component", "triple underscore" },
	{ "a._b", "invalid repository name component", "mixed separators" },
	{ "-a", "invalid repository name component", "component starting with a separator" },
	{ "a-", "invalid repository name component", "component ending with a separator" },
	{ "a b", "invalid repository name component", "space" },
	{ "a..b/x", "invalid registry 'a..b'", "registry with an empty label" },
	{ "-a.com/x", "invalid registry", "registry label starting with '-'" },
	{ "a_b.com/x", "invalid registry", "underscore in a hostname" },
	{ "a:b/c", "invalid registry 'a:b'", "non-numeric port" },
	{ "a.com:/c", "invalid registry", "empty port" },
	{ "a.com:65536/c", "invalid registry", "port out of range" },
	{ "a.com:0/c", "invalid registry", "port zero" },
	{ "[::1/x", "invalid registry", "unclosed IPv6 bracket" },
	{ "[]:5000/x", "invalid registry", "empty IPv6 brackets" },
	{ "[::g]/x", "invalid registry", "non-hex in IPv6" },
	{ "[::1]x/y", "invalid registry", "junk after IPv6 bracket" },
	{ "dockertar:", "missing path after 'dockertar:'", "dockertar: without path" },
	{ "oci:", "missing path after 'oci:'", "oci: without path" },
	{ "oci::t", "missing path after 'oci:'", "oci: with a tag but no path" },
	{ "oci:/d:", "invalid tag", "oci: with an empty tag" },
	{ "oci:/d:a:b", "invalid tag", "oci: path ends at the first ':'" },
	{ "oci-archive:", "missing path after 'oci-archive:'", "oci-archive: without path" },
	{ "docker-archive:/x.tar:", "missing image name", "docker-archive: empty name" },
	{ "docker-archive:/x.tar:a@sha256:" H64, "not a digest", "docker-archive: digest refused" },
	{ "docker-archive:/x.tar:UP", "must be lowercase", "docker-archive: name checked" },
	{ "docker:", "empty image name", "docker: without a name" },
	{ "docker:a@sha256:" H64, "not a digest", "docker: digest refused" },
	{ "http:", "empty image name", "http: without a name" },
};

static void test_good(void)
{
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		const struct rcase *c = &good[i];
		struct imgref r;
		struct err e = { 0 };
		int rc = parse_exact(&r, c->in, &e);

		ok(rc == 0 && r.transport == c->t && strcmp(r.registry, c->registry) == 0 &&
		   strcmp(r.path, c->path) == 0 && strcmp(r.tag, c->tag) == 0 &&
		   strcmp(r.digest, c->digest) == 0 && strcmp(r.file, c->file) == 0 &&
		   r.insecure == c->insecure && r.has_name == c->has_name,
		   "'%s': %s [%s|%s|%s|%s|%s] %s", c->in, c->why, r.registry, r.path,
		   r.tag, r.digest, r.file, rc ? e.msg : "");
	}
}

static void test_bad(void)
{
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct imgref r;
		struct err e = { 0 };
		int rc = parse_exact(&r, bad[i].in, &e);
		char want[1100];

		snprintf(want, sizeof want, "invalid image reference '%s': ", bad[i].in);
		ok(rc == -1 && e.status == EXIT_USAGE && strstr(e.msg, bad[i].msg) &&
		   strncmp(e.msg, want, strlen(want)) == 0,
		   "rejects '%s': %s (%s)", bad[i].in, bad[i].why, e.msg);
	}
}

static void test_lengths(void)
{
	struct imgref r;
	struct err e = { 0 };
	char s[800], src[4096 + IMGREF_FORMAT_MAX + 16];
	size_t n;
	int rc;

	/* The 255-byte limit is on the path after normalisation; the registry
	 * does not count.  Hub user image: "a/" + 253 = 255. */
	memset(s, 'b', sizeof s);
	memcpy(s, "a/", 2);
	s[2 + 253] = '\0';
	ok(parse_exact(&r, s, &e) == 0 && strlen(r.path) == 255 &&
	   strcmp(r.registry, "docker.io") == 0, "Hub path of exactly 255 bytes accepted (%s)", e.msg);
	s[2 + 253] = 'b';
	s[2 + 254] = '\0';
	rc = parse_exact(&r, s, &e);
	ok(rc == -1 && strstr(e.msg, "': repository path longer than 255 bytes") &&
	   !strstr(e.msg, "library/"), "Hub path of 256 bytes rejected (%s)", e.msg);
	/* "library/" counts: 255 - 8 = 247 letters for an official image */
	memset(s, 'c', 247);
	s[247] = '\0';
	ok(parse_exact(&r, s, &e) == 0 && strlen(r.path) == 255,
	   "247-letter Hub name fits with library/ (%s)", e.msg);
	s[247] = 'c';
	s[248] = '\0';
	ok(parse_exact(&r, s, &e) == -1 &&
	   strstr(e.msg, "': repository path longer than 255 bytes (with 'library/')"),
	   "248-letter Hub name does not, and the message says library/ counted (%s)", e.msg);
	/* another registry: 255 path bytes after "quay.io/" are 263 in all */
	memset(s, 'd', sizeof s);
	memcpy(s, "quay.io/a/", 10);
	s[10 + 253] = '\0';
	ok(parse_exact(&r, s, &e) == 0 && strlen(r.path) == 255 && strcmp(r.registry, "quay.io") == 0,
	   "registry + path of 263 bytes accepted: only the path counts (%s)", e.msg);
	s[10 + 253] = 'd';
	s[10 + 254] = '\0';
	ok(parse_exact(&r, s, &e) == -1 && strstr(e.msg, "repository path longer than 255 bytes"),
	   "a 256-byte path after another registry rejected");
	/* the registry has a limit of ours (Docker has none): 255 bytes */
	memset(s, 'h', sizeof s);
	memcpy(s + 251, ".com/x", 7);
	ok(parse_exact(&r, s, &e) == 0 && strlen(r.registry) == 255, "registry of 255 bytes accepted");
	memset(s, 'h', sizeof s);
	memcpy(s + 252, ".com/x", 7);
	ok(parse_exact(&r, s, &e) == -1 && strstr(e.msg, "': registry longer than 255 bytes"),
	   "registry of 256 bytes rejected (%s)", e.msg);
	/* the longest name of all formats within IMGREF_FORMAT_MAX:
	 * 255-byte registry, 255-byte path, 128-byte tag and a digest */
	memset(s, 'h', 251);
	memcpy(s + 251, ".com/", 5);
	memset(s + 256, 'p', 255);
	memcpy(s + 511, ":", 1);
	memset(s + 512, 'T', 128);
	snprintf(s + 640, sizeof s - 640, "@sha256:%s", H64);
	rc = parse_exact(&r, s, &e);
	n = imgref_format_source(&r, src, sizeof src);
	ok(rc == 0 && n == strlen(s) && n < IMGREF_FORMAT_MAX && strcmp(src, s) == 0,
	   "the longest reference (%zu bytes) formats within IMGREF_FORMAT_MAX (%s)", n, e.msg);
	/* tag of exactly 128 */
	memset(s, 't', sizeof s);
	memcpy(s, "x:", 2);
	s[2 + 128] = '\0';
	ok(parse_exact(&r, s, &e) == 0 && strlen(r.tag) == 128, "tag of 128 accepted");
	/* long input is cut in the message */
	memset(s, 'A', sizeof s);
	s[sizeof s - 1] = '\0';
	ok(parse_exact(&r, s, &e) == -1 && strstr(e.msg, "...'") && strlen(e.msg) < 400,
	   "a long reference is cut in the message");
	/* a NUL inside len is refused, not truncated */
	ok(imgref_parse(&r, "busybox\0x", 9, &e) == -1 && strstr(e.msg, "NUL byte"),
	   "NUL byte within len rejected");
	ok(imgref_parse(&r, "dockertar:/a\0b", 14, &e) == -1 && strstr(e.msg, "NUL byte"),
	   "NUL byte in a path rejected");
	/* parse_name: no transport prefixes */
	ok(imgref_parse_name(&r, "oci:/d", 6, &e) == -1, "imgref_parse_name takes no prefix");
	ok(imgref_parse_name(&r, "busybox", 7, &e) == 0 && r.transport == IMGREF_REGISTRY &&
	   strcmp(r.path, "library/busybox") == 0, "imgref_parse_name of a plain name");
	/* only the first len bytes count */
	ok(imgref_parse(&r, "busybox:1.36", 7, &e) == 0 && strcmp(r.tag, "latest") == 0,
	   "bytes after len are ignored");
}

static void test_format(void)
{
	static const struct {
		const char *in, *name, *source, *short_, *defname, *host;
		const char *why;
	} c[] = {
		{ "busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox:latest",
		  "busybox:latest", "busybox", "registry-1.docker.io", "Hub official image" },
		{ "gscrivano/etcd", "docker.io/gscrivano/etcd:latest", "docker.io/gscrivano/etcd:latest",
		  "gscrivano/etcd:latest", "etcd", "registry-1.docker.io", "Hub user image" },
		{ "foo/bar:v2", "docker.io/foo/bar:v2", "docker.io/foo/bar:v2",
		  "foo/bar:v2", "bar-v2", "registry-1.docker.io", "tag other than latest in the name" },
		{ "library/a/b", "docker.io/library/a/b:latest", "docker.io/library/a/b:latest",
		  "library/a/b:latest", "b", "registry-1.docker.io", "library/ kept when deeper" },
		{ "quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd:v3.5.0",
		  "", "etcd-v3.5.0", "quay.io", "other registry: no Atomic short form" },
		{ "busybox@sha256:" H64, "docker.io/library/busybox@sha256:" H64,
		  "docker.io/library/busybox@sha256:" H64, "", "busybox", "registry-1.docker.io",
		  "digest only names the ref by digest" },
		{ "busybox:1@sha256:" H64, "docker.io/library/busybox:1",
		  "docker.io/library/busybox:1@sha256:" H64, "busybox:1", "busybox-1",
		  "registry-1.docker.io", "tag and digest: the tag names the ref" },
		{ "http:localhost:5000/x:y", "localhost:5000/x:y", "http:localhost:5000/x:y", "",
		  "x-y", "localhost:5000", "insecure prefix kept in the source" },
		{ "docker:busybox", "docker.io/library/busybox:latest",
		  "docker:docker.io/library/busybox:latest", "busybox:latest", "busybox",
		  "registry-1.docker.io", "docker engine" },
		{ "dockertar:/tmp/a.tar:x", "", "dockertar:/tmp/a.tar:x", "", "", "",
		  "dockertar without name" },
		{ "docker-archive:/tmp/a.tar:x", "docker.io/library/x:latest",
		  "docker-archive:/tmp/a.tar:docker.io/library/x:latest", "x:latest", "x",
		  "registry-1.docker.io", "docker-archive with name" },
		{ "oci:/d:t", "", "oci:/d:t", "", "", "", "oci dir" },
		{ "oci-archive:/f", "", "oci-archive:/f", "", "", "", "oci archive without tag" },
	};
	size_t i, n;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		struct imgref r, r2;
		struct err e = { 0 };
		char name[IMGREF_FORMAT_MAX], src[4096 + IMGREF_FORMAT_MAX + 16], sh[IMGREF_FORMAT_MAX];
		char def[100];
		int rs;

		parse_exact(&r, c[i].in, &e);
		n = imgref_format(&r, name, sizeof name);
		imgref_format_source(&r, src, sizeof src);
		rs = imgref_atomic_short(&r, sh, sizeof sh);
		imgref_default_name(&r, def, sizeof def);
		ok(strcmp(name, c[i].name) == 0 && n == strlen(name), "%s: name '%s'", c[i].why, name);
		ok(strcmp(src, c[i].source) == 0, "%s: source '%s'", c[i].why, src);
		ok(strcmp(sh, c[i].short_) == 0 && rs == (c[i].short_[0] ? 1 : 0),
		   "%s: Atomic short form '%s'", c[i].why, sh);
		ok(strcmp(def, c[i].defname) == 0, "%s: default name '%s'", c[i].why, def);
		ok(strcmp(imgref_api_host(&r), c[i].host) == 0, "%s: API host", c[i].why);
		ok(imgref_parse(&r2, src, strlen(src), &e) == 0 && memcmp(&r, &r2, sizeof r) == 0,
		   "%s: source form parses back to the same reference", c[i].why);
	}
}

static void test_format_small(void)
{
	struct imgref r;
	struct err e = { 0 };
	char out[10], def[100];
	size_t n;
	char s[300];

	imgref_parse(&r, "quay.io/a/b:c", 13, &e);
	n = imgref_format(&r, out, sizeof out);
	ok(n == strlen("quay.io/a/b:c") && strcmp(out, "quay.io/a") == 0,
	   "imgref_format truncates and reports the full length");
	imgref_parse(&r, "busybox", 7, &e);
	ok(imgref_atomic_short(&r, out, 5) == -1 && out[0] == '\0',
	   "imgref_atomic_short reports a small buffer");
	memset(s, 'a', sizeof s);
	memcpy(s, "x/", 2);
	memcpy(s + 100, ":vvvvvvvvvv", 11);
	s[111] = '\0';
	imgref_parse(&r, s, strlen(s), &e);
	imgref_default_name(&r, def, sizeof def);
	ok(strlen(def) == 64, "default name is cut to 64 bytes");
	imgref_default_name(&r, out, sizeof out);
	ok(strlen(out) == 9, "default name is cut to the buffer");
}

static void test_format_full(void)
{
	static const struct {
		const char *in, *full, *why;
	} c[] = {
		{ "busybox:1@sha256:" H64, "docker.io/library/busybox:1@sha256:" H64,
		  "tag and digest: both kept, where imgref_format keeps the tag only" },
		{ "busybox@sha256:" H64, "docker.io/library/busybox@sha256:" H64, "digest only" },
		{ "busybox", "docker.io/library/busybox:latest", "no digest: the name as imgref_format" },
		{ "http:LOCALDOMAIN/x:y@sha256:" H64, "LOCALDOMAIN/x:y@sha256:" H64,
		  "no transport prefix: a name for lookups" },
		{ "dockertar:/a.tar", "", "no name, nothing" },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		struct imgref r;
		struct err e = { 0 };
		char out[IMGREF_FORMAT_MAX];
		size_t n;

		parse_exact(&r, c[i].in, &e);
		n = imgref_format_full(&r, out, sizeof out);
		ok(strcmp(out, c[i].full) == 0 && n == strlen(out), "full name: %s ('%s')", c[i].why, out);
	}
}

static void test_pinned(void)
{
	static const struct {
		const char *name, *source, *want;
		const char *why;
	} c[] = {
		{ "docker.io/library/x:1", "docker://docker.io/library/x:1@sha256:" H64, "sha256:" H64,
		  "pulled as NAME:TAG@sha256: the tag's ref is pinned" },
		{ "docker.io/library/x:1", "docker://docker.io/library/x:1", "",
		  "pulled by tag alone: not pinned" },
		{ "docker.io/library/x@sha256:" H64, "docker://docker.io/library/x@sha256:" H64,
		  "sha256:" H64, "pulled by digest alone: the name is the pin" },
		{ "docker.io/library/x@sha256:" H64, NULL, "sha256:" H64,
		  "a digest-only name is pinned even with no source recorded" },
		{ "localhost:5000/x:1", "http:localhost:5000/x:1@sha256:" H64, "sha256:" H64,
		  "the insecure http: source form is read too" },
		{ "LOCALDOMAIN/x:1", "docker://LOCALDOMAIN/x:1@sha256:" H64, "sha256:" H64,
		  "an upper-case one-word registry host" },
		{ "x:1", "docker://docker.io/library/x:1@sha256:" H64, "sha256:" H64,
		  "Atomic's short ref name is compared normalised" },
		{ "docker.io/library/y:2", "docker://docker.io/library/x:1@sha256:" H64, "",
		  "another image tagged y:2 (images tag): the pin belongs to x:1" },
		{ "docker.io/library/x:2", "docker://docker.io/library/x:1@sha256:" H64, "",
		  "same repository, another tag: not pinned" },
		{ "docker.io/library/x:1", NULL, "", "no source recorded (Atomic, skopeo): not pinned" },
		{ "docker.io/library/x:1", "docker-archive:/tmp/x.tar", "", "an archive source: not pinned" },
		{ "docker.io/library/x:1", "docker://docker.io/library/x:1@sha256:short", "",
		  "a source that does not parse: not pinned" },
		{ "Bad/Name:1", "docker://docker.io/library/x:1@sha256:" H64, "",
		  "a ref name that does not parse: not pinned" },
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		char d[72] = "junk";
		int rc = imgref_pinned_digest(c[i].name, c[i].source,
					      c[i].source ? strlen(c[i].source) : 0, d);
		ok(rc == (c[i].want[0] != '\0') && strcmp(d, c[i].want) == 0,
		   "pinned digest: %s ('%s')", c[i].why, d);
	}
}

static void test_ostree_encoding(void)
{
	static const struct {
		const char *name, *enc;
		const char *why;
	} c[] = {
		{ "docker.io/library/busybox:latest", "docker.io_2Flibrary_2Fbusybox_3Alatest",
		  "the README example" },
		{ "gscrivano/etcd:latest", "gscrivano_2Fetcd_3Alatest", "Atomic's short form" },
		{ "a_b", "a_5Fb", "underscore itself is escaped" },
		{ "[::1]:5000/x@sha256:ab", "_5B_3A_3A1_5D_3A5000_2Fx_40sha256_3Aab", "brackets and @" },
		{ "Aa.-9", "Aa.-9", "the plain set passes through" },
		{ "\xc3\xa9", "_C3_A9", "high bytes" },
	};
	static const struct {
		const char *enc;
		const char *msg;
		const char *why;
	} badc[] = {
		{ "a_4", "invalid escape", "truncated escape" },
		{ "a_", "invalid escape", "lone underscore at the end" },
		{ "_ZZ", "invalid escape", "non-hex escape" },
		{ "_2f", "invalid escape", "lowercase hex refused: we and Atomic write uppercase" },
		{ "_41", "not how the name would be encoded", "escape of a plain byte" },
		{ "_2D", "not how the name would be encoded", "escape of '-'" },
		{ "_00", "not how the name would be encoded", "escaped NUL" },
		{ "a/b", "invalid character", "raw '/'" },
		{ "a:b", "invalid character", "raw ':'" },
	};
	char out[IMGREF_ENCODED_MAX], back[IMGREF_FORMAT_MAX], all[256];
	struct err e = { 0 };
	size_t i;
	int okall = 1;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		ok(imgref_encode_ostree(c[i].name, out, sizeof out) == 0 &&
		   strcmp(out, c[i].enc) == 0, "encode: %s (%s)", c[i].why, out);
		ok(imgref_decode_ostree(c[i].enc, back, sizeof back, &e) == 0 &&
		   strcmp(back, c[i].name) == 0, "decode: %s", c[i].why);
	}
	for (i = 0; i < sizeof badc / sizeof *badc; i++) {
		ok(imgref_decode_ostree(badc[i].enc, back, sizeof back, &e) == -1 &&
		   strstr(e.msg, badc[i].msg) && e.status == EXIT_FAIL && back[0] == '\0',
		   "decode rejects: %s (%s)", badc[i].why, e.msg);
	}
	/* every byte 0x01..0xff, alone and all together */
	for (i = 1; i < 256; i++) {
		char one[2] = { (char)i, 0 };
		if (imgref_encode_ostree(one, out, sizeof out) < 0 ||
		    imgref_decode_ostree(out, back, sizeof back, &e) < 0 ||
		    strcmp(back, one) != 0 || strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(out))
			okall = 0;
		all[i - 1] = (char)i;
	}
	all[255] = '\0';
	ok(okall, "each byte 0x01..0xff round-trips and encodes to [A-Za-z0-9.-_]");
	ok(imgref_encode_ostree(all, out, sizeof out) == 0 &&
	   imgref_decode_ostree(out, back, sizeof back, &e) == 0 && strcmp(back, all) == 0,
	   "all bytes 0x01..0xff in one name round-trip");
	ok(imgref_encode_ostree("a/b", out, 5) == -1 && out[0] == '\0',
	   "encode: a buffer one byte short fails");
	ok(imgref_encode_ostree("a/b", out, 6) == 0, "encode: exact buffer works");
	ok(imgref_ostree_ref("docker.io/library/busybox:latest", out, sizeof out) == 0 &&
		   !strcmp(out, "ociimage/docker.io_2Flibrary_2Fbusybox_3Alatest"),
	   "the image's ref: ociimage/ and the encoded name");
	ok(imgref_ostree_ref("a/b", out, 14) == -1 && out[0] == '\0' &&
		   imgref_ostree_ref("a/b", out, 15) == 0 && !strcmp(out, "ociimage/a_2Fb"),
	   "the image's ref: one byte short fails, the exact buffer works");
	ok(imgref_decode_ostree("a_2Fb", back, 3, &e) == -1 && strstr(e.msg, "too long"),
	   "decode: a buffer one byte short fails");
	ok(imgref_decode_ostree("a_2Fb", back, 4, &e) == 0, "decode: exact buffer works");
	ok(imgref_decode_ostree("", back, sizeof back, &e) == 0 && back[0] == '\0',
	   "decode: empty ref");
}

int main(void)
{
	test_good();
	test_bad();
	test_lengths();
	test_format();
	test_format_small();
	test_format_full();
	test_pinned();
	test_ostree_encoding();
	return tap_done();
}
