/* Sources dockertar:, docker-archive: and oci-archive: -- an image archive
 * in a file.  A plain tar on disk is seekable, so we index its members
 * first (seeking past every member's data), read the manifest and config,
 * and then stream each layer straight from its offset: nothing is
 * extracted.  Anything else -- standard input ("-"), a pipe, a
 * gzip-compressed archive -- is read once, as a stream (source_stream.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_archive.h"
#include "tar.h"
#include "text.h"
#include "util.h"

enum { READ_CHUNK = 256 << 10 };

struct tarfile {
	int fd;
	char file[PATH_MAX];
	struct archive_index idx;
	uint64_t block_end;     /* file offset right after the header being fed */
	char **layers;          /* member path of each layer */
	size_t nlayers;
};

static void tarfile_close(struct source *src)
{
	struct tarfile *a = src->priv;

	if (!a)
		return;
	archive_index_free(&a->idx);
	archive_paths_free(a->layers, a->nlayers);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	src->priv = NULL;
}

static int index_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct tarfile *a = ctx;
	return archive_index_add(&a->idx, ent, a->block_end, e);
}

/* Walk the headers, seeking past contents (a seek past the end of the
 * file is a truncated archive, as a read would find). */
static int build_index(struct tarfile *a, struct err *e)
{
	static const struct tar_callbacks cb = { index_entry, NULL, NULL };
	struct tar *t;
	struct stat st;
	uint8_t blk[TAR_BLOCK];
	uint64_t off = 0;
	int r = -1;

	if (fstat(a->fd, &st) < 0)
		return err_set(e, errno, "stat");
	if (tar_new(&t, &cb, a, e) < 0)
		return -1;
	for (;;) {
		ssize_t n = util_pread_all(a->fd, blk, sizeof blk, (off_t)off);
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
		if (skip && off + skip > (uint64_t)st.st_size) {
			const char *p = a->idx.m[a->idx.n - 1].path;
			char shown[ARCHIVE_SHOW_MAX];
			text_escape(shown, sizeof shown, p, strlen(p), TEXT_QUOTE);
			err_set(e, 0, "truncated tar: entry '%s' ends %llu bytes early", shown,
				(unsigned long long)(off + skip - (uint64_t)st.st_size));
			goto out;
		}
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

static int member_size(void *ctx, const char *path, uint64_t *size, struct err *e)
{
	struct tarfile *a = ctx;
	size_t i;

	if (archive_lookup(&a->idx, path, &i, e) < 0)
		return -1;
	*size = a->idx.m[i].size;
	return 0;
}

static int member_read(void *ctx, const char *path, size_t max, char **out, size_t *len,
		       struct err *e)
{
	struct tarfile *a = ctx;
	const struct archive_member *x;
	char *buf;
	ssize_t n;
	size_t i;

	if (archive_lookup(&a->idx, path, &i, e) < 0)
		return -1;
	x = &a->idx.m[i];
	if (x->size > max)
		return err_set(e, 0, "'%s' is larger than %zu bytes", path, max);
	buf = malloc(x->size + 1);
	if (!buf)
		return err_set(e, ENOMEM, "'%s'", path);
	n = util_pread_all(a->fd, buf, x->size, (off_t)x->off);
	if (n < 0 || (uint64_t)n != x->size) {
		free(buf);
		return err_set(e, n < 0 ? errno : 0, "read '%s'%s", path, n < 0 ? "" : ": archive truncated");
	}
	buf[x->size] = '\0';
	*out = buf;
	*len = x->size;
	return 0;
}

static int fetch_layer(struct source *src, size_t i, source_feed_fn feed, void *ctx, struct err *e)
{
	struct tarfile *a = src->priv;
	const struct archive_member *x;
	char *buf;
	uint64_t off, left;
	size_t k;
	int r = 0;

	if (archive_lookup(&a->idx, a->layers[i], &k, e) < 0)
		return -1;
	x = &a->idx.m[k];
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

static const struct source_ops ops = { .fetch_layer = fetch_layer, .close = tarfile_close };

static int open_seekable(struct source *src, struct tarfile *a, const struct archive_want *w,
			 const struct source_opts *o, struct err *e)
{
	struct member_reader r = { a, member_read, member_size };

	if (build_index(a, e) < 0)
		return err_wrap(e, "not a readable tar archive");
	if (archive_resolve(&r, w, o, &src->img, &a->layers, e) < 0)
		return -1;
	a->nlayers = src->img.nlayers;
	return 0;
}

/* A plain tar we can seek in, or else a stream. */
static int seekable(int fd)
{
	struct stat st;
	unsigned char magic[2];

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       !(util_pread_all(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
}

int source_archive_file_open(struct source *src, const struct imgref *ref,
			     const struct source_opts *o, struct err *e)
{
	struct tarfile *a = calloc(1, sizeof *a);
	int is_stdin = !strcmp(ref->file, "-");
	char name[IMGREF_FORMAT_MAX], what[PATH_MAX + 2];
	struct archive_want w = {
		.oci = ref->transport == IMGREF_OCI_ARCHIVE,
		.name = ref->has_name ? name : NULL,
		.ref = ref->tag[0] ? ref->tag : NULL,
		.file = is_stdin ? NULL : ref->file,
	};

	if (!a)
		return err_set(e, ENOMEM, "open '%s'", ref->file);
	src->ops = &ops;
	src->priv = a;
	imgref_format(ref, name, sizeof name);
	imgref_format_source(ref, src->img.source, sizeof src->img.source);
	snprintf(a->file, sizeof a->file, "%s", ref->file);
	snprintf(what, sizeof what, is_stdin ? "standard input" : "'%s'", ref->file);
	a->fd = is_stdin ? dup(STDIN_FILENO) : open(ref->file, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		return err_set(e, errno, "open %s", what);
	if (!seekable(a->fd)) {
		int fd = a->fd, r;
		a->fd = -1;
		tarfile_close(src);
		r = source_stream_open(src, fd, what, &w, o, e);
		close(fd);
		return r;
	}
	if (open_seekable(src, a, &w, o, e) < 0)
		return err_wrap(e, "%s", what);
	return 0;
}
