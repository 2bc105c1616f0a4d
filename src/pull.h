/* Pulling, shared by `pull` and verbs that pull first (install). */
#ifndef SC_PULL_H
#define SC_PULL_H

#include "cli.h"
#include "imgref.h"

struct store;

/* Resolve paths, prepare CHECKOUT and open (creating) the repository; the
 * choice is recorded once the repository is accepted. */
int pull_open_store(struct cli *c, struct store **s, struct err *e);
/* Open the repository only when it exists (ERR_NOT_FOUND otherwise). */
int pull_open_existing_store(struct cli *c, struct store **s, struct err *e);
/* Pull ref into s under the shared lock, printing progress as the seed does.
 * name_out (NULL or IMGREF_FORMAT_MAX bytes) receives the stored image's name. */
struct source_opts;
int pull_image(struct cli *c, struct store *s, const struct imgref *ref,
	       const struct source_opts *o, char *name_out, struct err *e);
/* Says once on stderr that we wait for the repository lock (store_wait_fn). */
void pull_on_wait(void *ctx, const char *repo, unsigned timeout_s);
/* Seconds to wait for the repository lock ($SYSCONTAINER_LOCK_TIMEOUT, 600). */
unsigned pull_lock_timeout(void);

/* A pull option at argv[i] (--creds, --password-stdin, --authfile,
 * --cert-dir, --tls-verify, --platform, --timeout, --max-layer-size): how
 * many entries it took (0: not one), -1 on a usage error.  An inline
 * --creds password is wiped from argv at once (the option keeps a private
 * copy).  Verbs that pull first (install) accept the same. */
int pull_option(int argc, char **argv, int i, struct source_opts *o, struct err *e);
/* Checks between pull options, after all are read (--password-stdin needs
 * --creds USER). */
int pull_options_check(const struct source_opts *o, struct err *e);

int cmd_pull(struct cli *c, int argc, char **argv, struct err *e);

#endif
