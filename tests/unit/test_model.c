/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_model.c -- shim/model.c: histograms and their percentiles, the
 * per-sandbox ring and its deltas, idle times and demand per function. */
#include <criterion/criterion.h>

#include "shim/model.h"

#define MDL_S(x)   ((uint64_t)(x)*MODEL_NS_PER_S)
#define MDL_MIN(x) ((uint64_t)(x)*60 * MODEL_NS_PER_S)

Test(model_hist, percentiles_are_the_bins_that_reach_them)
{
	struct model_hist h = {0};

	/* 100 samples: 5 in minute 2, 90 in minute 10, 5 in minute 100. */
	for (int i = 0; i < 5; i++)
		model_hist_add(&h, MDL_MIN(2) + MDL_S(1));
	for (int i = 0; i < 90; i++)
		model_hist_add(&h, MDL_MIN(10) + MDL_S(30));
	for (int i = 0; i < 5; i++)
		model_hist_add(&h, MDL_MIN(100));
	cr_assert_eq(h.n_in, 100);
	cr_assert_eq(model_hist_percentile_bin(&h, 5), 2);
	cr_assert_eq(model_hist_percentile_bin(&h, 6), 10);
	cr_assert_eq(model_hist_percentile_bin(&h, 95), 10);
	cr_assert_eq(model_hist_percentile_bin(&h, 99), 100);
}

Test(model_hist, out_of_bounds_are_counted_apart)
{
	struct model_hist h = {0};

	model_hist_add(&h, MDL_MIN(239) + MDL_S(59));
	model_hist_add(&h, MDL_MIN(240));
	model_hist_add(&h, MDL_MIN(6000));
	cr_assert_eq(h.n_in, 1);
	cr_assert_eq(h.n_oob, 2);
	cr_assert_eq(model_hist_percentile_bin(&h, 99), 239);
}

Test(model_hist, cv_tells_a_peak_from_a_flat_spread)
{
	struct model_hist peak = {0}, flat = {0};

	cr_assert_eq(model_hist_percentile_bin(&peak, 50), -1);
	for (int i = 0; i < 240; i++) {
		model_hist_add(&peak, MDL_MIN(7));
		model_hist_add(&flat, MDL_MIN(i));
	}
	/* All in one bin: stddev/mean = sqrt(239). */
	cr_assert_float_eq(model_hist_cv(&peak), 15.4596, 1e-3);
	cr_assert_float_eq(model_hist_cv(&flat), 0.0, 1e-9);
}

Test(model_loghist, samples_land_between_their_bin_edges)
{
	struct model_loghist h = {0};
	uint64_t v[] = {0,	   MDL_S(1) / 4, MODEL_LOG_BASE_NS, MDL_S(1),
			MDL_S(30), MDL_MIN(60),	 MDL_MIN(24 * 60)};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct model_loghist one = {0};
		int b = 0;

		model_loghist_add(&one, v[i]);
		while (one.bin[b] == 0)
			b++;
		cr_assert_geq(v[i], model_loghist_edge(b), "sample %zu", i);
		cr_assert_lt(v[i], model_loghist_edge(b + 1), "sample %zu", i);
		model_loghist_add(&h, v[i]);
	}
	cr_assert_float_eq(h.n, 7.0, 1e-9);
}

/* Each sample goes to the last bin whose lower edge it reaches: checked
 * at every edge, one below and one above it, and far past the last. */
Test(model_loghist, the_bin_is_the_last_edge_reached)
{
	for (int e = 1; e <= MODEL_LOG_BINS; e++)
		for (int d = -1; d <= 1; d++) {
			uint64_t v = model_loghist_edge(e) + (uint64_t)(int64_t)d;
			struct model_loghist one = {0};
			int want = 0, b = 0;

			for (int k = 1; k < MODEL_LOG_BINS; k++)
				if (model_loghist_edge(k) <= v)
					want = k;
			model_loghist_add(&one, v);
			while (one.bin[b] == 0)
				b++;
			cr_expect_eq(b, want, "edge %d%+d", e, d);
		}
	struct model_loghist far = {0};

	model_loghist_add(&far, UINT64_MAX);
	cr_expect_float_eq(far.bin[MODEL_LOG_BINS - 1], 1.0, 1e-12);
}

