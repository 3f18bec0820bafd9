/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_shim_pool.c -- the pool's pure decision (pool_decide), its queue and the feed arithmetic. */
#include <criterion/criterion.h>
#include "shim/pool.h"
#include "shim/feed.h"
static const struct pool_config cfg = {
    .min_warm = 1, .max = 3, .keep_alive_ns = 10, .freeze_after_ns = 2, .queue_max = 4};
static size_t decide(struct pool_snap_slot *sl, size_t n, size_t q, uint64_t now,
		     struct pool_action *a)
{
	struct pool_snapshot s = {sl, n, q};
	return pool_decide(&s, &cfg, now, a, 16);
}
Test(pool_decide, empty_pool_creates_min_warm)
{
	struct pool_action a[16];
	cr_assert_eq(decide(NULL, 0, 0, 0, a), 1);
	cr_assert_eq(a[0].kind, POOL_ACT_CREATE);
}
Test(pool_decide, queue_creates_up_to_max)
{
	struct pool_action a[16];
	struct pool_snap_slot sl[] = {{POOL_BUSY, 0}};
	cr_assert_eq(decide(sl, 1, 5, 0, a), 2);
}
Test(pool_decide, creating_counts_against_the_queue)
{
	struct pool_action a[16];
	struct pool_snap_slot sl[] = {{POOL_BUSY, 0}, {POOL_CREATING, 0}};
	cr_assert_eq(decide(sl, 2, 1, 0, a), 0);
}
Test(pool_decide, idle_freezes_then_releases_but_keeps_min_warm)
{
	struct pool_action a[16];
	struct pool_snap_slot sl[] = {{POOL_IDLE, 0}, {POOL_FROZEN, 0}};
	size_t n = decide(sl, 2, 0, 11, a);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, POOL_ACT_RELEASE);
	cr_assert_eq(a[0].slot, 0);
	n = decide(sl, 2, 0, 3, a);
	cr_assert_eq(n, 1);
	cr_assert_eq(a[0].kind, POOL_ACT_FREEZE);
	cr_assert_eq(a[0].slot, 0);
}
Test(pool_decide, nothing_released_while_requests_wait)
{
	struct pool_action a[16];
	struct pool_snap_slot sl[] = {{POOL_FROZEN, 0}, {POOL_FROZEN, 0}};
	cr_assert_eq(decide(sl, 2, 1, 100, a), 0);
}
Test(pool_queue, fifo_and_requeue)
{
	struct pool p;
	struct slx_err e;
	int x[6];
	cr_assert_eq(pool_init(&p, &cfg, "t-1", &e), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pool_enqueue(&p, &x[i]), 0);
	cr_assert_eq(pool_enqueue(&p, &x[4]), -1);
	cr_assert_eq(pool_dequeue(&p), &x[0]);
	cr_assert_eq(pool_requeue_front(&p, &x[5]), 0);
	cr_assert_eq(pool_dequeue(&p), &x[5]);
	cr_assert_eq(pool_dequeue(&p), &x[1]);
	struct pool_slot *s1 = pool_slot_add(&p, 1), *s2 = pool_slot_add(&p, 2),
			 *s3 = pool_slot_add(&p, 3);
	cr_assert(s1 && s2 && s3);
	cr_assert_null(pool_slot_add(&p, 4));
	cr_assert_str_eq(s1->id, "t-1-1");
	pool_slot_set(s1, POOL_FROZEN, 5);
	pool_slot_set(s2, POOL_IDLE, 6);
	pool_slot_set(s3, POOL_IDLE, 7);
	cr_assert_eq(pool_ready_slot(&p), s3);
	pool_slot_remove(&p, s3);
	pool_slot_remove(&p, s2);
	cr_assert_eq(pool_ready_slot(&p), s1);
	pool_fini(&p);
}
Test(feed, delta_and_ring)
{
	static struct feed_series s;
	struct feed_r r = {.have_cpu = true, .cpu_usage_usec = 100};
	feed_push(&s, 1, &r, 1, 1);
	cr_assert_eq(feed_at(&s, 0)->dr.cpu_usage_usec, 100);
	r.cpu_usage_usec = 130;
	r.memory_current = 0;
	feed_push(&s, 2, &r, 0, 1);
	cr_assert_eq(feed_at(&s, 0)->dr.cpu_usage_usec, 30);
	cr_assert_eq(feed_at(&s, 1)->t_ns, 1);
	for (int i = 0; i < 100; i++)
		feed_push(&s, 3 + i, &r, 0, 1);
	cr_assert_eq(s.count, FEED_HISTORY);
	cr_assert_null(feed_at(&s, FEED_HISTORY));
	cr_assert_eq(feed_at(&s, 0)->t_ns, 102);
}
