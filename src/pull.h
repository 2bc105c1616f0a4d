/* Pulling, shared by `pull` and verbs that pull first (install). */
#ifndef SC_PULL_H
#define SC_PULL_H

#include "cli.h"
#include "imgref.h"

struct store;

/* Resolve paths, prepare CHECKOUT and open (creating) the repository. */
int pull_open_store(struct cli *c, struct store **s, struct err *e);
/* Pull ref into s under the shared lock, printing progress as the seed does. */
int pull_image(struct cli *c, struct store *s, const struct imgref *ref, struct err *e);

int cmd_pull(struct cli *c, int argc, char **argv, struct err *e);

#endif
