#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "path.h"
#include "policy.h"
#include "store.h"
#include "template.h"
#include "text.h"

enum { MAX_EXPORT = 1 << 20 };

void plan_free(struct plan *p)
{
	values_free(&p->vals);
	buf_free(&p->manifest);
	buf_free(&p->config);
	buf_free(&p->service);
	buf_free(&p->tmpfiles);
	spec_info_free(&p->si);
	if (p->hostfs)
		hostfs_free(p->hostfs);
	free(p->hostfs);
	p->hostfs = NULL;
	for (size_t i = 0; i < p->nown; i++)
		free(p->own[i].path);
	for (size_t i = 0; i < p->ntaken; i++)
		free(p->taken[i]);
	p->nown = p->ntaken = 0;
}

struct ctx {
	struct plan *p;
	const struct plan_in *in;
};

/* Variables for the templates; in a preview, one without a value shows as
 * "<NAME>" instead of failing. */
static int lookup(void *opaque, const char *name, size_t len, const char **value)
{
	struct ctx *x = opaque;
	char shown[TEMPLATE_MAX_NAME + 3];
	struct err e;

	if (values_get(&x->p->vals, name, len, value))
		return 1;
	if (!x->in->preview)
		return 0;
	snprintf(shown, sizeof shown, "<%.*s>", (int)len, name);
	return values_put(&x->p->vals, name, len, shown, VALUE_BUILTIN, &e) == 0 &&
	       values_get(&x->p->vals, name, len, value);
}

static int expand(struct ctx *x, const char *what, const char *src, size_t len, int json_mode,
		  struct buf *out, struct err *e)
{
	if (template_expand(src ? src : "", src ? len : 0, json_mode, lookup, x, out, e) < 0)
		return err_wrap(e, "%s", what);
	return 0;
}

/* Does the target have this path (a symlink counts: resolv.conf often is)? */
static int target_has(const struct plan_in *in, const char *path)
{
	const char *rel;
	struct stat st;
	int dfd = target_at(&in->c->tgt, path, &rel);

	return path_lstat(dfd, rel, PATH_IN_ROOT, &st) == 0;
}

/* An executable file at a target path, as the target sees it. */
static int target_executable(const struct plan_in *in, const char *path)
{
	const char *rel;
	struct stat st;
	int dfd = target_at(&in->c->tgt, path, &rel);
	int fd = path_openat(dfd, rel, PATH_IN_ROOT, O_PATH, 0);
	int r = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);

	if (fd >= 0)
		close(fd);
	return r;
}

/* /exports/NAME of the image (a regular file, found through no symlink). */
static int read_export(struct ctx *x, const char *name, struct buf *out, int *found,
		       struct err *e)
{
	char path[64], *content = NULL;
	struct image_path ep;
	size_t len;

	*found = 0;
	if (image_path_kind(x->in->s, x->in->im, "exports", &ep, e) < 0)
		return -1;
	if (ep.kind == STORE_ABSENT)
		return 0;
	if (ep.kind != STORE_DIR)
		return err_set(e, 0, "/exports is not a directory inside the image (a symlink?): "
			       "refusing to follow it");
	snprintf(path, sizeof path, "exports/%s", name);
	if (image_path_kind(x->in->s, x->in->im, path, &ep, e) < 0)
		return -1;
	if (ep.kind == STORE_ABSENT)
		return 0;
	if (ep.kind == STORE_SYMLINK)
		return err_set(e, 0, "/exports/%s is a symlink: refusing to follow it", name);
	if (ep.kind != STORE_FILE)
		return err_set(e, 0, "/exports/%s is not a regular file", name);
	if (image_read_file(x->in->s, x->in->im, path, MAX_EXPORT, found, &content, &len, e) < 0)
		return err_wrap(e, "/exports/%s", name);
	buf_append(out, content, len);
	free(content);
	return out->oom ? err_set(e, ENOMEM, "/exports/%s", name) : 0;
}

