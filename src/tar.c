/* Streaming tar reader; see tar.h for the contract.
 *
 * The reader is a state machine over the byte stream:
 *   HEADER  collect 512 bytes, then dispatch on the type flag
 *   META    collect a pax ('x', 'g') or GNU long-name ('L', 'K') payload
 *   BODY    pass an entry's payload through (regular file) or skip it
 *   PAD     skip the padding up to the next 512-byte boundary
 *   END     after two zero blocks: accept only zero bytes
 * Pax and long-name values are kept until the entry they describe arrives;
 * global ('g') values until overridden.  Nothing else is buffered. */
#include "tar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Header layout (POSIX ustar; GNU and V7 share the fields up to linkname). */
enum {
	H_NAME = 0, H_NAME_LEN = 100,
	H_MODE = 100, H_UID = 108, H_GID = 116, H_ID_LEN = 8,
	H_SIZE = 124, H_SIZE_LEN = 12,
	H_CHKSUM = 148, H_CHKSUM_LEN = 8,
	H_TYPE = 156,
	H_LINK = 157, H_LINK_LEN = 100,
	H_MAGIC = 257,
	H_DEVMAJOR = 329, H_DEVMINOR = 337,
	H_PREFIX = 345, H_PREFIX_LEN = 155,
};

enum {
	SHOW_MAX = 256,     /* bytes of a name quoted in a message */
	WHAT_MAX = 320,     /* "entry '<name>'" */
};

enum state { ST_HEADER, ST_META, ST_BODY, ST_PAD, ST_END, ST_DONE, ST_ERROR };
enum format { FMT_V7, FMT_USTAR, FMT_GNU };

/* A pax value: absent, set, or (local header, empty value) explicitly
 * cleared so the header field applies even over a global value. */
enum { PAX_NONE, PAX_SET, PAX_CLEARED };

struct pax_str {
	char *s;        /* NUL-terminated copy; may hold anything but NUL */
	size_t len;
	int state;
};

struct pax_num {
	uint64_t v;
	int state;
};

struct pax_xattr {
	char *name;
	uint8_t *value;
	size_t len;
};

struct pax_set {
	struct pax_str path, link;
	struct pax_num size, uid, gid;
	struct pax_xattr xattrs[TAR_MAX_XATTRS];
	size_t nxattrs;
	size_t xattr_bytes;     /* sum of value lengths, <= TAR_MAX_META */
	bool sparse;            /* a GNU.sparse.* key was seen */
	bool seen;              /* local set: an 'x' header is pending */
};

struct tar {
	struct tar_callbacks cb;
	void *ctx;
	enum state st;
	struct err err;         /* sticky copy of the first error */
	uint64_t off;           /* stream bytes consumed so far */
	uint64_t hdr_off;       /* stream offset of the current header */

	uint8_t hdr[TAR_BLOCK];
	size_t hdr_fill;
	bool zero_seen;         /* the previous block was all zero */

	char meta_type;         /* 'x', 'g', 'L' or 'K' */
	uint8_t *meta;          /* grows as the payload arrives */
	size_t meta_cap, meta_len, meta_fill;

	uint64_t body_size, body_left;
	bool body_deliver;      /* regular file: hand to ->data, else skip */
	uint64_t pad_left;

	struct pax_set global, local;
	struct pax_str longname, longlink;

	char what[WHAT_MAX];    /* what messages name: "entry 'x'" */
	char hname[H_PREFIX_LEN + 1 + H_NAME_LEN + 1];
	size_t hname_len;
	char path[TAR_MAX_PATH + 1], link[TAR_MAX_PATH + 1];
	struct tar_xattr xv[TAR_MAX_XATTRS];
};

/* ---- small pure helpers ---- */

static size_t min_sz(size_t a, uint64_t b)
{
	return (uint64_t)a < b ? a : (size_t)b;
}

