/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_events.c -- `slxrun events [--stats] [--interval D] ID`: one stats
 * object in runc's shape, or a stream of stats and OOM events until the
 * container stops. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cli.h"

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_u64(yajl_gen g, const char *key, uint64_t v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	gen_str(g, key);
	yajl_gen_number(g, num, (size_t)n);
}

static void gen_cpu(yajl_gen g, const struct cg_stats *s)
{
	gen_str(g, "cpu");
	yajl_gen_map_open(g);
	gen_str(g, "usage");
	yajl_gen_map_open(g);
	gen_u64(g, "total", s->cpu_usage_usec * 1000);
	gen_u64(g, "kernel", s->cpu_system_usec * 1000);
	gen_u64(g, "user", s->cpu_user_usec * 1000);
	yajl_gen_map_close(g);
	gen_str(g, "throttling");
	yajl_gen_map_open(g);
	gen_u64(g, "periods", s->cpu_nr_periods);
	gen_u64(g, "throttledPeriods", s->cpu_nr_throttled);
	gen_u64(g, "throttledTime", s->cpu_throttled_usec * 1000);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void gen_memory(yajl_gen g, const struct cg_stats *s)
{
	gen_str(g, "memory");
	yajl_gen_map_open(g);
	gen_str(g, "usage");
	yajl_gen_map_open(g);
	gen_u64(g, "limit", s->memory_max);
	gen_u64(g, "usage", s->memory_current);
	gen_u64(g, "failcnt", s->memory_events_max);
	yajl_gen_map_close(g);
	gen_str(g, "swap");
	yajl_gen_map_open(g);
	gen_u64(g, "usage", s->memory_swap_current);
	yajl_gen_map_close(g);
	gen_str(g, "raw");
	yajl_gen_map_open(g);
	gen_u64(g, "anon", s->memory_anon);
	gen_u64(g, "file", s->memory_file);
	gen_u64(g, "kernel", s->memory_kernel);
	gen_u64(g, "oom", s->memory_events_oom);
	gen_u64(g, "oom_kill", s->memory_events_oom_kill);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void gen_rest(yajl_gen g, const struct cg_stats *s)
{
	gen_str(g, "pids");
	yajl_gen_map_open(g);
	gen_u64(g, "current", s->pids_current);
	gen_u64(g, "limit", s->pids_max == UINT64_MAX ? 0 : s->pids_max);
	yajl_gen_map_close(g);
	gen_str(g, "blkio");
	yajl_gen_map_open(g);
	gen_u64(g, "readBytes", s->io_rbytes);
	gen_u64(g, "writeBytes", s->io_wbytes);
	gen_u64(g, "readIOs", s->io_rios);
	gen_u64(g, "writeIOs", s->io_wios);
	yajl_gen_map_close(g);
	gen_str(g, "psi");
	yajl_gen_map_open(g);
	gen_u64(g, "cpuSomeTotalUsec", s->psi_cpu_some.total_usec);
	gen_u64(g, "memorySomeTotalUsec", s->psi_memory_some.total_usec);
	gen_u64(g, "memoryFullTotalUsec", s->psi_memory_full.total_usec);
	gen_u64(g, "ioSomeTotalUsec", s->psi_io_some.total_usec);
	yajl_gen_map_close(g);
}

static void print_event(const char *type, const char *id, const struct cg_stats *s)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	yajl_gen_map_open(g);
	gen_str(g, "type");
	gen_str(g, type);
	gen_str(g, "id");
	gen_str(g, id);
	if (s) {
		gen_str(g, "data");
		yajl_gen_map_open(g);
		gen_cpu(g, s);
		gen_memory(g, s);
		gen_rest(g, s);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	printf("%.*s\n", (int)len, (const char *)buf);
	fflush(stdout);
	yajl_gen_free(g);
}

/* "5s", "500ms", "1m", or plain seconds. */
static int parse_interval_ms(const char *s, long *ms, struct slx_err *err)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v > 0))
		return slx_error(err, 0, "events: --interval: invalid duration %s", s);
	if (!strcmp(end, "m"))
		v *= 60000;
	else if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (strcmp(end, "ms"))
		return slx_error(err, 0, "events: --interval: invalid duration %s", s);
	/* a day at most: past what a long holds, the conversion is undefined */
	if (!(v >= 1 && v <= 86400000))
		return slx_error(err, 0, "events: --interval: %s: from 1ms to 24h", s);
	*ms = (long)v;
	return 0;
}

int cmd_events(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	const char *interval = "5s";
	bool stats_once = false;
	struct cg_stats st;
	uint64_t ooms = 0;
	long ms = 5000, waited = 0;
	int idx = 0;
	const struct cli_flag flags[] = {
	    {"stats", 0, CLI_BOOL, &stats_once},
	    {"interval", 0, CLI_STR, &interval},
	};

	if (cli_parse("events", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("events", argc, idx, 1, "[--stats] [--interval D] ID", err) < 0 ||
	    parse_interval_ms(interval, &ms, err) < 0)
		return -1;
	if (rt_stats(ctx, argv[idx], &st, err) < 0)
		return cli_fail_on(ctx, argv[idx], err);
	if (stats_once) {
		print_event("stats", argv[idx], &st);
		return 0;
	}
	ooms = st.memory_events_oom_kill;
	/* Poll the counters: OOM kills as they happen, stats each interval. */
	for (;;) {
		usleep(100000);
		waited += 100;
		if (rt_stats(ctx, argv[idx], &st, err) < 0)
			return err->errnum == 0 && strstr(err->msg, "not running") ? 0 : -1;
		if (st.memory_events_oom_kill > ooms) {
			ooms = st.memory_events_oom_kill;
			print_event("oom", argv[idx], NULL);
		}
		if (waited >= ms) {
			waited = 0;
			print_event("stats", argv[idx], &st);
		}
	}
}
