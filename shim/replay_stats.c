/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_stats.c -- what a replay counts and how it is summed up: the added
 * latencies (mean, p99, p99.9 over every invocation), the cold starts per
 * application (their percentiles, Shahrad et al.'s headline metric).
 * Shared by the per-application replay and the node replay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "replay_stats.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

void replay_stats_idle(struct replay_stats *s, const struct model_sandbox *sb, uint64_t now,
		       uint64_t horizon)
{
	uint64_t end = now < horizon ? now : horizon;

	if (end > sb->idle_since_ns)
		s->idle_ns_bytes += (unsigned __int128)(end - sb->idle_since_ns) * sb->mem_bytes;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 1024;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

int replay_stats_cold(struct replay_stats *s, uint64_t added_ns, bool busy, uint64_t cold_ns)
{
	if (grow((void **)&s->added, &s->cap_added, s->n_added, sizeof(*s->added)) < 0)
		return -1;
	s->added[s->n_added++] = added_ns;
	s->added_sum_ns += added_ns;
	s->colds++;
	s->colds_busy += busy;
	s->colds_held += added_ns > cold_ns;
	return 0;
}

int replay_stats_app(struct replay_stats *s, uint64_t invocations, uint64_t colds)
{
	if (!invocations)
		return 0;
	if (grow((void **)&s->app_pct, &s->cap_apps, s->n_apps, sizeof(*s->app_pct)) < 0)
		return -1;
	s->app_pct[s->n_apps++] = 100.0 * (double)colds / (double)invocations;
	return 0;
}

/* Append n elements of size from src to *v (holding *len, room for *cap). */
static int append(void **v, size_t *len, size_t *cap, const void *src, size_t n, size_t size)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 1024;
		void *p;

		while (c < *len + n)
			c *= 2;
		p = realloc(*v, c * size);
		if (!p)
			return -1;
		*v = p;
		*cap = c;
	}
	if (n)
		memcpy((char *)*v + *len * size, src, n * size);
	*len += n;
	return 0;
}

int replay_stats_merge(struct replay_stats *dst, const struct replay_stats *src)
{
	if (append((void **)&dst->added, &dst->n_added, &dst->cap_added, src->added, src->n_added,
		   sizeof(*src->added)) < 0 ||
	    append((void **)&dst->app_pct, &dst->n_apps, &dst->cap_apps, src->app_pct, src->n_apps,
		   sizeof(*src->app_pct)) < 0)
		return -1;
	dst->invocations += src->invocations;
	dst->colds += src->colds;
	dst->colds_busy += src->colds_busy;
	dst->colds_held += src->colds_held;
	dst->evictions += src->evictions;
	dst->idle_ns_bytes += src->idle_ns_bytes;
	dst->added_sum_ns += src->added_sum_ns;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of n at or below it. */
static size_t rank_of(double p, size_t n)
{
	size_t r = (size_t)ceil(p / 100.0 * (double)n - 1e-9);

	return r ? r : 1;
}

/* The p-th percentile over all invocations, the zeros (warm) included. */
static double added_percentile_ms(const struct replay_stats *s, double p)
{
	uint64_t zeros = s->invocations - s->n_added;
	size_t rank;

	if (!s->invocations)
		return 0;
	rank = rank_of(p, s->invocations);
	if (rank <= zeros)
		return 0;
	return (double)s->added[rank - zeros - 1] / 1e6;
}

static double app_percentile(const struct replay_stats *s, double p)
{
	return s->n_apps ? s->app_pct[rank_of(p, s->n_apps) - 1] : 0;
}

void replay_stats_result(struct replay_stats *s, const char *policy, struct replay_result *out)
{
	qsort(s->added, s->n_added, sizeof(*s->added), cmp_u64);
	qsort(s->app_pct, s->n_apps, sizeof(*s->app_pct), cmp_double);
	*out = (struct replay_result){
	    .invocations = s->invocations,
	    .cold_starts = s->colds,
	    .cold_starts_busy = s->colds_busy,
	    .cold_starts_held = s->colds_held,
	    .miss_pct = s->invocations > s->colds_held
			    ? 100.0 * (double)(s->colds - s->colds_held) /
				  (double)(s->invocations - s->colds_held)
			    : 0,
	    .cold_start_pct =
		s->invocations ? 100.0 * (double)s->colds / (double)s->invocations : 0,
	    .app_cold_p50 = app_percentile(s, 50),
	    .app_cold_p75 = app_percentile(s, 75),
	    .app_cold_p90 = app_percentile(s, 90),
	    .idle_gb_s = (double)s->idle_ns_bytes / MODEL_NS_PER_S / GIB,
	    .mean_added_ms =
		s->invocations ? (double)s->added_sum_ns / 1e6 / (double)s->invocations : 0,
	    .p99_added_ms = added_percentile_ms(s, 99),
	    .p999_added_ms = added_percentile_ms(s, 99.9),
	    .evictions = s->evictions,
	};
	snprintf(out->policy, sizeof(out->policy), "%s", policy);
}

void replay_stats_free(struct replay_stats *s)
{
	free(s->added);
	free(s->app_pct);
	memset(s, 0, sizeof(*s));
}
