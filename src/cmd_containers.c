/* uninstall, containers list, run: the life of an installed container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "hostfs.h"
#include "image.h"
#include "install.h"
#include "journal.h"
#include "owners.h"
#include "json.h"
#include "path.h"
#include "pull.h"
#include "slot.h"
#include "spec.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* What CHECKOUT/NAME/info says of an installed container. */
struct installed {
	char name[SC_NAME_MAX + 1], slot[80], image[512], created[32], runtime[PATH_MAX], command[256];
	char dest[PATH_MAX];       /* target path of the live slot */
};

/* info or config.json of a slot, parsed. */
static int read_slot_json(int ckfd, const char *slot, const char *file, size_t max,
			  struct json **j, struct err *e)
{
	char path[160];
	_cleanup_free_ char *buf = NULL;
	_cleanup_fd_ int fd = -1;
	ssize_t n;

	if (path_fmt(path, sizeof path, e, "%s/%s", slot, file) < 0)
		return -1;
	if ((fd = path_openat(ckfd, path, PATH_NO_SYMLINKS, O_RDONLY, 0)) < 0)
		return err_set(e, errno, "'%s'", path);
	if (!(buf = malloc(max + 1)))
		return err_set(e, ENOMEM, "read '%s'", path);
	if ((n = util_pread_all(fd, buf, max, 0)) < 0)
		return err_set(e, errno, "read '%s'", path);
	return json_parse(j, buf, (size_t)n, e) < 0 ? err_wrap(e, "'%s'", path) : 0;
}

static void copy_member(const struct json *j, const char *key, char *out, size_t outsz)
{
	char *v = json_str(j, json_get(j, json_root(j), key));
	snprintf(out, outsz, "%s", v ? v : "");
	free(v);
}

static int load_installed(struct cli *c, int ckfd, const char *name, struct installed *ci,
			  struct err *e)
{
	struct json *j = NULL;
	ssize_t n;

	memset(ci, 0, sizeof *ci);
	/* no valid NAME can be installed; a valid one fits ci->name */
	n = sc_valid_name(name) ? readlinkat(ckfd, name, ci->slot, sizeof ci->slot - 1) : -1;
	snprintf(ci->name, sizeof ci->name, "%s", name);
	if (n < 0)
		return err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", name);
	ci->slot[n] = '\0';
	if (strchr(ci->slot, '/') || ci->slot[0] == '.')
		return err_set(e, 0, "container '%s': its link is not to a slot", name);
	if (path_join(ci->dest, sizeof ci->dest, c->paths.checkout, ci->slot) < 0)
		return err_set(e, ENAMETOOLONG, "container '%s'", name);
	if (read_slot_json(ckfd, ci->slot, "info", 1 << 20, &j, e) < 0)
		return err_wrap(e, "container '%s'", name);
	copy_member(j, "image", ci->image, sizeof ci->image);
	copy_member(j, "created", ci->created, sizeof ci->created);
	copy_member(j, "runtime", ci->runtime, sizeof ci->runtime);
	json_free(j);
	/* The command, from the bundle's config.json. */
	if (read_slot_json(ckfd, ci->slot, "config.json", 4 << 20, &j, e) == 0) {
		int args = json_getpath(j, json_root(j), "process.args");
		char *a0 = json_str(j, json_at(j, args, 0));
		snprintf(ci->command, sizeof ci->command, "%s", a0 ? a0 : "");
		free(a0);
		json_free(j);
	}
	return 0;
}

/* CHECKOUT, as the target sees it; -1 with ERR_NOT_FOUND when missing. */
static int open_checkout(struct cli *c, struct err *e)
{
	int fd;

	if (cli_target(c, e) < 0)
		return -1;
	fd = target_open_dir(&c->tgt, c->paths.checkout, e);
	if (fd < 0 && errno == ENOENT)
		e->code = ERR_NOT_FOUND;
	return fd;
}

/* ---- uninstall -------------------------------------------------------------- */

/* Enable links to NAME from every .wants/.requires/.upholds, including
 * ones systemctl made that no slot recorded (only our unit's). */
