/* Every fuzz target: X(name, function).  A target's function lives in
 * tests/fuzz/fuzz_<module>.c and must accept any input without crashing,
 * leaking or hanging. */
#define FUZZ_TARGETS \
	X(gzip, fuzz_gzip) \
	X(tar, fuzz_tar) \
	X(json, fuzz_json) \
	X(imgref, fuzz_imgref) \
	X(http_response, fuzz_http_response) \
	X(chunked, fuzz_chunked) \
	X(www_authenticate, fuzz_www_authenticate) \
	X(base64, fuzz_base64) \
	X(http_url, fuzz_http_url) \
	X(template, fuzz_template) \
	X(unit, fuzz_unit) \
	X(spec, fuzz_spec) \
	X(manifest, fuzz_manifest) \
	X(dockerarchive, fuzz_dockerarchive) \
	X(policy, fuzz_policy) \
	X(toml, fuzz_toml) \
	X(archive_docker, fuzz_archive_docker) \
	X(archive_oci, fuzz_archive_oci) \
	X(stream, fuzz_stream) \
	X(applyfile, fuzz_applyfile)
