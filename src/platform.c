/* The platform check: see platform.h. */
#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "registry.h"

static void copy_member(const struct json *j, const char *key, char *out, size_t outsz)
{
	char *s = json_str(j, json_get(j, json_root(j), key));

	snprintf(out, outsz, "%s", s ? s : "");
	free(s);
}

/* What a machine of platform m runs, as containerd's platformVector says,
 * except that amd64 variants (CPU levels we do not detect) do not count. */
static int runs_on(const struct registry_platform *img, const struct registry_platform *m)
{
	struct registry_platform alt = *m;

	if (registry_platform_choose(img, 1, m) == 0)
		return 1;
	if (strcmp(img->os, m->os))
		return 0;
	if (!strcmp(m->arch, "amd64"))
		return !strcmp(img->arch, "amd64") || !strcmp(img->arch, "386");
	if (!strcmp(m->arch, "arm64")) {
		snprintf(alt.arch, sizeof alt.arch, "arm");
		snprintf(alt.variant, sizeof alt.variant, "v8");
		return registry_platform_choose(img, 1, &alt) == 0;
	}
	return 0;
}

int platform_check(const char *config, size_t len, const char *want, int *foreign,
		   char *image_platform, struct err *e)
{
	struct registry_platform img, w, host;
	char si[PLATFORM_MAX], sw[PLATFORM_MAX], sh[PLATFORM_MAX];
	struct json *j = NULL;

	if (json_parse(&j, config, len, e) < 0)
		return err_wrap(e, "config");
	memset(&img, 0, sizeof img);
	copy_member(j, "os", img.os, sizeof img.os);
	copy_member(j, "architecture", img.arch, sizeof img.arch);
	copy_member(j, "variant", img.variant, sizeof img.variant);
	json_free(j);
	registry_platform_normalize(&img);
	registry_platform_format(&img, si, sizeof si);
	if (image_platform)
		snprintf(image_platform, PLATFORM_MAX, "%s", si);
	if (foreign)
		*foreign = 0;
	if (!img.os[0] || !img.arch[0])
		return 0;
	if (registry_platform_host(&host, e) < 0)
		return -1;
	registry_platform_format(&host, sh, sizeof sh);
	if (!want) {
		if (!runs_on(&img, &host))
			return err_set(e, 0, "the image is for %s, this machine is %s (--platform %s "
				       "takes it anyway)", si, sh, si);
		return 0;
	}
	if (registry_platform_parse(want, strlen(want), &w, e) < 0)
		return -1;
	registry_platform_format(&w, sw, sizeof sw);
	if (!runs_on(&img, &w))
		return err_set(e, 0, "the image is for %s, not %s as --platform says", si, sw);
	if (foreign)
		*foreign = !runs_on(&img, &host);
	return 0;
}
