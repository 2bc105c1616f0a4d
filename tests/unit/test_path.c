/* The resolve-beneath primitive: every row runs twice, once with the
 * kernel's openat2() and once with the component walk a kernel without it
 * takes, and both must give the same answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "tap.h"
#include "text.h"

static char top[256];
static int root;   /* the world the rows resolve in */

static void mk(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", top, rel);
	if (!content) {
		mkdir(p, 0755);
		return;
	}
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
}

static void ln(const char *target, const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", top, rel);
	symlink(target, p);
}

static int exists(const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", top, rel);
	return lstat(p, &st) == 0;
}

static int mode_of(const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", top, rel);
	return lstat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* What path_openat() gives: "ok:<content>" / "dir" or "errno:<name>". */
static const char *open_result(const char *path, enum path_how how)
{
	static char out[128];
	int fd = path_openat(root, path, how, O_RDONLY, 0);
	struct stat st;

	if (fd < 0) {
		snprintf(out, sizeof out, "errno:%s", errno == ELOOP ? "ELOOP" : errno == ENOENT ? "ENOENT"
			 : errno == EXDEV ? "EXDEV" : errno == ENOTDIR ? "ENOTDIR" : "other");
		return out;
	}
	fstat(fd, &st);
	if (S_ISDIR(st.st_mode)) {
		snprintf(out, sizeof out, "dir");
	} else {
		ssize_t n = read(fd, out + 3, sizeof out - 4);
		memcpy(out, "ok:", 3);
		out[3 + (n > 0 ? n : 0)] = '\0';
	}
	close(fd);
	return out;
}

static int created_n;
static char created_list[512];
static int on_created(void *ctx, const char *rel, struct err *e)
{
	(void)ctx, (void)e;
	created_n++;
	strncat(created_list, rel, sizeof created_list - strlen(created_list) - 2);
	strcat(created_list, ";");
	return 0;
}

static void rows(const char *mode)
{
	static const struct {
		const char *why, *path;
		enum path_how how;
		const char *want;
	} r[] = {
		/* plain files and directories resolve in both modes */
		{ "a plain file", "a/b/file", PATH_NO_SYMLINKS, "ok:B" },
		{ "a leading '/' means dirfd", "/a/b/file", PATH_NO_SYMLINKS, "ok:B" },
		{ "'.' and empty components are skipped", "a/./b//file", PATH_NO_SYMLINKS, "ok:B" },
		{ "a directory", "a/b", PATH_NO_SYMLINKS, "dir" },
		{ "a missing file", "a/b/none", PATH_NO_SYMLINKS, "errno:ENOENT" },
		/* NO_SYMLINKS: no symlink anywhere, wherever it points */
		{ "a relative symlink on the way", "a/rel/file", PATH_NO_SYMLINKS, "errno:ELOOP" },
		{ "an absolute symlink on the way (would reach the host)", "a/abs/passwd",
		  PATH_NO_SYMLINKS, "errno:ELOOP" },
		{ "a symlink as the last component", "a/filelink", PATH_NO_SYMLINKS, "errno:ELOOP" },
		{ "'..' is refused even when it stays inside", "a/b/../b/file", PATH_NO_SYMLINKS,
		  "errno:EXDEV" },
		{ "'..' above dirfd is refused", "../outside", PATH_NO_SYMLINKS, "errno:EXDEV" },
		{ "a file in the middle", "a/b/file/x", PATH_NO_SYMLINKS, "errno:ENOTDIR" },
		/* IN_ROOT: links followed as the target sees them, never out */
		{ "in root: a relative symlink is followed", "a/rel/file", PATH_IN_ROOT, "ok:B" },
		{ "in root: an absolute symlink restarts at dirfd", "a/abs/passwd", PATH_IN_ROOT,
		  "ok:inside" },
		{ "in root: '..' stops at dirfd", "a/up/etc/passwd", PATH_IN_ROOT, "ok:inside" },
		{ "in root: the last symlink is followed", "a/filelink", PATH_IN_ROOT, "ok:B" },
		{ "in root: merged /usr (lib -> usr/lib)", "lib/x", PATH_IN_ROOT, "ok:X" },
		{ "in root: a symlink loop", "loop/x", PATH_IN_ROOT, "errno:ELOOP" },
	};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		const char *got = open_result(r[i].path, r[i].how);
		ok(!strcmp(got, r[i].want), "%s: %s: got %s", mode, r[i].why, got);
	}
}

