/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.h -- discrete-event replay of an Azure trace through the policy:
 * the same policy_decide the live shim calls, driven by simulated time. */
#ifndef SLX_SHIM_REPLAY_H
#define SLX_SHIM_REPLAY_H

#include <stdint.h>

#include "../common/err.h"
#include "policy.h"
#include "trace.h"

/* The replay's model of the world:
 *  - the unit is the application (Shahrad et al.): its functions share one
 *    pool of sandboxes, one idle-time history, one memory size;
 *  - a sandbox serves one invocation at a time (Lambda's model); an
 *    invocation that finds no idle or frozen sandbox waits for capacity:
 *    that is a cold start, its added latency the wait (at most cold_ns);
 *  - within a minute a function's n invocations arrive evenly spaced, at
 *    (k + 1/2) * 60 s / n, k = 0..n-1, or at random instants (below);
 *  - apps are independent and the host is unlimited (the budget rules need
 *    a co-located mix the trace does not give);
 *  - a frozen sandbox costs its full memory (freezing frees no memory) and
 *    thaws for free; creation time is not idle time. */

/* --within-minute: where in its minute a call of the trace comes.  The
 * trace counts calls per minute; evenly spaced, single calls of any two
 * functions come at the same second, every gap is a whole number of
 * minutes, and a low-rate function looks like a timer beating on the
 * minute's middle.  Random takes those away from all but timers, whose
 * firings are on a schedule. */
enum replay_within {
	WITHIN_EVEN,   /* the k-th of n at (k + 1/2) * 60 s / n */
	WITHIN_RANDOM, /* at uniformly random instants; a timer's still even */
};

/* --nodes K: how an invocation picks its node. */
/* A node's load is its committed memory: sandboxes running or being
 * created; its idle ones are room, as eviction can take them. */
enum replay_placement {
	/* OpenWhisk's: the app hashes to a home node; when the home has no
	 * idle sandbox of it and no free memory for one, the next node that
	 * has either, in order; when none has, the first in that order whose
	 * committed memory leaves room for one (the home when none does). */
	PLACE_HASH,
	PLACE_LEAST, /* the node with the least committed memory */
	/* The model's R_i: a node holding an idle sandbox of the app (the
	 * most room among them), else the node with the most room, so an
	 * app's warm sandboxes are found where they are. */
	PLACE_WARM,
};

struct replay_config {
	uint64_t cold_ns;	    /* creation time of a sandbox (--cold-ms) */
	double default_duration_ms; /* functions with no durations row */
	double default_memory_mb;   /* apps with no memory row */
	uint64_t tick_ns;	    /* the period ΔA is taken over */
	/* Time compression (--time-scale N): trace times (arrivals, durations,
	 * the horizon) are divided by N, so N trace seconds pass in one.
	 * cold_ns is a real creation time and is not scaled. */
	unsigned time_scale;
	/* The node replay's cluster: the capacity split evenly over nodes
	 * (1: one node) behind the placement. */
	unsigned nodes;
	enum replay_placement placement;
	enum replay_within within;
	/* Threads replaying apps (replay_run; 0 or 1: the caller's alone).
	 * Apps are independent there, and the totals merge in integers, so
	 * the result is the same bits for any count. */
	unsigned jobs;
};

struct replay_result {
	char policy[32];
	uint64_t invocations, cold_starts;
	/* Cold starts that found the app already running an invocation: the
	 * concurrency the one-instance-per-app model of Shahrad et al. has not. */
	uint64_t cold_starts_busy;
	/* Cold starts that waited longer than a creation: held for memory on
	 * a full node (never without a budget). */
	uint64_t cold_starts_held;
	double cold_start_pct; /* invocation-weighted: all cold starts / all invocations */
	/* FaasCache's cold-start %: the cold starts not held over the
	 * invocations not held (its simulator drops a call it has no memory
	 * for and counts it apart, as neither hit nor miss). */
	double miss_pct;
	/* Percentiles (nearest rank) of the per-application cold-start %, over
	 * the apps with invocations: Shahrad et al.'s headline metric. */
	double app_cold_p50, app_cold_p75, app_cold_p90;
	double idle_gb_s; /* memory-time of live sandboxes not running anything */
	/* Added latency over every invocation, the warm ones (0) included: with
	 * cold starts under 1 % the p99 is 0, so the mean and the p99.9 speak. */
	double mean_added_ms, p99_added_ms, p999_added_ms;
	uint64_t evictions; /* sandboxes released for the node's budget */
	/* With several nodes: the busiest node's invocations over the mean
	 * node's (1: even). */
	double imbalance;
	/* On a node: the most memory its sandboxes running an invocation held
	 * at once, GiB (the busiest node's, with several).  Given room, it is
	 * the trace's own peak; where it reaches the capacity, calls were held
	 * for memory at the trace's peaks, under any policy. */
	double peak_running_gb;
};

void replay_config_default(struct replay_config *rc);

/* The policy's side of --time-scale N, shared by `shim replay` and the live
 * `shim serve` so both see the same compressed timeline: the time constants
 * (keep-alive, freeze grace, minimum unload, surplus grace) and delta's cold
 * cost (GB*s, a memory-time) are divided by N; conc_minutes counts the
 * model's real minutes, so it becomes ceil(conc_minutes / N); create_ns is a
 * real creation time and is kept.  The model's own bins (the histogram
 * policy's 1-minute bins, delta's 0.5 s log bins) are not scaled: under
 * compression `histogram` sees its idle times N times shorter. */
void replay_policy_time_scale(struct policy_config *pc, unsigned n);

int replay_run(const struct trace *t, const struct policy_config *pc,
	       const struct replay_config *rc, struct replay_result *out, struct slx_err *err);

/* Parse "hash", "least" or "warm". */
int replay_placement_parse(const char *s, enum replay_placement *out, struct slx_err *err);
/* Parse "even" or "random". */
int replay_within_parse(const char *s, enum replay_within *out, struct slx_err *err);

/* The whole trace on one node of mem_budget bytes (0: unlimited): every
 * application on one clock, the budget shared, each event decided by
 * policy_decide_function for its app, which may evict other apps' idle
 * sandboxes (counted in evictions) or hold the invocation until memory
 * frees (its wait is added latency, and it is a cold start).  Otherwise
 * the model above: an app's sandbox takes the app's memory while live. */
/* With rc->nodes = K > 1 the budget is split over K such nodes, each with
 * its own model; each invocation goes to the node rc->placement picks, and
 * an app may hold sandboxes on several. */
int replay_run_node(const struct trace *t, const struct policy_config *pc,
		    const struct replay_config *rc, uint64_t mem_budget, struct replay_result *out,
		    struct slx_err *err);

#endif
