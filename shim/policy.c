/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.c -- the allocate/release policy over the resource-delta model:
 * per-function plans (fixed, knative, histogram, delta), the demand and
 * budget rules, LRU release under memory pressure.  Pure and deterministic. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NS MODEL_NS_PER_S
#define NEVER UINT64_MAX
#define GIB (1024.0 * 1024.0 * 1024.0)

static const char *const act_names[] = {
	[POLICY_ALLOCATE] = "allocate", [POLICY_PREWARM] = "prewarm",
	[POLICY_THAW] = "thaw",		[POLICY_FREEZE] = "freeze",
	[POLICY_RELEASE] = "release",	[POLICY_HOLD] = "hold",
};

const char *policy_act_name(enum policy_act a)
{
	return a <= POLICY_HOLD ? act_names[a] : "?";
}

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
		.conc_minutes = MODEL_CONC_MINUTES,
		.surplus_grace_ns = 30 * NS,
	};
}

static int parse_seconds(const char *spec, const char *s, double *out,
			 struct slx_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e7)
		return slx_error(err, 0, "policy %s: expected a number 0..1e7, got \"%s\"",
				 spec, s);
	*out = v;
	return 0;
}

int policy_parse(const char *spec, struct policy_config *cfg,
		 struct slx_err *err)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	double v;

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
	if (!colon && !strcmp(spec, "knative")) {
		/* KPA: desired scale drops to zero once the 60 s stable window
		 * averages no requests. */
		cfg->kind = POLICY_KNATIVE;
		cfg->keep_alive_ns = 60 * NS;
		return 0;
	}
	return slx_error(err, 0,
			 "unknown policy \"%s\" (fixed:SECONDS, knative, histogram, delta[:GB_S])",
			 spec);
}

/* ---- plans -------------------------------------------------------------- */

static void plan_keep_alive(uint64_t ka, const char *why, struct policy_plan *p)
{
	*p = (struct policy_plan){ .keep_alive_ns = ka, .why = why };
}

static void plan_window(const struct model_function *f, uint64_t start,
			uint64_t end, const char *why, struct policy_plan *p)
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

static void plan_histogram(const struct model_function *f,
			   const struct policy_config *cfg, struct policy_plan *p)
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
};

/* A timer: the recent idle times agree to within 2% (and a second), and
 * are long enough that unloading between arrivals pays. */
static bool ring_tight(const uint64_t *s, unsigned k, const struct policy_config *cfg)
{
	return k >= 2 && s[0] >= cfg->min_unload_ns &&
	       (double)(s[k - 1] - s[0]) <= (double)s[0] * 0.02 + NS;
}

/* A timer's window hugs its period: from just before the shortest recent
 * idle time to just after the longest, the slack being the observed spread
 * plus a second and 0.2% of the period for jitter the ring has not seen. */
static void tight_window(const uint64_t *s, unsigned k, const struct policy_config *cfg,
			 struct window_cost *best)
{
	uint64_t slack = (s[k - 1] - s[0]) + NS + s[k - 1] / 500;
	uint64_t start = s[0] > slack + cfg->create_ns ? s[0] - slack - cfg->create_ns : 0;

	*best = (struct window_cost){ .start = start, .end = s[k - 1] + slack };
}

/* One group of idle times for the search, in seconds: c of them at about
 * v, a window covering them runs from lo to hi. */
struct it_point {
	double v, c, lo, hi;
};

/* The function's whole idle-time history as points: Shahrad's one-minute
 * bins (never decayed, so a rare long gap weighs as much after an hour of
 * sub-second traffic as before it) and the out-of-bounds ones at the mean
 * of the recent. */
static size_t idle_points(const struct model_function *f, const struct policy_config *cfg,
			  struct it_point *pt)
{
	const struct model_hist *h = &f->idle_hist;
	double bin = (double)MODEL_HIST_BIN_NS / NS, m = cfg->delta_margin, oob = 0;
	size_t n = 0;

