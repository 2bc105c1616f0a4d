#include "slot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "deploy.h"
#include "hostfs.h"
#include "install.h"
#include "json.h"
#include "path.h"
#include "pull.h"
#include "progress.h"
#include "store.h"
#include "text.h"
#include "util.h"

enum { MAX_LAYERS = 256, INFO_MAX = 1 << 20 };

static void slot_dir(const struct slot_ctx *x, int slot, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s.%d", x->name, slot);
}

static void pin_ref(const char *name, int slot, char *out, size_t outsz)
{
	snprintf(out, outsz, PIN_PREFIX "%s.%d", name, slot);
}

int slot_live(int ckfd, const char *name)
{
	char target[80], want[80];
	ssize_t n = readlinkat(ckfd, name, target, sizeof target - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	for (int slot = 0; slot < 2; slot++) {
		snprintf(want, sizeof want, "%s.%d", name, slot);
		if (!strcmp(target, want))
			return slot;
	}
	return -1;
}

int slot_exists(int ckfd, const char *name, int slot)
{
	char dir[80];
	struct stat st;

	snprintf(dir, sizeof dir, "%s.%d", name, slot);
	return fstatat(ckfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* ---- preparing a slot ----------------------------------------------------- */

static int checkout(const struct slot_ctx *x, const struct image_info *im, const char *dir,
		    const char *shown, struct err *e)
{
	const char *commits[MAX_LAYERS];
	char cbuf[MAX_LAYERS][65], path[128];
	struct deploy_stats st;
	int dfd = -1, rootfd = -1, objfd = -1, r = -1;

	if (im->nlayers > MAX_LAYERS)
		return err_set(e, 0, "more than %d layers", MAX_LAYERS);
	for (size_t i = 0; i < im->nlayers; i++) {
		char ref[STORE_REF_MAX];
		int have;
		store_layer_ref(im->diff_ids[i], ref);
		if ((have = store_ref_get(x->s, ref, cbuf[i], e)) < 0)
			return -1;
		if (!have)
			return err_set(e, 0, "layer %.12s is missing from the store: pull the image again",
				       im->diff_ids[i] + 7);
		commits[i] = cbuf[i];
	}
	if (!x->c->quiet) {
		char line[4200];
		snprintf(line, sizeof line, "Extracting to %s\n", shown);
		progress_activity(line);  /* a spinner on a terminal, till it is out */
	}
	if (mkdirat(x->ckfd, dir, 0700) < 0)
		return err_set(e, errno, "mkdir '%s'", shown);
	dfd = openat(x->ckfd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* rootfs 0755: the container's processes that are not root walk it;
	 * the objects directory holds copies for checkouts that cannot link. */
	if (dfd < 0 || mkdirat(dfd, "rootfs", 0755) < 0 || mkdirat(dfd, ".objects", 0700) < 0 ||
	    (rootfd = openat(dfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (objfd = openat(dfd, ".objects", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err_set(e, errno, "'%s'", shown);
		goto out;
	}
	r = deploy_checkout(x->s, commits, im->nlayers, rootfd, objfd, &st, e);
	progress_activity_end();
	if (r < 0) {
		r = -1;
		err_wrap(e, "checkout");
		goto out;
	}
	if (st.copied && st.cross_fs)
		cli_say(x->c, "The repository is on another filesystem: %llu files copied, %llu "
			"hardlinked\n", (unsigned long long)st.copied,
			(unsigned long long)(st.linked - st.copied));
	else if (st.copied)
		cli_say(x->c, "The file system's hardlink limit was reached: %llu objects copied\n",
			(unsigned long long)st.copied);
	snprintf(path, sizeof path, "%s/.objects", dir);
	r = path_remove(x->ckfd, path, e);
out:
	if (objfd >= 0)
		close(objfd);
	if (rootfd >= 0)
		close(rootfd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* What goes to the host, kept in the slot (hostfs/PATH): activation copies
 * it from there, so every slot can be made live again later. */
static int keep_host_files(const struct slot_ctx *x, const char *dir, struct plan *p,
			   struct err *e)
{
	struct hostfs *h = p->hostfs;

	for (size_t i = 0; i < h->n; i++) {
		char path[PATH_MAX];
		const char *base;
		int pfd, fd, r;

		if (path_fmt(path, sizeof path, e, "%s/hostfs%s", dir, h->v[i].target) < 0)
			return err_wrap(e, "host file '%s'", h->v[i].target);
		pfd = path_open_parent(x->ckfd, path, PATH_NO_SYMLINKS, &base, 0700, NULL, NULL, e);
		if (pfd < 0)
			return -1;
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		close(pfd);
		if (fd < 0)
			return err_set(e, errno, "'%s'", path);
		r = hostfs_content(x->s, &h->v[i], fd, e);
		if (r == 0 && fsync(fd) < 0)
			r = err_set(e, errno, "'%s'", path);
		close(fd);
		if (r < 0)
			return err_wrap(e, "host file '%s'", h->v[i].target);
	}
	return 0;
}

static int write_info(const struct slot_ctx *x, const struct image_info *im, const char *dir,
		      const struct plan *p, struct err *e)
{
	char path[128], now[32];
	time_t t = time(NULL);
	struct buf b;
	struct jw w;
	int r;

	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "name"); jw_str(&w, x->name);
	jw_key(&w, "image"); jw_str(&w, im->name);
	jw_key(&w, "image_id"); jw_str(&w, im->id);
	jw_key(&w, "commit"); jw_str(&w, im->commit);
	jw_key(&w, "created"); jw_str(&w, now);
	jw_key(&w, "runtime"); jw_str(&w, p->runtime);
	jw_key(&w, "values");
	values_json(&p->vals, &w);
	jw_key(&w, "sets");
	jw_begin_arr(&w);
	for (size_t i = 0; i < p->vals.nsets; i++)
		jw_str(&w, p->vals.sets[i]);
	jw_end_arr(&w);
	jw_key(&w, "installed_files");
	jw_begin_arr(&w);
	jw_str(&w, p->unit);
	jw_str(&w, p->tmpfiles_conf);
	jw_end_arr(&w);
	jw_key(&w, "wants");
	jw_begin_arr(&w);
	for (size_t i = 0; i < p->nwants; i++)
		jw_str(&w, p->wants[i]);
	jw_end_arr(&w);
	jw_key(&w, "host_files");
	jw_begin_arr(&w);
	for (size_t i = 0; i < p->hostfs->n; i++) {
		jw_begin_obj(&w);
		jw_key(&w, "path"); jw_str(&w, p->hostfs->v[i].target);
		jw_key(&w, "sha256"); jw_str(&w, p->hostfs->v[i].sha256);
		jw_key(&w, "mode"); jw_uint(&w, p->hostfs->v[i].mode);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_key(&w, "host_directories");
	jw_begin_arr(&w);
	for (size_t i = 0; i < p->hostfs->ndirs; i++)
		jw_str(&w, p->hostfs->dirs[i]);
	jw_end_arr(&w);
	jw_key(&w, "own_places");
	jw_begin_arr(&w);
	for (size_t i = 0; i < p->nown; i++)
		if (p->own[i].created || p->own[i].reused)
			jw_str(&w, p->own[i].path);
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "info");
	}
	buf_putc(&b, '\n');
	snprintf(path, sizeof path, "%s/info", dir);
	r = path_write_atomic(x->ckfd, path, b.data, b.len, 0644, e);
	buf_free(&b);
	return r;
}

int slot_prepare(const struct slot_ctx *x, const struct image_info *im, struct plan *p,
		 struct err *e)
{
	char dir[80], path[200], pin[128];

	slot_dir(x, p->slot, dir, sizeof dir);
	pin_ref(x->name, p->slot, pin, sizeof pin);
	if (checkout(x, im, dir, p->dest, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/config.json", dir);
	if (path_write_atomic(x->ckfd, path, p->config.data, p->config.len, 0644, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s.service", dir, x->name);
	if (path_write_atomic(x->ckfd, path, p->service.data, p->service.len, 0644, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/tmpfiles.conf", dir);
	if (path_write_atomic(x->ckfd, path, p->tmpfiles.data ? p->tmpfiles.data : "",
			      p->tmpfiles.len, 0644, e) < 0)
		return -1;
	if (keep_host_files(x, dir, p, e) < 0 || write_info(x, im, dir, p, e) < 0 ||
	    store_set_ref(x->s, pin, im->commit, e) < 0)
		return -1;
	/* What the journal could roll back must be on disk before it goes. */
	if (util_syncfs(x->ckfd) < 0)
		return err_set(e, errno, "sync '%s'", p->dest);
	return 0;
}

/* ---- what a slot puts on the target ------------------------------------- */

struct hostrec {
	char *path, sha256[65];
	unsigned mode;
};

/* The parts of a slot's info activation needs. */
struct slotinfo {
	int present;
	struct hostrec files[HOSTFS_MAX];
	size_t nfiles;
	char *dirs[HOSTFS_MAX];
	size_t ndirs;
	char wants[PLAN_MAX_WANTS][UNIT_NAME_MAX];
	size_t nwants;
};

static void slotinfo_free(struct slotinfo *si)
{
	for (size_t i = 0; i < si->nfiles; i++)
		free(si->files[i].path);
	for (size_t i = 0; i < si->ndirs; i++)
		free(si->dirs[i]);
	si->nfiles = si->ndirs = 0;
}

static int read_info(const struct slot_ctx *x, int slot, struct json **j, struct err *e)
{
	char path[128], *buf;
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof path, "%s.%d/info", x->name, slot);
	fd = path_openat(x->ckfd, path, PATH_NO_SYMLINKS, O_RDONLY, 0);
	if (fd < 0)
		return err_set(e, errno, "'%s'", path);
	buf = malloc(INFO_MAX);
	n = buf ? util_pread_all(fd, buf, INFO_MAX, 0) : -1;
	close(fd);
	r = n < 0 ? err_set(e, buf ? errno : ENOMEM, "'%s'", path)
		  : json_parse(j, buf, (size_t)n, e);
	free(buf);
	return r;
}

static int load_slotinfo(const struct slot_ctx *x, int slot, struct slotinfo *si, struct err *e)
{
	struct json *j = NULL;
	int files, dirs, wants;

	memset(si, 0, sizeof *si);
	if (slot < 0 || !slot_exists(x->ckfd, x->name, slot))
		return 0;
	/* A slot without its info is one a kill stopped removing, after all
	 * it had on the target was gone: nothing of it to account for. */
	if (read_info(x, slot, &j, e) < 0)
		return e->errnum == ENOENT ? 0 : err_wrap(e, "container '%s'", x->name);
	si->present = 1;
	files = json_get(j, json_root(j), "host_files");
	for (size_t i = 0; i < json_count(j, files) && si->nfiles < HOSTFS_MAX; i++) {
		int f = json_at(j, files, i);
		char *path = json_str(j, json_get(j, f, "path")), *sha;
		int64_t mode = 0644;
		if (!path || path[0] != '/') {
			free(path);
			continue;
		}
		sha = json_str(j, json_get(j, f, "sha256"));
		json_int64(j, json_get(j, f, "mode"), &mode);
		si->files[si->nfiles].path = path;
		snprintf(si->files[si->nfiles].sha256, 65, "%s", sha ? sha : "");
		si->files[si->nfiles++].mode = (unsigned)mode & 0755;
		free(sha);
	}
	dirs = json_get(j, json_root(j), "host_directories");
	for (size_t i = 0; i < json_count(j, dirs) && si->ndirs < HOSTFS_MAX; i++) {
		char *d = json_str(j, json_at(j, dirs, i));
		if (d && d[0] == '/')
			si->dirs[si->ndirs++] = d;
		else
			free(d);
	}
	wants = json_get(j, json_root(j), "wants");
	for (size_t i = 0; i < json_count(j, wants) && si->nwants < PLAN_MAX_WANTS; i++) {
		char *w = json_str(j, json_at(j, wants, i));
		if (w && !strchr(w, '/') && w[0] != '.')
			snprintf(si->wants[si->nwants++], UNIT_NAME_MAX, "%s", w);
		free(w);
	}
	json_free(j);
	return 0;
}

static const struct hostrec *find_file(const struct slotinfo *si, const char *path)
{
	for (size_t i = 0; i < si->nfiles; i++)
		if (!strcmp(si->files[i].path, path))
			return &si->files[i];
	return NULL;
}

static int has_dir(const struct slotinfo *si, const char *dir)
{
	for (size_t i = 0; i < si->ndirs; i++)
		if (!strcmp(si->dirs[i], dir))
			return 1;
	return 0;
}

static int has_want(const struct slotinfo *si, const char *w)
{
	for (size_t i = 0; i < si->nwants; i++)
		if (!strcmp(si->wants[i], w))
			return 1;
	return 0;
}

static int target_exists(const struct slot_ctx *x, const char *path)
{
	const char *rel;
	struct stat st;
	int dfd = target_at(&x->c->tgt, path, &rel);

	return path_lstat(dfd, rel, PATH_NO_SYMLINKS, &st) == 0;
}

static int remove_target(const struct slot_ctx *x, const char *path, struct err *e)
{
	const char *rel;
	int dfd = target_at(&x->c->tgt, path, &rel);

	return path_remove(dfd, rel, e);
}

/* A file of slot `to`, from its copy in the slot to the target. */
static int put_host_file(const struct slot_ctx *x, int to, const struct hostrec *f, int replace,
			 struct err *e)
{
	char src[PATH_MAX];
	int fd, r;

	if (path_fmt(src, sizeof src, e, "%s.%d/hostfs%s", x->name, to, f->path) < 0)
		return err_wrap(e, "host file '%s'", f->path);
	fd = path_openat(x->ckfd, src, PATH_NO_SYMLINKS, O_RDONLY, 0);
	if (fd < 0)
		return err_set(e, errno, "host file '%s': the deployment's copy", f->path);
	r = hostfs_install(&x->c->tgt, fd, f->path, f->mode, getuid(), getgid(), replace, e);
	close(fd);
	return r;
}

static int host_files(const struct slot_ctx *x, const struct slotinfo *a,
		      const struct slotinfo *b, int to, int quiet, struct err *e)
{
	char now[65];

	for (size_t i = 0; i < b->ndirs; i++)
		if (!target_exists(x, b->dirs[i])) {
			if (hostfs_mkdir(&x->c->tgt, b->dirs[i], e) < 0)
				return -1;
			cli_say(x->c, "Installing %s/ (directory, 0755)\n", b->dirs[i]);
		}
	for (size_t i = 0; i < b->nfiles; i++) {
		const struct hostrec *f = &b->files[i], *old = find_file(a, f->path);
		hostfs_current_sha256(&x->c->tgt, f->path, now);
		if (!strcmp(now, f->sha256))
			continue;
		if (now[0] || target_exists(x, f->path)) {
			/* only what the previous deployment put there, unedited */
			if (!old || strcmp(now, old->sha256)) {
				if (!quiet)
					cli_say(x->c, "Kept %s: edited since it was installed\n", f->path);
				continue;
			}
		}
		if (put_host_file(x, to, f, now[0] != 0, e) < 0)
			return -1;
		cli_say(x->c, "Installing %s (%04o)\n", f->path, f->mode);
	}
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct hostrec *f = &a->files[i];
		if (find_file(b, f->path))
			continue;
		hostfs_current_sha256(&x->c->tgt, f->path, now);
		if (!strcmp(now, f->sha256)) {
			if (remove_target(x, f->path, e) < 0)
				return -1;
		} else if (now[0] && !quiet) {
			cli_say(x->c, "Kept %s: edited since it was installed\n", f->path);
		}
	}
	for (size_t i = a->ndirs; i-- > 0;)
		if (!has_dir(b, a->dirs[i])) {
			const char *rel;
			int dfd = target_at(&x->c->tgt, a->dirs[i], &rel);
			if (path_remove_empty_dir(dfd, rel, e) < 0)
				return -1;
		}
	return 0;
}

/* The unit and the tmpfiles conf of slot `to` on the target, or gone. */
static int unit_files(const struct slot_ctx *x, int to, struct err *e)
{
	char unit[PATH_MAX], tmpf[PATH_MAX];
	char *src[2] = { NULL, NULL };
	const char *dst[2] = { unit, tmpf };
	int r = 0;

	snprintf(unit, sizeof unit, "/etc/systemd/system/%s.service", x->name);
	snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", x->name);
	for (int k = 0; k < 2 && r == 0; k++) {
		char path[200];
		const char *rel;
		int dfd = target_at(&x->c->tgt, dst[k], &rel);
		size_t len;

		if (to < 0) {
			r = path_remove(dfd, rel, e);
			continue;
		}
		if (k == 0)
			snprintf(path, sizeof path, "%s.%d/%s.service", x->name, to, x->name);
		else
			snprintf(path, sizeof path, "%s.%d/tmpfiles.conf", x->name, to);
		/* read through the CHECKOUT fd, never following a link */
		int fd = path_openat(x->ckfd, path, PATH_NO_SYMLINKS, O_RDONLY, 0);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (1 << 20)) {
			r = err_set(e, fd < 0 ? errno : EFBIG, "'%s'", path);
			if (fd >= 0)
				close(fd);
			continue;
		}
		len = (size_t)st.st_size;
		src[k] = malloc(len + 1);
		if (!src[k] || util_pread_all(fd, src[k], len, 0) != (ssize_t)len)
			r = err_set(e, src[k] ? errno : ENOMEM, "read '%s'", path);
		close(fd);
		if (r == 0)
			r = path_write_atomic(dfd, rel, src[k], len, 0644, e);
	}
	free(src[0]);
	free(src[1]);
	return r;
}

static int enable_links(const struct slot_ctx *x, const struct slotinfo *a,
			const struct slotinfo *b, int offline, struct err *e)
{
	char unit[PATH_MAX];

	snprintf(unit, sizeof unit, "/etc/systemd/system/%s.service", x->name);
	for (size_t i = 0; i < a->nwants; i++)
		if (!has_want(b, a->wants[i])) {
			char t[PATH_MAX];
			if (path_fmt(t, sizeof t, e, "/etc/systemd/system/%s/%s.service", a->wants[i],
				     x->name) < 0 ||
			    remove_target(x, t, e) < 0)
				return -1;
		}
	for (size_t i = 0; offline && i < b->nwants; i++) {
		char t[PATH_MAX];
		const char *rel;
		int dfd;
		if (path_fmt(t, sizeof t, e, "/etc/systemd/system/%s/%s.service", b->wants[i],
			     x->name) < 0)
			return -1;
		dfd = target_at(&x->c->tgt, t, &rel);
		if (path_symlink_atomic(dfd, rel, unit, e) < 0)
			return -1;
	}
	return 0;
}

int slot_activate(const struct slot_ctx *x, int from, int to, int flags, struct err *e)
{
	struct slotinfo *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	int r = -1;

	if (!a || !b) {
		err_set(e, ENOMEM, "activate");
		goto out;
	}
	if (load_slotinfo(x, from, a, e) < 0 || load_slotinfo(x, to, b, e) < 0)
		goto out;
	r = host_files(x, a, b, to, flags & SLOT_QUIET, e);
	if (r == 0)
		r = unit_files(x, to, e);
	if (r == 0)
		r = enable_links(x, a, b, flags & SLOT_OFFLINE, e);
out:
	if (a)
		slotinfo_free(a);
	if (b)
		slotinfo_free(b);
	free(a);
	free(b);
	return r;
}

int slot_flip(const struct slot_ctx *x, int to, struct err *e)
{
	char dir[80];

	if (to < 0)
		return path_remove(x->ckfd, x->name, e);
	slot_dir(x, to, dir, sizeof dir);
	return path_symlink_atomic(x->ckfd, x->name, dir, e);
}

int slot_remove(const struct slot_ctx *x, int slot, struct err *e)
{
	char dir[80], pin[128];

	slot_dir(x, slot, dir, sizeof dir);
	pin_ref(x->name, slot, pin, sizeof pin);
	if (path_remove(x->ckfd, dir, e) < 0)
		return -1;
	return x->s ? store_set_ref(x->s, pin, NULL, e) : 0;
}

int slot_journal(const struct slot_ctx *x, struct journal *j, enum journal_op op, int from,
		 int to, int creates, struct err *e)
{
	char dir[80], pin[128];

	if (journal_begin(j, x->ckfd, op, x->name, e) < 0)
		return -1;
	j->from = from;
	j->to = to;
	if (creates) {
		slot_dir(x, to, dir, sizeof dir);
		pin_ref(x->name, to, pin, sizeof pin);
		if (journal_add(j, JOURNAL_CHECKOUT, dir, e) < 0 ||
		    journal_add(j, JOURNAL_REF, pin, e) < 0)
			return -1;
	}
	return journal_sync(j, e);
}

/* ---- recovery ------------------------------------------------------------ */

static int recover_one(struct cli *c, int ckfd, const char *file, struct store **s,
		       struct err *e)
{
	struct journal j;
	char name[65];
	size_t n = strlen(file);
	int lfd, r, live;

	snprintf(name, sizeof name, "%.*s", (int)(n - 9), file + 1);
	if (!sc_valid_name(name) || !journal_try_lock(ckfd, name, &lfd))
		return 0;   /* an operation on NAME is running right now */
	if ((r = journal_begin(&j, ckfd, JOURNAL_INSTALL, name, e)) == 0)
		r = journal_load(ckfd, file, &j, e);
	if (r == 0 && !*s && pull_open_store(c, s, e) < 0)
		r = -1;
	live = slot_live(ckfd, name);
	if (r == 0) {
		struct slot_ctx x = { c, *s, ckfd, name };
		static const char *const what[] = { "install", "update", "rollback", "uninstall" };
		/* The NAME link is the commit point: where it points says
		 * whether the operation got there. */
		int committed = j.op == JOURNAL_UNINSTALL ? live < 0 : live >= 0 && live == j.to;
		if (committed) {
			fprintf(stderr, "syscontainer: finishing an interrupted %s of %s\n", what[j.op],
				name);
			r = j.op == JOURNAL_UNINSTALL ? uninstall_finish(c, *s, ckfd, name, j.from, 0, e)
						      : slot_activate(&x, j.from, j.to, SLOT_OFFLINE, e);
			if (r == 0)
				r = journal_done(&j, e);
		} else {
			fprintf(stderr, "syscontainer: rolling back an unfinished %s (%s)\n", what[j.op],
				file);
			r = journal_rollback(&j, &c->tgt, *s, e);
		}
	}
	journal_free(&j);
	if (lfd >= 0)
		close(lfd);
	return r;
}

int slot_recover(struct cli *c, struct err *e)
{
	struct store *s = NULL;
	struct dirent *de;
	_cleanup_dir_ DIR *d = NULL;
	_cleanup_fd_ int ckfd = -1, dfd = -1;
	int r = 0;

	if (cli_target(c, e) < 0)
		return -1;
	ckfd = target_open_dir(&c->tgt, c->paths.checkout, e);
	if (ckfd < 0)
		return errno == ENOENT ? 0 : -1;
	dfd = openat(ckfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd)))
		return 0;
	dfd = -1;   /* d owns it now */
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		journal_remove_stale_temp(ckfd, de->d_name);
		if (de->d_name[0] != '.' || n < 10 || n > 9 + 64 ||
		    strcmp(de->d_name + n - 8, ".journal"))
			continue;
		r = recover_one(c, ckfd, de->d_name, &s, e);
	}
	store_free(s);
	return r < 0 ? err_wrap(e, "recovering an interrupted operation") : 0;
}
