/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slots.c -- the live pool's sandboxes: one made per loop turn (recorded
 * first, so a crash leaves a trace for the next shim), released, and
 * released when their agent died while idle or frozen. */
#include <limits.h>
#include <sys/epoll.h>

#include "../runtime/runtime.h"
#include "../common/fsutil.h"
#include "serve.h"

void serve_slot_release(struct serve *s, struct pool_slot *slot)
{
	if (slot->sb) {
		if (slot->state == POOL_BUSY)
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

/* Make one reserved sandbox.  This blocks for the spawn (a few ms; longer
 * for a runtime-api bootstrap's init): the loop does one per turn. */
void serve_create_one(struct serve *s)
{
	struct pool_slot *slot = pool_creating_slot(&s->pool);
	struct slx_err err = {0};
	struct job *j;

	if (!slot)
		return;
	if (record_sandbox(s, slot->id, &err) == 0 &&
	    shim_sandbox_create(s->fn, slot->id, &slot->sb, NULL, &err) == 0) {
		pool_slot_ready(&s->pool, slot, slx_now_ns());
		s->pool.created++;
		return;
	}
	slot->sb = NULL;
	serve_slot_release(s, slot);
	s->m.create_failures++;
	s->create_retry_ns = slx_now_ns() + NS_PER_S;
	/* The failure answers the oldest waiting request, so a function that
	 * cannot start drains its queue instead of retrying forever. */
	j = pool_dequeue(&s->pool);
	if (j) {
		pool_abandon(&s->pool);
		s->m.invocations[SHIM_INIT_ERROR]++;
		job_answer_error(j, 200, "Runtime.InitError", err.msg);
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
