/* registries.conf: reading and merging the files, and resolving names to
 * the endpoints to pull them from; see regconf.h. */
#include "regconf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "toml.h"
#include "util.h"

struct regconf_str {
	struct regconf_str *next;
	char s[];
};

/* What one file's reading needs at hand. */
struct file {
	struct regconf *c;
	const char *path;
	struct err *e;
};

struct regconf *regconf_new(void)
{
	return calloc(1, sizeof(struct regconf));
}

void regconf_free(struct regconf *c)
{
	if (!c)
		return;
	for (struct regconf_str *s = c->strings, *n; s; s = n) {
		n = s->next;
		free(s);
	}
	free(c->aliases);
	free(c->regs);
	free(c);
}

/* "'PATH' line N", kept as long as c. */
static const char *origin(struct file *f, unsigned line)
{
	int n = snprintf(NULL, 0, "'%s' line %u", f->path, line);
	struct regconf_str *s = malloc(sizeof *s + (size_t)n + 1);

	if (!s)
		return NULL;
	snprintf(s->s, (size_t)n + 1, "'%s' line %u", f->path, line);
	s->next = f->c->strings;
	f->c->strings = s;
	return s->s;
}

__attribute__((format(printf, 3, 4)))
static int bad(struct file *f, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(f->e, 0, "'%s' line %u: %s", f->path, line, msg);
}

/* ---- values ---- */

static int want(struct file *f, const struct toml_node *n, enum toml_type t)
{
	if (n->type == t)
		return 0;
	return bad(f, n->line, "'%s' must be a%s %s, not a%s %s", n->key ? n->key : "item",
		   t == TOML_ARRAY || t == TOML_INT ? "n" : "", toml_type_name(t),
		   n->type == TOML_ARRAY || n->type == TOML_INT ? "n" : "",
		   toml_type_name(n->type));
}

static int get_bool(struct file *f, const struct toml_node *n, int *out)
{
	if (want(f, n, TOML_BOOL) < 0)
		return -1;
	*out = n->boolean;
	return 0;
}

/* Printable ASCII without blanks: what names and locations are made of. */
static int plain(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static int get_str(struct file *f, const struct toml_node *n, char *out, size_t outsz)
{
	if (want(f, n, TOML_STRING) < 0)
		return -1;
	if (n->len >= outsz)
		return bad(f, n->line, "'%s' is longer than %zu bytes", n->key, outsz - 1);
	memcpy(out, n->str, n->len + 1);
	return 0;
}

/* A prefix or location: no scheme, no trailing '/', plain characters. */
static int get_location(struct file *f, const struct toml_node *n, char *out, int may_be_empty)
{
	size_t l;

	if (get_str(f, n, out, REGCONF_NAME_MAX) < 0)
		return -1;
	l = strlen(out);
	while (l && out[l - 1] == '/')
		out[--l] = '\0';
	if (!l && !may_be_empty)
		return bad(f, n->line, "'%s' is empty", n->key);
	if (!plain(out))
		return bad(f, n->line, "'%s' has a blank or control character", n->key);
	if (!strncmp(out, "http://", 7) || !strncmp(out, "https://", 8))
		return bad(f, n->line, "'%s' = \"%s\": URI schemes are not supported", n->key, out);
	return 0;
}

/* "host[:port]" as unqualified-search-registries wants it. */
static int hostport_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= REGCONF_HOST_MAX || strchr(s, '/'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(".-_:[]", s[i])))
			return 0;
	return 1;
}

/* An array of strings into fixed slots. */
static int get_list(struct file *f, const struct toml_node *n, char *slots, size_t slotsz,
		    size_t max, size_t *count)
{
	size_t k = 0;

	if (want(f, n, TOML_ARRAY) < 0)
		return -1;
	for (const struct toml_node *i = n->child; i; i = i->next, k++) {
		if (k == max)
			return bad(f, i->line, "'%s' has more than %zu entries", n->key, max);
		if (i->type != TOML_STRING)
			return bad(f, i->line, "'%s' must list strings", n->key);
		if (i->len >= slotsz || !plain(i->str) || !i->len)
			return bad(f, i->line, "'%s': bad entry", n->key);
		memcpy(slots + k * slotsz, i->str, i->len + 1);
	}
	*count = k;
	return 0;
}

