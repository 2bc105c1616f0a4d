/* What main() hands to every verb: the global options and, resolved on
 * demand, the paths.  Owned by main(); verbs only read it. */
#ifndef SC_CLI_H
#define SC_CLI_H

#include <stdio.h>

#include "err.h"
#include "paths.h"

struct cli {
	const char *root;         /* --root or NULL */
	const char *repo;         /* --repo or NULL */
	int quiet;                /* --quiet: only errors */
	int atomic;               /* started as `atomic`: print what Atomic printed */
	int verbose;              /* -v */
	const char *verb;         /* "pull", "images list", ... for messages */
	struct paths paths;
	int paths_ok;
	struct target tgt;        /* opened by cli_target() */
	int tgt_ok;
};

/* One verb (or "group sub" pair) of the command table. */
struct verb {
	const char *group;        /* "images", "containers", or NULL */
	const char *name;
	int (*run)(struct cli *c, int argc, char **argv, struct err *e);
	const char *args;         /* usage line after the verb */
	const char *summary;
	const char *help;         /* option lines for `VERB --help` */
};

/* Resolve root/CHECKOUT/repo once (from options and environment). */
int cli_paths(struct cli *c, struct err *e);
/* cli_paths(), then open the target's directories once (c->tgt). */
int cli_target(struct cli *c, struct err *e);

/* Atomic's compatibility flags, accepted anywhere and ignored: --system,
 * --storage=ostree / --storage ostree, -y / --assumeyes.  Returns how many
 * argv entries were consumed at argv[*i] (0 when not such a flag, -1 on a
 * usage error such as --storage=docker). */
int cli_compat_flag(int argc, char **argv, int i, struct err *e);

/* Print `VERB --help` text to f. */
void cli_verb_help(FILE *f, const struct verb *v);

/* syscontainer's version and the libraries linked in. */
void cli_print_versions(FILE *f);

/* Progress lines go to stdout unless --quiet, control characters escaped
 * (line ends kept): they may quote image names and paths. */
void cli_say(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