	for (int b = 0; b < MODEL_HIST_BINS; b++)
		if (h->bin[b])
			pt[n++] = (struct it_point){ (b + 0.5) * bin, h->bin[b],
						     b * bin * (1 - m), (b + 1) * bin * (1 + m) };
	if (h->n_oob && f->oob_n) {
		for (unsigned i = 0; i < f->oob_n; i++)
			oob += (double)f->it_oob_recent[i] / NS / f->oob_n;
		pt[n++] = (struct it_point){ oob, (double)h->n_oob, oob * 0.85, oob * 1.15 };
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
static void cost_search(const struct it_point *pt, size_t n,
			const struct policy_config *cfg, double w,
			struct window_cost *best)
{
	double c[MODEL_HIST_BINS + 2] = { 0 }, cv[MODEL_HIST_BINS + 2] = { 0 };
	double unload = (double)cfg->min_unload_ns / NS, lead = (double)cfg->create_ns / NS;

	for (size_t i = 0; i < n; i++) {
		c[i + 1] = c[i] + pt[i].c;
		cv[i + 1] = cv[i] + pt[i].c * pt[i].v;
	}
	*best = (struct window_cost){ .cost = w * c[n], .colds = c[n] };
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
				*best = (struct window_cost){ cost, colds, (uint64_t)(start * NS),
							      (uint64_t)(end * NS) };
		}
	}
}

/* Whether the memo still holds.  Beyond the same inputs: idle times under
 * a minute added since a keep-warm window (start 0) was chosen raise the
 * cost of every keep-warm window by the same 30 s and every other window by
 * at least that (they are cold there), so the choice stands exactly and the
 * search, the costly part for busy functions, is skipped. */
static bool memo_holds(const struct model_function *f, const struct policy_config *cfg,
		       double w)
{
	uint64_t added = f->it_total - f->memo.it_total;

	if (!f->memo.valid || f->memo.cfg != cfg || f->memo.mem != f->mem_per_sandbox)
		return false;
	if (!added)
		return true;
	if (f->memo.start || !f->memo.end || added > f->it_n ||
	    w < (double)MODEL_HIST_BIN_NS / NS / 2)
		return false;
	for (uint64_t i = 1; i <= added; i++)
		if (f->it_recent[(f->it_next + MODEL_IT_RECENT - i) % MODEL_IT_RECENT] >=
		    MODEL_HIST_BIN_NS)
			return false;
	return true;
}

static void plan_delta(struct model_function *f, const struct policy_config *cfg,
		       struct policy_plan *p)
{
	uint64_t s[MODEL_IT_RECENT];
	struct it_point pt[MODEL_HIST_BINS + 1];
	unsigned k = f->it_n;
	double mem_gb = f->mem_per_sandbox ? (double)f->mem_per_sandbox / GIB : 0.125;
	double w = cfg->cold_cost_gb_s / mem_gb;
	struct window_cost best;

	memcpy(s, f->it_recent, k * sizeof(s[0]));
	qsort(s, k, sizeof(s[0]), cmp_u64);
	if (!f->last_end_ns || (k < cfg->delta_min_samples && !ring_tight(s, k, cfg))) {
		plan_keep_alive(cfg->keep_alive_ns, "fallback", p);
		return;
	}
	if (!memo_holds(f, cfg, w)) {
		if (ring_tight(s, k, cfg))
			tight_window(s, k, cfg, &best);
		else
			cost_search(pt, idle_points(f, cfg, pt), cfg, w, &best);
		f->memo.valid = true;
		f->memo.cfg = cfg;
		f->memo.it_total = f->it_total;
		f->memo.mem = f->mem_per_sandbox;
		f->memo.start = best.start;
		f->memo.end = best.end;
	}
	f->memo.it_total = f->it_total;
	plan_window(f, f->memo.start, f->memo.end, "cost", p);
}

/* How many minutes of concurrency peaks delta keeps warm: a sandbox past
 * the first is worth its memory while its level recurs at least once per
 * cold-cost-worth of idle time (w seconds), so the window is w / CONC_RECUR,
 * capped by conc_minutes and never under CONC_MIN_MINUTES. */
#define CONC_RECUR 1.5
#define CONC_MIN_MINUTES 5u

static unsigned conc_window(const struct model_function *f, const struct policy_config *cfg)
{
	double mem_gb = f->mem_per_sandbox ? (double)f->mem_per_sandbox / GIB : 0.125;
	double minutes = cfg->cold_cost_gb_s / mem_gb / 60 / CONC_RECUR;
	unsigned cap = cfg->conc_minutes;

	if (minutes >= cap)
		return cap;
	return minutes > CONC_MIN_MINUTES ? (unsigned)minutes : CONC_MIN_MINUTES;
}

