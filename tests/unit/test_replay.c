/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_replay.c -- shim/trace.c's parser and its errors, and the replay on
 * the hand-written fixture (tests/traces/fixture) with hand-checked counts:
 *   app A, a timer every 30 min (48 calls, 1 s): fixed:600 and knative cold
 *     every time; histogram cold until 10 idle times fill it (11); delta
 *     until 2 equal idle times show the period (3);
 *   app B, calls at minutes 1,2,3,20,25 (1 s): fixed:600 cold at 1 and 20,
 *     knative also at 25 (299 s > 60 s); histogram as fixed:600; delta
 *     only at 1: past its window after minute 3 it plans again, and the
 *     gap not seen yet is still worth a sandbox back at once (1);
 *   app C, three 30 s calls in minute 1 (at 10, 30, 50 s): 2 cold (overlap);
 *   app D, two calls a minute all day: 1 cold. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shim/replay.h"
#include "shim/replay_frontier.h"
#include "shim/replay_stream.h"

#define RPL_FIXTURE "tests/traces/fixture/"
#define RPL_S(x)    ((uint64_t)(x)*MODEL_NS_PER_S)
#define RPL_MS(x)   ((uint64_t)(x)*MODEL_NS_PER_S / 1000)

static void rpl_load_fixture(struct trace *t)
{
	struct slx_err err = {0};

	trace_init(t);
	cr_assert_eq(trace_load_path(t, RPL_FIXTURE "invocations_per_function_md.anon.d01.csv",
				     trace_load_invocations, &err),
		     0, "%s", err.msg);
	cr_assert_eq(trace_load_path(t, RPL_FIXTURE "function_durations_percentiles.anon.d01.csv",
				     trace_load_durations, &err),
		     0, "%s", err.msg);
	cr_assert_eq(trace_load_path(t, RPL_FIXTURE "app_memory_percentiles.anon.d01.csv",
				     trace_load_memory, &err),
		     0, "%s", err.msg);
}

static struct replay_result rpl_run(const struct trace *t, const char *spec)
{
	struct replay_config rc;
	struct policy_config pc;
	struct replay_result r;
	struct slx_err err = {0};

