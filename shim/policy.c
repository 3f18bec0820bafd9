/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.c -- the policies' configuration (policy_parse) and per-function
 * plans over the resource-delta model: fixed, knative, histogram, delta.
 * policy_decide.c turns plans into actions.  Pure and deterministic. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NS  MODEL_NS_PER_S
#define GIB (1024.0 * 1024.0 * 1024.0)

/* ---- configuration ---------------------------------------------------- */

static void config_defaults(struct policy_config *cfg)
{
	*cfg = (struct policy_config){
	    .keep_alive_ns = 600 * NS, /* the industry's 10 minutes */
	    .freeze_grace_ns = 10 * NS,
	    .create_ns = 5000000, /* a measured slxrun cold start */
	    .quiet_cpu_frac = 0.01,
	    .cpu_saturated = 0.95,
	    .psi_mem_limit = 10.0,
	    .hist_pw_pct = 5,
	    .hist_ka_pct = 99,
	    .hist_margin = 0.10,
	    .hist_cv_min = 2.0,
	    .hist_min_samples = 10,
	    .oob_share = 0.5,
	    .cold_cost_gb_s = 384.0,
	    .delta_min_samples = 3,
	    .delta_margin = 0,
	    .min_unload_ns = 60 * NS,
	    .timer_unload_ns = 10 * NS,
	    .conc_minutes = MODEL_CONC_MINUTES,
	    .surplus_grace_ns = 30 * NS,
	    .spare_min_idle_ns = 120 * NS,
	    .ramp_min_worth_s = 240,
	};
}

static int parse_seconds(const char *spec, const char *s, double *out, struct slx_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e7)
		return slx_error(err, 0, "policy %s: expected a number 0..1e7, got \"%s\"", spec,
				 s);
	*out = v;
	return 0;
}

int policy_parse(const char *spec, struct policy_config *cfg, struct slx_err *err)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	double v = 0; /* set by parse_seconds; -O3 cannot tell */

	config_defaults(cfg);
	if (strlen(spec) >= sizeof(cfg->name))
		return slx_error(err, 0, "policy %.40s: name too long", spec);
	snprintf(cfg->name, sizeof(cfg->name), "%s", spec);
	if (len == 5 && !strncmp(spec, "fixed", 5) && colon) {
		if (parse_seconds(spec, colon + 1, &v, err) < 0)
			return -1;
		cfg->kind = POLICY_FIXED;
		cfg->keep_alive_ns = (uint64_t)(v * NS);
		return 0;
	}
	if (len == 5 && !strncmp(spec, "delta", 5)) {
		cfg->kind = POLICY_DELTA;
		if (colon && parse_seconds(spec, colon + 1, &cfg->cold_cost_gb_s, err) < 0)
			return -1;
		return 0;
	}
	if (!colon && !strcmp(spec, "histogram")) {
		cfg->kind = POLICY_HISTOGRAM;
		return 0;
	}
	if (!strcmp(spec, "lru") || !strcmp(spec, "gdsf") || !strcmp(spec, "gdsf:faascache")) {
		/* caches: nothing expires, only the budget evicts */
		cfg->kind = spec[0] == 'l' ? POLICY_LRU : POLICY_GDSF;
		cfg->gdsf_faascache = colon != NULL;
		cfg->keep_alive_ns = UINT64_MAX;
		return 0;
	}
	if (!colon && !strcmp(spec, "knative")) {
		/* KPA: desired scale drops to zero once the 60 s stable window
		 * averages no requests. */
		cfg->kind = POLICY_KNATIVE;
		cfg->keep_alive_ns = 60 * NS;
		return 0;
	}
	return slx_error(
	    err, 0,
	    "unknown policy \"%s\" (fixed:SECONDS, knative, histogram, lru, gdsf[:faascache], "
	    "delta[:GB_S])",
	    spec);
}

/* ---- plans -------------------------------------------------------------- */

static void plan_keep_alive(uint64_t ka, const char *why, struct policy_plan *p)
{
	*p = (struct policy_plan){.keep_alive_ns = ka, .why = why};
}

static void plan_window(const struct model_function *f, uint64_t start, uint64_t end,
			const char *why, struct policy_plan *p)
{
	*p = (struct policy_plan){
	    .window = true,
	    .win_start_ns = f->last_end_ns + start,
	    .win_end_ns = f->last_end_ns + end,
	    .why = why,
	};
}

/* Shahrad's out-of-bounds path is an ARIMA forecast; ours is the mean of
 * the last (up to 4) out-of-bounds idle times, with the paper's 15% margins
 * around the prediction. */
static void plan_oob(const struct model_function *f, struct policy_plan *p)
{
	double sum = 0;

	for (unsigned i = 0; i < f->oob_n; i++)
		sum += (double)f->it_oob_recent[i];
	sum /= f->oob_n;
	plan_window(f, (uint64_t)(sum * 0.85), (uint64_t)(sum * 1.15), "oob", p);
}

