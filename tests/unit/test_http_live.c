/* The HTTP(S) client against real servers on 127.0.0.1 (nothing else is
 * ever contacted, except that the DNS-failure case asks the resolver about
 * a name under .invalid).
 *
 * Starts tests/helpers/httpd.py (Debian's /usr/bin/python3; it makes a test
 * PKI with the openssl CLI) and, when installed, tinyproxy, each with its own
 * files in a temporary directory; stops them by PID at the end.  Without
 * python3 or openssl everything is skipped ("# SKIP" lines); without
 * tinyproxy, the proxy part is. */
#include "authhdr.h"
#include "http.h"
#include "tap.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PLAIN, OTHER, TLS, WRONG, EXPIRED, MTLS, NROLES };
static const char *const role_names[NROLES] = { "plain", "other", "tls", "wrong", "expired",
						"mtls" };

static char dir[64];
static unsigned port[NROLES];
static pid_t httpd_pid = -1, proxy_pid = -1;
static const struct net_proxy_env no_proxy_env; /* tests never use the caller's proxies */

/* ---- fixtures ---- */

static int exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* tests/helpers/httpd.py: from $SC_TOP, the working directory (make check
 * runs at the top), or relative to this binary (.build/release/). */
static int find_helper(char *out, size_t n)
{
	char exe[PATH_MAX];
	const char *top = getenv("SC_TOP");
	ssize_t l;

	if (top && snprintf(out, n, "%s/tests/helpers/httpd.py", top) < (int)n && exists(out))
		return 0;
	if (snprintf(out, n, "tests/helpers/httpd.py") < (int)n && exists(out))
		return 0;
	l = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (l > 0) {
		exe[l] = '\0';
		*strrchr(exe, '/') = '\0';
		if (snprintf(out, n, "%s/../../tests/helpers/httpd.py", exe) < (int)n && exists(out))
			return 0;
	}
	return -1;
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int read_ports(void)
{
	char path[128], role[32];
	unsigned p;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/ports", dir);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fscanf(f, "%31s %u", role, &p) == 2)
		for (int i = 0; i < NROLES; i++)
			if (!strcmp(role, role_names[i])) {
				port[i] = p;
				n++;
			}
	fclose(f);
	return n == NROLES ? 0 : -1;
}

static int start_httpd(void)
{
	char helper[PATH_MAX], log[128];

	if (find_helper(helper, sizeof helper) < 0)
		return -1;
	snprintf(log, sizeof log, "%s/httpd.log", dir);
	httpd_pid = spawn((char *[]){ "/usr/bin/python3", helper, dir, NULL }, log);
	for (int i = 0; i < 600; i++) { /* PKI + servers: ~1-3 s; allow 60 */
		if (read_ports() == 0)
			return 0;
		if (waitpid(httpd_pid, NULL, WNOHANG) == httpd_pid) {
			httpd_pid = -1;
			return -1;
		}
		usleep(100000);
	}
	return -1;
}

static void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

/* A port nothing listens on (bound, then closed). */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	return ntohs(a.sin_port);
}

static char *url(int role, const char *host, const char *path)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];

	if (snprintf(b, sizeof bufs[0], "%s://%s:%u%s", role >= TLS ? "https" : "http", host,
		     port[role], path) >= (int)sizeof bufs[0])
		abort(); /* a test bug */
	return b;
}

static const char *path_in(const char *name)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];

	if (snprintf(b, 128, "%s/%s", dir, name) >= 128)
		abort();
	return b;
}

static struct tls_config *tls_with(const char *ca, int insecure)
{
	struct tls_options o = { .insecure = insecure, .no_system_cas = 1 };
	struct tls_config *t;
	struct err e;

	if (tls_config_new(&o, &t, &e) < 0)
		return NULL;
	if (ca && tls_config_add_ca_file(t, path_in(ca), &e) < 0) {
		tls_config_free(t);
		return NULL;
	}
	return t;
}

