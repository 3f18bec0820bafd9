/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tick.c -- the tick: every tick_ms one cgroup read per live sandbox into
 * the model (R_i), the node's parent cgroup (R), the budget, the sums for
 * /status; and the one timerfd armed for the next tick or the policy's
 * wake-up. */
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "feed.h"
#include "serve.h"

/* The budget R(t) leaves.  On a node (--node-memory) a sandbox weighs
 * what it reserves (its memory limit, as the replay weighs it) and R(t) is
 * the parent cgroup's, whichever is more; else the host's: what the kernel
 * says is available plus what our sandboxes hold (they are not available to
 * themselves). */
static void feed_host(struct serve *s, uint64_t cpu_dr_usec)
{
	struct model_host *h = &s->model.host;
	struct feed_host fh;
	struct slx_err err;
	uint64_t used, leaving;

	serve_node_reserved(s, &used, &leaving);
	h->tick_ns = s->tick_ns;
	h->cpu_dr_usec = (int64_t)cpu_dr_usec;
	if (s->node.have_cg && feed_read(s->node.cg.dirfd, &s->node.r, &err) < 0)
		memset(&s->node.r, 0, sizeof(s->node.r));
	if (s->node.budget) {
		/* Reservations, not the parent's memory.current: that holds the
		 * page cache of sandboxes long gone, reclaimed only at memory.max,
		 * which a node that believes itself full never reaches (found by
		 * an attacker's read: four readers that crashed stalled the node).
		 * memory.max holds the real use to the budget. */
		h->mem_used_bytes = used;
		h->mem_leaving_bytes = leaving;
		h->mem_budget_bytes = s->node.budget;
		h->have_psi = false;
		if (feed_host_read(&fh, &err) == 0)
			h->cores = fh.cores;
		return;
	}
	h->mem_used_bytes = used;
	if (feed_host_read(&fh, &err) < 0)
		return; /* the last budget stands */
	h->cores = fh.cores;
	/* Memory pressure releases idle sandboxes only while the host is short
	 * of memory: a sandbox stalling against its own memory.max counts in
	 * every pressure figure above it, and releasing other functions'
	 * sandboxes gives it nothing (found by an attacker's read).  On a node
	 * the budget and the parent's memory.max do this job. */
	h->have_psi = fh.mem_available < fh.mem_total / 10 && feed_host_psi(&h->psi_mem_some10);
	h->mem_budget_bytes =
	    fh.mem_available + used < fh.mem_total ? fh.mem_available + used : fh.mem_total;
}

/* One function's sandboxes: a cgroup read each into its ring in the model;
 * adds its ΔR_cpu to the host's. */
static void feed_function(struct serve *s, struct serve_fn *f, uint64_t now, uint64_t *cpu_dr)
{
	for (size_t i = 0; i < f->pool.n; i++) {
		struct pool_slot *slot = f->pool.slots[i];
		struct model_sandbox *msb = pool_slot_model(&f->pool, slot);
		const struct model_point *pt;
		struct model_r r = {0};
		struct slx_err err;
		int fd;

		if (!slot->sb || !msb)
			continue;
		fd = shim_sandbox_cgroup_fd(slot->sb);
		if (fd >= 0 && feed_read(fd, &r, &err) < 0)
			memset(&r, 0, sizeof(r));
		model_sandbox_push(msb, now, &r, slot->state == POOL_BUSY, 1);
		if (s->node.budget) /* it weighs what it reserves */
			msb->mem_bytes = f->pool.fn->mem_per_sandbox;
		pt = model_sandbox_at(msb, 0);
		/* a first point's ΔR is all it used since creation, not this tick */
		if (msb->ring_n > 1 && pt->dr.cpu_usec > 0)
			*cpu_dr += (uint64_t)pt->dr.cpu_usec;
	}
	model_function_roll(f->pool.fn, now, s->tick_ns);
	metrics_totals_take(&f->totals, &f->pool);
}

/* The tick: every function's sandboxes read into the model, ΣΔR_cpu for
 * the host, the node's R(t) and budget, the host's pressure. */
static void feed_tick(struct serve *s, uint64_t now)
{
	uint64_t cpu_dr = 0;

	for (size_t fi = 0; fi < s->n_fns; fi++)
		feed_function(s, &s->fns[fi], now, &cpu_dr);
	feed_host(s, cpu_dr);
}

/* The timer fired: for the tick, the policy's wake-up, or both (the
 * decision runs every turn anyway). */
void serve_on_timer(struct serve *s)
{
	uint64_t expirations, now = slx_now_ns();

	(void)!read(s->tickfd, &expirations, sizeof(expirations));
	s->armed_ns = 0;
	if (s->n_dying) /* a cgroup still busy after its pid 1 went */
		serve_reap_dying(s, false);
	if (s->orphans) /* what a dead creator left */
		serve_lost_sweep(s);
	serve_creators_restart(s, now);
	if (now < s->next_tick_ns)
		return;
	feed_tick(s, now);
	s->next_tick_ns += s->tick_ns;
	if (s->next_tick_ns <= now) /* a slow turn: skip, never burst */
		s->next_tick_ns = now + s->tick_ns;
}

/* One timerfd, armed for the next tick or the policy's wake, whichever
 * comes first (absolute on CLOCK_MONOTONIC, slx_now_ns's clock). */
void serve_arm_timer(struct serve *s)
{
	uint64_t at = s->wake_ns < s->next_tick_ns ? s->wake_ns : s->next_tick_ns;
	struct itimerspec its = {0};

	if (at == s->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	if (timerfd_settime(s->tickfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		s->armed_ns = at;
}
