/* SPDX-License-Identifier: GPL-2.0-or-later */
/* model.h -- the resource-delta model as plain data: per sandbox a ring of
 * R_i, A_i, C_i and their deltas; per function the demand A, its trend, the
 * idle-time and inter-arrival histograms; the host budget.  Every function
 * here is pure (no I/O, no clock): callers pass the time in. */
#ifndef SLX_SHIM_MODEL_H
#define SLX_SHIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_NS_PER_S	   1000000000ull
#define MODEL_RING	   8   /* ticks of history per sandbox */
#define MODEL_IT_RECENT	   32  /* exact idle times kept per function */
#define MODEL_HIST_BINS	   240 /* Shahrad et al.: 1-minute bins over 4 hours */
#define MODEL_HIST_BIN_NS  (60 * MODEL_NS_PER_S)
#define MODEL_CONC_MINUTES 240 /* per-minute concurrency peaks kept */
#define MODEL_WAKE_MAX	   7   /* wake batch sizes counted: 2 to 8 */
#define MODEL_BEATS	   4   /* sources of one function whose beat is followed */
#define MODEL_BEAT_SKIPS   3   /* a beat not met for this many periods is lost */

/* delta's idle-time distribution: log-spaced bins (bin 0 is [0, 0.5 s),
 * bin b >= 1 is [0.5 s * 1.35^(b-1), 0.5 s * 1.35^b)), reaching past ten
 * days; counts halve when they pass MODEL_LOG_DECAY so the shape follows
 * the function as it changes. */
#define MODEL_LOG_BINS	  48
#define MODEL_LOG_BASE_NS 500000000ull
#define MODEL_LOG_RATIO	  1.35
#define MODEL_LOG_DECAY	  1024.0
#define MODEL_SUB_BINS	  17 /* idle_log's bins that start under a minute */

/* R_i(t): counters as the cgroup reports them; have_* false when the host
 * lacks the file (cgroup v1 hosts have no PSI, hybrid hosts no memory.current). */
struct model_r {
	bool have_cpu, have_mem, have_pids, have_psi;
	uint64_t cpu_usec, mem_bytes, pids;
	double psi_mem_some10; /* memory.pressure "some avg10", percent */
};

/* ΔR_i(t) = R_i(t) - R_i(t-1); memory and pids may shrink. */
struct model_dr {
	int64_t cpu_usec, mem_bytes, pids;
};

struct model_point {
	uint64_t t_ns;
	struct model_r r;
	struct model_dr dr;
	unsigned a, c; /* A_i(t), C_i(t) */
	int da, dc;    /* ΔA_i(t), ΔC_i(t) */
};

enum model_sb_state {
	MODEL_SB_CREATING, /* being made; ready at ready_ns */
	MODEL_SB_IDLE,
	MODEL_SB_BUSY,
	MODEL_SB_FROZEN,
};

struct model_sandbox {
	uint64_t id; /* the caller's handle; actions name sandboxes by it */
	enum model_sb_state state;
	uint64_t ready_ns;	/* creation done (or expected) */
	uint64_t idle_since_ns; /* entered idle or frozen */
	uint64_t last_used_ns;	/* end of its last invocation; 0: never used */
	uint64_t mem_bytes;	/* what it holds while live */
	uint64_t caller_ns;	/* the caller's (the replay: when its invocation ends) */
	double gdsf_clock;	/* gdsf: the node's clock when it last ran (policy_decide's) */
	uint64_t uses;		/* invocations it has started */
	/* gdsf's frequency: its uses that came after the clock had moved
	 * since its previous one (uses with no eviction between them count
	 * once), and how many of uses it has looked at (policy_decide's). */
	uint64_t gdsf_freq, gdsf_seen;
	/* Its concurrency level: the in-flight count when it last finished
	 * (0: never used).  Demand takes the most recently idle sandbox, so
	 * the k-th is idle exactly while fewer than k calls run. */
	unsigned level;
	struct model_point ring[MODEL_RING];
	unsigned ring_next, ring_n;
};

/* An idle-time histogram: MODEL_HIST_BINS one-minute bins, plus the count
 * of out-of-bounds samples (longer than the range). */
struct model_hist {
	uint32_t bin[MODEL_HIST_BINS];
	uint64_t n_in, n_oob;
	double sum_sq; /* Σ bin², kept so the CV costs O(1) */
};

