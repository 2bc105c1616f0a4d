/* Source dockertar: / docker-archive: — a `docker save` (or skopeo) archive
 * on disk.  The file is seekable, so we index its tar headers first (seeking
 * past every entry's content), read manifest.json and the config, and then
 * stream each layer straight from its offset: nothing is extracted. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "source.h"
#include "tar.h"

enum { ARCHIVE_MAX_ENTRIES = 100000, LINK_HOPS = 8, READ_CHUNK = 256 << 10 };

struct arentry {
	char *path, *link;
	enum tar_type type;
	uint64_t off, size;
};

struct archive {
	int fd;
	char file[PATH_MAX];
	struct arentry *ents;
	size_t n, cap;
	uint64_t block_end;     /* file offset right after the header being fed */
	char **layer_names;     /* manifest.json's Layers of the chosen image */
	size_t nlayers;
};

static void archive_close(struct source *src)
{
	struct archive *a = src->priv;
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->ents[i].path);
		free(a->ents[i].link);
	}
	free(a->ents);
	for (size_t i = 0; i < a->nlayers; i++)
		free(a->layer_names[i]);
	free(a->layer_names);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	src->priv = NULL;
}

static int index_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct archive *a = ctx;
	struct arentry *x;

	if (a->n == ARCHIVE_MAX_ENTRIES)
		return err_set(e, 0, "more than %d entries", ARCHIVE_MAX_ENTRIES);
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct arentry *ne = realloc(a->ents, cap * sizeof *ne);
		if (!ne)
			return err_set(e, ENOMEM, "index");
		a->ents = ne;
		a->cap = cap;
	}
	x = &a->ents[a->n];
	x->path = strdup(ent->path);
	x->link = ent->link ? strdup(ent->link) : NULL;
	if (!x->path || (ent->link && !x->link)) {
		free(x->path);
		free(x->link);
		return err_set(e, ENOMEM, "index");
	}
	x->type = ent->type;
	x->off = a->block_end;
	x->size = ent->size;
	a->n++;
	return 0;
}

/* Walk the headers, seeking past contents. */
static int build_index(struct archive *a, struct err *e)
{
	static const struct tar_callbacks cb = { index_entry, NULL, NULL };
	struct tar *t;
	uint8_t blk[TAR_BLOCK];
	uint64_t off = 0;
	int r = -1;

	if (tar_new(&t, &cb, a, e) < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(a->fd, blk, sizeof blk, (off_t)off);
		uint64_t skip;

		if (n < 0) {
			err_set(e, errno, "read");
			goto out;
		}
		if (n == 0)
			break;
		a->block_end = off + (uint64_t)n;
		if (tar_feed(t, blk, (size_t)n, e) < 0)
			goto out;
		off += (uint64_t)n;
		skip = tar_skippable(t);
		if (skip) {
			if (tar_skip(t, skip, e) < 0)
				goto out;
			off += skip;
		}
	}
	r = tar_finish(t, e);
out:
	tar_free(t);
	return r;
}

static const struct arentry *find(const struct archive *a, const char *path)
{
	/* The last entry of a name wins, as when extracting. */
	for (size_t i = a->n; i-- > 0;)
		if (!strcmp(a->ents[i].path, path))
			return &a->ents[i];
	return NULL;
}

/* Find a regular file by name, following symlinks and hardlinks inside the
 * archive only (`<id>/layer.tar -> ../<hex>.tar`). */
static int lookup(const struct archive *a, const char *name, const struct arentry **out,
		  struct err *e)
{
	char path[TAR_MAX_PATH + 1], next[2 * TAR_MAX_PATH + 2];
	const struct arentry *x;

	if (tar_normalize_path(name, strlen(name), path, sizeof path, e) < 0)
		return err_wrap(e, "'%s'", name);
	for (int hop = 0; hop <= LINK_HOPS; hop++) {
		x = find(a, path);
		if (!x)
			return err_set(e, 0, "'%s' is not in the archive", name);
		if (x->type == TAR_REG) {
			*out = x;
			return 0;
		}
		if (x->type == TAR_HARDLINK) {
			snprintf(path, sizeof path, "%s", x->link);
			continue;
		}
		if (x->type != TAR_SYMLINK)
			return err_set(e, 0, "'%s' is not a file in the archive", name);
		if (x->link[0] == '/')
			return err_set(e, 0, "'%s' is a symlink out of the archive", name);
		const char *slash = strrchr(path, '/');
		snprintf(next, sizeof next, "%.*s%s%s", slash ? (int)(slash - path) : 0, path,
			 slash ? "/" : "", x->link);
		if (tar_normalize_path(next, strlen(next), path, sizeof path, e) < 0)
			return err_set(e, 0, "'%s' is a symlink out of the archive", name);
	}
	return err_set(e, 0, "'%s': too many levels of links", name);
}

