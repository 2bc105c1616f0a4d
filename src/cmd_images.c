/* images list|info|tag|delete|prune: what is stored, what it costs, and
 * reclaiming space without taking what an installed container needs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "image.h"
#include "json.h"
#include "plan.h"
#include "pull.h"
#include "source.h"
#include "store.h"
#include "template.h"
#include "text.h"
#include "util.h"

/* Open the existing repo (a verb that only reads never creates one). */
static int open_repo(struct cli *c, struct store **s, int *missing, struct err *e)
{
	*missing = 0;
	if (pull_open_existing_store(c, s, e) < 0) {
		if (e->code == ERR_NOT_FOUND)
			*missing = 1;
		return -1;
	}
	return 0;
}

static int parse_flags(int argc, char **argv, const char *allowed, int *flags, int *first,
		       struct err *e)
{
	static const char *const names[] = { "-a", "-q", "--no-trunc", "--json", "-f", "--force" };
	*first = 0;
	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e), k;
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (argv[i][0] != '-') {
			if (!*first)
				*first = i;
			continue;
		}
		for (k = 0; k < 6; k++)
			if (!strcmp(argv[i], names[k]) && strchr(allowed, "aqnjff"[k]))
				break;
		if (k == 6)
			return err_usage(e, "unknown option '%s'", argv[i]);
		*flags |= 1 << ("aqnjff"[k] - 'a');
	}
	return 0;
}
#define F(ch) (1 << ((ch) - 'a'))

/* ---- list ---------------------------------------------------------------- */

struct row {
	char repo[IMGREF_ENCODED_MAX], tag[IMGREF_TAG_MAX + 80];
	char id[72], created[64], type[8];
	uint64_t size;
	struct image_info im;
	int is_layer;
};

struct rows {
	struct store *s;
	struct row *v;
	size_t n, cap;
	int all;
};

/* "docker.io/library/busybox:latest" -> "busybox" and "latest", as docker
 * shows them; a digest-only name has no tag (""). */
static void split_name(const char *name, char *repo, size_t rsz, char *tag, size_t tsz)
{
	const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':'), *at = strchr(name, '@');
	size_t n;

	if (at)
		colon = NULL;
	else if (colon && slash && colon < slash)
		colon = NULL;
	n = at ? (size_t)(at - name) : colon ? (size_t)(colon - name) : strlen(name);
	if (!strncmp(name, "docker.io/library/", 18) && n > 18)
		name += 18, n -= 18;
	else if (!strncmp(name, "docker.io/", 10) && n > 10)
		name += 10, n -= 10;
	snprintf(repo, rsz, "%.*s", (int)n, name);
	snprintf(tag, tsz, "%s", colon ? colon + 1 : "");
}

static struct row *add_row(struct rows *r, struct err *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct row *nv = realloc(r->v, cap * sizeof *nv);
		if (!nv) {
			err_set(e, ENOMEM, "list");
			return NULL;
		}
		r->v = nv;
		r->cap = cap;
	}
	memset(&r->v[r->n], 0, sizeof r->v[0]);
	return &r->v[r->n++];
}

static int collect(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct rows *r = ctx;
	struct row *w;

	if (!image_ref_is_image(ref)) {
		char *diff = NULL, *size = NULL;
		if (!r->all)
			return 0;
		if (store_commit_meta(r->s, commit, "docker.uncompressed_digest", &diff, e) < 0 ||
		    store_commit_meta(r->s, commit, "docker.uncompressed_size", &size, e) < 0)
			return -1;
		/* Each layer once, by its primary (diff ID) ref; aliases are silent. */
		if (diff && !strcmp(diff + 7, ref + 9) && (w = add_row(r, e))) {
			snprintf(w->repo, sizeof w->repo, "%s", ref);
			snprintf(w->tag, sizeof w->tag, "<layer>");
			snprintf(w->id, sizeof w->id, "%s", diff);
			snprintf(w->type, sizeof w->type, "layer");
			w->size = size ? strtoull(size, NULL, 10) : 0;
			w->is_layer = 1;
		}
		free(diff);
		free(size);
		return 0;
	}
	if (!(w = add_row(r, e)))
		return -1;
	if (image_load(r->s, ref, commit, &w->im, e) < 0) {
		r->n--;
		return -1;
	}
	split_name(w->im.name, w->repo, sizeof w->repo, w->tag, sizeof w->tag);
	snprintf(w->id, sizeof w->id, "%s", w->im.id);
	snprintf(w->created, sizeof w->created, "%s", w->im.created);
	snprintf(w->type, sizeof w->type, "system");
	w->size = w->im.size;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = x->is_layer - y->is_layer;
	if (c)
		return c;
	c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->tag, y->tag);
}

