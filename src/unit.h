/* systemd units and tmpfiles.d lines of an installed container: the default
 * service template, the [Install] section read for enabling without
 * systemctl, and the check that keeps an image's tmpfiles lines inside the
 * container's own directories.  Pure: (buf, len), no I/O. */
#ifndef SC_UNIT_H
#define SC_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum {
	UNIT_NAME_MAX = 128,   /* size of one unit_wanted_by()/unit_aliases() entry */
	UNIT_LINE_MAX = 16384, /* a logical unit-file line, continuations joined */
	TMPFILES_PATH_MAX = 4096,
};

/* The service.template used when the image ships none (static storage;
 * never free it).  Expand it with template_expand() in text mode: it uses
 * $NAME, $EXEC_START, $EXEC_STOP, $EXEC_STOPPOST and $DESTDIR. */
const char *unit_default_template(void);

/* Read the [Install] section of an expanded unit file unit[0..len) as
 * systemd does (comments, '\' continuations, quoting, later lines append,
 * an empty assignment resets that key) and list the directories under
 * /etc/systemd/system where enabling links the unit, in order, without
 * duplicates: "multi-user.target.wants" for WantedBy=multi-user.target,
 * "x.target.requires" for RequiredBy=, "x.target.upholds" for UpheldBy=.
 * The caller links DIR/NAME.service -> the unit.  dirs holds max entries;
 * *n receives the count.  Names must be plain unit names (no '%'
 * specifiers, a known unit type suffix); errors name the line:
 * "line 7: WantedBy: invalid unit name 'a/b.target'". */
int unit_wanted_by(const char *unit, size_t len, char dirs[][UNIT_NAME_MAX], size_t max,
		   size_t *n, struct err *e);

/* Same for Alias= (names under /etc/systemd/system that link to the unit;
 * systemd requires the unit's own type suffix, which the caller checks). */
int unit_aliases(const char *unit, size_t len, char names[][UNIT_NAME_MAX], size_t max,
		 size_t *n, struct err *e);

/* The places an image's tmpfiles lines may name (target paths). */
struct tmpfiles_places {
	/* NAME's own directories (RUN_DIRECTORY/NAME, STATE_DIRECTORY/NAME,
	 * CONF_DIRECTORY/NAME): directory lines at or below, file lines
	 * (f F w L C) only strictly below. */
	const char *const *dirs;
	size_t ndirs;
	/* Bind-mount sources the container owns: directory lines only. */
	const char *const *binds;
	size_t nbinds;
	/* Places that exist and belong to someone else: a line there is
	 * refused naming that, not as "outside". */
	const char *const *taken;
	size_t ntaken;
};

/* Check one tmpfiles.d line line[0..len) from an image's tmpfiles.template
 * (after expansion).  Blank and '#' lines are fine (0).  Otherwise:
 *   - the type is a directory type (d D v q Q z Z) or a file type (f F w
 *     L C), with modifiers from tmpfiles.d(5); every other type (devices,
 *     removal, cleanup, attributes...) is refused;
 *   - the path (second field; quotes removed as systemd-tmpfiles does) is
 *     absolute, has no ".." component, no glob braces, no '%' specifier
 *     other than "%%" and no backslash escape, and is in the places above
 *     by whole components ("/run/x/y" is below "/run/x", "/run/xy" is not;
 *     "." and empty components are skipped as systemd does; a place that
 *     is not absolute or holds glob characters or ".." allows nothing);
 *   - no setuid/setgid mode except on directories; an L (symlink) target
 *     and a C (copy) source must stay inside the places too.
 * The error (ERR_REFUSED) quotes the line (escaped) and says why:
 *   "tmpfiles line refused: 'LINE' (path outside the container's own directories)" */
int tmpfiles_check_line(const char *line, size_t len, const struct tmpfiles_places *pl,
			struct err *e);

/* tmpfiles_check_line() on every line of buf[0..len); errors start
 * "line N: ". */
int tmpfiles_check(const char *buf, size_t len, const struct tmpfiles_places *pl, struct err *e);

/* 1 when a line of buf[0..len) names exactly path (whole components). */
int tmpfiles_names(const char *buf, size_t len, const char *path);

/* Append "d SRC 0700 UID GID - -\n", the line that creates a missing
 * bind-mount source.  SRC is written in double quotes when it holds
 * whitespace, quotes or backslashes ('"' and '\\' escaped, which every
 * systemd version reads the same), and every '%' is doubled, so
 * systemd-tmpfiles reads back exactly src.  Returns 0, or -1 with nothing
 * appended when src is not absolute or holds a control character (no
 * spelling of those means the same to all systemd versions), or on oom. */
int tmpfiles_default_line(struct buf *out, const char *src, uint32_t uid, uint32_t gid);

#endif
