/* SHA-256 (FIPS 180-4), streaming, with run-time selected acceleration.
 *
 * Hashing is the hot spot of a pull: every layer byte is hashed twice (blob
 * digest of the compressed bytes, diff ID of the uncompressed tar).  The
 * block function is chosen once per process: SHA-NI on x86_64, the ARMv8
 * SHA2 instructions on aarch64, else portable C.  All paths give identical
 * results; the choice only changes speed.
 *
 * Ownership: struct sha256 is a plain value (no heap, nothing to free).
 * Initialise with sha256_init(); after sha256_final() the state is wiped and
 * must be re-initialised before reuse.  One struct must not be updated from
 * two threads at once; distinct structs are independent.
 *
 * Thread safety of the dispatch: the first hash in the process detects the
 * CPU and stores a function pointer; racing first calls compute and store the
 * same value with atomic loads/stores, so the race is benign.
 * sha256_force_portable() may be called at any time, even while other threads
 * hash: both implementations share the state layout, so switching between two
 * blocks of one message is harmless. */
#ifndef SC_SHA256_H
#define SC_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum { SHA256_DIGEST_LEN = 32, SHA256_HEX_LEN = 64, SHA256_BLOCK_LEN = 64 };

struct sha256 {
	uint32_t h[8];              /* chaining value, FIPS word order */
	uint64_t len;               /* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK_LEN]; /* partial block, len % 64 bytes used */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *buf, size_t len);
/* Writes the digest and wipes *s. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
void sha256_oneshot(const void *buf, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* Lower-case hex, NUL-terminated (65 bytes written). */
void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);
/* 1 when s[0..len) is a digest as images write it: "sha256:" and 64
 * lower-case hex digits. */
int sha256_digest_ok(const char *s, size_t len);

/* Name of the active block function: "sha-ni", "armv8" or "portable". */
const char *sha256_impl(void);
/* For tests and benchmarks: on != 0 selects the portable code, 0 goes back
 * to the best implementation this CPU supports. */
void sha256_force_portable(int on);
/* For tests: choose again as a CPU reporting these AT_HWCAP bits would
 * (aarch64: HWCAP_SHA2 selects "armv8"; elsewhere the bits are ignored), so
 * the choice without the extension is tested on hardware that has it. */
void sha256_dispatch_hwcap(unsigned long hwcap);

#endif