/* "2016-09-08T16:39:12.5Z" -> "2016-09-08 16:39" */
static void short_time(const char *rfc, char *out, size_t outsz)
{
	if (strlen(rfc) >= 16 && rfc[10] == 'T')
		snprintf(out, outsz, "%.10s %.5s", rfc, rfc + 11);
	else
		snprintf(out, outsz, "%s", rfc);
}

static void print_json(const struct rows *r)
{
	struct buf b;
	struct jw w;

	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_arr(&w);
	for (size_t i = 0; i < r->n; i++) {
		const struct row *x = &r->v[i];
		jw_begin_obj(&w);
		if (x->is_layer) {
			jw_key(&w, "ref");
			jw_str(&w, x->repo);
		} else {
			jw_key(&w, "name");
			jw_str(&w, x->im.name);
			jw_key(&w, "repository");
			jw_str(&w, x->repo);
			jw_key(&w, "tag");
			jw_str(&w, x->tag);
			jw_key(&w, "pinned_digest");
			jw_str(&w, x->im.pinned);
		}
		jw_key(&w, "id");
		jw_str(&w, x->id);
		if (!x->is_layer) {
			jw_key(&w, "manifest_digest");
			jw_str(&w, x->im.manifest_digest);
			jw_key(&w, "created");
			jw_str(&w, x->created);
			jw_key(&w, "layers");
			jw_begin_arr(&w);
			for (size_t k = 0; k < x->im.nlayers; k++)
				jw_str(&w, x->im.diff_ids[k]);
			jw_end_arr(&w);
		}
		jw_key(&w, "size");
		jw_uint(&w, x->size);
		jw_key(&w, "type");
		jw_str(&w, x->type);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_finish(&w);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void print_table(const struct rows *r, int quiet, int notrunc, int noheading)
{
	if (!quiet && !noheading)
		printf("%-30s %-12s %-14s %-17s %-14s %s\n", "REPOSITORY", "TAG", "IMAGE ID",
		       "CREATED", "VIRTUAL SIZE", "TYPE");
	for (size_t i = 0; i < r->n; i++) {
		const struct row *x = &r->v[i];
		char created[32], size[32], id[72], tag[sizeof x->tag + 80];
		snprintf(id, sizeof id, "%.*s", notrunc ? 71 : 12, notrunc ? x->id : x->id + 7);
		if (quiet) {
			printf("%s\n", id);
			continue;
		}
		/* In full, a name pulled by digest shows it: "1.0@sha256:...". */
		snprintf(tag, sizeof tag, "%s%s%s", x->tag[0] || x->is_layer ? x->tag : "<none>",
			 notrunc && x->im.pinned[0] ? "@" : "", notrunc ? x->im.pinned : "");
		short_time(x->created, created, sizeof created);
		util_human_size(x->size, size, sizeof size);
		text_printf(stdout, "%-30s %-12s %-14s %-17s %-14s %s\n", x->repo, tag, id, created,
			    size, x->type);
	}
}

/* -f KEY=VALUE of images list: repository or tag containing VALUE, IMAGE
 * ID starting with it, TYPE equal to it. */
struct ifilter {
	char key;
	const char *value;
};

static int keep_row(const struct row *x, const struct ifilter *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		const char *v = f[i].value;
		if ((f[i].key == 'r' && !strstr(x->repo, v)) || (f[i].key == 't' && !strstr(x->tag, v)) ||
		    (f[i].key == 'y' && strcmp(x->type, v)) ||
		    (f[i].key == 'i' && strncmp(x->id + 7, !strncmp(v, "sha256:", 7) ? v + 7 : v,
						 strlen(!strncmp(v, "sha256:", 7) ? v + 7 : v))))
			return 0;
	}
	return 1;
}

static int images_list(struct cli *c, int argc, char **argv, struct err *e)
{
	struct rows r = { 0 };
	struct ifilter f[8];
	size_t nf = 0, kept = 0;
	int quiet = 0, notrunc = 0, json = 0, noheading = 0, missing, ret = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
		} else if (a[0] == '-' && a[1] && a[1] != '-' && strspn(a + 1, "aqn") == strlen(a + 1)) {
			r.all |= strchr(a, 'a') != NULL;   /* -a, -q, -n, -aq... as Atomic */
			quiet |= strchr(a, 'q') != NULL;
			noheading |= strchr(a, 'n') != NULL;
		} else if (!strcmp(a, "--all")) {
			r.all = 1;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--noheading")) {
			noheading = 1;
		} else if (!strcmp(a, "--no-trunc")) {
			notrunc = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--filter") || !strncmp(a, "--filter=", 9)) {
			static const struct { const char *name; char key; } keys[] = {
				{ "repo", 'r' }, { "tag", 't' }, { "id", 'i' }, { "type", 'y' } };
			const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
			const char *eq = v ? strchr(v, '=') : NULL;
			size_t k;
			for (k = 0; eq && k < 4; k++)
				if (strlen(keys[k].name) == (size_t)(eq - v) &&
				    !strncmp(keys[k].name, v, (size_t)(eq - v)))
					break;
			if (!eq || k == 4)
				return err_usage(e, "%s needs KEY=VALUE with KEY repo, tag, id or type", a);
			if (nf == sizeof f / sizeof f[0])
				return err_usage(e, "more than 8 filters");
			f[nf].key = keys[k].key;
			f[nf++].value = eq + 1;
		} else {
			return err_usage(e, a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
					 a);
		}
	}
	if (open_repo(c, &r.s, &missing, e) < 0) {
		if (!missing)
			return -1;
		r.s = NULL;     /* nothing pulled yet: an empty list */
	}
	if (r.s && store_list_refs(r.s, "ociimage/", collect, &r, e) < 0)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		if (keep_row(&r.v[i], f, nf))
			r.v[kept++] = r.v[i];
		else
			image_info_free(&r.v[i].im);
	}
	r.n = kept;
	if (r.n)
		qsort(r.v, r.n, sizeof *r.v, cmp_row);
	if (json)
		print_json(&r);
	else
		print_table(&r, quiet, notrunc, noheading);
	ret = 0;
