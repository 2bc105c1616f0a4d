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
#include <unistd.h>

#include "buf.h"
#include "hostfs.h"
#include "image.h"
#include "install.h"
#include "journal.h"
#include "json.h"
#include "path.h"
#include "pull.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* What CHECKOUT/NAME/info says of an installed container. */
struct installed {
	char name[65], slot[80], image[512], created[32], runtime[PATH_MAX], command[256];
	char dest[PATH_MAX];       /* target path of the live slot */
};

/* info or config.json of a slot, parsed. */
static int read_slot_json(int ckfd, const char *slot, const char *file, size_t max,
			  struct json **j, struct err *e)
{
	char path[160], *buf = NULL;
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof path, "%s/%s", slot, file);
	fd = path_openat(ckfd, path, PATH_NO_SYMLINKS, O_RDONLY, 0);
	if (fd < 0)
		return err_set(e, errno, "'%s'", path);
	buf = malloc(max + 1);
	n = buf ? util_pread_all(fd, buf, max, 0) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return err_set(e, buf ? errno : ENOMEM, "read '%s'", path);
	}
	r = json_parse(j, buf, (size_t)n, e);
	free(buf);
	return r < 0 ? err_wrap(e, "'%s'", path) : 0;
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
	snprintf(ci->name, sizeof ci->name, "%s", name);
	n = readlinkat(ckfd, name, ci->slot, sizeof ci->slot - 1);
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

static int remove_target(struct cli *c, const char *path, struct err *e)
{
	const char *rel;
	int dfd = target_at(&c->tgt, path, &rel);
	return path_remove(dfd, rel, e);
}

/* Our enable symlinks, from every .wants/.requires/.upholds. */
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

/* What one slot put on the target: host files go when nobody edited them
 * since, then the directories made for them when empty. */
static void remove_slot_host_files(struct cli *c, int ckfd, const char *slot)
{
	struct json *j = NULL;
	struct err e;
	int files, dirs;

	if (read_slot_json(ckfd, slot, "info", 1 << 20, &j, &e) < 0)
		return;
	files = json_get(j, json_root(j), "host_files");
	for (size_t i = 0; i < json_count(j, files); i++) {
		int f = json_at(j, files, i);
		char *path = json_str(j, json_get(j, f, "path"));
		char now[65];
		if (path && path[0] == '/') {
			hostfs_current_sha256(&c->tgt, path, now);
			if (json_str_eq(j, json_get(j, f, "sha256"), now))
				remove_target(c, path, &e);
			else if (now[0])
				text_printf(stdout, "Kept %s: edited since it was installed\n", path);
		}
		free(path);
	}
	dirs = json_get(j, json_root(j), "host_directories");
	for (size_t i = json_count(j, dirs); i-- > 0;) {
		char *path = json_str(j, json_at(j, dirs, i));
		const char *rel;
		if (path && path[0] == '/') {
			int dfd = target_at(&c->tgt, path, &rel);
			path_remove_empty_dir(dfd, rel, &e);
		}
		free(path);
	}
	json_free(j);
}

int uninstall_finish(struct cli *c, const char *name, struct err *e)
{
	char t[PATH_MAX];
	struct store *s = NULL;
	struct err soft;
	int ckfd = open_checkout(c, e);

	if (ckfd < 0)
		return e->code == ERR_NOT_FOUND ? 0 : -1;
	for (int slot = 0; slot < 2; slot++) {
		snprintf(t, sizeof t, "%s.%d", name, slot);
		remove_slot_host_files(c, ckfd, t);
	}
	snprintf(t, sizeof t, "/etc/systemd/system/%s.service", name);
	remove_target(c, t, &soft);
	snprintf(t, sizeof t, "/etc/tmpfiles.d/%s.conf", name);
	remove_target(c, t, &soft);
	remove_wants(c, name);
	path_remove(ckfd, name, &soft);
	for (int slot = 0; slot < 2; slot++) {
		snprintf(t, sizeof t, "%s.%d", name, slot);
		if (path_remove(ckfd, t, e) < 0) {
			close(ckfd);
			return -1;
		}
	}
	close(ckfd);
	if (pull_open_store(c, &s, e) < 0)
		return -1;
	for (int slot = 0; slot < 2; slot++) {
		snprintf(t, sizeof t, PIN_PREFIX "%s.%d", name, slot);
		store_set_ref(s, t, NULL, &soft);
	}
	store_free(s);
	return 0;
}