	replay_config_default(&rc);
	cr_assert_eq(policy_parse(spec, &pc, &err), 0, "%s", err.msg);
	pc.create_ns = rc.cold_ns;
	cr_assert_eq(replay_run(t, &pc, &rc, &r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(r.policy, spec);
	return r;
}

Test(replay_fixture, cold_starts_match_the_hand_count)
{
	static const struct {
		const char *policy;
		uint64_t colds;
	} want[] = {{"fixed:600", 48 + 2 + 2 + 1},
		    {"knative", 48 + 3 + 2 + 1},
		    {"histogram", 11 + 2 + 2 + 1},
		    {"delta", 3 + 1 + 2 + 1}};
	struct trace t;

	rpl_load_fixture(&t);
	cr_assert_eq(t.n_apps, 4);
	cr_assert_eq(t.invocations, 48 + 5 + 3 + 2880);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct replay_result r = rpl_run(&t, want[i].policy);

		cr_expect_eq(r.invocations, 2936);
		cr_expect_eq(r.cold_starts, want[i].colds, "%s: %lu cold starts", want[i].policy,
			     (unsigned long)r.cold_starts);
	}
	trace_free(&t);
}

Test(replay_fixture, idle_memory_time_matches_the_hand_count)
{
	struct trace t;
	struct replay_result f, d;

	rpl_load_fixture(&t);
	f = rpl_run(&t, "fixed:600");
	/* Seconds idle at 128 MB: A 48 x 600; B 58.995 + 59 + 600 + 298.995 +
	 * 600; C 9.995 + 600 + 600; D the day less its first 15.105 s and
	 * 2879 x 0.1 s of work. */
	cr_assert_float_eq(f.idle_gb_s, (28800 + 1616.99 + 1209.995 + 86096.995) / 8, 0.01);
	cr_assert_float_eq(f.p99_added_ms, 5.0, 1e-9, "1.8%% cold: p99 is a cold start");
	d = rpl_run(&t, "delta");
	cr_assert_lt(d.idle_gb_s, f.idle_gb_s);
	cr_assert_leq(2 * d.cold_starts, f.cold_starts);
	trace_free(&t);
}

/* fixed:600 on the fixture: 53 cold starts of 5 ms in 2936 invocations.
 * Per app (sorted): D 1/2880, B 2/5, C 2/3, A 48/48; nearest rank over the
 * four gives p50 = B, p75 = C, p90 = A.  C's second call (at 30 s) comes
 * while its first (10-40 s) runs: the one busy cold start. */
Test(replay_fixture, latency_mean_p999_and_per_app_percentiles)
{
	struct trace t;
	struct replay_result f;

	rpl_load_fixture(&t);
	f = rpl_run(&t, "fixed:600");
	cr_assert_eq(f.cold_starts, 53);
	cr_expect_float_eq(f.mean_added_ms, 53 * 5.0 / 2936, 1e-9);
	/* rank ceil(0.999 x 2936) = 2934 lies past the 2883 warm zeros */
	cr_expect_float_eq(f.p999_added_ms, 5.0, 1e-9);
	cr_expect_float_eq(f.app_cold_p50, 40.0, 1e-9);
	cr_expect_float_eq(f.app_cold_p75, 200.0 / 3, 1e-9);
	cr_expect_float_eq(f.app_cold_p90, 100.0, 1e-9);
	cr_expect_float_eq(f.cold_start_pct, 100.0 * 53 / 2936, 1e-9);
	cr_expect_eq(f.cold_starts_busy, 1);
	cr_expect_eq(f.evictions, 0, "no budget, nothing evicted");
	trace_free(&t);
}

/* A policy's whole result as one row: every field of replay_result, the
 * doubles in %a so that equal rows are bit-for-bit equal results (the CSV
 * rounds them).  A field added to replay_result belongs here too. */
static void rpl_result_row(const struct replay_result *r, char *row, size_t size)
{
	snprintf(row, size, "%s,%lu,%lu,%lu,%lu,%a,%a,%a,%a,%a,%a,%a,%a,%a,%lu,%a,%a", r->policy,
		 (unsigned long)r->invocations, (unsigned long)r->cold_starts,
		 (unsigned long)r->cold_starts_busy, (unsigned long)r->cold_starts_held,
		 r->cold_start_pct, r->miss_pct, r->app_cold_p50, r->app_cold_p75, r->app_cold_p90,
		 r->idle_gb_s, r->mean_added_ms, r->p99_added_ms, r->p999_added_ms,
		 (unsigned long)r->evictions, r->imbalance, r->peak_running_gb);
}

/* Every policy twice, the second pass on a freshly loaded trace and in the
 * opposite order: neither what one run leaves behind nor the order of runs
 * may change any policy's row. */
Test(replay_fixture, every_policy_gives_the_same_rows_on_a_second_pass)
{
	static const char *const policies[] = {"fixed:600", "fixed:0", "knative",
					       "histogram", "delta",   "delta:6"};
	enum { N = sizeof(policies) / sizeof(policies[0]) };
	char first[N][512], again[512];
	struct trace t;

	rpl_load_fixture(&t);
	for (size_t i = 0; i < N; i++) {
		struct replay_result r = rpl_run(&t, policies[i]);

		rpl_result_row(&r, first[i], sizeof(first[i]));
	}
	trace_free(&t);
	rpl_load_fixture(&t);
	for (size_t i = N; i-- > 0;) {
		struct replay_result r = rpl_run(&t, policies[i]);

		rpl_result_row(&r, again, sizeof(again));
		cr_expect_str_eq(again, first[i], "policy %s: %s, then %s", policies[i], first[i],
				 again);
	}
	trace_free(&t);
}

/* ---- threads ------------------------------------------------------------------ */

/* A day of N apps in the trace's three files, from a fixed LCG: timers,
 * bursts of up to 40 a minute with quiet gaps, and sparse calls, 1 to 3
 * functions an app, durations from 10 ms to 20 s (so invocations overlap
 * and pools grow), memory from 64 to 1024 MB. */
static unsigned rpl_lcg(unsigned *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static void rpl_load_text(struct trace *t, const char *text,
			  int (*load)(struct trace *, FILE *, const char *, struct slx_err *))
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct slx_err err = {0};

	cr_assert_not_null(in);
	cr_assert_eq(load(t, in, "synthetic", &err), 0, "%s", err.msg);
	fclose(in);
}

static void rpl_synthetic(struct trace *t, unsigned seed, unsigned apps)
{
	char *inv = NULL, *dur = NULL, *mem = NULL;
	size_t n_inv = 0, n_dur = 0, n_mem = 0;
	FILE *fi = open_memstream(&inv, &n_inv), *fd = open_memstream(&dur, &n_dur);
	FILE *fm = open_memstream(&mem, &n_mem);
	unsigned x = seed;

	cr_assert(fi && fd && fm);
	fputs("HashOwner,HashApp,HashFunction,Trigger", fi);
	for (int m = 1; m <= 1440; m++)
		fprintf(fi, ",%d", m);
	fputs("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
	      "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
	      "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
	      "percentile_Average_100\n",
	      fd);
	fputs("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
	      "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
	      "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
	      "AverageAllocatedMb_pct100\n",
	      fm);
	fputc('\n', fi);
	for (unsigned a = 0; a < apps; a++) {
		unsigned fns = 1 + rpl_lcg(&x) % 3;

		fprintf(fm, "o,a%u,1,%u,1,1,1,1,1,1,1,1\n", a, 64u << rpl_lcg(&x) % 5);
		for (unsigned f = 0; f < fns; f++) {
			unsigned kind = rpl_lcg(&x) % 3, period = 1 + rpl_lcg(&x) % 90;
			unsigned rate = 1 + rpl_lcg(&x) % 40, on = 0;

			fprintf(fi, "o,a%u,f%u,http", a, f);
			for (unsigned m = 0; m < 1440; m++) {
				unsigned c = 0;

				if (kind == 0) /* a timer */
					c = m % period == 0;
				else if (kind == 1) { /* bursts and gaps */
					if (!on && rpl_lcg(&x) % 100 < 3)
						on = 1 + rpl_lcg(&x) % 20;
					c = on ? rpl_lcg(&x) % (rate + 1) : 0;
					on -= on > 0;
				} else /* sparse */
					c = rpl_lcg(&x) % 50 == 0 ? 1 + rpl_lcg(&x) % 3 : 0;
				fprintf(fi, ",%u", c);
			}
			fputc('\n', fi);
			fprintf(fd, "o,a%u,f%u,%u,1,1,1,1,1,1,1,1,1,1\n", a, f,
				10u * (1 + rpl_lcg(&x) % 2000));
		}
	}
	cr_assert_eq(fclose(fi) | fclose(fd) | fclose(fm), 0);
	trace_init(t);
	rpl_load_text(t, inv, trace_load_invocations);
	rpl_load_text(t, dur, trace_load_durations);
	rpl_load_text(t, mem, trace_load_memory);
	free(inv);
	free(dur);
	free(mem);
}

static struct replay_result rpl_run_within(const struct trace *t, const char *spec, unsigned jobs,
					   enum replay_within within)
{
	struct replay_config rc;
	struct policy_config pc;
	struct replay_result r;
	struct slx_err err = {0};

