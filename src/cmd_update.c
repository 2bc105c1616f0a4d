/* containers update and containers rollback: move a container to a new
 * deployment in its other slot, or back to the previous one (slot.c's
 * switch).  With systemd running, a service that was running is restarted
 * and, after an update, watched until it is active; one that fails is
 * rolled back by itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "applyfile.h"
#include "image.h"
#include "install.h"
#include "json.h"
#include "owners.h"
#include "path.h"
#include "plan.h"
#include "pull.h"
#include "slot.h"
#include "store.h"
#include "text.h"
#include "util.h"

enum { HEALTH_TIMEOUT = 90, HEALTH_SETTLE_MS = 3000 };

/* What the live slot's info says. */
struct live {
	int slot;
	char image[512], image_id[80], runtime[PATH_MAX], uuid[40];
	char *sets[VALUES_MAX];
	size_t nsets;
	char *owned[2 * HOSTFS_MAX];
	size_t nowned;
};

static void live_free(struct live *l)
{
	for (size_t i = 0; i < l->nsets; i++)
		free(l->sets[i]);
	for (size_t i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	l->nsets = l->nowned = 0;
}

static void str_member(const struct json *j, int node, const char *key, char *out, size_t outsz)
{
	char *v = json_str(j, json_get(j, node, key));
	snprintf(out, outsz, "%s", v ? v : "");
	free(v);
}

static int load_live(int ckfd, const char *name, struct live *l, struct err *e)
{
	char path[128], *buf;
	struct json *j = NULL;
	ssize_t n;
	int fd, list;

	memset(l, 0, sizeof *l);
	if ((l->slot = slot_live(ckfd, name)) < 0)
		return err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", name);
	if (path_fmt(path, sizeof path, e, "%s.%d/info", name, l->slot) < 0)
		return -1;
	fd = path_openat(ckfd, path, PATH_NO_SYMLINKS, O_RDONLY, 0);
	buf = fd >= 0 ? malloc(1 << 20) : NULL;
	n = buf ? util_pread_all(fd, buf, 1 << 20, 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0 || json_parse(&j, buf, (size_t)n, e) < 0) {
		if (n < 0)
			err_set(e, errno, "'%s'", path);
		free(buf);
		return err_wrap(e, "container '%s'", name);
	}
	free(buf);
	str_member(j, json_root(j), "image", l->image, sizeof l->image);
	str_member(j, json_root(j), "image_id", l->image_id, sizeof l->image_id);
	str_member(j, json_root(j), "runtime", l->runtime, sizeof l->runtime);
	str_member(j, json_get(j, json_root(j), "values"), "UUID", l->uuid, sizeof l->uuid);
	list = json_get(j, json_root(j), "sets");
	for (size_t i = 0; i < json_count(j, list) && l->nsets < VALUES_MAX; i++)
		if ((l->sets[l->nsets] = json_str(j, json_at(j, list, i))))
			l->nsets++;
	list = json_get(j, json_root(j), "host_files");
	for (size_t i = 0; i < json_count(j, list) && l->nowned < 2 * HOSTFS_MAX; i++)
		if ((l->owned[l->nowned] = json_str(j, json_get(j, json_at(j, list, i), "path"))))
			l->nowned++;
	list = json_get(j, json_root(j), "host_directories");
	for (size_t i = 0; i < json_count(j, list) && l->nowned < 2 * HOSTFS_MAX; i++)
		if ((l->owned[l->nowned] = json_str(j, json_at(j, list, i))))
			l->nowned++;
	json_free(j);
	return 0;
}

/* The values an update uses: the live ones' --set, each replaced by a new
 * --set of the same name.  1 when they differ from the live ones. */
static int merge_sets(const struct live *l, struct values *v, struct err *e)
{
	size_t nnew = v->nsets;
	char *fresh[VALUES_MAX];
	int changed = 0;

	memcpy(fresh, v->sets, nnew * sizeof *fresh);
	v->nsets = 0;
	for (size_t i = 0; i < l->nsets; i++) {
		size_t k = strcspn(l->sets[i], "="), j;
		for (j = 0; j < nnew; j++)
			if (!strncmp(fresh[j], l->sets[i], k + 1))
				break;
		if (j < nnew)
			continue;   /* replaced */
		if (values_add_set(v, l->sets[i], e) < 0)
			goto fail;
	}
	for (size_t j = 0; j < nnew; j++) {
		int same = 0;
		for (size_t i = 0; i < l->nsets; i++)
			same |= !strcmp(fresh[j], l->sets[i]);
		changed |= !same;
		if (v->nsets == VALUES_MAX) {
			err_usage(e, "too many --set");
			goto fail;
		}
		v->sets[v->nsets++] = fresh[j];
		fresh[j] = NULL;
	}
	return changed;
fail:
	for (size_t j = 0; j < nnew; j++)
		free(fresh[j]);
	return -1;
}

/* Wait for NAME.service to be active and to stay so a moment (a service
 * that crashes is restarted, Restart=on-failure: that counts as failing). */
static int health(struct cli *c, const char *name, unsigned timeout, struct err *e)
{
	struct timespec start, now;
	struct unit_state st;
	long active_ms = -1;
	int restarts = -1;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long ms;
		if (sc_unit_state(name, &st) < 0)
			return err_set(e, 0, "%s.service: systemctl show failed", name);
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (!strcmp(st.active, "failed") || !strcmp(st.sub, "auto-restart") ||
		    (restarts >= 0 && st.restarts != restarts) ||
		    (!strcmp(st.active, "inactive") && active_ms >= 0))
			return err_set(e, 0, "%s.service failed after the update (%s, result %s)", name,
				       st.sub, st.result[0] ? st.result : "unknown");
		if (!strcmp(st.active, "active")) {
			if (active_ms < 0) {
				active_ms = ms;
				restarts = st.restarts;
			} else if (ms - active_ms >= HEALTH_SETTLE_MS) {
				return 0;
			}
		}
		if (ms > (long)timeout * 1000)
			return err_set(e, 0, "%s.service is not active %u s after the update (%s/%s)", name,
				       timeout, st.active, st.sub);
		(void)c;
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	}
}

