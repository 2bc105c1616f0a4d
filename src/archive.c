#include "archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "source.h"
#include "text.h"

/* ---- the member index ---- */

int archive_index_add(struct archive_index *a, const struct tar_entry *ent, uint64_t off,
		      struct err *e)
{
	struct archive_member *x;

	if (a->n == ARCHIVE_MAX_MEMBERS)
		return err_set(e, 0, "more than %d members", ARCHIVE_MAX_MEMBERS);
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct archive_member *nm = realloc(a->m, cap * sizeof *nm);
		if (!nm)
			return err_set(e, ENOMEM, "archive index");
		a->m = nm;
		a->cap = cap;
	}
	x = &a->m[a->n];
	memset(x, 0, sizeof *x);
	x->path = strdup(ent->path);
	x->link = ent->link ? strdup(ent->link) : NULL;
	if (!x->path || (ent->link && !x->link)) {
		free(x->path);
		free(x->link);
		return err_set(e, ENOMEM, "archive index");
	}
	x->type = ent->type;
	x->size = ent->size;
	x->off = off;
	a->n++;
	return 0;
}

void archive_index_free(struct archive_index *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->m[i].path);
		free(a->m[i].link);
	}
	free(a->m);
	memset(a, 0, sizeof *a);
}

static long find(const struct archive_index *a, const char *path)
{
	/* The last member of a name wins, as when extracting. */
	for (size_t i = a->n; i-- > 0;)
		if (!strcmp(a->m[i].path, path))
			return (long)i;
	return -1;
}

/* The path a symlink at path points to, relative to the archive root. */
static int link_target(const char *path, const char *target, char *out, size_t outsz,
		       struct err *e)
{
	char next[2 * TAR_MAX_PATH + 2];
	const char *slash = strrchr(path, '/');

	if (target[0] == '/')
		return -1;
	snprintf(next, sizeof next, "%.*s%s%s", slash ? (int)(slash - path) : 0, path,
		 slash ? "/" : "", target);
	return tar_normalize_path(next, strlen(next), out, outsz, e);
}

int archive_lookup(const struct archive_index *a, const char *name, size_t *out,
		   struct err *e)
{
	char path[TAR_MAX_PATH + 1], shown[ARCHIVE_SHOW_MAX];
	struct err ignore;

	text_escape(shown, sizeof shown, name, strlen(name), TEXT_QUOTE);
	if (tar_normalize_path(name, strlen(name), path, sizeof path, e) < 0)
		return err_wrap(e, "'%s'", shown);
	for (int hop = 0; hop <= ARCHIVE_LINK_HOPS; hop++) {
		long i = find(a, path);
		const struct archive_member *x = i >= 0 ? &a->m[i] : NULL;

		if (!x) {
			err_set(e, 0, "'%s' is not in the archive", shown);
			e->errnum = ENOENT;
			return -1;
		}
		if (x->type == TAR_REG) {
			*out = (size_t)i;
			return 0;
		}
		if (x->type == TAR_HARDLINK) {
			snprintf(path, sizeof path, "%s", x->link);
			continue;
		}
		if (x->type != TAR_SYMLINK)
			return err_set(e, 0, "'%s' is not a file in the archive", shown);
		if (link_target(path, x->link, path, sizeof path, &ignore) < 0)
			return err_set(e, 0, "'%s' is a symlink out of the archive", shown);
	}
	return err_set(e, 0, "'%s': too many levels of links", shown);
}

/* ---- names ---- */

/* s as a normalised image name into out; else, when bad is given and
 * still empty, s shown into bad.  1 named, 0 not. */
static int take_name(const char *s, size_t len, char *out, char *bad)
{
	struct imgref r;
	struct err ignore;

	if (imgref_parse_name(&r, s, len, &ignore) == 0) {
		imgref_format(&r, out, IMGREF_FORMAT_MAX);
		return 1;
	}
	if (bad && !bad[0])
		text_escape(bad, ARCHIVE_SHOW_MAX, s, len, TEXT_QUOTE);
	return 0;
}

int archive_legacy_name(const char *buf, size_t len, char *out, char *bad)
{
	struct json *j = NULL;
	struct err ignore;
	char *repo = NULL, *tag = NULL, name[IMGREF_FORMAT_MAX + 130];
	int key, tags, tkey, r = 0;

	if (json_parse(&j, buf, len, &ignore) < 0)
		return 0;
	tags = json_member(j, json_root(j), 0, &key);
	repo = json_str(j, key);
	if (repo && json_count(j, tags) > 0) {
		json_member(j, tags, 0, &tkey);
		tag = json_str(j, tkey);
		snprintf(name, sizeof name, "%s:%s", repo, tag ? tag : "latest");
		r = take_name(name, strlen(name), out, bad);
	}
	free(repo);
	free(tag);
	json_free(j);
	return r;
}

