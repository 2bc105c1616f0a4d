/* The OCI runtime config (config.json) of an installed container: the
 * default template for images that ship none, its validation after
 * expansion, the image's User resolved to numeric ids, and the value of
 * ALL_PROCESS_CAPABILITIES.  Pure: (buf, len) in, struct buf out, no I/O. */
#ifndef SC_SPEC_H
#define SC_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum {
	SPEC_MAX_BINDS = 64,   /* bind-mount sources kept by spec_validate() */
	SPEC_MAX_VOLUMES = 32, /* image config Volumes turned into bind mounts */
};

/* What the default config takes from the checked-out rootfs (the caller
 * reads it, confined to the rootfs). */
struct spec_image {
	int has_run_sh;     /* /run.sh is a regular file: it becomes the args */
	const char *passwd; /* rootfs /etc/passwd content, or NULL when absent */
	size_t passwd_len;
	const char *group;  /* rootfs /etc/group content, or NULL when absent */
	size_t group_len;
	/* The target lacks /etc/resolv.conf or /etc/hosts (a minimal system):
	 * binding a missing source would stop every start of the container. */
	int no_host_resolv, no_host_hosts;
};

/* Append to out the default config.json TEMPLATE for an image that ships no
 * /exports/config.json(.template); it is expanded in json_mode like an
 * image-supplied one.  image_config[0..len) is the image's config JSON
 * (Docker or OCI: its "config" object gives Entrypoint, Cmd, Env,
 * WorkingDir, User and Volumes).
 *
 * Like `runc spec` for a root container -- same capabilities, rlimits,
 * masked and read-only paths, device rules -- except: terminal false; no
 * network namespace and no hostname (a system service uses the host's);
 * tmpfs on /tmp, /run and /var/tmp; /etc/resolv.conf and /etc/hosts bound
 * read-only from the host; each Volume bound read-write from
 * ${STATE_DIRECTORY}/${NAME}/<path>.  args: ["/run.sh"] when
 * im->has_run_sh, else Entrypoint + Cmd.  env: the image's Env, plus the
 * default PATH when it has no PATH entry.  cwd: WorkingDir or "/".  user:
 * spec_resolve_user() of User.  Every '$' from image data is written "$$"
 * so the expansion keeps it literal.
 *
 * Errors name the field: "image has neither /run.sh nor Entrypoint/Cmd",
 * "image config: Volumes: '/a/../b' is not a clean absolute path", ...
 * On failure out is left as it was. */
int spec_default_template(const char *image_config, size_t len, const struct spec_image *im,
			  struct buf *out, struct err *e);

/* Resolve an image config User ("", "name", "uid", "name:group",
 * "uid:gid", "name:gid", "uid:group") against the image's /etc/passwd and
 * /etc/group contents (NULL: the file is absent, only numeric ids work).
 * "" is 0:0.  Without a group, the gid is the user's passwd entry's, or 0
 * for a numeric uid that has none.  Ids must be decimal below 2^32-1.
 * Errors: "user 'x' not found in the image's /etc/passwd", "group 'g' not
 * found in the image's /etc/group", "user 'x': the image has no
 * /etc/passwd (only numeric ids work)", "invalid user 'x:'". */
int spec_resolve_user(const char *user, const char *passwd, size_t plen, const char *group,
		      size_t glen, uint32_t *uid, uint32_t *gid, struct err *e);

/* What spec_validate() learned.  Zero it before use (= {0}); free with
 * spec_info_free(), which is NULL-safe and leaves it reusable. */
struct spec_info {
	/* Absolute "source" paths of the bind mounts (type "bind", or an
	 * option "bind"/"rbind"), deduplicated, in order; malloc'd.  The
	 * install writes a tmpfiles line for each one missing on the host. */
	char *bind_sources[SPEC_MAX_BINDS];
	int bind_ro[SPEC_MAX_BINDS];  /* that mount has the "ro" option */
	size_t nbind;
	/* What the container may do on the host, shown before an install: */
	char caps[1024];     /* process.capabilities.bounding, ", "-joined */
	size_t ncaps;
	char host_ns[128];   /* namespaces it shares with the host, ", "-joined */
	int privileged;      /* CAP_SYS_ADMIN in its bounding set */
};
void spec_info_free(struct spec_info *si);

/* Fully parse and check an expanded config.json: an object; root.path
 * "rootfs"; root.readonly true (a writable root would write through the
 * hardlinks into the image store); process.args a non-empty array of
 * strings; no bind source with a control character (no tmpfiles line could
 * create it).  Fills *out (which must be zeroed; on failure it holds
 * nothing).
 * Every message starts "config.json: ". */
int spec_validate(const char *json, size_t len, struct spec_info *out, struct err *e);

/* Append the value of ALL_PROCESS_CAPABILITIES: the JSON list body (no
 * brackets) `"CAP_CHOWN", "CAP_DAC_OVERRIDE", ...` of capabilities 0 to
 * last_cap (the kernel's /proc/sys/kernel/cap_last_cap), stopping at the
 * last one we know by name (CAP_CHECKPOINT_RESTORE = 40).  0, or -1 when
 * out is oom. */
int spec_capabilities_body(unsigned last_cap, struct buf *out);

#endif
