/* HTTP/1.1 client for registry pulls (http.c), and the pure parsers under
 * it (http_parse.c).
 *
 * Pure parsers (no I/O, bounded, no NUL needed; only http_url_resolve
 * allocates, its result):
 *   http_url_parse      absolute http/https URLs; userinfo refused
 *   http_head_end/parse a response's status line and header block
 *   http_chunked_*      an incremental chunked-body decoder
 * WWW-Authenticate, Retry-After and HTTP-date live in authhdr.h.
 *
 * Client:
 *   struct http_client *c;                 // one per registry / thread
 *   http_client_new(&opts, &c, e);
 *   struct http_field h[] = { { "Accept", "application/vnd.oci..." },
 *                             { "Authorization", "Bearer ..." } };
 *   struct http_request rq = { "GET", url, h, 2 };
 *   struct http_response *r;
 *   http_request(c, &rq, &r, e);           // follows redirects
 *   http_response_status(r), http_response_url(r),   // final URL
 *   http_response_header(r, "Docker-Content-Digest"),
 *   http_response_content_length(r)        // before reading any body
 *   http_response_stream(r, cb, arg, e) / http_response_read(...)
 *                       / http_response_read_all(r, HTTP_MANIFEST_MAX, ...)
 *   http_response_free(r);                 // returns the connection to
 *                                          // the pool if the body was read
 *
 * Redirects 301/302/303/307/308 are followed up to 10 times (303, and
 * 301/302 after a POST, continue as GET without body).  Authorization and
 * Cookie headers go ONLY to the origin (scheme, host, port) of the URL the
 * caller asked for: a redirect to object storage with a signed URL never
 * sees the registry token.  A redirect from https to plain http is refused.
 *
 * Keep-alive: one idle connection per origin (and TLS config) is kept, up
 * to HTTP_POOL_MAX origins.  A reused connection the server closed in the
 * meantime is noticed and an idempotent request (GET, HEAD, PUT, DELETE,
 * OPTIONS) is sent once more on a new one.
 *
 * Proxies: https URLs go through https_proxy with CONNECT, http URLs
 * through http_proxy with absolute-URI requests (all_proxy stands in for
 * either); no_proxy exempts hosts (net.h has the rules).  Errors on the way
 * to a proxy name it and the variable it came from.
 *
 * Deadlines: each response's head -- connecting (through the proxy too),
 * the TLS handshake, sending the request, reading the head -- must be done
 * within head_timeout_ms of starting; a body must then bring at least
 * min_rate bytes a second averaged over every rate_window_ms (curl's
 * speed-limit and speed-time).  Each expiry is one message naming the host
 * and what was slow:
 *   "connect to 'h' port N: timed out after 60 s"
 *   "tls handshake with 'h' port N not done within 60 s"
 *   "no complete response head from 'h' port N within 60 s"
 *   "'h' port N sent 812 bytes in 60 s, under the minimum of 1000 bytes/s"
 *
 * Truncation: a body that ends before its Content-Length or its last chunk,
 * or one delimited by the connection's end over TLS without the server's
 * close_notify, is an error; http_response_dropped() then says the
 * connection ended or was reset under it (so a caller may resume).
 *
 * Errors start with the method and the URL WITHOUT its query string
 * (signed URLs carry secrets there), e.g.
 *   "GET https://r.example/v2/x/blobs/sha256:12..: connect to 'r.example'
 *    port 443: Connection refused".
 * Header values the caller passes (credentials) are never put in messages.
 *
 * Secrets: the buffers that hold a request head (Authorization, Cookie,
 * Proxy-Authorization) are sized once and wiped before they are freed.
 *
 * Ownership: http_client_free() closes every pooled connection; a response
 * must be freed before its client.  Strings a response hands out (URL,
 * reason, header values) live until http_response_free().  Reason phrases
 * and header values are the server's bytes: quote them in messages only
 * escaped.  *_free(NULL) is a no-op.  Not thread-safe: one client per
 * thread. */
#ifndef SC_HTTP_H
#define SC_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "net.h"

struct tls_config;

#define HTTP_HEAD_MAX 65536         /* status line + headers + blank line */
#define HTTP_MAX_HEADERS 100
#define HTTP_URL_MAX 16384          /* signed object-storage URLs are long */
#define HTTP_MAX_REDIRECTS 10
#define HTTP_MANIFEST_MAX ((size_t)4 << 20)
#define HTTP_HEAD_TIMEOUT_MS 60000  /* default deadline for a response head */
#define HTTP_RATE_WINDOW_MS 60000   /* default window of the minimum rate */
#define HTTP_MIN_RATE 1000          /* default minimum body rate, bytes/s */
#define HTTP_POOL_MAX 8             /* idle connections kept, one per origin */
#define HTTP_CHUNK_LINE_MAX 4096    /* chunk size line, extensions included */
#define HTTP_TRAILER_MAX 65536      /* all trailer lines of a chunked body */

