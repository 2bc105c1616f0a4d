/* apply FILE: make the containers a file lists be there, as listed, and
 * change nothing when they are: what a boot hook runs on every boot.
 *
 * Each line (applyfile.h) is settled on its own, through the verbs' own
 * code: its SOURCE is pulled (a registry that cannot be reached is no
 * failure when the image is stored: it is used as stored); a NAME not
 * installed is installed; an installed one whose image or --set values
 * differ is updated (containers update, the values replaced); else it is
 * "up to date".  A failing line is reported and the others go on.
 *
 * The names apply settled are recorded in CHECKOUT/.storage/applied, so
 * that --prune uninstalls only containers an earlier apply put there and the
 * file no longer lists; one installed by hand is never touched.  A run that
 * changes nothing writes nothing of its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applyfile.h"
#include "buf.h"
#include "image.h"
#include "install.h"
#include "journal.h"
#include "path.h"
#include "pull.h"
#include "slot.h"
#include "source.h"
#include "store.h"
#include "text.h"
#include "util.h"

#define RECORD ".storage/applied"
/* Serialises applies; never a container's lock (a name cannot start with '.'). */
#define APPLY_LOCK ".apply"

struct apply {
	struct cli *c;
	const char *file;
	int prune, list_files;
	struct apply_file af;
	struct store *s;
	int ckfd;
	unsigned failed;        /* lines */
	unsigned unfailed;      /* uninstalls of unlisted names */
};

/* A line that failed: one line on stderr, as main() prints errors. */
static void line_failed(struct apply *x, unsigned line, const char *msg)
{
	fflush(stdout);
	text_printf(stderr, "syscontainer: apply %s:%u: %s\n", x->file, line, msg);
	x->failed++;
}

/* Pull a's SOURCE; the stored image's name in name.  A registry that fails
 * is no failure when the image is stored already (a boot without network):
 * it is used as stored, with a warning saying why. */
static int pull_source(struct apply *x, const struct apply_entry *a, char *name,
		       struct err *e)
{
	struct source_opts o = { .tls_verify = 1, .no_unchanged_line = 1 };
	struct image_info im = { 0 };
	struct imgref ref;
	struct err ignore;

	if (imgref_parse(&ref, a->source, strlen(a->source), e) < 0)
		return -1;
	if (pull_image(x->c, x->s, &ref, &o, name, e) == 0)
		return 0;
	if (ref.transport == IMGREF_REGISTRY) {
		imgref_format_full(&ref, name, IMGREF_FORMAT_MAX);
		if (image_resolve(x->s, name, &im, &ignore) == 0) {
			image_info_free(&im);
			fflush(stdout);
			text_printf(stderr, "syscontainer: warning: apply %s: pull %s: %s; using the "
				    "stored image\n", a->name, a->source, e->msg);
			return 0;
		}
	}
	return err_wrap(e, "pull %s", a->source);
}

/* install --name NAME [--set KEY=VALUE]... IMAGE, in this process. */
static int install(struct apply *x, const struct apply_entry *a, const char *image,
		   struct err *e)
{
	char **argv = calloc(2 * a->nsets + 5, sizeof *argv);
	int argc = 0, r;

	if (!argv)
		return err_set(e, ENOMEM, "install");
	argv[argc++] = "install";
	argv[argc++] = "--name";
	argv[argc++] = (char *)a->name;
	for (size_t i = 0; i < a->nsets; i++) {
		argv[argc++] = "--set";
		argv[argc++] = a->sets[i];
	}
	argv[argc++] = (char *)image;
	r = cmd_install(x->c, argc, argv, e);
	free(argv);
	return r < 0 ? err_wrap(e, "install") : 0;
}