	replay_config_default(&rc);
	rc.jobs = jobs;
	rc.within = within;
	cr_assert_eq(policy_parse(spec, &pc, &err), 0, "%s", err.msg);
	pc.create_ns = rc.cold_ns;
	cr_assert_eq(replay_run(t, &pc, &rc, &r, &err), 0, "%s", err.msg);
	return r;
}

/* Apps replayed on 1, 2, 3 or 8 threads (more threads than the fixture
 * has apps, too): every policy's row is the same bits, idle GB*s included,
 * whichever thread ran which app. */
Test(replay_threads, any_thread_count_gives_the_same_rows)
{
	static const char *const policies[] = {"fixed:600", "fixed:0", "knative", "histogram",
					       "delta",	    "delta:6", "lru",	  "gdsf"};
	static const unsigned jobs[] = {2, 3, 8};
	struct trace t[2];

	rpl_load_fixture(&t[0]);
	rpl_synthetic(&t[1], 7, 40);
	cr_assert_eq(t[1].n_apps, 40);
	cr_assert_gt(t[1].invocations, 10000);
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
			struct replay_result one =
			    rpl_run_within(&t[k], policies[i], 1, WITHIN_EVEN);
			char want[512], got[512];

			cr_assert_gt(one.cold_starts, 0);
			rpl_result_row(&one, want, sizeof(want));
			for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
				struct replay_result r =
				    rpl_run_within(&t[k], policies[i], jobs[j], WITHIN_EVEN);

				rpl_result_row(&r, got, sizeof(got));
				cr_expect_str_eq(got, want, "trace %zu, %s on %u threads", k,
						 policies[i], jobs[j]);
			}
		}
	trace_free(&t[0]);
	trace_free(&t[1]);
}

/* ---- the parser ------------------------------------------------------------ */

static char *rpl_inv_file(const char *rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fputs("HashOwner,HashApp,HashFunction,Trigger", f);
	for (int m = 1; m <= 1440; m++)
		fprintf(f, ",%d", m);
	fputc('\n', f);
	fputs(rows, f);
	fclose(f);
	return buf;
}

/* A row of counts: minutes from..to (1-based) get `v`, the others 0. */
static char *rpl_row_span(const char *key, int from, int to, const char *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fputs(key, f);
	for (int m = 1; m <= 1440; m++)
		fprintf(f, ",%s", m >= from && m <= to ? v : "0");
	fputc('\n', f);
	fclose(f);
	return buf;
}

/* A row of counts: minute `at` (1-based) gets `v`, the others 0. */
static char *rpl_row(const char *key, int at, const char *v)
{
	return rpl_row_span(key, at, at, v);
}

static int rpl_parse(const char *text, struct trace *t, struct slx_err *err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int r;

	cr_assert_not_null(in);
	r = trace_load_invocations(t, in, "trace.csv", err);
	fclose(in);
	return r;
}

static void rpl_expect_error(const char *rows, const char *msg)
{
	char *text = rpl_inv_file(rows);
	struct trace t;
	struct slx_err err = {0};

	trace_init(&t);
	cr_expect_eq(rpl_parse(text, &t, &err), -1, "accepted, expected: %s", msg);
	cr_expect_str_eq(err.msg, msg);
	trace_free(&t);
	free(text);
}

Test(trace_parse, wrong_column_count_names_file_and_line)
{
	char *ok = rpl_row("o,a,f,http", 1, "1");
	char *two = NULL;

	cr_assert(asprintf(&two, "%s%s", ok, "o,a,g,http,1,2,3,4,5,6,7,8\n") > 0);
	rpl_expect_error(two, "trace.csv:3: expected 1444 columns, got 12");
	free(two);
	free(ok);
}

Test(trace_parse, bad_counts_are_refused)
{
	char *neg = rpl_row("o,a,f,http", 5, "-3");
	char *huge = rpl_row("o,a,f,http", 1440, "99999999999");
	char *word = rpl_row("o,a,f,http", 2, "1x");
	char *empty = rpl_row(",a,f,http", 2, "1");

	rpl_expect_error(neg, "trace.csv:2: column 9: negative count -3");
	rpl_expect_error(huge,
			 "trace.csv:2: column 1444: count 99999999999 above 1000000 per minute");
	rpl_expect_error(word, "trace.csv:2: column 6: not a count: \"1x\"");
	rpl_expect_error(empty, "trace.csv:2: column 1: empty hash");
	free(neg);
	free(huge);
	free(word);
	free(empty);
}

Test(trace_parse, bad_header_and_duplicates)
{
	const char *text = "HashOwner,HashApp,HashFunction,Trigger,1,2\n";
	char *row = rpl_row("o,a,f,http", 1, "1");
	char *dup = NULL;
	struct trace t;
	struct slx_err err = {0};

	trace_init(&t);
	cr_assert_eq(rpl_parse(text, &t, &err), -1);
	cr_assert_str_eq(err.msg, "trace.csv:1: header: expected 1444 columns, got 6");
	trace_free(&t);
	cr_assert(asprintf(&dup, "%s%s", row, row) > 0);
	rpl_expect_error(dup, "trace.csv:3: function o,a,f listed twice");
	trace_init(&t);
	cr_assert_eq(rpl_parse("", &t, &err), -1);
	cr_assert_str_eq(err.msg, "trace.csv: empty file (no header)");
	trace_free(&t);
	free(dup);
	free(row);
}

