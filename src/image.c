#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "layer.h"
#include "sha256.h"
#include "store.h"
#include "text.h"

void image_info_free(struct image_info *im)
{
	if (!im)
		return;
	free(im->config);
	free(im->diff_ids);
	im->config = NULL;
	im->diff_ids = NULL;
}

int image_ref_is_image(const char *ref)
{
	const char *h = ref + strlen("ociimage/");
	if (strncmp(ref, "ociimage/", 9))
		return 0;
	if (strlen(h) != 64)
		return 1;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", h[i]))
			return 1;
	return 0;
}

static void copy_str(const struct json *j, int node, char *out, size_t outsz)
{
	char *s = json_str(j, node);
	snprintf(out, outsz, "%s", s ? s : "");
	free(s);
}

static int read_config(struct image_info *im, struct err *e)
{
	struct json *j = NULL;
	int ids;

	if (json_parse(&j, im->config, strlen(im->config), e) < 0)
		return err_wrap(e, "image %s: config", im->name);
	copy_str(j, json_get(j, json_root(j), "created"), im->created, sizeof im->created);
	copy_str(j, json_get(j, json_root(j), "os"), im->os, sizeof im->os);
	copy_str(j, json_get(j, json_root(j), "architecture"), im->arch, sizeof im->arch);
	ids = json_getpath(j, json_root(j), "rootfs.diff_ids");
	im->nlayers = json_count(j, ids);
	im->diff_ids = calloc(im->nlayers ? im->nlayers : 1, sizeof *im->diff_ids);
	if (!im->diff_ids) {
		json_free(j);
		return err_set(e, ENOMEM, "image %s", im->name);
	}
	for (size_t i = 0; i < im->nlayers; i++)
		copy_str(j, json_at(j, ids, i), im->diff_ids[i], sizeof im->diff_ids[i]);
	json_free(j);
	return 0;
}

static int layer_sizes(struct store *s, struct image_info *im, struct err *e)
{
	im->size = 0;
	for (size_t i = 0; i < im->nlayers; i++) {
		char ref[STORE_REF_MAX], commit[65], *v = NULL;
		int have;
		store_layer_ref(im->diff_ids[i], ref);
		if ((have = store_ref_get(s, ref, commit, e)) < 0)
			return -1;
		if (!have)
			continue;   /* shown as missing by whoever needs it */
		if (store_commit_meta(s, commit, "docker.uncompressed_size", &v, e) < 0)
			return -1;
		im->size += v ? strtoull(v, NULL, 10) : 0;
		free(v);
	}
	return 0;
}

int image_load(struct store *s, const char *ref, const char *commit, struct image_info *im,
	       struct err *e)
{
	char *v = NULL;
	uint8_t d[32];
	struct err ignore;

	memset(im, 0, sizeof *im);
	snprintf(im->ref, sizeof im->ref, "%s", ref);
	snprintf(im->commit, sizeof im->commit, "%s", commit);
	if (imgref_decode_ostree(ref + 9, im->name, sizeof im->name, &ignore) < 0)
		snprintf(im->name, sizeof im->name, "%s", ref + 9);
	if (store_commit_meta(s, commit, "syscontainer.config", &im->config, e) < 0)
		return -1;
	if (!im->config)
		return err_set(e, 0, "ref '%s' is not an image stored by syscontainer", ref);
	sha256_oneshot(im->config, strlen(im->config), d);
	layer_digest_string(d, im->id);
	if (store_commit_meta(s, commit, "docker.digest", &v, e) < 0)
		goto fail;
	snprintf(im->manifest_digest, sizeof im->manifest_digest, "%s", v ? v : "");
	free(v);
	v = NULL;
	/* A pull of NAME:TAG@DIGEST records it as the source. */
	if (store_commit_meta(s, commit, "syscontainer.source", &v, e) < 0)
		goto fail;
	imgref_pinned_digest(im->name, v, v ? strlen(v) : 0, im->pinned);
	free(v);
	if (read_config(im, e) < 0 || layer_sizes(s, im, e) < 0)
		goto fail;
	return 0;
fail:
	image_info_free(im);
	return -1;
}

enum { MAX_MATCHES = 8 };

struct match {
	struct store *s;
	const char *want;      /* hex prefix of the config digest */
	size_t wantlen;
	int n;
	char names[MAX_MATCHES][IMGREF_ENCODED_MAX];
	char refs[MAX_MATCHES][IMGREF_REF_MAX];
	char commits[MAX_MATCHES][65];
	char ids[MAX_MATCHES][72];
};

static int match_id(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct match *m = ctx;
	struct image_info im;

	if (!image_ref_is_image(ref) || m->n == MAX_MATCHES)
		return 0;
	if (image_load(m->s, ref, commit, &im, e) < 0)
		return -1;
	if (!strncmp(im.id + 7, m->want, m->wantlen)) {
		snprintf(m->names[m->n], sizeof m->names[0], "%s", im.name);
		snprintf(m->refs[m->n], sizeof m->refs[0], "%s", ref);
		snprintf(m->commits[m->n], sizeof m->commits[0], "%s", commit);
		snprintf(m->ids[m->n], sizeof m->ids[0], "%s", im.id);
		m->n++;
	}
	image_info_free(&im);
	return 0;
}

