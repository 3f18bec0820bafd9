/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_stream.h -- one application's invocations from the trace, a minute
 * at a time in time order: within a minute a function's n invocations come
 * evenly spaced, at (k + 1/2) * 60 s / n.  Private to the replays. */
#ifndef SLX_SHIM_REPLAY_STREAM_H
#define SLX_SHIM_REPLAY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct arrival {
	uint64_t t_ns, dur_ns;
	bool busy; /* the app had an invocation in flight when it came */
};

struct replay_stream {
	const struct trace *t;
	const struct trace_app *app;
	size_t *cur; /* per function of the app: next index into its minutes */
	uint64_t *dur_ns;
	unsigned scale;	     /* --time-scale: trace times divided by it */
	struct arrival *buf; /* the current minute, sorted */
	size_t n, cap, pos;
	struct arrival *tmp; /* scratch for merging the functions' runs */
	size_t tmp_cap;
};

/* Fill buf with the next minute that has invocations: 1, 0 at the end, -1
 * on ENOMEM. */
int replay_stream_fill(struct replay_stream *s);
/* Free the stream's buffers (cur and dur_ns are the caller's). */
void replay_stream_free(struct replay_stream *s);

#endif
