/* install: turn a stored image into a system container (DESIGN.md "Install
 * flow").  Everything written is listed first in a journal in CHECKOUT, so
 * a failure, or a kill, is undone: by us, or by the next command. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deploy.h"
#include "hostfs.h"
#include "image.h"
#include "install.h"
#include "json.h"
#include "pull.h"
#include "sha256.h"
#include "layer.h"
#include "source.h"
#include "spec.h"
#include "store.h"
#include "template.h"
#include "unit.h"
#include "util.h"
#include "values.h"

enum { MAX_EXPORT = 1 << 20, MAX_JOURNAL = 64 + HOSTFS_MAX, IMAGE_MAX_LAYERS_INSTALL = 256 };

struct inst {
	struct cli *c;
	struct store *s;
	struct image_info im;
	char name[65];
	const char *runtime_opt;
	char runtime[PATH_MAX];        /* as the target sees it */
	struct values vals;
	char dest_t[PATH_MAX], dest[PATH_MAX];     /* target and host paths of NAME.0 */
	char unit_t[PATH_MAX], unit[PATH_MAX];
	char tmpf_t[PATH_MAX], tmpf[PATH_MAX];
	char link[PATH_MAX], journal[PATH_MAX], pin[128];
	char *journal_paths[MAX_JOURNAL];
	size_t njournal;
	int rootfd;
	struct buf config, service, tmpfiles, manifest;
	char wants[16][UNIT_NAME_MAX];   /* "multi-user.target.wants" */
	size_t nwants;
	struct source_opts src_opts;
	struct hostfs hostfs;
	int target_fd;                 /* the target's root directory */
};

/* ---- journal: what we will create, so it can be undone --------------------- */

static int journal_add(struct inst *in, const char *path, struct err *e)
{
	if (in->njournal == MAX_JOURNAL)
		return err_set(e, 0, "journal full");
	if (!(in->journal_paths[in->njournal] = strdup(path)))
		return err_set(e, ENOMEM, "journal");
	in->njournal++;
	return 0;
}

static int journal_write(struct inst *in, struct err *e)
{
	struct buf b;
	int r;

	buf_init(&b);
	buf_appendf(&b, "ref %s\n", in->pin);
	for (size_t i = 0; i < in->njournal; i++)
		buf_appendf(&b, "path %s\n", in->journal_paths[i]);
	if (b.oom) {
		buf_free(&b);
		return err_set(e, ENOMEM, "journal");
	}
	r = util_write_file_atomic(in->journal, b.data, b.len, 0600, e);
	buf_free(&b);
	return r;
}

/* Undo everything a journal lists, newest first, then drop the journal. */
static int journal_rollback(struct store *s, const char *journal, struct err *e)
{
	char *buf, *line, *save = NULL, *lines[MAX_JOURNAL + 1];
	size_t len, n = 0;

	if (util_read_file(journal, 1 << 20, &buf, &len, e) < 0)
		return errno == ENOENT ? 0 : -1;
	for (line = strtok_r(buf, "\n", &save); line && n <= MAX_JOURNAL;
	     line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	while (n-- > 0) {
		if (!strncmp(lines[n], "ref ", 4) && s) {
			store_set_ref(s, lines[n] + 4, NULL, e);
		} else if (!strncmp(lines[n], "path /", 6)) {
			char *path = lines[n] + 5, *slash = strrchr(path, '/');
			int dfd;
			*slash = '\0';
			dfd = open(*path ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				util_remove_at(dfd, slash + 1, e);
				close(dfd);
			}
		}
	}
	free(buf);
	unlink(journal);
	return 0;
}

/* ---- locating things ----------------------------------------------------------- */

static int host(struct inst *in, const char *target, char *out, struct err *e)
{
	return paths_host(&in->c->paths, target, out, e);
}

/* The runtime: --runtime, else runc in the target's PATH (DESIGN.md). */
static int find_runtime(struct inst *in, struct err *e)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin", "/sbin", "/bin" };
	char t[PATH_MAX], h[PATH_MAX];

	if (in->runtime_opt) {
		if (in->runtime_opt[0] != '/')
			return err_usage(e, "--runtime '%s': must be an absolute path", in->runtime_opt);
		if (host(in, in->runtime_opt, h, e) < 0)
			return -1;
		if (access(h, X_OK) < 0)
			return err_set(e, errno, "runtime '%s'", h);
		snprintf(in->runtime, sizeof in->runtime, "%s", in->runtime_opt);
		return 0;
	}
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(t, sizeof t, "%s/runc", dirs[i]);
		if (host(in, t, h, e) < 0)
			return -1;
		if (access(h, X_OK) == 0) {
			snprintf(in->runtime, sizeof in->runtime, "%s", t);
			return 0;
		}
	}
	return err_set(e, 0, "no OCI runtime: runc is not in %s's PATH; give one with --runtime",
		       in->c->root ? in->c->root : "the host");
}

