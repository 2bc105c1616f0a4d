#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <ostree.h>

#define LOCK_LEVELS 8

struct store {
	OstreeRepo *repo;
	char path[4096];
	int locks[LOCK_LEVELS];   /* what we pushed, popped in reverse on free */
	int nlocks;
};

/* Turn a GError into our error and free it. */
static int gerr(struct err *e, GError *ge, const char *fmt, const char *arg)
{
	char ctx[512];
	snprintf(ctx, sizeof ctx, fmt, arg);
	err_set(e, 0, "%s: %s", ctx, ge ? ge->message : "unknown error");
	g_clear_error(&ge);
	return -1;
}

static int exists_at(const char *path, const char *name)
{
	char buf[4200];
	snprintf(buf, sizeof buf, "%s/%s", path, name);
	return access(buf, F_OK) == 0;
}

int store_open(struct store **out, const char *path, int create, struct err *e)
{
	g_autoptr(GFile) file = NULL;
	GError *ge = NULL;
	struct store *s;
	OstreeRepo *repo;

	if (strlen(path) >= sizeof s->path)
		return err_set(e, ENAMETOOLONG, "repository '%s'", path);
	if (!exists_at(path, "config")) {
		if (!create)
			return err_set(e, 0, "repository '%s' does not exist (nothing pulled yet?)", path);
		OstreeRepoMode mode = geteuid() == 0 ? OSTREE_REPO_MODE_BARE
						     : OSTREE_REPO_MODE_BARE_USER;
		repo = ostree_repo_create_at(AT_FDCWD, path, mode, NULL, NULL, &ge);
		if (!repo)
			return gerr(e, ge, "create repository '%s'", path);
	} else {
		repo = ostree_repo_open_at(AT_FDCWD, path, NULL, &ge);
		if (!repo)
			return gerr(e, ge, "open repository '%s'", path);
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		g_object_unref(repo);
		return err_set(e, ENOMEM, "open repository '%s'", path);
	}
	s->repo = repo;
	snprintf(s->path, sizeof s->path, "%s", path);
	*out = s;
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	while (s->nlocks > 0) {
		struct err e;
		if (store_unlock(s, &e) < 0)
			break;
	}
	g_object_unref(s->repo);
	free(s);
}

const char *store_mode_name(const struct store *s)
{
	switch (ostree_repo_get_mode(s->repo)) {
	case OSTREE_REPO_MODE_BARE: return "bare";
	case OSTREE_REPO_MODE_ARCHIVE: return "archive";
	case OSTREE_REPO_MODE_BARE_USER: return "bare-user";
	case OSTREE_REPO_MODE_BARE_USER_ONLY: return "bare-user-only";
	case OSTREE_REPO_MODE_BARE_SPLIT_XATTRS: return "bare-split-xattrs";
	}
	return "unknown";
}

int store_is_bare(const struct store *s)
{
	return ostree_repo_get_mode(s->repo) == OSTREE_REPO_MODE_BARE;
}

int store_dfd(const struct store *s)
{
	return ostree_repo_get_dfd(s->repo);
}

/* Would the lock be granted now?  A probe on our own descriptor of the lock
 * file, with the same kind of lock libostree takes (OFD locks where the libc
 * has them, else flock), released at once by close(). */
static int lock_free_now(struct store *s, enum store_lock kind)
{
	int fd = openat(ostree_repo_get_dfd(s->repo), ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int ok;

	if (fd < 0)
		return 1;   /* let libostree report the real problem */
#ifdef F_OFD_SETLK
	struct flock fl = {
		.l_type = kind == STORE_LOCK_SHARED ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};
	ok = fcntl(fd, F_OFD_SETLK, &fl) == 0;
#else
	ok = flock(fd, (kind == STORE_LOCK_SHARED ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0;
#endif
	close(fd);
	return ok;
}

int store_lock(struct store *s, enum store_lock kind, unsigned timeout_s,
	       store_wait_fn wait, void *ctx, struct err *e)
{
	OstreeRepoLockType type = kind == STORE_LOCK_SHARED ? OSTREE_REPO_LOCK_SHARED
							    : OSTREE_REPO_LOCK_EXCLUSIVE;
	const char *what = kind == STORE_LOCK_SHARED ? "shared" : "exclusive";
	struct timespec start, now, nap = { 0, 100 * 1000 * 1000 };
	GError *ge = NULL;
	int told = 0;

	if (s->nlocks == LOCK_LEVELS)
		return err_set(e, 0, "repository '%s': locks nested too deep", s->path);
	/* libostree gives up after its own 30 s; we wait with our deadline and
	 * say that we are waiting. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!lock_free_now(s, kind)) {
		if (!told && wait)
			wait(ctx, s->path, timeout_s);
		told = 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout_s)
			return err_set(e, 0, "repository '%s': %s lock still busy after %u s",
				       s->path, what, timeout_s);
		nanosleep(&nap, NULL);
	}
	if (!ostree_repo_lock_push(s->repo, type, NULL, &ge))
		return gerr(e, ge, "lock repository '%s'", s->path);
	s->locks[s->nlocks++] = kind;
	return 0;
}

int store_unlock(struct store *s, struct err *e)
{
	GError *ge = NULL;
	int kind;

	if (s->nlocks == 0)
		return 0;
	kind = s->locks[--s->nlocks];
	if (!ostree_repo_lock_pop(s->repo, kind == STORE_LOCK_SHARED ? OSTREE_REPO_LOCK_SHARED
				  : OSTREE_REPO_LOCK_EXCLUSIVE, NULL, &ge))
		return gerr(e, ge, "unlock repository '%s'", s->path);
	return 0;
}

const char *store_ostree_version(void)
{
	return OSTREE_VERSION_S;
}

void store_glib_version(char *out, size_t outsz)
{
	snprintf(out, outsz, "%u.%u.%u", glib_major_version, glib_minor_version,
		 glib_micro_version);
}