void policy_plan_function(struct model_function *f,
			  const struct policy_config *cfg, uint64_t now_ns,
			  struct policy_plan *out)
{
	switch (cfg->kind) {
	case POLICY_FIXED:
	case POLICY_KNATIVE:
		plan_keep_alive(cfg->keep_alive_ns, "fixed", out);
		break;
	case POLICY_HISTOGRAM:
		plan_histogram(f, cfg, out);
		break;
	case POLICY_DELTA:
		plan_delta(f, cfg, out);
		if (cfg->conc_minutes) {
			unsigned peak = model_function_conc_peak(f, now_ns,
								 conc_window(f, cfg));

			peak += (unsigned)(cfg->conc_headroom * peak + 0.999);
			out->reserve = peak > f->in_flight + 1 ? peak - f->in_flight - 1 : 0;
		}
		break;
	}
}

/* ---- the decision --------------------------------------------------------- */

struct decide {
	struct model *m;
	const struct policy_config *cfg;
	uint64_t now;
	struct policy_action *out;
	size_t n, max;
	uint64_t wake;
	uint64_t mem_free; /* budget R(t) leaves; UINT64_MAX: unlimited */
	uint64_t mem_wanted; /* bytes held demand would need */
	uint64_t mem_freed; /* bytes this decision releases */
	bool cpu_saturated;
	/* delta, for the function at hand: warm sandboxes idle since before
	 * (cut_t, cut_id) are past the reserve, the surplus. */
	bool has_cut;
	uint64_t cut_t, cut_id;
};

static void emit(struct decide *d, struct policy_action a)
{
	if (d->n < d->max)
		d->out[d->n++] = a;
}

static void wake_at(struct decide *d, uint64_t t)
{
	if (t > d->now && t < d->wake)
		d->wake = t;
}

static bool is_warm(const struct model_sandbox *sb)
{
	return sb->state == MODEL_SB_IDLE || sb->state == MODEL_SB_FROZEN;
}

/* Rank of sb among the function's sandboxes in the same state, most
 * recently idle first: demand takes the freshest, the stalest age out. */
static unsigned mru_rank(const struct model_function *f,
			 const struct model_sandbox *sb)
{
	unsigned r = 0;

	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *o = &f->sb[i];

		if (o == sb || o->state != sb->state)
			continue;
		if (o->idle_since_ns > sb->idle_since_ns ||
		    (o->idle_since_ns == sb->idle_since_ns && o->id > sb->id))
			r++;
	}
	return r;
}

/* Idle sandboxes the queued demand will be dispatched to. */
static bool serving(const struct model_function *f, const struct model_sandbox *sb)
{
	return f->queued && sb->state == MODEL_SB_IDLE && mru_rank(f, sb) < f->queued;
}

static bool released(const struct decide *d, size_t fi, uint64_t id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->out[i].kind == POLICY_RELEASE && d->out[i].fn == fi &&
		    d->out[i].sb == id)
			return true;
	return false;
}

static void release(struct decide *d, size_t fi, const struct model_sandbox *sb)
{
	emit(d, (struct policy_action){ .kind = POLICY_RELEASE, .fn = fi, .sb = sb->id });
	d->mem_freed += sb->mem_bytes;
}

/* When an idle sandbox is due for release under the plan. */
static uint64_t release_time(const struct decide *d, const struct model_function *f,
			     const struct model_sandbox *sb,
			     const struct policy_plan *p)
{
	bool app_idle = !f->in_flight && !f->queued;
	uint64_t t;

	if (!p->window)
		t = sb->idle_since_ns + p->keep_alive_ns;
	else if (!app_idle && d->cfg->kind == POLICY_DELTA)
		t = NEVER; /* the app's own window starts when it goes idle */
	else if (!app_idle) /* the window's length, from this sandbox's idle start */
		t = sb->idle_since_ns + (p->win_end_ns - f->last_end_ns);
	else if (d->now < p->win_start_ns &&
		 p->win_start_ns - d->now > d->cfg->create_ns)
		t = d->now; /* unload now, pre-warm for the window */
	else
		t = p->win_end_ns;
	if (d->has_cut && (sb->idle_since_ns < d->cut_t ||
			   (sb->idle_since_ns == d->cut_t && sb->id < d->cut_id))) {
		uint64_t s = sb->idle_since_ns + d->cfg->surplus_grace_ns;

		t = s < t ? s : t;
	}
	return t;
}

