/* Unit tests for sha256.c: NIST vectors, block-boundary lengths split into
 * random update chunks, and a cross-check against mbedtls, each run once per
 * implementation (accelerated when the CPU has it, then portable). */
#include "sha256.h"
#include "tap.h"

#include <mbedtls/sha256.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __aarch64__
#include <sys/auxv.h>
#define SHA2_BIT (1UL << 6) /* HWCAP_SHA2 in the kernel's asm/hwcap.h */
#endif

/* Deterministic PRNG (xorshift64*): failures are reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

static void hex_of(const void *buf, size_t len, char out[65])
{
	uint8_t d[32];

	sha256_oneshot(buf, len, d);
	sha256_hex(d, out);
}

/* Hash in update() calls of random size in [0, maxchunk]. */
static void digest_chunked(const uint8_t *p, size_t len, size_t maxchunk,
			   uint8_t out[32])
{
	struct sha256 s;
	size_t off = 0, n;

	sha256_init(&s);
	while (off < len) {
		n = rng() % (maxchunk + 1);
		if (n > len - off)
			n = len - off;
		sha256_update(&s, p + off, n);
		off += n;
	}
	sha256_final(&s, out);
}

static void digest_mbedtls(const uint8_t *p, size_t len, uint8_t out[32])
{
	if (mbedtls_sha256_ret(p, len, out, 0) != 0)
		memset(out, 0, 32); /* cannot match a real digest */
}

/* One row per published example: a block `unit` repeated `count` times. */
static const struct vector {
	const char *unit;
	size_t unit_len;
	size_t count;
	const char *hex;
	const char *why;
} vectors[] = {
	{ "", 0, 1,
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	  "empty message: padding alone fills one block" },
	{ "abc", 3, 1,
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	  "FIPS 180-2 one-block example \"abc\"" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	  "FIPS 180-2 448-bit example: length field spills into a second block" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, 1,
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	  "FIPS 180-2 896-bit example" },
	{ "a", 1, 1000000,
	  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	  "FIPS 180-2 one million 'a'" },
	{ "\xbd", 1, 1,
	  "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b",
	  "NIST example: one byte 0xbd" },
	{ "\xc9\x8c\x8e\x55", 4, 1,
	  "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504",
	  "NIST example: four bytes c98c8e55" },
	{ "\0", 1, 55,
	  "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7",
	  "NIST example: 55 zero bytes, the longest one-block message" },
	{ "\0", 1, 56,
	  "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb",
	  "NIST example: 56 zero bytes, the shortest two-block message" },
	{ "\0", 1, 57,
	  "65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785",
	  "NIST example: 57 zero bytes" },
	{ "\0", 1, 64,
	  "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b",
	  "NIST example: 64 zero bytes, exactly one block of data" },
	{ "\0", 1, 1000,
	  "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53",
	  "NIST example: 1000 zero bytes" },
	{ "A", 1, 1000,
	  "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4",
	  "NIST example: 1000 'A'" },
	{ "U", 1, 1005,
	  "f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0",
	  "NIST example: 1005 'U'" },
};

static void test_vectors(const char *impl)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vector *v = &vectors[i];
		size_t len = v->unit_len * v->count;
		uint8_t *msg = malloc(len + 1), d[32];
		char hex[65];
		struct sha256 s;

		for (size_t j = 0; j < v->count; j++)
			memcpy(msg + j * v->unit_len, v->unit, v->unit_len);
		hex_of(msg, len, hex);
		ok(strcmp(hex, v->hex) == 0, "[%s] oneshot: %s", impl, v->why);

		/* The same message one unit per update() call. */
		sha256_init(&s);
		for (size_t j = 0; j < v->count; j++)
			sha256_update(&s, v->unit, v->unit_len);
		sha256_final(&s, d);
		sha256_hex(d, hex);
		ok(strcmp(hex, v->hex) == 0, "[%s] unit by unit: %s", impl, v->why);
		free(msg);
	}
}

/* Every length 0..200 crosses the 55/56/64/119/120/128 padding edges. */
static void test_boundaries(const char *impl)
{
	uint8_t buf[201], a[32], b[32], c[32];
	int bad_chunked = 0, bad_mbed = 0;

	fill_random(buf, sizeof buf);
	for (size_t n = 0; n <= 200; n++) {
		sha256_oneshot(buf, n, a);
		digest_chunked(buf, n, 1 + rng() % 70, b);
		digest_mbedtls(buf, n, c);
		bad_chunked += memcmp(a, b, 32) != 0;
		bad_mbed += memcmp(a, c, 32) != 0;
	}
	ok(bad_chunked == 0, "[%s] lengths 0..200: random update chunks equal oneshot (%d differ)",
	   impl, bad_chunked);
	ok(bad_mbed == 0, "[%s] lengths 0..200: oneshot equals mbedtls (%d differ)",
	   impl, bad_mbed);
}