Test(model_sandbox, ring_keeps_deltas_against_the_previous_tick)
{
	struct model_sandbox sb = {0};
	struct model_r r = {
	    .have_cpu = true, .have_mem = true, .cpu_usec = 1000, .mem_bytes = 4096};

	model_sandbox_push(&sb, MDL_S(1), &r, 1, 1);
	r.cpu_usec = 1500;
	r.mem_bytes = 1024;
	model_sandbox_push(&sb, MDL_S(2), &r, 0, 1);
	cr_assert_eq(model_sandbox_at(&sb, 0)->dr.cpu_usec, 500);
	cr_assert_eq(model_sandbox_at(&sb, 0)->dr.mem_bytes, -3072);
	cr_assert_eq(model_sandbox_at(&sb, 0)->da, -1);
	cr_assert_eq(model_sandbox_at(&sb, 1)->dr.cpu_usec, 1000, "first tick: against zero");
	cr_assert_eq(sb.mem_bytes, 1024);
	for (int i = 3; i < 3 + MODEL_RING; i++)
		model_sandbox_push(&sb, MDL_S(i), &r, 0, 1);
	cr_assert_eq(sb.ring_n, MODEL_RING);
	cr_assert_eq(model_sandbox_at(&sb, 0)->t_ns, MDL_S(2 + MODEL_RING));
	cr_assert_null(model_sandbox_at(&sb, MODEL_RING));
}

Test(model_sandbox, quiet_when_cpu_delta_is_below_the_share)
{
	struct model_sandbox sb = {0};
	struct model_r r = {.have_cpu = true, .cpu_usec = 0};

	cr_assert(model_sandbox_quiet(&sb, 0.01), "no history: the state decides");
	model_sandbox_push(&sb, MDL_S(1), &r, 0, 1);
	r.cpu_usec = 5000; /* 0.5% of a core over 1 s */
	model_sandbox_push(&sb, MDL_S(2), &r, 0, 1);
	cr_assert(model_sandbox_quiet(&sb, 0.01));
	r.cpu_usec += 200000; /* 20% */
	model_sandbox_push(&sb, MDL_S(3), &r, 0, 1);
	cr_assert_not(model_sandbox_quiet(&sb, 0.01));
}

Test(model_function, idle_time_is_recorded_only_when_nothing_runs)
{
	struct model_function f;
	struct model_sandbox *a, *b;

	model_function_init(&f, "fn", 128 << 20);
	a = model_sandbox_add(&f, 0, 0);
	b = model_sandbox_add(&f, 0, 0);
	cr_assert(a && b && a->id != b->id);
	a = &f.sb[0];
	b = &f.sb[1];
	model_function_arrive(&f, MDL_S(10), MDL_S(1));
	model_function_start(&f, a, MDL_S(10), MDL_S(1));
	model_function_arrive(&f, MDL_S(11), MDL_S(1));
	model_function_start(&f, b, MDL_S(11), MDL_S(1));
	cr_assert_eq(f.in_flight, 2);
	cr_assert_eq(model_function_conc_peak(&f, MDL_S(11), 2), 2);
	model_function_finish(&f, a, MDL_S(12), MDL_S(1));
	model_function_arrive(&f, MDL_S(13), MDL_S(1)); /* b still runs: no IT */
	cr_assert_eq(f.it_n, 0);
	model_function_start(&f, a, MDL_S(13), MDL_S(1));
	model_function_finish(&f, a, MDL_S(14), MDL_S(1));
	model_function_finish(&f, b, MDL_S(15), MDL_S(1));
	model_function_arrive(&f, MDL_S(75), MDL_S(1));
	cr_assert_eq(f.it_n, 1);
	cr_assert_eq(f.it_recent[0], MDL_S(60));
	cr_assert_eq(f.idle_hist.bin[1], 1);
	cr_assert_eq(f.iat_hist.n_in, 3);
	cr_assert_eq(f.queued, 1);
	cr_assert_eq(model_function_count(&f, MODEL_SB_IDLE), 2);
	cr_assert(model_sandbox_remove(&f, f.sb[0].id));
	cr_assert_not(model_sandbox_remove(&f, 999));
	cr_assert_eq(f.n_sb, 1);
	model_function_fini(&f);
}

