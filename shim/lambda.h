/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lambda.h -- how AWS Lambda words things: the error JSON, a process's end,
 * request ids, deadlines in epoch milliseconds. */
#ifndef SLX_SHIM_LAMBDA_H
#define SLX_SHIM_LAMBDA_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/err.h"

/* {"errorMessage":<msg>,"errorType":<type>} into b (emptied first). */
int shim_error_json(struct slx_buf *b, const char *type, const char *msg, size_t msg_len);
/* "exit status N" or "signal: segmentation fault", as Lambda words it. */
void shim_exit_text(int status, char *buf, size_t len);
/* A fresh Lambda-style request id (UUID v4 text, 36 chars + NUL). */
void shim_request_id_new(char buf[37]);
/* What a call's REPORT line says: its duration and the function's memory
 * size; the sandbox's peak memory (memory.peak; 0 where the cgroup has
 * none), how long the sandbox took to start for a cold call (0 on a warm
 * one), "timeout" for a timed-out call, "error" with the error type for
 * one whose sandbox could not start; and what its runtime logged while
 * it started (a cold call's, before START). */
struct shim_report {
	uint64_t duration_ns;
	long long memory_mb;
	uint64_t max_memory_bytes;
	uint64_t init_ns;
	const char *status, *error_type;
	const char *init_log;
	size_t init_log_len;
};
/* A runtime's init error body as Lambda answers it: when it is one JSON
 * object (at most 256 KB, 64 deep, no comments, strict UTF-8, its
 * errorMessage given once at most) whose errorType, given once, is a word (printable ASCII, no
 * blank, at most 64 bytes; it goes into log lines and the REPORT), the body itself into out, all
 * its fields as the runtime wrote them (a stack trace too), and the type into type[cap]: 0; else
 * -1. */
int shim_init_error_answer(const char *body, size_t len, struct slx_buf *out, char *type,
			   size_t cap);
/* X-Amz-Log-Result for a call that asked for its log (X-Amz-Log-Type:
 * Tail): the last 4 KB of Lambda's execution log (START, what the call
 * logged, END, REPORT), base64, into b. */
int shim_log_result(struct slx_buf *b, const char *request_id, const char *log, size_t len,
		    const struct shim_report *rep, struct slx_err *err);
/* Wall clock in epoch milliseconds (deadlines as Lambda states them). */
uint64_t shim_epoch_ms(void);

#endif
