/* Image sources behind one interface (one source_*.c each).
 *
 * A source opens an image reference, fills `struct image` (name, config,
 * layers with their expected digests; the manifest when the source has a
 * real one) and streams each layer's bytes, as stored, to a feed callback.
 *
 * Sources that can seek (a registry, an archive file, an OCI layout
 * directory) read the image's index first.  Streams (the Docker engine,
 * standard input, pipes, gzip-compressed archives) may send layers before
 * the manifest that names them: they hand each member that looks like a
 * layer to pull's struct source_pull as it passes, to be imported into a
 * commit without refs, and mark those layers `staged`; pull names them with
 * refs only once the image is verified (the source checked digests and
 * diff IDs against the manifest and config that came later).
 *
 * source_open() allocates; source_free() releases (NULL is a no-op). */
#ifndef SC_SOURCE_H
#define SC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "imgref.h"
#include "layer.h"
#include "registry.h"

struct image_layer {
	char diff_id[72];           /* from the config's rootfs.diff_ids */
	char digest[72];            /* blob digest from the manifest, "" when unknown */
	int64_t size;               /* blob size, -1 when unknown */
	char media_type[128];       /* "" when the source has none */
	int staged;                 /* imported already as the stream passed:
	                               staged_res.commit, without refs */
	struct layer_result staged_res;
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
	/* Optional, for sources whose layers can come at the same time (a
	 * registry): a fetcher of its own for another thread, layer i through
	 * it, and its release.  Without them pull takes layers one by one. */
	int (*worker_open)(struct source *src, void **w, struct err *e);
	int (*worker_fetch)(struct source *src, void *w, size_t i, source_feed_fn feed, void *ctx,
			    struct err *e);
	void (*worker_close)(void *w);
};

struct source {
	const struct source_ops *ops;
	void *priv;
	int remote;                 /* layers come over the network (a registry) */
	struct image img;
};

/* What pull lends stream sources: importing a member that looks like a
 * layer as it passes, and showing a warning (one line; it is escaped as
 * it is printed).  layer_begin returns 0 with *layer an import to feed,
 * or 1 when hint_hex (the digest the member's name carries, or NULL) names
 * a layer stored already: then *stored describes that layer and the
 * member's bytes are not needed. */
struct source_pull {
	void *ctx;
	int (*layer_begin)(void *ctx, const char *member, uint64_t size, const char *hint_hex,
			   void **layer, struct layer_result *stored, struct err *e);
	int (*layer_feed)(void *layer, const void *buf, size_t len, struct err *e);
	/* Verify and commit without refs; frees the layer either way. */
	int (*layer_end)(void *layer, struct layer_result *res, struct err *e);
	void (*layer_abort)(void *layer);
	void (*warn)(void *ctx, const char *msg);
};

/* Options of `pull` that reach the sources. */
struct source_opts {
	const char *creds;        /* --creds USER[:PASS], or NULL */
	const char *cert_dir;     /* --cert-dir DIR, or NULL */
	int tls_verify;           /* 1 unless --tls-verify=false (also allows plain HTTP) */
	const char *platform;     /* --platform os/arch[/variant], or NULL for the host's */
	const struct source_pull *pull;   /* set by pull; NULL: streams are refused */
	const char *authfile;     /* --authfile FILE, or NULL */
	int password_stdin;       /* --password-stdin */
	unsigned timeout_s;       /* --timeout SECONDS: a stream must end within it, a
	                             registry response head too; 0: the defaults */
	const char *root;         /* --root (registries.conf, certs, auth files) */
	const char *typed;        /* the reference as typed, or NULL: a short
	                             name resolves through registries.conf only
	                             when it is known */
	int verbose, quiet;       /* -v: say how names resolve; --quiet */
	uint64_t max_layer_size;  /* --max-layer-size, 0 for the default */
	int no_unchanged_line;    /* no "Image is up to date" line: the caller
	                             prints its own result (apply, images update) */
};

/* Open ref (any transport we support) and fill src->img. */
int source_open(struct source **out, const struct imgref *ref, const struct source_opts *o,
		struct err *e);
void source_free(struct source *src);
/* Open several docker: references with one request to the engine, so the
 * layers they share pass once: srcs[i] is set, or errs[i] says why not.
 * 0 when every one opened, else -1. */
int source_open_engine(struct source **srcs, const struct imgref *refs, size_t n,
		       const struct source_opts *o, struct err *errs);

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

/* The platform to choose from an index: --platform, else the host's. */
int source_platform(const struct source_opts *o, struct registry_platform *p, struct err *e);
/* A warning through o->pull (nothing without one). */
void source_warn(const struct source_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Opening each kind of source: */
int source_archive_file_open(struct source *src, const struct imgref *ref,
			     const struct source_opts *o, struct err *e);
int source_oci_dir_open(struct source *src, const struct imgref *ref,
			const struct source_opts *o, struct err *e);
int source_registry_open(struct source *src, const struct imgref *ref,
			 const struct source_opts *o, struct err *e);

#endif
