/* systemd units and tmpfiles lines: the default service template, the
 * [Install] section read for offline enabling, and which image tmpfiles
 * lines stay inside the container's own directories. */
#include <string.h>

#include "tap.h"
#include "template.h"
#include "unit.h"

#define L(s) s, sizeof(s) - 1
#define A16 "aaaaaaaaaaaaaaaa"
#define A32 A16 A16
#define A64 A32 A32

/* ---- the default template ---- */

static char used[256];

static int note_var(void *ctx, const char *name, size_t len, struct err *e)
{
	(void)ctx, (void)e;
	size_t n = strlen(used);
	snprintf(used + n, sizeof used - n, "%s%.*s", n ? "," : "", (int)len, name);
	return 0;
}

static int lookup(void *ctx, const char *name, size_t len, const char **value)
{
	static const char *const v[][2] = {
		{ "NAME", "etcd" },
		{ "EXEC_START", "/usr/sbin/runc --systemd-cgroup run 'etcd'" },
		{ "EXEC_STOP", "/usr/sbin/runc --systemd-cgroup kill 'etcd'" },
		{ "EXEC_STOPPOST", "/usr/sbin/runc --systemd-cgroup delete --force 'etcd'" },
		{ "DESTDIR", "/var/lib/containers/atomic/etcd.0" },
	};
	(void)ctx;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (strlen(v[i][0]) == len && !memcmp(v[i][0], name, len)) {
			*value = v[i][1];
			return 1;
		}
	return 0;
}

static void test_default_unit(void)
{
	const char *t = unit_default_template();
	struct buf out;
	struct err e;
	char dirs[4][UNIT_NAME_MAX];
	size_t n = 99;

	ok(template_scan(t, strlen(t), note_var, NULL, &e) == 0 &&
	   !strcmp(used, "NAME,EXEC_STOPPOST,EXEC_START,EXEC_STOP,EXEC_STOP,EXEC_STOP,"
		   "EXEC_STOPPOST,DESTDIR"),
	   "the default unit uses only built-in variables: %s", used);
	buf_init(&out);
	ok(template_expand(t, strlen(t), 0, lookup, NULL, &out, &e) == 0, "it expands");
	static const char *const lines[] = {
		"Description=etcd\n",
		"ExecStart=/usr/sbin/runc --systemd-cgroup run 'etcd'\n",
		/* SIGTERM, up to 10 s of grace polled with `kill NAME 0`, then
		 * SIGKILL: a PID 1 ignoring SIGTERM still stops cleanly. */
		"ExecStop=-/bin/sh -c \"/usr/sbin/runc --systemd-cgroup kill 'etcd'; "
		"for s in 1 2 3 4 5; do for t in 1 2 3 4 5 6 7 8 9 10; do "
		"/usr/sbin/runc --systemd-cgroup kill 'etcd' 0 2>/dev/null || exit 0; "
		"sleep 0.2 2>/dev/null || sleep 1; done; done; "
		"/usr/sbin/runc --systemd-cgroup kill 'etcd' KILL\"\n",
		"ExecStopPost=-/usr/sbin/runc --systemd-cgroup delete --force 'etcd'\n",
		"ExecStartPre=-/usr/sbin/runc --systemd-cgroup delete --force 'etcd'\n",
		/* runc's 128+15 and 128+9 after our own stop are clean stops */
		"SuccessExitStatus=143 137 SIGTERM\n",
		/* ...but a container SIGKILLed by someone else (OOM) restarts */
		"RestartForceExitStatus=137\n",
		"Restart=on-failure\n",
		"KillMode=mixed\n",
		/* the safety net outlasts the ExecStop grace, even in 1 s steps */
		"TimeoutStopSec=60\n",
		"WorkingDirectory=/var/lib/containers/atomic/etcd.0\n",
		"[Install]\nWantedBy=multi-user.target\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		ok(strstr(buf_cstr(&out), lines[i]) != NULL, "default unit has %.*s",
		   (int)strcspn(lines[i], "\n"), lines[i]);
	/* systemd expands $VAR and %x in command lines: the script uses none. */
	ok(!strchr(buf_cstr(&out), '$') && !strchr(buf_cstr(&out), '%'),
	   "the expanded unit has no '$' or '%%' for systemd to expand");
	ok(unit_wanted_by(out.data, out.len, dirs, 4, &n, &e) == 0 && n == 1 &&
	   !strcmp(dirs[0], "multi-user.target.wants"), "enabling it links into multi-user.target.wants");
	buf_free(&out);
}