/* Several tags of one image are one image; several images are ambiguous. */
static int resolve_by_id(struct store *s, const char *what, struct image_info *im, struct err *e)
{
	struct match m = { .s = s };
	char list[1024] = "";
	size_t len = 0;
	int distinct = 0;

	m.want = !strncmp(what, "sha256:", 7) ? what + 7 : what;
	m.wantlen = strlen(m.want);
	if (store_list_refs(s, "ociimage/", match_id, &m, e) < 0)
		return -1;
	if (m.n == 0)
		return err_setc(e, ERR_NOT_FOUND, 0, "no such image");
	for (int i = 0; i < m.n; i++) {
		distinct += strcmp(m.ids[i], m.ids[0]) != 0;
		/* a list for the message: cut short when long, never past list */
		if (len < sizeof list)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%.12s)",
						len ? ", " : "", m.names[i], m.ids[i] + 7);
	}
	if (distinct)
		return err_set(e, 0, "ambiguous image ID; it matches %s", list);
	if (image_load(s, m.refs[0], m.commits[0], im, e) < 0)
		return -1;
	im->by_id = 1;
	return 0;
}

int image_resolve_id(struct store *s, const char *what, struct image_info *im, struct err *e)
{
	int full = !strncmp(what, "sha256:", 7) || (strlen(what) == 64 && text_is_lower_hex(what, 64));

	if (!full && !(strlen(what) >= 4 && strlen(what) < 64 && text_is_lower_hex(what, strlen(what))))
		return 0;
	if (resolve_by_id(s, what, im, e) == 0)
		return 1;
	/* A full ID is no name (imgref refuses 64 hex digits as one). */
	return full ? -1 : 0;
}

int image_resolve(struct store *s, const char *what, struct image_info *im, struct err *e)
{
	struct imgref r;
	char name[IMGREF_FORMAT_MAX], ref[IMGREF_REF_MAX], commit[65];
	int have;

	if ((have = image_resolve_id(s, what, im, e)) != 0)
		return have < 0 ? -1 : 0;
	if (imgref_parse_name(&r, what, strlen(what), e) < 0)
		return -1;
	imgref_format(&r, name, sizeof name);
	if (imgref_ostree_ref(name, ref, sizeof ref) < 0)
		return err_set(e, ENAMETOOLONG, "'%s'", name);
	if ((have = store_ref_get(s, ref, commit, e)) < 0)
		return -1;
	if (!have && imgref_atomic_short(&r, name, sizeof name) == 1) {
		/* Atomic stored unqualified names: gscrivano_2Fetcd_3Alatest. */
		if (imgref_ostree_ref(name, ref, sizeof ref) < 0)
			return err_set(e, ENAMETOOLONG, "'%s'", name);
		if ((have = store_ref_get(s, ref, commit, e)) < 0)
			return -1;
	}
	if (!have)
		return err_setc(e, ERR_NOT_FOUND, 0, "no such image");
	if (image_load(s, ref, commit, im, e) < 0)
		return -1;
	/* NAME:TAG@DIGEST names the image by digest: NAME:TAG at another one
	 * is not it. */
	if (r.tag[0] && r.digest[0] && strcmp(r.digest, im->pinned) &&
	    strcmp(r.digest, im->manifest_digest)) {
		image_info_free(im);
		return err_setc(e, ERR_NOT_FOUND, 0, "no such image (%s is another digest)",
				im->name);
	}
	return 0;
}

/* Does layer commit c hide lower layers' `path`?  A whiteout of the path or
 * of an ancestor, an opaque ancestor, or a non-directory ancestor. */
static int hides(struct store *s, const char *c, const char *path, struct err *e)
{
	char prefix[4200], probe[4300];
	size_t len = strlen(path);
	enum store_kind k;

	if (len >= sizeof prefix)
		return err_set(e, ENAMETOOLONG, "'%s'", path);
	for (size_t n = 1; n <= len; n++) {
		const char *base;
		size_t dirlen;

		if (path[n] != '/' && path[n] != '\0')
			continue;
		memcpy(prefix, path, n);
		prefix[n] = '\0';
		base = strrchr(prefix, '/');
		dirlen = base ? (size_t)(base - prefix + 1) : 0;
		snprintf(probe, sizeof probe, "%.*s.wh.%s", (int)dirlen, prefix, prefix + dirlen);
		if (store_commit_path(s, c, probe, 0, &k, NULL, NULL, e) < 0)
			return -1;
		if (k != STORE_ABSENT)
			return 1;
		if (n == len)
			break;
		if (store_commit_path(s, c, prefix, 0, &k, NULL, NULL, e) < 0)
			return -1;
		if (k != STORE_ABSENT && k != STORE_DIR)
			return 1;
		snprintf(probe, sizeof probe, "%s/.wh..wh..opq", prefix);
		if (store_commit_path(s, c, probe, 0, &k, NULL, NULL, e) < 0)
			return -1;
		if (k != STORE_ABSENT)
			return 1;
	}
	return 0;
}

