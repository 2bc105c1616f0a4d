/* The progress display: see progress.h.
 *
 * Terminal mode keeps the lines being redrawn (the "region") at the bottom
 * of what was printed, the cursor at the end of its last line.  A redraw
 * moves up to the region's first line and writes every line again, each
 * ending in "erase to end of line".  When the region's first items are
 * finished their lines are final and leave the region.  All drawing and
 * all printing through here happens under one mutex; the ticker thread
 * only redraws. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "text.h"
#include "util.h"

enum phase { PH_READING, PH_STORING, PH_DONE, PH_SKIPPED, PH_FAILED };

struct progress_item {
	char id[80];              /* escaped; shown cut to 12 characters */
	char verb[12];            /* "fetching" or "reading" */
	int64_t total;
	uint64_t done, entries;
	enum phase ph;
	int start_printed;        /* lines mode printed the start line */
	char start[160];          /* lines mode: that line, until it is printed */
	struct timespec t0, t1;
	struct progress_item *next;
};

static struct {
	enum progress_mode mode;
	int atomic;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t ticker;
	int ticking, stop;
	struct progress_item *head, *tail;   /* the region, in screen order */
	size_t drawn;             /* lines of the region on the screen */
	char activity[512];       /* an activity line, escaped, or "" */
	struct timespec activity_t0;
	unsigned spin;
} P = { .mode = PROGRESS_QUIET, .mu = PTHREAD_MUTEX_INITIALIZER };

enum progress_mode progress_choose(int quiet, int atomic, int verbose, int is_tty,
				   const char *journal, unsigned long long dev,
				   unsigned long long ino, const char *term)
{
	unsigned long long jdev, jino;
	char tail;

	if (quiet)
		return PROGRESS_QUIET;
	if (atomic || verbose || !is_tty || !term || !*term || !strcmp(term, "dumb"))
		return PROGRESS_LINES;
	/* systemd sets JOURNAL_STREAM=DEV:INO for the stream it connected;
	 * a child whose stdout went elsewhere inherits it, so compare */
	if (journal && sscanf(journal, "%llu:%llu%c", &jdev, &jino, &tail) == 2 && jdev == dev &&
	    jino == ino)
		return PROGRESS_LINES;
	return PROGRESS_TERMINAL;
}

void progress_init(int quiet, int atomic, int verbose)
{
	struct stat st = { 0 };

	fstat(STDOUT_FILENO, &st);
	P.atomic = atomic;
	P.mode = progress_choose(quiet, atomic, verbose, isatty(STDOUT_FILENO),
				 getenv("JOURNAL_STREAM"), (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino, getenv("TERM"));
	if (P.mode == PROGRESS_TERMINAL) {
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&P.cv, &a);
		pthread_condattr_destroy(&a);
	}
}

enum progress_mode progress_mode(void)
{
	return P.mode;
}

/* ---- drawing (terminal mode, under the mutex) ------------------------------ */

static double seconds_since(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

static int columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void format_item(const struct progress_item *it, char *out, size_t outsz)
{
	static const char spin[] = "|/-\\";
	char done[32], total[32], rate[32];
	struct timespec now;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	util_human_size(__atomic_load_n(&it->done, __ATOMIC_RELAXED), done, sizeof done);
	switch (it->ph) {
	case PH_READING:
		s = seconds_since(&it->t0, &now);
		if (it->total >= 0)
			util_human_size((unsigned long long)it->total, total, sizeof total);
		rate[0] = 0;
		if (s >= 0.5) {
			util_human_size((unsigned long long)((double)__atomic_load_n(&it->done,
						__ATOMIC_RELAXED) / s), rate, sizeof rate);
			strcat(rate, "/s");
		}
		snprintf(out, outsz, "%.12s  %-9s %s%s%s  %s", it->id, it->verb, done,
			 it->total >= 0 ? " / " : "", it->total >= 0 ? total : "", rate);
		break;
	case PH_STORING:
		snprintf(out, outsz, "%.12s  %-9s %s  %c", it->id, "storing", done,
			 spin[P.spin % 4]);
		break;
	case PH_DONE:
		snprintf(out, outsz, "%.12s  %-9s %s in %.1f s, %llu entr%s", it->id, "done", done,
			 seconds_since(&it->t0, &it->t1), (unsigned long long)it->entries,
			 it->entries == 1 ? "y" : "ies");
		break;
	case PH_SKIPPED:
		snprintf(out, outsz, "%.12s  %-9s already present", it->id, "skipped");
		break;
	case PH_FAILED:
		snprintf(out, outsz, "%.12s  %-9s %s", it->id, "failed", done);
		break;
	}
}

/* Write one region line, cut to the width (all of it printable ASCII or
 * escaped already, so bytes are columns). */
static void put_line(const char *s, int cols)
{
	fwrite(s, 1, strnlen(s, (size_t)cols - 1), stdout);
	fputs("\033[K", stdout);
}

static size_t region_lines(void)
{
	size_t n = P.activity[0] ? 1 : 0;

	for (struct progress_item *it = P.head; it; it = it->next)
		n++;
	return n;
}

/* Move to the start of the region's first line. */
static void region_home(void)
{
	if (P.drawn > 1)
		fprintf(stdout, "\033[%zuA", P.drawn - 1);
	if (P.drawn)
		fputc('\r', stdout);
}

static void redraw(void)
{
	int cols = columns();
	char line[512];
	size_t n = 0;

	region_home();
	for (struct progress_item *it = P.head; it; it = it->next) {
		if (n++)
			fputc('\n', stdout);
		format_item(it, line, sizeof line);
		put_line(line, cols);
	}
	if (P.activity[0]) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n++)
			fputc('\n', stdout);
		snprintf(line, sizeof line, "%s  %.0f s %c", P.activity,
			 seconds_since(&P.activity_t0, &now), "|/-\\"[P.spin % 4]);
		put_line(line, cols);
	}
	/* lines the region no longer has (it only shrinks at its top, where
	 * final lines stay): none below, by construction */
	P.drawn = n;
	fflush(stdout);
}