static void plan_histogram(const struct model_function *f, const struct policy_config *cfg,
			   struct policy_plan *p)
{
	const struct model_hist *h = &f->idle_hist;
	uint64_t total = h->n_in + h->n_oob;
	int b_pw, b_ka;
	double pw, end;

	if (!f->last_end_ns || total < cfg->hist_min_samples) {
		plan_keep_alive(cfg->keep_alive_ns, "fallback", p);
		return;
	}
	if ((double)h->n_oob > cfg->oob_share * (double)total && f->oob_n) {
		plan_oob(f, p);
		return;
	}
	if (h->n_in < cfg->hist_min_samples || model_hist_cv(h) < cfg->hist_cv_min) {
		plan_keep_alive(cfg->keep_alive_ns, "fallback", p);
		return;
	}
	b_pw = model_hist_percentile_bin(h, cfg->hist_pw_pct);
	b_ka = model_hist_percentile_bin(h, cfg->hist_ka_pct);
	/* Head of the 5th-percentile bin less 10%, tail of the 99th's plus 10%. */
	pw = (double)b_pw * MODEL_HIST_BIN_NS * (1.0 - cfg->hist_margin);
	end = (double)(b_ka + 1) * MODEL_HIST_BIN_NS * (1.0 + cfg->hist_margin);
	plan_window(f, (uint64_t)pw, (uint64_t)end, "histogram", p);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

struct window_cost {
	double cost, colds;
	uint64_t start, end;
	double in, idle; /* the idle times inside, the idle seconds it keeps */
};

/* A timer: the recent idle times agree to within 2% (and a second), and
 * are long enough that unloading between arrivals pays.  Its window is a
 * few seconds wide (tight_window), so from 10 s up most of the gap is
 * freed; the 60 s min_unload of other windows would keep a once-a-minute
 * timer warm all day (its gaps are 60 s less its duration): on seed 4,
 * 2,880 arrivals of a 456 MB app, 77,000 GB*s idle or 2,880 cold starts. */
static bool ring_tight(const uint64_t *s, unsigned k, const struct policy_config *cfg)
{
	return k >= 2 && s[0] >= cfg->timer_unload_ns &&
	       (double)(s[k - 1] - s[0]) <= (double)s[0] * 0.02 + NS;
}

/* A timer's window's slack each side: the spread seen, a second and 0.2 %
 * of the period for jitter not seen yet. */
static uint64_t timer_slack(uint64_t spread, uint64_t period)
{
	return spread + NS + period / 500;
}

/* A timer's window hugs its period: from just before the shortest recent
 * idle time to just after the longest (timer_slack each side). */
static void tight_window(const uint64_t *s, unsigned k, const struct policy_config *cfg,
			 struct window_cost *best)
{
	uint64_t slack = timer_slack(s[k - 1] - s[0], s[k - 1]);
	uint64_t start = s[0] > slack + cfg->create_ns ? s[0] - slack - cfg->create_ns : 0;
	double idle = 0;

	for (unsigned i = 0; i < k; i++)
		idle += (double)(s[i] - start) / NS;
	*best =
	    (struct window_cost){.start = start, .end = s[k - 1] + slack, .in = k, .idle = idle};
}

/* The longest delta keeps an idle sandbox on the weight alone (the
 * fallback, the unseen gap): the weight may be 1e7 GB*s on a sandbox of a
 * few MB, whose w in nanoseconds is past any uint64_t. */
#define DELTA_MAX_KEEP_S (30.0 * 86400)

static double weight_keep_s(double w)
{
	return w < DELTA_MAX_KEEP_S ? w : DELTA_MAX_KEEP_S;
}

/* One group of idle times for the search, in seconds: c of them at about
 * v, a window covering them runs from lo to hi. */
struct it_point {
	double v, c, lo, hi;
};

/* The gap not seen yet past the longest window's end, top (see
 * idle_points): one more, at a scale-free tail's mean between top and the
 * end where keeping on stops paying, E = w, at least twice top. */
static struct it_point unseen_gap(double top, double w)
{
	double e = weight_keep_s(w), end = e > 2 * top ? e : 2 * top;

