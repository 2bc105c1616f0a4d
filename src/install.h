/* install / uninstall / containers / run: system containers on the host or
 * under --root.  The deployment lives in CHECKOUT/NAME.N; on the target go
 * the unit, the tmpfiles conf, the enable symlinks and the host files. */
#ifndef SC_INSTALL_H
#define SC_INSTALL_H

#include "cli.h"

int cmd_install(struct cli *c, int argc, char **argv, struct err *e);
int cmd_uninstall(struct cli *c, int argc, char **argv, struct err *e);
int cmd_containers_list(struct cli *c, int argc, char **argv, struct err *e);
int cmd_run(struct cli *c, int argc, char **argv, struct err *e);
int cmd_stop(struct cli *c, int argc, char **argv, struct err *e);

int cmd_containers_update(struct cli *c, int argc, char **argv, struct err *e);
int cmd_containers_rollback(struct cli *c, int argc, char **argv, struct err *e);
int cmd_apply(struct cli *c, int argc, char **argv, struct err *e);

/* What apply does to a container it lists that is installed: follow image
 * with exactly these --set values (the recorded ones are replaced, not
 * merged).  1 when image and values are those installed (nothing touched,
 * nothing said), 0 when updated, -1 on an error (wrapped with name). */
int containers_update_exact(struct cli *c, const char *name, const char *image,
			    char *const *sets, size_t nsets, struct err *e);

struct store;
struct owners;
struct plan;

/* Remove whatever is left of container name (both slots, its host files,
 * unit, tmpfiles conf, enable links, pins) and keep its data places for it
 * (purge: remove them): the second half of an uninstall, also run to
 * finish one a kill interrupted.  Idempotent. */
int uninstall_finish(struct cli *c, struct store *s, int ckfd, const char *name, int live,
		     int purge, struct err *e);

/* Record the places the plan gives NAME, with what NAME held before. */
int install_record_places(int ckfd, const struct owners *o, const struct plan *p,
			  struct err *e);

/* Helpers shared by the install verbs (install_util.c). */
/* A container NAME: [A-Za-z0-9][A-Za-z0-9_.-]*, at most SC_NAME_MAX bytes.
 * The buffers of names built from it (NAME.N, NAME.service, its lock,
 * journal and owners record) are sized from this bound, so they are
 * formatted without a truncation check. */
#define SC_NAME_MAX 64
int sc_valid_name(const char *name);
int sc_systemd_running(const struct cli *c);
/* Run argv (no shell) and wait; with show, print the command line first
 * (unless --quiet).  A non-zero exit is an error naming the command. */
int sc_run_cmd(const struct cli *c, char *const argv[], int show, struct err *e);
/* Run argv (no shell, stderr discarded), keep the first outsz-1 bytes of
 * its stdout; its exit status, or -1 when it could not run. */
int sc_capture(char *const argv[], char *out, size_t outsz);
/* The runtime's word for a container ("running", "stopped"...), or "". */
void sc_runtime_status(const char *runtime, const char *name, char *out, size_t outsz);

/* What systemd says of NAME.service (`systemctl show`). */
struct unit_state {
	char load[32], active[32], sub[32], result[48], file[32];
	int restarts;
};
int sc_unit_state(const char *name, struct unit_state *st);

#endif
