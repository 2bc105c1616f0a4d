#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -1;
	/* +1 for the NUL; BUF_MAX keeps every sum below far from overflow */
	if (n > BUF_MAX || b->len + n + 1 > BUF_MAX) {
		b->oom = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > BUF_MAX)
		cap = BUF_MAX;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	const char *src = p;
	int self = 0;
	size_t off = 0;

	/* appending a slice of ourselves: realloc may move it */
	if (b->data && src >= b->data && src < b->data + b->cap) {
		self = 1;
		off = (size_t)(src - b->data);
	}
	if (buf_reserve(b, n) < 0)
		return -1;
	if (self)
		src = b->data + off;
	if (n)
		memmove(b->data + b->len, src, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, int c)
{
	char ch = (char)c;
	return buf_append(b, &ch, 1);
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char small[256];

	if (b->oom)
		return -1;
	/* format once into a stack buffer; most calls fit */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return -1;
	}
	if ((size_t)n < sizeof small)
		return buf_append(b, small, (size_t)n);
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	buf_init(b);
}

const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p;

	if (b->oom)
		return NULL;
	if (!b->data && buf_reserve(b, 0) < 0)
		return NULL;
	if (!b->data)
		return NULL;
	b->data[b->len] = '\0';
	p = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}
