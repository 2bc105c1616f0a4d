/* Pure readers of registry.h: manifests, indexes, platforms.  No I/O (but
 * registry_platform_host's uname), bounded by the REGISTRY_* limits. */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "json.h"
#include "sha256.h"

/* ---- platforms ---- */

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void set(char *dst, size_t sz, const char *s)
{
	snprintf(dst, sz, "%s", s);
}

void registry_platform_normalize(struct registry_platform *p)
{
	char *a = p->arch, *v = p->variant;

	lower(p->os);
	lower(a);
	lower(v);
	if (!strcmp(p->os, "macos"))
		set(p->os, sizeof p->os, "darwin");
	if (!strcmp(a, "i386")) {
		set(a, sizeof p->arch, "386");
		v[0] = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		set(a, sizeof p->arch, "amd64");
		if (!strcmp(v, "v1"))
			v[0] = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		set(a, sizeof p->arch, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
			v[0] = '\0';
	} else if (!strcmp(a, "armhf")) {
		set(a, sizeof p->arch, "arm");
		set(v, sizeof p->variant, "v7");
	} else if (!strcmp(a, "armel")) {
		set(a, sizeof p->arch, "arm");
		set(v, sizeof p->variant, "v6");
	} else if (!strcmp(a, "arm")) {
		if (!v[0] || !strcmp(v, "7"))
			set(v, sizeof p->variant, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8")) {
			char t[4] = { 'v', v[0], '\0', '\0' };
			set(v, sizeof p->variant, t);
		}
	}
}

void registry_platform_format(const struct registry_platform *p, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

static int platform_part_ok(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

int registry_platform_parse(const char *s, size_t len, struct registry_platform *p,
			    struct err *e)
{
	char *dst[3] = { p->os, p->arch, p->variant };
	size_t cap[3] = { sizeof p->os, sizeof p->arch, sizeof p->variant };
	size_t start = 0, k = 0;

	memset(p, 0, sizeof *p);
	for (size_t i = 0; i <= len; i++) {
		size_t n;
		if (i < len && s[i] != '/')
			continue;
		n = i - start;
		if (k == 3)
			return err_usage(e, "--platform '%.*s': expected os/arch[/variant]",
					 (int)(len > 64 ? 64 : len), s);
		if (!platform_part_ok(s + start, n) || n >= cap[k])
			return err_usage(e, "--platform '%.*s': expected os/arch[/variant]",
					 (int)(len > 64 ? 64 : len), s);
		memcpy(dst[k], s + start, n);
		dst[k][n] = '\0';
		k++;
		start = i + 1;
	}
	if (k < 2)
		return err_usage(e, "--platform '%.*s': expected os/arch[/variant]",
				 (int)(len > 64 ? 64 : len), s);
	registry_platform_normalize(p);
	return 0;
}

/* How well an offer's variant serves the wanted one: 0 exact, 1.. the
 * rank of an older arm variant, -1 not at all. */
static int variant_rank(const struct registry_platform *want, const char *offer)
{
	static const char *const arm[] = { "v8", "v7", "v6", "v5" };
	int w = -1, o = -1;

	if (!strcmp(want->variant, offer))
		return 0;
	if (strcmp(want->arch, "arm"))
		return -1;
	for (int i = 0; i < 4; i++) {
		if (!strcmp(arm[i], want->variant))
			w = i;
		if (!strcmp(arm[i], offer))
			o = i;
	}
	return w >= 0 && o > w ? o - w : -1;
}

long registry_platform_choose(const struct registry_platform *offers, size_t n,
			      const struct registry_platform *want)
{
	long best = -1;
	int best_rank = 0;

	for (size_t i = 0; i < n; i++) {
		int r;
		if (strcmp(offers[i].os, want->os) || strcmp(offers[i].arch, want->arch))
			continue;
		r = variant_rank(want, offers[i].variant);
		if (r >= 0 && (best < 0 || r < best_rank)) {
			best = (long)i;
			best_rank = r;
		}
	}
	return best;
}

int registry_platform_host(struct registry_platform *p, struct err *e)
{
	struct utsname u;

	memset(p, 0, sizeof *p);
	if (uname(&u) < 0)
		return err_set(e, errno, "uname");
	set(p->os, sizeof p->os, "linux");
	set(p->arch, sizeof p->arch, u.machine);
	/* uname says armv7l, armv6l, armv5tel: the arch is arm, the digit
	 * the variant */
	if (!strncmp(u.machine, "armv", 4) && u.machine[4] >= '5' && u.machine[4] <= '8') {
		set(p->arch, sizeof p->arch, "arm");
		p->variant[0] = 'v';
		p->variant[1] = u.machine[4];
		p->variant[2] = '\0';
	}
	registry_platform_normalize(p);
	return 0;
}

/* ---- manifests ---- */

int registry_layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(mt, ok[i]))
			return 1;
	return 0;
}

static int is_image_type(const char *mt)
{
	return !strcmp(mt, REGISTRY_MT_OCI_MANIFEST) || !strcmp(mt, REGISTRY_MT_DOCKER_MANIFEST);
}

static int is_index_type(const char *mt)
{
	return !strcmp(mt, REGISTRY_MT_OCI_INDEX) || !strcmp(mt, REGISTRY_MT_DOCKER_LIST);
}

static int is_v1_type(const char *mt)
{
	return !strcmp(mt, REGISTRY_MT_DOCKER_V1) || !strcmp(mt, REGISTRY_MT_DOCKER_V1_SIGNED);
}

/* A string member into dst (""when absent); -1 when present but not a
 * string, too long, or holding a control character (these strings end up
 * quoted in messages, which are one line). */
static int get_str(const struct json *j, int obj, const char *key, char *dst, size_t sz)
{
	int n = json_get(j, obj, key);
	char *s;

	dst[0] = '\0';
	if (n < 0)
		return 0;
	if (!(s = json_str(j, n)) || strlen(s) >= sz) {
		free(s);
		return -1;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(s);
			return -1;
		}
	memcpy(dst, s, strlen(s) + 1);
	free(s);
	return 0;
}

static int read_platform(const struct json *j, int node, struct registry_desc *d, const char *what,
			 struct err *e)
{
	struct registry_platform *p = &d->platform;

	if (node < 0)
		return 0;
	if (json_kind(j, node) != JSON_OBJECT)
		return err_set(e, 0, "%s: platform is not an object", what);
	if (get_str(j, node, "os", p->os, sizeof p->os) < 0 ||
	    get_str(j, node, "architecture", p->arch, sizeof p->arch) < 0 ||
	    get_str(j, node, "variant", p->variant, sizeof p->variant) < 0)
		return err_set(e, 0, "%s: malformed platform", what);
	registry_platform_normalize(p);
	d->has_platform = 1;
	return 0;
}

static int read_desc(const struct json *j, int node, struct registry_desc *d, const char *what,
		     struct err *e)
{
	int dn = json_get(j, node, "digest");
	size_t dl = 0;
	const char *raw;

	memset(d, 0, sizeof *d);
	if (json_kind(j, node) != JSON_OBJECT)
		return err_set(e, 0, "%s is not an object", what);
	if (get_str(j, node, "mediaType", d->media_type, sizeof d->media_type) < 0)
		return err_set(e, 0, "%s: malformed mediaType", what);
	if (json_kind(j, dn) != JSON_STRING)
		return err_set(e, 0, "%s: no digest", what);
	raw = json_raw(j, dn, &dl);
	if (dl < 2 || !sha256_digest_ok(raw + 1, dl - 2)) {
		if (dl > 2 && memchr(raw + 1, ':', dl - 2) && memcmp(raw + 1, "sha256:", 7))
			return err_set(e, 0, "%s: unsupported digest algorithm", what);
		return err_set(e, 0, "%s: digest is not sha256:<64 hex digits>", what);
	}
	memcpy(d->digest, raw + 1, 71);
	d->digest[71] = '\0';
	if (json_int64(j, json_get(j, node, "size"), &d->size) < 0 || d->size < 0)
		return err_set(e, 0, "%s: no valid size", what);
	return 0;
}

static int read_image(const struct json *j, struct registry_manifest *m, struct err *e)
{
	int layers = json_get(j, json_root(j), "layers");
	size_t n;

	if (read_desc(j, json_get(j, json_root(j), "config"), &m->config, "config", e) < 0)
		return -1;
	if (m->config.media_type[0] && strcmp(m->config.media_type, REGISTRY_MT_OCI_CONFIG) &&
	    strcmp(m->config.media_type, REGISTRY_MT_DOCKER_CONFIG))
		return err_set(e, 0, "not a container image: config media type '%s'",
			       m->config.media_type);
	if (json_kind(j, layers) != JSON_ARRAY)
		return err_set(e, 0, "no layers array");
	n = json_count(j, layers);
	if (n > REGISTRY_LAYERS_MAX)
		return err_set(e, 0, "%zu layers, more than the %d we accept", n, REGISTRY_LAYERS_MAX);
	if (!(m->desc = calloc(n ? n : 1, sizeof *m->desc)))
		return err_set(e, ENOMEM, "manifest");
	for (size_t i = 0; i < n; i++) {
		char what[32];
		snprintf(what, sizeof what, "layer %zu", i + 1);
		if (read_desc(j, json_at(j, layers, i), &m->desc[i], what, e) < 0)
			return -1;
		m->n++;
		if (!registry_layer_type_ok(m->desc[i].media_type))
			return err_set(e, 0, "%s: unsupported media type '%s'", what,
				       m->desc[i].media_type);
	}
	return 0;
}

static int read_index(const struct json *j, struct registry_manifest *m, struct err *e)
{
	int arr = json_get(j, json_root(j), "manifests");
	size_t n;

	if (json_kind(j, arr) != JSON_ARRAY)
		return err_set(e, 0, "no manifests array");
	n = json_count(j, arr);
	if (n > REGISTRY_INDEX_MAX)
		return err_set(e, 0, "%zu entries, more than the %d we accept", n, REGISTRY_INDEX_MAX);
	if (!(m->desc = calloc(n ? n : 1, sizeof *m->desc)))
		return err_set(e, ENOMEM, "index");
	for (size_t i = 0; i < n; i++) {
		int node = json_at(j, arr, i);
		char what[32];
		snprintf(what, sizeof what, "entry %zu", i + 1);
		if (read_desc(j, node, &m->desc[i], what, e) < 0 ||
		    read_platform(j, json_get(j, node, "platform"), &m->desc[i], what, e) < 0)
			return -1;
		m->n++;
	}
	return 0;
}

/* The media type without parameters and surrounding blanks, lower case. */
static void bare_type(const char *ct, char *out, size_t outsz)
{
	size_t n = 0;

	out[0] = '\0';
	if (!ct)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && n + 1 < outsz)
		n++;
	memcpy(out, ct, n);
	out[n] = '\0';
	lower(out);
}

