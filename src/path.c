#include "path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

enum { MAX_HOPS = 40, MAX_DEPTH = 256 };

static int force_walk;

void path_force_walk(int on)
{
	force_walk = on;
}

/* ---- the kernel's resolution --------------------------------------------- */

/* -1 with ENOSYS when the kernel (or a seccomp filter) has no openat2. */
static int kernel_open(int dirfd, const char *path, enum path_how how, int flags, mode_t mode)
{
	static int missing;
	struct open_how oh = { 0 };
	int fd, tries = 0;

	if (force_walk || missing) {
		errno = ENOSYS;
		return -1;
	}
	oh.flags = (unsigned long long)(flags | O_CLOEXEC);
	oh.mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0;
	oh.resolve = RESOLVE_NO_MAGICLINKS |
		     (how == PATH_IN_ROOT ? RESOLVE_IN_ROOT : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	do
		fd = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &oh, sizeof oh);
	while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 16);
	/* EPERM: some container seccomp profiles deny the syscalls they do not
	 * know instead of returning ENOSYS. */
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		missing = 1;
		errno = ENOSYS;
	}
	return fd;
}

/* ---- the component walk ---------------------------------------------------- */

/* Next component of *p ("" and "." skipped) into comp; 0 at the end. */
static int next_comp(const char **p, char comp[NAME_MAX + 1])
{
	for (;;) {
		const char *s = *p;
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		*p = s + n;
		if (n == 0)
			return 0;
		if (n == 1 && s[0] == '.')
			continue;
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		return 1;
	}
}

static int has_dotdot(const char *path)
{
	char comp[NAME_MAX + 1];
	int r;

	while ((r = next_comp(&path, comp)) > 0)
		if (!strcmp(comp, ".."))
			return 1;
	return r < 0 ? -1 : 0;
}

/* O_NOFOLLOW walk of every component of path: an O_PATH fd of the last
 * one, creating missing directories when mkdir_mode >= 0. */
