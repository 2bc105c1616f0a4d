/* Sockets for the HTTP client: name resolution, connect and I/O against
 * deadlines, and the choice of an HTTP proxy from the environment.
 *
 * Deadlines are absolute times on net_now_ms()'s monotonic clock, so one
 * deadline can bound a whole exchange (connect, TLS, request, response
 * head) however many calls it takes.
 *
 * Sockets are TCP, non-blocking and close-on-exec; the caller owns the fd
 * and close()s it.  Nothing here keeps state between calls.  Error messages
 * name the host and port ("connect to 'example.com' port 443: Connection
 * refused"); proxy credentials never appear in them.  A deadline that
 * passes sets errnum ETIMEDOUT.
 *
 * Name resolution without /etc/resolv.conf (a chroot, an initramfs): the
 * C library would ask a DNS server on 127.0.0.1 and wait 5 s for nothing,
 * so net_connect() asks only /etc/hosts then ("localhost" and names under
 * ".localhost" mean 127.0.0.1 even without an entry), and the error says
 * that /etc/resolv.conf is missing.
 *
 * The proxy helpers (net_proxy_parse, net_no_proxy_match, net_proxy_select,
 * net_hosts_lookup) are pure: they read only their arguments. */
#ifndef SC_NET_H
#define SC_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define NET_HOST_MAX 255        /* longest host name or address we handle */
#define NET_PROXY_AUTH_MAX 1024 /* "Basic <base64(user:pass)>" and its NUL */

/* Monotonic milliseconds: the clock of every deadline here. */
int64_t net_now_ms(void);

/* Resolve host (a name, or an IPv4/IPv6 literal without brackets) and
 * connect to port, trying every address getaddrinfo returns in order until
 * one answers, all before deadline; each address gets an equal share of
 * what is left, so one black-holed address does not eat the time of the
 * others.  Returns the connected fd, or -1 with e set: "resolve 'h':
 * <reason>", "connect to 'h' port N: <strerror>", or "connect to 'h' port
 * N: timed out after 30 s" (errnum ETIMEDOUT).  Resolution itself is
 * bounded by the resolver's own timeouts. */
int net_connect(const char *host, unsigned port, int64_t deadline, struct err *e);

/* Read up to len bytes, waiting until deadline for the first of them.
 * Returns the count (> 0), 0 at end of stream, or -1 with e set ("timed
 * out" with errnum ETIMEDOUT, or "receive: <strerror>"). */
ssize_t net_recv(int fd, void *buf, size_t len, int64_t deadline, struct err *e);
/* Write up to len bytes (len > 0), waiting until deadline for room.
 * Returns the count written (> 0) or -1 with e set.  Never raises SIGPIPE. */
ssize_t net_send(int fd, const void *buf, size_t len, int64_t deadline, struct err *e);
/* Write all len bytes before deadline.  0 or -1. */
int net_send_all(int fd, const void *buf, size_t len, int64_t deadline, struct err *e);
/* 1 when an idle connection looks reusable: nothing to read and not closed
 * by the peer (a readable idle socket means EOF, a reset or stray bytes). */
int net_idle_ok(int fd);
/* "30 s" or "250 ms", for messages about timeouts. */
void net_format_ms(int64_t ms, char *out, size_t outsz);

/* Does the hosts file buf[0..len) ("ADDRESS NAME [ALIAS...]" lines, '#'
 * comments) list host (case-insensitively)?  1 or 0.  Pure. */
int net_hosts_lookup(const char *buf, size_t len, const char *host);

/* "HOST[:PORT]" or "[V6ADDR][:PORT]" from s[0..len): host (no brackets,
 * NUL-terminated, case kept) into host[NET_HOST_MAX + 1]; *port is set only
 * when a port is given (1..65535).  Host names are [A-Za-z0-9._-]+.  0 or -1
 * (no message).  Pure. */
int net_parse_hostport(const char *s, size_t len, char *host, unsigned *port);

/* Proxy settings as found in the environment, read as curl and Go read
 * them: lower case first, then upper case.  The strings are borrowed (NULL
 * when unset) and must outlive their use; the *_var members name the
 * variable each came from, for messages. */
struct net_proxy_env {
	const char *https_proxy;  /* https_proxy, else HTTPS_PROXY */
	const char *http_proxy;   /* http_proxy, else HTTP_PROXY -- except in a
	                             CGI environment (REQUEST_METHOD set), where
	                             HTTP_PROXY comes from a request header */
	const char *all_proxy;    /* all_proxy, else ALL_PROXY: for either scheme
	                             when its own variable is unset */
	const char *no_proxy;     /* no_proxy, else NO_PROXY */
	const char *https_var, *http_var, *all_var;
};
/* Fill env from getenv(). */
void net_proxy_env_load(struct net_proxy_env *env);

/* A proxy to go through; host[0] == '\0' means "connect directly". */
struct net_proxy {
	char host[NET_HOST_MAX + 1]; /* name or address, IPv6 without brackets */
	unsigned port;
	char auth[NET_PROXY_AUTH_MAX]; /* Proxy-Authorization value or "": a
	                                  SECRET, never to be printed */
	const char *var;             /* the variable it came from, or "" */
};

/* Parse a proxy setting "[http://][USER[:PASS]@]HOST[:PORT][/]" from
 * s[0..len).  No scheme means http://; the port defaults to 80.  USER and
 * PASS may be percent-encoded; they become p->auth (Basic).  Other schemes
 * (https://, socks5://) are refused.  Messages never quote s, which may hold
 * a password. */
int net_proxy_parse(const char *s, size_t len, struct net_proxy *p, struct err *e);

/* Does the no_proxy list (comma- or space-separated, no NUL needed) exempt
 * host:port?  Entries: "*" (everything); "example.com" or ".example.com" or
 * "*.example.com" (that domain and its subdomains); "host:port" (only that
 * port); an IPv4/IPv6 address, bracketed or not; "10.0.0.0/8" or
 * "fd00::/8" (CIDR, matched against address literals only).  Host names
 * compare case-insensitively; no name is ever resolved.  Returns 1 or 0. */
int net_no_proxy_match(const char *list, size_t len, const char *host, unsigned port);

/* The proxy for a request to host:port (https selects https_proxy, else
 * http_proxy; all_proxy stands in for either), honouring no_proxy.
 * out->host is "" for a direct connection.  -1 when the selected setting is
 * malformed; the message names the variable, never its value. */
int net_proxy_select(const struct net_proxy_env *env, int https, const char *host,
		     unsigned port, struct net_proxy *out, struct err *e);

#endif