/* ---- [[registry]] ---- */

static int pull_from(struct file *f, const struct toml_node *n, struct regconf_mirror *m)
{
	static const char *const names[] = { "all", "digest-only", "tag-only" };

	if (want(f, n, TOML_STRING) < 0)
		return -1;
	m->pull_from_set = n->len > 0;
	if (!n->len)
		return 0;
	for (int i = 0; i < 3; i++)
		if (!strcmp(n->str, names[i])) {
			m->pull_from = (enum regconf_pull_from)i;
			return 0;
		}
	return bad(f, n->line, "pull-from-mirror must be \"all\", \"digest-only\" or \"tag-only\"");
}

static int mirror(struct file *f, const struct toml_node *t, struct regconf_mirror *m)
{
	int have_location = 0;

	if (want(f, t, TOML_TABLE) < 0)
		return -1;
	memset(m, 0, sizeof *m);
	if (!(m->origin = origin(f, t->line)))
		return err_set(f->e, ENOMEM, "registries.conf");
	for (const struct toml_node *n = t->child; n; n = n->next) {
		int r;
		if (!strcmp(n->key, "location")) {
			have_location = 1;
			r = get_location(f, n, m->location, 0);
		} else if (!strcmp(n->key, "insecure"))
			r = get_bool(f, n, &m->insecure);
		else if (!strcmp(n->key, "pull-from-mirror"))
			r = pull_from(f, n, m);
		else
			r = bad(f, n->line, "unknown key '%s' in [[registry.mirror]]", n->key);
		if (r < 0)
			return -1;
	}
	if (!have_location)
		return bad(f, t->line, "[[registry.mirror]] without a location");
	return 0;
}

static int mirrors(struct file *f, const struct toml_node *n, struct regconf_registry *r)
{
	if (want(f, n, TOML_ARRAY) < 0)
		return -1;
	for (const struct toml_node *t = n->child; t; t = t->next) {
		if (r->nmirrors == REGCONF_MAX_MIRRORS)
			return bad(f, t->line, "more than %d mirrors", REGCONF_MAX_MIRRORS);
		if (mirror(f, t, &r->mirrors[r->nmirrors++]) < 0)
			return -1;
	}
	return 0;
}

static int registry_key(struct file *f, const struct toml_node *n, struct regconf_registry *r,
			int *have_prefix, int *have_location)
{
	if (!strcmp(n->key, "prefix")) {
		*have_prefix = 1;
		return get_location(f, n, r->prefix, 0);
	}
	if (!strcmp(n->key, "location")) {
		*have_location = 1;
		return get_location(f, n, r->location, 1);
	}
	if (!strcmp(n->key, "insecure"))
		return get_bool(f, n, &r->insecure);
	if (!strcmp(n->key, "blocked"))
		return get_bool(f, n, &r->blocked);
	if (!strcmp(n->key, "mirror-by-digest-only"))
		return get_bool(f, n, &r->mirror_by_digest_only);
	if (!strcmp(n->key, "mirror"))
		return mirrors(f, n, r);
	return bad(f, n->line, "unknown key '%s' in [[registry]]", n->key);
}

/* The prefix forms registries.conf allows: "*.domain" only whole. */
static int prefix_ok(struct file *f, unsigned line, const char *p)
{
	const char *star = strchr(p, '*');

	if (!star)
		return 0;
	if (star != p || p[1] != '.' || !p[2] || strchr(p + 1, '*') || strchr(p, '/') ||
	    strchr(p, ':'))
		return bad(f, line, "prefix '%s': a wildcard must be a whole \"*.domain\"", p);
	return 0;
}

