#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* ---- the default service ---- */

/* Why each line (systemd.service(5), systemd.kill(5)):
 * - ExecStartPre=-$EXEC_STOPPOST: `runtime delete --force NAME` clears a
 *   container state left behind when runc itself was SIGKILLed (or the host
 *   crashed with a persistent state dir), which would make `runc run` fail
 *   with "container with id exists".  '-': nothing to delete is fine.
 * - ExecStart=$EXEC_START: `runtime run NAME` in the foreground, so runc is
 *   the main process, proxies signals to the container's PID 1 and exits
 *   with its status (128+N when a signal N killed it).
 * - ExecStop: `runtime kill NAME` sends SIGTERM to PID 1, then the stop
 *   waits up to 10 s (docker stop's grace period) for the container to go,
 *   asking `runtime kill NAME 0` (fails once it is no longer running), and
 *   sends SIGKILL when it is still there.  A PID 1 without a SIGTERM
 *   handler ignores SIGTERM (the kernel protects a namespace's init), and
 *   only the runtime can reach it: runc moves the container out of the
 *   unit's cgroup, so systemd's own final SIGKILL would hit runc alone.
 *   Waiting here, inside ExecStop, is what keeps such a stop clean rather
 *   than a "failed (timeout)".  No '$' in the script: systemd would expand
 *   it.  Steps of 0.2 s (GNU and busybox sleep take fractions; a sleep that
 *   refuses them falls back to 1 s steps, a longer grace, still bounded).
 *   '-': systemd runs ExecStop also after the container exited on its
 *   own; the runtime then says "container does not exist", and that alone
 *   must not leave the unit failed (the script exits 0 then anyway; '-'
 *   covers a host without /bin/sh).
 * - ExecStopPost=-$EXEC_STOPPOST: `runtime delete --force NAME` after every
 *   stop, including a timeout and `systemctl kill -s KILL`: the container
 *   lives outside the unit's cgroup, so a SIGKILL that only hits runc
 *   leaves PID 1 running; this kills it and removes the state so the next
 *   start works.
 * - KillMode=mixed: after ExecStop, SIGTERM goes to the main process only
 *   (runc, which forwards it to PID 1), while the final SIGKILL after
 *   TimeoutStopSec reaches everything left in the unit's cgroup.
 * - TimeoutStopSec=60: a safety net for a runtime that hangs; it exceeds
 *   the ExecStop grace (10 s, or 50 s with 1 s steps) so a stop that the
 *   script completes never counts as a timeout.
 * - SuccessExitStatus=143 137 SIGTERM: runc exits 128+15 when PID 1 dies of
 *   our SIGTERM and 128+9 when our stop had to SIGKILL it; both are clean
 *   stops, so the unit ends inactive, not failed.  (runc itself killed by
 *   SIGTERM is clean to systemd already; listed for the reader.)
 * - RestartForceExitStatus=137: a container SIGKILLed while nobody stopped
 *   it (the OOM killer) is still restarted although 137 counts as success;
 *   systemd never restarts a unit that is being stopped.
 * - Restart=on-failure: a crashed service comes back, a stopped one not;
 *   runc itself killed by SIGKILL (`systemctl kill -s KILL`) is a failure,
 *   so it comes back too, as any systemd service would.
 * - WorkingDirectory=$DESTDIR: runc finds the bundle (config.json, rootfs)
 *   in its working directory.
 * - WantedBy=multi-user.target: started at boot once enabled. */
static const char default_service[] =
	"[Unit]\n"
	"Description=$NAME\n"
	"\n"
	"[Service]\n"
	"ExecStartPre=-$EXEC_STOPPOST\n"
	"ExecStart=$EXEC_START\n"
	"ExecStop=-/bin/sh -c \"$EXEC_STOP; "
	"for s in 1 2 3 4 5; do for t in 1 2 3 4 5 6 7 8 9 10; do "
	"$EXEC_STOP 0 2>/dev/null || exit 0; sleep 0.2 2>/dev/null || sleep 1; "
	"done; done; $EXEC_STOP KILL\"\n"
	"ExecStopPost=-$EXEC_STOPPOST\n"
	"KillMode=mixed\n"
	"TimeoutStopSec=60\n"
	"SuccessExitStatus=143 137 SIGTERM\n"
	"RestartForceExitStatus=137\n"
	"Restart=on-failure\n"
	"WorkingDirectory=$DESTDIR\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