/* An RFC 9110 field-value byte: HTAB, SP, VCHAR, obs-text. */
int http_field_byte(int c);

/* ---- URLs ---- */

struct http_url {
	int https;
	char host[NET_HOST_MAX + 1]; /* lower case; IPv6 without brackets */
	unsigned port;               /* given, else 80 / 443 */
	const char *target;          /* path[?query] within the parsed string
	                                (NOT NUL-terminated; "?q" when the URL
	                                has a query but no path), or the
	                                constant "/" when it has neither */
	size_t target_len;
};

/* Parse an absolute http:// or https:// URL from s[0..len).  Rejected:
 * other schemes, userinfo ("user@host"), an empty or malformed host, port 0
 * or > 65535, control characters, spaces and bytes >= 0x7f (we send the
 * target as is), longer than HTTP_URL_MAX.  A "#fragment" is dropped.
 * Messages never quote the URL (it may hold credentials). */
int http_url_parse(const char *s, size_t len, struct http_url *u, struct err *e);
/* Resolve a Location value ref[0..reflen) against the absolute URL base
 * (RFC 3986: absolute, "//host/..", "/path", "path", "?query"; dot segments
 * removed).  *out is a malloc'd absolute URL the caller frees. */
int http_url_resolve(const char *base, const char *ref, size_t reflen, char **out,
		     struct err *e);
/* url without userinfo, query and fragment, for messages.  Always
 * NUL-terminates out (truncating with "..." if needed). */
void http_url_redact(const char *url, char *out, size_t outsz);
/* Same scheme, host and port. */
int http_url_same_origin(const struct http_url *a, const struct http_url *b);

/* ---- response head ---- */

struct http_field {
	const char *name;
	const char *value;
};

struct http_hfield {
	const char *name, *value; /* into the parsed buffer; not NUL-terminated */
	size_t name_len, value_len; /* value without surrounding whitespace */
};

struct http_head {
	int minor;                /* HTTP/1.<minor>: 0 or 1 */
	int status;               /* 100..999 */
	const char *reason;
	size_t reason_len;
	size_t nfields;
	struct http_hfield fields[HTTP_MAX_HEADERS];
	int64_t content_length;   /* -1 when absent */
	int chunked;              /* Transfer-Encoding: chunked */
	int close;                /* the connection ends after this response */
	size_t len;               /* bytes of the head, blank line included */
};

/* Length of the head at the start of buf (through the empty line that
 * ends it; lines end in CRLF or LF), or 0 when it is not complete yet. */
size_t http_head_end(const char *buf, size_t len);
/* Parse a complete head buf[0..len) (len as from http_head_end, at most
 * HTTP_HEAD_MAX).  Refused: anything but HTTP/1.0 or 1.1, a status outside
 * 100..999, control characters, a header name that is not a token or is
 * followed by whitespace before ':', obsolete line folding, more than
 * HTTP_MAX_HEADERS fields, Content-Length values that are not digits or
 * disagree with each other, a Transfer-Encoding other than "chunked".
 * With both Transfer-Encoding and Content-Length, chunked wins and the
 * connection is closed afterwards (RFC 9112 6.3). */
int http_head_parse(const char *buf, size_t len, struct http_head *h, struct err *e);
/* The nth (0-based) field called name (case-insensitive), or NULL. */
const struct http_hfield *http_head_find(const struct http_head *h, const char *name,
					 size_t nth);

/* ---- chunked transfer coding ---- */

struct http_chunked {
	int state;
	uint64_t left;            /* data bytes left in the current chunk */
	size_t line;              /* bytes of the current size/trailer line */
	size_t trailer;           /* bytes of trailer so far */
	int digits;               /* hex digits of the current size */
};

void http_chunked_init(struct http_chunked *c);
/* Decode in[0..len): data bytes are copied to out (room for len bytes; out
 * may equal in: output never overtakes input).  *consumed is how much of in
 * was used (less than len only once the body is complete), *produced how
 * many data bytes were written.  Returns 1 when the last chunk and the
 * trailers are complete, 0 when more input is needed, -1 on a malformed
 * body (bad or overflowing size, size line over HTTP_CHUNK_LINE_MAX,
 * missing CRLF after data, trailers over HTTP_TRAILER_MAX).  Chunk
 * extensions and trailer fields are skipped. */
int http_chunked_feed(struct http_chunked *c, const char *in, size_t len, char *out,
		      size_t *consumed, size_t *produced, struct err *e);
