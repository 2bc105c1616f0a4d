/* One layer's import, in one pass: the bytes as
 * served are hashed (blob digest) and counted, inflated when gzip, hashed
 * again (diff ID), parsed as tar and written into the store.  Nothing is
 * referenced until both digests match what the image says.
 *
 * layer_import_begin() allocates; layer_import_end() and
 * layer_import_abort() free (abort drops what was written). */
#ifndef SC_LAYER_H
#define SC_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;
struct layer_import;

/* What the image says about the layer. */
struct layer_expect {
	const char *diff_id;       /* "sha256:<hex>" from the config, or NULL
	                              when no config is known yet (a stream that
	                              sends layers first): the layer is then
	                              committed without refs, or not at all when
	                              its diff ID is stored already */
	const char *blob_digest;   /* "sha256:<hex>" from the manifest, or NULL */
	int64_t blob_size;         /* bytes from the manifest, or -1 */
	uint64_t max_size;         /* uncompressed bytes allowed (--max-layer-size),
	                              0 for LAYER_MAX_SIZE */
};

/* The default bound on a layer's uncompressed size: far above any real
 * layer, low enough that a decompression bomb is stopped while streaming
 * whatever it would inflate to, on any disk. */
#define LAYER_MAX_SIZE (64ull << 30)

struct layer_result {
	char diff_id[72];          /* "sha256:<hex>" */
	char blob_digest[72];      /* digest of the bytes as served */
	int compressed;
	uint64_t blob_bytes, tar_bytes;
	uint64_t entries, skipped; /* entries stored, device nodes/fifos skipped */
	char commit[65];
	int present;               /* diff ID unknown beforehand and already
	                              stored: nothing written, commit is the
	                              stored layer's */
	uint64_t need;             /* after an ERR_NO_SPACE failure: about how many
	                              bytes of disk the whole layer needs */
};

/* Called for each entry that cannot be stored (device node, fifo). */
typedef void (*layer_warn_fn)(void *ctx, const char *path, const char *what);

int layer_import_begin(struct store *s, const struct layer_expect *x, layer_warn_fn warn,
		       void *wctx, struct layer_import **out, struct err *e);
/* The next bytes of the blob, as served. */
int layer_import_feed(struct layer_import *li, const void *buf, size_t len, struct err *e);
/* End of the blob: check sizes and digests, then commit and write refs. */
int layer_import_end(struct layer_import *li, struct layer_result *res, struct err *e);
void layer_import_abort(struct layer_import *li);

/* Name a layer committed without refs, once its image is verified:
 * ociimage/<diff ID hex>, and ociimage/<blob hex> when it was compressed. */
int layer_write_refs(struct store *s, const struct layer_result *res, struct err *e);

/* Bytes fed so far (for progress). */
uint64_t layer_import_fed(const struct layer_import *li);
/* About how many bytes of disk the whole layer needs, from what it took so
 * far and how far through the blob it got: for saying how much more space
 * a pull refused for space needs (before layer_import_abort). */
uint64_t layer_import_needs(const struct layer_import *li);

/* True when name (a path's last component) is a whiteout that names nothing
 * it could remove (".wh.", ".wh..", ".wh..."): refused at pull, and at
 * checkout for layers stored before that check. */
int layer_bad_whiteout(const char *name);

/* "sha256:<hex>" of a finished hash. */
void layer_digest_string(const uint8_t d[32], char out[72]);

#endif
