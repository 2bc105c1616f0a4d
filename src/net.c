/* Sockets and proxy selection; see net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "text.h"
#include "util.h"

int64_t net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_format_ms(int64_t ms, char *out, size_t outsz)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(out, outsz, "%lld s", (long long)(ms / 1000));
	else
		snprintf(out, outsz, "%lld ms", (long long)ms);
}

/* Wait for events on fd until deadline.  1 ready, 0 timed out, -1 with
 * errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - net_now_ms();
		if (left < 0)
			left = 0;
		int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0 || (r == 0 && left < INT32_MAX))
			return r;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int timed_out(struct err *e)
{
	err_set(e, 0, "timed out");
	e->errnum = ETIMEDOUT;
	return -1;
}

/* One connect attempt with its own deadline.  Returns the fd or -1 with
 * *errnum set (ETIMEDOUT when the deadline passed). */
static int try_connect(const struct addrinfo *ai, int64_t deadline, int *errnum)
{
	int fd, one = 1, soerr = 0, r;
	socklen_t sl = sizeof soerr;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		*errnum = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			*errnum = errno;
			goto fail;
		}
		r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0) {
			*errnum = r == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			*errnum = soerr ? soerr : errno;
			goto fail;
		}
	}
	/* Requests go out as one write of the head (and maybe one of the body):
	 * Nagle would only add a delayed-ACK round trip. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
fail:
	close(fd);
	return -1;
}

int net_hosts_lookup(const char *buf, size_t len, const char *host)
{
	size_t hl = strlen(host), i = 0;

	while (i < len) {
		size_t end = i, field = 0;
		while (end < len && buf[end] != '\n')
			end++;
		for (size_t j = i; j < end && buf[j] != '#';) {
			size_t k = j;
			while (k < end && buf[k] != ' ' && buf[k] != '\t' && buf[k] != '#' && buf[k] != '\r')
				k++;
			/* the first field is the address; names follow */
			if (k > j && field++ && k - j == hl && !strncasecmp(buf + j, host, hl))
				return 1;
			j = k;
			while (j < end && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r'))
				j++;
		}
		i = end + 1;
	}
	return 0;
}

static int is_localhost(const char *h)
{
	size_t n = strlen(h);
	return !strcasecmp(h, "localhost") || (n > 10 && !strcasecmp(h + n - 10, ".localhost"));
}

/* Without /etc/resolv.conf the C library asks 127.0.0.1:53 and waits 5 s
 * for nothing (musl): only /etc/hosts can answer then.  *host becomes
 * "127.0.0.1" for localhost names missing from it. */
static int without_resolver(const char **host, struct err *e)
{
	size_t len = 0;
	char *hosts = NULL;
	struct err ignored;
	int have, listed;

	if (access("/etc/resolv.conf", F_OK) == 0 || errno != ENOENT)
		return 0;
	have = util_read_file("/etc/hosts", 1 << 20, &hosts, &len, &ignored) == 0;
	listed = have && net_hosts_lookup(hosts, len, *host);
	free(hosts);
	if (listed)
		return 0;
	if (is_localhost(*host)) {
		*host = "127.0.0.1";
		return 0;
	}
	return err_set(e, 0, "resolve '%s': no /etc/resolv.conf (so no DNS server to ask) and %s",
		       *host, have ? "not in /etc/hosts" : "no /etc/hosts");
}

static int resolve(const char *host, unsigned port, struct addrinfo **res, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	const char *name = host;
	unsigned char tmp[16];
	char service[8];
	int rc;

	/* No AI_ADDRCONFIG: it hides loopback-only set-ups (glibc ignores
	 * loopback addresses when deciding what is "configured"). */
	if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1)
		hints.ai_flags |= AI_NUMERICHOST;
	else if (without_resolver(&name, e) < 0)
		return -1;
	snprintf(service, sizeof service, "%u", port);
	rc = getaddrinfo(name, service, &hints, res);
	if (rc == EAI_SYSTEM)
		return err_set(e, errno, "resolve '%s'", host);
	if (rc)
		return err_set(e, 0, "resolve '%s': %s", host, gai_strerror(rc));
	return 0;
}

int net_connect(const char *host, unsigned port, int64_t deadline, struct err *e)
{
	struct addrinfo *res, *ai;
	int64_t start = net_now_ms();
	int fd = -1, errnum = ETIMEDOUT, left = 0;
	char t[32];

	if (resolve(host, port, &res, e) < 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next)
		left++;
	for (ai = res; ai && fd < 0; ai = ai->ai_next, left--) {
		int64_t now = net_now_ms();
		if (now >= deadline) {
			errnum = ETIMEDOUT;
			break;
		}
		fd = try_connect(ai, now + (deadline - now) / left, &errnum);
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	if (errnum == ETIMEDOUT) {
		net_format_ms(deadline - start, t, sizeof t);
		err_set(e, 0, "connect to '%s' port %u: timed out after %s", host, port, t);
		e->errnum = ETIMEDOUT;
		return -1;
	}
	return err_set(e, errnum, "connect to '%s' port %u", host, port);
}

ssize_t net_recv(int fd, void *buf, size_t len, int64_t deadline, struct err *e)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(e, errno, "receive");
		int r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return err_set(e, errno, "receive");
		if (r == 0)
			return timed_out(e);
	}
}