out:
	for (size_t i = 0; i < r.n; i++)
		image_info_free(&r.v[i].im);
	free(r.v);
	store_free(r.s);
	return ret;
}

/* ---- info ---------------------------------------------------------------- */

static const char *const builtins[] = {
	"DESTDIR", "NAME", "EXEC_START", "EXEC_STOP", "EXEC_STARTPRE", "EXEC_STOPPOST",
	"HOST_UID", "HOST_GID", "IMAGE_NAME", "IMAGE_ID", "RUN_DIRECTORY", "STATE_DIRECTORY",
	"CONF_DIRECTORY", "PIDFILE", "RUNTIME", "ALL_PROCESS_CAPABILITIES", "UUID",
};

struct vars {
	char names[256][TEMPLATE_MAX_NAME + 1];
	size_t n;
};

static int add_var(void *ctx, const char *name, size_t len, struct err *e)
{
	struct vars *v = ctx;
	(void)e;
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->names[i]) == len && !memcmp(v->names[i], name, len))
			return 0;
	if (v->n < 256)
		snprintf(v->names[v->n++], sizeof v->names[0], "%.*s", (int)len, name);
	return 0;
}

static int is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(builtins[i], name))
			return 1;
	return 0;
}

/* The variables the image's templates use, read from its layer commits. */
static int template_vars(struct store *s, const struct image_info *im, struct vars *v,
			 struct json **defaults, struct err *e)
{
	static const char *const files[] = { "exports/config.json.template",
					     "exports/service.template", "exports/tmpfiles.template" };
	char *buf = NULL;
	size_t len;
	int found;

	for (size_t i = 0; i < 3; i++) {
		if (image_read_file(s, im, files[i], 1 << 20, &found, &buf, &len, e) < 0)
			return -1;
		if (!found)
			continue;
		int r = template_scan(buf, len, add_var, v, e);
		free(buf);
		if (r < 0)
			return err_wrap(e, "/%s", files[i]);
	}
	*defaults = NULL;
	if (image_read_file(s, im, "exports/manifest.json", 1 << 20, &found, &buf, &len, e) < 0)
		return -1;
	if (found) {
		int r = json_parse(defaults, buf, len, e);
		free(buf);
		if (r < 0)
			return err_wrap(e, "/exports/manifest.json");
	}
	return 0;
}

/* What the image would place on the host, installed with its defaults
 * under its default name (plan.c, in preview: no runtime needed, variables
 * without a value shown as <NAME>). */