static void remove_wants(struct cli *c, const char *name)
{
	const char *rel;
	int tfd = target_at(&c->tgt, "/etc/systemd/system", &rel);
	int dfd = path_openat(tfd, rel, PATH_NO_SYMLINKS, O_RDONLY | O_DIRECTORY, 0);
	char unit[128];
	struct dirent *de;
	struct err ignore;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	snprintf(unit, sizeof unit, "%s.service", name);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char p[NAME_MAX + 140];
		struct stat st;
		if (!(n > 6 && !strcmp(de->d_name + n - 6, ".wants")) &&
		    !(n > 9 && !strcmp(de->d_name + n - 9, ".requires")) &&
		    !(n > 8 && !strcmp(de->d_name + n - 8, ".upholds")))
			continue;
		snprintf(p, sizeof p, "%s/%s", de->d_name, unit);
		if (path_lstat(dirfd(d), p, PATH_NO_SYMLINKS, &st) == 0 && S_ISLNK(st.st_mode))
			path_remove(dirfd(d), p, &ignore);
	}
	closedir(d);
}

/* The places NAME's record holds: removed (purge), else kept for NAME. */
static int settle_places(struct cli *c, int ckfd, const char *name, int purge, struct err *e)
{
	struct owners o;
	const struct owner *rec;
	struct owner kept;
	int r = 0, any = 0;

	if (owners_load(ckfd, &o, e) < 0)
		return -1;
	if (!(rec = owners_get(&o, name))) {
		owners_free(&o);
		return 0;
	}
	for (size_t i = 0; i < rec->nplaces && r == 0; i++) {
		const char *rel;
		struct stat st;
		int dfd = target_at(&c->tgt, rec->places[i], &rel);
		if (path_lstat(dfd, rel, PATH_NO_SYMLINKS, &st) < 0)
			continue;
		any = 1;
		if (purge) {
			r = path_remove(dfd, rel, e);
			if (r == 0)
				text_printf(stdout, "Removed %s\n", rec->places[i]);
		}
	}
	if (r == 0 && (purge || !any)) {
		r = owners_drop(ckfd, name, e);
	} else if (r == 0) {
		kept = *rec;
		kept.kept = 1;
		r = owners_write(ckfd, &kept, e);
	}
	owners_free(&o);
	return r;
}

int uninstall_finish(struct cli *c, struct store *s, int ckfd, const char *name, int live,
		     int purge, struct err *e)
{
	struct slot_ctx x = { c, s, ckfd, name };
	struct err soft;

	/* What the live slot put on the target and nobody edited since (an
	 * edited file is named), then what an interrupted switch may have
	 * left of the other one. */
	if (live >= 0 && slot_exists(ckfd, name, live) &&
	    slot_activate(&x, live, -1, SLOT_OFFLINE, e) < 0)
		return -1;
	for (int slot = 0; slot < 2; slot++)
		if (slot != live && slot_exists(ckfd, name, slot) &&
		    slot_activate(&x, slot, -1, SLOT_OFFLINE | SLOT_QUIET, e) < 0)
			return -1;
	remove_wants(c, name);
	for (int slot = 0; slot < 2; slot++)
		if (slot_remove(&x, slot, e) < 0)
			return -1;
	path_remove(ckfd, name, &soft);
	return settle_places(c, ckfd, name, purge, e);
}

/* Is the container still running after the stop?  Then its rootfs stays. */
static int still_running(struct cli *c, int ckfd, const char *name, char *why, size_t whysz)
{
	struct installed ci;
	struct err ignore;
	char st[32] = "";

	if (c->root)
		return 0;   /* nothing of the target runs here */
	if (load_installed(c, ckfd, name, &ci, &ignore) == 0)
		sc_runtime_status(ci.runtime, name, st, sizeof st);
	if (!strcmp(st, "running") || !strcmp(st, "paused") || !strcmp(st, "created")) {
		snprintf(why, whysz, "the runtime says it is %s", st);
		return 1;
	}
	return 0;
}

