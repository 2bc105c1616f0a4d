#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t util_pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int util_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode,
			   struct err *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd;

	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
		return err_set(e, ENAMETOOLONG, "write '%s'", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno, "create '%s'", tmp);
	if (fchmod(fd, mode) < 0 || util_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		return err_set(e, saved, "write '%s'", path);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		return err_set(e, saved, "write '%s'", path);
	}
	snprintf(dir, sizeof dir, "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		int saved = errno;
		if (dfd >= 0)
			close(dfd);
		return err_set(e, saved, "sync the directory of '%s'", path);
	}
	close(dfd);
	return 0;
}

int util_syncfs(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = syncfs(fd);
	if (r < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int util_sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

uint64_t util_tree_bytes(int dfd, const char *name)
{
	struct stat st;
	uint64_t sum;
	DIR *d;
	struct dirent *de;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return sum;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return sum;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += util_tree_bytes(dirfd(d), de->d_name);
	closedir(d);
	return sum;
}

/* mountinfo escapes space, tab, newline and backslash as \\ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int util_mount_point(int fd, char *out, size_t outsz)
{
	char link[64], path[PATH_MAX], line[8192];
	long best = -1;
	ssize_t n;
	FILE *f;

	if (outsz)
		out[0] = '\0';
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0 || path[0] != '/' || !(f = fopen("/proc/self/mountinfo", "re")))
		return -1;
	path[n] = '\0';
	/* the deepest mount point above path; the last of equals is on top */
	while (fgets(line, sizeof line, f)) {
		char *mnt = NULL, *save = NULL, *tok = strtok_r(line, " ", &save);
		size_t len;

		for (int i = 1; tok && i <= 4; i++)
			mnt = tok = strtok_r(NULL, " ", &save);
		if (!mnt)
			continue;
		unescape_octal(mnt);
		len = strlen(mnt);
		if (len == 1)
			len = 0;    /* "/" */
		if (strncmp(path, mnt, len) || (path[len] != '/' && path[len]) || (long)len < best)
			continue;
		best = (long)len;
		snprintf(out, outsz, "%s", mnt);
	}
	fclose(f);
	return best >= 0 ? 0 : -1;
}

int util_read_file(const char *path, size_t max, char **out, size_t *len, struct err *e)
{
	size_t cap = 4096, n = 0;
	_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;

	if (fd < 0)
		return err_set(e, errno, "open '%s'", path);
	if (!(buf = malloc(cap)))
		return err_set(e, ENOMEM, "read '%s'", path);
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			char *nb;
			if (cap > max + 1)
				return err_set(e, 0, "'%s': larger than %zu bytes", path, max);
			cap *= 2;
			if (!(nb = realloc(buf, cap)))
				return err_set(e, ENOMEM, "read '%s'", path);
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(e, errno, "read '%s'", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		return err_set(e, 0, "'%s': larger than %zu bytes", path, max);
	buf[n] = '\0';
	*out = take_ptr(&buf);
	*len = n;
	return 0;
}

void util_human_size(unsigned long long bytes, char *out, size_t outsz)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(out, outsz, "%llu B", bytes);
	else
		snprintf(out, outsz, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static const char iec_units[] = "KMGTPE";

int util_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s, *u;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		if (!(u = strchr(iec_units, *p >= 'a' ? *p - 32 : *p)) ||
		    (p[1] && strcmp(p + 1, "iB") && strcmp(p + 1, "B")))
			return -1;
		for (int i = 0; i <= u - iec_units; i++) {
			if (v > UINT64_MAX / 1024)
				return -1;
			v *= 1024;
		}
	}
	*out = v;
	return 0;
}

void util_iec_size(uint64_t bytes, char *out, size_t outsz)
{
	int i = -1;

	while (i < 5 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(out, outsz, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(out, outsz, "%llu %ciB", (unsigned long long)bytes, iec_units[i]);
}

int util_remove_children(int fd, struct err *e)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(fd);
		return err_set(e, errno, "read directory");
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = util_remove_at(dirfd(d), de->d_name, e);
	closedir(d);
	return r;
}

int util_remove_at(int dirfd, const char *name, struct err *e)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, "stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return err_set(e, errno, "remove '%s'", name);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno, "open '%s'", name);
	if (util_remove_children(fd, e) < 0)
		return err_wrap(e, "'%s'", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return err_set(e, errno, "remove '%s'", name);
	return 0;
}

void util_mount_point_path(char *path, char *out, size_t outsz)
{
	char up[PATH_MAX];
	struct stat st, pst;
	char *slash;
	int fd;

	if (path[0] != '/')
		goto root;
	while (stat(path, &st) < 0) {          /* the nearest ancestor that exists */
		if (!(slash = strrchr(path, '/')) || slash == path)
			goto root;
		*slash = 0;
	}
	if ((fd = open(path, O_PATH | O_CLOEXEC)) >= 0) {
		int r = util_mount_point(fd, out, outsz);
		close(fd);
		if (r == 0)
			return;
	}
	snprintf(up, sizeof up, "%s", path);
	for (;;) {
		if (!strcmp(up, "/"))
			break;
		slash = strrchr(up, '/');
		if (slash == up)
			slash[1] = 0;
		else
			*slash = 0;
		if (stat(up, &pst) < 0 || pst.st_dev != st.st_dev)
			break;
		snprintf(path, strlen(path) + 1, "%s", up);
	}
	snprintf(out, outsz, "%s", path);
	return;
root:
	snprintf(out, outsz, "/");
}
