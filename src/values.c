#include "values.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "buf.h"
#include "path.h"
#include "policy.h"
#include "spec.h"

/* Who may set what: the image never chooses what runs as root on the host. */
static const struct {
	const char *name;
	int manifest, set;
} rules[] = {
	{ "DESTDIR", 0, 0 }, { "NAME", 0, 0 }, { "EXEC_START", 0, 0 }, { "EXEC_STOP", 0, 0 },
	{ "EXEC_STARTPRE", 0, 0 }, { "EXEC_STOPPOST", 0, 0 }, { "HOST_UID", 0, 0 },
	{ "HOST_GID", 0, 0 }, { "IMAGE_NAME", 0, 0 }, { "IMAGE_ID", 0, 0 }, { "RUNTIME", 0, 0 },
	{ "RUN_DIRECTORY", 1, 1 }, { "STATE_DIRECTORY", 1, 1 }, { "CONF_DIRECTORY", 1, 1 },
	{ "PIDFILE", 1, 1 }, { "ALL_PROCESS_CAPABILITIES", 0, 1 }, { "UUID", 0, 1 },
};

static int rule(const char *name, size_t len, int *manifest, int *set)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strlen(rules[i].name) == len && !memcmp(rules[i].name, name, len)) {
			*manifest = rules[i].manifest;
			*set = rules[i].set;
			return 1;
		}
	*manifest = *set = 1;
	return 0;
}

int values_put(struct values *v, const char *name, size_t len, const char *value,
	       enum value_origin origin, struct err *e)
{
	char *copy = strdup(value);

	if (!copy)
		return err_set(e, ENOMEM, "values");
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i].name) == len && !memcmp(v->v[i].name, name, len)) {
			free(v->v[i].value);
			v->v[i].value = copy;
			v->v[i].origin = origin;
			return 0;
		}
	if (v->n == VALUES_MAX) {
		free(copy);
		return err_set(e, 0, "more than %d variables", VALUES_MAX);
	}
	v->v[v->n].name = strndup(name, len);
	v->v[v->n].value = copy;
	v->v[v->n].origin = origin;
	if (!v->v[v->n].name)
		return err_set(e, ENOMEM, "values");
	v->n++;
	return 0;
}

static int builtin(struct values *v, const char *name, const char *value, struct err *e)
{
	return values_put(v, name, strlen(name), value, VALUE_BUILTIN, e);
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

int values_add_set(struct values *v, const char *kv, struct err *e)
{
	const char *eq = strchr(kv, '=');
	int m, s;

	if (!eq || !valid_name(kv, (size_t)(eq - kv)))
		return err_usage(e, "--set '%s': expected NAME=VALUE", kv);
	rule(kv, (size_t)(eq - kv), &m, &s);
	if (!s)
		return err_usage(e, "--set %.*s: a fixed variable cannot be set%s", (int)(eq - kv), kv,
				 !strncmp(kv, "RUNTIME=", 8) ? " (use --runtime)" : "");
	if (v->nsets == VALUES_MAX)
		return err_usage(e, "too many --set");
	if (!(v->sets[v->nsets] = strdup(kv)))
		return err_set(e, ENOMEM, "--set");
	v->nsets++;
	return 0;
}

/* getrandom(): early boot may have no /dev; it blocks only until the
 * kernel's pool is first initialised. */
static void random_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof b) {
		FILE *f = fopen("/dev/urandom", "rb");
		if (!f || fread(b, 1, sizeof b, f) != sizeof b)
			for (int i = 0; i < 16; i++)
				b[i] = (unsigned char)(rand() ^ getpid());
		if (f)
			fclose(f);
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static unsigned last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	unsigned n = 40;
	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 40;
		fclose(f);
	}
	return n;
}