/* The runtime: --runtime, else runc in the target's PATH. */
static int find_runtime(struct ctx *x, struct err *e)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin", "/sbin", "/bin" };
	const struct plan_in *in = x->in;
	struct plan *p = x->p;

	if (in->runtime) {
		if (in->runtime[0] != '/')
			return err_usage(e, "--runtime '%s': must be an absolute path", in->runtime);
		if (!in->preview && !target_executable(in, in->runtime))
			return err_set(e, 0, "runtime '%s' is not an executable file%s%s", in->runtime,
				       in->c->root ? " under " : "", in->c->root ? in->c->root : "");
		snprintf(p->runtime, sizeof p->runtime, "%s", in->runtime);
		return 0;
	}
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(p->runtime, sizeof p->runtime, "%s/runc", dirs[i]);
		if (target_executable(in, p->runtime))
			return 0;
	}
	if (in->preview) {
		snprintf(p->runtime, sizeof p->runtime, "runc");
		return 0;
	}
	return err_set(e, 0, "no OCI runtime: runc is not in %s's PATH; give one with --runtime",
		       in->c->root ? in->c->root : "the host");
}

static int make_config(struct ctx *x, struct err *e)
{
	struct buf src;
	int found, r = -1;
	char *passwd = NULL, *group = NULL;
	size_t plen = 0, glen = 0;

	buf_init(&src);
	if (read_export(x, "config.json", &x->p->config, &found, e) < 0)
		goto out;
	if (!found) {
		if (read_export(x, "config.json.template", &src, &found, e) < 0)
			goto out;
		if (!found) {
			struct spec_image si = { 0 };
			struct image_path rp;
			if (image_path_kind(x->in->s, x->in->im, "run.sh", &rp, e) < 0 ||
			    image_read_file(x->in->s, x->in->im, "etc/passwd", MAX_EXPORT, &found,
					    &passwd, &plen, e) < 0 ||
			    image_read_file(x->in->s, x->in->im, "etc/group", MAX_EXPORT, &found,
					    &group, &glen, e) < 0)
				goto out;
			si.has_run_sh = rp.kind == STORE_FILE;
			si.passwd = passwd, si.passwd_len = plen, si.group = group, si.group_len = glen;
			si.no_host_resolv = !target_has(x->in, "/etc/resolv.conf");
			si.no_host_hosts = !target_has(x->in, "/etc/hosts");
			if (spec_default_template(x->in->im->config, strlen(x->in->im->config), &si,
						  &src, e) < 0)
				goto out;
		}
		if (expand(x, "/exports/config.json.template", src.data, src.len, 1, &x->p->config,
			   e) < 0)
			goto out;
	}
	r = 0;
out:
	free(passwd);
	free(group);
	buf_free(&src);
	return r;
}

static int make_service(struct ctx *x, struct err *e)
{
	struct buf src;
	int found, r;

	buf_init(&src);
	if (read_export(x, "service.template", &src, &found, e) < 0) {
		buf_free(&src);
		return -1;
	}
	if (!found)
		buf_puts(&src, unit_default_template());
	r = expand(x, "/exports/service.template", src.data, src.len, 0, &x->p->service, e);
	buf_free(&src);
	if (r == 0 && unit_wanted_by(x->p->service.data, x->p->service.len, x->p->wants,
				     PLAN_MAX_WANTS, &x->p->nwants, e) < 0)
		return err_wrap(e, "unit");
	return r;
}

static const char *value(const struct plan *p, const char *name)
{
	const char *v = "";
	values_get(&p->vals, name, strlen(name), &v);
	return v;
}

static int add_place(char **v, size_t *n, const char *path, struct err *e)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i], path))
			return 0;
	if (*n == PLAN_MAX_PLACES)
		return err_set(e, 0, "too many places");
	if (!(v[*n] = strdup(path)))
		return err_set(e, ENOMEM, "plan");
	(*n)++;
	return 0;
}

