/* Fuzz target "tar": the streaming tar reader on hostile bytes.
 *
 * Even-sized inputs first get a valid checksum in every 512-byte block, so
 * mutations get past the checksum into the fields behind it.  The input is
 * read three times: in one feed, in pseudo-random chunk sizes
 * (1..600 bytes, derived from the input), and with a callback that fails.
 * The first two must agree exactly (events, data, error text); every entry
 * must satisfy the promises of tar.h (normalised paths, bounded xattrs, data
 * totalling ent->size).  Any broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"

int fuzz_tar(const uint8_t *data, size_t size);

struct fz {
	uint64_t hash;          /* FNV-1a over every event */
	uint64_t want, got;     /* data promised / delivered for this entry */
	bool in_entry;
	size_t entries, fail_at;
};

static void mix(struct fz *f, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		f->hash = (f->hash ^ b[i]) * 0x100000001b3ull;
}

static void check_path(const char *p, bool root_ok)
{
	size_t n = strlen(p);

	if (!n && !root_ok)
		abort();
	if (n > TAR_MAX_PATH || !tar_utf8_valid(p, n))
		abort();
	if (n && (p[0] == '/' || p[n - 1] == '/' || strstr(p, "//")))
		abort();
	/* no "." or ".." component survives normalisation */
	for (const char *c = p; n; c = strchr(c, '/') + 1) {
		size_t cl = strcspn(c, "/");
		if ((cl == 1 && c[0] == '.') || (cl == 2 && !memcmp(c, "..", 2)))
			abort();
		if (!c[cl])
			break;
	}
}

static void check_entry(const struct tar_entry *ent)
{
	bool is_link = ent->type == TAR_SYMLINK || ent->type == TAR_HARDLINK;

	if ((unsigned)ent->type > TAR_FIFO || ent->mode > 07777)
		abort();
	check_path(ent->path, ent->type == TAR_DIR);
	if (is_link != (ent->link != NULL))
		abort();
	if (ent->type == TAR_HARDLINK)
		check_path(ent->link, false);
	if (ent->type == TAR_SYMLINK &&
	    (!ent->link[0] || !tar_utf8_valid(ent->link, strlen(ent->link))))
		abort();
	if (ent->type != TAR_REG && ent->size)
		abort();
	if (ent->nxattrs > TAR_MAX_XATTRS || (ent->nxattrs && !ent->xattrs))
		abort();
	for (size_t i = 0; i < ent->nxattrs; i++) {
		size_t nl = strlen(ent->xattrs[i].name);
		if (!nl || nl > TAR_MAX_XATTR_NAME ||
		    ent->xattrs[i].len > TAR_MAX_XATTR_VALUE)
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ent->xattrs[i].name, ent->xattrs[j].name))
				abort();
	}
}

static int on_entry(void *ctx, const struct tar_entry *ent, struct err *e)
{
	struct fz *f = ctx;

	if (f->in_entry)
		abort();
	check_entry(ent);
	if (++f->entries == f->fail_at)
		return err_set(e, 0, "injected failure");
	f->in_entry = true;
	f->want = ent->size;
	f->got = 0;
	mix(f, ent->path, strlen(ent->path) + 1);
	if (ent->link)
		mix(f, ent->link, strlen(ent->link) + 1);
	mix(f, &ent->type, sizeof ent->type);
	mix(f, &ent->mode, sizeof ent->mode);
	mix(f, &ent->uid, sizeof ent->uid);
	mix(f, &ent->gid, sizeof ent->gid);
	mix(f, &ent->size, sizeof ent->size);
	mix(f, &ent->devmajor, sizeof ent->devmajor);
	mix(f, &ent->devminor, sizeof ent->devminor);
	for (size_t i = 0; i < ent->nxattrs; i++) {
		mix(f, ent->xattrs[i].name, strlen(ent->xattrs[i].name) + 1);
		mix(f, ent->xattrs[i].value, ent->xattrs[i].len);
	}
	return 0;
}

static int on_data(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct fz *f = ctx;

	(void)e;
	if (!f->in_entry || !len || len > f->want - f->got)
		abort();
	f->got += len;
	mix(f, buf, len);
	return 0;
}

static int on_end(void *ctx, struct err *e)
{
	struct fz *f = ctx;

	(void)e;
	if (!f->in_entry || f->got != f->want)
		abort();
	f->in_entry = false;
	mix(f, "E", 1);
	return 0;
}

static const struct tar_callbacks cbs = { on_entry, on_data, on_end };

/* chunk == 0: one feed; else pseudo-random chunks seeded by chunk. */
static int run(const uint8_t *data, size_t size, uint32_t seed,
	struct fz *f, struct err *e)
{
	struct tar *t;
	size_t off = 0;
	int rc = 0;

	err_clear(e);
	if (tar_new(&t, &cbs, f, e))
		abort();
	while (off < size && !rc) {
		size_t n = size - off;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 600;
			if (n > size - off)
				n = size - off;
		}
		rc = tar_feed(t, data + off, n, e);
		off += n;
	}
	if (!rc)
		rc = tar_finish(t, e);
	if (rc) {
		struct err again;
		/* dead reader: same error forever */
		if (!e->msg[0] || tar_feed(t, "x", 1, &again) != -1 ||
		    strcmp(again.msg, e->msg) ||
		    tar_finish(t, &again) != -1 || strcmp(again.msg, e->msg))
			abort();
	} else if (f->in_entry) {
		abort();
	}
	tar_free(t);
	return rc;
}

/* Headers always start on a 512-byte boundary: give every non-zero block a
 * valid checksum so mutations reach the fields behind that gate. */
static void fix_checksums(uint8_t *p, size_t size)
{
	for (size_t off = 0; off + TAR_BLOCK <= size; off += TAR_BLOCK) {
		uint8_t *h = p + off;
		unsigned sum = 0;
		bool zero = true;

		for (size_t i = 0; i < TAR_BLOCK && zero; i++)
			zero = !h[i];
		if (zero)
			continue;
		memset(h + 148, ' ', 8);
		for (size_t i = 0; i < TAR_BLOCK; i++)
			sum += h[i];
		for (int i = 5; i >= 0; i--, sum >>= 3)
			h[148 + i] = (uint8_t)('0' + (sum & 7));
		h[154] = '\0';
	}
}

static void check(const uint8_t *data, size_t size)
{
	struct fz a = { 0 }, b = { 0 }, c = { 0 };
	struct err ea, eb, ec;
	int ra = run(data, size, 0, &a, &ea);
	int rb = run(data, size, (uint32_t)size * 2654435761u | 1, &b, &eb);

	if (ra != rb || a.hash != b.hash || a.entries != b.entries ||
	    (ra && strcmp(ea.msg, eb.msg)))
		abort();
	/* a callback error comes back unchanged */
	if (a.entries) {
		c.fail_at = 1 + size % a.entries;
		if (run(data, size, 0, &c, &ec) != -1 ||
		    strcmp(ec.msg, "injected failure"))
			abort();
	}
}

/* Odd sizes are read as they are (checksum failures included); even sizes,
 * like every real tar, with their checksums fixed first. */
int fuzz_tar(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size % 2 || !size) {
		check(data, size);
		return 0;
	}
	if (!(copy = malloc(size)))
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	check(copy, size);
	free(copy);
	return 0;
}
