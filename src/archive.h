/* What an image archive holds, read without extracting it: an index of the
 * members of an outer tar (names, links, sizes, where their data starts),
 * and pure readers of the two documents that say which members make an
 * image: manifest.json of `docker save` and index.json of an OCI image
 * layout (also found inside the tars of newer engines' `docker save`).
 *
 * Members are hostile like every tar entry: names come normalised from
 * tar.c, and links are followed only to members of the same archive, at
 * most ARCHIVE_LINK_HOPS of them, never out of it.
 *
 * The choosers are pure (no I/O, no NUL needed, bounded by the limits of
 * json.h, source.h and registry.h).  Ownership: struct archive_index owns
 * its members' strings, archive_index_free() releases them (a zeroed index
 * is an empty one); archive_image_free() releases what
 * archive_docker_choose() put in a struct archive_image. */
#ifndef SC_ARCHIVE_H
#define SC_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "imgref.h"
#include "registry.h"
#include "tar.h"

enum {
	ARCHIVE_MAX_MEMBERS = 100000,
	ARCHIVE_LINK_HOPS = 8,
	ARCHIVE_SHOW_MAX = 96,     /* bytes of an invalid name kept for a warning */
};

struct archive_member {
	char *path;                /* normalised, "" never */
	char *link;                /* symlink or hardlink target, else NULL */
	enum tar_type type;
	uint64_t size;             /* bytes of data (regular members) */
	uint64_t off;              /* where the data starts in the outer tar */
};

struct archive_index {
	struct archive_member *m;
	size_t n, cap;
};

/* Record ent, whose data starts at offset off of the outer tar.  A name
 * seen twice keeps both; lookups find the last, as extraction would. */
int archive_index_add(struct archive_index *a, const struct tar_entry *ent, uint64_t off,
		      struct err *e);
void archive_index_free(struct archive_index *a);

/* The regular member name designates, following symlinks and hardlinks
 * inside the archive: its position in a->m.  Errors name the member:
 *   "'X' is not in the archive" (errnum ENOENT, no strerror appended),
 *   "'X' is a symlink out of the archive", "'X' is not a file in the
 *   archive", "'X': too many levels of links". */
int archive_lookup(const struct archive_index *a, const char *name, size_t *out,
		   struct err *e);

/* ---- docker save: manifest.json ---- */

struct archive_image {
	char name[IMGREF_FORMAT_MAX];  /* its name (RepoTags), normalised; ""
	                                  when the archive gives no valid one */
	char bad_name[ARCHIVE_SHOW_MAX]; /* the first name that is no image
	                                  name, escaped, for a warning when
	                                  name is ""; else "" */
	char *config;                  /* member path of the config */
	char **layers;                 /* member paths of the layers, base first */
	size_t nlayers;
};

/* Choose an image of manifest.json buf[0..len): the one whose RepoTags
 * (normalised) include want, or with want NULL the only one.  Errors (the
 * caller adds "manifest.json: "):
 *   "it lists no image",
 *   "no image named N in the archive; it holds: A, B",
 *   "the archive holds 2 images (A, B): name one as docker-archive:FILE:NAME[:TAG]",
 *   "image has no Layers" / "image has no Config" / "layer 2 is not a file name",
 * plus json.h's and IMAGE_MAX_LAYERS'. */
int archive_docker_choose(const char *buf, size_t len, const char *want,
			  struct archive_image *out, struct err *e);
void archive_image_free(struct archive_image *im);

/* The legacy `repositories` file {"name": {"tag": "id"}}: its first name
 * and tag, normalised, into out[IMGREF_FORMAT_MAX].  1 when found, 0 when
 * there is none (or it is no image name: then bad[ARCHIVE_SHOW_MAX] holds
 * it, escaped). */
int archive_legacy_name(const char *buf, size_t len, char *out, char *bad);

/* A name from a file name, the last resort of Atomic's dockertar: the base
 * name without ".tar", ".tar.gz" or ".tgz", normalised, into
 * out[IMGREF_FORMAT_MAX].  0, or -1 when that is no image name. */
int archive_file_name(const char *file, char *out);

/* ---- OCI image layout: index.json ---- */

struct archive_oci_pick {
	struct registry_desc desc;     /* a manifest, or an index of platforms */
	char ref_name[256];            /* its org.opencontainers.image.ref.name */
	char name[IMGREF_FORMAT_MAX];  /* its name, normalised: the annotation
	                                  io.containerd.image.name, else the ref
	                                  name read as an image name; "" */
	char bad_name[ARCHIVE_SHOW_MAX]; /* a name annotation that is no image
	                                  name, escaped, for a warning when name
	                                  is ""; else "" */
};

/* Choose an entry of index.json buf[0..len): those whose ref name is ref
 * (all when ref is NULL); of several, the one for platform want when all
 * name a platform.  Errors:
 *   "index.json lists no image",
 *   "no image 'R' in index.json; it holds: A, B",
 *   "index.json lists 2 images (A, B): choose one with :REF",
 *   "index.json: no image for linux/arm64 in the index; it offers ...",
 * plus registry_manifest_parse()'s. */
int archive_oci_choose(const char *buf, size_t len, const char *ref,
		       const struct registry_platform *want, struct archive_oci_pick *out,
		       struct err *e);

#endif