Test(trace_parse, days_chain_and_functions_group_by_app)
{
	char *r1 = rpl_row("o,a,f,http", 1440, "7");
	char *r2 = rpl_row("o,a,g,timer", 1, "2");
	char *rows = NULL, *day1, *day2;
	struct trace t;
	struct slx_err err = {0};

	cr_assert(asprintf(&rows, "%s%s", r1, r2) > 0);
	day1 = rpl_inv_file(rows);
	day2 = rpl_inv_file(r1);
	trace_init(&t);
	cr_assert_eq(rpl_parse(day1, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(rpl_parse(day2, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.days, 2);
	cr_assert_eq(t.n_apps, 1);
	cr_assert_eq(t.apps[0].n_fns, 2);
	cr_assert_eq(t.n_fns, 2);
	cr_assert_eq(t.fns[0].n_min, 2);
	cr_assert_eq(t.fns[0].min[0].minute, 1439);
	cr_assert_eq(t.fns[0].min[1].minute, 1440 + 1439, "day 2 follows day 1");
	cr_assert_eq(t.invocations, 16);
	trace_free(&t);
	free(day1);
	free(day2);
	free(rows);
	free(r1);
	free(r2);
}

Test(trace_parse, durations_and_memory_rows_are_checked)
{
	const char *dur = "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
			  "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
			  "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
			  "percentile_Average_100\no,a,f,-5,1,1,1,1,1,1,1,1,1,1\n";
	const char *mem = "HashOwner,HashApp,SampleCount\n";
	struct trace t;
	struct slx_err err = {0};
	FILE *in;

	trace_init(&t);
	in = fmemopen((void *)dur, strlen(dur), "r");
	cr_assert_eq(trace_load_durations(&t, in, "d.csv", &err), -1);
	fclose(in);
	cr_assert_str_eq(err.msg, "d.csv:2: column 4: -5 out of range 0..1e+09");
	in = fmemopen((void *)mem, strlen(mem), "r");
	cr_assert_eq(trace_load_memory(&t, in, "m.csv", &err), -1);
	fclose(in);
	cr_assert_str_eq(err.msg, "m.csv:1: header: expected 12 columns, got 3");
	trace_free(&t);
}

/* ---- the node replay ---------------------------------------------------------- */

static struct replay_result rpl_run_node_within(const struct trace *t, const char *spec,
						uint64_t budget, enum replay_within within)
{
	struct replay_config rc;
	struct policy_config pc;
	struct replay_result r;
	struct slx_err err = {0};

	replay_config_default(&rc);
	rc.within = within;
	cr_assert_eq(policy_parse(spec, &pc, &err), 0, "%s", err.msg);
	pc.create_ns = rc.cold_ns;
	cr_assert_eq(replay_run_node(t, &pc, &rc, budget, &r, &err), 0, "%s", err.msg);
	return r;
}

static struct replay_result rpl_run_node(const struct trace *t, const char *spec, uint64_t budget)
{
	return rpl_run_node_within(t, spec, budget, WITHIN_EVEN);
}

/* With room for everything the apps do not meet: the node replay, all
 * apps on one clock, must give every policy's per-app result exactly
 * (delta aside: under a budget it keeps what its plan releases, below). */
Test(replay_node, a_node_with_room_for_all_is_the_per_app_replay)
{
	static const char *const policies[] = {"fixed:600", "knative", "histogram", "lru"};
	struct trace t;

	rpl_load_fixture(&t);
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct replay_result a = rpl_run(&t, policies[i]);
		struct replay_result n = rpl_run_node(&t, policies[i], 100ull << 30);

		cr_expect_eq(n.invocations, a.invocations, "%s", policies[i]);
		cr_expect_eq(n.cold_starts, a.cold_starts, "%s: node %lu, apps %lu", policies[i],
			     (unsigned long)n.cold_starts, (unsigned long)a.cold_starts);
		cr_expect_float_eq(n.idle_gb_s, a.idle_gb_s, 1e-6, "%s", policies[i]);
		cr_expect_eq(n.evictions, 0);
	}
	trace_free(&t);
}

/* On a node with room delta keeps what its plan would release: of the
 * fixture's 7 cold starts unlimited (A's timer 3, B 1, C 2, D 1) only the
 * first calls are left, lru's 5 (A no longer pays while delta learns its
 * period), and the idle memory-time grows by what was kept. */
Test(replay_node, delta_with_room_keeps_past_its_plan)
{
	struct trace t;
	struct replay_result a, n;

	rpl_load_fixture(&t);
	a = rpl_run(&t, "delta");
	n = rpl_run_node(&t, "delta", 100ull << 30);
	cr_assert_eq(a.cold_starts, 7);
	cr_assert_eq(n.cold_starts, 5, "only the first calls");
	cr_assert_gt(n.idle_gb_s, a.idle_gb_s);
	cr_assert_eq(n.evictions, 0);
	trace_free(&t);
}

/* The fixture's four apps at 128 MB on a node of two sandboxes (256 MB):
 * lru keeps every idle sandbox, so with room for all (the row above) it has
 * only the 5 first-call cold starts; squeezed, the apps take turns
 * evicting each other's idle sandbox, and the evictions are paid in cold
 * starts. */
Test(replay_node, a_small_node_evicts_and_pays_in_cold_starts)
{
	struct trace t;
	struct replay_result big, small;

	rpl_load_fixture(&t);
	big = rpl_run_node(&t, "lru", 100ull << 30);
	small = rpl_run_node(&t, "lru", 256ull << 20);
	cr_assert_eq(big.cold_starts, 5, "first calls of A, B, D; C's two overlapping");
	cr_assert_gt(small.evictions, 0);
	cr_assert_gt(small.cold_starts, big.cold_starts);
	cr_assert_lt(small.idle_gb_s, big.idle_gb_s, "less room, less idle memory");
	trace_free(&t);
}

/* A curve is its frontier: sorted by idle memory-time, a point with more
 * cold starts than one using less memory dropped.  Read between two
 * points it is linear; outside the curve it is no number. */
Test(replay_frontier, keeps_the_frontier_and_reads_it_linearly)
{
	struct frontier_point p[] = {
	    {300, 10}, {100, 50}, {200, 60}, {400, 4}, {250, 20},
	};
	size_t n = frontier_build(p, 5);

	cr_assert_eq(n, 4, "(200, 60) is beaten by (100, 50)");
	cr_assert_float_eq(p[0].idle_gb_s, 100, 1e-12);
	cr_assert_float_eq(p[1].idle_gb_s, 250, 1e-12);
	cr_assert_float_eq(p[3].colds, 4, 1e-12);
	cr_assert_float_eq(frontier_at(p, n, 100), 50, 1e-12);
	cr_assert_float_eq(frontier_at(p, n, 175), 35, 1e-12);
	cr_assert_float_eq(frontier_at(p, n, 350), 7, 1e-12);
	cr_assert(isnan(frontier_at(p, n, 99)));
	cr_assert(isnan(frontier_at(p, n, 401)));
}

static struct replay_result rpl_run_nodes(const struct trace *t, const char *spec, uint64_t budget,
					  unsigned k, enum replay_placement place)
{
	struct replay_config rc;
	struct policy_config pc;
	struct replay_result r;
	struct slx_err err = {0};

	replay_config_default(&rc);
	rc.nodes = k;
	rc.placement = place;
	cr_assert_eq(policy_parse(spec, &pc, &err), 0, "%s", err.msg);
	pc.create_ns = rc.cold_ns;
	cr_assert_eq(replay_run_node(t, &pc, &rc, budget, &r, &err), 0, "%s", err.msg);
	return r;
}

/* Two roomy nodes: hashing sends every call of an app to its home, and the
 * warm placement to the node holding its sandbox, so each app pays only its
 * first calls, as on one node (lru's 5); the busiest node takes between all
 * and half of the calls. */
Test(replay_nodes, placements_that_keep_an_app_together_pay_as_one_node)
{
	static const enum replay_placement places[] = {PLACE_HASH, PLACE_WARM};
	struct trace t;

	rpl_load_fixture(&t);
	for (size_t i = 0; i < 2; i++) {
		struct replay_result r = rpl_run_nodes(&t, "lru", 100ull << 30, 2, places[i]);

		cr_assert_eq(r.cold_starts, 5, "placement %zu", i);
		cr_assert_geq(r.imbalance, 1.0);
		cr_assert_leq(r.imbalance, 2.0);
	}
	trace_free(&t);
}

/* The warm placement sends an app's calls where its idle sandbox is; the
 * least-loaded one ignores where, and on two nodes of 256 MB (two of the
 * fixture's sandboxes each) it splits apps and pays for it. */
Test(replay_nodes, least_loaded_pays_for_ignoring_where_sandboxes_are)
{
	struct trace t;
	struct replay_result warm, least;

	rpl_load_fixture(&t);
	warm = rpl_run_nodes(&t, "lru", 512ull << 20, 2, PLACE_WARM);
	least = rpl_run_nodes(&t, "lru", 512ull << 20, 2, PLACE_LEAST);
	cr_assert_eq(warm.invocations, least.invocations);
	cr_assert_lt(warm.cold_starts, least.cold_starts);
	trace_free(&t);
}

/* The headers of the durations and memory files (Azure's). */
#define RPL_DUR_HEADER                                                                             \
	"HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"       \
	"percentile_Average_1,percentile_Average_25,percentile_Average_50,"                        \
	"percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
#define RPL_MEM_HEADER                                                                             \
	"HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"                \
	"AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"               \
	"AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"              \
	"AverageAllocatedMb_pct100\n"

/* A trace in memory: its three files' text. */
static void rpl_load_texts(struct trace *t, const char *inv, const char *dur, const char *mem)
{
	static int (*const load[])(struct trace *, FILE *, const char *, struct slx_err *) = {
	    trace_load_invocations, trace_load_durations, trace_load_memory};
	const char *text[] = {inv, dur, mem};
	struct slx_err err = {0};

	trace_init(t);
	for (int i = 0; i < 3; i++) {
		FILE *in = fmemopen((void *)text[i], strlen(text[i]), "r");

		cr_assert_not_null(in);
		cr_assert_eq(load[i](t, in, "trace", &err), 0, "%s", err.msg);
		fclose(in);
	}
}

/* Two nodes of 256 MB, apps of 128 MB.  a and c (home node 1) run once in
 * minute 1 and stay idle there; b (home node 0) then takes 3 calls a
 * minute of 50 s each for an hour, three at once, one more than its home
 * holds.  Every node is full, none has an idle b or free memory: the
 * third call goes to node 1, whose running sandboxes leave room, evicting
 * a there, and finds that sandbox idle every minute after.  Sent home
 * regardless (the rule before), it queued behind b's two running
 * sandboxes, and every call after it waited: 182 cold starts of 182,
 * 440 s added on average, under every policy; least-loaded, weighing
 * memory in use (full everywhere), did the same (181). */
Test(replay_nodes, a_busy_home_overflows_to_a_node_whose_sandboxes_are_idle)
{
	static const char *const policies[] = {"lru", "gdsf", "delta"};
	static const enum replay_placement places[] = {PLACE_HASH, PLACE_LEAST, PLACE_WARM};
	char *inv, *ra = rpl_row("o,a,fa,http", 1, "1"), *rc = rpl_row("o,c,fc,http", 1, "1");
	char *rb = NULL, *rows = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&rb, &len);
	struct trace t;

	cr_assert_not_null(f);
	fputs("o,b,fb,http", f);
	for (int m = 1; m <= 1440; m++)
		fputs(m >= 2 && m <= 61 ? ",3" : ",0", f);
	fputc('\n', f);
	fclose(f);
	cr_assert_neq(asprintf(&rows, "%s%s%s", ra, rc, rb), -1);
	inv = rpl_inv_file(rows);
	rpl_load_texts(&t, inv,
		       RPL_DUR_HEADER
		       "o,a,fa,1000,1,1000,1000,1000,1000,1000,1000,1000,1000,1000\n"
		       "o,c,fc,1000,1,1000,1000,1000,1000,1000,1000,1000,1000,1000\n"
		       "o,b,fb,50000,1,50000,50000,50000,50000,50000,50000,50000,50000,50000\n",
		       RPL_MEM_HEADER "o,a,1,128,128,128,128,128,128,128,128,128\n"
				      "o,b,1,128,128,128,128,128,128,128,128,128\n"
				      "o,c,1,128,128,128,128,128,128,128,128,128\n");
	for (size_t p = 0; p < 3; p++)
		for (size_t i = 0; i < 3; i++) {
			struct replay_result r =
			    rpl_run_nodes(&t, policies[i], 512ull << 20, 2, places[p]);

			cr_expect_eq(r.invocations, 182);
			cr_expect_eq(r.cold_starts, 5, "%s, placement %zu: %lu", policies[i], p,
				     (unsigned long)r.cold_starts);
			cr_expect_eq(r.evictions, 1, "%s, placement %zu", policies[i], p);
		}
	trace_free(&t);
	free(inv);
	free(rows);
	free(ra);
	free(rb);
	free(rc);
}

/* One node of one 128 MB sandbox.  b calls at 15 s and 45 s (1 s each), a
 * at 30 s (30 s): a's call evicts b's idle sandbox, and b's second call
 * finds the node full of a running sandbox; it waits for memory until
 * a's call ends at 60.005 s, then for its creation: 15.01 s, past the
 * 5 ms a creation takes, so it is held, FaasCache's dropped call, left
 * out of the MISS% as its simulator leaves it out of hits and misses.
 * With room for two it is warm, and nothing is held.  The running peak
 * is one sandbox on the small node, and a's and b's together (45 to 46 s)
 * on the larger one. */
Test(replay_node, a_call_that_waited_for_memory_is_held)
{
	static const char *const policies[] = {"lru", "gdsf", "fixed:600", "delta"};
	char *ra = rpl_row("o,a,fa,http", 1, "1"), *rb = rpl_row("o,b,fb,http", 1, "2");
	char *rows = NULL, *inv;
	struct trace t;

	cr_assert_neq(asprintf(&rows, "%s%s", ra, rb), -1);
	inv = rpl_inv_file(rows);
	rpl_load_texts(&t, inv,
		       RPL_DUR_HEADER
		       "o,a,fa,30000,1,30000,30000,30000,30000,30000,30000,30000,30000,30000\n"
		       "o,b,fb,1000,1,1000,1000,1000,1000,1000,1000,1000,1000,1000\n",
		       RPL_MEM_HEADER "o,a,1,128,128,128,128,128,128,128,128,128\n"
				      "o,b,1,128,128,128,128,128,128,128,128,128\n");
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct replay_result one = rpl_run_node(&t, policies[i], 128ull << 20);
		struct replay_result two = rpl_run_node(&t, policies[i], 256ull << 20);

		cr_expect_eq(one.invocations, 3);
		cr_expect_eq(one.cold_starts, 3, "%s", policies[i]);
		cr_expect_eq(one.cold_starts_held, 1, "%s", policies[i]);
		cr_expect_float_eq(one.miss_pct, 100.0, 1e-9, "%s: both placed calls cold",
				   policies[i]);
		cr_expect_float_eq(one.cold_start_pct, 100.0, 1e-9);
		cr_expect_float_eq(one.mean_added_ms, (5 + 5 + 15010) / 3.0, 1e-6, "%s",
				   policies[i]);
		cr_expect_eq(two.cold_starts, 2, "%s", policies[i]);
		cr_expect_eq(two.cold_starts_held, 0, "%s", policies[i]);
		cr_expect_float_eq(two.miss_pct, 200.0 / 3, 1e-9, "%s", policies[i]);
		cr_expect_float_eq(one.peak_running_gb, 0.125, 1e-9, "%s", policies[i]);
		cr_expect_float_eq(two.peak_running_gb, 0.25, 1e-9, "%s", policies[i]);
	}
	trace_free(&t);
	free(inv);
	free(rows);
	free(ra);
	free(rb);
}

