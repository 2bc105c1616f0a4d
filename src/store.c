/* Everything that touches libostree and GLib, and nothing else does (the
 * module map's rule): the repository, its locks and leftovers, writing
 * layers, refs, prune, reading trees.  Hence a file longer than the rest. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <ostree.h>

#include "sha256.h"
#include "tar.h"
#include "util.h"

#define LOCK_LEVELS 8

struct store {
	OstreeRepo *repo;
	char path[4096];
	int locks[LOCK_LEVELS];   /* what we pushed, popped in reverse on free */
	int nlocks;
	uint64_t staging_freed;   /* bytes of stale staging data removed */
	int out_of_inodes;        /* a transaction failed with no inode left */
};

/* Turn a GError into our error and free it.  A full file system keeps its
 * errno and gets ERR_NO_SPACE, for callers to say so plainly. */
static int gerr(struct err *e, GError *ge, const char *fmt, const char *arg)
{
	char ctx[512];
	snprintf(ctx, sizeof ctx, fmt, arg);
	err_set(e, 0, "%s: %s", ctx, ge ? ge->message : "unknown error");
	if (ge && g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
		e->errnum = ENOSPC;
		e->code = ERR_NO_SPACE;
	} else if (ge && ge->domain == G_IO_ERROR) {
		/* what main's hints key on */
		if (ge->code == G_IO_ERROR_READ_ONLY)
			e->errnum = EROFS;
		else if (ge->code == G_IO_ERROR_PERMISSION_DENIED)
			e->errnum = EACCES;
	}
	g_clear_error(&ge);
	return -1;
}

static int exists_at(int dirfd, const char *name, const char *file)
{
	char buf[4200];
	snprintf(buf, sizeof buf, "%s/%s", name, file);
	return faccessat(dirfd, buf, F_OK, 0) == 0;
}

/* A repository is created as NAME.new-PID-N beside its place, under an
 * flock of that directory until it is renamed in: one whose creator died
 * (its lock is free) is half-made junk, removed by the next creator. */
static void clean_new_repos(int pfd, const char *name)
{
	size_t n = strlen(name);
	int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct err ignore;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int tfd;
		if (strncmp(de->d_name, name, n) || strncmp(de->d_name + n, ".new-", 5))
			continue;
		tfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (tfd < 0)
			continue;
		if (flock(tfd, LOCK_EX | LOCK_NB) == 0)
			util_remove_at(dirfd(d), de->d_name, &ignore);
		close(tfd);
	}
	closedir(d);
}

/* mkdir NAME.new-PID-N and lock it (see clean_new_repos): its fd, or -1.
 * The directory may vanish between mkdir and flock (a cleaner took it for
 * a dead one's): then try the next N. */