static int walk_nosym(int dirfd, const char *path, int mkdir_mode, path_created_fn created,
		      void *ctx, struct err *e)
{
	char comp[NAME_MAX + 1], rel[PATH_MAX];
	const char *p = path;
	size_t rlen = 0;
	int fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	while ((r = next_comp(&p, comp)) > 0) {
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (rlen + strlen(comp) + 2 < sizeof rel)
			rlen += (size_t)snprintf(rel + rlen, sizeof rel - rlen, "%s%s", rlen ? "/" : "",
						 comp);
		if (next < 0 && errno == ENOENT && mkdir_mode >= 0) {
			if (mkdirat(fd, comp, 0700) < 0) {
				if (errno != EEXIST)
					goto fail;
				/* made by someone else meanwhile: not ours to report */
				next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			} else {
				next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				/* chmod, not the mkdir mode: the umask must not decide;
				 * the new entry synced, as what goes in it will be. */
				if (next >= 0 && (fchmod(next, (mode_t)mkdir_mode) < 0 ||
						  util_sync_dir(fd) < 0)) {
					close(next);
					goto fail;
				}
				if (next >= 0 && created && created(ctx, rel, e) < 0) {
					close(next);
					close(fd);
					errno = e->errnum ? e->errnum : EIO;
					return -2;
				}
			}
		}
		if (next < 0) {
			/* O_PATH|O_DIRECTORY on a symlink says ENOTDIR: tell the two apart. */
			struct stat st;
			if (errno == ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				errno = ELOOP;
			goto fail;
		}
		close(fd);
		fd = next;
	}
	if (r < 0)
		goto fail;
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
}

/* Is there another component after *p? */
static int more_comps(const char *p)
{
	char comp[NAME_MAX + 1];
	return next_comp(&p, comp) != 0;
}

/* Symlink-following walk that never leaves root (RESOLVE_IN_ROOT).  With
 * last_flags < 0 every component is a directory to walk and the result is
 * an O_PATH fd of the last; otherwise the last component is opened with
 * last_flags (followed when it is a symlink, unless O_NOFOLLOW). */
static int walk_in_root(int root, const char *path, int last_flags, mode_t mode)
{
	char *rest = malloc(2 * PATH_MAX), *tmp = malloc(2 * PATH_MAX), comp[NAME_MAX + 1];
	int fds[MAX_DEPTH], depth = -1, hops = 0, r, fd = -1;
	const char *p;

	if (!rest || !tmp) {
		errno = ENOMEM;
		goto out;
	}
	snprintf(rest, 2 * PATH_MAX, "%s", path);
	p = rest;
	if ((fds[0] = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto out;
	depth = 0;
	while ((r = next_comp(&p, comp)) > 0) {
		char target[PATH_MAX];
		int last = last_flags >= 0 && !more_comps(p), next;
		struct stat st;
		ssize_t n;

		if (!strcmp(comp, "..")) {
			if (depth > 0)
				close(fds[depth--]);
			if (last) {
				fd = openat(fds[depth], ".", last_flags | O_CLOEXEC, mode);
				goto out;
			}
			continue;
		}
		if (last) {
			next = openat(fds[depth], comp, last_flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (next >= 0 && (last_flags & O_NOFOLLOW || fstat(next, &st) < 0 ||
					  !S_ISLNK(st.st_mode))) {
				fd = next;
				goto out;
			}
			if (next >= 0)
				close(next);
			else if (errno != ELOOP || last_flags & O_NOFOLLOW)
				goto out;
		} else {
			next = openat(fds[depth], comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0) {
				if (depth + 1 == MAX_DEPTH) {
					close(next);
					errno = ENAMETOOLONG;
					goto out;
				}
				fds[++depth] = next;
				continue;
			}
			if (errno != ENOTDIR && errno != ELOOP)
				goto out;
		}
		n = readlinkat(fds[depth], comp, target, sizeof target - 1);
		if (n < 0) {
			errno = ENOTDIR;   /* a file, not a link */
			goto out;
		}
		if (++hops > MAX_HOPS) {
			errno = ELOOP;
			goto out;
		}
		target[n] = '\0';
		if (target[0] == '/')
			while (depth > 0)
				close(fds[depth--]);
		if (snprintf(tmp, 2 * PATH_MAX, "%s/%s", target, p) >= 2 * PATH_MAX) {
			errno = ENAMETOOLONG;
			goto out;
		}
		memcpy(rest, tmp, strlen(tmp) + 1);
		p = rest;
	}
	if (r == 0 && last_flags < 0) {
		fd = fds[depth--];
	} else if (r == 0) {
		fd = openat(fds[depth], ".", last_flags | O_CLOEXEC, mode);   /* path was "" */
	}
out:
	{
		int saved = errno;
		while (depth >= 0)
			close(fds[depth--]);
		free(rest);
		free(tmp);
		errno = saved;
	}
	return fd;
}

/* ---- public ---------------------------------------------------------------- */

/* Split path into parent directory text (dir[]) and last component. */
static int split(const char *path, char dir[PATH_MAX], const char **base)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0 || n >= PATH_MAX)
		goto bad;
	slash = memrchr(path, '/', n);
	*base = slash ? slash + 1 : path;
	if (path[n] == '/' || !strcmp(*base, ".") || !strcmp(*base, ".."))
		goto bad;
	memcpy(dir, path, (size_t)(*base - path));
	dir[*base - path] = '\0';
	return 0;
bad:
	errno = n >= PATH_MAX ? ENAMETOOLONG : EINVAL;
	return -1;
}

int path_openat(int dirfd, const char *path, enum path_how how, int flags, mode_t mode)
{
	char dir[PATH_MAX];
	const char *base, *rel = path;
	int fd, pfd;

	while (*rel == '/')
		rel++;
	if (how == PATH_NO_SYMLINKS && has_dotdot(rel)) {
		errno = EXDEV;
		return -1;
	}
	fd = kernel_open(dirfd, rel, how, flags, mode);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	if (how == PATH_IN_ROOT)
		return walk_in_root(dirfd, rel, flags, mode);
	if (split(rel, dir, &base) < 0) {
		if (errno == EINVAL)   /* "" or "/": dirfd itself */
			return openat(dirfd, ".", flags | O_CLOEXEC);
		return -1;
	}
	if ((pfd = walk_nosym(dirfd, dir, -1, NULL, NULL, NULL)) < 0)
		return -1;
	fd = openat(pfd, base, flags | O_CLOEXEC | O_NOFOLLOW, mode);
	{
		int saved = errno;
		close(pfd);
		errno = saved;
	}
	return fd;
}

/* One message per cause, naming the path as given. */
static int resolve_err(struct err *e, int errnum, const char *path)
{
	if (errnum == ELOOP)
		return err_set(e, 0, "'%s': a symlink is in the way (never followed)", path);
	if (errnum == ENOTDIR)
		return err_set(e, 0, "'%s': a file is in the way of a directory", path);
	if (errnum == EXDEV)
		return err_set(e, 0, "'%s': '..' is not allowed", path);
	return err_set(e, errnum, "'%s'", path);
}

int path_open_parent(int dirfd, const char *path, enum path_how how, const char **base,
		     int mkdir_mode, path_created_fn created, void *ctx, struct err *e)
{
	char dir[PATH_MAX];
	const char *rel = path;
	int fd;

	while (*rel == '/')
		rel++;
	if (split(rel, dir, base) < 0)
		return err_set(e, errno, "'%s'", path);
	if (how == PATH_NO_SYMLINKS && has_dotdot(rel)) {
		errno = EXDEV;
		return resolve_err(e, EXDEV, path);
	}
	if (mkdir_mode < 0 && (fd = kernel_open(dirfd, dir, how, O_PATH | O_DIRECTORY, 0)) >= 0)
		return fd;
	if (mkdir_mode < 0 && errno != ENOSYS)
		goto fail;
	if (how == PATH_IN_ROOT)
		fd = walk_in_root(dirfd, dir, -1, 0);
	else
		fd = walk_nosym(dirfd, dir, mkdir_mode, created, ctx, e);
	if (fd == -2)
		return -1;   /* created() failed: its error stands */
	if (fd >= 0)
		return fd;
fail:
	{
		int saved = errno;
		resolve_err(e, saved, path);
		errno = saved;
	}
	return -1;
}

int path_lstat(int dirfd, const char *path, enum path_how how, struct stat *st)
{
	const char *base;
	struct err e;
	int pfd, r, saved;

	while (*path == '/')
		path++;
	if (!*path)
		return fstat(dirfd, st);
	pfd = path_open_parent(dirfd, path, how, &base, -1, NULL, NULL, &e);
	if (pfd < 0)
		return -1;
	r = fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW);
	saved = errno;
	close(pfd);
	errno = saved;
	return r;
}

static int sync_dirfd(int pfd, const char *path, struct err *e)
{
	int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return err_set(e, saved, "sync the directory of '%s'", path);
	}
	close(fd);
	return 0;
}

