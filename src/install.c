/* install: turn a stored image into a system container.  The plan (plan.c)
 * decides everything before anything is written; then slot 0 is prepared,
 * the NAME link flipped and the target made to match it (slot.c).  A
 * failure is undone; a kill is finished or undone by the next command. */
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
#include "owners.h"
#include "plan.h"
#include "platform.h"
#include "pull.h"
#include "slot.h"
#include "source.h"
#include "store.h"
#include "text.h"
#include "util.h"

struct inst {
	struct cli *c;
	struct store *s;
	struct image_info im;
	char name[65];
	const char *runtime_opt;
	int dry_run, json;
	struct plan plan;
	struct source_opts src_opts;
	struct owners owners;
};

/* Enabling the unit: systemctl with systemd running, else nothing (the
 * links were made by hand) and a line saying so. */
static int enable(struct cli *c, const char *name, struct err *e)
{
	char unit[128], tmpf[PATH_MAX];
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	char *tmp[] = { "systemd-tmpfiles", "--create", tmpf, NULL };
	char *en[] = { "systemctl", "enable", unit, NULL };

	snprintf(unit, sizeof unit, "%s", name);
	snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", name);
	if (!sc_systemd_running(c)) {
		cli_say(c, "systemd is not running here: unit reload and tmpfiles happen at boot\n");
		return 0;
	}
	if (sc_run_cmd(c, reload, 1, e) < 0 || sc_run_cmd(c, tmp, 1, e) < 0 ||
	    sc_run_cmd(c, en, 1, e) < 0)
		return -1;
	return 0;
}

/* NAME's record of the places it owns: the plan's, plus what an earlier
 * record of NAME held (an update keeps it all). */
int install_record_places(int ckfd, const struct owners *o, const struct plan *p, struct err *e)
{
	const struct owner *old = owners_get(o, p->name);
	struct owner rec = { 0 };

	snprintf(rec.name, sizeof rec.name, "%s", p->name);
	for (size_t i = 0; old && i < old->nplaces; i++)
		rec.places[rec.nplaces++] = old->places[i];
	for (size_t i = 0; i < p->nown && rec.nplaces < OWNERS_MAX_PLACES; i++) {
		int dup = 0;
		if (!p->own[i].created && !p->own[i].reused)
			continue;
		for (size_t k = 0; k < rec.nplaces; k++)
			dup |= !strcmp(rec.places[k], p->own[i].path);
		if (!dup)
			rec.places[rec.nplaces++] = p->own[i].path;
	}
	if (!rec.nplaces)
		return owners_drop(ckfd, p->name, e);
	return owners_write(ckfd, &rec, e);
}