/* 1 once the whole chunked body has been decoded. */
int http_chunked_done(const struct http_chunked *c);

/* ---- client ---- */

struct http_client;
struct http_response;

struct http_client_options {
	int head_timeout_ms;      /* <= 0: HTTP_HEAD_TIMEOUT_MS (see above) */
	int rate_window_ms;       /* <= 0: HTTP_RATE_WINDOW_MS */
	unsigned min_rate;        /* 0: HTTP_MIN_RATE bytes/s */
	struct tls_config *tls;   /* borrowed; used for every https URL unless
	                             tls_for picks another; NULL: https fails */
	/* optional: the TLS config for one host (e.g. certs.d/HOST:PORT); NULL
	 * from it means "use tls" */
	struct tls_config *(*tls_for)(void *arg, const char *host, unsigned port);
	void *tls_arg;
	const struct net_proxy_env *proxy; /* copied; NULL: from the environment */
	const char *user_agent;   /* NULL: "syscontainer/VERSION" */
};

struct http_request {
	const char *method;       /* "GET", "HEAD", ... */
	const char *url;          /* absolute http(s) URL */
	const struct http_field *headers; /* no Host, Content-Length, Connection
	                             or Transfer-Encoding: the client sets those */
	size_t nheaders;
	const void *body;         /* sent with Content-Length; may be NULL */
	size_t body_len;
	int max_redirects;        /* 0: HTTP_MAX_REDIRECTS; < 0: don't follow */
};

int http_client_new(const struct http_client_options *o, struct http_client **out,
		    struct err *e);
void http_client_free(struct http_client *c);

/* How far the last http_request() got on its last hop, so a caller can
 * tell "nothing answers there" from "something answered, but not HTTP". */
enum http_stage {
	HTTP_STAGE_CONNECT,       /* resolving, connecting, a proxy's CONNECT */
	HTTP_STAGE_TLS,           /* the TLS handshake */
	HTTP_STAGE_SEND,          /* sending the request */
	HTTP_STAGE_HEAD,          /* reading and parsing the response head */
	HTTP_STAGE_DONE,          /* a response head arrived */
};
enum http_stage http_client_stage(const struct http_client *c);

/* Send the request, follow redirects, and read the final response's head.
 * Any status is a success here (the caller decides what a 404 means); the
 * body is not read yet.  A redirect without Location is returned as is. */
int http_request(struct http_client *c, const struct http_request *rq,
		 struct http_response **out, struct err *e);

int http_response_status(const struct http_response *r);
/* The reason phrase (NUL-terminated, may be ""). */
const char *http_response_reason(const struct http_response *r);
/* The URL this response came from, after redirects. */
const char *http_response_url(const struct http_response *r);
/* The nth (0-based) header called name, NUL-terminated, or NULL. */
const char *http_response_header_nth(const struct http_response *r, const char *name,
				     size_t nth);
/* Same as http_response_header_nth(r, name, 0). */
const char *http_response_header(const struct http_response *r, const char *name);
/* The Content-Length announced (for HEAD too), or -1 (chunked, or none). */
int64_t http_response_content_length(const struct http_response *r);
/* Demand a body of exactly n bytes: fails at once when the announced
 * Content-Length differs, and later reads fail as soon as the body turns
 * out longer or ends shorter. */
int http_response_expect_length(struct http_response *r, uint64_t n, struct err *e);
/* Read up to len body bytes: > 0, 0 at the end of the body, -1. */
ssize_t http_response_read(struct http_response *r, void *buf, size_t len, struct err *e);
/* Deliver the whole body to cb in pieces as it arrives (never buffered
 * whole).  cb returns 0, or -1 after filling e, which stops the stream. */
int http_response_stream(struct http_response *r,
			 int (*cb)(void *arg, const void *data, size_t len, struct err *e),
			 void *arg, struct err *e);
/* Read the whole body into a malloc'd, NUL-terminated buffer (*len
 * excludes the NUL); more than max bytes is an error, refused before
 * reading when Content-Length says so.  Caller frees *out. */
int http_response_read_all(struct http_response *r, size_t max, char **out, size_t *len,
			   struct err *e);
/* The same, for a body that is a secret (a token): every buffer it passed
 * through is wiped before it is freed. */
int http_response_read_secret(struct http_response *r, size_t max, char **out, size_t *len,
			      struct err *e);
/* 1 when reading the body failed because the connection ended or was reset
 * before the body was complete. */
int http_response_dropped(const struct http_response *r);
/* Free; an unread body closes the connection instead of pooling it. */
void http_response_free(struct http_response *r);

#endif
