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
#include "deploy.h"
#include "hostfs.h"
#include "image.h"
#include "install.h"
#include "json.h"
#include "pull.h"
#include "store.h"
#include "util.h"

/* What CHECKOUT/NAME/info says of an installed container. */
struct installed {
	char name[65], slot[80], image[512], created[32], runtime[PATH_MAX], command[256];
	char dest[PATH_MAX];       /* host path of the live slot */
};

static int load_installed(struct cli *c, const char *name, struct installed *ci, struct err *e)
{
	char t[PATH_MAX], link[PATH_MAX], info[PATH_MAX + 8], *buf = NULL;
	struct json *j = NULL;
	ssize_t n;
	size_t len;

	memset(ci, 0, sizeof *ci);
	snprintf(ci->name, sizeof ci->name, "%s", name);
	snprintf(t, sizeof t, "%s/%s", c->paths.checkout, name);
	if (paths_host(&c->paths, t, link, e) < 0)
		return -1;
	n = readlink(link, ci->slot, sizeof ci->slot - 1);
	if (n < 0)
		return err_set(e, 0, "no container '%s' is installed", name);
	ci->slot[n] = '\0';
	if (strchr(ci->slot, '/'))
		return err_set(e, 0, "'%s' is not a link to a slot", link);
	snprintf(t, sizeof t, "%s/%s", c->paths.checkout, ci->slot);
	if (paths_host(&c->paths, t, ci->dest, e) < 0)
		return -1;
	snprintf(info, sizeof info, "%s/info", ci->dest);
	if (util_read_file(info, 1 << 20, &buf, &len, e) < 0 || json_parse(&j, buf, len, e) < 0) {
		free(buf);
		return err_wrap(e, "container '%s'", name);
	}
	{
		char *v;
		if ((v = json_str(j, json_get(j, json_root(j), "image"))))
			snprintf(ci->image, sizeof ci->image, "%s", v), free(v);
		if ((v = json_str(j, json_get(j, json_root(j), "created"))))
			snprintf(ci->created, sizeof ci->created, "%s", v), free(v);
		if ((v = json_str(j, json_get(j, json_root(j), "runtime"))))
			snprintf(ci->runtime, sizeof ci->runtime, "%s", v), free(v);
	}
	json_free(j);
	free(buf);
	/* The command, from the bundle's config.json. */
	snprintf(info, sizeof info, "%s/config.json", ci->dest);
	if (util_read_file(info, 4 << 20, &buf, &len, e) == 0 && json_parse(&j, buf, len, e) == 0) {
		int args = json_getpath(j, json_root(j), "process.args");
		char *a0 = json_str(j, json_at(j, args, 0));
		snprintf(ci->command, sizeof ci->command, "%s", a0 ? a0 : "");
		free(a0);
		json_free(j);
	}
	free(buf);
	return 0;
}

/* ---- uninstall -------------------------------------------------------------- */

static void remove_host(struct cli *c, const char *target, struct err *e)
{
	char h[PATH_MAX], *slash;
	int dfd;

	if (paths_host(&c->paths, target, h, e) < 0)
		return;
	slash = strrchr(h, '/');
	*slash = '\0';
	dfd = open(*h ? h : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		util_remove_at(dfd, slash + 1, e);
		close(dfd);
	}
}

/* Offline: drop our enable symlinks from every .wants/.requires/.upholds. */
static void remove_wants(struct cli *c, const char *name, struct err *e)
{
	char h[PATH_MAX], unit[128];
	DIR *d;
	struct dirent *de;

	if (paths_host(&c->paths, "/etc/systemd/system", h, e) < 0 || !(d = opendir(h)))
		return;
	snprintf(unit, sizeof unit, "%s.service", name);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char p[PATH_MAX + 400];
		if (!(n > 6 && !strcmp(de->d_name + n - 6, ".wants")) &&
		    !(n > 9 && !strcmp(de->d_name + n - 9, ".requires")) &&
		    !(n > 8 && !strcmp(de->d_name + n - 8, ".upholds")))
			continue;
		snprintf(p, sizeof p, "%s/%s/%s", h, de->d_name, unit);
		unlink(p);
	}
	closedir(d);
}

