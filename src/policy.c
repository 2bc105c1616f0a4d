#include "policy.h"

#include <stdio.h>
#include <string.h>

/* Every row is also in syscontainer(1), HOST FILES (a unit test checks). */
const struct policy_place policy_places[] = {
	/* what systemd and the boot read */
	{ "/etc/systemd", "units reach systemd only through the unit the install generates" },
	{ "/etc/tmpfiles.d", "tmpfiles lines come only from the checked tmpfiles.template" },
	{ "/etc/sysusers.d", "creates users and groups at boot" },
	{ "/etc/udev", "device rules run programs as root" },
	{ "/etc/modprobe.d", "kernel module options and install commands" },
	{ "/etc/modules-load.d", "kernel modules loaded at boot" },
	{ "/etc/modules", "kernel modules loaded at boot" },
	{ "/etc/sysctl.d", "kernel settings applied at boot" },
	{ "/etc/sysctl.conf", "kernel settings applied at boot" },
	{ "/etc/binfmt.d", "interpreters the kernel runs for binaries" },
	{ "/etc/fstab", "mounted at boot" },
	{ "/etc/crypttab", "unlocked at boot" },
	{ "/etc/init.d", "init scripts run as root" },
	{ "/etc/inittab", "init scripts run as root" },
	{ "/etc/rc.local", "init scripts run as root" },
	{ "/etc/rc0.d", "init scripts run as root" },
	{ "/etc/rc1.d", "init scripts run as root" },
	{ "/etc/rc2.d", "init scripts run as root" },
	{ "/etc/rc3.d", "init scripts run as root" },
	{ "/etc/rc4.d", "init scripts run as root" },
	{ "/etc/rc5.d", "init scripts run as root" },
	{ "/etc/rc6.d", "init scripts run as root" },
	{ "/etc/rcS.d", "init scripts run as root" },
	{ "/etc/default", "sourced as shell by init scripts" },
	{ "/etc/sysconfig", "sourced as shell by init scripts" },
	{ "/etc/conf.d", "sourced as shell by init scripts" },
	{ "/etc/kernel", "kernel install hooks run as root" },
	{ "/etc/initramfs-tools", "initramfs hooks run as root" },
	{ "/etc/dracut.conf", "initramfs hooks run as root" },
	{ "/etc/dracut.conf.d", "initramfs hooks run as root" },
	{ "/etc/grub.d", "boot loader scripts run as root" },
	/* what runs as root by itself */
	{ "/etc/cron.d", "run as root on a schedule" },
	{ "/etc/cron.hourly", "run as root on a schedule" },
	{ "/etc/cron.daily", "run as root on a schedule" },
	{ "/etc/cron.weekly", "run as root on a schedule" },
	{ "/etc/cron.monthly", "run as root on a schedule" },
	{ "/etc/cron.yearly", "run as root on a schedule" },
	{ "/etc/crontab", "run as root on a schedule" },
	{ "/etc/cron.allow", "run as root on a schedule" },
	{ "/etc/cron.deny", "run as root on a schedule" },
	{ "/etc/anacrontab", "run as root on a schedule" },
	{ "/etc/logrotate.conf", "rotation scripts run as root" },
	{ "/etc/logrotate.d", "rotation scripts run as root" },
	{ "/etc/update-motd.d", "run as root at every login" },
	{ "/etc/network", "network hooks run as root" },
	{ "/etc/NetworkManager", "network hooks run as root" },
	{ "/etc/netplan", "network configuration applied at boot" },
	{ "/etc/rsyslog.conf", "the logger can run programs" },
	{ "/etc/rsyslog.d", "the logger can run programs" },
	{ "/etc/syslog.conf", "the logger can run programs" },
	{ "/etc/syslog-ng", "the logger can run programs" },
	{ "/etc/apt", "package manager hooks run as root" },
	{ "/etc/dpkg", "package manager hooks run as root" },
	{ "/etc/yum", "package manager hooks run as root" },
	{ "/etc/yum.conf", "package manager hooks run as root" },
	{ "/etc/yum.repos.d", "package manager hooks run as root" },
	{ "/etc/dnf", "package manager hooks run as root" },
	{ "/etc/rpm", "package manager hooks run as root" },
	{ "/etc/containers", "container engines' configuration and OCI hooks" },
	{ "/etc/docker", "container engines' configuration and OCI hooks" },
	{ "/etc/syscontainer", "this tool's own configuration (boot apply file)" },
	/* who may do what */
	{ "/etc/sudoers", "grants root" },
	{ "/etc/sudoers.d", "grants root" },
	{ "/etc/sudo.conf", "grants root" },
	{ "/etc/doas.conf", "grants root" },
	{ "/etc/pam.d", "authentication" },
	{ "/etc/pam.conf", "authentication" },
	{ "/etc/security", "authentication and limits" },
	{ "/etc/securetty", "authentication" },
	{ "/etc/polkit-1", "privilege grants" },
	{ "/etc/dbus-1", "bus policy and bus-activated services" },
	{ "/etc/ssh", "remote logins and host keys" },
	{ "/etc/passwd", "accounts" },
	{ "/etc/passwd-", "accounts" },
	{ "/etc/group", "accounts" },
	{ "/etc/group-", "accounts" },
	{ "/etc/shadow", "accounts" },
	{ "/etc/shadow-", "accounts" },
	{ "/etc/gshadow", "accounts" },
	{ "/etc/gshadow-", "accounts" },
	{ "/etc/subuid", "accounts" },
	{ "/etc/subgid", "accounts" },
	{ "/etc/login.defs", "accounts" },
	{ "/etc/nsswitch.conf", "the libraries every program loads to look up names" },
	{ "/etc/selinux", "mandatory access control" },
	{ "/etc/apparmor", "mandatory access control" },
	{ "/etc/apparmor.d", "mandatory access control" },
	{ "/etc/audit", "the audit trail" },
	{ "/etc/iptables", "the firewall" },
	{ "/etc/nftables.conf", "the firewall" },
	{ "/etc/nftables.d", "the firewall" },
	{ "/etc/firewalld", "the firewall" },
	{ "/etc/exports", "file systems shared over the network" },
	{ "/etc/exports.d", "file systems shared over the network" },
	/* what every program or login reads */
	{ "/etc/ld.so.preload", "loads code into every program" },
	{ "/etc/ld.so.conf", "loads code into every program" },
	{ "/etc/ld.so.conf.d", "loads code into every program" },
	{ "/etc/ld.so.cache", "loads code into every program" },
	{ "/etc/profile", "read by every login shell" },
	{ "/etc/profile.d", "read by every login shell" },
	{ "/etc/bash.bashrc", "read by every shell" },
	{ "/etc/bashrc", "read by every shell" },
	{ "/etc/bash.bash_logout", "read by every shell" },
	{ "/etc/bash_completion", "read by every shell" },
	{ "/etc/bash_completion.d", "read by every shell" },
	{ "/etc/zsh", "read by every shell" },
	{ "/etc/zshrc", "read by every shell" },
	{ "/etc/zshenv", "read by every shell" },
	{ "/etc/zprofile", "read by every shell" },
	{ "/etc/zlogin", "read by every shell" },
	{ "/etc/csh.cshrc", "read by every shell" },
	{ "/etc/csh.login", "read by every shell" },
	{ "/etc/environment", "the environment of every session and service" },
	{ "/etc/environment.d", "the environment of every session and service" },
	{ "/etc/shells", "which shells may log in" },
	{ "/etc/xdg", "programs started in every session" },
	{ "/etc/X11", "programs started in every session" },
	{ "/etc/alternatives", "which program a system command runs" },
	{ "/etc/hosts", "name resolution and access" },
	{ "/etc/hosts.allow", "name resolution and access" },
	{ "/etc/hosts.deny", "name resolution and access" },
	{ "/etc/resolv.conf", "name resolution" },
	{ "/etc/hostname", "the system's identity" },
	{ "/etc/machine-id", "the system's identity" },
	{ "/etc/os-release", "the system's identity" },
	{ "/etc/ssl", "trusted certificate authorities" },
	{ "/etc/pki", "trusted certificate authorities" },
	{ "/etc/ca-certificates", "trusted certificate authorities" },
	{ "/etc/ca-certificates.conf", "trusted certificate authorities" },
	{ "/usr/local/lib", "the search path of the loader (ld.so.conf), of Python and Perl, "
			    "and of systemd's units and tmpfiles" },
	{ "/usr/local/lib64", "the search path of the loader" },
	{ "/usr/local/share/dbus-1", "bus-activated services" },
	{ "/usr/local/share/polkit-1", "privilege grants" },
	/* a container's own places may not be these either */
	{ "/run/systemd", "systemd's runtime units and state" },
	{ "/run/udev", "device rules" },
	{ "/run/tmpfiles.d", "runtime tmpfiles lines" },
	{ "/run/sysusers.d", "runtime users" },
	{ "/run/sysctl.d", "runtime kernel settings" },
	{ "/run/modprobe.d", "runtime module options" },
	{ "/run/modules-load.d", "runtime module list" },
	{ "/run/binfmt.d", "runtime interpreters" },
	{ "/run/dbus", "the system bus" },
	{ "/run/polkit-1", "privilege grants" },
	{ "/run/user", "users' runtime directories" },
	{ "/run/lock", "system locks" },
	{ "/run/log", "the journal" },
	{ "/run/credentials", "service credentials" },
	{ "/run/initramfs", "the shutdown initramfs" },
	{ "/run/host", "the container manager's view of the host" },
	{ "/run/nologin", "blocks every login but root's" },
	{ "/run/sudo", "sudo's state" },
	{ "/run/containers", "container engines' state and logins" },
	{ "/run/docker", "container engines' state" },
	{ "/run/docker.sock", "container engines' state" },
	{ "/run/runc", "the OCI runtime's state" },
	{ "/run/crun", "the OCI runtime's state" },
	{ "/run/syscontainer", "this tool's own state" },
	{ "/var/lib/systemd", "systemd's state (timers, lingering users, credentials)" },
	{ "/var/lib/machines", "machines systemd boots" },
	{ "/var/lib/portables", "portable services systemd attaches" },
	{ "/var/lib/extensions", "system extensions merged into /usr" },
	{ "/var/lib/confexts", "configuration extensions merged into /etc" },
	{ "/var/lib/private", "services' private state" },
	{ "/var/lib/dpkg", "the package database" },
	{ "/var/lib/apt", "the package database" },
	{ "/var/lib/rpm", "the package database" },
	{ "/var/lib/polkit-1", "privilege grants" },
	{ "/var/lib/sudo", "sudo's state" },
	{ "/var/lib/dbus", "the bus's machine id" },
	{ "/var/lib/containers", "container engines' storage, and this tool's" },
	{ "/var/lib/docker", "container engines' storage" },
	{ "/var/lib/syscontainer", "this tool's own state" },
};
const size_t policy_nplaces = sizeof policy_places / sizeof policy_places[0];

