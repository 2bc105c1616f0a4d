/* pull IMAGE: store an image's layers and the image itself in the repo.
 *
 * Under the shared repo lock, for each layer in manifest order: skip it
 * when its diff-ID ref exists, else stream it through the layer import
 * (digests checked before anything is referenced).  The image ref comes
 * last, so a failed pull leaves no new or changed image ref. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "imgref.h"
#include "json.h"
#include "layer.h"
#include "platform.h"
#include "pull.h"
#include "registry.h"
#include "sha256.h"
#include "source.h"
#include "store.h"
#include "util.h"

struct progress {
	const struct cli *c;
	struct layer_import *li;
	int tty;
	const char *hex;
	int64_t total;
	struct timespec last;
};

void pull_on_wait(void *ctx, const char *repo, unsigned timeout_s)
{
	(void)ctx;
	fprintf(stderr, "syscontainer: waiting for the repository lock on '%s' (up to %u s)\n",
		repo, timeout_s);
}

static void on_warn(void *ctx, const char *path, const char *what)
{
	const char *hex = ctx;
	fprintf(stderr, "syscontainer: warning: layer %.12s: skipped %s '%s' (OSTree cannot "
		"store it)\n", hex, what, path);
}

static void show_progress(struct progress *p, int final)
{
	char done[32], total[32];
	struct timespec now;

	if (!p->tty || p->c->quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && (now.tv_sec - p->last.tv_sec) * 1000 +
	    (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	util_human_size(layer_import_fed(p->li), done, sizeof done);
	if (p->total >= 0)
		util_human_size((unsigned long long)p->total, total, sizeof total);
	printf("\r  %.12s: %s%s%s\033[K", p->hex, done, p->total >= 0 ? " / " : "",
	       p->total >= 0 ? total : "");
	if (final)
		printf("\r\033[K");
	fflush(stdout);
}

static int feed(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct progress *p = ctx;
	if (layer_import_feed(p->li, buf, len, e) < 0)
		return -1;
	show_progress(p, 0);
	return 0;
}

static int import_layer(struct cli *c, struct store *s, struct source *src, size_t i,
			struct layer_result *res, struct err *e)
{
	const struct image_layer *l = &src->img.layers[i];
	struct layer_expect x = {
		.diff_id = l->diff_id,
		.blob_digest = l->digest[0] ? l->digest : NULL,
		.blob_size = l->size,
	};
	struct progress p = { .c = c, .tty = isatty(STDOUT_FILENO), .hex = l->diff_id + 7,
			      .total = l->size };

	if (layer_import_begin(s, &x, on_warn, (void *)(l->diff_id + 7), &p.li, e) < 0)
		return -1;
	if (src->ops->fetch_layer(src, i, feed, &p, e) < 0) {
		show_progress(&p, 1);
		layer_import_abort(p.li);
		return -1;
	}
	show_progress(&p, 1);
	return layer_import_end(p.li, res, e);
}

/* What an already-stored layer needs for the synthesised manifest. */
static int stored_layer(struct store *s, const char *commit, struct layer_result *res,
			struct err *e)
{
	char *v = NULL;

	if (store_commit_meta(s, commit, "docker.uncompressed_size", &v, e) < 0)
		return -1;
	res->tar_bytes = v ? strtoull(v, NULL, 10) : 0;
	free(v);
	return 0;
}

/* Sources without a registry manifest (docker save) get one describing the
 * layers in their uncompressed form, so the same image always has the same
 * manifest whichever layers were already stored. */
static int synth_manifest(struct image *img, const struct layer_result *res, struct err *e)
{
	struct buf b;
	struct jw w;
	uint8_t d[32];

	buf_init(&b);
	jw_init(&w, &b, 0);
	jw_begin_obj(&w);
	jw_key(&w, "schemaVersion");
	jw_int(&w, 2);
	jw_key(&w, "mediaType");
	jw_str(&w, "application/vnd.docker.distribution.manifest.v2+json");
	jw_key(&w, "config");
	jw_begin_obj(&w);
	jw_key(&w, "mediaType");
	jw_str(&w, "application/vnd.docker.container.image.v1+json");
	jw_key(&w, "size");
	jw_uint(&w, img->config_len);
	jw_key(&w, "digest");
	jw_str(&w, img->config_digest);
	jw_end_obj(&w);
	jw_key(&w, "layers");
	jw_begin_arr(&w);
	for (size_t i = 0; i < img->nlayers; i++) {
		jw_begin_obj(&w);
		jw_key(&w, "mediaType");
		jw_str(&w, "application/vnd.docker.image.rootfs.diff.tar");
		jw_key(&w, "size");
		jw_uint(&w, res[i].tar_bytes);
		jw_key(&w, "digest");
		jw_str(&w, img->layers[i].diff_id);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "manifest");
	}
	img->manifest = buf_steal(&b, &img->manifest_len);
	sha256_oneshot(img->manifest, img->manifest_len, d);
	layer_digest_string(d, img->manifest_digest);
	return 0;
}