/* Every policy twice on two small nodes under each placement, the second
 * pass on a freshly loaded trace and in the opposite order: the node
 * replay's rows depend on nothing but the trace and the policy. */
Test(replay_nodes, every_policy_gives_the_same_rows_on_a_second_pass)
{
	static const char *const policies[] = {"fixed:600", "histogram",      "lru",
					       "gdsf",	    "gdsf:faascache", "delta"};
	static const enum replay_placement places[] = {PLACE_HASH, PLACE_LEAST, PLACE_WARM};
	enum { N = sizeof(policies) / sizeof(policies[0]) };
	char first[3][N][512], again[512];
	struct trace t;

	rpl_load_fixture(&t);
	for (size_t p = 0; p < 3; p++)
		for (size_t i = 0; i < N; i++) {
			struct replay_result r =
			    rpl_run_nodes(&t, policies[i], 512ull << 20, 2, places[p]);

			rpl_result_row(&r, first[p][i], sizeof(first[p][i]));
		}
	trace_free(&t);
	rpl_load_fixture(&t);
	for (size_t p = 3; p-- > 0;)
		for (size_t i = N; i-- > 0;) {
			struct replay_result r =
			    rpl_run_nodes(&t, policies[i], 512ull << 20, 2, places[p]);

			rpl_result_row(&r, again, sizeof(again));
			cr_expect_str_eq(again, first[p][i], "%s, placement %zu", policies[i], p);
		}
	trace_free(&t);
}

