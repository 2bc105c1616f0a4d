/* SHA-256 (FIPS 180-4) with run-time dispatch of the block function.
 * See sha256.h for the API and the thread-safety argument. */
#include "sha256.h"

#include <string.h>

#include "text.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define SHA256_HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* aarch64: the ARMv8 SHA2 instructions.  GCC (>= 8) declares the intrinsics
 * whatever -march says and accepts them in a function with a "+crypto"
 * target attribute; clang before 16 only declares them when the whole file
 * is built with +crypto/+sha2.  Otherwise the portable code is used. */
#if defined(__aarch64__) && defined(__GNUC__) && \
	(!defined(__clang__) || defined(__ARM_FEATURE_SHA2) || \
	 defined(__ARM_FEATURE_CRYPTO) || __clang_major__ >= 16)
#define SHA256_HAVE_ARMV8 1
#include <arm_neon.h>
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1UL << 6) /* from the kernel's asm/hwcap.h */
#endif
#if defined(__clang__)
#define SHA256_ARM_TARGET __attribute__((target("crypto")))
#else
#define SHA256_ARM_TARGET __attribute__((target("+crypto")))
#endif
#endif

typedef void sha256_blocks_fn(uint32_t h[8], const uint8_t *p, size_t nblocks);

/* FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t K[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Section 5.3.3: first 32 bits of the fractional parts of the square roots
 * of the first 8 primes. */
static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ---- portable C (section 6.2.2) ---- */

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define BSIG1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

/* W[i] of the message schedule, kept in a 16-word ring. */
static inline uint32_t schedule(uint32_t w[16], int i)
{
	if (i < 16)
		return w[i];
	w[i & 15] += SSIG1(w[(i - 2) & 15]) + w[(i - 7) & 15] +
		     SSIG0(w[(i - 15) & 15]);
	return w[i & 15];
}

/* One round with the eight working variables renamed instead of moved:
 * only d and h change. */
#define ROUND(a, b, c, d, e, f, g, h, i) do { \
	uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K[i] + schedule(w, i); \
	(d) += t1_; \
	(h) = t1_ + BSIG0(a) + MAJ(a, b, c); \
} while (0)

static void block_portable(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3],
		 e = h[4], f = h[5], g = h[6], hh = h[7];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (i = 0; i < 64; i += 8) {
		ROUND(a, b, c, d, e, f, g, hh, i);
		ROUND(hh, a, b, c, d, e, f, g, i + 1);
		ROUND(g, hh, a, b, c, d, e, f, i + 2);
		ROUND(f, g, hh, a, b, c, d, e, i + 3);
		ROUND(e, f, g, hh, a, b, c, d, i + 4);
		ROUND(d, e, f, g, hh, a, b, c, i + 5);
		ROUND(c, d, e, f, g, hh, a, b, i + 6);
		ROUND(b, c, d, e, f, g, hh, a, i + 7);
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	for (; nblocks; nblocks--, p += SHA256_BLOCK_LEN)
		block_portable(h, p);
}

/* ---- x86_64 SHA extensions ---- */
#ifdef SHA256_HAVE_SHANI

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds: SHA256RNDS2 does two, taking W+K of both in the low half of
 * its third operand.  The registers swap roles after each pair, so after
 * four rounds abef/cdgh name the right words again. */
#define SHANI_ROUNDS4(m, k) do { \
	__m128i wk_ = _mm_add_epi32((m), _mm_load_si128((const __m128i *)&K[k])); \
	cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_); \
	wk_ = _mm_shuffle_epi32(wk_, 0x0e); \
	abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_); \
} while (0)

/* m0 holds W[t-16..t-13] and becomes W[t..t+3]; m1..m3 hold the next three
 * groups of four, oldest first. */
#define SHANI_SCHEDULE(m0, m1, m2, m3) \
	(m0) = _mm_sha256msg2_epu32(_mm_add_epi32( \
		_mm_sha256msg1_epu32((m0), (m1)), \
		_mm_alignr_epi8((m3), (m2), 4)), (m3))