/* A unit of this name anywhere on systemd's search path is not ours to replace. */
static int check_unit_free(struct inst *in, struct err *e)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/run/systemd/system",
					    "/usr/lib/systemd/system", "/lib/systemd/system" };
	char t[PATH_MAX], h[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(t, sizeof t, "%s/%s.service", dirs[i], in->name);
		if (host(in, t, h, e) < 0)
			return -1;
		if (lstat(h, &st) == 0)
			return err_set(e, 0, "unit '%s' already exists: not ours to replace", t);
	}
	if (lstat(in->tmpf, &st) == 0)
		return err_set(e, 0, "'%s' already exists: not ours to replace", in->tmpf_t);
	return 0;
}

/* ---- /exports, read without leaving the rootfs ----------------------------- */

static int read_export(struct inst *in, const char *name, struct buf *out, int *found,
		       struct err *e)
{
	int dfd = deploy_open_dir(in->rootfd, "exports"), fd;
	struct stat st;
	ssize_t n;
	char chunk[8192];

	*found = 0;
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, 0, "/exports is not a directory inside the image (a symlink?): "
			       "refusing to follow it");
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(dfd);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return err_set(e, 0, "/exports/%s is a symlink: refusing to follow it", name);
		return err_set(e, errno, "/exports/%s", name);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_EXPORT) {
		close(fd);
		return err_set(e, 0, "/exports/%s is not a regular file of at most %d bytes", name,
			       MAX_EXPORT);
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)n);
	close(fd);
	if (n < 0 || out->oom)
		return err_set(e, n < 0 ? errno : ENOMEM, "/exports/%s", name);
	*found = 1;
	return 0;
}

static int rootfs_text(struct inst *in, const char *path, char **out, size_t *len)
{
	int fd = -1, dfd;
	const char *slash = strrchr(path, '/');
	char dir[256];
	struct buf b;
	char chunk[8192];
	ssize_t n;

	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	dfd = deploy_open_dir(in->rootfd, dir);
	if (dfd >= 0) {
		fd = openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		close(dfd);
	}
	*out = NULL;
	*len = 0;
	if (fd < 0)
		return 0;
	buf_init(&b);
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len < MAX_EXPORT)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	*out = buf_steal(&b, len);
	return 0;
}

/* ---- generating the files ------------------------------------------------------ */

static int lookup(void *ctx, const char *name, size_t len, const char **value)
{
	return values_get(ctx, name, len, value);
}

static int expand(struct inst *in, const char *what, struct buf *src, int json_mode,
		  struct buf *out, struct err *e)
{
	if (template_expand(src->data ? src->data : "", src->len, json_mode, lookup, &in->vals, out,
			    e) < 0)
		return err_wrap(e, "%s", what);
	return 0;
}

/* Does the target have this path (a symlink counts: resolv.conf often is)? */
static int target_has(struct inst *in, const char *target)
{
	char h[PATH_MAX];
	struct stat st;
	struct err e;

	return host(in, target, h, &e) == 0 && lstat(h, &st) == 0;
}

