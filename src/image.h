/* Stored images: what an image ref's commit says (name, config, layers,
 * sizes), resolving what a user typed to an image, and reading a file of
 * the image's merged tree straight from its layer commits.
 *
 * image_load()/image_resolve() fill a struct image_info that owns heap
 * memory: release it with image_info_free(). */
#ifndef SC_IMAGE_H
#define SC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "imgref.h"
#include "store.h"

struct image_info {
	char ref[IMGREF_ENCODED_MAX + 16];   /* "ociimage/docker.io_2F..." */
	char name[IMGREF_ENCODED_MAX];       /* decoded ref name */
	char commit[65];
	char id[72];                         /* config digest: the IMAGE ID */
	char manifest_digest[72];
	char pinned[72];                     /* digest the name was pulled by, or ""
	                                        (imgref_pinned_digest()) */
	char created[64];                    /* config "created", RFC 3339, or "" */
	char os[32], arch[32];
	char *config;                        /* config JSON */
	uint64_t size;                       /* sum of uncompressed layer sizes */
	size_t nlayers;
	char (*diff_ids)[72];
	int by_id;                           /* image_resolve() matched an IMAGE ID */
};

void image_info_free(struct image_info *im);

/* Load the image behind an image ref (its commit given). */
int image_load(struct store *s, const char *ref, const char *commit, struct image_info *im,
	       struct err *e);

/* True when an ociimage/ ref names an image (not a layer: 64 hex digits). */
int image_ref_is_image(const char *ref);

/* Resolve NAME[:TAG][@DIGEST], a full "sha256:" digest or an unambiguous
 * IMAGE ID prefix (4 to 64 hex digits; IDs first, then names; 64 hex digits
 * are only ever an ID).  NAME:TAG@DIGEST matches only when the image under
 * NAME:TAG is pinned to DIGEST or has that manifest digest.  Unknown or
 * ambiguous: an error naming the candidates. */
int image_resolve(struct store *s, const char *what, struct image_info *im, struct err *e);
/* The IMAGE ID half of image_resolve(), for verbs that pull what is not
 * stored (install): 1 when what is an ID (prefix) of a stored image, 0 when
 * it is no ID or a prefix that matches nothing (go on with it as a name),
 * -1 when it is a full ID ("sha256:..." or 64 hex digits) that matches
 * nothing ("no such image"), or an error. */
int image_resolve_id(struct store *s, const char *what, struct image_info *im, struct err *e);

/* What a path is in the image's merged tree, as a checkout would make it:
 * the top-most layer that has the path or hides it (whiteout, opaque
 * directory, a non-directory parent) decides; symlinks are never followed. */
struct image_path {
	enum store_kind kind;      /* STORE_ABSENT when nothing is there */
	uint32_t mode;
	char checksum[65];         /* content object of a file or symlink */
	char commit[65];           /* the layer commit that has it */
};
int image_path_kind(struct store *s, const struct image_info *im, const char *path,
		    struct image_path *out, struct err *e);

/* Every non-directory below dir (relative: "exports/hostfs") of the merged
 * tree, sorted by path, to fn; at most IMAGE_WALK_MAX candidates. */
enum { IMAGE_WALK_MAX = 4096 };
typedef int (*image_file_fn)(void *ctx, const char *path, const struct image_path *p,
			     struct err *e);
int image_walk_files(struct store *s, const struct image_info *im, const char *dir,
		     image_file_fn fn, void *ctx, struct err *e);

/* Read path (e.g. "exports/manifest.json") of the image's merged tree from
 * its layer commits, top layer first, honouring whiteouts and opaque
 * directories and never following symlinks.  *found is 0 when the merged
 * tree has no regular file there. */
int image_read_file(struct store *s, const struct image_info *im, const char *path, size_t max,
		    int *found, char **content, size_t *len, struct err *e);

/* Installed containers pin images with refs syscontainer/deploy/NAME.N;
 * the names of those whose pinned image has this IMAGE ID, comma-separated
 * (empty when none). */
int image_users(struct store *s, const char *id, char *out, size_t outsz, struct err *e);

#define PIN_PREFIX "syscontainer/deploy/"

#endif