static int uninstall(struct cli *c, int ckfd, const char *name, struct err *e)
{
	struct installed ci;
	struct journal j;
	struct err soft;
	int systemd = sc_systemd_running(c), r;

	if (load_installed(c, ckfd, name, &ci, e) < 0)
		return -1;
	/* Journaled first: a kill from here on is finished by the next
	 * command, never left half-installed. */
	if (journal_begin(&j, ckfd, JOURNAL_UNINSTALL, name, e) < 0 || journal_sync(&j, e) < 0)
		return -1;
	if (systemd) {
		char unit[128], tmpf[PATH_MAX];
		char *stop[] = { "systemctl", "disable", "--now", unit, NULL };
		char *reset[] = { "systemctl", "reset-failed", unit, NULL };
		char *rm[] = { "systemd-tmpfiles", "--remove", tmpf, NULL };
		snprintf(unit, sizeof unit, "%s", name);
		snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", name);
		sc_run_cmd(c, stop, 1, &soft);
		/* A failed unit would stay listed (and the system "degraded")
		 * after its file is gone. */
		sc_run_cmd(c, reset, 0, &soft);
		sc_run_cmd(c, rm, 1, &soft);
	}
	r = uninstall_finish(c, name, e);
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
	int lockfd = -1, ckfd, r;

	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (argv[i][0] == '-')
			return err_usage(e, "unknown option '%s'", argv[i]);
		if (name)
			return err_usage(e, "one container at a time");
		name = argv[i];
	}
	if (!name)
		return err_usage(e, "which container?");
	if (!sc_valid_name(name))
		return err_usage(e, "'%s' is not a container name", name);
	if (journal_recover(c, uninstall_finish, e) < 0)
		return -1;
	if ((ckfd = open_checkout(c, e)) < 0)
		return e->code == ERR_NOT_FOUND
			? err_setc(e, ERR_NOT_FOUND, 0, "%s: no container '%s' is installed", name, name)
			: err_wrap(e, "%s", name);
	if (journal_lock(ckfd, name, &lockfd, e) < 0) {
		close(ckfd);
		return err_wrap(e, "%s", name);
	}
	r = uninstall(c, ckfd, name, e);
	close(lockfd);
	close(ckfd);
	return r < 0 ? err_wrap(e, "%s", name) : 0;
}

/* ---- containers list -------------------------------------------------------- */

/* Run argv (no shell) and keep the first outsz-1 bytes of its stdout. */
static void capture(char *const argv[], char *out, size_t outsz)
{
	int fds[2];
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	/* Read to EOF (what does not fit is dropped) so the child never blocks. */
	while (pid > 0) {
		char scratch[512];
		int room = n + 1 < outsz;
		r = read(fds[0], room ? out + n : scratch, room ? outsz - 1 - n : sizeof scratch);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (room)
			n += (size_t)r;
	}
	out[n] = '\0';
	close(fds[0]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

/* The runtime's word for the container ("running", "stopped", ...), or ""
 * when it does not know it. */
static void runtime_status(const struct installed *ci, char *out, size_t outsz)
{
	char *argv[] = { (char *)ci->runtime, "state", (char *)ci->name, NULL };
	char buf[8192], *v;
	struct json *j = NULL;
	struct err e;

	out[0] = '\0';
	if (!ci->runtime[0])
		return;
	capture(argv, buf, sizeof buf);
	if (json_parse(&j, buf, strlen(buf), &e) < 0)
		return;
	if ((v = json_str(j, json_get(j, json_root(j), "status"))))
		snprintf(out, outsz, "%s", v);
	free(v);
	json_free(j);
}

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
		capture(argv, line, sizeof line);
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "active"))
			snprintf(line, sizeof line, "running");
	} else {
		runtime_status(ci, line, sizeof line);
	}
	if (line[0])
		snprintf(out, outsz, "%s", line);
}

