/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pool.c -- the warm pool's bookkeeping: slots, states, the request FIFO,
 * and the model kept in step with them.  Nothing here touches a sandbox or
 * a cgroup, and nothing here decides: the serve loop asks policy_decide and
 * carries the actions out. */
#include "pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[POOL_N_STATES] = {
    [POOL_CREATING] = "creating",
    [POOL_IDLE] = "idle",
    [POOL_BUSY] = "busy",
    [POOL_FROZEN] = "frozen",
};

const char *pool_state_name(enum pool_state s)
{
	return s < POOL_N_STATES ? state_names[s] : "?";
}

static bool is_ready(enum pool_state s)
{
	return s == POOL_IDLE || s == POOL_FROZEN;
}

int pool_init(struct pool *p, const struct pool_config *cfg, const char *id_prefix, struct model *m,
	      size_t fi, struct slx_err *err)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->fi = fi;
	p->fn = &m->fn[fi];
	if (snprintf(p->id_prefix, sizeof(p->id_prefix), "%s", id_prefix) >=
	    (int)sizeof(p->id_prefix))
		return slx_error(err, ENAMETOOLONG, "sandbox id prefix %s", id_prefix);
	p->slots = calloc(cfg->max ? cfg->max : 1, sizeof(*p->slots));
	p->queue = calloc(cfg->queue_max ? cfg->queue_max : 1, sizeof(*p->queue));
	if (!p->slots || !p->queue) {
		pool_fini(p);
		return slx_error(err, ENOMEM, "pool of %u sandboxes", cfg->max);
	}
	return 0;
}

void pool_fini(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->slots[i]);
	free(p->slots);
	free(p->queue);
	p->slots = NULL;
	p->queue = NULL;
	p->n = 0;
}

struct pool_slot *pool_slot_add(struct pool *p, uint64_t now_ns, uint64_t ready_ns)
{
	struct model_sandbox *msb;
	struct pool_slot *s;

	if (p->n >= p->cfg.max)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	msb = model_sandbox_add(p->fn, now_ns, ready_ns);
	if (!msb) {
		free(s);
		return NULL;
	}
	s->model_id = msb->id;
	s->fi = p->fi;
	snprintf(s->id, sizeof(s->id), "%s-%llu", p->id_prefix, (unsigned long long)++p->next_seq);
	s->state = POOL_CREATING;
	s->since_ns = now_ns;
	p->slots[p->n++] = s;
	return s;
}

void pool_slot_remove(struct pool *p, struct pool_slot *s)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->slots[i] != s)
			continue;
		(void)model_sandbox_remove(p->fn, s->model_id);
		p->slots[i] = p->slots[--p->n];
		p->slots[p->n] = NULL;
		free(s);
		return;
	}
}

struct model_sandbox *pool_slot_model(const struct pool *p, const struct pool_slot *s)
{
	for (size_t i = 0; i < p->fn->n_sb; i++)
		if (p->fn->sb[i].id == s->model_id)
			return &p->fn->sb[i];
	return NULL;
}

static void set_state(struct pool_slot *s, enum pool_state state, uint64_t now_ns)
{
	s->state = state;
	s->since_ns = now_ns;
}

void pool_slot_ready(struct pool *p, struct pool_slot *s, uint64_t now_ns)
{
	struct model_sandbox *msb = pool_slot_model(p, s);

	s->created_ns = now_ns;
	s->init_ns = s->state == POOL_CREATING && now_ns > s->since_ns ? now_ns - s->since_ns : 0;
	set_state(s, POOL_IDLE, now_ns);
	if (msb) {
		msb->state = MODEL_SB_IDLE;
		msb->ready_ns = msb->idle_since_ns = now_ns;
	}
}

void pool_slot_start(struct pool *p, struct pool_slot *s, uint64_t now_ns)
{
	struct model_sandbox *msb = pool_slot_model(p, s);

	set_state(s, POOL_BUSY, now_ns);
	if (msb)
		model_function_start(p->fn, msb, now_ns, p->cfg.tick_ns);
}

void pool_slot_finish(struct pool *p, struct pool_slot *s, uint64_t now_ns)
{
	struct model_sandbox *msb = pool_slot_model(p, s);

	set_state(s, POOL_IDLE, now_ns);
	if (msb)
		model_function_finish(p->fn, msb, now_ns, p->cfg.tick_ns);
}

int pool_slot_unstart(struct pool *p, struct pool_slot *s, void *job, uint64_t now_ns)
{
	pool_slot_finish(p, s, now_ns);
	if (pool_requeue_front(p, job) < 0)
		return -1;
	p->fn->queued++;
	return 0;
}

void pool_slot_freeze(struct pool *p, struct pool_slot *s, bool frozen)
{
	struct model_sandbox *msb = pool_slot_model(p, s);

	s->state = frozen ? POOL_FROZEN : POOL_IDLE;
	if (msb)
		msb->state = frozen ? MODEL_SB_FROZEN : MODEL_SB_IDLE;
}

size_t pool_count(const struct pool *p, enum pool_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->slots[i]->state == state;
	return n;
}

struct pool_slot *pool_ready_slot(const struct pool *p)
{
	struct pool_slot *best = NULL;

	for (size_t i = 0; i < p->n; i++) {
		struct pool_slot *s = p->slots[i];

		if (!is_ready(s->state))
			continue;
		if (!best || (s->state == POOL_IDLE && best->state == POOL_FROZEN) ||
		    (s->state == best->state && s->since_ns > best->since_ns))
			best = s;
	}
	return best;
}

struct pool_slot *pool_creating_slot(const struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->slots[i]->state == POOL_CREATING && !p->slots[i]->sb &&
		    !p->slots[i]->requested)
			return p->slots[i];
	return NULL;
}

struct pool_slot *pool_slot_by_model(const struct pool *p, uint64_t model_id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->slots[i]->model_id == model_id)
			return p->slots[i];
	return NULL;
}

int pool_enqueue(struct pool *p, void *job, uint64_t arrival_ns)
{
	if (p->q_len >= p->cfg.queue_max)
		return -1;
	p->queue[(p->q_head + p->q_len++) % p->cfg.queue_max] = job;
	/* A request whose body took longer can be queued after one that came
	 * later: the model's arrivals stay in time order. */
	if (arrival_ns < p->fn->last_arrival_ns)
		arrival_ns = p->fn->last_arrival_ns;
	model_function_arrive(p->fn, arrival_ns, p->cfg.tick_ns);
	return 0;
}

int pool_requeue_front(struct pool *p, void *job)
{
	if (p->q_len >= p->cfg.queue_max)
		return -1;
	p->q_head = (p->q_head + p->cfg.queue_max - 1) % p->cfg.queue_max;
	p->queue[p->q_head] = job;
	p->q_len++;
	return 0;
}

void *pool_dequeue(struct pool *p)
{
	void *job;

	if (!p->q_len)
		return NULL;
	job = p->queue[p->q_head];
	p->q_head = (p->q_head + 1) % p->cfg.queue_max;
	p->q_len--;
	return job;
}

void pool_abandon(struct pool *p)
{
	model_function_drop(p->fn);
}