/* ---- [Install] ---- */

struct wrow {
	const char *unit;
	size_t len;
	const char *dirs, *err;
	const char *why;
};

static void test_wanted_by(void)
{
	static const struct wrow rows[] = {
		{ L("[Install]\nWantedBy=a.target b.target\nRequiredBy=c.target\n"),
		  "a.target.wants b.target.wants c.target.requires", NULL,
		  "WantedBy lists, RequiredBy goes to .requires" },
		{ L("[Install]\nUpheldBy=u.target\n"), "u.target.upholds", NULL, "UpheldBy" },
		{ L("[Install]\nWantedBy=a.target\nWantedBy=b.target\n"), "a.target.wants b.target.wants",
		  NULL, "later lines append" },
		{ L("[Install]\nWantedBy=a.target\nRequiredBy=r.target\nWantedBy=\nWantedBy=b.target\n"),
		  "r.target.requires b.target.wants", NULL, "an empty assignment resets only its own key" },
		{ L("[Install]\nWantedBy=a.target a.target\nWantedBy=a.target\n"), "a.target.wants", NULL,
		  "duplicates once" },
		{ L("[Service]\nWantedBy=x.target\n[Install]\nWantedBy=y.target\n[Unit]\nWantedBy=z.target\n"),
		  "y.target.wants", NULL, "other sections do not count" },
		{ L("[install]\nWantedBy=x.target\n"), "", NULL, "section names are case-sensitive" },
		{ L("[Install]\nwantedby=x.target\n"), "", NULL, "keys are case-sensitive" },
		{ L("[Unit]\nDescription=x\n"), "", NULL, "no [Install] section" },
		{ L(""), "", NULL, "empty file" },
		{ L("[Install]\n# WantedBy=x.target\n; WantedBy=y.target\n  #WantedBy=z.target\nWantedBy=a.target\n"),
		  "a.target.wants", NULL, "'#' and ';' comment lines" },
		{ L("[Install]\nWantedBy=a.target \\\n  b.target\n"), "a.target.wants b.target.wants", NULL,
		  "a continuation line" },
		{ L("[Install]\nWantedBy=a.target\\\n# ignored\n; ignored\n b.target\n"),
		  "a.target.wants b.target.wants", NULL, "comment lines inside a continuation are skipped" },
		{ L("[Install]\nWantedBy=a.target\\\\\nb.target\n"), NULL,
		  "line 2: WantedBy: invalid unit name 'a.target\\\\'",
		  "an escaped backslash does not continue the line" },
		{ L("[Install]\nWantedBy=a.target \\"), "a.target.wants", NULL, "a continuation at end of file" },
		{ L("[Install]\n  WantedBy =  \"a.target\" 'b.target'  \n"), "a.target.wants b.target.wants",
		  NULL, "spaces around key and value, quotes" },
		{ L("[Install]\r\nWantedBy=a.target\r\n"), "a.target.wants", NULL, "CRLF line ends" },
		{ L("[Install]\nWantedBy=getty@tty1.service dev-disk-by\\x2dlabel-x.device\n"),
		  "getty@tty1.service.wants dev-disk-by\\x2dlabel-x.device.wants", NULL,
		  "instances and \\x escapes are unit names" },
		{ L("[Install]\nAlso=x.service\nAlias=y.service\nWantedBy=a.target\n"), "a.target.wants", NULL,
		  "Also= and Alias= are not enabling directories" },
		{ L("[Install]\nWantedBy\nWantedBy=a.target\n"), "a.target.wants", NULL,
		  "a line without '=' is ignored, as systemd does" },
		{ L("[Install]\nWantedBy=a/b.target\n"), NULL, "line 2: WantedBy: invalid unit name 'a/b.target'",
		  "a '/' would leave /etc/systemd/system" },
		{ L("[Install]\nWantedBy=../x.target\n"), NULL, "line 2: WantedBy: invalid unit name '../x.target'",
		  "'..'" },
		{ L("[Install]\nWantedBy=.target\n"), NULL, "line 2: WantedBy: invalid unit name '.target'",
		  "a bare suffix" },
		{ L("[Install]\nWantedBy=multi-user\n"), NULL, "line 2: WantedBy: invalid unit name 'multi-user'",
		  "no unit type" },
		{ L("[Install]\nWantedBy=x.conf\n"), NULL, "line 2: WantedBy: invalid unit name 'x.conf'",
		  "an unknown unit type" },
		{ L("[Install]\nRequiredBy=a\\ b.target\n"), NULL, "line 2: RequiredBy: invalid unit name 'a\\'",
		  "a backslash other than \\x" },
		{ L("[Install]\nWantedBy=%i.target\n"), NULL,
		  "line 2: WantedBy: '%i.target': specifiers are not supported", "specifiers" },
		{ L("[Install]\nWantedBy=\"a.target\n"), NULL, "line 2: WantedBy: unbalanced quotes",
		  "an open quote" },
		{ L("[Install\nWantedBy=a.target\n"), NULL, "line 1: invalid section header",
		  "a broken section header" },
		{ L("[Install]\nWantedBy=a.target b.target c.target d.target e.target\n"), NULL,
		  "line 2: WantedBy: more than 4 entries", "more entries than the caller's array" },
		{ L("[Install]\nWantedBy=a.target\0\n"), NULL, "NUL byte in unit file", "a NUL byte" },
		{ L("[Install]\nWantedBy=" A64 A64 ".target\n"), NULL,
		  "line 2: WantedBy: unit name too long", "a name longer than an entry" },
		{ L("[Install]\nWantedBy=" A64 A32 A16 "aaaaaaaa.target\n"), NULL,
		  "line 2: WantedBy: unit name too long", "127 bytes fit, but not with .wants" },
		{ L("[Install]\nWantedBy=" A64 A32 A16 "aa.target\n"),
		  A64 A32 A16 "aa.target.wants", NULL, "the longest name that fits with .wants" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char dirs[4][UNIT_NAME_MAX], got[1024] = "";
		size_t n = 99;
		struct err e = { 0 };
		int r = unit_wanted_by(rows[i].unit, rows[i].len, dirs, 4, &n, &e);

		for (size_t k = 0; r == 0 && k < n; k++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", dirs[k]);
		if (rows[i].err)
			ok(r < 0 && !strcmp(e.msg, rows[i].err) && n == 0, "install %s: %s", rows[i].why,
			   e.msg);
		else
			ok(r == 0 && !strcmp(got, rows[i].dirs), "install %s: [%s]%s", rows[i].why, got,
			   r ? e.msg : "");
	}

	/* Alias= */
	char names[4][UNIT_NAME_MAX];
	size_t n;
	struct err e;
	ok(unit_aliases(L("[Install]\nAlias=x.service y.service\nWantedBy=a.target\nAlias=\nAlias=z.service\n"),
			names, 4, &n, &e) == 0 && n == 1 && !strcmp(names[0], "z.service"),
	   "aliases: reset, then z.service");
	ok(unit_aliases(L("[Install]\nAlias=x/y.service\n"), names, 4, &n, &e) < 0 &&
	   !strcmp(e.msg, "line 2: Alias: invalid unit name 'x/y.service'"), "alias with '/': %s", e.msg);
}

/* ---- tmpfiles ---- */

static const char *const own_dirs[] = { "/run/etcd", "/var/lib/etcd", "/etc/etcd" };
static const char *const own_binds[] = { "/srv/data" };
static const char *const taken[] = { "/var/lib/other" };
static const struct tmpfiles_places places = { own_dirs, 3, own_binds, 1, taken, 1 };
#define OUTSIDE "path outside the container's own directories"
#define TYPES "only the types d D v q Q z Z, and f F w L C for files, are allowed"
#define FILES "files only below the container's own directories"

struct trow {
	const char *line;
	size_t len;
	const char *why; /* NULL: accepted; else the reason in parentheses */
	const char *what;
};

static void test_tmpfiles_lines(void)
{
	static const struct trow rows[] = {
		/* accepted */
		{ L(""), NULL, "empty line" },
		{ L("   \t"), NULL, "blank line" },
		{ L("# d /etc/shadow"), NULL, "comment" },
		{ L("  # indented comment"), NULL, "indented comment" },
		{ L("d /run/etcd 0755 root root -"), NULL, "the prefix itself" },
		{ L("d /run/etcd/sub 0700 - - -"), NULL, "below the prefix" },
		{ L("d /var/lib/etcd/data"), NULL, "only type and path" },
		{ L("f /etc/etcd/etcd.conf 0644 root root - hello world"), NULL, "f with content" },
		{ L("d \"/srv/data/with space\" 0700 - - -"), NULL, "a quoted path" },
		{ L("d /run/etcd//./x"), NULL, "'//' and '.' components, as systemd simplifies them" },
		{ L("z /run/etcd/*"), NULL, "a glob below the prefix" },
		{ L("d /srv/data/sub 0700"), NULL, "a directory in an own bind source" },
		{ L("Z /srv/data 0700 1 1"), NULL, "adjusting an own bind source" },
		{ L("d /run/etcd/100%% 0700"), NULL, "%% is a literal percent" },
		{ L("L /run/etcd/link - - - - /var/lib/etcd/target"), NULL, "a symlink to inside" },
		{ L("L+ /run/etcd/link - - - - sub/target"), NULL, "a relative symlink that stays" },
		{ L("L /run/etcd/link"), NULL, "a symlink to the factory default" },
		{ L("d /run/etcd 2775 - - -"), NULL, "setgid directory" },
		{ L("d- /run/etcd"), NULL, "modifier -" },
		{ L("f+ /run/etcd/x 0600"), NULL, "modifier +" },
		{ L("d!= /run/etcd ~:0700"), NULL, "two modifiers; ~ and : mode prefixes" },
		{ L("z /run/etcd 0750 root root"), NULL, "z adjusts within" },
		{ L("C /run/etcd/x - - - - /var/lib/etcd/y"), NULL, "copy from inside" },
		{ L("C /run/etcd/x"), NULL, "copy from the factory default" },
		{ L("d /run/etcd 0755\r"), NULL, "CR at the end" },
		{ L("w /run/etcd/x - - - - a\\x41b"), NULL, "escapes in a w argument are content" },
		{ L("  d   /run/etcd   "), NULL, "leading and trailing blanks" },
		/* refused */
		{ L("f /srv/data/x 0600"), FILES, "a file in a bind source (not NAME's directory)" },
		{ L("f /run/etcd 0600"), FILES, "a file in place of NAME's directory" },
		{ L("w /etc/etcd - - - - x"), FILES, "writing NAME's directory itself" },
		{ L("L /srv/data/l - - - - /run/etcd"), FILES, "a symlink in a bind source" },
		{ L("R /run/etcd/*"), TYPES, "recursive removal" },
		{ L("r /run/etcd/x"), TYPES, "removal" },
		{ L("e /run/etcd"), TYPES, "age cleanup" },
		{ L("x /run/etcd"), TYPES, "cleanup exclusion" },
		{ L("p /run/etcd/fifo"), TYPES, "a fifo" },
		{ L("a+ /run/etcd - - - - u:1:rwx"), TYPES, "ACLs" },
		{ L("h /run/etcd - - - - +i"), TYPES, "file attributes" },
		{ L("d /var/lib/other/x 0700"), "it exists and is not this container's", "someone else's place" },
		{ L("d /run/etcdx"), OUTSIDE, "a longer component is not below" },
		{ L("d /run"), OUTSIDE, "above the prefix" },
		{ L("d /"), OUTSIDE, "the root" },
		{ L("f /etc/shadow 0600 root root - x"), OUTSIDE, "a host file" },
		{ L("d /run/etcd/../../etc"), OUTSIDE, "'..'" },
		{ L("d /run/etcd/.."), OUTSIDE, "trailing '..'" },
		{ L("d run/etcd"), OUTSIDE, "a relative path" },
		{ L("d /var/run/etcd"), OUTSIDE, "/var/run is not /run to us" },
		{ L("d \"/run/etcd\"/../x"), OUTSIDE, "quotes joined to '..'" },
		{ L("d '/etc/shadow'"), OUTSIDE, "single quotes removed first" },
		{ L("z /run/etcd/{..,x}"), OUTSIDE, "glob braces could expand to '..'" },
		{ L("d %t/etcd"), "specifiers in the path are not supported", "a specifier" },
		{ L("d /run/etcd/%h"), "specifiers in the path are not supported", "a specifier below" },
		{ L("d /run/etcd/a%"), "specifiers in the path are not supported", "a lone % at the end" },
		{ L("d /run/etcd\\x2f.."), "escapes are not supported", "a backslash escape" },
		{ L("d \"/run/etcd"), "unbalanced quotes", "an open quote" },
		{ L("d"), "no path", "no path" },
		{ L("c /run/etcd/sda 0666 - - - 8:0"), "device nodes are not allowed", "char device" },
		{ L("b /run/etcd/sda 0666 - - - 8:0"), "device nodes are not allowed", "block device" },
		{ L("K /run/etcd"), "unknown line type", "unknown type" },
		{ L("dX /run/etcd"), "unknown line type", "unknown modifier" },
		{ L("f /run/etcd/x 4755 root root - data"), "setuid/setgid modes are only allowed on directories",
		  "setuid file" },
		{ L("z /var/lib/etcd/bin 2755"), "setuid/setgid modes are only allowed on directories",
		  "setgid by z" },
		{ L("f /run/etcd/x ~4755"), "setuid/setgid modes are only allowed on directories",
		  "masked setuid" },
		{ L("d /run/etcd 99"), "invalid mode", "not octal" },
		{ L("d /run/etcd 07777777"), "invalid mode", "too many digits" },
		{ L("L /run/etcd/l - - - - /etc/shadow"), "symlink target outside the container's own directories",
		  "a symlink out (a w line would follow it)" },
		{ L("L /run/etcd/l - - - - ../../etc/shadow"),
		  "symlink target leaves the container's own directories", "a relative symlink out" },
		{ L("L /run/etcd/l - - - - %h/x"), "specifiers are not supported", "a specifier in a target" },
		{ L("C /run/etcd/x - - - - /etc/shadow"), "copy source outside the container's own directories",
		  "copying a host secret in" },
		{ L("d /etc/x\001y"), OUTSIDE, "control characters escaped" },
		{ L("d /run/etcd\0"), "NUL byte", "a NUL byte" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		int r = tmpfiles_check_line(rows[i].line, rows[i].len, &places, &e);
		if (!rows[i].why) {
			ok(r == 0, "tmpfiles accepts %s%s%s", rows[i].what, r ? ": " : "", r ? e.msg : "");
		} else {
			char want[64];
			snprintf(want, sizeof want, "(%s)", rows[i].why);
			ok(r < 0 && !strncmp(e.msg, "tmpfiles line refused: '", 24) &&
			   strstr(e.msg, want) && e.msg[strlen(e.msg) - 1] == ')' && !strchr(e.msg, '\001'),
			   "tmpfiles refuses %s: %s", rows[i].what, e.msg);
		}
	}
}

static void test_tmpfiles_misc(void)
{
	struct err e;
	struct buf b;
	static const char *const globby[] = { "/srv/*", "relative", "/srv/a/../..", NULL, "/srv/ok" };
	static const struct tmpfiles_places gp = { globby, 5, NULL, 0, NULL, 0 };
	static const struct tmpfiles_places none = { NULL, 0, NULL, 0, NULL, 0 };
	char long_line[600];

	ok(tmpfiles_check_line(L("d /etc/shadow"), &places, &e) < 0 &&
	   !strcmp(e.msg, "tmpfiles line refused: 'd /etc/shadow' (path outside the container's own "
		   "directories)"), "the exact message: %s", e.msg);
	ok(tmpfiles_check_line(L("d /srv/*"), &gp, &e) < 0 &&
	   tmpfiles_check_line(L("d /srv/x"), &gp, &e) < 0 &&
	   tmpfiles_check_line(L("d relative"), &gp, &e) < 0 &&
	   tmpfiles_check_line(L("d /srv/a"), &gp, &e) < 0 &&
	   tmpfiles_check_line(L("d /srv/ok/x"), &gp, &e) == 0,
	   "glob, relative, '..' and NULL prefixes allow nothing");
	ok(tmpfiles_check_line(L("d /run/x"), &none, &e) < 0, "no prefixes, nothing allowed");
	memset(long_line, 'a', sizeof long_line);
	memcpy(long_line, "d /etc/", 7);
	ok(tmpfiles_check_line(long_line, sizeof long_line, &places, &e) < 0 &&
	   strstr(e.msg, "aaa...' (path outside"), "a long line is shown shortened");
	/* len bounds the line: "d /run/etcd" then garbage beyond len */
	ok(tmpfiles_check_line("d /run/etcd/../x", 11, &places, &e) == 0, "len bounds the line");

	/* a whole file names the line */
	static const char file[] = "d /run/etcd 0755\n\n# comment\nd /etc/shadow\nd /run/etcd/x\n";
	ok(tmpfiles_check(L(file), &places, &e) < 0 &&
	   !strcmp(e.msg, "line 4: tmpfiles line refused: 'd /etc/shadow' (path outside the "
		   "container's own directories)"), "file: %s", e.msg);
	ok(tmpfiles_check(L("d /run/etcd\nd /var/lib/etcd"), &places, &e) == 0,
	   "file without a final newline");
	ok(tmpfiles_check(L(""), &places, &e) == 0, "empty file");

	/* default lines */
	static const struct {
		const char *src;
		unsigned uid, gid;
		const char *line;
	} d[] = {
		{ "/var/lib/etcd/data", 0, 0, "d /var/lib/etcd/data 0700 0 0 - -\n" },
		{ "/srv/with space", 1000, 1001, "d \"/srv/with space\" 0700 1000 1001 - -\n" },
		{ "/srv/100%", 0, 0, "d /srv/100%% 0700 0 0 - -\n" },
		{ "/srv/a\"b\\c'd%", 0, 0, "d \"/srv/a\\\"b\\\\c'd%%\" 0700 0 0 - -\n" },
		{ "/srv/a\nb", 0, 0, NULL },  /* no portable spelling of a newline */
		{ "/srv/\x7f", 0, 0, NULL },   /* nor of other control characters */
		{ "srv/x", 0, 0, NULL },        /* tmpfiles paths are absolute */
	};
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		buf_init(&b);
		int r = tmpfiles_default_line(&b, d[i].src, d[i].uid, d[i].gid);
		if (d[i].line)
			ok(r == 0 && !strcmp(buf_cstr(&b), d[i].line), "default line %zu: %s", i,
			   one_line(buf_cstr(&b)));
		else
			ok(r < 0 && b.len == 0, "default line %zu refused", i);
		buf_free(&b);
	}
	/* what we write, our check reads back as the same path */
	static const char *const srv[] = { "/srv" }, *const exact[] = { "/srv/with space/100%" },
			  *const other[] = { "/srv/with" };
	buf_init(&b);
	tmpfiles_default_line(&b, "/srv/with space/100%", 0, 0);
	ok(tmpfiles_check(b.data, b.len, &(struct tmpfiles_places){ .binds = srv, .nbinds = 1 }, &e) == 0 &&
	   tmpfiles_check(b.data, b.len, &(struct tmpfiles_places){ .binds = exact, .nbinds = 1 }, &e) == 0 &&
	   tmpfiles_check(b.data, b.len, &(struct tmpfiles_places){ .binds = other, .nbinds = 1 }, &e) < 0,
	   "a default line reads back as its path");
	buf_free(&b);
}

int main(void)
{
	test_default_unit();
	test_wanted_by();
	test_tmpfiles_lines();
	test_tmpfiles_misc();
	return tap_done();
}
