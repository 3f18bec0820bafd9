/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.h -- the shim's counters and their two renderings: Prometheus
 * text (GET /metrics) and the model's JSON view (GET /status), both read
 * from the pool's resource-delta model. */
#ifndef SLX_SHIM_METRICS_H
#define SLX_SHIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "pool.h"
#include "function_sandbox.h"

#define METRICS_N_OUTCOMES (SHIM_SERVICE_ERROR + 1)
#define METRICS_N_BUCKETS  14

struct metrics {
	uint64_t invocations[METRICS_N_OUTCOMES];
	uint64_t cold_starts, warm_starts;
	uint64_t rejected;	 /* 429: queue full */
	uint64_t events_dropped; /* Events given up (async.c) */
	uint64_t events_spooled; /* a gauge: Events waiting on disk only (async.c) */
	uint64_t create_failures;
	uint64_t evictions; /* idle sandboxes released to make room for another's */
	uint64_t duration_buckets[METRICS_N_BUCKETS]; /* cumulative on render */
	uint64_t duration_count;
	double duration_sum_s;
};

/* R(t), ΔR(t), A(t), ΔA(t), C(t), ΔC(t): the sums over the live sandboxes
 * at the last tick (A also counts the requests queued for the function). */
struct metrics_totals {
	struct model_r r;
	struct model_dr dr;
	unsigned a, c;
	int da, dc;
};

/* Sum the pool's model at a tick; ΔA and ΔC against the totals t held. */
void metrics_totals_take(struct metrics_totals *t, const struct pool *p);

/* One answered invocation: its outcome, cold or warm, seconds from
 * arrival to answer. */
void metrics_observe(struct metrics *m, enum shim_outcome o, bool cold, double seconds);

/* One function of the node, as rendered. */
struct metrics_fn {
	const char *name;
	const struct metrics *m;
	const struct pool *pool;
	const struct metrics_totals *totals;
};

/* The node: its budget (0: none given), R(t) of the parent cgroup when
 * there is one, the sandboxes' reserved memory. */
struct metrics_node {
	const char *cgroup; /* the parent's path, or NULL */
	uint64_t budget, reserved;
	bool have_r;
	struct model_r r;
};

/* Prometheus text format 0.0.4: the node's sums under the unlabelled
 * names, each function's under slxrun_function_*{function="..."}. */
void metrics_render(const struct metrics_fn *fns, size_t n, const struct metrics_node *node,
		    FILE *out);
/* One function: {"function":..,"policy":..,"queue":n,
 *  "sandboxes":[{id,state,invocations,R,dR,A,dA,C,dC,ticks}],
 *  "totals":{R,dR,A,dA,C,dC},"node":{...}}
 * several: {"policy":..,"node":{budget,reserved,R},"functions":[{function,
 *  queue,sandboxes,totals,cold_starts,evictions},...]} */
void metrics_render_status(const struct metrics_fn *fns, size_t n, const char *policy,
			   const struct metrics_node *node, FILE *out);

#endif
