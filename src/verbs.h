/* The verb table: one row per verb, in the order --help lists them.  Each
 * cmd_*.c file owns one verb (or one group's sub-commands). */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "cli.h"
#include "pull.h"

#define VERB_TABLE \
	{ NULL, "pull", cmd_pull, "IMAGE", \
	  "Store an image's layers in the OSTree repository", \
	  "  IMAGE is NAME (not yet: registries), dockertar:FILE, or\n" \
	  "  docker-archive:FILE[:NAME[:TAG]] (a docker save archive)\n" }, \


#endif