const char *unit_default_template(void)
{
	return default_service;
}

/* ---- unit files: the [Install] section ---- */

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void strip(const char **s, size_t *n)
{
	while (*n && is_ws(**s))
		(*s)++, (*n)--;
	while (*n && is_ws((*s)[*n - 1]))
		(*n)--;
}

/* Called for every key=value of [Install], in order. */
typedef int (*install_fn)(void *ctx, const char *key, size_t klen, const char *val,
			  size_t vlen, size_t line, struct err *e);

/* One logical line: a section header or an assignment. */
static int logical_line(const char *s, size_t n, size_t line, int *in_install, install_fn fn,
			void *ctx, struct err *e)
{
	const char *eq, *v;
	size_t kl, vl;

	strip(&s, &n);
	if (!n)
		return 0;
	if (s[0] == '[') {
		if (s[n - 1] != ']')
			return err_set(e, 0, "line %zu: invalid section header", line);
		*in_install = n == 9 && !memcmp(s, "[Install]", 9);
		return 0;
	}
	eq = memchr(s, '=', n);
	if (!*in_install || !eq)
		return 0; /* systemd ignores a line without '=' too */
	kl = (size_t)(eq - s);
	v = eq + 1;
	vl = n - kl - 1;
	strip(&s, &kl);
	strip(&v, &vl);
	return fn(ctx, s, kl, v, vl, line, e);
}

/* 1 when s ends in a backslash that is not itself escaped. */
static int continues(const char *s, size_t n)
{
	int esc = 0;

	for (size_t i = 0; i < n; i++)
		esc = esc ? 0 : s[i] == '\\';
	return esc;
}

/* Walk unit[0..len) as systemd's config parser does: '#'/';' lines are
 * comments (also inside a continuation), a trailing '\' joins the next
 * line with a space. */
static int parse_install(const char *unit, size_t len, install_fn fn, void *ctx, struct err *e)
{
	struct buf l;
	size_t i = 0, line = 0, first = 0;
	int in_install = 0, r = 0;

	if (memchr(unit, '\0', len))
		return err_set(e, 0, "NUL byte in unit file");
	buf_init(&l);
	while (i < len && r == 0) {
		const char *nl = memchr(unit + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - unit) : len, n = end - i;
		const char *s = unit + i;

		i = end + 1;
		line++;
		if (n && s[n - 1] == '\r')
			n--;
		while (n && is_ws(*s))
			s++, n--;
		if (n && (*s == '#' || *s == ';'))
			continue;
		if (!l.len)
			first = line;
		buf_append(&l, s, n);
		if (l.len > UNIT_LINE_MAX || l.oom) {
			r = err_set(e, l.oom ? ENOMEM : 0, "line %zu: longer than %d bytes", first,
				    UNIT_LINE_MAX);
			break;
		}
		if (continues(l.data ? l.data : "", l.len)) {
			l.data[l.len - 1] = ' ';
			continue;
		}
		r = logical_line(l.data ? l.data : "", l.len, first, &in_install, fn, ctx, e);
		buf_reset(&l);
	}
	if (r == 0 && l.len)
		r = logical_line(l.data, l.len, first, &in_install, fn, ctx, e);
	buf_free(&l);
	return r;
}

static const char *const unit_types[] = {
	".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap", ".timer", ".path", ".slice", ".scope",
};

/* A plain unit name that can also be a file name: [A-Za-z0-9:_.@-] and
 * "\x" escapes, not starting with '.', a known type suffix. */
