/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_node.c -- the replay of a whole node, or of K nodes splitting its
 * capacity: every application of the trace on one clock, each node's
 * memory budget shared by the apps placed there.  Each event (a completion,
 * a finished creation, a wake-up of an app on a node) asks
 * policy_decide_function for that app on that node's model, which may
 * evict idle sandboxes of any other app there, or hold the demand until
 * memory frees; an arrival first picks its node (rc->placement). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "replay.h"
#include "replay_stats.h"
#include "replay_stream.h"

#define NS    MODEL_NS_PER_S
#define NEVER UINT64_MAX

/* An app on one node: its queue there and its place on the event heap. */
struct node_app {
	struct arrival_queue pend; /* invocations waiting for a sandbox */
	uint64_t wake, key;	   /* policy's wake-up; the time it is queued under */
	uint64_t invocations, colds;
	bool held; /* its last decision held demand for memory */
};

/* An app's arrivals, placed as they come: slot K * n_app + ai on the heap. */
struct app_src {
	struct replay_stream st;
	int more; /* st has an arrival at st.buf[st.pos] */
	uint64_t key;
};

struct heap_ent {
	uint64_t t;
	size_t slot; /* k * n_app + ai: app ai on node k; past them, arrivals */
};

struct node {
	const struct policy_config *pc;
	const struct replay_config *rc;
	unsigned k_nodes;
	struct model *m;      /* one model per node */
	struct node_app *app; /* k_nodes * n_app */
	struct app_src *src;  /* n_app */
	uint64_t *placed;     /* invocations per node */
	/* Per node, bytes of sandboxes running or being created: what no
	 * eviction can free, the load placement weighs (idle sandboxes are
	 * never released by the cache-like policies, so a node's memory in
	 * use is its whole budget and says nothing of its load). */
	uint64_t *committed;
	/* Per node, bytes of sandboxes running an invocation, and the most
	 * any node's held at once: on a node with room for every call, the
	 * trace's own peak; a smaller node holds calls for memory around that
	 * peak, whatever its policy. */
	uint64_t *running, peak_running;
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

static int heap_push(struct node *n, uint64_t t, size_t slot)
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
	n->heap[i] = (struct heap_ent){t, slot};
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
	replay_stats_idle(&n->st, sb, now, n->horizon);
}

static int dispatch(struct node *n, size_t slot, uint64_t now)
{
	struct node_app *a = &n->app[slot];
	struct model_function *f = &n->m[slot / n->n_app].fn[slot % n->n_app];
	struct model_sandbox *sb;

	while (a->pend.len && (sb = replay_ready_sandbox(f))) {
		struct arrival v = arrival_queue_pop(&a->pend);

		idle_end(n, sb, now);
		model_function_start(f, sb, now, n->rc->tick_ns);
		n->committed[slot / n->n_app] += sb->mem_bytes;
		n->running[slot / n->n_app] += sb->mem_bytes;
		if (n->running[slot / n->n_app] > n->peak_running)
			n->peak_running = n->running[slot / n->n_app];
		sb->caller_ns = now + v.dur_ns;
		if (now > v.t_ns) {
			if (replay_stats_cold(&n->st, now - v.t_ns, v.busy, n->rc->cold_ns) < 0)
				return -1;
			a->colds++;
		}
	}
	return 0;
}

static int apply(struct node *n, struct model *m, const struct policy_action *act, uint64_t now)
{
	struct model_function *f = &m->fn[act->fn];
	struct model_sandbox *sb;

	switch (act->kind) {
	case POLICY_ALLOCATE:
		for (unsigned k = 0; k < act->n; k++) {
			if (!model_sandbox_add(f, now, now + n->rc->cold_ns))
				return -1;
			m->host.mem_used_bytes += f->mem_per_sandbox;
			n->committed[m - n->m] += f->mem_per_sandbox;
			n->n_live++;
		}
		return 0;
	case POLICY_RELEASE:
		sb = model_sandbox_find(f, act->sb);
		if (sb) {
			idle_end(n, sb, now);
			m->host.mem_used_bytes -= sb->mem_bytes;
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
		n->app[(size_t)(m - n->m) * n->n_app + act->fn].held = true;
		return 0;
	case POLICY_PREWARM: /* the wake-up brings the allocation */
		return 0;
	}
	return 0;
}

static int decide(struct node *n, size_t slot, uint64_t now)
{
	size_t need = 2 * n->n_live + 3 * n->n_app + 8, k;
	struct model *m = &n->m[slot / n->n_app];

	if (need > n->acts_cap) {
		struct policy_action *v = realloc(n->acts, 2 * need * sizeof(*v));

		if (!v)
			return -1;
		n->acts = v;
		n->acts_cap = 2 * need;
	}
	n->app[slot].held = false;
	k = policy_decide_function(m, n->pc, slot % n->n_app, now, n->acts, n->acts_cap,
				   &n->app[slot].wake);
	for (size_t i = 0; i < k; i++)
		if (apply(n, m, &n->acts[i], now) < 0)
			return -1;
	return dispatch(n, slot, now);
}

/* Completions and finished creations of app ai due at now. */
static void settle(struct node *n, size_t slot, uint64_t now)
{
	struct model_function *f = &n->m[slot / n->n_app].fn[slot % n->n_app];
	uint64_t *committed = &n->committed[slot / n->n_app];

	for (size_t i = 0; i < f->n_sb; i++) {
		struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns == now) {
			model_function_finish(f, sb, now, n->rc->tick_ns);
			*committed -= sb->mem_bytes;
			n->running[slot / n->n_app] -= sb->mem_bytes;
			n->freed = true;
		} else if (sb->state == MODEL_SB_CREATING && sb->ready_ns == now) {
			sb->state = MODEL_SB_IDLE;
			sb->idle_since_ns = now;
			*committed -= sb->mem_bytes;
		}
	}
}

