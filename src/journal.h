/* The journal of an install, update or uninstall: before an operation
 * writes anything on the target or in CHECKOUT, it records what it will
 * create in CHECKOUT/.NAME.journal (written atomically).  When the operation
 * finishes, the journal goes; when it fails, or was killed, the journal
 * tells how to get back to a consistent state: an install is rolled back
 * (everything it listed removed, newest first), an uninstall is finished.
 * Every verb that looks at containers recovers first (journal_recover).
 *
 * Operations on one NAME are serialised by a lock file that outlives them
 * (CHECKOUT/.storage/locks/NAME.lock): a journal whose NAME is locked
 * belongs to a running operation and is left alone.
 *
 * struct journal owns its entries: journal_free(). */
#ifndef SC_JOURNAL_H
#define SC_JOURNAL_H

#include <stddef.h>

#include "err.h"
#include "paths.h"

struct cli;
struct store;

enum journal_op { JOURNAL_INSTALL, JOURNAL_UNINSTALL };

enum journal_kind {
	JOURNAL_REF,       /* a ref it writes: deleted on rollback */
	JOURNAL_TARGET,    /* a target path it creates: removed on rollback */
	JOURNAL_DIR,       /* a target directory it creates: removed when empty */
	JOURNAL_CHECKOUT,  /* an entry of CHECKOUT it creates: removed on rollback */
};

struct journal_entry {
	enum journal_kind kind;
	char *path;
};

struct journal {
	enum journal_op op;
	char name[65];
	int checkout_fd;               /* CHECKOUT, borrowed */
	char file[96];                 /* ".NAME.journal" in CHECKOUT */
	struct journal_entry *v;
	size_t n, cap;
};

/* Start a journal for op on name (nothing written until journal_sync). */
int journal_begin(struct journal *j, int checkout_fd, enum journal_op op, const char *name,
		  struct err *e);
/* Add an entry in memory; journal_sync() makes the list durable. */
int journal_add(struct journal *j, enum journal_kind kind, const char *path, struct err *e);
int journal_sync(struct journal *j, struct err *e);
/* Undo the entries, newest first (refs in s, which may be NULL when the
 * journal has none), then remove the journal.  Best effort: every entry is
 * tried; the first failure is reported. */
int journal_rollback(struct journal *j, const struct target *t, struct store *s, struct err *e);
/* The operation finished: remove the journal (and sync CHECKOUT). */
int journal_done(struct journal *j, struct err *e);
void journal_free(struct journal *j);

/* Take NAME's lock (blocking), creating CHECKOUT/.storage/locks. */
int journal_lock(int checkout_fd, const char *name, int *fd, struct err *e);

/* Finishes an uninstall of name that a killed process left half done. */
typedef int (*journal_finish_fn)(struct cli *c, const char *name, struct err *e);
/* Recover every journal in CHECKOUT whose NAME is not locked: installs are
 * rolled back, uninstalls finished by finish.  Says what it does on stderr. */
int journal_recover(struct cli *c, journal_finish_fn finish, struct err *e);

#endif