static int read_entry(const struct archive *a, const char *name, size_t max, char **out,
		      size_t *len, struct err *e)
{
	const struct arentry *x;
	char *buf;
	ssize_t n;

	if (lookup(a, name, &x, e) < 0)
		return -1;
	if (x->size > max)
		return err_set(e, 0, "'%s' is larger than %zu bytes", name, max);
	buf = malloc(x->size + 1);
	if (!buf)
		return err_set(e, ENOMEM, "'%s'", name);
	n = pread(a->fd, buf, x->size, (off_t)x->off);
	if (n < 0 || (uint64_t)n != x->size) {
		free(buf);
		return err_set(e, n < 0 ? errno : 0, "read '%s'%s", name, n < 0 ? "" : ": archive truncated");
	}
	buf[x->size] = '\0';
	*out = buf;
	*len = x->size;
	return 0;
}

static int fetch_layer(struct source *src, size_t i, source_feed_fn feed, void *ctx, struct err *e)
{
	struct archive *a = src->priv;
	const struct arentry *x;
	char *buf;
	uint64_t off, left;
	int r = 0;

	if (lookup(a, a->layer_names[i], &x, e) < 0)
		return -1;
	buf = malloc(READ_CHUNK);
	if (!buf)
		return err_set(e, ENOMEM, "read '%s'", a->file);
	off = x->off;
	left = x->size;
	while (left && r == 0) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = pread(a->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = err_set(e, n < 0 ? errno : 0, "read '%s'%s", a->file,
				    n < 0 ? "" : ": archive truncated");
			break;
		}
		r = feed(ctx, buf, (size_t)n, e);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	free(buf);
	return r;
}

/* RepoTags of image i, normalised, into names (at most max). */
static size_t repo_tags(const struct json *j, int img, char names[][IMGREF_FORMAT_MAX], size_t max)
{
	int tags = json_get(j, img, "RepoTags");
	size_t n = 0;
	struct imgref r;
	struct err e;

	for (size_t i = 0; i < json_count(j, tags) && n < max; i++) {
		char *s = json_str(j, json_at(j, tags, i));
		if (s && imgref_parse_name(&r, s, strlen(s), &e) == 0)
			imgref_format(&r, names[n++], IMGREF_FORMAT_MAX);
		free(s);
	}
	return n;
}

/* The legacy `repositories` file: {"name": {"tag": "id"}}; its first pair. */
static int legacy_name(const struct archive *a, char *out, struct err *e)
{
	struct json *j = NULL;
	char *buf = NULL, *repo = NULL, *tag = NULL;
	size_t len;
	int key, tags, tkey, r = 0;
	struct imgref ref;
	char name[IMGREF_FORMAT_MAX + 130];

	if (!find(a, "repositories") || read_entry(a, "repositories", 1 << 20, &buf, &len, e) < 0)
		return 0;
	if (json_parse(&j, buf, len, e) < 0 || json_count(j, json_root(j)) == 0)
		goto out;
	tags = json_member(j, json_root(j), 0, &key);
	repo = json_str(j, key);
	if (json_count(j, tags) == 0 || !repo)
		goto out;
	json_member(j, tags, 0, &tkey);
	tag = json_str(j, tkey);
	snprintf(name, sizeof name, "%s:%s", repo, tag ? tag : "latest");
	if (imgref_parse_name(&ref, name, strlen(name), e) == 0) {
		imgref_format(&ref, out, IMGREF_FORMAT_MAX);
		r = 1;
	}
out:
	free(repo);
	free(tag);
	free(buf);
	json_free(j);
	return r;
}

/* Last resort: the file name without ".tar". */
static int file_name(const char *file, char *out, struct err *e)
{
	const char *base = strrchr(file, '/');
	char name[256];
	struct imgref r;
	size_t n;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".tar"))
		n -= 4;
	snprintf(name, sizeof name, "%.*s", (int)n, base);
	if (imgref_parse_name(&r, name, strlen(name), e) < 0)
		return err_set(e, 0, "the archive names no image and '%s' is no image name: "
			       "give one as docker-archive:FILE:NAME[:TAG]", name);
	imgref_format(&r, out, IMGREF_FORMAT_MAX);
	return 0;
}

