/* Source oci:DIR[:REF] -- an OCI image layout directory, as `skopeo copy
 * ... oci:DIR` writes it: oci-layout, index.json, blobs/sha256/<hex>.
 * Every name we open is ours (fixed names, or paths made of checked
 * digests); each must be a regular file, opened without following a
 * symlink and without blocking on a fifo.  Layers stream from their blob
 * files; nothing is copied. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "source_archive.h"
#include "util.h"

enum { READ_CHUNK = 256 << 10 };

struct ocidir {
	int dfd;
	char **layers;          /* blob path of each layer */
	size_t nlayers;
};

static void ocidir_close(struct source *src)
{
	struct ocidir *d = src->priv;

	if (!d)
		return;
	archive_paths_free(d->layers, d->nlayers);
	if (d->dfd >= 0)
		close(d->dfd);
	free(d);
	src->priv = NULL;
}

static int open_member(const struct ocidir *d, const char *path, struct stat *st,
		       struct err *e)
{
	int fd = openat(d->dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT) {
		err_set(e, 0, "'%s' is not in the layout", path);
		e->errnum = ENOENT;
		return -1;
	}
	if (fd < 0)
		return err_set(e, errno, "open '%s'", path);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(e, 0, "'%s' is not a regular file", path);
	}
	return fd;
}

static int member_size(void *ctx, const char *path, uint64_t *size, struct err *e)
{
	struct stat st;
	int fd = open_member(ctx, path, &st, e);

	if (fd < 0)
		return -1;
	close(fd);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int member_read(void *ctx, const char *path, size_t max, char **out, size_t *len,
		       struct err *e)
{
	struct stat st;
	_cleanup_free_ char *buf = NULL;
	ssize_t n;
	_cleanup_fd_ int fd = open_member(ctx, path, &st, e);

	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max)
		return err_set(e, 0, "'%s' is larger than %zu bytes", path, max);
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return err_set(e, ENOMEM, "read '%s'", path);
	n = util_pread_all(fd, buf, (size_t)st.st_size, 0);
	if (n != st.st_size)
		return err_set(e, n < 0 ? errno : 0, "read '%s'%s", path,
			       n < 0 ? "" : ": it changed while read");
	buf[n] = '\0';
	*out = take_ptr(&buf);
	*len = (size_t)n;
	return 0;
}

static int fetch_layer(struct source *src, size_t i, source_feed_fn feed, void *ctx,
		       struct err *e)
{
	struct ocidir *d = src->priv;
	struct stat st;
	char *buf;
	int fd = open_member(d, d->layers[i], &st, e), r = 0;

	if (fd < 0)
		return -1;
	if (!(buf = malloc(READ_CHUNK))) {
		close(fd);
		return err_set(e, ENOMEM, "read '%s'", d->layers[i]);
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = err_set(e, errno, "read '%s'", d->layers[i]);
		if (n <= 0 || (r = feed(ctx, buf, (size_t)n, e)) < 0)
			break;
	}
	free(buf);
	close(fd);
	return r;
}

static const struct source_ops ops = { .fetch_layer = fetch_layer, .close = ocidir_close };

int source_oci_dir_open(struct source *src, const struct imgref *ref,
			const struct source_opts *o, struct err *e)
{
	struct ocidir *d = calloc(1, sizeof *d);
	struct member_reader r = { d, member_read, member_size };
	struct archive_want w = { .oci = 1, .ref = ref->tag[0] ? ref->tag : NULL, .file = ref->file };

	if (!d)
		return err_set(e, ENOMEM, "open '%s'", ref->file);
	src->ops = &ops;
	src->priv = d;
	imgref_format_source(ref, src->img.source, sizeof src->img.source);
	d->dfd = open(ref->file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dfd < 0 && errno == ENOTDIR)
		return err_set(e, 0, "'%s' is not a directory: an OCI layout is one (an archive of "
			       "one is oci-archive:FILE)", ref->file);
	if (d->dfd < 0)
		return err_set(e, errno, "open '%s'", ref->file);
	if (archive_resolve(&r, &w, o, &src->img, &d->layers, e) < 0)
		return err_wrap(e, "'%s'", ref->file);
	d->nlayers = src->img.nlayers;
	return 0;
}
