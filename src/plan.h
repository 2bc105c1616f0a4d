/* The plan of an install: everything an install of IMAGE as NAME would
 * write, computed from the image in the store and the target as it is,
 * before anything is written.  install executes it; `install --dry-run`
 * and `images info` show it.  Every refusal (HOST FILES, tmpfiles lines,
 * unit names, templates, config.json) happens here.
 *
 * plan_make() fills a zeroed struct plan; plan_free() releases it. */
#ifndef SC_PLAN_H
#define SC_PLAN_H

#include <limits.h>
#include <stddef.h>

#include "buf.h"
#include "hostfs.h"
#include "image.h"
#include "owners.h"
#include "spec.h"
#include "unit.h"
#include "values.h"

struct cli;
struct jw;

enum { PLAN_MAX_WANTS = 16, PLAN_MAX_PLACES = 3 + SPEC_MAX_BINDS };

struct plan {
	char name[65];
	int slot;                       /* NAME.0 or NAME.1 */
	char runtime[PATH_MAX];         /* as the target sees it */
	char dest[PATH_MAX];            /* CHECKOUT/NAME.N on the target */
	char unit[PATH_MAX], tmpfiles_conf[PATH_MAX];
	struct values vals;             /* --set added by the caller first */
	struct buf manifest, config, service, tmpfiles;
	char wants[PLAN_MAX_WANTS][UNIT_NAME_MAX];   /* "multi-user.target.wants" */
	size_t nwants;
	struct spec_info si;            /* bind sources, capabilities, namespaces */
	struct hostfs *hostfs;
	/* The container's own places: RUN/STATE/CONF_DIRECTORY/NAME and the
	 * bind sources it owns; `created` when a tmpfiles line creates it. */
	struct {
		char *path;
		int created;            /* a tmpfiles line creates it */
		int reused;             /* it exists and is NAME's already */
		int kept;               /* ... kept since an uninstall of NAME */
	} own[PLAN_MAX_PLACES];
	size_t nown, nname;             /* own[0..nname) are NAME's directories */
	/* Places that exist and are someone else's (tmpfiles lines refused). */
	char *taken[PLAN_MAX_PLACES];
	size_t ntaken;
};

/* What is planned and against what. */
struct plan_in {
	struct cli *c;                  /* paths, target, quiet */
	struct store *s;
	const struct image_info *im;
	const char *name;
	const char *runtime;            /* --runtime, or NULL: runc in the target's PATH */
	int slot;
	/* images info: variables without a value become "<NAME>", a missing
	 * runtime is "runc", and what the target already has is not checked. */
	int preview;
	/* An update of an installed NAME: its unit and tmpfiles conf exist,
	 * and so may its host files and directories (owned). */
	int update;
	const char *const *owned;
	size_t nowned;
	const char *uuid;               /* the UUID an update keeps, or NULL */
	const struct owners *owners;    /* who holds which place (NULL: nobody) */
};

int plan_make(struct plan *p, const struct plan_in *in, struct err *e);
void plan_free(struct plan *p);

/* The plan as text (for --dry-run and images info), one item a line, every
 * image-controlled string escaped. */
void plan_print(const struct plan *p, const char *indent);
/* The plan as a JSON object (images info --json, --dry-run --json). */
void plan_json(const struct plan *p, struct jw *w);

#endif
