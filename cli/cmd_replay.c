/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_replay.c -- `slxrun shim replay`: the flags, then shim_replay. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../shim/shim.h"

#define VERB "shim replay"
#define USAGE                                                                                      \
	"TRACE... [--policy P]... [--durations FILE]... [--memory FILE]... "                       \
	"[--cold-ms N] [--time-scale N] [--node-memory SIZE[,SIZE...]] "                           \
	"[--nodes K] [--placement hash|least|warm] [--within-minute even|random] [--sweep] "       \
	"[--format table|csv] [--plot OUT.png] [--jobs N]"

struct replay_opts {
	struct cli_list traces, policy, durations, memory;
	int cold_ms, time_scale, nodes, jobs;
	bool sweep;
	const char *format, *plot, *node_memory, *placement, *within;
	uint64_t node_mem[CLI_LIST_MAX];
	size_t n_node_mem;
};

static int parse_opts(int argc, char **argv, struct replay_opts *o, struct slx_err *err)
{
	const struct cli_flag flags[] = {
	    {"policy", 'p', CLI_LIST, &o->policy},
	    {"durations", 0, CLI_LIST, &o->durations},
	    {"memory", 0, CLI_LIST, &o->memory},
	    {"cold-ms", 0, CLI_INT, &o->cold_ms},
	    {"time-scale", 0, CLI_INT, &o->time_scale},
	    {"format", 0, CLI_STR, &o->format},
	    {"plot", 0, CLI_STR, &o->plot},
	    {"node-memory", 0, CLI_STR, &o->node_memory},
	    {"sweep", 0, CLI_BOOL, &o->sweep},
	    {"nodes", 0, CLI_INT, &o->nodes},
	    {"placement", 0, CLI_STR, &o->placement},
	    {"within-minute", 0, CLI_STR, &o->within},
	    {"jobs", 'j', CLI_INT, &o->jobs},
	};
	int idx = 0;

	*o = (struct replay_opts){
	    .cold_ms = 5, .time_scale = 1, .nodes = 1, .format = "table", .placement = "hash"};
	/* Flags may come before and after the trace files. */
	while (idx < argc) {
		if (cli_parse(VERB, argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
			return -1;
		if (idx >= argc)
			break;
		if (o->traces.n == CLI_LIST_MAX)
			return slx_error(err, 0, "%s: more than %d trace files", VERB,
					 CLI_LIST_MAX);
		o->traces.v[o->traces.n++] = argv[idx++];
	}
	if (!o->traces.n)
		return slx_error(err, 0, "%s: no trace file (usage: slxrun %s %s)", VERB, VERB,
				 USAGE);
	if (o->cold_ms < 0 || o->cold_ms > 600000)
		return slx_error(err, 0, "%s: --cold-ms %d out of range 0..600000", VERB,
				 o->cold_ms);
	if (o->time_scale < 1 || o->time_scale > 3600)
		return slx_error(err, 0, "%s: --time-scale %d out of range 1..3600", VERB,
				 o->time_scale);
	if (o->nodes < 1 || o->nodes > 1024)
		return slx_error(err, 0, "%s: --nodes %d out of range 1..1024", VERB, o->nodes);
	/* 0: one thread per online core (replay_report.c) */
	if (o->jobs < 0 || o->jobs > 1024)
		return slx_error(err, 0, "%s: --jobs %d out of range 1..1024", VERB, o->jobs);
	if (o->nodes > 1 && !o->node_memory)
		return slx_error(err, 0, "%s: --nodes splits --node-memory: give a capacity", VERB);
	if (o->node_memory && cli_parse_sizes(VERB, "--node-memory", o->node_memory, o->node_mem,
					      CLI_LIST_MAX, &o->n_node_mem, err) < 0)
		return -1;
	if (strcmp(o->format, "table") && strcmp(o->format, "csv"))
		return slx_error(err, 0, "%s: --format %s: expected table or csv", VERB, o->format);
	return 0;
}

int cmd_shim_replay(int argc, char **argv, struct slx_err *err)
{
	struct replay_opts o;
	struct shim_replay_opts r;

	if (parse_opts(argc, argv, &o, err) < 0)
		return -1;
	r = (struct shim_replay_opts){
	    .traces = o.traces.v,
	    .n_traces = o.traces.n,
	    .durations = o.durations.v,
	    .n_durations = o.durations.n,
	    .memory = o.memory.v,
	    .n_memory = o.memory.n,
	    .policies = o.policy.v,
	    .n_policies = o.policy.n,
	    .cold_ms = (unsigned)o.cold_ms,
	    .time_scale = (unsigned)o.time_scale,
	    .csv = !strcmp(o.format, "csv"),
	    .plot = o.plot,
	    .node_mem = o.node_mem,
	    .n_node_mem = o.n_node_mem,
	    .sweep = o.sweep,
	    .nodes = (unsigned)o.nodes,
	    .placement = o.placement,
	    .within = o.within,
	    .jobs = (unsigned)o.jobs,
	};
	return shim_replay(&r, err);
}