/* The index of path in own[], added when new; -1 on error. */
static int add_own(struct plan *p, const char *path, struct err *e)
{
	for (size_t i = 0; i < p->nown; i++)
		if (!strcmp(p->own[i].path, path))
			return (int)i;
	if (p->nown == PLAN_MAX_PLACES)
		return err_set(e, 0, "too many places");
	memset(&p->own[p->nown], 0, sizeof p->own[0]);
	if (!(p->own[p->nown].path = strdup(path)))
		return err_set(e, ENOMEM, "plan");
	return (int)p->nown++;
}

/* a strictly below dir, whole components */
static int strictly_below(const char *a, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)
		return a[0] == '/' && a[1];
	return !strncmp(a, dir, n) && a[n] == '/';
}

/* Who may have a place: NAME when it is missing and nobody else holds it,
 * or when NAME holds it already (its data kept from before); 0 when it
 * exists and is nobody's (taken), -1 (refused) when another container
 * holds it. */
static int claim(struct ctx *x, const char *what, const char *dir, struct err *e)
{
	const struct owner *o = x->in->owners ? owners_holder(x->in->owners, dir) : NULL;
	struct plan *p = x->p;
	int exists = target_has(x->in, dir), i;

	if (o && strcmp(o->name, p->name))
		return err_set(e, 0, "%s'%s' belongs to container '%s'%s%s%s", what, dir, o->name,
			       o->kept ? " (its data, kept since it was uninstalled; `uninstall --purge " : "",
			       o->kept ? o->name : "", o->kept ? "` drops it)" : "");
	if (exists && !o)
		return 0;
	if ((i = add_own(p, dir, e)) < 0)
		return -1;
	p->own[i].reused = exists;
	p->own[i].kept = exists && o && o->kept;
	return 1;
}

/* RUN/STATE/CONF_DIRECTORY/NAME: the container's own unless they exist
 * already and are not NAME's.  A directory variable only the image chose
 * may not make NAME name a system place ("/etc/ld.so.preload"). */
static int own_dirs(struct ctx *x, struct err *e)
{
	static const char *const vars[] = { "RUN_DIRECTORY", "STATE_DIRECTORY", "CONF_DIRECTORY" };
	struct plan *p = x->p;

	for (size_t i = 0; i < 3; i++) {
		char dir[PATH_MAX];
		int r;
		if (path_join(dir, sizeof dir, value(p, vars[i]), p->name) < 0)
			return err_set(e, ENAMETOOLONG, "%s/%s", vars[i], p->name);
		if (values_origin(&p->vals, vars[i]) != VALUE_SET && policy_own_place(dir, e) < 0)
			return err_wrap(e, "container name '%s'", p->name);
		if ((r = claim(x, "", dir, e)) < 0)
			return -1;
		if (r == 0 && add_place(p->taken, &p->ntaken, dir, e) < 0)
			return -1;
	}
	p->nname = p->nown;
	return 0;
}

/* A missing bind source below RUN, STATE or CONF_DIRECTORY, and no system
 * place, is the container's own: a tmpfiles line creates it. */
static int own_binds(struct ctx *x, struct err *e)
{
	static const char *const vars[] = { "RUN_DIRECTORY", "STATE_DIRECTORY", "CONF_DIRECTORY" };
	struct plan *p = x->p;
	struct err ignore;

	for (size_t i = 0; i < p->si.nbind; i++) {
		const char *src = p->si.bind_sources[i];
		int below = 0;
		for (size_t k = 0; k < 3; k++)
			below |= strictly_below(src, value(p, vars[k]));
		if (below && policy_own_place(src, &ignore) == 0 && claim(x, "bind source ", src, e) < 0)
			return -1;
	}
	return 0;
}

/* The image's tmpfiles lines, checked, then a `d` line for every own bind
 * source no line of the image names already. */
