/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_node.c -- the replay of a whole node: every application of the
 * trace on one clock, sharing one memory budget.  Each event (an arrival,
 * a completion, a finished creation, a wake-up) asks
 * policy_decide_function for its application, which may evict idle
 * sandboxes of any other to make room, or hold the demand until memory
 * frees. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "replay.h"
#include "replay_stats.h"
#include "replay_stream.h"

#define NS MODEL_NS_PER_S
#define NEVER UINT64_MAX
#define GIB (1024.0 * 1024.0 * 1024.0)

struct node_app {
	struct replay_stream st;
	int more; /* st has an arrival at st.buf[st.pos] */
	struct arrival *pend; /* FIFO of invocations waiting for a sandbox */
	size_t p_head, p_len, p_cap;
	uint64_t wake, key; /* policy's wake-up; the time it is queued under */
	uint64_t invocations, colds;
	bool held; /* its last decision held demand for memory */
};

struct heap_ent {
	uint64_t t;
	size_t app;
};

struct node {
	const struct policy_config *pc;
	const struct replay_config *rc;
	struct model m;
	struct node_app *app;
	size_t n_app;
	struct heap_ent *heap;
	size_t n_heap, cap_heap;
	struct policy_action *acts;
	size_t acts_cap, n_live;
	uint64_t horizon;
	bool freed; /* a sandbox went idle or was released this step */
	struct replay_stats st;
};

/* ---- the event heap: one live entry per app (key), stale ones skipped ---- */

static int heap_push(struct node *n, uint64_t t, size_t a)
{
	size_t i;

	if (n->n_heap == n->cap_heap) {
		size_t cap = n->cap_heap ? n->cap_heap * 2 : 256;
		struct heap_ent *v = realloc(n->heap, cap * sizeof(*v));

		if (!v)
			return -1;
		n->heap = v;
		n->cap_heap = cap;
	}
	i = n->n_heap++;
	while (i && n->heap[(i - 1) / 2].t > t) {
		n->heap[i] = n->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	n->heap[i] = (struct heap_ent){ t, a };
	return 0;
}

static struct heap_ent heap_pop(struct node *n)
{
	struct heap_ent top = n->heap[0], last = n->heap[--n->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n->n_heap)
			break;
		if (c + 1 < n->n_heap && n->heap[c + 1].t < n->heap[c].t)
			c++;
		if (n->heap[c].t >= last.t)
			break;
		n->heap[i] = n->heap[c];
		i = c;
	}
	if (n->n_heap)
		n->heap[i] = last;
	return top;
}

/* ---- one app's events ------------------------------------------------------ */

static void idle_end(struct node *n, const struct model_sandbox *sb, uint64_t now)
{
	uint64_t end = now < n->horizon ? now : n->horizon;

	if (end > sb->idle_since_ns)
		n->st.idle_gb_s += (double)(end - sb->idle_since_ns) / NS *
				   (double)sb->mem_bytes / GIB;
}

static int push_pending(struct node_app *a, struct arrival v)
{
	if (a->p_len == a->p_cap) {
		size_t cap = a->p_cap ? a->p_cap * 2 : 16;
		struct arrival *p = malloc(cap * sizeof(*p));

		if (!p)
			return -1;
		for (size_t i = 0; i < a->p_len; i++)
			p[i] = a->pend[(a->p_head + i) % a->p_cap];
		free(a->pend);
		a->pend = p;
		a->p_cap = cap;
		a->p_head = 0;
	}
	a->pend[(a->p_head + a->p_len++) % a->p_cap] = v;
	return 0;
}

/* The most recently idle sandbox, frozen ones only when none is idle. */
static struct model_sandbox *ready_sandbox(struct model_function *f)
{
	struct model_sandbox *best = NULL;

	for (size_t i = 0; i < f->n_sb; i++) {
		struct model_sandbox *sb = &f->sb[i];

		if (sb->state != MODEL_SB_IDLE && sb->state != MODEL_SB_FROZEN)
			continue;
		if (!best || (best->state == MODEL_SB_FROZEN && sb->state == MODEL_SB_IDLE) ||
		    (best->state == sb->state && sb->idle_since_ns > best->idle_since_ns))
			best = sb;
	}
	return best;
}

static int dispatch(struct node *n, size_t ai, uint64_t now)
{
	struct node_app *a = &n->app[ai];
	struct model_function *f = &n->m.fn[ai];
	struct model_sandbox *sb;

	while (a->p_len && (sb = ready_sandbox(f))) {
		struct arrival v = a->pend[a->p_head];

		a->p_head = (a->p_head + 1) % a->p_cap;
		a->p_len--;
		idle_end(n, sb, now);
		model_function_start(f, sb, now, n->rc->tick_ns);
		sb->caller_ns = now + v.dur_ns;
		if (now > v.t_ns) {
			if (replay_stats_cold(&n->st, now - v.t_ns, v.busy) < 0)
				return -1;
			a->colds++;
		}
	}
	return 0;
}