/* ---- where in its minute a call comes ------------------------------------- */

static struct trace rpl_minute_trace(const char *http_count, const char *timer_count)
{
	char *h = rpl_row("o,a,h,http", 6, http_count),
	     *tm = rpl_row("o,a,t,timer", 6, timer_count);
	char *rows = NULL, *text;
	struct trace t;
	struct slx_err err = {0};

	cr_assert_geq(asprintf(&rows, "%s%s", h, tm), 0);
	text = rpl_inv_file(rows);
	trace_init(&t);
	cr_assert_eq(rpl_parse(text, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.n_apps, 1);
	free(h);
	free(tm);
	free(rows);
	free(text);
	return t;
}

/* The first minute of the app's stream: its arrivals' times, checked to
 * lie in minute 6 (the sixth column) and in order, and their sources. */
static size_t rpl_first_minute(const struct trace *t, bool random, uint64_t *at, unsigned *src,
			       size_t cap)
{
	size_t cur[2] = {0};
	uint64_t dur[2] = {RPL_MS(1), RPL_MS(1)};
	struct replay_stream s = {
	    .t = t, .app = &t->apps[0], .cur = cur, .dur_ns = dur, .scale = 1, .random = random};
	size_t n;

	cr_assert_eq(replay_stream_fill(&s), 1);
	n = s.n;
	cr_assert_leq(n, cap);
	for (size_t i = 0; i < n; i++) {
		at[i] = s.buf[i].t_ns;
		src[i] = s.buf[i].src;
		cr_assert_geq(at[i], RPL_S(300), "call %zu before its minute", i);
		cr_assert_lt(at[i], RPL_S(360), "call %zu after its minute", i);
		cr_assert(!i || at[i - 1] <= at[i], "call %zu out of order", i);
	}
	cr_assert_eq(replay_stream_fill(&s), 0, "one minute only");
	replay_stream_free(&s);
	return n;
}

/* An http function's 7 calls and a timer's 2 in one minute.  Evenly
 * spaced, the k-th of n comes at (k + 1/2) * 60 s / n: the timer's at 15
 * and 45 s, the http function's at 4.29 s, 12.86 s ...  Random: the http
 * function's at other instants of the same minute, in order, the same
 * again on a second pass; the timer's where they were. */
Test(replay_stream, random_moves_all_but_a_timers_calls_within_their_minute)
{
	struct trace t = rpl_minute_trace("7", "2");
	uint64_t even[16], rnd[16], again[16];
	unsigned src[16], src2[16];
	size_t n;

	cr_assert_eq(rpl_first_minute(&t, false, even, src, 16), 9);
	for (size_t i = 0, k = 0, j = 0; i < 9; i++)
		if (src[i] == 1)
			cr_assert_eq(even[i], RPL_S(300) + (k++ ? RPL_S(45) : RPL_S(15)));
		else
			cr_assert_eq(even[i], RPL_S(300) + (2 * j++ + 1) * RPL_S(30) / 7);
	n = rpl_first_minute(&t, true, rnd, src, 16);
	cr_assert_eq(n, 9);
	cr_assert_eq(rpl_first_minute(&t, true, again, src2, 16), 9);
	cr_assert_arr_eq(rnd, again, sizeof(rnd[0]) * n, "the same draws on a second pass");
	for (size_t i = 0, k = 0; i < n; i++) {
		if (src[i] == 1) {
			cr_assert_eq(rnd[i], RPL_S(300) + (k++ ? RPL_S(45) : RPL_S(15)),
				     "a timer's calls stay evenly spaced");
			continue;
		}
		for (size_t j = 0; j < 9; j++)
			cr_assert_neq(rnd[i], even[j], "call %zu at an evenly spaced instant", i);
	}
	trace_free(&t);
}

/* 600 calls in a minute, placed at random: spread over the whole minute,
 * half in each half (uniform, not bunched), none at the same instant. */
Test(replay_stream, random_calls_are_uniform_over_their_minute)
{
	struct trace t = rpl_minute_trace("600", "0");
	static uint64_t at[600];
	static unsigned src[600];
	double sum = 0;
	size_t first_half = 0;

	cr_assert_eq(rpl_first_minute(&t, true, at, src, 600), 600);
	for (size_t i = 0; i < 600; i++) {
		sum += (double)(at[i] - RPL_S(300)) / RPL_S(1);
		first_half += at[i] < RPL_S(330);
		cr_assert(!i || at[i] != at[i - 1], "calls %zu and %zu at one instant", i - 1, i);
	}
	cr_assert_lt(at[0], RPL_S(301), "the first within the minute's first second");
	cr_assert_gt(at[599], RPL_S(359), "the last within its last");
	cr_assert(sum / 600 > 28 && sum / 600 < 32, "mean %.1f s into the minute", sum / 600);
	cr_assert(first_half > 270 && first_half < 330, "%zu of 600 in the first half", first_half);
	trace_free(&t);
}

/* Random spacing is the same bits on any thread count; and its calls,
 * unevenly spaced, overlap more: more cold starts find the app busy. */
Test(replay_threads, random_spacing_gives_the_same_rows_on_any_thread_count)
{
	static const char *const policies[] = {"fixed:600", "delta", "histogram"};
	struct trace t;

	rpl_synthetic(&t, 11, 30);
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct replay_result one = rpl_run_within(&t, policies[i], 1, WITHIN_RANDOM);
		struct replay_result three = rpl_run_within(&t, policies[i], 3, WITHIN_RANDOM);
		struct replay_result even = rpl_run_within(&t, policies[i], 1, WITHIN_EVEN);
		char a[512], b[512];

		rpl_result_row(&one, a, sizeof(a));
		rpl_result_row(&three, b, sizeof(b));
		cr_expect_str_eq(b, a, "%s", policies[i]);
		cr_expect_eq(one.invocations, even.invocations);
		cr_expect_gt(one.cold_starts_busy, even.cold_starts_busy, "%s: %lu busy, even %lu",
			     policies[i], (unsigned long)one.cold_starts_busy,
			     (unsigned long)even.cold_starts_busy);
	}
	trace_free(&t);
}