/* NAME is free in CHECKOUT (a missing CHECKOUT is free too). */
static int check_free(struct inst *in, struct err *e)
{
	struct stat st;
	char dest[PATH_MAX], slot[80];
	int ckfd = target_open_dir(&in->c->tgt, in->c->paths.checkout, e), r = 0;

	if (ckfd < 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(slot, sizeof slot, "%s.0", in->name);
	if (fstatat(ckfd, in->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = err_set(e, 0, "container '%s' is already installed: uninstall it first", in->name);
	else if (fstatat(ckfd, slot, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 path_join(dest, sizeof dest, in->c->paths.checkout, slot) == 0)
		r = err_set(e, 0, "'%s' exists but is no installed container: remove it first", dest);
	if (r == 0 && owners_load(ckfd, &in->owners, e) < 0)
		r = -1;
	close(ckfd);
	return r;
}

static int do_install(struct inst *in, int ckfd, struct err *e)
{
	struct slot_ctx x = { in->c, in->s, ckfd, in->name };
	int offline = !sc_systemd_running(in->c), r = -1;
	struct journal j = { 0 };
	struct err undo;

	if (check_free(in, e) < 0 || slot_journal(&x, &j, JOURNAL_INSTALL, -1, 0, 1, e) < 0)
		goto out;
	if (slot_prepare(&x, &in->im, &in->plan, e) < 0 || slot_flip(&x, 0, e) < 0) {
		journal_rollback(&j, &in->c->tgt, in->s, &undo);
		goto out;
	}
	/* what the container now holds on the host, as it holds its files */
	for (size_t i = 0; i < in->plan.nown; i++)
		if (in->plan.own[i].kept)
			cli_say(in->c, "Reusing %s, kept from an earlier install of %s\n",
				in->plan.own[i].path, in->name);
		else if (in->plan.own[i].created && !in->plan.own[i].reused && !in->c->atomic)
			cli_say(in->c, "Claiming %s (made by systemd-tmpfiles)\n",
				in->plan.own[i].path);
	if (slot_activate(&x, -1, 0, offline ? SLOT_OFFLINE : 0, e) < 0 ||
	    install_record_places(ckfd, &in->owners, &in->plan, e) < 0 ||
	    enable(in->c, in->name, e) < 0) {
		/* after the flip: take back what the activation put on the target */
		slot_activate(&x, 0, -1, SLOT_OFFLINE | SLOT_QUIET, &undo);
		slot_flip(&x, -1, &undo);
		slot_remove(&x, 0, &undo);
		journal_done(&j, &undo);
		goto out;
	}
	r = journal_done(&j, e);
out:
	journal_free(&j);
	return r;
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
		if ((!strcmp(a, "--name") || !strcmp(a, "-n") || !strcmp(a, "--set") ||
		     !strcmp(a, "--runtime") || !strcmp(a, "--system-package")) && i + 1 >= argc)
			return err_usage(e, "%s needs a value", a);
		if (!strcmp(a, "--system-package") || !strncmp(a, "--system-package=", 17)) {
			/* Atomic could wrap a system container into an rpm */
			const char *v = a[16] == '=' ? a + 17 : argv[++i];
			if (strcmp(v, "no") && strcmp(v, "auto"))
				return err_usage(e, "--system-package=%s: no rpm is made; the container "
						 "is installed directly (use no or auto)", v);
		} else if (!strcmp(a, "--rootfs") || !strncmp(a, "--rootfs=", 9)) {
			return err_usage(e, "--rootfs: not supported: the rootfs is always checked out "
					 "from the image");
		} else if (!strcmp(a, "--name") || !strncmp(a, "--name=", 7) || !strcmp(a, "-n")) {
			const char *v = !strncmp(a, "--name=", 7) ? a + 7 : argv[++i];
			if (!sc_valid_name(v))
				return err_usage(e, "--name '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64", v);
			snprintf(in->name, sizeof in->name, "%s", v);
		} else if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
			if (values_add_set(&in->plan.vals, a[5] == '=' ? a + 6 : argv[++i], e) < 0)
				return -1;
		} else if (!strcmp(a, "--runtime") || !strncmp(a, "--runtime=", 10)) {
			in->runtime_opt = a[9] == '=' ? a + 10 : argv[++i];
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "--display")) {
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
	if (in->im.config) {
		char plat[PLATFORM_MAX];
		int foreign;

		if (platform_check(in->im.config, strlen(in->im.config), in->src_opts.platform,
				   &foreign, plat, e) < 0)
			return -1;
		if (foreign)
			fprintf(stderr, "syscontainer: warning: %s is for %s: it will not run "
				"natively on this machine\n", in->im.name, plat);
	}
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
	if (slot_recover(c, e) < 0 || pull_open_store(c, &in->s, e) < 0 ||
	    store_lock(in->s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0 ||
	    find_image(in, image, e) < 0)
		return -1;
	return 0;
}

int cmd_install(struct cli *c, int argc, char **argv, struct err *e)
{
	struct inst *in = calloc(1, sizeof *in);
	const char *image;
	int lockfd = -1, ckfd = -1, r = -1;

	if (!in)
		return err_set(e, ENOMEM, "install");
	in->c = c;
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
	if (check_free(in, e) < 0) {
		err_wrap(e, "%s", in->name);
		goto out;
	}
	{
		struct plan_in pi = { .c = c, .s = in->s, .im = &in->im, .name = in->name,
				      .runtime = in->runtime_opt, .owners = &in->owners };
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
	if ((ckfd = target_open_dir(&c->tgt, c->paths.checkout, e)) < 0 ||
	    journal_lock(ckfd, in->name, &lockfd, e) < 0) {
		err_wrap(e, "%s", in->name);
		goto out;
	}
	owners_free(&in->owners);
	if (do_install(in, ckfd, e) < 0) {
		err_wrap(e, "%s", in->name);
		goto out;
	}
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (ckfd >= 0)
		close(ckfd);
	owners_free(&in->owners);
	plan_free(&in->plan);
	image_info_free(&in->im);
	store_free(in->s);
	free(in);
	return r;
}
