/* TLS client on mbedtls 2.28; see tls.h. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "net.h"
#include "path.h"

#define SAN_DNS (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2) /* dNSName */
#define SAN_IP (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)  /* iPAddress */

const char *const tls_system_ca_files[] = {
	"/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",   /* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",             /* openSUSE */
	"/etc/ssl/cert.pem",                  /* Alpine, BSDs */
	NULL,
};

struct tls_config {
	mbedtls_ssl_config conf;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt cert[TLS_MAX_CLIENT_CERTS];
	mbedtls_pk_context key[TLS_MAX_CLIENT_CERTS];
	int ncerts;
	int insecure;
	enum tls_failure failure;
	char bundle[PATH_MAX];          /* the system bundle loaded, or "" */
};

/* What the verify callback saw, for the error message. */
struct verify_report {
	uint32_t flags;                 /* union over the chain */
	int expired_depth, future_depth;
	mbedtls_x509_time expired_to, future_from;
	char expired_subject[160];
	char names[512];                /* names of the end-entity certificate */
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	struct tls_config *cfg;
	int fd;
	int64_t deadline;
	int have_ioerr;
	int clean_eof;                  /* the peer sent close_notify */
	struct err ioerr;               /* cause of the last failed bio call */
	const char *host;               /* during the handshake only */
	unsigned char ip[16];           /* host as an address literal ... */
	size_t iplen;                   /* ... 4 or 16, or 0 for a name */
	time_t now;                     /* what validity is checked against */
	int floored;                    /* now is the build date, not the clock */
	struct verify_report rep;
};

const char *tls_library_version(void)
{
	return MBEDTLS_VERSION_STRING;
}

/* ---- build date and clock ---- */

time_t tls_build_epoch(void)
{
#ifdef SC_BUILD_EPOCH
	return (time_t)(SC_BUILD_EPOCH);
#else
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__; /* "Mmm dd yyyy" */
	struct tm tm = { 0 };
	const char *m = strstr(months, (char[4]){ d[0], d[1], d[2], 0 });

	tm.tm_mon = m ? (int)(m - months) / 3 : 0;
	tm.tm_mday = atoi(d + 4);
	tm.tm_year = atoi(d + 7) - 1900;
	/* __DATE__ is local time: start a day early so no time zone trips it */
	return timegm(&tm) - 86400;
#endif
}

time_t tls_check_time(time_t now, time_t built, int *floored)
{
	*floored = now < built;
	return now < built ? built : now;
}

int tls_validity(time_t not_before, time_t not_after, time_t now)
{
	if (now > not_after)
		return TLS_CERT_EXPIRED;
	if (now < not_before)
		return TLS_CERT_FUTURE;
	return 0;
}

void tls_format_day(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, outsz, "%Y-%m-%d", &tm))
		snprintf(out, outsz, "%lld s after 1970", (long long)t);
}

static time_t x509_time(const mbedtls_x509_time *x)
{
	struct tm tm = { .tm_year = x->year - 1900, .tm_mon = x->mon - 1, .tm_mday = x->day,
			 .tm_hour = x->hour, .tm_min = x->min, .tm_sec = x->sec };
	return timegm(&tm);
}

/* ---- entropy ---- */

