/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_frontier.h -- operating points compared as curves: a policy swept
 * over its parameter (fixed:S over S, delta:W over W) gives cold starts
 * against idle memory-time, and two policies are compared at equal idle
 * memory-time by reading one curve at the other's idle figure.  Pure. */
#ifndef SLX_SHIM_REPLAY_FRONTIER_H
#define SLX_SHIM_REPLAY_FRONTIER_H

#include <stddef.h>

struct frontier_point {
	double idle_gb_s, colds;
};

/* Sort the points by idle memory-time and keep the frontier: the points
 * no other point beats on both (fewer cold starts with no more idle
 * memory).  Returns how many are left at the front of p. */
size_t frontier_build(struct frontier_point *p, size_t n);

/* The frontier's cold starts at idle memory-time x: linear between its two
 * neighbours; NAN outside [first, last] (a curve is never extrapolated). */
double frontier_at(const struct frontier_point *p, size_t n, double x);

#endif
