/* install / uninstall / containers / run: system containers on the host or
 * under --root.  The deployment lives in CHECKOUT/NAME.N; host files are
 * the unit, the tmpfiles conf and the enable symlinks. */
#ifndef SC_INSTALL_H
#define SC_INSTALL_H

#include "cli.h"

int cmd_install(struct cli *c, int argc, char **argv, struct err *e);
int cmd_uninstall(struct cli *c, int argc, char **argv, struct err *e);
int cmd_containers_list(struct cli *c, int argc, char **argv, struct err *e);
int cmd_run(struct cli *c, int argc, char **argv, struct err *e);

/* Serialise install/uninstall of one NAME: an flock'ed file in CHECKOUT. */
int install_lock_name(struct cli *c, const char *name, int *fd, struct err *e);

/* Roll back installs a killed process left half done (their journals). */
int install_recover(struct cli *c, struct err *e);

/* Helpers shared by the install verbs (install_util.c). */
int sc_valid_name(const char *name);
int sc_systemd_running(const struct cli *c);
int sc_run_cmd(const struct cli *c, char *const argv[], int show, struct err *e);

#endif
