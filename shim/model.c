/* SPDX-License-Identifier: GPL-2.0-or-later */
/* model.c -- the resource-delta model's bookkeeping: histograms, per-sandbox
 * rings, per-function demand and idle times.  Pure: time comes from callers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- histograms -------------------------------------------------------- */

void model_hist_add(struct model_hist *h, uint64_t v_ns)
{
	uint64_t b = v_ns / MODEL_HIST_BIN_NS;

	if (b >= MODEL_HIST_BINS) {
		h->n_oob++;
		return;
	}
	h->sum_sq += 2.0 * h->bin[b] + 1; /* (c+1)² - c² */
	h->bin[b]++;
	h->n_in++;
}

int model_hist_percentile_bin(const struct model_hist *h, double p)
{
	/* ceil so that p = 100 needs every sample, and p > 0 at least one. */
	uint64_t want = (uint64_t)ceil((double)h->n_in * p / 100.0), seen = 0;

	if (!h->n_in)
		return -1;
	if (want == 0)
		want = 1;
	for (int b = 0; b < MODEL_HIST_BINS; b++) {
		seen += h->bin[b];
		if (seen >= want)
			return b;
	}
	return MODEL_HIST_BINS - 1;
}

double model_hist_cv(const struct model_hist *h)
{
	double mean = (double)h->n_in / MODEL_HIST_BINS, var;

	if (!h->n_in)
		return 0;
	var = h->sum_sq / MODEL_HIST_BINS - mean * mean;
	return sqrt(var > 0 ? var : 0) / mean;
}

static uint64_t loghist_edge_pow(int b)
{
	return b <= 0 ? 0 : (uint64_t)((double)MODEL_LOG_BASE_NS * pow(MODEL_LOG_RATIO, b - 1));
}

/* The edges, computed once: a sample's bin is found among them rather
 * than by a log and two pows per idle time. */
_Static_assert(MODEL_LOG_BINS <= 64, "model_loghist.nz has a bit per bin");
static uint64_t loghist_edges[MODEL_LOG_BINS + 1];
static double loghist_edges_s[MODEL_LOG_BINS + 1]; /* the same in seconds */

__attribute__((constructor)) static void loghist_edges_init(void)
{
	for (int b = 0; b <= MODEL_LOG_BINS; b++) {
		loghist_edges[b] = loghist_edge_pow(b);
		loghist_edges_s[b] = (double)loghist_edges[b] / MODEL_NS_PER_S;
	}
}

const double *model_loghist_edges_s(void)
{
	return loghist_edges_s;
}

uint64_t model_loghist_edge(int b)
{
	return b >= 0 && b <= MODEL_LOG_BINS ? loghist_edges[b] : loghist_edge_pow(b);
}

