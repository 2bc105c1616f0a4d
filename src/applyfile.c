#include "applyfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgref.h"
#include "install.h"
#include "text.h"
#include "values.h"

#define USAGE "a line is NAME SOURCE [--set KEY=VALUE]..."

/* The words of one line, unquoted, each NUL-terminated in one buffer. */
struct words {
	char buf[APPLYFILE_LINE_MAX + 1];
	const char *w[APPLYFILE_LINE_MAX / 2 + 1];
	size_t n;
};

/* Split line[0..len) into words.  0, or -1 with the reason in why. */
static int split(const char *line, size_t len, struct words *ws, char *why, size_t whysz)
{
	size_t i = 0, o = 0;

	ws->n = 0;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || line[i] == '#')
			break;
		ws->w[ws->n++] = ws->buf + o;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			char q = line[i];
			if (q == '\'' || q == '"') {
				const char *end = memchr(line + i + 1, q, len - i - 1);
				if (!end) {
					snprintf(why, whysz, "unterminated %c", q);
					return -1;
				}
				memcpy(ws->buf + o, line + i + 1, (size_t)(end - line - i - 1));
				o += (size_t)(end - line - i - 1);
				i = (size_t)(end - line) + 1;
			} else {
				ws->buf[o++] = line[i++];
			}
		}
		ws->buf[o++] = '\0';
	}
	return 0;
}

/* Bytes a line may not hold: control characters other than tab, invalid
 * UTF-8.  0 when clean, else -1 with the reason. */
static int check_text(const char *line, size_t len, char *why, size_t whysz)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(why, whysz, "a control character (0x%02x) at byte %zu", c, i + 1);
			return -1;
		}
	}
	if (!text_utf8_valid(line, len)) {
		snprintf(why, whysz, "not valid UTF-8");
		return -1;
	}
	return 0;
}

static int check_source(const char *src, char *why, size_t whysz)
{
	struct imgref r;
	struct err e = { 0 };

	if (imgref_parse(&r, src, strlen(src), &e) < 0) {
		snprintf(why, whysz, "%s", e.msg);
		return -1;
	}
	if (r.transport != IMGREF_REGISTRY && r.transport != IMGREF_DOCKER_DAEMON &&
	    r.file[0] != '/') {
		snprintf(why, whysz, "'%s': FILE must be an absolute path in an apply file", src);
		return -1;
	}
	return 0;
}

/* The options after NAME SOURCE: --set KEY=VALUE or --set=KEY=VALUE, each
 * checked as install checks it. */
static int parse_options(const struct words *ws, struct apply_entry *a, struct values *v)
{
	struct err e = { 0 };

	for (size_t i = 2; i < ws->n; i++) {
		const char *w = ws->w[i], *kv;
		if (!strcmp(w, "--set")) {
			if (i + 1 == ws->n) {
				snprintf(a->error, sizeof a->error, "--set needs a value");
				return -1;
			}
			kv = ws->w[++i];
		} else if (!strncmp(w, "--set=", 6)) {
			kv = w + 6;
		} else {
			snprintf(a->error, sizeof a->error, "%s '%s': " USAGE,
				 w[0] == '-' ? "unknown option" : "unexpected", w);
			return -1;
		}
		if (values_add_set(v, kv, &e) < 0) {
			snprintf(a->error, sizeof a->error, "%s", e.msg);
			return -1;
		}
	}
	return 0;
}

/* One line that is neither empty nor a comment: fill a (error or fields). */
static int parse_line(const char *line, size_t len, struct words *ws, struct apply_entry *a,
		      struct err *e)
{
	struct values v;