/* With systemd: disable --now, quietly when systemd does not know the unit. */
static int stop_unit(struct cli *c, const char *name, char *why, size_t whysz)
{
	char unit[128];
	char *stop[] = { "systemctl", "disable", "--now", unit, NULL };
	char *reset[] = { "systemctl", "reset-failed", unit, NULL };
	struct unit_state st;
	struct err e;

	snprintf(unit, sizeof unit, "%s", name);
	if (sc_unit_state(name, &st) < 0 || !strcmp(st.load, "not-found"))
		return 0;
	if (sc_run_cmd(c, stop, 1, &e) < 0) {
		snprintf(why, whysz, "%s", e.msg);
		return -1;
	}
	/* A failed unit would stay listed (and the system "degraded") after its
	 * file is gone. */
	if (sc_unit_state(name, &st) == 0 && !strcmp(st.active, "failed")) {
		char out[64];
		sc_capture(reset, out, sizeof out);
	}
	return 0;
}

static int uninstall(struct cli *c, struct store *s, int ckfd, const char *name, int purge,
		     int force, struct err *e)
{
	struct journal j = { 0 };
	struct err soft;
	char why[512] = "";
	int systemd = sc_systemd_running(c), live = slot_live(ckfd, name), r;

	if (live < 0) {
		struct owners o;
		int kept = 0;
		/* what is left of an uninstalled container: its kept data */
		if (purge && owners_load(ckfd, &o, e) == 0) {
			kept = owners_get(&o, name) != NULL;
			owners_free(&o);
			if (kept)
				return settle_places(c, ckfd, name, 1, e);
		}
		return err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", name);
	}
	if ((systemd && stop_unit(c, name, why, sizeof why) < 0) ||
	    still_running(c, ckfd, name, why, sizeof why)) {
		if (!force)
			return err_set(e, 0, "it did not stop (%s): its deployment stays (--force "
				       "removes it anyway)", why);
		fprintf(stderr, "syscontainer: uninstall %s: it did not stop (%s): removing it "
			"anyway (--force)\n", name, why);
	}
	if (systemd) {
		char tmpf[PATH_MAX];
		char *rm[] = { "systemd-tmpfiles", "--remove", tmpf, NULL };
		snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", name);
		sc_run_cmd(c, rm, 1, &soft);
	}
	/* Journaled first, the NAME link going is the commit point: a kill
	 * after it is finished by the next command, never left half-installed. */
	if (journal_begin(&j, ckfd, JOURNAL_UNINSTALL, name, e) < 0)
		return -1;
	j.from = live;
	r = journal_sync(&j, e);
	if (r == 0)
		r = path_remove(ckfd, name, e);
	if (r == 0)
		r = uninstall_finish(c, s, ckfd, name, live, purge, e);
	if (r == 0)
		r = journal_done(&j, e);
	journal_free(&j);
	if (r == 0 && systemd) {
		char *reload[] = { "systemctl", "daemon-reload", NULL };
		sc_run_cmd(c, reload, 1, &soft);
	}
	return r;
}

int cmd_uninstall(struct cli *c, int argc, char **argv, struct err *e)
{
	const char *name = NULL;
	struct store *s = NULL;
	int lockfd = -1, ckfd = -1, purge = 0, force = 0, r = -1;

	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (!strcmp(argv[i], "--purge"))
			purge = 1;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (argv[i][0] == '-')
			return err_usage(e, "unknown option '%s'", argv[i]);
		else if (name)
			return err_usage(e, "one container at a time");
		else
			name = argv[i];
	}
	if (!name)
		return err_usage(e, "which container?");
	if (!sc_valid_name(name))
		return err_usage(e, "'%s' is not a container name", name);
	if (slot_recover(c, e) < 0)
		return -1;
	if ((ckfd = open_checkout(c, e)) < 0) {
		if (e->code == ERR_NOT_FOUND)
			err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", name);
		goto out;
	}
	if (journal_lock(ckfd, name, &lockfd, e) < 0 || pull_open_store(c, &s, e) < 0)
		goto out;
	r = uninstall(c, s, ckfd, name, purge, force, e);
out:
	if (lockfd >= 0)
		close(lockfd);
	if (ckfd >= 0)
		close(ckfd);
	store_free(s);
	return r < 0 ? err_wrap(e, "%s", name) : 0;
}

/* ---- containers list -------------------------------------------------------- */

