/* The OSTree repository: the only module that includes libostree and GLib
 * headers; GLib types never leave store.c.
 *
 * store_open() allocates a struct store; store_free() releases it and every
 * repository lock it still holds (store_free(NULL) is a no-op). */
#ifndef SC_STORE_H
#define SC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

enum store_lock { STORE_LOCK_SHARED, STORE_LOCK_EXCLUSIVE };

/* Called once when the lock is busy and we start waiting for it. */
typedef void (*store_wait_fn)(void *ctx, const char *repo, unsigned timeout_s);

/* Open the repository `name` (one component) in the directory dirfd; path
 * is how messages name it.  With create, a missing repo is created (atomic:
 * built beside it and renamed in): `bare` when running as root (ownership
 * is kept), `bare-user` otherwise.  Without create, a missing repo is an
 * ERR_NOT_FOUND error saying so. */
int store_open(struct store **out, int dirfd, const char *name, const char *path, int create,
	       struct err *e);
void store_free(struct store *s);
/* Another handle on s's repository, for writing a layer on another thread
 * while s (or other peers) write theirs: its own libostree repository
 * object, so its own transaction and staging directory.  It takes no lock
 * and cleans nothing up: the caller holds s's lock for as long as peers
 * are used.  Layers written at the same time share one space budget. */
int store_open_peer(struct store *s, struct store **out, struct err *e);

/* "bare", "bare-user", ... */
const char *store_mode_name(const struct store *s);
int store_is_bare(const struct store *s);
/* The repository's directory fd (for probes such as linkat()). */
int store_dfd(const struct store *s);

/* Take the repository lock (README, Design: shared for pulls and installs,
 * exclusive for prune and delete), waiting at most timeout_s seconds; when it
 * is busy, `wait` is told once before we start waiting.  Locks nest; the
 * store releases them all when freed. */
int store_lock(struct store *s, enum store_lock kind, unsigned timeout_s,
	       store_wait_fn wait, void *ctx, struct err *e);
int store_unlock(struct store *s, struct err *e);

/* ---- writing a layer ------------------------------------------------------
 * A layer is written entry by entry, in tar order, into an open transaction:
 * nothing is referenced until store_layer_commit(), which makes the tree
 * durable first and writes the commit object and its refs in a second
 * transaction (README, Design: a kill inside libostree's final renames cannot
 * leave a complete-looking commit with a missing tree).
 *
 * store_layer_begin() allocates; store_layer_commit() and store_layer_abort()
 * both free it (abort also drops the uncommitted objects). */
struct store_layer;
struct tar_entry;

int store_layer_begin(struct store *s, struct store_layer **out, struct err *e);
/* Directories, regular files (content follows via store_layer_data until
 * store_layer_entry_end), symlinks and hardlinks (to a path written earlier
 * in the same layer).  Devices and fifos are refused: filter them first. */
int store_layer_entry(struct store_layer *l, const struct tar_entry *ent, struct err *e);
int store_layer_data(struct store_layer *l, const void *buf, size_t len, struct err *e);
int store_layer_entry_end(struct store_layer *l, struct err *e);

/* Metadata of a verified layer (README, Design, "OSTree layout"). */
struct store_layer_meta {
	const char *diff_id;          /* "sha256:<hex>" of the uncompressed tar */
	const char *blob_digest;      /* "sha256:<hex>" as served, NULL if the same */
	uint64_t size;                /* bytes as served */
	uint64_t uncompressed_size;
	int unreferenced;             /* commit only: a stream's layer, named by
	                                 refs once its image is verified */
};
/* Commit the layer and write its refs (unless m->unreferenced):
 * ociimage/<diff ID hex>, plus ociimage/<blob hex> when the blob was
 * compressed.  commit[65] receives the commit checksum. */
int store_layer_commit(struct store_layer *l, const struct store_layer_meta *m,
		       char commit[65], struct err *e);
void store_layer_abort(struct store_layer *l);
/* Entries written so far (for messages). */
uint64_t store_layer_entries(const struct store_layer *l);
/* Disk space, as libostree counts it for its min-free-space reserve: what
 * the layer's finished objects take, and the whole size of the object
 * refused for space (after an ERR_NO_SPACE error; 0 otherwise). */
void store_layer_space(const struct store_layer *l, uint64_t *written, uint64_t *refused);

/* ---- refs and image commits ---------------------------------------------- */

enum { STORE_REF_MAX = 80 };
/* The ref of a layer stored under a digest ("sha256:<hex>"):
 * "ociimage/<hex>". */
void store_layer_ref(const char *digest, char out[STORE_REF_MAX]);

/* Look up a ref: 1 and commit[65] filled when it exists, 0 when not. */
int store_ref_get(struct store *s, const char *ref, char commit[65], struct err *e);

/* String metadata `key` of a commit: *out is a malloc'd copy (caller frees),
 * or NULL when the commit has no such key. */
int store_commit_meta(struct store *s, const char *commit, const char *key, char **out,
		      struct err *e);

/* A string key/value pair of commit metadata. */
struct store_kv {
	const char *key, *value;
};
/* Write a commit with an empty tree carrying the given metadata, and point
 * ref at it (tree and commit in separate transactions, as for layers). */
int store_write_meta_commit(struct store *s, const char *ref, const struct store_kv *kv,
			    size_t nkv, char commit[65], struct err *e);

/* Every ref under prefix ("ociimage/"), sorted by name: fn(ctx, ref, commit)
 * for each; a non-zero return stops the walk and is returned. */
