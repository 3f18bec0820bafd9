/* SPDX-License-Identifier: GPL-2.0-or-later */
/* err.c -- constructing and decorating struct slx_err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* An error is printed as one line, and its text often quotes what the
 * caller was handed (a path from config.json, a hook's name): control
 * characters become JSON-style escapes so none can break the line or reach
 * a terminal as an escape sequence.  Truncates to the buffer. */
static void escape_controls(char *msg, size_t size)
{
	char out[SLX_ERR_MSG_MAX];
	size_t o = 0;

	if (!strpbrk(msg, "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11"
			  "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"))
		return;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 7 < sizeof(out); p++) {
		if (*p >= 0x20 && *p != 0x7f)
			out[o++] = (char)*p;
		else if (*p == '\n' || *p == '\t' || *p == '\r')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\%c",
					      *p == '\n'   ? 'n'
					      : *p == '\t' ? 't'
							   : 'r');
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\u%04x", *p);
	}
	out[o] = '\0';
	snprintf(msg, size, "%s", out);
}

int slx_error(struct slx_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	err->errnum = errnum;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	escape_controls(err->msg, sizeof(err->msg));
	return -1;
}

int slx_error_prefix(struct slx_err *err, const char *fmt, ...)
{
	char prefix[256];
	va_list ap;
	size_t plen, mlen;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (plen + 2 + mlen >= sizeof(err->msg))
		mlen = sizeof(err->msg) - plen - 3;
	memmove(err->msg + plen + 2, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	err->msg[plen + 2 + mlen] = '\0';
	escape_controls(err->msg, sizeof(err->msg));
	return -1;
}

void slx_err_clear(struct slx_err *err)
{
	err->errnum = 0;
	err->msg[0] = '\0';
}
