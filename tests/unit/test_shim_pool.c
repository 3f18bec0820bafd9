/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_shim_pool.c -- the pool keeps its model in step with its slots, and
 * policy_decide over that model is the serve loop's decision; the queue,
 * the host budget parser and the time compression shared with the replay. */
#include <criterion/criterion.h>

#include "shim/feed.h"
#include "shim/policy.h"
#include "shim/pool.h"
#include "shim/replay.h"

#define S 1000000000ull

static const struct pool_config pool_t_cfg = {
    .min_warm = 0, .max = 3, .queue_max = 4, .mem_per_sandbox = 128 << 20, .tick_ns = S / 10};

/* The model the pool's function lives in (one function, as a node of one). */
static struct model_function pool_t_fn;
static struct model pool_t_model = {.fn = &pool_t_fn, .n_fn = 1, .host = {.tick_ns = S / 10}};

static void pool_t_init(struct pool *p)
{
	struct slx_err e;

	model_function_init(&pool_t_fn, "fn", pool_t_cfg.mem_per_sandbox);
	cr_assert_eq(pool_init(p, &pool_t_cfg, "t-1", &pool_t_model, 0, &e), 0, "%s", e.msg);
}

static void pool_t_fini(struct pool *p)
{
	pool_fini(p);
	model_function_fini(&pool_t_fn);
}

/* The decision the serve loop makes: policy_decide over the pool's model. */
static size_t pool_t_decide(struct pool *p, const char *spec, uint64_t now, struct policy_action *a,
			    size_t max)
{
	struct policy_config cfg;
	struct slx_err e;
	uint64_t wake;

	cr_assert_eq(policy_parse(spec, &cfg, &e), 0, "%s", e.msg);
	cfg.freeze_grace_ns = S;
	cr_assert_eq(p->fn, &pool_t_model.fn[p->fi], "the pool's function is the model's");
	cr_assert_geq(max, policy_actions_max(&pool_t_model));
	return policy_decide(&pool_t_model, &cfg, now, a, max, &wake);
}

Test(pool_model, each_slot_change_is_mirrored_in_the_model)
{
	struct pool p;
	struct pool_slot *s;
	const struct model_sandbox *m;
	int job;

	pool_t_init(&p);
	s = pool_slot_add(&p, 1 * S, 1 * S + 5);
	cr_assert(s);
	m = pool_slot_model(&p, s);
	cr_assert(m);
	cr_assert_eq(m->state, MODEL_SB_CREATING);
	cr_assert_eq(pool_slot_by_model(&p, s->model_id), s);
	pool_slot_ready(&p, s, 2 * S);
	cr_assert_eq(pool_slot_model(&p, s)->state, MODEL_SB_IDLE);
	cr_assert_eq(pool_slot_model(&p, s)->idle_since_ns, 2 * S);
	cr_assert_eq(pool_enqueue(&p, &job, 3 * S), 0);
	cr_assert_eq(p.fn->queued, 1);
	cr_assert_eq(pool_dequeue(&p), &job);
	pool_slot_start(&p, s, 3 * S);
	cr_assert_eq(s->state, POOL_BUSY);
	cr_assert_eq(pool_slot_model(&p, s)->state, MODEL_SB_BUSY);
	cr_assert_eq(p.fn->queued, 0);
	cr_assert_eq(p.fn->in_flight, 1);
	pool_slot_finish(&p, s, 4 * S);
	cr_assert_eq(s->state, POOL_IDLE);
	cr_assert_eq(pool_slot_model(&p, s)->idle_since_ns, 4 * S);
	cr_assert_eq(p.fn->last_end_ns, 4 * S);
	pool_slot_freeze(&p, s, true);
	cr_assert_eq(pool_slot_model(&p, s)->state, MODEL_SB_FROZEN);
	cr_assert_eq(s->since_ns, 4 * S, "freezing keeps the idle-since time");
	pool_slot_remove(&p, s);
	cr_assert_eq(p.fn->n_sb, 0);
	cr_assert_eq(p.n, 0);
	pool_t_fini(&p);
}

Test(pool_model, an_abandoned_request_leaves_the_demand)
{
	struct pool p;
	int job;

	pool_t_init(&p);
	cr_assert_eq(pool_enqueue(&p, &job, S), 0);
	cr_assert_eq(pool_dequeue(&p), &job);
	cr_assert_eq(p.fn->queued, 1, "dequeued is still demand until it starts");
	pool_abandon(&p);
	cr_assert_eq(p.fn->queued, 0);
	pool_t_fini(&p);
}

Test(pool_decision, a_request_with_no_sandbox_allocates_one)
{
	struct policy_action a[16];
	struct pool p;
	int job;

	pool_t_init(&p);
	cr_assert_eq(pool_enqueue(&p, &job, S), 0);
	cr_assert_eq(pool_t_decide(&p, "fixed:10", S, a, 16), 1);
	cr_assert_eq(a[0].kind, POLICY_ALLOCATE);
	cr_assert_eq(a[0].n, 1);
	/* one being created counts against the queue */
	cr_assert(pool_slot_add(&p, S, S + 5));
	cr_assert_eq(pool_t_decide(&p, "fixed:10", S, a, 16), 0);
	pool_t_fini(&p);
}

