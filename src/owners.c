#include "owners.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "path.h"
#include "util.h"

#define DIR_ ".storage/owners"

enum { RECORD_MAX = 1 << 20 };

void owners_free(struct owners *o)
{
	for (size_t i = 0; i < o->n; i++)
		for (size_t k = 0; k < o->v[i].nplaces; k++)
			free(o->v[i].places[k]);
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

static int parse_record(const char *buf, size_t len, struct owner *r, struct err *e)
{
	_cleanup_json_ struct json *j = NULL;
	int places;

	memset(r, 0, sizeof *r);
	if (json_parse(&j, buf, len, e) < 0)
		return -1;
	{
		char *name = json_str(j, json_get(j, json_root(j), "name"));
		snprintf(r->name, sizeof r->name, "%s", name ? name : "");
		free(name);
	}
	json_bool(j, json_get(j, json_root(j), "kept"), &r->kept);
	places = json_get(j, json_root(j), "places");
	for (size_t i = 0; i < json_count(j, places) && r->nplaces < OWNERS_MAX_PLACES; i++) {
		char *p = json_str(j, json_at(j, places, i));
		if (p && p[0] == '/')
			r->places[r->nplaces++] = p;
		else
			free(p);
	}
	return r->name[0] ? 0 : err_set(e, 0, "no name");
}

int owners_load(int ckfd, struct owners *o, struct err *e)
{
	_cleanup_fd_ int dfd = path_openat(ckfd, DIR_, PATH_NO_SYMLINKS, O_RDONLY | O_DIRECTORY, 0);
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;

	o->v = NULL;
	o->n = 0;
	if (dfd < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, "'%s'", DIR_);
	if (!(d = fdopendir(dfd)))
		return err_set(e, errno, "'%s'", DIR_);
	dfd = -1;   /* d owns it now */
	while ((de = readdir(d))) {
		_cleanup_fd_ int fd = -1;
		_cleanup_free_ char *buf = NULL;
		ssize_t n;
		struct owner *v;

		if (de->d_name[0] == '.' || !(v = realloc(o->v, (o->n + 1) * sizeof *v)))
			continue;
		o->v = v;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		buf = fd >= 0 ? malloc(RECORD_MAX) : NULL;
		n = buf ? util_pread_all(fd, buf, RECORD_MAX, 0) : -1;
		/* A record we cannot read holds nothing: say nothing, claim nothing. */
		if (n >= 0 && parse_record(buf, (size_t)n, &o->v[o->n], e) == 0)
			o->n++;
	}
	return 0;
}

static int related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	return !strncmp(a, b, n) && (la == lb || (la < lb ? b[la] : a[lb]) == '/');
}

const struct owner *owners_holder(const struct owners *o, const char *path)
{
	for (size_t i = 0; i < o->n; i++)
		for (size_t k = 0; k < o->v[i].nplaces; k++)
			if (related(o->v[i].places[k], path))
				return &o->v[i];
	return NULL;
}

const struct owner *owners_get(const struct owners *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].name, name))
			return &o->v[i];
	return NULL;
}

int owners_write(int ckfd, const struct owner *rec, struct err *e)
{
	char path[128];
	struct buf b;
	struct jw w;
	int r;

	buf_init(&b);
	jw_init(&w, &b, 1);
	jw_begin_obj(&w);
	jw_key(&w, "name"); jw_str(&w, rec->name);
	jw_key(&w, "kept"); jw_bool(&w, rec->kept);
	jw_key(&w, "places");
	jw_begin_arr(&w);
	for (size_t i = 0; i < rec->nplaces; i++)
		jw_str(&w, rec->places[i]);
	jw_end_arr(&w);
	jw_end_obj(&w);
	if (jw_finish(&w) < 0) {
		buf_free(&b);
		return err_set(e, ENOMEM, "owners");
	}
	buf_putc(&b, '\n');
	r = path_fmt(path, sizeof path, e, DIR_ "/%s", rec->name);
	if (r == 0)
		r = path_write_atomic(ckfd, path, b.data, b.len, 0600, e);
	buf_free(&b);
	return r;
}

int owners_drop(int ckfd, const char *name, struct err *e)
{
	char path[128];

	if (path_fmt(path, sizeof path, e, DIR_ "/%s", name) < 0)
		return -1;
	return path_remove(ckfd, path, e);
}
