/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_decide.c -- the allocate/release decision over the model: each
 * function's plan (policy.c) against its demand, the budget rules, eviction
 * in the policy's order (LRU, GDSF, delta's expected wait) when an
 * allocation does not fit or memory is under pressure.  Pure and
 * deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NEVER UINT64_MAX
#define NS    MODEL_NS_PER_S
#define GIB   (1024.0 * 1024.0 * 1024.0)

static const char *const act_names[] = {
    [POLICY_ALLOCATE] = "allocate", [POLICY_PREWARM] = "prewarm", [POLICY_THAW] = "thaw",
    [POLICY_FREEZE] = "freeze",	    [POLICY_RELEASE] = "release", [POLICY_HOLD] = "hold",
};

const char *policy_act_name(enum policy_act a)
{
	return a <= POLICY_HOLD ? act_names[a] : "?";
}

/* ---- the decision --------------------------------------------------------- */

struct decide {
	struct model *m;
	const struct policy_config *cfg;
	uint64_t now;
	struct policy_action *out;
	size_t n, max;
	uint64_t wake;
	uint64_t mem_free;    /* budget R(t) leaves; UINT64_MAX: unlimited */
	uint64_t mem_wanted;  /* bytes held demand would need */
	uint64_t mem_freed;   /* bytes this decision releases */
	uint64_t mem_evicted; /* of which evicted to make room (back in mem_free) */
	uint64_t leaving;     /* memory on its way out no held allocation waits for yet */
	uint64_t claimed;     /* free memory the queued demand of functions not decided yet needs */
	bool cpu_saturated;
	/* delta, for the function at hand: warm sandboxes idle since before
	 * (cut_t, cut_id) are past the reserve, the surplus. */
	bool has_cut;
	uint64_t cut_t, cut_id;
	/* and the most recently idle one, which is no spare */
	bool has_fresh;
	uint64_t fresh_t, fresh_id;
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
static unsigned mru_rank(const struct model_function *f, const struct model_sandbox *sb)
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
		if (d->out[i].kind == POLICY_RELEASE && d->out[i].fn == fi && d->out[i].sb == id)
			return true;
	return false;
}

/* Whether f keeps what it has: no more sandboxes than its floor (the live
 * shim's --min-warm, which refuses their release) once this decision's
 * releases are gone.  Releasing one would free nothing: the call an
 * eviction made room for would wait on a release that never comes, and a
 * plan's release would count as the relief memory pressure asked for. */
static bool at_floor(const struct decide *d, size_t fi)
{
	const struct model_function *f = &d->m->fn[fi];
	size_t left = f->n_sb;

	if (!f->floor)
		return false;
	for (size_t i = 0; i < d->n; i++)
		if (d->out[i].kind == POLICY_RELEASE && d->out[i].fn == fi && left)
			left--;
	return left <= f->floor;
}

static void release(struct decide *d, size_t fi, const struct model_sandbox *sb, bool evict)
{
	emit(d, (struct policy_action){
		    .kind = POLICY_RELEASE, .fn = fi, .sb = sb->id, .evict = evict});
	d->mem_freed += sb->mem_bytes;
}

/* When an idle sandbox is due for release under the plan. */
static uint64_t release_time(const struct decide *d, struct model_function *f,
			     const struct model_sandbox *sb, const struct policy_plan *p)
{
	bool app_idle = !f->in_flight && !f->queued;
	uint64_t t;

	if (d->cfg->kind == POLICY_DELTA && sb->level >= 2) {
		/* from when its level fell, which is when it went idle but for
		 * a spare that stood in for the first (model.c's stood_in):
		 * its call does not renew the level's keep */
		uint64_t from = sb->idle_since_ns;

		if (sb->level < f->level_cap && f->level_since[sb->level] &&
		    f->level_since[sb->level] < from)
			from = f->level_since[sb->level];
		t = policy_level_keep_ns(f, sb->level, d->cfg);
		return t > NEVER - from ? NEVER : from + t;
	}
	if (!p->window)
		t = p->keep_alive_ns > NEVER - sb->idle_since_ns
			? NEVER
			: sb->idle_since_ns + p->keep_alive_ns;
	else if (!app_idle && d->cfg->kind == POLICY_DELTA)
		t = NEVER;  /* the app's own window starts when it goes idle */
	else if (!app_idle) /* the window's length, from this sandbox's idle start */
		t = sb->idle_since_ns + (p->win_end_ns - f->last_end_ns);
	else if (d->now < p->win_start_ns && p->win_start_ns - d->now > d->cfg->create_ns)
		t = d->now; /* unload now, pre-warm for the window */
	else
		t = p->win_end_ns;
	/* a wake's batch, pre-warmed with the first (wake_extra), waits for
	 * the wake as the first does */
	if (d->cfg->kind == POLICY_DELTA && app_idle && p->window && p->extra && !sb->uses)
		return t;
	if (d->has_cut && (sb->idle_since_ns < d->cut_t ||
			   (sb->idle_since_ns == d->cut_t && sb->id < d->cut_id))) {
		uint64_t s = sb->idle_since_ns + d->cfg->surplus_grace_ns;

		t = s < t ? s : t;
	}
	if (p->spare_idle_ns && d->has_fresh &&
	    (sb->idle_since_ns != d->fresh_t || sb->id != d->fresh_id)) {
		uint64_t s = sb->idle_since_ns + p->spare_idle_ns;

		t = s < t ? s : t;
	}
	return t;
}