static int unit_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n && s[i + 1] == 'x')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == ':' || c == '_' || c == '.' || c == '@' || c == '-'))
			return 0;
	}
	for (i = 0; i < sizeof unit_types / sizeof unit_types[0]; i++) {
		size_t tl = strlen(unit_types[i]);
		if (n > tl && !memcmp(s + n - tl, unit_types[i], tl))
			return 1;
	}
	return 0;
}

/* The next word of v[*i..n) with quotes removed, into w (UNIT_NAME_MAX).
 * 1 word, 0 none left, -1 error. */
static int next_word(const char *v, size_t n, size_t *i, char *w, size_t *wl, size_t line,
		     const char *key, struct err *e)
{
	char q = 0;

	while (*i < n && is_ws(v[*i]))
		(*i)++;
	if (*i == n)
		return 0;
	*wl = 0;
	for (; *i < n && (q || !is_ws(v[*i])); (*i)++) {
		char c = v[*i];
		if (q ? c == q : (c == '"' || c == '\'')) {
			q = q ? 0 : c;
			continue;
		}
		if (*wl + 1 >= UNIT_NAME_MAX)
			return err_set(e, 0, "line %zu: %s: unit name too long", line, key);
		w[(*wl)++] = c;
	}
	w[*wl] = '\0';
	if (q)
		return err_set(e, 0, "line %zu: %s: unbalanced quotes", line, key);
	return 1;
}

struct install_list {
	const char *key; /* the key collected, e.g. "WantedBy" */
	const char *suffix;
};

static const struct install_list wants_keys[] = {
	{ "WantedBy", ".wants" },
	{ "RequiredBy", ".requires" },
	{ "UpheldBy", ".upholds" },
};
static const struct install_list alias_keys[] = {
	{ "Alias", "" },
};

struct collect {
	const struct install_list *keys;
	size_t nkeys;
	char (*out)[UNIT_NAME_MAX];
	size_t max, n;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !memcmp(s + a - b, suffix, b);
}

/* An empty assignment drops what this key collected so far. */
static void collect_reset(struct collect *c, const char *suffix)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++)
		if (!ends_with(c->out[i], suffix))
			memmove(c->out[k++], c->out[i], UNIT_NAME_MAX);
	c->n = k;
}

static int collect_add(struct collect *c, const char *w, size_t wl, const char *suffix,
		       size_t line, const char *key, struct err *e)
{
	char entry[UNIT_NAME_MAX];

	if (memchr(w, '%', wl))
		return err_set(e, 0, "line %zu: %s: '%s': specifiers are not supported", line, key, w);
	if (!unit_name_ok(w, wl))
		return err_set(e, 0, "line %zu: %s: invalid unit name '%s'", line, key, w);
	if (wl + strlen(suffix) >= UNIT_NAME_MAX)
		return err_set(e, 0, "line %zu: %s: unit name too long", line, key);
	snprintf(entry, sizeof entry, "%s%s", w, suffix);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->out[i], entry))
			return 0;
	if (c->n == c->max)
		return err_set(e, 0, "line %zu: %s: more than %zu entries", line, key, c->max);
	memcpy(c->out[c->n++], entry, sizeof entry);
	return 0;
}

static int collect_fn(void *ctx, const char *key, size_t klen, const char *val, size_t vlen,
		      size_t line, struct err *e)
{
	struct collect *c = ctx;
	const struct install_list *k = NULL;
	char w[UNIT_NAME_MAX];
	size_t i = 0, wl;
	int r;

	for (size_t j = 0; j < c->nkeys; j++)
		if (strlen(c->keys[j].key) == klen && !memcmp(c->keys[j].key, key, klen))
			k = &c->keys[j];
	if (!k)
		return 0;
	if (vlen == 0) {
		collect_reset(c, k->suffix);
		return 0;
	}
	while ((r = next_word(val, vlen, &i, w, &wl, line, k->key, e)) > 0)
		if (collect_add(c, w, wl, k->suffix, line, k->key, e) < 0)
			return -1;
	return r;
}

