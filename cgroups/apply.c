/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply.c -- writing linux.resources into a cgroup's v2 files through its
 * dirfd, at create and at `update`; each error names the field and file. */
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* One write(2) of the whole value: cgroup files take a value per write. */
static int cg_write_raw(int dirfd, const char *file, const char *val)
{
	cleanup_close int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(val);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, len);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int cg_write(int dirfd, const char *field, const char *file, const char *val,
		    struct slx_err *err)
{
	if (cg_write_raw(dirfd, file, val) < 0)
		return slx_error(err, errno, "%s: write %s", field, file);
	return 0;
}

/* -1 (and, where the kernel has no 0, <= 0) means "max". */
static const char *cg_i64_or_max(char *buf, size_t cap, int64_t v)
{
	if (v < 0)
		return "max";
	snprintf(buf, cap, "%" PRId64, v);
	return buf;
}

static int cg_apply_memory(int fd, const struct oci_resources *res, struct slx_err *err)
{
	const struct oci_opt_i64 *lim = &res->memory.limit;
	char buf[32];
	int64_t swap;

	if (lim->set && cg_write(fd, "linux.resources.memory.limit", "memory.max",
				 cg_i64_or_max(buf, sizeof(buf), lim->v), err) < 0)
		return -1;
	if (res->memory.reservation.set &&
	    cg_write(fd, "linux.resources.memory.reservation", "memory.low",
		     cg_i64_or_max(buf, sizeof(buf), res->memory.reservation.v), err) < 0)
		return -1;
	if (!res->memory.swap.set)
		return 0;
	if (cg_swap_v1_to_v2(res->memory.swap.v, lim->set ? lim->v : 0, &swap, err) < 0)
		return -1;
	/* swap 0 is "not set" (runc), unless it came from swap == limit. */
	if (swap == 0 && res->memory.swap.v == 0)
		return 0;
	return cg_write(fd, "linux.resources.memory.swap", "memory.swap.max",
			cg_i64_or_max(buf, sizeof(buf), swap), err);
}

static int cg_apply_cpu(int fd, const struct oci_resources *res, struct slx_err *err)
{
	const __typeof__(res->cpu) *c = &res->cpu;
	char buf[64];

	if (c->shares.set && c->shares.v) {
		snprintf(buf, sizeof(buf), "%" PRIu64, cg_cpu_shares_to_weight(c->shares.v));
		if (cg_write(fd, "linux.resources.cpu.shares", "cpu.weight", buf, err) < 0)
			return -1;
	}
	/* "max" or the quota, then the period if given: the kernel keeps the
	 * current period when only one word is written. */
	if ((c->quota.set && c->quota.v) || c->period.set) {
		int n = c->quota.set && c->quota.v > 0
			    ? snprintf(buf, sizeof(buf), "%" PRId64, c->quota.v)
			    : snprintf(buf, sizeof(buf), "max");

		if (c->period.set)
			snprintf(buf + n, sizeof(buf) - (size_t)n, " %" PRIu64, c->period.v);
		if (cg_write(fd, "linux.resources.cpu.quota", "cpu.max", buf, err) < 0)
			return -1;
	}
	if (c->burst.set) {
		snprintf(buf, sizeof(buf), "%" PRIu64, c->burst.v);
		if (cg_write(fd, "linux.resources.cpu.burst", "cpu.max.burst", buf, err) < 0)
			return -1;
	}
	if (c->idle.set) {
		snprintf(buf, sizeof(buf), "%" PRId64, c->idle.v);
		if (cg_write(fd, "linux.resources.cpu.idle", "cpu.idle", buf, err) < 0)
			return -1;
	}
	if (c->cpus && *c->cpus &&
	    cg_write(fd, "linux.resources.cpu.cpus", "cpuset.cpus", c->cpus, err) < 0)
		return -1;
	if (c->mems && *c->mems &&
	    cg_write(fd, "linux.resources.cpu.mems", "cpuset.mems", c->mems, err) < 0)
		return -1;
	return 0;
}

static int cg_apply_pids(int fd, const struct oci_resources *res, struct slx_err *err)
{
	char buf[32];

	if (!res->pids.limit.set)
		return 0;
	/* runc: a limit <= 0 is "no limit". */
	return cg_write(
	    fd, "linux.resources.pids.limit", "pids.max",
	    cg_i64_or_max(buf, sizeof(buf), res->pids.limit.v > 0 ? res->pids.limit.v : -1), err);
}

