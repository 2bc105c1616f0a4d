/* Template variables of an install (syscontainer(1), VARIABLES): built-ins,
 * then /exports/manifest.json defaultValues, then --set, each allowed to set
 * only what the table allows.  values_free() releases what values_* made. */
#ifndef SC_VALUES_H
#define SC_VALUES_H

#include <stddef.h>

#include "err.h"
#include "json.h"

enum { VALUES_MAX = 256 };

/* Who chose a value: the policy trusts the admin's --set, not the image. */
enum value_origin { VALUE_BUILTIN, VALUE_IMAGE, VALUE_SET };

struct values {
	struct { char *name, *value; enum value_origin origin; } v[VALUES_MAX];
	size_t n;
	char *sets[VALUES_MAX];      /* --set K=V as given, applied last */
	size_t nsets;
	int pidfile_set;
};

/* Set name[0..len) to value (a copy), replacing what it had. */
int values_put(struct values *v, const char *name, size_t len, const char *value,
	       enum value_origin origin, struct err *e);
/* Record a --set K=V (checked now, applied by values_finish). */
int values_add_set(struct values *v, const char *kv, struct err *e);
/* The built-ins for this install. */
int values_builtin(struct values *v, const char *name, const char *destdir, const char *runtime,
		   const char *image_name, const char *image_id, struct err *e);
/* defaultValues of /exports/manifest.json; directory defaults must pass
 * policy_directory_default() (HOST FILES). */
int values_manifest(struct values *v, const char *json, size_t len, struct err *e);
/* Apply --set, then derive PIDFILE from the settled RUN_DIRECTORY. */
int values_finish(struct values *v, struct err *e);
/* Who set name (VALUE_BUILTIN when nobody did). */
enum value_origin values_origin(const struct values *v, const char *name);
/* 1 and *value when name[0..len) is defined, else 0. */
int values_get(const struct values *v, const char *name, size_t len, const char **value);
void values_json(const struct values *v, struct jw *w);
void values_free(struct values *v);

#endif
