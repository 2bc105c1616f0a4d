#include "deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "path.h"
#include "store.h"
#include "util.h"

#define WH ".wh."
#define WH_OPQ ".wh..wh..opq"

struct ctx {
	struct store *s;
	int root;                  /* rootfs directory fd */
	int objects;               /* private copies of objects (cross_fs, EMLINK) */
	struct deploy_stats *st;
	char **synth;              /* this layer's synthesised dirs (sorted) */
	size_t nsynth, capsynth;
	int cross_fs;              /* hardlinks from the repo fail: copy */
	int bottom;                /* the first layer, into the empty rootfs */
	/* Entries come depth-first, sorted: most share the previous parent. */
	char parent[4096];
	int parent_fd;
};

static void forget_parent(struct ctx *c)
{
	if (c->parent_fd >= 0)
		close(c->parent_fd);
	c->parent_fd = -1;
	c->parent[0] = '\0';
}

/* The directory holding path (never through a symlink) and the base name;
 * the fd belongs to the cache: do not close it. */
static int open_parent(struct ctx *c, const char *path, const char **name, struct err *e)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	int fd;

	*name = slash ? slash + 1 : path;
	if (c->parent_fd >= 0 && strlen(c->parent) == n && !memcmp(c->parent, path, n))
		return c->parent_fd;
	if (n >= sizeof c->parent)
		return err_set(e, ENAMETOOLONG, "'%s'", path);
	forget_parent(c);
	fd = n ? path_open_parent(c->root, path, PATH_NO_SYMLINKS, name, -1, NULL, NULL, e)
	       : openat(c->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memcpy(c->parent, path, n);
	c->parent[n] = '\0';
	c->parent_fd = fd;
	return fd;
}

/* Remove name in pfd; removing a directory may take the cached parent
 * with it. */
static int remove_entry(struct ctx *c, int pfd, const char *name, struct err *e)
{
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, "stat '%s'", name);
	if (S_ISDIR(st.st_mode)) {
		int r, keep = dup(pfd);
		if (keep < 0)
			return err_set(e, errno, "remove '%s'", name);
		forget_parent(c);
		r = util_remove_at(keep, name, e);
		close(keep);
		return r;
	}
	return util_remove_at(pfd, name, e);
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
	if (layer_bad_whiteout(name))
		return err_set(e, 0, "whiteout '%s' names nothing it could remove", ent->path);
	c->st->whiteouts++;
	/* A whiteout below a lower symlink names nothing that exists as a
	 * directory here: there is nothing to remove, and nothing to follow. */
	fd = open_parent(c, ent->path, &name, e);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0
			: err_wrap(e, "whiteout");
	if (!strcmp(name, WH_OPQ)) {
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dfd < 0 ? err_set(e, errno, "open") : util_remove_children(dfd, e);
	} else {
		r = remove_entry(c, fd, name + strlen(WH), e);
	}
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

	/* Most directories are new: mkdir first, look only when it exists. */
	if (mkdirat(pfd, name, 0700) == 0) {
		synth = 0;   /* new: it gets the layer's (or the synthesised) mode */
	} else if (errno != EEXIST) {
		return err_set(e, errno, "mkdir '%s'", ent->path);
	} else if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		return err_set(e, errno, "stat '%s'", ent->path);
	} else if (!S_ISDIR(st.st_mode)) {
		/* a lower layer's file or symlink: the directory replaces it */
		if (remove_entry(c, pfd, name, e) < 0)
			return -1;
		if (mkdirat(pfd, name, 0700) < 0)
			return err_set(e, errno, "mkdir '%s'", ent->path);
		synth = 0;
	}
	c->st->dirs++;
	if (synth)
		return 0;    /* never apply a made-up mode over a lower layer's dir */
	if (fchownat(pfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, name, ent->mode, 0) < 0)
		return err_set(e, errno, "set owner and mode of '%s'", ent->path);
	return 0;
}

/* The private copy of an object, made on first use; a full one (EMLINK)
 * is replaced by a fresh copy for the uses that follow. */
static int link_copy(struct ctx *c, const char *sum, int pfd, const char *name, struct err *e)
{
	for (int tries = 0; tries < 2; tries++) {
		if (linkat(c->objects, sum, pfd, name, 0) == 0)
			return 0;
		if (errno == ENOENT) {
			if (store_object_copy(c->s, sum, c->objects, sum, e) < 0)
				return -1;
		} else if (errno == EMLINK) {
			char tmp[80];
			snprintf(tmp, sizeof tmp, "%s.new", sum);
			unlinkat(c->objects, tmp, 0);
			if (store_object_copy(c->s, sum, c->objects, tmp, e) < 0)
				return -1;
			if (renameat(c->objects, tmp, c->objects, sum) < 0)
				return err_set(e, errno, "object copy %s", sum);
		} else {
			return err_set(e, errno, "link");
		}
		c->st->copied++;
	}
	return err_set(e, EMLINK, "link");
}