int model_loghist_bin(uint64_t v_ns)
{
	int lo = 1, hi = MODEL_LOG_BINS - 1;

	/* The last bin whose lower edge v reaches (the edges rise). */
	if (v_ns < MODEL_LOG_BASE_NS)
		return 0;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (loghist_edges[mid] <= v_ns)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void loghist_put(struct model_loghist *h, uint64_t v_ns, double decay_at)
{
	int b = model_loghist_bin(v_ns);

	if (h->n >= decay_at) {
		h->n = 0;
		for (int i = 0; i < MODEL_LOG_BINS; i++) {
			h->bin[i] /= 2;
			h->n += h->bin[i];
		}
	}
	h->bin[b]++;
	h->n++;
	h->nz |= 1ull << b;
}

void model_loghist_add(struct model_loghist *h, uint64_t v_ns)
{
	loghist_put(h, v_ns, MODEL_LOG_DECAY);
}

/* ---- per sandbox ------------------------------------------------------- */

const struct model_point *model_sandbox_at(const struct model_sandbox *sb, unsigned back)
{
	if (back >= sb->ring_n)
		return NULL;
	return &sb->ring[(sb->ring_next + MODEL_RING - 1 - back) % MODEL_RING];
}

void model_sandbox_push(struct model_sandbox *sb, uint64_t t_ns, const struct model_r *r,
			unsigned a, unsigned c)
{
	const struct model_point *prev = model_sandbox_at(sb, 0);
	struct model_point *p = &sb->ring[sb->ring_next];
	struct model_r zero = {0};
	const struct model_r *pr = prev ? &prev->r : &zero;

	*p = (struct model_point){.t_ns = t_ns, .r = *r, .a = a, .c = c};
	p->dr.cpu_usec = (int64_t)(r->cpu_usec - pr->cpu_usec);
	p->dr.mem_bytes = (int64_t)(r->mem_bytes - pr->mem_bytes);
	p->dr.pids = (int64_t)(r->pids - pr->pids);
	p->da = (int)a - (prev ? (int)prev->a : 0);
	p->dc = (int)c - (prev ? (int)prev->c : 0);
	if (r->have_mem)
		sb->mem_bytes = r->mem_bytes;
	sb->ring_next = (sb->ring_next + 1) % MODEL_RING;
	if (sb->ring_n < MODEL_RING)
		sb->ring_n++;
}

bool model_sandbox_quiet(const struct model_sandbox *sb, double max_cpu_frac)
{
	const struct model_point *p = model_sandbox_at(sb, 0);
	const struct model_point *q = model_sandbox_at(sb, 1);
	double dt_us;

	if (!p || !q || !p->r.have_cpu || p->t_ns <= q->t_ns)
		return true;
	dt_us = (double)(p->t_ns - q->t_ns) / 1000.0;
	return (double)p->dr.cpu_usec <= max_cpu_frac * dt_us;
}

/* ---- per function ------------------------------------------------------ */

void model_function_init(struct model_function *f, const char *name, uint64_t mem_per_sandbox)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->mem_per_sandbox = mem_per_sandbox;
	f->next_id = 1;
}

void model_function_fini(struct model_function *f)
{
	free(f->levels);
	free(f->level_since);
	f->levels = NULL;
	f->level_since = NULL;
	f->level_cap = 0;
	free(f->sb);
	f->sb = NULL;
	f->n_sb = f->cap_sb = 0;
}

struct model_sandbox *model_sandbox_add(struct model_function *f, uint64_t now_ns,
					uint64_t ready_ns)
{
	struct model_sandbox *sb;

	if (f->n_sb == f->cap_sb) {
		size_t cap = f->cap_sb ? f->cap_sb * 2 : 4;
		struct model_sandbox *v = realloc(f->sb, cap * sizeof(*v));

		if (!v)
			return NULL;
		f->sb = v;
		f->cap_sb = cap;
	}
	sb = &f->sb[f->n_sb++];
	f->n_in_state[MODEL_SB_CREATING] += f->counts_kept;
	*sb = (struct model_sandbox){
	    .id = f->next_id++,
	    .state = MODEL_SB_CREATING,
	    .ready_ns = ready_ns,
	    .idle_since_ns = now_ns,
	    .mem_bytes = f->mem_per_sandbox,
	};
	return sb;
}

struct model_sandbox *model_sandbox_find(struct model_function *f, uint64_t id)
{
	for (size_t i = 0; i < f->n_sb; i++)
		if (f->sb[i].id == id)
			return &f->sb[i];
	return NULL;
}

bool model_sandbox_remove(struct model_function *f, uint64_t id)
{
	struct model_sandbox *sb = model_sandbox_find(f, id);

	if (!sb)
		return false;
	f->n_in_state[sb->state] -= f->counts_kept;
	*sb = f->sb[--f->n_sb];
	return true;
}

void model_function_roll(struct model_function *f, uint64_t now_ns, uint64_t tick_ns)
{
	unsigned a = f->in_flight + f->queued;

	if (!tick_ns || now_ns < f->tick_end_ns)
		return;
	/* A gap of several ticks: the trend over the last whole tick is flat. */
	if (now_ns >= f->tick_end_ns + tick_ns)
		f->da = 0;
	else
		f->da = (int)a - (int)f->a_tick;
	f->a_tick = a;
	f->tick_end_ns = now_ns - now_ns % tick_ns + tick_ns;
}

/* The peaks of the minutes before minute, for conc_peak (see model.h):
 * conc_before[2..upto], from where the cache stops (none if it is another
 * minute's); a function asks for one window length, so the rest of the
 * ring is never scanned. */