static int make_config(struct inst *in, struct err *e)
{
	struct buf src;
	int found, r = -1;
	char *passwd = NULL, *group = NULL;
	size_t plen, glen;

	buf_init(&src);
	if (read_export(in, "config.json", &in->config, &found, e) < 0)
		goto out;
	if (!found) {
		if (read_export(in, "config.json.template", &src, &found, e) < 0)
			goto out;
		if (!found) {
			struct spec_image si = { 0 };
			struct stat st;
			int dfd = in->rootfd;
			si.has_run_sh = fstatat(dfd, "run.sh", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					S_ISREG(st.st_mode);
			rootfs_text(in, "etc/passwd", &passwd, &plen);
			rootfs_text(in, "etc/group", &group, &glen);
			si.passwd = passwd, si.passwd_len = plen, si.group = group, si.group_len = glen;
			si.no_host_resolv = !target_has(in, "/etc/resolv.conf");
			si.no_host_hosts = !target_has(in, "/etc/hosts");
			if (spec_default_template(in->im.config, strlen(in->im.config), &si, &src, e) < 0)
				goto out;
		}
		if (expand(in, "/exports/config.json.template", &src, 1, &in->config, e) < 0)
			goto out;
	}
	r = 0;
out:
	free(passwd);
	free(group);
	buf_free(&src);
	return r;
}

static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Is a bind-mount source missing on the target, and so the container's own
 * to create?  lstat: a dangling symlink is not missing.  Never a path in
 * the configuration directory outside CONF_DIRECTORY/NAME: /etc/resolv.conf
 * or /etc/hosts may be absent from an image being built, and a directory
 * made in their place would break the host. */
static int bind_missing(struct inst *in, const char *src, const char *own_conf, struct err *e)
{
	const char *conf = "/etc";
	char h[PATH_MAX];
	struct stat st;

	values_get(&in->vals, "CONF_DIRECTORY", 14, &conf);
	if ((below(src, "/etc") || below(src, conf)) && !below(src, own_conf))
		return 0;
	if (host(in, src, h, e) < 0)
		return -1;
	return lstat(h, &st) < 0 && errno == ENOENT;
}

/* tmpfiles lines of the image may only touch the container's own places:
 * its run, state and conf directories and the bind sources that do not
 * exist yet (never an existing host file such as /etc/hosts). */
static int make_tmpfiles(struct inst *in, const struct spec_info *si, struct err *e)
{
	struct buf src;
	const char *run = "/run", *state = "/var/lib", *conf = "/etc";
	char own[3][PATH_MAX];
	const char *prefixes[3 + SPEC_MAX_BINDS];
	int missing[SPEC_MAX_BINDS];
	size_t np = 0;
	int found;

	buf_init(&src);
	values_get(&in->vals, "RUN_DIRECTORY", 13, &run);
	values_get(&in->vals, "STATE_DIRECTORY", 15, &state);
	values_get(&in->vals, "CONF_DIRECTORY", 14, &conf);
	snprintf(own[0], PATH_MAX, "%s/%s", run, in->name);
	snprintf(own[1], PATH_MAX, "%s/%s", state, in->name);
	snprintf(own[2], PATH_MAX, "%s/%s", conf, in->name);
	/* NAME's directories are its own only while nothing else is there: a
	 * container named "ssh" or "shadow" must not gain /etc/ssh or
	 * /etc/shadow. */
	for (size_t i = 0; i < 3; i++) {
		int m = bind_missing(in, own[i], own[i], e);
		if (m < 0)
			goto fail;
		if (m)
			prefixes[np++] = own[i];
	}
	for (size_t i = 0; i < si->nbind; i++) {
		if ((missing[i] = bind_missing(in, si->bind_sources[i], own[2], e)) < 0)
			goto fail;
		if (missing[i])
			prefixes[np++] = si->bind_sources[i];
	}
	if (read_export(in, "tmpfiles.template", &src, &found, e) < 0)
		goto fail;
	if (found && (expand(in, "/exports/tmpfiles.template", &src, 0, &in->tmpfiles, e) < 0 ||
		      tmpfiles_check(in->tmpfiles.data, in->tmpfiles.len, prefixes, np, e) < 0))
		goto fail;
	if (in->tmpfiles.len && in->tmpfiles.data[in->tmpfiles.len - 1] != '\n')
		buf_putc(&in->tmpfiles, '\n');
	/* Bind-mount sources that do not exist yet get created at boot. */
	for (size_t i = 0; i < si->nbind; i++)
		if (missing[i] && tmpfiles_default_line(&in->tmpfiles, si->bind_sources[i], getuid(),
							getgid()) < 0)
			goto fail;
	buf_free(&src);
	return 0;
fail:
	buf_free(&src);
	return err_wrap(e, "tmpfiles");
}

static int make_service(struct inst *in, struct err *e)
{
	struct buf src;
	int found, r;

	buf_init(&src);
	if (read_export(in, "service.template", &src, &found, e) < 0) {
		buf_free(&src);
		return -1;
	}
	if (!found)
		buf_puts(&src, unit_default_template());
	r = expand(in, "/exports/service.template", &src, 0, &in->service, e);
	buf_free(&src);
	if (r == 0 && unit_wanted_by(in->service.data, in->service.len, in->wants, 16, &in->nwants,
				     e) < 0)
		return err_wrap(e, "unit");
	return r;
}

static int write_info(struct inst *in, struct err *e)
{
	struct buf b;
	struct jw w;
	char path[PATH_MAX], now[32];
	time_t t = time(NULL);
	int r;

	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "name"); jw_str(&w, in->name);
	jw_key(&w, "image"); jw_str(&w, in->im.name);
	jw_key(&w, "image_id"); jw_str(&w, in->im.id);
	jw_key(&w, "commit"); jw_str(&w, in->im.commit);
	jw_key(&w, "created"); jw_str(&w, now);
	jw_key(&w, "runtime"); jw_str(&w, in->runtime);
	jw_key(&w, "values");
	values_json(&in->vals, &w);
	jw_key(&w, "installed_files");
	jw_begin_arr(&w);
	jw_str(&w, in->unit_t);
	jw_str(&w, in->tmpf_t);
	jw_end_arr(&w);
	jw_key(&w, "host_files");
	jw_begin_arr(&w);
	for (size_t i = 0; i < in->hostfs.n; i++) {
		jw_begin_obj(&w);
		jw_key(&w, "path"); jw_str(&w, in->hostfs.v[i].target);
		jw_key(&w, "sha256"); jw_str(&w, in->hostfs.v[i].sha256);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "info");
	}
	buf_putc(&b, '\n');
	snprintf(path, sizeof path, "%s/info", in->dest);
	r = util_write_file_atomic(path, b.data, b.len, 0644, e);
	buf_free(&b);
	return r;
}