static uint64_t pad_of(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

bool tar_utf8_valid(const void *buf, size_t len)
{
	return text_utf8_valid(buf, len);
}

/* A hostile name for a message: quotes and backslashes escaped too, so a
 * name cannot forge the rest of the message.  Long names end in "...". */
static void show(char *out, size_t outsz, const void *buf, size_t len)
{
	text_escape(out, outsz, buf, len, TEXT_QUOTE);
}

static void set_what(struct tar *t, const char *kind, const char *s,
	size_t len)
{
	char buf[SHOW_MAX];

	show(buf, sizeof buf, s, len);
	snprintf(t->what, sizeof t->what, "%s '%s'", kind, buf);
}

/* A header number: octal (leading spaces/NULs, then digits, then only
 * spaces/NULs; empty means 0) or GNU base-256 (high bit set, negative
 * values refused).  Fails when malformed or above max. */
static int parse_num(const uint8_t *f, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] & 0x40)
			return -1;
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v > max >> 8)
				return -1;
			v = v << 8 | f[i];
		}
		if (v > max)
			return -1;
		*out = v;
		return 0;
	}
	while (i < n && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > max >> 3)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
		if (v > max)
			return -1;
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

/* Old tools summed signed chars; accept either sum. */
static bool checksum_ok(const uint8_t *h)
{
	uint64_t stored, usum = 0;
	int64_t ssum = 0;

	if (parse_num(h + H_CHKSUM, H_CHKSUM_LEN, UINT32_MAX, &stored) ||
	    (h[H_CHKSUM] & 0x80))
		return false;
	for (size_t i = 0; i < TAR_BLOCK; i++) {
		unsigned c = i >= H_CHKSUM && i < H_CHKSUM + H_CHKSUM_LEN ?
			' ' : h[i];
		usum += c;
		ssum += c < 128 ? (int64_t)c : (int64_t)c - 256;
	}
	return stored == usum || (int64_t)stored == ssum;
}

static enum format header_format(const uint8_t *h)
{
	if (!memcmp(h + H_MAGIC, "ustar\0", 6))
		return FMT_USTAR;
	if (!memcmp(h + H_MAGIC, "ustar  \0", 8))
		return FMT_GNU;
	return FMT_V7;
}

static size_t field_len(const uint8_t *f, size_t n)
{
	const uint8_t *z = memchr(f, 0, n);
	return z ? (size_t)(z - f) : n;
}

/* prefix "/" name; only POSIX ustar has a prefix (GNU keeps times there). */
static size_t header_name(const uint8_t *h, enum format fmt, char *out)
{
	size_t nl = field_len(h + H_NAME, H_NAME_LEN), pl = 0, o = 0;

	if (fmt == FMT_USTAR)
		pl = field_len(h + H_PREFIX, H_PREFIX_LEN);
	if (pl) {
		memcpy(out, h + H_PREFIX, pl);
		out[pl] = '/';
		o = pl + 1;
	}
	memcpy(out + o, h + H_NAME, nl);
	o += nl;
	out[o] = '\0';
	return o;
}

int tar_normalize_path(const char *in, size_t len, char *out, size_t outsz,
	struct err *e)
{
	size_t i = 0, o = 0;

	if (len == 0)
		return err_set(e, 0, "empty path");
	if (outsz == 0 || len > outsz - 1)
		return err_set(e, 0, "path longer than %zu bytes",
			outsz ? outsz - 1 : 0);
	if (memchr(in, 0, len))
		return err_set(e, 0, "path contains a NUL byte");
	while (i < len) {
		size_t j = i, cl;

		while (j < len && in[j] != '/')
			j++;
		cl = j - i;
		if (cl == 0 || (cl == 1 && in[i] == '.')) {
			/* "//", "./", leading or trailing "/" */
		} else if (cl == 2 && in[i] == '.' && in[i + 1] == '.') {
			if (o == 0)
				return err_set(e, 0, "path escapes the layer root");
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o)
				out[o++] = '/';
			memcpy(out + o, in + i, cl);
			o += cl;
		}
		i = j + 1;
	}
	out[o] = '\0';
	return 0;
}

/* ---- pax values ---- */

static void str_clear(struct pax_str *s)
{
	free(s->s);
	s->s = NULL;
	s->len = 0;
	s->state = PAX_NONE;
}

static int str_set(struct pax_str *s, const uint8_t *v, size_t len,
	struct err *e)
{
	char *c = malloc(len + 1);

	if (!c)
		return err_set(e, ENOMEM, "allocate tar name");
	if (len)        /* v may be NULL for an empty payload */
		memcpy(c, v, len);
	c[len] = '\0';
	str_clear(s);
	s->s = c;
	s->len = len;
	s->state = PAX_SET;
	return 0;
}

