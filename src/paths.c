#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "util.h"

#define RECORD_FILE "/.storage/repo-path"

static int copy_path(char *dst, const char *src, const char *what, struct err *e)
{
	size_t n = strlen(src);
	if (n == 0)
		return err_usage(e, "%s: empty path", what);
	if (n >= PATH_MAX)
		return err_usage(e, "%s: path too long", what);
	memcpy(dst, src, n + 1);
	/* "dir/" and "dir" name the same place; keep one spelling. */
	while (n > 1 && dst[n - 1] == '/')
		dst[--n] = '\0';
	return 0;
}

static int absolute(char *dst, const char *src, const char *what, struct err *e)
{
	if (src[0] != '/')
		return err_usage(e, "%s '%s': must be an absolute path", what, src);
	return copy_path(dst, src, what, e);
}

/* An OSTree sysroot holds exactly one stateroot whose var/ stands for /var. */
static int find_stateroot_var(struct paths *p, struct err *e)
{
	char deploy[PATH_MAX], found[NAME_MAX + 1] = "";
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if (snprintf(deploy, sizeof deploy, "%s/ostree/deploy", p->root) >= (int)sizeof deploy)
		return err_set(e, ENAMETOOLONG, "root '%s'", p->root);
	dir = opendir(deploy);
	if (!dir)
		return 0;    /* not an OSTree sysroot: /var is root/var */
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		n++;
		snprintf(found, sizeof found, "%s", d->d_name);
	}
	closedir(dir);
	if (n == 0)
		return 0;
	if (n > 1)
		return err_set(e, 0, "root '%s': several stateroots in ostree/deploy; "
			       "cannot tell which one's /var to use", p->root);
	if (snprintf(p->var_host, sizeof p->var_host, "%s/%s/var", deploy, found) >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "root '%s'", p->root);
	return 0;
}

/* Open a target path for reading as the target sees it, without keeping a
 * struct target around (paths_resolve runs before any is opened). */
static int open_target_file(const struct paths *p, const char *target)
{
	int use_var = p->var_host[0] && (!strncmp(target, "/var/", 5) || !strcmp(target, "/var"));
	int dfd = open(use_var ? p->var_host : p->root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;
	int saved;

	if (dfd < 0)
		return -1;
	fd = path_openat(dfd, use_var ? target + 4 : target, PATH_IN_ROOT, O_RDONLY, 0);
	saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

static int read_record(const struct paths *p, char *out, int *found, struct err *e)
{
	char rec[PATH_MAX + 32];
	char buf[PATH_MAX];
	ssize_t n;
	int fd;

	*found = 0;
	if (path_join(rec, sizeof rec, p->checkout, RECORD_FILE) < 0)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	fd = open_target_file(p, rec);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_set(e, errno, "open '%s'", rec);
	}
	n = util_pread_all(fd, buf, sizeof buf - 1, 0);
	close(fd);
	if (n < 0)
		return err_set(e, errno, "read '%s'", rec);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0 || buf[0] != '/' || memchr(buf, '\n', n))
		return err_set(e, 0, "'%s': not a recorded repository path", rec);
	memcpy(out, buf, n + 1);
	*found = 1;
	return 0;
}