static int make_tmpfiles(struct ctx *x, struct err *e)
{
	const char *dirs[3], *binds[PLAN_MAX_PLACES];
	struct plan *p = x->p;
	size_t nd = 0, nb = 0;
	struct buf src;
	int found;

	/* own[] holds the NAME directories first (own_dirs), then binds */
	for (size_t i = 0; i < p->nown; i++) {
		if (i < p->nname)
			dirs[nd++] = p->own[i].path;
		else
			binds[nb++] = p->own[i].path;
	}
	struct tmpfiles_places pl = { dirs, nd, binds, nb, (const char *const *)p->taken, p->ntaken };

	buf_init(&src);
	if (read_export(x, "tmpfiles.template", &src, &found, e) < 0)
		goto fail;
	if (found && (expand(x, "/exports/tmpfiles.template", src.data, src.len, 0, &p->tmpfiles,
			     e) < 0 ||
		      tmpfiles_check(p->tmpfiles.data, p->tmpfiles.len, &pl, e) < 0))
		goto fail;
	if (p->tmpfiles.len && p->tmpfiles.data[p->tmpfiles.len - 1] != '\n')
		buf_putc(&p->tmpfiles, '\n');
	for (size_t i = 0; i < nb; i++)
		if (!tmpfiles_names(p->tmpfiles.data, p->tmpfiles.len, binds[i]) &&
		    tmpfiles_default_line(&p->tmpfiles, binds[i], getuid(), getgid()) < 0)
			goto fail;
	for (size_t i = 0; i < p->nown; i++)
		p->own[i].created = tmpfiles_names(p->tmpfiles.data, p->tmpfiles.len, p->own[i].path);
	buf_free(&src);
	return 0;
fail:
	buf_free(&src);
	return err_wrap(e, "tmpfiles");
}

/* A directory we will write into: every part of it a real directory, or
 * missing (then created); a symlink anywhere is refused, wherever it
 * points, since what we write must land where the target expects it. */
static int check_writable(struct ctx *x, const char *dir, struct err *e)
{
	char part[PATH_MAX];
	const char *rel;
	struct stat st;

	for (size_t n = 1;; n++) {
		if (dir[n] && dir[n] != '/')
			continue;
		snprintf(part, sizeof part, "%.*s", (int)n, dir);
		int dfd = target_at(&x->in->c->tgt, part, &rel);
		if (path_lstat(dfd, rel, PATH_NO_SYMLINKS, &st) < 0) {
			if (errno == ENOENT)
				return 0;
			if (errno != ELOOP)
				return err_set(e, errno, "'%s'", part);
		} else if (!S_ISDIR(st.st_mode)) {
			return err_set(e, 0, "'%s' is %s: units and tmpfiles files are written only "
				       "into a real directory", part,
				       S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
		}
		if (!dir[n])
			return 0;
	}
}

/* A unit of this name anywhere on systemd's search path, or a tmpfiles
 * conf of this name, is not ours to replace. */
static int check_names_free(struct ctx *x, struct err *e)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/run/systemd/system",
					    "/usr/lib/systemd/system", "/lib/systemd/system" };
	char t[PATH_MAX];

	if (check_writable(x, "/etc/systemd/system", e) < 0 ||
	    check_writable(x, "/etc/tmpfiles.d", e) < 0)
		return -1;
	for (size_t i = 0; i < x->p->nwants; i++) {
		if (path_fmt(t, sizeof t, e, "/etc/systemd/system/%s", x->p->wants[i]) < 0 ||
		    check_writable(x, t, e) < 0)
			return -1;
	}
	if (x->in->update)
		return 0;   /* they are NAME's own */

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (path_fmt(t, sizeof t, e, "%s/%s.service", dirs[i], x->p->name) < 0)
			return err_wrap(e, "unit");
		if (target_has(x->in, t))
			return err_set(e, 0, "unit '%s' already exists: not ours to replace", t);
	}
	if (target_has(x->in, x->p->tmpfiles_conf))
		return err_set(e, 0, "'%s' already exists: not ours to replace", x->p->tmpfiles_conf);
	return 0;
}