static int make_new_repo_dir(int dirfd, const char *name, char *tmp, size_t tmpsz)
{
	for (int n = 0; n < 100; n++) {
		struct stat a, b;
		int fd;

		snprintf(tmp, tmpsz, "%s.new-%d-%d", name, (int)getpid(), n);
		if (mkdirat(dirfd, tmp, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			return -1;
		}
		fd = openat(dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &a) == 0 &&
		    fstatat(dirfd, tmp, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	errno = EEXIST;
	return -1;
}

/* Create the repository beside its final place and rename it in, so a kill
 * leaves either no repository or a complete one (and a power cut too: its
 * contents are synced before the rename, the rename before we go on). */
static int create_repo(int dirfd, const char *name, const char *shown, struct err *e)
{
	OstreeRepoMode mode = geteuid() == 0 ? OSTREE_REPO_MODE_BARE : OSTREE_REPO_MODE_BARE_USER;
	char tmp[4200];
	OstreeRepo *repo;
	GError *ge = NULL;
	struct err ignore;
	int lockfd, saved;

	clean_new_repos(dirfd, name);
	lockfd = make_new_repo_dir(dirfd, name, tmp, sizeof tmp);
	if (lockfd < 0)
		return err_set(e, errno, "create repository '%s'", shown);
	repo = ostree_repo_create_at(dirfd, tmp, mode, NULL, NULL, &ge);
	if (!repo) {
		util_remove_at(dirfd, tmp, &ignore);
		close(lockfd);
		return gerr(e, ge, "create repository '%s'", shown);
	}
	if (fchmod(ostree_repo_get_dfd(repo), 0755) < 0 ||
	    util_syncfs(ostree_repo_get_dfd(repo)) < 0) {
		saved = errno;
		g_object_unref(repo);
		util_remove_at(dirfd, tmp, &ignore);
		close(lockfd);
		return err_set(e, saved, "create repository '%s'", shown);
	}
	g_object_unref(repo);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		saved = errno;
		util_remove_at(dirfd, tmp, &ignore);
		close(lockfd);
		/* Another process created it first: use theirs. */
		if ((saved == EEXIST || saved == ENOTEMPTY) && exists_at(dirfd, name, "config"))
			return 0;
		return err_set(e, saved, "create repository '%s'", shown);
	}
	close(lockfd);
	if (util_sync_dir(dirfd) < 0)
		return err_set(e, errno, "create repository '%s': sync its directory", shown);
	return 0;
}

/* Is a ref name one of libostree's temporary files ("tmp.XXXXXX")?  A kill
 * between its write and rename leaves one behind in refs/heads. */
static int is_tmp_ref(const char *ref)
{
	const char *base = strrchr(ref, '/');
	base = base ? base + 1 : ref;
	return !strncmp(base, "tmp.", 4) && strlen(base) == 10;
}

/* Drop such leftovers under our ref prefixes, only while nobody else uses
 * the repository (they could be someone's ref being written). */
static void clean_tmp_refs(struct store *s)
{
	static const char *const dirs[] = { "refs/heads/ociimage", "refs/heads/syscontainer/deploy" };
	int lfd = openat(ostree_repo_get_dfd(s->repo), ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (lfd < 0)
		return;
	if (fcntl(lfd, F_OFD_SETLK, &fl) == 0) {
		for (size_t i = 0; i < 2; i++) {
			int dfd = openat(ostree_repo_get_dfd(s->repo), dirs[i],
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
			struct dirent *de;
			if (!d) {
				if (dfd >= 0)
					close(dfd);
				continue;
			}
			while ((de = readdir(d)))
				if (is_tmp_ref(de->d_name))
					unlinkat(dirfd(d), de->d_name, 0);
			closedir(d);
		}
	}
	close(lfd);
}

/* libostree stages a transaction's objects in tmp/staging-<boot id>-XXXXXX,
 * locked (an OFD lock on the "-lock" file beside it) while in use, and lets
 * a later transaction of the same boot resume an unlocked one: an aborted
 * or killed pull's data stays until then.  We never resume.  Our processes
 * all give libostree the boot id "syscontainer" (which also spares it
 * reading /proc, absent early in boot), so an unlocked staging-syscontainer-*
 * directory is a failed or killed pull's leftover; an abort removes it,
 * and so does the next command (clean_staging), taking its lock as
 * libostree would.  One boot id for all of them, because libostree removes
 * the unlocked staging directories of other boot ids, a fresh one included,
 * between its creation and its lock: an id of each process would make two
 * pulls remove each other's.  (In a system repository, an interrupted pull
 * of the host's own ostree loses what it could have resumed, as it would
 * after a reboot.) */
#define STAGING_ID "syscontainer"
#define STAGING_PREFIX "staging-" STAGING_ID "-"

/* Take a staging directory's lock as libglnx does; 1 when we got it (and
 * the lock file is still the live one), 0 when someone holds it.  Without
 * create, a missing lock file is 0 too: libostree makes the directory
 * first, then its lock, and such a directory may be one being set up right
 * now (or one an abort released: see abort_txn). */
static int lock_staging(int tmpfd, const char *lockname, int create, int *fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;

	*fd = openat(tmpfd, lockname, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (*fd < 0)
		return 0;
#ifdef F_OFD_SETLK
	if (fcntl(*fd, F_OFD_SETLK, &fl) == 0 && fstat(*fd, &st) == 0 && st.st_nlink > 0)
		return 1;
#else
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0 && fstat(*fd, &st) == 0 && st.st_nlink > 0)
		return 1;
#endif
	close(*fd);
	*fd = -1;
	return 0;
}

/* Is a staging directory's lock held right now (by anyone, us included)? */
static int staging_held(int tmpfd, const char *lockname)
{
	int fd = openat(tmpfd, lockname, O_RDWR | O_NOFOLLOW | O_CLOEXEC), held;

	if (fd < 0)
		return 0;
#ifdef F_OFD_GETLK
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
#else
	held = flock(fd, LOCK_EX | LOCK_NB) < 0;
#endif
	close(fd);
	return held;
}

/* Our staging directories, calling fn(ctx, tmpfd, dir, lock) for each
 * (lock: the name of its lock file), and for a lock file left alone once
 * its directory is gone (a kill between the two removals). */
static void each_staging(struct store *s, void (*fn)(void *ctx, int tmpfd, const char *dir,
						    const char *lock), void *ctx)
{
	int tmpfd = openat(ostree_repo_get_dfd(s->repo), "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = tmpfd >= 0 ? fdopendir(tmpfd) : NULL;
	struct dirent *de;

	if (!d) {
		if (tmpfd >= 0)
			close(tmpfd);
		return;
	}
	while ((de = readdir(d))) {
		char dir[NAME_MAX + 1], lock[NAME_MAX + 1];
		size_t n = strlen(de->d_name);
		int is_lock = n > 5 && !strcmp(de->d_name + n - 5, "-lock");
		struct stat st;

		if (strncmp(de->d_name, STAGING_PREFIX, sizeof STAGING_PREFIX - 1))
			continue;
		snprintf(dir, sizeof dir, "%.*s", (int)(is_lock ? n - 5 : n), de->d_name);
		if (snprintf(lock, sizeof lock, "%s-lock", dir) >= (int)sizeof lock ||
		    (is_lock && fstatat(dirfd(d), dir, &st, AT_SYMLINK_NOFOLLOW) == 0))
			continue;   /* that lock is seen with its directory */
		fn(ctx, dirfd(d), dir, lock);
	}
	closedir(d);
}

/* The names of the staging directories held before an abort; the abort
 * releases ours, and its lock file with it. */
struct staging_names {
	char (*v)[NAME_MAX + 1];
	size_t n, cap;
	struct store *s;
};

static void note_held(void *ctx, int tmpfd, const char *dir, const char *lock)
{
	struct staging_names *h = ctx;

	if (!staging_held(tmpfd, lock))
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 8;
		char (*v)[NAME_MAX + 1] = realloc(h->v, cap * sizeof *v);
		if (!v)
			return;   /* then the next command removes it */
		h->v = v;
		h->cap = cap;
	}
	snprintf(h->v[h->n++], NAME_MAX + 1, "%s", dir);
}

/* Remove a staging directory nobody holds, and its lock file: one whose
 * lock file is there and free (a killed or failed pull's), or, when it was
 * held before our abort and its lock file is gone, the one our abort
 * released (its lock file taken again, as libostree would take it). */
static void remove_free(void *ctx, int tmpfd, const char *dir, const char *lock)
{
	struct staging_names *h = ctx;
	int released = 0, lfd;
	struct err ignore;

	for (size_t i = 0; h && i < h->n && !released; i++)
		released = !strcmp(h->v[i], dir) && faccessat(tmpfd, lock, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
	if (!lock_staging(tmpfd, lock, released, &lfd))
		return;
	h->s->staging_freed += util_tree_bytes(tmpfd, dir);
	util_remove_at(tmpfd, dir, &ignore);
	/* as glnx_release_lock_file: the exclusive holder unlinks it */
	unlinkat(tmpfd, lock, 0);
	close(lfd);
}

/* Remove the staging data failed and killed pulls left (see STAGING_PREFIX);
 * what it occupied is added to s->staging_freed. */
static void clean_staging(struct store *s, struct staging_names *held)
{
	struct staging_names none = { .s = s };

	if (held)
		held->s = s;
	each_staging(s, remove_free, held ? held : &none);
}

int store_open(struct store **out, int dirfd, const char *name, const char *path, int create,
	       struct err *e)
{
	GError *ge = NULL;
	struct store *s;
	OstreeRepo *repo;

	setenv("OSTREE_BOOTID", STAGING_ID, 1);
	if (strlen(path) >= sizeof s->path)
		return err_set(e, ENAMETOOLONG, "repository '%s'", path);
	if (!exists_at(dirfd, name, "config")) {
		if (!create)
			return err_setc(e, ERR_NOT_FOUND, 0,
					"repository '%s' does not exist (nothing pulled yet?)", path);
		if (create_repo(dirfd, name, path, e) < 0)
			return -1;
	} else if (create) {
		clean_new_repos(dirfd, name);
	}
	repo = ostree_repo_open_at(dirfd, name, NULL, &ge);
	if (!repo)
		return gerr(e, ge, "open repository '%s'", path);
	s = calloc(1, sizeof *s);
	if (!s) {
		g_object_unref(repo);
		return err_set(e, ENOMEM, "open repository '%s'", path);
	}
	s->repo = repo;
	snprintf(s->path, sizeof s->path, "%s", path);
	/* Containers are hardlinked checkouts of regular files: an archive repo
	 * (compressed objects) cannot serve them. */
	if (ostree_repo_get_mode(repo) == OSTREE_REPO_MODE_ARCHIVE) {
		store_free(s);
		return err_set(e, 0, "repository '%s' is in archive mode: syscontainer needs a "
			       "bare or bare-user repository", path);
	}
	clean_tmp_refs(s);
	clean_staging(s, NULL);
	*out = s;
	return 0;
}

int store_open_peer(struct store *s, struct store **out, struct err *e)
{
	GError *ge = NULL;
	struct store *p = calloc(1, sizeof *p);

	if (!p)
		return err_set(e, ENOMEM, "open repository '%s'", s->path);
	p->repo = ostree_repo_open_at(ostree_repo_get_dfd(s->repo), ".", NULL, &ge);
	if (!p->repo) {
		free(p);
		return gerr(e, ge, "open repository '%s'", s->path);
	}
	memcpy(p->path, s->path, sizeof p->path);
	*out = p;
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

/* ---- writing a layer ------------------------------------------------------ */

struct store_layer {
	struct store *s;
	OstreeMutableTree *root;
	GHashTable *synth;        /* directories we made up (a set of paths) */
	GHashTable *dirmetas;     /* "uid:gid:mode" -> dirmeta checksum */
	OstreeContentWriter *writer;   /* the regular file being written */
	OstreeMutableTree *cur_dir;    /* its parent directory */
	char *cur_name, *cur_path;
	uint64_t entries;
	char open[TAR_MAX_PATH + 1];   /* the directory the last entry went into */
	/* Space, counted as libostree counts it for its min-free-space check
	 * (size / block size + 1 blocks per file or symlink object): */
	uint64_t bsize;
	uint64_t budget;          /* blocks we may write; UINT64_MAX: no reserve */
	uint64_t used;            /* blocks of the objects written */
	uint64_t others0;         /* layers_written when the budget was taken */
	uint64_t refused;         /* bytes of the object refused for space */
	uint64_t cur_size, cur_have;   /* the regular file being written */
};

static int no_free_inodes(const struct statvfs *sv)
{
	return sv->f_files > 0 && (getuid() != 0 ? sv->f_favail : sv->f_ffree) == 0;
}

/* Abort the open transaction; its staging data goes with it.  libostree's
 * abort keeps the directory but releases its lock and unlinks the lock
 * file: the held directories are noted first, to know ours after.  Whether
 * the file system ran out of inodes is noted first too: removing the
 * staged objects gives them back. */
static void abort_txn(struct store *s)
{
	struct staging_names held = { .s = s };
	struct statvfs sv;

	if (fstatvfs(ostree_repo_get_dfd(s->repo), &sv) == 0 && no_free_inodes(&sv))
		s->out_of_inodes = 1;
	each_staging(s, note_held, &held);
	ostree_repo_abort_transaction(s->repo, NULL, NULL);
	clean_staging(s, &held);
	free(held.v);
}

static void layer_free(struct store_layer *l)
{
	if (!l)
		return;
	g_clear_object(&l->writer);
	g_clear_object(&l->cur_dir);
	g_free(l->cur_name);
	g_free(l->cur_path);
	g_clear_object(&l->root);
	g_hash_table_unref(l->synth);
	g_hash_table_unref(l->dirmetas);
	free(l);
}

/* Bytes (whole blocks) that every layer of this process wrote, layers
 * written at the same time on peer handles (store_open_peer) included:
 * each layer's budget is what was free when it began, less what all of
 * them wrote since, so that layers in parallel share one reserve. */
static uint64_t layers_written;

static void add_used(struct store_layer *l, uint64_t blocks)
{
	l->used += blocks;
	__atomic_add_fetch(&layers_written, blocks * l->bsize, __ATOMIC_RELAXED);
}

/* What libostree will let the transaction write before its min-free-space
 * reserve: counted here too, so that a layer too big is refused before
 * libostree refuses it in its own words.  Taken just before libostree
 * takes its own figure: space freed in between never makes ours larger. */
static void space_budget(struct store_layer *l)
{
	struct statvfs sv;
	guint64 reserve = 0;
	uint64_t avail;

	l->budget = UINT64_MAX;
	l->bsize = 4096;
	l->others0 = __atomic_load_n(&layers_written, __ATOMIC_RELAXED);
	if (fstatvfs(ostree_repo_get_dfd(l->s->repo), &sv) < 0 || !sv.f_bsize)
		return;
	l->bsize = sv.f_bsize;
	if (!ostree_repo_get_min_free_space_bytes(l->s->repo, &reserve, NULL) || !reserve)
		return;
	avail = getuid() != 0 ? sv.f_bavail : sv.f_bfree;
	l->budget = avail > reserve / l->bsize ? avail - reserve / l->bsize : 0;
}

int store_layer_begin(struct store *s, struct store_layer **out, struct err *e)
{
	struct store_layer *l = calloc(1, sizeof *l);
	GError *ge = NULL;

	if (!l)
		return err_set(e, ENOMEM, "layer");
	l->s = s;
	space_budget(l);
	if (!ostree_repo_prepare_transaction(s->repo, NULL, NULL, &ge)) {
		free(l);
		return gerr(e, ge, "repository '%s': start transaction", s->path);
	}
	l->root = ostree_mutable_tree_new();
	l->synth = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->dirmetas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	*out = l;
	return 0;
}

void store_layer_abort(struct store_layer *l)
{
	struct store *s;

	if (!l)
		return;
	s = l->s;
	layer_free(l);
	abort_txn(s);
}

uint64_t store_layer_entries(const struct store_layer *l)
{
	return l->entries;
}

void store_layer_space(const struct store_layer *l, uint64_t *written, uint64_t *refused)
{
	*written = l->used * l->bsize;
	*refused = l->refused;
}

/* Would an object of which `have` bytes are written so far, `size` in all,
 * cross the reserve?  Checked as its bytes arrive, not from the size its
 * header claims: a truncated or hostile entry is refused for what it is. */
static int check_space(struct store_layer *l, uint64_t have, uint64_t size, const char *path,
		       struct err *e)
{
	uint64_t spent;

	if (l->budget == UINT64_MAX)
		return 0;
	spent = (__atomic_load_n(&layers_written, __ATOMIC_RELAXED) - l->others0) / l->bsize;
	if (spent < l->used)
		spent = l->used;
	if (spent < l->budget && have / l->bsize + 1 <= l->budget - spent)
		return 0;
	l->refused = (size / l->bsize + 1) * l->bsize;
	return err_setc(e, ERR_NO_SPACE, ENOSPC, "entry '%s'", path);
}

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct tar_xattr *)a)->name, ((const struct tar_xattr *)b)->name);
}

/* Extended attributes as OSTree wants them: a(ayay), sorted by name. */
static GVariant *xattrs_variant(const struct tar_entry *ent)
{
	GVariantBuilder b;
	struct tar_xattr sorted[TAR_MAX_XATTRS];

	if (!ent->nxattrs)
		return NULL;
	memcpy(sorted, ent->xattrs, ent->nxattrs * sizeof *sorted);
	qsort(sorted, ent->nxattrs, sizeof *sorted, cmp_xattr);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a(ayay)"));
	for (size_t i = 0; i < ent->nxattrs; i++)
		g_variant_builder_add(&b, "(@ay@ay)", g_variant_new_bytestring(sorted[i].name),
				      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, sorted[i].value,
								sorted[i].len, 1));
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* The dirmeta object for a directory's owner, mode and xattrs. */
static int dirmeta(struct store_layer *l, uint32_t uid, uint32_t gid, uint32_t mode,
		   GVariant *xattrs, char **out, struct err *e)
{
	char key[64];
	const char *cached;
	g_autoptr(GFileInfo) info = NULL;
	g_autoptr(GVariant) meta = NULL;
	g_autofree guchar *csum = NULL;
	GError *ge = NULL;

	snprintf(key, sizeof key, "%u:%u:%o", uid, gid, mode);
	if (!xattrs && (cached = g_hash_table_lookup(l->dirmetas, key))) {
		*out = g_strdup(cached);
		return 0;
	}
	info = g_file_info_new();
	g_file_info_set_attribute_uint32(info, "unix::uid", uid);
	g_file_info_set_attribute_uint32(info, "unix::gid", gid);
	g_file_info_set_attribute_uint32(info, "unix::mode", S_IFDIR | mode);
	meta = g_variant_ref_sink(ostree_create_directory_metadata(info, xattrs));
	if (!ostree_repo_write_metadata(l->s->repo, OSTREE_OBJECT_TYPE_DIR_META, NULL, meta,
					&csum, NULL, &ge))
		return gerr(e, ge, "write directory metadata in '%s'", l->s->path);
	*out = ostree_checksum_from_bytes(csum);
	if (!xattrs)
		g_hash_table_insert(l->dirmetas, g_strdup(key), g_strdup(*out));
	return 0;
}

/* A directory the layer never declared gets root:root 0755 for OSTree, and
 * is recorded so checkout never applies that over a lower layer's dir. */
static int synth_dir(struct store_layer *l, OstreeMutableTree *parent, const char *name,
		     const char *path, OstreeMutableTree **out, struct err *e)
{
	g_autofree char *meta = NULL;
	GError *ge = NULL;

	if (dirmeta(l, 0, 0, 0755, NULL, &meta, e) < 0)
		return -1;
	if (!ostree_mutable_tree_ensure_dir(parent, name, out, &ge))
		return gerr(e, ge, "entry '%s'", path);
	ostree_mutable_tree_set_metadata_checksum(*out, meta);
	g_hash_table_add(l->synth, g_strdup(path));
	return 0;
}

/* Walk to the directory that holds `path`, making up missing parents.  A
 * non-directory in the way (earlier in this layer) is replaced, as tar
 * extraction would. */
static int parent_dir(struct store_layer *l, const char *path, OstreeMutableTree **out,
		      const char **name, struct err *e)
{
	g_autoptr(OstreeMutableTree) dir = g_object_ref(l->root);
	char prefix[TAR_MAX_PATH + 1];
	const char *p = path, *slash;
	GError *ge = NULL;

	while ((slash = strchr(p, '/'))) {
		g_autofree char *comp = g_strndup(p, slash - p);
		g_autofree char *file = NULL;
		g_autoptr(OstreeMutableTree) sub = NULL;

		snprintf(prefix, sizeof prefix, "%.*s", (int)(slash - path), path);
		if (!ostree_mutable_tree_lookup(dir, comp, &file, &sub, &ge)) {
			if (!g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
				return gerr(e, ge, "entry '%s'", path);
			g_clear_error(&ge);
		}
		if (file && !ostree_mutable_tree_remove(dir, comp, FALSE, &ge))
			return gerr(e, ge, "entry '%s'", path);
		if (!sub && synth_dir(l, dir, comp, prefix, &sub, e) < 0)
			return -1;
		g_object_unref(dir);
		dir = g_steal_pointer(&sub);
		p = slash + 1;
	}
	*name = p;
	*out = g_steal_pointer(&dir);
	return 0;
}

/* Look up name in dir: its file checksum (*file) or directory (*sub), both
 * NULL when there is nothing; -1 only on a real error. */
static int lookup(OstreeMutableTree *dir, const char *name, char **file, OstreeMutableTree **sub,
		  const char *path, struct err *e)
{
	GError *ge = NULL;

	*file = NULL;
	*sub = NULL;
	if (ostree_mutable_tree_lookup(dir, name, file, sub, &ge))
		return 0;
	if (g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		g_clear_error(&ge);
		return 0;
	}
	return gerr(e, ge, "entry '%s'", path);
}

/* The directory at the first len bytes of path, never made up: 1 and *out,
 * or 0 when there is none (missing, or not a directory). */
static int find_dir(struct store_layer *l, const char *path, size_t len, OstreeMutableTree **out,
		    struct err *e)
{
	g_autoptr(OstreeMutableTree) dir = g_object_ref(l->root);
	const char *p = path, *end = path + len;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		g_autofree char *comp = g_strndup(p, n);
		g_autofree char *file = NULL;
		OstreeMutableTree *sub;

		if (lookup(dir, comp, &file, &sub, path, e) < 0)
			return -1;
		if (!sub)
			return 0;
		g_object_unref(dir);
		dir = sub;
		p += n + 1;
	}
	*out = g_steal_pointer(&dir);
	return 1;
}

/* Drop whatever is at name so a new entry of another kind can take it. */
static int clear_slot(OstreeMutableTree *dir, const char *name, const char *path, int keep_dir,
		      struct err *e)
{
	g_autofree char *file = NULL;
	g_autoptr(OstreeMutableTree) sub = NULL;
	GError *ge = NULL;

	if (lookup(dir, name, &file, &sub, path, e) < 0)
		return -1;
	if ((!file && !sub) || (sub && keep_dir))
		return 0;
	if (!ostree_mutable_tree_remove(dir, name, FALSE, &ge))
		return gerr(e, ge, "entry '%s'", path);
	return 0;
}

static int put_file(OstreeMutableTree *dir, const char *name, const char *path, const char *csum,
		    struct err *e)
{
	GError *ge = NULL;

	if (clear_slot(dir, name, path, 0, e) < 0)
		return -1;
	if (!ostree_mutable_tree_replace_file(dir, name, csum, &ge))
		return gerr(e, ge, "entry '%s'", path);
	return 0;
}

/* Write out a directory the stream has left and keep only a stub of it:
 * see leave_dirs. */
static int release_dir(struct store_layer *l, const char *path, size_t len, struct err *e)
{
	g_autoptr(OstreeMutableTree) dir = NULL;
	g_autoptr(GFile) tree = NULL;
	g_autofree char *contents = NULL, *meta = NULL;
	GError *ge = NULL;
	int r = find_dir(l, path, len, &dir, e);

	/* gone (replaced by a file), or a stub already */
	if (r <= 0 || ostree_mutable_tree_get_contents_checksum(dir))
		return r;
	if (!ostree_repo_write_mtree(l->s->repo, dir, &tree, NULL, &ge))
		return gerr(e, ge, "entry '%s'", path);
	contents = g_strdup(ostree_mutable_tree_get_contents_checksum(dir));
	meta = g_strdup(ostree_mutable_tree_get_metadata_checksum(dir));
	g_hash_table_remove_all(ostree_mutable_tree_get_files(dir));
	g_hash_table_remove_all(ostree_mutable_tree_get_subdirs(dir));
	if (!contents || !meta ||
	    !ostree_mutable_tree_fill_empty_from_dirtree(dir, l->s->repo, contents, meta))
		return err_set(e, 0, "entry '%.*s': cannot release the written directory",
			       (int)len, path);
	return 0;
}

/* Once the stream leaves a directory, its entries are written out as its
 * dirtree object and dropped from memory: the directory stays in the tree
 * as a stub (two checksums) that libostree reloads should the stream come
 * back to it.  Image tars list a directory's entries together, so memory
 * follows the depth of the tree, not the number of its entries (a stream
 * that does come back leaves the first dirtree object unreferenced, for
 * prune).  open is where the last entry went; dir, len where this one goes. */
static int leave_dirs(struct store_layer *l, const char *dir, size_t len, struct err *e)
{
	size_t olen = strlen(l->open), common = 0, end;

	/* the longest leading run of whole components the two share */
	for (size_t i = 0; i <= olen && i <= len; i++) {
		int oend = i == olen || l->open[i] == '/', nend = i == len || dir[i] == '/';
		if (oend && nend)
			common = i;
		if (i == olen || i == len || l->open[i] != dir[i])
			break;
	}
	if (common < olen) {
		/* the first directory left: it holds every deeper one */
		end = common ? common + 1 : 0;
		while (end < olen && l->open[end] != '/')
			end++;
		if (release_dir(l, l->open, end, e) < 0)
			return -1;
	}
	snprintf(l->open, sizeof l->open, "%.*s", (int)len, dir);
	return 0;
}

static int entry_dir(struct store_layer *l, OstreeMutableTree *dir, const char *name,
		     const struct tar_entry *ent, GVariant *xattrs, struct err *e)
{
	g_autofree char *meta = NULL;
	g_autoptr(OstreeMutableTree) sub = NULL;
	GError *ge = NULL;

	if (dirmeta(l, ent->uid, ent->gid, ent->mode, xattrs, &meta, e) < 0)
		return -1;
	if (!ent->path[0]) {
		ostree_mutable_tree_set_metadata_checksum(l->root, meta);
		return 0;
	}
	if (clear_slot(dir, name, ent->path, 1, e) < 0)
		return -1;
	if (!ostree_mutable_tree_ensure_dir(dir, name, &sub, &ge))
		return gerr(e, ge, "entry '%s'", ent->path);
	ostree_mutable_tree_set_metadata_checksum(sub, meta);
	g_hash_table_remove(l->synth, ent->path);
	return 0;
}

static int entry_symlink(struct store_layer *l, OstreeMutableTree *dir, const char *name,
			 const struct tar_entry *ent, GVariant *xattrs, struct err *e)
{
	g_autofree char *csum = NULL;
	GError *ge = NULL;

	if (check_space(l, 0, 0, ent->path, e) < 0)
		return -1;
	add_used(l, 1);
	csum = ostree_repo_write_symlink(l->s->repo, NULL, ent->uid, ent->gid, xattrs, ent->link,
					 NULL, &ge);
	if (!csum)
		return gerr(e, ge, "entry '%s'", ent->path);
	return put_file(dir, name, ent->path, csum, e);
}

/* A hardlink is the same object under a second name; its target must come
 * earlier in the same layer (it is looked up in the tree built so far). */
static int entry_hardlink(struct store_layer *l, OstreeMutableTree *dir, const char *name,
			  const struct tar_entry *ent, struct err *e)
{
	g_autoptr(OstreeMutableTree) tdir = NULL;
	g_autoptr(OstreeMutableTree) sub = NULL;
	g_autofree char *csum = NULL;
	const char *base = strrchr(ent->link, '/');
	int r = find_dir(l, ent->link, base ? (size_t)(base - ent->link) : 0, &tdir, e);

	if (r < 0 || (r > 0 && lookup(tdir, base ? base + 1 : ent->link, &csum, &sub, ent->path,
				      e) < 0))
		return -1;
	if (!csum)
		return err_set(e, 0, "entry '%s': hardlink to '%s', which is not a file "
			       "earlier in this layer", ent->path, ent->link);
	return put_file(dir, name, ent->path, csum, e);
}

static int entry_regular(struct store_layer *l, OstreeMutableTree *dir, const char *name,
			 const struct tar_entry *ent, GVariant *xattrs, struct err *e)
{
	GError *ge = NULL;

	if (check_space(l, 0, ent->size, ent->path, e) < 0)
		return -1;
	l->writer = ostree_repo_write_regfile(l->s->repo, NULL, ent->uid, ent->gid,
					      S_IFREG | ent->mode, ent->size, xattrs, &ge);
	if (!l->writer)
		return gerr(e, ge, "entry '%s'", ent->path);
	l->cur_dir = g_object_ref(dir);
	l->cur_name = g_strdup(name);
	l->cur_path = g_strdup(ent->path);
	l->cur_size = ent->size;
	l->cur_have = 0;
	return 0;
}

int store_layer_entry(struct store_layer *l, const struct tar_entry *ent, struct err *e)
{
	g_autoptr(OstreeMutableTree) dir = NULL;
	g_autoptr(GVariant) xattrs = xattrs_variant(ent);
	const char *name = "", *slash = strrchr(ent->path, '/');

	l->entries++;
	if (ent->path[0] && leave_dirs(l, ent->path, slash ? (size_t)(slash - ent->path) : 0, e) < 0)
		return -1;
	if (ent->path[0] && parent_dir(l, ent->path, &dir, &name, e) < 0)
		return -1;
	switch (ent->type) {
	case TAR_DIR: return entry_dir(l, dir, name, ent, xattrs, e);
	case TAR_REG: return entry_regular(l, dir, name, ent, xattrs, e);
	case TAR_SYMLINK: return entry_symlink(l, dir, name, ent, xattrs, e);
	case TAR_HARDLINK: return entry_hardlink(l, dir, name, ent, e);
	default:
		return err_set(e, 0, "entry '%s': device nodes and fifos cannot be stored", ent->path);
	}
}

int store_layer_data(struct store_layer *l, const void *buf, size_t len, struct err *e)
{
	GError *ge = NULL;

	l->cur_have += len;
	if (check_space(l, l->cur_have, l->cur_size, l->cur_path, e) < 0)
		return -1;
	if (!g_output_stream_write_all(G_OUTPUT_STREAM(l->writer), buf, len, NULL, NULL, &ge))
		return gerr(e, ge, "entry '%s'", l->cur_path);
	return 0;
}

int store_layer_entry_end(struct store_layer *l, struct err *e)
{
	g_autofree char *csum = NULL;
	GError *ge = NULL;
	int r;

	if (!l->writer)
		return 0;
	csum = ostree_content_writer_finish(l->writer, NULL, &ge);
	g_clear_object(&l->writer);
	add_used(l, l->cur_size / l->bsize + 1);
	if (!csum)
		return gerr(e, ge, "entry '%s'", l->cur_path);
	r = put_file(l->cur_dir, l->cur_name, l->cur_path, csum, e);
	g_clear_object(&l->cur_dir);
	g_clear_pointer(&l->cur_name, g_free);
	g_clear_pointer(&l->cur_path, g_free);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GVariant *layer_metadata(struct store_layer *l, const struct store_layer_meta *m)
{
	GVariantDict d;
	guint n = 0;
	g_autofree gpointer *synth = g_hash_table_get_keys_as_array(l->synth, &n);
	char num[32];

	g_variant_dict_init(&d, NULL);
	snprintf(num, sizeof num, "%llu", (unsigned long long)m->size);
	g_variant_dict_insert(&d, "docker.size", "s", num);
	snprintf(num, sizeof num, "%llu", (unsigned long long)m->uncompressed_size);
	g_variant_dict_insert(&d, "docker.uncompressed_size", "s", num);
	g_variant_dict_insert(&d, "docker.uncompressed_digest", "s", m->diff_id);
	if (m->blob_digest)
		g_variant_dict_insert(&d, "docker.digest", "s", m->blob_digest);
	qsort(synth, n, sizeof *synth, cmp_str);
	g_variant_dict_insert_value(&d, "syscontainer.synthesized-dirs",
				    g_variant_new_strv((const char *const *)synth, n));
	return g_variant_ref_sink(g_variant_dict_end(&d));
}

/* libostree renames a ref file into place without syncing its directory:
 * after a power cut the ref could be missing although the command said it
 * was written (or back although it was deleted).  Sync the directory of
 * the ref and each one above it up to refs/heads (a new directory's entry
 * must reach the disk too). */
static int sync_ref_dirs(struct store *s, const char *ref, struct err *e)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof dir, "refs/heads/%s", ref);
	while ((slash = strrchr(dir, '/')) && slash - dir >= 9) {
		*slash = '\0';
		fd = openat(ostree_repo_get_dfd(s->repo), dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0) {
			int saved = errno;
			if (fd >= 0)
				close(fd);
			if (saved == ENOENT)
				continue;   /* a deleted ref's directory libostree removed */
			return err_set(e, saved, "repository '%s': sync '%s'", s->path, dir);
		}
		close(fd);
	}
	return 0;
}

/* Second transaction: the commit object and its refs, once the tree it
 * names is durable. */
static int commit_and_refs(struct store *s, GFile *root, GVariant *meta, const char *subject,
			   const char *const *refs, guint64 when, char commit[65], struct err *e)
{
	g_autofree char *csum = NULL;
	GError *ge = NULL;

	if (!ostree_repo_prepare_transaction(s->repo, NULL, NULL, &ge))
		return gerr(e, ge, "repository '%s': start transaction", s->path);
	if (!ostree_repo_write_commit_with_time(s->repo, NULL, subject, NULL, meta,
						OSTREE_REPO_FILE(root), when, &csum, NULL, &ge))
		goto fail;
	for (size_t i = 0; refs[i]; i++)
		ostree_repo_transaction_set_ref(s->repo, NULL, refs[i], csum);
	if (!ostree_repo_commit_transaction(s->repo, NULL, NULL, &ge))
		goto fail;
	for (size_t i = 0; refs[i]; i++)
		if (sync_ref_dirs(s, refs[i], e) < 0)
			return -1;
	snprintf(commit, 65, "%s", csum);
	return 0;
fail:
	abort_txn(s);
	return gerr(e, ge, "repository '%s': commit", s->path);
}

/* First transaction: the tree, made durable. */
static int write_tree(struct store *s, OstreeMutableTree *root, GFile **out, struct err *e)
{
	GError *ge = NULL;

	if (!ostree_repo_write_mtree(s->repo, root, out, NULL, &ge) ||
	    !ostree_repo_commit_transaction(s->repo, NULL, NULL, &ge)) {
		g_clear_object(out);
		abort_txn(s);
		return gerr(e, ge, "repository '%s': write tree", s->path);
	}
	return 0;
}

int store_layer_commit(struct store_layer *l, const struct store_layer_meta *m,
		       char commit[65], struct err *e)
{
	struct store *s = l->s;
	g_autoptr(GFile) root = NULL;
	g_autoptr(GVariant) meta = NULL;
	char primary[80], alias[80], subject[96];
	const char *refs[3] = { primary, NULL, NULL };
	int r;

	if (m->unreferenced)
		refs[0] = NULL;

	if (!ostree_mutable_tree_get_metadata_checksum(l->root)) {
		g_autofree char *dm = NULL;
		if (dirmeta(l, 0, 0, 0755, NULL, &dm, e) < 0) {
			store_layer_abort(l);
			return -1;
		}
		ostree_mutable_tree_set_metadata_checksum(l->root, dm);
	}
	meta = layer_metadata(l, m);
	store_layer_ref(m->diff_id, primary);
	if (!m->unreferenced && m->blob_digest && strcmp(m->blob_digest, m->diff_id)) {
		store_layer_ref(m->blob_digest, alias);
		refs[1] = alias;
	}
	snprintf(subject, sizeof subject, "layer %s", m->diff_id);
	if (write_tree(s, l->root, &root, e) < 0) {
		layer_free(l);
		return -1;
	}
	/* Timestamp 0: the same layer always gives the same commit. */
	r = commit_and_refs(s, root, meta, subject, refs, 0, commit, e);
	layer_free(l);
	return r;
}

/* ---- refs and image commits ----------------------------------------------- */

int store_ref_get(struct store *s, const char *ref, char commit[65], struct err *e)
{
	g_autofree char *rev = NULL;
	GError *ge = NULL;

	if (!ostree_repo_resolve_rev_ext(s->repo, ref, TRUE, 0, &rev, &ge))
		return gerr(e, ge, "ref '%s'", ref);
	if (!rev)
		return 0;
	if (commit)
		snprintf(commit, 65, "%s", rev);
	return 1;
}

int store_write_meta_commit(struct store *s, const char *ref, const struct store_kv *kv,
			    size_t nkv, char commit[65], struct err *e)
{
	g_autoptr(OstreeMutableTree) root = ostree_mutable_tree_new();
	g_autoptr(GFile) tree = NULL;
	g_autoptr(GVariant) meta = NULL;
	g_autofree char *dm = NULL;
	g_autoptr(GFileInfo) info = g_file_info_new();
	g_autofree guchar *csum = NULL;
	g_autoptr(GVariant) dmv = NULL;
	const char *refs[2] = { ref, NULL };
	GVariantDict d;
	GError *ge = NULL;

	g_variant_dict_init(&d, NULL);
	for (size_t i = 0; i < nkv; i++)
		g_variant_dict_insert(&d, kv[i].key, "s", kv[i].value);
	meta = g_variant_ref_sink(g_variant_dict_end(&d));
	if (!ostree_repo_prepare_transaction(s->repo, NULL, NULL, &ge))
		return gerr(e, ge, "repository '%s': start transaction", s->path);
	g_file_info_set_attribute_uint32(info, "unix::uid", 0);
	g_file_info_set_attribute_uint32(info, "unix::gid", 0);
	g_file_info_set_attribute_uint32(info, "unix::mode", S_IFDIR | 0755);
	dmv = g_variant_ref_sink(ostree_create_directory_metadata(info, NULL));
	if (!ostree_repo_write_metadata(s->repo, OSTREE_OBJECT_TYPE_DIR_META, NULL, dmv, &csum,
					NULL, &ge)) {
		abort_txn(s);
		return gerr(e, ge, "repository '%s': write tree", s->path);
	}
	dm = ostree_checksum_from_bytes(csum);
	ostree_mutable_tree_set_metadata_checksum(root, dm);
	if (write_tree(s, root, &tree, e) < 0)
		return -1;
	return commit_and_refs(s, tree, meta, ref, refs, (guint64)time(NULL), commit, e);
}

int store_commit_meta(struct store *s, const char *commit, const char *key, char **out,
		      struct err *e)
{
	g_autoptr(GVariant) obj = NULL;
	g_autoptr(GVariant) meta = NULL;
	const char *v = NULL;
	GError *ge = NULL;

	*out = NULL;
	if (!ostree_repo_load_variant(s->repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &obj, &ge))
		return gerr(e, ge, "commit %s", commit);
	meta = g_variant_get_child_value(obj, 0);
	if (g_variant_lookup(meta, key, "&s", &v)) {
		*out = strdup(v);
		if (!*out)
			return err_set(e, ENOMEM, "commit %s", commit);
	}
	return 0;
}

int store_list_refs(struct store *s, const char *prefix, store_ref_fn fn, void *ctx,
		    struct err *e)
{
	g_autoptr(GHashTable) refs = NULL;
	g_autofree gpointer *keys = NULL;
	GError *ge = NULL;
	guint n = 0;
	size_t plen = strlen(prefix);

	/* Without a prefix argument libostree returns full names. */
	if (!ostree_repo_list_refs_ext(s->repo, NULL, &refs, OSTREE_REPO_LIST_REFS_EXT_NONE,
				       NULL, &ge))
		return gerr(e, ge, "repository '%s': list refs", s->path);
	keys = g_hash_table_get_keys_as_array(refs, &n);
	qsort(keys, n, sizeof *keys, cmp_str);
	for (guint i = 0; i < n; i++) {
		const char *ref = keys[i];
		int r;
		if (strncmp(ref, prefix, plen) || is_tmp_ref(ref))
			continue;
		r = fn(ctx, ref, g_hash_table_lookup(refs, ref), e);
		if (r)
			return r;
	}
	return 0;
}

int store_set_ref(struct store *s, const char *ref, const char *commit, struct err *e)
{
	GError *ge = NULL;

	if (!ostree_repo_set_ref_immediate(s->repo, NULL, ref, commit, NULL, &ge))
		return gerr(e, ge, "ref '%s'", ref);
	return sync_ref_dirs(s, ref, e);
}

int store_prune(struct store *s, int *objects_total, int *objects_pruned,
		uint64_t *bytes_freed, struct err *e)
{
	guint64 freed = 0;
	gint total = 0, pruned = 0;
	GError *ge = NULL;

	if (!ostree_repo_prune(s->repo, OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, -1, &total, &pruned,
			       &freed, NULL, &ge))
		return gerr(e, ge, "repository '%s': prune", s->path);
	*objects_total = total;
	*objects_pruned = pruned;
	*bytes_freed = freed;
	return 0;
}

static int read_gfile(GFile *f, size_t max, char **content, size_t *len, const char *path,
		      struct err *e)
{
	g_autoptr(GInputStream) in = NULL;
	GError *ge = NULL;
	size_t n = 0;
	char *buf = malloc(max + 1);

	if (!buf)
		return err_set(e, ENOMEM, "'%s'", path);
	in = G_INPUT_STREAM(g_file_read(f, NULL, &ge));
	if (!in || !g_input_stream_read_all(in, buf, max + 1, &n, NULL, &ge)) {
		free(buf);
		return gerr(e, ge, "read '%s'", path);
	}
	if (n > max) {
		free(buf);
		return err_set(e, 0, "'%s' is larger than %zu bytes", path, max);
	}
	buf[n] = '\0';
	*content = buf;
	*len = n;
	return 0;
}

int store_commit_path(struct store *s, const char *commit, const char *path, size_t max,
		      enum store_kind *kind, char **content, size_t *len, struct err *e)
{
	g_autoptr(GFile) root = NULL;
	g_autoptr(GFile) f = NULL;
	g_autoptr(GFileInfo) info = NULL;
	GError *ge = NULL;

	*kind = STORE_ABSENT;
	if (!ostree_repo_read_commit(s->repo, commit, &root, NULL, NULL, &ge))
		return gerr(e, ge, "commit %s", commit);
	f = g_file_resolve_relative_path(root, path);
	info = g_file_query_info(f, "standard::type", G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &ge);
	if (!info) {
		if (g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
		    g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY)) {
			g_clear_error(&ge);
			return 0;
		}
		return gerr(e, ge, "'%s'", path);
	}
	switch (g_file_info_get_file_type(info)) {
	case G_FILE_TYPE_REGULAR: *kind = STORE_FILE; break;
	case G_FILE_TYPE_DIRECTORY: *kind = STORE_DIR; break;
	case G_FILE_TYPE_SYMBOLIC_LINK: *kind = STORE_SYMLINK; break;
	default: *kind = STORE_OTHER; break;
	}
	if (*kind == STORE_FILE && content)
		return read_gfile(f, max, content, len, path, e);
	return 0;
}

