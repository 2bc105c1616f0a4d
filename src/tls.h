/* TLS client on mbedtls 2.28, over a connected socket from net.c.
 *
 * A struct tls_config holds what all connections to one registry share:
 * the trusted CAs (the system bundle, plus extra CA files such as
 * certs.d/HOST/NAME.crt), client certificate/key pairs, and the random
 * generator (CTR_DRBG seeded from getrandom(), or /dev/urandom on kernels
 * without it: a chroot or an initramfs without /dev works).  TLS 1.2 is the
 * minimum; SNI is sent for host names (never for address literals, RFC
 * 6066).
 *
 * The system bundle is the first of tls_system_ca_files (then the directory
 * /etc/ssl/certs) that yields a certificate, looked for under the options'
 * root first (--root: the target's own bundle), then on the running system.
 *
 * Verification: the chain must lead to a trusted CA and the certificate
 * must name the host.  mbedtls 2.28 matches only DNS names, so for an
 * address literal ("127.0.0.1", "::1") a verify callback checks the
 * certificate's iPAddress subjectAltNames against the address itself.
 *
 * The clock: boards without a real-time clock boot in 1970, where every
 * certificate looks "not yet valid".  Validity dates are checked against
 * the later of the system clock and this program's build date (the clock
 * floor systemd applies at boot), so a clock in 1970 does not stop a pull;
 * a certificate issued after the build still needs a set clock.  The build
 * date is SC_BUILD_EPOCH (seconds, when the build defines it) else the
 * compiler's __DATE__ (which GCC and clang take from $SOURCE_DATE_EPOCH
 * when set, for reproducible builds), minus one day so no time zone trips
 * it.
 *
 * Failures read:
 *   certificate for 'h' expired on 2021-01-01 00:00:00 UTC
 *   certificate for 'h' is not valid before 2031-01-01 00:00:00 UTC
 *   certificate for 'h' is not signed by a trusted CA
 *   certificate for 'h' does not match: it is for 'a', 'b'
 * Names from certificates are shown with control characters as '?'.
 * tls_config_last_failure() says what kind the last failure was, so
 * callers decide by it, never by the text.
 *
 * Deadlines are absolute times on net_now_ms()'s clock.
 *
 * Ownership: tls_config_free() frees the config, which must outlive every
 * tls_conn made from it; tls_close() frees a connection but never closes
 * its fd (the caller does).  Both are no-ops on NULL.  A config and its
 * connections are not thread-safe (they share one DRBG): use one config
 * per thread. */
#ifndef SC_TLS_H
#define SC_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

#define TLS_MAX_CLIENT_CERTS 4

struct tls_config;
struct tls_conn;

struct tls_options {
	int insecure;      /* skip certificate verification entirely
	                      (--tls-verify=false); no CAs are loaded */
	int no_system_cas; /* trust only what tls_config_add_ca_file() adds */
	const char *root;  /* look for the system bundle under this directory
	                      first (--root); NULL: the running system only */
};

/* The system CA bundles looked for, in order; the first that yields at
 * least one certificate is used (then the directory /etc/ssl/certs). */
extern const char *const tls_system_ca_files[];

/* What the last tls_connect() on a config failed on. */
enum tls_failure {
	TLS_OK,
	TLS_FAIL_HANDSHAKE,   /* the peer does not speak TLS, refused us, or
	                         went away during the handshake */
	TLS_FAIL_UNTRUSTED,   /* the chain leads to no trusted CA */
	TLS_FAIL_VERIFY,      /* any other verification failure */
};

/* Create a config; o may be NULL (verify, system CAs).  A missing system
 * bundle is not an error here: a verified handshake without any trusted CA
 * fails later, as with any unknown CA (TLS_FAIL_UNTRUSTED). */
int tls_config_new(const struct tls_options *o, struct tls_config **out, struct err *e);
void tls_config_free(struct tls_config *c);
/* Trust the PEM or DER certificates in path.  Succeeds when at least one
 * certificate in the file parses. */
int tls_config_add_ca_file(struct tls_config *c, const char *path, struct err *e);
/* Present this certificate (chain) and key when a server asks for one.
 * The key must match the certificate.  mbedtls 2.28 clients present the
 * FIRST pair added; later pairs are kept but unused. */
int tls_config_add_client_cert(struct tls_config *c, const char *cert_path,
			       const char *key_path, struct err *e);
/* Number of trusted CA certificates loaded. */
int tls_config_ca_count(const struct tls_config *c);
/* The system bundle loaded ("" when none), for -v. */
const char *tls_config_bundle(const struct tls_config *c);
/* The kind of the last tls_connect() failure on c (TLS_OK after a
 * success). */
enum tls_failure tls_config_last_failure(const struct tls_config *c);

/* Handshake over fd (connected, non-blocking) with host, the name or
 * address literal (IPv6 without brackets) the user asked for, before
 * deadline.  On failure *out is NULL and e says why. */
int tls_connect(struct tls_config *c, int fd, const char *host, int64_t deadline,
		struct tls_conn **out, struct err *e);
/* Read up to len decrypted bytes: > 0, 0 at the end of the stream (close
 * notify or EOF), -1 with e set. */
ssize_t tls_recv(struct tls_conn *t, void *buf, size_t len, int64_t deadline, struct err *e);
/* 1 when the end of the stream came with the peer's close_notify, 0 when
 * the connection just ended (possibly a truncation). */
int tls_closed_cleanly(const struct tls_conn *t);
/* Send all len bytes.  0 or -1. */
int tls_send_all(struct tls_conn *t, const void *buf, size_t len, int64_t deadline,
		 struct err *e);
/* 1 when decrypted or undecrypted bytes are waiting inside the TLS layer
 * (an idle connection with pending data is not reusable). */
int tls_pending(const struct tls_conn *t);
/* Send close_notify (best effort, briefly) and free.  The fd stays open. */
void tls_close(struct tls_conn *t);

/* mbedtls' version string, e.g. "2.28.3". */
const char *tls_library_version(void);
/* The build date as a time_t (see above). */
time_t tls_build_epoch(void);

/* The clock floor, pure: the time certificates are checked at, the later
 * of now and built; *floored says whether built was later. */
time_t tls_check_time(time_t now, time_t built, int *floored);
enum { TLS_CERT_EXPIRED = 1, TLS_CERT_FUTURE = 2 };
/* The validity of [not_before, not_after] at time now: 0 or one of the
 * flags above.  Pure. */
int tls_validity(time_t not_before, time_t not_after, time_t now);
/* "YYYY-MM-DD" of t, for messages. */
void tls_format_day(time_t t, char *out, size_t outsz);

#endif
