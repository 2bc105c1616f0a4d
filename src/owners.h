/* Who owns which place on the host: a container's data directories (its
 * own places, created by tmpfiles lines) outlive an uninstall, so a record
 * of each container's places outlives it too, in CHECKOUT/.storage/owners/
 * NAME (JSON, written atomically):
 *   {"name": "etcd", "kept": false, "places": ["/var/lib/etcd", "/run/etcd"]}
 * "kept" is true once the container is uninstalled: its data stays, held
 * for it.  Installing NAME again reclaims the places; another container is
 * refused them, naming the holder; `uninstall --purge` drops data and
 * record.
 *
 * struct owners owns everything it holds: owners_free(). */
#ifndef SC_OWNERS_H
#define SC_OWNERS_H

#include <stddef.h>

#include "err.h"

enum { OWNERS_MAX_PLACES = 128 };

struct owner {
	char name[65];
	int kept;
	char *places[OWNERS_MAX_PLACES];
	size_t nplaces;
};

struct owners {
	struct owner *v;
	size_t n;
};

/* Every record in CHECKOUT (ckfd); none is no error. */
int owners_load(int ckfd, struct owners *o, struct err *e);
void owners_free(struct owners *o);

/* The record holding path: one of its places is path, above it or below
 * it (whole components).  NULL when nobody holds it. */
const struct owner *owners_holder(const struct owners *o, const char *path);

/* Write NAME's record (replacing it). */
int owners_write(int ckfd, const struct owner *rec, struct err *e);
/* Remove NAME's record (missing is fine). */
int owners_drop(int ckfd, const char *name, struct err *e);
/* NAME's record, or NULL. */
const struct owner *owners_get(const struct owners *o, const char *name);

#endif