SHANI static void blocks_shani(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
					      0x0405060700010203ULL);
	__m128i abef, cdgh, tmp, save0, save1, m0, m1, m2, m3;

	/* h[] is A..H; the instructions want ABEF and CDGH, high lane first. */
	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1);
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b);
	abef = _mm_alignr_epi8(tmp, cdgh, 8);
	cdgh = _mm_blend_epi16(cdgh, tmp, 0xf0);

	for (; nblocks; nblocks--, p += SHA256_BLOCK_LEN) {
		save0 = abef;
		save1 = cdgh;
		m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		SHANI_ROUNDS4(m0, 0);
		SHANI_ROUNDS4(m1, 4);
		SHANI_ROUNDS4(m2, 8);
		SHANI_ROUNDS4(m3, 12);
		SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 16);
		SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 20);
		SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 24);
		SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 28);
		SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 32);
		SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 36);
		SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 40);
		SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 44);
		SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 48);
		SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 52);
		SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 56);
		SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 60);
		abef = _mm_add_epi32(abef, save0);
		cdgh = _mm_add_epi32(cdgh, save1);
	}

	tmp = _mm_shuffle_epi32(abef, 0x1b);   /* A B E F, low lane first */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);  /* G H C D */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(tmp, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, tmp, 8));
}

/* CPUID: SSSE3 = leaf 1 ECX bit 9, SSE4.1 = leaf 1 ECX bit 19,
 * SHA = leaf 7 subleaf 0 EBX bit 29.  XMM state is always enabled on
 * x86_64, so no XGETBV check is needed. */
static int cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 9)) || !(c & (1u << 19)))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif /* SHA256_HAVE_SHANI */

/* ---- aarch64 ARMv8 SHA2 instructions ---- */
#ifdef SHA256_HAVE_ARMV8

/* Four rounds: SHA256H updates ABCD, SHA256H2 updates EFGH from the old
 * ABCD, both from the same four W+K words. */
#define ARM_ROUNDS4(m, k) do { \
	uint32x4_t wk_ = vaddq_u32((m), vld1q_u32(&K[k])); \
	uint32x4_t abcd_ = abcd; \
	abcd = vsha256hq_u32(abcd, efgh, wk_); \
	efgh = vsha256h2q_u32(efgh, abcd_, wk_); \
} while (0)

#define ARM_SCHEDULE(m0, m1, m2, m3) \
	(m0) = vsha256su1q_u32(vsha256su0q_u32((m0), (m1)), (m2), (m3))

SHA256_ARM_TARGET
static void blocks_armv8(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	uint32x4_t abcd = vld1q_u32(&h[0]), efgh = vld1q_u32(&h[4]);
	uint32x4_t save0, save1, m0, m1, m2, m3;

	for (; nblocks; nblocks--, p += SHA256_BLOCK_LEN) {
		save0 = abcd;
		save1 = efgh;
		m0 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 0)));
		m1 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16)));
		m2 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 32)));
		m3 = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 48)));
		ARM_ROUNDS4(m0, 0);
		ARM_ROUNDS4(m1, 4);
		ARM_ROUNDS4(m2, 8);
		ARM_ROUNDS4(m3, 12);
		ARM_SCHEDULE(m0, m1, m2, m3); ARM_ROUNDS4(m0, 16);
		ARM_SCHEDULE(m1, m2, m3, m0); ARM_ROUNDS4(m1, 20);
		ARM_SCHEDULE(m2, m3, m0, m1); ARM_ROUNDS4(m2, 24);
		ARM_SCHEDULE(m3, m0, m1, m2); ARM_ROUNDS4(m3, 28);
		ARM_SCHEDULE(m0, m1, m2, m3); ARM_ROUNDS4(m0, 32);
		ARM_SCHEDULE(m1, m2, m3, m0); ARM_ROUNDS4(m1, 36);
		ARM_SCHEDULE(m2, m3, m0, m1); ARM_ROUNDS4(m2, 40);
		ARM_SCHEDULE(m3, m0, m1, m2); ARM_ROUNDS4(m3, 44);
		ARM_SCHEDULE(m0, m1, m2, m3); ARM_ROUNDS4(m0, 48);
		ARM_SCHEDULE(m1, m2, m3, m0); ARM_ROUNDS4(m1, 52);
		ARM_SCHEDULE(m2, m3, m0, m1); ARM_ROUNDS4(m2, 56);
		ARM_SCHEDULE(m3, m0, m1, m2); ARM_ROUNDS4(m3, 60);
		abcd = vaddq_u32(abcd, save0);
		efgh = vaddq_u32(efgh, save1);
	}
	vst1q_u32(&h[0], abcd);
	vst1q_u32(&h[4], efgh);
}
#endif /* SHA256_HAVE_ARMV8 */