/* getrandom() needs no /dev; /dev/urandom serves kernels before 3.17. */
static int entropy(void *arg, unsigned char *out, size_t len)
{
	int fd = -1;

	(void)arg;
	while (len) {
		ssize_t n = fd < 0 ? getrandom(out, len, 0) : read(fd, out, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && fd < 0 && errno == ENOSYS &&
		    (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0)
			continue;
		if (n <= 0) {
			if (fd >= 0)
				close(fd);
			return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
		}
		out += n;
		len -= (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* ---- config ---- */

static int mbed_err(struct err *e, int ret, const char *fmt, const char *arg)
{
	char msg[200], ctx[600];

	mbedtls_strerror(ret, msg, sizeof msg);
	snprintf(ctx, sizeof ctx, fmt, arg);
	return err_set(e, 0, "%s: %s", ctx, msg);
}

static int ca_count(const mbedtls_x509_crt *c)
{
	int n = 0;

	for (; c && c->version; c = c->next)
		n++;
	return n;
}

int tls_config_ca_count(const struct tls_config *c)
{
	return ca_count(&c->ca);
}

const char *tls_config_bundle(const struct tls_config *c)
{
	return c->bundle;
}

enum tls_failure tls_config_last_failure(const struct tls_config *c)
{
	return c->failure;
}

/* The first bundle under root (when given) that yields a certificate,
 * else the first on the running system. */
static void load_system_cas(struct tls_config *c, const char *root)
{
	char p[PATH_MAX];

	for (int pass = root && strcmp(root, "/") ? 0 : 1; pass < 2; pass++) {
		const char *pre = pass ? "" : root;
		for (int i = 0; tls_system_ca_files[i]; i++) {
			/* a name too long to open cannot hold a bundle */
			if (path_fmt(p, sizeof p, NULL, "%s%s", pre, tls_system_ca_files[i]) < 0)
				continue;
			/* > 0 means some certificates of the bundle did not parse
			 * (algorithms mbedtls lacks): the rest are still good */
			if (mbedtls_x509_crt_parse_file(&c->ca, p) >= 0 && ca_count(&c->ca) > 0) {
				snprintf(c->bundle, sizeof c->bundle, "%s", p);
				return;
			}
		}
		if (path_fmt(p, sizeof p, NULL, "%s/etc/ssl/certs", pre) < 0)
			continue;
		if (mbedtls_x509_crt_parse_path(&c->ca, p) >= 0 && ca_count(&c->ca) > 0) {
			snprintf(c->bundle, sizeof c->bundle, "%s", p);
			return;
		}
	}
}

static int config_setup(struct tls_config *c, struct err *e)
{
	static const char pers[] = "syscontainer tls";
	int ret;

	ret = mbedtls_ctr_drbg_seed(&c->drbg, entropy, NULL, (const unsigned char *)pers,
				    sizeof pers - 1);
	if (ret)
		return err_set(e, 0, "seed the random generator: neither getrandom() nor "
			       "/dev/urandom gave random bytes");
	ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret)
		return mbed_err(e, ret, "%s", "tls configuration");
	mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_authmode(&c->conf, c->insecure ? MBEDTLS_SSL_VERIFY_NONE
							: MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	return 0;
}

int tls_config_new(const struct tls_options *o, struct tls_config **out, struct err *e)
{
	struct tls_config *c = calloc(1, sizeof *c);

	*out = NULL;
	if (!c)
		return err_set(e, errno, "tls configuration");
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_ctr_drbg_init(&c->drbg);
	mbedtls_x509_crt_init(&c->ca);
	for (int i = 0; i < TLS_MAX_CLIENT_CERTS; i++) {
		mbedtls_x509_crt_init(&c->cert[i]);
		mbedtls_pk_init(&c->key[i]);
	}
	c->insecure = o && o->insecure;
	if (config_setup(c, e) < 0) {
		tls_config_free(c);
		return -1;
	}
	if (!c->insecure && !(o && o->no_system_cas))
		load_system_cas(c, o ? o->root : NULL);
	*out = c;
	return 0;
}

void tls_config_free(struct tls_config *c)
{
	if (!c)
		return;
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_x509_crt_free(&c->ca);
	for (int i = 0; i < TLS_MAX_CLIENT_CERTS; i++) {
		mbedtls_x509_crt_free(&c->cert[i]);
		mbedtls_pk_free(&c->key[i]);
	}
	free(c);
}

int tls_config_add_ca_file(struct tls_config *c, const char *path, struct err *e)
{
	int before = ca_count(&c->ca);
	int ret = mbedtls_x509_crt_parse_file(&c->ca, path);

	if (ret < 0)
		return mbed_err(e, ret, "CA file '%s'", path);
	if (ca_count(&c->ca) == before)
		return err_set(e, 0, "CA file '%s': no certificate could be parsed", path);
	return 0;
}

int tls_config_add_client_cert(struct tls_config *c, const char *cert_path,
			       const char *key_path, struct err *e)
{
	int i = c->ncerts, ret, mismatch = 0;

	if (i == TLS_MAX_CLIENT_CERTS)
		return err_set(e, 0, "client certificate '%s': more than %d pairs", cert_path,
			       TLS_MAX_CLIENT_CERTS);
	ret = mbedtls_x509_crt_parse_file(&c->cert[i], cert_path);
	if (ret)
		goto bad_cert;
	ret = mbedtls_pk_parse_keyfile(&c->key[i], key_path, NULL);
	if (ret) {
		mbedtls_x509_crt_free(&c->cert[i]);
		mbedtls_x509_crt_init(&c->cert[i]);
		return mbed_err(e, ret, "client key '%s'", key_path);
	}
	mismatch = mbedtls_pk_check_pair(&c->cert[i].pk, &c->key[i]) != 0;
	ret = mismatch ? 0 : mbedtls_ssl_conf_own_cert(&c->conf, &c->cert[i], &c->key[i]);
	if (mismatch || ret) {
		mbedtls_pk_free(&c->key[i]);
		mbedtls_pk_init(&c->key[i]);
		goto bad_cert;
	}
	c->ncerts++;
	return 0;
bad_cert:
	if (ret > 0)
		ret = MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
	mbedtls_x509_crt_free(&c->cert[i]);
	mbedtls_x509_crt_init(&c->cert[i]);
	if (mismatch)
		return err_set(e, 0, "client certificate '%s' does not match key '%s'",
			       cert_path, key_path);
	return mbed_err(e, ret, "client certificate '%s'", cert_path);
}

/* ---- verification ---- */

static int ip_san_match(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t len)
{
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s; s = s->next)
		if (s->buf.tag == SAN_IP && s->buf.len == len && !memcmp(s->buf.p, ip, len))
			return 1;
	return 0;
}

/* Append "'name'" to a comma-separated list; "..." once it is full. */
static void add_name(char *list, size_t size, const char *name, size_t len)
{
	size_t used = strlen(list);

	if (used + len + 8 >= size) {
		if (used + 6 < size && (used < 3 || strcmp(list + used - 3, "...")))
			strcpy(list + used, used ? ", ..." : "...");
		return;
	}
	used += (size_t)snprintf(list + used, size - used, "%s'", used ? ", " : "");
	/* names come from the server: nothing but printable ASCII in messages */
	for (size_t i = 0; i < len; i++)
		list[used++] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	strcpy(list + used, "'");
}

/* The names an end-entity certificate is for: SAN DNS names and addresses,
 * else its subject CN (what mbedtls falls back to). */
static void describe_names(const mbedtls_x509_crt *crt, char *list, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	list[0] = '\0';
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		if (s->buf.tag == SAN_DNS)
			add_name(list, size, (const char *)s->buf.p, s->buf.len);
		else if (s->buf.tag == SAN_IP && (s->buf.len == 4 || s->buf.len == 16) &&
			 inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6, s->buf.p, a, sizeof a))
			add_name(list, size, a, strlen(a));
	}
	if (list[0])
		return;
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (n->oid.p && !MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid))
			add_name(list, size, (const char *)n->val.p, n->val.len);
}

