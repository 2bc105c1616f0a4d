/* Unit tests for src/base64.c: RFC 4648 vectors both ways, the padding
 * rules of the decoder, too small a buffer, and the Basic credential value
 * (RFC 7617) that the registry and proxy code send. */
#include "base64.h"
#include "tap.h"

#include <string.h>

static const struct ecase {
	const char *in, *out;
} enc[] = {
	{ "", "" },             /* RFC 4648 section 10 */
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_encode(void)
{
	char out[16];

	for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		size_t n = base64_encode(enc[i].in, strlen(enc[i].in), out, sizeof out);
		ok(n == strlen(enc[i].out) && !strcmp(out, enc[i].out), "base64 '%s' -> '%s'",
		   enc[i].in, enc[i].out);
	}
	ok(base64_encode("foob", 4, out, 8) == 0 && !strcmp(out, ""),
	   "too small a buffer (no room for the NUL) is refused, leaving \"\"");
	ok(base64_encode("foob", 4, out, 9) == 8, "an exact buffer is enough");
}

static const struct bcase {
	const char *in, *out;
	long n;
} b64[] = {
	{ "", "", 0 },
	{ "YQ==", "a", 1 },
	{ "YWI=", "ab", 2 },
	{ "YWJj", "abc", 3 },
	{ "YQ=", NULL, -1 },     /* length not a multiple of 4 */
	{ "Y===", NULL, -1 },    /* too much padding */
	{ "YQ==YWJj", NULL, -1 },/* padding in the middle */
	{ "YW=j", NULL, -1 },    /* data after padding */
	{ "YW J", NULL, -1 },    /* blank */
};

static void test_decode(void)
{
	for (size_t i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
		unsigned char out[16];
		long n = base64_decode(b64[i].in, strlen(b64[i].in), out, sizeof out);
		ok(n == b64[i].n && (n < 0 || !memcmp(out, b64[i].out, (size_t)n)),
		   "base64 '%s' -> %ld", b64[i].in, b64[i].n);
	}
}

static void test_basic(void)
{
	char out[64];
	struct err e;

	ok(base64_basic_credentials("Aladdin", "open sesame", out, sizeof out, &e) == 0 &&
		   !strcmp(out, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
	   "Basic credentials (RFC 7617 example)");
	ok(base64_basic_credentials("a:b", "c", out, sizeof out, &e) < 0 &&
		   !strcmp(e.msg, "user name contains ':'"),
	   "':' in a user name refused");
	ok(base64_basic_credentials("Aladdin", "open sesame", out, 20, &e) < 0 && !strcmp(out, "") &&
		   !strcmp(e.msg, "credentials too long"),
	   "too small an output refused, leaving nothing of the secret");
}

int main(void)
{
	test_encode();
	test_decode();
	test_basic();
	return tap_done();
}
