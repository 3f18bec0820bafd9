/* SPDX-License-Identifier: GPL-2.0-or-later */
/* err.h -- the one error type every slxrun module fills and carries up. */
#ifndef SLX_ERR_H
#define SLX_ERR_H

#include <stddef.h>

#define SLX_ERR_MSG_MAX 1024

/* An error is an errno (0 when the cause is not a syscall) and one line of
 * text.  The callee writes it once with slx_error(); callers add context with
 * slx_error_prefix(); only main() prints it. */
struct slx_err {
	int errnum;
	char msg[SLX_ERR_MSG_MAX];
};

/* Fill err and return -1, so callers can `return slx_error(err, errno, ...)`.
 * When errnum is non-zero, ": strerror(errnum)" is appended. */
int slx_error(struct slx_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "context: " to an error already filled; returns -1. */
int slx_error_prefix(struct slx_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void slx_err_clear(struct slx_err *err);

#endif
