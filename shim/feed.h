/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feed.h -- the counter feed of the resource-delta model: per sandbox
 * R_i(t) read from its cgroup each tick, ΔR_i(t), A_i(t), C_i(t) kept in a
 * small ring, and the sums R(t), A(t), C(t).  Only feed_read does I/O. */
#ifndef SLX_SHIM_FEED_H
#define SLX_SHIM_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

#define FEED_HISTORY 64

/* R_i(t): what the cgroup reports; a counter the host lacks has have_* false. */
struct feed_r {
	bool have_cpu, have_memory, have_pids;
	uint64_t cpu_usage_usec, memory_current, pids_current;
};

/* ΔR_i(t) = R_i(t) - R_i(t-1); memory and pids may shrink. */
struct feed_dr {
	int64_t cpu_usage_usec, memory_current, pids_current;
};

struct feed_point {
	uint64_t t_ns;
	struct feed_r r;
	struct feed_dr dr;
	unsigned a; /* A_i(t): 1 while an invocation is in flight */
	unsigned c; /* C_i(t): 1 while live */
};

/* The last FEED_HISTORY ticks of one sandbox. */
struct feed_series {
	struct feed_point ring[FEED_HISTORY];
	unsigned next; /* slot of the next push */
	unsigned count;
};

/* R(t), ΔR(t), A(t), C(t): sums over the live sandboxes (A also counts the
 * requests queued for the function, which no sandbox holds yet). */
struct feed_totals {
	struct feed_r r;
	struct feed_dr dr;
	unsigned a, c;
};

/* The tick's one I/O: cpu.stat, memory.current, pids.current of the cgroup. */
int feed_read(int cg_dirfd, struct feed_r *out, struct slx_err *err);

/* Append tick t; ΔR is taken against the previous point, or against zero
 * for a sandbox's first tick (everything it used since it was created). */
void feed_push(struct feed_series *s, uint64_t t_ns, const struct feed_r *r, unsigned a,
	       unsigned c);
/* back = 0 is the latest point; NULL past the history. */
const struct feed_point *feed_at(const struct feed_series *s, unsigned back);

void feed_totals_add(struct feed_totals *t, const struct feed_point *p);

#endif