/* Final items at the top of the region leave it: their lines stay as
 * drawn.  When the region empties, end its last line. */
static void settle(void)
{
	while (P.head && P.head->ph >= PH_DONE) {
		struct progress_item *it = P.head;
		P.head = it->next;
		if (!P.head)
			P.tail = NULL;
		free(it);
		if (P.drawn) {
			P.drawn--;
			if (!P.drawn)
				fputc('\n', stdout);
		}
	}
	if (!P.head && !P.activity[0] && P.drawn) {
		fputc('\n', stdout);
		P.drawn = 0;
	}
	fflush(stdout);
}

/* Take the region off the screen (the cursor at its first line's start). */
static void region_clear(void)
{
	if (!P.drawn)
		return;
	region_home();
	fputs("\033[J", stdout);
	P.drawn = 0;
}

static void *tick(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&P.mu);
	while (!P.stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!P.stop && pthread_cond_timedwait(&P.cv, &P.mu, &until) != ETIMEDOUT)
			;
		if (P.stop)
			break;
		P.spin++;
		redraw();
	}
	pthread_mutex_unlock(&P.mu);
	return NULL;
}

/* Under the mutex: the ticker runs while the region has lines to redraw. */
static void ticker_update(void)
{
	int want = region_lines() > 0;

	if (want && !P.ticking) {
		P.stop = 0;
		if (pthread_create(&P.ticker, NULL, tick, NULL) == 0)
			P.ticking = 1;
	} else if (!want && P.ticking) {
		P.stop = 1;
		pthread_cond_signal(&P.cv);
		pthread_mutex_unlock(&P.mu);
		pthread_join(P.ticker, NULL);
		pthread_mutex_lock(&P.mu);
		P.ticking = 0;
	}
}

/* ---- items ---------------------------------------------------------------- */

/* Lines mode, under the mutex: items print in the order they were started,
 * whatever order they finish in (layers fetched at the same time print as
 * if fetched one by one): the first item's start line, and once it is
 * final its last line, then the next's. */
static void lines_flush(void)
{
	struct progress_item *it;

	while ((it = P.head)) {
		char size[32];
		if (!it->start_printed && it->start[0]) {
			text_printf(stdout, "%s", it->start);
			it->start_printed = 1;
		}
		if (it->ph < PH_DONE)
			break;
		if (it->ph == PH_DONE && !it->start_printed)   /* started without a line */
			fprintf(stdout, "Pulling layer %s\n", it->id);
		util_human_size(it->done, size, sizeof size);
		if (it->ph == PH_DONE && !P.atomic)
			fprintf(stdout, "Stored layer %.12s: %s, %llu entr%s\n", it->id, size,
				(unsigned long long)it->entries, it->entries == 1 ? "y" : "ies");
		if (it->ph == PH_SKIPPED && !P.atomic)
			fprintf(stdout, "Skipping layer %s: already present\n", it->id);
		P.head = it->next;
		if (!P.head)
			P.tail = NULL;
		free(it);
	}
	fflush(stdout);
}

