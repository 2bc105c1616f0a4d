/* Image reference parsing and OSTree ref names; see imgref.h. */
#include "imgref.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DOCKER_HUB "docker.io"

/* What the message shows of the user's input: long inputs are cut. */
#define QUOTE_MAX 200

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int is_word(int c)
{
	return is_alnum(c) || c == '_';
}

static int is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* err_usage() quoting the whole input, then the reason. */
__attribute__((format(printf, 4, 5)))
static int bad(struct err *e, const char *s, size_t len, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return err_usage(e, "invalid image reference '%.*s%s': %s",
			 (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s,
			 len > QUOTE_MAX ? "..." : "", why);
}

/* Copy s[0..n) into a fixed field; the callers checked n < size. */
static void put(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static const char *mem_rchr(const char *s, size_t n, int c)
{
	while (n--)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int tag_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > IMGREF_TAG_MAX || !is_word(t[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_word(t[i]) && t[i] != '.' && t[i] != '-')
			return 0;
	return 1;
}

/* [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*, upper case let through:
 * check_path() refuses it afterwards, so that, as in Docker, only a name
 * that would be valid in lower case is called "not lowercase". */
static int component_ok(const char *c, size_t n)
{
	size_t i = 0, s, k;

	if (n == 0 || !is_alnum(c[0]))
		return 0;
	while (i < n) {
		while (i < n && is_alnum(c[i]))
			i++;
		if (i == n)
			return 1;
		s = i;
		while (i < n && !is_alnum(c[i]))
			i++;
		if (i == n)
			return 0; /* ends with a separator */
		k = i - s;
		if (k == 1 && (c[s] == '.' || c[s] == '_'))
			continue;
		if (k == 2 && c[s] == '_' && c[s + 1] == '_')
			continue;
		while (s < i && c[s] == '-')
			s++;
		if (s != i)
			return 0;
	}
	return 1;
}

/* ([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]) joined by '.' */
static int hostname_ok(const char *h, size_t n)
{
	size_t i = 0, s;

	while (i <= n) {
		s = i;
		while (i < n && h[i] != '.')
			i++;
		if (i == s || !is_alnum(h[s]) || !is_alnum(h[i - 1]))
			return 0;
		for (; s < i; s++)
			if (!is_alnum(h[s]) && h[s] != '-')
				return 0;
		i++; /* past the '.' (or past the end) */
	}
	return 1;
}

/* host[:port], host a name, an IPv4 address or "[IPv6]" */
static int registry_ok(const char *d, size_t n)
{
	const char *colon;
	size_t hn, i;
	unsigned long port = 0;

	if (n && d[0] == '[') {
		const char *close = memchr(d, ']', n);
		if (!close || close == d + 1)
			return 0;
		for (i = 1; d + i < close; i++)
			if (!is_lower_hex(d[i]) && !(d[i] >= 'A' && d[i] <= 'F') &&
			    d[i] != ':')
				return 0;
		hn = (size_t)(close - d) + 1;
	} else {
		colon = memchr(d, ':', n);
		hn = colon ? (size_t)(colon - d) : n;
		if (!hostname_ok(d, hn))
			return 0;
	}
	if (hn == n)
		return 1;
	if (d[hn] != ':' || n - hn - 1 == 0 || n - hn - 1 > 5)
		return 0;
	for (i = hn + 1; i < n; i++) {
		if (d[i] < '0' || d[i] > '9')
			return 0;
		port = port * 10 + (unsigned long)(d[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

static int has_upper(const char *s, size_t n)
{
	while (n--)
		if (s[n] >= 'A' && s[n] <= 'Z')
			return 1;
	return 0;
}

/* Docker's test for the first of several components: a domain, IPv4 or
 * [IPv6] address or host:port has a '.' or a ':'; "localhost" is reserved;
 * and repository paths are lower case, so upper case means a host too
 * (the only way to name a one-word host without a port: LOCALDOMAIN/x).
 * An upper-case word that is no host ("My_Org/x") stays in the path, to be
 * refused there as not lower case, which is what Docker says of it. */
static int is_registry(const char *c, size_t n)
{
	if (memchr(c, '.', n) || memchr(c, ':', n) ||
	    (n == 9 && memcmp(c, "localhost", 9) == 0))
		return 1;
	return has_upper(c, n) && registry_ok(c, n);
}

/* PATH after the registry: lowercase components joined by '/'. */
static int check_path(const char *s, size_t len, const char *p, size_t n,
		      struct err *e)
{
	size_t i, c = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == c)
			return bad(e, s, len, "empty component in repository name '%.*s'",
				   (int)n, p);
		if (!component_ok(p + c, i - c))
			return bad(e, s, len, "invalid repository name component '%.*s'",
				   (int)(i - c), p + c);
		c = i + 1;
	}
	if (has_upper(p, n))
		return bad(e, s, len, "repository name must be lowercase");
	return 0;
}

static int parse_digest(struct imgref *r, const char *s, size_t len,
			const char *d, size_t n, struct err *e)
{
	const char *colon = memchr(d, ':', n);
	size_t an, i;

	if (!colon)
		return bad(e, s, len, "digest '%.*s' lacks an algorithm", (int)n, d);
	an = (size_t)(colon - d);
	if (an != 6 || memcmp(d, "sha256", 6) != 0)
		return bad(e, s, len, "unsupported digest algorithm '%.*s' (only sha256)",
			   (int)(an > 32 ? 32 : an), d);
	if (n - an - 1 != 64)
		return bad(e, s, len, "sha256 digest must be 64 lowercase hex digits");
	for (i = an + 1; i < n; i++)
		if (!is_lower_hex(d[i]))
			return bad(e, s, len, "sha256 digest must be 64 lowercase hex digits");
	put(r->digest, sizeof r->digest, d, n);
	return 0;
}

/* Split NAME into registry and path, normalising docker.io. */
static int parse_repo(struct imgref *r, const char *s, size_t len,
		      const char *nm, size_t n, struct err *e)
{
	const char *slash = memchr(nm, '/', n);
	const char *reg = DOCKER_HUB, *path = nm;
	size_t rn = strlen(DOCKER_HUB), pn = n;
	int lib;

	if (n == 0)
		return bad(e, s, len, "missing repository name");
	if (slash && is_registry(nm, (size_t)(slash - nm))) {
		reg = nm;
		rn = (size_t)(slash - nm);
		path = slash + 1;
		pn = n - rn - 1;
		if (rn >= sizeof r->registry)
			return bad(e, s, len, "registry longer than %zu bytes",
				   sizeof r->registry - 1);
		if (!registry_ok(reg, rn))
			return bad(e, s, len, "invalid registry '%.*s'", (int)rn, reg);
		if (rn == 15 && memcmp(reg, "index.docker.io", 15) == 0) {
			reg = DOCKER_HUB;
			rn = strlen(DOCKER_HUB);
		}
	}
	if (pn == 0)
		return bad(e, s, len, "missing repository name");
	if (check_path(s, len, path, pn, e) < 0)
		return -1;
	lib = rn == strlen(DOCKER_HUB) && memcmp(reg, DOCKER_HUB, rn) == 0 &&
	      !memchr(path, '/', pn);
	/* Docker's limit is on the path as normalised, not on the registry. */
	if ((lib ? 8 : 0) + pn > IMGREF_PATH_MAX)
		return bad(e, s, len, "repository path longer than %d bytes%s",
			   IMGREF_PATH_MAX, lib ? " (with 'library/')" : "");
	put(r->registry, sizeof r->registry, reg, rn);
	snprintf(r->path, sizeof r->path, "%s%.*s", lib ? "library/" : "",
		 (int)pn, path);
	return 0;
}

/* Docker refuses a bare 64-hex name: it cannot be told from an image ID. */
static int is_image_id(const char *p, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_lower_hex(p[i]))
			return 0;
	return 1;
}

/* NAME[:TAG][@DIGEST] within s[off..off+n); s, len is the whole input. */
static int parse_name_in(struct imgref *r, const char *s, size_t len,
			 const char *p, size_t n, struct err *e)
{
	const char *at = memchr(p, '@', n), *slash, *colon;
	size_t nn = at ? (size_t)(at - p) : n;

	if (n == 0)
		return bad(e, s, len, "empty image name");
	if (memchr(p, '\0', n))
		return bad(e, s, len, "NUL byte in image name");
	if (is_image_id(p, n))
		return bad(e, s, len, "looks like an image ID (64 hex digits), not a "
			   "repository name");
	if (at && parse_digest(r, s, len, at + 1, n - nn - 1, e) < 0)
		return -1;
	slash = mem_rchr(p, nn, '/');
	colon = mem_rchr(p, nn, ':');
	if (colon && (!slash || colon > slash)) {
		size_t tn = nn - (size_t)(colon - p) - 1;
		if (!tag_ok(colon + 1, tn))
			return bad(e, s, len, "invalid tag '%.*s' (up to %d of [A-Za-z0-9_.-], "
				   "not starting with '.' or '-')",
				   (int)(tn > QUOTE_MAX ? QUOTE_MAX : tn), colon + 1,
				   IMGREF_TAG_MAX);
		put(r->tag, sizeof r->tag, colon + 1, tn);
		nn = (size_t)(colon - p);
	}
	if (parse_repo(r, s, len, p, nn, e) < 0)
		return -1;
	if (!r->tag[0] && !r->digest[0])
		strcpy(r->tag, "latest");
	r->has_name = 1;
	return 0;
}

int imgref_parse_name(struct imgref *r, const char *s, size_t len, struct err *e)
{
	memset(r, 0, sizeof *r);
	r->transport = IMGREF_REGISTRY;
	return parse_name_in(r, s, len, s, len, e);
}

static int set_file(struct imgref *r, const char *s, size_t len,
		    const char *f, size_t n, const char *prefix, struct err *e)
{
	if (n == 0)
		return bad(e, s, len, "missing path after '%s'", prefix);
	if (n >= sizeof r->file)
		return bad(e, s, len, "path longer than %zu bytes", sizeof r->file - 1);
	if (memchr(f, '\0', n))
		return bad(e, s, len, "NUL byte in path");
	put(r->file, sizeof r->file, f, n);
	return 0;
}

/* oci:DIR[:TAG] and oci-archive:FILE[:TAG]: the path ends at the first ':' */
static int parse_oci(struct imgref *r, const char *s, size_t len,
		     const char *p, size_t n, const char *prefix, struct err *e)
{
	const char *colon = memchr(p, ':', n);
	size_t fn = colon ? (size_t)(colon - p) : n, tn;

	if (set_file(r, s, len, p, fn, prefix, e) < 0)
		return -1;
	if (!colon)
		return 0;
	tn = n - fn - 1;
	if (!tag_ok(colon + 1, tn))
		return bad(e, s, len, "invalid tag '%.*s' after the path",
			   (int)(tn > QUOTE_MAX ? QUOTE_MAX : tn), colon + 1);
	put(r->tag, sizeof r->tag, colon + 1, tn);
	return 0;
}

/* docker-archive:FILE[:NAME[:TAG]]: FILE ends at the first ".tar:" */
static int parse_docker_archive(struct imgref *r, const char *s, size_t len,
				const char *p, size_t n, struct err *e)
{
	size_t i, fn = n;

	for (i = 0; i + 5 <= n; i++) {
		if (memcmp(p + i, ".tar:", 5) == 0) {
			fn = i + 4;
			break;
		}
	}
	if (set_file(r, s, len, p, fn, "docker-archive:", e) < 0)
		return -1;
	if (fn == n)
		return 0;
	if (fn + 1 == n)
		return bad(e, s, len, "missing image name after '%.*s:'", (int)fn, p);
	if (memchr(p + fn + 1, '@', n - fn - 1))
		return bad(e, s, len, "docker-archive: takes NAME[:TAG], not a digest");
	return parse_name_in(r, s, len, p + fn + 1, n - fn - 1, e);
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

int imgref_parse(struct imgref *r, const char *s, size_t len, struct err *e)
{
	static const char *const reg_prefixes[] = { "docker://", "http://", "http:" };
	size_t i, n;

	memset(r, 0, sizeof *r);
	for (i = 0; i < sizeof reg_prefixes / sizeof *reg_prefixes; i++) {
		if (has_prefix(s, len, reg_prefixes[i])) {
			n = strlen(reg_prefixes[i]);
			r->transport = IMGREF_REGISTRY;
			r->insecure = reg_prefixes[i][0] == 'h';
			return parse_name_in(r, s, len, s + n, len - n, e);
		}
	}
	if (has_prefix(s, len, "dockertar:")) {
		r->transport = IMGREF_DOCKER_ARCHIVE;
		return set_file(r, s, len, s + 10, len - 10, "dockertar:", e);
	}
	if (has_prefix(s, len, "docker-archive:")) {
		r->transport = IMGREF_DOCKER_ARCHIVE;
		return parse_docker_archive(r, s, len, s + 15, len - 15, e);
	}
	if (has_prefix(s, len, "oci-archive:")) {
		r->transport = IMGREF_OCI_ARCHIVE;
		return parse_oci(r, s, len, s + 12, len - 12, "oci-archive:", e);
	}
	if (has_prefix(s, len, "oci:")) {
		r->transport = IMGREF_OCI;
		return parse_oci(r, s, len, s + 4, len - 4, "oci:", e);
	}
	if (has_prefix(s, len, "docker:")) {
		r->transport = IMGREF_DOCKER_DAEMON;
		if (memchr(s + 7, '@', len - 7))
			return bad(e, s, len, "docker: takes NAME[:TAG], not a digest");
		return parse_name_in(r, s, len, s + 7, len - 7, e);
	}
	r->transport = IMGREF_REGISTRY;
	return parse_name_in(r, s, len, s, len, e);
}

/* Append s at offset o of out (always NUL-terminated when outsz > 0);
 * returns the offset the full output would reach, snprintf style. */
static size_t cat(char *out, size_t outsz, size_t o, const char *s)
{
	size_t n = strlen(s), k;

	if (o + 1 < outsz) {
		k = outsz - o - 1;
		if (k > n)
			k = n;
		memcpy(out + o, s, k);
		out[o + k] = '\0';
	}
	return o + n;
}

/* name[:tag][@digest]; with_both = 0 drops the digest when there is a tag */
static size_t format_name(const struct imgref *r, char *out, size_t outsz,
			  size_t o, int with_both)
{
	int tag = r->tag[0] != '\0';
	int dig = r->digest[0] && (with_both || !tag);

	if (!r->has_name)
		return o;
	o = cat(out, outsz, o, r->registry);
	o = cat(out, outsz, o, "/");
	o = cat(out, outsz, o, r->path);
	if (tag) {
		o = cat(out, outsz, o, ":");
		o = cat(out, outsz, o, r->tag);
	}
	if (dig) {
		o = cat(out, outsz, o, "@");
		o = cat(out, outsz, o, r->digest);
	}
	return o;
}

size_t imgref_format(const struct imgref *r, char *out, size_t outsz)
{
	return format_name(r, out, outsz, cat(out, outsz, 0, ""), 0);
}

size_t imgref_format_full(const struct imgref *r, char *out, size_t outsz)
{
	return format_name(r, out, outsz, cat(out, outsz, 0, ""), 1);
}

size_t imgref_format_source(const struct imgref *r, char *out, size_t outsz)
{
	size_t o = cat(out, outsz, 0, "");

	switch (r->transport) {
	case IMGREF_REGISTRY:
		o = cat(out, outsz, o, r->insecure ? "http:" : "");
		return format_name(r, out, outsz, o, 1);
	case IMGREF_DOCKER_DAEMON:
		o = cat(out, outsz, o, "docker:");
		return format_name(r, out, outsz, o, 1);
	case IMGREF_DOCKER_ARCHIVE:
		/* dockertar: takes the path verbatim, whatever it contains */
		o = cat(out, outsz, o, r->has_name ? "docker-archive:" : "dockertar:");
		o = cat(out, outsz, o, r->file);
		if (!r->has_name)
			return o;
		o = cat(out, outsz, o, ":");
		return format_name(r, out, outsz, o, 1);
	case IMGREF_OCI:
	case IMGREF_OCI_ARCHIVE:
		o = cat(out, outsz, o, r->transport == IMGREF_OCI ? "oci:" : "oci-archive:");
		o = cat(out, outsz, o, r->file);
		if (r->tag[0]) {
			o = cat(out, outsz, o, ":");
			o = cat(out, outsz, o, r->tag);
		}
		return o;
	}
	return o;
}

static int ostree_plain(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '-';
}

int imgref_encode_ostree(const char *name, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)name;
	size_t o = 0;

	if (!outsz)
		return -1;
	for (; *p; p++) {
		if (ostree_plain(*p)) {
			if (o + 1 >= outsz)
				goto small;
			out[o++] = (char)*p;
			continue;
		}
		if (o + 3 >= outsz)
			goto small;
		out[o++] = '_';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
	}
	out[o] = '\0';
	return 0;
small:
	out[0] = '\0';
	return -1;
}

int imgref_ostree_ref(const char *name, char *out, size_t outsz)
{
	static const char prefix[] = "ociimage/";

	if (outsz < sizeof prefix || imgref_encode_ostree(name, out + sizeof prefix - 1,
							  outsz - sizeof prefix + 1) < 0) {
		if (outsz)
			out[0] = '\0';
		return -1;
	}
	memcpy(out, prefix, sizeof prefix - 1);
	return 0;
}

static int upper_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode failure: never leave a partial name behind. */
__attribute__((format(printf, 4, 5)))
static int decode_fail(struct err *e, char *out, size_t outsz, const char *fmt, ...)
{
	char msg[sizeof e->msg];
	va_list ap;

	if (outsz)
		out[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(e, 0, "%s", msg);
}

int imgref_decode_ostree(const char *enc, char *out, size_t outsz, struct err *e)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; enc[i]; i++) {
		c = (unsigned char)enc[i];
		if (c == '_') {
			hi = upper_hex(enc[i + 1]);
			lo = hi < 0 ? -1 : upper_hex(enc[i + 2]);
			if (lo < 0)
				return decode_fail(e, out, outsz, "ref '%.200s': invalid escape "
						   "at byte %zu ('_' and two uppercase hex digits "
						   "expected)", enc, i);
			c = (unsigned char)(hi * 16 + lo);
			if (c == 0 || ostree_plain(c))
				return decode_fail(e, out, outsz, "ref '%.200s': escape '%.3s' at "
						   "byte %zu is not how the name would be encoded",
						   enc, enc + i, i);
			i += 2;
		} else if (!ostree_plain(c)) {
			return decode_fail(e, out, outsz, "ref '%.200s': invalid character "
					   "at byte %zu", enc, i);
		}
		if (o + 1 >= outsz)
			return decode_fail(e, out, outsz, "ref '%.200s': decoded name too long",
					   enc);
		out[o++] = (char)c;
	}
	if (!outsz)
		return decode_fail(e, out, outsz, "ref '%.200s': decoded name too long", enc);
	out[o] = '\0';
	return 0;
}

int imgref_pinned_digest(const char *name, const char *source, size_t len, char digest[72])
{
	struct imgref n, src;
	struct err e;
	char a[IMGREF_FORMAT_MAX], b[IMGREF_FORMAT_MAX];

	digest[0] = '\0';
	if (imgref_parse_name(&n, name, strlen(name), &e) < 0)
		return 0;
	if (n.digest[0]) {
		memcpy(digest, n.digest, sizeof n.digest);
		return 1;
	}
	if (!source || imgref_parse(&src, source, len, &e) < 0 ||
	    src.transport != IMGREF_REGISTRY || !src.digest[0] || !src.tag[0])
		return 0;
	imgref_format(&n, a, sizeof a);
	imgref_format(&src, b, sizeof b);
	if (strcmp(a, b) != 0)
		return 0;
	memcpy(digest, src.digest, sizeof src.digest);
	return 1;
}

int imgref_atomic_short(const struct imgref *r, char *out, size_t outsz)
{
	const char *p = r->path;
	size_t o;

	o = cat(out, outsz, 0, "");
	if (!r->has_name || !r->tag[0] || strcmp(r->registry, DOCKER_HUB) != 0)
		return 0;
	/* Atomic kept what was typed; "busybox" came out as library/busybox */
	if (strncmp(p, "library/", 8) == 0 && !strchr(p + 8, '/'))
		p += 8;
	o = cat(out, outsz, o, p);
	o = cat(out, outsz, o, ":");
	o = cat(out, outsz, o, r->tag);
	if (o >= outsz) {
		cat(out, outsz, 0, "");
		return -1;
	}
	return 1;
}

void imgref_default_name(const struct imgref *r, char *out, size_t outsz)
{
	const char *last;
	size_t cap = outsz < 65 ? outsz : 65; /* 64 bytes + NUL */
	size_t o;

	o = cat(out, cap, 0, "");
	if (!r->has_name)
		return;
	last = strrchr(r->path, '/');
	last = last ? last + 1 : r->path;
	o = cat(out, cap, o, last);
	if (r->tag[0] && strcmp(r->tag, "latest") != 0) {
		o = cat(out, cap, o, "-");
		cat(out, cap, o, r->tag);
	}
}

const char *imgref_api_host(const struct imgref *r)
{
	if (strcmp(r->registry, DOCKER_HUB) == 0)
		return "registry-1.docker.io";
	return r->registry;
}