/* STATUS: systemd's view when it runs, else the runtime's, else installed. */
static void status_of(const struct cli *c, const struct installed *ci, char *out, size_t outsz)
{
	char unit[128], line[256] = "";

	snprintf(out, outsz, "installed");
	if (c->root)
		return;
	if (sc_systemd_running(c)) {
		char *argv[] = { "systemctl", "is-active", unit, NULL };
		snprintf(unit, sizeof unit, "%s.service", ci->name);
		sc_capture(argv, line, sizeof line);
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "active"))
			snprintf(line, sizeof line, "running");
	} else {
		sc_runtime_status(ci->runtime, ci->name, line, sizeof line);
	}
	if (line[0])
		snprintf(out, outsz, "%s", line);
}

/* -f KEY=VALUE: name, image, status or runtime containing VALUE. */
struct filter {
	const char *key, *value;
};

static int matches(const struct installed *ci, const char *status, const struct filter *f,
		   size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		const char *rt = strrchr(ci->runtime, '/');
		const char *field = !strcmp(f[i].key, "name") ? ci->name
				    : !strcmp(f[i].key, "image") ? ci->image
				    : !strcmp(f[i].key, "status") ? status
				    : rt ? rt + 1 : ci->runtime;
		if (!strstr(field, f[i].value))
			return 0;
	}
	return 1;
}