/* The commit of layer i (bottom first). */
static int layer_commit(struct store *s, const struct image_info *im, size_t i, char commit[65],
			struct err *e)
{
	char ref[STORE_REF_MAX];
	int have;

	store_layer_ref(im->diff_ids[i], ref);
	if ((have = store_ref_get(s, ref, commit, e)) < 0)
		return -1;
	if (!have)
		return err_set(e, 0, "image %s: layer %.12s is missing", im->name, im->diff_ids[i] + 7);
	return 0;
}

/* The top-most layer that has path or hides it decides what it is in the
 * merged tree, as a checkout would make it. */
int image_path_kind(struct store *s, const struct image_info *im, const char *path,
		    struct image_path *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	out->kind = STORE_ABSENT;
	for (size_t i = im->nlayers; i-- > 0;) {
		int h;

		if (layer_commit(s, im, i, out->commit, e) < 0 ||
		    store_commit_stat(s, out->commit, path, &out->kind, &out->mode, out->checksum,
				      e) < 0)
			return -1;
		if (out->kind != STORE_ABSENT)
			return 0;
		if ((h = hides(s, out->commit, path, e)) < 0)
			return -1;
		if (h)
			break;
	}
	out->commit[0] = '\0';
	return 0;
}

int image_read_file(struct store *s, const struct image_info *im, const char *path, size_t max,
		    int *found, char **content, size_t *len, struct err *e)
{
	struct image_path p;
	enum store_kind k;

	*found = 0;
	if (image_path_kind(s, im, path, &p, e) < 0)
		return -1;
	if (p.kind != STORE_FILE)
		return 0;   /* a dir, symlink or device: no regular file here */
	if (store_commit_path(s, p.commit, path, max, &k, content, len, e) < 0)
		return -1;
	*found = 1;
	return 0;
}

struct candidates {
	char **v;
	size_t n, cap;
	int overflow;
};

static int add_candidate(void *ctx, const struct store_entry *ent, struct err *e)
{
	struct candidates *c = ctx;

	(void)e;
	if (ent->kind == STORE_DIR)
		return 0;
	if (c->n == IMAGE_WALK_MAX) {
		c->overflow = 1;
		return 1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		char **v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return err_set(e, ENOMEM, "walk");
		c->v = v;
		c->cap = cap;
	}
	if (!(c->v[c->n] = strdup(ent->path)))
		return err_set(e, ENOMEM, "walk");
	c->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int image_walk_files(struct store *s, const struct image_info *im, const char *dir,
		     image_file_fn fn, void *ctx, struct err *e)
{
	struct candidates c = { 0 };
	int r = 0;

	/* Every non-directory any layer has below dir, each judged once by
	 * the merged view. */
	for (size_t i = 0; i < im->nlayers && r == 0; i++) {
		char commit[65];
		if (layer_commit(s, im, i, commit, e) < 0 ||
		    store_walk_under(s, commit, dir, add_candidate, &c, e) < 0)
			r = -1;
	}
	if (r == 0 && c.overflow)
		r = err_set(e, 0, "/%s: more than %d entries", dir, IMAGE_WALK_MAX);
	if (r == 0 && c.n)
		qsort(c.v, c.n, sizeof *c.v, cmp_str);
	for (size_t i = 0; i < c.n && r == 0; i++) {
		struct image_path p;
		if (i && !strcmp(c.v[i], c.v[i - 1]))
			continue;
		if (image_path_kind(s, im, c.v[i], &p, e) < 0)
			r = -1;
		else if (p.kind != STORE_ABSENT && p.kind != STORE_DIR)
			r = fn(ctx, c.v[i], &p, e);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i]);
	free(c.v);
	return r;
}

struct users {
	struct store *s;
	const char *id;
	char *out;
	size_t outsz, len;
};

static int pin_user(void *ctx, const char *ref, const char *commit, struct err *e)
{
	struct users *u = ctx;
	char *cfg = NULL, name[256];
	uint8_t d[32];
	char id[72];
	const char *dot;

	if (store_commit_meta(u->s, commit, "syscontainer.config", &cfg, e) < 0)
		return -1;
	if (!cfg)
		return 0;
	sha256_oneshot(cfg, strlen(cfg), d);
	free(cfg);
	layer_digest_string(d, id);
	if (strcmp(id, u->id))
		return 0;
	snprintf(name, sizeof name, "%s", ref + strlen(PIN_PREFIX));
	dot = strrchr(name, '.');
	if (dot)
		name[dot - name] = '\0';
	if (u->len && strstr(u->out, name))
		return 0;
	if (u->len < u->outsz)
		u->len += (size_t)snprintf(u->out + u->len, u->outsz - u->len, "%s%s",
					   u->len ? ", " : "", name);
	return 0;
}

int image_users(struct store *s, const char *id, char *out, size_t outsz, struct err *e)
{
	struct users u = { s, id, out, outsz, 0 };
	out[0] = '\0';
	return store_list_refs(s, PIN_PREFIX, pin_user, &u, e);
}