static void set_clear(struct pax_set *set)
{
	str_clear(&set->path);
	str_clear(&set->link);
	for (size_t i = 0; i < set->nxattrs; i++) {
		free(set->xattrs[i].name);
		free(set->xattrs[i].value);
	}
	memset(set, 0, sizeof *set);
}

static bool key_is(const uint8_t *k, size_t kl, const char *s)
{
	return kl == strlen(s) && !memcmp(k, s, kl);
}

static bool key_starts(const uint8_t *k, size_t kl, const char *s)
{
	return kl >= strlen(s) && !memcmp(k, s, strlen(s));
}

/* An empty value deletes a global key and, in a local header, makes the
 * header field apply (POSIX pax semantics). */
static int pax_str_value(struct tar *t, struct pax_str *s, bool global,
	const uint8_t *v, size_t vl, struct err *e)
{
	if (vl == 0) {
		str_clear(s);
		s->state = global ? PAX_NONE : PAX_CLEARED;
		return 0;
	}
	if (memchr(v, 0, vl))
		return err_set(e, 0, "%s: path value contains a NUL byte",
			t->what);
	return str_set(s, v, vl, e);
}

static int pax_num_value(struct tar *t, struct pax_num *n, bool global,
	const char *key, uint64_t max, const uint8_t *v, size_t vl,
	struct err *e)
{
	uint64_t x = 0;

	if (vl == 0) {
		n->state = global ? PAX_NONE : PAX_CLEARED;
		return 0;
	}
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (max - (v[i] - '0')) / 10)
			return err_set(e, 0, "%s: invalid %s value", t->what,
				key);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	n->v = x;
	n->state = PAX_SET;
	return 0;
}

static int pax_xattr_value(struct tar *t, struct pax_set *set,
	const uint8_t *name, size_t nl, const uint8_t *v, size_t vl,
	struct err *e)
{
	char shown[SHOW_MAX];
	struct pax_xattr *x = NULL;
	uint8_t *copy;
	size_t old = 0;

	show(shown, sizeof shown, name, nl);
	if (nl == 0 || memchr(name, 0, nl))
		return err_set(e, 0, "%s: invalid xattr name '%s'", t->what,
			shown);
	if (nl > TAR_MAX_XATTR_NAME)
		return err_set(e, 0, "%s: xattr name '%s' longer than the "
			"limit of %d bytes", t->what, shown, TAR_MAX_XATTR_NAME);
	if (vl > TAR_MAX_XATTR_VALUE)
		return err_set(e, 0, "%s: xattr '%s' value of %zu bytes exceeds "
			"the limit of %d bytes", t->what, shown, vl,
			TAR_MAX_XATTR_VALUE);
	for (size_t i = 0; i < set->nxattrs && !x; i++)
		if (strlen(set->xattrs[i].name) == nl &&
		    !memcmp(set->xattrs[i].name, name, nl))
			x = &set->xattrs[i];
	if (x)
		old = x->len;
	else if (set->nxattrs == TAR_MAX_XATTRS)
		return err_set(e, 0, "%s: more than the limit of %d xattrs",
			t->what, TAR_MAX_XATTRS);
	if (set->xattr_bytes - old + vl > TAR_MAX_META)
		return err_set(e, 0, "%s: xattr values exceed the limit of %d "
			"bytes", t->what, TAR_MAX_META);
	if (!(copy = malloc(vl ? vl : 1)))
		return err_set(e, ENOMEM, "allocate xattr");
	memcpy(copy, v, vl);
	if (!x) {
		x = &set->xattrs[set->nxattrs];
		if (!(x->name = strndup((const char *)name, nl))) {
			free(copy);
			return err_set(e, ENOMEM, "allocate xattr");
		}
		set->nxattrs++;
	}
	free(x->value);
	x->value = copy;
	x->len = vl;
	set->xattr_bytes = set->xattr_bytes - old + vl;
	return 0;
}

static int pax_apply(struct tar *t, struct pax_set *set, bool global,
	const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
	struct err *e)
{
	static const char xattr[] = "SCHILY.xattr.";