/* Called for each certificate of the chain, the root first, the server's
 * own (depth 0) last.  Validity dates are ours to check: mbedtls compares
 * them with the raw clock, we with the clock floor. */
static int verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls_conn *t = arg;
	struct verify_report *r = &t->rep;
	int v = tls_validity(x509_time(&crt->valid_from), x509_time(&crt->valid_to), t->now);

	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	if (v == TLS_CERT_EXPIRED)
		*flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	if (v == TLS_CERT_FUTURE)
		*flags |= MBEDTLS_X509_BADCERT_FUTURE;
	if (depth == 0 && t->iplen) {
		/* mbedtls was given no host name to check (it cannot match
		 * addresses): the address check is ours */
		if (ip_san_match(crt, t->ip, t->iplen))
			*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
		else
			*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	}
	if (depth == 0)
		describe_names(crt, r->names, sizeof r->names);
	if (*flags & MBEDTLS_X509_BADCERT_EXPIRED) {
		r->expired_depth = depth;
		r->expired_to = crt->valid_to;
		mbedtls_x509_dn_gets(r->expired_subject, sizeof r->expired_subject, &crt->subject);
	}
	if (*flags & MBEDTLS_X509_BADCERT_FUTURE) {
		r->future_depth = depth;
		r->future_from = crt->valid_from;
	}
	r->flags |= *flags;
	return 0;
}

