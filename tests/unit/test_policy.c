/* HOST FILES: what an image may place on the host.  One row per rule; the
 * table itself must be the one the man page shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

struct row {
	const char *path;
	const char *refusal;   /* NULL: accepted; else a part of the message */
	const char *why;
};

static void host_files(void)
{
	static const struct row rows[] = {
		{ "/usr/local/bin/etcdctl", NULL, "a tool in /usr/local/bin" },
		{ "/etc/etcd/etcd.conf", NULL, "a config in the container's own /etc directory" },
		{ "/opt/vendor/bin/x", NULL, "anything below /opt" },
		{ "/etc/cron.d/evil", "/etc/cron.d is not a place images may write (run as root on a "
		  "schedule; see HOST FILES in syscontainer(1))", "a cron job" },
		{ "/etc/crontab", "/etc/crontab is not a place", "the system crontab" },
		{ "/etc/cron", NULL, "only the names cron reads are cron's" },
		{ "/etc/systemd/system/evil.service", "/etc/systemd is not a place",
		  "a unit placed directly (renameFiles)" },
		{ "/etc/sudoers.d/app", "/etc/sudoers.d is not a place", "sudo rules" },
		{ "/etc/ld.so.preload", "/etc/ld.so.preload is not a place", "the loader's preload" },
		{ "/etc/profile.d/x.sh", "/etc/profile.d is not a place", "login shells" },
		{ "/etc/ssh/sshd_config.d/x", "/etc/ssh is not a place", "sshd" },
		{ "/etc/passwd", "/etc/passwd is not a place", "accounts" },
		{ "/usr/local/lib/python3.11/dist-packages/sitecustomize.py", "/usr/local/lib is not a place",
		  "Python's search path" },
		{ "/usr/local/lib/systemd/system/x.service", "/usr/local/lib is not a place",
		  "systemd's vendor unit path" },
		{ "/etcx/y", "outside /etc, /usr/local and /opt", "a longer first component" },
		{ "/usr/bin/x", "outside /etc, /usr/local and /opt", "the system's own binaries" },
		{ "/etc", "outside /etc, /usr/local and /opt", "a root itself is no file" },
		{ "/usr/local/../../etc/shadow", "not an absolute plain path", "'..'" },
		{ "/etc//cron.d/x", "not an absolute plain path", "an empty component" },
		{ "/etc/./cron.d/x", "not an absolute plain path", "a '.' component" },
		{ "etc/x", "not an absolute plain path", "a relative path" },
		{ "/etc/x/", "not an absolute plain path", "a trailing '/'" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		int r = policy_host_file(rows[i].path, &e);
		if (!rows[i].refusal)
			ok(r == 0, "host file %s: accepted (%s)%s%s", rows[i].path, rows[i].why,
			   r ? ": " : "", r ? e.msg : "");
		else
			ok(r < 0 && e.code == ERR_REFUSED && strstr(e.msg, rows[i].refusal),
			   "host file %s: refused (%s): %s", rows[i].path, rows[i].why, e.msg);
	}
	ok(policy_host_mode(07777) == 0755 && policy_host_mode(0664) == 0644 &&
	   policy_host_mode(04755) == 0755 && policy_host_mode(0600) == 0600,
	   "modes lose setuid, setgid, sticky and group/other write");
}

static void directories(void)
{
	static const struct {
		const char *var, *value, *refusal, *why;
	} rows[] = {
		{ "RUN_DIRECTORY", "/run", NULL, "the default" },
		{ "RUN_DIRECTORY", "/run/app", NULL, "below /run" },
		{ "STATE_DIRECTORY", "/var/lib/app", NULL, "below /var/lib" },
		{ "CONF_DIRECTORY", "/etc/app", NULL, "below /etc" },
		{ "RUN_DIRECTORY", "/etc/cron.d", "an image may only move it below /run",
		  "RUN_DIRECTORY into cron (the reported hole)" },
		{ "CONF_DIRECTORY", "/etc/sudoers.d", "a system place (grants root", "CONF into sudoers" },
		{ "STATE_DIRECTORY", "/var/spool/cron", "only move it below /var/lib", "out of /var/lib" },
		{ "STATE_DIRECTORY", "/var/lib/systemd", "a system place", "systemd's state" },
		{ "RUN_DIRECTORY", "/run/../etc", "only move it below /run", "'..'" },
		{ "GREETING", "/etc/cron.d", NULL, "other variables are not directories" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		int r = policy_directory_default(rows[i].var, rows[i].value, &e);
		if (!rows[i].refusal)
			ok(r == 0, "%s=%s from an image: accepted (%s)", rows[i].var, rows[i].value,
			   rows[i].why);
		else
			ok(r < 0 && e.code == ERR_REFUSED && strstr(e.msg, rows[i].refusal),
			   "%s=%s from an image: refused (%s): %s", rows[i].var, rows[i].value,
			   rows[i].why, e.msg);
	}
}

static void own_places(void)
{
	static const struct row rows[] = {
		{ "/var/lib/etcd", NULL, "STATE_DIRECTORY/NAME" },
		{ "/run/etcd", NULL, "RUN_DIRECTORY/NAME" },
		{ "/etc/etcd", NULL, "CONF_DIRECTORY/NAME" },
		{ "/run/systemd", "'/run/systemd' is a system place", "a container named systemd" },
		{ "/etc/ld.so.preload", "a system place", "a container named ld.so.preload" },
		{ "/etc/shadowsocks", NULL, "a name that only starts like a system file" },
		{ "/root/.ssh", NULL, "not a listed place (install refuses it as outside the roots)" },
		{ "/", "not an absolute plain path", "the root" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct err e = { 0 };
		int r = policy_own_place(rows[i].path, &e);
		if (!rows[i].refusal)
			ok(r == 0, "own place %s (%s)", rows[i].path, rows[i].why);
		else
			ok(r < 0 && strstr(e.msg, rows[i].refusal), "not an own place: %s (%s): %s",
			   rows[i].path, rows[i].why, e.msg);
	}
}

/* Every row of the table is in the man page's HOST FILES section. */
static void man_page(void)
{
	FILE *f = fopen("src/syscontainer.1", "r");
	char *man = calloc(1, 1 << 20), *sec;
	size_t n = f ? fread(man, 1, (1 << 20) - 1, f) : 0, o = 0, missing = 0;

	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++) {   /* "\-" is how roff writes '-' */
		if (man[i] == '\\' && man[i + 1] == '-')
			i++;
		man[o++] = man[i];
	}
	man[o] = '\0';
	sec = strstr(man, ".SH HOST FILES");
	ok(sec != NULL, "the man page has a HOST FILES section");
	if (sec && (sec = strdup(sec))) {
		char *end = strstr(sec + 1, "\n.SH ");
		if (end)
			*end = '\0';
		for (size_t i = 0; i < policy_nplaces; i++)
			if (!strstr(sec, policy_places[i].path)) {
				missing++;
				ok(0, "man page lists %s", policy_places[i].path);
			}
		free(sec);
	}
	ok(missing == 0, "the man page lists all %zu system places", policy_nplaces);
	free(man);
}

int main(void)
{
	host_files();
	directories();
	own_places();
	man_page();
	return tap_done();
}