static int apply(struct node *n, const struct policy_action *act, uint64_t now)
{
	struct model_function *f = &n->m.fn[act->fn];
	struct model_sandbox *sb;

	switch (act->kind) {
	case POLICY_ALLOCATE:
		for (unsigned k = 0; k < act->n; k++) {
			if (!model_sandbox_add(f, now, now + n->rc->cold_ns))
				return -1;
			n->m.host.mem_used_bytes += f->mem_per_sandbox;
			n->n_live++;
		}
		return 0;
	case POLICY_RELEASE:
		sb = model_sandbox_find(f, act->sb);
		if (sb) {
			idle_end(n, sb, now);
			n->m.host.mem_used_bytes -= sb->mem_bytes;
			n->n_live--;
			n->st.evictions += act->evict;
			n->freed = true;
			model_sandbox_remove(f, act->sb);
		}
		return 0;
	case POLICY_FREEZE:
	case POLICY_THAW:
		sb = model_sandbox_find(f, act->sb);
		if (sb) /* idle accounting runs on: freezing frees no memory */
			sb->state = act->kind == POLICY_FREEZE ? MODEL_SB_FROZEN : MODEL_SB_IDLE;
		return 0;
	case POLICY_HOLD:
		n->app[act->fn].held = true;
		return 0;
	case POLICY_PREWARM: /* the wake-up brings the allocation */
		return 0;
	}
	return 0;
}

static int decide(struct node *n, size_t ai, uint64_t now)
{
	size_t need = 2 * n->n_live + 3 * n->n_app + 8, k;

	if (need > n->acts_cap) {
		struct policy_action *v = realloc(n->acts, 2 * need * sizeof(*v));

		if (!v)
			return -1;
		n->acts = v;
		n->acts_cap = 2 * need;
	}
	n->app[ai].held = false;
	k = policy_decide_function(&n->m, n->pc, ai, now, n->acts, n->acts_cap,
				   &n->app[ai].wake);
	for (size_t i = 0; i < k; i++)
		if (apply(n, &n->acts[i], now) < 0)
			return -1;
	return dispatch(n, ai, now);
}

/* Completions and finished creations of app ai due at now. */
static void settle(struct node *n, size_t ai, uint64_t now)
{
	struct model_function *f = &n->m.fn[ai];

	for (size_t i = 0; i < f->n_sb; i++) {
		struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns == now) {
			model_function_finish(f, sb, now, n->rc->tick_ns);
			n->freed = true;
		} else if (sb->state == MODEL_SB_CREATING && sb->ready_ns == now) {
			sb->state = MODEL_SB_IDLE;
			sb->idle_since_ns = now;
		}
	}
}

/* The app's next event: an arrival, a completion, a creation, its wake-up;
 * past the horizon only while invocations still wait. */
static uint64_t next_event(const struct node *n, size_t ai)
{
	const struct node_app *a = &n->app[ai];
	const struct model_function *f = &n->m.fn[ai];
	uint64_t t = a->wake;

	if (a->more && a->st.buf[a->st.pos].t_ns < t)
		t = a->st.buf[a->st.pos].t_ns;
	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns < t)
			t = sb->caller_ns;
		else if (sb->state == MODEL_SB_CREATING && sb->ready_ns < t)
			t = sb->ready_ns;
	}
	if (t > n->horizon && !a->p_len && !f->in_flight)
		return NEVER;
	return t;
}

/* Queue the app under its next event's time, unless it is queued there
 * already: one live entry per app, so an event is never stepped twice. */
static int requeue(struct node *n, size_t ai)
{
	uint64_t t = next_event(n, ai);

	if (t == n->app[ai].key)
		return 0;
	n->app[ai].key = t;
	return t == NEVER ? 0 : heap_push(n, t, ai);
}

static int step(struct node *n, size_t ai, uint64_t now)
{
	struct node_app *a = &n->app[ai];
	struct model_function *f = &n->m.fn[ai];

	settle(n, ai, now);
	while (a->more && a->st.buf[a->st.pos].t_ns == now) {
		struct arrival v = a->st.buf[a->st.pos++];

		v.busy = f->in_flight > 0;
		n->st.invocations++;
		a->invocations++;
		model_function_arrive(f, now, n->rc->tick_ns);
		if (push_pending(a, v) < 0)
			return -1;
		if (a->st.pos == a->st.n && (a->more = replay_stream_fill(&a->st)) < 0)
			return -1;
	}
	if (dispatch(n, ai, now) < 0 || decide(n, ai, now) < 0)
		return -1;
	return requeue(n, ai);
}

