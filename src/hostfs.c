#include "hostfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "deploy.h"
#include "json.h"
#include "sha256.h"
#include "tar.h"

#define HOSTFS_DIR "exports/hostfs"

void hostfs_free(struct hostfs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].src);
		free(h->v[i].target);
	}
	h->n = 0;
}

/* "/usr/bin/x" -> parent fd (created as needed, never via a symlink) and
 * the base name. */
static int open_target_parent(int target_fd, const char *target, const char **base, int create,
			      struct err *e)
{
	char path[4096], *p, *slash;
	int fd = dup(target_fd);

	snprintf(path, sizeof path, "%s", target + 1);
	slash = strrchr(path, '/');
	*base = target + 1 + (slash ? (size_t)(slash - path) + 1 : 0);
	if (!slash)
		return fd;
	*slash = '\0';
	for (p = strtok(path, "/"); p && fd >= 0; p = strtok(NULL, "/")) {
		int next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create && mkdirat(fd, p, 0755) == 0)
			next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			close(fd);
			return err_set(e, 0, "host path '%s' passes through a symlink or a file", target);
		}
		if (next < 0 && errno == ENOENT && !create) {
			close(fd);
			return -2;   /* does not exist yet: will be created */
		}
		if (next < 0) {
			int saved = errno;
			close(fd);
			return err_set(e, saved, "host path '%s'", target);
		}
		close(fd);
		fd = next;
	}
	return fd;
}

static int check_target(int target_fd, const char *target, struct err *e)
{
	char norm[TAR_MAX_PATH + 1];
	const char *base;
	struct stat st;
	int fd;

	if (target[0] != '/' || tar_normalize_path(target, strlen(target), norm, sizeof norm, e) < 0 ||
	    strcmp(norm, target + 1))
		return err_set(e, 0, "host path '%s': must be absolute and normal (no '..')", target);
	fd = open_target_parent(target_fd, target, &base, 0, e);
	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		return err_set(e, 0, "host file '%s' exists and is not ours: refusing to replace it",
			       target);
	}
	close(fd);
	return 0;
}

struct walk {
	struct hostfs *h;
	const struct json *m;
	template_lookup_fn lookup;
	void *ctx;
};

/* renameFiles maps an image path to a host path (expanded); else the same. */
static int target_of(struct walk *w, const char *rel, char **out, struct err *e)
{
	char src[4200];
	int ren = w->m ? json_get(w->m, json_root(w->m), "renameFiles") : -1;
	int to;
	char *v;
	struct buf b;

	snprintf(src, sizeof src, "/%s", rel);
	to = json_get(w->m, ren, src);
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
static int templated(const struct walk *w, const char *rel, const char *target)
{
	int list = w->m ? json_get(w->m, json_root(w->m), "installedFilesTemplate") : -1;
	char src[4200];

	snprintf(src, sizeof src, "/%s", rel);
	for (size_t i = 0; i < json_count(w->m, list); i++)
		if (json_str_eq(w->m, json_at(w->m, list, i), target) ||
		    json_str_eq(w->m, json_at(w->m, list, i), src))
			return 1;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *rel, int target_fd, struct err *e)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(dfd);
		return err_set(e, errno, "/%s/%s", HOSTFS_DIR, rel);
	}
	while (r == 0 && (de = readdir(d))) {
		char path[4096];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = err_set(e, errno, "/%s/%s", HOSTFS_DIR, path);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? err_set(e, errno, "/%s/%s", HOSTFS_DIR, path)
				    : walk_dir(w, sub, path, target_fd, e);
		} else if (!S_ISREG(st.st_mode)) {
			r = err_set(e, 0, "/%s/%s: only regular files are copied to the host", HOSTFS_DIR,
				    path);
		} else if (w->h->n == HOSTFS_MAX) {
			r = err_set(e, 0, "/%s: more than %d files", HOSTFS_DIR, HOSTFS_MAX);
		} else {
			struct hostfile *f = &w->h->v[w->h->n];
			memset(f, 0, sizeof *f);
			if (!(f->src = strdup(path)) || target_of(w, path, &f->target, e) < 0) {
				free(f->src);
				r = f->src ? -1 : err_set(e, ENOMEM, "hostfs");
				continue;
			}
			f->mode = st.st_mode & 07777;
			f->templated = templated(w, path, f->target);
			w->h->n++;
			r = check_target(target_fd, f->target, e);
		}
	}
	closedir(d);
	return r;
}