int store_commit_stat(struct store *s, const char *commit, const char *path,
		      enum store_kind *kind, uint32_t *mode, char checksum[65], struct err *e)
{
	g_autoptr(GFile) root = NULL;
	g_autoptr(GFile) f = NULL;
	g_autoptr(GFileInfo) info = NULL;
	GError *ge = NULL;

	*kind = STORE_ABSENT;
	*mode = 0;
	checksum[0] = '\0';
	if (!ostree_repo_read_commit(s->repo, commit, &root, NULL, NULL, &ge))
		return gerr(e, ge, "commit %s", commit);
	f = g_file_resolve_relative_path(root, path);
	info = g_file_query_info(f, "standard::type,unix::mode", G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
				 NULL, &ge);
	if (!info) {
		if (g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
		    g_error_matches(ge, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY)) {
			g_clear_error(&ge);
			return 0;
		}
		return gerr(e, ge, "'%s'", path);
	}
	switch (g_file_info_get_file_type(info)) {
	case G_FILE_TYPE_REGULAR: *kind = STORE_FILE; break;
	case G_FILE_TYPE_DIRECTORY: *kind = STORE_DIR; break;
	case G_FILE_TYPE_SYMBOLIC_LINK: *kind = STORE_SYMLINK; break;
	default: *kind = STORE_OTHER; break;
	}
	*mode = g_file_info_get_attribute_uint32(info, "unix::mode") & 07777;
	if (*kind != STORE_DIR)
		snprintf(checksum, 65, "%s", ostree_repo_file_get_checksum(OSTREE_REPO_FILE(f)));
	return 0;
}

