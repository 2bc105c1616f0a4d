/* The store opens or creates repositories and owns the lock discipline. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static int waited;
static void on_wait(void *ctx, const char *repo, unsigned t)
{
	(void)ctx, (void)repo, (void)t;
	waited++;
}

int main(void)
{
	char tmp[] = "/tmp/sc-store-XXXXXX", repo[128], cmd[256];
	struct store *s = NULL, *s2 = NULL;
	struct err e;

	if (!mkdtemp(tmp))
		return 1;
	snprintf(repo, sizeof repo, "%s/repo", tmp);

	ok(store_open(&s, AT_FDCWD, repo, repo, 0, &e) < 0 && strstr(e.msg, "does not exist"),
	   "opening a missing repo without create fails: %s", e.msg);
	ok(store_open(&s, AT_FDCWD, repo, repo, 1, &e) == 0, "create: %s", s ? "" : e.msg);
	ok(!strcmp(store_mode_name(s), geteuid() == 0 ? "bare" : "bare-user"),
	   "mode %s matches the user", store_mode_name(s));
	snprintf(cmd, sizeof cmd, "ostree fsck --repo=%s >/dev/null 2>&1", repo);
	ok(system(cmd) == 0, "the ostree CLI fscks the new repo");

	/* two shared holders coexist */
	ok(store_open(&s2, AT_FDCWD, repo, repo, 0, &e) == 0, "second handle opens the existing repo");
	ok(store_lock(s, STORE_LOCK_SHARED, 5, on_wait, NULL, &e) == 0, "shared lock");
	ok(store_lock(s2, STORE_LOCK_SHARED, 5, on_wait, NULL, &e) == 0 && waited == 0,
	   "a second shared lock does not wait");
	store_unlock(s2, &e);

	/* an exclusive request waits, says so once, and gives up at its deadline
	 * while another process holds the shared lock */
	fflush(stdout);   /* or the child repeats our TAP lines */
	pid_t pid = fork();
	if (pid == 0) {
		struct store *c;
		struct err ce;
		if (store_open(&c, AT_FDCWD, repo, repo, 0, &ce) < 0)
			_exit(2);
		int r = store_lock(c, STORE_LOCK_EXCLUSIVE, 1, on_wait, NULL, &ce);
		if (r < 0)
			{ printf("# child: %s (waited %d)\n", ce.msg, waited); fflush(stdout); }
		_exit(r == 0 ? 0 : waited == 1 && strstr(ce.msg, "exclusive lock still busy after 1 s") ? 3 : 4);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "exclusive lock times out with a message (child %d)",
	   WEXITSTATUS(st));

	/* once released, the exclusive lock is granted */
	store_unlock(s, &e);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct store *c;
		struct err ce;
		if (store_open(&c, AT_FDCWD, repo, repo, 0, &ce) < 0)
			_exit(2);
		_exit(store_lock(c, STORE_LOCK_EXCLUSIVE, 1, on_wait, NULL, &ce) == 0 ? 0 : 4);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exclusive lock granted when free");

	store_free(s);
	store_free(s2);
	store_free(NULL);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	system(cmd);
	return tap_done();
}