static void fmt_time(const mbedtls_x509_time *t, char *out, size_t size)
{
	snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d UTC", t->year, t->mon, t->day,
		 t->hour, t->min, t->sec);
}

static int verify_error(const struct tls_conn *t, struct err *e)
{
	const struct verify_report *r = &t->rep;
	char when[48], info[512];

	if (r->flags & MBEDTLS_X509_BADCERT_EXPIRED) {
		fmt_time(&r->expired_to, when, sizeof when);
		if (r->expired_depth)
			return err_set(e, 0, "certificate for '%s': CA certificate '%s' expired on %s",
				       t->host, r->expired_subject, when);
		return err_set(e, 0, "certificate for '%s' expired on %s", t->host, when);
	}
	if (r->flags & MBEDTLS_X509_BADCERT_FUTURE) {
		char clock[32], floor[32];
		fmt_time(&r->future_from, when, sizeof when);
		if (!t->floored)
			return err_set(e, 0, "certificate for '%s' is not valid before %s", t->host, when);
		tls_format_day(time(NULL), clock, sizeof clock);
		tls_format_day(t->now, floor, sizeof floor);
		return err_set(e, 0, "certificate for '%s' is not valid before %s (the system clock "
			       "says %s, so certificates are checked as of this program's build, %s: "
			       "set the clock)", t->host, when, clock, floor);
	}
	if (r->flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		t->cfg->failure = TLS_FAIL_UNTRUSTED;
		return err_set(e, 0, "certificate for '%s' is not signed by a trusted CA", t->host);
	}
	if (r->flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
		if (!r->names[0])
			return err_set(e, 0, "certificate for '%s' does not match: it names no host",
				       t->host);
		return err_set(e, 0, "certificate for '%s' does not match: it is for %s", t->host,
			       r->names);
	}
	if (mbedtls_x509_crt_verify_info(info, sizeof info, "", r->flags) < 0)
		info[0] = '\0';
	info[strcspn(info, "\n")] = '\0';
	return err_set(e, 0, "certificate for '%s' failed verification: %s", t->host,
		       info[0] ? info : "unknown reason");
}

/* ---- I/O through net.c, with our timeouts ---- */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = arg;
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	n = net_send(t->fd, buf, len, t->deadline, &t->ioerr);
	if (n < 0) {
		t->have_ioerr = 1;
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
	return (int)n;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_conn *t = arg;
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	n = net_recv(t->fd, buf, len, t->deadline, &t->ioerr);
	if (n < 0) {
		t->have_ioerr = 1;
		return MBEDTLS_ERR_NET_RECV_FAILED;
	}
	return (int)n;
}

/* An mbedtls failure as our error: the socket's own cause when there is
 * one, mbedtls' text otherwise. */
static int io_error(struct tls_conn *t, int ret, struct err *e)
{
	char msg[200];

	if (t->have_ioerr && (ret == MBEDTLS_ERR_NET_SEND_FAILED ||
			      ret == MBEDTLS_ERR_NET_RECV_FAILED)) {
		*e = t->ioerr;
		t->have_ioerr = 0;
		return -1;
	}
	mbedtls_strerror(ret, msg, sizeof msg);
	return err_set(e, 0, "tls: %s", msg);
}