static void conc_before_make(struct model_function *f, uint64_t minute, unsigned upto)
{
	unsigned w = 2;

	if (f->conc_before_valid && f->conc_before_minute == minute)
		w = f->conc_before_n + 1;
	else
		f->conc_before[0] = f->conc_before[1] = 0;
	for (; w <= upto; w++) {
		uint64_t m = minute - (w - 1);
		unsigned slot = m % MODEL_CONC_MINUTES, p = f->conc_before[w - 1];

		if (minute >= w - 1 && f->conc_minute[slot] == m && f->conc_peak[slot] > p)
			p = f->conc_peak[slot];
		f->conc_before[w] = p;
	}
	f->conc_before_minute = minute;
	f->conc_before_n = upto > 1 ? upto : 1;
	f->conc_before_valid = true;
}

static void conc_note(struct model_function *f, uint64_t now_ns)
{
	uint64_t minute = now_ns / (60 * MODEL_NS_PER_S);
	unsigned slot = minute % MODEL_CONC_MINUTES;

	if (f->conc_minute[slot] != minute) {
		f->conc_minute[slot] = minute;
		f->conc_peak[slot] = 0;
	}
	if (f->in_flight > f->conc_peak[slot])
		f->conc_peak[slot] = f->in_flight;
	/* a minute other than the cache's own: its window may hold this slot */
	if (f->conc_before_minute != minute)
		f->conc_before_valid = false;
}

/* The scan conc_before stands for: over every slot whose minute is in the
 * window (minute - minutes, minute]. */
unsigned model_function_conc_peak(struct model_function *f, uint64_t now_ns, unsigned minutes)
{
	uint64_t minute = now_ns / (60 * MODEL_NS_PER_S);
	unsigned slot = minute % MODEL_CONC_MINUTES, peak = f->in_flight;

	if (minutes > MODEL_CONC_MINUTES)
		minutes = MODEL_CONC_MINUTES;
	if (!f->conc_before_valid || f->conc_before_minute != minute || f->conc_before_n < minutes)
		conc_before_make(f, minute, minutes);
	if (minutes && f->conc_minute[slot] == minute && f->conc_peak[slot] > peak)
		peak = f->conc_peak[slot];
	return f->conc_before[minutes] > peak ? f->conc_before[minutes] : peak;
}

unsigned model_function_conc_minutes(const struct model_function *f, uint64_t now_ns,
				     unsigned minutes, unsigned level)
{
	uint64_t minute = now_ns / (60 * MODEL_NS_PER_S);
	unsigned n = 0;

	if (minutes > MODEL_CONC_MINUTES)
		minutes = MODEL_CONC_MINUTES;
	for (unsigned i = 0; i < minutes && i <= minute; i++) {
		unsigned slot = (minute - i) % MODEL_CONC_MINUTES;

		n += f->conc_minute[slot] == minute - i && f->conc_peak[slot] >= level;
	}
	return n;
}

