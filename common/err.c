/* SPDX-License-Identifier: GPL-2.0-or-later */
/* err.c -- constructing and decorating struct slx_err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
	return -1;
}

void slx_err_clear(struct slx_err *err)
{
	err->errnum = 0;
	err->msg[0] = '\0';
}