/* The app's next event on its node: a completion, a creation, its
 * wake-up; past the horizon only while invocations still wait. */
static uint64_t next_event(const struct node *n, size_t slot)
{
	const struct node_app *a = &n->app[slot];
	const struct model_function *f = &n->m[slot / n->n_app].fn[slot % n->n_app];
	uint64_t t = a->wake;

	for (size_t i = 0; i < f->n_sb; i++) {
		const struct model_sandbox *sb = &f->sb[i];

		if (sb->state == MODEL_SB_BUSY && sb->caller_ns < t)
			t = sb->caller_ns;
		else if (sb->state == MODEL_SB_CREATING && sb->ready_ns < t)
			t = sb->ready_ns;
	}
	if (t > n->horizon && !a->pend.len && !f->in_flight)
		return NEVER;
	return t;
}

/* Queue the slot under its next event's time, unless it is queued there
 * already: one live entry per slot, so an event is never stepped twice. */
static int requeue(struct node *n, size_t slot)
{
	size_t arrivals = (size_t)n->k_nodes * n->n_app;
	uint64_t t, *key;

	if (slot >= arrivals) {
		struct app_src *src = &n->src[slot - arrivals];

		t = src->more ? src->st.buf[src->st.pos].t_ns : NEVER;
		key = &src->key;
	} else {
		t = next_event(n, slot);
		key = &n->app[slot].key;
	}
	if (t == *key)
		return 0;
	*key = t;
	return t == NEVER ? 0 : heap_push(n, t, slot);
}

static int step(struct node *n, size_t slot, uint64_t now)
{
	settle(n, slot, now);
	if (dispatch(n, slot, now) < 0 || decide(n, slot, now) < 0)
		return -1;
	return requeue(n, slot);
}

static uint64_t mem_free(const struct model *m)
{
	const struct model_host *h = &m->host;

	if (!h->mem_budget_bytes)
		return NEVER;
	return h->mem_used_bytes < h->mem_budget_bytes ? h->mem_budget_bytes - h->mem_used_bytes
						       : 0;
}

/* Room node k can make for a new sandbox: its budget less what runs or is
 * being created there; its idle sandboxes can be evicted for it. */
static uint64_t room(const struct node *n, size_t k)
{
	uint64_t budget = n->m[k].host.mem_budget_bytes;

	if (!budget)
		return NEVER;
	return budget > n->committed[k] ? budget - n->committed[k] : 0;
}

static bool has_idle(const struct model_function *f)
{
	return model_function_count(f, MODEL_SB_IDLE) + model_function_count(f, MODEL_SB_FROZEN) >
	       f->queued;
}

/* FNV-1a of the app's key: its home node. */
static size_t home_node(const struct node *n, size_t ai)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = n->m[0].fn[ai].name; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)(h % n->k_nodes);
}