struct preview {
	struct plan p;
	int ok;
	struct err why;
};

static void preview(struct cli *c, struct store *s, const struct image_info *im,
		    struct preview *pv)
{
	struct imgref r;
	char name[65] = "";
	struct err e;

	if (imgref_parse_name(&r, im->name, strlen(im->name), &e) == 0)
		imgref_default_name(&r, name, sizeof name);
	struct plan_in in = { .c = c, .s = s, .im = im, .name = name, .preview = 1 };
	pv->ok = plan_make(&pv->p, &in, &pv->why) == 0;
}

static void info_json(const struct image_info *im, const struct json *cfg, const struct vars *v,
		      const struct json *m, int dv, const struct preview *pv)
{
	struct buf b;
	struct jw w;
	int labels = json_getpath(cfg, json_root(cfg), "config.Labels");

	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "name"); jw_str(&w, im->name);
	jw_key(&w, "pinned_digest"); jw_str(&w, im->pinned);
	jw_key(&w, "id"); jw_str(&w, im->id);
	jw_key(&w, "manifest_digest"); jw_str(&w, im->manifest_digest);
	jw_key(&w, "created"); jw_str(&w, im->created);
	jw_key(&w, "os"); jw_str(&w, im->os);
	jw_key(&w, "architecture"); jw_str(&w, im->arch);
	jw_key(&w, "size"); jw_uint(&w, im->size);
	jw_key(&w, "labels");
	if (json_kind(cfg, labels) == JSON_OBJECT) {
		size_t n;
		const char *raw = json_raw(cfg, labels, &n);
		jw_raw(&w, raw, n);
	} else {
		jw_begin_obj(&w);
		jw_end_obj(&w);
	}
	jw_key(&w, "layers");
	jw_begin_arr(&w);
	for (size_t i = 0; i < im->nlayers; i++)
		jw_str(&w, im->diff_ids[i]);
	jw_end_arr(&w);
	jw_key(&w, "defaults");
	jw_begin_obj(&w);
	for (size_t i = 0; i < v->n; i++) {
		int d = m ? json_get(m, dv, v->names[i]) : -1;
		if (d >= 0 && json_kind(m, d) == JSON_STRING) {
			char *val = json_str(m, d);
			jw_key(&w, v->names[i]);
			jw_str(&w, val ? val : "");
			free(val);
		} else if (is_builtin(v->names[i])) {
			jw_key(&w, v->names[i]);
			jw_str(&w, "(built-in)");
		}
	}
	jw_end_obj(&w);
	jw_key(&w, "required");
	jw_begin_arr(&w);
	for (size_t i = 0; i < v->n; i++) {
		int d = m ? json_get(m, dv, v->names[i]) : -1;
		if (d < 0 && !is_builtin(v->names[i]))
			jw_str(&w, v->names[i]);
	}
	jw_end_arr(&w);
	jw_key(&w, "install");
	if (pv->ok) {
		plan_json(&pv->p, &w);
	} else {
		jw_begin_obj(&w);
		jw_key(&w, "refused"); jw_str(&w, pv->why.msg);
		jw_end_obj(&w);
	}
	jw_end_obj(&w);
	jw_finish(&w);
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void info_text(const struct image_info *im, const struct json *cfg, const struct vars *v,
		      const struct json *m, int dv, const struct preview *pv)
{
	int labels = json_getpath(cfg, json_root(cfg), "config.Labels"), any = 0;
	/* A name pulled by digest is shown with it: NAME:TAG@sha256:... */
	int pin = im->pinned[0] && !strchr(im->name, '@');
	char size[32];

	util_human_size(im->size, size, sizeof size);
	text_printf(stdout, "Image:      %s%s%s\n", im->name, pin ? "@" : "", pin ? im->pinned : "");
	text_printf(stdout, "IMAGE ID:   %s\n", im->id);
	text_printf(stdout, "Manifest:   %s\n", im->manifest_digest);
	text_printf(stdout, "Created:    %s\n", im->created);
	text_printf(stdout, "Platform:   %s/%s\n", im->os, im->arch);
	text_printf(stdout, "Size:       %s\n", size);
	text_printf(stdout, "Labels:\n");
	for (size_t i = 0; i < json_count(cfg, labels); i++) {
		int key, val = json_member(cfg, labels, i, &key);
		char *k = json_str(cfg, key), *x = json_str(cfg, val);
		text_printf(stdout, "  %s=%s\n", k ? k : "", x ? x : "");
		free(k);
		free(x);
	}
	text_printf(stdout, "Layers:\n");
	for (size_t i = 0; i < im->nlayers; i++)
		text_printf(stdout, "  %s\n", im->diff_ids[i]);
	text_printf(stdout, "Template variables with a default:\n");
	for (size_t i = 0; i < v->n; i++) {
		int d = m ? json_get(m, dv, v->names[i]) : -1;
		char *val = d >= 0 ? json_str(m, d) : NULL;
		if (val)
			text_printf(stdout, "  %s=%s\n", v->names[i], val);
		else if (is_builtin(v->names[i]))
			text_printf(stdout, "  %s (built-in)\n", v->names[i]);
		free(val);
	}
	text_printf(stdout, "Template variables to give with --set:\n");
	for (size_t i = 0; i < v->n; i++) {
		int d = m ? json_get(m, dv, v->names[i]) : -1;
		if (d < 0 && !is_builtin(v->names[i])) {
			text_printf(stdout, "  %s\n", v->names[i]);
			any = 1;
		}
	}
	if (!any)
		text_printf(stdout, "  (none)\n");
	if (!pv->ok) {
		text_printf(stdout, "Installing it is refused: %s\n", pv->why.msg);
		return;
	}
	text_printf(stdout, "Installed as %s with these defaults, it places on the host:\n",
		    pv->p.name);
	plan_print(&pv->p, "  ");
}