static int check_registry(struct file *f, const struct toml_node *t, struct regconf_registry *r,
			  int have_prefix, int have_location)
{
	if (!have_prefix && !have_location)
		return bad(f, t->line, "[[registry]] without a location or a prefix");
	if (!have_prefix)
		strcpy(r->prefix, r->location);
	if (!r->prefix[0])
		return bad(f, t->line, "[[registry]] with an empty location and no prefix");
	if (prefix_ok(f, t->line, r->prefix) < 0)
		return -1;
	if (!r->location[0] && r->prefix[0] != '*')
		return bad(f, t->line, "[[registry]] prefix '%s' needs a location", r->prefix);
	if (strchr(r->location, '*'))
		return bad(f, t->line, "location '%s': wildcards are only for prefixes", r->location);
	for (size_t i = 0; i < r->nmirrors && r->mirror_by_digest_only; i++)
		if (r->mirrors[i].pull_from_set)
			return bad(f, t->line, "pull-from-mirror is not allowed with "
				   "mirror-by-digest-only = true");
	return 0;
}

static int add_registry(struct regconf *c, const struct regconf_registry *r, struct file *f,
			unsigned line)
{
	for (size_t i = 0; i < c->nregs; i++)
		if (!strcmp(c->regs[i].prefix, r->prefix)) {
			c->regs[i] = *r; /* a later file overrides the same prefix */
			return 0;
		}
	if (c->nregs == REGCONF_MAX_REGISTRIES)
		return bad(f, line, "more than %d [[registry]] tables", REGCONF_MAX_REGISTRIES);
	if (!(c->nregs & (c->nregs + 1)) || !c->regs) {
		void *p = realloc(c->regs, (c->nregs * 2 + 2) * sizeof *c->regs);
		if (!p)
			return err_set(f->e, ENOMEM, "registries.conf");
		c->regs = p;
	}
	c->regs[c->nregs++] = *r;
	return 0;
}

static int registries(struct file *f, const struct toml_node *n)
{
	struct regconf_registry *r;
	int rc = 0;

	if (want(f, n, TOML_ARRAY) < 0)
		return -1;
	if (!(r = malloc(sizeof *r)))
		return err_set(f->e, ENOMEM, "registries.conf");
	for (const struct toml_node *t = n->child; t && !rc; t = t->next) {
		int hp = 0, hl = 0;
		if ((rc = want(f, t, TOML_TABLE)) < 0)
			break;
		memset(r, 0, sizeof *r);
		if (!(r->origin = origin(f, t->line))) {
			rc = err_set(f->e, ENOMEM, "registries.conf");
			break;
		}
		for (const struct toml_node *k = t->child; k && !rc; k = k->next)
			rc = registry_key(f, k, r, &hp, &hl);
		if (!rc)
			rc = check_registry(f, t, r, hp, hl);
		if (!rc)
			rc = add_registry(f->c, r, f, t->line);
	}
	free(r);
	return rc;
}

/* ---- [aliases] ---- */

/* The first component names a registry ('.' or ':' in it, or localhost). */
static int has_registry(const char *name)
{
	size_t n = strcspn(name, "/");

	if (!name[n])
		return 0;
	return memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9));
}

static int set_alias(struct file *f, const struct toml_node *n)
{
	struct regconf *c = f->c;
	struct imgref ref;
	struct err e2;
	size_t i;

	if (want(f, n, TOML_STRING) < 0)
		return -1;
	if (!n->key[0] || strlen(n->key) >= REGCONF_NAME_MAX || !plain(n->key) ||
	    has_registry(n->key) || strpbrk(n->key, ":@"))
		return bad(f, n->line, "alias '%s': the name must be a short name without a tag",
			   n->key);
	if (n->len && (n->len >= REGCONF_NAME_MAX || !has_registry(n->str) ||
		       imgref_parse_name(&ref, n->str, n->len, &e2) < 0 ||
		       strchr(n->str + strcspn(n->str, "/"), ':') || strchr(n->str, '@')))
		return bad(f, n->line, "alias '%s': \"%s\" is not a fully qualified name without a "
			   "tag", n->key, n->str);
	for (i = 0; i < c->naliases && strcmp(c->aliases[i].name, n->key); i++)
		;
	if (i == c->naliases) {
		if (!n->len)
			return 0;
		if (c->naliases == REGCONF_MAX_ALIASES)
			return bad(f, n->line, "more than %d aliases", REGCONF_MAX_ALIASES);
		if (!(c->naliases & (c->naliases + 1)) || !c->aliases) {
			void *p = realloc(c->aliases, (c->naliases * 2 + 2) * sizeof *c->aliases);
			if (!p)
				return err_set(f->e, ENOMEM, "registries.conf");
			c->aliases = p;
		}
		c->naliases++;
	} else if (!n->len) {
		/* an empty value erases the alias */
		memmove(&c->aliases[i], &c->aliases[i + 1], (c->naliases - i - 1) * sizeof *c->aliases);
		c->naliases--;
		return 0;
	}
	snprintf(c->aliases[i].name, REGCONF_NAME_MAX, "%s", n->key);
	memcpy(c->aliases[i].value, n->str, n->len + 1);
	return (c->aliases[i].origin = origin(f, n->line)) ? 0 : err_set(f->e, ENOMEM, "aliases");
}