const char *const policy_host_roots[] = { "/etc", "/usr/local", "/opt" };
const size_t policy_nhost_roots = sizeof policy_host_roots / sizeof policy_host_roots[0];

int policy_path_plain(const char *p)
{
	if (p[0] != '/' || !p[1])
		return p[0] == '/' && !p[1];   /* "/" itself is plain */
	for (const char *c = p + 1;;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[n])
			return 1;
		c += n + 1;
	}
}

/* path at or below dir, whole components ("/etc/x" is below "/etc",
 * "/etcx" is not). */
static int at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

const struct policy_place *policy_system_place(const char *path)
{
	for (size_t i = 0; i < policy_nplaces; i++)
		if (at_or_below(path, policy_places[i].path))
			return &policy_places[i];
	return NULL;
}

int policy_host_file(const char *path, struct err *e)
{
	const struct policy_place *pl;
	int under = 0;

	if (!policy_path_plain(path))
		return err_setc(e, ERR_REFUSED, 0, "'%s' is not an absolute plain path (no '.', '..' "
				"or empty components)", path);
	for (size_t i = 0; i < policy_nhost_roots; i++)
		under |= at_or_below(path, policy_host_roots[i]) && strcmp(path, policy_host_roots[i]);
	if (!under)
		return err_setc(e, ERR_REFUSED, 0, "'%s' is outside /etc, /usr/local and /opt, the "
				"only places images may write (see HOST FILES in syscontainer(1))",
				path);
	if ((pl = policy_system_place(path)))
		return err_setc(e, ERR_REFUSED, 0, "%s is not a place images may write (%s; see "
				"HOST FILES in syscontainer(1))", pl->path, pl->why);
	return 0;
}

