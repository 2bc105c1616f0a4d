/* Template variables of an install (DESIGN.md "Variables"): built-ins,
 * then /exports/manifest.json defaultValues, then --set, each allowed to set
 * only what the table allows.  values_free() releases what values_* made. */
#ifndef SC_VALUES_H
#define SC_VALUES_H

#include <stddef.h>

#include "err.h"
#include "json.h"

enum { VALUES_MAX = 256 };

struct values {
	struct { char *name, *value; } v[VALUES_MAX];
	size_t n;
	char *sets[VALUES_MAX];      /* --set K=V as given, applied last */
	size_t nsets;
	int pidfile_set;
};

/* Record a --set K=V (checked now, applied by values_finish). */
int values_add_set(struct values *v, const char *kv, struct err *e);
/* The built-ins for this install. */
int values_builtin(struct values *v, const char *name, const char *destdir, const char *runtime,
		   const char *image_name, const char *image_id, struct err *e);
/* defaultValues of /exports/manifest.json. */
int values_manifest(struct values *v, const char *json, size_t len, struct err *e);
/* Apply --set, then derive PIDFILE from the settled RUN_DIRECTORY. */
int values_finish(struct values *v, struct err *e);
/* 1 and *value when name[0..len) is defined, else 0. */
int values_get(const struct values *v, const char *name, size_t len, const char **value);
void values_json(const struct values *v, struct jw *w);
void values_free(struct values *v);

#endif