void store_layer_ref(const char *digest, char out[STORE_REF_MAX])
{
	const char *colon = strchr(digest, ':');
	snprintf(out, STORE_REF_MAX, "ociimage/%s", colon ? colon + 1 : digest);
}

/* ---- reading trees ---------------------------------------------------------- */

/* Trees are read from their dirtree and dirmeta objects directly, not
 * through GFile: no object per entry, and no stat of a file the caller
 * does not need to know about (STORE_WALK_NAMES). */
struct walk {
	struct store *s;
	store_walk_fn fn;
	void *ctx;
	int names_only;
	int objects_only;             /* STORE_WALK_OBJECTS */
	int have_meta;                /* the last dirmeta read: checksum, values */
	unsigned char meta_sum[32];
	uint32_t meta_uid, meta_gid, meta_mode;
	char path[PATH_MAX];
};

/* A tree object read straight from objects/ (one open, one read): no
 * GFile, no GBytes.  Only an object staged by a running transaction is
 * not there; libostree's loader finds those.  The bytes are not trusted:
 * GVariant checks them as they are read. */
static int load_tree(struct store *s, GVariant *sum, OstreeObjectType type, GVariant **out,
		     struct err *e)
{
	const char *ext = type == OSTREE_OBJECT_TYPE_DIR_TREE ? "dirtree" : "dirmeta";
	const GVariantType *vt = type == OSTREE_OBJECT_TYPE_DIR_TREE ? OSTREE_TREE_GVARIANT_FORMAT
								     : OSTREE_DIRMETA_GVARIANT_FORMAT;
	char hex[65], obj[96];
	GError *ge = NULL;
	struct stat st;
	void *buf;
	int fd;

