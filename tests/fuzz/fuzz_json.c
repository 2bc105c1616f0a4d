/* Fuzz targets for src/json.c and src/imgref.c.
 *
 * fuzz_json:   parse; on success walk every node through every accessor,
 *              re-emit the tree with the writer (compact and pretty), parse
 *              that again and require the same tree; check json_escape.
 * fuzz_imgref: parse; on success the source form must parse back to the
 *              same struct and the name must survive the OSTree encoding;
 *              also decode the input as an OSTree ref and re-encode it.
 * Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imgref.h"
#include "json.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* ---- json ---- */

/* Every accessor on one node; recursion follows the document, whose depth
 * the parser bounded to JSON_MAX_DEPTH. */
static void walk(const struct json *j, int node)
{
	enum json_kind k = json_kind(j, node);
	size_t i, n = json_count(j, node), len;
	const char *raw = json_raw(j, node, &len);
	int key, v, b;
	int64_t x;
	char *s, *ks;

	CHECK(k != JSON_ABSENT && raw && len > 0);
	switch (k) {
	case JSON_STRING:
		CHECK(raw[0] == '"' && raw[len - 1] == '"');
		s = json_str(j, node);
		if (s)
			CHECK(json_str_eq(j, node, s));
		free(s);
		break;
	case JSON_BOOL:
		CHECK(json_bool(j, node, &b) == 0 && b == (raw[0] == 't'));
		break;
	case JSON_NUMBER:
		if (json_int64(j, node, &x) == 0)
			CHECK(!memchr(raw, '.', len) && !memchr(raw, 'e', len) &&
			      !memchr(raw, 'E', len));
		break;
	case JSON_ARRAY:
		for (i = 0; i < n; i++)
			walk(j, json_at(j, node, i));
		CHECK(json_at(j, node, n) == -1);
		break;
	case JSON_OBJECT:
		for (i = 0; i < n; i++) {
			v = json_member(j, node, i, &key);
			CHECK(json_kind(j, key) == JSON_STRING);
			walk(j, v);
			ks = json_str(j, key);
			if (ks) {
				/* the last member with this key wins */
				v = json_get(j, node, ks);
				CHECK(v >= 0 && json_str_eq(j, v - 1, ks));
			}
			free(ks);
		}
		CHECK(json_member(j, node, n, &key) == -1 && key == -1);
		break;
	default:
		break;
	}
	if (k != JSON_ARRAY && k != JSON_OBJECT)
		CHECK(n == 0);
}

/* Re-emit node; returns -1 when a key holds U+0000 (no writer input for
 * that), so the caller skips the comparison. */
static int emit(const struct json *j, int node, struct jw *w)
{
	size_t i, len;
	const char *raw;
	char *s;
	int key, v, r = 0;

	switch (json_kind(j, node)) {
	case JSON_OBJECT:
		jw_begin_obj(w);
		for (i = 0; i < json_count(j, node) && r == 0; i++) {
			v = json_member(j, node, i, &key);
			s = json_str(j, key);
			if (!s)
				return -1;
			jw_key(w, s);
			free(s);
			r = emit(j, v, w);
		}
		jw_end_obj(w);
		return r;
	case JSON_ARRAY:
		jw_begin_arr(w);
		for (i = 0; i < json_count(j, node) && r == 0; i++)
			r = emit(j, json_at(j, node, i), w);
		jw_end_arr(w);
		return r;
	case JSON_STRING:
		s = json_str(j, node);
		if (s) {
			jw_str(w, s);
			free(s);
			return 0;
		}
		break;
	default:
		break;
	}
	raw = json_raw(j, node, &len);
	jw_raw(w, raw, len);
	return 0;
}