int archive_file_name(const char *file, char *out)
{
	static const char *const ends[] = { ".tar.gz", ".tgz", ".tar" };
	size_t n = strlen(file);
	const char *base;

	while (n > 1 && file[n - 1] == '/')
		n--;
	for (base = file + n; base > file && base[-1] != '/'; base--)
		;
	n -= (size_t)(base - file);
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		size_t k = strlen(ends[i]);
		if (n > k && !memcmp(base + n - k, ends[i], k)) {
			n -= k;
			break;
		}
	}
	return n && n < 256 && take_name(base, n, out, NULL) ? 0 : -1;
}

/* ---- docker save: manifest.json ---- */

enum { MAX_TAGS = 16 };

/* RepoTags of image node img, normalised, into names (at most MAX_TAGS);
 * the first invalid one shown into bad. */
static size_t repo_tags(const struct json *j, int img, char names[][IMGREF_FORMAT_MAX], char *bad)
{
	int tags = json_get(j, img, "RepoTags");
	size_t n = 0;

	for (size_t i = 0; i < json_count(j, tags) && n < MAX_TAGS; i++) {
		size_t len = 0;
		const char *raw = json_raw(j, json_at(j, tags, i), &len);
		char *s = json_str(j, json_at(j, tags, i));

		if (s && take_name(s, strlen(s), names[n], bad))
			n++;
		else if (!s && raw && !bad[0])   /* not even a string: shown as written */
			text_escape(bad, ARCHIVE_SHOW_MAX, raw, len, TEXT_QUOTE);
		free(s);
	}
	return n;
}

static void append_list(char *list, size_t sz, const char *item)
{
	size_t l = strlen(list);

	if (l + strlen(item) + 8 >= sz) {
		if (l + 6 < sz && (l < 5 || strcmp(list + l - 5, ", ...")))
			snprintf(list + l, sz - l, ", ...");
		return;
	}
	snprintf(list + l, sz - l, "%s%s", l ? ", " : "", item);
}

static int read_layers(const struct json *j, int img, struct archive_image *out, struct err *e)
{
	int layers = json_get(j, img, "Layers");
	size_t n = json_count(j, layers);

	if (json_kind(j, layers) != JSON_ARRAY)
		return err_set(e, 0, "image has no Layers");
	if (n > IMAGE_MAX_LAYERS)
		return err_set(e, 0, "image has %zu layers, more than the %d we accept", n,
			       IMAGE_MAX_LAYERS);
	out->layers = calloc(n ? n : 1, sizeof *out->layers);
	if (!out->layers)
		return err_set(e, ENOMEM, "layers");
	for (size_t i = 0; i < n; i++) {
		char *s = json_str(j, json_at(j, layers, i));
		if (!s || !s[0]) {
			free(s);
			return err_set(e, 0, "layer %zu is not a file name", i + 1);
		}
		out->layers[out->nlayers++] = s;
	}
	out->config = json_str(j, json_get(j, img, "Config"));
	if (!out->config || !out->config[0])
		return err_set(e, 0, "image has no Config");
	return 0;
}

static int pick_image(const struct json *j, const char *want, struct archive_image *out,
		      int *chosen, struct err *e)
{
	char tags[MAX_TAGS][IMGREF_FORMAT_MAX], list[1024] = "";
	size_t nimg = json_count(j, json_root(j));

	if (json_kind(j, json_root(j)) != JSON_ARRAY || nimg == 0)
		return err_set(e, 0, "it lists no image");
	for (size_t i = 0; i < nimg; i++) {
		int img = json_at(j, json_root(j), i);
		size_t nt = repo_tags(j, img, tags, out->bad_name);

		for (size_t k = 0; k < nt; k++) {
			if (want && !strcmp(tags[k], want)) {
				*chosen = img;
				snprintf(out->name, sizeof out->name, "%s", want);
				return 0;
			}
			append_list(list, sizeof list, tags[k]);
		}
		if (!want && nimg == 1) {
			*chosen = img;
			snprintf(out->name, sizeof out->name, "%s", nt ? tags[0] : "");
			return 0;
		}
	}
	if (want)
		return err_set(e, 0, "no image named %s in the archive; it holds: %s", want,
			       *list ? list : "unnamed images");
	return err_set(e, 0, "the archive holds %zu images (%s): name one as "
		       "docker-archive:FILE:NAME[:TAG]", nimg, list);
}

int archive_docker_choose(const char *buf, size_t len, const char *want,
			  struct archive_image *out, struct err *e)
{
	struct json *j = NULL;
	int img = -1, r;

	memset(out, 0, sizeof *out);
	if (len > IMAGE_MAX_MANIFEST)
		return err_set(e, 0, "larger than %d bytes", IMAGE_MAX_MANIFEST);
	if (json_parse(&j, buf, len, e) < 0)
		return -1;
	r = pick_image(j, want, out, &img, e);
	if (!r)
		r = read_layers(j, img, out, e);
	json_free(j);
	if (r < 0)
		archive_image_free(out);
	return r;
}

void archive_image_free(struct archive_image *im)
{
	for (size_t i = 0; i < im->nlayers; i++)
		free(im->layers[i]);
	free(im->layers);
	free(im->config);
	im->layers = NULL;
	im->config = NULL;
	im->nlayers = 0;
}

