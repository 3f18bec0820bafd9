/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_frontier.c -- a swept policy's operating points as a frontier, and
 * the frontier read at a given idle memory-time.  Pure. */
#include <math.h>
#include <stdlib.h>

#include "replay_frontier.h"

static int cmp_point(const void *a, const void *b)
{
	const struct frontier_point *x = a, *y = b;

	if (x->idle_gb_s != y->idle_gb_s)
		return (x->idle_gb_s > y->idle_gb_s) - (x->idle_gb_s < y->idle_gb_s);
	return (x->colds > y->colds) - (x->colds < y->colds);
}

size_t frontier_build(struct frontier_point *p, size_t n)
{
	size_t k = 0;

	qsort(p, n, sizeof(*p), cmp_point);
	/* By rising idle memory, a point stays only if it has fewer cold
	 * starts than every point with less idle memory. */
	for (size_t i = 0; i < n; i++)
		if (!k || p[i].colds < p[k - 1].colds)
			p[k++] = p[i];
	return k;
}

double frontier_at(const struct frontier_point *p, size_t n, double x)
{
	if (!n || x < p[0].idle_gb_s || x > p[n - 1].idle_gb_s)
		return NAN;
	for (size_t i = 1; i < n; i++)
		if (x <= p[i].idle_gb_s) {
			double span = p[i].idle_gb_s - p[i - 1].idle_gb_s;

			if (span <= 0)
				return p[i].colds;
			return p[i - 1].colds +
			       (p[i].colds - p[i - 1].colds) * (x - p[i - 1].idle_gb_s) / span;
		}
	return p[0].colds;
}
