/* A container's deployments and what the live one puts on the target.
 *
 * A container NAME has up to two slots in CHECKOUT, NAME.0 and NAME.1, each
 * a complete deployment: rootfs (checked out from the image, pinned by the
 * ref syscontainer/deploy/NAME.N), config.json, a copy of the unit and of
 * the tmpfiles conf, the host files as they go to the host (hostfs/), and
 * `info` (image, values, host files with their sha256, directories made,
 * enable links, own places).  The symlink NAME names the live slot.
 *
 * Switching slots (install: none -> 0, update: live -> other, rollback:
 * live -> other, uninstall: live -> none) is one protocol:
 *   1. journal "op NAME FROM TO" with what is created before the switch
 *      (the new slot, its pin);
 *   2. prepare the new slot (install, update);
 *   3. flip the NAME link: the commit point;
 *   4. make the target match the new slot (slot_activate): unit, tmpfiles
 *      conf, enable links, host files (an edited one is kept and named);
 *   5. drop the journal.
 * A kill before 3 is rolled back (the new slot removed); after 3 it is
 * finished (step 4 is idempotent).  The next command does either. */
#ifndef SC_SLOT_H
#define SC_SLOT_H

#include "cli.h"
#include "err.h"
#include "image.h"
#include "journal.h"
#include "plan.h"

struct store;

struct slot_ctx {
	struct cli *c;
	struct store *s;
	int ckfd;             /* CHECKOUT */
	const char *name;
};

/* The live slot (0 or 1), or -1 when NAME is not installed. */
int slot_live(int ckfd, const char *name);
/* 1 when slot N of NAME exists in CHECKOUT. */
int slot_exists(int ckfd, const char *name, int slot);

/* Build slot p->slot from the plan: checkout, bundle, host files, info,
 * pin.  Prints "Extracting to DEST". */
int slot_prepare(const struct slot_ctx *x, const struct image_info *im, struct plan *p,
		 struct err *e);
/* Make the target match slot `to` (-1: nothing of NAME) coming from slot
 * `from` (-1: nothing).  SLOT_OFFLINE: enable links are made by hand
 * (links of `from` that `to` does not have are always removed);
 * SLOT_QUIET: an edited host file is kept without saying so. */
enum { SLOT_OFFLINE = 1, SLOT_QUIET = 2 };
int slot_activate(const struct slot_ctx *x, int from, int to, int flags, struct err *e);
/* Point NAME at slot `to`, or remove the link (to -1). */
int slot_flip(const struct slot_ctx *x, int to, struct err *e);
/* Remove slot N (its directory and pin). */
int slot_remove(const struct slot_ctx *x, int slot, struct err *e);

/* Start a switch: the journal, with the new slot listed when it is made
 * before the flip. */
int slot_journal(const struct slot_ctx *x, struct journal *j, enum journal_op op, int from,
		 int to, int creates, struct err *e);

/* Finish or roll back every switch a killed process left, saying so. */
int slot_recover(struct cli *c, struct err *e);

/* Remove host files and directories recorded by slot N of NAME that are
 * unchanged (for uninstall; an edited file is kept and named). */

#endif