/* ---- dispatch ---- */

/* The choice for a CPU whose AT_HWCAP is hwcap (aarch64: the kernel's word
 * for the SHA2 instructions; unused elsewhere). */
static sha256_blocks_fn *blocks_for(unsigned long hwcap)
{
#ifdef SHA256_HAVE_SHANI
	if (cpu_has_shani())
		return blocks_shani;
#endif
#ifdef SHA256_HAVE_ARMV8
	if (hwcap & HWCAP_SHA2)
		return blocks_armv8;
#endif
	(void)hwcap;
	return blocks_portable;
}

static sha256_blocks_fn *blocks_best(void)
{
#ifdef SHA256_HAVE_ARMV8
	return blocks_for(getauxval(AT_HWCAP));
#else
	return blocks_for(0);
#endif
}

/* Mutable global, on purpose: the CPU does not change under a running
 * process, so the detection result is cached.  NULL until first use;
 * racing initialisers store the same pointer (see sha256.h). */
static sha256_blocks_fn *blocks_active;

static sha256_blocks_fn *blocks_get(void)
{
	sha256_blocks_fn *f = __atomic_load_n(&blocks_active, __ATOMIC_RELAXED);

	if (!f) {
		f = blocks_best();
		__atomic_store_n(&blocks_active, f, __ATOMIC_RELAXED);
	}
	return f;
}

void sha256_force_portable(int on)
{
	__atomic_store_n(&blocks_active, on ? blocks_portable : blocks_best(),
			 __ATOMIC_RELAXED);
}

void sha256_dispatch_hwcap(unsigned long hwcap)
{
	__atomic_store_n(&blocks_active, blocks_for(hwcap), __ATOMIC_RELAXED);
}

const char *sha256_impl(void)
{
	sha256_blocks_fn *f = blocks_get();

#ifdef SHA256_HAVE_SHANI
	if (f == blocks_shani)
		return "sha-ni";
#endif
#ifdef SHA256_HAVE_ARMV8
	if (f == blocks_armv8)
		return "armv8";
#endif
	(void)f;
	return "portable";
}

/* ---- streaming API ---- */

void sha256_init(struct sha256 *s)
{
	memcpy(s->h, H0, sizeof s->h);
	s->len = 0;
}

void sha256_update(struct sha256 *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t used = s->len % SHA256_BLOCK_LEN, n;

	if (!len)
		return; /* buf may be NULL */
	s->len += len;
	if (used) {
		n = SHA256_BLOCK_LEN - used;
		if (len < n) {
			memcpy(s->buf + used, p, len);
			return;
		}
		memcpy(s->buf + used, p, n);
		blocks_get()(s->h, s->buf, 1);
		p += n;
		len -= n;
	}
	if (len >= SHA256_BLOCK_LEN) {
		n = len / SHA256_BLOCK_LEN;
		blocks_get()(s->h, p, n);
		p += n * SHA256_BLOCK_LEN;
		len -= n * SHA256_BLOCK_LEN;
	}
	if (len)
		memcpy(s->buf, p, len);
}

/* Section 5.1.1: a 1 bit, zeros to 56 mod 64, the bit length big-endian. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN])
{
	size_t used = s->len % SHA256_BLOCK_LEN;
	uint64_t bits = s->len * 8;
	int i;

	s->buf[used++] = 0x80;
	if (used > SHA256_BLOCK_LEN - 8) {
		memset(s->buf + used, 0, SHA256_BLOCK_LEN - used);
		blocks_get()(s->h, s->buf, 1);
		used = 0;
	}
	memset(s->buf + used, 0, SHA256_BLOCK_LEN - 8 - used);
	for (i = 0; i < 8; i++)
		s->buf[SHA256_BLOCK_LEN - 1 - i] = (uint8_t)(bits >> (8 * i));
	blocks_get()(s->h, s->buf, 1);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
	memset(s, 0, sizeof *s);
}

void sha256_oneshot(const void *buf, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, buf, len);
	sha256_final(&s, out);
}

void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

int sha256_digest_ok(const char *s, size_t len)
{
	return len == 7 + SHA256_HEX_LEN && !memcmp(s, "sha256:", 7) &&
	       text_is_lower_hex(s + 7, SHA256_HEX_LEN);
}
