/* The OCI distribution API: manifests, indexes and blobs from a registry
 * (Docker Hub, Quay, GHCR, Harbor, distribution on a LAN address).
 *
 * Two halves:
 *
 * Pure readers (registry_manifest.c; no I/O, bounded, no NUL needed):
 *   registry_manifest_parse   an image manifest (OCI, Docker schema 2) or an
 *                             index (OCI index, Docker manifest list)
 *   registry_platform_*       "os/arch[/variant]", normalised as containerd
 *                             does, and the choice of an index entry
 *
 * Client (registry.c, over http.h and auth.h):
 *   struct registry *r;
 *   registry_open(&opts, &r, e);        // TLS set-up, /v2/ ping, auth scheme
 *   registry_get_manifest(r, "latest", &body, &len, ctype, sizeof ctype, e);
 *   registry_get_blob_all(r, digest, size, max, &buf, &len, e);   // config
 *   registry_get_blob(r, digest, size, feed, ctx, e);             // layers
 *   registry_free(r);
 *
 * Transport: HTTPS with the system CAs (the target's bundle first under
 * --root), plus the CA files (*.crt) and client pairs (*.cert + *.key) of
 * --cert-dir DIR, or else of the first existing certs.d directory among
 * ROOT/etc/containers/certs.d/HOST[:PORT], ROOT/etc/docker/certs.d/HOST[:PORT]
 * (under --root ROOT only), /etc/containers/certs.d/HOST[:PORT],
 * /etc/docker/certs.d/HOST[:PORT].  A certificate from an unknown CA is
 * refused with the directories looked in and a mention of --cert-dir.
 *
 * Schemes: tls_verify = 0 (--tls-verify=false, insecure = true in
 * registries.conf) skips certificate checks and allows plain HTTP: https is
 * tried first, and http when the TLS handshake fails.  plain_first (the
 * http: prefix) tries plain HTTP first, and https (unverified) when an
 * HTTPS server answers there.  Without either, a registry that speaks plain
 * HTTP is refused: "registry 'H' speaks plain HTTP: pass --tls-verify=false
 * to allow it".  Messages show the URL of the scheme actually used.
 *
 * Deadlines: timeout_s (--timeout) bounds each response head and is the
 * window of the minimum body rate (http.h); 0 keeps the defaults.
 *
 * Retries: connection resets and HTTP 408/429/500/502/503/504 are retried
 * with exponential backoff (or the Retry-After the server asks for), at most
 * REGISTRY_RETRIES more times and REGISTRY_RETRY_BUDGET_MS of waiting in all
 * per request.
 *
 * Resume: a blob whose connection drops (closed early or reset) is asked
 * for again from the first byte not yet fed, with Range, at most
 * REGISTRY_RESUMES times; the feed's hash state simply carries on.  A server
 * that ignores Range (200) or answers with another Content-Range than asked
 * is read from its first byte again, the bytes already fed dropped (the
 * digest check covers every byte either way).  Each resume asks the
 * registry afresh, so a redirect to object storage gets a new signed URL;
 * a redirect target that refuses (400, 401, 403, 404, 410: an expired
 * signature) is also asked for through the registry once more.
 *
 * Credentials (auth.h) never appear in any message.
 *
 * Server-chosen text (reason phrases, error documents) is shown with
 * control characters as '?'.
 *
 * Ownership: registry_free() frees everything registry_open() made
 * (NULL is a no-op); bodies handed out are malloc'd and the caller's. */
#ifndef SC_REGISTRY_H
#define SC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct auth_creds;

/* ---- media types ---- */

#define REGISTRY_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REGISTRY_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REGISTRY_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REGISTRY_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define REGISTRY_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define REGISTRY_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define REGISTRY_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* The Accept header of manifest requests: every kind we read. */
#define REGISTRY_MANIFEST_ACCEPT \
	REGISTRY_MT_OCI_MANIFEST ", " REGISTRY_MT_DOCKER_MANIFEST ", " \
	REGISTRY_MT_OCI_INDEX ", " REGISTRY_MT_DOCKER_LIST

enum {
	REGISTRY_MANIFEST_MAX = 4 << 20,   /* bytes of a manifest or index */
	REGISTRY_INDEX_MAX = 1024,         /* entries of an index */
	REGISTRY_LAYERS_MAX = 256,         /* layers of a manifest (IMAGE_MAX_LAYERS) */
	REGISTRY_MANIFEST_TOKENS = 1 << 16,
	REGISTRY_RETRIES = 4,
	REGISTRY_RETRY_BUDGET_MS = 60000,
	REGISTRY_RESUMES = 5,              /* per blob */
};

/* ---- platforms ---- */

struct registry_platform {
	char os[32];
	char arch[32];
	char variant[16];
};

/* Parse "os/arch[/variant]" from s[0..len) and normalise it.  A usage
 * error (exit 2) names what is wrong. */
int registry_platform_parse(const char *s, size_t len, struct registry_platform *p,
			    struct err *e);
/* Normalise in place as containerd does: lower case; x86_64, x86-64 ->
 * amd64 (variant v1 -> none); aarch64 -> arm64 (variant 8, v8 -> none);
 * armhf -> arm/v7, armel -> arm/v6, arm without variant -> arm/v7,
 * arm/N -> arm/vN; i386 -> 386; macos -> darwin. */
