/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feed.h -- the I/O that feeds the resource-delta model each tick: one
 * sandbox's cgroup counters as R_i(t), and the host's budget (/proc/meminfo,
 * online cores).  The history itself is the model's ring (model.h). */
#ifndef SLX_SHIM_FEED_H
#define SLX_SHIM_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"
#include "model.h"

/* cpu.stat usage_usec, memory.current, pids.current and memory.pressure of
 * the cgroup; a counter the host lacks has its have_* false. */
int feed_read(int cg_dirfd, struct model_r *out, struct slx_err *err);

struct feed_host {
	uint64_t mem_total, mem_available; /* bytes */
	unsigned cores;
};

/* MemTotal and MemAvailable from /proc/meminfo text (kB lines); -1 when
 * either is missing.  Pure: the unit tests feed it text. */
int feed_meminfo_parse(const char *text, uint64_t *total, uint64_t *available);
/* /proc/meminfo and the online cores. */
int feed_host_read(struct feed_host *out, struct slx_err *err);
/* The host's memory pressure, /proc/pressure/memory's some avg10 (%);
 * false without PSI. */
bool feed_host_psi(double *some10);

#endif
