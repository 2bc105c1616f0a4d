/* The verb table: one row per verb, in the order --help lists them.  Each
 * cmd_*.c file owns one verb (or one group's sub-commands). */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "cli.h"

#define VERB_TABLE \
	/* no verbs yet */

#endif
