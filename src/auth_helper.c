/* Credential helpers (docker-credential-NAME get): run one with a
 * deadline, read its answer; see auth.h. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "net.h"
#include "util.h"

enum { HELPER_TIMEOUT_MS = 60000 };

int auth_helper_parse(const char *buf, size_t len, struct auth_creds *c, struct err *e)
{
	struct json *j = NULL;
	struct err ignored;
	char *user = NULL, *secret = NULL;
	int rc = -1;

	memset(c, 0, sizeof *c);
	/* the message must not quote the output: it holds the secret */
	if (json_parse(&j, buf, len, &ignored) < 0 || json_kind(j, json_root(j)) != JSON_OBJECT) {
		json_free(j);
		return err_set(e, 0, "its answer is not a JSON object");
	}
	user = json_str(j, json_get(j, json_root(j), "Username"));
	secret = json_str(j, json_get(j, json_root(j), "Secret"));
	if (!user || !secret || !*secret)
		err_set(e, 0, "its answer has no Username and Secret");
	else if (!strcmp(user, "<token>") && strlen(secret) < sizeof c->pass) {
		strcpy(c->pass, secret);
		c->identity = c->set = 1;
		rc = 0;
	} else if (!*user || strchr(user, ':') || strlen(user) >= sizeof c->user ||
		 strlen(secret) >= sizeof c->pass)
		err_set(e, 0, "its Username or Secret is empty, too long or holds ':'");
	else {
		strcpy(c->user, user);
		strcpy(c->pass, secret);
		c->set = 1;
		rc = 0;
	}
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(user);
	free(secret);
	json_free(j);
	return rc;
}

/* The child: stdin from in, stdout to out, stderr to /dev/null; an exec
 * failure's errno goes up errp. */
static void child(const char *prog, int in, int out, int errp)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || (null >= 0 && dup2(null, 2) < 0))
		_exit(127);
	execlp(prog, prog, "get", (char *)NULL);
	int err = errno;
	if (write(errp, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

/* Read the helper's answer into buf (at most AUTH_HELPER_OUT_MAX) until EOF
 * or deadline.  The length, or -1 on a timeout. */
static ssize_t read_answer(int fd, char *buf, int64_t deadline)
{
	size_t n = 0;

	for (;;) {
		int64_t left = deadline - net_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0)
			return -1;
		int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -1 : (ssize_t)n;
		ssize_t k = read(fd, buf + n, AUTH_HELPER_OUT_MAX - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return (ssize_t)n;
		n += (size_t)k;
		if (n == AUTH_HELPER_OUT_MAX)
			return (ssize_t)n;
	}
}

/* Wait for pid until deadline, then kill it.  The wait status, or -1 when
 * it had to be killed. */
static int reap(pid_t pid, int64_t deadline)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (net_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		usleep(10000);
	}
}

/* The first line of a failing helper's answer, printable and short. */
static void first_line(const char *buf, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < len && buf[i] != '\n' && o + 4 < outsz; i++)
		out[o++] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?';
	out[o] = '\0';
}

static int run(const char *prog, const char *server, int64_t deadline, char *buf, ssize_t *len,
	       int *status, struct err *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, err = 0, rc = -1;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		err_set(e, errno, "pipe");
		goto out;
	}
	if ((pid = fork()) < 0) {
		err_set(e, errno, "fork");
		goto out;
	}
	if (pid == 0)
		child(prog, in[0], out[1], errp[1]);
	close(in[0]), close(out[1]), close(errp[1]);
	in[0] = out[1] = errp[1] = -1;
	/* a helper that exits without reading must not kill us with SIGPIPE */
	sigaction(SIGPIPE, &ign, &old);
	if (util_write_all(in[1], server, strlen(server)) < 0 || util_write_all(in[1], "\n", 1) < 0) {
		/* it did not read its input: its exit status says more */
	}
	sigaction(SIGPIPE, &old, NULL);
	close(in[1]);
	in[1] = -1;
	if (read(errp[0], &err, sizeof err) == (ssize_t)sizeof err) {
		reap(pid, deadline);
		err_set(e, err, "cannot run it");
		goto out;
	}
	*len = read_answer(out[0], buf, deadline);
	*status = reap(pid, *len < 0 ? 0 : deadline);
	if (*len < 0 || *status < 0) {
		err_set(e, 0, "no answer before the deadline");
		e->errnum = ETIMEDOUT;
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return rc;
}

int auth_helper_get(const char *name, const char *server, int timeout_ms,
		    struct auth_creds *c, struct err *e)
{
	int64_t deadline = net_now_ms() + (timeout_ms > 0 ? timeout_ms : HELPER_TIMEOUT_MS);
	char prog[96], *buf = malloc(AUTH_HELPER_OUT_MAX + 1), line[128], t[32];
	ssize_t len = 0;
	int status = 0, rc = -1;

	memset(c, 0, sizeof *c);
	snprintf(prog, sizeof prog, "docker-credential-%s", name);
	if (!buf)
		return err_set(e, ENOMEM, "credential helper '%s'", prog);
	if (run(prog, server, deadline, buf, &len, &status, e) < 0) {
		if (e->errnum == ETIMEDOUT) {
			net_format_ms(timeout_ms > 0 ? timeout_ms : HELPER_TIMEOUT_MS, t, sizeof t);
			err_set(e, 0, "credential helper '%s' gave no answer within %s", prog, t);
			e->errnum = ETIMEDOUT;
		} else {
			err_wrap(e, "credential helper '%s'", prog);
		}
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (auth_helper_parse(buf, (size_t)len, c, e) == 0)
			rc = 1;
		else
			err_wrap(e, "credential helper '%s'", prog);
	} else if (memmem(buf, (size_t)len, "credentials not found", 21)) {
		rc = 0;
	} else {
		first_line(buf, (size_t)len, line, sizeof line);
		if (WIFEXITED(status))
			err_set(e, 0, "credential helper '%s' failed (exit status %d)%s%s", prog,
				WEXITSTATUS(status), line[0] ? ": " : "", line);
		else
			err_set(e, 0, "credential helper '%s' was killed by signal %d", prog,
				WTERMSIG(status));
	}
	explicit_bzero(buf, AUTH_HELPER_OUT_MAX + 1);
	free(buf);
	return rc;
}
