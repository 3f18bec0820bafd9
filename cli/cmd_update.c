/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_update.c -- `slxrun update [--resources FILE|-] [--memory N] ... ID`:
 * new linux.resources for a running container, from JSON and runc's flags. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "cli.h"

/* runc's RAMInBytes: "64M", "1g", "512k", plain bytes; -1 stays -1. */
static int parse_bytes(const char *flag, const char *s, int64_t *out, struct slx_err *err)
{
	static const struct {
		char unit;
		int64_t mul;
	} units[] = {{'k', 1LL << 10}, {'m', 1LL << 20}, {'g', 1LL << 30}, {'t', 1LL << 40}};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return slx_error(err, 0, "update: --%s: invalid size %s", flag, s);
	if (*end) {
		int64_t mul = 0;

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (tolower((unsigned char)*end) == units[i].unit)
				mul = units[i].mul;
		if (!mul || (end[1] && strcasecmp(end + 1, "b") && strcasecmp(end + 1, "ib")))
			return slx_error(err, 0, "update: --%s: invalid size %s", flag, s);
		v *= (double)mul;
	}
	/* -1 (unlimited) or a size an int64 holds: past it the conversion is
	 * undefined (1e19 came out negative) */
	if (!(v == -1 || (v >= 0 && v < 9223372036854775807.0)))
		return slx_error(err, 0, "update: --%s: invalid size %s", flag, s);
	*out = (int64_t)v;
	return 0;
}

static int parse_i64(const char *flag, const char *s, int64_t *out, struct slx_err *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || !*s || *end)
		return slx_error(err, 0, "update: --%s: invalid number %s", flag, s);
	return 0;
}

struct update_flags {
	const char *resources, *memory, *memory_reservation, *memory_swap, *cpu_quota, *cpu_period,
	    *cpu_shares, *cpuset_cpus, *cpuset_mems, *pids_limit, *blkio_weight;
};

static int load_resources(const char *path, struct oci_resources **res, struct slx_err *err)
{
	cleanup_free char *json = NULL;
	size_t len;

	if (!path) {
		*res = calloc(1, sizeof(**res));
		return *res ? 0 : slx_error(err, ENOMEM, "update");
	}
	if ((strcmp(path, "-")
		 ? slx_read_file_max_at(AT_FDCWD, path, OCI_RESOURCES_MAX, &json, &len, err)
		 : slx_read_fd_max(STDIN_FILENO, "stdin", OCI_RESOURCES_MAX, &json, &len, err)) < 0)
		return slx_error_prefix(err, "update: --resources");
	return oci_resources_parse("resources", json, len, res, err);
}

static int apply_flags(const struct update_flags *f, struct oci_resources *r, struct slx_err *err)
{
	int64_t v;

#define I64(str, name, parse, dst, sect)                                                           \
	if (str) {                                                                                 \
		if (parse(name, str, &v, err) < 0)                                                 \
			return -1;                                                                 \
		dst.set = true;                                                                    \
		dst.v = v;                                                                         \
		r->sect.present = true;                                                            \
	}
	I64(f->memory, "memory", parse_bytes, r->memory.limit, memory)
	I64(f->memory_reservation, "memory-reservation", parse_bytes, r->memory.reservation, memory)
	I64(f->memory_swap, "memory-swap", parse_bytes, r->memory.swap, memory)
	I64(f->cpu_quota, "cpu-quota", parse_i64, r->cpu.quota, cpu)
	I64(f->pids_limit, "pids-limit", parse_i64, r->pids.limit, pids)
#undef I64
#define U64(str, name, dst, sect)                                                                  \
	if (str) {                                                                                 \
		if (parse_i64(name, str, &v, err) < 0)                                             \
			return -1;                                                                 \
		if (v < 0)                                                                         \
			return slx_error(err, 0, "update: --%s: must not be negative", name);      \
		dst.set = true;                                                                    \
		dst.v = (uint64_t)v;                                                               \
		r->sect.present = true;                                                            \
	}
	U64(f->cpu_period, "cpu-period", r->cpu.period, cpu)
	U64(f->cpu_shares, "cpu-shares", r->cpu.shares, cpu)
	U64(f->blkio_weight, "blkio-weight", r->block_io.weight, block_io)
#undef U64
	if (f->cpuset_cpus && !(r->cpu.cpus = strdup(f->cpuset_cpus)))
		return slx_error(err, ENOMEM, "update");
	if (f->cpuset_mems && !(r->cpu.mems = strdup(f->cpuset_mems)))
		return slx_error(err, ENOMEM, "update");
	if (f->cpuset_cpus || f->cpuset_mems)
		r->cpu.present = true;
	r->present = true;
	return 0;
}

int cmd_update(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct update_flags f = {0};
	struct oci_resources *res = NULL;
	int idx = 0, r;
	const struct cli_flag flags[] = {
	    {"resources", 'r', CLI_STR, &f.resources},
	    {"memory", 0, CLI_STR, &f.memory},
	    {"memory-reservation", 0, CLI_STR, &f.memory_reservation},
	    {"memory-swap", 0, CLI_STR, &f.memory_swap},
	    {"cpu-quota", 0, CLI_STR, &f.cpu_quota},
	    {"cpu-period", 0, CLI_STR, &f.cpu_period},
	    {"cpu-shares", 0, CLI_STR, &f.cpu_shares},
	    {"cpuset-cpus", 0, CLI_STR, &f.cpuset_cpus},
	    {"cpuset-mems", 0, CLI_STR, &f.cpuset_mems},
	    {"pids-limit", 0, CLI_STR, &f.pids_limit},
	    {"blkio-weight", 0, CLI_STR, &f.blkio_weight},
	};

	if (cli_parse("update", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("update", argc, idx, 1, "[flags] ID", err) < 0)
		return -1;
	if (load_resources(f.resources, &res, err) < 0)
		return -1;
	r = apply_flags(&f, res, err);
	if (r == 0)
		r = rt_update(ctx, argv[idx], res, err);
	oci_resources_free(res);
	return r < 0 ? -1 : 0;
}