static int make_hostfs(struct ctx *x, struct err *e)
{
	struct json *m = NULL;
	int r;

	if (!(x->p->hostfs = calloc(1, sizeof *x->p->hostfs)))
		return err_set(e, ENOMEM, "hostfs");
	if (x->p->manifest.len && json_parse(&m, x->p->manifest.data, x->p->manifest.len, e) < 0)
		return err_wrap(e, "/exports/manifest.json");
	r = hostfs_plan(x->in->s, x->in->im, m, lookup, x, &x->in->c->tgt, x->in->preview,
			x->in->owned, x->in->nowned, x->p->hostfs, e);
	json_free(m);
	return r;
}

int plan_make(struct plan *p, const struct plan_in *in, struct err *e)
{
	struct ctx x = { p, in };
	const struct paths *paths = &in->c->paths;
	int found;

	buf_init(&p->manifest);
	buf_init(&p->config);
	buf_init(&p->service);
	buf_init(&p->tmpfiles);
	snprintf(p->name, sizeof p->name, "%s", in->name);
	p->slot = in->slot;
	if (snprintf(p->dest, sizeof p->dest, "%s/%s.%d", paths->checkout, p->name, p->slot) >=
	    (int)sizeof p->dest)
		return err_set(e, ENAMETOOLONG, "checkout '%s'", paths->checkout);
	snprintf(p->unit, sizeof p->unit, "/etc/systemd/system/%s.service", p->name);
	snprintf(p->tmpfiles_conf, sizeof p->tmpfiles_conf, "/etc/tmpfiles.d/%s.conf", p->name);
	if (find_runtime(&x, e) < 0 ||
	    values_builtin(&p->vals, p->name, p->dest, p->runtime, in->im->name, in->im->id, e) < 0)
		return -1;
	/* an update keeps the UUID (--set may still change it) */
	if (in->uuid && values_put(&p->vals, "UUID", 4, in->uuid, VALUE_BUILTIN, e) < 0)
		return -1;
	if (read_export(&x, "manifest.json", &p->manifest, &found, e) < 0)
		return -1;
	if (found && values_manifest(&p->vals, p->manifest.data, p->manifest.len, e) < 0)
		return err_wrap(e, "/exports/manifest.json");
	if (values_finish(&p->vals, e) < 0 || own_dirs(&x, e) < 0 || make_config(&x, e) < 0 ||
	    make_service(&x, e) < 0 || spec_validate(p->config.data, p->config.len, &p->si, e) < 0 ||
	    own_binds(&x, e) < 0 || make_tmpfiles(&x, e) < 0)
		return -1;
	if (!in->preview && check_names_free(&x, e) < 0)
		return -1;
	return make_hostfs(&x, e);
}

/* ---- showing a plan ------------------------------------------------------- */

void plan_print(const struct plan *p, const char *in)
{
	const struct hostfs *h = p->hostfs;

	text_printf(stdout, "%sDeployment:   %s\n", in, p->dest);
	text_printf(stdout, "%sUnit:         %s", in, p->unit);
	for (size_t i = 0; i < p->nwants; i++)
		text_printf(stdout, "%s%s", i ? ", " : " (enabled in ", p->wants[i]);
	text_printf(stdout, "%s\n", p->nwants ? ")" : "");
	text_printf(stdout, "%sTmpfiles:     %s%s\n", in, p->tmpfiles_conf,
		    p->tmpfiles.len ? "" : " (empty)");
	for (size_t i = 0, s = 0; i < p->tmpfiles.len; i++) {
		if (p->tmpfiles.data[i] != '\n')
			continue;
		text_printf(stdout, "%s  %.*s\n", in, (int)(i - s), p->tmpfiles.data + s);
		s = i + 1;
	}
	text_printf(stdout, "%sHost files:%s\n", in, h && h->n ? "" : "   (none)");
	for (size_t i = 0; h && i < h->n; i++) {
		const struct hostfile *f = &h->v[i];
		text_printf(stdout, "%s  %s (%04o", in, f->target, f->mode);
		if (f->mode != f->image_mode)
			text_printf(stdout, ", the image's %04o masked", f->image_mode);
		text_printf(stdout, ")%s\n", f->templated ? " expanded" : "");
	}
	for (size_t i = 0; h && i < h->ndirs; i++)
		text_printf(stdout, "%s  %s/ (directory, 0755)\n", in, h->dirs[i]);
	text_printf(stdout, "%sOwn places:  ", in);
	for (size_t i = 0; i < p->nown; i++)
		text_printf(stdout, " %s%s", p->own[i].path, p->own[i].created ? " (created)" : "");
	text_printf(stdout, "%s\n", p->nown ? "" : " (none)");
	for (size_t i = 0; i < p->ntaken; i++)
		text_printf(stdout, "%s  %s exists: not this container's\n", in, p->taken[i]);
	text_printf(stdout, "%sBind mounts: ", in);
	for (size_t i = 0; i < p->si.nbind; i++)
		text_printf(stdout, " %s%s", p->si.bind_sources[i], p->si.bind_ro[i] ? " (ro)" : "");
	text_printf(stdout, "%s\n", p->si.nbind ? "" : " (none)");
	text_printf(stdout, "%sCapabilities: %s\n", in, p->si.ncaps ? p->si.caps : "(none)");
	text_printf(stdout, "%sHost namespaces: %s\n", in, p->si.host_ns[0] ? p->si.host_ns : "(none)");
	text_printf(stdout, "%sPrivileged:   %s\n", in, p->si.privileged ? "yes (CAP_SYS_ADMIN)" : "no");
}