int path_sync_parent(int dirfd, const char *path, struct err *e)
{
	const char *base;
	int pfd = path_open_parent(dirfd, path, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, e), r;

	if (pfd < 0)
		return -1;
	r = sync_dirfd(pfd, path, e);
	close(pfd);
	return r;
}

/* A name for a temporary sibling of base: hidden, so nothing that reads the
 * directory (systemd, tmpfiles) takes it for a real entry. */
static void temp_name(char *out, size_t outsz, const char *base, unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(out, outsz, ".%.200s.tmp-%x%lx", base, (unsigned)getpid() ^ n, (long)ts.tv_nsec);
}

int path_write_atomic(int dirfd, const char *path, const void *buf, size_t len, unsigned mode,
		      struct err *e)
{
	char tmp[NAME_MAX + 1];
	const char *base;
	_cleanup_fd_ int pfd = path_open_parent(dirfd, path, PATH_NO_SYMLINKS, &base, 0755, NULL,
						NULL, e);
	int fd;
	unsigned n = 0;

	if (pfd < 0)
		return -1;   /* the message names the path already */
	do {
		temp_name(tmp, sizeof tmp, base, n);
		fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST && ++n < 100);
	if (fd < 0)
		return err_set(e, errno, "write '%s'", path);
	if (fchmod(fd, mode) < 0 || util_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		err_set(e, errno, "write '%s'", path);
		close(fd);
		unlinkat(pfd, tmp, 0);
		return -1;
	}
	if (close(fd) < 0 || renameat(pfd, tmp, pfd, base) < 0) {
		err_set(e, errno, "write '%s'", path);
		unlinkat(pfd, tmp, 0);
		return -1;
	}
	return sync_dirfd(pfd, path, e);
}