/* ---- writing: deployment first, host files next, the NAME symlink last ---- */

static int write_deployment(struct inst *in, struct err *e)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/config.json", in->dest);
	if (util_write_file_atomic(p, in->config.data, in->config.len, 0644, e) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/%s.service", in->dest, in->name);
	if (util_write_file_atomic(p, in->service.data, in->service.len, 0644, e) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/tmpfiles.conf", in->dest);
	if (util_write_file_atomic(p, in->tmpfiles.data ? in->tmpfiles.data : "", in->tmpfiles.len,
				   0644, e) < 0)
		return -1;
	return write_info(in, e);
}

static int mkparent(const char *path, struct err *e)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return paths_mkdir_p(dir, 0755, e);
}

static int write_host_files(struct inst *in, struct err *e)
{
	if (mkparent(in->unit, e) < 0 ||
	    util_write_file_atomic(in->unit, in->service.data, in->service.len, 0644, e) < 0 ||
	    mkparent(in->tmpf, e) < 0 ||
	    util_write_file_atomic(in->tmpf, in->tmpfiles.data ? in->tmpfiles.data : "",
				   in->tmpfiles.len, 0644, e) < 0)
		return -1;
	return 0;
}

/* Without a running systemd: the symlinks `systemctl enable` would make. */
static int enable_offline(struct inst *in, struct err *e)
{
	for (size_t i = 0; i < in->nwants; i++) {
		char t[PATH_MAX], h[PATH_MAX];
		snprintf(t, sizeof t, "/etc/systemd/system/%s/%s.service", in->wants[i], in->name);
		if (host(in, t, h, e) < 0 || mkparent(h, e) < 0)
			return -1;
		if (symlink(in->unit_t, h) < 0)
			return err_set(e, errno, "enable '%s'", t);
	}
	return 0;
}

static int enable(struct inst *in, struct err *e)
{
	char unit[128];
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	char *tmpf[] = { "systemd-tmpfiles", "--create", in->tmpf_t, NULL };
	char *en[] = { "systemctl", "enable", unit, NULL };

	snprintf(unit, sizeof unit, "%s", in->name);
	if (!sc_systemd_running(in->c)) {
		if (enable_offline(in, e) < 0)
			return -1;
		cli_say(in->c, "systemd is not running here: unit reload and tmpfiles happen at boot\n");
		return 0;
	}
	if (sc_run_cmd(in->c, reload, 1, e) < 0 || sc_run_cmd(in->c, tmpf, 1, e) < 0 ||
	    sc_run_cmd(in->c, en, 1, e) < 0)
		return -1;
	return 0;
}

static int flip_symlink(struct inst *in, struct err *e)
{
	char tmp[PATH_MAX + 8], target[80];

	snprintf(target, sizeof target, "%s.0", in->name);
	snprintf(tmp, sizeof tmp, "%s.new", in->link);
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, in->link) < 0) {
		unlink(tmp);
		return err_set(e, errno, "link '%s'", in->link);
	}
	return 0;
}

