/* libostree's ref grammar, which every ref we write must pass.  Our build
 * replaces libostree's GRegex patterns by plain matchers (vendor/ostree/
 * refs-without-gregex.patch, so PCRE2 stays out of the binary); under
 * SANITIZE=1 the same table runs against Debian's unpatched libostree, which
 * proves the rows are what the regexes say.  Declared here rather than
 * through <ostree.h>: only store.c includes GLib's headers. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

typedef int gboolean;
gboolean ostree_validate_rev(const char *rev, void **error);
gboolean ostree_validate_remote_name(const char *name, void **error);
gboolean ostree_parse_refspec(const char *refspec, char **remote, char **ref, void **error);
void g_free(void *p);
void g_clear_error(void **error);

static const struct row {
	const char *s;
	int rev, remote;      /* ostree_validate_rev, ostree_validate_remote_name */
	const char *spec;     /* ostree_parse_refspec: "remote|ref", or NULL when refused */
	const char *why;
} rows[] = {
	{ "ociimage/docker.io_2Flibrary_2Fbusybox_3Alatest", 1, 0,
	  "|ociimage/docker.io_2Flibrary_2Fbusybox_3Alatest", "an image ref we write" },
	{ "ociimage/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1, 0,
	  "|ociimage/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "a layer ref we write" },
	{ "syscontainer/deploy/etcd.0", 1, 0, "|syscontainer/deploy/etcd.0", "a pin ref we write" },
	{ "origin", 1, 1, "|origin", "one fragment is a ref and a remote name" },
	{ "origin:os/x86_64/stable", 0, 0, "origin|os/x86_64/stable", "remote:ref" },
	{ "_a-b.c", 1, 1, "|_a-b.c", "a fragment may start with '_'" },
	{ "-a", 0, 0, NULL, "but not with '-'" },
	{ ".a", 0, 0, NULL, "nor with '.'" },
	{ "a/", 0, 0, NULL, "no empty last fragment" },
	{ "/a", 0, 0, NULL, "no empty first fragment" },
	{ "a//b", 0, 0, NULL, "no empty fragment inside" },
	{ "", 0, 0, NULL, "the empty string" },
	{ "a b", 0, 0, NULL, "no space" },
	{ "a:b:c", 0, 0, NULL, "one colon at most" },
	{ ":a", 0, 0, NULL, "no empty remote" },
	{ "a:", 0, 0, NULL, "no empty ref after the remote" },
	{ "r\xc3\xa9" "f", 1, 1, "|r\xc3\xa9" "f", "\\w takes letters beyond ASCII (e-acute)" },
	{ "\xe4\xb8\xad/\xd9\xa3", 1, 0, "|\xe4\xb8\xad/\xd9\xa3", "and other letters and digits (CJK, Arabic-Indic)" },
	{ "\xe2\x85\xa3" "x", 1, 1, "|\xe2\x85\xa3" "x", "a letter number (Roman four) is \\w" },
	{ "a\xcc\x81", 0, 0, NULL, "a combining mark is not \\w" },
	{ "a\xff", 0, 0, NULL, "not UTF-8: refused" },
	{ "a\n", 1, 1, "|a", "'$' matches before one final newline" },
	{ "a\r\n", 1, 1, "|a", "a final CR LF is one newline" },
	{ "a\xe2\x80\xa8", 1, 1, "|a", "and so is U+2028 (newline convention ANY)" },
	{ "a\n\n", 0, 0, NULL, "but not before two" },
	{ "a\nb", 0, 0, NULL, "nor inside" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		char *remote = NULL, *ref = NULL, got[256];
		void *err = NULL;
		int v;

		v = ostree_validate_rev(r->s, &err) != 0;
		g_clear_error(&err);
		ok(v == r->rev, "validate_rev %s: %s", r->rev ? "accepts" : "refuses", r->why);
		v = ostree_validate_remote_name(r->s, &err) != 0;
		g_clear_error(&err);
		ok(v == r->remote, "validate_remote_name %s: %s", r->remote ? "accepts" : "refuses",
		   r->why);
		if (ostree_parse_refspec(r->s, &remote, &ref, &err))
			snprintf(got, sizeof got, "%s|%s", remote ? remote : "", ref);
		else
			snprintf(got, sizeof got, "(refused)");
		g_clear_error(&err);
		ok(!strcmp(got, r->spec ? r->spec : "(refused)"), "parse_refspec gives %s: %s",
		   one_line(got), r->why);
		g_free(remote);
		g_free(ref);
	}
	return tap_done();
}