	if (key_is(k, kl, "path"))
		return pax_str_value(t, &set->path, global, v, vl, e);
	if (key_is(k, kl, "linkpath"))
		return pax_str_value(t, &set->link, global, v, vl, e);
	if (key_is(k, kl, "size"))
		return pax_num_value(t, &set->size, global, "size", INT64_MAX,
			v, vl, e);
	if (key_is(k, kl, "uid"))
		return pax_num_value(t, &set->uid, global, "uid", UINT32_MAX,
			v, vl, e);
	if (key_is(k, kl, "gid"))
		return pax_num_value(t, &set->gid, global, "gid", UINT32_MAX,
			v, vl, e);
	if (key_starts(k, kl, xattr))
		return pax_xattr_value(t, set, k + sizeof xattr - 1,
			kl - (sizeof xattr - 1), v, vl, e);
	if (key_starts(k, kl, "GNU.sparse."))
		set->sparse = true;
	/* uname, gname, times, charset, comment, vendor keys: ignored */
	return 0;
}

/* One record "LEN KEY=VALUE\n" at p[0..len); LEN counts the whole record.
 * Stores the record length in *rl. */
static int pax_record(struct tar *t, struct pax_set *set, bool global,
	const uint8_t *p, size_t len, size_t at, size_t *rl, struct err *e)
{
	const uint8_t *k, *eq;
	size_t i = 0, n = 0;

	if (p[0] < '1' || p[0] > '9')
		return err_set(e, 0, "%s: bad record length at byte %zu",
			t->what, at);
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		n = n * 10 + (size_t)(p[i] - '0');
		if (n > len)
			return err_set(e, 0, "%s: record at byte %zu overruns "
				"the header", t->what, at);
	}
	if (i >= len || p[i] != ' ' || n < i + 3)
		return err_set(e, 0, "%s: bad record length at byte %zu",
			t->what, at);
	if (p[n - 1] != '\n')
		return err_set(e, 0, "%s: record at byte %zu does not end "
			"where its length says", t->what, at);
	k = p + i + 1;
	eq = memchr(k, '=', (size_t)(p + n - 1 - k));
	if (!eq || eq == k)
		return err_set(e, 0, "%s: record at byte %zu has no key",
			t->what, at);
	*rl = n;
	return pax_apply(t, set, global, k, (size_t)(eq - k), eq + 1,
		(size_t)(p + n - 1 - (eq + 1)), e);
}

/* Trailing NUL bytes after the last record are tolerated (some writers
 * pad); anything else must be a well-formed record. */
static int pax_parse(struct tar *t, struct pax_set *set, bool global,
	struct err *e)
{
	size_t pos = 0, rl = 0;

	while (pos < t->meta_len) {
		if (t->meta[pos] == 0) {
			if (!all_zero(t->meta + pos, t->meta_len - pos))
				return err_set(e, 0, "%s: garbage after the "
					"last record", t->what);
			break;
		}
		if (pax_record(t, set, global, t->meta + pos,
			t->meta_len - pos, pos, &rl, e))
			return -1;
		pos += rl;
	}
	return 0;
}

/* ---- stream states ---- */

static bool meta_pending(const struct tar *t)
{
	return t->local.seen || t->longname.state || t->longlink.state;
}

static void start_pad(struct tar *t, uint64_t size)
{
	t->pad_left = pad_of(size);
	t->st = t->pad_left ? ST_PAD : ST_HEADER;
}

static int end_meta(struct tar *t, struct err *e)
{
	const uint8_t *z;
	size_t n;
	int r;

	switch (t->meta_type) {
	case 'x':
		t->local.seen = true;
		r = pax_parse(t, &t->local, false, e);
		break;
	case 'g':
		r = pax_parse(t, &t->global, true, e);
		break;
	default:        /* GNU long name/link: NUL-terminated */
		z = t->meta_len ? memchr(t->meta, 0, t->meta_len) : NULL;
		n = z ? (size_t)(z - t->meta) : t->meta_len;
		r = str_set(t->meta_type == 'L' ? &t->longname : &t->longlink,
			t->meta, n, e);
	}
	if (r)
		return -1;
	start_pad(t, t->meta_len);
	return 0;
}

