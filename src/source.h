/* Image sources behind one interface (one source_*.c each).
 *
 * A source opens an image reference, fills `struct image` (name, config,
 * layers with their expected digests; the manifest when the source has a
 * real one) and streams each layer's bytes, as stored, to a feed callback.
 * source_open() allocates; source_free() releases (NULL is a no-op). */
#ifndef SC_SOURCE_H
#define SC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "imgref.h"

struct image_layer {
	char diff_id[72];           /* from the config's rootfs.diff_ids */
	char digest[72];            /* blob digest from the manifest, "" when unknown */
	int64_t size;               /* blob size, -1 when unknown */
	char media_type[128];       /* "" when the source has none */
};

struct image {
	char name[IMGREF_FORMAT_MAX];   /* normalised: docker.io/library/busybox:latest */
	char source[4200];              /* what was pulled, for syscontainer.source */
	char *config;                   /* config JSON as served (malloc'd) */
	size_t config_len;
	char config_digest[72];         /* sha256 of those bytes: the IMAGE ID */
	char *manifest;                 /* NULL when the source has none (docker save) */
	size_t manifest_len;
	char manifest_digest[72];
	size_t nlayers;
	struct image_layer *layers;
};

typedef int (*source_feed_fn)(void *ctx, const void *buf, size_t len, struct err *e);

struct source;
struct source_ops {
	/* Stream layer i's blob to feed. */
	int (*fetch_layer)(struct source *src, size_t i, source_feed_fn feed, void *ctx,
			   struct err *e);
	void (*close)(struct source *src);
};

struct source {
	const struct source_ops *ops;
	void *priv;
	struct image img;
};

/* Options of `pull` that reach the sources (registry ones mostly). */
struct source_opts {
	const char *creds;        /* --creds USER[:PASS], or NULL */
	const char *cert_dir;     /* --cert-dir DIR, or NULL */
	int tls_verify;           /* 1 unless --tls-verify=false (also allows plain HTTP) */
	const char *platform;     /* --platform os/arch[/variant], or NULL for the host's */
	const char *authfile;     /* --authfile FILE, or NULL */
	int password_stdin;       /* --password-stdin */
	int timeout_s;            /* --timeout SECONDS, 0 for the defaults */
	const char *root;         /* --root (registries.conf, certs, auth files) */
	const char *typed;        /* the reference as typed, or NULL: a short
	                             name resolves through registries.conf only
	                             when it is known */
	int verbose, quiet;       /* -v: say how names resolve; --quiet */
};

/* Open ref (any transport we support) and fill src->img. */
int source_open(struct source **out, const struct imgref *ref, const struct source_opts *o,
		struct err *e);
void source_free(struct source *src);

/* Shared by the sources: take the config bytes (copied), check them against
 * an expected digest when one is given, and read rootfs.diff_ids into a
 * layers array of n entries (n must match). */
int image_set_config(struct image *img, const char *buf, size_t len, const char *expect_digest,
		     struct err *e);
/* Allocate img->layers for n layers. */
int image_alloc_layers(struct image *img, size_t n, struct err *e);

/* Limits on what a source may hand us. */
enum {
	IMAGE_MAX_LAYERS = 256,
	IMAGE_MAX_CONFIG = 4 << 20,
	IMAGE_MAX_MANIFEST = 4 << 20,
};

/* Opening each kind of source: */
int source_docker_archive_open(struct source *src, const struct imgref *ref, struct err *e);
int source_registry_open(struct source *src, const struct imgref *ref,
			 const struct source_opts *o, struct err *e);

#endif