static void idle_sandbox(struct decide *d, size_t fi, const struct model_sandbox *sb,
			 const struct policy_plan *p)
{
	const struct model_function *f = &d->m->fn[fi];
	uint64_t t = release_time(d, f, sb, p), fz;

	if (t <= d->now) {
		release(d, fi, sb);
		return;
	}
	wake_at(d, t);
	if (sb->state != MODEL_SB_IDLE || !d->cfg->freeze_grace_ns)
		return;
	fz = sb->idle_since_ns + d->cfg->freeze_grace_ns;
	if (fz > d->now)
		wake_at(d, fz);
	else if (model_sandbox_quiet(sb, d->cfg->quiet_cpu_frac))
		emit(d, (struct policy_action){ .kind = POLICY_FREEZE, .fn = fi, .sb = sb->id });
}

/* Create need sandboxes within the CPU and memory budget; the rest hold. */
static void allocate(struct decide *d, size_t fi, unsigned need)
{
	uint64_t mem = d->m->fn[fi].mem_per_sandbox;
	unsigned n = need;

	if (!need)
		return;
	if (d->cpu_saturated)
		n = 0;
	else if (d->mem_free != NEVER && mem && d->mem_free / mem < n)
		n = (unsigned)(d->mem_free / mem);
	if (d->mem_free != NEVER)
		d->mem_free -= (uint64_t)n * mem;
	if (n)
		emit(d, (struct policy_action){ .kind = POLICY_ALLOCATE, .fn = fi, .n = n });
	if (n < need) {
		emit(d, (struct policy_action){ .kind = POLICY_HOLD, .fn = fi, .n = need - n });
		if (!d->cpu_saturated)
			d->mem_wanted += (uint64_t)(need - n) * mem;
	}
}

/* Queued demand: idle sandboxes take it first, then thawed frozen ones,
 * then those being created; what is left (plus, for delta, the ramp or
 * the rising trend while demand is already unmet) is allocated. */
static void demand(struct decide *d, size_t fi)
{
	const struct model_function *f = &d->m->fn[fi];
	unsigned idle = (unsigned)model_function_count(f, MODEL_SB_IDLE);
	unsigned creating = (unsigned)model_function_count(f, MODEL_SB_CREATING);
	unsigned rest = f->queued > idle ? f->queued - idle : 0, thaw = 0;

	for (size_t i = 0; i < f->n_sb && thaw < rest; i++) {
		const struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_FROZEN && mru_rank(f, sb) < rest) {
			emit(d, (struct policy_action){ .kind = POLICY_THAW, .fn = fi, .sb = sb->id });
			thaw++;
		}
	}
	rest -= thaw;
	rest = rest > creating ? rest - creating : 0;
	if (d->cfg->kind == POLICY_DELTA && f->queued && rest) {
		/* Demand already outruns the pool: it is ramping (a burst's first
		 * second, before any tick shows ΔA).  Double the pool, as Knative's
		 * panic mode does, so the ramp costs log2 cold starts, not one per
		 * level; extras that find no work go as surplus after the grace. */
		unsigned da = f->da > 0 ? (unsigned)f->da : 0;

		rest += f->in_flight > da ? f->in_flight : da;
	}
	allocate(d, fi, rest);
}

static bool thawing(const struct decide *d, size_t fi, uint64_t id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->out[i].kind == POLICY_THAW && d->out[i].fn == fi &&
		    d->out[i].sb == id)
			return true;
	return false;
}

static void prewarm(struct decide *d, size_t fi, const struct policy_plan *p)
{
	const struct model_function *f = &d->m->fn[fi];
	uint64_t t;

	if (!p->window || f->in_flight || f->queued || d->now >= p->win_end_ns)
		return;
	for (size_t i = 0; i < f->n_sb; i++)
		if (f->sb[i].state != MODEL_SB_BUSY && !released(d, fi, f->sb[i].id))
			return;
	t = p->win_start_ns > d->cfg->create_ns ? p->win_start_ns - d->cfg->create_ns : 0;
	if (d->now >= t) {
		/* Speculative: never held, never worth contention. */
		if (!d->cpu_saturated &&
		    (d->mem_free == NEVER || d->mem_free >= f->mem_per_sandbox))
			allocate(d, fi, 1 + p->reserve);
		return;
	}
	emit(d, (struct policy_action){ .kind = POLICY_PREWARM, .fn = fi,
					.n = 1 + p->reserve, .at_ns = t });
	wake_at(d, t);
}

struct warm_key {
	uint64_t t, id;
};

static int cmp_key_desc(const void *a, const void *b)
{
	const struct warm_key *x = a, *y = b;

	if (x->t != y->t)
		return (x->t < y->t) - (x->t > y->t);
	return (x->id < y->id) - (x->id > y->id);
}