/* The names CHECKOUT holds a NAME link for, sorted. */
static size_t list_names(int ckfd, char (**names)[65])
{
	struct dirent *de;
	size_t n = 0;
	int dfd = ckfd >= 0 ? openat(ckfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	*names = NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char (*nn)[65];
		if (de->d_name[0] == '.' || !sc_valid_name(de->d_name) ||
		    fstatat(ckfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
			continue;
		if (!(nn = realloc(*names, (n + 1) * sizeof **names)))
			break;
		*names = nn;
		snprintf((*names)[n++], 65, "%s", de->d_name);
	}
	closedir(d);
	if (n)
		qsort(*names, n, sizeof **names, (int (*)(const void *, const void *))strcmp);
	return n;
}

struct row {
	struct installed ci;
	char status[32], created[20];
};

static void print_rows(const struct row *r, size_t n, int notrunc)
{
	/* columns as wide as their longest entry; without --no-trunc the
	 * image and command are cut at 40 and 30 */
	size_t wi = 12, wm = 7, wn = 12;

	for (size_t i = 0; i < n; i++) {
		size_t li = strlen(r[i].ci.image), lm = strlen(r[i].ci.command), ln = strlen(r[i].ci.name);
		wi = li > wi ? li : wi;
		wm = lm > wm ? lm : wm;
		wn = ln > wn ? ln : wn;
	}
	if (!notrunc) {
		wi = wi > 40 ? 40 : wi;
		wm = wm > 30 ? 30 : wm;
	}
	text_printf(stdout, "%-*s %-*s %-*s %-17s %-10s %s\n", (int)wn, "CONTAINER ID", (int)wi,
		    "IMAGE", (int)wm, "COMMAND", "CREATED", "STATUS", "RUNTIME");
	for (size_t i = 0; i < n; i++) {
		const char *rt = strrchr(r[i].ci.runtime, '/');
		text_printf(stdout, "%-*s %-*.*s %-*.*s %-17s %-10s %s\n", (int)wn, r[i].ci.name,
			    (int)wi, (int)wi, r[i].ci.image, (int)wm, (int)wm, r[i].ci.command,
			    r[i].created, r[i].status, rt ? rt + 1 : r[i].ci.runtime);
	}
}

static void print_json(const struct row *r, size_t n)
{
	struct buf b;
	struct jw w;

	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_arr(&w);
	for (size_t i = 0; i < n; i++) {
		jw_begin_obj(&w);
		jw_key(&w, "id"); jw_str(&w, r[i].ci.name);
		jw_key(&w, "image"); jw_str(&w, r[i].ci.image);
		jw_key(&w, "command"); jw_str(&w, r[i].ci.command);
		jw_key(&w, "created"); jw_str(&w, r[i].ci.created);
		jw_key(&w, "status"); jw_str(&w, r[i].status);
		jw_key(&w, "runtime"); jw_str(&w, r[i].ci.runtime);
		jw_key(&w, "slot"); jw_str(&w, r[i].ci.slot);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	if (jw_finish(&w) == 0)
		printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

int cmd_containers_list(struct cli *c, int argc, char **argv, struct err *e)
{
	int quiet = 0, json = 0, all = 0, notrunc = 0, ckfd;
	struct filter f[8];
	size_t nf = 0, n, kept = 0;
	char (*names)[65];
	struct row *rows;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] != '-' && a[1] && strspn(a + 1, "aq") == strlen(a + 1)) {
			all |= strchr(a, 'a') != NULL;   /* -a, -q, -aq, -qa */
			quiet |= strchr(a, 'q') != NULL;
		} else if (!strcmp(a, "--all")) {
			all = 1;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--no-trunc")) {
			notrunc = 1;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--filter") || !strncmp(a, "--filter=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
			const char *eq = v ? strchr(v, '=') : NULL;
			static const char *const keys[] = { "name", "image", "status", "runtime" };
			size_t k;
			if (!eq)
				return err_usage(e, "%s needs KEY=VALUE (name, image, status, runtime)", a);
			for (k = 0; k < 4; k++)
				if (strlen(keys[k]) == (size_t)(eq - v) && !strncmp(keys[k], v, (size_t)(eq - v)))
					break;
			if (k == 4)
				return err_usage(e, "filter '%s': the keys are name, image, status, runtime", v);
			if (nf == sizeof f / sizeof f[0])
				return err_usage(e, "more than 8 filters");
			f[nf].key = keys[k];
			f[nf++].value = eq + 1;
		} else {
			return err_usage(e, "unknown option '%s'", a);
		}
	}
	if (slot_recover(c, e) < 0)
		return -1;
	if ((ckfd = open_checkout(c, e)) < 0 && e->code != ERR_NOT_FOUND)
		return -1;
	n = list_names(ckfd, &names);
	rows = calloc(n ? n : 1, sizeof *rows);
	for (size_t i = 0; rows && i < n; i++) {
		struct row *r = &rows[kept];
		struct err ignore;
		if (load_installed(c, ckfd, names[i], &r->ci, &ignore) < 0)
			continue;
		status_of(c, &r->ci, r->status, sizeof r->status);
		snprintf(r->created, sizeof r->created, "%.10s %.5s", r->ci.created, r->ci.created + 11);
		/* Atomic: running ones only, unless -a */
		if ((all || !strcmp(r->status, "running")) && matches(&r->ci, r->status, f, nf))
			kept++;
	}
	if (json)
		print_json(rows, kept);
	else if (quiet)
		for (size_t i = 0; i < kept; i++)
			text_printf(stdout, "%s\n", rows[i].ci.name);
	else
		print_rows(rows, kept, notrunc);
	free(rows);
	free(names);
	if (ckfd >= 0)
		close(ckfd);
	return 0;
}

/* ---- run ------------------------------------------------------------------------ */

/* Re-emit config.json with process.args and root.path replaced. */
static void emit(const struct json *j, int node, const char *path, const char *rootfs,
		 const char *const *args, size_t nargs, struct jw *w)
{
	size_t n;

	if (!strcmp(path, ".process.args")) {
		jw_begin_arr(w);
		for (size_t i = 0; i < nargs; i++)
			jw_str(w, args[i]);
		jw_end_arr(w);
		return;
	}
	if (!strcmp(path, ".root.path")) {
		jw_str(w, rootfs);
		return;
	}
	if (!strcmp(path, ".process.terminal")) {
		jw_bool(w, 0);
		return;
	}
	switch (json_kind(j, node)) {
	case JSON_OBJECT:
		jw_begin_obj(w);
		for (size_t i = 0; i < json_count(j, node); i++) {
			int key, val = json_member(j, node, i, &key);
			char *k = json_str(j, key), sub[256];
			snprintf(sub, sizeof sub, "%s.%s", path, k ? k : "");
			jw_key(w, k ? k : "");
			emit(j, val, sub, rootfs, args, nargs, w);
			free(k);
		}
		jw_end_obj(w);
		break;
	case JSON_ARRAY:
		jw_begin_arr(w);
		for (size_t i = 0; i < json_count(j, node); i++)
			emit(j, json_at(j, node, i), "[]", rootfs, args, nargs, w);
		jw_end_arr(w);
		break;
	default: {
		const char *raw = json_raw(j, node, &n);
		jw_raw(w, raw, n);
	}
	}
}

static int spec_with_args(const struct json *j, const char *rootfs, const char *const *args,
			  size_t nargs, struct buf *out, struct err *e)
{
	struct jw w;

	jw_init(&w, out, 1);
	emit(j, json_root(j), "", rootfs, args, nargs, &w);
	if (jw_finish(&w) < 0)
		return err_set(e, 0, "config.json: cannot rewrite it");
	return 0;
}

/* A throwaway bundle: the container's config with CMD as its args and an
 * absolute root, run in the foreground under a one-off id. */
/* Run argv and wait: its exit status (128 + signal when killed). */
static int run_wait(char *const argv[], struct err *e)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return err_set(e, errno, "fork");
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "syscontainer: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, errno, "wait for %s", argv[0]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The bind sources a stopped container's throwaway run needs: what the
 * unit's start would have had (systemd-tmpfiles --create of its conf makes
 * the runtime directories again), else one line naming what is missing. */