struct model_loghist {
	double bin[MODEL_LOG_BINS];
	double n;
	uint64_t nz; /* bit b: bin b was ever added to (a walk skips the rest) */
};

/* The idle times of one concurrency level (or a band of them, see
 * model_level_band): from the moment fewer than k calls run to the moment
 * k run again, how long the k-th sandbox waits.  keep_* is delta's memo
 * of the keep-alive it chose for them (a pure function of hist and w). */
#define MODEL_LEVEL_BANDS 13
struct model_level {
	struct model_loghist hist;
	double keep_n, keep_w;
	uint64_t keep_ns;
	/* and of the gap not seen yet past the top bin, gap_top, at gap_w:
	 * at gap_v, up to gap_end (the top bin moves seldom; a log each time) */
	double gap_top, gap_w, gap_v, gap_end;
};

/* A source's beat: the calls of one timer (an Azure app's timer function
 * among its others, a cron) come a period apart on an absolute schedule,
 * whatever calls of other sources come between.  Found when two gaps in a
 * row agree to 2 % and a second; each later call within that of a due
 * time (up to MODEL_BEAT_SKIPS periods on: a skipped firing) is on the
 * beat and moves at, any other call is off it and changes nothing.  Two
 * calls in a row on the beat that each skipped one due time double the
 * period: a timer's call and a call off it half a period later had made
 * a beat of half the timer's. */
struct model_beat {
	uint64_t last_t, gap; /* the source's last call and the gap before it */
	uint64_t period, at;  /* period 0: none; at: the last call on the beat */
	uint64_t dev;	      /* the farthest a call on the beat came from due */
	uint32_t hits;	      /* calls on the beat since it was found */
	uint32_t skipped;     /* due times passed with no call, since then */
	uint32_t second;      /* calls on the beat in a row that came a period late */
};

struct model_function {
	const char *name;
	struct model_sandbox *sb; /* owned; model_sandbox_add grows it */
	size_t n_sb, cap_sb;
	uint64_t next_id;
	uint64_t mem_per_sandbox; /* bytes a new sandbox is expected to take */
	/* Sandboxes the caller keeps whatever the policy says (the live
	 * shim's --min-warm): while the function has no more than this, none
	 * of its sandboxes is evicted for another's room. */
	unsigned floor;

	/* A = in_flight + queued.  ΔA is taken once per tick: a_tick holds A
	 * at the start of the current tick. */
	unsigned in_flight, queued;
	unsigned a_tick;
	int da;
	uint64_t tick_end_ns;

	/* Idle time (IT): from the end of the last execution to the next
	 * arrival, recorded only when nothing was in flight (Shahrad's
	 * definition, the app idle). */
	struct model_hist idle_hist, iat_hist;
	double idle_bin0_s; /* sum of the idle times in idle_hist's first bin, s */
	/* The same first minute by idle_log's bins (the last cut at a
	 * minute): count and sum of each, never decayed. */
	double sub_n[MODEL_SUB_BINS], sub_s[MODEL_SUB_BINS];
	struct model_loghist idle_log;
	uint64_t it_recent[MODEL_IT_RECENT]; /* ring of exact ITs */
	unsigned it_next, it_n;
	uint64_t it_oob_recent[4]; /* ring of out-of-bounds ITs */
	unsigned oob_next, oob_n;
	uint64_t last_arrival_ns, last_end_ns; /* 0: none yet */
	/* Wakes: arrivals to the function with nothing in flight or queued.
	 * wake_ge[k] of them had at least k + 2 calls waiting before any
	 * started (the replay's calls of one instant, a batch), wake_size the
	 * current wake's count so far.  Never decayed, as the levels' waits. */
	uint64_t wakes, wake_ge[MODEL_WAKE_MAX];
	unsigned wake_size;
	uint64_t it_total;		      /* ITs ever recorded */
	struct model_beat beats[MODEL_BEATS]; /* by source, modulo MODEL_BEATS */
	uint64_t arrivals;		      /* invocations ever arrived */