Test(replay_stream, within_minute_names_its_two_values)
{
	enum replay_within w = WITHIN_EVEN;
	struct slx_err err = {0};

	cr_assert_eq(replay_within_parse("random", &w, &err), 0);
	cr_assert_eq(w, WITHIN_RANDOM);
	cr_assert_eq(replay_within_parse("even", &w, &err), 0);
	cr_assert_eq(w, WITHIN_EVEN);
	cr_assert_eq(replay_within_parse("poisson", &w, &err), -1);
	cr_assert_str_eq(err.msg, "--within-minute \"poisson\": expected even or random");
}

/* Two http functions of one app, called once each in minutes 6 and 7:
 * evenly spaced, both at each minute's 30th second, the same instant;
 * randomly spaced, never together, and not at the same offset in the two
 * minutes (the draw depends on the function and on the minute). */
Test(replay_stream, random_draws_differ_by_function_and_by_minute)
{
	char *f = rpl_row_span("o,a,f,http", 6, 7, "1"), *g = rpl_row_span("o,a,g,http", 6, 7, "1");
	struct trace t;
	struct slx_err err = {0};
	char *all = NULL, *inv;

	cr_assert_geq(asprintf(&all, "%s%s", f, g), 0);
	inv = rpl_inv_file(all);
	trace_init(&t);
	cr_assert_eq(rpl_parse(inv, &t, &err), 0, "%s", err.msg);
	for (int random = 0; random <= 1; random++) {
		size_t cur[2] = {0};
		uint64_t dur[2] = {RPL_MS(1), RPL_MS(1)}, at[2][2];
		struct replay_stream st = {.t = &t,
					   .app = &t.apps[0],
					   .cur = cur,
					   .dur_ns = dur,
					   .scale = 1,
					   .random = random};

		for (int m = 0; m < 2; m++) {
			cr_assert_eq(replay_stream_fill(&st), 1);
			cr_assert_eq(st.n, 2);
			for (size_t i = 0; i < 2; i++)
				at[m][st.buf[i].src] = st.buf[i].t_ns - RPL_S(300 + 60 * m);
		}
		replay_stream_free(&st);
		if (!random) {
			cr_assert_eq(at[0][0], RPL_S(30));
			cr_assert_eq(at[0][1], RPL_S(30));
			cr_assert_eq(at[1][0], RPL_S(30));
			continue;
		}
		cr_assert_neq(at[0][0], at[0][1], "two functions' calls at one instant");
		cr_assert_neq(at[0][0], at[1][0], "one function at the same offset each minute");
		cr_assert_neq(at[0][1], at[1][1], "one function at the same offset each minute");
	}
	trace_free(&t);
	free(f);
	free(g);
	free(all);
	free(inv);
}