	return (struct it_point){top * log(end / top) / (1 - top / end), 1, top, end};
}

/* idle_points' most: the first minute's sub-bins, the other minutes', the
 * out-of-bounds, the gaps longer and shorter than any seen. */
#define IT_POINTS_MAX (MODEL_SUB_BINS + MODEL_HIST_BINS + 2)

/* A minute holding one or two idle times says little about where the next
 * one falls: an app seen a few dozen times with gaps from 5 to 70 minutes
 * had two of them in minute 36, and a window of those two minutes looked
 * as likely to catch the next call as keeping it warm through the hour
 * (gen-other 4's app 13, 689 MB: 33 cold starts in 39 calls at delta:2172,
 * fixed:3600 10).  Such a minute's count is spread over the minutes
 * within 1.5x of it, evenly in log; busier minutes stay as they are. */
#define SPARSE_BIN_MAX 2
#define SPARSE_SPREAD  1.5

static void minutes_spread(const struct model_hist *h, double *sm)
{
	for (int b = 1; b < MODEL_HIST_BINS; b++) {
		double v = b + 0.5, tot = 0;
		int lo, hi;

		if (h->bin[b] > SPARSE_BIN_MAX) {
			sm[b] += h->bin[b];
			continue;
		}
		if (!h->bin[b])
			continue;
		lo = (int)(v / SPARSE_SPREAD);
		hi = (int)(v * SPARSE_SPREAD);
		lo = lo < 1 ? 1 : lo;
		hi = hi >= MODEL_HIST_BINS ? MODEL_HIST_BINS - 1 : hi;
		for (int k = lo; k <= hi; k++)
			tot += 1 / (k + 0.5);
		for (int k = lo; k <= hi; k++)
			sm[k] += h->bin[b] / (k + 0.5) / tot;
	}
}

/* The function's whole idle-time history as points: Shahrad's one-minute
 * bins (never decayed, so a rare long gap weighs as much after an hour of
 * sub-second traffic as before it) and the out-of-bounds ones at the mean
 * of the recent. */
static size_t idle_points(const struct model_function *f, const struct policy_config *cfg, double w,
			  struct it_point *pt)
{
	const struct model_hist *h = &f->idle_hist;
	double bin = (double)MODEL_HIST_BIN_NS / NS, m = cfg->delta_margin, oob = 0;
	double sm[MODEL_HIST_BINS] = {0};
	const double *e = model_loghist_edges_s();
	size_t n = 0;