static size_t place(const struct node *n, size_t ai)
{
	size_t home = home_node(n, ai), best = home;

	switch (n->rc->placement) {
	case PLACE_HASH:
		for (size_t i = 0; i < n->k_nodes; i++) {
			size_t k = (home + i) % n->k_nodes;
			const struct model_function *f = &n->m[k].fn[ai];

			if (has_idle(f) || mem_free(&n->m[k]) >= f->mem_per_sandbox)
				return k;
		}
		/* Every node full: the first whose running sandboxes leave
		 * room, evicting idle ones there (OpenWhisk's balancer counts
		 * only the memory of running activations).  Sent home
		 * regardless, a busy app whose home was all running sandboxes
		 * queued there and evicted the sandboxes of the other busy apps
		 * the moment they finished, while the other nodes held idle
		 * ones (seeds 2-4, 4 x 4 GB: 7-100x the cold starts, every
		 * policy). */
		for (size_t i = 0; i < n->k_nodes; i++) {
			size_t k = (home + i) % n->k_nodes;

			if (room(n, k) >= n->m[k].fn[ai].mem_per_sandbox)
				return k;
		}
		return home;
	case PLACE_LEAST:
		for (size_t k = 0; k < n->k_nodes; k++)
			if (n->committed[k] < n->committed[best])
				best = k;
		return best;
	case PLACE_WARM:
		for (size_t k = 0; k < n->k_nodes; k++) {
			bool w = has_idle(&n->m[k].fn[ai]), bw = has_idle(&n->m[best].fn[ai]);

			if ((w && !bw) || (w == bw && room(n, k) > room(n, best)))
				best = k;
		}
		return best;
	}
	return home;
}

/* The app's arrivals due now, each placed and queued on its node, which
 * then decides. */
static int arrive(struct node *n, size_t ai, uint64_t now)
{
	struct app_src *src = &n->src[ai];

	while (src->more && src->st.buf[src->st.pos].t_ns == now) {
		struct arrival v = src->st.buf[src->st.pos++];
		size_t k = place(n, ai), slot = k * n->n_app + ai;
		struct model_function *f = &n->m[k].fn[ai];

		settle(n, slot, now);
		v.busy = f->in_flight > 0;
		n->st.invocations++;
		n->app[slot].invocations++;
		n->placed[k]++;
		model_function_arrive_from(f, v.src, now, n->rc->tick_ns);
		if (arrival_queue_push(&n->app[slot].pend, v) < 0 || dispatch(n, slot, now) < 0 ||
		    decide(n, slot, now) < 0 || requeue(n, slot) < 0)
			return -1;
		if (src->st.pos == src->st.n && (src->more = replay_stream_fill(&src->st)) < 0)
			return -1;
	}
	return requeue(n, (size_t)n->k_nodes * n->n_app + ai);
}

/* Memory was freed: the apps whose demand was held try again, in order. */
static int retry_held(struct node *n, uint64_t now)
{
	for (size_t slot = 0; slot < (size_t)n->k_nodes * n->n_app; slot++) {
		if (!n->app[slot].held)
			continue;
		if (decide(n, slot, now) < 0 || requeue(n, slot) < 0)
			return -1;
	}
	return 0;
}

static int run_events(struct node *n)
{
	size_t arrivals = (size_t)n->k_nodes * n->n_app;
	bool any_held;

	while (n->n_heap) {
		struct heap_ent e = heap_pop(n);
		uint64_t *key =
		    e.slot >= arrivals ? &n->src[e.slot - arrivals].key : &n->app[e.slot].key;

		if (e.t != *key)
			continue; /* stale: the slot was queued again since */
		*key = NEVER;
		n->freed = false;
		if ((e.slot >= arrivals ? arrive(n, e.slot - arrivals, e.t)
					: step(n, e.slot, e.t)) < 0)
			return -1;
		any_held = false;
		for (size_t s = 0; n->freed && s < arrivals && !any_held; s++)
			any_held = n->app[s].held;
		if (any_held && retry_held(n, e.t) < 0)
			return -1;
	}
	return 0;
}

/* ---- setup and teardown ------------------------------------------------------ */