/* Host files of /exports/hostfs: checked now, listed in the journal. */
static int plan_hostfs(struct inst *in, struct err *e)
{
	const char *root = in->c->root ? in->c->root : "/";

	in->target_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->target_fd < 0)
		return err_set(e, errno, "open '%s'", root);
	if (hostfs_plan(in->rootfd, in->target_fd, in->manifest.data, in->manifest.len, lookup,
			&in->vals, &in->hostfs, e) < 0)
		return -1;
	for (size_t i = 0; i < in->hostfs.n; i++) {
		char h[PATH_MAX];
		if (host(in, in->hostfs.v[i].target, h, e) < 0 || journal_add(in, h, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- the flow ------------------------------------------------------------- */

static int set_paths(struct inst *in, struct err *e)
{
	const struct paths *p = &in->c->paths;
	char t[PATH_MAX];

	snprintf(in->dest_t, sizeof in->dest_t, "%s/%s.0", p->checkout, in->name);
	snprintf(in->unit_t, sizeof in->unit_t, "/etc/systemd/system/%s.service", in->name);
	snprintf(in->tmpf_t, sizeof in->tmpf_t, "/etc/tmpfiles.d/%s.conf", in->name);
	snprintf(in->pin, sizeof in->pin, PIN_PREFIX "%s.0", in->name);
	if (host(in, in->dest_t, in->dest, e) < 0 || host(in, in->unit_t, in->unit, e) < 0 ||
	    host(in, in->tmpf_t, in->tmpf, e) < 0)
		return -1;
	snprintf(t, sizeof t, "%s/%s", p->checkout, in->name);
	if (host(in, t, in->link, e) < 0)
		return -1;
	snprintf(t, sizeof t, "%s/.%s.journal", p->checkout, in->name);
	return host(in, t, in->journal, e);
}

static int checkout(struct inst *in, struct err *e)
{
	const char *commits[IMAGE_MAX_LAYERS_INSTALL];
	char cbuf[IMAGE_MAX_LAYERS_INSTALL][65], rootfs[PATH_MAX];
	struct deploy_stats st;

	if (in->im.nlayers > IMAGE_MAX_LAYERS_INSTALL)
		return err_set(e, 0, "too many layers");
	for (size_t i = 0; i < in->im.nlayers; i++) {
		char ref[80];
		int have;
		snprintf(ref, sizeof ref, "ociimage/%s", in->im.diff_ids[i] + 7);
		if ((have = store_ref_get(in->s, ref, cbuf[i], e)) < 0)
			return -1;
		if (!have)
			return err_set(e, 0, "layer %.12s is missing from the store: pull the image again",
				       in->im.diff_ids[i] + 7);
		commits[i] = cbuf[i];
	}
	cli_say(in->c, "Extracting to %s\n", in->dest_t);
	if (mkdir(in->dest, 0700) < 0)
		return err_set(e, errno, "mkdir '%s'", in->dest);
	snprintf(rootfs, sizeof rootfs, "%s/rootfs", in->dest);
	if (mkdir(rootfs, 0755) < 0)
		return err_set(e, errno, "mkdir '%s'", rootfs);
	in->rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->rootfd < 0)
		return err_set(e, errno, "open '%s'", rootfs);
	if (deploy_checkout(in->s, commits, in->im.nlayers, in->rootfd, &st, e) < 0)
		return err_wrap(e, "checkout");
	if (st.copied && !in->c->quiet)
		printf("The repository is on another filesystem: %llu files copied, %llu hardlinked\n",
		       (unsigned long long)st.copied, (unsigned long long)st.linked);
	return 0;
}

static int generate(struct inst *in, struct err *e)
{
	struct spec_info si = { 0 };
	int found, r;

	if (read_export(in, "manifest.json", &in->manifest, &found, e) < 0)
		return -1;
	if (found && values_manifest(&in->vals, in->manifest.data, in->manifest.len, e) < 0)
		return err_wrap(e, "/exports/manifest.json");
	if (values_finish(&in->vals, e) < 0 || make_config(in, e) < 0 || make_service(in, e) < 0)
		return -1;
	if (spec_validate(in->config.data, in->config.len, &si, e) < 0)
		return -1;
	r = make_tmpfiles(in, &si, e);
	spec_info_free(&si);
	return r;
}

static int do_install(struct inst *in, struct err *e)
{
	struct stat st;

	if (lstat(in->link, &st) == 0)
		return err_set(e, 0, "container '%s' is already installed: uninstall it first", in->name);
	if (check_unit_free(in, e) < 0)
		return -1;
	if (lstat(in->dest, &st) == 0)
		return err_set(e, 0, "'%s' exists but is no installed container: remove it first",
			       in->dest_t);
	if (find_runtime(in, e) < 0)
		return -1;
	if (values_builtin(&in->vals, in->name, in->dest_t, in->runtime, in->im.name, in->im.id,
			   e) < 0)
		return -1;
	if (journal_add(in, in->dest, e) < 0 || journal_add(in, in->unit, e) < 0 ||
	    journal_add(in, in->tmpf, e) < 0 || journal_add(in, in->link, e) < 0 ||
	    journal_write(in, e) < 0)
		return -1;
	if (checkout(in, e) < 0 || generate(in, e) < 0)
		return -1;
	for (size_t i = 0; i < in->nwants; i++) {
		char t[PATH_MAX], h[PATH_MAX];
		snprintf(t, sizeof t, "/etc/systemd/system/%s/%s.service", in->wants[i], in->name);
		if (host(in, t, h, e) < 0 || journal_add(in, h, e) < 0)
			return -1;
	}
	if (plan_hostfs(in, e) < 0)
		return -1;
	if (journal_write(in, e) < 0 ||
	    hostfs_write(in->rootfd, in->target_fd, &in->hostfs, lookup, &in->vals, e) < 0 ||
	    write_deployment(in, e) < 0 ||
	    write_host_files(in, e) < 0 || store_set_ref(in->s, in->pin, in->im.commit, e) < 0 ||
	    flip_symlink(in, e) < 0 || enable(in, e) < 0)
		return -1;
	return 0;
}

/* Serialise install/uninstall of one NAME. */
int install_lock_name(struct cli *c, const char *name, int *fd, struct err *e)
{
	char t[PATH_MAX], h[PATH_MAX];

	/* Lock files must outlive every holder, so they live with the store,
	 * not among the deployments an uninstall clears. */
	snprintf(t, sizeof t, "%s/.storage/locks/%s.lock", c->paths.checkout, name);
	if (paths_prepare(&c->paths, e) < 0 || paths_host(&c->paths, t, h, e) < 0 ||
	    mkparent(h, e) < 0)
		return -1;
	*fd = open(h, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return err_set(e, errno, "open '%s'", h);
	if (flock(*fd, LOCK_EX) < 0) {
		close(*fd);
		return err_set(e, errno, "lock '%s'", h);
	}
	return 0;
}

int install_recover(struct cli *c, struct err *e)
{
	char h[PATH_MAX];
	struct store *s = NULL;
	DIR *d;
	struct dirent *de;

	if (paths_host(&c->paths, c->paths.checkout, h, e) < 0)
		return -1;
	if (!(d = opendir(h)))
		return 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char j[PATH_MAX + 300];
		if (de->d_name[0] != '.' || n < 10 || strcmp(de->d_name + n - 8, ".journal"))
			continue;
		char name[256], t[PATH_MAX + 300], lh[PATH_MAX];
		int lfd;
		snprintf(name, sizeof name, "%.*s", (int)(n - 9), de->d_name + 1);
		/* An install running right now holds its NAME's lock: leave it be. */
		snprintf(t, sizeof t, "%s/.storage/locks/%s.lock", c->paths.checkout, name);
		if (paths_host(&c->paths, t, lh, e) < 0)
			continue;
		lfd = open(lh, O_RDWR | O_CLOEXEC);
		if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
			close(lfd);
			continue;
		}
		snprintf(j, sizeof j, "%s/%s", h, de->d_name);
		if (!s)
			pull_open_store(c, &s, e);
		fprintf(stderr, "syscontainer: rolling back an unfinished install (%s)\n", de->d_name);
		journal_rollback(s, j, e);
		if (lfd >= 0)
			close(lfd);
	}
	closedir(d);
	store_free(s);
	return 0;
}

static int parse_install(struct inst *in, int argc, char **argv, const char **image,
			 struct err *e)
{
	*image = NULL;
	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		const char *a = argv[i];
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if ((n = pull_option(argc, argv, i, &in->src_opts, e)) < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if ((!strcmp(a, "--name") || !strcmp(a, "--set") || !strcmp(a, "--runtime")) &&
		    i + 1 >= argc)
			return err_usage(e, "%s needs a value", a);
		if (!strcmp(a, "--name") || !strncmp(a, "--name=", 7)) {
			const char *v = a[6] == '=' ? a + 7 : argv[++i];
			if (!sc_valid_name(v))
				return err_usage(e, "--name '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64", v);
			snprintf(in->name, sizeof in->name, "%s", v);
		} else if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
			if (values_add_set(&in->vals, a[5] == '=' ? a + 6 : argv[++i], e) < 0)
				return -1;
		} else if (!strcmp(a, "--runtime") || !strncmp(a, "--runtime=", 10)) {
			in->runtime_opt = a[9] == '=' ? a + 10 : argv[++i];
		} else if (a[0] == '-') {
			return err_usage(e, "unknown option '%s'", a);
		} else if (*image) {
			return err_usage(e, "one image at a time");
		} else {
			*image = a;
		}
	}
	if (!*image)
		return err_usage(e, "which image?");
	return 0;
}

