/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buf.h -- the one growable byte buffer: append bytes and JSON strings;
 * always NUL-terminated once anything was added. */
#ifndef SLX_BUF_H
#define SLX_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct slx_buf {
	char *p; /* NULL until the first add */
	size_t len, cap;
};

/* 0, or -1 when memory runs out (the buffer is left as it was). */
int slx_buf_add(struct slx_buf *b, const void *s, size_t n);
/* Room for n bytes in all (and the NUL) without growing again: exactly
 * that much when the buffer must grow. */
int slx_buf_reserve(struct slx_buf *b, size_t n);
/* Append s[0..n) as a JSON string, quotes included; bytes that are not
 * well-formed UTF-8 become U+FFFD (JSON text must be UTF-8). */
int slx_buf_json_str(struct slx_buf *b, const char *s, size_t n);
/* s[0..n) is well-formed UTF-8 (RFC 3629: no overlong form, no surrogate,
 * nothing past U+10FFFF). */
bool slx_utf8_valid(const char *s, size_t n);
/* Frees and empties; safe twice. */
void slx_buf_release(struct slx_buf *b);

#endif