static void idle_sandbox(struct decide *d, size_t fi, const struct model_sandbox *sb,
			 const struct policy_plan *p)
{
	struct model_function *f = &d->m->fn[fi];
	uint64_t t = release_time(d, f, sb, p), fz;

	/* On a node given to the functions delta keeps what its plan would
	 * release: free memory buys nothing, and an idle sandbox in it costs
	 * nothing until another function needs the room, when its rank
	 * (evict_key) decides.  Releasing on the plan had 1.5-5x lru's cold
	 * starts at 16-32 GB on seeds 2-3.  On a shared host the plan holds. */
	if (d->cfg->kind == POLICY_DELTA && d->mem_free != NEVER && d->m->host.dedicated)
		t = NEVER;
	if (t <= d->now && !at_floor(d, fi)) {
		release(d, fi, sb, false);
		return;
	}
	if (t > d->now)
		wake_at(d, t);
	if (sb->state != MODEL_SB_IDLE || !d->cfg->freeze_grace_ns)
		return;
	fz = sb->idle_since_ns + d->cfg->freeze_grace_ns;
	if (fz > d->now)
		wake_at(d, fz);
	else if (model_sandbox_quiet(sb, d->cfg->quiet_cpu_frac))
		emit(d, (struct policy_action){.kind = POLICY_FREEZE, .fn = fi, .sb = sb->id});
}

/* ---- eviction: which idle sandbox the budget takes ----------------------- */

static bool is_warm(const struct model_sandbox *sb);
static bool serving(const struct model_function *f, const struct model_sandbox *sb);
static bool thawing(const struct decide *d, size_t fi, uint64_t id);

static double size_gb(const struct model_function *f, const struct model_sandbox *sb)
{
	uint64_t b = sb->mem_bytes ? sb->mem_bytes : f->mem_per_sandbox;

	return b ? (double)b / GIB : 0.125;
}

/* FaasCache's priority: clock at last use + frequency x cost / size.
 *
 * The frequency is the sandbox's own (a FaasCache container counts its own
 * hits and loses them when it terminates), but a use counts only when the
 * clock has moved since the sandbox's previous one: uses with no eviction
 * between them are one reference (LRU-K's correlated references, here with
 * the Greedy-Dual clock as the period).  Counting every use, a sandbox that
 * served a burst hours ago carried thousands of uses, a credit far above
 * the clock, which rises only by what each eviction gives up, while a
 * sandbox used every two minutes, evicted before it could count, started
 * again from one (seeds 2-4, 10-16 GB: 0.77-3.7x lru's cold starts; counted
 * this way 0.76-1.14x).  FaasCache's simulator sums the uses over the
 * function's live containers and gives all of them the priority set at its
 * last use: gdsf:faascache, measured worse still (0.88-5.8x lru there),
 * as a busy function's rarely used spares carry its whole count.
 *
 * The cost is the creation time, the same for every function: the replay
 * charges each cold start that, so FaasCache's per-function init cost (its
 * trace's Maximum less Average duration) has nothing here to stand for. */
static double gdsf_priority(const struct decide *d, const struct model_function *f,
			    const struct model_sandbox *sb)
{
	double freq = (double)sb->gdsf_freq, stamp = sb->gdsf_clock;

	if (d->cfg->gdsf_faascache) {
		freq = 0;
		for (size_t i = 0; i < f->n_sb; i++) {
			freq += (double)f->sb[i].uses;
			stamp = f->sb[i].gdsf_clock > stamp ? f->sb[i].gdsf_clock : stamp;
		}
	}
	return stamp + freq * ((double)d->cfg->create_ns / NS) / size_gb(f, sb);
}

