/* registries.conf: where names are pulled from (containers-registries.conf(5),
 * version 2, and the deprecated version 1).
 *
 * Files, in the order they are merged (later settings win):
 *   $CONTAINERS_REGISTRIES_CONF     when set: that file alone, no drop-ins
 *   else DIR/registries.conf, then DIR/registries.conf.d/ *.conf in byte
 *        order, where DIR is ROOT/etc/containers when --root ROOT has either
 *        of them, else /etc/containers; without --root,
 *        ~/.config/containers/registries.conf replaces the system file when
 *        it exists, and ~/.config/containers/registries.conf.d/ *.conf come
 *        after the system drop-ins
 *   then the short-name alias cache, [aliases] only, which wins:
 *        /var/cache/containers/short-name-aliases.conf for root (ROOT's
 *        first), ~/.cache/containers/short-name-aliases.conf otherwise.
 *        syscontainer reads it but never writes it: it never prompts.
 * Merging: unqualified-search-registries, short-name-mode and
 * credential-helpers are replaced; [aliases] entries are replaced one by one
 * (an empty value erases one); a [[registry]] with the prefix of an earlier
 * one replaces it, others are added.
 *
 * Keys (any other is an error naming the file and line):
 *   unqualified-search-registries = ["host[:port]", ...]
 *   short-name-mode = "enforcing" | "permissive" | "disabled"
 *   credential-helpers = ["containers-auth.json", "NAME", ...]
 *   additional-layer-store-auth-helper  (accepted, ignored: no layer stores)
 *   [aliases]  "short/name" = "registry.example/full/name"
 *   [[registry]]  prefix, location, insecure, blocked, mirror-by-digest-only,
 *     [[registry.mirror]]  location, insecure, pull-from-mirror
 *   version 1, in registries.conf only: [registries.search],
 *     [registries.insecure], [registries.block], each `registries = [...]`
 *
 * Resolution:
 *  - A fully qualified name uses the [[registry]] whose prefix matches it
 *    longest ("host[:port][/path]" up to a ':', '/' or '@' of the name, or
 *    "*.domain" for any host under domain).  blocked refuses it; otherwise
 *    its mirrors (those pull-from-mirror and mirror-by-digest-only allow for
 *    a tag or a digest pull) come first, then the primary location.  A
 *    location replaces the matched prefix.  The image keeps its own name
 *    whichever endpoint serves it.
 *  - A short name (no registry) uses its alias when there is one, else each
 *    unqualified-search registry in order; with none configured at all, it
 *    means docker.io, as it always has.  short-name-mode "enforcing" makes
 *    a short name that could come from several registries an error listing
 *    them (syscontainer never prompts, terminal or not).
 *
 * The readers are pure (regconf_add_file takes the bytes); regconf_load
 * finds and reads the files.  Ownership: regconf_free() frees what
 * regconf_new()/regconf_load() made (NULL is a no-op); arrays of candidates
 * and sources are malloc'd, the caller frees them with free(). */
#ifndef SC_REGCONF_H
#define SC_REGCONF_H

#include <stddef.h>

#include "err.h"
#include "imgref.h"

#define REGCONF_NAME_MAX 512     /* prefix, location, alias name or value */
#define REGCONF_HOST_MAX 272     /* host[:port] of a search registry */
#define REGCONF_MAX_SEARCH 32
#define REGCONF_MAX_REGISTRIES 1024
#define REGCONF_MAX_MIRRORS 16   /* per [[registry]] */
#define REGCONF_MAX_ALIASES 4096
#define REGCONF_MAX_HELPERS 16
#define REGCONF_MAX_DROPINS 128
#define REGCONF_FILE_MAX ((size_t)1 << 20)
#define REGCONF_WHY_MAX 600      /* a source's or candidate's origin */

enum regconf_mode { REGCONF_PERMISSIVE, REGCONF_ENFORCING, REGCONF_DISABLED };
enum regconf_pull_from { REGCONF_ALL, REGCONF_DIGEST_ONLY, REGCONF_TAG_ONLY };

struct regconf_mirror {
	char location[REGCONF_NAME_MAX];
	int insecure;
	enum regconf_pull_from pull_from;
	int pull_from_set;
	const char *origin;           /* "'FILE' line N" */
};

struct regconf_registry {
	char prefix[REGCONF_NAME_MAX];
	char location[REGCONF_NAME_MAX]; /* "" only with a "*." prefix */
	int insecure, blocked, mirror_by_digest_only;
	struct regconf_mirror mirrors[REGCONF_MAX_MIRRORS];
	size_t nmirrors;
	const char *origin;
};

struct regconf_alias {
	char name[REGCONF_NAME_MAX];
	char value[REGCONF_NAME_MAX];
	const char *origin;
};

struct regconf {
	char search[REGCONF_MAX_SEARCH][REGCONF_HOST_MAX];
	size_t nsearch;
	const char *search_origin;    /* NULL: no file set the list */
	enum regconf_mode mode;
	const char *mode_origin;      /* NULL: the default, permissive */
	char helpers[REGCONF_MAX_HELPERS][64];
	size_t nhelpers;
	const char *helpers_origin;   /* NULL: ["containers-auth.json"] */
	struct regconf_alias *aliases;
	size_t naliases;
	struct regconf_registry *regs;
	size_t nregs;
	char files[2048];             /* the files read, for -v */
	struct regconf_str *strings;  /* owned origin strings */
};

struct regconf *regconf_new(void);
void regconf_free(struct regconf *c);

/* Merge one file's bytes buf[0..len) into c.  path names it in messages
 * ("'PATH' line N: ..."); v1 keys are allowed only when allow_v1 is set
 * (the main registries.conf); aliases_only limits it to [aliases] (the
 * alias cache). */
int regconf_add_file(struct regconf *c, const char *path, const char *buf, size_t len,
		     int allow_v1, int aliases_only, struct err *e);

/* Find and read the files listed above.  root is --root or NULL. */
int regconf_load(const char *root, struct regconf **out, struct err *e);

/* One way to pull a name. */
struct regconf_source {
	struct imgref ref;            /* the name at that endpoint */
	int insecure;                 /* insecure = true for that endpoint */
	int mirror;                   /* 1: a mirror, 0: the primary location */
	char why[REGCONF_WHY_MAX];    /* "mirror of 'docker.io' ('F' line N)" */
};

/* The sources for a fully qualified ref (registry transport), mirrors
 * first.  A blocked name is an error naming the rule. */
int regconf_sources(const struct regconf *c, const struct imgref *ref,
		    struct regconf_source **out, size_t *n, struct err *e);

/* Was text, the reference as typed (ref its parse), a short name?  1 with
 * the name as typed, without tag or digest ("busybox", "library/busybox"),
 * in typed[typedsz]; 0 when it named its registry.  Pure. */
int regconf_short_name(const char *text, const struct imgref *ref, char *typed, size_t typedsz);

/* The fully qualified names the short name typed (ref its parse, for the
 * tag or digest) may mean, in the order to try them: its alias, else the
 * search registries.  Each candidate's why says where it came from. */
struct regconf_candidate {
	struct imgref ref;
	char why[REGCONF_WHY_MAX];
};
int regconf_candidates(const struct regconf *c, const char *typed, const struct imgref *ref,
		       struct regconf_candidate **out, size_t *n, struct err *e);

#endif
