#include "text.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t text_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return n >= 2 && is_cont(s[1]) ? 2 : 0;
	if (c < 0xF0) {
		if (n < 3 || !is_cont(s[1]) || !is_cont(s[2]))
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || !is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

bool text_utf8_valid(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i = 0;

	while (i < len) {
		size_t k = text_utf8_len(p + i, len - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

bool text_is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool text_is_vchar(int c)
{
	return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

bool text_ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && !strncasecmp(a, b, alen);
}

bool text_is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return n > 0;
}

int text_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint32_t decode(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
	uint32_t cp = s[0] & lead_mask[k];

	for (size_t i = 1; i < k; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	return cp;
}

/* Code points a terminal treats as controls, or that reorder what follows. */
static bool hidden_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t text_escape(char *out, size_t outsz, const char *in, size_t len, int flags)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < len) {
		char esc[8];
		size_t k = text_utf8_len(p + i, len - i), w;
		const char *src = (const char *)p + i;
		unsigned char c = p[i];

		if (k == 1 && (c < 0x20 || c == 0x7f)) {
			const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
			if (named)
				memcpy(esc, named, 3);
			else
				snprintf(esc, sizeof esc, "\\x%02x", c);
			src = esc, w = strlen(esc), k = 1;
		} else if (k == 1 && (flags & TEXT_QUOTE) && (c == '\'' || c == '\\')) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			src = esc, w = 4;
		} else if (k == 0) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			src = esc, w = 4, k = 1;
		} else if (k > 1 && hidden_control(decode(p + i, k))) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)decode(p + i, k));
			src = esc, w = 6;
		} else {
			w = k;
		}
		if (o + w + 4 > outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, src, w);
		o += w;
		i += k;
	}
	out[o] = '\0';
	return o;
}

void text_printf(FILE *f, const char *fmt, ...)
{
	char raw[8192], shown[4 * sizeof raw];
	va_list ap;
	int n, nl;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof raw)
		n = sizeof raw - 1;
	nl = n > 0 && raw[n - 1] == '\n';
	text_escape(shown, sizeof shown, raw, (size_t)n - nl, 0);
	fputs(shown, f);
	if (nl)
		fputc('\n', f);
}