static void writes(const char *mode)
{
	struct err e = { 0 };
	const char *base;
	struct stat st;
	char buf[64];
	int fd;

	/* writes go through no symlink: the decoy (the "host") stays empty */
	ok(path_write_atomic(root, "/etc2/abs/x.conf", "evil", 4, 0644, &e) < 0 &&
	   strstr(e.msg, "a symlink is in the way"), "%s: write through an absolute link refused: %s",
	   mode, e.msg);
	ok(!exists("decoy/x.conf"), "%s: the decoy stays empty", mode);
	ok(path_symlink_atomic(root, "etc2/abs/l", "/x", &e) < 0, "%s: no link through a link", mode);
	ok(path_remove(root, "etc2/abs/keep", &e) == 0 && exists("decoy/keep"),
	   "%s: remove through a link removes nothing and is no error", mode);

	/* parents are made with the mode asked, whatever the umask */
	created_n = 0;
	created_list[0] = '\0';
	umask(077);
	fd = path_open_parent(root, "new/d1/d2/f", PATH_NO_SYMLINKS, &base, 0755, on_created, NULL,
			      &e);
	ok(fd >= 0 && !strcmp(base, "f"), "%s: parent opened, base 'f'", mode);
	if (fd >= 0)
		close(fd);
	umask(000);
	ok(mode_of("new") == 0755 && mode_of("new/d1/d2") == 0755,
	   "%s: made directories are 0755 under umask 077", mode);
	ok(created_n == 3 && !strcmp(created_list, "new;new/d1;new/d1/d2;"),
	   "%s: each made directory reported, parents first: %s", mode, created_list);
	ok(path_write_atomic(root, "new/d1/d2/f", "hello", 5, 0640, &e) == 0 &&
	   mode_of("new/d1/d2/f") == 0640, "%s: atomic write, mode exact under umask 000", mode);
	fd = path_openat(root, "new/d1/d2/f", PATH_NO_SYMLINKS, O_RDONLY, 0);
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5),
	   "%s: the content", mode);
	if (fd >= 0)
		close(fd);
	umask(022);
	ok(path_write_atomic(root, "new/d1/d2/f", "x", 1, 0600, &e) == 0 && mode_of("new/d1/d2/f") == 0600,
	   "%s: rewritten in place", mode);
	ok(path_symlink_atomic(root, "new/link", "d1", &e) == 0 && path_lstat(root, "new/link",
		PATH_NO_SYMLINKS, &st) == 0 && S_ISLNK(st.st_mode), "%s: atomic symlink", mode);
	ok(path_remove_empty_dir(root, "new/d1", &e) == 0 && exists("new/d1"),
	   "%s: a directory that is not empty stays", mode);
	ok(path_remove(root, "new/d1/d2/f", &e) == 0 && !exists("new/d1/d2/f"), "%s: file removed",
	   mode);
	ok(path_remove_empty_dir(root, "new/d1/d2", &e) == 1 && !exists("new/d1/d2"),
	   "%s: an empty directory removed", mode);
	ok(path_remove(root, "new", &e) == 0 && !exists("new"), "%s: a tree removed", mode);
	ok(path_remove(root, "new/none", &e) == 0, "%s: removing what is missing is fine", mode);
	ok(path_lstat(root, "lib/x", PATH_NO_SYMLINKS, &st) < 0 && errno == ELOOP,
	   "%s: lstat without symlinks stops at lib -> usr/lib", mode);
	ok(path_lstat(root, "lib/x", PATH_IN_ROOT, &st) == 0 && S_ISREG(st.st_mode),
	   "%s: lstat in root follows it", mode);
	ok(path_lstat(root, "a/filelink", PATH_IN_ROOT, &st) == 0 && S_ISLNK(st.st_mode),
	   "%s: lstat in root does not follow the last component", mode);
}

