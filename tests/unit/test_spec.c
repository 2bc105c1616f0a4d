/* config.json for installed containers: the default template for images
 * that ship none (args, env, cwd, user, volumes), what validation refuses,
 * which bind sources it reports, users resolved from the image's files,
 * and ALL_PROCESS_CAPABILITIES. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "spec.h"
#include "tap.h"
#include "template.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"#commented:x:7:7::/:/bin/sh\n"
	"broken:x:abc:1::/:/bin/sh\n"
	"short:x\n"
	"\n"
	"daemon:x:1:1::/:/sbin/nologin\n"
	"etcd:x:1000:1001::/var/lib/etcd:/bin/sh\n"
	"last:x:2000:2001::/:/bin/sh"; /* no final newline */
static const char group[] =
	"root:x:0:\n"
	"wheel:x:10:etcd\n"
	"etcd:x:1001:\n"
	"tail:x:3000:";

/* ---- spec_resolve_user ---- */

struct urow {
	const char *user;
	int files; /* 1: passwd and group given; 0: the image has neither */
	uint32_t uid, gid;
	const char *err;
	const char *why;
};

static void test_users(void)
{
	static const struct urow rows[] = {
		{ "", 1, 0, 0, NULL, "empty User is root" },
		{ "", 0, 0, 0, NULL, "empty User needs no files" },
		{ "etcd", 1, 1000, 1001, NULL, "name: uid and gid from passwd" },
		{ "1000", 1, 1000, 1001, NULL, "numeric uid takes its passwd gid" },
		{ "4242", 1, 4242, 0, NULL, "numeric uid without an entry: gid 0" },
		{ "etcd:wheel", 1, 1000, 10, NULL, "name:group" },
		{ "1000:20", 1, 1000, 20, NULL, "uid:gid" },
		{ "etcd:20", 1, 1000, 20, NULL, "name:gid" },
		{ "1000:wheel", 1, 1000, 10, NULL, "uid:group" },
		{ "last:tail", 1, 2000, 3000, NULL, "entries on unterminated last lines" },
		{ "daemon", 1, 1, 1, NULL, "an entry after blank, short and broken lines" },
		{ "1000", 0, 1000, 0, NULL, "numeric works without /etc/passwd" },
		{ "1000:5", 0, 1000, 5, NULL, "uid:gid works without either file" },
		{ "nosuch", 1, 0, 0, "user 'nosuch' not found in the image's /etc/passwd",
		  "unknown name" },
		{ "commented", 1, 0, 0, "user 'commented' not found in the image's /etc/passwd",
		  "a '#' line is no entry" },
		{ "broken", 1, 0, 0, "user 'broken' not found in the image's /etc/passwd",
		  "an entry with a bad uid is skipped" },
		{ "etc", 1, 0, 0, "user 'etc' not found in the image's /etc/passwd",
		  "names match whole, not by prefix" },
		{ "etcd:nogroup", 1, 0, 0, "group 'nogroup' not found in the image's /etc/group",
		  "unknown group" },
		{ "etcd", 0, 0, 0, "user 'etcd': the image has no /etc/passwd (only numeric ids work)",
		  "a name without /etc/passwd" },
		{ "0:wheel", 0, 0, 0, "group 'wheel': the image has no /etc/group (only numeric ids work)",
		  "a group name without /etc/group" },
		{ "etcd:", 1, 0, 0, "invalid user 'etcd:'", "empty group" },
		{ ":wheel", 1, 0, 0, "invalid user ':wheel'", "empty user" },
		{ "a:b:c", 1, 0, 0, "invalid user 'a:b:c'", "two colons" },
		{ "4294967295", 1, 0, 0, "user '4294967295' not found in the image's /etc/passwd",
		  "(uid_t)-1 is not an id" },
		{ "99999999999", 1, 0, 0, "user '99999999999' not found in the image's /etc/passwd",
		  "an id beyond 32 bits is not an id" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct urow *r = &rows[i];
		struct err e = { 0 };
		uint32_t uid = 77, gid = 77;
		int rc = spec_resolve_user(r->user, r->files ? passwd : NULL, sizeof passwd - 1,
					   r->files ? group : NULL, sizeof group - 1, &uid, &gid, &e);
		if (r->err)
			ok(rc < 0 && !strcmp(e.msg, r->err) && uid == 77, "user %s: %s", r->why, e.msg);
		else
			ok(rc == 0 && uid == r->uid && gid == r->gid, "user %s: %u:%u", r->why, uid, gid);
	}
}

/* ---- spec_default_template ---- */

static const char *const vars[][2] = {
	{ "NAME", "etcd" },
	{ "STATE_DIRECTORY", "/var/lib" },
};

static int lookup(void *ctx, const char *name, size_t len, const char **value)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (strlen(vars[i][0]) == len && !memcmp(vars[i][0], name, len)) {
			*value = vars[i][1];
			return 1;
		}
	return 0;
}

