/* Fuzz target for src/base64.c.
 *
 * fuzz_base64: the input decoded as base64 (what an auth file's "auth" field
 * holds); whatever decodes must encode back to text of the same length that
 * decodes to the same bytes.  The input's bytes are then encoded and decoded
 * back to themselves.  Any broken invariant abort()s. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int fuzz_base64(const uint8_t *data, size_t size);
int fuzz_base64(const uint8_t *data, size_t size)
{
	size_t encsz = (size + 2) / 3 * 4 + 1;
	unsigned char *dec = malloc(size ? size : 1);
	char *enc = malloc(encsz);
	long n;

	if (!dec || !enc)
		abort();
	n = base64_decode((const char *)data, size, dec, size);
	if (n >= 0) {
		/* the decoder, like Go's that docker uses, ignores the unused low
		 * bits of the last digit ("Zm9vYmv=" is "foob" too), so what it
		 * decoded encodes back to the same length and decodes the same */
		char *again = malloc(encsz);
		unsigned char *back = malloc(size ? size : 1);
		if (!again || !back)
			abort();
		CHECK((size_t)n <= size / 4 * 3);
		CHECK(base64_encode(dec, (size_t)n, again, encsz) == size);
		CHECK(base64_decode(again, size, back, size) == n && !memcmp(back, dec, (size_t)n));
		free(again);
		free(back);
	}
	CHECK(base64_encode(data, size, enc, encsz) == encsz - 1 || (size == 0 && !enc[0]));
	CHECK(base64_encode(data, size, enc, encsz - 1) == 0);
	n = base64_encode(data, size, enc, encsz) ? base64_decode(enc, encsz - 1, dec, size)
						 : (size ? -1 : 0);
	CHECK(n == (long)size && !memcmp(dec, data, size));
	free(dec);
	free(enc);
	return 0;
}
