/* install: turn a stored image into a system container.  The plan (plan.c)
 * decides everything before anything is written; then the journal lists
 * what will be created, the image is checked out, the deployment's files,
 * the host files, the unit and the tmpfiles conf are written, the image is
 * pinned, and the NAME link flips last.  A failure, or a kill, is undone
 * from the journal: by us, or by the next command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deploy.h"
#include "image.h"
#include "install.h"
#include "journal.h"
#include "json.h"
#include "path.h"
#include "plan.h"
#include "pull.h"
#include "source.h"
#include "store.h"
#include "text.h"
#include "util.h"

enum { MAX_LAYERS_INSTALL = 256 };

struct inst {
	struct cli *c;
	struct store *s;
	struct image_info im;
	char name[65];
	const char *runtime_opt;
	int dry_run, json;
	struct plan plan;
	struct source_opts src_opts;
	struct journal j;
	int ckfd;                      /* CHECKOUT */
	char slot[80];                 /* "NAME.0" */
	char pin[128];
};

/* ---- writing ------------------------------------------------------------- */

static int write_info(struct inst *in, struct err *e)
{
	const struct plan *p = &in->plan;
	char path[160], now[32];
	time_t t = time(NULL);
	struct buf b;
	struct jw w;
	int r;

	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "name"); jw_str(&w, in->name);
	jw_key(&w, "image"); jw_str(&w, in->im.name);
	jw_key(&w, "image_id"); jw_str(&w, in->im.id);
	jw_key(&w, "commit"); jw_str(&w, in->im.commit);
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
		jw_str(&w, p->own[i].path);
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "info");
	}
	buf_putc(&b, '\n');
	snprintf(path, sizeof path, "%s/info", in->slot);
	r = path_write_atomic(in->ckfd, path, b.data, b.len, 0644, e);
	buf_free(&b);
	return r;
}