/* The function's idle so far is tau: the mean of its recent idle times
 * longer than tau, less tau.  None longer, it is overdue: what its whole
 * history (the decaying log histogram, each bin at its geometric middle)
 * says is left past tau, but never more than it was taken to be before:
 * tau again, and at least a minute.  A busy app with sub-second gaps, idle a
 * second, was ranked as a minute away, so a full node evicted it before a
 * large app due in seconds (seed 4 at 12 GB: 226,129 cold starts against
 * gdsf's 222,814; now 222,556; 1-8 % fewer on seeds 1, 2, 4 and 6 at 4-16
 * GB, and on held-out gen-other 1-3 at 16-48 GB up to 6 %).  Not
 * capped, the tail's long waits evicted apps that came back (seed 2 at
 * 16 GB: 336 against 318). */
static double residual_idle_s(const struct model_function *f, uint64_t now)
{
	double tau =
	    f->last_end_ns && now > f->last_end_ns ? (double)(now - f->last_end_ns) / NS : 0;
	double cap = tau > 60 ? tau : 60, sum = 0, mass = 0, rest = 0;
	const double *e = model_loghist_edges_s();
	unsigned n = 0;

	for (unsigned i = 0; i < f->it_n; i++) {
		double v = (double)f->it_recent[i] / NS;

		if (v > tau) {
			sum += v - tau;
			n++;
		}
	}
	if (n)
		return sum / n;
	for (int b = 0; b < MODEL_LOG_BINS; b++) {
		double mid;

		if (!f->idle_log.bin[b] || e[b + 1] <= tau)
			continue;
		mid = sqrt(e[b] * e[b + 1]);
		if (mid < tau) /* the bin tau falls in: what is left of it */
			mid = (tau + e[b + 1]) / 2;
		mass += f->idle_log.bin[b];
		rest += f->idle_log.bin[b] * (mid - tau);
	}
	return mass > 0 && rest / mass < cap ? rest / mass : cap;
}

/* Warm sandboxes of f more recently idle than sb: demand takes them first. */
static unsigned warm_rank(const struct model_function *f, const struct model_sandbox *sb)
{
	unsigned r = 0;

	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *o = &f->sb[i];

		if (o != sb && is_warm(o) &&
		    (o->idle_since_ns > sb->idle_since_ns ||
		     (o->idle_since_ns == sb->idle_since_ns && o->id > sb->id)))
			r++;
	}
	return r;
}

#define DELTA_CONC_MINUTES 60u
#define DELTA_NEVER_S	   7200.0 /* a level the last hour never reached */
#define DELTA_SPARE_RATIO  4.0	  /* tuned on seeds 2-3 */

/* The sandbox sb would be for its function: the level-th, counting the
 * calls in flight or queued and the warm ones demand takes first. */
static unsigned delta_level(const struct model_function *f, const struct model_sandbox *sb)
{
	return f->in_flight + f->queued + 1 + warm_rank(f, sb);
}

/* delta: seconds until sb is expected to run again.  It is the level-th
 * sandbox the function would need: the first waits out the function's idle
 * time, the others wait for its concurrency to reach their level. */
static double delta_wait_s(const struct decide *d, const struct model_function *f,
			   const struct model_sandbox *sb)
{
	unsigned level = delta_level(f, sb), k;
	double idle_s = d->now > sb->idle_since_ns ? (double)(d->now - sb->idle_since_ns) / NS : 0;
	double w;

	if (level == 1) {
		w = residual_idle_s(f, d->now);
	} else {
		/* Its level's own waits, past the idle so far (policy_level_wait_s;
		 * 2-5 % fewer cold starts than the last hour's concurrency peaks
		 * at 8-13 GB on seeds 2 and 4), else how often the last hour's
		 * peaks reached the level. */
		w = policy_level_wait_s(f, level, idle_s);
		if (w < 0) {
			k = model_function_conc_minutes(f, d->now, DELTA_CONC_MINUTES, level);
			w = k ? 60.0 * DELTA_CONC_MINUTES / k : DELTA_NEVER_S;
		}
		/* and no longer than a few times its own idle so far: a spare
		 * that ran moments ago is in a burst the hour's peaks have not
		 * caught up with (on a full node, ranking spares by the hour
		 * alone had 5x gdsf's concurrency cold starts on seed 2). */
		if (w > DELTA_SPARE_RATIO * idle_s)
			w = DELTA_SPARE_RATIO * idle_s;
	}
	if (f->da > 0) /* ΔA_i rising: demand is on its way */
		w /= 1.0 + f->da;
	return w;
}

