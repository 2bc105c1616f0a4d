#include "spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

/* s[0..n) quoted in an error message (escaped, at most ~200 bytes). */
#define SAFE_MAX 204
static const char *msg_safe(char *dst, const char *s, size_t n)
{
	text_escape(dst, SAFE_MAX, s, strnlen(s, n), TEXT_QUOTE);
	return dst;
}
#define SAFE(s, n) msg_safe((char[SAFE_MAX]){ 0 }, (s), (n))

/* ---- capabilities ---- */

/* linux/capability.h, by number. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int spec_capabilities_body(unsigned last_cap, struct buf *out)
{
	size_t n = sizeof cap_names / sizeof cap_names[0];

	/* a name runc does not know would make it refuse the whole config */
	if (last_cap < n - 1)
		n = (size_t)last_cap + 1;
	for (size_t i = 0; i < n; i++)
		buf_appendf(out, "%s\"%s\"", i ? ", " : "", cap_names[i]);
	return out->oom ? -1 : 0;
}

/* ---- users and groups ---- */

/* Decimal id below 2^32-1 ((uid_t)-1 means "no change" to the kernel). */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* One line of /etc/passwd or /etc/group: name, and two numeric fields
 * (uid and gid of passwd; gid twice for group). */
struct colon_entry {
	const char *name;
	size_t nlen;
	uint32_t id, id2;
};

/* Split line[0..n) at ':'; 0 when field 2 (and field 3 when want3) are ids. */
static int colon_parse(const char *line, size_t n, int want3, struct colon_entry *ent)
{
	const char *f[4];
	size_t fl[4], k = 0, start = 0;

	for (size_t i = 0; i <= n && k < 4; i++) {
		if (i == n || line[i] == ':') {
			f[k] = line + start;
			fl[k++] = i - start;
			start = i + 1;
		}
	}
	if (k < (want3 ? 4u : 3u) || fl[0] == 0)
		return -1;
	ent->name = f[0];
	ent->nlen = fl[0];
	if (parse_id(f[2], fl[2], &ent->id) < 0)
		return -1;
	ent->id2 = ent->id;
	return want3 ? parse_id(f[3], fl[3], &ent->id2) : 0;
}

/* First well-formed entry whose name is name[0..nlen) (name != NULL) or
 * whose id is `id`.  1 found, 0 not. */
static int colon_find(const char *buf, size_t len, int want3, const char *name, size_t nlen,
		      uint32_t id, struct colon_entry *ent)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (end > i && buf[i] != '#' && colon_parse(buf + i, end - i, want3, ent) == 0) {
			if (name ? ent->nlen == nlen && !memcmp(ent->name, name, nlen)
				 : ent->id == id)
				return 1;
		}
		i = end + 1;
	}
	return 0;
}

static int resolve_uid(const char *u, size_t ul, const char *passwd, size_t plen,
		       uint32_t *uid, uint32_t *pgid, struct err *e)
{
	struct colon_entry ent;

	if (parse_id(u, ul, uid) == 0) {
		*pgid = 0;
		if (passwd && colon_find(passwd, plen, 1, NULL, 0, *uid, &ent))
			*pgid = ent.id2;
		return 0;
	}
	if (!passwd)
		return err_set(e, 0, "user '%s': the image has no /etc/passwd (only numeric "
			       "ids work)", SAFE(u, ul));
	if (!colon_find(passwd, plen, 1, u, ul, 0, &ent))
		return err_set(e, 0, "user '%s' not found in the image's /etc/passwd", SAFE(u, ul));
	*uid = ent.id;
	*pgid = ent.id2;
	return 0;
}

static int resolve_gid(const char *g, size_t gl, const char *group, size_t glen, uint32_t *gid,
		       struct err *e)
{
	struct colon_entry ent;

	if (parse_id(g, gl, gid) == 0)
		return 0;
	if (!group)
		return err_set(e, 0, "group '%s': the image has no /etc/group (only numeric "
			       "ids work)", SAFE(g, gl));
	if (!colon_find(group, glen, 0, g, gl, 0, &ent))
		return err_set(e, 0, "group '%s' not found in the image's /etc/group", SAFE(g, gl));
	*gid = ent.id;
	return 0;
}

