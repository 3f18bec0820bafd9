/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pool.c -- the warm pool's bookkeeping: slots, states, the request FIFO,
 * and pool_decide.  Nothing here touches a sandbox or a cgroup: the serve
 * loop carries the actions out, so the rule can be swapped or replayed. */
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

/* Release what has idled past keep-alive, while more than min_warm stay
 * and nothing waits. */
static size_t decide_release(const struct pool_snapshot *s, const struct pool_config *cfg,
			     uint64_t now_ns, bool *released, struct pool_action *out, size_t n_max)
{
	size_t n_out = 0, live = s->n;

	if (s->queued)
		return 0;
	for (size_t i = 0; i < s->n && n_out < n_max; i++) {
		if (!is_ready(s->slots[i].state) || live <= cfg->min_warm ||
		    now_ns - s->slots[i].since_ns < cfg->keep_alive_ns)
			continue;
		released[i] = true;
		live--;
		out[n_out++] = (struct pool_action){POOL_ACT_RELEASE, i};
	}
	return n_out;
}

size_t pool_decide(const struct pool_snapshot *s, const struct pool_config *cfg, uint64_t now_ns,
		   struct pool_action *out, size_t n_max)
{
	bool released[s->n ? s->n : 1];
	size_t n_out, live, ready = 0, creating = 0, want = 0;

	memset(released, 0, sizeof(released));
	n_out = decide_release(s, cfg, now_ns, released, out, n_max);
	live = s->n - n_out;
	for (size_t i = 0; i < s->n; i++) {
		const struct pool_snap_slot *sl = &s->slots[i];

		if (released[i])
			continue;
		ready += is_ready(sl->state);
		creating += sl->state == POOL_CREATING;
		if (sl->state == POOL_IDLE && n_out < n_max &&
		    now_ns - sl->since_ns >= cfg->freeze_after_ns)
			out[n_out++] = (struct pool_action){POOL_ACT_FREEZE, i};
	}
	if (s->queued > ready + creating)
		want = s->queued - ready - creating;
	if (live + want < cfg->min_warm)
		want = cfg->min_warm - live;
	if (live + want > cfg->max)
		want = cfg->max > live ? cfg->max - live : 0;
	while (want-- && n_out < n_max)
		out[n_out++] = (struct pool_action){POOL_ACT_CREATE, 0};
	return n_out;
}

int pool_init(struct pool *p, const struct pool_config *cfg, const char *id_prefix,
	      struct slx_err *err)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
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

struct pool_slot *pool_slot_add(struct pool *p, uint64_t now_ns)
{
	struct pool_slot *s;

	if (p->n >= p->cfg.max)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
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
		p->slots[i] = p->slots[--p->n];
		p->slots[p->n] = NULL;
		free(s);
		return;
	}
}

void pool_slot_set(struct pool_slot *s, enum pool_state state, uint64_t now_ns)
{
	s->state = state;
	s->since_ns = now_ns;
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
		if (p->slots[i]->state == POOL_CREATING)
			return p->slots[i];
	return NULL;
}

int pool_enqueue(struct pool *p, void *job)
{
	if (p->q_len >= p->cfg.queue_max)
		return -1;
	p->queue[(p->q_head + p->q_len++) % p->cfg.queue_max] = job;
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

void pool_snapshot_fill(const struct pool *p, struct pool_snap_slot *slots,
			struct pool_snapshot *snap)
{
	for (size_t i = 0; i < p->n; i++)
		slots[i] = (struct pool_snap_slot){p->slots[i]->state, p->slots[i]->since_ns};
	*snap = (struct pool_snapshot){slots, p->n, p->q_len};
}