static int start_meta(struct tar *t, char type, struct err *e)
{
	const char *kind = type == 'x' ? "pax header" :
		type == 'g' ? "pax global header" :
		type == 'L' ? "GNU long name header" : "GNU long link header";
	uint64_t size;

	set_what(t, kind, t->hname, t->hname_len);
	if (parse_num(t->hdr + H_SIZE, H_SIZE_LEN, INT64_MAX, &size))
		return err_set(e, 0, "%s: invalid size field", t->what);
	if (size > TAR_MAX_META)
		return err_set(e, 0, "%s: size %llu exceeds the limit of %d "
			"bytes", t->what, (unsigned long long)size, TAR_MAX_META);
	if ((type == 'x' && t->local.seen) ||
	    (type == 'L' && t->longname.state) ||
	    (type == 'K' && t->longlink.state))
		return err_set(e, 0, "%s: a second one before the same entry",
			t->what);
	t->meta_type = type;
	t->meta_len = (size_t)size;
	t->meta_fill = 0;
	t->st = ST_META;
	return size ? 0 : end_meta(t, e);
}

static int step_meta(struct tar *t, const uint8_t *p, size_t len,
	size_t *used, struct err *e)
{
	size_t n = min_sz(len, t->meta_len - t->meta_fill);
	size_t need = t->meta_fill + n;

	/* Grow with what arrives, so a claimed size costs nothing until
	 * the bytes are really there. */
	if (need > t->meta_cap) {
		size_t cap = t->meta_cap ? t->meta_cap * 2 : 4096;
		uint8_t *m;

		if (cap < need)
			cap = need;
		if (cap > t->meta_len)
			cap = t->meta_len;
		if (!(m = realloc(t->meta, cap)))
			return err_set(e, ENOMEM, "%s: allocate", t->what);
		t->meta = m;
		t->meta_cap = cap;
	}
	memcpy(t->meta + t->meta_fill, p, n);
	t->meta_fill = need;
	*used = n;
	return t->meta_fill == t->meta_len ? end_meta(t, e) : 0;
}

static int end_body(struct tar *t, struct err *e)
{
	if (t->cb.entry_end && t->cb.entry_end(t->ctx, e))
		return -1;
	start_pad(t, t->body_size);
	return 0;
}

static int step_body(struct tar *t, const uint8_t *p, size_t len,
	size_t *used, struct err *e)
{
	size_t n = min_sz(len, t->body_left);

	*used = n;
	t->body_left -= n;
	if (t->body_deliver && t->cb.data && t->cb.data(t->ctx, p, n, e))
		return -1;
	return t->body_left ? 0 : end_body(t, e);
}

/* ---- entries ---- */

/* Local pax beats GNU long names beats global pax beats the header. */
static const struct pax_str *pick_str(const struct pax_str *local,
	const struct pax_str *gnu, const struct pax_str *global)
{
	if (local->state == PAX_SET)
		return local;
	if (gnu->state == PAX_SET)
		return gnu;
	if (local->state == PAX_NONE && global->state == PAX_SET)
		return global;
	return NULL;
}

static int pick_num(struct tar *t, const struct pax_num *local,
	const struct pax_num *global, size_t off, size_t flen, uint64_t max,
	const char *field, uint64_t *out, struct err *e)
{
	if (local->state == PAX_SET) {
		*out = local->v;
		return 0;
	}
	if (local->state == PAX_NONE && global->state == PAX_SET) {
		*out = global->v;
		return 0;
	}
	if (parse_num(t->hdr + off, flen, max, out))
		return err_set(e, 0, "%s: invalid %s field", t->what, field);
	return 0;
}

static int entry_type(char tf, const char *name, size_t len,
	enum tar_type *type)
{
	switch (tf) {
	case '0':
	case '\0':
		/* old tools mark directories by a trailing slash only */
		*type = len && name[len - 1] == '/' ? TAR_DIR : TAR_REG;
		return 0;
	case '7': *type = TAR_REG; return 0;
	case '1': *type = TAR_HARDLINK; return 0;
	case '2': *type = TAR_SYMLINK; return 0;
	case '3': *type = TAR_CHR; return 0;
	case '4': *type = TAR_BLK; return 0;
	case '5': *type = TAR_DIR; return 0;
	case '6': *type = TAR_FIFO; return 0;
	}
	return -1;
}

