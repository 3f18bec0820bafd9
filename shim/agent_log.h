/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_log.h -- a runtime-api function's log: a pipe the agent owns and
 * copies to its stderr, named, escaped and rate-limited (agent_log.c). */
#ifndef SLX_SHIM_AGENT_LOG_H
#define SLX_SHIM_AGENT_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_proto.h"

#define AGENT_LOG_LINE 4096 /* longer lines are cut in pieces of this */

/* A function's log rate, one for all its sandboxes (else each new sandbox
 * brought a fresh burst, and N of them N times the rate): a page mapped
 * shared when the function is loaded, before the sandbox creator forks, so
 * every agent it clones takes from the same bucket.  Tokens are counted in
 * byte-nanoseconds (bytes x 1e9) so that frequent refills lose nothing. */
struct agent_log_rate {
	_Atomic int64_t tokens;
	_Atomic uint64_t last_ns; /* last refill */
};

/* A full bucket, or NULL (errno set). */
struct agent_log_rate *agent_log_rate_new(void);
void agent_log_rate_free(struct agent_log_rate *r);

/* The last AGENT_TAIL_MAX bytes written to it (a ring): an exec function's
 * stderr, the log lines of the call in flight for X-Amz-Log-Type: Tail. */
struct agent_tail {
	char buf[AGENT_TAIL_MAX];
	size_t head, len; /* the next byte's place; how many are kept */
};
void agent_tail_keep(struct agent_tail *t, const char *p, size_t n);
/* What it keeps, oldest first, into out (AGENT_TAIL_MAX bytes); its length. */
size_t agent_tail_copy(const struct agent_tail *t, char *out);

struct agent_log {
	int fd;		       /* the pipe's read end, non-blocking; -1 once every writer left */
	char name[4 * 64 + 1]; /* the function's, escaped once (at most 64 bytes of it) */
	size_t name_len;
	char line[AGENT_LOG_LINE];
	size_t len;
	struct agent_log_rate *rate; /* the function's, shared */
	uint64_t dropped;	     /* bytes dropped since the last line said so */
	uint64_t said_ns;	     /* when a line last said so */
	struct agent_tail *tail;     /* non-NULL: each line (unescaped) kept here too */
	size_t tail_from;	     /* of the line in hand, what came before the tail began */
};

/* A pipe for the function's stdout and stderr, made by agent_pipe (the
 * function's user's, under floor): *write_end is the function's
 * (close-on-exec; the spawn dups it onto 1 and 2); what is written is
 * charged to rate. */
struct shim_floor;
int agent_log_open(struct agent_log *l, const char *name, struct agent_log_rate *rate,
		   const struct shim_floor *floor, int *write_end);
/* Copy what the pipe holds to out (at most 256 KiB a call); at EOF,
 * agent_log_close. */
void agent_log_drain(struct agent_log *l, int out);
/* From now on what is logged is kept in t too (emptied first), what came
 * before of the line in hand not; until agent_log_tail_end, which adds
 * what came of a line not ended yet (once: the next tail has none of it). */
void agent_log_tail_start(struct agent_log *l, struct agent_tail *t);
void agent_log_tail_end(struct agent_log *l);
/* What the tail holds so far and the line not ended yet, oldest first,
 * into out (AGENT_TAIL_MAX bytes), leaving both as they are; its length. */
size_t agent_log_tail_peek(const struct agent_log *l, char *out);

/* A call that asked for its log sends it once before its deadline too,
 * AGENT_LOG_EARLY_MS ahead, so that a call that times out (its sandbox
 * killed at the deadline, the agent with it) still has what it logged until
 * then; its answer's log, when it answers, replaces that one.  The ahead
 * covers an agent slowed by its function's CPU limit. */
#define AGENT_LOG_EARLY_MS 200
/* Milliseconds until that moment for a call due at deadline_ms (epoch), 0
 * once it has come. */
int agent_log_early_ms(uint64_t deadline_ms);
/* The last partial line, the count of what was dropped, then the pipe. */
void agent_log_close(struct agent_log *l, int out);

#endif
