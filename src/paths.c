#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int paths_host(const struct paths *p, const char *target, char *out, struct err *e)
{
	int n;

	if (target[0] != '/')
		return err_set(e, EINVAL, "path '%s' is not absolute", target);
	if (p->var_host[0] && (!strncmp(target, "/var/", 5) || !strcmp(target, "/var")))
		n = snprintf(out, PATH_MAX, "%s%s", p->var_host, target + 4);
	else if (!strcmp(p->root, "/"))
		n = snprintf(out, PATH_MAX, "%s", target);
	else
		n = snprintf(out, PATH_MAX, "%s%s", p->root, target);
	if (n < 0 || n >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "path '%s'", target);
	return 0;
}

static int read_record(const struct paths *p, char *out, int *found, struct err *e)
{
	char rec[PATH_MAX + 32], host[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n;
	int fd;

	*found = 0;
	if (snprintf(rec, sizeof rec, "%s" RECORD_FILE, p->checkout) >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	if (paths_host(p, rec, host, e) < 0)
		return -1;
	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_set(e, errno, "open '%s'", host);
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return err_set(e, errno, "read '%s'", host);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0 || buf[0] != '/' || memchr(buf, '\n', n))
		return err_set(e, 0, "'%s': not a recorded repository path", host);
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

int paths_mkdir_p(const char *path, unsigned mode, struct err *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return err_set(e, ENAMETOOLONG, "mkdir '%s'", path);
	memcpy(buf, path, n + 1);
	for (char *s = buf + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(buf, c ? 0755 : mode) < 0 && errno != EEXIST)
			return err_set(e, errno, "mkdir '%s'", buf);
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

/* CHECKOUT and the private repo's parent hold setuid files and files owned by
 * host uids: no host user may reach them (CVE-2021-41091 class). */
static int private_dir(const char *host, struct err *e)
{
	struct stat st;

	if (paths_mkdir_p(host, 0700, e) < 0)
		return -1;
	if (lstat(host, &st) < 0)
		return err_set(e, errno, "stat '%s'", host);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ENOTDIR, "'%s'", host);
	if ((st.st_mode & 07777) != 0700 && chmod(host, 0700) < 0)
		return err_set(e, errno, "chmod '%s'", host);
	return 0;
}

int paths_prepare(const struct paths *p, struct err *e)
{
	char host[PATH_MAX], target[PATH_MAX], rec[PATH_MAX];
	int found;

	if (paths_host(p, p->checkout, host, e) < 0 || private_dir(host, e) < 0)
		return -1;
	if (snprintf(target, sizeof target, "%s/.storage", p->checkout) >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	if (paths_host(p, target, host, e) < 0 || private_dir(host, e) < 0)
		return -1;
	if (read_record(p, rec, &found, e) < 0)
		return -1;
	if (found)
		return 0;
	if (snprintf(target, sizeof target, "%s" RECORD_FILE, p->checkout) >= PATH_MAX)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", p->checkout);
	if (paths_host(p, target, host, e) < 0)
		return -1;
	return util_write_file_atomic(host, p->repo, strlen(p->repo), 0600, e);
}