static int check_name(struct tar *t, const char *s, size_t len,
	const char *field, struct err *e)
{
	if (len == 0)
		return err_set(e, 0, "%s: empty %s", t->what, field);
	if (len > TAR_MAX_PATH)
		return err_set(e, 0, "%s: %s longer than the limit of %d bytes",
			t->what, field, TAR_MAX_PATH);
	if (memchr(s, 0, len))
		return err_set(e, 0, "%s: %s contains a NUL byte", t->what,
			field);
	if (!tar_utf8_valid(s, len))
		return err_set(e, 0, "%s: %s is not valid UTF-8", t->what,
			field);
	return 0;
}

static int entry_link(struct tar *t, struct tar_entry *ent, struct err *e)
{
	const struct pax_str *lp = pick_str(&t->local.link, &t->longlink,
		&t->global.link);
	const char *raw = lp ? lp->s : (const char *)t->hdr + H_LINK;
	size_t len = lp ? lp->len : field_len(t->hdr + H_LINK, H_LINK_LEN);
	char shown[SHOW_MAX];

	if (check_name(t, raw, len, "link target", e))
		return -1;
	if (ent->type == TAR_SYMLINK) {
		memcpy(t->link, raw, len);
		t->link[len] = '\0';
	} else {
		show(shown, sizeof shown, raw, len);
		if (tar_normalize_path(raw, len, t->link, sizeof t->link, e))
			return err_wrap(e, "%s: hardlink target '%s'", t->what,
				shown);
		if (!t->link[0])
			return err_set(e, 0, "%s: hardlink target '%s' is the "
				"layer root", t->what, shown);
	}
	ent->link = t->link;
	return 0;
}

static int entry_numbers(struct tar *t, enum format fmt,
	struct tar_entry *ent, uint64_t *size, struct err *e)
{
	uint64_t v;

	if (parse_num(t->hdr + H_MODE, H_ID_LEN, UINT32_MAX, &v))
		return err_set(e, 0, "%s: invalid mode field", t->what);
	ent->mode = (uint32_t)v & 07777;
	if (pick_num(t, &t->local.uid, &t->global.uid, H_UID, H_ID_LEN,
		UINT32_MAX, "uid", &v, e))
		return -1;
	ent->uid = (uint32_t)v;
	if (pick_num(t, &t->local.gid, &t->global.gid, H_GID, H_ID_LEN,
		UINT32_MAX, "gid", &v, e))
		return -1;
	ent->gid = (uint32_t)v;
	if (pick_num(t, &t->local.size, &t->global.size, H_SIZE, H_SIZE_LEN,
		INT64_MAX, "size", size, e))
		return -1;
	ent->size = ent->type == TAR_REG ? *size : 0;
	if ((ent->type == TAR_CHR || ent->type == TAR_BLK) && fmt != FMT_V7) {
		if (parse_num(t->hdr + H_DEVMAJOR, H_ID_LEN, UINT32_MAX, &v))
			return err_set(e, 0, "%s: invalid devmajor field",
				t->what);
		ent->devmajor = (uint32_t)v;
		if (parse_num(t->hdr + H_DEVMINOR, H_ID_LEN, UINT32_MAX, &v))
			return err_set(e, 0, "%s: invalid devminor field",
				t->what);
		ent->devminor = (uint32_t)v;
	}
	return 0;
}

/* Global xattrs, overridden by name by the entry's own. */
static int entry_xattrs(struct tar *t, struct tar_entry *ent, struct err *e)
{
	size_t n = 0;

	for (size_t i = 0; i < t->global.nxattrs; i++) {
		const struct pax_xattr *x = &t->global.xattrs[i];
		t->xv[n++] = (struct tar_xattr){ x->name, x->value, x->len };
	}
	for (size_t i = 0; i < t->local.nxattrs; i++) {
		const struct pax_xattr *x = &t->local.xattrs[i];
		size_t j = 0;

		while (j < n && strcmp(t->xv[j].name, x->name))
			j++;
		if (j == n && n == TAR_MAX_XATTRS)
			return err_set(e, 0, "%s: more than the limit of %d "
				"xattrs", t->what, TAR_MAX_XATTRS);
		t->xv[j] = (struct tar_xattr){ x->name, x->value, x->len };
		if (j == n)
			n++;
	}
	ent->nxattrs = n;
	ent->xattrs = n ? t->xv : NULL;
	return 0;
}