unsigned policy_host_mode(unsigned mode)
{
	return mode & 0755;
}

int policy_directory_default(const char *var, const char *value, struct err *e)
{
	static const struct {
		const char *var, *root;
	} dirs[] = {
		{ "RUN_DIRECTORY", "/run" },
		{ "STATE_DIRECTORY", "/var/lib" },
		{ "CONF_DIRECTORY", "/etc" },
	};
	const struct policy_place *pl;

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (strcmp(var, dirs[i].var))
			continue;
		if (!policy_path_plain(value) || !at_or_below(value, dirs[i].root))
			return err_setc(e, ERR_REFUSED, 0, "%s '%s': an image may only move it below %s "
					"(only --set may put it elsewhere)", var, value, dirs[i].root);
		if ((pl = policy_system_place(value)))
			return err_setc(e, ERR_REFUSED, 0, "%s '%s': a system place (%s; see HOST "
					"FILES in syscontainer(1))", var, value, pl->why);
	}
	return 0;
}

int policy_own_place(const char *dir, struct err *e)
{
	const struct policy_place *pl;

	if (!policy_path_plain(dir) || !strcmp(dir, "/"))
		return err_setc(e, ERR_REFUSED, 0, "'%s' is not an absolute plain path", dir);
	if ((pl = policy_system_place(dir)))
		return err_setc(e, ERR_REFUSED, 0, "'%s' is a system place, never a container's own "
				"(%s: %s; see HOST FILES in syscontainer(1))", dir, pl->path, pl->why);
	return 0;
}
