/* One fuzz entry point for every parser, dispatching on a target name.
 *
 * Under libFuzzer the target is named by $FUZZ_TARGET.  Built with
 * -DFUZZ_REPLAY it is a plain program, `fuzz-replay TARGET FILE...`, that
 * runs each file through the target once: `make check` replays the committed
 * corpus this way, so a crash found once stays fixed. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

#define X(name, fn) int fn(const uint8_t *data, size_t size);
FUZZ_TARGETS
#undef X

struct target {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
};

static const struct target targets[] = {
#define X(name, fn) { #name, fn },
	FUZZ_TARGETS
#undef X
};

static const struct target *find(const char *name)
{
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (name && !strcmp(targets[i].name, name))
			return &targets[i];
	return NULL;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct target *t;
	if (!t) {
		t = find(getenv("FUZZ_TARGET"));
		if (!t) {
			fprintf(stderr, "fuzz: set FUZZ_TARGET to one of:");
			for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
				fprintf(stderr, " %s", targets[i].name);
			fprintf(stderr, "\n");
			abort();
		}
	}
	return t->fn(data, size);
}
#else
static int replay(const struct target *t, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	t->fn(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const struct target *t;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
			printf("%s\n", targets[i].name);
		return 0;
	}
	t = argc > 1 ? find(argv[1]) : NULL;
	if (!t) {
		fprintf(stderr, "usage: fuzz-replay TARGET FILE... | --list\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (replay(t, argv[i]) < 0)
			return 1;
	return 0;
}
#endif
