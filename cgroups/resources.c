/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resources.c -- linux.resources on cgroup v2: which controllers a config
 * needs, checking it against the host and the kernel's ranges, the runc
 * conversions (shares, memsw, blkio weight) and writing the files. */
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"

/* cgroup v1 cpu.shares [2, 262144] onto v2 cpu.weight [1, 10000], linearly,
 * as runc does.  crun >= 1.15 switched to a quadratic fit; runc's mapping is
 * what containerd and Kubernetes were tuned against, so we keep it. */
uint64_t cg_cpu_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* v1 blkio.weight [10, 1000] onto v2 io.weight [1, 10000] (runc's formula). */
uint64_t cg_io_weight_from_blkio(uint64_t w)
{
	if (w < 10)
		w = 10;
	if (w > 1000)
		w = 1000;
	return 1 + ((w - 10) * 9999) / 990;
}

/* runc's ConvertMemorySwapToCgroupV2Value: v1 swap is memory+swap, v2 is swap
 * alone.  0 means "not set" except with an unlimited memory where it means
 * unlimited swap too. */
int cg_swap_v1_to_v2(int64_t swap, int64_t limit, int64_t *out, struct slx_err *err)
{
	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (swap < -1)
		return slx_error(err, 0, "linux.resources.memory.swap: invalid value %" PRId64,
				 swap);
	if (limit == 0 || limit == -1)
		return slx_error(err, 0,
				 "linux.resources.memory.swap: a swap limit needs a memory limit");
	if (limit < 0)
		return slx_error(err, 0, "linux.resources.memory.limit: invalid value %" PRId64,
				 limit);
	if (swap < limit)
		return slx_error(err, 0,
				 "linux.resources.memory.swap: memory+swap (%" PRId64
				 ") must not be below the memory limit (%" PRId64 ")",
				 swap, limit);
	*out = swap - limit;
	return 0;
}

static bool cg_block_io_set(const struct oci_resources *res)
{
	return (res->block_io.weight.set && res->block_io.weight.v) ||
	       res->block_io.n_weight_device || res->block_io.n_throttle_read_bps ||
	       res->block_io.n_throttle_write_bps || res->block_io.n_throttle_read_iops ||
	       res->block_io.n_throttle_write_iops;
}

static bool cg_cpu_set(const struct oci_resources *res)
{
	return (res->cpu.shares.set && res->cpu.shares.v) || res->cpu.quota.set ||
	       res->cpu.period.set || res->cpu.idle.set || res->cpu.burst.set;
}

/* The controller a unified key ("memory.max") belongs to; 0 for core
 * ("cgroup.*") files and for unknown prefixes (validate rejects those). */
static unsigned cg_unified_key_controller(const char *key)
{
	const char *dot = strchr(key, '.');

	return dot ? cg_controller_bit(key, (size_t)(dot - key)) : 0;
}

unsigned cg_resources_controllers(const struct oci_resources *res)
{
	unsigned need = 0;

	if (!res)
		return 0;
	if (res->memory.limit.set || res->memory.reservation.set || res->memory.swap.set)
		need |= CG_CTRL_MEMORY;
	if (cg_cpu_set(res))
		need |= CG_CTRL_CPU;
	if ((res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems))
		need |= CG_CTRL_CPUSET;
	if (res->pids.limit.set)
		need |= CG_CTRL_PIDS;
	if (cg_block_io_set(res))
		need |= CG_CTRL_IO;
	if (res->n_hugepage_limits)
		need |= CG_CTRL_HUGETLB;
	for (size_t i = 0; i < res->unified.n; i++)
		need |= cg_unified_key_controller(res->unified.v[i].key);
	return need;
}

static int cg_need(unsigned available, unsigned bit, const char *field, struct slx_err *err)
{
	if (available & bit)
		return 0;
	return slx_error(err, 0, "%s: the %s controller is not available in cgroup v2 on this host",
			 field, cg_controller_name(bit));
}

static int cg_validate_memory(const struct oci_resources *res, unsigned available,
			      struct slx_err *err)
{
	const struct oci_opt_i64 *lim = &res->memory.limit, *rsv = &res->memory.reservation;
	int64_t ignored;

	if (!(lim->set || rsv->set || res->memory.swap.set))
		return 0;
	if (cg_need(available, CG_CTRL_MEMORY, "linux.resources.memory", err) < 0)
		return -1;
	if (lim->set && lim->v <= 0 && lim->v != -1)
		return slx_error(err, 0,
				 "linux.resources.memory.limit: must be positive or -1 "
				 "(unlimited), got %" PRId64,
				 lim->v);
	if (rsv->set && rsv->v < -1)
		return slx_error(
		    err, 0,
		    "linux.resources.memory.reservation: must be non-negative or -1, got %" PRId64,
		    rsv->v);
	if (res->memory.swap.set)
		return cg_swap_v1_to_v2(res->memory.swap.v, lim->set ? lim->v : 0, &ignored, err);
	return 0;
}

/* cpuset lists: "0-3,5". */
static int cg_validate_list(const char *s, const char *field, struct slx_err *err)
{
	if (s && s[strspn(s, "0123456789,-")])
		return slx_error(err, 0, "%s: \"%s\" is not a list like \"0-3,5\"", field, s);
	return 0;
}

static int cg_validate_cpu(const struct oci_resources *res, unsigned available, struct slx_err *err)
{
	const __typeof__(res->cpu) *c = &res->cpu;

	if ((c->realtime_runtime.set && c->realtime_runtime.v) ||
	    (c->realtime_period.set && c->realtime_period.v))
		return slx_error(err, 0,
				 "linux.resources.cpu.realtimeRuntime: real-time scheduling limits "
				 "do not exist in cgroup v2");
	if (((c->cpus && *c->cpus) || (c->mems && *c->mems)) &&
	    cg_need(available, CG_CTRL_CPUSET, "linux.resources.cpu.cpus", err) < 0)
		return -1;
	if (cg_validate_list(c->cpus, "linux.resources.cpu.cpus", err) < 0 ||
	    cg_validate_list(c->mems, "linux.resources.cpu.mems", err) < 0)
		return -1;
	if (!cg_cpu_set(res))
		return 0;
	if (cg_need(available, CG_CTRL_CPU, "linux.resources.cpu", err) < 0)
		return -1;
	if (c->shares.set && c->shares.v && (c->shares.v < 2 || c->shares.v > 262144))
		return slx_error(err, 0,
				 "linux.resources.cpu.shares: %" PRIu64 " is outside [2, 262144]",
				 c->shares.v);
	if (c->quota.set && c->quota.v > 0 && !c->period.set)
		return slx_error(err, 0, "linux.resources.cpu.quota: a quota needs a period");
	if (c->quota.set && (c->quota.v < -1 || (c->quota.v > 0 && c->quota.v < 1000)))
		return slx_error(
		    err, 0,
		    "linux.resources.cpu.quota: must be -1 or at least 1000 (1ms), got %" PRId64,
		    c->quota.v);
	if (c->period.set && (c->period.v < 1000 || c->period.v > 1000000))
		return slx_error(
		    err, 0, "linux.resources.cpu.period: %" PRIu64 " is outside [1000, 1000000]",
		    c->period.v);
	if (c->idle.set && c->idle.v != 0 && c->idle.v != 1)
		return slx_error(err, 0, "linux.resources.cpu.idle: must be 0 or 1, got %" PRId64,
				 c->idle.v);
	return 0;
}

static int cg_validate_block_io(const struct oci_resources *res, unsigned available,
				struct slx_err *err)
{
	if (!cg_block_io_set(res))
		return 0;
	if (cg_need(available, CG_CTRL_IO, "linux.resources.blockIO", err) < 0)
		return -1;
	if (res->block_io.weight.set && res->block_io.weight.v &&
	    (res->block_io.weight.v < 10 || res->block_io.weight.v > 1000))
		return slx_error(
		    err, 0, "linux.resources.blockIO.weight: %" PRIu64 " is outside [10, 1000]",
		    res->block_io.weight.v);
	for (size_t i = 0; i < res->block_io.n_weight_device; i++) {
		const struct oci_weight_device *d = &res->block_io.weight_device[i];

		if (d->weight.set && (d->weight.v < 10 || d->weight.v > 1000))
			return slx_error(
			    err, 0,
			    "linux.resources.blockIO.weightDevice[%zu].weight: %" PRIu64
			    " is outside [10, 1000]",
			    i, d->weight.v);
	}
	return 0;
}

static int cg_validate_hugetlb(const struct oci_resources *res, unsigned available,
			       struct slx_err *err)
{
	if (!res->n_hugepage_limits)
		return 0;
	if (cg_need(available, CG_CTRL_HUGETLB, "linux.resources.hugepageLimits", err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const char *ps = res->hugepage_limits[i].page_size;
		size_t digits = ps ? strspn(ps, "0123456789") : 0;

		if (!digits || (strcmp(ps + digits, "KB") && strcmp(ps + digits, "MB") &&
				strcmp(ps + digits, "GB")))
			return slx_error(err, 0,
					 "linux.resources.hugepageLimits[%zu].pageSize: \"%s\" is "
					 "not like \"2MB\"",
					 i, ps ? ps : "");
	}
	return 0;
}

/* Core files the runtime itself manages; a config must not write them. */
static const char *const cg_unified_reserved[] = {
    "cgroup.procs",
    "cgroup.threads",
    "cgroup.subtree_control",
    "cgroup.kill",
};

static int cg_validate_unified_key(const char *key, unsigned available, struct slx_err *err)
{
	const char *dot = strchr(key, '.');
	unsigned bit;

	if (!dot || dot == key || !dot[1] || strchr(key, '/') || strstr(key, "..") ||
	    key[strcspn(key, " \t\n\r")])
		return slx_error(
		    err, 0, "linux.resources.unified: \"%s\": expected \"<controller>.<file>\"",
		    key);
	for (size_t i = 0; i < sizeof(cg_unified_reserved) / sizeof(cg_unified_reserved[0]); i++) {
		if (strcmp(key, cg_unified_reserved[i]) == 0)
			return slx_error(
			    err, 0, "linux.resources.unified: %s: managed by the runtime", key);
	}
	if (dot - key == 6 && strncmp(key, "cgroup", 6) == 0)
		return 0;
	bit = cg_controller_bit(key, (size_t)(dot - key));
	if (!bit)
		return slx_error(err, 0, "linux.resources.unified: %s: unknown controller \"%.*s\"",
				 key, (int)(dot - key), key);
	if (!(available & bit))
		return slx_error(err, 0,
				 "linux.resources.unified: %s: the %s controller is not available "
				 "in cgroup v2 on this host",
				 key, cg_controller_name(bit));
	return 0;
}

static int cg_validate_devices(const struct oci_resources *res, struct slx_err *err)
{
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct oci_device_cgroup *d = &res->devices[i];

		if (d->type != 'a' && d->type != 'c' && d->type != 'b')
			return slx_error(
			    err, 0, "linux.resources.devices[%zu].type: \"%c\" is not a, b or c", i,
			    d->type ? d->type : '?');
		if (d->major < -1 || d->minor < -1 || d->major > UINT32_MAX ||
		    d->minor > UINT32_MAX)
			return slx_error(err, 0,
					 "linux.resources.devices[%zu]: invalid major/minor", i);
		if (d->access && (!*d->access || d->access[strspn(d->access, "rwm")]))
			return slx_error(err, 0,
					 "linux.resources.devices[%zu].access: \"%s\" is not a "
					 "subset of \"rwm\"",
					 i, d->access);
	}
	return 0;
}

int cg_resources_validate(const struct oci_resources *res, unsigned available, struct slx_err *err)
{
	if (!res)
		return 0;
	if (cg_validate_memory(res, available, err) < 0 || cg_validate_cpu(res, available, err) < 0)
		return -1;
	if (res->pids.limit.set &&
	    cg_need(available, CG_CTRL_PIDS, "linux.resources.pids", err) < 0)
		return -1;
	if (cg_validate_block_io(res, available, err) < 0 ||
	    cg_validate_hugetlb(res, available, err) < 0 || cg_validate_devices(res, err) < 0)
		return -1;
	for (size_t i = 0; i < res->unified.n; i++) {
		if (cg_validate_unified_key(res->unified.v[i].key, available, err) < 0)
			return -1;
	}
	return 0;
}