/* Decide what the document is from its mediaType, the Content-Type, or
 * its shape, in that order. */
static int classify(const struct json *j, struct registry_manifest *m, const char *ctype,
		    struct err *e)
{
	int root = json_root(j);
	int64_t sv = 0;

	if (json_kind(j, root) != JSON_OBJECT)
		return err_set(e, 0, "not a JSON object");
	if (get_str(j, root, "mediaType", m->media_type, sizeof m->media_type) < 0)
		return err_set(e, 0, "malformed mediaType");
	if (json_int64(j, json_get(j, root, "schemaVersion"), &sv) == 0 && sv == 1)
		return err_set(e, 0, "unsupported legacy manifest (schema 1)");
	if (!m->media_type[0] && !is_v1_type(ctype) && (is_image_type(ctype) || is_index_type(ctype)))
		snprintf(m->media_type, sizeof m->media_type, "%s", ctype);
	if (is_v1_type(m->media_type) || (!m->media_type[0] && is_v1_type(ctype)))
		return err_set(e, 0, "unsupported legacy manifest (schema 1)");
	if (!m->media_type[0]) {
		if (json_kind(j, json_get(j, root, "manifests")) == JSON_ARRAY)
			snprintf(m->media_type, sizeof m->media_type, "%s", REGISTRY_MT_OCI_INDEX);
		else if (json_kind(j, json_get(j, root, "config")) == JSON_OBJECT)
			snprintf(m->media_type, sizeof m->media_type, "%s", REGISTRY_MT_OCI_MANIFEST);
	}
	if (is_image_type(m->media_type))
		m->kind = REGISTRY_IMAGE;
	else if (is_index_type(m->media_type))
		m->kind = REGISTRY_INDEX;
	else if (m->media_type[0])
		return err_set(e, 0, "unsupported manifest media type '%s'", m->media_type);
	else
		return err_set(e, 0, "neither an image manifest nor an index");
	if (sv != 2)
		return err_set(e, 0, "schemaVersion is not 2");
	return 0;
}

