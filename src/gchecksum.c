/* GLib's GChecksum for SHA-256 answered by our sha256.c (SHA-NI, ARMv8).
 *
 * libostree names every object by the SHA-256 GChecksum computes, and GLib
 * hashes in portable C: a third of a pull's user time.  The release link
 * passes -Wl,--wrap for each g_checksum_* function libostree calls, so its
 * calls land here; a SHA-256 checksum is ours, any other type (and any
 * checksum GLib makes for itself, inside gchecksum.c) stays GLib's.  The
 * digests are the same bytes either way; only the speed changes.  Where the
 * link does not wrap (the sanitizer build against Debian's shared GLib),
 * nothing calls these functions and GLib hashes as before.
 *
 * Ownership is GLib's: g_checksum_free() frees what g_checksum_new() and
 * g_checksum_copy() return, ours or GLib's. */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "sha256.h"

/* GLib's struct starts with its GChecksumType, a small enum: this tag can
 * never be one, so a checksum of ours is told from GLib's by its first word. */
#define OURS 0x53433235u

struct our_checksum {
	uint32_t tag;
	struct sha256 ctx;
	int closed;
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN + 1];
};

GChecksum *__real_g_checksum_new(GChecksumType type);
void __real_g_checksum_reset(GChecksum *c);
GChecksum *__real_g_checksum_copy(const GChecksum *c);
void __real_g_checksum_free(GChecksum *c);
void __real_g_checksum_update(GChecksum *c, const guchar *data, gssize len);
const gchar *__real_g_checksum_get_string(GChecksum *c);
void __real_g_checksum_get_digest(GChecksum *c, guint8 *buf, gsize *len);

GChecksum *__wrap_g_checksum_new(GChecksumType type);
void __wrap_g_checksum_reset(GChecksum *c);
GChecksum *__wrap_g_checksum_copy(const GChecksum *c);
void __wrap_g_checksum_free(GChecksum *c);
void __wrap_g_checksum_update(GChecksum *c, const guchar *data, gssize len);
const gchar *__wrap_g_checksum_get_string(GChecksum *c);
void __wrap_g_checksum_get_digest(GChecksum *c, guint8 *buf, gsize *len);

static struct our_checksum *ours(const GChecksum *c)
{
	struct our_checksum *o = (struct our_checksum *)c;
	return c && o->tag == OURS ? o : NULL;
}

GChecksum *__wrap_g_checksum_new(GChecksumType type)
{
	struct our_checksum *o;

	if (type != G_CHECKSUM_SHA256)
		return __real_g_checksum_new(type);
	o = g_new0(struct our_checksum, 1);
	o->tag = OURS;
	sha256_init(&o->ctx);
	return (GChecksum *)o;
}

void __wrap_g_checksum_reset(GChecksum *c)
{
	struct our_checksum *o = ours(c);

	if (!o) {
		__real_g_checksum_reset(c);
		return;
	}
	memset(o, 0, sizeof *o);
	o->tag = OURS;
	sha256_init(&o->ctx);
}

GChecksum *__wrap_g_checksum_copy(const GChecksum *c)
{
	struct our_checksum *o = ours(c);

	return o ? (GChecksum *)g_memdup2(o, sizeof *o) : __real_g_checksum_copy(c);
}

void __wrap_g_checksum_free(GChecksum *c)
{
	struct our_checksum *o = ours(c);

	if (!o) {
		__real_g_checksum_free(c);
		return;
	}
	explicit_bzero(o, sizeof *o);
	g_free(o);
}

void __wrap_g_checksum_update(GChecksum *c, const guchar *data, gssize len)
{
	struct our_checksum *o = ours(c);

	if (!o) {
		__real_g_checksum_update(c, data, len);
		return;
	}
	g_return_if_fail(len == 0 || data != NULL);
	g_return_if_fail(!o->closed);   /* GLib warns and ignores the bytes too */
	sha256_update(&o->ctx, data, len < 0 ? strlen((const char *)data) : (size_t)len);
}

static void close_ours(struct our_checksum *o)
{
	if (o->closed)
		return;
	sha256_final(&o->ctx, o->digest);
	sha256_hex(o->digest, o->hex);
	o->closed = 1;
}

const gchar *__wrap_g_checksum_get_string(GChecksum *c)
{
	struct our_checksum *o = ours(c);

	if (!o)
		return __real_g_checksum_get_string(c);
	close_ours(o);
	return o->hex;
}

void __wrap_g_checksum_get_digest(GChecksum *c, guint8 *buf, gsize *len)
{
	struct our_checksum *o = ours(c);

	if (!o) {
		__real_g_checksum_get_digest(c, buf, len);
		return;
	}
	g_return_if_fail(*len >= SHA256_DIGEST_LEN);
	close_ours(o);
	memcpy(buf, o->digest, SHA256_DIGEST_LEN);
	*len = SHA256_DIGEST_LEN;
}