	/* The policy's memo of its window for these ITs: a cache of a pure
	 * function of it_recent, so it never changes a decision, only its cost. */
	struct {
		bool valid;
		const void *cfg;
		uint64_t it_total, mem;
		uint64_t start, end;
		double bin0_n, bin0_s; /* idle_hist's first bin then: count, sum */
		double in, idle;       /* the idle times it catches, its idle seconds */
		uint64_t beat_start;   /* a timer's beat window's start; 0: none */
	} memo;
	/* The idle times that ended while the ring beat as a timer's
	 * (memo.beat_start), and how many of them came before the beat to no
	 * idle sandbox (a spare serves one warm), with their seconds; never
	 * decayed (halved, an app with such a call every six hours swapped
	 * plans just before each, policy.c tight_or_keep). */
	double beat_n, beat_early, beat_early_s;
	/* delta's next window once the memo's has passed with no call, from
	 * the idle times longer than what has passed (plan_delta); a cache of
	 * a pure function of the same and last_end_ns. */
	struct {
		bool valid;
		uint64_t last_end, it_total, start, end;
		double in, idle;
	} next;
	/* delta's constants for its cold cost and cap at this memory size,
	 * the cold cost per GB (w) and the concurrency window: a cache of a
	 * pure function of them (their four chained divisions on every
	 * decision were a fifth of delta's replay). */
	struct {
		bool valid;
		double cost; /* the key: cold cost, cap, memory size */
		unsigned cap;
		uint64_t mem;
		double w;
		unsigned conc_minutes;
	} size_memo;

	/* Idle times per concurrency level from 2 up (allocated when the
	 * function first runs two at once): level_since[k] is when the
	 * in-flight count last fell below k (0: it is at k or has never been). */
	struct model_level *levels;
	uint64_t *level_since;
	unsigned level_cap;

	/* Peak in-flight count of each of the last MODEL_CONC_MINUTES minutes. */
	unsigned conc_peak[MODEL_CONC_MINUTES];
	uint64_t conc_minute[MODEL_CONC_MINUTES];
	/* model_function_conc_peak's cache, made on its first call in a
	 * minute: for that minute, conc_before[w] (w <= conc_before_n) is the
	 * highest peak of the w - 1 minutes before it.  A pure function of the two rings (only the
	 * minute's own slot changes until the next), so it changes no answer,
	 * only its cost: delta asks on every event. */
	bool conc_before_valid;
	uint64_t conc_before_minute;
	unsigned conc_before_n;
	unsigned conc_before[MODEL_CONC_MINUTES + 1];

	/* Sandboxes in each state, kept by the functions below once
	 * model_function_keep_counts was called (the per-app replay's, where
	 * counting by scan on every event was a tenth of the time); then every
	 * change of state goes through them or model_sandbox_set_state.  Not
	 * kept, model_function_count scans. */
	bool counts_kept;
	unsigned n_in_state[MODEL_SB_FROZEN + 1];
};

/* The host budget that R(t) leaves.  mem_budget 0 means unlimited. */
struct model_host {
	uint64_t mem_budget_bytes;
	/* The budget is a node given to the functions (--node-memory, live or
	 * replayed): memory they leave free is worth nothing to anyone else,
	 * so an idle sandbox in it costs nothing.  Without --node-memory the
	 * live shim's budget is what the host has available, shared with
	 * everything else on it: not dedicated. */
	bool dedicated;
	uint64_t mem_used_bytes; /* R_mem(t): Σ memory.current of live sandboxes */
	/* Released sandboxes whose processes have not all exited yet: counted
	 * in mem_used_bytes until they have, and freed by that, not by
	 * eviction.  With release_waits (a live node) an eviction's memory is leaving
	 * too, so the allocation it made room for holds until the victim is
	 * gone; the replay frees it at once. */
	uint64_t mem_leaving_bytes;
	bool release_waits;
	unsigned cores;
	uint64_t tick_ns;
	int64_t cpu_dr_usec; /* ΣΔR_cpu over the last tick */
	bool have_psi;
	double psi_mem_some10;
};

struct model {
	struct model_host host;
	struct model_function *fn;
	size_t n_fn;
	/* gdsf (FaasCache): the Greedy-Dual clock, raised to each evicted
	 * sandbox's priority.  The decision's own state, kept here so the live
	 * shim and the replay carry it the same way. */
	double gdsf_clock;
};

/* ---- histograms -------------------------------------------------------- */
void model_hist_add(struct model_hist *h, uint64_t v_ns);
/* The bin holding the p-th percentile (0 < p <= 100) of the in-bound
 * samples: the first bin whose cumulative count reaches p% of n_in.
 * -1 when empty. */
int model_hist_percentile_bin(const struct model_hist *h, double p);
/* Coefficient of variation of the bin counts (stddev / mean); 0 when empty. */
double model_hist_cv(const struct model_hist *h);