static struct http_client *client_with(struct tls_config *t, int io_ms,
				       const struct net_proxy_env *px)
{
	struct http_client_options o = { .tls = t, .head_timeout_ms = io_ms,
					 .rate_window_ms = io_ms,
					 .proxy = px ? px : &no_proxy_env };
	struct http_client *c;
	struct err e;

	return http_client_new(&o, &c, &e) < 0 ? NULL : c;
}

/* One request: status and the whole body (NUL-terminated) or -1. */
static int fetch(struct http_client *c, const char *method, const char *u,
		 const struct http_field *h, size_t nh, int maxr, char **body, char *final,
		 struct err *e)
{
	struct http_request rq = { method, u, h, nh, NULL, 0, maxr };
	struct http_response *r;
	size_t len;
	int status;

	*body = NULL;
	if (http_request(c, &rq, &r, e) < 0)
		return -1;
	status = http_response_status(r);
	if (final)
		snprintf(final, 512, "%s", http_response_url(r));
	if (http_response_read_all(r, HTTP_MANIFEST_MAX, body, &len, e) < 0)
		status = -1;
	http_response_free(r);
	return status;
}

static int get(struct http_client *c, const char *u, char **body, struct err *e)
{
	return fetch(c, "GET", u, NULL, 0, 0, body, NULL, e);
}