int spec_resolve_user(const char *user, const char *passwd, size_t plen, const char *group,
		      size_t glen, uint32_t *uid, uint32_t *gid, struct err *e)
{
	const char *colon = strchr(user, ':');
	size_t ul = colon ? (size_t)(colon - user) : strlen(user);
	uint32_t u = 0, g, pg = 0;

	if (!*user) {
		*uid = *gid = 0;
		return 0;
	}
	if (ul == 0 || (colon && (!colon[1] || strchr(colon + 1, ':'))))
		return err_set(e, 0, "invalid user '%s'", SAFE(user, strlen(user)));
	if (resolve_uid(user, ul, passwd, plen, &u, &pg, e) < 0)
		return -1;
	g = pg;
	if (colon && resolve_gid(colon + 1, strlen(colon + 1), group, glen, &g, e) < 0)
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}

/* ---- the default template ---- */

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* runc spec's defaults for a root container (runc 1.1). */
static const char *const default_caps[] = {
	"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
};
static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
	"/proc/scsi",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
/* No "network": system services live in the host's network namespace. */
static const char *const namespaces[] = { "pid", "ipc", "uts", "mount" };

#define NOPT 6
struct fixed_mount {
	const char *dest, *type, *source;
	const char *opt[NOPT];
};

static const struct fixed_mount fixed_mounts[] = {
	{ "/proc", "proc", "proc", { NULL } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
	{ "/dev/pts", "devpts", "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
	/* the root is read-only: services still need scratch space */
	{ "/tmp", "tmpfs", "tmpfs", { "nosuid", "nodev", "mode=1777" } },
	{ "/run", "tmpfs", "tmpfs", { "nosuid", "nodev", "mode=755" } },
	{ "/var/tmp", "tmpfs", "tmpfs", { "nosuid", "nodev", "mode=1777" } },
	/* name resolution as the host does it (host network namespace) */
	{ "/etc/resolv.conf", "bind", "/etc/resolv.conf", { "rbind", "ro" } },
	{ "/etc/hosts", "bind", "/etc/hosts", { "rbind", "ro" } },
};

/* A string from image data: every '$' doubled, so expansion gives it back. */
static int jw_literal(struct jw *w, const char *s)
{
	struct buf t;
	int r;

	buf_init(&t);
	for (const char *p = s; *p; p++) {
		if (*p == '$')
			buf_putc(&t, '$');
		buf_putc(&t, *p);
	}
	if (t.oom) {
		w->b->oom = 1;
		r = -1;
	} else {
		r = jw_strn(w, t.data ? t.data : "", t.len);
	}
	buf_free(&t);
	return r;
}

static void jw_const_list(struct jw *w, const char *key, const char *const *v, size_t n)
{
	jw_key(w, key);
	jw_begin_arr(w);
	for (size_t i = 0; i < n && v[i]; i++)
		jw_str(w, v[i]);
	jw_end_arr(w);
}

/* The image config's "config" object and what we read from it. */
struct image_cfg {
	const struct json *j;
	int entrypoint, cmd, env, volumes; /* nodes, -1 when absent or null */
	char *workdir, *user;              /* malloc'd; "" when absent */
	char **vol;                        /* normalised volume paths, sorted */
	size_t nvol;
};

static void image_cfg_free(struct image_cfg *c)
{
	free(c->workdir);
	free(c->user);
	for (size_t i = 0; i < c->nvol; i++)
		free(c->vol[i]);
	free(c->vol);
}

/* node is absent, null, or an array of strings without U+0000. */
static int check_str_array(const struct json *j, int node, const char *field, struct err *e)
{
	char *s;

	if (json_kind(j, node) == JSON_ABSENT || json_kind(j, node) == JSON_NULL)
		return 0;
	if (json_kind(j, node) != JSON_ARRAY)
		return err_set(e, 0, "image config: %s is not an array of strings", field);
	for (size_t i = 0; i < json_count(j, node); i++) {
		if (json_kind(j, json_at(j, node, i)) != JSON_STRING)
			return err_set(e, 0, "image config: %s is not an array of strings", field);
		s = json_str(j, json_at(j, node, i));
		if (!s)
			return err_set(e, 0, "image config: %s contains U+0000", field);
		free(s);
	}
	return 0;
}

/* A string field: absent or null give "". */
static int get_str(const struct json *j, int obj, const char *field, char **out, struct err *e)
{
	int node = json_get(j, obj, field);
	enum json_kind k = json_kind(j, node);

	if (k == JSON_ABSENT || k == JSON_NULL) {
		*out = strdup("");
		return *out ? 0 : err_set(e, ENOMEM, "image config: %s", field);
	}
	if (k != JSON_STRING)
		return err_set(e, 0, "image config: %s is not a string", field);
	*out = json_str(j, node);
	return *out ? 0 : err_set(e, 0, "image config: %s contains U+0000", field);
}

/* "/a//./b/" -> "a/b" (no leading '/'); NULL when empty, with "..", or
 * with a control character (the path also names a host directory). */
static char *volume_clean(const char *p)
{
	size_t n = strlen(p), o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		size_t cl = j - i;
		if (cl == 2 && p[i] == '.' && p[i + 1] == '.')
			goto bad;
		if (cl && !(cl == 1 && p[i] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p + i, cl);
			o += cl;
		}
		i = j + 1;
	}
	out[o] = '\0';
	for (size_t i = 0; i < o; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			goto bad;
	if (o)
		return out;
bad:
	free(out);
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Volumes keys, cleaned, sorted (a parent before what is below it, so a
 * volume inside another is mounted on top of it) and deduplicated. */
static int read_volumes(struct image_cfg *c, struct err *e)
{
	size_t n = json_count(c->j, c->volumes), k = 0;
	int key;
	char *raw, *v;

	if (n > SPEC_MAX_VOLUMES)
		return err_set(e, 0, "image config: Volumes: more than %d", SPEC_MAX_VOLUMES);
	c->vol = calloc(n ? n : 1, sizeof *c->vol);
	if (!c->vol)
		return err_set(e, ENOMEM, "image config: Volumes");
	for (size_t i = 0; i < n; i++) {
		json_member(c->j, c->volumes, i, &key);
		raw = json_str(c->j, key);
		if (!raw)
			return err_set(e, 0, "image config: Volumes: a path contains U+0000");
		v = volume_clean(raw);
		if (!v) {
			err_set(e, 0, "image config: Volumes: '%s' is not a clean absolute path",
				SAFE(raw, strlen(raw)));
			free(raw);
			return -1;
		}
		free(raw);
		c->vol[c->nvol++] = v;
	}
	qsort(c->vol, c->nvol, sizeof *c->vol, cmp_str);
	for (size_t i = 0; i < c->nvol; i++) {
		if (k && !strcmp(c->vol[k - 1], c->vol[i]))
			free(c->vol[i]);
		else
			c->vol[k++] = c->vol[i];
	}
	c->nvol = k;
	return 0;
}

static int image_cfg_read(struct image_cfg *c, const struct json *j, struct err *e)
{
	int cfg = json_get(j, json_root(j), "config");
	enum json_kind k;

	memset(c, 0, sizeof *c);
	c->j = j;
	if (json_kind(j, json_root(j)) != JSON_OBJECT)
		return err_set(e, 0, "image config: not a JSON object");
	k = json_kind(j, cfg);
	if (k != JSON_ABSENT && k != JSON_NULL && k != JSON_OBJECT)
		return err_set(e, 0, "image config: config is not an object");
	c->entrypoint = json_get(j, cfg, "Entrypoint");
	c->cmd = json_get(j, cfg, "Cmd");
	c->env = json_get(j, cfg, "Env");
	c->volumes = json_get(j, cfg, "Volumes");
	if (check_str_array(j, c->entrypoint, "Entrypoint", e) < 0 ||
	    check_str_array(j, c->cmd, "Cmd", e) < 0 || check_str_array(j, c->env, "Env", e) < 0)
		return -1;
	k = json_kind(j, c->volumes);
	if (k != JSON_ABSENT && k != JSON_NULL && k != JSON_OBJECT)
		return err_set(e, 0, "image config: Volumes is not an object");
	if (get_str(j, cfg, "WorkingDir", &c->workdir, e) < 0 ||
	    get_str(j, cfg, "User", &c->user, e) < 0)
		return -1;
	if (c->workdir[0] && c->workdir[0] != '/')
		return err_set(e, 0, "image config: WorkingDir '%s' is not absolute",
			       SAFE(c->workdir, strlen(c->workdir)));
	return read_volumes(c, e);
}

/* Append every string of an array node (checked by check_str_array). */
static void jw_image_strs(struct jw *w, const struct json *j, int node)
{
	for (size_t i = 0; i < json_count(j, node); i++) {
		char *s = json_str(j, json_at(j, node, i));
		if (!s) {
			w->b->oom = 1;
			return;
		}
		jw_literal(w, s);
		free(s);
	}
}

static int write_args(struct jw *w, const struct image_cfg *c, const struct spec_image *im,
		      struct err *e)
{
	jw_key(w, "args");
	jw_begin_arr(w);
	if (im->has_run_sh) {
		jw_str(w, "/run.sh");
	} else {
		if (json_count(c->j, c->entrypoint) + json_count(c->j, c->cmd) == 0)
			return err_set(e, 0, "image has neither /run.sh nor Entrypoint/Cmd");
		jw_image_strs(w, c->j, c->entrypoint);
		jw_image_strs(w, c->j, c->cmd);
	}
	return jw_end_arr(w);
}

static int is_path_entry(const struct json *j, int node)
{
	char *s = json_str(j, node);
	int r = s && !strncmp(s, "PATH=", 5);

	free(s);
	return r;
}

static void write_env(struct jw *w, const struct image_cfg *c)
{
	int has_path = 0;

	jw_key(w, "env");
	jw_begin_arr(w);
	for (size_t i = 0; i < json_count(c->j, c->env); i++)
		has_path |= is_path_entry(c->j, json_at(c->j, c->env, i));
	/* runc looks a relative args[0] up in the container's PATH */
	if (!has_path)
		jw_str(w, DEFAULT_PATH);
	jw_image_strs(w, c->j, c->env);
	jw_end_arr(w);
}

static int write_process(struct jw *w, const struct image_cfg *c, const struct spec_image *im,
			 struct err *e)
{
	static const char *const capsets[] = { "bounding", "effective", "permitted", "ambient" };
	uint32_t uid, gid;

	if (spec_resolve_user(c->user, im->passwd, im->passwd_len, im->group, im->group_len,
			      &uid, &gid, e) < 0)
		return err_wrap(e, "image config: User");
	jw_key(w, "process");
	jw_begin_obj(w);
	jw_key(w, "terminal");
	jw_bool(w, 0);
	jw_key(w, "user");
	jw_begin_obj(w);
	jw_key(w, "uid");
	jw_uint(w, uid);
	jw_key(w, "gid");
	jw_uint(w, gid);
	jw_end_obj(w);
	if (write_args(w, c, im, e) < 0 && !w->bad && !w->b->oom)
		return -1;
	write_env(w, c);
	jw_key(w, "cwd");
	if (c->workdir[0])
		jw_literal(w, c->workdir);
	else
		jw_str(w, "/");
	jw_key(w, "capabilities");
	jw_begin_obj(w);
	for (size_t i = 0; i < sizeof capsets / sizeof capsets[0]; i++)
		jw_const_list(w, capsets[i], default_caps, sizeof default_caps / sizeof *default_caps);
	jw_end_obj(w);
	jw_key(w, "rlimits");
	jw_begin_arr(w);
	jw_begin_obj(w);
	jw_key(w, "type");
	jw_str(w, "RLIMIT_NOFILE");
	jw_key(w, "hard");
	jw_uint(w, 1024);
	jw_key(w, "soft");
	jw_uint(w, 1024);
	jw_end_obj(w);
	jw_end_arr(w);
	jw_key(w, "noNewPrivileges");
	jw_bool(w, 1);
	return jw_end_obj(w);
}

static void write_mount(struct jw *w, const char *dest, const char *type, const char *source,
			const char *const *opt, size_t nopt)
{
	jw_begin_obj(w);
	jw_key(w, "destination");
	jw_str(w, dest);
	jw_key(w, "type");
	jw_str(w, type);
	jw_key(w, "source");
	jw_str(w, source);
	if (nopt && opt[0])
		jw_const_list(w, "options", opt, nopt);
	jw_end_obj(w);
}

static void write_mounts(struct jw *w, const struct image_cfg *c, const struct spec_image *im)
{
	static const char *const volopt[] = { "rbind", "rw" };
	struct buf dest, src;

	buf_init(&dest);
	buf_init(&src);
	jw_key(w, "mounts");
	jw_begin_arr(w);
	for (size_t i = 0; i < sizeof fixed_mounts / sizeof fixed_mounts[0]; i++) {
		const struct fixed_mount *m = &fixed_mounts[i];
		if ((im->no_host_resolv && !strcmp(m->dest, "/etc/resolv.conf")) ||
		    (im->no_host_hosts && !strcmp(m->dest, "/etc/hosts")))
			continue;
		write_mount(w, m->dest, m->type, m->source, m->opt, NOPT);
	}
	for (size_t i = 0; i < c->nvol; i++) {
		/* the placeholders stay; the path's own '$' are doubled */
		buf_reset(&dest);
		buf_reset(&src);
		buf_putc(&dest, '/');
		buf_puts(&src, "${STATE_DIRECTORY}/${NAME}/");
		for (const char *p = c->vol[i]; *p; p++) {
			if (*p == '$') {
				buf_putc(&dest, '$');
				buf_putc(&src, '$');
			}
			buf_putc(&dest, *p);
			buf_putc(&src, *p);
		}
		if (dest.oom || src.oom)
			w->b->oom = 1;
		else
			write_mount(w, dest.data, "bind", src.data, volopt, 2);
	}
	jw_end_arr(w);
	buf_free(&dest);
	buf_free(&src);
}

static void write_linux(struct jw *w)
{
	jw_key(w, "linux");
	jw_begin_obj(w);
	jw_key(w, "resources");
	jw_begin_obj(w);
	jw_key(w, "devices");
	jw_begin_arr(w);
	jw_begin_obj(w);
	jw_key(w, "allow");
	jw_bool(w, 0);
	jw_key(w, "access");
	jw_str(w, "rwm");
	jw_end_obj(w);
	jw_end_arr(w);
	jw_end_obj(w);
	jw_key(w, "namespaces");
	jw_begin_arr(w);
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
		jw_begin_obj(w);
		jw_key(w, "type");
		jw_str(w, namespaces[i]);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_const_list(w, "maskedPaths", masked_paths, sizeof masked_paths / sizeof *masked_paths);
	jw_const_list(w, "readonlyPaths", readonly_paths,
		      sizeof readonly_paths / sizeof *readonly_paths);
	jw_end_obj(w);
}

static int write_template(struct jw *w, const struct image_cfg *c, const struct spec_image *im,
			  struct err *e)
{
	jw_begin_obj(w);
	jw_key(w, "ociVersion");
	jw_str(w, "1.0.2");
	if (write_process(w, c, im, e) < 0 && !w->bad && !w->b->oom)
		return -1;
	jw_key(w, "root");
	jw_begin_obj(w);
	jw_key(w, "path");
	jw_str(w, "rootfs");
	jw_key(w, "readonly");
	jw_bool(w, 1);
	jw_end_obj(w);
	write_mounts(w, c, im);
	write_linux(w);
	jw_end_obj(w);
	if (w->b->oom)
		return err_set(e, ENOMEM, "writing the default config.json");
	if (jw_finish(w) < 0)
		return err_set(e, 0, "writing the default config.json: internal JSON writer error");
	buf_putc(w->b, '\n');
	return w->b->oom ? err_set(e, ENOMEM, "writing the default config.json") : 0;
}

int spec_default_template(const char *image_config, size_t len, const struct spec_image *im,
			  struct buf *out, struct err *e)
{
	struct json *j = NULL;
	struct image_cfg c;
	struct jw w;
	size_t orig = out->len;
	int r;

	if (json_parse(&j, image_config, len, e) < 0)
		return err_wrap(e, "image config");
	r = image_cfg_read(&c, j, e);
	if (r == 0) {
		jw_init(&w, out, 1);
		r = write_template(&w, &c, im, e);
	}
	image_cfg_free(&c);
	json_free(j);
	if (r < 0)
		buf_truncate(out, orig);
	return r;
}

/* ---- validation ---- */

void spec_info_free(struct spec_info *si)
{
	if (!si)
		return;
	for (size_t i = 0; i < si->nbind; i++)
		free(si->bind_sources[i]);
	memset(si, 0, sizeof *si);
}

static int is_bind(const struct json *j, int m)
{
	int opts = json_get(j, m, "options");

	if (json_str_eq(j, json_get(j, m, "type"), "bind"))
		return 1;
	for (size_t i = 0; i < json_count(j, opts); i++)
		if (json_str_eq(j, json_at(j, opts, i), "bind") ||
		    json_str_eq(j, json_at(j, opts, i), "rbind"))
			return 1;
	return 0;
}

static int add_bind(struct spec_info *si, char *src, struct err *e)
{
	for (size_t i = 0; i < si->nbind; i++)
		if (!strcmp(si->bind_sources[i], src)) {
			free(src);
			return 0;
		}
	if (si->nbind == SPEC_MAX_BINDS) {
		free(src);
		return err_set(e, 0, "config.json: more than %d bind mounts", SPEC_MAX_BINDS);
	}
	si->bind_sources[si->nbind++] = src;
	return 0;
}

static int collect_binds(const struct json *j, struct spec_info *si, struct err *e)
{
	int mounts = json_get(j, json_root(j), "mounts");

	for (size_t i = 0; i < json_count(j, mounts); i++) {
		int m = json_at(j, mounts, i);
		char *src;

		if (!is_bind(j, m))
			continue;
		src = json_str(j, json_get(j, m, "source"));
		if (!src || src[0] != '/') {
			free(src); /* relative or odd: nothing the install could create */
			continue;
		}
		for (const char *p = src; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				err_set(e, 0, "config.json: bind source '%s' contains a control "
					"character", SAFE(src, strlen(src)));
				free(src);
				return -1;
			}
		if (add_bind(si, src, e) < 0)
			return -1;
		for (size_t k = 0; k < json_count(j, json_get(j, m, "options")); k++)
			if (json_str_eq(j, json_at(j, json_get(j, m, "options"), k), "ro"))
				si->bind_ro[si->nbind - 1] = 1;
	}
	return 0;
}

/* What the container may do on the host, for the install plan. */
static void summarise(const struct json *j, struct spec_info *si)
{
	static const char *const ns[] = { "mount", "pid", "network", "ipc", "uts", "cgroup", "user" };
	int caps = json_getpath(j, json_root(j), "process.capabilities.bounding");
	int list = json_getpath(j, json_root(j), "linux.namespaces");
	size_t o = 0;

	for (size_t i = 0; i < json_count(j, caps); i++) {
		char *c = json_str(j, json_at(j, caps, i));
		if (c && o + strlen(c) + 3 < sizeof si->caps)
			o += (size_t)snprintf(si->caps + o, sizeof si->caps - o, "%s%s", o ? ", " : "", c);
		si->privileged |= c && !strcmp(c, "CAP_SYS_ADMIN");
		si->ncaps += c != NULL;
		free(c);
	}
	o = 0;
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		int have = 0;
		for (size_t i = 0; i < json_count(j, list); i++)
			have |= json_str_eq(j, json_get(j, json_at(j, list, i), "type"), ns[k]);
		if (!have)
			o += (size_t)snprintf(si->host_ns + o, sizeof si->host_ns - o, "%s%s",
					      o ? ", " : "", ns[k]);
	}
}

static int check_args(const struct json *j, struct err *e)
{
	int args = json_getpath(j, json_root(j), "process.args");

	if (json_kind(j, args) != JSON_ARRAY || json_count(j, args) == 0)
		goto bad;
	for (size_t i = 0; i < json_count(j, args); i++)
		if (json_kind(j, json_at(j, args, i)) != JSON_STRING)
			goto bad;
	return 0;
bad:
	return err_set(e, 0, "config.json: process.args must be a non-empty array of strings");
}

int spec_validate(const char *json, size_t len, struct spec_info *out, struct err *e)
{
	struct json *j = NULL;
	int root, ro = 0, r = -1;

	if (json_parse(&j, json, len, e) < 0)
		return err_wrap(e, "config.json");
	root = json_root(j);
	if (json_kind(j, root) != JSON_OBJECT) {
		err_set(e, 0, "config.json: not a JSON object");
	} else if (!json_str_eq(j, json_getpath(j, root, "root.path"), "rootfs")) {
		err_set(e, 0, "config.json: root.path must be \"rootfs\"");
	} else if (json_bool(j, json_getpath(j, root, "root.readonly"), &ro) < 0 || !ro) {
		err_set(e, 0, "config.json: root.readonly must be true (a writable root would "
			"write through the hardlinks into the image store)");
	} else if (check_args(j, e) == 0) {
		r = collect_binds(j, out, e);
		if (r == 0)
			summarise(j, out);
	}
	if (r < 0)
		spec_info_free(out);
	json_free(j);
	return r;
}