/* The tolerance of a beat of this period: 2 % and a second. */
static uint64_t beat_tol(uint64_t period_ns)
{
	return period_ns / 50 + MODEL_NS_PER_S;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void beat_follow(struct model_beat *b, uint64_t t)
{
	uint64_t gap;

	if (b->last_t && t < b->last_t)
		return;
	gap = b->last_t ? t - b->last_t : 0;
	if (b->period) {
		uint64_t j = (t - b->at + b->period / 2) / b->period;
		uint64_t off = absdiff(t, b->at + j * b->period);

		if (j >= 1 && j <= MODEL_BEAT_SKIPS && off <= beat_tol(b->period)) {
			b->dev = off > b->dev ? off : b->dev;
			b->at = t;
			b->hits++;
			b->skipped += (uint32_t)j - 1;
			b->second = j == 2 ? b->second + 1 : 0;
			if (b->second == 2) {
				b->period *= 2;
				b->hits = 2;
				b->skipped = b->second = 0;
			}
		} else if (j > MODEL_BEAT_SKIPS) {
			b->period = 0;
		}
	}
	if (!b->period && gap >= MODEL_NS_PER_S && b->gap && absdiff(gap, b->gap) <= beat_tol(gap))
		*b = (struct model_beat){
		    .period = (gap + b->gap) / 2, .at = t, .dev = absdiff(gap, b->gap), .hits = 2};
	b->gap = gap;
	b->last_t = t;
}

void model_function_arrive(struct model_function *f, uint64_t now_ns, uint64_t tick_ns)
{
	model_function_arrive_from(f, 0, now_ns, tick_ns);
}

void model_function_arrive_from(struct model_function *f, unsigned src, uint64_t now_ns,
				uint64_t tick_ns)
{
	beat_follow(&f->beats[src % MODEL_BEATS], now_ns);
	model_function_roll(f, now_ns, tick_ns);
	if (f->last_arrival_ns)
		model_hist_add(&f->iat_hist, now_ns - f->last_arrival_ns);
	if (!f->in_flight && f->last_end_ns && now_ns >= f->last_end_ns) {
		uint64_t it = now_ns - f->last_end_ns;

		model_hist_add(&f->idle_hist, it);
		if (it < MODEL_HIST_BIN_NS) {
			int b = model_loghist_bin(it);

			f->idle_bin0_s += (double)it / MODEL_NS_PER_S;
			b = b < MODEL_SUB_BINS ? b : MODEL_SUB_BINS - 1;
			f->sub_n[b]++;
			f->sub_s[b] += (double)it / MODEL_NS_PER_S;
		}
		model_loghist_add(&f->idle_log, it);
		if (f->memo.valid && f->memo.beat_start) {
			f->beat_n++;
			if (it < f->memo.beat_start && !f->n_in_state[MODEL_SB_IDLE] &&
			    !f->n_in_state[MODEL_SB_FROZEN]) {
				f->beat_early++;
				f->beat_early_s += (double)it / MODEL_NS_PER_S;
			}
		}
		f->it_total++;
		f->it_recent[f->it_next] = it;
		f->it_next = (f->it_next + 1) % MODEL_IT_RECENT;
		if (f->it_n < MODEL_IT_RECENT)
			f->it_n++;
		if (it >= MODEL_HIST_BINS * MODEL_HIST_BIN_NS) {
			f->it_oob_recent[f->oob_next] = it;
			f->oob_next = (f->oob_next + 1) % 4;
			if (f->oob_n < 4)
				f->oob_n++;
		}
	}
	if (!f->in_flight && !f->queued) {
		f->wakes++;
		f->wake_size = 1;
	} else if (!f->in_flight && ++f->wake_size <= MODEL_WAKE_MAX + 1) {
		f->wake_ge[f->wake_size - 2]++;
	}
	f->last_arrival_ns = now_ns;
	f->arrivals++;
	f->queued++;
}

unsigned model_level_band(unsigned k)
{
	static const unsigned top[] = {12, 16, 24, 32, 64};

	if (k <= 8)
		return k - 2;
	for (unsigned i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (k <= top[i])
			return 7 + i;
	return MODEL_LEVEL_BANDS - 1;
}

/* Levels from this up record nothing: their spares keep as a new level's. */
#define LEVEL_MAX 1024u

/* The in-flight count rose to k: level k's idle time ends. */
static void level_rise(struct model_function *f, unsigned k, uint64_t now_ns)
{
	if (k < 2 || k >= LEVEL_MAX)
		return;
	if (!f->levels) {
		f->levels = calloc(MODEL_LEVEL_BANDS, sizeof(*f->levels));
		if (!f->levels)
			return; /* no history: delta treats every level as new */
	}
	if (k >= f->level_cap) {
		unsigned cap = f->level_cap ? f->level_cap : 8;
		uint64_t *v;

		while (cap <= k)
			cap *= 2;
		v = realloc(f->level_since, cap * sizeof(*v));
		if (!v)
			return;
		memset(v + f->level_cap, 0, (cap - f->level_cap) * sizeof(*v));
		f->level_since = v;
		f->level_cap = cap;
	}
	/* Never decayed: a busy level sees thousands of sub-second waits an
	 * hour, and halving at MODEL_LOG_DECAY forgot the rare long ones that
	 * decide its keep-alive (decayed, seeds 1 and 6 of gen-other lost
	 * 0.1-0.4 of fixed's cold starts at equal idle memory-time). */
	if (f->level_since[k] && now_ns >= f->level_since[k])
		loghist_put(&f->levels[model_level_band(k)].hist, now_ns - f->level_since[k],
			    HUGE_VAL);
	f->level_since[k] = 0;
}

void model_function_start(struct model_function *f, struct model_sandbox *sb, uint64_t now_ns,
			  uint64_t tick_ns)
{
	model_function_roll(f, now_ns, tick_ns);
	if (f->queued)
		f->queued--;
	f->in_flight++;
	level_rise(f, f->in_flight, now_ns);
	model_sandbox_set_state(f, sb, MODEL_SB_BUSY);
	sb->uses++;
	conc_note(f, now_ns);
}

void model_function_drop(struct model_function *f)
{
	if (f->queued)
		f->queued--;
}

/* sb, a level-k spare (k >= 2), ran alone from an idle app, with level 2
 * not reached since it went idle: demand took it because every sandbox
 * below it was gone (delta unloads the first for a pre-warm window, or its
 * window ended before the spare's keep), so it stood in for the first and
 * stays level k's spare; the first comes back by the app's own plan.
 * Relabelled level 1, the pool was one sandbox short until k calls ran at
 * once again, and the app's window unloaded the stand-in with the first:
 * gen-other seed 4, a 2-minute timer sharing its app with rare calls,
 * whose pairs met one sandbox: delta:3072 had 20 cold starts where lru had
 * 2 (now 2, at 35,167 GB*s of idle against fixed:7200's 42,259 for 6).
 * Only alone and with no concurrency since: a label kept through a pair
 * (one stand-in, level 6, serving the first of every pair while each pair
 * left one more level-2 spare) grew one app of gen-other seed 5 to dozens
 * of sandboxes, 58,000 to 709,000 GB*s at delta:3072. */
static bool stood_in(const struct model_function *f, const struct model_sandbox *sb)
{
	uint64_t k = sb->level;

	return f->in_flight == 1 && k >= 2 && k < f->level_cap && f->level_since[k] &&
	       f->level_since[k] <= sb->idle_since_ns && f->level_since[2] &&
	       f->level_since[2] <= sb->idle_since_ns;
}

void model_function_finish(struct model_function *f, struct model_sandbox *sb, uint64_t now_ns,
			   uint64_t tick_ns)
{
	model_function_roll(f, now_ns, tick_ns);
	if (!stood_in(f, sb))
		sb->level = f->in_flight;
	if (f->in_flight < f->level_cap)
		f->level_since[f->in_flight] = now_ns;
	if (f->in_flight)
		f->in_flight--;
	f->last_end_ns = now_ns;
	model_sandbox_set_state(f, sb, MODEL_SB_IDLE);
	sb->idle_since_ns = now_ns;
	sb->last_used_ns = now_ns;
}

void model_sandbox_set_state(struct model_function *f, struct model_sandbox *sb,
			     enum model_sb_state s)
{
	if (f->counts_kept) {
		f->n_in_state[sb->state]--;
		f->n_in_state[s]++;
	}
	sb->state = s;
}

void model_function_keep_counts(struct model_function *f)
{
	memset(f->n_in_state, 0, sizeof(f->n_in_state));
	for (size_t i = 0; i < f->n_sb; i++)
		f->n_in_state[f->sb[i].state]++;
	f->counts_kept = true;
}

size_t model_function_count(const struct model_function *f, enum model_sb_state s)
{
	size_t n = 0;

	if (f->counts_kept)
		return f->n_in_state[s];
	for (size_t i = 0; i < f->n_sb; i++)
		n += f->sb[i].state == s;
	return n;
}

void model_totals(const struct model *m, struct model_totals *out)
{
	*out = (struct model_totals){0};
	for (size_t i = 0; i < m->n_fn; i++) {
		const struct model_function *f = &m->fn[i];

		out->a += f->in_flight + f->queued;
		for (size_t j = 0; j < f->n_sb; j++) {
			const struct model_point *p = model_sandbox_at(&f->sb[j], 0);

			out->c++;
			out->mem_bytes += f->sb[j].mem_bytes;
			if (p) {
				out->cpu_usec += p->r.cpu_usec;
				out->pids += p->r.pids;
			}
		}
	}
}
