/* Image references: transports, the docker/distribution name grammar,
 * normalisation, and the OSTree ref encoding Atomic and skopeo use.
 * Pure functions: no I/O, no allocation; struct imgref owns no heap memory.
 *
 * Accepted forms (the transport prefix is matched exactly and wins, as in
 * Atomic: "docker:latest" is the local engine's image "latest"; write
 * "docker://docker:latest" or "docker.io/library/docker" for the Hub image):
 *
 *   [docker://]NAME                registry (the default)
 *   http:NAME, http://NAME         registry over plain HTTP / unverified TLS
 *                                  (Atomic's insecure-registry prefix)
 *   docker:NAME[:TAG]              the local Docker engine
 *   dockertar:FILE                 a `docker save` archive; FILE is taken
 *                                  verbatim (it may contain ':')
 *   docker-archive:FILE[:NAME[:TAG]]
 *                                  the same; the ":NAME[:TAG]" suffix is
 *                                  recognised only after a ".tar" ending:
 *                                  FILE ends at the first ".tar:" (without
 *                                  one, everything is FILE)
 *   oci:DIR[:TAG], oci-archive:FILE[:TAG]
 *                                  OCI layout / its tar; the path ends at
 *                                  the first ':' (as in containers/image),
 *                                  so it cannot contain one
 *
 * NAME is the distribution grammar  [REGISTRY/]PATH[:TAG][@sha256:HEX64],
 * read as Docker (github.com/distribution/reference, 2024) reads it:
 *  - the first of several '/'-separated components is a registry when it
 *    contains '.' or ':' (a domain, an IPv4 address, "[IPv6]", host:port),
 *    is "localhost", or has an upper-case letter and is a valid host
 *    ("LOCALDOMAIN/debian": the only way to name a one-word host without
 *    a port; "My_Org/app" stays a path, refused as not lower case);
 *    otherwise the registry is docker.io.  index.docker.io -> docker.io.
 *  - REGISTRY is host[:port]; the port must be 1-65535 (Docker takes any
 *    digits: a deliberate difference) and REGISTRY at most 255 bytes (ours:
 *    Docker sets no limit, DNS names stop at 253).
 *  - PATH components are [a-z0-9]+ joined by '.', '_', '__' or runs of '-';
 *    upper case is refused ("repository name must be lowercase").
 *    docker.io with a one-component PATH gets "library/".
 *  - PATH is at most 255 bytes after normalisation ("library/" counts, the
 *    registry does not).
 *  - a NAME of exactly 64 lowercase hex digits is refused: it cannot be
 *    told from an image ID ("docker.io/library/HEX" or "HEX:TAG" are names).
 *  - TAG is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; only sha256 digests are
 *    supported, as 64 lowercase hex digits.
 *  - no tag and no digest -> tag "latest"; tag and digest -> both kept (the
 *    pull goes by digest, the tag names the image ref).
 *
 * A malformed reference is a usage error (err_usage: exit status 2); the
 * message quotes the input and names the bad part. */
#ifndef SC_IMGREF_H
#define SC_IMGREF_H

#include <stddef.h>

#include "err.h"

#define IMGREF_PATH_MAX 255 /* PATH after normalisation */
#define IMGREF_TAG_MAX 128
/* A buffer this big always holds imgref_format()'s and
 * imgref_atomic_short()'s output: registry (255) + '/' + path (255) + ':' +
 * tag (128) + '@' + digest (71) + NUL = 713. */
#define IMGREF_FORMAT_MAX 768
/* Longest decoded OSTree image ref name we accept to hold. */
#define IMGREF_ENCODED_MAX (3 * IMGREF_FORMAT_MAX)

enum imgref_transport {
	IMGREF_REGISTRY,
	IMGREF_DOCKER_ARCHIVE, /* dockertar:, docker-archive: */
	IMGREF_OCI,            /* oci: */
	IMGREF_OCI_ARCHIVE,    /* oci-archive: */
	IMGREF_DOCKER_DAEMON,  /* docker: */
};

struct imgref {
	enum imgref_transport transport;
	int insecure;       /* http: prefix */
	int has_name;       /* registry/path/tag/digest hold a name: always for
	                       REGISTRY and DOCKER_DAEMON, for DOCKER_ARCHIVE
	                       when ":NAME" was given, never for OCI* */
	char registry[256]; /* "docker.io", "localhost:5000", "[::1]:5000" */
	char path[IMGREF_PATH_MAX + 1]; /* "library/busybox" */
	char tag[IMGREF_TAG_MAX + 1]; /* "" only when pulling by digest alone,
	                       or for OCI* without ":TAG" */
	char digest[72];    /* "sha256:<64 hex>" or "" */
	char file[4096];    /* host path for DOCKER_ARCHIVE and OCI*, else "" */
};

