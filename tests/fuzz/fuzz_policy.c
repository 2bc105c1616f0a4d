/* Fuzz target for src/policy.c (HOST FILES).
 *
 * fuzz_policy: the input (up to its first NUL) as a target path, judged as
 * a host file, as an own place and as each directory default.  Invariants
 * checked against a reading of the rules written independently here: an
 * accepted host file is plain, strictly below /etc, /usr/local or /opt, and
 * no system place is a prefix of it by whole components; every refusal is ERR_REFUSED with a one-line
 * message; masked modes never keep setuid, setgid, sticky or group/other
 * write.  Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int plain(const char *p)
{
	if (p[0] != '/')
		return 0;
	if (!p[1])
		return 1;
	return !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") &&
	       strcmp(p + strlen(p) - 2, "/.") && (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..")) &&
	       p[strlen(p) - 1] != '/';
}

static int covered(const char *p)
{
	for (size_t i = 0; i < policy_nplaces; i++) {
		const char *pl = policy_places[i].path;
		size_t n = strlen(pl);
		if (!strncmp(p, pl, n) && (p[n] == '/' || !p[n]))
			return 1;
	}
	return 0;
}

static void check_msg(const struct err *e)
{
	CHECK(e->code == ERR_REFUSED && e->msg[0] && !strchr(e->msg, '\n'));
}

int fuzz_policy(const uint8_t *data, size_t size)
{
	char p[512];
	size_t n = size < sizeof p - 1 ? size : sizeof p - 1;
	struct err e = { 0 };
	int under = 0;

	memcpy(p, data, n);
	p[n] = '\0';
	for (size_t i = 0; i < policy_nhost_roots; i++) {
		size_t l = strlen(policy_host_roots[i]);
		under |= !strncmp(p, policy_host_roots[i], l) && p[l] == '/' && p[l + 1];
	}
	if (policy_host_file(p, &e) == 0)
		CHECK(plain(p) && under && !covered(p));
	else
		check_msg(&e);
	if (policy_own_place(p, &e) == 0)
		CHECK(plain(p) && strcmp(p, "/") && !covered(p));
	else
		check_msg(&e);
	if (policy_directory_default("RUN_DIRECTORY", p, &e) == 0)
		CHECK(plain(p) && (!strcmp(p, "/run") || !strncmp(p, "/run/", 5)) && !covered(p));
	if (policy_directory_default("CONF_DIRECTORY", p, &e) == 0)
		CHECK(plain(p) && (!strcmp(p, "/etc") || !strncmp(p, "/etc/", 5)) && !covered(p));
	CHECK(policy_directory_default("OTHER", p, &e) == 0);
	CHECK((policy_host_mode(data[0] | (size ? (unsigned)data[size - 1] << 4 : 0)) & 07022) == 0);
	return 0;
}