static int bind_sources_ready(const struct cli *c, const struct installed *ci, const char *cfg,
			      size_t len, struct err *e)
{
	struct spec_info si = { 0 };
	struct stat st;
	size_t i;
	int r = 0;

	(void)c;
	if (spec_validate(cfg, len, &si, e) < 0)
		return -1;
	for (i = 0; i < si.nbind && lstat(si.bind_sources[i], &st) == 0; i++)
		;
	if (i < si.nbind) {
		char tmpf[PATH_MAX];
		char *argv[] = { "systemd-tmpfiles", "--create", tmpf, NULL }, out[64];
		snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", ci->name);
		sc_capture(argv, out, sizeof out);
	}
	for (i = 0; i < si.nbind && r == 0; i++)
		if (lstat(si.bind_sources[i], &st) < 0)
			r = err_set(e, 0, "bind source '%s' does not exist (it is made when the service "
				    "starts: start it once, or create it)", si.bind_sources[i]);
	spec_info_free(&si);
	return r;
}

static int run_copy(const struct cli *c, const struct installed *ci, char **cmd, int ncmd,
		    struct err *e)
{
	char cfgp[PATH_MAX + 16], dir[] = "/tmp/syscontainer-run-XXXXXX", id[128], *buf = NULL;
	char rootfs[PATH_MAX + 8];
	struct json *j = NULL;
	struct buf out;
	size_t len;
	int r = -1;

	snprintf(cfgp, sizeof cfgp, "%s/config.json", ci->dest);
	if (util_read_file(cfgp, 4 << 20, &buf, &len, e) < 0 || json_parse(&j, buf, len, e) < 0 ||
	    bind_sources_ready(c, ci, buf, len, e) < 0)
		goto out;
	if (!mkdtemp(dir)) {
		err_set(e, errno, "mkdtemp");
		goto out;
	}
	snprintf(rootfs, sizeof rootfs, "%s/rootfs", ci->dest);
	buf_init(&out);
	if (spec_with_args(j, rootfs, (const char *const *)cmd, (size_t)ncmd, &out, e) == 0) {
		snprintf(cfgp, sizeof cfgp, "%s/config.json", dir);
		if (util_write_file_atomic(cfgp, out.data, out.len, 0600, e) == 0) {
			char *argv[] = { (char *)ci->runtime, "run", "-b", dir, id, NULL };
			snprintf(id, sizeof id, "%s-run-%d", ci->name, (int)getpid());
			r = run_wait(argv, e);
			unlink(cfgp);
			/* CMD's own exit status is ours, as with runtime exec: no
			 * message of ours on top of what CMD printed. */
			if (r > 0) {
				e->msg[0] = '\0';
				e->status = r;
				r = -1;
			}
		}
	}
	buf_free(&out);
	rmdir(dir);
out:
	json_free(j);
	free(buf);
	return r;
}

static int is_running(const struct installed *ci)
{
	char st[32];

	sc_runtime_status(ci->runtime, ci->name, st, sizeof st);
	return !strcmp(st, "running");
}