/* A blkio weight: io.bfq.weight takes v1's range as is when BFQ is there;
 * otherwise io.weight with runc's conversion.  prefix is "" or "MAJ:MIN ". */
static int cg_apply_weight(int fd, const char *field, const char *prefix, uint64_t w,
			   struct slx_err *err)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%" PRIu64, prefix, w);
	if (cg_write_raw(fd, "io.bfq.weight", buf) == 0)
		return 0;
	if (errno != ENOENT)
		return slx_error(err, errno, "%s: write io.bfq.weight", field);
	snprintf(buf, sizeof(buf), "%s%" PRIu64, prefix, cg_io_weight_from_blkio(w));
	return cg_write(fd, field, "io.weight", buf, err);
}

static int cg_apply_throttle(int fd, const char *field, const char *key,
			     const struct oci_throttle_device *d, size_t n, struct slx_err *err)
{
	char buf[96];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d[i].major,
			 d[i].minor, key, d[i].rate);
		if (cg_write(fd, field, "io.max", buf, err) < 0)
			return -1;
	}
	return 0;
}

static int cg_apply_block_io(int fd, const struct oci_resources *res, struct slx_err *err)
{
	const __typeof__(res->block_io) *b = &res->block_io;
	char dev[48];

	if (b->weight.set && b->weight.v &&
	    cg_apply_weight(fd, "linux.resources.blockIO.weight", "", b->weight.v, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		if (!b->weight_device[i].weight.set)
			continue;
		snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64 " ", b->weight_device[i].major,
			 b->weight_device[i].minor);
		if (cg_apply_weight(fd, "linux.resources.blockIO.weightDevice", dev,
				    b->weight_device[i].weight.v, err) < 0)
			return -1;
	}
	if (cg_apply_throttle(fd, "linux.resources.blockIO.throttleReadBpsDevice", "rbps",
			      b->throttle_read_bps, b->n_throttle_read_bps, err) < 0 ||
	    cg_apply_throttle(fd, "linux.resources.blockIO.throttleWriteBpsDevice", "wbps",
			      b->throttle_write_bps, b->n_throttle_write_bps, err) < 0 ||
	    cg_apply_throttle(fd, "linux.resources.blockIO.throttleReadIOPSDevice", "riops",
			      b->throttle_read_iops, b->n_throttle_read_iops, err) < 0 ||
	    cg_apply_throttle(fd, "linux.resources.blockIO.throttleWriteIOPSDevice", "wiops",
			      b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int cg_apply_hugetlb(int fd, const struct oci_resources *res, struct slx_err *err)
{
	char file[64], val[32];

	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		snprintf(file, sizeof(file), "hugetlb.%s.max", res->hugepage_limits[i].page_size);
		snprintf(val, sizeof(val), "%" PRIu64, res->hugepage_limits[i].limit);
		if (cg_write(fd, "linux.resources.hugepageLimits", file, val, err) < 0)
			return -1;
	}
	return 0;
}

int cg_resources_apply(const struct cg_handle *h, const struct oci_resources *res,
		       struct slx_err *err)
{
	if (!res)
		return 0;
	/* `update` may ask for a controller create did not need.  One the host
	 * lacks is left to fail below, naming the field and file. */
	if (h->path &&
	    cg_enable_controllers(
		h->path, cg_resources_controllers(res) & cg_available_controllers(), 0, err) < 0)
		return -1;
	if (cg_apply_memory(h->dirfd, res, err) < 0 || cg_apply_cpu(h->dirfd, res, err) < 0 ||
	    cg_apply_pids(h->dirfd, res, err) < 0 || cg_apply_block_io(h->dirfd, res, err) < 0 ||
	    cg_apply_hugetlb(h->dirfd, res, err) < 0)
		return -1;
	/* After the typed fields, so an explicit unified value wins. */
	for (size_t i = 0; i < res->unified.n; i++) {
		const struct oci_kv *kv = &res->unified.v[i];

		/* Never follow a key out of this directory, validated or not. */
		if (strchr(kv->key, '/') || kv->key[0] == '.')
			return slx_error(err, 0, "linux.resources.unified: \"%s\": not a file name",
					 kv->key);
		if (cg_write_raw(h->dirfd, kv->key, kv->value) < 0)
			return slx_error(err, errno, "linux.resources.unified: write %s", kv->key);
	}
	return 0;
}
