/* Cleanup attributes for the resources our error paths release: a variable
 * declared with one is released when it goes out of scope, however the
 * function returns.  Hand a resource over with take_fd() / take_ptr(),
 * which leave the variable empty.  (store.c uses GLib's g_autoptr the same
 * way.)  Style: one function uses these or a single `out:` label, not both.
 *
 *   _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *   _cleanup_free_ char *buf = malloc(n);
 *   if (fd < 0 || !buf)
 *           return err_set(e, errno, "read '%s'", path);  // both released
 *   *out = take_ptr(&buf);                                // kept */
#ifndef SC_CLEANUP_H
#define SC_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "json.h"

/* close() and free() keep errno, so `return err_set(e, errno, ...)` after a
 * failed call still reports that call's errno. */
static inline void cleanup_fd(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void cleanup_free(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}
static inline void cleanup_dir(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}
static inline void cleanup_json(struct json **j)
{
	int saved = errno;
	json_free(*j);
	errno = saved;
}

#define _cleanup_fd_ __attribute__((cleanup(cleanup_fd)))
#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))
#define _cleanup_dir_ __attribute__((cleanup(cleanup_dir)))
#define _cleanup_json_ __attribute__((cleanup(cleanup_json)))

/* The fd, now the caller's: the variable is left -1. */
static inline int take_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
/* The pointer, now the caller's: the variable is left NULL. */
#define take_ptr(pp) ({ __typeof__(*(pp)) p_ = *(pp); *(pp) = NULL; p_; })

#endif
