/* Helpers every verb shares: paths, compatibility flags, help, output. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/version.h>
#include <zlib.h>

#include "progress.h"
#include "store.h"
#include "text.h"

int cli_paths(struct cli *c, struct err *e)
{
	struct paths_input in = {
		.root = c->root,
		.repo = c->repo,
		.env_repo = getenv("ATOMIC_OSTREE_REPO"),
		.env_checkout = getenv("ATOMIC_OSTREE_CHECKOUT_PATH"),
	};
	if (c->paths_ok)
		return 0;
	if (paths_resolve(&c->paths, &in, e) < 0)
		return -1;
	c->paths_ok = 1;
	return 0;
}

int cli_target(struct cli *c, struct err *e)
{
	if (c->tgt_ok)
		return 0;
	if (cli_paths(c, e) < 0 || target_open(&c->tgt, &c->paths, e) < 0)
		return -1;
	c->tgt_ok = 1;
	return 0;
}

int cli_compat_flag(int argc, char **argv, int i, struct err *e)
{
	const char *a = argv[i];

	if (!strcmp(a, "--system") || !strcmp(a, "-y") || !strcmp(a, "--assumeyes"))
		return 1;
	if (!strncmp(a, "--storage=", 10)) {
		if (strcmp(a + 10, "ostree"))
			return err_usage(e, "--storage: only 'ostree' is supported, not '%s'", a + 10);
		return 1;
	}
	if (!strcmp(a, "--storage")) {
		if (i + 1 >= argc)
			return err_usage(e, "--storage needs a value");
		if (strcmp(argv[i + 1], "ostree"))
			return err_usage(e, "--storage: only 'ostree' is supported, not '%s'", argv[i + 1]);
		return 2;
	}
	return 0;
}

void cli_verb_help(FILE *f, const struct verb *v)
{
	fprintf(f, "usage: syscontainer %s%s%s %s\n\n%s\n", v->group ? v->group : "",
		v->group ? " " : "", v->name, v->args, v->summary);
	if (v->help && *v->help)
		fprintf(f, "\nOptions:\n%s", v->help);
}

void cli_print_versions(FILE *f)
{
	char glib[32], tls[32];

	store_glib_version(glib, sizeof glib);
	mbedtls_version_get_string(tls);
	fprintf(f, "syscontainer %s\nlibostree %s\nGLib %s\nmbed TLS %s\nzlib %s\n", SC_VERSION,
		store_ostree_version(), glib, tls, zlibVersion());
}

void cli_say(const struct cli *c, const char *fmt, ...)
{
	char line[4096], shown[4 * sizeof line + 2];
	va_list ap;
	size_t n;
	int nl;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	n = strlen(line);
	nl = n && line[n - 1] == '\n';  /* the line end the caller wrote stays one */
	n = text_escape(shown, sizeof shown - 1, line, n - nl, 0);
	if (nl)
		memcpy(shown + n, "\n", 2);
	progress_print(stdout, shown);
}
