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

/* Open the repository at host path `path`.  With create, a missing repo is
 * created: `bare` when running as root (ownership is kept), `bare-user`
 * otherwise.  Without create, a missing repo is an error saying so. */
int store_open(struct store **out, const char *path, int create, struct err *e);
void store_free(struct store *s);

/* "bare", "bare-user", ... */
const char *store_mode_name(const struct store *s);
int store_is_bare(const struct store *s);
/* The repository's directory fd (for probes such as linkat()). */
int store_dfd(const struct store *s);

/* Take the repository lock (DESIGN.md: shared for pulls and installs,
 * exclusive for prune and delete), waiting at most timeout_s seconds; when it
 * is busy, `wait` is told once before we start waiting.  Locks nest; the
 * store releases them all when freed. */
int store_lock(struct store *s, enum store_lock kind, unsigned timeout_s,
	       store_wait_fn wait, void *ctx, struct err *e);
int store_unlock(struct store *s, struct err *e);

/* Versions of the libraries linked in, for --version. */
const char *store_ostree_version(void);
void store_glib_version(char *out, size_t outsz);

#endif