void model_loghist_add(struct model_loghist *h, uint64_t v_ns);
/* The bin v falls in. */
int model_loghist_bin(uint64_t v_ns);
/* Lower edge of bin b (b = MODEL_LOG_BINS: the upper edge of the last). */
uint64_t model_loghist_edge(int b);
/* Every edge (MODEL_LOG_BINS + 1 of them) in seconds, as (double)edge / 1e9:
 * for the policy's walks over the bins, which read them per decision. */
const double *model_loghist_edges_s(void);

/* ---- per sandbox ------------------------------------------------------- */
/* Append tick t: ΔR against the previous point (against zero on the first). */
void model_sandbox_push(struct model_sandbox *sb, uint64_t t_ns, const struct model_r *r,
			unsigned a, unsigned c);
/* back = 0 is the latest point; NULL past the history. */
const struct model_point *model_sandbox_at(const struct model_sandbox *sb, unsigned back);
/* The sandbox used at most max_cpu_frac of one core over its last tick, or
 * has no history yet (then the state alone says idle). */
bool model_sandbox_quiet(const struct model_sandbox *sb, double max_cpu_frac);

/* ---- per function ------------------------------------------------------ */
void model_function_init(struct model_function *f, const char *name, uint64_t mem_per_sandbox);
void model_function_fini(struct model_function *f);
/* A new sandbox in MODEL_SB_CREATING, ready at ready_ns; NULL on ENOMEM. */
struct model_sandbox *model_sandbox_add(struct model_function *f, uint64_t now_ns,
					uint64_t ready_ns);
struct model_sandbox *model_sandbox_find(struct model_function *f, uint64_t id);
/* Remove by id (order of the others is not kept); false if unknown. */
bool model_sandbox_remove(struct model_function *f, uint64_t id);

/* An invocation arrived: it queues (A rises), the IT / inter-arrival are
 * recorded. */
void model_function_arrive(struct model_function *f, uint64_t now_ns, uint64_t tick_ns);
/* The same from source src (the replay's function within its app; the
 * live shim has one, 0), whose beat it also follows (struct model_beat). */
void model_function_arrive_from(struct model_function *f, unsigned src, uint64_t now_ns,
				uint64_t tick_ns);
/* A queued invocation starts on sb (idle, frozen or just created). */
void model_function_start(struct model_function *f, struct model_sandbox *sb, uint64_t now_ns,
			  uint64_t tick_ns);
/* A queued invocation left without starting (answered with an error after
 * its sandboxes failed): A falls, no idle time is recorded. */
void model_function_drop(struct model_function *f);
/* The band of concurrency level k >= 2 in f->levels: levels 2-8 each
 * their own, then 9-12, 13-16, 17-24, 25-32, 33-64 and 65 up. */
unsigned model_level_band(unsigned k);
/* The invocation on sb ended; sb becomes idle. */
void model_function_finish(struct model_function *f, struct model_sandbox *sb, uint64_t now_ns,
			   uint64_t tick_ns);
/* Move the tick forward to now, taking ΔA at each tick boundary. */
void model_function_roll(struct model_function *f, uint64_t now_ns, uint64_t tick_ns);
/* Highest in-flight count seen in the last `minutes` minutes (<= MODEL_CONC_MINUTES).
 * Writes nothing but its cache (conc_before). */
unsigned model_function_conc_peak(struct model_function *f, uint64_t now_ns, unsigned minutes);
/* How many of the last `minutes` minutes (<= MODEL_CONC_MINUTES) had a
 * peak in-flight count of at least level. */
unsigned model_function_conc_minutes(const struct model_function *f, uint64_t now_ns,
				     unsigned minutes, unsigned level);
/* Count of sandboxes in a state. */
size_t model_function_count(const struct model_function *f, enum model_sb_state s);
/* Keep the counts from now on (see counts_kept). */
void model_function_keep_counts(struct model_function *f);
/* sb goes to state s (the counts follow when kept). */
void model_sandbox_set_state(struct model_function *f, struct model_sandbox *sb,
			     enum model_sb_state s);

/* R(t), A(t), C(t): the sums over every function's sandboxes. */
struct model_totals {
	uint64_t mem_bytes, cpu_usec, pids;
	unsigned a, c;
};
void model_totals(const struct model *m, struct model_totals *out);

#endif
