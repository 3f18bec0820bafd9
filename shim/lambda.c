/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lambda.c -- how AWS Lambda words things, for the shim and its agent: the
 * error JSON, a process's end, request ids, epoch-ms deadlines. */
#include "lambda.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

#include "../common/fsutil.h"

int shim_error_json(struct slx_buf *b, const char *type, const char *msg, size_t msg_len)
{
	b->len = 0;
	if (slx_buf_add(b, "{\"errorMessage\":", 16) < 0 || slx_buf_json_str(b, msg, msg_len) < 0 ||
	    slx_buf_add(b, ",\"errorType\":", 13) < 0 ||
	    slx_buf_json_str(b, type, strlen(type)) < 0)
		return -1;
	return slx_buf_add(b, "}", 1);
}

void shim_exit_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status)) {
		const char *name = strsignal(WTERMSIG(status));

		snprintf(buf, len, "signal: %s", name ? name : "unknown");
		/* Go's (and so Lambda's) wording is lower case: "segmentation fault". */
		if (buf[8])
			buf[8] = (char)(buf[8] >= 'A' && buf[8] <= 'Z' ? buf[8] + 32 : buf[8]);
		return;
	}
	snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

void shim_request_id_new(char buf[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(slx_now_ns() >> (i % 8 * 8));
	b[6] = (b[6] & 0x0f) | 0x40; /* UUID v4, the shape Lambda uses */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

uint64_t shim_epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
