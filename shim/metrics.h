/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.h -- the shim's counters and their two renderings: Prometheus
 * text (GET /metrics) and the model's JSON view (GET /status). */
#ifndef SLX_SHIM_METRICS_H
#define SLX_SHIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feed.h"
#include "pool.h"
#include "sandbox.h"

#define METRICS_N_OUTCOMES (SHIM_INIT_ERROR + 1)
#define METRICS_N_BUCKETS  14

struct metrics {
	uint64_t invocations[METRICS_N_OUTCOMES];
	uint64_t cold_starts, warm_starts;
	uint64_t rejected; /* 429: queue full */
	uint64_t create_failures;
	uint64_t duration_buckets[METRICS_N_BUCKETS]; /* cumulative on render */
	uint64_t duration_count;
	double duration_sum_s;
};

/* One answered invocation: its outcome, cold or warm, seconds from
 * arrival to answer. */
void metrics_observe(struct metrics *m, enum shim_outcome o, bool cold, double seconds);

/* Prometheus text format 0.0.4. */
void metrics_render(const struct metrics *m, const struct pool *p, FILE *out);

/* {"function":..,"sandboxes":[{id,state,invocations,R,dR,A,C}],
 *  "totals":{R,dR,A,C},"queue":n} */
void metrics_render_status(const struct pool *p, const char *function, const struct feed_totals *t,
			   FILE *out);

#endif