/* Settle one good line. */
static int apply_entry(struct apply *x, const struct apply_entry *a, struct err *e)
{
	char name[IMGREF_FORMAT_MAX];
	struct image_info im = { 0 };
	int r;

	if (pull_source(x, a, name, e) < 0)
		return -1;
	if (image_resolve(x->s, name, &im, e) < 0)
		return err_wrap(e, "%s", a->source);
	if (slot_live(x->ckfd, a->name) < 0) {
		if ((r = install(x, a, name, e)) == 0)
			text_printf(stdout, "%s: installed %s (IMAGE ID %.12s)\n", a->name, im.name,
				    im.id + 7);
	} else if ((r = containers_update_exact(x->c, a->name, name, a->sets, a->nsets, e)) == 1) {
		text_printf(stdout, "%s: up to date\n", a->name);
		r = 0;
	} else if (r == 0) {
		text_printf(stdout, "%s: updated to %s (IMAGE ID %.12s)\n", a->name, im.name, im.id + 7);
	} else {
		err_wrap(e, "containers update");
	}
	image_info_free(&im);
	fflush(stdout);
	return r;
}

/* The names an earlier apply settled (CHECKOUT/.storage/applied). */
static int record_read(struct apply *x, char **buf, size_t *len, struct err *e)
{
	int fd = path_openat(x->ckfd, RECORD, PATH_NO_SYMLINKS, O_RDONLY, 0);
	ssize_t n;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, "'%s'", RECORD);
	if (!(*buf = malloc(APPLYFILE_ENTRIES_MAX * 66 + 1))) {
		close(fd);
		return err_set(e, ENOMEM, "'%s'", RECORD);
	}
	n = util_pread_all(fd, *buf, APPLYFILE_ENTRIES_MAX * 66, 0);
	close(fd);
	if (n < 0) {
		err_set(e, errno, "'%s'", RECORD);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* 1 when one of the first n lines names it (a bad line counts: its
 * container is still the file's). */
static int listed(const struct apply *x, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(x->af.v[i].name, name))
			return 1;
	return 0;
}

/* A recorded name the file no longer lists: uninstalled with --prune (its
 * data kept, as uninstall keeps it), else left alone, saying so.  1 when
 * it stays installed. */
static int unlisted(struct apply *x, const char *name)
{
	char *argv[] = { "uninstall", (char *)name, NULL };
	struct err e = { 0 };

	if (slot_live(x->ckfd, name) < 0)
		return 0;
	if (!x->prune || x->af.nbad) {
		text_printf(stdout, "%s: no longer listed; left installed (%s)\n", name,
			    x->prune ? "not pruned: the file has errors" : "apply --prune uninstalls it");
		return 1;
	}
	if (cmd_uninstall(x->c, 2, argv, &e) < 0) {
		fflush(stdout);
		text_printf(stderr, "syscontainer: apply %s: uninstall %s\n", x->file, e.msg);
		x->unfailed++;
		return 1;
	}
	text_printf(stdout, "%s: uninstalled (no longer listed)\n", name);
	return 0;
}

/* Settle the names the record holds and the file does not list, then
 * record what is installed of both; written only when it changed. */
static int record_update(struct apply *x, struct err *e)
{
	struct buf nb;
	char *old, *p;
	size_t len;
	int r = 0;

	if (record_read(x, &old, &len, e) < 0)
		return -1;
	buf_init(&nb);
	for (p = old; p && *p;) {
		size_t n = strcspn(p, "\n");
		char name[SC_NAME_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)(n < SC_NAME_MAX ? n : SC_NAME_MAX), p);
		p += n + (p[n] == '\n');
		if (n > SC_NAME_MAX || !sc_valid_name(name) || listed(x, x->af.n, name))
			continue;
		if (unlisted(x, name))
			buf_appendf(&nb, "%s\n", name);
	}
	for (size_t i = 0; i < x->af.n; i++) {
		const char *name = x->af.v[i].name;
		if (name[0] && !listed(x, i, name) && slot_live(x->ckfd, name) >= 0)
			buf_appendf(&nb, "%s\n", name);
	}
	if (nb.oom)
		r = err_set(e, ENOMEM, "'%s'", RECORD);
	else if (nb.len != len || (len && memcmp(nb.data, old, len)))
		r = path_write_atomic(x->ckfd, RECORD, buf_cstr(&nb), nb.len, 0600, e);
	buf_free(&nb);
	free(old);
	fflush(stdout);
	return r;
}

