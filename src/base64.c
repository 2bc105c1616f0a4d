/* Base64 and Basic credentials; see base64.h. */
#include "base64.h"

#include <string.h>

size_t base64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t o = 0;

	if (outsz == 0 || (len + 2) / 3 > (outsz - 1) / 4) {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

long base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz)
{
	size_t o = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char ch = in[i + k];
			int d;
			if (ch >= 'A' && ch <= 'Z')
				d = ch - 'A';
			else if (ch >= 'a' && ch <= 'z')
				d = ch - 'a' + 26;
			else if (ch >= '0' && ch <= '9')
				d = ch - '0' + 52;
			else if (ch == '+')
				d = 62;
			else if (ch == '/')
				d = 63;
			else if (ch == '=' && i + 4 == len && k >= 2 && (k == 3 || in[i + 3] == '='))
				d = 0, pad++;
			else
				return -1;
			if (pad && ch != '=')
				return -1;
			v = v << 6 | (unsigned)d;
		}
		for (int k = 0; k < 3 - pad; k++) {
			if (o == outsz)
				return -1;
			out[o++] = (unsigned char)(v >> (16 - 8 * k));
		}
	}
	return (long)o;
}

int base64_basic_credentials(const char *user, const char *pass, char *out, size_t outsz,
			     struct err *e)
{
	char plain[1024];
	size_t ul = strlen(user), pl = strlen(pass);

	if (strchr(user, ':'))
		return err_set(e, 0, "user name contains ':'");
	if (ul + pl + 1 > sizeof plain || outsz < 7)
		return err_set(e, 0, "credentials too long");
	memcpy(plain, user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, pass, pl);
	memcpy(out, "Basic ", 6);
	size_t n = base64_encode(plain, ul + pl + 1, out + 6, outsz - 6);
	explicit_bzero(plain, sizeof plain);
	if (!n) {
		out[0] = '\0';
		return err_set(e, 0, "credentials too long");
	}
	return 0;
}
