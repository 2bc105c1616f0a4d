/* HOST FILES: what an image may make appear on the host at install time.
 * The image proposes (hostfs/, renameFiles, tmpfiles.template, bind
 * mounts, directory defaults in manifest.json), this policy disposes, and
 * only the admin (--set, options) may widen it.  One table of system places,
 * shown in syscontainer(1) under HOST FILES; pure functions, no I/O.
 *
 * Paths handed in are target paths: absolute, every component plain (no
 * ".", "..", empty component or trailing '/'); anything else is refused. */
#ifndef SC_POLICY_H
#define SC_POLICY_H

#include <stddef.h>

#include "err.h"

/* One row of the table: `path` and everything below it. */
struct policy_place {
	const char *path;
	const char *why;     /* why the system trusts what is there */
};
extern const struct policy_place policy_places[];
extern const size_t policy_nplaces;

/* Where host files may go at all: strictly below one of these. */
extern const char *const policy_host_roots[];
extern const size_t policy_nhost_roots;

/* 1 when path is absolute and plain (see above). */
int policy_path_plain(const char *path);

/* The row a path falls under, or NULL. */
const struct policy_place *policy_system_place(const char *path);

/* May an image install a host file at path?  0, or -1 with an ERR_REFUSED
 * error: "/etc/cron.d is a place the system runs by itself (run as root
 * on a schedule): images may not write there (see HOST FILES in
 * syscontainer(1))". */
int policy_host_file(const char *path, struct err *e);

/* The mode a host file is installed with: the image's, without setuid,
 * setgid or sticky bits and without group or other write permission. */
unsigned policy_host_mode(unsigned mode);

/* May an image's manifest.json default set this directory variable to
 * value?  RUN_DIRECTORY only at or below /run, STATE_DIRECTORY at or below
 * /var/lib, CONF_DIRECTORY at or below /etc, and never at or below a
 * system place.  Other variables: always 0.  -1 with ERR_REFUSED. */
int policy_directory_default(const char *var, const char *value, struct err *e);

/* May dir (RUN_DIRECTORY/NAME, STATE_DIRECTORY/NAME, CONF_DIRECTORY/NAME
 * or a bind-mount source) be one of a container's own places?  It must be
 * plain and not at or below a system place ("a container named 'systemd'
 * does not own /run/systemd").  0, or -1 with ERR_REFUSED. */
int policy_own_place(const char *dir, struct err *e);

#endif