int cmd_run(struct cli *c, int argc, char **argv, struct err *e)
{
	struct installed ci;
	int first = 1;

	while (first < argc && argv[first][0] == '-') {
		int n = cli_compat_flag(argc, argv, first, e);
		if (n < 0)
			return -1;
		if (!strcmp(argv[first], "--")) {
			first++;
			break;
		}
		if (n == 0)
			return err_usage(e, "unknown option '%s'", argv[first]);
		first += n;
	}
	if (first >= argc)
		return err_usage(e, "which container?");
	if (c->root)
		return err_usage(e, "run acts on this host: it cannot be used with --root");
	{
		int ckfd = open_checkout(c, e), r;
		if (ckfd < 0 && e->code == ERR_NOT_FOUND)
			err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", argv[first]);
		r = ckfd < 0 ? -1 : load_installed(c, ckfd, argv[first], &ci, e);
		if (ckfd >= 0)
			close(ckfd);
		if (r < 0)
			return err_wrap(e, "%s", argv[first]);
	}
	if (first + 1 == argc) {
		if (sc_systemd_running(c)) {
			char unit[128], *start[] = { "systemctl", "start", unit, NULL };
			snprintf(unit, sizeof unit, "%s", ci.name);
			return sc_run_cmd(c, start, 0, e) < 0 ? err_wrap(e, "%s", ci.name) : 0;
		}
		/* No systemd: the container runs in the foreground. */
		if (chdir(ci.dest) < 0)
			return err_set(e, errno, "%s: chdir '%s'", ci.name, ci.dest);
		execl(ci.runtime, ci.runtime, "run", ci.name, (char *)NULL);
		return err_set(e, errno, "%s: run '%s'", ci.name, ci.runtime);
	}
	if (is_running(&ci)) {
		char **av = calloc((size_t)(argc - first) + 4, sizeof *av);
		if (!av)
			return err_set(e, ENOMEM, "run");
		av[0] = ci.runtime;
		av[1] = "exec";
		av[2] = ci.name;
		for (int i = first + 1; i < argc; i++)
			av[3 + i - first - 1] = argv[i];
		execv(ci.runtime, av);
		free(av);
		return err_set(e, errno, "%s: exec '%s'", ci.name, ci.runtime);
	}
	if (run_copy(c, &ci, argv + first + 1, argc - first - 1, e) < 0)
		return e->msg[0] ? err_wrap(e, "%s", ci.name) : -1;
	return 0;
}

/* ---- stop ------------------------------------------------------------------ */

/* systemctl stop with systemd; without, what the unit's stop does: the
 * runtime's TERM, up to 10 s, then KILL, then delete. */
int cmd_stop(struct cli *c, int argc, char **argv, struct err *e)
{
	struct installed ci;
	const char *name = NULL;
	int ckfd, r;

	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0)
			i += n - 1;
		else if (argv[i][0] == '-')
			return err_usage(e, "unknown option '%s'", argv[i]);
		else if (name)
			return err_usage(e, "one container at a time");
		else
			name = argv[i];
	}
	if (!name)
		return err_usage(e, "which container?");
	if (c->root)
		return err_usage(e, "stop acts on this host: it cannot be used with --root");
	if ((ckfd = open_checkout(c, e)) < 0) {
		if (e->code == ERR_NOT_FOUND)
			err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", name);
		return err_wrap(e, "%s", name);
	}
	r = load_installed(c, ckfd, name, &ci, e);
	close(ckfd);
	if (r < 0)
		return err_wrap(e, "%s", name);
	if (sc_systemd_running(c)) {
		char unit[128], *stop[] = { "systemctl", "stop", unit, NULL };
		snprintf(unit, sizeof unit, "%s", name);
		return sc_run_cmd(c, stop, 0, e) < 0 ? err_wrap(e, "%s", name) : 0;
	}
	{
		char *term[] = { ci.runtime, "kill", (char *)name, "TERM", NULL };
		char *kill[] = { ci.runtime, "kill", (char *)name, "KILL", NULL };
		char *del[] = { ci.runtime, "delete", "--force", (char *)name, NULL };
		char st[32], out[64];
		sc_capture(term, out, sizeof out);
		for (int i = 0; i < 50; i++) {
			sc_runtime_status(ci.runtime, name, st, sizeof st);
			if (strcmp(st, "running"))
				break;
			nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
		}
		if (!strcmp(st, "running"))
			sc_capture(kill, out, sizeof out);
		sc_capture(del, out, sizeof out);
		sc_runtime_status(ci.runtime, name, st, sizeof st);
		if (st[0] && strcmp(st, "stopped"))
			return err_set(e, 0, "%s: still %s after TERM and KILL", name, st);
	}
	return 0;
}