static int images_info(struct cli *c, int argc, char **argv, struct err *e)
{
	struct store *s = NULL;
	struct image_info im = { 0 };
	struct json *cfg = NULL, *m = NULL;
	struct vars *v = calloc(1, sizeof *v);
	struct preview pv = { 0 };
	int flags = 0, first, missing, r = -1;

	if (!v)
		return err_set(e, ENOMEM, "info");
	if (parse_flags(argc, argv, "j", &flags, &first, e) < 0)
		goto out;
	if (!first || first != argc - 1) {
		err_usage(e, "give one image");
		goto out;
	}
	if (open_repo(c, &s, &missing, e) < 0 || image_resolve(s, argv[first], &im, e) < 0 ||
	    json_parse(&cfg, im.config, strlen(im.config), e) < 0 ||
	    template_vars(s, &im, v, &m, e) < 0) {
		err_wrap(e, "%s", argv[first]);
		goto out;
	}
	int dv = m ? json_get(m, json_root(m), "defaultValues") : -1;
	preview(c, s, &im, &pv);
	if (flags & F('j'))
		info_json(&im, cfg, v, m, dv, &pv);
	else
		info_text(&im, cfg, v, m, dv, &pv);
	r = 0;
out:
	plan_free(&pv.p);
	json_free(cfg);
	json_free(m);
	free(v);
	image_info_free(&im);
	store_free(s);
	return r;
}

/* ---- tag, delete --------------------------------------------------------- */

static int name_ref(const char *what, char *ref, size_t refsz, struct err *e)
{
	struct imgref r;
	char name[IMGREF_FORMAT_MAX];

	if (imgref_parse_name(&r, what, strlen(what), e) < 0)
		return -1;
	imgref_format(&r, name, sizeof name);
	if (imgref_ostree_ref(name, ref, refsz) < 0)
		return err_usage(e, "'%s': name too long", what);
	return 0;
}