int hostfs_plan(int rootfs_fd, int target_fd, const char *manifest, size_t mlen,
		template_lookup_fn lookup, void *ctx, struct hostfs *h, struct err *e)
{
	struct json *m = NULL;
	struct walk w = { h, NULL, lookup, ctx };
	int dfd, r;

	h->n = 0;
	dfd = deploy_open_dir(rootfs_fd, HOSTFS_DIR);
	if (dfd < 0)
		return errno == ENOENT ? 0 : err_set(e, 0, "/%s is not a directory inside the image "
						     "(a symlink?): refusing to follow it", HOSTFS_DIR);
	if (manifest && json_parse(&m, manifest, mlen, e) < 0) {
		close(dfd);
		return err_wrap(e, "/exports/manifest.json");
	}
	w.m = m;
	r = walk_dir(&w, dfd, "", target_fd, e);
	json_free(m);
	return r;
}

static int read_src(int rootfs_fd, const char *src, struct buf *b, struct err *e)
{
	char path[4200];
	const char *slash;
	int dfd, fd;
	char chunk[65536];
	ssize_t n;

	snprintf(path, sizeof path, HOSTFS_DIR "/%s", src);
	slash = strrchr(path, '/');
	snprintf(chunk, sizeof chunk, "%.*s", (int)(slash - path), path);
	dfd = deploy_open_dir(rootfs_fd, chunk);
	fd = dfd < 0 ? -1 : openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		close(dfd);
	if (fd < 0)
		return err_set(e, errno, "/%s", path);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(b, chunk, (size_t)n);
	close(fd);
	if (n < 0 || b->oom)
		return err_set(e, n < 0 ? errno : ENOMEM, "/%s", path);
	return 0;
}

static int write_one(int rootfs_fd, int target_fd, struct hostfile *f, template_lookup_fn lookup,
		     void *ctx, struct err *e)
{
	struct buf raw, out;
	const char *base;
	uint8_t d[32];
	int pfd, fd, r = -1;

	buf_init(&raw);
	buf_init(&out);
	if (read_src(rootfs_fd, f->src, &raw, e) < 0)
		goto done;
	if (f->templated && template_expand(raw.data ? raw.data : "", raw.len, 0, lookup, ctx, &out,
					    e) < 0) {
		err_wrap(e, "/%s/%s", HOSTFS_DIR, f->src);
		goto done;
	}
	if (!f->templated) {
		struct buf t = raw;
		raw = out;
		out = t;
	}
	if ((pfd = open_target_parent(target_fd, f->target, &base, 1, e)) < 0)
		goto done;
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(pfd);
	if (fd < 0) {
		err_set(e, errno, "host file '%s'", f->target);
		goto done;
	}
	if ((out.len && write(fd, out.data, out.len) != (ssize_t)out.len) ||
	    fchmod(fd, f->mode) < 0 || fsync(fd) < 0)
		err_set(e, errno, "host file '%s'", f->target);
	else
		r = 0;
	close(fd);
	sha256_oneshot(out.data ? out.data : "", out.len, d);
	sha256_hex(d, f->sha256);
done:
	buf_free(&raw);
	buf_free(&out);
	return r;
}

int hostfs_write(int rootfs_fd, int target_fd, struct hostfs *h, template_lookup_fn lookup,
		 void *ctx, struct err *e)
{
	for (size_t i = 0; i < h->n; i++)
		if (write_one(rootfs_fd, target_fd, &h->v[i], lookup, ctx, e) < 0)
			return -1;
	return 0;
}

void hostfs_current_sha256(int target_fd, const char *target, char out[65])
{
	struct sha256 s;
	const char *base;
	struct err e;
	char chunk[65536];
	uint8_t d[32];
	ssize_t n;
	int pfd = open_target_parent(target_fd, target, &base, 0, &e), fd;

	out[0] = '\0';
	if (pfd < 0)
		return;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return;
	sha256_init(&s);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		sha256_update(&s, chunk, (size_t)n);
	close(fd);
	if (n < 0)
		return;
	sha256_final(&s, d);
	sha256_hex(d, out);
}