static int same(const struct json *a, int x, const struct json *b, int y)
{
	enum json_kind k = json_kind(a, x);
	size_t i, n = json_count(a, x), la, lb;
	const char *ra, *rb;
	char *sa, *sb;
	int ka, kb, r;

	if (k != json_kind(b, y) || n != json_count(b, y))
		return 0;
	switch (k) {
	case JSON_ARRAY:
		for (i = 0; i < n; i++)
			if (!same(a, json_at(a, x, i), b, json_at(b, y, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		for (i = 0; i < n; i++) {
			int va = json_member(a, x, i, &ka), vb = json_member(b, y, i, &kb);
			if (!same(a, ka, b, kb) || !same(a, va, b, vb))
				return 0;
		}
		return 1;
	case JSON_STRING:
		sa = json_str(a, x);
		sb = json_str(b, y);
		r = (!sa && !sb) || (sa && sb && strcmp(sa, sb) == 0);
		free(sa);
		free(sb);
		return r;
	default:
		ra = json_raw(a, x, &la);
		rb = json_raw(b, y, &lb);
		return la == lb && memcmp(ra, rb, la) == 0;
	}
}

static void round_trip(const struct json *j, int pretty)
{
	struct buf b;
	struct jw w;
	struct json *j2 = NULL;
	struct err e;

	buf_init(&b);
	jw_init(&w, &b, pretty);
	if (emit(j, json_root(j), &w) == 0) {
		CHECK(jw_finish(&w) == 0);
		CHECK(json_parse(&j2, b.data, b.len, &e) == 0);
		CHECK(same(j, json_root(j), j2, json_root(j2)));
		json_free(j2);
	}
	buf_free(&b);
}

/* Escape the raw input: valid UTF-8 must come back through the parser. */
static void escape_check(const uint8_t *data, size_t size)
{
	struct buf b;
	struct json *j = NULL;
	struct err e;
	char *s;

	buf_init(&b);
	buf_putc(&b, '"');
	if (json_escape(&b, (const char *)data, size) == 0) {
		buf_putc(&b, '"');
		CHECK(json_parse(&j, b.data, b.len, &e) == 0);
		s = json_str(j, json_root(j));
		if (!memchr(data, 0, size))
			CHECK(s && strlen(s) == size && memcmp(s, data, size) == 0);
		free(s);
		json_free(j);
	} else {
		CHECK(b.len == 1);
	}
	buf_free(&b);
}

int fuzz_json(const uint8_t *data, size_t size)
{
	struct json *j = NULL;
	struct err e, e2;
	int r;

	r = json_parse_limits(&j, (const char *)data, size, 4096, &e);
	if (r < 0) {
		/* the tokeniser must never disagree with the validator */
		CHECK(!strstr(e.msg, "disagrees"));
		CHECK(j == NULL);
	} else {
		CHECK(json_validate((const char *)data, size, &e2) == 0);
		CHECK(json_root(j) == 0);
		walk(j, json_root(j));
		round_trip(j, 0);
		round_trip(j, 1);
		json_free(j);
	}
	escape_check(data, size);
	return 0;
}

/* ---- imgref ---- */

static void imgref_invariants(const struct imgref *r)
{
	char name[IMGREF_FORMAT_MAX], enc[IMGREF_ENCODED_MAX], dec[IMGREF_FORMAT_MAX];
	char src[sizeof r->file + IMGREF_FORMAT_MAX + 16], sh[IMGREF_FORMAT_MAX];
	char def[65], full[IMGREF_FORMAT_MAX], pin[72];
	struct imgref r2;
	struct err e;
	size_t n, i;

	n = imgref_format(r, name, sizeof name);
	CHECK(n < sizeof name && n == strlen(name));
	CHECK(r->has_name == (n > 0));
	if (r->has_name) {
		CHECK(strlen(r->path) <= IMGREF_PATH_MAX && strlen(r->registry) < sizeof r->registry);
		CHECK(r->tag[0] || r->digest[0]);
	}
	n = imgref_format_source(r, src, sizeof src);
	CHECK(n < sizeof src);
	CHECK(imgref_parse(&r2, src, n, &e) == 0);
	CHECK(memcmp(r, &r2, sizeof r2) == 0);
	CHECK(imgref_encode_ostree(name, enc, sizeof enc) == 0);
	CHECK(imgref_decode_ostree(enc, dec, sizeof dec, &e) == 0);
	CHECK(strcmp(dec, name) == 0);
	CHECK(imgref_atomic_short(r, sh, sizeof sh) >= 0);
	CHECK(imgref_format_full(r, full, sizeof full) < sizeof full);
	/* a registry source read back pins its name exactly when it has a digest */
	if (r->transport == IMGREF_REGISTRY) {
		CHECK(imgref_pinned_digest(name, src, strlen(src), pin) == (r->digest[0] != '\0'));
		CHECK(strcmp(pin, r->digest) == 0);
	}
	imgref_default_name(r, def, sizeof def);
	for (i = 0; def[i]; i++)
		CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789_.-", def[i]));
	CHECK(!r->has_name || (def[0] && def[0] != '.' && def[0] != '-' && def[0] != '_'));
	(void)imgref_api_host(r);
}

int fuzz_imgref(const uint8_t *data, size_t size)
{
	struct imgref r;
	struct err e;
	char *s, enc[IMGREF_ENCODED_MAX], dec[IMGREF_FORMAT_MAX];

	if (imgref_parse(&r, (const char *)data, size, &e) == 0)
		imgref_invariants(&r);
	else
		CHECK(e.status == EXIT_USAGE &&
		      strncmp(e.msg, "invalid image reference '", 25) == 0);

	/* the input as an encoded OSTree ref: decode must be the exact inverse */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (imgref_decode_ostree(s, dec, sizeof dec, &e) == 0) {
		CHECK(imgref_encode_ostree(dec, enc, sizeof enc) == 0);
		CHECK(strcmp(enc, s) == 0);
	}
	free(s);
	return 0;
}