/* Make room for name: whatever a lower layer left there goes.  Removing a
 * directory may drop the cached parent: *pfd is the parent again after. */
static int replace_entry(struct ctx *c, int *pfd, const char *path, const char **name,
			 struct err *e)
{
	if (remove_entry(c, *pfd, *name, e) < 0)
		return -1;
	if (c->parent_fd < 0 && (*pfd = open_parent(c, path, name, e)) < 0)
		return err_set(e, errno, "'%s': parent is not a directory", path);
	return 0;
}

/* The slow way, when the repository's object cannot be linked in place
 * (another file system, a bare-user repository, the hardlink limit): a
 * symlink is made anew, a file linked from the private copy. */
static int add_copy(struct ctx *c, int pfd, const char *name, const struct store_entry *ent,
		    struct err *e)
{
	struct store_entry full = *ent;
	char target[PATH_MAX];

	if (ent->kind == STORE_OBJECT &&
	    store_object_entry(c->s, ent->checksum, &full, target, sizeof target, e) < 0)
		return err_wrap(e, "'%s'", ent->path);
	if (replace_entry(c, &pfd, ent->path, &name, e) < 0)
		return -1;
	if (full.kind == STORE_SYMLINK) {
		if (symlinkat(full.target, pfd, name) < 0 ||
		    fchownat(pfd, name, full.uid, full.gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_set(e, errno, "symlink '%s'", ent->path);
		c->st->symlinks++;
		return 0;
	}
	if (link_copy(c, ent->checksum, pfd, name, e) < 0)
		return err_wrap(e, "'%s'", ent->path);
	c->st->files++;
	c->st->linked++;
	return 0;
}

/* A file or symlink: a bare repository's object on this file system is
 * linked as it is (it has the owner, mode and xattrs already), whatever
 * its kind; only a name that is taken is looked at. */
static int add_object(struct ctx *c, int pfd, const char *name, const struct store_entry *ent,
		      struct err *e)
{
	int r;

	if (c->cross_fs)
		return add_copy(c, pfd, name, ent, e);
	r = store_object_link(c->s, ent->checksum, pfd, name, e);
	if (r < 0 && e->errnum == EEXIST) {
		if (replace_entry(c, &pfd, ent->path, &name, e) < 0)
			return -1;
		r = store_object_link(c->s, ent->checksum, pfd, name, e);
	}
	if (r == 0) {
		c->st->files++;
		c->st->linked++;
		return 0;
	}
	if (e->errnum == EXDEV || e->errnum == EPERM)
		c->cross_fs = 1;
	else if (e->errnum != EMLINK)
		return err_wrap(e, "'%s'", ent->path);
	return add_copy(c, pfd, name, ent, e);
}

static int add_entry(void *opaque, const struct store_entry *ent, struct err *e)
{
	struct ctx *c = opaque;
	const char *name, *base = strrchr(ent->path, '/');
	int pfd;

	base = base ? base + 1 : ent->path;
	if (ent->kind != STORE_DIR && !strncmp(base, WH, strlen(WH))) {
		/* the bottom layer's whiteouts hide nothing: only checked */
		if (c->bottom && layer_bad_whiteout(base))
			return err_set(e, 0, "whiteout '%s' names nothing it could remove",
				       ent->path);
		return 0;
	}
	pfd = open_parent(c, ent->path, &name, e);
	if (pfd < 0)
		return err_set(e, errno, "'%s': parent is not a directory", ent->path);
	if (ent->kind == STORE_DIR)
		return add_dir(c, pfd, name, ent, e);
	return add_object(c, pfd, name, ent, e);
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
		    int objects_fd, struct deploy_stats *st, struct err *e)
{
	/* Only a bare repo holds objects with their real owner and mode. */
	struct ctx c = { .s = s, .root = rootfs_fd, .objects = objects_fd, .st = st,
			 .cross_fs = !store_is_bare(s), .parent_fd = -1 };
	int r = 0;

	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n && r == 0; i++) {
		clear_synth(&c);
		r = store_commit_meta_strv(s, commits[i], "syscontainer.synthesized-dirs", add_synth,
					   &c, e);
		if (r == 0 && c.nsynth)
			qsort(c.synth, c.nsynth, sizeof *c.synth, cmp_strp);
		/* into the empty rootfs, the first layer has nothing to hide */
		c.bottom = i == 0;
		if (r == 0 && !c.bottom)
			r = store_walk(s, commits[i], STORE_WALK_NAMES, apply_whiteout, &c, e);
		forget_parent(&c);
		/* linked objects need no look; copies look at each one */
		if (r == 0)
			r = store_walk(s, commits[i], c.cross_fs ? 0 : STORE_WALK_OBJECTS, add_entry,
				       &c, e);
		forget_parent(&c);
	}
	clear_synth(&c);
	free(c.synth);
	st->cross_fs = c.cross_fs;
	return r;
}