int cmd_containers_list(struct cli *c, int argc, char **argv, struct err *e)
{
	int quiet = 0, json = 0, ckfd, dfd = -1;
	DIR *d = NULL;
	struct dirent *de;
	struct buf b;
	struct jw w;
	char (*names)[65] = NULL;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (strcmp(argv[i], "-a"))
			return err_usage(e, "unknown option '%s'", argv[i]);
	}
	if (journal_recover(c, uninstall_finish, e) < 0)
		return -1;
	if ((ckfd = open_checkout(c, e)) < 0 && e->code != ERR_NOT_FOUND)
		return -1;
	if (ckfd >= 0 && (dfd = openat(ckfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    (d = fdopendir(dfd))) {
		while ((de = readdir(d))) {
			struct stat st;
			if (de->d_name[0] == '.' || !sc_valid_name(de->d_name) ||
			    fstatat(ckfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISLNK(st.st_mode))
				continue;
			char (*nn)[65] = realloc(names, (n + 1) * sizeof *names);
			if (!nn)
				break;
			names = nn;
			snprintf(names[n++], 65, "%s", de->d_name);
		}
		closedir(d);
	}
	if (n)
		qsort(names, n, sizeof *names, (int (*)(const void *, const void *))strcmp);
	buf_init(&b);
	jw_init(&w, &b, 1);
	if (json)
		jw_begin_arr(&w);
	else if (!quiet)
		printf("%-20s %-30s %-24s %-17s %-10s %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
		       "CREATED", "STATUS", "RUNTIME");
	for (size_t i = 0; i < n; i++) {
		struct installed ci;
		char status[32], created[20];
		struct err ignore;
		if (load_installed(c, ckfd, names[i], &ci, &ignore) < 0)
			continue;
		status_of(c, &ci, status, sizeof status);
		snprintf(created, sizeof created, "%.10s %.5s", ci.created, ci.created + 11);
		if (json) {
			jw_begin_obj(&w);
			jw_key(&w, "id"); jw_str(&w, ci.name);
			jw_key(&w, "image"); jw_str(&w, ci.image);
			jw_key(&w, "command"); jw_str(&w, ci.command);
			jw_key(&w, "created"); jw_str(&w, ci.created);
			jw_key(&w, "status"); jw_str(&w, status);
			jw_key(&w, "runtime"); jw_str(&w, ci.runtime);
			jw_key(&w, "slot"); jw_str(&w, ci.slot);
			jw_end_obj(&w);
		} else if (quiet) {
			printf("%s\n", ci.name);
		} else {
			const char *rt = strrchr(ci.runtime, '/');
			text_printf(stdout, "%-20s %-30s %-24s %-17s %-10s %s\n", ci.name, ci.image,
				    ci.command, created, status, rt ? rt + 1 : ci.runtime);
		}
	}
	if (json) {
		jw_end_arr(&w);
		jw_finish(&w);
		printf("%s\n", buf_cstr(&b));
	}
	buf_free(&b);
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

static int run_copy(const struct installed *ci, char **cmd, int ncmd, struct err *e)
{
	char cfgp[PATH_MAX + 16], dir[] = "/tmp/syscontainer-run-XXXXXX", id[128], *buf = NULL;
	char rootfs[PATH_MAX + 8];
	struct json *j = NULL;
	struct buf out;
	size_t len;
	int r = -1;

	snprintf(cfgp, sizeof cfgp, "%s/config.json", ci->dest);
	if (util_read_file(cfgp, 4 << 20, &buf, &len, e) < 0 || json_parse(&j, buf, len, e) < 0)
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

	runtime_status(ci, st, sizeof st);
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
	if (run_copy(&ci, argv + first + 1, argc - first - 1, e) < 0)
		return e->msg[0] ? err_wrap(e, "%s", ci.name) : -1;
	return 0;
}