int values_builtin(struct values *v, const char *name, const char *destdir, const char *runtime,
		   const char *image_name, const char *image_id, struct err *e)
{
	char buf[4400], uuid[37];
	struct buf caps;
	int r;

	snprintf(buf, sizeof buf, "%s", destdir);
	if (builtin(v, "DESTDIR", buf, e) < 0 || builtin(v, "NAME", name, e) < 0)
		return -1;
	/* As root, the runtime puts the container in the unit's systemd cgroup
	 * (runc and crun both take the flag before the command). */
	const char *sd = getuid() == 0 ? " --systemd-cgroup" : "";
	snprintf(buf, sizeof buf, "%s%s run '%s'", runtime, sd, name);
	if (builtin(v, "EXEC_START", buf, e) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%s%s kill '%s'", runtime, sd, name);
	if (builtin(v, "EXEC_STOP", buf, e) < 0 || builtin(v, "EXEC_STARTPRE", "", e) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%s%s delete --force '%s'", runtime, sd, name);
	if (builtin(v, "EXEC_STOPPOST", buf, e) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%u", (unsigned)getuid());
	if (builtin(v, "HOST_UID", buf, e) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%u", (unsigned)getgid());
	random_uuid(uuid);
	if (builtin(v, "HOST_GID", buf, e) < 0 || builtin(v, "IMAGE_NAME", image_name, e) < 0 ||
	    builtin(v, "IMAGE_ID", image_id, e) < 0 || builtin(v, "RUNTIME", runtime, e) < 0 ||
	    builtin(v, "RUN_DIRECTORY", "/run", e) < 0 ||
	    builtin(v, "STATE_DIRECTORY", "/var/lib", e) < 0 ||
	    builtin(v, "CONF_DIRECTORY", "/etc", e) < 0 || builtin(v, "UUID", uuid, e) < 0)
		return -1;
	buf_init(&caps);
	spec_capabilities_body(last_cap(), &caps);
	r = builtin(v, "ALL_PROCESS_CAPABILITIES", caps.oom ? "" : buf_cstr(&caps), e);
	buf_free(&caps);
	return r;
}

/* A --set of this name replaces the image's default before it is used. */
static int set_by_admin(const struct values *v, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < v->nsets; i++)
		if (!strncmp(v->sets[i], name, n) && v->sets[i][n] == '=')
			return 1;
	return 0;
}

int values_manifest(struct values *v, const char *text, size_t len, struct err *e)
{
	struct json *j = NULL;
	int dv, r = 0;

	if (json_parse(&j, text, len, e) < 0)
		return -1;
	dv = json_get(j, json_root(j), "defaultValues");
	for (size_t i = 0; i < json_count(j, dv) && r == 0; i++) {
		int key, val = json_member(j, dv, i, &key), m, s;
		char *k = json_str(j, key), *x = json_str(j, val);
		if (!k || !x || !valid_name(k, strlen(k)))
			r = err_set(e, 0, "defaultValues: entry %zu is not NAME: \"string\"", i);
		else if (rule(k, strlen(k), &m, &s), !m)
			r = err_set(e, 0, "defaultValues may not set %s", k);
		else if (!set_by_admin(v, k) && policy_directory_default(k, x, e) < 0)
			r = err_wrap(e, "defaultValues");
		else {
			r = values_put(v, k, strlen(k), x, VALUE_IMAGE, e);
			if (!strcmp(k, "PIDFILE"))
				v->pidfile_set = 1;
		}
		free(k);
		free(x);
	}
	json_free(j);
	return r;
}

int values_finish(struct values *v, struct err *e)
{
	const char *run = "/run", *name = "";
	char buf[4400];

	for (size_t i = 0; i < v->nsets; i++) {
		const char *eq = strchr(v->sets[i], '=');
		if (values_put(v, v->sets[i], (size_t)(eq - v->sets[i]), eq + 1, VALUE_SET, e) < 0)
			return -1;
		if (!strncmp(v->sets[i], "PIDFILE=", 8))
			v->pidfile_set = 1;
	}
	if (!v->pidfile_set) {
		values_get(v, "RUN_DIRECTORY", 13, &run);
		values_get(v, "NAME", 4, &name);
		if (path_fmt(buf, sizeof buf, e, "%s/container-%s.pid", run, name) < 0)
			return err_wrap(e, "PIDFILE");
		return builtin(v, "PIDFILE", buf, e);
	}
	return 0;
}

enum value_origin values_origin(const struct values *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i].name, name))
			return v->v[i].origin;
	return VALUE_BUILTIN;
}

int values_get(const struct values *v, const char *name, size_t len, const char **value)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i].name) == len && !memcmp(v->v[i].name, name, len)) {
			*value = v->v[i].value;
			return 1;
		}
	return 0;
}

void values_json(const struct values *v, struct jw *w)
{
	jw_begin_obj(w);
	for (size_t i = 0; i < v->n; i++) {
		jw_key(w, v->v[i].name);
		jw_str(w, v->v[i].value);
	}
	jw_end_obj(w);
}

void values_free(struct values *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	for (size_t i = 0; i < v->nsets; i++)
		free(v->sets[i]);
	v->n = v->nsets = 0;
}
