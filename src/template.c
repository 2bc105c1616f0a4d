#include "template.h"

#include <string.h>

static int name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

int template_scan(const char *buf, size_t len, template_var_fn fn, void *ctx, struct err *e)
{
	for (size_t i = 0; i < len; i++) {
		size_t start, end;
		int braced;

		if (buf[i] != '$')
			continue;
		if (i + 1 < len && buf[i + 1] == '$') {
			i++;
			continue;
		}
		braced = i + 1 < len && buf[i + 1] == '{';
		start = i + 1 + braced;
		end = start;
		if (end < len && name_start(buf[end]))
			while (end < len && name_char(buf[end]))
				end++;
		if (end == start || (braced && (end >= len || buf[end] != '}')))
			return err_set(e, 0, "invalid '$' at byte %zu: expected $NAME, ${NAME} or $$", i);
		if (end - start > TEMPLATE_MAX_NAME)
			return err_set(e, 0, "variable name at byte %zu longer than %d bytes", i,
				       TEMPLATE_MAX_NAME);
		if (fn && fn(ctx, buf + start, end - start, e) < 0)
			return -1;
		i = end + braced - 1;
	}
	return 0;
}
