/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_log.h -- a runtime-api function's log: a pipe the agent owns and
 * copies to its stderr, named, escaped and rate-limited (agent_log.c). */
#ifndef SLX_SHIM_AGENT_LOG_H
#define SLX_SHIM_AGENT_LOG_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_LOG_LINE 4096 /* longer lines are cut in pieces of this */

struct agent_log {
	int fd;		       /* the pipe's read end, non-blocking; -1 once every writer left */
	char name[4 * 64 + 1]; /* the function's, escaped once (at most 64 bytes of it) */
	size_t name_len;
	char line[AGENT_LOG_LINE];
	size_t len;
	double tokens; /* the rate's bucket, bytes */
	uint64_t last_ns;
	uint64_t dropped; /* bytes dropped since the last line said so */
	uint64_t said_ns; /* when a line last said so */
};

/* A pipe for the function's stdout and stderr: *write_end is the
 * function's (close-on-exec; the spawn dups it onto 1 and 2). */
int agent_log_open(struct agent_log *l, const char *name, int *write_end);
/* Copy what the pipe holds to out; at EOF, agent_log_close. */
void agent_log_drain(struct agent_log *l, int out);
/* The last partial line, the count of what was dropped, then the pipe. */
void agent_log_close(struct agent_log *l, int out);

#endif
