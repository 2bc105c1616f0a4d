/* Template syntax of the files in /exports (*.template), as Atomic
 * (Python's string.Template) reads it: $NAME or ${NAME} with NAME =
 * [A-Za-z_][A-Za-z0-9_]*, and $$ for a literal '$'.  Any other '$' is a syntax error.  Pure: (buf, len), no I/O. */
#ifndef SC_TEMPLATE_H
#define SC_TEMPLATE_H

#include <stddef.h>

#include "err.h"

enum { TEMPLATE_MAX_NAME = 128 };

/* Call fn for every variable reference, in order (duplicates included).
 * A syntax error names the byte offset. */
typedef int (*template_var_fn)(void *ctx, const char *name, size_t len, struct err *e);
int template_scan(const char *buf, size_t len, template_var_fn fn, void *ctx, struct err *e);

#endif