/* Template for cfg, expanded as the install does it, then validated.  On
 * success *j is the parsed config (caller frees) and *tpl the template. */
static int build(const char *cfg, int run_sh, struct json **j, struct buf *tpl, struct err *e)
{
	struct spec_image im = { .has_run_sh = run_sh, .passwd = passwd, .passwd_len = sizeof passwd - 1,
				 .group = group, .group_len = sizeof group - 1 };
	struct spec_info si = { 0 };
	struct buf out;
	int r;

	*j = NULL;
	buf_init(tpl);
	buf_init(&out);
	r = spec_default_template(cfg, strlen(cfg), &im, tpl, e);
	if (r == 0)
		r = template_expand(tpl->data, tpl->len, 1, lookup, NULL, &out, e);
	if (r == 0)
		r = spec_validate(out.data, out.len, &si, e);
	if (r == 0)
		r = json_parse(j, out.data, out.len, e);
	spec_info_free(&si);
	buf_free(&out);
	return r;
}

/* The array at path as "a|b|c". */
static char *strs(const struct json *j, const char *path)
{
	int arr = json_getpath(j, json_root(j), path);
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "");
	for (size_t i = 0; i < json_count(j, arr); i++) {
		char *s = json_str(j, json_at(j, arr, i));
		buf_appendf(&b, "%s%s", i ? "|" : "", s ? s : "<not a string>");
		free(s);
	}
	return buf_steal(&b, NULL);
}

static int64_t num(const struct json *j, const char *path)
{
	int64_t v = -1;
	json_int64(j, json_getpath(j, json_root(j), path), &v);
	return v;
}

static char *str(const struct json *j, const char *path)
{
	char *s = json_str(j, json_getpath(j, json_root(j), path));
	return s ? s : strdup("<absent>");
}

#define P "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct drow {
	const char *cfg;
	int run_sh;
	const char *args, *env, *cwd;
	int64_t uid, gid;
	const char *err;
	const char *why;
};