/* Lower is evicted first. */
static double evict_key(const struct decide *d, const struct model_function *f,
			const struct model_sandbox *sb)
{
	switch (d->cfg->kind) {
	case POLICY_GDSF:
		return gdsf_priority(d, f, sb);
	case POLICY_DELTA:
		/* A spare that has never run (a ramp's or a wake's extra) is a
		 * guess at concurrency, and a guess yields to what has run.
		 * Ranked by its wait, a fresh extra was capped at 4x its idle so
		 * far and went last, pushing out sandboxes whose apps came back
		 * (gen-other 6 at 64 GB: 443 cold starts against gdsf's 403).
		 * An app's first sandbox, pre-warmed for its window, keeps its
		 * rank: the app's own idle times put it there. */
		if (!sb->last_used_ns && delta_level(f, sb) >= 2)
			return -HUGE_VAL;
		return -delta_wait_s(d, f, sb) * size_gb(f, sb);
	default:
		return (double)sb->idle_since_ns;
	}
}

/* The idle sandbox to evict next: warm, not about to serve its function's
 * queue, not thawing, not released already, its function above its floor
 * (at_floor). */
static bool pick_victim(const struct decide *d, size_t *fi_out, const struct model_sandbox **sb_out,
			double *key_out)
{
	const struct model_sandbox *best = NULL;
	double best_key = 0;

	for (size_t fi = 0; fi < d->m->n_fn; fi++) {
		const struct model_function *f = &d->m->fn[fi];

		if (at_floor(d, fi))
			continue;
		for (size_t i = 0; i < f->n_sb; i++) {
			const struct model_sandbox *sb = &f->sb[i];
			double key;

			if (!is_warm(sb) || serving(f, sb) || thawing(d, fi, sb->id) ||
			    released(d, fi, sb->id))
				continue;
			key = evict_key(d, f, sb);
			/* equal keys: the least recently idle first (gdsf's
			 * clock stands still between evictions) */
			if (!best || key < best_key ||
			    (key == best_key && sb->idle_since_ns < best->idle_since_ns)) {
				best = sb;
				best_key = key;
				*fi_out = fi;
			}
		}
	}
	*sb_out = best;
	*key_out = best_key;
	return best != NULL;
}

static void evict(struct decide *d, size_t fi, const struct model_sandbox *sb, double key)
{
	release(d, fi, sb, true);
	if (d->m->host.release_waits) {
		d->leaving += sb->mem_bytes;
	} else {
		d->mem_evicted += sb->mem_bytes;
		if (d->mem_free != NEVER)
			d->mem_free += sb->mem_bytes;
	}
	if (d->cfg->kind == POLICY_GDSF && key > d->m->gdsf_clock)
		d->m->gdsf_clock = key;
}

/* Evict until want bytes are free, or will be once what is leaving has
 * gone, or nothing idle is left. */
static void make_room(struct decide *d, uint64_t want)
{
	const struct model_sandbox *sb;
	size_t fi;
	double key;

	while (d->mem_free + d->leaving < want && pick_victim(d, &fi, &sb, &key))
		evict(d, fi, sb, key);
}

/* Held demand of want bytes waits first for memory on its way out (it
 * claims it, so no other allocation counts on it too); the rest is wanted
 * from eviction. */
static void hold_for(struct decide *d, uint64_t want)
{
	uint64_t claim = d->leaving < want ? d->leaving : want;

	d->leaving -= claim;
	d->mem_wanted += want - claim;
}

/* Whether the saturated cores hold fi's allocations: with several
 * functions, only those using at least an equal share of what the sandboxes
 * used over the tick (ΔR_cpu), so one function filling the cores queues its
 * own demand, not every function's. */
