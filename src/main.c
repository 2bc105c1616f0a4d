/* syscontainer: the verb table, global options, and the one place that
 * prints errors. */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "progress.h"
#include "store.h"
#include "text.h"
#include "util.h"

#include "verbs.h"

/* Terminated by a row without a name. */
static const struct verb verbs[] = {
	VERB_TABLE
	{ 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: syscontainer [GLOBAL OPTIONS] VERB [ARGS]\n\n"
		"Pull container images into OSTree and run them as system containers.\n\n"
		"Verbs:\n");
	for (const struct verb *v = verbs; v->name; v++) {
		char name[64];
		snprintf(name, sizeof name, "%s%s%s", v->group ? v->group : "",
			 v->group ? " " : "", v->name);
		fprintf(f, "  %-20s %s\n", name, v->summary);
	}
	fprintf(f, "\nGlobal options (before the verb):\n"
		"  --repo DIR         OSTree repository (default: $ATOMIC_OSTREE_REPO, the\n"
		"                     recorded choice, or CHECKOUT/.storage/ostree)\n"
		"  --root DIR         operate on the system rooted at DIR\n"
		"  --quiet            no progress output\n"
		"  -v, --verbose      more detail\n"
		"  --version          print versions and exit\n"
		"  -h, --help         this help; VERB --help for a verb's options\n"
		"Accepted and ignored for Atomic compatibility: --system, --storage=ostree, -y.\n");
}

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL when argv[*i] is
 * not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, struct err *e,
			     int *bad)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = 1;
		err_usage(e, "%s needs a value", opt);
		return NULL;
	}
	return argv[++*i];
}

static const struct verb *find_verb(int argc, char **argv, int *used)
{
	for (const struct verb *v = verbs; v->name; v++) {
		if (!v->group && !strcmp(argv[0], v->name)) {
			*used = 1;
			return v;
		}
		if (v->group && !strcmp(argv[0], v->group) && argc > 1 && !strcmp(argv[1], v->name)) {
			*used = 2;
			return v;
		}
	}
	return NULL;
}

/* `images --help`: the group's verbs. */
static void group_help(FILE *f, const char *group)
{
	fprintf(f, "usage: syscontainer %s SUB-COMMAND [ARGS]\n\n", group);
	for (const struct verb *v = verbs; v->name; v++)
		if (v->group && !strcmp(v->group, group))
			fprintf(f, "  %-10s %s\n", v->name, v->summary);
	fprintf(f, "\nsyscontainer %s SUB-COMMAND --help for its options.\n", group);
}

static int is_group(const char *s)
{
	for (const struct verb *v = verbs; v->name; v++)
		if (v->group && !strcmp(v->group, s))
			return 1;
	return 0;
}

/* Verbs that name no object: their errors read "VERB: cause". */
static int bare(const char *verb)
{
	static const char *const list[] = { "images list", "images prune", "images update",
					    "images verify", "containers list" };

	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		if (!strcmp(verb, list[i]))
			return 1;
	return 0;
}

/* The read-only mount among those the verb writes to: the root, CHECKOUT and
 * the repository (host paths under --root).  statvfs says read-only per
 * mount; util_mount_point_path names it, without /proc too. */