/* Choose the image in manifest.json: by the name given, or the only one. */
static int choose_image(const struct archive *a, const struct json *j, const struct imgref *ref,
			char *name, int *chosen, struct err *e)
{
	char tags[16][IMGREF_FORMAT_MAX], want[IMGREF_FORMAT_MAX], list[1024] = "";
	size_t nimg = json_count(j, json_root(j)), len = 0;

	if (json_kind(j, json_root(j)) != JSON_ARRAY || nimg == 0)
		return err_set(e, 0, "manifest.json lists no image");
	if (ref->has_name)
		imgref_format(ref, want, sizeof want);
	for (size_t i = 0; i < nimg; i++) {
		int img = json_at(j, json_root(j), i);
		size_t nt = repo_tags(j, img, tags, 16);
		for (size_t k = 0; k < nt; k++) {
			if (ref->has_name && !strcmp(tags[k], want)) {
				*chosen = img;
				snprintf(name, IMGREF_FORMAT_MAX, "%s", want);
				return 0;
			}
			len += snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s",
					len ? ", " : "", tags[k]);
		}
		if (!ref->has_name && nimg == 1) {
			*chosen = img;
			if (nt)
				snprintf(name, IMGREF_FORMAT_MAX, "%s", tags[0]);
			else if (!legacy_name(a, name, e) && file_name(a->file, name, e) < 0)
				return -1;
			return 0;
		}
	}
	if (ref->has_name)
		return err_set(e, 0, "no image named %s in the archive; it holds: %s", want,
			       *list ? list : "unnamed images");
	return err_set(e, 0, "the archive holds %zu images (%s): name one as "
		       "docker-archive:FILE:NAME[:TAG]", nimg, list);
}

static int read_layers(struct source *src, struct archive *a, const struct json *j, int img,
		       struct err *e)
{
	int layers = json_get(j, img, "Layers");
	size_t n = json_count(j, layers);

	if (json_kind(j, layers) != JSON_ARRAY)
		return err_set(e, 0, "manifest.json: image has no Layers");
	if (image_alloc_layers(&src->img, n, e) < 0)
		return -1;
	a->layer_names = calloc(n ? n : 1, sizeof *a->layer_names);
	if (!a->layer_names)
		return err_set(e, ENOMEM, "layers");
	a->nlayers = n;
	for (size_t i = 0; i < n; i++) {
		const struct arentry *x;
		a->layer_names[i] = json_str(j, json_at(j, layers, i));
		if (!a->layer_names[i])
			return err_set(e, 0, "manifest.json: layer %zu is not a file name", i + 1);
		if (lookup(a, a->layer_names[i], &x, e) < 0)
			return err_wrap(e, "layer %zu", i + 1);
		src->img.layers[i].size = (int64_t)x->size;
	}
	return 0;
}

static int open_archive(struct source *src, struct archive *a, const struct imgref *ref,
			struct err *e)
{
	struct json *j = NULL;
	char *buf = NULL, *cfgname = NULL;
	size_t len;
	int img, r = -1;

	if (build_index(a, e) < 0)
		return err_wrap(e, "not a readable tar archive");
	if (!find(a, "manifest.json"))
		return err_set(e, 0, "no manifest.json: not a docker save archive");
	if (read_entry(a, "manifest.json", IMAGE_MAX_MANIFEST, &buf, &len, e) < 0 ||
	    json_parse(&j, buf, len, e) < 0)
		goto out;
	if (choose_image(a, j, ref, src->img.name, &img, e) < 0 || read_layers(src, a, j, img, e) < 0)
		goto out;
	cfgname = json_str(j, json_get(j, img, "Config"));
	free(buf);
	buf = NULL;
	if (!cfgname) {
		err_set(e, 0, "manifest.json: image has no Config");
		goto out;
	}
	if (read_entry(a, cfgname, IMAGE_MAX_CONFIG, &buf, &len, e) < 0 ||
	    image_set_config(&src->img, buf, len, NULL, e) < 0)
		goto out;
	r = 0;
out:
	if (r < 0 && strncmp(e->msg, "manifest.json", 13) && j)
		err_wrap(e, "manifest.json");
	free(cfgname);
	free(buf);
	json_free(j);
	return r;
}

static const struct source_ops ops = { fetch_layer, archive_close };

int source_docker_archive_open(struct source *src, const struct imgref *ref, struct err *e)
{
	struct archive *a = calloc(1, sizeof *a);

	if (!a)
		return err_set(e, ENOMEM, "open '%s'", ref->file);
	src->ops = &ops;
	src->priv = a;
	snprintf(a->file, sizeof a->file, "%s", ref->file);
	snprintf(src->img.source, sizeof src->img.source, "docker-archive:%s", ref->file);
	a->fd = open(ref->file, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		return err_set(e, errno, "open '%s'", ref->file);
	if (open_archive(src, a, ref, e) < 0)
		return err_wrap(e, "'%s'", ref->file);
	return 0;
}
