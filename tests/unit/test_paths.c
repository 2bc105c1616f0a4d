/* Path resolution and precedence (README, Design, "Paths"). */
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
	ok(paths_resolve(&p, &r1, &e) == 0 && !strcmp(p.repo, "/var/lib/containers/atomic/.storage/ostree"),
	   "under --root: paths as the target sees them: %s", p.repo);

	/* paths_prepare creates CHECKOUT and .storage 0700 (the root must exist);
	 * the choice is recorded only once the repository was accepted */
	struct target t;
	int ckfd;
	mkdir(root, 0755);
	ok(target_open(&t, &p, &e) == 0, "target opens: %s", e.msg);
	umask(0);
	ok((ckfd = paths_prepare(&p, &t, &e)) >= 0, "prepare: %s", e.msg);
	umask(022);
	struct stat st;
	snprintf(host, sizeof host, "%s/var/lib/containers/atomic", root);
	ok(stat(host, &st) == 0 && (st.st_mode & 07777) == 0700, "CHECKOUT is 0700");
	snprintf(ck, sizeof ck, "%s/.storage", host);
	ok(stat(ck, &st) == 0 && (st.st_mode & 07777) == 0700, ".storage is 0700");
	snprintf(ck, sizeof ck, "%s/.storage/repo-path", host);
	ok(stat(ck, &st) < 0, "nothing recorded by prepare");
	ok(paths_record_repo(&p, ckfd, &e) == 0 && stat(ck, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "the accepted repository is recorded, 0600");

	/* OSTree's /usr/local -> ../var/usrlocal stands for /usr/local once its
	 * directory exists (paths_prepare makes it); any other link does not */
	{
		char lnk[PATH_MAX + 32];
		const char *rel = NULL;
		struct target ta;
		int afd;
		snprintf(lnk, sizeof lnk, "%s/usr", root);
		mkdir(lnk, 0755);
		snprintf(lnk, sizeof lnk, "%s/usr/local", root);
		ok(symlink("../var/usrlocal", lnk) == 0, "a root with /usr/local -> ../var/usrlocal");
		snprintf(lnk, sizeof lnk, "%s/opt", root);
		ok(symlink("/etc", lnk) == 0, "and /opt -> /etc");
		ok(target_open(&ta, &p, &e) == 0 && ta.alias[0] < 0 && ta.alias[1] < 0,
		   "no alias while var/usrlocal is missing, none for /opt -> /etc");
		afd = paths_prepare(&p, &ta, &e);
		ok(afd >= 0 && ta.alias[0] >= 0 && ta.alias[1] < 0, "prepare makes var/usrlocal: %s", e.msg);
		if (afd >= 0)
			close(afd);
		snprintf(lnk, sizeof lnk, "%s/var/usrlocal", root);
		ok(stat(lnk, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
		   "var/usrlocal is a 0755 directory");
		ok(target_at(&ta, "/usr/local/bin/x", &rel) == ta.alias[0] && !strcmp(rel, "/bin/x"),
		   "/usr/local/bin/x is bin/x of var/usrlocal");
		ok(target_at(&ta, "/usr/localx", &rel) == ta.root && !strcmp(rel, "/usr/localx"),
		   "/usr/localx is not below /usr/local");
		ok(target_at(&ta, "/opt/x", &rel) == ta.root, "/opt -> /etc stays a symlink the walk refuses");
		target_close(&ta);
		ok(target_open(&ta, &p, &e) == 0 && ta.alias[0] >= 0, "opened again: the alias is there");
		target_close(&ta);
		snprintf(lnk, sizeof lnk, "%s/usr/local", root);
		unlink(lnk);
		snprintf(lnk, sizeof lnk, "%s/opt", root);
		unlink(lnk);
	}

	/* the recorded choice wins over the private default... */
	snprintf(ck, sizeof ck, "%s/sysroot/var/lib/containers/atomic/.storage/repo-path", tmp);
	put(ck + strlen(tmp), "/ostree/repo\n");
	ok(paths_resolve(&p, &r1, &e) == 0 && !strcmp(p.repo, "/ostree/repo") &&
	   p.repo_source == REPO_FROM_RECORD, "recorded repo is used: %s", p.repo);
	/* ...but not over $ATOMIC_OSTREE_REPO or --repo */
	struct paths_input r2 = { .root = root, .env_repo = "/elsewhere" };
	ok(paths_resolve(&p, &r2, &e) == 0 && !strcmp(p.repo, "/elsewhere"), "env beats record");
	/* and an existing record is never rewritten */
	ok(paths_record_repo(&p, ckfd, &e) == 0, "record with a record present");
	close(ckfd);
	target_close(&t);
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
	ok(target_open(&t, &p, &e) == 0 && (ckfd = paths_prepare(&p, &t, &e)) >= 0, "prepare: %s", e.msg);
	snprintf(tgt, sizeof tgt, "%s/ostree/deploy/fedora/var/lib/containers/atomic", root);
	ok(stat(tgt, &st) == 0 && S_ISDIR(st.st_mode), "CHECKOUT goes through the stateroot's var");
	{
		const char *rel;
		ok(target_at(&t, "/etc/systemd/system", &rel) == t.root && !strcmp(rel, "/etc/systemd/system") &&
		   target_at(&t, "/var/lib/x", &rel) == t.var && !strcmp(rel, "/lib/x"),
		   "non-/var paths stay under the root, /var ones go to the stateroot");
	}
	close(ckfd);
	target_close(&t);
	snprintf(ck, sizeof ck, "mkdir -p %s/ostree/deploy/other", root);
	system(ck);
	ok(paths_resolve(&p, &r3, &e) < 0 && strstr(e.msg, "several stateroots"),
	   "two stateroots refused: %s", e.msg);

	snprintf(ck, sizeof ck, "rm -rf %s", tmp);
	system(ck);
	return tap_done();
}