/* The image, pulled first when it is not stored. */
static int find_image(struct inst *in, const char *image, struct err *e)
{
	struct imgref ref;
	int r;

	/* An IMAGE ID names a stored image first, as in images info. */
	if ((r = image_resolve_id(in->s, image, &in->im, e)) < 0)
		return -1;
	if (r > 0)
		goto named;
	if (imgref_parse(&ref, image, strlen(image), e) < 0)
		return -1;
	if (ref.has_name) {
		char name[IMGREF_FORMAT_MAX];
		/* with its digest, so that NAME:TAG at another one is pulled */
		imgref_format_full(&ref, name, sizeof name);
		if (image_resolve(in->s, name, &in->im, e) == 0)
			goto named;
		if (e->code != ERR_NOT_FOUND)
			return -1;
	}
	{
		char name[IMGREF_FORMAT_MAX];
		if (pull_image(in->c, in->s, &ref, &in->src_opts, name, e) < 0 ||
		    image_resolve(in->s, name, &in->im, e) < 0)
			return -1;
	}
named:
	if (!in->name[0]) {
		struct imgref r;
		if (imgref_parse_name(&r, in->im.name, strlen(in->im.name), e) < 0)
			return -1;
		imgref_default_name(&r, in->name, sizeof in->name);
	}
	return 0;
}

