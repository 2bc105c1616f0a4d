/* A reader for the part of TOML 1.0 that containers' registries.conf files
 * use: comments; bare, quoted and dotted keys; [table] and [[array of
 * tables]] headers; basic ("...", with escapes) and literal ('...') strings;
 * true/false; decimal integers; arrays (over several lines, trailing comma
 * allowed); one-line inline tables.  Refused, each naming its line:
 * multi-line strings, floats, dates and times, a key or table defined twice,
 * control characters, anything else that is not TOML.
 *
 * Strings and keys never hold a control character other than a tab, not
 * even escaped (\n, \u0001 are refused): every string may end up quoted
 * in a one-line message.
 *
 * Pure: toml_parse() reads buf[0..len) (no NUL needed), does no I/O and
 * enforces the limits below.  Errors read "line N: what" (the caller adds
 * the file name).
 *
 * Ownership: toml_parse() allocates one document; every node and string
 * belongs to it and lives until toml_free() (NULL is a no-op). */
#ifndef SC_TOML_H
#define SC_TOML_H

#include <stddef.h>

#include "err.h"

#define TOML_MAX_INPUT ((size_t)1 << 20) /* bytes of a document */
#define TOML_MAX_NODES 20000             /* keys, tables, values in all */
#define TOML_MAX_STRING 8192             /* bytes of one decoded string or key */
#define TOML_MAX_DEPTH 32                /* dotted-key parts and nesting */

enum toml_type { TOML_TABLE, TOML_ARRAY, TOML_STRING, TOML_BOOL, TOML_INT };

struct toml_node {
	enum toml_type type;
	unsigned line;               /* where the key, header or value was read */
	const char *key;             /* its name in the parent table; NULL for
	                                array items and the root */
	const char *str;             /* TOML_STRING: decoded, NUL-terminated
	                                (a string never contains NUL) */
	size_t len;                  /* TOML_STRING: bytes of str */
	int boolean;                 /* TOML_BOOL */
	long long integer;           /* TOML_INT */
	struct toml_node *child;     /* TABLE: members, ARRAY: items, in order */
	struct toml_node *next;      /* the next sibling */
	struct toml_node *last;      /* last child, for appending */
	unsigned flags;              /* the reader's own bookkeeping */
};

struct toml_doc;

int toml_parse(const char *buf, size_t len, struct toml_doc **out, struct err *e);
void toml_free(struct toml_doc *d);
/* The root table. */
const struct toml_node *toml_root(const struct toml_doc *d);
/* The member called key of a table, or NULL. */
const struct toml_node *toml_get(const struct toml_node *table, const char *key);
/* "string", "array", ... for messages. */
const char *toml_type_name(enum toml_type t);

#endif