void plan_json(const struct plan *p, struct jw *w)
{
	const struct hostfs *h = p->hostfs;

	jw_begin_obj(w);
	jw_key(w, "name"); jw_str(w, p->name);
	jw_key(w, "deployment"); jw_str(w, p->dest);
	jw_key(w, "unit"); jw_str(w, p->unit);
	jw_key(w, "enabled_in");
	jw_begin_arr(w);
	for (size_t i = 0; i < p->nwants; i++)
		jw_str(w, p->wants[i]);
	jw_end_arr(w);
	jw_key(w, "tmpfiles_conf"); jw_str(w, p->tmpfiles_conf);
	jw_key(w, "tmpfiles"); jw_str(w, buf_cstr((struct buf *)&p->tmpfiles));
	jw_key(w, "host_files");
	jw_begin_arr(w);
	for (size_t i = 0; h && i < h->n; i++) {
		jw_begin_obj(w);
		jw_key(w, "path"); jw_str(w, h->v[i].target);
		jw_key(w, "from"); jw_str(w, h->v[i].src);
		jw_key(w, "mode"); jw_uint(w, h->v[i].mode);
		jw_key(w, "image_mode"); jw_uint(w, h->v[i].image_mode);
		jw_key(w, "templated"); jw_bool(w, h->v[i].templated);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_key(w, "host_directories");
	jw_begin_arr(w);
	for (size_t i = 0; h && i < h->ndirs; i++)
		jw_str(w, h->dirs[i]);
	jw_end_arr(w);
	jw_key(w, "own_places");
	jw_begin_arr(w);
	for (size_t i = 0; i < p->nown; i++) {
		jw_begin_obj(w);
		jw_key(w, "path"); jw_str(w, p->own[i].path);
		jw_key(w, "created"); jw_bool(w, p->own[i].created);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_key(w, "taken_places");
	jw_begin_arr(w);
	for (size_t i = 0; i < p->ntaken; i++)
		jw_str(w, p->taken[i]);
	jw_end_arr(w);
	jw_key(w, "bind_mounts");
	jw_begin_arr(w);
	for (size_t i = 0; i < p->si.nbind; i++) {
		jw_begin_obj(w);
		jw_key(w, "source"); jw_str(w, p->si.bind_sources[i]);
		jw_key(w, "readonly"); jw_bool(w, p->si.bind_ro[i]);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_key(w, "capabilities"); jw_str(w, p->si.caps);
	jw_key(w, "host_namespaces"); jw_str(w, p->si.host_ns);
	jw_key(w, "privileged"); jw_bool(w, p->si.privileged);
	jw_end_obj(w);
}
