/* The platform check of pull and install: an image is taken only when the
 * os/architecture its config names runs where it is wanted.
 *
 * Wanted is --platform when given, else this machine's (uname, normalised as
 * containerd does).  "Runs" is containerd's rule too: the same os and arch
 * with the variant or, for arm, an older one; arm64 also runs arm, amd64
 * also 386 (and any amd64 variant).  A config that names no os or
 * architecture passes. */
#ifndef SC_PLATFORM_H
#define SC_PLATFORM_H

#include <stddef.h>

#include "err.h"

/* Check the config JSON config[0..len) against want (--platform, NULL for
 * this machine's).  Refused: one line naming the image's platform and the
 * wanted one.  *foreign (when not NULL) is set to 1 when the image was
 * accepted for a platform this machine is not (it will not run natively),
 * and *image_platform (when not NULL, PLATFORM_MAX bytes) receives the
 * image's platform as "os/arch[/variant]". */
enum { PLATFORM_MAX = 96 };
int platform_check(const char *config, size_t len, const char *want, int *foreign,
		   char *image_platform, struct err *e);

#endif
