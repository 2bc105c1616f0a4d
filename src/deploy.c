#include "deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

#define WH ".wh."
#define WH_OPQ ".wh..wh..opq"

/* Objects copied into this deployment (repo on another filesystem), so each
 * is copied once and hardlinked afterwards: checksum -> path in rootfs. */
struct copied {
	char sum[65];
	char *path;
};

struct ctx {
	struct store *s;
	int root;                  /* rootfs directory fd */
	struct deploy_stats *st;
	char **synth;              /* this layer's synthesised dirs (sorted) */
	size_t nsynth, capsynth;
	int cross_fs;              /* hardlinks from the repo fail: copy */
	struct copied *copies;
	size_t ncopies, capcopies;
};

int deploy_open_dir(int rootfs_fd, const char *path)
{
	char buf[4096];
	int fd = dup(rootfs_fd);

	if (fd < 0)
		return -1;
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *comp = strtok(buf, "/"); comp; comp = strtok(NULL, "/")) {
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		close(fd);
		if (next < 0) {
			errno = saved;
			return -1;
		}
		fd = next;
	}
	return fd;
}

/* Split "a/b/c" into an fd for "a/b" (no symlink followed) and "c". */
static int open_parent(int root, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	*name = slash ? slash + 1 : path;
	if (!slash)
		return dup(root);
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	return deploy_open_dir(root, dir);
}

/* ---- pass 1: whiteouts hide lower layers' content ------------------------ */

static int apply_whiteout(void *opaque, const struct store_entry *ent, struct err *e)
{
	struct ctx *c = opaque;
	const char *name;
	int fd, r = 0;

	if (ent->kind == STORE_DIR)
		return 0;
	name = strrchr(ent->path, '/');
	name = name ? name + 1 : ent->path;
	if (strncmp(name, WH, strlen(WH)))
		return 0;
	c->st->whiteouts++;
	/* A whiteout below a lower symlink names nothing that exists as a
	 * directory here: there is nothing to remove, and nothing to follow. */
	fd = open_parent(c->root, ent->path, &name);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0
			: err_set(e, errno, "whiteout '%s'", ent->path);
	if (!strcmp(name, WH_OPQ))
		r = util_remove_children(dup(fd), e);
	else if (name[strlen(WH)])
		r = util_remove_at(fd, name + strlen(WH), e);
	close(fd);
	return r < 0 ? err_wrap(e, "whiteout '%s'", ent->path) : 0;
}

/* ---- pass 2: this layer's entries ------------------------------------------ */

static int is_synth(const struct ctx *c, const char *path)
{
	size_t lo = 0, hi = c->nsynth;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->synth[mid], path);
		if (!r)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int add_dir(struct ctx *c, int pfd, const char *name, const struct store_entry *ent,
		   struct err *e)
{
	int synth = is_synth(c, ent->path);
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    util_remove_at(pfd, name, e) < 0)
		return -1;
	if (mkdirat(pfd, name, 0700) == 0)
		synth = 0;   /* new: it gets the layer's (or the synthesised) mode */
	else if (errno != EEXIST)
		return err_set(e, errno, "mkdir '%s'", ent->path);
	c->st->dirs++;
	if (synth)
		return 0;    /* never apply a made-up mode over a lower layer's dir */
	if (fchownat(pfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, name, ent->mode, 0) < 0)
		return err_set(e, errno, "set owner and mode of '%s'", ent->path);
	return 0;
}

static struct copied *find_copy(struct ctx *c, const char *sum)
{
	for (size_t i = 0; i < c->ncopies; i++)
		if (!strcmp(c->copies[i].sum, sum))
			return &c->copies[i];
	return NULL;
}

static int remember_copy(struct ctx *c, const char *sum, const char *path, struct err *e)
{
	if (c->ncopies == c->capcopies) {
		size_t cap = c->capcopies ? c->capcopies * 2 : 256;
		struct copied *n = realloc(c->copies, cap * sizeof *n);
		if (!n)
			return err_set(e, ENOMEM, "checkout");
		c->copies = n;
		c->capcopies = cap;
	}
	snprintf(c->copies[c->ncopies].sum, 65, "%s", sum);
	c->copies[c->ncopies].path = strdup(path);
	if (!c->copies[c->ncopies].path)
		return err_set(e, ENOMEM, "checkout");
	c->ncopies++;
	return 0;
}

