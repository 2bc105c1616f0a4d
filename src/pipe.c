#include "pipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 4, SLOT = 128 * 1024 };

struct pipe {
	pipe_sink sink;
	void *ctx;
	pthread_t th;
	int running;               /* th is to be joined */
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	unsigned char *buf;        /* SLOTS slots of SLOT bytes */
	size_t len[SLOTS];
	unsigned head, count;      /* the consumer's slots: head .. head + count - 1 */
	int filling;               /* the producer holds slot (head + count) % SLOTS */
	unsigned slot;
	size_t fill;
	int eof, stop, failed;
	struct err err;            /* the consumer's error, once failed */
};

static void *consume(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned i;
		int r;

		while (!p->count && !p->eof && !p->stop)
			pthread_cond_wait(&p->can_take, &p->mu);
		if (p->stop || !p->count)
			break;
		i = p->head;
		pthread_mutex_unlock(&p->mu);
		r = p->sink(p->ctx, p->buf + (size_t)i * SLOT, p->len[i], &p->err);
		pthread_mutex_lock(&p->mu);
		if (r != 0) {
			p->failed = 1;
			break;
		}
		p->head = (p->head + 1) % SLOTS;
		p->count--;
		pthread_cond_signal(&p->can_put);
	}
	p->eof = 1;                /* nothing more is taken: a waiting producer goes on */
	pthread_cond_signal(&p->can_put);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int pipe_start(struct pipe **out, pipe_sink sink, void *ctx, struct err *e)
{
	struct pipe *p = calloc(1, sizeof *p);
	pthread_attr_t a;
	int r;

	if (!p || !(p->buf = malloc((size_t)SLOTS * SLOT))) {
		free(p);
		return err_set(e, ENOMEM, "pipe");
	}
	p->sink = sink;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_take, NULL);
	/* musl's default 128 KiB is too little for libostree's writers */
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 8 << 20);
	r = pthread_create(&p->th, &a, consume, p);
	pthread_attr_destroy(&a);
	if (r != 0) {
		free(p->buf);
		free(p);
		return err_set(e, r, "start the writer thread");
	}
	p->running = 1;
	*out = p;
	return 0;
}

/* The consumer's error, or the stop the consumer saw. */
static int failure(struct pipe *p, struct err *e)
{
	if (p->failed) {
		*e = p->err;
		return -1;
	}
	return err_set(e, EPIPE, "writer thread stopped");
}

/* Hands the slot being filled to the consumer. */
static int publish(struct pipe *p, struct err *e)
{
	int r = 0;

	pthread_mutex_lock(&p->mu);
	if (p->eof) {
		r = failure(p, e);
	} else {
		p->len[p->slot] = p->fill;
		p->count++;
		pthread_cond_signal(&p->can_take);
	}
	p->filling = 0;
	pthread_mutex_unlock(&p->mu);
	return r;
}

int pipe_put(struct pipe *p, const void *buf, size_t len, struct err *e)
{
	const unsigned char *b = buf;

	while (len) {
		size_t n;

		if (!p->filling) {
			int r = 0;
			pthread_mutex_lock(&p->mu);
			while (p->count == SLOTS && !p->eof)
				pthread_cond_wait(&p->can_put, &p->mu);
			if (p->eof)
				r = failure(p, e);
			p->slot = (p->head + p->count) % SLOTS;
			pthread_mutex_unlock(&p->mu);
			if (r < 0)
				return -1;
			p->filling = 1;
			p->fill = 0;
		}
		n = SLOT - p->fill < len ? SLOT - p->fill : len;
		memcpy(p->buf + (size_t)p->slot * SLOT + p->fill, b, n);
		p->fill += n;
		b += n;
		len -= n;
		if (p->fill == SLOT && publish(p, e) < 0)
			return -1;
	}
	return 0;
}

int pipe_finish(struct pipe *p, struct err *e)
{
	if (p->running) {
		if (p->filling && p->fill)
			publish(p, e);
		pthread_mutex_lock(&p->mu);
		p->eof = 1;
		pthread_cond_signal(&p->can_take);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
		p->running = 0;
	}
	if (p->failed) {
		*e = p->err;
		return -1;
	}
	return 0;
}

void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->can_take);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_take);
	free(p->buf);
	free(p);
}