static int parse_args(struct apply *x, int argc, char **argv, struct err *e)
{
	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (!strcmp(argv[i], "--prune"))
			x->prune = 1;
		else if (!strcmp(argv[i], "--list-files"))
			x->list_files = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return err_usage(e, "unknown option '%s'", argv[i]);
		else if (x->file)
			return err_usage(e, "one file at a time");
		else
			x->file = argv[i];
	}
	if (x->prune && x->list_files)
		return err_usage(e, "--list-files changes nothing: it goes without --prune");
	return x->file ? 0 : err_usage(e, "which file?");
}

static int read_file(struct apply *x, struct err *e)
{
	char *buf;
	size_t len;
	int r;

	if (util_read_file(x->file, APPLYFILE_MAX, &buf, &len, e) < 0)
		return -1;
	r = applyfile_parse(buf, len, &x->af, e);
	free(buf);
	return r;
}

/* --list-files: the host files the good lines read (archives), one a line,
 * for whoever builds an initramfs; bad lines reported as apply reports them. */
static void list_files(struct apply *x)
{
	for (size_t i = 0; i < x->af.n; i++) {
		const struct apply_entry *a = &x->af.v[i];
		struct imgref ref;
		struct err ignore;
		if (a->error[0])
			line_failed(x, a->line, a->error);
		else if (imgref_parse(&ref, a->source, strlen(a->source), &ignore) == 0 && ref.file[0])
			text_printf(stdout, "%s\n", ref.file);
	}
	fflush(stdout);
}

static int run(struct apply *x, struct err *e)
{
	int lockfd = -1, r = -1;

	if (pull_open_store(x->c, &x->s, e) < 0 ||
	    (x->ckfd = target_open_dir(&x->c->tgt, x->c->paths.checkout, e)) < 0 ||
	    journal_lock(x->ckfd, APPLY_LOCK, &lockfd, e) < 0)
		goto out;
	for (size_t i = 0; i < x->af.n; i++) {
		const struct apply_entry *a = &x->af.v[i];
		struct err le = { 0 };
		if (a->error[0]) {
			line_failed(x, a->line, a->error);
			continue;
		}
		if (apply_entry(x, a, &le) < 0)
			line_failed(x, a->line, le.msg);
	}
	r = record_update(x, e);
out:
	if (lockfd >= 0)
		close(lockfd);
	return r;
}

int cmd_apply(struct cli *c, int argc, char **argv, struct err *e)
{
	struct apply x = { .c = c, .ckfd = -1 };
	int r = -1;

	if (parse_args(&x, argc, argv, e) < 0)
		return -1;
	if (!x.list_files && !c->root && access("/etc/initrd-release", F_OK) == 0)
		return err_set(e, 0, "%s: running inside an initramfs: give --root (the units would be "
			       "enabled inside the initramfs)", x.file);
	if (read_file(&x, e) < 0) {
		err_wrap(e, "%s", x.file);
		goto out;
	}
	if (x.list_files)
		list_files(&x);
	else if (cli_target(c, e) < 0 || run(&x, e) < 0) {
		err_wrap(e, "%s", x.file);
		goto out;
	}
	if (x.failed || x.unfailed) {
		char un[64] = "";
		if (x.unfailed)
			snprintf(un, sizeof un, "%s%u uninstall%s failed", x.failed ? ", " : "",
				 x.unfailed, x.unfailed == 1 ? "" : "s");
		if (x.failed)
			err_set(e, 0, "%s: %u of %zu line%s failed%s", x.file, x.failed, x.af.n,
				x.af.n == 1 ? "" : "s", un);
		else
			err_set(e, 0, "%s: %s", x.file, un);
		goto out;
	}
	r = 0;
out:
	if (x.ckfd >= 0)
		close(x.ckfd);
	applyfile_free(&x.af);
	store_free(x.s);
	return r;
}