int paths_resolve(struct paths *p, const struct paths_input *in, struct err *e)
{
	int found;

	memset(p, 0, sizeof *p);
	if (absolute(p->root, in->root ? in->root : "/", "--root", e) < 0)
		return -1;
	if (strcmp(p->root, "/") && find_stateroot_var(p, e) < 0)
		return -1;
	if (absolute(p->checkout, in->env_checkout && *in->env_checkout ? in->env_checkout
		     : SC_DEFAULT_CHECKOUT, "$ATOMIC_OSTREE_CHECKOUT_PATH", e) < 0)
		return -1;

	if (in->repo) {
		p->repo_source = REPO_FROM_OPTION;
		return absolute(p->repo, in->repo, "--repo", e);
	}
	if (in->env_repo && *in->env_repo) {
		p->repo_source = REPO_FROM_ENV;
		return absolute(p->repo, in->env_repo, "$ATOMIC_OSTREE_REPO", e);
	}
	if (read_record(p, p->repo, &found, e) < 0)
		return -1;
	if (found) {
		p->repo_source = REPO_FROM_RECORD;
		return 0;
	}
	p->repo_source = REPO_PRIVATE;
	if (snprintf(p->repo, sizeof p->repo, "%s/.storage/ostree", p->checkout) >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	return 0;
}

int paths_repo_is_system(const struct paths *p)
{
	return !strcmp(p->repo, SC_SYSTEM_REPO);
}

static const char *const alias_place[TARGET_ALIASES][2] = {
	{ "/usr/local", "/var/usrlocal" },
	{ "/opt", "/var/opt" },
};

/* Whether the target's place is a symlink to exactly its OSTree /var
 * directory ("../var/usrlocal", "var/opt", or the absolute path). */
static int ostree_link(const struct target *t, int i)
{
	const char *place = alias_place[i][0], *var_dir = alias_place[i][1], *rel, *base;
	char link[PATH_MAX], want_rel[PATH_MAX];
	struct err ignore;
	ssize_t n;
	int pfd;

	pfd = path_open_parent(t->root, place, PATH_NO_SYMLINKS, &base, -1, NULL, NULL, &ignore);
	if (pfd < 0)
		return 0;
	n = readlinkat(pfd, base, link, sizeof link - 1);
	close(pfd);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	if (!strcmp(link, var_dir))
		return 1;
	/* relative to the place's parent: one "../" a level below the root */
	rel = var_dir + 1;
	want_rel[0] = '\0';
	for (const char *c = place + 1; (c = strchr(c, '/')); c++)
		strcat(want_rel, "../");
	strcat(want_rel, rel);
	return !strcmp(link, want_rel);
}

int target_open(struct target *t, const struct paths *p, struct err *e)
{
	t->root = open(p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	t->var = -1;
	for (int i = 0; i < TARGET_ALIASES; i++)
		t->alias[i] = -1;
	if (t->root < 0)
		return err_set(e, errno, "open root '%s'", p->root);
	if (p->var_host[0] && (t->var = open(p->var_host, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int saved = errno;
		close(t->root);
		t->root = -1;
		return err_set(e, saved, "open '%s'", p->var_host);
	}
	for (int i = 0; i < TARGET_ALIASES; i++) {
		const char *rel;
		int dfd;
		if (!ostree_link(t, i))
			continue;
		/* a real directory, no symlink on the way; missing: paths_prepare */
		dfd = target_at(t, alias_place[i][1], &rel);
		t->alias[i] = path_openat(dfd, rel, PATH_NO_SYMLINKS, O_PATH | O_DIRECTORY, 0);
	}
	return 0;
}

void target_close(struct target *t)
{
	if (t->root > 0)
		close(t->root);
	if (t->var > 0)
		close(t->var);
	t->root = t->var = -1;
	for (int i = 0; i < TARGET_ALIASES; i++) {
		if (t->alias[i] > 0)
			close(t->alias[i]);
		t->alias[i] = -1;
	}
}

int target_at(const struct target *t, const char *path, const char **rel)
{
	for (int i = 0; i < TARGET_ALIASES; i++) {
		size_t n = strlen(alias_place[i][0]);
		if (t->alias[i] >= 0 && !strncmp(path, alias_place[i][0], n) &&
		    (path[n] == '/' || !path[n])) {
			*rel = path + n;
			return t->alias[i];
		}
	}
	if (t->var >= 0 && (!strncmp(path, "/var/", 5) || !strcmp(path, "/var"))) {
		*rel = path + 4;
		return t->var;
	}
	*rel = path;
	return t->root;
}

int target_open_dir(const struct target *t, const char *path, struct err *e)
{
	const char *rel;
	int dfd = target_at(t, path, &rel);
	int fd = path_openat(dfd, rel, PATH_IN_ROOT, O_PATH | O_DIRECTORY, 0);

	if (fd < 0) {
		int saved = errno;
		err_set(e, saved, "'%s'", path);
		errno = saved;
	}
	return fd;
}

int target_mkdirs(const struct target *t, const char *path, unsigned mode, int enforce,
		  struct err *e)
{
	char have[PATH_MAX], sub[PATH_MAX];
	const char *rest, *base;
	size_t n = strlen(path);
	int fd, real;
	struct stat st;

	if (n >= sizeof have || path[0] != '/')
		return err_set(e, ENAMETOOLONG, "mkdir '%s'", path);
	/* The longest part that exists, resolved as the target sees it. */
	memcpy(have, path, n + 1);
	while ((fd = target_open_dir(t, have, e)) < 0 && errno == ENOENT && strcmp(have, "/")) {
		char *slash = strrchr(have, '/');
		slash[slash == have] = '\0';   /* "/a" -> "/" */
	}
	if (fd < 0)
		return err_wrap(e, "mkdir");
	/* What is missing below it is created without following anything. */
	rest = path + (strcmp(have, "/") ? strlen(have) : 0);
	if (*rest) {
		int pfd;
		if (snprintf(sub, sizeof sub, "%s/x", rest) >= (int)sizeof sub) {
			close(fd);
			return err_set(e, ENAMETOOLONG, "mkdir '%s'", path);
		}
		pfd = path_open_parent(fd, sub, PATH_NO_SYMLINKS, &base, 0755, NULL, NULL, e);
		close(fd);
		if (pfd < 0)
			return err_wrap(e, "mkdir '%s'", path);
		fd = pfd;
		enforce = 1;   /* the last one is new: it gets `mode`, not 0755 */
	}
	if (!enforce)
		return fd;
	/* fchmod needs a real descriptor, not an O_PATH one. */
	real = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0 || fstat(real, &st) < 0 ||
	    ((st.st_mode & 07777) != mode && fchmod(real, mode) < 0)) {
		int saved = errno;
		if (real >= 0)
			close(real);
		close(fd);
		return err_set(e, saved, "chmod '%s'", path);
	}
	close(real);
	return fd;
}

/* CHECKOUT and the private repo's parent hold setuid files and files owned by
 * host uids: no host user may reach them (CVE-2021-41091 class). */
int paths_prepare(const struct paths *p, struct target *t, struct err *e)
{
	char storage[PATH_MAX];
	int fd;

	for (int i = 0; i < TARGET_ALIASES; i++) {
		if (t->alias[i] >= 0 || !ostree_link(t, i))
			continue;
		if ((t->alias[i] = target_mkdirs(t, alias_place[i][1], 0755, 0, e)) < 0)
			return -1;
	}
	if (path_join(storage, sizeof storage, p->checkout, ".storage") < 0)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	fd = target_mkdirs(t, storage, 0700, 1, e);
	if (fd < 0)
		return -1;
	close(fd);
	return target_mkdirs(t, p->checkout, 0700, 1, e);
}

int paths_record_repo(const struct paths *p, int checkout_fd, struct err *e)
{
	char rec[PATH_MAX];
	int found;

	if (read_record(p, rec, &found, e) < 0)
		return -1;
	if (found)
		return 0;
	return path_write_atomic(checkout_fd, RECORD_FILE, p->repo, strlen(p->repo), 0600, e);
}