/* Parse a reference with optional transport prefix from s[0..len) (no NUL
 * needed).  0, or -1 with a usage error in e.  *r is zeroed first. */
int imgref_parse(struct imgref *r, const char *s, size_t len, struct err *e);
/* Parse a plain NAME (no transport) into a REGISTRY reference. */
int imgref_parse_name(struct imgref *r, const char *s, size_t len, struct err *e);

/* The normalised image name, which names the image's OSTree ref:
 * "registry/path:tag", or "registry/path@digest" when there is no tag.
 * "" when !has_name.  Returns the length the full output needs (snprintf
 * style: truncated when >= outsz; never with IMGREF_FORMAT_MAX). */
size_t imgref_format(const struct imgref *r, char *out, size_t outsz);
/* The same, but with both tag and digest when both were given
 * ("docker.io/library/x:1@sha256:..."): the name a lookup must match
 * exactly (image_resolve() checks the digest).  snprintf-style return. */
size_t imgref_format_full(const struct imgref *r, char *out, size_t outsz);
/* Everything, re-parseable by imgref_parse(): transport prefix, file, and
 * both tag and digest ("http:", "docker-archive:/a.tar:docker.io/x/y:t",
 * "oci:/d:t", "docker.io/library/x:t@sha256:...").  snprintf-style return;
 * a buffer of sizeof(r->file) + IMGREF_FORMAT_MAX + 16 always suffices. */
size_t imgref_format_source(const struct imgref *r, char *out, size_t outsz);

/* OSTree ref encoding: every byte outside [A-Za-z0-9.-] becomes "_XX"
 * (uppercase hex): "docker.io/library/busybox:latest" ->
 * "docker.io_2Flibrary_2Fbusybox_3Alatest".  No "ociimage/" prefix: the
 * caller adds it.  0, or -1 (out = "") when outsz is too small. */
int imgref_encode_ostree(const char *name, char *out, size_t outsz);
/* The image's OSTree ref, "ociimage/" and the encoded name; a buffer of
 * IMGREF_REF_MAX always suffices.  0, or -1 (out = "") when too small. */
#define IMGREF_REF_MAX (IMGREF_ENCODED_MAX + 16)
int imgref_ostree_ref(const char *name, char *out, size_t outsz);
/* The inverse.  Only the exact output of the encoder is accepted: "_XX"
 * with two UPPERCASE hex digits naming a byte the encoder escapes (not NUL,
 * not [A-Za-z0-9.-]), and no other byte outside [A-Za-z0-9.-_]; so every
 * encoded ref decodes to one name and back.  0, or -1 with e set (exit
 * status 1: refs come from the repository, not from the user). */
int imgref_decode_ostree(const char *enc, char *out, size_t outsz, struct err *e);

/* The digest an image's name is pinned to, for display.  name: the image
 * ref's decoded name (NUL-terminated); source, len: what was pulled into
 * that ref, as recorded at pull time (imgref_format_source() behind an
 * optional "docker://"; NULL when nothing was recorded).  A digest-only name
 * is its own pin; NAME:TAG is pinned when the source is the same NAME:TAG
 * with a digest (a pull of NAME:TAG@sha256:...), not when another image was
 * tagged NAME:TAG.  1 with "sha256:<hex>" in digest, or 0 with "". */
int imgref_pinned_digest(const char *name, const char *source, size_t len, char digest[72]);

/* Atomic's unqualified name for a fallback lookup of docker.io images, the
 * way Atomic wrote it from what the user typed: docker.io/library/busybox:t
 * -> "busybox:t", docker.io/gscrivano/etcd:latest -> "gscrivano/etcd:latest".
 * Returns 1 when written, 0 when there is no such form (other registries,
 * whose names Atomic stored as typed, digest-only references, no name;
 * out = ""), -1 when outsz is too small. */
int imgref_atomic_short(const struct imgref *r, char *out, size_t outsz);
/* Default container name: the last path component, plus "-TAG" when the
 * tag is neither "latest" nor empty (gscrivano/etcd -> "etcd", foo/bar:v2
 * -> "bar-v2"); cut to 64 bytes (the container name limit) and to outsz.
 * "" when !has_name. */
void imgref_default_name(const struct imgref *r, char *out, size_t outsz);
/* Host to talk the registry API to: "registry-1.docker.io" for docker.io,
 * else the registry as given (with its port).  "" when there is none. */
const char *imgref_api_host(const struct imgref *r);

#endif
