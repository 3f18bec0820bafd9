/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.h -- the allocate/release policy: one pure function from a model
 * snapshot and a configuration to actions (allocate, pre-warm, thaw, freeze,
 * release).  The live shim and `slxrun shim replay` call the same code.
 *
 * How a caller uses it, each tick or event:
 *   1. bring the model up to date (model_function_arrive/start/finish,
 *      model_sandbox_push with the tick's cgroup counters, host totals);
 *   2. n = policy_decide(&model, &cfg, now, acts, max, &wake);
 *   3. carry out acts[0..n) in order (an ALLOCATE's new sandboxes go through
 *      model_sandbox_add; a RELEASE is model_sandbox_remove after destroy);
 *   4. call again no later than `wake` (UINT64_MAX: only on the next event). */
#ifndef SLX_SHIM_POLICY_H
#define SLX_SHIM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "model.h"

enum policy_kind {
	POLICY_FIXED,	  /* release after a fixed keep-alive (fixed:600 = Lambda, OpenWhisk) */
	POLICY_KNATIVE,	  /* Knative KPA scale-to-zero: a 60 s stable window */
	POLICY_HISTOGRAM, /* Shahrad et al., ATC 2020, hybrid histogram */
	POLICY_DELTA,	  /* ours: exact idle times, cost-optimal window, trend */
	POLICY_LRU,  /* keep every idle sandbox; under a budget evict the least recently used */
	POLICY_GDSF, /* FaasCache (Fuerst & Sharma, ASPLOS 2021): Greedy-Dual-Size-Frequency */
};

struct policy_config {
	enum policy_kind kind;
	char name[32];		  /* as given, for reports: "fixed:600", "delta" */
	uint64_t keep_alive_ns;	  /* fixed, knative; histogram's and delta's fallback */
	uint64_t freeze_grace_ns; /* idle and quiet this long: frozen; 0 never */
	uint64_t create_ns;	  /* expected creation time: pre-warm lead */
	double quiet_cpu_frac;	  /* ΔR_cpu under this share of a core: idle */
	double cpu_saturated;	  /* ΣΔR_cpu / (cores x tick) at or above: queue */
	double psi_mem_limit;	  /* memory.pressure some avg10 (%) above: pressure */

	/* histogram (Shahrad): percentiles of the idle-time histogram, the
	 * margin applied to both, representativeness thresholds. */
	double hist_pw_pct, hist_ka_pct, hist_margin, hist_cv_min;
	unsigned hist_min_samples;
	double oob_share; /* more OOB than this share of ITs: the OOB path */

	/* gdsf:faascache: FaasCache's own frequency, the uses of all the
	 * function's live sandboxes, and one priority for all of them set at
	 * its last use (its simulator's; kept to measure it against). */
	bool gdsf_faascache;

	/* delta: one cold start weighs as much as this much idle memory-time. */
	double cold_cost_gb_s;
	unsigned delta_min_samples;
	double delta_margin;	    /* window widened by this share each side */
	uint64_t min_unload_ns;	    /* pre-warm windows start no sooner than this */
	uint64_t timer_unload_ns;   /* a timer's (ring_tight) no sooner than this */
	unsigned conc_minutes;	    /* concurrency peak window kept warm */
	double conc_headroom;	    /* and this share above the peak */
	uint64_t surplus_grace_ns;  /* idle sandboxes past the peak: kept this long */
	uint64_t spare_min_idle_ns; /* delta's spares under a short window: at least this */
	double ramp_min_worth_s;    /* delta ramps where a cold start is worth this idle */
};

/* Parse "fixed:SECONDS", "knative", "histogram", "lru", "gdsf",
 * "gdsf:faascache", "delta" or "delta:COLD_COST_GB_S" into cfg (defaults for
 * everything else).
 * create_ns is left at its default (5 ms); callers set their own. */
int policy_parse(const char *spec, struct policy_config *cfg, struct slx_err *err);

enum policy_act {
	POLICY_ALLOCATE, /* create n sandboxes for fn now */
	POLICY_PREWARM,	 /* plan: create n for fn at at_ns (wake says when to act) */
	POLICY_THAW,	 /* thaw sandbox sb of fn: demand waits for it */
	POLICY_FREEZE,	 /* freeze sandbox sb of fn: idle past the grace */
	POLICY_RELEASE,	 /* destroy sandbox sb of fn */
	POLICY_HOLD,	 /* n requests of fn stay queued: budget or CPU saturation */
};
const char *policy_act_name(enum policy_act a);

struct policy_action {
	enum policy_act kind;
	bool evict;	/* a release that makes room under the node's budget */
	size_t fn;	/* index into model.fn */
	uint64_t sb;	/* model_sandbox.id, for thaw/freeze/release */
	unsigned n;	/* allocate, pre-warm, hold */
	uint64_t at_ns; /* pre-warm */
};

/* Enough room for every action one call can return. */
size_t policy_actions_max(const struct model *m);

/* The decision.  Writes at most max actions to out (policy_actions_max is
 * always enough) and returns how many; *wake_ns is the earliest time the
 * answer changes with no new event.  No I/O, no clock: deterministic.  It
 * writes nothing but each function's caches (its plan memo, its concurrency
 * window and peaks) and gdsf's clock and stamps (see model.h).
 *
 * Under a budget (host.mem_budget_bytes) an allocation that does not fit
 * first evicts idle sandboxes, in the policy's order:
 *   gdsf   lowest priority clock + frequency x cold-start cost / size, the
 *          clock rising to the evicted priority (FaasCache); the frequency
 *          is the sandbox's uses that came after the clock had moved since
 *          its previous one (a burst between two evictions counts once);
 *          equal priorities go least recently used first;
 *   delta  first every spare that has never run (a guess at concurrency),
 *          then the longest expected wait until its next use times its size
 *          (R_i's memory): for the first sandbox the residual of the
 *          function's recent idle times past its idle so far, for the k-th
 *          how rarely the last hour's concurrency reached that level (at
 *          most 4x the sandbox's own idle so far), shortened while ΔA_i
 *          rises; and under a budget delta releases only to make room,
 *          never on its plan;
 *   others least recently used.
 * Guesses (delta's ramp extras, a pre-warm) never evict: they take only
 * memory free without this decision's evictions, and a spare among them is
 * the first evicted until it runs.  With host.release_waits
 * an evicted sandbox's memory is free only once its processes are gone
 * (host.mem_leaving_bytes until then): the allocation it made room for
 * holds until then, and evicts no more for it. */
size_t policy_decide(struct model *m, const struct policy_config *cfg, uint64_t now_ns,
		     struct policy_action *out, size_t max, uint64_t *wake_ns);

/* The same decision for one function fi only (its event: an arrival, a
 * completion, its wake-up), with the node's budget over all of them: when
 * fi's allocation does not fit, idle sandboxes of any function are released
 * (evict set) in the policy's order until it does, and what still does not
 * fit holds.  What the replay of a whole node calls per event; policy_decide
 * is this over every function. */
size_t policy_decide_function(struct model *m, const struct policy_config *cfg, size_t fi,
			      uint64_t now_ns, struct policy_action *out, size_t max,
			      uint64_t *wake_ns);

/* A function's plan, the part of the decision tests look at directly.
 * Idle sandboxes live keep_alive_ns past their idle_since, or, when window
 * is set, while now is in [win_start_ns, win_end_ns) (absolute times); one
 * sandbox is pre-warmed to be ready at win_start_ns. */
struct policy_plan {
	uint64_t keep_alive_ns;
	bool window;
	uint64_t win_start_ns, win_end_ns;
	unsigned reserve;	/* idle sandboxes worth keeping beyond the first */
	uint64_t spare_idle_ns; /* 0, or: all but the freshest idle one go after this */
	unsigned extra;		/* delta: pre-warmed beyond the first, for a wake's batch */
	const char *why;	/* "fixed", "histogram", "fallback", "oob", "cost" */
};
void policy_plan_function(struct model_function *f, const struct policy_config *cfg,
			  uint64_t now_ns, struct policy_plan *out);
/* delta: how long an idle sandbox of concurrency level k >= 2 is worth
 * keeping, from that level's idle times (policy_plan_function first: it
 * sets the function's weight). */
uint64_t policy_level_keep_ns(struct model_function *f, unsigned k,
			      const struct policy_config *cfg);
/* delta: the mean wait left for level k >= 2 after idle_s already idle,
 * from that level's idle times (none longer: as long again, at least a
 * minute); -1 with too few of them. */
double policy_level_wait_s(const struct model_function *f, unsigned k, double idle_s);

#endif
