/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.c -- the discrete-event replay: per application, arrivals from the
 * trace, completions, creations and the policy's wake-ups in time order;
 * every event updates the model and asks policy_decide what to do. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "replay.h"
#include "replay_stats.h"
#include "replay_stream.h"

#define NS    MODEL_NS_PER_S
#define NEVER UINT64_MAX

void replay_config_default(struct replay_config *rc)
{
	*rc = (struct replay_config){
	    .cold_ns = 5000000,
	    .default_duration_ms = 1000,
	    .default_memory_mb = 128,
	    .tick_ns = NS,
	    .time_scale = 1,
	    .nodes = 1,
	    .placement = PLACE_HASH,
	};
}

int replay_placement_parse(const char *s, enum replay_placement *out, struct slx_err *err)
{
	static const char *const names[] = {
	    [PLACE_HASH] = "hash", [PLACE_LEAST] = "least", [PLACE_WARM] = "warm"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum replay_placement)i;
			return 0;
		}
	return slx_error(err, 0, "unknown placement \"%s\" (hash, least, warm)", s);
}

int replay_within_parse(const char *s, enum replay_within *out, struct slx_err *err)
{
	if (!strcmp(s, "even"))
		*out = WITHIN_EVEN;
	else if (!strcmp(s, "random"))
		*out = WITHIN_RANDOM;
	else
		return slx_error(err, 0, "--within-minute \"%s\": expected even or random", s);
	return 0;
}

void replay_policy_time_scale(struct policy_config *pc, unsigned n)
{
	if (n <= 1)
		return;
	pc->keep_alive_ns /= n;
	pc->freeze_grace_ns /= n;
	pc->min_unload_ns /= n;
	pc->timer_unload_ns /= n;
	pc->surplus_grace_ns /= n;
	pc->spare_min_idle_ns /= n;
	pc->ramp_min_worth_s /= n;
	pc->cold_cost_gb_s /= n;
	if (pc->conc_minutes)
		pc->conc_minutes = (pc->conc_minutes + n - 1) / n;
}

/* ---- the simulation of one app ---------------------------------------------- */

struct sim {
	const struct policy_config *pc;
	const struct replay_config *rc;
	struct model_function f;
	struct model m;
	struct policy_action *acts;
	size_t acts_cap;
	uint64_t wake, horizon;
	/* The earliest completion or finished creation (NEVER: none), kept as
	 * sandboxes start and are made, so an event finds the next one without
	 * a scan; int_dirty when an action took one away (then it is rescanned). */
	uint64_t next_int;
	bool int_dirty;
	struct arrival_queue pend; /* invocations waiting for a sandbox */
	struct replay_stats st;
};

static void idle_end(struct sim *s, const struct model_sandbox *sb, uint64_t now)
{
	replay_stats_idle(&s->st, sb, now, s->horizon);
}

static void internal_at(struct sim *s, uint64_t t)
{
	if (t < s->next_int)
		s->next_int = t;
}

static bool is_internal(const struct model_sandbox *sb)
{
	return sb->state == MODEL_SB_BUSY || sb->state == MODEL_SB_CREATING;
}

/* When sb's next event is due (it has one only if is_internal). */
static uint64_t internal_due(const struct model_sandbox *sb)
{
	return sb->state == MODEL_SB_BUSY ? sb->caller_ns : sb->ready_ns;
}

static uint64_t internal_first(const struct sim *s)
{
	uint64_t t = NEVER;

	for (size_t i = 0; i < s->f.n_sb; i++)
		if (is_internal(&s->f.sb[i]) && internal_due(&s->f.sb[i]) < t)
			t = internal_due(&s->f.sb[i]);
	return t;
}

static int dispatch(struct sim *s, uint64_t now)
{
	struct model_sandbox *sb;

	while (s->pend.len && (sb = replay_ready_sandbox(&s->f))) {
		struct arrival a = arrival_queue_pop(&s->pend);

		idle_end(s, sb, now);
		model_function_start(&s->f, sb, now, s->rc->tick_ns);
		sb->caller_ns = now + a.dur_ns;
		internal_at(s, sb->caller_ns);
		if (now > a.t_ns &&
		    replay_stats_cold(&s->st, now - a.t_ns, a.busy, s->rc->cold_ns) < 0)
			return -1;
	}
	return 0;
}

static int apply(struct sim *s, const struct policy_action *a, uint64_t now)
{
	struct model_sandbox *sb;

	switch (a->kind) {
	case POLICY_ALLOCATE:
		for (unsigned k = 0; k < a->n; k++)
			if (!model_sandbox_add(&s->f, now, now + s->rc->cold_ns))
				return -1;
		internal_at(s, now + s->rc->cold_ns);
		return 0;
	case POLICY_RELEASE:
		sb = model_sandbox_find(&s->f, a->sb);
		if (sb) {
			s->int_dirty |= is_internal(sb);
			idle_end(s, sb, now);
			model_sandbox_remove(&s->f, a->sb);
		}
		return 0;
	case POLICY_FREEZE:
	case POLICY_THAW:
		sb = model_sandbox_find(&s->f, a->sb);
		if (sb) { /* idle accounting runs on: freezing frees no memory */
			s->int_dirty |= is_internal(sb);
			model_sandbox_set_state(
			    &s->f, sb, a->kind == POLICY_FREEZE ? MODEL_SB_FROZEN : MODEL_SB_IDLE);
		}
		return 0;
	case POLICY_PREWARM: /* the wake-up brings the allocation */
	case POLICY_HOLD:    /* unlimited host: never returned */
		return 0;
	}
	return 0;
}