struct progress_item *progress_item_start(const char *id, const char *verb, int64_t total,
					  const char *start_line)
{
	struct progress_item *it;

	if (P.mode == PROGRESS_QUIET || !(it = calloc(1, sizeof *it)))
		return NULL;
	text_escape(it->id, sizeof it->id, id, strlen(id), 0);
	snprintf(it->verb, sizeof it->verb, "%s", verb);
	it->total = total;
	clock_gettime(CLOCK_MONOTONIC, &it->t0);
	if (start_line)
		snprintf(it->start, sizeof it->start, "%s", start_line);
	pthread_mutex_lock(&P.mu);
	if (P.tail)
		P.tail->next = it;
	else
		P.head = it;
	P.tail = it;
	if (P.mode == PROGRESS_LINES) {
		lines_flush();
	} else {
		redraw();
		ticker_update();
	}
	pthread_mutex_unlock(&P.mu);
	return it;
}

void progress_item_bytes(struct progress_item *it, uint64_t done)
{
	if (it)
		__atomic_store_n(&it->done, done, __ATOMIC_RELAXED);
}

void progress_item_storing(struct progress_item *it)
{
	if (!it || P.mode != PROGRESS_TERMINAL)
		return;
	pthread_mutex_lock(&P.mu);
	it->ph = PH_STORING;
	redraw();
	pthread_mutex_unlock(&P.mu);
}

static void item_final(struct progress_item *it, enum phase ph, const char *id, uint64_t entries)
{
	char hex[80];

	if (id)
		text_escape(hex, sizeof hex, id, strlen(id), 0);
	else
		snprintf(hex, sizeof hex, "%s", it->id);
	if (P.mode == PROGRESS_LINES) {
		pthread_mutex_lock(&P.mu);
		memcpy(it->id, hex, sizeof it->id);
		it->entries = entries;
		it->ph = ph;
		lines_flush();
		pthread_mutex_unlock(&P.mu);
		return;
	}
	pthread_mutex_lock(&P.mu);
	memcpy(it->id, hex, sizeof it->id);
	it->ph = ph;
	it->entries = entries;
	clock_gettime(CLOCK_MONOTONIC, &it->t1);
	redraw();
	settle();
	ticker_update();
	pthread_mutex_unlock(&P.mu);
}

void progress_item_done(struct progress_item *it, const char *id, uint64_t entries)
{
	if (it)
		item_final(it, PH_DONE, id, entries);
}

void progress_item_skipped(struct progress_item *it, const char *id)
{
	if (it)
		item_final(it, PH_SKIPPED, id, 0);
}

void progress_item_failed(struct progress_item *it)
{
	if (it)
		item_final(it, PH_FAILED, NULL, 0);
}

void progress_skipped(const char *hex)
{
	progress_item_skipped(progress_item_start(hex, "", -1, NULL), NULL);
}

/* ---- activities and other output ------------------------------------------- */

void progress_activity(const char *line)
{
	size_t n;

	if (P.mode == PROGRESS_QUIET)
		return;
	if (P.mode == PROGRESS_LINES) {
		text_printf(stdout, "%s", line);
		fflush(stdout);
		return;
	}
	pthread_mutex_lock(&P.mu);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		n--;                  /* the spinner follows on this line */
	text_escape(P.activity, sizeof P.activity, line, n, 0);
	clock_gettime(CLOCK_MONOTONIC, &P.activity_t0);
	redraw();
	ticker_update();
	pthread_mutex_unlock(&P.mu);
}

void progress_activity_end(void)
{
	struct timespec now;
	char line[600];

	if (P.mode != PROGRESS_TERMINAL)
		return;
	pthread_mutex_lock(&P.mu);
	if (P.activity[0]) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		snprintf(line, sizeof line, "%s (%.1f s)", P.activity,
			 seconds_since(&P.activity_t0, &now));
		P.activity[0] = 0;
		region_clear();
		put_line(line, columns());
		fputc('\n', stdout);
		redraw();
		ticker_update();
	}
	pthread_mutex_unlock(&P.mu);
}

void progress_print(FILE *f, const char *text)
{
	if (P.mode != PROGRESS_TERMINAL) {
		fputs(text, f);
		fflush(f);
		return;
	}
	pthread_mutex_lock(&P.mu);
	region_clear();
	fflush(stdout);
	fputs(text, f);
	fflush(f);
	if (region_lines())
		redraw();
	pthread_mutex_unlock(&P.mu);
}

void progress_finish(void)
{
	if (P.mode != PROGRESS_TERMINAL)
		return;
	progress_activity_end();
	pthread_mutex_lock(&P.mu);
	for (struct progress_item *it = P.head; it; it = it->next)
		if (it->ph < PH_DONE)
			it->ph = PH_FAILED;
	if (P.head) {
		redraw();
		settle();
	}
	ticker_update();
	pthread_mutex_unlock(&P.mu);
}