/* "CONNS REQS" from /count. */
static int count(struct http_client *c, int role, int *conns, int *reqs)
{
	struct err e;
	char *b;
	int st = get(c, url(role, role >= TLS ? "localhost" : "127.0.0.1", "/count"), &b, &e);
	int n = st == 200 && sscanf(b, "%d %d", conns, reqs) == 2;

	free(b);
	return n ? 0 : -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- plain HTTP ---- */

static void test_basics(struct http_client *c)
{
	struct http_request rq = { "HEAD", url(PLAIN, "127.0.0.1", "/hello"), NULL, 0, NULL, 0, 0 };
	struct http_response *r;
	struct err e;
	char *b, tmp[8];
	int c1 = 0, r1 = 0, c2 = 0, r2 = 0;

	ok(get(c, url(PLAIN, "127.0.0.1", "/hello"), &b, &e) == 200 && !strcmp(b, "hello\n"),
	   "GET with Content-Length");
	free(b);
	ok(http_request(c, &rq, &r, &e) == 0 && http_response_content_length(r) == 6 &&
		   http_response_read(r, tmp, sizeof tmp, &e) == 0,
	   "HEAD: Content-Length known, no body");
	http_response_free(r);

	int rc = count(c, PLAIN, &c1, &r1) == 0 && count(c, PLAIN, &c2, &r2) == 0;
	ok(rc && c1 == c2 && r2 == r1 + 1,
	   "keep-alive: the second request reuses the connection (%d/%d -> %d/%d)", c1, r1, c2, r2);
	ok(get(c, url(PLAIN, "127.0.0.1", "/chunked"), &b, &e) == 200 &&
		   !strcmp(b, "hello world") && count(c, PLAIN, &c2, &r2) == 0 && c1 == c2,
	   "chunked body with extensions and trailer; connection reused after it");
	free(b);
	ok(get(c, url(PLAIN, "127.0.0.1", "/close"), &b, &e) == 200 && !strcmp(b, "until the end") &&
		   count(c, PLAIN, &c2, &r2) == 0 && c2 == c1 + 1,
	   "body delimited by close; a new connection afterwards");
	free(b);
	ok(get(c, url(PLAIN, "127.0.0.1", "/drop"), &b, &e) == 200 &&
		   count(c, PLAIN, &c2, &r2) == 0 && r2 == 1,
	   "the server closed a pooled connection: the next request still works");
	free(b);
	ok(count(c, PLAIN, &c1, &r1) == 0 &&
		   get(c, url(PLAIN, "127.0.0.1", "/arm-drop"), &b, &e) == 200 &&
		   count(c, PLAIN, &c2, &r2) == 0 && c2 == c1 + 1 && r2 == 1,
	   "a pooled connection that dies after taking the request: sent again on a new one");
	free(b);
	ok(get(c, url(PLAIN, "127.0.0.1", "/nothing"), &b, &e) == 404, "404 is a response, not an error");
	free(b);
}

struct sink {
	size_t calls, total, bad;
};

static int sink_cb(void *arg, const void *data, size_t len, struct err *e)
{
	struct sink *s = arg;
	const unsigned char *p = data;

	(void)e;
	for (size_t i = 0; i < len; i++)
		if (p[i] != (s->total + i) % 251)
			s->bad++;
	s->total += len;
	s->calls++;
	return 0;
}

static int fail_cb(void *arg, const void *data, size_t len, struct err *e)
{
	(void)arg, (void)data, (void)len;
	return err_set(e, 0, "the consumer gave up");
}

static int stream(struct http_client *c, const char *u, int64_t expect, struct sink *s,
		  int64_t *cl, struct err *e)
{
	struct http_request rq = { "GET", u, NULL, 0, NULL, 0, 0 };
	struct http_response *r;
	int rc;

	memset(s, 0, sizeof *s);
	if (http_request(c, &rq, &r, e) < 0)
		return -1;
	*cl = http_response_content_length(r);
	rc = expect >= 0 ? http_response_expect_length(r, (uint64_t)expect, e) : 0;
	if (!rc)
		rc = http_response_stream(r, sink_cb, s, e);
	http_response_free(r);
	return rc;
}

static void test_bodies(struct http_client *c)
{
	struct http_request rq = { "GET", url(PLAIN, "127.0.0.1", "/big?n=100000"), NULL, 0, NULL,
				   0, 0 };
	struct http_response *r;
	struct sink s;
	struct err e;
	int64_t cl;
	char *b;

	int rc = stream(c, url(PLAIN, "127.0.0.1", "/big?n=3000000"), 3000000, &s, &cl, &e);
	ok(rc == 0 && cl == 3000000 && s.total == 3000000 && !s.bad && s.calls >= 46,
	   "3 MB streamed in %zu pieces of at most 64 KiB, Content-Length known up front",
	   s.calls);
	ok(stream(c, url(PLAIN, "127.0.0.1", "/bigchunked?n=300000"), 300000, &s, &cl, &e) == 0 &&
		   cl == -1 && s.total == 300000 && !s.bad,
	   "chunked 300 kB streamed and checked against the expected size");
	ok(stream(c, url(PLAIN, "127.0.0.1", "/big?n=1000"), 999, &s, &cl, &e) < 0 &&
		   !strncmp(e.msg, "GET http://127.0.0.1:", 21) &&
		   strstr(e.msg, "/big: Content-Length 1000 disagrees with the expected size 999") &&
		   s.total == 0,
	   "Content-Length mismatch refused before reading (%s)", e.msg);
	ok(stream(c, url(PLAIN, "127.0.0.1", "/bigchunked?n=5000"), 4000, &s, &cl, &e) < 0 &&
		   strstr(e.msg, "body longer than the expected 4000 bytes"),
	   "chunked body longer than expected stops (%s)", e.msg);
	ok(stream(c, url(PLAIN, "127.0.0.1", "/bigchunked?n=5000"), 6000, &s, &cl, &e) < 0 &&
		   strstr(e.msg, "body of 5000 bytes, expected 6000"),
	   "chunked body shorter than expected fails at its end (%s)", e.msg);
	ok(get(c, url(PLAIN, "127.0.0.1", "/big?n=5000000"), &b, &e) < 0 &&
		   strstr(e.msg, "body of 5000000 bytes is over the limit of 4194304"),
	   "read_all refuses a 5 MB Content-Length up front (%s)", e.msg);
	ok(get(c, url(PLAIN, "127.0.0.1", "/bigchunked?n=5000000"), &b, &e) < 0 &&
		   strstr(e.msg, "body over the limit of 4194304 bytes"),
	   "read_all stops a chunked body at 4 MiB (%s)", e.msg);
	ok(get(c, url(PLAIN, "127.0.0.1", "/short"), &b, &e) < 0 &&
		   strstr(e.msg, "connection closed after 5 of 10 body bytes"),
	   "truncated body detected (%s)", e.msg);
	struct http_request sq = { "GET", url(PLAIN, "127.0.0.1", "/short"), NULL, 0, NULL, 0, 0 };
	ok(http_request(c, &sq, &r, &e) == 0 && http_response_stream(r, sink_cb, &s, &e) < 0 &&
		   http_response_dropped(r),
	   "a body cut short says the connection dropped (a caller may resume)");
	http_response_free(r);
	ok(http_request(c, &rq, &r, &e) == 0 && http_response_stream(r, fail_cb, NULL, &e) < 0 &&
		   !strcmp(e.msg, "the consumer gave up") && !http_response_dropped(r),
	   "a failing callback stops the stream with its own error, not a drop");
	http_response_free(r);
	ok(get(c, url(PLAIN, "127.0.0.1", "/hello"), &b, &e) == 200,
	   "the client works after an abandoned body");
	free(b);
}

static void test_retry_after(struct http_client *c)
{
	struct http_request rq = { "GET", url(PLAIN, "127.0.0.1", "/retry"), NULL, 0, NULL, 0, 0 };
	struct http_response *r;
	struct err e;
	uint64_t secs = 0;
	const char *v;

	ok(http_request(c, &rq, &r, &e) == 0 && http_response_status(r) == 503 &&
		   (v = http_response_header(r, "retry-after")) &&
		   authhdr_retry_after(v, strlen(v), time(NULL), &secs, &e) == 0 && secs == 7,
	   "503 with Retry-After: 7");
	http_response_free(r);
}

/* ---- redirects ---- */

static void test_redirects(struct http_client *c)
{
	const struct http_field auth[] = { { "Authorization", "Bearer sekrit" },
					   { "Accept", "application/json" } };
	char target[600], final[512], *b;
	struct err e;
	int st;

	snprintf(target, sizeof target, "/redirect?to=/auth");
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", target), auth, 2, 0, &b, final, &e);
	ok(st == 200 && !strcmp(b, "auth=Bearer sekrit") &&
		   !strcmp(final, url(PLAIN, "127.0.0.1", "/auth")),
	   "same-origin redirect keeps Authorization; final URL reported");
	free(b);
	snprintf(target, sizeof target, "/redirect?to=http://127.0.0.1:%u/auth", port[OTHER]);
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", target), auth, 2, 0, &b, final, &e);
	ok(st == 200 && !strcmp(b, "auth=none") && !strcmp(final, url(OTHER, "127.0.0.1", "/auth")),
	   "redirect to another port drops Authorization");
	free(b);
	snprintf(target, sizeof target, "/redirect?to=http://localhost:%u/auth", port[PLAIN]);
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", target), auth, 2, 0, &b, NULL, &e);
	ok(st == 200 && !strcmp(b, "auth=none"), "redirect to another host name drops Authorization");
	free(b);
	snprintf(target, sizeof target, "/redirect?to=http://127.0.0.1:%u/redirect%%3Fto%%3Dhttp://127.0.0.1:%u/auth",
		 port[OTHER], port[PLAIN]);
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", target), auth, 2, 0, &b, NULL, &e);
	ok(st == 200 && !strcmp(b, "auth=Bearer sekrit"),
	   "back on the original origin after a detour: Authorization again (only it sees it)");
	free(b);
	static const int codes[] = { 301, 302, 303, 307, 308 };
	for (size_t i = 0; i < 5; i++) {
		snprintf(target, sizeof target, "/redirect?code=%d&to=hello", codes[i]);
		st = fetch(c, "GET", url(PLAIN, "127.0.0.1", target), NULL, 0, 0, &b, final, &e);
		ok(st == 200 && !strcmp(b, "hello\n") && strstr(final, "/hello"),
		   "%d followed (relative Location)", codes[i]);
		free(b);
	}
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", "/redirect?to=/hello"), NULL, 0, -1, &b, NULL, &e);
	ok(st == 302, "max_redirects < 0: the redirect itself is returned");
	free(b);
	st = fetch(c, "GET", url(PLAIN, "127.0.0.1", "/loop"), NULL, 0, 0, &b, NULL, &e);
	ok(st < 0 && strstr(e.msg, "too many redirects (more than 10)"), "redirect loop stops (%s)",
	   e.msg);
}

/* ---- failures: refused, DNS, timeouts ---- */

static void test_failures(void)
{
	struct http_client *c = client_with(NULL, 500, NULL);
	char want[400], u[128], *b;
	struct err e;
	unsigned p = free_port();
	int64_t t0;

	snprintf(u, sizeof u, "http://127.0.0.1:%u/v2/?token=x", p);
	snprintf(want, sizeof want, "GET http://127.0.0.1:%u/v2/: connect to '127.0.0.1' port %u: "
		 "Connection refused", p, p);
	ok(get(c, u, &b, &e) < 0 && !strcmp(e.msg, want), "connection refused: '%s'", e.msg);
	static const char dns[] = "GET http://no-such-host.invalid/v2/: "
				  "resolve 'no-such-host.invalid': ";
	ok(get(c, "http://no-such-host.invalid/v2/", &b, &e) < 0 &&
		   !strncmp(e.msg, dns, sizeof dns - 1) && strlen(e.msg) > sizeof dns,
	   "DNS failure: '%s'", e.msg);
	t0 = now_ms();
	snprintf(want, sizeof want, "GET %s: no complete response head from '127.0.0.1' port %u "
		 "within 500 ms", url(PLAIN, "127.0.0.1", "/slow-head"), port[PLAIN]);
	ok(get(c, url(PLAIN, "127.0.0.1", "/slow-head"), &b, &e) < 0 && !strcmp(e.msg, want) &&
		   e.errnum == ETIMEDOUT && now_ms() - t0 < 2500,
	   "head deadline, nothing sent: '%s'", e.msg);
	/* the 3 bytes before the pause come with the head or just after it */
	snprintf(want, sizeof want, "GET %s: '127.0.0.1' port %u sent ", url(PLAIN, "127.0.0.1",
		 "/slow-body"), port[PLAIN]);
	ok(get(c, url(PLAIN, "127.0.0.1", "/slow-body"), &b, &e) < 0 &&
		   !strncmp(e.msg, want, strlen(want)) &&
		   (!strcmp(e.msg + strlen(want), "0 bytes in 500 ms, under the minimum of 1000 bytes/s") ||
		    !strcmp(e.msg + strlen(want), "3 bytes in 500 ms, under the minimum of 1000 bytes/s")),
	   "minimum rate, a body that stops: '%s'", e.msg);
	ok(get(c, url(PLAIN, "127.0.0.1", "/hello"), &b, &e) == 200, "the client recovers");
	free(b);
	http_client_free(c);
}

/* What a per-read timeout never catches: bytes that keep coming, slowly. */
static void test_trickles(void)
{
	struct http_client *c = client_with(NULL, 1000, NULL);
	char want[300], *b;
	struct err e;
	int64_t t0 = now_ms();

	snprintf(want, sizeof want, "GET %s: no complete response head from '127.0.0.1' port %u "
		 "within 1 s", url(PLAIN, "127.0.0.1", "/trickle-head"), port[PLAIN]);
	ok(get(c, url(PLAIN, "127.0.0.1", "/trickle-head"), &b, &e) < 0 && !strcmp(e.msg, want) &&
		   now_ms() - t0 < 2000,
	   "a head trickling a byte every 100 ms misses its deadline: '%s'", e.msg);
	t0 = now_ms();
	ok(get(c, url(PLAIN, "127.0.0.1", "/trickle-body?n=2000&every=20"), &b, &e) < 0 &&
		   strstr(e.msg, "bytes in 1 s, under the minimum of 1000 bytes/s") &&
		   now_ms() - t0 < 2500,
	   "a body at 50 bytes/s is below the minimum rate: '%s'", e.msg);
	ok(get(c, url(PLAIN, "127.0.0.1", "/big?n=3000000"), &b, &e) == 200,
	   "the same deadlines let a fast 3 MB body through");
	free(b);
	http_client_free(c);
}

/* A listener whose backlog is full drops further SYNs, so connect() to it
 * hangs: a connect timeout without leaving loopback. */
static void test_connect_timeout(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0), fill[8], hung = 0;
	struct http_client *c = client_with(NULL, 300, NULL);
	char u[64], *b;
	struct err e;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(l, (struct sockaddr *)&a, sizeof a);
	getsockname(l, (struct sockaddr *)&a, &al);
	listen(l, 0);
	for (int i = 0; i < 8; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof a);
	}
	usleep(100000);
	snprintf(u, sizeof u, "http://127.0.0.1:%u/", ntohs(a.sin_port));
	int rc = get(c, u, &b, &e);
	hung = rc < 0 && strstr(e.msg, "timed out after 300 ms");
	if (rc < 0 && !hung && strstr(e.msg, "no complete response head"))
		ok(1, "connect timeout # SKIP this kernel accepts beyond the backlog (%s)", e.msg);
	else
		ok(hung, "connect timeout: '%s'", rc < 0 ? e.msg : "connected");
	if (rc == 0)
		free(b);
	for (int i = 0; i < 8; i++)
		close(fill[i]);
	close(l);
	http_client_free(c);
}