static int collect_install(const char *unit, size_t len, const struct install_list *keys,
			   size_t nkeys, char out[][UNIT_NAME_MAX], size_t max, size_t *n,
			   struct err *e)
{
	struct collect c = { keys, nkeys, out, max, 0 };

	*n = 0;
	if (parse_install(unit, len, collect_fn, &c, e) < 0)
		return -1;
	*n = c.n;
	return 0;
}

int unit_wanted_by(const char *unit, size_t len, char dirs[][UNIT_NAME_MAX], size_t max,
		   size_t *n, struct err *e)
{
	return collect_install(unit, len, wants_keys, sizeof wants_keys / sizeof wants_keys[0],
			       dirs, max, n, e);
}

int unit_aliases(const char *unit, size_t len, char names[][UNIT_NAME_MAX], size_t max,
		 size_t *n, struct err *e)
{
	return collect_install(unit, len, alias_keys, 1, names, max, n, e);
}

/* ---- tmpfiles.d ---- */

/* A tmpfiles field: quotes removed; backslash escapes refused (we would have
 * to interpret them exactly as systemd does to know the real path). */
struct tf_word {
	char s[TMPFILES_PATH_MAX];
	size_t n;
};

/* 1 word, 0 none left, or a refusal reason. */
static int tf_next(const char *l, size_t n, size_t *i, struct tf_word *w, const char **why)
{
	char q = 0;

	while (*i < n && is_ws(l[*i]))
		(*i)++;
	if (*i == n)
		return 0;
	w->n = 0;
	for (; *i < n && (q || !is_ws(l[*i])); (*i)++) {
		char c = l[*i];
		if (c == '\\') {
			*why = "escapes are not supported";
			return -1;
		}
		if (q ? c == q : (c == '"' || c == '\'')) {
			q = q ? 0 : c;
			continue;
		}
		if (w->n + 1 >= sizeof w->s) {
			*why = "field too long";
			return -1;
		}
		w->s[w->n++] = c;
	}
	w->s[w->n] = '\0';
	if (q) {
		*why = "unbalanced quotes";
		return -1;
	}
	return 1;
}

/* "%%" -> "%"; any other specifier could expand to anything: refused. */
static int fold_percent(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			if (p[1] != '%')
				return -1;
			p++;
		}
		*o++ = *p;
	}
	*o = '\0';
	return 0;
}

/* Next path component of p at *i ("" and "." skipped); its length, 0 at end. */
static size_t next_comp(const char *p, size_t *i, const char **c)
{
	for (;;) {
		size_t s, e;
		while (p[*i] == '/')
			(*i)++;
		s = *i;
		while (p[*i] && p[*i] != '/')
			(*i)++;
		e = *i;
		if (e == s)
			return 0;
		if (e - s == 1 && p[s] == '.')
			continue;
		*c = p + s;
		return e - s;
	}
}

/* No ".." component and no glob braces ("{a,..}" expands to ".."). */
static int comps_clean(const char *p)
{
	const char *c;
	size_t i = 0, l;

	if (strpbrk(p, "{}"))
		return 0;
	while ((l = next_comp(p, &i, &c)))
		if (l == 2 && c[0] == '.' && c[1] == '.')
			return 0;
	return 1;
}

/* p is at or below prefix, compared component by component ("" and "."
 * skipped, so "/a//b/./c" is below "/a/b"). */
static int comps_at_or_below(const char *p, const char *prefix)
{
	const char *a, *b;
	size_t i = 0, j = 0, la, lb;

	while ((lb = next_comp(prefix, &j, &b))) {
		la = next_comp(p, &i, &a);
		if (la != lb || memcmp(a, b, la))
			return 0;
	}
	return 1;
}

/* A place that can allow anything: absolute, no glob characters, no "..". */
static int place_ok(const char *pre)
{
	return pre && pre[0] == '/' && !strpbrk(pre, "*?[]{}\\") && comps_clean(pre);
}

