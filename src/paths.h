/* Where things live: the root, CHECKOUT and the repository (DESIGN.md,
 * "Paths and their precedence").
 *
 * Every path is kept twice: as the target system sees it (written into
 * generated files) and as this process reaches it (the target path under
 * --root).  Plain struct, nothing to free. */
#ifndef SC_PATHS_H
#define SC_PATHS_H

#include <limits.h>

#include "err.h"

#define SC_DEFAULT_CHECKOUT "/var/lib/containers/atomic"
#define SC_SYSTEM_REPO "/ostree/repo"

enum repo_source { REPO_FROM_OPTION, REPO_FROM_ENV, REPO_FROM_RECORD, REPO_PRIVATE };

struct paths {
	char root[PATH_MAX];          /* host path of the root, "/" by default */
	/* An OSTree-deployed root (ostree/deploy/STATEROOT): its /var lives in
	 * the stateroot, since nothing has mounted it yet at early boot. */
	char var_host[PATH_MAX];      /* host path standing for target "/var" */
	char checkout[PATH_MAX];      /* target path of CHECKOUT */
	char repo[PATH_MAX];          /* target path of the repository */
	enum repo_source repo_source;
};

/* The inputs of the resolution, gathered by main from options and environment
 * (kept apart so the rules are unit-testable). */
struct paths_input {
	const char *root;             /* --root or NULL */
	const char *repo;             /* --repo or NULL */
	const char *env_repo;         /* $ATOMIC_OSTREE_REPO or NULL */
	const char *env_checkout;     /* $ATOMIC_OSTREE_CHECKOUT_PATH or NULL */
};

/* Resolve root, CHECKOUT and repo.  Reads the recorded repo choice
 * (CHECKOUT/.storage/repo-path) when neither option nor environment names
 * one; creates nothing. */
int paths_resolve(struct paths *p, const struct paths_input *in, struct err *e);

/* Host path for a target path (absolute), into out[PATH_MAX]. */
int paths_host(const struct paths *p, const char *target, char *out, struct err *e);

/* Create CHECKOUT (0700) and, for the private repo, its parent (0700), and
 * record the repo choice if none is recorded yet, so it never flips between
 * boots.  Called by verbs that write. */
int paths_prepare(const struct paths *p, struct err *e);

/* True when the repo is the OSTree system repo (shared with the host OS). */
int paths_repo_is_system(const struct paths *p);

/* mkdir -p with a mode for the directories it creates. */
int paths_mkdir_p(const char *path, unsigned mode, struct err *e);

#endif