/* --time-scale N divides randomly spaced times as it does even ones. */
Test(replay_stream, random_times_are_scaled)
{
	struct trace t = rpl_minute_trace("5", "0");
	size_t cur[2] = {0}, cur10[2] = {0};
	uint64_t dur[2] = {RPL_MS(1), RPL_MS(1)};
	struct replay_stream one = {
	    .t = &t, .app = &t.apps[0], .cur = cur, .dur_ns = dur, .scale = 1, .random = true};
	struct replay_stream ten = {
	    .t = &t, .app = &t.apps[0], .cur = cur10, .dur_ns = dur, .scale = 10, .random = true};

	cr_assert_eq(replay_stream_fill(&one), 1);
	cr_assert_eq(replay_stream_fill(&ten), 1);
	cr_assert_eq(one.n, 5);
	cr_assert_eq(ten.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(ten.buf[i].t_ns, one.buf[i].t_ns / 10, "call %zu", i);
	replay_stream_free(&one);
	replay_stream_free(&ten);
	trace_free(&t);
}

/* The node replay spaces calls the same way: on a node with room for
 * every app it is the app-by-app replay, randomly spaced too. */
Test(replay_node, random_spacing_on_a_node_with_room_is_the_per_app_replay)
{
	struct replay_result node, apps, even;
	struct trace t;

	rpl_synthetic(&t, 5, 12);
	node = rpl_run_node_within(&t, "fixed:600", 1ull << 40, WITHIN_RANDOM);
	apps = rpl_run_within(&t, "fixed:600", 1, WITHIN_RANDOM);
	even = rpl_run_node_within(&t, "fixed:600", 1ull << 40, WITHIN_EVEN);
	cr_assert_eq(node.cold_starts, apps.cold_starts);
	cr_assert_eq(node.cold_starts_busy, apps.cold_starts_busy);
	cr_assert_neq(node.cold_starts_busy, even.cold_starts_busy,
		      "the node replay spaced evenly");
	trace_free(&t);
}