/* The (reserve+1)-th most recently idle warm sandbox marks the cut: older
 * ones are surplus.  One sort per call rather than a rank per sandbox. */
static void surplus_cut(struct decide *d, const struct model_function *f,
			unsigned reserve)
{
	struct warm_key keys[256];
	size_t n = 0;

	d->has_cut = false;
	if (d->cfg->kind != POLICY_DELTA)
		return;
	for (size_t i = 0; i < f->n_sb; i++) {
		if (!is_warm(&f->sb[i]))
			continue;
		if (n == sizeof(keys) / sizeof(keys[0]))
			return; /* a pool this large keeps its sandboxes */
		keys[n++] = (struct warm_key){ f->sb[i].idle_since_ns, f->sb[i].id };
	}
	if (n <= reserve + 1)
		return;
	qsort(keys, n, sizeof(keys[0]), cmp_key_desc);
	d->has_cut = true;
	d->cut_t = keys[reserve].t;
	d->cut_id = keys[reserve].id;
}

static void decide_function(struct decide *d, size_t fi)
{
	struct model_function *f = &d->m->fn[fi];
	struct policy_plan plan;

	policy_plan_function(f, d->cfg, d->now, &plan);
	surplus_cut(d, f, plan.reserve);
	demand(d, fi);
	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *sb = &f->sb[i];

		if (is_warm(sb) && !serving(f, sb) && !thawing(d, fi, sb->id))
			idle_sandbox(d, fi, sb, &plan);
	}
	prewarm(d, fi, &plan);
}

/* The least recently used warm sandbox not already released or claimed. */
static bool lru_pick(const struct decide *d, size_t *fi_out,
		     const struct model_sandbox **sb_out)
{
	const struct model_sandbox *best = NULL;

	for (size_t fi = 0; fi < d->m->n_fn; fi++) {
		const struct model_function *f = &d->m->fn[fi];

		for (size_t i = 0; i < f->n_sb; i++) {
			const struct model_sandbox *sb = &f->sb[i];

			if (!is_warm(sb) || serving(f, sb) || thawing(d, fi, sb->id) ||
			    released(d, fi, sb->id))
				continue;
			if (!best || sb->idle_since_ns < best->idle_since_ns) {
				best = sb;
				*fi_out = fi;
			}
		}
	}
	*sb_out = best;
	return best != NULL;
}

/* Memory pressure (over budget, demand held for memory, or PSI above the
 * limit): release least recently used first until the shortfall is freed;
 * PSI alone releases one per decision and lets the next tick judge. */
static void relieve_pressure(struct decide *d)
{
	const struct model_host *h = &d->m->host;
	uint64_t over = h->mem_budget_bytes && h->mem_used_bytes > h->mem_budget_bytes
				? h->mem_used_bytes - h->mem_budget_bytes
				: 0;
	uint64_t want = over + d->mem_wanted;
	bool psi = h->have_psi && h->psi_mem_some10 > d->cfg->psi_mem_limit;
	const struct model_sandbox *sb;
	size_t fi;

	if (psi && d->mem_freed == 0 && want == 0)
		want = 1;
	while (d->mem_freed < want && lru_pick(d, &fi, &sb))
		release(d, fi, sb);
}

size_t policy_actions_max(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_fn; i++)
		n += 2 * m->fn[i].n_sb + 3;
	return n;
}

size_t policy_decide(struct model *m, const struct policy_config *cfg,
		     uint64_t now_ns, struct policy_action *out, size_t max,
		     uint64_t *wake_ns)
{
	const struct model_host *h = &m->host;
	struct decide d = {
		.m = m, .cfg = cfg, .now = now_ns, .out = out, .max = max,
		.wake = NEVER, .mem_free = NEVER,
	};

	if (h->mem_budget_bytes)
		d.mem_free = h->mem_used_bytes < h->mem_budget_bytes
				     ? h->mem_budget_bytes - h->mem_used_bytes
				     : 0;
	/* ΣΔR_cpu over the tick already fills the cores: another sandbox would
	 * only contend, so demand queues. */
	if (h->cores && h->tick_ns)
		d.cpu_saturated = (double)h->cpu_dr_usec >=
				  cfg->cpu_saturated * h->cores * (double)h->tick_ns / 1000.0;
	for (size_t fi = 0; fi < m->n_fn; fi++)
		decide_function(&d, fi);
	relieve_pressure(&d);
	*wake_ns = d.wake;
	return d.n;
}