int registry_manifest_parse(const char *buf, size_t len, const char *content_type,
			    struct registry_manifest **out, struct err *e)
{
	struct registry_manifest *m;
	struct json *j = NULL;
	char ctype[128];
	int r;

	*out = NULL;
	if (len > REGISTRY_MANIFEST_MAX)
		return err_set(e, 0, "manifest larger than %d bytes", REGISTRY_MANIFEST_MAX);
	bare_type(content_type, ctype, sizeof ctype);
	if (is_v1_type(ctype))
		return err_set(e, 0, "unsupported legacy manifest (schema 1)");
	if (json_parse_limits(&j, buf, len, REGISTRY_MANIFEST_TOKENS, e) < 0)
		return -1;
	if (!(m = calloc(1, sizeof *m))) {
		json_free(j);
		return err_set(e, ENOMEM, "manifest");
	}
	r = classify(j, m, ctype, e);
	if (!r)
		r = m->kind == REGISTRY_IMAGE ? read_image(j, m, e) : read_index(j, m, e);
	json_free(j);
	if (r < 0) {
		registry_manifest_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void registry_manifest_free(struct registry_manifest *m)
{
	if (!m)
		return;
	free(m->desc);
	free(m);
}

/* Index entries we can pull: image manifests (or untyped) with a platform
 * that names one (buildx's attestations say "unknown/unknown"). */
static int candidate(const struct registry_desc *d)
{
	return d->has_platform && (!d->media_type[0] || is_image_type(d->media_type)) &&
	       strcmp(d->platform.os, "unknown");
}

int registry_index_choose(const struct registry_manifest *ix,
			  const struct registry_platform *want, size_t *out, struct err *e)
{
	struct registry_platform *offers;
	size_t *map, n = 0;
	char w[96], list[512] = "", one[96];
	long pick;

	if (!(offers = calloc(ix->n ? ix->n : 1, sizeof *offers)))
		return err_set(e, ENOMEM, "index");
	if (!(map = calloc(ix->n ? ix->n : 1, sizeof *map))) {
		free(offers);
		return err_set(e, ENOMEM, "index");
	}
	for (size_t i = 0; i < ix->n; i++)
		if (candidate(&ix->desc[i])) {
			offers[n] = ix->desc[i].platform;
			map[n++] = i;
		}
	pick = registry_platform_choose(offers, n, want);
	if (pick >= 0)
		*out = map[pick];
	for (size_t i = 0; pick < 0 && i < n; i++) {
		size_t l = strlen(list);
		registry_platform_format(&offers[i], one, sizeof one);
		if (l + strlen(one) + 8 >= sizeof list) {
			snprintf(list + l, sizeof list - l, ", ...");
			break;
		}
		snprintf(list + l, sizeof list - l, "%s%s", l ? ", " : "", one);
	}
	free(offers);
	free(map);
	if (pick >= 0)
		return 0;
	registry_platform_format(want, w, sizeof w);
	if (!n)
		return err_set(e, 0, "no image for %s in the index; it names no platform", w);
	return err_set(e, 0, "no image for %s in the index; it offers %s", w, list);
}