static int images_tag(struct cli *c, int argc, char **argv, struct err *e)
{
	struct store *s = NULL;
	struct image_info im = { 0 };
	char ref[IMGREF_REF_MAX];
	int flags = 0, first, missing, r = -1;

	if (parse_flags(argc, argv, "", &flags, &first, e) < 0)
		return -1;
	if (!first || first != argc - 2)
		return err_usage(e, "give SOURCE and TARGET");
	if (name_ref(argv[first + 1], ref, sizeof ref, e) < 0)
		return -1;
	if (open_repo(c, &s, &missing, e) < 0 ||
	    store_lock(s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0 ||
	    image_resolve(s, argv[first], &im, e) < 0 || store_set_ref(s, ref, im.commit, e) < 0)
		err_wrap(e, "%s", argv[first]);
	else
		r = 0;
	image_info_free(&im);
	store_free(s);
	return r;
}

struct tags {
	struct store *s;
	const char *id;
};

static int drop_if_id(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct tags *t = ctx;
	struct image_info im;
	int same;

	if (!image_ref_is_image(ref))
		return 0;
	if (image_load(t->s, ref, commit, &im, e) < 0)
		return -1;
	same = !strcmp(im.id, t->id);
	image_info_free(&im);
	return same ? store_set_ref(t->s, ref, NULL, e) : 0;
}

/* An IMAGE ID names the image under all its tags. */
static int delete_all_tags(struct store *s, const char *id, struct err *e)
{
	struct tags t = { s, id };
	return store_list_refs(s, "ociimage/", drop_if_id, &t, e);
}

static int delete_one(struct store *s, const char *what, int force, struct err *e)
{
	struct image_info im = { 0 };
	char users[512];
	int r = -1;

	if (image_resolve(s, what, &im, e) < 0 || image_users(s, im.id, users, sizeof users, e) < 0)
		goto out;
	if (users[0] && !force) {
		err_set(e, 0, "used by installed container %s (uninstall it, or use -f)", users);
		goto out;
	}
	r = im.by_id ? delete_all_tags(s, im.id, e) : store_set_ref(s, im.ref, NULL, e);
out:
	image_info_free(&im);
	return r < 0 ? err_wrap(e, "%s", what) : 0;
}

static int images_delete(struct cli *c, int argc, char **argv, struct err *e)
{
	struct store *s = NULL;
	int flags = 0, first, missing, r = 0;

	if (parse_flags(argc, argv, "f", &flags, &first, e) < 0)
		return -1;
	if (!first)
		return err_usage(e, "which image?");
	if (open_repo(c, &s, &missing, e) < 0)
		return -1;
	if (store_lock(s, STORE_LOCK_EXCLUSIVE, pull_lock_timeout(), pull_on_wait, NULL, e) < 0) {
		store_free(s);
		return -1;
	}
	for (int i = first; i < argc && r == 0; i++)
		if (argv[i][0] != '-')
			r = delete_one(s, argv[i], flags & F('f'), e);
	store_free(s);
	return r;
}

/* ---- prune --------------------------------------------------------------- */

struct keep {
	struct store *s;
	char (*ids)[72];
	size_t n, cap;
	size_t refs_deleted;
};

static int keep_add(struct keep *k, const char *id, struct err *e)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->ids[i], id))
			return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		char (*nv)[72] = realloc(k->ids, cap * sizeof *nv);
		if (!nv)
			return err_set(e, ENOMEM, "prune");
		k->ids = nv;
		k->cap = cap;
	}
	snprintf(k->ids[k->n++], 72, "%s", id);
	return 0;
}

/* Every diff ID an image ref or a container's pin needs. */
static int keep_needed(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct keep *k = ctx;
	struct image_info im;
	int r = 0;

	if (!strncmp(ref, "ociimage/", 9) && !image_ref_is_image(ref))
		return 0;
	if (image_load(k->s, ref, commit, &im, e) < 0)
		return -1;
	for (size_t i = 0; i < im.nlayers && r == 0; i++)
		r = keep_add(k, im.diff_ids[i], e);
	image_info_free(&im);
	return r;
}

static int drop_unneeded(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct keep *k = ctx;
	char *diff = NULL;

	if (image_ref_is_image(ref))
		return 0;
	if (store_commit_meta(k->s, commit, "docker.uncompressed_digest", &diff, e) < 0)
		return -1;
	if (diff) {
		for (size_t i = 0; i < k->n; i++)
			if (!strcmp(k->ids[i], diff)) {
				free(diff);
				return 0;
			}
		/* Only the primary ref is named; its alias goes silently. */
		if (!strcmp(diff + 7, ref + 9))
			printf("Deleting %s\n", ref);
	}
	free(diff);
	k->refs_deleted++;
	return store_set_ref(k->s, ref, NULL, e);
}