	/* The first minute's idle times are taken at their exact mean, not
	 * the bin's centre: a busy function's gaps are milliseconds, and at
	 * 30 s each keeping it warm looked dearer than a cold start per call
	 * once the weight fell under 30 s (delta:12 had 8x fixed:60's cold
	 * starts at less idle memory on seed 2).  And at their own scale, each
	 * of idle_log's bins under a minute a point at its exact mean (never
	 * decayed, as the minutes are), so a keep-warm window may end inside
	 * the first minute: with one bin it ended at a minute or not at all,
	 * and an app whose cold start is worth less than a minute of its
	 * memory was released after every call though most of its gaps were
	 * seconds (gen-other seeds 4-6 at fixed:60's memory, delta:32: 2,360,
	 * 6,256 and 2,985 such cold starts of 25,184, 25,932 and 30,634).
	 * With it, at fixed:60's memory gen-other 4-6 went from 0.541 / 0.495
	 * / 0.567 of fixed's cold starts to 0.536 / 0.492 / 0.566, gen seeds
	 * 2-4 from 0.312 / 0.293 / 0.455 to 0.300 / 0.290 / 0.445, at
	 * fixed:7200's from 0.656 / 0.596 / 0.679 to 0.646 / 0.587 / 0.675;
	 * no point from fixed:60 to fixed:7200 rose by more than 0.001. */
	for (int b = 0; b < MODEL_SUB_BINS; b++)
		if (f->sub_n[b])
			pt[n++] = (struct it_point){
			    f->sub_s[b] / f->sub_n[b], f->sub_n[b], e[b] * (1 - m),
			    (b + 1 < MODEL_SUB_BINS ? e[b + 1] : bin) * (1 + m)};
	minutes_spread(h, sm);
	for (int b = 1; b < MODEL_HIST_BINS; b++)
		if (sm[b] > 0)
			pt[n++] = (struct it_point){(b + 0.5) * bin, sm[b], b * bin * (1 - m),
						    (b + 1) * bin * (1 + m)};
	if (h->n_oob && f->oob_n) {
		for (unsigned i = 0; i < f->oob_n; i++)
			oob += (double)f->it_oob_recent[i] / NS / f->oob_n;
		pt[n++] = (struct it_point){oob, (double)h->n_oob, oob * 0.85, oob * 1.15};
	}
	/* The gap not seen yet: after n idle times the next one is longer
	 * than all of them with probability about 1 / (n + 1) (Laplace's rule
	 * of succession), so one more is counted past the longest window's end
	 * (top).  How far past: with a scale-free tail, P(gap > x | gap > top)
	 * = top / x, keeping on from top to E costs top * ln(E / top) idle
	 * seconds and saves 1 - top / E cold starts, so the last second kept
	 * costs E idle seconds per cold start it saves: the break-even end is
	 * E = w, and the point sits at that tail's mean between top and E.
	 * At least twice top, for weights too small to reach it.  Without it
	 * the longest window ended at the longest gap seen whatever a cold
	 * start weighed (seed 2: delta:6144 had 2,332 cold starts at 6.8 M
	 * GB*s, fixed:7200 1,920 at 8.8 M); E = 2 top alone left seeds 2-4
	 * 3-7 % worse at fixed:3600 and fixed:7200's memory.  It also prices
	 * that gap into every window, which matters for an app seen a few
	 * times. */
	if (n) {
		pt[n] = unseen_gap(pt[n - 1].hi, w);
		n++;
	}
	/* And the gap shorter than any seen: by the same rule the next idle
	 * time is shorter than all of them with probability about 1 / (n + 1),
	 * so where none was under a minute one more is counted under the
	 * shortest, at half its bin's lower edge.  Without it a window that
	 * released the sandbox and pre-warmed it just before the shortest gap
	 * seen paid nothing for a call that came sooner, and at high weights
	 * those were most of delta's cold starts after an idle spell (gen-other
	 * seeds 4-6 at delta:6144: 105, 69 and 77 of 220, 165 and 174, from 10 s
	 * to 20 minutes after the call: lognormal renewals seen a few dozen
	 * times, a timer's manual calls).  With it, at fixed:7200's memory,
	 * gen-other 4-6 went from 0.72 / 0.63 / 0.72 of fixed's cold starts to
	 * 0.66 / 0.60 / 0.68, gen seeds 2-4 from 0.51 / 0.56 / 0.54 to 0.49 /
	 * 0.51 / 0.51, at fixed:3600 by 0.01-0.03, and no point under it
	 * rose; held out, gen-other 1-3 from 0.68 / 0.59 / 0.81 to 0.64 / 0.56
	 * / 0.74 and gen seeds 1 and 6 from 0.55 / 0.54 to 0.51 / 0.50. */
	if (n && !h->bin[0]) {
		memmove(pt + 1, pt, n * sizeof(*pt));
		pt[0] = (struct it_point){pt[1].lo / 2, 1, 0, pt[1].lo};
		n++;
	}
	return n;
}

/* The window [start, end) after the last execution that minimises
 *   w * colds + idle seconds
 * over the points: one below start is a cold start after a release (no
 * idle), one past end a cold start after end - start idle, one inside costs
 * v - start.  Starts are 0 or a point's lo less the creation lead (never
 * sooner than min_unload: unloading for a shorter gap saves little), ends a
 * point's hi; "release at once" (every one cold) is the baseline. */
static void cost_search(const struct it_point *pt, size_t n, const struct policy_config *cfg,
			double w, double unload, struct window_cost *best)
{
	double c[IT_POINTS_MAX + 1] = {0}, cv[IT_POINTS_MAX + 1] = {0};
	double lead = (double)cfg->create_ns / NS;

	for (size_t i = 0; i < n; i++) {
		c[i + 1] = c[i] + pt[i].c;
		cv[i + 1] = cv[i] + pt[i].c * pt[i].v;
	}
	*best = (struct window_cost){.cost = w * c[n], .colds = c[n]};
	for (size_t i = 0; i < n; i++) {
		double start = pt[i].lo - lead;

		if (start < unload) {
			if (i > 0)
				continue;
			start = 0;
		}
		for (size_t j = i; j < n; j++) {
			double end = pt[j].hi, in = c[j + 1] - c[i], past = c[n] - c[j + 1];
			double idle = (cv[j + 1] - cv[i]) - in * start + past * (end - start);
			double colds = (start > 0 ? c[i] : 0) + past;
			double cost = w * colds + idle;

			if (cost < best->cost || (cost == best->cost && colds < best->colds))
				*best = (struct window_cost){
				    cost, colds, (uint64_t)(start * NS), (uint64_t)(end * NS),
				    in,	  idle};
		}
	}
}

/* Whether the memo still holds.  Beyond the same inputs: idle times under
 * a minute added since a keep-warm window (start 0) was chosen raise the
 * cost of every keep-warm window by the same idle seconds (the first bin's
 * sum) and every other window by w per idle time (they are cold there), so
 * while the sum grew by no more than w per added time the choice stands
 * exactly and the search, the costly part for busy functions, is skipped.
 * Not when the first bin was empty then: its first idle time takes the
 * place of the gap shorter than any seen (idle_points). */
static bool memo_holds(const struct model_function *f, const struct policy_config *cfg, double w)
{
	uint64_t added = f->it_total - f->memo.it_total;

	if (!f->memo.valid || f->memo.cfg != cfg || f->memo.mem != f->mem_per_sandbox)
		return false;
	if (!added)
		return true;
	if (f->memo.start || !f->memo.end || added > f->it_n || !f->memo.bin0_n ||
	    f->idle_bin0_s - f->memo.bin0_s > w * ((double)f->idle_hist.bin[0] - f->memo.bin0_n))
		return false;
	/* and each under the window's end and under w: a keep-warm window
	 * ending in the first minute before such an idle time pays w and its
	 * end for it, no less than the memo's pays (the idle time itself) */
	for (uint64_t i = 1; i <= added; i++) {
		uint64_t it = f->it_recent[(f->it_next + MODEL_IT_RECENT - i) % MODEL_IT_RECENT];

		if (it >= MODEL_HIST_BIN_NS || it >= f->memo.end || (double)it > w * NS)
			return false;
	}
	return true;
}

static unsigned conc_window_of(const struct model_function *f, const struct policy_config *cfg);

/* delta's constants at f's size (see size_memo in model.h). */
static void delta_sizes(struct model_function *f, const struct policy_config *cfg)
{
	double mem_gb;

	if (f->size_memo.valid && f->size_memo.cost == cfg->cold_cost_gb_s &&
	    f->size_memo.cap == cfg->conc_minutes && f->size_memo.mem == f->mem_per_sandbox)
		return;
	mem_gb = f->mem_per_sandbox ? (double)f->mem_per_sandbox / GIB : 0.125;
	f->size_memo.w = cfg->cold_cost_gb_s / mem_gb;
	f->size_memo.conc_minutes = conc_window_of(f, cfg);
	f->size_memo.cost = cfg->cold_cost_gb_s;
	f->size_memo.cap = cfg->conc_minutes;
	f->size_memo.mem = f->mem_per_sandbox;
	f->size_memo.valid = true;
}

/* Too few idle times for a plan: rent or buy.  Keeping a sandbox w
 * seconds costs what its cold start is worth, the break-even of ski
 * rental; delta keeps it half that, and never less than the keep-alive
 * default (10 minutes).  With the default alone every weight forgot a new
 * app after 10 minutes, and at the largest weights that was most of what
 * delta still lost to fixed:3600 and fixed:7200 (seed 3 at fixed:3600:
 * 0.58x fixed's cold starts, 0.46x with it); the whole w measured a little
 * worse (seeds 2-4, 0-4 % from fixed:1200 up), and w alone, without the
 * default under it, lost at the low end (seed 4 at fixed:60: 0.66x to
 * 0.81x), where the default still catches a new app's first calls. */
static uint64_t fallback_keep_alive(const struct policy_config *cfg, double w)
{
	double half = 0.5 * weight_keep_s(w) * NS;

	return half > (double)cfg->keep_alive_ns ? (uint64_t)half : cfg->keep_alive_ns;
}

/* The window after the one that ended, from (after the last execution),
 * with no call: the idle times seen longer than from are what this gap can
 * still be, so the same search over them, shifted to from (nothing to
 * unload: the sandbox is gone), says whether another window pays.  False
 * when none does. */
static bool next_window(const struct model_function *f, const struct policy_config *cfg, double w,
			uint64_t from, struct window_cost *best)
{
	struct it_point pt[IT_POINTS_MAX], q[IT_POINTS_MAX];
	size_t n = idle_points(f, cfg, w, pt), m = 0;
	double x = (double)from / NS;

	for (size_t i = 0; i < n; i++)
		if (pt[i].v > x && pt[i].hi > x)
			q[m++] = (struct it_point){pt[i].v - x, pt[i].c,
						   pt[i].lo > x ? pt[i].lo - x : 0, pt[i].hi - x};
	if (!m)
		return false;
	cost_search(q, m, cfg, w, 0, best);
	if (!best->end)
		return false;
	best->start += from;
	best->end += from;
	return true;
}

/* How many sandboxes beyond the first a pre-warm window [start, end)
 * brings, for the calls that wake the function together (several
 * functions of an app on one schedule, a batch): the first is worth
 * pre-warming because w * in, the cold starts it saves, outweighs the idle
 * seconds it keeps; the (k + 1)-th saves a cold start only when the wake
 * brings k + 1 calls or more, so it is worth the same idle seconds while
 * w * in * P(wake >= k + 1) still outweighs them.  Before it a spare was
 * never pre-warmed (its level is most often reached from a running app),
 * and the second call of a wake met no sandbox.  None for a window from
 * the call's end: those keep a sandbox warm, and spares their levels'.
 * Calls of one instant to an idle app are most of the concurrency cold
 * starts at fixed:60's memory (gen-other 4-6, delta:32: 7,121, 5,435 and
 * 10,146 of 12,727, 8,650 and 13,305), but nearly all of them came while
 * the first sandbox was kept warm (start 0), where this does not reach:
 * there the spare's keep-alive is its level's, whose waits between such
 * wakes are minutes.  With it, gen seeds 2-4 went from 0.388 / 0.445 /
 * 0.482 / 0.488 at fixed:1200 ... fixed:7200 (seed 2) to 0.372 / 0.428 /
 * 0.465 / 0.474, seeds 3-4 by 0.004-0.013, gen-other 4-6 by 0.000-0.002;
 * no point of the six rose. */
static unsigned wake_extra(const struct model_function *f, double w, uint64_t start, double in,
			   double idle)
{
	unsigned k = 0;

	if (!start || !f->wakes || in <= 0)
		return 0;
	while (k < MODEL_WAKE_MAX && w * in * (double)f->wake_ge[k] / (double)f->wakes > idle)
		k++;
	return k;
}

/* Past the plan's window with no call, the next one (next_window), again
 * and again as each passes; f->next caches it.  Without it a function
 * past its window was cold whatever its history said: a timer that
 * skipped a beat, gaps of minutes and of hours. */
static void plan_next(struct model_function *f, const struct policy_config *cfg, double w,
		      uint64_t now_ns, struct policy_plan *p)
{
	uint64_t from = p->win_end_ns - f->last_end_ns;
	struct window_cost best;

	if (f->next.valid && f->next.last_end == f->last_end_ns &&
	    f->next.it_total == f->it_total) {
		if (!f->next.end) /* none pays */
			return;
		if (now_ns < f->last_end_ns + f->next.end) {
			plan_window(f, f->next.start, f->next.end, "next", p);
			p->extra = wake_extra(f, w, f->next.start, f->next.in, f->next.idle);
			return;
		}
		from = f->next.end;
	}
	f->next =
	    (typeof(f->next)){.valid = true, .last_end = f->last_end_ns, .it_total = f->it_total};
	while (next_window(f, cfg, w, from, &best)) {
		if (now_ns < f->last_end_ns + best.end) {
			f->next.start = best.start;
			f->next.end = best.end;
			f->next.in = best.in;
			f->next.idle = best.idle;
			plan_window(f, best.start, best.end, "next", p);
			p->extra = wake_extra(f, w, best.start, best.in, best.idle);
			return;
		}
		from = best.end;
	}
}

/* The memo's window, or once it has passed idle, the next (plan_next). */
static void plan_memo(struct model_function *f, const struct policy_config *cfg, double w,
		      uint64_t now_ns, struct policy_plan *p)
{
	plan_window(f, f->memo.start, f->memo.end, "cost", p);
	p->extra = wake_extra(f, w, f->memo.start, f->memo.in, f->memo.idle);
	if (f->memo.end && !f->in_flight && !f->queued && now_ns >= p->win_end_ns)
		plan_next(f, cfg, w, now_ns, p);
}

/* A timer's window (the ring is tight), or keeping its sandbox warm from
 * the call to the window's end when the calls that came before the beat
 * cost more than releasing saves: a timer with manual calls on top (gen-
 * other's cron) was released each period, as its last 32 idle times were
 * all its period, though one in 15 of its calls came between two beats,
 * each a cold start worth far more at a high weight than the idle seconds
 * saved.  Judged on the idle times that ended while the ring beat
 * (beat_n, model.c), not on the whole history: a busy app quiet but for
 * its timer has its busy hours' gaps there, all "before the beat".  Not
 * where the beat brings a batch (wake_extra): a sandbox kept from the call
 * brings none, and two timers of an app beating together each hour lost a
 * call each hour.  Returns the beat window's start, kept in the memo for
 * the count. */
static uint64_t tight_or_keep(const struct model_function *f, const struct policy_config *cfg,
			      double w, const uint64_t *s, unsigned k, struct window_cost *best)
{
	double period = 0, p, early_s, per;
	uint64_t beat;

	tight_window(s, k, cfg, best);
	beat = best->start;
	if (!beat || f->beat_n < MODEL_IT_RECENT ||
	    wake_extra(f, w, best->start, best->in, best->idle))
		return beat;
	for (unsigned i = 0; i < k; i++)
		period += (double)s[i] / NS / k;
	p = f->beat_early / f->beat_n;
	early_s = f->beat_early ? f->beat_early_s / f->beat_early : 0;
	per = best->in > 0 ? best->idle / best->in : 0;
	if (p * early_s + (1 - p) * period < p * w + (1 - p) * per)
		*best = (struct window_cost){.cost = best->in * period,
					     .end = best->end,
					     .in = best->in,
					     .idle = best->in * period};
	return beat;
}

/* The soonest beat of f's sources still to come at now (struct
 * model_beat) as a window hugging it, as a timer's (tight_window), the
 * spread being the farthest a call on it came from due.  None from a beat that has not met three
 * calls, has not been met for MODEL_BEAT_SKIPS periods, beats faster than a timer is unloaded, or
 * whose window keeps more idle seconds than half a cold start is worth
 * times the share of due times met. */
static bool beat_window(const struct model_function *f, const struct policy_config *cfg, double w,
			uint64_t now, uint64_t *start, uint64_t *due_out, uint64_t *end)
{
	bool found = false;

	for (unsigned i = 0; i < MODEL_BEATS; i++) {
		const struct model_beat *b = &f->beats[i];
		uint64_t slack, j, due, s;

		if (!b->period || b->hits < 3 || b->period < cfg->timer_unload_ns)
			continue;
		slack = timer_slack(b->dev, b->period);
		j = now > b->at + slack ? (now - b->at - slack) / b->period + 1 : 1;
		if (j > MODEL_BEAT_SKIPS)
			continue;
		due = b->at + j * b->period;
		s = due > slack + cfg->create_ns ? due - slack - cfg->create_ns : 0;
		if (2 * (double)(due + slack - s) / NS > w * b->hits / (b->hits + b->skipped))
			continue;
		if (!found || due < *due_out) {
			*start = s;
			*due_out = due;
			*end = due + slack;
			found = true;
		}
	}
	return found;
}

/* A beat due before the plan's window, or once that has passed, is the
 * plan until it has passed; one the window covers changes nothing, one
 * overlapping its edge widens it.  The window is made from the last call,
 * so a call off the beat (a timer's manual call, another function of the
 * app) moved it past the next beat, a cold start each time: on gen-other
 * 4 at delta:384, 625 of 3,564 cold starts were calls on a timer's beat. */
static void beat_overlay(const struct model_function *f, const struct policy_config *cfg, double w,
			 uint64_t now, struct policy_plan *p)
{
	uint64_t s = 0, due = 0, e = 0;

	if (!p->window || !beat_window(f, cfg, w, now, &s, &due, &e))
		return;
	if (now < p->win_end_ns && due >= p->win_start_ns && due < p->win_end_ns)
		return;
	if (e <= p->win_start_ns || now >= p->win_end_ns) {
		p->win_start_ns = s;
		p->win_end_ns = e;
		p->extra = 0;
		p->why = "beat";
	} else if (s < p->win_end_ns) {
		p->win_start_ns = s < p->win_start_ns ? s : p->win_start_ns;
		p->win_end_ns = e > p->win_end_ns ? e : p->win_end_ns;
	}
}

static void plan_delta(struct model_function *f, const struct policy_config *cfg, uint64_t now_ns,
		       struct policy_plan *p)
{
	uint64_t s[MODEL_IT_RECENT];
	struct it_point pt[IT_POINTS_MAX];
	unsigned k = f->it_n;
	struct window_cost best;
	uint64_t beat = 0;
	double w;