static int aliases(struct file *f, const struct toml_node *t)
{
	if (want(f, t, TOML_TABLE) < 0)
		return -1;
	for (const struct toml_node *n = t->child; n; n = n->next)
		if (set_alias(f, n) < 0)
			return -1;
	return 0;
}

/* ---- top level ---- */

static int search(struct file *f, const struct toml_node *n, const char *key)
{
	struct regconf *c = f->c;

	if (get_list(f, n, &c->search[0][0], REGCONF_HOST_MAX, REGCONF_MAX_SEARCH, &c->nsearch) < 0)
		return -1;
	for (size_t i = 0; i < c->nsearch; i++)
		if (!hostport_ok(c->search[i]))
			return bad(f, n->line, "%s: '%s' is not a host[:port]", key, c->search[i]);
	return (c->search_origin = origin(f, n->line)) ? 0 : err_set(f->e, ENOMEM, "registries.conf");
}

static int mode(struct file *f, const struct toml_node *n)
{
	static const char *const names[] = { "permissive", "enforcing", "disabled" };

	if (want(f, n, TOML_STRING) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (!strcmp(n->str, names[i]) || (!i && !n->len)) {
			f->c->mode = (enum regconf_mode)i;
			f->c->mode_origin = n->len ? origin(f, n->line) : NULL;
			return 0;
		}
	return bad(f, n->line, "short-name-mode must be \"enforcing\", \"permissive\" or \"disabled\"");
}

static int helpers(struct file *f, const struct toml_node *n)
{
	struct regconf *c = f->c;

	if (get_list(f, n, &c->helpers[0][0], sizeof c->helpers[0], REGCONF_MAX_HELPERS,
		     &c->nhelpers) < 0)
		return -1;
	for (size_t i = 0; i < c->nhelpers; i++)
		if (strchr(c->helpers[i], '/'))
			return bad(f, n->line, "credential-helpers: '%s' is not a helper name",
				   c->helpers[i]);
	return (c->helpers_origin = origin(f, n->line)) ? 0 : err_set(f->e, ENOMEM, "helpers");
}

/* Version 1: [registries.search|insecure|block] registries = [...]. */
static int v1(struct file *f, const struct toml_node *t)
{
	if (want(f, t, TOML_TABLE) < 0)
		return -1;
	for (const struct toml_node *s = t->child; s; s = s->next) {
		int kind = !strcmp(s->key, "search") ? 0 : !strcmp(s->key, "insecure") ? 1
			   : !strcmp(s->key, "block") ? 2 : -1;
		const struct toml_node *l;
		char list[REGCONF_MAX_SEARCH][REGCONF_HOST_MAX];
		size_t n = 0;

		if (kind < 0)
			return bad(f, s->line, "unknown table [registries.%s]", s->key);
		if (want(f, s, TOML_TABLE) < 0)
			return -1;
		for (const struct toml_node *k = s->child; k; k = k->next)
			if (strcmp(k->key, "registries"))
				return bad(f, k->line, "unknown key '%s' in [registries.%s]", k->key,
					   s->key);
		if (!(l = toml_get(s, "registries")))
			continue;
		if (!kind) {
			if (search(f, l, "registries.search") < 0)
				return -1;
			continue;
		}
		if (get_list(f, l, &list[0][0], REGCONF_HOST_MAX, REGCONF_MAX_SEARCH, &n) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			struct regconf_registry r = { 0 };
			snprintf(r.prefix, sizeof r.prefix, "%s", list[i]);
			snprintf(r.location, sizeof r.location, "%s", list[i]);
			for (size_t k = 0; k < f->c->nregs; k++)
				if (!strcmp(f->c->regs[k].prefix, r.prefix))
					r = f->c->regs[k];
			r.insecure |= kind == 1;
			r.blocked |= kind == 2;
			if (!(r.origin = origin(f, l->line)) || add_registry(f->c, &r, f, l->line) < 0)
				return err_set(f->e, ENOMEM, "registries.conf");
		}
	}
	return 0;
}

static int top(struct file *f, const struct toml_node *n, int allow_v1, int *is_v1, int *is_v2)
{
	if (!strcmp(n->key, "registries")) {
		if (!allow_v1)
			return bad(f, n->line, "version 1 tables ([registries.*]) are only allowed "
				   "in registries.conf itself");
		*is_v1 = 1;
		return v1(f, n);
	}
	*is_v2 |= strcmp(n->key, "aliases") != 0;
	if (!strcmp(n->key, "unqualified-search-registries"))
		return search(f, n, n->key);
	if (!strcmp(n->key, "short-name-mode"))
		return mode(f, n);
	if (!strcmp(n->key, "credential-helpers"))
		return helpers(f, n);
	if (!strcmp(n->key, "registry"))
		return registries(f, n);
	if (!strcmp(n->key, "aliases"))
		return aliases(f, n);
	if (!strcmp(n->key, "additional-layer-store-auth-helper"))
		return want(f, n, TOML_STRING);
	return bad(f, n->line, "unknown key '%s'", n->key);
}

int regconf_add_file(struct regconf *c, const char *path, const char *buf, size_t len,
		     int allow_v1, int aliases_only, struct err *e)
{
	struct file f = { c, path, e };
	struct toml_doc *d = NULL;
	int rc = 0, is_v1 = 0, is_v2 = 0;
	size_t used = strlen(c->files);

	if (toml_parse(buf, len, &d, e) < 0)
		return err_wrap(e, "'%s'", path);
	snprintf(c->files + used, sizeof c->files - used, "%s%s", used ? ", " : "", path);
	for (const struct toml_node *n = toml_root(d)->child; n && !rc; n = n->next) {
		if (aliases_only && strcmp(n->key, "aliases"))
			rc = bad(&f, n->line, "only [aliases] belong in the short-name alias cache");
		else
			rc = top(&f, n, allow_v1, &is_v1, &is_v2);
	}
	if (!rc && is_v1 && is_v2)
		rc = err_set(e, 0, "'%s': mixes version 1 ([registries.*]) and version 2 keys", path);
	toml_free(d);
	return rc;
}

/* ---- finding the files ---- */

/* ROOT + path (root NULL or "/": path itself) into out[PATH_MAX]. */
static int rooted(const char *root, const char *path, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s%s", root && strcmp(root, "/") ? root : "", path);
	return n > 0 && n < PATH_MAX ? 0 : -1;
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Read and merge one file; a missing one is skipped unless required. */
static int read_one(struct regconf *c, const char *path, int required, int allow_v1,
		    int aliases_only, struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!required && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (util_read_file(path, REGCONF_FILE_MAX, &buf, &len, e) < 0)
		return err_wrap(e, "registries configuration '%s'", path);
	rc = regconf_add_file(c, path, buf, len, allow_v1, aliases_only, e);
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/ *.conf in byte order (other names and directories are ignored). */
static int read_dropins(struct regconf *c, const char *dir, struct err *e)
{
	char *names[REGCONF_MAX_DROPINS], p[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	int rc = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0
		       : err_set(e, errno, "registries.conf.d '%s'", dir);
	while ((de = readdir(d)) && !rc) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") || de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p ||
		    stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == REGCONF_MAX_DROPINS)
			rc = err_set(e, 0, "registries.conf.d '%s': more than %d files", dir,
				     REGCONF_MAX_DROPINS);
		else if (!(names[n++] = strdup(de->d_name)))
			rc = err_set(e, ENOMEM, "registries.conf.d");
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof names[0], cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!rc && names[i]) {
			snprintf(p, sizeof p, "%s/%s", dir, names[i]);
			rc = read_one(c, p, 0, 0, 0, e);
		}
		free(names[i]);
	}
	return rc;
}

static int read_system(struct regconf *c, const char *root, struct err *e)
{
	const char *home = getenv("HOME");
	char dir[PATH_MAX], p[PATH_MAX], user[PATH_MAX] = "";
	int in_root = 0;

	if (root && strcmp(root, "/")) {
		char a[PATH_MAX], b[PATH_MAX];
		in_root = !rooted(root, "/etc/containers/registries.conf", a) &&
			  !rooted(root, "/etc/containers/registries.conf.d", b) &&
			  (exists(a) || exists(b));
	}
	if (rooted(in_root ? root : NULL, "/etc/containers", dir) < 0)
		return err_set(e, ENAMETOOLONG, "--root");
	/* the running user's own files make sense only for the running system */
	if (!in_root && home && *home &&
	    (path_fmt(user, sizeof user, NULL, "%s/.config/containers/registries.conf", home) < 0 ||
	     !exists(user)))
		user[0] = '\0';
	if (path_fmt(p, sizeof p, e, "%s/registries.conf", dir) < 0)
		return err_wrap(e, "--root");
	if (read_one(c, user[0] ? user : p, 0, 1, 0, e) < 0)
		return -1;
	if (path_fmt(p, sizeof p, e, "%s/registries.conf.d", dir) < 0)
		return err_wrap(e, "--root");
	if (!user[0] && read_dropins(c, p, e) < 0)
		return -1;
	if (!in_root && home && *home &&
	    path_fmt(p, sizeof p, NULL, "%s/.config/containers/registries.conf.d", home) == 0 &&
	    read_dropins(c, p, e) < 0)
		return -1;
	return 0;
}

static int read_alias_cache(struct regconf *c, const char *root, struct err *e)
{
	static const char sys[] = "/var/cache/containers/short-name-aliases.conf";
	const char *home = getenv("HOME");
	char p[PATH_MAX];

	if (geteuid() != 0) {
		if (!home || !*home ||
		    snprintf(p, sizeof p, "%s/.cache/containers/short-name-aliases.conf", home) >= (int)sizeof p)
			return 0;
		return read_one(c, p, 0, 0, 1, e);
	}
	if (!rooted(root, sys, p) && exists(p))
		return read_one(c, p, 0, 0, 1, e);
	return read_one(c, sys, 0, 0, 1, e);
}

int regconf_load(const char *root, struct regconf **out, struct err *e)
{
	const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
	struct regconf *c = regconf_new();
	int rc;

	*out = NULL;
	if (!c)
		return err_set(e, ENOMEM, "registries.conf");
	if (env && *env)
		rc = read_one(c, env, 1, 1, 0, e);
	else
		rc = read_system(c, root, e) < 0 ? -1 : read_alias_cache(c, root, e);
	if (rc < 0) {
		regconf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* ---- resolution ---- */

/* The name prefixes are matched against: registry/path[:tag][@digest]. */
static void match_name(const struct imgref *r, char *out, size_t sz)
{
	snprintf(out, sz, "%s/%s%s%s%s%s", r->registry, r->path, r->tag[0] ? ":" : "", r->tag,
		 r->digest[0] ? "@" : "", r->digest);
}

/* How many bytes of name the prefix stands for (the part a location
 * replaces), 0 when it does not match.  A prefix never ends inside the
 * host[:port] part: "example.com" does not match "example.com:5000/x". */
static size_t prefix_match(const char *name, const char *prefix)
{
	size_t host = strcspn(name, "/"), pl = strlen(prefix);

	if (prefix[0] == '*') {
		size_t sl = pl - 1;
		return host > sl && !strncmp(name + host - sl, prefix + 1, sl) ? host : 0;
	}
	if (pl < host || strncmp(name, prefix, pl))
		return 0;
	return !name[pl] || strchr(":/@", name[pl]) ? pl : 0;
}

static const struct regconf_registry *find_registry(const struct regconf *c, const char *name,
						    size_t *cover)
{
	const struct regconf_registry *best = NULL;
	size_t rank = 0;

	for (size_t i = 0; i < c->nregs; i++) {
		size_t k = prefix_match(name, c->regs[i].prefix), r = strlen(c->regs[i].prefix);
		if (k && r > rank) {
			best = &c->regs[i];
			rank = r;
			*cover = k;
		}
	}
	return best;
}

static int rewrite(const char *location, const char *name, size_t cover, const char *origin,
		   struct imgref *out, struct err *e)
{
	char buf[REGCONF_NAME_MAX + IMGREF_FORMAT_MAX];
	int n = location[0] ? snprintf(buf, sizeof buf, "%s%s", location, name + cover)
			    : snprintf(buf, sizeof buf, "%s", name);

	struct err why;

	if (n < 0 || (size_t)n >= sizeof buf || imgref_parse_name(out, buf, (size_t)n, &why) < 0)
		return err_set(e, 0, "the [[registry]] at %s rewrites '%s' to '%.*s', which is not "
			       "an image name", origin, name, n > 0 && (size_t)n < sizeof buf ? n : 0, buf);
	return 0;
}

static int mirror_allowed(const struct regconf_registry *r, const struct regconf_mirror *m,
			  int by_digest)
{
	if (r->mirror_by_digest_only)
		return by_digest;
	return m->pull_from == REGCONF_ALL || (m->pull_from == REGCONF_DIGEST_ONLY) == by_digest;
}

int regconf_sources(const struct regconf *c, const struct imgref *ref,
		    struct regconf_source **out, size_t *n, struct err *e)
{
	char name[IMGREF_FORMAT_MAX];
	const struct regconf_registry *r;
	struct regconf_source *s;
	size_t cover = 0, k = 0;
	int by_digest = ref->digest[0] != '\0';

	*out = NULL;
	*n = 0;
	match_name(ref, name, sizeof name);
	r = find_registry(c, name, &cover);
	if (r && r->blocked)
		return err_set(e, 0, "'%s' is blocked by the [[registry]] at %s (prefix '%s')", name,
			       r->origin, r->prefix);
	if (!(s = calloc(r ? r->nmirrors + 1 : 1, sizeof *s)))
		return err_set(e, ENOMEM, "registries.conf");
	for (size_t i = 0; r && i < r->nmirrors; i++) {
		const struct regconf_mirror *m = &r->mirrors[i];
		if (!mirror_allowed(r, m, by_digest))
			continue;
		if (rewrite(m->location, name, cover, m->origin, &s[k].ref, e) < 0)
			goto fail;
		s[k].insecure = m->insecure;
		s[k].mirror = 1;
		snprintf(s[k++].why, REGCONF_WHY_MAX, "mirror '%s' of '%s' (%s)", m->location,
			 r->prefix, m->origin);
	}
	if (!r) {
		s[k].ref = *ref;
	} else {
		if (rewrite(r->location, name, cover, r->origin, &s[k].ref, e) < 0)
			goto fail;
		s[k].insecure = r->insecure;
		snprintf(s[k].why, REGCONF_WHY_MAX, "%s '%s' (%s)", r->location[0] &&
			 strcmp(r->location, r->prefix) ? "location of" : "registry", r->prefix,
			 r->origin);
	}
	s[k].ref.insecure = 0;
	*out = s;
	*n = k + 1;
	return 0;
fail:
	free(s);
	return -1;
}

int regconf_short_name(const char *text, const struct imgref *ref, char *typed, size_t typedsz)
{
	static const char *const prefixes[] = { "docker://", "http://", "http:" };
	size_t n;

	typed[0] = '\0';
	if (ref->transport != IMGREF_REGISTRY || strcmp(ref->registry, "docker.io"))
		return 0;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (!strncmp(text, prefixes[i], strlen(prefixes[i]))) {
			text += strlen(prefixes[i]);
			break;
		}
	/* docker.io was assumed unless the text names it */
	if (!strncmp(text, "docker.io/", 10) || !strncmp(text, "index.docker.io/", 16))
		return 0;
	n = strcspn(text, "@");
	/* a short name has no port, so a ':' after the last '/' is the tag */
	for (size_t i = n; i-- > 0 && text[i] != '/';)
		if (text[i] == ':') {
			n = i;
			break;
		}
	if (!n || n >= typedsz)
		return 0;
	memcpy(typed, text, n);
	typed[n] = '\0';
	return 1;
}

/* The candidate for one registry (or alias value) and what was typed. */
static int candidate(const char *base, const char *typed, const struct imgref *ref,
		     struct regconf_candidate *cand, struct err *e)
{
	char buf[REGCONF_NAME_MAX + IMGREF_FORMAT_MAX];
	int n = snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s", base, typed ? "/" : "", typed ? typed : "",
			 ref->tag[0] ? ":" : "", ref->tag, ref->digest[0] ? "@" : "", ref->digest);
	struct err why;

	if (n < 0 || (size_t)n >= sizeof buf)
		return err_set(e, 0, "a name longer than %zu bytes", sizeof buf);
	/* a configuration problem, not a usage error: say what it made */
	if (imgref_parse_name(&cand->ref, buf, (size_t)n, &why) < 0)
		return err_set(e, 0, "'%s' is not an image name", buf);
	return 0;
}

int regconf_candidates(const struct regconf *c, const char *typed, const struct imgref *ref,
		       struct regconf_candidate **out, size_t *n, struct err *e)
{
	struct regconf_candidate *cand;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < c->naliases; i++)
		if (!strcmp(c->aliases[i].name, typed)) {
			if (!(cand = calloc(1, sizeof *cand)))
				return err_set(e, ENOMEM, "short name");
			if (candidate(c->aliases[i].value, NULL, ref, cand, e) < 0) {
				free(cand);
				return err_wrap(e, "alias '%s' (%s)", typed, c->aliases[i].origin);
			}
			snprintf(cand->why, REGCONF_WHY_MAX, "alias '%s' (%s)", typed, c->aliases[i].origin);
			*out = cand;
			*n = 1;
			return 0;
		}
	if (!c->search_origin) {
		if (!(cand = calloc(1, sizeof *cand)))
			return err_set(e, ENOMEM, "short name");
		cand->ref = *ref;
		snprintf(cand->why, REGCONF_WHY_MAX, "docker.io, the default: no "
			 "unqualified-search-registries configured");
		*out = cand;
		*n = 1;
		return 0;
	}
	if (!c->nsearch)
		return err_set(e, 0, "short name '%s': unqualified-search-registries is empty (%s): "
			       "give a fully qualified name", typed, c->search_origin);
	if (!(cand = calloc(c->nsearch, sizeof *cand)))
		return err_set(e, ENOMEM, "short name");
	for (; k < c->nsearch; k++) {
		if (candidate(c->search[k], typed, ref, &cand[k], e) < 0) {
			free(cand);
			return err_wrap(e, "short name '%s' with search registry '%s'", typed,
					c->search[k]);
		}
		snprintf(cand[k].why, REGCONF_WHY_MAX, "unqualified-search-registries (%s)",
			 c->search_origin);
	}
	if (c->mode == REGCONF_ENFORCING && k > 1) {
		char list[700] = "";
		for (size_t i = 0; i < k; i++) {
			char one[IMGREF_FORMAT_MAX];
			size_t used = strlen(list);
			imgref_format(&cand[i].ref, one, sizeof one);
			snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", one);
		}
		free(cand);
		return err_set(e, 0, "short name '%s' is ambiguous (short-name-mode \"enforcing\", %s): "
			       "give one of %s", typed, c->mode_origin, list);
	}
	*out = cand;
	*n = k;
	return 0;
}