static void test_default_rows(void)
{
	static const struct drow rows[] = {
		{ "{}", 1, "/run.sh", P, "/", 0, 0, NULL, "/run.sh, no config at all" },
		{ "{\"config\":{\"Cmd\":[\"sh\"],\"Entrypoint\":[\"/e\"]}}", 1, "/run.sh", P, "/", 0, 0,
		  NULL, "/run.sh wins over Entrypoint/Cmd" },
		{ "{\"config\":{\"Entrypoint\":[\"/usr/bin/etcd\",\"--data-dir\",\"/data\"],"
		  "\"Cmd\":[\"--name\",\"x y\"]}}", 0, "/usr/bin/etcd|--data-dir|/data|--name|x y", P,
		  "/", 0, 0, NULL, "Entrypoint then Cmd" },
		{ "{\"config\":{\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],\"Entrypoint\":null}}", 0,
		  "sh|-c|echo hi", P, "/", 0, 0, NULL, "Cmd alone (Entrypoint null)" },
		{ "{\"config\":{\"Entrypoint\":[\"/bin/run\"]}}", 0, "/bin/run", P, "/", 0, 0, NULL,
		  "Entrypoint alone" },
		{ "{\"config\":{}}", 0, NULL, NULL, NULL, 0, 0,
		  "image has neither /run.sh nor Entrypoint/Cmd", "neither: error" },
		{ "{\"config\":{\"Entrypoint\":[],\"Cmd\":null}}", 0, NULL, NULL, NULL, 0, 0,
		  "image has neither /run.sh nor Entrypoint/Cmd", "empty Entrypoint, null Cmd: error" },
		{ "{\"config\":null}", 0, NULL, NULL, NULL, 0, 0,
		  "image has neither /run.sh nor Entrypoint/Cmd", "null config: error" },
		{ "{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\",\"A=$HOME\",\"B=${X}$$\"]}}", 0,
		  "sh", "PATH=/bin|A=$HOME|B=${X}$$", "/", 0, 0, NULL,
		  "Env kept, '$' literal after expansion, image PATH replaces the default" },
		{ "{\"config\":{\"Cmd\":[\"echo\",\"$NAME\",\"cost: $5\"],\"Env\":[\"A=1\"]}}", 0,
		  "echo|$NAME|cost: $5", P "|A=1", "/", 0, 0, NULL,
		  "'$' in args stays literal; default PATH first when Env has none" },
		{ "{\"config\":{\"Cmd\":[\"q\\\"\\\\\\n\"]}}", 0, "q\"\\\n", P, "/", 0, 0, NULL,
		  "quote, backslash and newline in args survive" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"/srv/$app\"}}", 0, "x", P, "/srv/$app",
		  0, 0, NULL, "WorkingDir with '$'" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"\"}}", 0, "x", P, "/", 0, 0, NULL,
		  "empty WorkingDir is /" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"srv\"}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: WorkingDir 'srv' is not absolute", "relative WorkingDir" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"User\":\"etcd\"}}", 0, "x", P, "/", 1000, 1001, NULL,
		  "User by name" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"User\":\"1000:wheel\"}}", 0, "x", P, "/", 1000, 10,
		  NULL, "User uid:group" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"User\":\"nobody\"}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: User: user 'nobody' not found in the image's /etc/passwd",
		  "User unknown" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"User\":5}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: User is not a string", "User of the wrong type" },
		{ "{\"config\":{\"Cmd\":\"sh\"}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: Cmd is not an array of strings", "Cmd as a string" },
		{ "{\"config\":{\"Entrypoint\":[\"a\",1]}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: Entrypoint is not an array of strings", "a number in Entrypoint" },
		{ "{\"config\":{\"Cmd\":[\"a\\u0000b\"]}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: Cmd contains U+0000", "U+0000 in Cmd" },
		{ "{\"config\":{\"Cmd\":[\"x\"],\"Env\":{}}}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: Env is not an array of strings", "Env as an object" },
		{ "{\"config\":[]}", 0, NULL, NULL, NULL, 0, 0,
		  "image config: config is not an object", "config as an array" },
		{ "[]", 0, NULL, NULL, NULL, 0, 0, "image config: not a JSON object", "not an object" },
		{ "{\"config\":", 0, NULL, NULL, NULL, 0, 0,
		  "image config: invalid JSON at byte 10 (end of input): expected a value", "truncated JSON" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct drow *r = &rows[i];
		struct json *j;
		struct buf tpl;
		struct err e = { 0 };
		int rc = build(r->cfg, r->run_sh, &j, &tpl, &e);

		if (r->err) {
			ok(rc < 0 && !strcmp(e.msg, r->err) && tpl.len == 0, "default %s: %s", r->why,
			   e.msg);
		} else if (rc < 0) {
			ok(0, "default %s: %s", r->why, e.msg);
		} else {
			char *args = strs(j, "process.args"), *env = strs(j, "process.env");
			char *cwd = str(j, "process.cwd");
			ok(!strcmp(args, r->args) && !strcmp(env, r->env) && !strcmp(cwd, r->cwd) &&
			   num(j, "process.user.uid") == r->uid && num(j, "process.user.gid") == r->gid,
			   "default %s: args [%s] env [%s] cwd [%s] user %lld:%lld", r->why,
			   one_line(args), env, cwd, (long long)num(j, "process.user.uid"),
			   (long long)num(j, "process.user.gid"));
			free(args);
			free(env);
			free(cwd);
		}
		json_free(j);
		buf_free(&tpl);
	}
}

/* The fields runc acts on, for an ordinary image. */
static void test_default_fields(void)
{
	struct json *j;
	struct buf tpl;
	struct err e;
	char *s;
	int b = -1;

	if (build("{\"config\":{\"Cmd\":[\"sh\"]}}", 0, &j, &tpl, &e) < 0) {
		ok(0, "default config builds: %s", e.msg);
		return;
	}
	int root = json_root(j);
	ok(json_str_eq(j, json_get(j, root, "ociVersion"), "1.0.2"), "ociVersion 1.0.2");
	ok(json_bool(j, json_getpath(j, root, "process.terminal"), &b) == 0 && b == 0,
	   "terminal false");
	ok(json_bool(j, json_getpath(j, root, "process.noNewPrivileges"), &b) == 0 && b == 1,
	   "noNewPrivileges true");
	ok(json_str_eq(j, json_getpath(j, root, "root.path"), "rootfs") &&
	   json_bool(j, json_getpath(j, root, "root.readonly"), &b) == 0 && b == 1,
	   "root rootfs, read-only");
	s = strs(j, "process.capabilities.bounding");
	ok(!strcmp(s, "CAP_AUDIT_WRITE|CAP_KILL|CAP_NET_BIND_SERVICE"), "runc's default caps: %s", s);
	free(s);
	s = strs(j, "process.capabilities.ambient");
	ok(!strcmp(s, "CAP_AUDIT_WRITE|CAP_KILL|CAP_NET_BIND_SERVICE"), "ambient as runc spec: %s", s);
	free(s);
	int rl = json_at(j, json_getpath(j, root, "process.rlimits"), 0);
	int64_t hard = 0;
	json_int64(j, json_get(j, rl, "hard"), &hard);
	ok(json_str_eq(j, json_get(j, rl, "type"), "RLIMIT_NOFILE") && hard == 1024,
	   "RLIMIT_NOFILE 1024");
	int ns = json_getpath(j, root, "linux.namespaces");
	struct buf nsb;
	buf_init(&nsb);
	for (size_t i = 0; i < json_count(j, ns); i++) {
		char *t = json_str(j, json_get(j, json_at(j, ns, i), "type"));
		buf_appendf(&nsb, "%s%s", i ? "|" : "", t);
		free(t);
	}
	ok(!strcmp(buf_cstr(&nsb), "pid|ipc|uts|mount"), "namespaces without network: %s",
	   buf_cstr(&nsb));
	buf_free(&nsb);
	ok(json_getpath(j, root, "hostname") < 0, "no hostname: the host's is kept");
	s = strs(j, "linux.maskedPaths");
	ok(strstr(s, "/proc/kcore") && strstr(s, "/sys/firmware"), "masked paths: %s", s);
	free(s);
	s = strs(j, "linux.readonlyPaths");
	ok(!strcmp(s, "/proc/bus|/proc/fs|/proc/irq|/proc/sys|/proc/sysrq-trigger"),
	   "read-only paths: %s", s);
	free(s);
	/* mounts: destination type source [options] */
	int mounts = json_get(j, root, "mounts");
	struct buf mb;
	buf_init(&mb);
	for (size_t i = 0; i < json_count(j, mounts); i++) {
		int m = json_at(j, mounts, i);
		char *d = json_str(j, json_get(j, m, "destination"));
		char *t = json_str(j, json_get(j, m, "type"));
		buf_appendf(&mb, "%s:%s;", d, t);
		free(d);
		free(t);
	}
	ok(!strcmp(buf_cstr(&mb), "/proc:proc;/dev:tmpfs;/dev/pts:devpts;/dev/shm:tmpfs;"
		   "/dev/mqueue:mqueue;/sys:sysfs;/sys/fs/cgroup:cgroup;/tmp:tmpfs;/run:tmpfs;"
		   "/var/tmp:tmpfs;/etc/resolv.conf:bind;/etc/hosts:bind;"),
	   "mounts in order: %s", buf_cstr(&mb));
	buf_free(&mb);
	for (size_t i = 10; i < 12; i++) {
		int m = json_at(j, mounts, i), o = json_get(j, m, "options");
		char *src = json_str(j, json_get(j, m, "source"));
		ok(src && json_count(j, o) == 2 && json_str_eq(j, json_at(j, o, 0), "rbind") &&
		   json_str_eq(j, json_at(j, o, 1), "ro") && json_str_eq(j, json_get(j, m, "destination"), src),
		   "%s is bound read-only from the host", src);
		free(src);
	}
	ok(tpl.len && tpl.data[tpl.len - 1] == '\n', "the template ends with a newline");
	json_free(j);
	buf_free(&tpl);
}

/* Volumes become read-write binds from ${STATE_DIRECTORY}/${NAME}/... */
static void test_volumes(void)
{
	static const struct {
		const char *vols, *binds, *err, *why;
	} rows[] = {
		{ "{\"/data\":{}}", "/data<-/var/lib/etcd/data", NULL, "one volume" },
		{ "{\"/var/lib/x/\":{},\"/var\":{},\"//a/./b\":{}}",
		  "/a/b<-/var/lib/etcd/a/b;/var<-/var/lib/etcd/var;/var/lib/x<-/var/lib/etcd/var/lib/x",
		  NULL, "cleaned and sorted: a parent before what it contains" },
		{ "{\"/d\":{},\"/d/\":{}}", "/d<-/var/lib/etcd/d", NULL, "duplicates after cleaning" },
		{ "{\"/$x\":{}}", "/$x<-/var/lib/etcd/$x", NULL, "a '$' in a volume stays literal" },
		{ "{\"data\":{}}", "/data<-/var/lib/etcd/data", NULL, "a relative volume is rooted" },
		{ "null", "", NULL, "null Volumes" },
		{ "{\"/a/../../etc\":{}}", NULL, "image config: Volumes: '/a/../../etc' is not a clean "
		  "absolute path", "'..' could leave STATE_DIRECTORY/NAME" },
		{ "{\"/\":{}}", NULL, "image config: Volumes: '/' is not a clean absolute path",
		  "the root itself" },
		{ "{\"/a\\nb\":{}}", NULL, "image config: Volumes: '/a\\nb' is not a clean absolute path",
		  "a control character (escaped: errors are one line)" },
		{ "[\"/data\"]", NULL, "image config: Volumes is not an object", "an array" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char cfg[512];
		struct json *j;
		struct buf tpl, got;
		struct err e = { 0 };
		snprintf(cfg, sizeof cfg, "{\"config\":{\"Cmd\":[\"x\"],\"Volumes\":%s}}", rows[i].vols);
		int rc = build(cfg, 0, &j, &tpl, &e);
		if (rows[i].err) {
			ok(rc < 0 && !strcmp(e.msg, rows[i].err), "volumes %s: %s", rows[i].why, e.msg);
			json_free(j);
			buf_free(&tpl);
			continue;
		}
		buf_init(&got);
		buf_puts(&got, "");
		int mounts = json_get(j, json_root(j), "mounts");
		for (size_t k = 0; rc == 0 && k < json_count(j, mounts); k++) {
			int m = json_at(j, mounts, k);
			char *d = json_str(j, json_get(j, m, "destination"));
			char *s = json_str(j, json_get(j, m, "source"));
			int opts = json_get(j, m, "options");
			if (strcmp(d, "/etc/resolv.conf") && strcmp(d, "/etc/hosts") &&
			    json_str_eq(j, json_get(j, m, "type"), "bind") &&
			    json_str_eq(j, json_at(j, opts, 0), "rbind") &&
			    json_str_eq(j, json_at(j, opts, 1), "rw"))
				buf_appendf(&got, "%s%s<-%s", got.len ? ";" : "", d, s);
			free(d);
			free(s);
		}
		ok(rc == 0 && !strcmp(buf_cstr(&got), rows[i].binds), "volumes %s: [%s] %s",
		   rows[i].why, buf_cstr(&got), rc ? e.msg : "");
		buf_free(&got);
		json_free(j);
		buf_free(&tpl);
	}
	/* the template names the placeholders, not their values */
	struct json *j;
	struct buf tpl;
	struct err e;
	if (build("{\"config\":{\"Cmd\":[\"x\"],\"Volumes\":{\"/v$1\":{}}}}", 0, &j, &tpl, &e) == 0)
		ok(strstr(tpl.data, "\"${STATE_DIRECTORY}/${NAME}/v$$1\"") != NULL,
		   "template source is ${STATE_DIRECTORY}/${NAME}/v$$1");
	else
		ok(0, "template with a volume: %s", e.msg);
	json_free(j);
	buf_free(&tpl);
	/* too many volumes */
	struct buf cfg;
	buf_init(&cfg);
	buf_puts(&cfg, "{\"config\":{\"Cmd\":[\"x\"],\"Volumes\":{");
	for (int i = 0; i <= SPEC_MAX_VOLUMES; i++)
		buf_appendf(&cfg, "%s\"/v%d\":{}", i ? "," : "", i);
	buf_puts(&cfg, "}}}");
	ok(build(cfg.data, 0, &j, &tpl, &e) < 0 && !strcmp(e.msg, "image config: Volumes: more than 32"),
	   "more than %d volumes: %s", SPEC_MAX_VOLUMES, e.msg);
	json_free(j);
	buf_free(&tpl);
	buf_free(&cfg);
}

/* ---- spec_validate ---- */

#define OKROOT "\"root\":{\"path\":\"rootfs\",\"readonly\":true}"
#define OKPROC "\"process\":{\"args\":[\"sh\"]}"

struct vrow {
	const char *doc, *err, *binds;
	const char *why;
};

static void test_validate(void)
{
	static const struct vrow rows[] = {
		{ "{" OKROOT "," OKPROC "}", NULL, "", "minimal valid config" },
		{ "{\"root\":{\"path\":\"rootfs\",\"readonly\":false}," OKPROC "}",
		  "config.json: root.readonly must be true (a writable root would write through the "
		  "hardlinks into the image store)", NULL, "readonly false" },
		{ "{\"root\":{\"path\":\"rootfs\"}," OKPROC "}",
		  "config.json: root.readonly must be true (a writable root would write through the "
		  "hardlinks into the image store)", NULL, "readonly missing" },
		{ "{\"root\":{\"path\":\"rootfs\",\"readonly\":\"true\"}," OKPROC "}",
		  "config.json: root.readonly must be true (a writable root would write through the "
		  "hardlinks into the image store)", NULL, "readonly as a string" },
		{ "{\"root\":{\"path\":\"rootfs\",\"readonly\":true,\"readonly\":false}," OKPROC "}",
		  "config.json: root.readonly must be true (a writable root would write through the "
		  "hardlinks into the image store)", NULL, "duplicate key: the last one counts, as in runc" },
		{ "{" OKPROC "}", "config.json: root.path must be \"rootfs\"", NULL, "root missing" },
		{ "{\"root\":{\"path\":\"/\",\"readonly\":true}," OKPROC "}",
		  "config.json: root.path must be \"rootfs\"", NULL, "root.path /" },
		{ "{\"root\":{\"path\":\"rootfs/\",\"readonly\":true}," OKPROC "}",
		  "config.json: root.path must be \"rootfs\"", NULL, "root.path rootfs/" },
		{ "{\"root\":\"rootfs\"," OKPROC "}", "config.json: root.path must be \"rootfs\"", NULL,
		  "root as a string" },
		{ "{" OKROOT ",\"process\":{\"args\":[]}}",
		  "config.json: process.args must be a non-empty array of strings", NULL, "args empty" },
		{ "{" OKROOT ",\"process\":{}}",
		  "config.json: process.args must be a non-empty array of strings", NULL, "args missing" },
		{ "{" OKROOT "}", "config.json: process.args must be a non-empty array of strings", NULL,
		  "process missing" },
		{ "{" OKROOT ",\"process\":{\"args\":[\"sh\",1]}}",
		  "config.json: process.args must be a non-empty array of strings", NULL, "a number in args" },
		{ "{" OKROOT ",\"process\":{\"args\":\"sh\"}}",
		  "config.json: process.args must be a non-empty array of strings", NULL, "args a string" },
		{ "[1]", "config.json: not a JSON object", NULL, "an array" },
		{ "{" OKROOT "," OKPROC ",}", "config.json: invalid JSON at byte 68: expected string key",
		  NULL, "invalid JSON: trailing comma" },
		{ "{" OKROOT "," OKPROC "} x", "config.json: invalid JSON at byte 69: unexpected data after the top-level value",
		  NULL, "invalid JSON: trailing data" },
		{ "{" OKROOT "," OKPROC ",\"mounts\":["
		  "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/srv/a\"},"
		  "{\"destination\":\"/b\",\"type\":\"none\",\"source\":\"/srv/b\",\"options\":[\"rbind\",\"rw\"]},"
		  "{\"destination\":\"/c\",\"source\":\"/srv/c\",\"options\":[\"ro\",\"bind\"]},"
		  "{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"relative\"},"
		  "{\"destination\":\"/e\",\"type\":\"tmpfs\",\"source\":\"/srv/e\"},"
		  "{\"destination\":\"/f\",\"type\":\"bind\",\"source\":\"/srv/a\"},"
		  "{\"destination\":\"/g\",\"type\":\"bind\"},"
		  "{\"destination\":\"/h\",\"type\":\"bind\",\"source\":\"/srv/h h\"}"
		  "]}", NULL, "/srv/a|/srv/b|/srv/c|/srv/h h",
		  "bind sources: type bind, option rbind or bind; relative, non-bind, missing and "
		  "duplicate ones left out" },
		{ "{" OKROOT "," OKPROC ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\","
		  "\"source\":\"/srv/a\\nb\"}]}", "config.json: bind source '/srv/a\\nb' contains a control "
		  "character", NULL, "a bind source no tmpfiles line could spell" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct vrow *r = &rows[i];
		struct spec_info si = { 0 };
		struct err e = { 0 };
		struct buf b;
		int rc = spec_validate(r->doc, strlen(r->doc), &si, &e);

		buf_init(&b);
		buf_puts(&b, "");
		for (size_t k = 0; k < si.nbind; k++)
			buf_appendf(&b, "%s%s", k ? "|" : "", si.bind_sources[k]);
		if (r->err)
			ok(rc < 0 && !strcmp(e.msg, r->err) && si.nbind == 0, "validate %s: %s", r->why,
			   e.msg);
		else
			ok(rc == 0 && !strcmp(buf_cstr(&b), r->binds), "validate %s: [%s] %s", r->why,
			   buf_cstr(&b), rc ? e.msg : "");
		buf_free(&b);
		spec_info_free(&si);
		spec_info_free(&si); /* reusable, idempotent */
	}
	spec_info_free(NULL);

	/* more bind mounts than the list holds */
	struct buf doc;
	struct spec_info si = { 0 };
	struct err e;
	buf_init(&doc);
	buf_puts(&doc, "{" OKROOT "," OKPROC ",\"mounts\":[");
	for (int i = 0; i <= SPEC_MAX_BINDS; i++)
		buf_appendf(&doc, "%s{\"type\":\"bind\",\"source\":\"/s%d\",\"destination\":\"/d\"}",
			    i ? "," : "", i);
	buf_puts(&doc, "]}");
	ok(spec_validate(doc.data, doc.len, &si, &e) < 0 &&
	   !strcmp(e.msg, "config.json: more than 64 bind mounts") && si.nbind == 0,
	   "more than %d bind mounts: %s", SPEC_MAX_BINDS, e.msg);
	buf_free(&doc);

	/* the default template's binds: resolv.conf, hosts, then the volumes */
	struct json *j;
	struct buf tpl, out;
	buf_init(&out);
	if (build("{\"config\":{\"Cmd\":[\"x\"],\"Volumes\":{\"/data\":{}}}}", 0, &j, &tpl, &e) == 0 &&
	    template_expand(tpl.data, tpl.len, 1, lookup, NULL, &out, &e) == 0 &&
	    spec_validate(out.data, out.len, &si, &e) == 0)
		ok(si.nbind == 3 && !strcmp(si.bind_sources[0], "/etc/resolv.conf") &&
		   !strcmp(si.bind_sources[1], "/etc/hosts") &&
		   !strcmp(si.bind_sources[2], "/var/lib/etcd/data"), "default config bind sources");
	else
		ok(0, "default config bind sources: %s", e.msg);
	spec_info_free(&si);
	json_free(j);
	buf_free(&tpl);
	buf_free(&out);
}

/* ---- ALL_PROCESS_CAPABILITIES ---- */

static void test_caps(void)
{
	struct buf b;
	struct json *j = NULL;
	struct err e;

	buf_init(&b);
	ok(spec_capabilities_body(40, &b) == 0 &&
	   !strncmp(b.data, "\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_DAC_READ_SEARCH\", ", 56) &&
	   strstr(b.data, "\"CAP_NET_BIND_SERVICE\", \"CAP_NET_BROADCAST\"") &&
	   strstr(b.data, "\"CAP_AUDIT_READ\", \"CAP_PERFMON\", \"CAP_BPF\", \"CAP_CHECKPOINT_RESTORE\"") &&
	   b.data[b.len - 1] == '"', "cap_last_cap 40: every name in order");
	buf_reset(&b);
	buf_puts(&b, "[");
	spec_capabilities_body(40, &b);
	buf_puts(&b, "]");
	ok(json_parse(&j, b.data, b.len, &e) == 0 && json_count(j, 0) == 41,
	   "it is a JSON list body of 41 names");
	json_free(j);
	buf_reset(&b);
	spec_capabilities_body(63, &b);
	ok(!strcmp(b.data + b.len - 24, "\"CAP_CHECKPOINT_RESTORE\"") && !strstr(b.data, "CAP_41"),
	   "a newer kernel: stop at the last name we know");
	buf_reset(&b);
	spec_capabilities_body(37, &b);
	ok(strstr(b.data, "CAP_AUDIT_READ\"") == b.data + b.len - 15 && !strstr(b.data, "PERFMON"),
	   "an older kernel (5.4, cap_last_cap 37): up to CAP_AUDIT_READ");
	buf_reset(&b);
	spec_capabilities_body(0, &b);
	ok(!strcmp(b.data, "\"CAP_CHOWN\""), "cap_last_cap 0: one name");
	buf_free(&b);
}

int main(void)
{
	test_users();
	test_default_rows();
	test_default_fields();
	test_volumes();
	test_validate();
	test_caps();
	return tap_done();
}