	if (g_variant_n_children(sum) != 32)
		return err_set(e, EINVAL, "corrupt tree object");
	ostree_checksum_inplace_from_bytes(g_variant_get_data(sum), hex);
	snprintf(obj, sizeof obj, "objects/%.2s/%s.%s", hex, hex + 2, ext);
	fd = openat(store_dfd(s), obj, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
			close(fd);
			return err_set(e, EINVAL, "tree object %s: not a regular file of at most "
				       "64 MiB", hex);
		}
		if (!(buf = g_try_malloc(st.st_size ? (size_t)st.st_size : 1))) {
			close(fd);
			return err_set(e, ENOMEM, "tree object %s", hex);
		}
		errno = 0;
		if (util_pread_all(fd, buf, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
			int er = errno ? errno : EIO;   /* 0: the file was short */
			close(fd);
			g_free(buf);
			return err_set(e, er, "tree object %s: short read", hex);
		}
		close(fd);
		*out = g_variant_ref_sink(g_variant_new_from_data(vt, buf, (gsize)st.st_size, FALSE,
								  g_free, buf));
		return 0;
	}
	if (errno != ENOENT)
		return err_set(e, errno, "tree object %s", hex);
	if (!ostree_repo_load_variant(s->repo, type, hex, out, &ge))
		return gerr(e, ge, "tree object %s", hex);
	return 0;
}

