/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feed.c -- the counter feed: one cgroup read per sandbox per tick, and the
 * delta arithmetic on plain data. */
#include "feed.h"

#include <string.h>

#include "../cgroups/cgroups.h"

int feed_read(int cg_dirfd, struct feed_r *out, struct slx_err *err)
{
	struct cg_stats st;

	if (cg_stats_read(cg_dirfd, &st, err) < 0)
		return -1;
	*out = (struct feed_r){
	    .have_cpu = st.have_cpu,
	    .have_memory = st.have_memory,
	    .have_pids = st.have_pids,
	    .cpu_usage_usec = st.cpu_usage_usec,
	    .memory_current = st.memory_current,
	    .pids_current = st.pids_current,
	};
	return 0;
}

const struct feed_point *feed_at(const struct feed_series *s, unsigned back)
{
	if (back >= s->count)
		return NULL;
	return &s->ring[(s->next + FEED_HISTORY - 1 - back) % FEED_HISTORY];
}

static int64_t delta(uint64_t now, uint64_t before)
{
	return (int64_t)(now - before);
}

void feed_push(struct feed_series *s, uint64_t t_ns, const struct feed_r *r, unsigned a, unsigned c)
{
	static const struct feed_r zero;
	const struct feed_point *prev = feed_at(s, 0);
	const struct feed_r *pr = prev ? &prev->r : &zero;
	struct feed_point *p = &s->ring[s->next];

	*p = (struct feed_point){
	    .t_ns = t_ns,
	    .r = *r,
	    .dr =
		{
		    .cpu_usage_usec = delta(r->cpu_usage_usec, pr->cpu_usage_usec),
		    .memory_current = delta(r->memory_current, pr->memory_current),
		    .pids_current = delta(r->pids_current, pr->pids_current),
		},
	    .a = a,
	    .c = c,
	};
	s->next = (s->next + 1) % FEED_HISTORY;
	if (s->count < FEED_HISTORY)
		s->count++;
}

void feed_totals_add(struct feed_totals *t, const struct feed_point *p)
{
	t->r.have_cpu |= p->r.have_cpu;
	t->r.have_memory |= p->r.have_memory;
	t->r.have_pids |= p->r.have_pids;
	t->r.cpu_usage_usec += p->r.cpu_usage_usec;
	t->r.memory_current += p->r.memory_current;
	t->r.pids_current += p->r.pids_current;
	t->dr.cpu_usage_usec += p->dr.cpu_usage_usec;
	t->dr.memory_current += p->dr.memory_current;
	t->dr.pids_current += p->dr.pids_current;
	t->a += p->a;
	t->c += p->c;
}
