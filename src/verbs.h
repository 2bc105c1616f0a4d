/* The verb table: one row per verb, in the order --help lists them.  Each
 * cmd_*.c file owns one verb (or one group's sub-commands). */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "cli.h"
#include "pull.h"

int cmd_images_list(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_info(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_tag(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_delete(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_prune(struct cli *c, int argc, char **argv, struct err *e);

#define VERB_TABLE \
	{ NULL, "pull", cmd_pull, "IMAGE", \
	  "Store an image's layers in the OSTree repository", \
	  "  IMAGE is NAME (not yet: registries), dockertar:FILE, or\n" \
	  "  docker-archive:FILE[:NAME[:TAG]] (a docker save archive)\n" }, \
	{ "images", "list", cmd_images_list, "[-a] [-q] [--no-trunc] [--json]", \
	  "List stored images", \
	  "  -a          also list layers (each once, by diff ID)\n" \
	  "  -q          IMAGE IDs only\n" \
	  "  --no-trunc  full IMAGE IDs\n" \
	  "  --json      a JSON array: full digests, sizes in bytes, RFC 3339 times\n" }, \
	{ "images", "info", cmd_images_info, "[--json] IMAGE", \
	  "Show an image: IMAGE ID, labels, layers, template variables", \
	  "  --json      as a JSON object\n" }, \
	{ "images", "tag", cmd_images_tag, "SOURCE TARGET", \
	  "Give an image a second name", "" }, \
	{ "images", "delete", cmd_images_delete, "[-f] IMAGE...", \
	  "Remove image names (refused while an installed container uses one)", \
	  "  -f          remove even when an installed container uses the image\n" }, \
	{ "images", "prune", cmd_images_prune, "", \
	  "Delete layers no image or container needs, then unreachable objects", "" },


#endif