/* With systemd running: reload, the new tmpfiles, enabled as before, and
 * the service restarted when it ran.  *ran says whether it did. */
static int systemd_follow(struct cli *c, const char *name, int *ran, struct err *e)
{
	char unit[128], tmpf[PATH_MAX];
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	char *tmp[] = { "systemd-tmpfiles", "--create", tmpf, NULL };
	char *en[] = { "systemctl", "enable", "--quiet", unit, NULL };
	char *restart[] = { "systemctl", "restart", unit, NULL };
	struct unit_state st;

	snprintf(unit, sizeof unit, "%s", name);
	snprintf(tmpf, sizeof tmpf, "/etc/tmpfiles.d/%s.conf", name);
	*ran = sc_unit_state(name, &st) == 0 && (!strcmp(st.active, "active") ||
						 !strcmp(st.active, "activating") ||
						 !strcmp(st.active, "reloading"));
	if (sc_run_cmd(c, reload, 0, e) < 0 || sc_run_cmd(c, tmp, 0, e) < 0 ||
	    sc_run_cmd(c, en, 0, e) < 0)
		return -1;
	return *ran ? sc_run_cmd(c, restart, 0, e) : 0;
}

/* The switch from slot `from` to `to`, journaled; prepared when p. */
static int switch_slots(const struct slot_ctx *x, enum journal_op op, int from, int to,
			const struct image_info *im, struct plan *p, struct err *e)
{
	int offline = !sc_systemd_running(x->c), r = -1;
	struct journal j = { 0 };
	struct err undo;

	if (slot_journal(x, &j, op, from, to, p != NULL, e) < 0)
		goto out;
	if ((p && slot_prepare(x, im, p, e) < 0) || slot_flip(x, to, e) < 0) {
		journal_rollback(&j, &x->c->tgt, x->s, &undo);
		goto out;
	}
	if (slot_activate(x, from, to, offline ? SLOT_OFFLINE : 0, e) < 0) {
		/* committed: back to where it was, and say what failed */
		slot_flip(x, from, &undo);
		slot_activate(x, to, from, offline ? SLOT_OFFLINE | SLOT_QUIET : SLOT_QUIET, &undo);
		journal_done(&j, &undo);
		goto out;
	}
	r = journal_done(&j, e);
out:
	journal_free(&j);
	return r;
}

struct opts {
	const char *name, *rebase;
	unsigned timeout;
	int no_health;
	int exact;      /* vals replace the recorded --set values (apply) */
	struct values vals;
};

