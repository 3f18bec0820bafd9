/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slots.c -- the live pool's sandboxes: one spawned per loop turn (recorded
 * first, so a crash leaves a trace for the next shim), its agent's READY
 * awaited on the loop's epoll (never by blocking: a function's init may take
 * its whole timeout), released, and released when their agent died while
 * idle or frozen. */
#include <errno.h>
#include <limits.h>
#include <sys/epoll.h>

#include "../runtime/runtime.h"
#include "../common/fsutil.h"
#include "serve.h"

void serve_slot_release(struct serve *s, struct pool_slot *slot)
{
	if (slot->sb) {
		if (slot->state == POOL_BUSY || slot->state == POOL_CREATING)
			(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
		shim_sandbox_destroy(slot->sb);
		slot->sb = NULL;
	}
	shim_orphans_del_sandbox(&s->rec, slot->id);
	s->pool.released++;
	pool_slot_remove(&s->pool, slot);
}

/* The cgroup the runtime will make for id, recorded before it exists. */
static int record_sandbox(struct serve *s, const char *id, struct slx_err *err)
{
	char path[PATH_MAX];

	if (rt_sandbox_cgroup_path(s->fn->cfg, id, path, sizeof(path), err) < 0)
		return -1;
	return shim_orphans_add_sandbox(&s->rec, id, path, err);
}

/* A sandbox that could not be made or never became ready: released, and
 * the oldest waiting request answered with why, so a function that cannot
 * start drains its queue instead of retrying forever. */
static void create_failed(struct serve *s, struct pool_slot *slot, const struct slx_err *err)
{
	struct job *j;

	serve_slot_release(s, slot);
	s->m.create_failures++;
	s->create_retry_ns = slx_now_ns() + NS_PER_S;
	j = pool_dequeue(&s->pool);
	if (j) {
		pool_abandon(&s->pool);
		s->m.invocations[SHIM_INIT_ERROR]++;
		job_answer_error(j, 200, "Runtime.InitError", err->msg);
	}
}

/* Spawn one reserved sandbox (a few ms); its READY comes on the loop. */
void serve_create_one(struct serve *s)
{
	struct pool_slot *slot = pool_creating_slot(&s->pool);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = slot};
	struct slx_err err = {0};

	if (!slot)
		return;
	if (record_sandbox(s, slot->id, &err) == 0 &&
	    shim_sandbox_spawn(s->fn, slot->id, &slot->sb, &err) == 0) {
		slot->deadline_ns = slx_now_ns() + (uint64_t)s->fn->timeout_s * NS_PER_S;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, shim_sandbox_fd(slot->sb), &ev) == 0)
			return;
		slx_error(&err, errno, "sandbox %s: epoll_ctl", slot->id);
	} else {
		slot->sb = NULL;
	}
	create_failed(s, slot, &err);
}

void serve_slot_on_ready_event(struct serve *s, struct pool_slot *slot)
{
	struct slx_err err = {0};
	int r = shim_sandbox_ready_poll(slot->sb, &err);

	if (r == 0)
		return;
	if (r < 0) {
		create_failed(s, slot, &err);
		return;
	}
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
	pool_slot_ready(&s->pool, slot, slx_now_ns());
	s->pool.created++;
	s->kick = true;
}

void serve_check_creating(struct serve *s, uint64_t now)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];
		struct slx_err err = {0};

		if (slot->state != POOL_CREATING || !slot->sb || now < slot->deadline_ns)
			continue;
		slx_error(&err, ETIMEDOUT, "sandbox %s: not ready within %u s", slot->id,
			  (unsigned)s->fn->timeout_s);
		create_failed(s, slot, &err);
		i = (size_t)-1; /* the slots were reordered: rescan */
	}
}

/* Sandboxes whose agent died while idle or frozen are released. */
void serve_reap_dead(struct serve *s)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];

		if ((slot->state == POOL_IDLE || slot->state == POOL_FROZEN) &&
		    !shim_sandbox_alive(slot->sb)) {
			serve_slot_release(s, slot);
			i = (size_t)-1;
		}
	}
}