static int decide(struct sim *s, uint64_t now)
{
	size_t need = policy_actions_max(&s->m), n;

	if (need > s->acts_cap) {
		struct policy_action *v = realloc(s->acts, need * sizeof(*v));

		if (!v)
			return -1;
		s->acts = v;
		s->acts_cap = need;
	}
	n = policy_decide(&s->m, s->pc, now, s->acts, s->acts_cap, &s->wake);
	for (size_t i = 0; i < n; i++)
		if (apply(s, &s->acts[i], now) < 0)
			return -1;
	if (s->int_dirty) {
		s->next_int = internal_first(s);
		s->int_dirty = false;
	}
	return dispatch(s, now);
}

/* Completions and finished creations due at now (none before next_int),
 * and the next one after them. */
static void settle(struct sim *s, uint64_t now)
{
	uint64_t next = NEVER;

	if (now != s->next_int)
		return;
	for (size_t i = 0; i < s->f.n_sb; i++) {
		struct model_sandbox *sb = &s->f.sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns == now) {
			model_function_finish(&s->f, sb, now, s->rc->tick_ns);
		} else if (sb->state == MODEL_SB_CREATING && sb->ready_ns == now) {
			model_sandbox_set_state(&s->f, sb, MODEL_SB_IDLE);
			sb->idle_since_ns = now;
		} else if (is_internal(sb) && internal_due(sb) < next) {
			next = internal_due(sb);
		}
	}
	s->next_int = next;
}

static int sim_step(struct sim *s, struct replay_stream *st, uint64_t now, uint64_t t_arr)
{
	settle(s, now);
	while (t_arr == now) {
		struct arrival a = st->buf[st->pos++];

		a.busy = s->f.in_flight > 0;
		s->st.invocations++;
		model_function_arrive_from(&s->f, a.src, now, s->rc->tick_ns);
		if (arrival_queue_push(&s->pend, a) < 0)
			return -1;
		if (st->pos == st->n) {
			int r = replay_stream_fill(st);

			if (r < 0)
				return -1;
			if (!r)
				break;
		}
		t_arr = st->buf[st->pos].t_ns;
	}
	if (dispatch(s, now) < 0)
		return -1;
	return decide(s, now);
}

static int sim_app(struct sim *s, struct replay_stream *st)
{
	int more = replay_stream_fill(st);

	while (more >= 0) {
		uint64_t t_arr = more ? st->buf[st->pos].t_ns : NEVER;
		uint64_t t_int = s->wake < s->next_int ? s->wake : s->next_int;
		uint64_t now = t_arr < t_int ? t_arr : t_int;

		if (now == NEVER || (now > s->horizon && !s->pend.len))
			break;
		if (sim_step(s, st, now, t_arr) < 0)
			return -1;
		more = st->pos < st->n ? 1 : replay_stream_fill(st);
	}
	if (more < 0)
		return -1;
	for (size_t i = 0; i < s->f.n_sb; i++)
		if (s->f.sb[i].state == MODEL_SB_IDLE || s->f.sb[i].state == MODEL_SB_FROZEN)
			idle_end(s, &s->f.sb[i], s->horizon);
	return 0;
}

/* ---- the whole trace ------------------------------------------------------ */

static int run_app(struct sim *s, const struct trace *t, size_t ai)
{
	const struct trace_app *app = &t->apps[ai];
	cleanup_free size_t *cur = calloc(app->n_fns + 1, sizeof(size_t));
	cleanup_free uint64_t *dur = calloc(app->n_fns + 1, sizeof(uint64_t));
	unsigned scale = s->rc->time_scale ? s->rc->time_scale : 1;
	struct replay_stream st = {.t = t,
				   .app = app,
				   .cur = cur,
				   .dur_ns = dur,
				   .scale = scale,
				   .random = s->rc->within == WITHIN_RANDOM};
	double mb = trace_app_memory_mb(app, s->rc->default_memory_mb);
	uint64_t inv0, cold0;
	int r;

	if (!cur || !dur)
		return -1;
	for (size_t i = 0; i < app->n_fns; i++)
		dur[i] = (uint64_t)llround(trace_function_duration_ms(&t->fns[app->fns[i]],
								      s->rc->default_duration_ms) *
					   1e6) /
			 scale;
	model_function_init(&s->f, app->key, (uint64_t)(mb * 1024 * 1024));
	model_function_keep_counts(&s->f);
	s->m = (struct model){.fn = &s->f, .n_fn = 1, .host = {.tick_ns = s->rc->tick_ns}};
	s->wake = s->next_int = NEVER;
	s->int_dirty = false;
	s->pend.head = s->pend.len = 0;
	inv0 = s->st.invocations;
	cold0 = s->st.colds;
	r = sim_app(s, &st);
	if (r == 0)
		r = replay_stats_app(&s->st, s->st.invocations - inv0, s->st.colds - cold0);
	model_function_fini(&s->f);
	replay_stream_free(&st);
	return r;
}