void registry_platform_normalize(struct registry_platform *p);
/* "os/arch" or "os/arch/variant". */
void registry_platform_format(const struct registry_platform *p, char *out, size_t outsz);
/* The index of the entry of offers[0..n) that best runs on want (both
 * normalised): os and arch equal, and the variant equal, or for arm the
 * next older one (v8, v7, v6, v5 in that order of preference).  -1 when
 * none does.  Pure. */
long registry_platform_choose(const struct registry_platform *offers, size_t n,
			      const struct registry_platform *want);
/* The host's platform from uname(2), normalised ("linux/amd64"). */
int registry_platform_host(struct registry_platform *p, struct err *e);

/* ---- manifests and indexes ---- */

struct registry_desc {
	char media_type[128];
	char digest[72];              /* "sha256:<64 lowercase hex>" */
	int64_t size;
	int has_platform;             /* index entries only */
	struct registry_platform platform; /* normalised */
};

enum registry_manifest_kind { REGISTRY_IMAGE, REGISTRY_INDEX };

struct registry_manifest {
	enum registry_manifest_kind kind;
	char media_type[128];         /* from the document, else the Content-Type */
	struct registry_desc config;  /* REGISTRY_IMAGE */
	size_t n;                     /* layers (IMAGE) or manifests (INDEX) */
	struct registry_desc *desc;
};

/* Read a manifest or index from buf[0..len).  content_type (NULL or the
 * response's Content-Type, parameters allowed) is used when the document
 * has no mediaType of its own.  Refused, each with a message naming it:
 * invalid JSON, schema 1 ("unsupported legacy manifest (schema 1)"), an
 * unknown document type, a schemaVersion other than 2, descriptors without
 * a sha256 digest or a size >= 0, an image manifest whose config is not an
 * image config, layers whose media type is not tar or tar+gzip (OCI and
 * Docker names: "layer 2: unsupported media type '...tar+zstd'"), more than
 * REGISTRY_LAYERS_MAX layers or REGISTRY_INDEX_MAX index entries, more than
 * REGISTRY_MANIFEST_MAX bytes.  Index entries whose media type is not an
 * image manifest are kept (the platform choice skips them); an entry's
 * platform is normalised.  *out is malloc'd; free with
 * registry_manifest_free(). */
int registry_manifest_parse(const char *buf, size_t len, const char *content_type,
			    struct registry_manifest **out, struct err *e);
void registry_manifest_free(struct registry_manifest *m);
/* 1 when a layer media type is one we import (gzip or plain tar). */
int registry_layer_type_ok(const char *media_type);
/* Pick the entry of an index for want; the message lists what the index
 * offers when nothing matches:
 *   "no image for linux/riscv64 in the index; it offers linux/amd64, linux/arm64" */
int registry_index_choose(const struct registry_manifest *ix,
			  const struct registry_platform *want, size_t *out, struct err *e);

/* ---- client ---- */

/* Says one -v line (msg without a trailing newline). */
typedef void (*registry_note_fn)(void *ctx, const char *msg);

struct registry_options {
	const char *registry;         /* the endpoint as in a reference:
	                                 "docker.io", "127.0.0.1:5000" (certs.d,
	                                 credentials, messages) */
	const char *api_host;         /* where to talk to: imgref_api_host() */
	const char *path;             /* repository path: "library/busybox" */
	int tls_verify;               /* 0: no certificate checks, plain HTTP allowed */
	int plain_first;              /* try plain HTTP before HTTPS (http:) */
	const char *cert_dir;         /* --cert-dir, or NULL for certs.d */
	const char *root;             /* --root: certs.d and CAs there first */
	const struct auth_creds *creds; /* NULL: none (anonymous) */
	int timeout_s;                /* --timeout; 0: the defaults */
	registry_note_fn note;        /* NULL: say nothing */
	void *note_ctx;
};

struct registry;

/* Set up TLS and the HTTP client, ping /v2/ (choosing https or, when
 * allowed, http) and learn the auth scheme from its WWW-Authenticate. */
int registry_open(const struct registry_options *o, struct registry **out, struct err *e);
void registry_free(struct registry *r);
/* Another client for the registry r talks to, with r's scheme, trust and
 * auth state (its tokens copied) and a connection of its own: r and the
 * clone may then be used on different threads.  No request is made. */
int registry_clone(const struct registry *r, struct registry **out, struct err *e);

/* GET /v2/PATH/manifests/REF (a tag or a digest) with every manifest type
 * accepted; at most REGISTRY_MANIFEST_MAX bytes.  *body is malloc'd
 * (NUL-terminated, *len without it); the Content-Type goes to ctype ("" when
 * none).  HTTP errors become messages from the registry's error document:
 * "manifest 'test/x:t' not found on '127.0.0.1:5000' (MANIFEST_UNKNOWN)". */
int registry_get_manifest(struct registry *r, const char *ref, char **body, size_t *len,
			  char *ctype, size_t ctypesz, struct err *e);
/* GET a small blob whole (the config): exactly size bytes, at most max. */
int registry_get_blob_all(struct registry *r, const char *digest, int64_t size, size_t max,
			  char **out, size_t *len, struct err *e);
/* Stream a blob's bytes as served to feed.  A Content-Length other than
 * size (when size >= 0) is refused before any byte is read. */
int registry_get_blob(struct registry *r, const char *digest, int64_t size,
		      int (*feed)(void *ctx, const void *buf, size_t len, struct err *e),
		      void *ctx, struct err *e);
/* The scheme in use after registry_open(): "https" or "http". */
const char *registry_scheme(const struct registry *r);

#endif
