/* Where things live: the root, CHECKOUT and the repository (README,
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

/* True when the repo is the OSTree system repo (shared with the host OS). */
int paths_repo_is_system(const struct paths *p);

/* The target's directories, opened once (O_PATH, close-on-exec): its root,
 * and the directory that stands for its /var when an OSTree stateroot holds
 * it (else -1).  Every file the verbs read or write on the target is
 * reached from these with path.c, never by joining strings.
 *
 * OSTree systems make /usr/local and /opt symlinks into /var (to
 * var/usrlocal and var/opt): where the target's link is exactly that, the
 * directory it names stands for the place (alias, else -1), so host files
 * reach it without any symlink being followed on the way.  Any other
 * symlink there is refused by the walk as before. */
#define TARGET_ALIASES 2
struct target {
	int root;
	int var;
	int alias[TARGET_ALIASES];    /* /usr/local, /opt */
};

int target_open(struct target *t, const struct paths *p, struct err *e);
/* Closes what is open; safe on a zeroed or closed struct (fds -1 or 0). */
void target_close(struct target *t);
/* The directory a target path ("/etc/x") lives under, *rel its path there. */
int target_at(const struct target *t, const char *path, const char **rel);
/* An O_PATH fd of the existing directory at a target path, resolved as the
 * target itself would (PATH_IN_ROOT: its own symlinks are followed, never
 * out of it).  -1 with errno kept and e filled. */
int target_open_dir(const struct target *t, const char *path, struct err *e);
/* mkdir -p of a target path: the part that exists is resolved as the target
 * sees it, what is created below never passes a symlink.  Created parents
 * get 0755, the last directory `mode` (also applied when it exists with
 * another mode and `enforce`).  An O_PATH fd of it. */
int target_mkdirs(const struct target *t, const char *path, unsigned mode, int enforce,
		  struct err *e);

/* Create CHECKOUT and CHECKOUT/.storage (both 0700: they hold setuid files
 * and files owned by host uids, CVE-2021-41091 class), and the /var
 * directory an OSTree-style /usr/local or /opt link names when it is
 * missing (as OSTree's tmpfiles would at boot; the alias is opened).  An
 * O_PATH fd of CHECKOUT.  Called by verbs that write. */
int paths_prepare(const struct paths *p, struct target *t, struct err *e);

/* Record the repository choice in CHECKOUT/.storage/repo-path when none is
 * recorded, so it never flips between boots.  Called only once the
 * repository was opened and accepted. */
int paths_record_repo(const struct paths *p, int checkout_fd, struct err *e);

#endif
