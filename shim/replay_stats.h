/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_stats.h -- the counters a replay keeps while it runs, and the
 * summary (struct replay_result) made of them.  Private to the replay. */
#ifndef SLX_SHIM_REPLAY_STATS_H
#define SLX_SHIM_REPLAY_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "replay.h"

struct replay_stats {
	uint64_t invocations, colds, colds_busy, evictions;
	/* Cold starts that waited longer than a creation: held for memory,
	 * FaasCache's dropped calls (its simulator counts them apart from its
	 * misses, and its cold-start % leaves them out). */
	uint64_t colds_held;
	/* Idle memory-time in ns x bytes, summed exactly: integers add up to
	 * the same total in any order, so apps replayed on several threads
	 * merge into the very same idle_gb_s (a double's sum would depend on
	 * the order). */
	unsigned __int128 idle_ns_bytes;
	uint64_t *added; /* added latency of each cold start, ns */
	size_t n_added, cap_added;
	uint64_t added_sum_ns;
	double *app_pct; /* cold-start % of each application with invocations */
	size_t n_apps, cap_apps;
};

/* The idle memory-time sb has run up since it went idle, counted until now
 * but never past horizon (the trace's end). */
void replay_stats_idle(struct replay_stats *s, const struct model_sandbox *sb, uint64_t now,
		       uint64_t horizon);
/* A cold start waited added_ns; busy: the app had an invocation in flight;
 * a wait past cold_ns (the creation time) was a wait for memory. */
int replay_stats_cold(struct replay_stats *s, uint64_t added_ns, bool busy, uint64_t cold_ns);
/* One application's totals (skipped when it had no invocation). */
int replay_stats_app(struct replay_stats *s, uint64_t invocations, uint64_t colds);
/* Add src's counts to dst's (src is left as it was).  Every total comes
 * out the same whatever the order of merges: counts and idle time are
 * integers, and the arrays are sorted by replay_stats_result. */
int replay_stats_merge(struct replay_stats *dst, const struct replay_stats *src);
/* Sort and sum up; s keeps its arrays until replay_stats_free. */
void replay_stats_result(struct replay_stats *s, const char *policy, struct replay_result *out);
void replay_stats_free(struct replay_stats *s);

#endif