/* Memory was freed: the apps whose demand was held try again, in order. */
static int retry_held(struct node *n, uint64_t now)
{
	for (size_t ai = 0; ai < n->n_app; ai++) {
		if (!n->app[ai].held)
			continue;
		if (decide(n, ai, now) < 0 || requeue(n, ai) < 0)
			return -1;
	}
	return 0;
}

static int run_events(struct node *n)
{
	bool any_held;

	while (n->n_heap) {
		struct heap_ent e = heap_pop(n);

		if (e.t != n->app[e.app].key)
			continue; /* stale: the app was queued again since */
		n->app[e.app].key = NEVER;
		n->freed = false;
		if (step(n, e.app, e.t) < 0)
			return -1;
		any_held = false;
		for (size_t ai = 0; n->freed && ai < n->n_app && !any_held; ai++)
			any_held = n->app[ai].held;
		if (any_held && retry_held(n, e.t) < 0)
			return -1;
	}
	return 0;
}

/* ---- setup and teardown ------------------------------------------------------ */

static int node_init(struct node *n, const struct trace *t, uint64_t budget)
{
	unsigned scale = n->rc->time_scale ? n->rc->time_scale : 1;

	n->app = calloc(t->n_apps + 1, sizeof(*n->app));
	n->m.fn = calloc(t->n_apps + 1, sizeof(*n->m.fn));
	if (!n->app || !n->m.fn)
		return -1;
	n->m.host = (struct model_host){ .mem_budget_bytes = budget,
					 .tick_ns = n->rc->tick_ns };
	for (size_t ai = 0; ai < t->n_apps; ai++) {
		const struct trace_app *app = &t->apps[ai];
		struct node_app *a = &n->app[ai];
		double mb = trace_app_memory_mb(app, n->rc->default_memory_mb);

		model_function_init(&n->m.fn[ai], app->key, (uint64_t)(mb * 1024 * 1024));
		n->m.n_fn = n->n_app = ai + 1;
		a->st = (struct replay_stream){ .t = t, .app = app, .scale = scale,
						.cur = calloc(app->n_fns + 1, sizeof(size_t)),
						.dur_ns = calloc(app->n_fns + 1, sizeof(uint64_t)) };
		a->wake = a->key = NEVER;
		if (!a->st.cur || !a->st.dur_ns)
			return -1;
		for (size_t i = 0; i < app->n_fns; i++)
			a->st.dur_ns[i] = (uint64_t)llround(trace_function_duration_ms(
						  &t->fns[app->fns[i]], n->rc->default_duration_ms) *
					  1e6) / scale;
		if ((a->more = replay_stream_fill(&a->st)) < 0 || requeue(n, ai) < 0)
			return -1;
	}
	return 0;
}

static void node_fini(struct node *n)
{
	for (size_t ai = 0; ai < n->n_app; ai++) {
		free(n->app[ai].st.cur);
		free(n->app[ai].st.dur_ns);
		free(n->app[ai].st.buf);
		free(n->app[ai].pend);
		model_function_fini(&n->m.fn[ai]);
	}
	free(n->app);
	free(n->m.fn);
	free(n->heap);
	free(n->acts);
	replay_stats_free(&n->st);
}

static int node_finish(struct node *n)
{
	for (size_t ai = 0; ai < n->n_app; ai++) {
		struct model_function *f = &n->m.fn[ai];

		for (size_t i = 0; i < f->n_sb; i++)
			if (f->sb[i].state == MODEL_SB_IDLE || f->sb[i].state == MODEL_SB_FROZEN)
				idle_end(n, &f->sb[i], n->horizon);
		if (replay_stats_app(&n->st, n->app[ai].invocations, n->app[ai].colds) < 0)
			return -1;
	}
	return 0;
}

int replay_run_node(const struct trace *t, const struct policy_config *pc,
		    const struct replay_config *rc, uint64_t mem_budget,
		    struct replay_result *out, struct slx_err *err)
{
	struct node n = { .pc = pc, .rc = rc,
			  .horizon = (uint64_t)t->days * TRACE_MINUTES * 60 * NS /
				     (rc->time_scale ? rc->time_scale : 1) };
	int r = 0;

	if (node_init(&n, t, mem_budget) < 0 || run_events(&n) < 0 || node_finish(&n) < 0)
		r = -1;
	if (r == 0)
		replay_stats_result(&n.st, pc->name, out);
	node_fini(&n);
	if (r < 0)
		return slx_error(err, ENOMEM, "replay %s on a node", pc->name);
	return 0;
}
