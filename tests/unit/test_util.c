/* Sizes as --max-layer-size takes them and as messages print them. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "util.h"

struct prow {
	const char *in;
	int ok;
	uint64_t want;
	const char *why;
};

static void test_parse(void)
{
	static const struct prow rows[] = {
		{ "0", 1, 0, "zero parses (the option refuses it, not the parser)" },
		{ "4096", 1, 4096, "plain bytes" },
		{ "512M", 1, 512ull << 20, "M is MiB" },
		{ "64G", 1, 64ull << 30, "G is GiB" },
		{ "64GiB", 1, 64ull << 30, "GiB spelled out" },
		{ "2GB", 1, 2ull << 30, "GB means GiB too: one meaning per letter" },
		{ "1k", 1, 1024, "lower case unit" },
		{ "3T", 1, 3ull << 40, "T is TiB" },
		{ "15E", 1, 15ull << 60, "E fits 64 bits up to 15" },
		{ "16E", 0, 0, "16 EiB overflows" },
		{ "18446744073709551615", 1, UINT64_MAX, "the largest number" },
		{ "18446744073709551616", 0, 0, "one more overflows" },
		{ "", 0, 0, "empty" },
		{ "M", 0, 0, "a unit without a number" },
		{ "-5", 0, 0, "negative" },
		{ " 5", 0, 0, "leading blank" },
		{ "5 M", 0, 0, "blank before the unit" },
		{ "1x", 0, 0, "unknown unit" },
		{ "1MiBs", 0, 0, "trailing junk after the unit" },
		{ "1.5G", 0, 0, "no fractions" },
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint64_t v = 12345;
		int r = util_parse_size(rows[i].in, &v);
		ok(rows[i].ok ? r == 0 && v == rows[i].want : r < 0 && v == 12345, "parse '%s': %s",
		   rows[i].in, rows[i].why);
	}
}

struct frow {
	uint64_t in;
	const char *want, *why;
};

static void test_format(void)
{
	static const struct frow rows[] = {
		{ 0, "0 bytes", "zero" },
		{ 1000, "1000 bytes", "not a multiple of 1024: bytes" },
		{ 1024, "1 KiB", "KiB" },
		{ 1536ull << 10, "1536 KiB", "exact, never rounded" },
		{ 100ull << 20, "100 MiB", "MiB" },
		{ 64ull << 30, "64 GiB", "the layer size default" },
		{ 1ull << 60, "1 EiB", "the largest unit" },
		{ 1ull << 63, "8 EiB", "past the largest unit stays in it" },
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char out[32];
		util_iec_size(rows[i].in, out, sizeof out);
		ok(!strcmp(out, rows[i].want), "format %llu as '%s' (got '%s'): %s",
		   (unsigned long long)rows[i].in, rows[i].want, out, rows[i].why);
	}
}

int main(void)
{
	test_parse();
	test_format();
	return tap_done();
}