static int parse(int argc, char **argv, int update, struct opts *o, struct err *e)
{
	o->timeout = HEALTH_TIMEOUT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int n = cli_compat_flag(argc, argv, i, e);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n - 1;
			continue;
		}
		if (update && (!strcmp(a, "--set") || !strcmp(a, "--rebase") || !strcmp(a, "--timeout")) &&
		    i + 1 >= argc)
			return err_usage(e, "%s needs a value", a);
		if (update && (!strcmp(a, "--set") || !strncmp(a, "--set=", 6))) {
			if (values_add_set(&o->vals, a[5] == '=' ? a + 6 : argv[++i], e) < 0)
				return -1;
		} else if (update && (!strcmp(a, "--rebase") || !strncmp(a, "--rebase=", 9))) {
			o->rebase = a[8] == '=' ? a + 9 : argv[++i];
		} else if (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10)) {
			const char *v = a[9] == '=' ? a + 10 : argv[++i];
			char *end;
			unsigned long t = strtoul(v, &end, 10);
			if (!*v || *end || t == 0 || t > 86400)
				return err_usage(e, "--timeout '%s': seconds, 1 to 86400", v);
			o->timeout = (unsigned)t;
		} else if (!strcmp(a, "--no-health-check")) {
			o->no_health = 1;
		} else if (a[0] == '-') {
			return err_usage(e, "unknown option '%s'", a);
		} else if (o->name) {
			return err_usage(e, "one container at a time");
		} else {
			o->name = a;
		}
	}
	if (!o->name)
		return err_usage(e, "which container?");
	if (!sc_valid_name(o->name))
		return err_usage(e, "'%s' is not a container name", o->name);
	return 0;
}

/* Recovery, the store (locked shared), CHECKOUT and NAME's lock. */
static int open_all(struct cli *c, const char *name, struct store **s, int *ckfd, int *lockfd,
		    struct err *e)
{
	*ckfd = *lockfd = -1;
	if (slot_recover(c, e) < 0 || pull_open_store(c, s, e) < 0 ||
	    store_lock(*s, STORE_LOCK_SHARED, pull_lock_timeout(), pull_on_wait, NULL, e) < 0)
		return -1;
	if ((*ckfd = target_open_dir(&c->tgt, c->paths.checkout, e)) < 0)
		return errno == ENOENT ? err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed",
						  name) : -1;
	return journal_lock(*ckfd, name, lockfd, e);
}

static int update(struct cli *c, struct opts *o, struct store *s, int ckfd, struct err *e)
{
	struct slot_ctx x = { c, s, ckfd, o->name };
	struct image_info im = { 0 };
	struct plan p = { 0 };
	struct owners own = { 0 };
	struct live l;
	int changed, other, ran = 0, r = -1;

	if (load_live(ckfd, o->name, &l, e) < 0)
		return -1;
	other = 1 - l.slot;
	if (image_resolve(s, o->rebase ? o->rebase : l.image, &im, e) < 0) {
		if (e->code == ERR_NOT_FOUND)
			err_set(e, 0, "image '%s' is not stored: pull it first",
				o->rebase ? o->rebase : l.image);
		goto out;
	}
	if (o->exact)
		changed = !applyfile_same_sets(o->vals.sets, o->vals.nsets, l.sets, l.nsets);
	else if ((changed = merge_sets(&l, &o->vals, e)) < 0)
		goto out;
	if (!changed && !strcmp(im.id, l.image_id)) {
		if (!o->exact)
			cli_say(c, "Latest version already installed.\n");
		r = 1;
		goto out;
	}
	p.vals = o->vals;
	memset(&o->vals, 0, sizeof o->vals);   /* the plan owns them now */
	if (owners_load(ckfd, &own, e) < 0)
		goto out;
	{
		struct plan_in pi = { .c = c, .s = s, .im = &im, .name = o->name, .runtime = l.runtime,
				      .slot = other, .update = 1,
				      .owned = (const char *const *)l.owned, .nowned = l.nowned,
				      .uuid = l.uuid[0] ? l.uuid : NULL, .owners = &own };
		if (plan_make(&p, &pi, e) < 0)
			goto out;
	}
	/* the other slot is the previous deployment: the new one takes its place */
	if (slot_exists(ckfd, o->name, other) && slot_remove(&x, other, e) < 0)
		goto out;
	if (switch_slots(&x, JOURNAL_UPDATE, l.slot, other, &im, &p, e) < 0 ||
	    install_record_places(ckfd, &own, &p, e) < 0)
		goto out;
	if (sc_systemd_running(c)) {
		if (systemd_follow(c, o->name, &ran, e) < 0 ||
		    (ran && !o->no_health && health(c, o->name, o->timeout, e) < 0)) {
			struct err ignore;
			int dummy;
			/* back to what ran before, restarted */
			if (switch_slots(&x, JOURNAL_ROLLBACK, other, l.slot, NULL, NULL, &ignore) == 0)
				systemd_follow(c, o->name, &dummy, &ignore);
			{
				char cause[sizeof e->msg];
				snprintf(cause, sizeof cause, "%s", e->msg);
				err_set(e, 0, "%s; rolled back to %s.%d", cause, o->name, l.slot);
			}
			goto out;
		}
	} else {
		cli_say(c, "systemd is not running here: the new deployment starts at boot\n");
	}
	cli_say(c, "Updated %s to %s (IMAGE ID %.19s); %s.%d is kept for rollback\n", o->name, im.name,
		im.id, o->name, l.slot);
	r = 0;
out:
	owners_free(&own);
	plan_free(&p);
	image_info_free(&im);
	live_free(&l);
	return r;
}

