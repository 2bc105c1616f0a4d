#include "hostfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "path.h"
#include "policy.h"
#include "sha256.h"
#include "store.h"
#include "util.h"

#define HOSTFS_DIR "exports/hostfs"

void hostfs_free(struct hostfs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].src);
		free(h->v[i].target);
		free(h->v[i].content);
	}
	for (size_t i = 0; i < h->ndirs; i++)
		free(h->dirs[i]);
	h->n = h->ndirs = 0;
}

struct walk {
	struct store *s;
	const struct image_info *im;
	struct hostfs *h;
	const struct json *m;
	template_lookup_fn lookup;
	void *ctx;
	const struct target *t;
	int preview;        /* what exists already is no refusal */
	const char *const *owned;
	size_t nowned;
};

static int owned(const struct walk *w, const char *path)
{
	for (size_t i = 0; i < w->nowned; i++)
		if (!strcmp(w->owned[i], path))
			return 1;
	return 0;
}

/* renameFiles maps an image path to a host path (expanded); else the same. */
static int target_of(struct walk *w, const char *src, char **out, struct err *e)
{
	int ren = w->m ? json_get(w->m, json_root(w->m), "renameFiles") : -1;
	int to = json_get(w->m, ren, src);
	struct buf b;
	char *v;

	if (to < 0) {
		*out = strdup(src);
		return *out ? 0 : err_set(e, ENOMEM, "hostfs");
	}
	if (!(v = json_str(w->m, to)))
		return err_set(e, 0, "/exports/manifest.json: renameFiles '%s' is not a string", src);
	buf_init(&b);
	if (template_expand(v, strlen(v), 0, w->lookup, w->ctx, &b, e) < 0) {
		free(v);
		buf_free(&b);
		return err_wrap(e, "/exports/manifest.json: renameFiles '%s'", src);
	}
	free(v);
	*out = buf_steal(&b, NULL);
	return *out ? 0 : err_set(e, ENOMEM, "hostfs");
}

/* installedFilesTemplate names a file by its image path or its host path. */
static int templated(const struct walk *w, const char *src, const char *target)
{
	int list = w->m ? json_get(w->m, json_root(w->m), "installedFilesTemplate") : -1;

	for (size_t i = 0; i < json_count(w->m, list); i++)
		if (json_str_eq(w->m, json_at(w->m, list, i), target) ||
		    json_str_eq(w->m, json_at(w->m, list, i), src))
			return 1;
	return 0;
}

static int add_dir(struct hostfs *h, const char *dir, struct err *e)
{
	for (size_t i = 0; i < h->ndirs; i++)
		if (!strcmp(h->dirs[i], dir))
			return 0;
	if (h->ndirs == HOSTFS_MAX)
		return err_set(e, 0, "/%s: more than %d directories to create", HOSTFS_DIR, HOSTFS_MAX);
	if (!(h->dirs[h->ndirs] = strdup(dir)))
		return err_set(e, ENOMEM, "hostfs");
	h->ndirs++;
	return 0;
}

/* The destination against the target as it is: nothing there, nothing but
 * real directories on the way (the missing ones planned), and no system
 * command shadowed. */
