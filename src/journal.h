/* The journal of an install, update, rollback or uninstall: before an
 * operation changes anything it records, in CHECKOUT/.NAME.journal (written
 * atomically), what it is (op, from which slot to which) and what it will
 * create before its commit point.  When the operation finishes, the journal
 * goes; when it was killed, the next command reads it (slot.c decides:
 * finish what was committed, roll back what was not).
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

enum journal_op { JOURNAL_INSTALL, JOURNAL_UPDATE, JOURNAL_ROLLBACK, JOURNAL_UNINSTALL };

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
	int from, to;                  /* slots, -1 for none */
	char name[65];
	int checkout_fd;               /* CHECKOUT, borrowed */
	char file[96];                 /* ".NAME.journal" in CHECKOUT */
	struct journal_entry *v;
	size_t n, cap;
};

/* Start a journal for op on name (nothing written until journal_sync);
 * from and to are set by the caller. */
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

/* Take NAME's lock (blocking), creating CHECKOUT/.storage/locks.  On a
 * read-only file system where the lock file does not exist: 0 with *fd -1. */
int journal_lock(int checkout_fd, const char *name, int *fd, struct err *e);

/* Read CHECKOUT/FILE (".NAME.journal") into j (journal_begin'ed for it). */
int journal_load(int checkout_fd, const char *file, struct journal *j, struct err *e);
/* 1 when name's lock is free (and now held, *fd), 0 when someone holds it. */
int journal_try_lock(int checkout_fd, const char *name, int *fd);
/* A journal write killed before its rename leaves "..NAME.journal.tmp-*"
 * (path_write_atomic): remove FILE when it is one and nobody holds NAME. */
void journal_remove_stale_temp(int checkout_fd, const char *file);

#endif