/* Kind, mode, owner and symlink target of a content object.  A bare
 * repository's object is the file itself: one fstatat, no open. */
int store_object_entry(struct store *s, const char *sum, struct store_entry *ent, char *target,
		       size_t targetsz, struct err *e)
{
	g_autoptr(GFileInfo) info = NULL;
	GError *ge = NULL;

	ent->kind = STORE_FILE;
	if (store_is_bare(s)) {
		char obj[128];
		struct stat st;
		ssize_t n = 0;

		snprintf(obj, sizeof obj, "objects/%.2s/%s.file", sum, sum + 2);
		if (fstatat(store_dfd(s), obj, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (S_ISLNK(st.st_mode) &&
		     (n = readlinkat(store_dfd(s), obj, target, targetsz)) < 0))
			return err_set(e, errno, "object %s", sum);
		if ((size_t)n >= targetsz)
			return err_set(e, ENAMETOOLONG, "object %s", sum);
		target[n] = '\0';
		ent->kind = S_ISLNK(st.st_mode) ? STORE_SYMLINK : STORE_FILE;
		ent->mode = st.st_mode & 07777;
		ent->uid = st.st_uid;
		ent->gid = st.st_gid;
		ent->target = ent->kind == STORE_SYMLINK ? target : NULL;
		return 0;
	}
	if (!ostree_repo_load_file(s->repo, sum, NULL, &info, NULL, NULL, &ge))
		return gerr(e, ge, "object %s", sum);
	ent->mode = g_file_info_get_attribute_uint32(info, "unix::mode") & 07777;
	ent->uid = g_file_info_get_attribute_uint32(info, "unix::uid");
	ent->gid = g_file_info_get_attribute_uint32(info, "unix::gid");
	if (g_file_info_get_file_type(info) == G_FILE_TYPE_SYMBOLIC_LINK) {
		if ((size_t)snprintf(target, targetsz, "%s",
				     g_file_info_get_symlink_target(info)) >= targetsz)
			return err_set(e, ENAMETOOLONG, "object %s", sum);
		ent->kind = STORE_SYMLINK;
		ent->target = target;
	}
	return 0;
}

static int walk_tree(struct walk *w, GVariant *tree, size_t len, struct err *e);

/* Owner and mode of a directory.  Most directories of a tree share one
 * dirmeta object: the last one read is kept. */
static int dir_meta(struct walk *w, GVariant *sum, struct store_entry *ent, struct err *e)
{
	g_autoptr(GVariant) meta = NULL;

	if (!w->have_meta || g_variant_n_children(sum) != 32 ||
	    memcmp(g_variant_get_data(sum), w->meta_sum, 32)) {
		if (load_tree(w->s, sum, OSTREE_OBJECT_TYPE_DIR_META, &meta, e) < 0)
			return -1;
		g_variant_get(meta, "(uuu@a(ayay))", &w->meta_uid, &w->meta_gid, &w->meta_mode,
			      NULL);
		memcpy(w->meta_sum, g_variant_get_data(sum), 32);
		w->have_meta = 1;
	}
	ent->uid = GUINT32_FROM_BE(w->meta_uid);
	ent->gid = GUINT32_FROM_BE(w->meta_gid);
	ent->mode = GUINT32_FROM_BE(w->meta_mode) & 07777;
	return 0;
}

/* One child of the directory at w->path[0..len): name appended, reported,
 * and descended into when it is a directory. */
static int walk_child(struct walk *w, size_t len, GVariant *file, GVariant *dir, struct err *e)
{
	g_autoptr(GVariant) csum = NULL;
	g_autoptr(GVariant) msum = NULL;
	g_autoptr(GVariant) sub = NULL;
	struct store_entry ent = { .path = w->path };
	const char *name;
	char sum[65], target[PATH_MAX];
	size_t n;
	int r;

	if (file)
		g_variant_get(file, "(&s@ay)", &name, &csum);
	else
		g_variant_get(dir, "(&s@ay@ay)", &name, &csum, &msum);
	n = strlen(name);
	/* libostree writes no such name; a shared or foreign repository
	 * could hold one, and it must never become a path component */
	if (!n || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return err_set(e, EINVAL, "'%.*s': corrupt tree object: an entry named '%s'",
			       (int)len, w->path, name);
	if (len + !!len + n >= sizeof w->path)
		return err_set(e, ENAMETOOLONG, "'%.*s/%s'", (int)len, w->path, name);
	if (len)
		w->path[len++] = '/';
	memcpy(w->path + len, name, n + 1);
	if (file) {
		if (g_variant_n_children(csum) != 32)
			return err_set(e, EINVAL, "'%s': corrupt tree object", w->path);
		ostree_checksum_inplace_from_bytes(g_variant_get_data(csum), sum);
		ent.checksum = sum;
		ent.kind = w->objects_only ? STORE_OBJECT : STORE_FILE;
		if (!w->names_only && !w->objects_only &&
		    store_object_entry(w->s, sum, &ent, target, sizeof target, e) < 0)
			return err_wrap(e, "'%s'", w->path);
		return w->fn(w->ctx, &ent, e);
	}
	if (!w->names_only && dir_meta(w, msum, &ent, e) < 0)
		return err_wrap(e, "'%s'", w->path);
	ent.kind = STORE_DIR;
	if ((r = w->fn(w->ctx, &ent, e)))
		return r;
	if (load_tree(w->s, csum, OSTREE_OBJECT_TYPE_DIR_TREE, &sub, e) < 0)
		return err_wrap(e, "'%s'", w->path);
	return walk_tree(w, sub, len + n, e);
}

/* A dirtree lists files and directories apart, each sorted: merged here,
 * so the walk sees one directory's names in strcmp order. */
static int walk_tree(struct walk *w, GVariant *tree, size_t len, struct err *e)
{
	g_autoptr(GVariant) files = g_variant_get_child_value(tree, 0);
	g_autoptr(GVariant) dirs = g_variant_get_child_value(tree, 1);
	size_t nf = g_variant_n_children(files), nd = g_variant_n_children(dirs), i = 0, j = 0;
	int r = 0;

	while (r == 0 && (i < nf || j < nd)) {
		g_autoptr(GVariant) f = i < nf ? g_variant_get_child_value(files, i) : NULL;
		g_autoptr(GVariant) d = j < nd ? g_variant_get_child_value(dirs, j) : NULL;
		const char *fname = NULL, *dname = NULL;

		if (f)
			g_variant_get_child(f, 0, "&s", &fname);
		if (d)
			g_variant_get_child(d, 0, "&s", &dname);
		if (f && (!d || strcmp(fname, dname) < 0)) {
			r = walk_child(w, len, f, NULL, e);
			i++;
		} else {
			r = walk_child(w, len, NULL, d, e);
			j++;
		}
		w->path[len] = '\0';
	}
	return r;
}

/* The root dirtree of commit, or of its subdirectory dir (*found 0 when
 * that is no directory there). */
static int walk_root(struct store *s, const char *commit, const char *dir, GVariant **out,
		     int *found, struct err *e)
{
	g_autoptr(GVariant) obj = NULL;
	g_autoptr(GVariant) sum = NULL;
	g_autoptr(GVariant) tree = NULL;
	GError *ge = NULL;

	*found = 0;
	if (!ostree_repo_load_variant(s->repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &obj, &ge))
		return gerr(e, ge, "commit %s", commit);
	sum = g_variant_get_child_value(obj, 6);
	if (load_tree(s, sum, OSTREE_OBJECT_TYPE_DIR_TREE, &tree, e) < 0)
		return err_wrap(e, "commit %s", commit);
	while (dir && *dir) {
		g_autoptr(GVariant) dirs = g_variant_get_child_value(tree, 1);
		const char *slash = strchr(dir, '/');
		size_t n = slash ? (size_t)(slash - dir) : strlen(dir), k, nd;

		if (!n) {
			dir++;
			continue;
		}
		nd = g_variant_n_children(dirs);
		for (k = 0; k < nd; k++) {
			const char *name;
			g_variant_get_child(dirs, k, "(&s@ay@ay)", &name, &sum, NULL);
			if (strlen(name) == n && !memcmp(name, dir, n))
				break;
			g_clear_pointer(&sum, g_variant_unref);
		}
		if (k == nd)
			return 0;
		g_clear_pointer(&tree, g_variant_unref);
		if (load_tree(s, sum, OSTREE_OBJECT_TYPE_DIR_TREE, &tree, e) < 0)
			return err_wrap(e, "commit %s", commit);
		g_clear_pointer(&sum, g_variant_unref);
		dir += n;
	}
	*out = g_steal_pointer(&tree);
	*found = 1;
	return 0;
}

static int walk(struct store *s, const char *commit, const char *dir, int flags,
		store_walk_fn fn, void *ctx, struct err *e)
{
	g_autoptr(GVariant) tree = NULL;
	struct walk *w;
	size_t len = 0;
	int found, r;

	if (walk_root(s, commit, dir, &tree, &found, e) < 0)
		return -1;
	if (!found)
		return 0;
	if (!(w = calloc(1, sizeof *w)))
		return err_set(e, ENOMEM, "commit %s", commit);
	*w = (struct walk){ .s = s, .fn = fn, .ctx = ctx,
			    .names_only = !!(flags & STORE_WALK_NAMES),
			    .objects_only = !!(flags & STORE_WALK_OBJECTS) };
	if (dir) {
		while (*dir == '/')
			dir++;
		len = strlen(dir);
		while (len && dir[len - 1] == '/')
			len--;
		if (len >= sizeof w->path) {
			free(w);
			return err_set(e, ENAMETOOLONG, "'%s'", dir);
		}
		memcpy(w->path, dir, len);
	}
	r = walk_tree(w, tree, len, e);
	free(w);
	return r;
}

int store_walk(struct store *s, const char *commit, int flags, store_walk_fn fn, void *ctx,
	       struct err *e)
{
	return walk(s, commit, NULL, flags, fn, ctx, e);
}

int store_walk_under(struct store *s, const char *commit, const char *dir, store_walk_fn fn,
		     void *ctx, struct err *e)
{
	return walk(s, commit, dir, 0, fn, ctx, e);
}

int store_commit_meta_strv(struct store *s, const char *commit, const char *key,
			   int (*fn)(void *ctx, const char *item), void *ctx, struct err *e)
{
	g_autoptr(GVariant) obj = NULL;
	g_autoptr(GVariant) meta = NULL;
	g_autofree const char **v = NULL;
	GError *ge = NULL;

	if (!ostree_repo_load_variant(s->repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &obj, &ge))
		return gerr(e, ge, "commit %s", commit);
	meta = g_variant_get_child_value(obj, 0);
	if (!g_variant_lookup(meta, key, "^a&s", &v))
		return 0;
	for (size_t i = 0; v[i]; i++)
		if (fn(ctx, v[i]) < 0)
			return err_set(e, ENOMEM, "commit %s", commit);
	return 0;
}

int store_object_link(struct store *s, const char *checksum, int dirfd, const char *name,
		      struct err *e)
{
	char obj[128];

	snprintf(obj, sizeof obj, "objects/%.2s/%s.file", checksum, checksum + 2);
	if (linkat(ostree_repo_get_dfd(s->repo), obj, dirfd, name, 0) < 0)
		return err_set(e, errno, "link '%s'", name);
	return 0;
}

static int set_xattrs(int fd, GVariant *xattrs, const char *name, struct err *e)
{
	gsize n = xattrs ? g_variant_n_children(xattrs) : 0;

	for (gsize i = 0; i < n; i++) {
		const char *k;
		g_autoptr(GVariant) v = NULL;
		gsize len;
		const guint8 *val;

		g_variant_get_child(xattrs, i, "(^&ay@ay)", &k, &v);
		val = g_variant_get_fixed_array(v, &len, 1);
		if (fsetxattr(fd, k, val, len, 0) < 0)
			return err_set(e, errno, "set xattr '%s' on '%s'", k, name);
	}
	return 0;
}

int store_object_write(struct store *s, const char *checksum, int fd, uint64_t max,
		       struct sha256 *hash, struct err *e)
{
	g_autoptr(GInputStream) in = NULL;
	GError *ge = NULL;
	char buf[65536];
	uint64_t total = 0;
	gsize n;

	if (!ostree_repo_load_file(s->repo, checksum, &in, NULL, NULL, NULL, &ge))
		return gerr(e, ge, "object %s", checksum);
	while (g_input_stream_read_all(in, buf, sizeof buf, &n, NULL, &ge) && n > 0) {
		if ((total += n) > max)
			return err_set(e, EFBIG, "object %s: larger than %llu bytes", checksum,
				       (unsigned long long)max);
		if (hash)
			sha256_update(hash, buf, n);
		if (util_write_all(fd, buf, n) < 0)
			return err_set(e, errno, "write");
	}
	if (ge)
		return gerr(e, ge, "object %s", checksum);
	return 0;
}

int store_object_copy(struct store *s, const char *checksum, int dirfd, const char *name,
		      struct err *e)
{
	g_autoptr(GInputStream) in = NULL;
	g_autoptr(GFileInfo) info = NULL;
	g_autoptr(GVariant) xattrs = NULL;
	GError *ge = NULL;
	char buf[65536];
	gsize n;
	int fd, r = -1;

	if (!ostree_repo_load_file(s->repo, checksum, &in, &info, &xattrs, NULL, &ge))
		return gerr(e, ge, "object %s", checksum);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, errno, "create '%s'", name);
	while (g_input_stream_read_all(in, buf, sizeof buf, &n, NULL, &ge) && n > 0) {
		if (util_write_all(fd, buf, n) < 0) {
			err_set(e, errno, "write '%s'", name);
			goto out;
		}
	}
	if (ge) {
		gerr(e, ge, "object %s", checksum);
		goto out;
	}
	/* chown before chmod: chown clears setuid/setgid. */
	if (fchown(fd, g_file_info_get_attribute_uint32(info, "unix::uid"),
		   g_file_info_get_attribute_uint32(info, "unix::gid")) < 0 ||
	    fchmod(fd, g_file_info_get_attribute_uint32(info, "unix::mode") & 07777) < 0) {
		err_set(e, errno, "set owner and mode of '%s'", name);
		goto out;
	}
	r = set_xattrs(fd, xattrs, name, e);
out:
	close(fd);
	if (r < 0)
		unlinkat(dirfd, name, 0);
	return r;
}

int store_verify(struct store *s, const char *const *commits, size_t n, unsigned *objects,
		 struct err *e)
{
	g_autoptr(GHashTable) reachable = ostree_repo_traverse_new_reachable();
	GHashTableIter it;
	gpointer key;
	GError *ge = NULL;

	*objects = 0;
	for (size_t i = 0; i < n; i++)
		if (!ostree_repo_traverse_commit_union(s->repo, commits[i], 0, reachable, NULL, &ge))
			return gerr(e, ge, "commit %s", commits[i]);
	g_hash_table_iter_init(&it, reachable);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const char *sum;
		OstreeObjectType type;

		ostree_object_name_deserialize(key, &sum, &type);
		/* Re-hashes the object's content and metadata against its name. */
		if (!ostree_repo_fsck_object(s->repo, type, sum, NULL, &ge))
			return gerr(e, ge, "object %s", sum);
		(*objects)++;
	}
	return 0;
}

/* ---- space ------------------------------------------------------------------ */

uint64_t store_staging_freed(const struct store *s)
{
	return s->staging_freed;
}

int store_space(struct store *s, struct store_space *sp, struct err *e)
{
	int dfd = ostree_repo_get_dfd(s->repo);
	struct statvfs sv;
	guint64 reserve = 0;
	uint64_t avail;

	memset(sp, 0, sizeof *sp);
	if (fstatvfs(dfd, &sv) < 0)
		return err_set(e, errno, "repository '%s': statvfs", s->path);
	ostree_repo_get_min_free_space_bytes(s->repo, &reserve, NULL);
	/* as libostree counts: what this user may use */
	avail = (uint64_t)(getuid() != 0 ? sv.f_bavail : sv.f_bfree) * sv.f_bsize;
	sp->usable = avail > reserve ? avail - reserve : 0;
	sp->no_inodes = s->out_of_inodes || no_free_inodes(&sv);
	if (util_mount_point(dfd, sp->mount, sizeof sp->mount) < 0)
		snprintf(sp->mount, sizeof sp->mount, "%s", s->path);
	return 0;
}
