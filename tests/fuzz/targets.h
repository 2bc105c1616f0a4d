/* Every fuzz target: X(name, function).  A target's function lives in
 * tests/fuzz/fuzz_<module>.c and must accept any input without crashing,
 * leaking or hanging. */
#define FUZZ_TARGETS \
	X(gzip, fuzz_gzip) \
	X(tar, fuzz_tar) \
	X(json, fuzz_json) \
	X(imgref, fuzz_imgref)