ssize_t net_send(int fd, const void *buf, size_t len, int64_t deadline, struct err *e)
{
	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(e, errno, "send");
		int r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return err_set(e, errno, "send");
		if (r == 0)
			return timed_out(e);
	}
}

int net_send_all(int fd, const void *buf, size_t len, int64_t deadline, struct err *e)
{
	const char *p = buf;

	while (len) {
		ssize_t n = net_send(fd, p, len, deadline, e);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int net_idle_ok(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* ---- proxies ---- */

/* The lower-case variable, else the upper-case one; *var names it. */
static const char *env2(const char *lower, const char *upper, const char **var)
{
	const char *v = getenv(lower);

	*var = lower;
	if (v && *v)
		return v;
	*var = upper;
	v = upper ? getenv(upper) : NULL;
	return v && *v ? v : NULL;
}

void net_proxy_env_load(struct net_proxy_env *env)
{
	const char *cgi = getenv("REQUEST_METHOD"), *unused;

	memset(env, 0, sizeof *env);
	env->https_proxy = env2("https_proxy", "HTTPS_PROXY", &env->https_var);
	env->http_proxy = env2("http_proxy", cgi ? NULL : "HTTP_PROXY", &env->http_var);
	env->all_proxy = env2("all_proxy", "ALL_PROXY", &env->all_var);
	env->no_proxy = env2("no_proxy", "NO_PROXY", &unused);
}

/* Percent-decode s[0..len) into out (NUL-terminated).  -1 when malformed,
 * too long, or decoding to a NUL byte. */
static int pct_decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int h = text_hexval(s[i + 1]), l = text_hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		}
		if (!c || o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* see net.h */
int net_parse_hostport(const char *s, size_t len, char *host, unsigned *port)
{
	const char *colon = NULL, *h = s;
	size_t hl = len;
	unsigned char tmp[16];

	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);
		if (!rb)
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		if (rb + 1 < s + len) {
			if (rb[1] != ':')
				return -1;
			colon = rb + 1;
		}
	} else if ((colon = memchr(s, ':', len))) {
		hl = (size_t)(colon - s);
	}
	if (!hl || hl > NET_HOST_MAX)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (s[0] == '[' && inet_pton(AF_INET6, host, tmp) != 1)
		return -1;
	for (size_t i = 0; s[0] != '[' && i < hl; i++)
		if (!(host[i] == '-' || host[i] == '.' || host[i] == '_' ||
		      (host[i] >= '0' && host[i] <= '9') || ((host[i] | 0x20) >= 'a' &&
							     (host[i] | 0x20) <= 'z')))
			return -1;
	if (colon) {
		unsigned v = 0;
		size_t n = (size_t)(s + len - colon - 1);
		if (!n || n > 5)
			return -1;
		for (size_t i = 1; i <= n; i++) {
			if (colon[i] < '0' || colon[i] > '9')
				return -1;
			v = v * 10 + (unsigned)(colon[i] - '0');
		}
		if (!v || v > 65535)
			return -1;
		*port = v;
	}
	return 0;
}

/* USER[:PASS] (percent-encoded) into the Basic credentials of p. */
static int parse_userinfo(const char *s, size_t len, struct net_proxy *p, struct err *e)
{
	char user[256], pass[256];
	const char *colon = memchr(s, ':', len);
	size_t ul = colon ? (size_t)(colon - s) : len;
	int rc;

	pass[0] = '\0';
	if (pct_decode(s, ul, user, sizeof user) < 0 ||
	    (colon && pct_decode(colon + 1, len - ul - 1, pass, sizeof pass) < 0))
		return err_set(e, 0, "malformed or too long proxy credentials");
	rc = base64_basic_credentials(user, pass, p->auth, sizeof p->auth, e);
	explicit_bzero(user, sizeof user);
	explicit_bzero(pass, sizeof pass);
	return rc;
}

int net_proxy_parse(const char *s, size_t len, struct net_proxy *p, struct err *e)
{
	const char *end, *at = NULL;

	memset(p, 0, sizeof *p);
	p->port = 80;
	while (len && (s[len - 1] == '/' || s[len - 1] == ' '))
		len--;
	while (len && *s == ' ')
		s++, len--;
	const char *sep = len > 3 ? memmem(s, len, "://", 3) : NULL;
	if (sep) {
		if ((size_t)(sep - s) != 4 || strncasecmp(s, "http", 4))
			return err_set(e, 0, "proxy scheme '%.*s' not supported (only http://)",
				       (int)((sep - s) > 16 ? 16 : sep - s), s);
		len -= (size_t)(sep + 3 - s);
		s = sep + 3;
	}
	end = s + len;
	if (memchr(s, '/', len) || memchr(s, '?', len) || memchr(s, '#', len))
		return err_set(e, 0, "proxy setting has a path; expected [http://][user:pass@]host[:port]");
	for (const char *q = s; q < end; q++)
		if (*q == '@')
			at = q;
	if (at && parse_userinfo(s, (size_t)(at - s), p, e) < 0)
		return -1;
	if (at) {
		len = (size_t)(end - at - 1);
		s = at + 1;
	}
	if (net_parse_hostport(s, len, p->host, &p->port) < 0) {
		explicit_bzero(p->auth, sizeof p->auth);
		p->host[0] = '\0';
		return err_set(e, 0, "malformed proxy host; expected [http://][user:pass@]host[:port]");
	}
	return 0;
}

/* ---- no_proxy ---- */

/* Parse an address literal (IPv6 may be bracketed) into a; family or 0. */
static int parse_addr(const char *s, size_t len, unsigned char a[16])
{
	char tmp[64];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		s++, len -= 2;
	if (!len || len >= sizeof tmp)
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, tmp, a) == 1)
		return AF_INET6;
	return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return 0;
	return !rest || ((a[full] ^ b[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* An address or CIDR entry against an address host. */
static int match_cidr(const char *ent, size_t len, const char *host)
{
	unsigned char net[16], h[16];
	const char *slash = memchr(ent, '/', len);
	size_t al = slash ? (size_t)(slash - ent) : len;
	int fam = parse_addr(ent, al, net), hfam = parse_addr(host, strlen(host), h);
	unsigned bits = fam == AF_INET ? 32 : 128, max = bits;

	if (!fam || fam != hfam)
		return 0;
	if (slash) {
		size_t n = len - al - 1;
		if (!n || n > 3)
			return 0;
		bits = 0;
		for (size_t i = 1; i <= n; i++) {
			if (slash[i] < '0' || slash[i] > '9')
				return 0;
			bits = bits * 10 + (unsigned)(slash[i] - '0');
		}
		if (bits > max)
			return 0;
	}
	return prefix_equal(net, h, bits);
}

/* One entry (already trimmed, non-empty) against host:port. */
static int match_entry(const char *ent, size_t len, const char *host, unsigned port)
{
	const char *colon = NULL;
	size_t hl = strlen(host);

	if (len == 1 && ent[0] == '*')
		return 1;
	if (memchr(ent, '/', len) || parse_addr(ent, len, (unsigned char[16]){ 0 }))
		return match_cidr(ent, len, host);
	/* HOST:PORT or [V6]:PORT: one colon outside brackets */
	for (size_t i = len; i-- > 0;)
		if (ent[i] == ':' || ent[i] == ']') {
			colon = ent[i] == ':' ? ent + i : NULL;
			break;
		}
	if (colon) {
		unsigned v = 0;
		for (const char *q = colon + 1; q < ent + len; q++)
			v = (*q >= '0' && *q <= '9' && v < 100000) ? v * 10 + (unsigned)(*q - '0') : 1u << 30;
		if (v != port)
			return 0;
		len = (size_t)(colon - ent);
		if (parse_addr(ent, len, (unsigned char[16]){ 0 }))
			return match_cidr(ent, len, host);
	}
	if (len >= 2 && ent[0] == '*' && ent[1] == '.')
		ent++, len--;
	if (len && ent[0] == '.')
		ent++, len--;
	if (!len || hl < len || strncasecmp(host + hl - len, ent, len))
		return 0;
	return hl == len || host[hl - len - 1] == '.';
}

int net_no_proxy_match(const char *list, size_t len, const char *host, unsigned port)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && (list[i] == ',' || list[i] == ' ' || list[i] == '\t'))
			i++;
		size_t start = i;
		while (i < len && list[i] != ',' && list[i] != ' ' && list[i] != '\t')
			i++;
		if (i > start && match_entry(list + start, i - start, host, port))
			return 1;
	}
	return 0;
}

int net_proxy_select(const struct net_proxy_env *env, int https, const char *host,
		     unsigned port, struct net_proxy *out, struct err *e)
{
	const char *v = https ? env->https_proxy : env->http_proxy;
	const char *var = https ? env->https_var : env->http_var;

	memset(out, 0, sizeof *out);
	out->var = "";
	if (!var)
		var = https ? "https_proxy" : "http_proxy";
	if (!v || !*v) {
		v = env->all_proxy;
		var = env->all_var ? env->all_var : "all_proxy";
	}
	if (!v || !*v)
		return 0;
	if (env->no_proxy && net_no_proxy_match(env->no_proxy, strlen(env->no_proxy), host, port))
		return 0;
	if (net_proxy_parse(v, strlen(v), out, e) < 0)
		return err_wrap(e, "%s", var);
	out->var = var;
	return 0;
}