/* ---- TLS ---- */

static int tls_fetch(struct tls_config *t, int role, const char *host, const char *path,
		     char **b, struct err *e)
{
	struct http_client *c = client_with(t, 5000, NULL);
	int st = get(c, url(role, host, path), b, e);

	http_client_free(c);
	return st;
}

static struct tls_config *pick_tls(void *arg, const char *host, unsigned p)
{
	(void)host;
	return p == port[TLS] ? arg : NULL;
}

static void test_tls(void)
{
	struct tls_config *ca = tls_with("ca.crt", 0), *ca2 = tls_with("ca2.crt", 0);
	struct tls_config *insecure = tls_with(NULL, 1), *mine = tls_with("ca.crt", 0);
	struct err e;
	char *b = NULL, want[256];
	int c1 = 0, r1 = 0, c2 = 0, r2 = 0;

	ok(ca && ca2 && insecure && mine && tls_config_ca_count(ca) == 1, "TLS configs");
	ok(tls_fetch(ca, TLS, "localhost", "/hello", &b, &e) == 200 && !strcmp(b, "hello\n"),
	   "https by name: DNS SAN verified (SNI sent)");
	free(b);
	ok(tls_fetch(ca, TLS, "127.0.0.1", "/hello", &b, &e) == 200 && !strcmp(b, "hello\n"),
	   "https by address: IP SAN verified by our callback (%s)", b ? "ok" : e.msg);
	free(b);
	ok(tls_fetch(ca2, TLS, "localhost", "/hello", &b, &e) < 0 &&
		   strstr(e.msg, ": certificate for 'localhost' is not signed by a trusted CA"),
	   "untrusted CA: '%s'", e.msg);
	ok(tls_fetch(ca, WRONG, "localhost", "/x?secret=1", &b, &e) < 0 &&
		   strstr(e.msg, ": certificate for 'localhost' does not match: it is for "
				 "'wrong.example', 'other.example', '192.0.2.7'") &&
		   !strstr(e.msg, "secret"),
	   "name mismatch (query kept out of the message): '%s'", e.msg);
	ok(tls_fetch(ca, WRONG, "127.0.0.1", "/", &b, &e) < 0 &&
		   strstr(e.msg, "certificate for '127.0.0.1' does not match: it is for "),
	   "address mismatch: '%s'", e.msg);
	snprintf(want, sizeof want, "GET https://localhost:%u/: certificate for 'localhost' "
		 "expired on 2021-01-01 00:00:00 UTC", port[EXPIRED]);
	ok(tls_fetch(ca, EXPIRED, "localhost", "/", &b, &e) < 0 && !strcmp(e.msg, want),
	   "expired: '%s'", e.msg);
	ok(tls_fetch(insecure, EXPIRED, "localhost", "/hello", &b, &e) == 200,
	   "--tls-verify=false accepts the expired certificate");
	free(b);
	ok(tls_fetch(ca, MTLS, "localhost", "/client-cert", &b, &e) < 0 &&
		   strstr(e.msg, "tls handshake with 'localhost': the server requires a client "
				 "certificate and none is configured"),
	   "server requiring a client certificate, none given: '%s'", e.msg);
	ok(tls_config_add_client_cert(mine, path_in("client.crt"), path_in("tls.key"), &e) < 0 &&
		   strstr(e.msg, "does not match key"),
	   "client certificate with the wrong key refused: '%s'", e.msg);
	ok(tls_config_add_client_cert(mine, path_in("client.crt"), path_in("client.key"), &e) == 0 &&
		   tls_fetch(mine, MTLS, "localhost", "/client-cert", &b, &e) == 200 &&
		   !strcmp(b, "cn=test-client"),
	   "client certificate presented and accepted");
	free(b);
	ok(tls_config_add_ca_file(ca2, path_in("ports"), &e) < 0 &&
		   strstr(e.msg, "CA file '"), "a CA file without certificates: '%s'", e.msg);
	ok(tls_fetch(ca, TLS, "localhost", "/close", &b, &e) < 0 &&
		   strstr(e.msg, "/close: the connection ended without a TLS close_notify after 13 "
				 "body bytes: the body may be truncated"),
	   "a body delimited by the end of a TLS connection without close_notify: '%s'", e.msg);
	ok(tls_fetch(ca, TLS, "localhost", "/close-notify", &b, &e) == 200 &&
		   !strcmp(b, "until the end"), "the same body ended by close_notify is whole");
	free(b);

	struct http_client *c = client_with(ca, 5000, NULL);
	ok(count(c, TLS, &c1, &r1) == 0 && count(c, TLS, &c2, &r2) == 0 && c1 == c2 && r2 == r1 + 1,
	   "keep-alive over TLS");
	char target[200];
	snprintf(target, sizeof target, "/redirect?to=http://127.0.0.1:%u/hello", port[PLAIN]);
	ok(get(c, url(TLS, "localhost", target), &b, &e) < 0 &&
		   strstr(e.msg, "redirect from https to plain http refused"),
	   "https -> http redirect refused");
	http_client_free(c);

	c = client_with(NULL, 5000, NULL);
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) < 0 &&
		   strstr(e.msg, "https is not configured"), "https without a TLS config");
	http_client_free(c);

	struct http_client_options o = { .tls_for = pick_tls, .tls_arg = ca, .proxy = &no_proxy_env };
	http_client_new(&o, &c, &e);
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) == 200, "per-host TLS config (tls_for)");
	free(b);
	http_client_free(c);

	if (exists(tls_system_ca_files[0])) {
		struct tls_config *sys;
		tls_config_new(NULL, &sys, &e);
		ok(tls_config_ca_count(sys) > 10 &&
			   tls_fetch(sys, TLS, "localhost", "/", &b, &e) < 0 &&
			   strstr(e.msg, "is not signed by a trusted CA"),
		   "system CA bundle loaded (%d CAs); the test CA is not among them",
		   tls_config_ca_count(sys));
		tls_config_free(sys);
	} else {
		ok(1, "system CA bundle # SKIP %s not installed", tls_system_ca_files[0]);
	}
	tls_config_free(ca);
	tls_config_free(ca2);
	tls_config_free(insecure);
	tls_config_free(mine);
}