static int images_prune(struct cli *c, int argc, char **argv, struct err *e)
{
	struct keep k = { 0 };
	int flags = 0, first, missing, total, pruned, r = -1;
	uint64_t freed;
	char human[32];

	if (parse_flags(argc, argv, "", &flags, &first, e) < 0)
		return -1;
	if (first)
		return err_usage(e, "unexpected argument '%s'", argv[first]);
	if (open_repo(c, &k.s, &missing, e) < 0)
		return missing ? 0 : -1;
	/* Exclusive across deciding, dropping refs and pruning objects: a
	 * concurrent pull (shared) either finished or has not begun. */
	if (store_lock(k.s, STORE_LOCK_EXCLUSIVE, pull_lock_timeout(), pull_on_wait, NULL, e) < 0 ||
	    store_list_refs(k.s, "ociimage/", keep_needed, &k, e) < 0 ||
	    store_list_refs(k.s, PIN_PREFIX, keep_needed, &k, e) < 0 ||
	    store_list_refs(k.s, "ociimage/", drop_unneeded, &k, e) < 0 ||
	    store_prune(k.s, &total, &pruned, &freed, e) < 0)
		goto out;
	/* opening the store removed what failed or killed pulls left staged */
	if (store_staging_freed(k.s)) {
		util_human_size(store_staging_freed(k.s), human, sizeof human);
		printf("Removed %s of staging data that interrupted pulls left\n", human);
	}
	util_human_size(freed, human, sizeof human);
	printf("Removed %zu ref%s and %d of %d objects, %s freed\n", k.refs_deleted,
	       k.refs_deleted == 1 ? "" : "s", pruned, total, human);
	r = 0;
out:
	free(k.ids);
	store_free(k.s);
	return r;
}

int cmd_images_list(struct cli *c, int argc, char **argv, struct err *e)
{
	return images_list(c, argc, argv, e);
}
int cmd_images_info(struct cli *c, int argc, char **argv, struct err *e)
{
	return images_info(c, argc, argv, e);
}
int cmd_images_tag(struct cli *c, int argc, char **argv, struct err *e)
{
	return images_tag(c, argc, argv, e);
}
int cmd_images_delete(struct cli *c, int argc, char **argv, struct err *e)
{
	return images_delete(c, argc, argv, e);
}
int cmd_images_prune(struct cli *c, int argc, char **argv, struct err *e)
{
	return images_prune(c, argc, argv, e);
}

/* ---- verify, update, version ---------------------------------------------- */

/* The images to act on: those named, else every stored one. */
static int each_image(struct cli *c, struct store **s, int argc, char **argv, int first,
		      struct rows *r, struct err *e)
{
	int missing;

	if (open_repo(c, s, &missing, e) < 0)
		return -1;
	r->s = *s;
	if (first) {
		for (int i = first; i < argc; i++) {
			struct row *w = add_row(r, e);
			if (!w || image_resolve(*s, argv[i], &w->im, e) < 0) {
				if (w)
					r->n--;
				return err_wrap(e, "%s", argv[i]);
			}
		}
		return 0;
	}
	if (store_list_refs(*s, "ociimage/", collect, r, e) < 0)
		return -1;
	if (r->n)
		qsort(r->v, r->n, sizeof *r->v, cmp_row);
	return 0;
}

static void free_rows(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		image_info_free(&r->v[i].im);
	free(r->v);
}

/* Re-hash what an image's layers hold: every object they reach, and each
 * layer commit still the one its diff ID names. */
static int verify_one(struct store *s, const struct image_info *im, unsigned *objects,
		      struct err *e)
{
	const char **commits = calloc(im->nlayers ? im->nlayers : 1, sizeof *commits);
	char (*c)[65] = calloc(im->nlayers ? im->nlayers : 1, sizeof *c);
	int r = 0;

	if (!commits || !c)
		r = err_set(e, ENOMEM, "verify");
	for (size_t i = 0; r == 0 && i < im->nlayers; i++) {
		char ref[STORE_REF_MAX], *diff = NULL;
		int have;
		store_layer_ref(im->diff_ids[i], ref);
		if ((have = store_ref_get(s, ref, c[i], e)) < 0)
			r = -1;
		else if (!have)
			r = err_set(e, 0, "layer %.12s is missing", im->diff_ids[i] + 7);
		else if (store_commit_meta(s, c[i], "docker.uncompressed_digest", &diff, e) < 0)
			r = -1;
		else if (diff && strcmp(diff, im->diff_ids[i]))
			r = err_set(e, 0, "layer %.12s: its commit records diff ID %.19s", im->diff_ids[i] + 7,
				    diff);
		free(diff);
		commits[i] = c[i];
	}
	if (r == 0)
		r = store_verify(s, commits, im->nlayers, objects, e);
	free(commits);
	free(c);
	return r;
}