static bool cpu_holds(const struct decide *d, size_t fi)
{
	uint64_t own = 0, total = 0;
	unsigned active = 0;

	if (!d->cpu_saturated || d->m->n_fn == 1)
		return d->cpu_saturated;
	for (size_t k = 0; k < d->m->n_fn; k++) {
		const struct model_function *f = &d->m->fn[k];
		uint64_t use = 0;

		for (size_t i = 0; i < f->n_sb; i++) {
			const struct model_point *pt = model_sandbox_at(&f->sb[i], 0);

			if (pt && f->sb[i].ring_n > 1 && pt->dr.cpu_usec > 0)
				use += (uint64_t)pt->dr.cpu_usec;
		}
		active += use > 0;
		total += use;
		if (k == fi)
			own = use;
	}
	return active && own * active >= total;
}

/* Create need sandboxes within the CPU and memory budget, evicting idle
 * ones to make room; the rest hold. */
static void allocate(struct decide *d, size_t fi, unsigned need)
{
	uint64_t mem = d->m->fn[fi].mem_per_sandbox;
	bool cpu_held = cpu_holds(d, fi);
	unsigned n = need;

	if (!need)
		return;
	if (cpu_held)
		n = 0;
	else if (d->mem_free != NEVER && mem && d->mem_free / mem < n)
		make_room(d, (uint64_t)n * mem);
	if (!cpu_held && d->mem_free != NEVER && mem && d->mem_free / mem < n)
		n = (unsigned)(d->mem_free / mem);
	if (d->mem_free != NEVER)
		d->mem_free -= (uint64_t)n * mem;
	if (n)
		emit(d, (struct policy_action){.kind = POLICY_ALLOCATE, .fn = fi, .n = n});
	if (n < need) {
		emit(d, (struct policy_action){.kind = POLICY_HOLD, .fn = fi, .n = need - n});
		if (!cpu_held)
			hold_for(d, (uint64_t)(need - n) * mem);
	}
}

/* Sandboxes of mem bytes a speculative allocation (the ramp's extras, a
 * pre-warm) may make, at most want: only into memory that is free without
 * evicting.  Not into the slack an eviction for real demand left either
 * (the victim larger than the sandbox it made room for): on a full node
 * that slack is all the free memory there is, and a guess that takes it
 * makes the next real demand evict a sandbox that has just finished, whose
 * own app then evicts back (seed 1 on 4 x 4 GB under hash placement: two
 * busy apps evicting each other's sandboxes 0.1 s after they ran, 38,818
 * cold starts against lru's 774). */
static unsigned speculative_room(const struct decide *d, size_t fi, uint64_t mem, unsigned want)
{
	uint64_t room, keep;

	if (cpu_holds(d, fi))
		return 0;
	if (d->mem_free == NEVER || !mem)
		return want;
	keep = d->mem_evicted + d->claimed;
	room = d->mem_free > keep ? d->mem_free - keep : 0;
	return room / mem < want ? (unsigned)(room / mem) : want;
}

/* Queued calls of f that no idle, frozen or creating sandbox will take. */
static unsigned unmet_demand(const struct model_function *f)
{
	unsigned have = (unsigned)(model_function_count(f, MODEL_SB_IDLE) +
				   model_function_count(f, MODEL_SB_FROZEN) +
				   model_function_count(f, MODEL_SB_CREATING));

	return f->queued > have ? f->queued - have : 0;
}

/* Where a release frees memory only once its processes are gone (live),
 * a call held for an eviction finds the room free a turn later: no
 * function's guess decided before it may take that room (a pre-warm of
 * another function did, and the held call evicted again: 15 cold starts
 * live against the replay's 12).  Replayed, the room is taken in the turn
 * of the eviction, and nothing is claimed. */