typedef int (*store_ref_fn)(void *ctx, const char *ref, const char *commit, struct err *e);
int store_list_refs(struct store *s, const char *prefix, store_ref_fn fn, void *ctx,
		    struct err *e);
/* Point ref at commit (NULL deletes the ref), at once. */
int store_set_ref(struct store *s, const char *ref, const char *commit, struct err *e);

/* Remove objects no ref reaches (refs only: commits without refs are not
 * roots).  Caller holds the exclusive lock. */
int store_prune(struct store *s, int *objects_total, int *objects_pruned,
		uint64_t *bytes_freed, struct err *e);

/* What a path is inside one commit's tree, without following symlinks.
 * STORE_OBJECT: a file or a symlink, not looked at (STORE_WALK_OBJECTS). */
enum store_kind { STORE_ABSENT, STORE_FILE, STORE_DIR, STORE_SYMLINK, STORE_OTHER,
		  STORE_OBJECT };
/* Kind of path in commit; for a file up to max bytes of it are read into a
 * malloc'd *content (NUL-terminated; caller frees) when content != NULL. */
int store_commit_path(struct store *s, const char *commit, const char *path, size_t max,
		      enum store_kind *kind, char **content, size_t *len, struct err *e);

/* Kind, permission bits and (files, symlinks) content checksum of path in
 * one commit's tree, without following symlinks; STORE_ABSENT when there
 * is nothing there (or a parent is not a directory). */
int store_commit_stat(struct store *s, const char *commit, const char *path,
		      enum store_kind *kind, uint32_t *mode, char checksum[65], struct err *e);

/* ---- reading trees (checkout) ----------------------------------------------- */

struct store_entry {
	const char *path;          /* relative, "" never (the root is not reported) */
	enum store_kind kind;      /* STORE_FILE, STORE_DIR, STORE_SYMLINK or
	                              (STORE_WALK_OBJECTS) STORE_OBJECT */
	uint32_t mode;             /* permission bits incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	const char *target;        /* symlinks */
	const char *checksum;      /* files and symlinks: the content object */
};
/* Walk a commit's tree depth-first, a directory before its contents, names
 * sorted within a directory.  fn's non-zero return stops the walk.  With
 * STORE_WALK_NAMES files and symlinks both come as STORE_FILE with their
 * checksum, and nothing comes with a mode, owner or target: nothing is
 * read but the dirtree objects.  With STORE_WALK_OBJECTS directories come
 * whole, files and symlinks as STORE_OBJECT with only their checksum: no
 * content object is looked at (store_object_entry() tells the rest). */
typedef int (*store_walk_fn)(void *ctx, const struct store_entry *ent, struct err *e);
#define STORE_WALK_NAMES 1
#define STORE_WALK_OBJECTS 2
int store_walk(struct store *s, const char *commit, int flags, store_walk_fn fn, void *ctx,
	       struct err *e);
/* Kind, mode, owner and (symlinks) target of the content object checksum,
 * as a walk without flags reports them; target is a buffer of targetsz. */
int store_object_entry(struct store *s, const char *checksum, struct store_entry *ent,
		       char *target, size_t targetsz, struct err *e);

/* store_walk() of the subtree at dir only (paths still relative to the
 * root); nothing when dir is not a directory in that commit. */
int store_walk_under(struct store *s, const char *commit, const char *dir, store_walk_fn fn,
		     void *ctx, struct err *e);

/* A string-array metadata key ("syscontainer.synthesized-dirs"): fn per item. */
int store_commit_meta_strv(struct store *s, const char *commit, const char *key,
			   int (*fn)(void *ctx, const char *item), void *ctx, struct err *e);

/* Hardlink a content object to name in dirfd.  Only `bare` repos hold
 * objects with their real owner and mode.  Fails with errno EXDEV when
 * dirfd is on another filesystem (e->errnum), for the caller to copy. */
int store_object_link(struct store *s, const char *checksum, int dirfd, const char *name,
		      struct err *e);
/* Write a file object's content (only its bytes: no owner, mode or
 * xattrs) to fd, at most max bytes (EFBIG beyond), hashing it into hash
 * when not NULL. */
struct sha256;
int store_object_write(struct store *s, const char *checksum, int fd, uint64_t max,
		       struct sha256 *hash, struct err *e);
/* Write a copy of a content object to name in dirfd (O_EXCL, never
 * following links), with its owner, mode and xattrs. */
int store_object_copy(struct store *s, const char *checksum, int dirfd, const char *name,
		      struct err *e);

/* Re-hash every object the commits reach (their trees, directories and
 * files) against its name; *objects counts them.  The first bad one is
 * the error. */
int store_verify(struct store *s, const char *const *commits, size_t n, unsigned *objects,
		 struct err *e);

/* ---- space ----------------------------------------------------------------
 * A transaction refused or aborted leaves no staging data (README, Design,
 * "Disk space"); what failed or killed pulls left behind is removed by the
 * next store_open(). */

/* Bytes of stale staging data store_open() removed. */
uint64_t store_staging_freed(const struct store *s);

/* What the repository's file system has left for it: bytes free for this
 * user, less libostree's min-free-space reserve (0 when below it); whether
 * it has run out of inodes (now, or when a transaction of s failed); and
 * where it is mounted (the repository's own path when that cannot be
 * told). */
struct store_space {
	uint64_t usable;
	int no_inodes;
	char mount[4096];
};
int store_space(struct store *s, struct store_space *sp, struct err *e);

/* Versions of the libraries linked in, for --version. */
const char *store_ostree_version(void);
void store_glib_version(char *out, size_t outsz);

#endif