/* Build and deliver the entry; its pending pax/long-name values are used
 * up.  The body (data or skipped payload) follows. */
static int on_entry(struct tar *t, enum format fmt, struct err *e)
{
	struct tar_entry ent = { 0 };
	const struct pax_str *pp = pick_str(&t->local.path, &t->longname,
		&t->global.path);
	const char *raw = pp ? pp->s : t->hname;
	size_t len = pp ? pp->len : t->hname_len;
	char tf = (char)t->hdr[H_TYPE], shown[8];
	uint64_t size;

	set_what(t, "entry", raw, len);
	if (tf == 'S' || t->local.sparse || t->global.sparse)
		return err_set(e, 0, "%s: GNU sparse files are not supported",
			t->what);
	if (entry_type(tf, raw, len, &ent.type)) {
		show(shown, sizeof shown, &tf, 1);
		return err_set(e, 0, "%s: unsupported entry type '%s'",
			t->what, shown);
	}
	if (check_name(t, raw, len, "name", e))
		return -1;
	if (tar_normalize_path(raw, len, t->path, sizeof t->path, e))
		return err_wrap(e, "%s", t->what);
	if (!t->path[0] && ent.type != TAR_DIR)
		return err_set(e, 0, "%s: names the layer root but is not a "
			"directory", t->what);
	ent.path = t->path;
	if ((ent.type == TAR_SYMLINK || ent.type == TAR_HARDLINK) &&
	    entry_link(t, &ent, e))
		return -1;
	if (entry_numbers(t, fmt, &ent, &size, e) ||
	    entry_xattrs(t, &ent, e))
		return -1;
	/* Go's reader (Docker, containerd) reads no payload for these types
	 * and would take it for the next header: refuse rather than parse the
	 * layer differently from them. */
	if (ent.type != TAR_REG && size)
		return err_set(e, 0, "%s: a non-regular entry may not carry data "
			"(%llu bytes)", t->what, (unsigned long long)size);
	if (t->cb.entry && t->cb.entry(t->ctx, &ent, e))
		return -1;
	set_clear(&t->local);
	str_clear(&t->longname);
	str_clear(&t->longlink);
	t->body_size = t->body_left = size;
	t->body_deliver = ent.type == TAR_REG;
	t->st = ST_BODY;
	return size ? 0 : end_body(t, e);
}

static int on_zero_block(struct tar *t, struct err *e)
{
	if (meta_pending(t))
		return err_set(e, 0, "tar stream: end-of-archive marker at "
			"offset %llu right after a pax or GNU long-name header",
			(unsigned long long)t->hdr_off);
	if (t->zero_seen)
		t->st = ST_END;
	t->zero_seen = true;
	return 0;
}

static int on_header(struct tar *t, struct err *e)
{
	const uint8_t *h = t->hdr;
	enum format fmt;

	if (all_zero(h, TAR_BLOCK))
		return on_zero_block(t, e);
	/* Readers disagree on what a lone zero block means (GNU tar stops,
	 * Go fails): refuse rather than guess. */
	if (t->zero_seen)
		return err_set(e, 0, "tar stream: header at offset %llu after "
			"a lone zero block", (unsigned long long)t->hdr_off);
	fmt = header_format(h);
	t->hname_len = header_name(h, fmt, t->hname);
	set_what(t, "entry", t->hname, t->hname_len);
	if (!checksum_ok(h))
		/* A header failing its checksum has no name worth showing. */
		return err_set(e, 0, "tar stream: header checksum mismatch at "
			"offset %llu", (unsigned long long)t->hdr_off);
	switch (h[H_TYPE]) {
	case 'x':
	case 'g':
	case 'L':
	case 'K':
		return start_meta(t, (char)h[H_TYPE], e);
	}
	return on_entry(t, fmt, e);
}

static int step_header(struct tar *t, const uint8_t *p, size_t len,
	size_t *used, struct err *e)
{
	size_t n = min_sz(len, TAR_BLOCK - t->hdr_fill);

	if (t->hdr_fill == 0)
		t->hdr_off = t->off;
	memcpy(t->hdr + t->hdr_fill, p, n);
	t->hdr_fill += n;
	*used = n;
	if (t->hdr_fill < TAR_BLOCK)
		return 0;
	t->hdr_fill = 0;
	return on_header(t, e);
}