static void claim_for_demand(struct decide *d)
{
	if (!d->m->host.release_waits || d->mem_free == NEVER)
		return;
	for (size_t fi = 0; fi < d->m->n_fn; fi++)
		d->claimed += (uint64_t)unmet_demand(&d->m->fn[fi]) * d->m->fn[fi].mem_per_sandbox;
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
			emit(d,
			     (struct policy_action){.kind = POLICY_THAW, .fn = fi, .sb = sb->id});
			thaw++;
		}
	}
	rest -= thaw;
	rest = rest > creating ? rest - creating : 0;
	if (d->claimed) { /* fi's own claim, its demand at hand */
		uint64_t own = (uint64_t)unmet_demand(f) * f->mem_per_sandbox;

		d->claimed -= own < d->claimed ? own : d->claimed;
	}
	allocate(d, fi, rest);
	if (d->cfg->kind == POLICY_DELTA && f->queued && rest &&
	    f->size_memo.w >= d->cfg->ramp_min_worth_s) {
		/* Demand already outruns the pool: it is ramping (a burst's first
		 * second, before any tick shows ΔA).  Double the pool, as Knative's
		 * panic mode does, so the ramp costs log2 cold starts, not one per
		 * level; extras that find no work go as surplus after the grace.
		 * Only where a cold start is worth ramp_min_worth_s of idle: most
		 * extras find no work, and below it the doubling cost more idle
		 * memory than the cold starts it saved (at fixed:60's memory, seed
		 * 4 0.63x fixed's cold starts with it at every weight, 0.46x
		 * without; seeds 2-3 within 0.02; 240 s best of 30-4000 there). */
		unsigned da = f->da > 0 ? (unsigned)f->da : 0;
		unsigned extra = f->in_flight > da ? f->in_flight : da;
		uint64_t mem = f->mem_per_sandbox;

		/* Speculative: evicting another function's sandbox for a guess
		 * thrashes a full node. */
		extra = speculative_room(d, fi, mem, extra);
		if (extra) {
			d->mem_free -= d->mem_free != NEVER ? (uint64_t)extra * mem : 0;
			emit(d,
			     (struct policy_action){.kind = POLICY_ALLOCATE, .fn = fi, .n = extra});
		}
	}
}

static bool thawing(const struct decide *d, size_t fi, uint64_t id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->out[i].kind == POLICY_THAW && d->out[i].fn == fi && d->out[i].sb == id)
			return true;
	return false;
}

static void prewarm(struct decide *d, size_t fi, const struct policy_plan *p)
{
	const struct model_function *f = &d->m->fn[fi];
	bool levels = d->cfg->kind == POLICY_DELTA;
	unsigned reserve = levels ? 0 : p->reserve;
	unsigned extra = levels ? p->extra : 0;
	uint64_t t;

	if (!p->window || f->in_flight || f->queued || d->now >= p->win_end_ns)
		return;
	/* delta keeps spares (level 2 and up) on their own idle times; the
	 * window is the first sandbox's, pre-warmed though spares stay, and
	 * with it the wake's batch (wake_extra) less the spares still kept. */
	for (size_t i = 0; i < f->n_sb; i++) {
		if (f->sb[i].state == MODEL_SB_BUSY || released(d, fi, f->sb[i].id))
			continue;
		if (!levels || f->sb[i].level < 2)
			return;
		extra -= extra > 0;
	}
	t = p->win_start_ns > d->cfg->create_ns ? p->win_start_ns - d->cfg->create_ns : 0;
	if (d->now >= t) {
		/* Speculative: never held, never worth an eviction. */
		allocate(d, fi, speculative_room(d, fi, f->mem_per_sandbox, 1 + reserve + extra));
		return;
	}
	emit(d, (struct policy_action){
		    .kind = POLICY_PREWARM, .fn = fi, .n = 1 + reserve + extra, .at_ns = t});
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
static void surplus_cut(struct decide *d, const struct model_function *f, unsigned reserve)
{
	struct warm_key keys[256];
	size_t n = 0;

	d->has_cut = d->has_fresh = false;
	if (d->cfg->kind != POLICY_DELTA)
		return;
	for (size_t i = 0; i < f->n_sb; i++) {
		if (!is_warm(&f->sb[i]))
			continue;
		if (n == sizeof(keys) / sizeof(keys[0])) {
			d->has_fresh = false;
			return; /* a pool this large keeps its sandboxes */
		}
		keys[n++] = (struct warm_key){f->sb[i].idle_since_ns, f->sb[i].id};
		if (!d->has_fresh ||
		    cmp_key_desc(&keys[n - 1], &(struct warm_key){d->fresh_t, d->fresh_id}) < 0) {
			d->has_fresh = true;
			d->fresh_t = f->sb[i].idle_since_ns;
			d->fresh_id = f->sb[i].id;
		}
	}
	if (n <= reserve + 1)
		return;
	qsort(keys, n, sizeof(keys[0]), cmp_key_desc);
	d->has_cut = true;
	d->cut_t = keys[reserve].t;
	d->cut_id = keys[reserve].id;
}

/* gdsf's bookkeeping: a running sandbox's priority starts from the clock
 * now (FaasCache refreshes it on each use), and a new use counts toward its
 * frequency if the clock has moved since the previous one (its first
 * always).  A sandbox being created is stamped too: FaasCache stamps a
 * container when it enters the pool. */
static void gdsf_note(struct model *m, struct model_function *f)
{
	for (size_t i = 0; i < f->n_sb; i++) {
		struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_CREATING && !sb->uses) {
			sb->gdsf_clock = m->gdsf_clock;
			continue;
		}
		if (sb->state != MODEL_SB_BUSY)
			continue;
		if (sb->uses > sb->gdsf_seen) {
			if (!sb->gdsf_seen || m->gdsf_clock > sb->gdsf_clock)
				sb->gdsf_freq++;
			sb->gdsf_seen = sb->uses;
		}
		sb->gdsf_clock = m->gdsf_clock;
	}
}