static int add_file(struct ctx *c, int pfd, const char *name, const struct store_entry *ent,
		    struct err *e)
{
	struct copied *cp;

	if (!c->cross_fs) {
		if (store_object_link(c->s, ent->checksum, pfd, name, e) == 0) {
			c->st->linked++;
			return 0;
		}
		if (e->errnum != EXDEV && e->errnum != EPERM)
			return err_wrap(e, "'%s'", ent->path);
		c->cross_fs = 1;   /* say so once: the caller reads st->copied */
	}
	if ((cp = find_copy(c, ent->checksum))) {
		if (linkat(c->root, cp->path, pfd, name, 0) == 0) {
			c->st->linked++;
			return 0;
		}
	}
	if (store_object_copy(c->s, ent->checksum, pfd, name, e) < 0)
		return err_wrap(e, "'%s'", ent->path);
	c->st->copied++;
	return cp ? 0 : remember_copy(c, ent->checksum, ent->path, e);
}

static int add_entry(void *opaque, const struct store_entry *ent, struct err *e)
{
	struct ctx *c = opaque;
	const char *name, *base = strrchr(ent->path, '/');
	int pfd, r;

	base = base ? base + 1 : ent->path;
	if (ent->kind != STORE_DIR && !strncmp(base, WH, strlen(WH)))
		return 0;
	pfd = open_parent(c->root, ent->path, &name);
	if (pfd < 0)
		return err_set(e, errno, "'%s': parent is not a directory", ent->path);
	if (ent->kind == STORE_DIR) {
		r = add_dir(c, pfd, name, ent, e);
	} else {
		r = util_remove_at(pfd, name, e);
		if (r == 0 && ent->kind == STORE_SYMLINK) {
			if (symlinkat(ent->target, pfd, name) < 0 ||
			    fchownat(pfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) < 0)
				r = err_set(e, errno, "symlink '%s'", ent->path);
			c->st->symlinks++;
		} else if (r == 0) {
			r = add_file(c, pfd, name, ent, e);
			c->st->files++;
		}
	}
	close(pfd);
	return r;
}

static int add_synth(void *opaque, const char *item)
{
	struct ctx *c = opaque;
	if (c->nsynth == c->capsynth) {
		size_t cap = c->capsynth ? c->capsynth * 2 : 16;
		char **n = realloc(c->synth, cap * sizeof *n);
		if (!n)
			return -1;
		c->synth = n;
		c->capsynth = cap;
	}
	if (!(c->synth[c->nsynth] = strdup(item)))
		return -1;
	c->nsynth++;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void clear_synth(struct ctx *c)
{
	for (size_t i = 0; i < c->nsynth; i++)
		free(c->synth[i]);
	c->nsynth = 0;
}

int deploy_checkout(struct store *s, const char *const *commits, size_t n, int rootfs_fd,
		    struct deploy_stats *st, struct err *e)
{
	/* Only a bare repo holds objects with their real owner and mode. */
	struct ctx c = { .s = s, .root = rootfs_fd, .st = st, .cross_fs = !store_is_bare(s) };
	int r = 0;

	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n && r == 0; i++) {
		clear_synth(&c);
		r = store_commit_meta_strv(s, commits[i], "syscontainer.synthesized-dirs", add_synth,
					   &c, e);
		if (r == 0)
			if (c.nsynth)
				qsort(c.synth, c.nsynth, sizeof *c.synth, cmp_strp);
		if (r == 0)
			r = store_walk(s, commits[i], apply_whiteout, &c, e);
		if (r == 0)
			r = store_walk(s, commits[i], add_entry, &c, e);
	}
	clear_synth(&c);
	free(c.synth);
	for (size_t i = 0; i < c.ncopies; i++)
		free(c.copies[i].path);
	free(c.copies);
	return r;
}
