/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buf.c -- the growable byte buffer every module appends to (event and answer
 * bodies, HTTP uploads, JSON text). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

int slx_buf_add(struct slx_buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -1;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int slx_buf_reserve(struct slx_buf *b, size_t n)
{
	char *p;

	if (n + 1 <= b->cap)
		return 0;
	if (!(p = realloc(b->p, n + 1)))
		return -1;
	if (!b->p)
		p[0] = '\0';
	b->p = p;
	b->cap = n + 1;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

bool slx_utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0, u; i < n; i += u)
		if (!(u = (unsigned char)s[i] < 0x80
			      ? 1
			      : utf8_len((const unsigned char *)s + i, n - i)))
			return false;
	return true;
}

int slx_buf_json_str(struct slx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (slx_buf_add(b, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		size_t u;
		int r;

		if (c == '"' || c == '\\')
			r = slx_buf_add(b, (char[]){'\\', (char)c}, 2);
		else if (c == '\n')
			r = slx_buf_add(b, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			r = slx_buf_add(b, esc, sizeof(esc));
		else if (c < 0x80)
			r = slx_buf_add(b, &s[i], 1);
		else if ((u = utf8_len((const unsigned char *)s + i, n - i))) {
			r = slx_buf_add(b, &s[i], u);
			i += u - 1;
		} else { /* not UTF-8: JSON text must be, so U+FFFD in its place */
			r = slx_buf_add(b, "\\ufffd", 6);
		}
		if (r < 0)
			return -1;
	}
	return slx_buf_add(b, "\"", 1);
}

void slx_buf_release(struct slx_buf *b)
{
	free(b->p);
	*b = (struct slx_buf){0};
}