	delta_sizes(f, cfg);
	w = f->size_memo.w;

	/* A memo that holds was made from a plan past the fallback (the ring
	 * only grows since), so the ring's sort, most of delta's time when
	 * busy functions call it per event, is skipped. */
	if (f->last_end_ns && memo_holds(f, cfg, w)) {
		f->memo.it_total = f->it_total;
		plan_memo(f, cfg, w, now_ns, p);
		beat_overlay(f, cfg, w, now_ns, p);
		return;
	}
	memcpy(s, f->it_recent, k * sizeof(s[0]));
	qsort(s, k, sizeof(s[0]), cmp_u64);
	if (!f->last_end_ns || (k < cfg->delta_min_samples && !ring_tight(s, k, cfg))) {
		plan_keep_alive(fallback_keep_alive(cfg, w), "fallback", p);
		return;
	}
	if (ring_tight(s, k, cfg))
		beat = tight_or_keep(f, cfg, w, s, k, &best);
	else
		cost_search(pt, idle_points(f, cfg, w, pt), cfg, w, (double)cfg->min_unload_ns / NS,
			    &best);
	f->memo.valid = true;
	f->memo.cfg = cfg;
	f->memo.it_total = f->it_total;
	f->memo.mem = f->mem_per_sandbox;
	f->memo.start = best.start;
	f->memo.end = best.end;
	f->memo.bin0_n = f->idle_hist.bin[0];
	f->memo.bin0_s = f->idle_bin0_s;
	f->memo.in = best.in;
	f->memo.idle = best.idle;
	f->memo.beat_start = beat;
	plan_memo(f, cfg, w, now_ns, p);
	beat_overlay(f, cfg, w, now_ns, p);
}

/* How many minutes of concurrency peaks delta keeps warm: a sandbox past
 * the first is worth its memory while its level recurs at least once per
 * cold-cost-worth of idle time (w seconds), so the window is w / CONC_RECUR,
 * capped by conc_minutes and never under CONC_MIN_MINUTES. */
#define CONC_RECUR	 1.5
#define CONC_MIN_MINUTES 5u

static unsigned conc_window_of(const struct model_function *f, const struct policy_config *cfg)
{
	double mem_gb = f->mem_per_sandbox ? (double)f->mem_per_sandbox / GIB : 0.125;
	double minutes = cfg->cold_cost_gb_s / mem_gb / 60 / CONC_RECUR;
	unsigned cap = cfg->conc_minutes;

	if (minutes >= cap)
		return cap;
	return minutes > CONC_MIN_MINUTES ? (unsigned)minutes : CONC_MIN_MINUTES;
}

/* A spare is worth its memory for w / CONC_RECUR seconds of idle; when
 * that is shorter than the ring's smallest window (CONC_MIN_MINUTES), the
 * window still holds spares for minutes, so each spare also goes once it
 * has been idle that long, but never sooner than spare_min_idle (2
 * minutes).  With minutes alone, a low weight kept a busy app's spares
 * five minutes after a peak, dearer than fixed:60 for the same calls (seed
 * 1, delta:9 against fixed:60: one 312 MB app 180,000 GB*s against 85,000;
 * another 23,000 more for no fewer cold starts).  A 60 s floor lost 12 %
 * at fixed:120 on seed 4. */
static uint64_t spare_idle(const struct model_function *f, const struct policy_config *cfg)
{
	double s = f->size_memo.w / CONC_RECUR, floor_s = (double)cfg->spare_min_idle_ns / NS;

	if (s >= CONC_MIN_MINUTES * 60.0)
		return 0;
	return (uint64_t)((s > floor_s ? s : floor_s) * NS);
}

/* Level k's history (k >= 2) when it holds at least min_n idle times. */
static struct model_level *level_of(const struct model_function *f, unsigned k, double min_n)
{
	struct model_level *l = f->levels && k >= 2 ? &f->levels[model_level_band(k)] : NULL;