/* ---- proxy (tinyproxy) ---- */

static int wait_listening(unsigned p)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
		close(fd);
		if (rc == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static unsigned start_tinyproxy(void)
{
	unsigned p = free_port();
	FILE *f = fopen(path_in("tinyproxy.conf"), "w");

	if (!f)
		return 0;
	fprintf(f, "Port %u\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 20\n"
		"LogFile \"%s\"\nLogLevel Info\nBasicAuth user pw\n", p, path_in("tinyproxy.log"));
	fclose(f);
	proxy_pid = spawn((char *[]){ "/usr/bin/tinyproxy", "-d", "-c",
				      (char *)path_in("tinyproxy.conf"), NULL },
			  path_in("tinyproxy.out"));
	return wait_listening(p) == 0 ? p : 0;
}

static void test_proxy(void)
{
	struct tls_config *ca = tls_with("ca.crt", 0);
	char good[128], bad[128], dead[128], want[400], *b;
	struct net_proxy_env env = { 0 };
	struct http_client *c;
	struct err e;
	unsigned p;

	if (!exists("/usr/bin/tinyproxy") || !(p = start_tinyproxy())) {
		ok(1, "proxy # SKIP tinyproxy not installed or did not start");
		tls_config_free(ca);
		return;
	}
	snprintf(good, sizeof good, "http://user:pw@127.0.0.1:%u", p);
	snprintf(bad, sizeof bad, "http://user:wrongpw@127.0.0.1:%u", p);
	snprintf(dead, sizeof dead, "http://127.0.0.1:%u", free_port());

	env.https_proxy = good;
	c = client_with(ca, 5000, &env);
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) == 200 && !strcmp(b, "hello\n"),
	   "https through the proxy (CONNECT, Basic proxy credentials)");
	free(b);
	ok(get(c, url(TLS, "127.0.0.1", "/hello"), &b, &e) == 200,
	   "https by address through the proxy");
	free(b);
	http_client_free(c);

	env.https_proxy = NULL;
	env.http_proxy = good;
	c = client_with(NULL, 5000, &env);
	ok(get(c, url(PLAIN, "127.0.0.1", "/headers"), &b, &e) == 200 && strstr(b, "tinyproxy"),
	   "plain http through the proxy (absolute URI; the proxy added its Via)");
	free(b);
	http_client_free(c);

	env.http_proxy = NULL;
	env.https_proxy = bad;
	c = client_with(ca, 5000, &env);
	/* tinyproxy 1.11 answers 401 where RFC 9110 says 407 */
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) < 0 &&
		   strstr(e.msg, "refused CONNECT to 'localhost:") && strstr(e.msg, "': HTTP 40") &&
		   !strstr(e.msg, "wrongpw") && !strstr(e.msg, "user"),
	   "proxy refusing the credentials, which stay out of the message: '%s'", e.msg);
	http_client_free(c);

	env.https_proxy = dead;
	env.https_var = "HTTPS_PROXY";
	c = client_with(ca, 5000, &env);
	snprintf(want, sizeof want, "GET %s: proxy '127.0.0.1' port %s (from HTTPS_PROXY): connect "
		 "to '127.0.0.1' port %s: Connection refused", url(TLS, "localhost", "/hello"),
		 strrchr(dead, ':') + 1, strrchr(dead, ':') + 1);
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) < 0 && !strcmp(e.msg, want),
	   "a dead proxy is named, with the variable it came from: '%s'", e.msg);
	http_client_free(c);
	env.no_proxy = "localhost,127.0.0.1";
	c = client_with(ca, 5000, &env);
	ok(get(c, url(TLS, "localhost", "/hello"), &b, &e) == 200, "no_proxy bypasses the proxy");
	free(b);
	http_client_free(c);
	stop(&proxy_pid);
	tls_config_free(ca);
}

int main(void)
{
	struct http_client *c;

	/* SIGPIPE stays fatal: every write must use MSG_NOSIGNAL */
	snprintf(dir, sizeof dir, "/tmp/sc-http-live-XXXXXX");
	if (!mkdtemp(dir) || !exists("/usr/bin/python3") || !exists("/usr/bin/openssl")) {
		ok(1, "live HTTP tests # SKIP needs /usr/bin/python3 and /usr/bin/openssl");
		return tap_done();
	}
	if (start_httpd() < 0) {
		ok(0, "start tests/helpers/httpd.py (see %s/httpd.log)", dir);
		stop(&httpd_pid);
		return tap_done();
	}
	c = client_with(NULL, 5000, NULL);
	test_basics(c);
	test_bodies(c);
	test_retry_after(c);
	test_redirects(c);
	http_client_free(c);
	test_failures();
	test_trickles();
	test_connect_timeout();
	test_tls();
	test_proxy();
	stop(&proxy_pid);
	stop(&httpd_pid);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