static int check_on_target(struct walk *w, const char *target, struct err *e)
{
	static const char *const sys_bin[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	char dir[PATH_MAX];
	const char *base = strrchr(target, '/') + 1, *rel;
	struct stat st;
	size_t n;
	int dfd;

	/* Each ancestor, from the top: a real directory, or missing. */
	for (n = 1; target[n]; n++) {
		if (target[n] != '/')
			continue;
		snprintf(dir, sizeof dir, "%.*s", (int)n, target);
		dfd = target_at(w->t, dir, &rel);
		if (path_lstat(dfd, rel, PATH_NO_SYMLINKS, &st) < 0) {
			if (errno != ENOENT)
				return w->preview ? 0 : err_set(e, errno, "'%s'", dir);
			if (add_dir(w->h, dir, e) < 0)
				return -1;
		} else if (!S_ISDIR(st.st_mode) && !w->preview) {
			return err_set(e, 0, "'%s' is on the way and is %s", dir,
				       S_ISLNK(st.st_mode) ? "a symlink (never followed)"
							   : "not a directory");
		}
	}
	dfd = target_at(w->t, target, &rel);
	if (path_lstat(dfd, rel, PATH_NO_SYMLINKS, &st) == 0 && !w->preview && !owned(w, target))
		return err_set(e, 0, "exists and is not ours: refusing to replace it");
	/* A command in /usr/local/bin or /usr/local/sbin comes first in root's
	 * PATH: it must not stand in for one of the system's. */
	n = (size_t)(base - target - 1);
	if ((n == 14 && !strncmp(target, "/usr/local/bin", n)) ||
	    (n == 15 && !strncmp(target, "/usr/local/sbin", n))) {
		for (size_t i = 0; i < sizeof sys_bin / sizeof sys_bin[0]; i++) {
			snprintf(dir, sizeof dir, "%s/%s", sys_bin[i], base);
			dfd = target_at(w->t, dir, &rel);
			if (path_lstat(dfd, rel, PATH_IN_ROOT, &st) == 0)
				return err_setc(e, ERR_REFUSED, 0, "would shadow the system's %s in "
						"every PATH (see HOST FILES in syscontainer(1))", dir);
		}
	}
	return 0;
}

static int plan_one(struct walk *w, const char *path, const struct image_path *p,
		    struct err *e)
{
	struct hostfile *f = &w->h->v[w->h->n];
	const char *src = path + strlen(HOSTFS_DIR);   /* "/usr/local/bin/x" */

	if (p->kind != STORE_FILE)
		return err_set(e, 0, "/%s: only regular files are copied to the host", path);
	if (w->h->n == HOSTFS_MAX)
		return err_set(e, 0, "/%s: more than %d files", HOSTFS_DIR, HOSTFS_MAX);
	memset(f, 0, sizeof *f);
	if (!(f->src = strdup(src + 1)))
		return err_set(e, ENOMEM, "hostfs");
	if (target_of(w, src, &f->target, e) < 0) {
		free(f->src);
		return -1;
	}
	w->h->n++;
	f->image_mode = p->mode;
	f->mode = policy_host_mode(p->mode);
	f->templated = templated(w, src, f->target);
	memcpy(f->checksum, p->checksum, sizeof f->checksum);
	for (size_t i = 0; i + 1 < w->h->n; i++)
		if (!strcmp(w->h->v[i].target, f->target))
			return err_set(e, 0, "host file '%s': both /%s/%s and /%s go there", f->target,
				       HOSTFS_DIR, w->h->v[i].src, path);
	if (policy_host_file(f->target, e) < 0 || check_on_target(w, f->target, e) < 0)
		return err_wrap(e, "host file '%s' (from /%s)", f->target, path);
	if (f->templated) {
		char *raw = NULL;
		size_t len;
		int found;
		struct buf out;
		uint8_t d[32];

		if (image_read_file(w->s, w->im, path, HOSTFS_TEMPLATE_MAX, &found, &raw, &len, e) < 0)
			return err_wrap(e, "/%s", path);
		buf_init(&out);
		if (template_expand(raw ? raw : "", raw ? len : 0, 0, w->lookup, w->ctx, &out, e) < 0) {
			free(raw);
			buf_free(&out);
			return err_wrap(e, "/%s", path);
		}
		free(raw);
		f->content = buf_steal(&out, &f->len);
		if (!f->content)
			return err_set(e, ENOMEM, "hostfs");
		sha256_oneshot(f->content, f->len, d);
		sha256_hex(d, f->sha256);
	}
	return 0;
}

static int plan_cb(void *ctx, const char *path, const struct image_path *p, struct err *e)
{
	return plan_one(ctx, path, p, e);
}

int hostfs_plan(struct store *s, const struct image_info *im, const struct json *manifest,
		template_lookup_fn lookup, void *ctx, const struct target *t, int preview,
		const char *const *owned, size_t nowned, struct hostfs *h, struct err *e)
{
	struct walk w = { s, im, h, manifest, lookup, ctx, t, preview, owned, nowned };
	struct image_path p;

	h->n = h->ndirs = 0;
	if (image_path_kind(s, im, HOSTFS_DIR, &p, e) < 0)
		return -1;
	if (p.kind == STORE_ABSENT)
		return 0;
	if (p.kind != STORE_DIR)
		return err_set(e, 0, "/%s is not a directory inside the image (a symlink?): refusing "
			       "to follow it", HOSTFS_DIR);
	return image_walk_files(s, im, HOSTFS_DIR, plan_cb, &w, e);
}

int hostfs_mkdir(const struct target *t, const char *dir, struct err *e)
{
	char sub[PATH_MAX];
	const char *rel, *base;
	int dfd = target_at(t, dir, &rel), pfd;

	if (snprintf(sub, sizeof sub, "%s/x", rel) >= (int)sizeof sub)
		return err_set(e, ENAMETOOLONG, "'%s'", dir);
	pfd = path_open_parent(dfd, sub, PATH_NO_SYMLINKS, &base, 0755, NULL, NULL, e);
	if (pfd < 0)
		return err_wrap(e, "host directory");
	close(pfd);
	return 0;
}

int hostfs_content(struct store *s, struct hostfile *f, int fd, struct err *e)
{
	struct sha256 hash;
	uint8_t d[32];

	if (f->templated)
		return util_write_all(fd, f->content, f->len) < 0 ? err_set(e, errno, "write") : 0;
	sha256_init(&hash);
	if (store_object_write(s, f->checksum, fd, HOSTFS_FILE_MAX, &hash, e) < 0)
		return -1;
	sha256_final(&hash, d);
	sha256_hex(d, f->sha256);
	return 0;
}

int hostfs_install(const struct target *t, int srcfd, const char *path, uint32_t mode,
		   uint32_t uid, uint32_t gid, int replace, struct err *e)
{
	char tmp[NAME_MAX + 1], buf[65536];
	const char *rel, *base;
	ssize_t n;
	int pfd = target_at(t, path, &rel), fd, r = 0;

	pfd = path_open_parent(pfd, rel, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, e);
	if (pfd < 0)
		return err_wrap(e, "host file '%s'", path);
	snprintf(tmp, sizeof tmp, ".%.200s.syscontainer-%d", base, (int)getpid());
	unlinkat(pfd, tmp, 0);
	fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(pfd);
		return err_set(e, errno, "host file '%s'", path);
	}
	while (r == 0 && (n = read(srcfd, buf, sizeof buf)) != 0)
		if (n < 0 ? errno != EINTR : util_write_all(fd, buf, (size_t)n) < 0)
			r = -1;
	/* chown before chmod: chown clears setuid/setgid (there are none). */
	if (r < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		r = -1;
	if (close(fd) < 0)
		r = -1;
	if (r == 0 && (replace ? renameat(pfd, tmp, pfd, base) : linkat(pfd, tmp, pfd, base, 0)) < 0)
		r = -1;
	if (r < 0)
		err_set(e, errno, "host file '%s'", path);
	unlinkat(pfd, tmp, 0);
	if (r == 0) {
		int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0)
			r = err_set(e, errno, "sync the directory of '%s'", path);
		if (dfd >= 0)
			close(dfd);
	}
	close(pfd);
	return r;
}

void hostfs_current_sha256(const struct target *t, const char *path, char out[65])
{
	const char *rel;
	struct sha256 s;
	char chunk[65536];
	uint8_t d[32];
	ssize_t n;
	int dfd = target_at(t, path, &rel);
	int fd = path_openat(dfd, rel, PATH_NO_SYMLINKS, O_RDONLY | O_NONBLOCK, 0);
	struct stat st;

	out[0] = '\0';
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	sha256_init(&s);
	for (off_t off = 0; (n = util_pread_all(fd, chunk, sizeof chunk, off)) > 0; off += n)
		sha256_update(&s, chunk, (size_t)n);
	close(fd);
	if (n < 0)
		return;
	sha256_final(&s, d);
	sha256_hex(d, out);
}
