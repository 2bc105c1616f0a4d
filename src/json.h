/* JSON reader (a full RFC 8259 validator over the jsmn tokeniser) and an
 * always-escaping writer.  json.c is the only file that includes jsmn.
 *
 * Reader
 * ------
 * json_parse() validates the whole document before anything can be read:
 * exactly one value (any kind, scalars included) surrounded by optional
 * whitespace; RFC 8259 numbers; exact literals; string escapes including
 * \uXXXX surrogate pairs (a lone surrogate is an error); no raw control
 * characters in strings; strings valid UTF-8 (no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF); nesting depth <= JSON_MAX_DEPTH;
 * at most max_tokens tokens (a token is a value or an object key), and at
 * most JSON_MAX_LEN bytes.  Errors read
 *     "invalid JSON at byte 123: expected ',' or '}'"
 * with a 0-based byte offset into the input.
 *
 * The struct json keeps its OWN COPY of the document: the caller's buffer
 * may be freed right after json_parse().  Free the result with json_free().
 *
 * Nodes are ints (token indices); -1 means "absent".  Every accessor accepts
 * -1, out-of-range indices and nodes of the wrong kind and answers "absent"
 * (-1 / 0 / NULL / JSON_ABSENT) instead of failing, so lookups chain:
 *     json_int64(j, json_get(j, json_get(j, root, "config"), "size"), &n)
 * json_at(), json_member() and json_count() are O(1); json_get() is linear
 * in the object's member count.
 *
 * Duplicate keys: json_get() returns the LAST member with that key, as Go's
 * encoding/json does -- runc, containerd and registries all decide with Go,
 * so a check we make (e.g. root.readonly) sees the value they will use.
 *
 * Writer
 * ------
 * struct jw appends to a struct buf; every string goes through json_escape().
 * Misuse (a value where a key is due, unbalanced ends, depth > 64, a second
 * top-level value), invalid UTF-8 in a string or key and an invalid jw_raw()
 * text set the sticky `bad` flag and make that call return -1; allocation
 * failure sets the buf's own sticky `oom`.  Write freely, then check once
 * with jw_finish(). */
#ifndef SC_JSON_H
#define SC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define JSON_MAX_DEPTH 64
/* Default token limit of json_parse(): about 28 MiB of index at most.  A
 * manifest or image config has a few hundred to a few thousand tokens. */
#define JSON_DEFAULT_MAX_TOKENS ((size_t)1 << 20)
/* Hard upper bound on the document size (jsmn keeps int offsets). */
#define JSON_MAX_LEN ((size_t)1 << 30)

struct json; /* opaque */

enum json_kind {
	JSON_ABSENT,
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* Validate and index buf[0..len) (no NUL terminator needed).  On success
 * *out owns a copy of the document; on failure *out is NULL and e says what
 * and where.  Uses JSON_DEFAULT_MAX_TOKENS. */
int json_parse(struct json **out, const char *buf, size_t len, struct err *e);
/* Same with an explicit token limit (0 means the default). */
int json_parse_limits(struct json **out, const char *buf, size_t len,
		      size_t max_tokens, struct err *e);
/* Validate only: no allocation, same rules and messages as json_parse(). */
int json_validate(const char *buf, size_t len, struct err *e);
/* NULL-safe. */
void json_free(struct json *j);

/* The top-level value (always 0 for a parsed document, -1 for j == NULL). */
int json_root(const struct json *j);
enum json_kind json_kind(const struct json *j, int node);
/* Value of member `key` (compared after unescaping) of an object, or -1. */
int json_get(const struct json *j, int obj, const char *key);
/* Follow a dot-separated chain of object keys from node: "a.b.c".  Keys
 * containing '.' cannot be reached this way; use json_get().  -1 if any
 * step is missing or not an object. */
int json_getpath(const struct json *j, int node, const char *path);
/* Elements of an array / members of an object; 0 for anything else. */
size_t json_count(const struct json *j, int node);
/* The i-th element of an array, or -1. */
int json_at(const struct json *j, int arr, size_t i);
/* The i-th member's value of an object, or -1; *key_node (if not NULL)
 * receives the key's node (a JSON_STRING), or -1. */
int json_member(const struct json *j, int obj, size_t i, int *key_node);

/* The unescaped string, malloc'd and NUL-terminated (caller frees).  NULL if
 * the node is not a string, on allocation failure, or when the string
 * contains U+0000 (it would be silently truncated as a C string). */
char *json_str(const struct json *j, int node);
/* 1 if node is a string whose unescaped value equals s, else 0. */
int json_str_eq(const struct json *j, int node, const char *s);
/* Integer numbers only (no fraction, no exponent) within int64_t range.
 * 0 on success, -1 otherwise (*out untouched). */
int json_int64(const struct json *j, int node, int64_t *out);
/* true/false into *out as 1/0.  0 on success, -1 if not a boolean. */
int json_bool(const struct json *j, int node, int *out);
/* The exact source text of any value (strings include their quotes), for
 * re-emitting with jw_raw() or hashing.  Not NUL-terminated; points into
 * j's copy and lives as long as j.  NULL (and *len = 0) if absent. */
const char *json_raw(const struct json *j, int node, size_t *len);

/* ---- writer ---- */

struct jw {
	struct buf *b;
	int pretty;     /* 2-space indentation, one member/element per line */
	int bad;        /* sticky: misuse or invalid input, see above */
	int depth;
	int want_value; /* a key was written, its value is due */
	int nvalues;    /* top-level values written */
	unsigned char lvl[JSON_MAX_DEPTH]; /* per open container: JW_* bits */
};

/* Start writing into b (appending after what b already holds). */
void jw_init(struct jw *w, struct buf *b, int pretty);
/* 0 when exactly one complete value was written without error, else -1.
 * Writes nothing (add a trailing newline yourself for files). */
int jw_finish(const struct jw *w);

/* Each returns 0, or -1 when it set w->bad or the buf is oom. */
int jw_begin_obj(struct jw *w);
int jw_end_obj(struct jw *w);
int jw_begin_arr(struct jw *w);
int jw_end_arr(struct jw *w);
int jw_key(struct jw *w, const char *k);
int jw_keyn(struct jw *w, const char *k, size_t n);
int jw_str(struct jw *w, const char *s);          /* s == NULL -> bad */
int jw_strn(struct jw *w, const char *s, size_t n); /* may contain NULs */
int jw_int(struct jw *w, int64_t v);
int jw_uint(struct jw *w, uint64_t v);
int jw_bool(struct jw *w, int v);
int jw_null(struct jw *w);
/* Insert one JSON value verbatim (e.g. from json_raw()).  It is validated
 * (json_validate) and refused as bad when invalid, so nothing can break out
 * of the document; pretty mode does not re-indent it. */
int jw_raw(struct jw *w, const char *text, size_t n);

/* Append the escaped form of s[0..n) WITHOUT surrounding quotes, for a
 * value landing inside an existing JSON string (template expansion).
 * Escapes '"', '\\', every byte < 0x20 (\b \f \n \r \t short forms, else
 * \u00XX), DEL as \u007f and U+2028/U+2029 (JavaScript line terminators).
 * Returns 0, or -1 when s is not valid UTF-8 (then nothing is appended) or
 * on oom. */
int json_escape(struct buf *b, const char *s, size_t n);

#endif