int cmd_install(struct cli *c, int argc, char **argv, struct err *e)
{
	struct inst *in = calloc(1, sizeof *in);
	const char *image;
	int lockfd = -1, r = -1;

	if (!in)
		return err_set(e, ENOMEM, "install");
	in->c = c;
	in->rootfd = -1;
	in->target_fd = -1;
	in->src_opts.tls_verify = 1;
	buf_init(&in->config);
	buf_init(&in->service);
	buf_init(&in->tmpfiles);
	buf_init(&in->manifest);
	if (parse_install(in, argc, argv, &image, e) < 0)
		goto out;
	if (!c->root && access("/etc/initrd-release", F_OK) == 0) {
		err_set(e, 0, "%s: running inside an initramfs: give --root (the units would be "
			"enabled inside the initramfs)", image);
		goto out;
	}
	if (cli_paths(c, e) < 0 || install_recover(c, e) < 0 || pull_open_store(c, &in->s, e) < 0 ||
	    store_lock(in->s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0 ||
	    find_image(in, image, e) < 0) {
		err_wrap(e, "%s", image);
		goto out;
	}
	if (set_paths(in, e) < 0 || install_lock_name(c, in->name, &lockfd, e) < 0)
		goto out;
	if (do_install(in, e) < 0) {
		struct err ignore;
		journal_rollback(in->s, in->journal, &ignore);
		err_wrap(e, "%s", in->name);
		goto out;
	}
	unlink(in->journal);
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	if (in->rootfd >= 0)
		close(in->rootfd);
	if (in->target_fd >= 0)
		close(in->target_fd);
	hostfs_free(&in->hostfs);
	for (size_t i = 0; i < in->njournal; i++)
		free(in->journal_paths[i]);
	buf_free(&in->config);
	buf_free(&in->service);
	buf_free(&in->tmpfiles);
	buf_free(&in->manifest);
	values_free(&in->vals);
	image_info_free(&in->im);
	store_free(in->s);
	free(in);
	return r;
}