static int write_deployment(struct inst *in, struct err *e)
{
	const struct plan *p = &in->plan;
	char path[200];

	snprintf(path, sizeof path, "%s/config.json", in->slot);
	if (path_write_atomic(in->ckfd, path, p->config.data, p->config.len, 0644, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s.service", in->slot, in->name);
	if (path_write_atomic(in->ckfd, path, p->service.data, p->service.len, 0644, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/tmpfiles.conf", in->slot);
	return path_write_atomic(in->ckfd, path, p->tmpfiles.data ? p->tmpfiles.data : "",
				 p->tmpfiles.len, 0644, e);
}

/* A file on the target, written as a whole (never through a symlink). */
static int write_target(struct inst *in, const char *path, const struct buf *b, struct err *e)
{
	const char *rel;
	int dfd = target_at(&in->c->tgt, path, &rel);

	return path_write_atomic(dfd, rel, b->data ? b->data : "", b->len, 0644, e);
}

static int write_host_files(struct inst *in, struct err *e)
{
	struct hostfs *h = in->plan.hostfs;

	for (size_t i = 0; i < h->ndirs; i++) {
		if (hostfs_mkdir(&in->c->tgt, h->dirs[i], e) < 0)
			return -1;
		cli_say(in->c, "Installing %s/ (directory, 0755)\n", h->dirs[i]);
	}
	for (size_t i = 0; i < h->n; i++) {
		if (hostfs_write(in->s, &in->c->tgt, &h->v[i], getuid(), getgid(), e) < 0)
			return -1;
		cli_say(in->c, "Installing %s (%04o)\n", h->v[i].target, h->v[i].mode);
	}
	/* The container's own data directories are in the plan (--dry-run),
	 * not here: an image without host files prints what Atomic printed. */
	return 0;
}

/* Without a running systemd: the symlinks `systemctl enable` would make. */
static int enable_offline(struct inst *in, struct err *e)
{
	for (size_t i = 0; i < in->plan.nwants; i++) {
		char t[PATH_MAX];
		const char *rel;
		int dfd;
		snprintf(t, sizeof t, "/etc/systemd/system/%s/%s.service", in->plan.wants[i], in->name);
		dfd = target_at(&in->c->tgt, t, &rel);
		if (path_symlink_atomic(dfd, rel, in->plan.unit, e) < 0)
			return -1;
	}
	return 0;
}

static int enable(struct inst *in, struct err *e)
{
	char unit[128];
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	char *tmpf[] = { "systemd-tmpfiles", "--create", in->plan.tmpfiles_conf, NULL };
	char *en[] = { "systemctl", "enable", unit, NULL };

	snprintf(unit, sizeof unit, "%s", in->name);
	if (!sc_systemd_running(in->c)) {
		if (enable_offline(in, e) < 0)
			return -1;
		cli_say(in->c, "systemd is not running here: unit reload and tmpfiles happen at boot\n");
		return 0;
	}
	if (sc_run_cmd(in->c, reload, 1, e) < 0 || sc_run_cmd(in->c, tmpf, 1, e) < 0 ||
	    sc_run_cmd(in->c, en, 1, e) < 0)
		return -1;
	return 0;
}

/* ---- the flow ------------------------------------------------------------- */

/* Everything the install will create, listed before any of it exists;
 * rollback removes newest first: links, refs and files, then directories. */
static int journal_plan(struct inst *in, struct err *e)
{
	const struct plan *p = &in->plan;
	struct journal *j = &in->j;

	if (journal_begin(j, in->ckfd, JOURNAL_INSTALL, in->name, e) < 0 ||
	    journal_add(j, JOURNAL_CHECKOUT, in->slot, e) < 0)
		return -1;
	for (size_t i = 0; i < p->hostfs->ndirs; i++)
		if (journal_add(j, JOURNAL_DIR, p->hostfs->dirs[i], e) < 0)
			return -1;
	for (size_t i = 0; i < p->hostfs->n; i++)
		if (journal_add(j, JOURNAL_TARGET, p->hostfs->v[i].target, e) < 0)
			return -1;
	if (journal_add(j, JOURNAL_TARGET, p->unit, e) < 0 ||
	    journal_add(j, JOURNAL_TARGET, p->tmpfiles_conf, e) < 0)
		return -1;
	for (size_t i = 0; i < p->nwants; i++) {
		char t[PATH_MAX];
		snprintf(t, sizeof t, "/etc/systemd/system/%s/%s.service", p->wants[i], in->name);
		if (journal_add(j, JOURNAL_TARGET, t, e) < 0)
			return -1;
	}
	if (journal_add(j, JOURNAL_REF, in->pin, e) < 0 ||
	    journal_add(j, JOURNAL_CHECKOUT, in->name, e) < 0)
		return -1;
	return journal_sync(j, e);
}

static int checkout(struct inst *in, struct err *e)
{
	const char *commits[MAX_LAYERS_INSTALL];
	char cbuf[MAX_LAYERS_INSTALL][65], path[128];
	struct deploy_stats st;
	int dfd = -1, rootfd = -1, objfd = -1, r = -1;

	if (in->im.nlayers > MAX_LAYERS_INSTALL)
		return err_set(e, 0, "more than %d layers", MAX_LAYERS_INSTALL);
	for (size_t i = 0; i < in->im.nlayers; i++) {
		char ref[STORE_REF_MAX];
		int have;
		store_layer_ref(in->im.diff_ids[i], ref);
		if ((have = store_ref_get(in->s, ref, cbuf[i], e)) < 0)
			return -1;
		if (!have)
			return err_set(e, 0, "layer %.12s is missing from the store: pull the image again",
				       in->im.diff_ids[i] + 7);
		commits[i] = cbuf[i];
	}
	cli_say(in->c, "Extracting to %s\n", in->plan.dest);
	if (mkdirat(in->ckfd, in->slot, 0700) < 0)
		return err_set(e, errno, "mkdir '%s'", in->plan.dest);
	dfd = openat(in->ckfd, in->slot, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* rootfs 0755: the container's processes that are not root walk it;
	 * the objects directory holds copies for cross-filesystem checkouts. */
	if (dfd < 0 || mkdirat(dfd, "rootfs", 0755) < 0 || mkdirat(dfd, ".objects", 0700) < 0 ||
	    (rootfd = openat(dfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (objfd = openat(dfd, ".objects", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err_set(e, errno, "'%s'", in->plan.dest);
		goto out;
	}
	if (deploy_checkout(in->s, commits, in->im.nlayers, rootfd, objfd, &st, e) < 0) {
		err_wrap(e, "checkout");
		goto out;
	}
	if (st.copied)
		cli_say(in->c, "The repository is on another filesystem: %llu files copied, %llu "
			"hardlinked\n", (unsigned long long)st.copied,
			(unsigned long long)(st.linked - st.copied));
	snprintf(path, sizeof path, "%s/.objects", in->slot);
	r = path_remove(in->ckfd, path, e);
out:
	if (objfd >= 0)
		close(objfd);
	if (rootfd >= 0)
		close(rootfd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* NAME is free in CHECKOUT (a missing CHECKOUT is free too). */
static int check_free(struct inst *in, struct err *e)
{
	struct stat st;
	char dest[PATH_MAX];
	int ckfd = target_open_dir(&in->c->tgt, in->c->paths.checkout, e), r = 0;

	if (ckfd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstatat(ckfd, in->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = err_set(e, 0, "container '%s' is already installed: uninstall it first", in->name);
	else if (fstatat(ckfd, in->slot, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 path_join(dest, sizeof dest, in->c->paths.checkout, in->slot) == 0)
		r = err_set(e, 0, "'%s' exists but is no installed container: remove it first", dest);
	close(ckfd);
	return r;
}

static int do_install(struct inst *in, struct err *e)
{
	if (check_free(in, e) < 0 || journal_plan(in, e) < 0 || checkout(in, e) < 0 || write_deployment(in, e) < 0 ||
	    write_host_files(in, e) < 0 || write_target(in, in->plan.unit, &in->plan.service, e) < 0 ||
	    write_target(in, in->plan.tmpfiles_conf, &in->plan.tmpfiles, e) < 0 ||
	    store_set_ref(in->s, in->pin, in->im.commit, e) < 0)
		return -1;
	/* info records the host files' sha256, known once they are written */
	if (write_info(in, e) < 0 || path_symlink_atomic(in->ckfd, in->name, in->slot, e) < 0 ||
	    enable(in, e) < 0)
		return -1;
	/* What the journal could roll back must be on disk before it goes. */
	if (util_syncfs(in->ckfd) < 0)
		return err_set(e, errno, "sync '%s'", in->c->paths.checkout);
	return journal_done(&in->j, e);
}

static int parse_install(struct inst *in, int argc, char **argv, const char **image,
			 struct err *e)
{
	*image = NULL;
	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		const char *a = argv[i];
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if ((n = pull_option(argc, argv, i, &in->src_opts, e)) < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if ((!strcmp(a, "--name") || !strcmp(a, "--set") || !strcmp(a, "--runtime")) &&
		    i + 1 >= argc)
			return err_usage(e, "%s needs a value", a);
		if (!strcmp(a, "--name") || !strncmp(a, "--name=", 7)) {
			const char *v = a[6] == '=' ? a + 7 : argv[++i];
			if (!sc_valid_name(v))
				return err_usage(e, "--name '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64", v);
			snprintf(in->name, sizeof in->name, "%s", v);
		} else if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
			if (values_add_set(&in->plan.vals, a[5] == '=' ? a + 6 : argv[++i], e) < 0)
				return -1;
		} else if (!strcmp(a, "--runtime") || !strncmp(a, "--runtime=", 10)) {
			in->runtime_opt = a[9] == '=' ? a + 10 : argv[++i];
		} else if (!strcmp(a, "--dry-run")) {
			in->dry_run = 1;
		} else if (!strcmp(a, "--json")) {
			in->json = 1;
		} else if (a[0] == '-') {
			return err_usage(e, "unknown option '%s'", a);
		} else if (*image) {
			return err_usage(e, "one image at a time");
		} else {
			*image = a;
		}
	}
	if (!*image)
		return err_usage(e, "which image?");
	if (pull_options_check(&in->src_opts, e) < 0)
		return -1;
	if (in->json && !in->dry_run)
		return err_usage(e, "--json goes with --dry-run");
	return 0;
}

/* The image, pulled first when it is not stored (never for --dry-run). */
static int find_image(struct inst *in, const char *image, struct err *e)
{
	struct imgref ref;
	char name[IMGREF_FORMAT_MAX];
	int r;

	/* An IMAGE ID names a stored image first, as in images info. */
	if ((r = image_resolve_id(in->s, image, &in->im, e)) < 0)
		return -1;
	if (r > 0)
		goto named;
	if (imgref_parse(&ref, image, strlen(image), e) < 0)
		return -1;
	if (ref.has_name) {
		/* with its digest, so that NAME:TAG at another one is pulled */
		imgref_format_full(&ref, name, sizeof name);
		if (image_resolve(in->s, name, &in->im, e) == 0)
			goto named;
		if (e->code != ERR_NOT_FOUND)
			return -1;
	}
	if (in->dry_run)
		return err_set(e, 0, "not stored, and --dry-run pulls nothing: pull it first");
	in->src_opts.typed = image; /* a short name goes through registries.conf */
	if (pull_image(in->c, in->s, &ref, &in->src_opts, name, e) < 0 ||
	    image_resolve(in->s, name, &in->im, e) < 0)
		return -1;
named:
	if (!in->name[0]) {
		struct imgref r;
		if (imgref_parse_name(&r, in->im.name, strlen(in->im.name), e) < 0)
			return -1;
		imgref_default_name(&r, in->name, sizeof in->name);
	}
	return 0;
}

static void print_dry_run(struct inst *in)
{
	struct buf b;
	struct jw w;

	if (!in->json) {
		text_printf(stdout, "Would install %s from %s (IMAGE ID %s)\n", in->name, in->im.name,
			    in->im.id);
		plan_print(&in->plan, "");
		return;
	}
	buf_init(&b);
	jw_init(&w, &b, 1);
	plan_json(&in->plan, &w);
	if (jw_finish(&w) == 0)
		printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static int open_image(struct inst *in, const char *image, struct err *e)
{
	struct cli *c = in->c;

	if (in->dry_run)
		return pull_open_existing_store(c, &in->s, e) < 0 ||
		       store_lock(in->s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL,
				  e) < 0 || find_image(in, image, e) < 0 ? -1 : 0;
	if (journal_recover(c, uninstall_finish, e) < 0 || pull_open_store(c, &in->s, e) < 0 ||
	    store_lock(in->s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0 ||
	    find_image(in, image, e) < 0)
		return -1;
	return 0;
}

int cmd_install(struct cli *c, int argc, char **argv, struct err *e)
{
	struct inst *in = calloc(1, sizeof *in);
	const char *image;
	int lockfd = -1, r = -1;

	if (!in)
		return err_set(e, ENOMEM, "install");
	in->c = c;
	in->ckfd = -1;
	in->src_opts.tls_verify = 1;
	if (parse_install(in, argc, argv, &image, e) < 0)
		goto out;
	if (!c->root && access("/etc/initrd-release", F_OK) == 0) {
		err_set(e, 0, "%s: running inside an initramfs: give --root (the units would be "
			"enabled inside the initramfs)", image);
		goto out;
	}
	if (cli_target(c, e) < 0 || open_image(in, image, e) < 0) {
		err_wrap(e, "%s", image);
		goto out;
	}
	snprintf(in->slot, sizeof in->slot, "%s.0", in->name);
	snprintf(in->pin, sizeof in->pin, PIN_PREFIX "%s.0", in->name);
	if (check_free(in, e) < 0) {
		err_wrap(e, "%s", in->name);
		goto out;
	}
	{
		struct plan_in pi = { c, in->s, &in->im, in->name, in->runtime_opt, 0, 0 };
		if (plan_make(&in->plan, &pi, e) < 0) {
			err_wrap(e, "%s", in->name);
			goto out;
		}
	}
	if (in->dry_run) {
		print_dry_run(in);
		r = 0;
		goto out;
	}
	if ((in->ckfd = target_open_dir(&c->tgt, c->paths.checkout, e)) < 0 ||
	    journal_lock(in->ckfd, in->name, &lockfd, e) < 0) {
		err_wrap(e, "%s", in->name);
		goto out;
	}
	if (do_install(in, e) < 0) {
		struct err ignore;
		if (in->j.file[0])
			journal_rollback(&in->j, &c->tgt, in->s, &ignore);
		err_wrap(e, "%s", in->name);
		goto out;
	}
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (in->ckfd >= 0)
		close(in->ckfd);
	journal_free(&in->j);
	plan_free(&in->plan);
	image_info_free(&in->im);
	store_free(in->s);
	free(in);
	return r;
}
