#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "cli.h"
#include "path.h"
#include "pull.h"
#include "store.h"
#include "util.h"

enum { JOURNAL_MAX_BYTES = 1 << 20 };

static const char *const op_names[] = { "install", "update", "rollback", "uninstall" };
static const char *const kind_names[] = { "ref", "target", "dir", "checkout" };

int journal_begin(struct journal *j, int checkout_fd, enum journal_op op, const char *name,
		  struct err *e)
{
	memset(j, 0, sizeof *j);
	j->op = op;
	j->from = j->to = -1;
	j->checkout_fd = checkout_fd;
	snprintf(j->name, sizeof j->name, "%s", name);
	if (snprintf(j->file, sizeof j->file, ".%s.journal", name) >= (int)sizeof j->file)
		return err_set(e, ENAMETOOLONG, "journal of '%s'", name);
	return 0;
}

int journal_add(struct journal *j, enum journal_kind kind, const char *path, struct err *e)
{
	if (strchr(path, '\n'))
		return err_set(e, 0, "journal: '%s' holds a newline", path);
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 32;
		struct journal_entry *v = realloc(j->v, cap * sizeof *v);
		if (!v)
			return err_set(e, ENOMEM, "journal");
		j->v = v;
		j->cap = cap;
	}
	if (!(j->v[j->n].path = strdup(path)))
		return err_set(e, ENOMEM, "journal");
	j->v[j->n++].kind = kind;
	return 0;
}

int journal_sync(struct journal *j, struct err *e)
{
	struct buf b;
	int r;

	buf_init(&b);
	buf_appendf(&b, "op %s %s %d %d\n", op_names[j->op], j->name, j->from, j->to);
	for (size_t i = 0; i < j->n; i++)
		buf_appendf(&b, "%s %s\n", kind_names[j->v[i].kind], j->v[i].path);
	if (b.oom || b.len > JOURNAL_MAX_BYTES) {
		buf_free(&b);
		return err_set(e, ENOMEM, "journal");
	}
	r = path_write_atomic(j->checkout_fd, j->file, b.data, b.len, 0600, e);
	buf_free(&b);
	return r;
}

static int undo(const struct journal_entry *en, int checkout_fd, const struct target *t,
		struct store *s, struct err *e)
{
	const char *rel;
	int dfd;

	switch (en->kind) {
	case JOURNAL_REF:
		return s ? store_set_ref(s, en->path, NULL, e) : 0;
	case JOURNAL_TARGET:
		dfd = target_at(t, en->path, &rel);
		return path_remove(dfd, rel, e) < 0 ? -1 : path_remove_temps(dfd, rel, e);
	case JOURNAL_DIR:
		dfd = target_at(t, en->path, &rel);
		return path_remove_empty_dir(dfd, rel, e) < 0 ? -1 : 0;
	case JOURNAL_CHECKOUT:
		return path_remove(checkout_fd, en->path, e) < 0 ? -1
			: path_remove_temps(checkout_fd, en->path, e);
	}
	return 0;
}

int journal_rollback(struct journal *j, const struct target *t, struct store *s, struct err *e)
{
	struct err one;
	int r = 0;

	for (size_t i = j->n; i-- > 0;)
		if (undo(&j->v[i], j->checkout_fd, t, s, &one) < 0 && r == 0) {
			*e = one;
			r = -1;
		}
	if (r == 0)
		r = journal_done(j, e);
	return r;
}

int journal_done(struct journal *j, struct err *e)
{
	if (unlinkat(j->checkout_fd, j->file, 0) < 0 && errno != ENOENT)
		return err_set(e, errno, "remove journal '%s'", j->file);
	return path_sync_parent(j->checkout_fd, j->file, e);
}

void journal_free(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->v[i].path);
	free(j->v);
	j->v = NULL;
	j->n = j->cap = 0;
}

int journal_load(int checkout_fd, const char *file, struct journal *j, struct err *e)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	_cleanup_fd_ int fd = openat(checkout_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return err_set(e, errno, "journal '%s'", file);
	if (!(buf = malloc(JOURNAL_MAX_BYTES + 1)))
		return err_set(e, ENOMEM, "journal '%s'", file);
	if ((n = util_pread_all(fd, buf, JOURNAL_MAX_BYTES, 0)) < 0)
		return err_set(e, errno, "journal '%s'", file);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		if (!strcmp(line, "op")) {
			char op[16], name[65];
			int from = -1, to = -1;
			if (sscanf(sp + 1, "%15s %64s %d %d", op, name, &from, &to) >= 2)
				for (size_t k = 0; k < sizeof op_names / sizeof op_names[0]; k++)
					if (!strcmp(op, op_names[k]))
						j->op = (enum journal_op)k;
			j->from = from;
			j->to = to;
			continue;
		}
		/* "path" is what journals of earlier versions called a target */
		for (size_t k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
			if (!strcmp(line, kind_names[k]) || (k == JOURNAL_TARGET && !strcmp(line, "path")))
				if (journal_add(j, (enum journal_kind)k, sp + 1, e) < 0)
					return -1;
	}
	return 0;
}

int journal_lock(int checkout_fd, const char *name, int *fd, struct err *e)
{
	char rel[128];
	const char *base;
	int pfd;

	/* Lock files must outlive every holder, so they live with the store,
	 * not among the deployments an uninstall clears. */
	if (path_fmt(rel, sizeof rel, e, ".storage/locks/%s.lock", name) < 0)
		return err_wrap(e, "lock");
	pfd = path_open_parent(checkout_fd, rel, PATH_NO_SYMLINKS, &base, 0700, NULL, NULL, e);
	if (pfd < 0)
		return err_wrap(e, "lock");
	*fd = openat(pfd, base, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* On a read-only file system (an early-boot root before its remount)
	 * a lock that exists is taken read-only; one that does not is not
	 * needed: nothing can change there through this mount, and what only
	 * reads (an apply that is up to date) must still work. */
	if (*fd < 0 && errno == EROFS) {
		*fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (*fd < 0 && errno == ENOENT) {
			close(pfd);
			return 0;
		}
	}
	close(pfd);
	if (*fd < 0)
		return err_set(e, errno, "open lock of '%s'", name);
	if (flock(*fd, LOCK_EX) < 0) {
		close(*fd);
		return err_set(e, errno, "lock '%s'", name);
	}
	return 0;
}

int journal_try_lock(int checkout_fd, const char *name, int *fd)
{
	char rel[128];

	*fd = -1;
	if (path_fmt(rel, sizeof rel, NULL, ".storage/locks/%s.lock", name) < 0)
		return 1;   /* no such lock can exist */
	*fd = path_openat(checkout_fd, rel, PATH_NO_SYMLINKS, O_RDWR, 0);
	if (*fd < 0)
		return 1;   /* never locked: nobody runs on it */
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

void journal_remove_stale_temp(int checkout_fd, const char *file)
{
	const char *end = strstr(file, ".journal.tmp-");
	char name[65];
	int lfd;

	if (strncmp(file, "..", 2) || !end || end - file - 2 < 1 || end - file - 2 > 64)
		return;
	snprintf(name, sizeof name, "%.*s", (int)(end - file - 2), file + 2);
	if (!journal_try_lock(checkout_fd, name, &lfd))
		return;
	unlinkat(checkout_fd, file, 0);
	if (lfd >= 0)
		close(lfd);
}
