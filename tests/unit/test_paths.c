/* Path resolution and precedence (DESIGN.md "Paths and their precedence"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "tap.h"

static char tmp[256];

static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof p, "%s%s", tmp, rel);
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
}

struct row {
	const char *why;
	struct paths_input in;
	const char *repo, *checkout;
	enum repo_source src;
};

int main(void)
{
	struct paths p;
	struct err e;
	char host[PATH_MAX], root[300], ck[300], tgt[PATH_MAX];

	snprintf(tmp, sizeof tmp, "/tmp/sc-paths-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;

	const struct row rows[] = {
		/* nothing given: the private repo inside the default CHECKOUT */
		{ "defaults", { 0 }, "/var/lib/containers/atomic/.storage/ostree",
		  "/var/lib/containers/atomic", REPO_PRIVATE },
		/* $ATOMIC_OSTREE_CHECKOUT_PATH moves CHECKOUT and the private repo */
		{ "env checkout", { .env_checkout = "/srv/ck" }, "/srv/ck/.storage/ostree", "/srv/ck", REPO_PRIVATE },
		/* $ATOMIC_OSTREE_REPO beats the private default */
		{ "env repo", { .env_repo = "/ostree/repo" }, "/ostree/repo",
		  "/var/lib/containers/atomic", REPO_FROM_ENV },
		/* --repo beats $ATOMIC_OSTREE_REPO */
		{ "--repo beats env", { .repo = "/r", .env_repo = "/ostree/repo" }, "/r",
		  "/var/lib/containers/atomic", REPO_FROM_OPTION },
		/* a trailing slash is the same directory */
		{ "trailing slash", { .repo = "/r/" }, "/r", "/var/lib/containers/atomic", REPO_FROM_OPTION },
		/* an empty environment variable counts as unset */
		{ "empty env", { .env_repo = "", .env_checkout = "" },
		  "/var/lib/containers/atomic/.storage/ostree", "/var/lib/containers/atomic", REPO_PRIVATE },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct paths_input in = rows[i].in;
		snprintf(root, sizeof root, "%s/none", tmp);   /* a root with nothing recorded */
		in.root = root;
		int r = paths_resolve(&p, &in, &e);
		ok(r == 0, "%s: resolves", rows[i].why);
		ok(!strcmp(p.repo, rows[i].repo), "%s: repo %s", rows[i].why, p.repo);
		ok(!strcmp(p.checkout, rows[i].checkout), "%s: checkout %s", rows[i].why, p.checkout);
		ok(p.repo_source == rows[i].src, "%s: source", rows[i].why);
	}

	/* relative paths are usage errors naming the option */
	struct paths_input rel = { .repo = "repo" };
	ok(paths_resolve(&p, &rel, &e) < 0 && e.status == EXIT_USAGE &&
	   !strcmp(e.msg, "--repo 'repo': must be an absolute path"), "relative --repo: %s", e.msg);
	struct paths_input relroot = { .root = "sysroot" };
	ok(paths_resolve(&p, &relroot, &e) < 0 && e.status == EXIT_USAGE, "relative --root refused");

	/* everything resolves under --root; the target path stays as seen inside */
	snprintf(root, sizeof root, "%s/sysroot", tmp);
	struct paths_input r1 = { .root = root };
	ok(paths_resolve(&p, &r1, &e) == 0, "under --root");
	paths_host(&p, p.repo, host, &e);
	snprintf(tgt, sizeof tgt, "%s/var/lib/containers/atomic/.storage/ostree", root);
	ok(!strcmp(host, tgt), "host path of the private repo under --root: %s", host);

	/* paths_prepare creates CHECKOUT and .storage 0700 and records the choice */
	ok(paths_prepare(&p, &e) == 0, "prepare: %s", e.msg);
	struct stat st;
	paths_host(&p, p.checkout, host, &e);
	ok(stat(host, &st) == 0 && (st.st_mode & 07777) == 0700, "CHECKOUT is 0700");
	snprintf(ck, sizeof ck, "%s/.storage", host);
	ok(stat(ck, &st) == 0 && (st.st_mode & 07777) == 0700, ".storage is 0700");

	/* the recorded choice wins over the private default... */
	snprintf(ck, sizeof ck, "%s/sysroot/var/lib/containers/atomic/.storage/repo-path", tmp);
	put(ck + strlen(tmp), "/ostree/repo\n");
	ok(paths_resolve(&p, &r1, &e) == 0 && !strcmp(p.repo, "/ostree/repo") &&
	   p.repo_source == REPO_FROM_RECORD, "recorded repo is used: %s", p.repo);
	/* ...but not over $ATOMIC_OSTREE_REPO or --repo */
	struct paths_input r2 = { .root = root, .env_repo = "/elsewhere" };
	ok(paths_resolve(&p, &r2, &e) == 0 && !strcmp(p.repo, "/elsewhere"), "env beats record");
	/* and paths_prepare never rewrites an existing record */
	ok(paths_prepare(&p, &e) == 0, "prepare with a record present");
	FILE *f = fopen(ck, "r");
	char line[64] = "";
	if (f) {
		fgets(line, sizeof line, f);
		fclose(f);
	}
	ok(!strcmp(line, "/ostree/repo\n"), "record unchanged: %s", line);
	/* a garbage record is an error naming the file, not a silent fallback */
	put(ck + strlen(tmp), "relative/path");
	ok(paths_resolve(&p, &r1, &e) < 0 && strstr(e.msg, "not a recorded repository path"),
	   "bad record: %s", e.msg);

	/* an OSTree sysroot: /var is the stateroot's var */
	snprintf(root, sizeof root, "%s/ostreeroot", tmp);
	snprintf(ck, sizeof ck, "mkdir -p %s/ostree/deploy/fedora/var", root);
	system(ck);
	struct paths_input r3 = { .root = root };
	ok(paths_resolve(&p, &r3, &e) == 0, "ostree sysroot resolves");
	paths_host(&p, p.checkout, host, &e);
	snprintf(tgt, sizeof tgt, "%s/ostree/deploy/fedora/var/lib/containers/atomic", root);
	ok(!strcmp(host, tgt), "CHECKOUT goes through the stateroot's var: %s", host);
	paths_host(&p, "/etc/systemd/system", host, &e);
	snprintf(tgt, sizeof tgt, "%s/etc/systemd/system", root);
	ok(!strcmp(host, tgt), "non-/var paths stay under the root");
	snprintf(ck, sizeof ck, "mkdir -p %s/ostree/deploy/other", root);
	system(ck);
	ok(paths_resolve(&p, &r3, &e) < 0 && strstr(e.msg, "several stateroots"),
	   "two stateroots refused: %s", e.msg);

	snprintf(ck, sizeof ck, "rm -rf %s", tmp);
	system(ck);
	return tap_done();
}