/* An update as parsed: 1 when nothing changed, 0 when updated, -1. */
static int update_named(struct cli *c, struct opts *o, struct err *e)
{
	struct store *s = NULL;
	int ckfd = -1, lockfd = -1, r = -1;

	if (open_all(c, o->name, &s, &ckfd, &lockfd, e) < 0 || (r = update(c, o, s, ckfd, e)) < 0)
		err_wrap(e, "%s", o->name);
	if (lockfd >= 0)
		close(lockfd);
	if (ckfd >= 0)
		close(ckfd);
	store_free(s);
	return r;
}

int cmd_containers_update(struct cli *c, int argc, char **argv, struct err *e)
{
	struct opts o = { 0 };
	int r = -1;

	if (parse(argc, argv, 1, &o, e) == 0)
		r = update_named(c, &o, e) < 0 ? -1 : 0;
	values_free(&o.vals);
	return r;
}

int containers_update_exact(struct cli *c, const char *name, const char *image,
			    char *const *sets, size_t nsets, struct err *e)
{
	struct opts o = { .name = name, .rebase = image, .timeout = HEALTH_TIMEOUT, .exact = 1 };
	int r = -1;

	for (size_t i = 0; i < nsets; i++)
		if (values_add_set(&o.vals, sets[i], e) < 0)
			goto out;
	r = update_named(c, &o, e);
out:
	values_free(&o.vals);
	return r;
}

int cmd_containers_rollback(struct cli *c, int argc, char **argv, struct err *e)
{
	struct opts o = { 0 };
	struct store *s = NULL;
	int ckfd = -1, lockfd = -1, live, ran, r = -1;

	if (parse(argc, argv, 0, &o, e) < 0)
		goto out;
	if (open_all(c, o.name, &s, &ckfd, &lockfd, e) < 0)
		goto fail;
	if ((live = slot_live(ckfd, o.name)) < 0) {
		err_setc(e, ERR_NOT_FOUND, 0, "no container '%s' is installed", o.name);
		goto fail;
	}
	if (!slot_exists(ckfd, o.name, 1 - live)) {
		err_set(e, 0, "no previous deployment to roll back to");
		goto fail;
	}
	{
		struct slot_ctx x = { c, s, ckfd, o.name };
		if (switch_slots(&x, JOURNAL_ROLLBACK, live, 1 - live, NULL, NULL, e) < 0)
			goto fail;
	}
	if (sc_systemd_running(c) && systemd_follow(c, o.name, &ran, e) < 0)
		goto fail;
	if (!sc_systemd_running(c))
		cli_say(c, "systemd is not running here: the previous deployment starts at boot\n");
	cli_say(c, "Rolled back %s to %s.%d\n", o.name, o.name, 1 - live);
	r = 0;
	goto out;
fail:
	err_wrap(e, "%s", o.name);
out:
	if (lockfd >= 0)
		close(lockfd);
	if (ckfd >= 0)
		close(ckfd);
	values_free(&o.vals);
	store_free(s);
	return r;
}
