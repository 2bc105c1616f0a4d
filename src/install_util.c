/* Small helpers the install verbs share: names, systemd detection,
 * running host commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"
#include "json.h"

int sc_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SC_NAME_MAX || !strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
					 name[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.-", name[i]))
			return 0;
	return 1;
}

/* systemd runs the host we act on: never under --root. */
int sc_systemd_running(const struct cli *c)
{
	return !c->root && access("/run/systemd/system", F_OK) == 0;
}

int sc_run_cmd(const struct cli *c, char *const argv[], int show, struct err *e)
{
	pid_t pid;
	int st;

	if (show && !c->quiet) {
		for (int i = 0; argv[i]; i++)
			printf("%s%s", i ? " " : "", argv[i]);
		printf("\n");
		fflush(stdout);
	}
	pid = fork();
	if (pid < 0)
		return err_set(e, errno, "fork");
	if (pid == 0) {
		/* --quiet: only errors, so what the command says on stdout goes */
		int null = c->quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "syscontainer: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, errno, "wait for %s", argv[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return err_set(e, 0, "'%s %s' failed (%s %d)", argv[0], argv[1] ? argv[1] : "",
			       WIFEXITED(st) ? "exit status" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

int sc_capture(char *const argv[], char *out, size_t outsz)
{
	int fds[2], st = -1;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
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
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void sc_runtime_status(const char *runtime, const char *name, char *out, size_t outsz)
{
	char *argv[] = { (char *)runtime, "state", (char *)name, NULL };
	char buf[8192], *v;
	struct json *j = NULL;
	struct err e;

	out[0] = '\0';
	if (!runtime[0])
		return;
	sc_capture(argv, buf, sizeof buf);
	if (json_parse(&j, buf, strlen(buf), &e) < 0)
		return;
	if ((v = json_str(j, json_get(j, json_root(j), "status"))))
		snprintf(out, outsz, "%s", v);
	free(v);
	json_free(j);
}

/* One "Key=value" of `systemctl show` output into out. */
static void show_value(const char *text, const char *key, char *out, size_t outsz)
{
	size_t n = strlen(key);

	out[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, n) && l[n] == '=') {
			snprintf(out, outsz, "%.*s", (int)strcspn(l + n + 1, "\n"), l + n + 1);
			return;
		}
}

int sc_unit_state(const char *name, struct unit_state *st)
{
	char unit[128], text[2048], n[32];
	char *argv[] = { "systemctl", "show", "-p", "LoadState", "-p", "ActiveState", "-p",
			 "SubState", "-p", "Result", "-p", "NRestarts", "-p", "UnitFileState", unit,
			 NULL };

	snprintf(unit, sizeof unit, "%s.service", name);
	memset(st, 0, sizeof *st);
	if (sc_capture(argv, text, sizeof text) != 0)
		return -1;
	show_value(text, "LoadState", st->load, sizeof st->load);
	show_value(text, "ActiveState", st->active, sizeof st->active);
	show_value(text, "SubState", st->sub, sizeof st->sub);
	show_value(text, "Result", st->result, sizeof st->result);
	show_value(text, "UnitFileState", st->file, sizeof st->file);
	show_value(text, "NRestarts", n, sizeof n);
	st->restarts = atoi(n);
	return 0;
}