/* Random sizes up to 256 KiB, random chunking, unaligned start. */
static void test_random_vs_mbedtls(const char *impl)
{
	enum { MAX = 256 * 1024 };
	uint8_t *buf = malloc(MAX + 1), a[32], b[32], c[32];
	int bad = 0;

	for (int round = 0; round < 40; round++) {
		size_t n = rng() % MAX;
		uint8_t *p = buf + (round & 1); /* odd address every other round */

		fill_random(p, n);
		sha256_oneshot(p, n, a);
		digest_chunked(p, n, round < 20 ? 100 : 70000, b);
		digest_mbedtls(p, n, c);
		bad += memcmp(a, c, 32) != 0 || memcmp(b, c, 32) != 0;
	}
	ok(bad == 0, "[%s] 40 random inputs up to 256 KiB agree with mbedtls (%d differ)",
	   impl, bad);
	free(buf);
}

static void test_api_edges(const char *impl)
{
	struct sha256 s;
	uint8_t d[32];
	char hex[65];

	/* A zero-length update with a NULL pointer is a no-op. */
	sha256_init(&s);
	sha256_update(&s, NULL, 0);
	sha256_update(&s, "abc", 3);
	sha256_update(&s, NULL, 0);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ok(strcmp(hex, vectors[1].hex) == 0, "[%s] empty updates change nothing", impl);
	ok(strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64,
	   "[%s] hex is 64 lower-case digits, NUL-terminated", impl);

	/* The struct is reusable after a fresh init. */
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ok(strcmp(hex, vectors[1].hex) == 0, "[%s] struct reused after init", impl);
}

static void run_all(void)
{
	const char *impl = sha256_impl();

	printf("# impl: %s\n", impl);
	test_vectors(impl);
	test_boundaries(impl);
	test_random_vs_mbedtls(impl);
	test_api_edges(impl);
}

/* 1 when /proc/cpuinfo lists the x86 "sha_ni" flag. */
__attribute__((unused))
static int cpuinfo_has_sha_ni(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f))
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni"))
			found = 1;
	fclose(f);
	return found;
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct dcase {
	const char *s;
	int ok;
	const char *why;
} digests[] = {
	{ "sha256:" HEX64, 1, "sha256: and 64 lower-case hex digits" },
	{ "sha256:" HEX64 "0", 0, "65 digits" },
	{ "sha256:0123456789abcdef", 0, "too short" },
	{ "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 0,
	  "upper-case hex" },
	{ "sha512:" HEX64, 0, "another algorithm" },
	{ "sha256:0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", 0,
	  "a letter past f" },
};

static void test_digest_ok(void)
{
	for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++)
		ok(sha256_digest_ok(digests[i].s, strlen(digests[i].s)) == digests[i].ok,
		   "digest check: %s", digests[i].why);
	ok(!sha256_digest_ok("sha256:" HEX64, 70), "digest check: the length counts, not a NUL");
}

int main(void)
{
	const char *best = sha256_impl();

	test_digest_ok();

	/* Under qemu-user /proc/cpuinfo is the host's: only ask on x86_64. */
#ifdef __x86_64__
	if (cpuinfo_has_sha_ni())
		ok(strcmp(best, "sha-ni") == 0,
		   "cpu has sha_ni, so the sha-ni path is selected (got %s)", best);
#endif
	run_all();

	sha256_force_portable(1);
	ok(strcmp(sha256_impl(), "portable") == 0, "force_portable(1) selects portable");
	if (strcmp(best, "portable") != 0)
		run_all();
	else
		printf("# no accelerated implementation on this CPU: ran portable only\n");

	sha256_force_portable(0);
	ok(strcmp(sha256_impl(), best) == 0, "force_portable(0) restores %s", best);

#ifdef __aarch64__
	/* The kernel says in AT_HWCAP whether the SHA2 instructions exist (under
	 * qemu-user: -cpu max has them).  Without the bit the portable code must
	 * be chosen, and give the same digests. */
	{
		unsigned long hw = getauxval(AT_HWCAP);

		if (hw & SHA2_BIT)
			ok(strcmp(best, "armv8") == 0,
			   "AT_HWCAP has SHA2, so the armv8 path is selected (got %s)", best);
		else
			printf("# AT_HWCAP has no SHA2: this CPU runs the portable code\n");
		sha256_dispatch_hwcap(hw & ~SHA2_BIT);
		ok(strcmp(sha256_impl(), "portable") == 0,
		   "AT_HWCAP without SHA2 selects portable (got %s)", sha256_impl());
		run_all();
		sha256_dispatch_hwcap(hw);
		ok(strcmp(sha256_impl(), best) == 0, "AT_HWCAP as reported selects %s again", best);
	}
#endif
	return tap_done();
}