static int readonly_mount(struct cli *c, char *mnt, size_t mntsz)
{
	const char *root = c->root ? c->root : "/";
	char cand[3][8300];
	struct err ignore;
	struct statvfs vfs;
	int n = 0;

	if (cli_paths(c, &ignore) == 0) {
		const char *pre = strcmp(root, "/") ? root : "";
		snprintf(cand[n++], sizeof cand[0], "%s%s", pre, c->paths.checkout);
		snprintf(cand[n++], sizeof cand[0], "%s%s", pre, c->paths.repo);
	}
	snprintf(cand[n++], sizeof cand[0], "%s", root);
	for (int i = 0; i < n; i++) {
		util_mount_point_path(cand[i], mnt, mntsz);  /* cuts cand[i] to what exists */
		if (statvfs(cand[i], &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
			return 1;
	}
	return 0;
}

static int fail(const char *verb, int bare, const struct err *e, struct cli *c)
{
	/* A command run in a container passes its exit status through. */
	if (!e->msg[0])
		return e->status ? e->status : EXIT_FAIL;
	/* A failure names its object after the verb ("pull IMAGE: cause"); a
	 * usage error, or a verb without an object, has the verb alone
	 * ("pull: cause", "images list: cause"). */
	/* The message may quote images, servers and the command line: it is
	 * escaped here, the one place errors are printed, so it stays one
	 * harmless line whatever it quotes. */
	if (verb)
		text_printf(stderr, "syscontainer: %s%s %s", verb,
			    e->status == EXIT_USAGE || bare ? ":" : "", e->msg);
	else
		text_printf(stderr, "syscontainer: %s", e->msg);
	/* What a user without root sees most: say what would help. */
	if ((e->errnum == EACCES || e->errnum == EPERM) && geteuid() != 0)
		fputs(" (run as root)", stderr);
	/* An initramfs hook or a board with `ro` meets this first: name the
	 * read-only file system and how to make it writable for the run. */
	if (e->errnum == EROFS && c) {
		char mnt[4096];
		if (readonly_mount(c, mnt, sizeof mnt))
			text_printf(stderr, " (%s is mounted read-only: mount -o remount,rw %s for the run)",
				    mnt, mnt);
	}
	fputc('\n', stderr);
	return e->status ? e->status : EXIT_FAIL;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct err e = { 0 };
	const struct verb *v;
	char verbname[64];
	int i, used, bad = 0, r;

	/* Every mode we create is the one we chose: the repository's
	 * directories, deployments and host files must not depend on the
	 * umask of whoever runs us (umask 000 made a 0777 repository). */
	umask(022);
	/* Installed as `atomic` (a link), scripts written for the Atomic CLI
	 * find what it printed where they parse it. */
	c.atomic = !strcmp(basename(argv[0]), "atomic");

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *val;
		int n;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			cli_print_versions(stdout);
			return 0;
		}
		if (!strcmp(a, "--quiet")) {
			c.quiet = 1;
			continue;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			c.verbose = 1;
			continue;
		}
		if ((val = opt_value(argc, argv, &i, "--repo", &e, &bad))) {
			c.repo = val;
			continue;
		}
		if (!bad && (val = opt_value(argc, argv, &i, "--root", &e, &bad))) {
			c.root = val;
			continue;
		}
		if (bad)
			return fail(NULL, 0, &e, NULL);
		n = cli_compat_flag(argc, argv, i, &e);
		if (n < 0)
			return fail(NULL, 0, &e, NULL);
		if (n > 0) {
			i += n - 1;
			continue;
		}
		text_printf(stderr, "syscontainer: unknown option '%s'", a);
		fputc('\n', stderr);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	v = find_verb(argc - i, argv + i, &used);
	if (!v && is_group(argv[i]) && i + 1 < argc &&
	    (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
		group_help(stdout, argv[i]);
		return 0;
	}
	if (!v) {
		if (is_group(argv[i]))
			text_printf(stderr, "syscontainer: %s: %s '%s'", argv[i],
				    i + 1 < argc ? "unknown sub-command" : "missing sub-command",
				    i + 1 < argc ? argv[i + 1] : "");
		else
			text_printf(stderr, "syscontainer: unknown verb '%s'", argv[i]);
		fputc('\n', stderr);
		usage(stderr);
		return EXIT_USAGE;
	}
	snprintf(verbname, sizeof verbname, "%s%s%s", v->group ? v->group : "",
		 v->group ? " " : "", v->name);
	c.verb = verbname;
	i += used;
	for (int j = i; j < argc; j++) {
		if (!strcmp(argv[j], "--"))
			break;
		if (!strcmp(argv[j], "-h") || !strcmp(argv[j], "--help")) {
			cli_verb_help(stdout, v);
			return 0;
		}
	}
	/* `--` ends the options.  No name or image starts with '-', so for
	 * every verb but run (whose CMD may) it only has to go. */
	if (strcmp(verbname, "run"))
		for (int j = i; j < argc; j++)
			if (!strcmp(argv[j], "--")) {
				memmove(argv + j, argv + j + 1, (size_t)(argc - j) * sizeof *argv);
				argc--;
				break;
			}
	/* The verb sees its own arguments, argv[0] being the verb name. */
	progress_init(c.quiet, c.atomic, c.verbose);
	r = v->run(&c, argc - i + 1, argv + i - 1, &e);
	progress_finish();        /* the display ends before any error line */
	if (r < 0)
		return fail(verbname, bare(verbname), &e, &c);
	return 0;
}
