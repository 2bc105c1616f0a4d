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

/* Remove whatever is left of container name (both slots, its host files,
 * unit, tmpfiles conf, enable links, pins): the second half of an
 * uninstall, also run to finish one a kill interrupted.  Idempotent. */
int uninstall_finish(struct cli *c, const char *name, struct err *e);

/* Helpers shared by the install verbs (install_util.c). */
int sc_valid_name(const char *name);
int sc_systemd_running(const struct cli *c);
int sc_run_cmd(const struct cli *c, char *const argv[], int show, struct err *e);

#endif
