/* SPDX-License-Identifier: GPL-2.0-or-later */
/* actions.c -- the policy's decisions carried out on the live pool: ask
 * policy_decide about the model each turn, then allocate, freeze, thaw and
 * release; --min-warm is a floor the pool keeps (per function), which the
 * policy knows as model_function.floor and never evicts below. */
#include <stdlib.h>

#include "serve.h"

/* Creation for no waiting request (pre-warm, reserve, min-warm) waits out a
 * failed creation and stops with the shutdown. */
static bool may_create_warm(const struct serve *s, const struct serve_fn *f, uint64_t now)
{
	return now >= f->create_retry_ns && !s->stopping;
}

static void act_allocate(struct serve *s, const struct policy_action *a, uint64_t now)
{
	struct serve_fn *f = &s->fns[a->fn];

	if (!f->pool.q_len && !may_create_warm(s, f, now))
		return;
	for (unsigned k = 0; k < a->n; k++)
		if (!pool_slot_add(&f->pool, now, now + s->policy.create_ns))
			return; /* at --max: the rest stay queued */
}

static void act_freeze(struct serve *s, const struct policy_action *a, uint64_t now)
{
	struct serve_fn *f = &s->fns[a->fn];
	struct pool_slot *slot = pool_slot_by_model(&f->pool, a->sb);
	bool frozen = a->kind == POLICY_FREEZE;
	struct slx_err err;

	(void)now;
	if (!slot || slot->state != (frozen ? POOL_IDLE : POOL_FROZEN))
		return;
	if (shim_sandbox_freeze(slot->sb, frozen, &err) == 0)
		pool_slot_freeze(&f->pool, slot, frozen);
	else
		serve_slot_release(s, slot);
}

static void act_release(struct serve *s, const struct policy_action *a, uint64_t now)
{
	struct serve_fn *f = &s->fns[a->fn];
	struct pool_slot *slot = pool_slot_by_model(&f->pool, a->sb);

	(void)now;
	/* the pool keeps --min-warm whatever the plan says (and the policy
	 * evicts none below it: model_function.floor) */
	if (!slot || !(slot->state == POOL_IDLE || slot->state == POOL_FROZEN) ||
	    f->pool.n <= f->pool.cfg.min_warm)
		return;
	serve_slot_release(s, slot);
	/* The call this made room for waits until the victim is gone (a dying
	 * one's pidfd wakes the loop; one reaped at once woke nothing): look
	 * again now, not at the next tick. */
	if (a->evict) {
		f->m.evictions++;
		s->kick = true;
	}
}

/* PREWARM is the plan (the wake-up brings its ALLOCATE); HOLD keeps the
 * requests queued, which they are. */
static void act_nothing(struct serve *s, const struct policy_action *a, uint64_t now)
{
	(void)s;
	(void)a;
	(void)now;
}

static void (*const act_fns[])(struct serve *, const struct policy_action *, uint64_t) = {
    [POLICY_ALLOCATE] = act_allocate, [POLICY_PREWARM] = act_nothing, [POLICY_THAW] = act_freeze,
    [POLICY_FREEZE] = act_freeze,     [POLICY_RELEASE] = act_release, [POLICY_HOLD] = act_nothing,
};

/* On a node the budget counts what the sandboxes reserve, creating and
 * dying ones included, as of now (the tick's figure is older than this turn's
 * allocations and releases). */
static void node_used(struct serve *s)
{
	if (s->node.budget)
		serve_node_reserved(s, &s->model.host.mem_used_bytes,
				    &s->model.host.mem_leaving_bytes);
}

/* --min-warm refills only into what the node's budget leaves, sandboxes
 * on their way out counted (made at once, the refills of a pool whose
 * sandboxes were released together took the node past its budget until
 * those were gone: an attacker's read).  The startup check makes the
 * budget hold every function's --min-warm. */
static bool node_room_for(struct serve *s, const struct serve_fn *f)
{
	uint64_t used, leaving;

	if (!s->node.budget)
		return true;
	serve_node_reserved(s, &used, &leaving);
	return used + f->pool.fn->mem_per_sandbox <= s->node.budget;
}

/* Ask the policy about the model as it stands and carry the answer out. */
void serve_apply_decisions(struct serve *s, uint64_t now)
{
	size_t need = policy_actions_max(&s->model), n;

	if (need > s->acts_cap) {
		struct policy_action *v = realloc(s->acts, need * sizeof(*v));

		if (!v)
			return; /* the next turn asks again */
		s->acts = v;
		s->acts_cap = need;
	}
	node_used(s);
	n = policy_decide(&s->model, &s->policy, now, s->acts, s->acts_cap, &s->wake_ns);
	for (size_t i = 0; i < n; i++)
		if ((size_t)s->acts[i].kind < sizeof(act_fns) / sizeof(act_fns[0]) &&
		    s->acts[i].fn < s->n_fns)
			act_fns[s->acts[i].kind](s, &s->acts[i], now);
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];

		while (f->pool.n < f->pool.cfg.min_warm && may_create_warm(s, f, now) &&
		       node_room_for(s, f) &&
		       pool_slot_add(&f->pool, now, now + s->policy.create_ns))
			;
	}
}