/* Host files from /exports/hostfs go only when nobody edited them since. */
static void remove_host_files(struct cli *c, const struct installed *ci)
{
	char info[PATH_MAX + 8], *buf = NULL;
	const char *root = c->root ? c->root : "/";
	struct json *j = NULL;
	struct err e;
	size_t len;
	int files, tfd;

	snprintf(info, sizeof info, "%s/info", ci->dest);
	if (util_read_file(info, 1 << 20, &buf, &len, &e) < 0 || json_parse(&j, buf, len, &e) < 0) {
		free(buf);
		return;
	}
	files = json_get(j, json_root(j), "host_files");
	tfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; tfd >= 0 && i < json_count(j, files); i++) {
		int f = json_at(j, files, i);
		char *path = json_str(j, json_get(j, f, "path"));
		char now[65];
		if (path && path[0] == '/') {
			hostfs_current_sha256(tfd, path, now);
			if (json_str_eq(j, json_get(j, f, "sha256"), now))
				remove_host(c, path, &e);
			else if (now[0])
				printf("Kept %s: edited since it was installed\n", path);
		}
		free(path);
	}
	if (tfd >= 0)
		close(tfd);
	json_free(j);
	free(buf);
}

static int uninstall(struct cli *c, const char *name, struct err *e)
{
	struct installed ci;
	struct store *s = NULL;
	char t[PATH_MAX], unit[128], tmpf[PATH_MAX];
	struct err soft;
	int systemd = sc_systemd_running(c);

	if (load_installed(c, name, &ci, e) < 0)
		return -1;
	snprintf(unit, sizeof unit, "%s", name);
	snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", name);
	if (systemd) {
		char *stop[] = { "systemctl", "disable", "--now", unit, NULL };
		char *reset[] = { "systemctl", "reset-failed", unit, NULL };
		char *rm[] = { "systemd-tmpfiles", "--remove", tmpf, NULL };
		sc_run_cmd(c, stop, 1, &soft);
		/* A failed unit would stay listed (and the system "degraded")
		 * after its file is gone. */
		sc_run_cmd(c, reset, 0, &soft);
		sc_run_cmd(c, rm, 1, &soft);
	}
	remove_host_files(c, &ci);
	snprintf(t, sizeof t, "/etc/systemd/system/%s.service", name);
	remove_host(c, t, &soft);
	remove_host(c, tmpf, &soft);
	remove_wants(c, name, &soft);
	for (int slot = 0; slot < 2; slot++) {
		snprintf(t, sizeof t, "%s/%s.%d", c->paths.checkout, name, slot);
		remove_host(c, t, &soft);
	}
	snprintf(t, sizeof t, "%s/%s", c->paths.checkout, name);
	remove_host(c, t, &soft);
	if (pull_open_store(c, &s, e) < 0)
		return -1;
	for (int slot = 0; slot < 2; slot++) {
		snprintf(t, sizeof t, PIN_PREFIX "%s.%d", name, slot);
		store_set_ref(s, t, NULL, &soft);
	}
	store_free(s);
	if (systemd) {
		char *reload[] = { "systemctl", "daemon-reload", NULL };
		sc_run_cmd(c, reload, 1, &soft);
	}
	return 0;
}

int cmd_uninstall(struct cli *c, int argc, char **argv, struct err *e)
{
	const char *name = NULL;
	int lockfd = -1, r;

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
	if (cli_paths(c, e) < 0 || install_recover(c, e) < 0 ||
	    install_lock_name(c, name, &lockfd, e) < 0)
		return -1;
	r = uninstall(c, name, e);
	close(lockfd);
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
	char h[PATH_MAX];
	int quiet = 0, json = 0;
	DIR *d;
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
	if (cli_paths(c, e) < 0 || install_recover(c, e) < 0 ||
	    paths_host(&c->paths, c->paths.checkout, h, e) < 0)
		return -1;
	if ((d = opendir(h))) {
		while ((de = readdir(d))) {
			char p[PATH_MAX + 300];
			struct stat st;
			snprintf(p, sizeof p, "%s/%s", h, de->d_name);
			if (de->d_name[0] == '.' || lstat(p, &st) < 0 || !S_ISLNK(st.st_mode) ||
			    !sc_valid_name(de->d_name))
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
		if (load_installed(c, names[i], &ci, &ignore) < 0)
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
			printf("%-20s %-30s %-24s %-17s %-10s %s\n", ci.name, ci.image, ci.command,
			       created, status, rt ? rt + 1 : ci.runtime);
		}
	}
	if (json) {
		jw_end_arr(&w);
		jw_finish(&w);
		printf("%s\n", buf_cstr(&b));
	}
	buf_free(&b);
	free(names);
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
	if (cli_paths(c, e) < 0 || load_installed(c, argv[first], &ci, e) < 0)
		return err_wrap(e, "%s", argv[first]);
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