	if (check_text(line, len, a->error, sizeof a->error) < 0 ||
	    split(line, len, ws, a->error, sizeof a->error) < 0)
		return 0;
	if (!sc_valid_name(ws->w[0])) {
		snprintf(a->error, sizeof a->error,
			 "'%s' is not a container name: use [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64",
			 ws->w[0]);
		return 0;
	}
	snprintf(a->name, sizeof a->name, "%s", ws->w[0]);
	if (ws->n < 2) {
		snprintf(a->error, sizeof a->error, "'%s' needs a SOURCE: " USAGE, a->name);
		return 0;
	}
	if (check_source(ws->w[1], a->error, sizeof a->error) < 0)
		return 0;
	memset(&v, 0, sizeof v);
	if (parse_options(ws, a, &v) < 0) {
		values_free(&v);
		return 0;
	}
	a->source = strdup(ws->w[1]);
	a->sets = calloc(v.nsets ? v.nsets : 1, sizeof *a->sets);
	if (!a->source || !a->sets) {
		values_free(&v);
		return err_set(e, ENOMEM, "apply file");
	}
	memcpy(a->sets, v.sets, v.nsets * sizeof *a->sets);
	a->nsets = v.nsets;
	v.nsets = 0;   /* the entry owns them now */
	values_free(&v);
	return 0;
}

/* 1 when line[0..len) holds a word (not only blanks or a comment). */
static int has_word(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '#')
			return 0;
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 1;
	}
	return 0;
}

/* A bad entry holds its NAME (when it has one) and its error, nothing else. */
static void entry_drop_fields(struct apply_entry *a)
{
	free(a->source);
	for (size_t k = 0; k < a->nsets; k++)
		free(a->sets[k]);
	free(a->sets);
	a->source = NULL;
	a->sets = NULL;
	a->nsets = 0;
}

static void mark_duplicate(struct apply_file *f)
{
	struct apply_entry *a = &f->v[f->n - 1];

	for (size_t i = 0; a->name[0] && i + 1 < f->n; i++)
		if (!strcmp(f->v[i].name, a->name)) {
			snprintf(a->error, sizeof a->error, "'%s' is already listed on line %u", a->name,
				 f->v[i].line);
			entry_drop_fields(a);
			return;
		}
}

int applyfile_parse(const char *buf, size_t len, struct apply_file *f, struct err *e)
{
	struct words *ws;
	unsigned lineno = 0;
	size_t pos = 0;

	memset(f, 0, sizeof *f);
	if (len > APPLYFILE_MAX)
		return err_set(e, 0, "bigger than %d bytes", APPLYFILE_MAX);
	if (!(ws = malloc(sizeof *ws)))
		return err_set(e, ENOMEM, "apply file");
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		struct apply_entry *a;

		pos += n + (nl != NULL);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (!has_word(line, n))
			continue;
		if (f->n == APPLYFILE_ENTRIES_MAX) {
			free(ws);
			applyfile_free(f);
			return err_set(e, 0, "more than %d containers", APPLYFILE_ENTRIES_MAX);
		}
		if (!f->v && !(f->v = calloc(APPLYFILE_ENTRIES_MAX, sizeof *f->v))) {
			free(ws);
			return err_set(e, ENOMEM, "apply file");
		}
		a = &f->v[f->n++];
		a->line = lineno;
		if (n > APPLYFILE_LINE_MAX)
			snprintf(a->error, sizeof a->error, "longer than %d bytes", APPLYFILE_LINE_MAX);
		else if (parse_line(line, n, ws, a, e) < 0) {
			free(ws);
			applyfile_free(f);
			return -1;
		}
		if (!a->error[0])
			mark_duplicate(f);
		f->nbad += a->error[0] != '\0';
	}
	free(ws);
	return 0;
}

void applyfile_free(struct apply_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		entry_drop_fields(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* The value list gives KEY its last value: is kv that one? */
static int is_last(char *const *l, size_t n, size_t i)
{
	size_t k = strcspn(l[i], "=");

	for (size_t j = i + 1; j < n; j++)
		if (!strncmp(l[j], l[i], k + 1))
			return 0;
	return 1;
}

/* Every effective KEY=VALUE of a is one of b's. */
static int covered(char *const *a, size_t na, char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++) {
		int found = 0;
		if (!is_last(a, na, i))
			continue;
		for (size_t j = 0; j < nb && !found; j++)
			found = is_last(b, nb, j) && !strcmp(a[i], b[j]);
		if (!found)
			return 0;
	}
	return 1;
}

int applyfile_same_sets(char *const *a, size_t na, char *const *b, size_t nb)
{
	return covered(a, na, b, nb) && covered(b, nb, a, na);
}