Test(model_function, trend_is_taken_per_tick)
{
	struct model_function f;

	model_function_init(&f, "fn", 0);
	model_function_arrive(&f, MDL_S(1), MDL_S(1));
	model_function_arrive(&f, MDL_S(1) + 1, MDL_S(1));
	model_function_arrive(&f, MDL_S(2), MDL_S(1)); /* tick 2 opens: A was 2 */
	cr_assert_eq(f.da, 2);
	model_function_roll(&f, MDL_S(3), MDL_S(1));
	cr_assert_eq(f.da, 1);
	model_function_roll(&f, MDL_S(10), MDL_S(1)); /* a gap of ticks: flat */
	cr_assert_eq(f.da, 0);
	model_function_fini(&f);
}

Test(model, totals_sum_the_sandboxes)
{
	struct model_function fn[2];
	struct model m = {.fn = fn, .n_fn = 2};
	struct model_totals t;

	model_function_init(&fn[0], "a", 100);
	model_function_init(&fn[1], "b", 50);
	cr_assert_not_null(model_sandbox_add(&fn[0], 0, 0));
	cr_assert_not_null(model_sandbox_add(&fn[1], 0, 0));
	cr_assert_not_null(model_sandbox_add(&fn[1], 0, 0));
	fn[1].queued = 3;
	model_totals(&m, &t);
	cr_assert_eq(t.c, 3);
	cr_assert_eq(t.mem_bytes, 200);
	cr_assert_eq(t.a, 3);
	model_function_fini(&fn[0]);
	model_function_fini(&fn[1]);
}

/* Kept counts follow every change of state (made, started, finished,
 * frozen, thawed, removed) and agree with a count by scan at each step. */
static void mdl_expect_counts(struct model_function *f, const char *when)
{
	for (int s = MODEL_SB_CREATING; s <= MODEL_SB_FROZEN; s++) {
		size_t scanned = 0;

		for (size_t i = 0; i < f->n_sb; i++)
			scanned += f->sb[i].state == (enum model_sb_state)s;
		cr_expect_eq(model_function_count(f, (enum model_sb_state)s), scanned,
			     "%s: state %d", when, s);
	}
}

Test(model_function, kept_counts_follow_every_change_of_state)
{
	struct model_function f;
	struct model_sandbox *a, *b;
	uint64_t ida;

	model_function_init(&f, "f", 128 << 20);
	cr_assert_not_null(model_sandbox_add(&f, 0, MDL_S(1)));
	model_function_keep_counts(&f);
	mdl_expect_counts(&f, "kept after one was made");
	a = model_sandbox_add(&f, 0, MDL_S(1));
	b = model_sandbox_add(&f, 0, MDL_S(1));
	cr_assert(a && b);
	ida = a->id;
	model_sandbox_set_state(&f, a, MODEL_SB_IDLE);
	model_sandbox_set_state(&f, b, MODEL_SB_IDLE);
	mdl_expect_counts(&f, "two ready");
	model_function_arrive(&f, MDL_S(2), MDL_S(1));
	model_function_start(&f, b, MDL_S(2), MDL_S(1));
	mdl_expect_counts(&f, "one started");
	model_sandbox_set_state(&f, a, MODEL_SB_FROZEN);
	mdl_expect_counts(&f, "one frozen");
	model_function_finish(&f, b, MDL_S(3), MDL_S(1));
	mdl_expect_counts(&f, "finished");
	cr_assert(model_sandbox_remove(&f, ida));
	mdl_expect_counts(&f, "one removed");
	cr_expect_eq(model_function_count(&f, MODEL_SB_IDLE), 1);
	cr_expect_eq(model_function_count(&f, MODEL_SB_CREATING), 1);
	model_function_fini(&f);
}

/* The peak over a window as the definition says: every minute's slot
 * whose minute lies in (minute - minutes, minute]. */
static unsigned mdl_conc_peak_scan(const struct model_function *f, uint64_t now, unsigned minutes)
{
	uint64_t minute = now / MDL_MIN(1);
	unsigned peak = f->in_flight;

	minutes = minutes > MODEL_CONC_MINUTES ? MODEL_CONC_MINUTES : minutes;
	for (unsigned i = 0; i < MODEL_CONC_MINUTES; i++)
		if (f->conc_minute[i] + minutes > minute && f->conc_minute[i] <= minute &&
		    f->conc_peak[i] > peak)
			peak = f->conc_peak[i];
	return peak;
}

/* Starts and finishes over five hours with gaps of minutes to two hours,
 * the peak asked over windows of 0 to 61 minutes before and after each:
 * the cached answer is the scan's every time. */