static int write_image(struct store *s, struct image *img, char commit[65], struct err *e)
{
	char enc[IMGREF_ENCODED_MAX], ref[IMGREF_ENCODED_MAX + 16];
	const struct store_kv kv[] = {
		{ "docker.manifest", img->manifest },
		{ "docker.digest", img->manifest_digest },
		{ "syscontainer.config", img->config },
		{ "syscontainer.source", img->source },
		{ "syscontainer.name", img->name },
	};

	if (imgref_encode_ostree(img->name, enc, sizeof enc) < 0)
		return err_set(e, 0, "image name too long");
	snprintf(ref, sizeof ref, "ociimage/%s", enc);
	return store_write_meta_commit(s, ref, kv, sizeof kv / sizeof kv[0], commit, e);
}

unsigned pull_lock_timeout(void)
{
	const char *v = getenv("SYSCONTAINER_LOCK_TIMEOUT");
	return v && *v ? (unsigned)strtoul(v, NULL, 10) : 600;
}

int pull_image(struct cli *c, struct store *s, const struct imgref *ref,
	       const struct source_opts *o, char *name_out, struct err *e)
{
	struct source *src = NULL;
	struct layer_result *res = NULL;
	size_t stored = 0, skipped = 0;
	unsigned long long bytes = 0;
	char commit[65], human[32];
	int r = -1;

	if (store_lock(s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0)
		return -1;
	if (source_open(&src, ref, o, e) < 0 ||
	    platform_check(src->img.config, src->img.config_len, o->platform, NULL, NULL, e) < 0)
		goto out;
	res = calloc(src->img.nlayers ? src->img.nlayers : 1, sizeof *res);
	if (!res) {
		err_set(e, ENOMEM, "pull");
		goto out;
	}
	for (size_t i = 0; i < src->img.nlayers; i++) {
		const char *diff = src->img.layers[i].diff_id;
		char lref[STORE_REF_MAX];
		int have;

		store_layer_ref(diff, lref);
		if ((have = store_ref_get(s, lref, res[i].commit, e)) < 0)
			goto out;
		if (have) {
			cli_say(c, "Skipping layer %s: already present\n", diff + 7);
			if (stored_layer(s, res[i].commit, &res[i], e) < 0)
				goto out;
			skipped++;
			continue;
		}
		cli_say(c, "Pulling layer %s\n", diff + 7);
		if (import_layer(c, s, src, i, &res[i], e) < 0) {
			err_wrap(e, "layer %.12s", diff + 7);
			goto out;
		}
		stored++;
		bytes += res[i].blob_bytes;
		if (c->verbose)
			fprintf(stderr, "syscontainer: layer %.12s: %llu bytes as served (%s), %llu "
				"uncompressed, %llu entries, %llu skipped, commit %s\n", diff + 7,
				(unsigned long long)res[i].blob_bytes, res[i].compressed ? "gzip" : "tar",
				(unsigned long long)res[i].tar_bytes, (unsigned long long)res[i].entries,
				(unsigned long long)res[i].skipped, res[i].commit);
	}
	if (!src->img.manifest && synth_manifest(&src->img, res, e) < 0)
		goto out;
	if (write_image(s, &src->img, commit, e) < 0)
		goto out;
	util_human_size(bytes, human, sizeof human);
	printf("Pulled %s (IMAGE ID %.12s): %zu layer%s stored, %zu skipped, %s\n", src->img.name,
	       src->img.config_digest + 7, stored, stored == 1 ? "" : "s", skipped, human);
	if (name_out)
		snprintf(name_out, IMGREF_FORMAT_MAX, "%s", src->img.name);
	r = 0;
out:
	free(res);
	source_free(src);
	store_unlock(s, e);
	return r;
}

/* The OSTree system repo is shared with the host OS: only in bare mode,
 * which keeps ownership, and only when its objects can really be hardlinked
 * into CHECKOUT (same filesystem, no protection in the way). */
static int system_repo_ok(struct cli *c, struct store *s, int ckfd, struct err *e)
{
	char probe[64];
	int fd, r = 0;

	if (!store_is_bare(s))
		return err_set(e, 0, "the system repository '%s' is in %s mode: only bare is used",
			       c->paths.repo, store_mode_name(s));
	snprintf(probe, sizeof probe, "tmp/syscontainer-probe-%d", (int)getpid());
	fd = openat(store_dfd(s), probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, errno, "system repository '%s': probe", c->paths.repo);
	close(fd);
	if (linkat(store_dfd(s), probe, ckfd, ".link-probe", 0) < 0)
		r = err_set(e, errno, "the system repository '%s' cannot hardlink into '%s'",
			    c->paths.repo, c->paths.checkout);
	unlinkat(ckfd, ".link-probe", 0);
	unlinkat(store_dfd(s), probe, 0);
	return r;
}

/* The repository, its parent resolved on the target as the target sees it. */
static int open_repo(struct cli *c, int create, struct store **s, struct err *e)
{
	char parent[PATH_MAX];
	const char *name = strrchr(c->paths.repo, '/') + 1;
	int pfd, r;

	/* paths_resolve() made the repository path absolute, without a
	 * trailing '/': name is its last component. */
	snprintf(parent, sizeof parent, "%.*s", (int)(name - c->paths.repo - 1), c->paths.repo);
	if (!parent[0])
		memcpy(parent, "/", 2);
	pfd = create ? target_mkdirs(&c->tgt, parent, 0755, 0, e) : target_open_dir(&c->tgt, parent, e);
	if (pfd < 0 && !create && errno == ENOENT)
		return err_setc(e, ERR_NOT_FOUND, 0,
				"repository '%s' does not exist (nothing pulled yet?)", c->paths.repo);
	if (pfd < 0)
		return err_wrap(e, "repository");
	r = store_open(s, pfd, name, c->paths.repo, create, e);
	close(pfd);
	return r;
}

int pull_open_existing_store(struct cli *c, struct store **s, struct err *e)
{
	if (cli_target(c, e) < 0)
		return -1;
	return open_repo(c, 0, s, e);
}

int pull_open_store(struct cli *c, struct store **s, struct err *e)
{
	int ckfd, r;

	if (cli_target(c, e) < 0 || (ckfd = paths_prepare(&c->paths, &c->tgt, e)) < 0)
		return -1;
	/* A recorded repository that vanished is never replaced by an empty
	 * one: the containers installed from it would lose their images. */
	r = open_repo(c, c->paths.repo_source != REPO_FROM_RECORD, s, e);
	if (r < 0 && e->code == ERR_NOT_FOUND)
		err_set(e, 0, "repository '%s' (recorded in %s/.storage/repo-path) does not exist: "
			"restore it, or remove that file to start a new private repository",
			c->paths.repo, c->paths.checkout);
	if (r == 0 && paths_repo_is_system(&c->paths) && system_repo_ok(c, *s, ckfd, e) < 0)
		r = -1;
	/* Only a repository that was opened and accepted is recorded. */
	if (r == 0 && paths_record_repo(&c->paths, ckfd, e) < 0)
		r = -1;
	close(ckfd);
	if (r < 0) {
		store_free(*s);
		*s = NULL;
		return -1;
	}
	if (c->verbose) {
		static const char *const from[] = { "--repo", "$ATOMIC_OSTREE_REPO",
						    "the recorded choice", "the private default" };
		fprintf(stderr, "syscontainer: repository %s (%s, from %s), CHECKOUT %s%s%s\n",
			c->paths.repo, store_mode_name(*s), from[c->paths.repo_source],
			c->paths.checkout, c->root ? " under " : "", c->root ? c->root : "");
	}
	return 0;
}

/* "--name VALUE" or "--name=VALUE" at argv[i]: how many entries it took
 * (0: not this option), the value in *val. */
static int option_value(int argc, char **argv, int i, const char *name, const char **val,
			struct err *e)
{
	size_t n = strlen(name);

	if (strncmp(argv[i], name, n))
		return 0;
	if (argv[i][n] == '=') {
		*val = argv[i] + n + 1;
		return 1;
	}
	if (argv[i][n])
		return 0;
	if (i + 1 >= argc)
		return err_usage(e, "%s needs a value", name);
	*val = argv[i + 1];
	return 2;
}

/* The registry options: --creds, --cert-dir, --tls-verify, --platform. */
int pull_option(int argc, char **argv, int i, struct source_opts *o, struct err *e)
{
	struct registry_platform p;
	const char *v = NULL;
	int n;

	if ((n = option_value(argc, argv, i, "--creds", &o->creds, e)))
		return n;
	if ((n = option_value(argc, argv, i, "--cert-dir", &o->cert_dir, e)))
		return n;
	if ((n = option_value(argc, argv, i, "--platform", &o->platform, e))) {
		if (n > 0 && registry_platform_parse(o->platform, strlen(o->platform), &p, e) < 0)
			return -1;
		return n;
	}
	if (!strcmp(argv[i], "--tls-verify")) {
		o->tls_verify = 1;
		return 1;
	}
	if (!strncmp(argv[i], "--tls-verify=", 13)) {
		v = argv[i] + 13;
		if (strcmp(v, "true") && strcmp(v, "false"))
			return err_usage(e, "--tls-verify takes true or false, not '%s'", v);
		o->tls_verify = !strcmp(v, "true");
		return 1;
	}
	return 0;
}

int cmd_pull(struct cli *c, int argc, char **argv, struct err *e)
{
	const char *image = NULL;
	struct store *s = NULL;
	struct imgref ref;
	struct source_opts o = { .tls_verify = 1 };
	int r;

	for (int i = 1; i < argc; i++) {
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if ((n = pull_option(argc, argv, i, &o, e)) < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return err_usage(e, "unknown option '%s'", argv[i]);
		if (image)
			return err_usage(e, "one image at a time ('%s' and '%s')", image, argv[i]);
		image = argv[i];
	}
	if (!image)
		return err_usage(e, "which image?");
	if (imgref_parse(&ref, image, strlen(image), e) < 0)
		return -1;
	if (pull_open_store(c, &s, e) < 0)
		return err_wrap(e, "%s", image);
	r = pull_image(c, s, &ref, &o, NULL, e);
	store_free(s);
	return r < 0 ? err_wrap(e, "%s", image) : 0;
}
