/* Shared by the sources that read image archives and layouts: a seekable
 * tar file (source_file.c), an OCI layout directory (source_oci.c), and
 * streams read once to their end (source_stream.c: standard input, pipes,
 * gzip-compressed archives, the Docker engine of source_engine.c).
 *
 * Each reads members through a struct member_reader and lets the
 * resolvers below turn `docker save`'s manifest.json or an OCI layout's
 * index.json into a struct image: name, manifest, config (digest checked
 * where the archive names one), and per layer the diff ID, the blob digest
 * and size when known, and the member holding it. */
#ifndef SC_SOURCE_ARCHIVE_H
#define SC_SOURCE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "archive.h"
#include "err.h"
#include "source.h"

/* How a resolver reads members.  read: the whole member, at most max bytes,
 * into a malloc'd NUL-terminated *buf.  size: its size.  Both fail with
 * errnum ENOENT (and a message naming it) when there is no such member. */
struct member_reader {
	void *ctx;
	int (*read)(void *ctx, const char *path, size_t max, char **buf, size_t *len,
		    struct err *e);
	int (*size)(void *ctx, const char *path, uint64_t *size, struct err *e);
};

/* What the transport asked for. */
struct archive_want {
	int oci;                  /* read index.json, else manifest.json */
	const char *name;         /* docker: a normalised image name, or NULL */
	const char *ref;          /* OCI: a ref name, or NULL */
	const char *file;         /* to name an unnamed image after, or NULL */
	int any_single;           /* docker: a name that misses still takes the
	                             archive's only image (the engine resolved it) */
};

/* Fill img from the archive, and *layers (malloc'd array of img->nlayers
 * member paths, freed with archive_paths_free) with where each layer is.
 * Layer sizes come from the members; a docker save layer stored as
 * blobs/sha256/HEX also gets HEX as its expected blob digest.  Errors name
 * the document ("manifest.json: ...", "index.json: ...", "manifest
 * sha256:...: ...", "config sha256:...: ..."). */
int archive_resolve(const struct member_reader *r, const struct archive_want *w,
		    const struct source_opts *o, struct image *img, char ***layers,
		    struct err *e);
void archive_paths_free(char **paths, size_t n);

/* The hex a member's name carries when it names a blob or a layer by
 * digest ("blobs/sha256/HEX", "HEX.tar") into hex[65]; 0 when none. */
int archive_name_hex(const char *path, char *hex);

/* ---- streams (source_stream.c) ----
 * stream_new() allocates; stream_free() releases it and aborts a layer
 * import still open. */
struct stream;
int stream_new(struct stream **out, const struct source_opts *o, struct err *e);
/* The next bytes of the archive as sent (gzip or tar). */
int stream_feed(struct stream *st, const void *buf, size_t len, struct err *e);
/* End of the archive. */
int stream_finish(struct stream *st, struct err *e);
/* After stream_finish: resolve w into img; every layer comes out staged. */
int stream_image(struct stream *st, const struct archive_want *w, struct image *img,
		 struct err *e);
void stream_free(struct stream *st);
/* CLOCK_MONOTONIC in ms. */
int64_t stream_now_ms(void);
/* The deadline o->timeout_s sets, from now: CLOCK_MONOTONIC ms, 0 none. */
int64_t stream_deadline(const struct source_opts *o);
/* read(2) of fd once it is readable, before deadline: > 0, 0 at the end,
 * -1 with e ("not finished after N s (--timeout)", errnum ETIMEDOUT, when
 * the deadline passes). */
ssize_t stream_read_some(int fd, void *buf, size_t len, int64_t deadline,
			 const struct source_opts *o, struct err *e);

/* Opening a stream source whose bytes come from fd (a pipe, stdin, a gzip
 * file): read to the end, then resolve.  what names it in messages. */
int source_stream_open(struct source *src, int fd, const char *what,
		       const struct archive_want *w, const struct source_opts *o,
		       struct err *e);

#endif