static int handshake_error(struct tls_conn *t, int ret, struct err *e)
{
	static const struct { int code; const char *name; } alerts[] = {
		{ 40, "handshake failure" }, { 42, "bad certificate" },
		{ 46, "certificate unknown" }, { 48, "unknown CA" },
		{ 70, "protocol version" }, { 112, "unrecognized name" },
		{ 116, "certificate required" },
	};
	const char *name = "unknown alert";
	int code;

	t->cfg->failure = TLS_FAIL_HANDSHAKE;
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		t->cfg->failure = TLS_FAIL_VERIFY;
		return verify_error(t, e);
	}
	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		code = t->ssl.in_msg ? t->ssl.in_msg[1] : -1;
		for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
			if (alerts[i].code == code)
				name = alerts[i].name;
		err_set(e, 0, "the server refused (alert %d: %s)", code, name);
	} else {
		io_error(t, ret, e);
	}
	/* the server asked (CertificateRequest) and we had nothing to give:
	 * whatever the failure looks like, this is the likely reason */
	if (t->ssl.client_auth && !t->cfg->ncerts)
		err_wrap(e, "the server requires a client certificate and none is configured");
	return err_wrap(e, "tls handshake with '%s'", t->host);
}

int tls_connect(struct tls_config *c, int fd, const char *host, int64_t deadline,
		struct tls_conn **out, struct err *e)
{
	struct tls_conn *t;
	int ret;

	*out = NULL;
	/* no trusted CA at all (a bare initramfs) is found out by the
	 * handshake: "not signed by a trusted CA", like any unknown CA */
	c->failure = TLS_FAIL_HANDSHAKE;
	t = calloc(1, sizeof *t);
	if (!t)
		return err_set(e, errno, "tls handshake with '%s'", host);
	mbedtls_ssl_init(&t->ssl);
	t->cfg = c;
	t->fd = fd;
	t->deadline = deadline;
	t->host = host;
	t->now = tls_check_time(time(NULL), tls_build_epoch(), &t->floored);
	if (inet_pton(AF_INET, host, t->ip) == 1)
		t->iplen = 4;
	else if (inet_pton(AF_INET6, host, t->ip) == 1)
		t->iplen = 16;
	ret = mbedtls_ssl_setup(&t->ssl, &c->conf);
	/* a name: SNI, and mbedtls checks the DNS names; an address: no SNI
	 * (RFC 6066) and verify_cb checks the iPAddress names */
	if (!ret && !t->iplen)
		ret = mbedtls_ssl_set_hostname(&t->ssl, host);
	if (ret) {
		mbed_err(e, ret, "tls handshake with '%s'", host);
		goto fail;
	}
	if (!c->insecure)
		mbedtls_ssl_set_verify(&t->ssl, verify_cb, t);
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	ret = mbedtls_ssl_handshake(&t->ssl);
	if (ret) {
		handshake_error(t, ret, e);
		goto fail;
	}
	c->failure = TLS_OK;
	t->host = NULL;
	*out = t;
	return 0;
fail:
	mbedtls_ssl_free(&t->ssl);
	free(t);
	return -1;
}

ssize_t tls_recv(struct tls_conn *t, void *buf, size_t len, int64_t deadline, struct err *e)
{
	int ret;

	if (len > INT_MAX)
		len = INT_MAX;
	t->deadline = deadline;
	t->have_ioerr = 0;
	ret = mbedtls_ssl_read(&t->ssl, buf, len);
	if (ret >= 0)
		return ret;
	t->clean_eof = ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF)
		return 0;
	return io_error(t, ret, e);
}

int tls_closed_cleanly(const struct tls_conn *t)
{
	return t->clean_eof;
}

int tls_send_all(struct tls_conn *t, const void *buf, size_t len, int64_t deadline,
		 struct err *e)
{
	const unsigned char *p = buf;

	t->deadline = deadline;
	t->have_ioerr = 0;
	while (len) {
		int ret = mbedtls_ssl_write(&t->ssl, p, len);
		if (ret < 0)
			return io_error(t, ret, e);
		p += ret;
		len -= (size_t)ret;
	}
	return 0;
}

int tls_pending(const struct tls_conn *t)
{
	return mbedtls_ssl_get_bytes_avail(&t->ssl) > 0 || mbedtls_ssl_check_pending(&t->ssl);
}

void tls_close(struct tls_conn *t)
{
	if (!t)
		return;
	/* a courtesy: never wait long for it */
	t->deadline = net_now_ms() + 100;
	mbedtls_ssl_close_notify(&t->ssl);
	mbedtls_ssl_free(&t->ssl);
	free(t);
}