	return l && l->hist.n >= min_n ? l : NULL;
}

/* Its idle times as points, one per bin that has any, at the bin's middle. */
static size_t level_points(const struct model_level *l, struct it_point *pt)
{
	const double *e = model_loghist_edges_s();
	size_t n = 0;

	for (uint64_t m = l->hist.nz; m; m &= m - 1) {
		int b = __builtin_ctzll(m);

		if (l->hist.bin[b])
			pt[n++] = (struct it_point){(e[b] + e[b + 1]) / 2, l->hist.bin[b], e[b],
						    e[b + 1]};
	}
	return n;
}

double policy_level_wait_s(const struct model_function *f, unsigned k, double idle_s)
{
	const struct model_level *l = level_of(f, k, 3); /* delta_min_samples' default */
	struct it_point pt[MODEL_LOG_BINS];
	double sum = 0, c = 0;
	size_t n;

	if (!l)
		return -1;
	n = level_points(l, pt);
	for (size_t i = 0; i < n; i++)
		if (pt[i].v > idle_s) {
			sum += pt[i].c * (pt[i].v - idle_s);
			c += pt[i].c;
		}
	if (c)
		return sum / c;
	return idle_s > 60 ? idle_s : 60;
}

/* A spare's keep-alive, from its level's idle times alone: the end that
 * minimises w * colds + idle seconds over them and the gap not seen yet
 * (no pre-warm: a spare's level is reached from a running app, not from a
 * quiet one).  Before it, every spare was kept for the concurrency peak of
 * the last minutes to hours (the window grew with the weight) and went
 * once idle 2 minutes at low weights; by level, on seeds 1-4 of gen and
 * 1-3 of gen-other, delta's cold starts at equal idle memory-time went
 * from 0.31-1.05x fixed's to 0.21-0.91x at fixed:60 to fixed:1800 (README).
 * Too few idle times (a level new to the function): half of w, rent or
 * buy, as a new app (fallback_keep_alive) but with no 10-minute floor. */
uint64_t policy_level_keep_ns(struct model_function *f, unsigned k, const struct policy_config *cfg)
{
	struct model_level *l = level_of(f, k, cfg->delta_min_samples);
	double w = f->size_memo.w, colds, idle = 0, best, best_e = 0;
	struct it_point pt[MODEL_LOG_BINS + 1];
	size_t n;

	if (!l)
		return (uint64_t)(0.5 * weight_keep_s(w) * NS);
	if (l->keep_n == l->hist.n && l->keep_w == w)
		return l->keep_ns;
	n = level_points(l, pt);
	if (l->gap_top != pt[n - 1].hi || l->gap_w != w) {
		struct it_point g = unseen_gap(pt[n - 1].hi, w);

		l->gap_top = g.lo;
		l->gap_w = w;
		l->gap_v = g.v;
		l->gap_end = g.hi;
	}
	pt[n++] = (struct it_point){l->gap_v, 1, l->gap_top, l->gap_end};
	colds = l->hist.n + 1;
	best = w * colds; /* release at once: every wait cold */
	for (size_t i = 0; i < n; i++) {
		double cost;

		colds -= pt[i].c;
		idle += pt[i].c * pt[i].v;
		cost = w * colds + idle + colds * pt[i].hi;
		if (cost < best) {
			best = cost;
			best_e = pt[i].hi;
		}
	}
	l->keep_n = l->hist.n;
	l->keep_w = w;
	l->keep_ns = (uint64_t)(best_e * NS);
	return l->keep_ns;
}

void policy_plan_function(struct model_function *f, const struct policy_config *cfg,
			  uint64_t now_ns, struct policy_plan *out)
{
	switch (cfg->kind) {
	case POLICY_FIXED:
	case POLICY_KNATIVE:
	case POLICY_LRU:
	case POLICY_GDSF:
		plan_keep_alive(cfg->keep_alive_ns, "fixed", out);
		break;
	case POLICY_HISTOGRAM:
		plan_histogram(f, cfg, out);
		break;
	case POLICY_DELTA:
		plan_delta(f, cfg, now_ns, out);
		if (cfg->conc_minutes) {
			unsigned peak =
			    model_function_conc_peak(f, now_ns, f->size_memo.conc_minutes);

			if (cfg->conc_headroom != 0) /* else it adds 0 */
				peak += (unsigned)(cfg->conc_headroom * peak + 0.999);
			out->reserve = peak > f->in_flight + 1 ? peak - f->in_flight - 1 : 0;
			out->spare_idle_ns = spare_idle(f, cfg);
		}
		break;
	}
}