/* The apps are independent without a budget: threads take them from a
 * shared counter, each with its own sim and stats, and the stats merge into
 * the same totals whichever thread ran which app (replay_stats_merge).  The
 * busiest apps go first, so no thread is left with a long one at the end. */
struct app_queue {
	const struct trace *t;
	const size_t *order; /* app indices, most invocations first */
	atomic_size_t next;
	atomic_bool failed;
};

struct worker {
	struct app_queue *q;
	struct sim s;
	pthread_t tid;
	int r;
} __attribute__((aligned(64))); /* no false sharing of the stats */

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct app_queue *q = w->q;

	for (;;) {
		size_t k = atomic_fetch_add_explicit(&q->next, 1, memory_order_relaxed);

		if (k >= q->t->n_apps || atomic_load_explicit(&q->failed, memory_order_relaxed))
			break;
		if (run_app(&w->s, q->t, q->order[k]) < 0) {
			w->r = -1;
			atomic_store_explicit(&q->failed, true, memory_order_relaxed);
			break;
		}
	}
	return NULL;
}

static uint64_t app_invocations(const struct trace *t, size_t ai)
{
	const struct trace_app *app = &t->apps[ai];
	uint64_t n = 0;

	for (size_t i = 0; i < app->n_fns; i++) {
		const struct trace_function *f = &t->fns[app->fns[i]];

		for (size_t m = 0; m < f->n_min; m++)
			n += f->min[m].count;
	}
	return n;
}

struct app_cost {
	uint64_t n;
	size_t ai;
};

static int cmp_cost_desc(const void *a, const void *b)
{
	const struct app_cost *x = a, *y = b;

	if (x->n != y->n)
		return (x->n < y->n) - (x->n > y->n);
	return (x->ai > y->ai) - (x->ai < y->ai);
}

static size_t *busiest_first(const struct trace *t)
{
	cleanup_free struct app_cost *c = calloc(t->n_apps + 1, sizeof(*c));
	size_t *order = calloc(t->n_apps + 1, sizeof(*order));

	if (!c || !order) {
		free(order);
		return NULL;
	}
	for (size_t ai = 0; ai < t->n_apps; ai++)
		c[ai] = (struct app_cost){app_invocations(t, ai), ai};
	qsort(c, t->n_apps, sizeof(*c), cmp_cost_desc);
	for (size_t k = 0; k < t->n_apps; k++)
		order[k] = c[k].ai;
	return order;
}

static void worker_fini(struct worker *w)
{
	free(w->s.acts);
	arrival_queue_free(&w->s.pend);
	replay_stats_free(&w->s.st);
}

static int run_workers(struct worker *w, size_t n, struct replay_stats *total)
{
	size_t started = 1;
	int r = 0;

	/* A thread that cannot start leaves its share to the others. */
	while (started < n && pthread_create(&w[started].tid, NULL, worker_run, &w[started]) == 0)
		started++;
	worker_run(&w[0]);
	for (size_t i = 1; i < started; i++)
		pthread_join(w[i].tid, NULL);
	for (size_t i = 0; i < started; i++)
		if (w[i].r < 0 || replay_stats_merge(total, &w[i].s.st) < 0)
			r = -1;
	return r;
}

int replay_run(const struct trace *t, const struct policy_config *pc,
	       const struct replay_config *rc, struct replay_result *out, struct slx_err *err)
{
	size_t n = rc->jobs > 1 ? rc->jobs : 1;
	cleanup_free size_t *order = busiest_first(t);
	struct app_queue q = {.t = t, .order = order};
	struct replay_stats total = {0};
	struct worker *w;
	int r = -1;

	if (n > t->n_apps)
		n = t->n_apps ? t->n_apps : 1;
	w = aligned_alloc(_Alignof(struct worker), n * sizeof(*w));
	if (order && w) {
		for (size_t i = 0; i < n; i++)
			w[i] = (struct worker){
			    .q = &q,
			    .s = {.pc = pc,
				  .rc = rc,
				  .horizon = (uint64_t)t->days * TRACE_MINUTES * 60 * NS /
					     (rc->time_scale ? rc->time_scale : 1)},
			};
		r = run_workers(w, n, &total);
		for (size_t i = 0; i < n; i++)
			worker_fini(&w[i]);
	}
	free(w);
	if (r == 0)
		replay_stats_result(&total, pc->name, out);
	replay_stats_free(&total);
	if (r < 0)
		return slx_error(err, ENOMEM, "replay %s", pc->name);
	return 0;
}