Test(pool_decision, idle_freezes_after_the_grace_then_is_released_after_keep_alive)
{
	struct policy_action a[16];
	struct pool p;
	struct pool_slot *s;
	size_t n;

	pool_t_init(&p);
	s = pool_slot_add(&p, 0, 5);
	pool_slot_ready(&p, s, 1 * S);
	cr_assert_eq(pool_t_decide(&p, "fixed:10", 1 * S + 1, a, 16), 0);
	n = pool_t_decide(&p, "fixed:10", 2 * S + 1, a, 16);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, POLICY_FREEZE);
	cr_assert_eq(pool_slot_by_model(&p, a[0].sb), s);
	pool_slot_freeze(&p, s, true);
	n = pool_t_decide(&p, "fixed:10", 11 * S, a, 16);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, POLICY_RELEASE);
	cr_assert_eq(pool_slot_by_model(&p, a[0].sb), s);
	pool_t_fini(&p);
}

Test(pool_decision, a_request_thaws_a_frozen_sandbox_instead_of_allocating)
{
	struct policy_action a[16];
	struct pool p;
	struct pool_slot *s;
	int job;

	pool_t_init(&p);
	s = pool_slot_add(&p, 0, 5);
	pool_slot_ready(&p, s, 1 * S);
	pool_slot_freeze(&p, s, true);
	cr_assert_eq(pool_enqueue(&p, &job, 3 * S), 0);
	cr_assert_eq(pool_t_decide(&p, "fixed:10", 3 * S, a, 16), 1);
	cr_assert_eq(a[0].kind, POLICY_THAW);
	cr_assert_eq(pool_slot_by_model(&p, a[0].sb), s);
	pool_t_fini(&p);
}

Test(pool_queue, fifo_and_requeue)
{
	struct pool p;
	int x[6];

	pool_t_init(&p);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pool_enqueue(&p, &x[i], (uint64_t)i), 0);
	cr_assert_eq(pool_enqueue(&p, &x[4], 4), -1);
	cr_assert_eq(p.fn->queued, 4, "a refused request is no arrival");
	cr_assert_eq(pool_dequeue(&p), &x[0]);
	cr_assert_eq(pool_requeue_front(&p, &x[5]), 0);
	cr_assert_eq(pool_dequeue(&p), &x[5]);
	cr_assert_eq(pool_dequeue(&p), &x[1]);
	struct pool_slot *s1 = pool_slot_add(&p, 1, 1), *s2 = pool_slot_add(&p, 2, 2),
			 *s3 = pool_slot_add(&p, 3, 3);
	cr_assert(s1 && s2 && s3);
	cr_assert_null(pool_slot_add(&p, 4, 4));
	cr_assert_str_eq(s1->id, "t-1-1");
	pool_slot_ready(&p, s1, 5);
	pool_slot_freeze(&p, s1, true);
	pool_slot_ready(&p, s2, 6);
	pool_slot_ready(&p, s3, 7);
	cr_assert_eq(pool_ready_slot(&p), s3);
	pool_slot_remove(&p, s3);
	pool_slot_remove(&p, s2);
	cr_assert_eq(pool_ready_slot(&p), s1);
	pool_t_fini(&p);
}

Test(feed, meminfo_gives_total_and_available_in_bytes)
{
	uint64_t total = 0, avail = 0;

	cr_assert_eq(feed_meminfo_parse("MemTotal:        2048 kB\nMemFree:  10 kB\n"
					"MemAvailable:    1024 kB\n",
					&total, &avail),
		     0);
	cr_assert_eq(total, 2048 * 1024);
	cr_assert_eq(avail, 1024 * 1024);
	cr_assert_eq(feed_meminfo_parse("MemTotal: 5 kB\nMemFree: 1 kB\n", &total, &avail), -1);
}

Test(time_scale, divides_the_policys_times_but_not_the_creation_time)
{
	struct policy_config c;
	struct slx_err e;

	cr_assert_eq(policy_parse("delta", &c, &e), 0);
	c.create_ns = 7;
	replay_policy_time_scale(&c, 60);
	cr_assert_eq(c.keep_alive_ns, 10 * S);
	cr_assert_eq(c.min_unload_ns, 1 * S);
	cr_assert_eq(c.timer_unload_ns, 10 * S / 60);
	cr_assert_eq(c.spare_min_idle_ns, 2 * S);
	cr_assert_float_eq(c.cold_cost_gb_s, 384.0 / 60, 1e-9);
	cr_assert_eq(c.conc_minutes, 4); /* 240 minutes, rounded up */
	cr_assert_eq(c.create_ns, 7);
	cr_assert_eq(policy_parse("fixed:600", &c, &e), 0);
	replay_policy_time_scale(&c, 1);
	cr_assert_eq(c.keep_alive_ns, 600 * S);
}