static void decide_function(struct decide *d, size_t fi)
{
	struct model_function *f = &d->m->fn[fi];
	struct policy_plan plan;

	if (d->cfg->kind == POLICY_GDSF)
		gdsf_note(d->m, f);
	policy_plan_function(f, d->cfg, d->now, &plan);
	surplus_cut(d, f, plan.reserve);
	demand(d, fi);
	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *sb = &f->sb[i];

		if (is_warm(sb) && !serving(f, sb) && !thawing(d, fi, sb->id) &&
		    !released(d, fi, sb->id))
			idle_sandbox(d, fi, sb, &plan);
	}
	prewarm(d, fi, &plan);
}

/* Memory pressure (over budget, demand held for memory, or PSI above the
 * limit): evict in the policy's order until the shortfall is freed; PSI
 * alone releases one per decision and lets the next tick judge. */
static void relieve_pressure(struct decide *d)
{
	const struct model_host *h = &d->m->host;
	uint64_t staying =
	    h->mem_used_bytes > h->mem_leaving_bytes ? h->mem_used_bytes - h->mem_leaving_bytes : 0;
	uint64_t over = h->mem_budget_bytes && staying > h->mem_budget_bytes
			    ? staying - h->mem_budget_bytes
			    : 0;
	uint64_t want = over + d->mem_wanted;
	bool psi = h->have_psi && h->psi_mem_some10 > d->cfg->psi_mem_limit;
	const struct model_sandbox *sb;
	size_t fi;
	double key;

	if (psi && d->mem_freed == 0 && want == 0)
		want = 1;
	while (d->mem_freed < want && pick_victim(d, &fi, &sb, &key))
		evict(d, fi, sb, key);
}

size_t policy_actions_max(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_fn; i++)
		n += 2 * m->fn[i].n_sb + 3;
	return n;
}

static void decide_init(struct decide *d, struct model *m, const struct policy_config *cfg,
			uint64_t now_ns, struct policy_action *out, size_t max)
{
	const struct model_host *h = &m->host;

	*d = (struct decide){
	    .m = m,
	    .cfg = cfg,
	    .now = now_ns,
	    .out = out,
	    .max = max,
	    .wake = NEVER,
	    .mem_free = NEVER,
	};
	if (h->mem_budget_bytes) {
		d->mem_free = h->mem_used_bytes < h->mem_budget_bytes
				  ? h->mem_budget_bytes - h->mem_used_bytes
				  : 0;
		d->leaving = h->mem_leaving_bytes;
	}
	claim_for_demand(d);
	/* ΣΔR_cpu over the tick already fills the cores: another sandbox would
	 * only contend, so demand queues. */
	if (h->cores && h->tick_ns)
		d->cpu_saturated = (double)h->cpu_dr_usec >=
				   cfg->cpu_saturated * h->cores * (double)h->tick_ns / 1000.0;
}

size_t policy_decide(struct model *m, const struct policy_config *cfg, uint64_t now_ns,
		     struct policy_action *out, size_t max, uint64_t *wake_ns)
{
	struct decide d;

	decide_init(&d, m, cfg, now_ns, out, max);
	for (size_t fi = 0; fi < m->n_fn; fi++)
		decide_function(&d, fi);
	relieve_pressure(&d);
	*wake_ns = d.wake;
	return d.n;
}

size_t policy_decide_function(struct model *m, const struct policy_config *cfg, size_t fi,
			      uint64_t now_ns, struct policy_action *out, size_t max,
			      uint64_t *wake_ns)
{
	struct decide d;

	decide_init(&d, m, cfg, now_ns, out, max);
	if (fi < m->n_fn)
		decide_function(&d, fi);
	relieve_pressure(&d);
	*wake_ns = d.wake;
	return d.n;
}
