/* Small helpers the install verbs share: names, systemd detection,
 * running host commands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"

int sc_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
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
