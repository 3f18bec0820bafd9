/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_policy_live.c -- the live shim and the trace replay run the same
 * policy: a short Azure-format trace (tests/traces/live/) is played against
 * `shim serve --policy P --time-scale 60` (one trace minute a real second,
 * requests sent at their compressed arrival times, the replay's even spacing
 * within a minute), and its slxrun_cold_starts_total is compared with
 * `shim replay --policy P --time-scale 60` on the same trace.
 *
 * Tolerance: |live - replay| <= max(2, 20% of replay).  The replay is exact
 * arithmetic; live, requests land a few ms late, creation takes real time
 * and the tick samples on its own clock, so an idle time at a window's edge
 * can fall either side of it. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

#define LIVE_SCALE	  60
#define LIVE_TRACE_DIR	  "tests/traces/live"
#define LIVE_INVOCATIONS  LIVE_TRACE_DIR "/invocations_per_function_md.anon.d01.csv"
#define LIVE_DURATIONS	  LIVE_TRACE_DIR "/function_durations_percentiles.anon.d01.csv"
#define LIVE_MEMORY	  LIVE_TRACE_DIR "/app_memory_percentiles.anon.d01.csv"
#define LIVE_MAX_ARRIVALS 256

/* The running shim, so .fini stops it after a failure. */
static struct shim_proc live_t_cur = SHIM_PROC_INIT;

/* ---- the trace -------------------------------------------------------------- */

/* Arrival offsets (ns, compressed) of the trace's one function, as the
 * replay places them: minute m's c invocations at m*60 + (2k+1)*30/c s. */
static size_t live_t_arrivals(uint64_t *out, size_t max)
{
	FILE *f = fopen(LIVE_INVOCATIONS, "r");
	char *line = NULL, *save = NULL;
	size_t cap = 0, n = 0;
	int col = 0;

	cr_assert(f, "%s: run the suite from the repository root", LIVE_INVOCATIONS);
	cr_assert_gt(getline(&line, &cap, f), 0); /* the header */
	cr_assert_gt(getline(&line, &cap, f), 0);
	fclose(f);
	for (char *tok = strtok_r(line, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		uint64_t minute = (uint64_t)(col++ - 4), c;

		if (col <= 4) /* owner, app, function, trigger */
			continue;
		c = strtoull(tok, NULL, 10);
		for (uint64_t k = 0; k < c; k++) {
			cr_assert_lt(n, max);
			out[n++] =
			    (minute * 60 * 1000000000ull + (2 * k + 1) * 30 * 1000000000ull / c) /
			    LIVE_SCALE;
		}
	}
	free(line);
	cr_assert_eq(col, 4 + 1440, "%s: expected 1444 columns", LIVE_INVOCATIONS);
	return n;
}

/* The replay's cold starts for policy (its CSV's third column). */
static long live_t_replay_colds(const char *policy, long *invocations)
{
	struct cmd_result r;
	long colds = -1;
	char name[64];

	cmd_run(&r, NULL, 60,
		"'%s' shim replay %s --durations %s --memory %s --time-scale %d "
		"--policy '%s' --format csv",
		slxrun_bin(), LIVE_INVOCATIONS, LIVE_DURATIONS, LIVE_MEMORY, LIVE_SCALE, policy);
	cr_assert_eq(r.status, 0, "replay: %s", r.err);
	cr_assert_eq(sscanf(strchr(r.out, '\n') + 1, "%63[^,],%ld,%ld", name, invocations, &colds),
		     3, "replay output: %s", r.out);
	cmd_result_free(&r);
	return colds;
}

/* ---- the comparison ------------------------------------------------------- */

static void live_t_fini(void)
{
	shim_proc_cleanup(&live_t_cur);
}

static void live_t_compare(const char *policy)
{
	static uint64_t at[LIVE_MAX_ARRIVALS];
	static struct http_reply reply;
	char flags[128], bundle[512];
	size_t n = live_t_arrivals(at, LIVE_MAX_ARRIVALS);
	long sim_inv = 0, sim = live_t_replay_colds(policy, &sim_inv), live, tol;
	uint64_t t0;

	cr_assert_eq(sim_inv, (long)n, "the replay and this test read the trace alike");
	cr_assert_gt(sim, 0);
	snprintf(flags, sizeof(flags), "--policy '%s' --time-scale %d --tick-ms 20", policy,
		 LIVE_SCALE);
	snprintf(bundle, sizeof(bundle), "%s/bench-echo-exec", examples_dir());
	shim_proc_start(&live_t_cur, bundle, flags);
	t0 = shim_clock_ns();
	for (size_t i = 0; i < n; i++) {
		shim_sleep_until(t0 + at[i]);
		shim_invoke(&live_t_cur, "live", &reply);
		cr_assert_eq(reply.status, 200, "request %zu: %s", i, reply.body);
	}
	cr_assert_eq(shim_metric(&live_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"),
		     (double)n);
	live = (long)shim_metric(&live_t_cur, "slxrun_cold_starts_total");
	cr_assert_eq(shim_proc_stop(&live_t_cur), 0);
	tol = sim / 5 > 2 ? sim / 5 : 2;
	cr_log_info("policy %s: live %ld cold starts, replay %ld (tolerance %ld)", policy, live,
		    sim, tol);
	cr_assert(labs(live - sim) <= tol,
		  "policy %s: live %ld cold starts, replay %ld, beyond ±%ld", policy, live, sim,
		  tol);
}

TestSuite(policy_live, .fini = live_t_fini, .timeout = 60);

/* fixed:120: two trace minutes of keep-alive, two real seconds compressed. */
Test(policy_live, fixed_keep_alive_cold_starts_match_the_replay)
{
	live_t_compare("fixed:120");
}

/* delta with a low cold cost (6 GB*s): its windows release between the
 * trace's bursts, so the count depends on the idle times it learns live. */
Test(policy_live, delta_cold_starts_match_the_replay)
{
	live_t_compare("delta:6");
}