static int step_end(struct tar *t, const uint8_t *p, size_t len,
	size_t *used, struct err *e)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return err_set(e, 0, "tar stream: non-zero data at "
				"offset %llu after the end-of-archive marker",
				(unsigned long long)(t->off + i));
	*used = len;
	return 0;
}

/* ---- public API ---- */

int tar_new(struct tar **out, const struct tar_callbacks *cb, void *ctx,
	struct err *e)
{
	struct tar *t = calloc(1, sizeof *t);

	if (!t)
		return err_set(e, ENOMEM, "allocate tar reader");
	if (cb)
		t->cb = *cb;
	t->ctx = ctx;
	t->st = ST_HEADER;
	*out = t;
	return 0;
}

static int fail(struct tar *t, struct err *e)
{
	t->err = *e;
	t->st = ST_ERROR;
	return -1;
}

static int replay(const struct tar *t, struct err *e)
{
	*e = t->err;
	return -1;
}

int tar_feed(struct tar *t, const void *buf, size_t len, struct err *e)
{
	const uint8_t *p = buf;

	if (t->st == ST_ERROR)
		return replay(t, e);
	if (t->st == ST_DONE && len) {
		err_set(e, 0, "tar stream: data after the end of input");
		return fail(t, e);
	}
	while (len) {
		size_t used = 0;
		int r;

		switch (t->st) {
		case ST_HEADER: r = step_header(t, p, len, &used, e); break;
		case ST_META: r = step_meta(t, p, len, &used, e); break;
		case ST_BODY: r = step_body(t, p, len, &used, e); break;
		case ST_PAD:
			used = min_sz(len, t->pad_left);
			t->pad_left -= used;
			if (!t->pad_left)
				t->st = ST_HEADER;
			r = 0;
			break;
		default: r = step_end(t, p, len, &used, e); break;
		}
		t->off += used;
		p += used;
		len -= used;
		if (r)
			return fail(t, e);
	}
	return 0;
}

uint64_t tar_skippable(const struct tar *t)
{
	if (t->st == ST_BODY)
		return t->body_left + pad_of(t->body_size);
	if (t->st == ST_PAD)
		return t->pad_left;
	return 0;
}

int tar_skip(struct tar *t, uint64_t n, struct err *e)
{
	if (t->st == ST_ERROR)
		return replay(t, e);
	if (n != tar_skippable(t)) {
		err_set(e, 0, "tar stream: skip of %llu bytes at offset %llu is not "
			"the rest of the entry", (unsigned long long)n,
			(unsigned long long)t->off);
		return fail(t, e);
	}
	if (t->st == ST_BODY) {
		t->body_left = 0;
		if (end_body(t, e))
			return fail(t, e);
	}
	t->pad_left = 0;
	t->st = ST_HEADER;
	t->off += n;
	return 0;
}

int tar_finish(struct tar *t, struct err *e)
{
	uint64_t left = 0;

	switch (t->st) {
	case ST_ERROR:
		return replay(t, e);
	case ST_DONE:
	case ST_END:
		break;
	case ST_HEADER:
		if (t->hdr_fill) {
			err_set(e, 0, "truncated tar header at offset %llu "
				"(%zu of %d bytes)",
				(unsigned long long)t->hdr_off, t->hdr_fill,
				TAR_BLOCK);
			return fail(t, e);
		}
		if (meta_pending(t)) {
			err_set(e, 0, "truncated tar: stream ends right after "
				"a pax or GNU long-name header");
			return fail(t, e);
		}
		break;
	case ST_META:
		left = t->meta_len - t->meta_fill + pad_of(t->meta_len);
		break;
	case ST_BODY:
		left = t->body_left + pad_of(t->body_size);
		break;
	case ST_PAD:
		left = t->pad_left;
		break;
	}
	if (left) {
		err_set(e, 0, "truncated tar: %s ends %llu bytes early",
			t->what, (unsigned long long)left);
		return fail(t, e);
	}
	t->st = ST_DONE;
	return 0;
}

void tar_free(struct tar *t)
{
	if (!t)
		return;
	set_clear(&t->global);
	set_clear(&t->local);
	str_clear(&t->longname);
	str_clear(&t->longlink);
	free(t->meta);
	free(t);
}
