/* Template syntax of the files in /exports (*.template), as Atomic
 * (Python's string.Template) reads it: $NAME or ${NAME} with NAME =
 * [A-Za-z_][A-Za-z0-9_]*, and $$ for a literal '$'.  Any other '$' is a
 * syntax error.  Pure: (buf, len), no I/O, no NUL terminator needed. */
#ifndef SC_TEMPLATE_H
#define SC_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum {
	TEMPLATE_MAX_NAME = 128,
	/* Distinct unknown names listed in an error; more end with ", ...". */
	TEMPLATE_MAX_UNKNOWN = 32,
};

/* Call fn for every variable reference, in order (duplicates included).
 * A syntax error names the byte offset. */
typedef int (*template_var_fn)(void *ctx, const char *name, size_t len, struct err *e);
int template_scan(const char *buf, size_t len, template_var_fn fn, void *ctx, struct err *e);

/* The value of variable name[0..len): return 1 and set *value to a
 * NUL-terminated string (NULL counts as ""), or 0 when the name is unknown.
 * The value must stay valid until template_expand() returns. */
typedef int (*template_lookup_fn)(void *ctx, const char *name, size_t len, const char **value);

/* Append the expansion of buf[0..len) to out.  `$$` becomes `$`.
 *
 * Every unknown variable is collected (deduplicated, in order of first use)
 * and the call fails with "unknown variable FOO" / "unknown variables FOO,
 * BAR"; the caller adds the file name.  Syntax errors are those of
 * template_scan() and come before any other error.
 *
 * json_mode (config.json.template): the template text is followed as JSON
 * text -- quotes, and backslash escapes inside strings -- and a value that
 * lands inside a string literal is JSON-escaped (json_escape: it can never
 * end the string), while a value outside strings is inserted raw, so
 * `"bounding": [ $ALL_PROCESS_CAPABILITIES ]` works.  State follows the
 * template text only, never the inserted values.  Refused in json_mode: a
 * variable right after a backslash inside a string (its first byte would
 * become part of an escape), a value inside a string that is not UTF-8.
 * The result is not validated here: the caller parses it.
 *
 * Returns 0, or -1 with e set; on failure out is left exactly as it was. */
int template_expand(const char *buf, size_t len, int json_mode, template_lookup_fn fn,
		    void *ctx, struct buf *out, struct err *e);

#endif