/* ---- OCI image layout: index.json ---- */

/* The string annotation key of index entry node into out (outsz); 0, or
 * -1 when absent, not a string or too long (then out is ""). */
static int annotation(const struct json *j, int node, const char *key, char *out, size_t outsz)
{
	char *s = json_str(j, json_get(j, json_get(j, node, "annotations"), key));
	int r = s && strlen(s) < outsz ? 0 : -1;

	snprintf(out, outsz, "%s", r ? "" : s);
	free(s);
	return r;
}

/* The name an entry gives its image: io.containerd.image.name, else the
 * ref name read as an image name. */
static void entry_name(const struct json *j, int node, struct archive_oci_pick *p)
{
	char s[IMGREF_FORMAT_MAX];

	if (annotation(j, node, "io.containerd.image.name", s, sizeof s) == 0 &&
	    take_name(s, strlen(s), p->name, p->bad_name))
		return;
	if (p->ref_name[0])
		take_name(p->ref_name, strlen(p->ref_name), p->name, p->bad_name);
}

/* Entries whose ref name is ref (all when NULL) into keep[]; their ref
 * names listed into list. */
static size_t filter_refs(const struct json *j, int arr, size_t n, const char *ref, size_t *keep,
			  char *list, size_t listsz)
{
	char name[256], shown[ARCHIVE_SHOW_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int has = annotation(j, json_at(j, arr, i), "org.opencontainers.image.ref.name",
				     name, sizeof name) == 0;
		if (has) {
			text_escape(shown, sizeof shown, name, strlen(name), TEXT_QUOTE);
			append_list(list, listsz, shown);
		}
		if (!ref || (has && !strcmp(name, ref)))
			keep[k++] = i;
	}
	return k;
}

/* Of several entries, the one for want: only when each names a platform. */
static int by_platform(const struct registry_manifest *ix, const size_t *keep, size_t k,
		       const struct registry_platform *want, const char *list, size_t *pick,
		       struct err *e)
{
	struct registry_manifest sub = { .kind = REGISTRY_INDEX, .n = k };
	size_t p;
	int r;

	for (size_t i = 0; i < k; i++)
		if (!ix->desc[keep[i]].has_platform)
			return err_set(e, 0, "index.json lists %zu images (%s): choose one with :REF",
				       k, *list ? list : "none has a ref name");
	if (!(sub.desc = calloc(k, sizeof *sub.desc)))
		return err_set(e, ENOMEM, "index.json");
	for (size_t i = 0; i < k; i++)
		sub.desc[i] = ix->desc[keep[i]];
	r = registry_index_choose(&sub, want, &p, e);
	free(sub.desc);
	if (r < 0)
		return err_wrap(e, "index.json");
	*pick = keep[p];
	return 0;
}

static int choose_entry(const struct json *j, const struct registry_manifest *ix, const char *ref,
			const struct registry_platform *want, size_t *pick, struct err *e)
{
	int arr = json_get(j, json_root(j), "manifests");
	char list[512] = "", shown[ARCHIVE_SHOW_MAX];
	size_t *keep, k;
	int r = 0;

	if (ix->n == 0)
		return err_set(e, 0, "index.json lists no image");
	if (!(keep = calloc(ix->n, sizeof *keep)))
		return err_set(e, ENOMEM, "index.json");
	k = filter_refs(j, arr, ix->n, ref, keep, list, sizeof list);
	if (k == 0) {
		text_escape(shown, sizeof shown, ref, strlen(ref), TEXT_QUOTE);
		r = err_set(e, 0, "no image '%s' in index.json; it holds: %s", shown,
			    *list ? list : "images without a ref name");
	} else if (k == 1) {
		*pick = keep[0];
	} else {
		r = by_platform(ix, keep, k, want, list, pick, e);
	}
	free(keep);
	return r;
}

int archive_oci_choose(const char *buf, size_t len, const char *ref,
		       const struct registry_platform *want, struct archive_oci_pick *out,
		       struct err *e)
{
	struct registry_manifest *ix = NULL;
	struct json *j = NULL;
	size_t pick = 0;
	int r = -1;

	memset(out, 0, sizeof *out);
	if (registry_manifest_parse(buf, len, NULL, &ix, e) < 0)
		return err_wrap(e, "index.json");
	if (ix->kind != REGISTRY_INDEX) {
		err_set(e, 0, "index.json is not an image index");
		goto out;
	}
	if (json_parse(&j, buf, len, e) < 0 || choose_entry(j, ix, ref, want, &pick, e) < 0)
		goto out;
	out->desc = ix->desc[pick];
	annotation(j, json_at(j, json_get(j, json_root(j), "manifests"), pick),
		   "org.opencontainers.image.ref.name", out->ref_name, sizeof out->ref_name);
	entry_name(j, json_at(j, json_get(j, json_root(j), "manifests"), pick), out);
	r = 0;
out:
	json_free(j);
	registry_manifest_free(ix);
	return r;
}
