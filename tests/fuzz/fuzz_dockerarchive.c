/* Fuzz target `dockerarchive`: the docker-archive reader (tar index,
 * manifest.json, the image choice, symlinks inside the archive, the config)
 * on arbitrary bytes.  The reader works on a file, so the input is handed
 * to it as a memfd; then every layer is streamed to a sink. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imgref.h"
#include "source.h"

int fuzz_dockerarchive(const uint8_t *data, size_t size);

static int sink(void *ctx, const void *buf, size_t len, struct err *e)
{
	(void)ctx, (void)buf, (void)len, (void)e;
	return 0;
}

int fuzz_dockerarchive(const uint8_t *data, size_t size)
{
	struct source *src = NULL;
	struct imgref ref;
	struct err e;
	char spec[64];
	int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(spec, sizeof spec, "dockertar:/proc/self/fd/%d", fd);
	if (imgref_parse(&ref, spec, strlen(spec), &e) == 0 &&
	    source_open(&src, &ref, NULL, &e) == 0) {
		for (size_t i = 0; i < src->img.nlayers; i++)
			if (src->ops->fetch_layer(src, i, sink, NULL, &e) < 0)
				break;
	}
	source_free(src);
	close(fd);
	return 0;
}
