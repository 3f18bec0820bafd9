/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_stream.h -- one application's invocations from the trace, a minute
 * at a time in time order: within a minute a function's n invocations come
 * evenly spaced, at (k + 1/2) * 60 s / n, or (random) each at a uniformly
 * random instant of the minute but for timer functions'.  Private to the
 * replays. */
#ifndef SLX_SHIM_REPLAY_STREAM_H
#define SLX_SHIM_REPLAY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "trace.h"

struct arrival {
	uint64_t t_ns, dur_ns;
	bool busy;    /* the app had an invocation in flight when it came */
	uint16_t src; /* its function's index in the app (the model's source) */
};

struct replay_stream {
	const struct trace *t;
	const struct trace_app *app;
	size_t *cur; /* per function of the app: next index into its minutes */
	uint64_t *dur_ns;
	unsigned scale; /* --time-scale: trace times divided by it */
	/* --within-minute random: a function's calls at uniformly random
	 * instants of their minute, drawn from its seed (a hash of its key,
	 * so the same on any thread; 0 for a timer's, evenly spaced) */
	bool random;
	uint64_t *seed;	     /* per function of the app, filled at the first minute */
	struct arrival *buf; /* the current minute, sorted */
	size_t n, cap, pos;
	struct arrival *tmp; /* scratch for merging the functions' runs */
	size_t tmp_cap;
};

/* Invocations waiting for a sandbox, first come first served (a ring that
 * doubles when full). */
struct arrival_queue {
	struct arrival *v;
	size_t head, len, cap;
};
int arrival_queue_push(struct arrival_queue *q, struct arrival a); /* -1 on ENOMEM */
struct arrival arrival_queue_pop(struct arrival_queue *q);	   /* q->len > 0 */
void arrival_queue_free(struct arrival_queue *q);

/* The sandbox a waiting invocation goes to: the most recently idle, so the
 * others age towards release; frozen ones only when none is idle. */
struct model_sandbox *replay_ready_sandbox(struct model_function *f);

/* Fill buf with the next minute that has invocations: 1, 0 at the end, -1
 * on ENOMEM. */
int replay_stream_fill(struct replay_stream *s);
/* Free the stream's buffers (cur and dur_ns are the caller's). */
void replay_stream_free(struct replay_stream *s);

#endif