static int node_init(struct node *n, const struct trace *t, uint64_t budget)
{
	unsigned scale = n->rc->time_scale ? n->rc->time_scale : 1;
	size_t n_app = t->n_apps;

	n->app = calloc(n->k_nodes * n_app + 1, sizeof(*n->app));
	n->src = calloc(n_app + 1, sizeof(*n->src));
	n->m = calloc(n->k_nodes, sizeof(*n->m));
	n->placed = calloc(n->k_nodes, sizeof(*n->placed));
	n->committed = calloc(n->k_nodes, sizeof(*n->committed));
	n->running = calloc(n->k_nodes, sizeof(*n->running));
	if (!n->app || !n->src || !n->m || !n->placed || !n->committed || !n->running)
		return -1;
	for (unsigned k = 0; k < n->k_nodes; k++) {
		n->m[k].fn = calloc(n_app + 1, sizeof(*n->m[k].fn));
		if (!n->m[k].fn)
			return -1;
		n->m[k].host = (struct model_host){.mem_budget_bytes = budget / n->k_nodes,
						   .dedicated = budget != 0,
						   .tick_ns = n->rc->tick_ns};
	}
	for (size_t ai = 0; ai < n_app; ai++) {
		const struct trace_app *app = &t->apps[ai];
		double mb = trace_app_memory_mb(app, n->rc->default_memory_mb);
		struct app_src *src = &n->src[ai];

		for (unsigned k = 0; k < n->k_nodes; k++) {
			model_function_init(&n->m[k].fn[ai], app->key,
					    (uint64_t)(mb * 1024 * 1024));
			n->m[k].n_fn = ai + 1;
			n->app[k * n_app + ai].wake = n->app[k * n_app + ai].key = NEVER;
		}
		n->n_app = ai + 1;
		src->st =
		    (struct replay_stream){.t = t,
					   .app = app,
					   .scale = scale,
					   .random = n->rc->within == WITHIN_RANDOM,
					   .cur = calloc(app->n_fns + 1, sizeof(size_t)),
					   .dur_ns = calloc(app->n_fns + 1, sizeof(uint64_t))};
		src->key = NEVER;
		if (!src->st.cur || !src->st.dur_ns)
			return -1;
		for (size_t i = 0; i < app->n_fns; i++)
			src->st.dur_ns[i] = (uint64_t)llround(trace_function_duration_ms(
								  &t->fns[app->fns[i]],
								  n->rc->default_duration_ms) *
							      1e6) /
					    scale;
		if ((src->more = replay_stream_fill(&src->st)) < 0)
			return -1;
	}
	/* Slots are numbered with the final n_app: queue the arrivals now. */
	for (size_t ai = 0; ai < n->n_app; ai++)
		if (requeue(n, (size_t)n->k_nodes * n->n_app + ai) < 0)
			return -1;
	return 0;
}

static void node_fini(struct node *n)
{
	for (size_t ai = 0; n->src && ai < n->n_app; ai++) {
		free(n->src[ai].st.cur);
		free(n->src[ai].st.dur_ns);
		replay_stream_free(&n->src[ai].st);
	}
	for (size_t s = 0; n->app && s < (size_t)n->k_nodes * n->n_app; s++)
		arrival_queue_free(&n->app[s].pend);
	for (unsigned k = 0; n->m && k < n->k_nodes; k++) {
		for (size_t ai = 0; n->m[k].fn && ai < n->n_app; ai++)
			model_function_fini(&n->m[k].fn[ai]);
		free(n->m[k].fn);
	}
	free(n->m);
	free(n->app);
	free(n->src);
	free(n->placed);
	free(n->committed);
	free(n->running);
	free(n->heap);
	free(n->acts);
	replay_stats_free(&n->st);
}

static int node_finish(struct node *n)
{
	for (size_t ai = 0; ai < n->n_app; ai++) {
		uint64_t inv = 0, colds = 0;

		for (unsigned k = 0; k < n->k_nodes; k++) {
			struct model_function *f = &n->m[k].fn[ai];

			for (size_t i = 0; i < f->n_sb; i++)
				if (f->sb[i].state == MODEL_SB_IDLE ||
				    f->sb[i].state == MODEL_SB_FROZEN)
					idle_end(n, &f->sb[i], n->horizon);
			inv += n->app[k * n->n_app + ai].invocations;
			colds += n->app[k * n->n_app + ai].colds;
		}
		if (replay_stats_app(&n->st, inv, colds) < 0)
			return -1;
	}
	return 0;
}

/* The busiest node's invocations over the mean node's. */
static double imbalance(const struct node *n)
{
	uint64_t max = 0, sum = 0;

	for (unsigned k = 0; k < n->k_nodes; k++) {
		sum += n->placed[k];
		max = n->placed[k] > max ? n->placed[k] : max;
	}
	return sum ? (double)max * n->k_nodes / (double)sum : 1.0;
}

int replay_run_node(const struct trace *t, const struct policy_config *pc,
		    const struct replay_config *rc, uint64_t mem_budget, struct replay_result *out,
		    struct slx_err *err)
{
	struct node n = {.pc = pc,
			 .rc = rc,
			 .k_nodes = rc->nodes ? rc->nodes : 1,
			 .horizon = (uint64_t)t->days * TRACE_MINUTES * 60 * NS /
				    (rc->time_scale ? rc->time_scale : 1)};
	int r = 0;

	if (node_init(&n, t, mem_budget) < 0 || run_events(&n) < 0 || node_finish(&n) < 0)
		r = -1;
	if (r == 0) {
		replay_stats_result(&n.st, pc->name, out);
		out->imbalance = imbalance(&n);
		out->peak_running_gb = (double)n.peak_running / (1u << 30);
	}
	node_fini(&n);
	if (r < 0)
		return slx_error(err, ENOMEM, "replay %s on a node", pc->name);
	return 0;
}