/* p (absolute, clean) at or below one of pre[0..n); with strict, below only. */
static int in_places(const char *p, const char *const *pre, size_t n, int strict)
{
	if (p[0] != '/' || !comps_clean(p))
		return 0;
	for (size_t k = 0; k < n; k++)
		if (place_ok(pre[k]) && comps_at_or_below(p, pre[k]) &&
		    !(strict && comps_at_or_below(pre[k], p)))
			return 1;
	return 0;
}

static int dir_type(char t)
{
	return t && strchr("dDvqQzZ", t);
}

static int file_type(char t)
{
	return t && strchr("fFwLC", t);
}

/* Type letter plus modifiers, as tmpfiles.d(5) lists them; only the
 * types that create or adjust the container's own directories and files. */
static const char *check_type(const struct tf_word *t)
{
	if (!t->n || !strchr("fFwdDevqQpLcbCxXrRzZtThHaAm", t->s[0]))
		return "unknown line type";
	if (t->s[0] == 'c' || t->s[0] == 'b')
		return "device nodes are not allowed";
	for (size_t i = 1; i < t->n; i++)
		if (!strchr("!+-=~^$", t->s[i]))
			return "unknown line type";
	if (!dir_type(t->s[0]) && !file_type(t->s[0]))
		return "only the types d D v q Q z Z, and f F w L C for files, are allowed";
	return NULL;
}

/* Where a line of type t may act. */
static const char *tmpfiles_place_refusal(char t, const char *p,
					  const struct tmpfiles_places *pl)
{
	if (file_type(t) ? in_places(p, pl->dirs, pl->ndirs, 1)
	    : in_places(p, pl->dirs, pl->ndirs, 0) || in_places(p, pl->binds, pl->nbinds, 0))
		return NULL;
	if (in_places(p, pl->taken, pl->ntaken, 0))
		return "it exists and is not this container's";
	if (file_type(t) && (in_places(p, pl->dirs, pl->ndirs, 0) ||
			     in_places(p, pl->binds, pl->nbinds, 0)))
		return "files only below the container's own directories";
	return "path outside the container's own directories";
}

/* setuid/setgid only on directories: a setuid file written into a
 * directory host users can reach would hand them root. */
static const char *check_mode(char type, const struct tf_word *m)
{
	const char *s = m->s;
	unsigned v = 0;

	while (*s == '~' || *s == ':')
		s++;
	if (!*s || !strcmp(s, "-"))
		return NULL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '7' || p - s >= 4)
			return "invalid mode";
		v = v * 8 + (unsigned)(*p - '0');
	}
	if ((v & 06000) && !strchr("dDvqQe", type))
		return "setuid/setgid modes are only allowed on directories";
	return NULL;
}

/* L: the link may not point outside (a later w line follows symlinks);
 * C: the copy source may not be outside. */
static const char *check_argument(char type, const char *arg, size_t n,
				  const struct tmpfiles_places *pl)
{
	char a[TMPFILES_PATH_MAX];

	if ((type != 'L' && type != 'C') || n == 0 || (n == 1 && arg[0] == '-'))
		return NULL;
	if (n >= sizeof a || memchr(arg, '\\', n) || memchr(arg, '"', n) || memchr(arg, '\'', n))
		return type == 'L' ? "symlink target not supported" : "copy source not supported";
	memcpy(a, arg, n);
	a[n] = '\0';
	if (fold_percent(a) < 0)
		return "specifiers are not supported";
	if (type == 'L' && a[0] != '/')
		return comps_clean(a) ? NULL : "symlink target leaves the container's own directories";
	if (!in_places(a, pl->dirs, pl->ndirs, 0) && !in_places(a, pl->binds, pl->nbinds, 0))
		return type == 'L' ? "symlink target outside the container's own directories"
				   : "copy source outside the container's own directories";
	return NULL;
}