int cmd_images_verify(struct cli *c, int argc, char **argv, struct err *e)
{
	struct rows r = { 0 };
	struct store *s = NULL;
	int flags = 0, first, bad = 0, ret = -1;

	if (parse_flags(argc, argv, "", &flags, &first, e) < 0)
		return -1;
	if (each_image(c, &s, argc, argv, first, &r, e) < 0 ||
	    store_lock(s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		struct err one = { 0 };
		unsigned objects;
		if (verify_one(s, &r.v[i].im, &objects, &one) < 0) {
			text_printf(stderr, "syscontainer: images verify %s: %s\n", r.v[i].im.name, one.msg);
			bad++;
		} else {
			text_printf(stdout, "%s: %zu layers, %u objects verified\n", r.v[i].im.name,
				    r.v[i].im.nlayers, objects);
		}
	}
	if (bad) {
		err_set(e, 0, "%d of %zu images failed verification", bad, r.n);
		goto out;
	}
	ret = 0;
out:
	free_rows(&r);
	store_free(s);
	return ret;
}

/* Pull every stored image (or those named) again from where it came. */
int cmd_images_update(struct cli *c, int argc, char **argv, struct err *e)
{
	/* each image gets its own result line below, as apply's containers do */
	struct source_opts o = { .tls_verify = 1, .no_unchanged_line = 1 };
	struct rows r = { 0 };
	struct store *s = NULL;
	int first = 0, bad = 0, ret = -1;

	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n == 0 && (n = pull_option(argc, argv, i, &o, e)) == 0) {
			if (argv[i][0] == '-')
				return err_usage(e, "unknown option '%s'", argv[i]);
			if (!first)
				first = i;
			n = 1;
		}
		if (n < 0)
			return -1;
		i += n - 1;
	}
	if (each_image(c, &s, argc, argv, first, &r, e) < 0)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		const struct image_info *im = &r.v[i].im;
		struct image_info now = { 0 };
		struct imgref ref;
		struct err one = { 0 };
		char *src = NULL, name[IMGREF_FORMAT_MAX];

		if (store_commit_meta(s, im->commit, "syscontainer.source", &src, &one) < 0 ||
		    imgref_parse(&ref, src ? src : im->name, strlen(src ? src : im->name), &one) < 0 ||
		    pull_image(c, s, &ref, &o, name, &one) < 0 || image_resolve(s, im->name, &now, &one) < 0) {
			text_printf(stderr, "syscontainer: images update %s: %s\n", im->name, one.msg);
			bad++;
		} else if (strcmp(now.id, im->id)) {
			text_printf(stdout, "%s: updated (IMAGE ID %.19s, was %.19s)\n", im->name, now.id,
				    im->id);
		} else {
			text_printf(stdout, "%s: up to date\n", im->name);
		}
		free(src);
		image_info_free(&now);
	}
	if (bad) {
		err_set(e, 0, "%d of %zu images could not be updated", bad, r.n);
		goto out;
	}
	ret = 0;
out:
	free_rows(&r);
	store_free(s);
	return ret;
}

/* Atomic's `version IMAGE`: the Name, Version and Release labels. */
int cmd_images_version(struct cli *c, int argc, char **argv, struct err *e)
{
	static const char *const keys[3][3] = {
		{ "Name", "name", "org.opencontainers.image.title" },
		{ "Version", "version", "org.opencontainers.image.version" },
		{ "Release", "release", NULL },
	};
	struct rows r = { 0 };
	struct store *s = NULL;
	int flags = 0, first, ret = -1;

	if (parse_flags(argc, argv, "", &flags, &first, e) < 0)
		return -1;
	if (!first) {
		cli_print_versions(stdout);
		return 0;
	}
	if (each_image(c, &s, argc, argv, first, &r, e) < 0)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		struct json *cfg = NULL;
		char val[3][128];
		if (json_parse(&cfg, r.v[i].im.config, strlen(r.v[i].im.config), e) < 0)
			goto out;
		int labels = json_getpath(cfg, json_root(cfg), "config.Labels");
		for (int k = 0; k < 3; k++) {
			char *v = NULL;
			for (int j = 0; j < 3 && !v && keys[k][j]; j++)
				v = json_str(cfg, json_get(cfg, labels, keys[k][j]));
			snprintf(val[k], sizeof val[k], "%s", v ? v : "-");
			free(v);
		}
		json_free(cfg);
		text_printf(stdout, "%.12s %s-%s-%s %s\n", r.v[i].im.id + 7, val[0], val[1], val[2],
			    r.v[i].im.name);
	}
	ret = 0;
out:
	free_rows(&r);
	store_free(s);
	return ret;
}