int main(void)
{
	static const struct {
		const char *a, *b, *want;
	} joins[] = {
		{ "/", "etc", "/etc" },            /* the root joins without "//" */
		{ "/var/lib", "/x", "/var/lib/x" }, /* b's leading '/' is dropped */
		{ "/a/", "b", "/a/b" },            /* a's trailing '/' too */
		{ "/a", "", "/a" },                /* nothing to add */
	};
	char out[32];

	snprintf(top, sizeof top, "/tmp/sc-path-XXXXXX");
	if (!mkdtemp(top))
		return 1;
	umask(022);
	mk("a", NULL), mk("a/b", NULL), mk("a/b/file", "B"), mk("etc", NULL);
	mk("etc/passwd", "inside"), mk("decoy", NULL), mk("decoy/keep", "k"), mk("etc2", NULL);
	mk("usr", NULL), mk("usr/lib", NULL), mk("usr/lib/x", "X");
	ln("b", "a/rel"), ln("/etc", "a/abs"), ln("b/file", "a/filelink"), ln("../..", "a/up");
	ln("usr/lib", "lib"), ln("loop", "loop");
	{
		char decoy[300];
		snprintf(decoy, sizeof decoy, "%s/decoy", top);
		ln(decoy, "etc2/abs");
	}
	root = open(top, O_RDONLY | O_DIRECTORY);

	rows("openat2");
	writes("openat2");
	path_force_walk(1);
	rows("walk");
	writes("walk");
	path_force_walk(0);

	for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++)
		ok(path_join(out, sizeof out, joins[i].a, joins[i].b) == 0 && !strcmp(out, joins[i].want),
		   "join '%s' '%s' = '%s'", joins[i].a, joins[i].b, out);
	ok(path_join(out, 8, "/long/path", "name") < 0 && errno == ENAMETOOLONG && !out[0],
	   "join: what does not fit is an error, never a cut path");
	{
		struct err fe = { 0 };
		ok(path_fmt(out, sizeof out, &fe, "%s.%d/info", "web", 1) == 0 &&
			   !strcmp(out, "web.1/info"),
		   "path_fmt: what fits is written whole");
		ok(path_fmt(out, 8, &fe, "%s/%s", "/etc/containers", "auth.json") < 0 &&
			   errno == ENAMETOOLONG && !out[0] && fe.errnum == ENAMETOOLONG &&
			   !strncmp(fe.msg, "'/etc/co...'", 12),
		   "path_fmt: what does not fit is an error naming its start: %s", fe.msg);
		ok(path_fmt(out, 8, NULL, "%s", "12345678") < 0 && !out[0],
		   "path_fmt: no room for the NUL is too long too (no error to fill)");
	}

	{
		/* escaping for the terminal (text.c), shown here with the paths it guards */
		char esc[64];
		text_escape(esc, sizeof esc, "a\x1b]0;x\x07\nb", 9, 0);
		ok(!strcmp(esc, "a\\x1b]0;x\\x07\\nb"), "escape: OSC title sequence and newline: %s", esc);
		text_escape(esc, sizeof esc, "q'\\", 3, TEXT_QUOTE);
		ok(!strcmp(esc, "q\\x27\\x5c"), "escape: quotes inside quotes: %s", esc);
		text_escape(esc, sizeof esc, "\xc2\x9b" "1m\xe2\x80\xae" "x\xff", 9, 0);
		ok(!strcmp(esc, "\\u009b1m\\u202ex\\xff"), "escape: C1 CSI, bidi override, bad byte: %s", esc);
		text_escape(esc, 8, "0123456789", 10, 0);
		ok(!strcmp(esc, "0123..."), "escape: too long ends in '...': %s", esc);
		text_escape(esc, sizeof esc, "caf\xc3\xa9 \xe6\x97\xa5", 9, 0);
		ok(!strcmp(esc, "caf\xc3\xa9 \xe6\x97\xa5"), "escape: ordinary UTF-8 stays");
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", top);
		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
	return tap_done();
}