static int refuse(const char *line, size_t n, const char *why, struct err *e)
{
	char shown[304];

	text_escape(shown, sizeof shown, line, n, TEXT_QUOTE);
	return err_setc(e, ERR_REFUSED, 0, "tmpfiles line refused: '%s' (%s)", shown, why);
}

/* The six fields, then the argument (the rest). */
struct tf_line {
	struct tf_word f[6];
	size_t nf;
	const char *arg;
	size_t narg;
};

static const char *split_line(const char *l, size_t n, struct tf_line *t)
{
	const char *why = NULL;
	size_t i = 0;
	int r;

	t->nf = 0;
	while (t->nf < 6 && (r = tf_next(l, n, &i, &t->f[t->nf], &why)) > 0)
		t->nf++;
	if (why)
		return why;
	while (i < n && is_ws(l[i]))
		i++;
	t->arg = l + i;
	t->narg = n - i;
	return t->nf < 2 ? "no path" : NULL;
}

int tmpfiles_check_line(const char *line, size_t len, const struct tmpfiles_places *pl,
			struct err *e)
{
	struct tf_line *t; /* 24 KiB of fields: on the heap, not the stack */
	const char *why;
	int r;

	strip(&line, &len);
	if (!len || line[0] == '#')
		return 0;
	if (memchr(line, '\0', len))
		return refuse(line, len, "NUL byte", e);
	t = malloc(sizeof *t);
	if (!t)
		return err_set(e, ENOMEM, "checking a tmpfiles line");
	why = split_line(line, len, t);
	if (!why)
		why = check_type(&t->f[0]);
	if (!why && fold_percent(t->f[1].s) < 0)
		why = "specifiers in the path are not supported";
	if (!why)
		why = tmpfiles_place_refusal(t->f[0].s[0], t->f[1].s, pl);
	if (!why && t->nf > 2)
		why = check_mode(t->f[0].s[0], &t->f[2]);
	if (!why)
		why = check_argument(t->f[0].s[0], t->arg, t->narg, pl);
	r = why ? refuse(line, len, why, e) : 0;
	free(t);
	return r;
}

int tmpfiles_check(const char *buf, size_t len, const struct tmpfiles_places *pl, struct err *e)
{
	size_t i = 0, line = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		line++;
		if (tmpfiles_check_line(buf + i, end - i, pl, e) < 0)
			return err_wrap(e, "line %zu", line);
		i = end + 1;
	}
	return 0;
}

int tmpfiles_names(const char *buf, size_t len, const char *path)
{
	struct tf_line *t = malloc(sizeof *t);
	size_t i = 0;
	int r = 0;

	if (!t)
		return 0;
	while (i < len && !r) {
		const char *nl = memchr(buf + i, '\n', len - i), *l = buf + i;
		size_t n = (nl ? (size_t)(nl - buf) : len) - i;

		i += n + 1;
		strip(&l, &n);
		if (!n || l[0] == '#' || split_line(l, n, t) || fold_percent(t->f[1].s) < 0)
			continue;
		/* the same path by whole components, as tmpfiles reads it */
		r = comps_at_or_below(t->f[1].s, path) && comps_at_or_below(path, t->f[1].s);
	}
	free(t);
	return r;
}

static int plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("/._+:@,=-~", c) || c >= 0x80;
}

int tmpfiles_default_line(struct buf *out, const char *src, uint32_t uid, uint32_t gid)
{
	int quote = 0;

	if (src[0] != '/')
		return -1;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		/* systemd 252 reads "\x0a" as "x0a", later ones as a newline */
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p != '%' && !plain_char(*p))
			quote = 1;
	}
	buf_puts(out, quote ? "d \"" : "d ");
	for (const char *p = src; *p; p++) {
		if (*p == '%')
			buf_puts(out, "%%");
		else if (*p == '"' || *p == '\\')
			buf_appendf(out, "\\%c", *p);
		else
			buf_putc(out, *p);
	}
	buf_appendf(out, "%s 0700 %u %u - -\n", quote ? "\"" : "", uid, gid);
	return out->oom ? -1 : 0;
}