int path_symlink_atomic(int dirfd, const char *path, const char *target, struct err *e)
{
	char tmp[NAME_MAX + 1];
	const char *base;
	int pfd = path_open_parent(dirfd, path, PATH_NO_SYMLINKS, &base, 0755, NULL, NULL, e), r;
	unsigned n = 0;

	if (pfd < 0)
		return -1;
	do {
		temp_name(tmp, sizeof tmp, base, n);
		r = symlinkat(target, pfd, tmp);
	} while (r < 0 && errno == EEXIST && ++n < 100);
	if (r < 0 || renameat(pfd, tmp, pfd, base) < 0) {
		err_set(e, errno, "link '%s'", path);
		if (r == 0)
			unlinkat(pfd, tmp, 0);
		close(pfd);
		return -1;
	}
	r = sync_dirfd(pfd, path, e);
	close(pfd);
	return r;
}

int path_remove_temps(int at, const char *path, struct err *e)
{
	char prefix[NAME_MAX + 1];
	const char *base;
	struct dirent *de;
	DIR *d;
	int pfd = path_open_parent(at, path, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, e), fd;
	int removed = 0, r = 0;

	if (pfd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	snprintf(prefix, sizeof prefix, ".%.200s.tmp-", base);
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = err_set(e, errno, "read the directory of '%s'", path);
		if (fd >= 0)
			close(fd);
		close(pfd);
		return r;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed = 1;
	closedir(d);
	if (removed)
		r = sync_dirfd(pfd, path, e);
	close(pfd);
	return r;
}

int path_remove(int dirfd, const char *path, struct err *e)
{
	const char *base;
	struct stat st;
	int pfd = path_open_parent(dirfd, path, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, e), r;

	/* Nothing of ours can be behind a missing or symlinked parent. */
	if (pfd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT ? 0 : err_set(e, errno, "remove '%s'", path);
		close(pfd);
		return r;
	}
	r = util_remove_at(pfd, base, e);
	if (r == 0)
		r = sync_dirfd(pfd, path, e);
	else
		err_wrap(e, "remove '%s'", path);
	close(pfd);
	return r;
}

int path_remove_empty_dir(int dirfd, const char *path, struct err *e)
{
	const char *base;
	int pfd = path_open_parent(dirfd, path, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, e), r;

	if (pfd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	if (unlinkat(pfd, base, AT_REMOVEDIR) < 0) {
		r = errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT || errno == ENOTDIR
			? 0 : err_set(e, errno, "remove '%s'", path);
	} else {
		r = sync_dirfd(pfd, path, e) < 0 ? -1 : 1;
	}
	close(pfd);
	return r;
}

int path_fmt(char *out, size_t outsz, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < outsz)
		return 0;
	if (e)
		err_set(e, ENAMETOOLONG, "'%.80s...'", outsz ? out : "");
	if (outsz)
		out[0] = '\0';
	errno = ENAMETOOLONG;
	return -1;
}

int path_join(char *out, size_t outsz, const char *a, const char *b)
{
	size_t la = strlen(a);
	int n;

	while (*b == '/')
		b++;
	while (la > 1 && a[la - 1] == '/')
		la--;
	if (!*b)
		n = snprintf(out, outsz, "%.*s", (int)la, a);
	else
		n = snprintf(out, outsz, "%.*s%s%s", (int)la, a, la && a[la - 1] == '/' ? "" : "/", b);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