Test(model_function, conc_peak_answers_as_the_scan_does)
{
	static const unsigned windows[] = {0, 1, 2, 5, 17, 59, 60, 61};
	struct model_function f;
	unsigned x = 12345, running = 0;
	uint64_t now = 0;

	model_function_init(&f, "fn", 128 << 20);
	for (int i = 0; i < 4000; i++) {
		x = x * 1103515245u + 12345u;
		now += (x >> 8) % 100 == 0 ? MDL_MIN((x >> 16) % 120) : MDL_S((x >> 16) % 20);
		if (running < 40 && (x >> 4) % 3) {
			struct model_sandbox *sb = model_sandbox_add(&f, now, now);

			cr_assert_not_null(sb);
			model_function_arrive(&f, now, MDL_S(1));
			model_function_start(&f, sb, now, MDL_S(1));
			running++;
		} else if (running) {
			model_function_finish(&f, &f.sb[f.n_sb - 1], now, MDL_S(1));
			cr_assert(model_sandbox_remove(&f, f.sb[f.n_sb - 1].id));
			running--;
		}
		for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
			unsigned want = mdl_conc_peak_scan(&f, now, windows[w]);

			cr_assert_eq(model_function_conc_peak(&f, now, windows[w]), want,
				     "step %d, window %u", i, windows[w]);
		}
	}
	model_function_fini(&f);
}

/* A timer of source 1 every 20 minutes, with calls of source 0 and a
 * manual call of its own between beats: the beat is found at its third
 * call and followed by the calls on it only, through a skipped firing; one
 * not met for more than MODEL_BEAT_SKIPS periods is lost at the next call. */
Test(model_beat, follows_a_sources_schedule_through_other_calls)
{
	struct model_function f;
	const struct model_beat *b = &f.beats[1];
	uint64_t t = MDL_S(100);

	model_function_init(&f, "fn", 128 << 20);
	model_function_arrive_from(&f, 1, t, MDL_S(1));
	model_function_arrive_from(&f, 0, t + MDL_S(7), MDL_S(1));
	model_function_arrive_from(&f, 1, t += MDL_MIN(20), MDL_S(1));
	cr_assert_eq(b->period, 0, "one gap is no beat");
	model_function_arrive_from(&f, 0, t + MDL_MIN(3), MDL_S(1));
	model_function_arrive_from(&f, 1, t += MDL_MIN(20), MDL_S(1));
	cr_assert_eq(b->period, MDL_MIN(20));
	cr_assert_eq(b->at, t);
	cr_assert_eq(b->hits, 2);
	model_function_arrive_from(&f, 1, t + MDL_MIN(7), MDL_S(1)); /* manual */
	cr_assert_eq(b->at, t, "a call off the beat does not move it");
	cr_assert_eq(b->period, MDL_MIN(20));
	model_function_arrive_from(&f, 1, t += MDL_MIN(20) + MDL_S(3), MDL_S(1));
	cr_assert_eq(b->at, t, "3 s late is on the beat");
	cr_assert_eq(b->dev, MDL_S(3));
	model_function_arrive_from(&f, 1, t += MDL_MIN(40), MDL_S(1)); /* one skipped */
	cr_assert_eq(b->at, t);
	cr_assert_eq(b->hits, 4);
	cr_assert_eq(f.beats[0].period, 0, "source 0 has no beat of its own");
	cr_assert_eq(f.arrivals, 8);
	model_function_arrive_from(&f, 1, t + MDL_MIN(90), MDL_S(1));
	cr_assert_eq(b->period, 0, "lost after four periods");
	model_function_fini(&f);
}

Test(model_beat, the_first_gaps_must_agree_to_two_percent_and_a_second)
{
	struct model_function f;

	model_function_init(&f, "fn", 128 << 20);
	model_function_arrive(&f, MDL_S(0), MDL_S(1));
	model_function_arrive(&f, MDL_S(600), MDL_S(1));
	model_function_arrive(&f, MDL_S(1214), MDL_S(1)); /* 14 s off: more than 13 s */
	cr_assert_eq(f.beats[0].period, 0);
	model_function_arrive(&f, MDL_S(1826), MDL_S(1)); /* 612 s after 614 s: within */
	cr_assert_eq(f.beats[0].period, MDL_S(613));
	model_function_fini(&f);
}
