/* Fuzz target for src/applyfile.c.
 *
 * fuzz_applyfile: the input as an apply file.  Invariants: a parse fails
 * only for the whole-file limits, leaving nothing to free; every entry is
 * either good (a valid NAME, a SOURCE, no error) or has a one-line error;
 * line numbers grow; good NAMEs are unique; nbad counts the errors; each
 * good entry's sets give the same values as themselves.  Any broken
 * invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applyfile.h"
#include "install.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int fuzz_applyfile(const uint8_t *data, size_t size)
{
	struct apply_file f;
	struct err e = { 0 };
	size_t bad = 0;

	if (applyfile_parse((const char *)data, size, &f, &e) < 0) {
		CHECK(f.n == 0 && f.v == NULL && e.msg[0]);
		return 0;
	}
	CHECK(f.n <= APPLYFILE_ENTRIES_MAX);
	for (size_t i = 0; i < f.n; i++) {
		const struct apply_entry *a = &f.v[i];
		CHECK(i == 0 || a->line > f.v[i - 1].line);
		CHECK(!strchr(a->error, '\n'));
		if (a->error[0]) {
			bad++;
			CHECK(a->source == NULL && a->nsets == 0);
			continue;
		}
		CHECK(sc_valid_name(a->name) && a->source && a->source[0]);
		CHECK(applyfile_same_sets(a->sets, a->nsets, a->sets, a->nsets));
		for (size_t k = 0; k < a->nsets; k++)
			CHECK(strchr(a->sets[k], '='));
		for (size_t j = 0; j < i; j++)
			CHECK(f.v[j].error[0] || strcmp(f.v[j].name, a->name));
	}
	CHECK(bad == f.nbad);
	applyfile_free(&f);
	return 0;
}
