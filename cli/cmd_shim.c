/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_shim.c -- `slxrun shim serve|replay`: serve's flags parsed into
 * struct shim_serve_opts, then shim_serve; replay is cmd_replay.c's. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../shim/shim.h"

#define SERVE_KEEP_ALIVE_UNSET UINT_MAX

/* The options, and --keep-alive S, which is --policy fixed:S. */
struct serve_flags {
	struct shim_serve_opts o;
	unsigned keep_alive_s;
	char keep_alive_policy[32];
};

/* The numeric flags: their text from cli_parse, their range checked here. */
static const struct serve_number {
	const char *name;
	size_t off; /* of an unsigned in serve_flags */
	unsigned min, max;
} serve_numbers[] = {
    {"min-warm", offsetof(struct serve_flags, o.min_warm), 0, 1024},
    {"max", offsetof(struct serve_flags, o.max), 1, 1024},
    {"keep-alive", offsetof(struct serve_flags, keep_alive_s), 0, 7 * 86400},
    {"tick-ms", offsetof(struct serve_flags, o.tick_ms), 10, 60000},
    {"time-scale", offsetof(struct serve_flags, o.time_scale), 1, 3600},
    {"max-connections", offsetof(struct serve_flags, o.max_conns), 1, 65536},
    {"max-per-client", offsetof(struct serve_flags, o.per_client), 1, 65536},
    {"header-timeout", offsetof(struct serve_flags, o.header_timeout_s), 1, 3600},
    {"body-timeout", offsetof(struct serve_flags, o.body_timeout_s), 1, 3600},
    {"body-budget-mb", offsetof(struct serve_flags, o.body_budget_mb), 7, 65536},
    {"event-spool-mb", offsetof(struct serve_flags, o.event_spool_mb), 1, 1048576},
};
#define SERVE_N_NUMBERS (sizeof(serve_numbers) / sizeof(serve_numbers[0]))

static int set_number(struct serve_flags *sf, const struct serve_number *f, const char *val,
		      struct slx_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || !*val || *end || val[0] == '-' || v < f->min || v > f->max)
		return slx_error(err, 0, "shim serve: --%s: %s is not a number in [%u, %u]",
				 f->name, val, f->min, f->max);
	*(unsigned *)((char *)sf + f->off) = (unsigned)v;
	return 0;
}

static int parse_flags(struct serve_flags *f, int argc, char **argv, struct slx_err *err)
{
	struct shim_serve_opts *o = &f->o;
	const char *numbers[SERVE_N_NUMBERS] = {0};
	struct cli_list listen = {0};
	const char *ids = NULL, *node_memory = NULL;
	struct cli_flag flags[13 + SERVE_N_NUMBERS] = {
	    {"listen", 'l', CLI_LIST, &listen},
	    {"policy", 'p', CLI_STR, &o->policy},
	    {"unsafe-sandbox", 0, CLI_BOOL, &o->floor.unsafe},
	    {"sandbox-ids", 0, CLI_STR, &ids},
	    {"auth-token-file", 0, CLI_STR, &o->auth_token_file},
	    {"no-auth", 0, CLI_BOOL, &o->no_auth},
	    {"public-metrics", 0, CLI_BOOL, &o->public_metrics},
	    {"mode", 0, CLI_STR, &o->settings.mode},
	    {"timeout", 0, CLI_STR, &o->settings.timeout},
	    {"memory", 0, CLI_STR, &o->settings.memory},
	    {"node-memory", 0, CLI_STR, &node_memory},
	    {"share-memory", 0, CLI_BOOL, &o->floor.share_memory},
	    {"event-spool", 0, CLI_STR, &o->event_spool},
	};
	int idx = 0;

	for (size_t k = 0; k < SERVE_N_NUMBERS; k++)
		flags[13 + k] = (struct cli_flag){serve_numbers[k].name, 0, CLI_STR, &numbers[k]};
	/* Flags may come before, between and after the functions. */
	while (idx < argc) {
		if (cli_parse("shim serve", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
			return -1;
		if (idx >= argc)
			break;
		if (o->n_functions == SHIM_SERVE_MAX_FUNCTIONS)
			return slx_error(err, 0, "shim serve: at most %d functions",
					 SHIM_SERVE_MAX_FUNCTIONS);
		o->functions[o->n_functions++] = argv[idx++];
	}
	if (node_memory) {
		size_t n;

		if (cli_parse_sizes("shim serve", "--node-memory", node_memory, &o->node_memory, 1,
				    &n, err) < 0)
			return -1;
	}
	if (listen.n > SHIM_SERVE_MAX_LISTEN)
		return slx_error(err, 0, "shim serve: --listen: at most %d addresses",
				 SHIM_SERVE_MAX_LISTEN);
	for (size_t i = 0; i < listen.n; i++)
		o->listen[o->n_listen++] = listen.v[i];
	for (size_t k = 0; k < SERVE_N_NUMBERS; k++)
		if (numbers[k] && set_number(f, &serve_numbers[k], numbers[k], err) < 0)
			return -1;
	if (ids && shim_floor_parse_ids(ids, &o->floor, err) < 0)
		return slx_error_prefix(err, "shim serve");
	return 0;
}

static int parse_opts(struct serve_flags *f, int argc, char **argv, struct slx_err *err)
{
	struct shim_serve_opts *o = &f->o;

	f->keep_alive_s = SERVE_KEEP_ALIVE_UNSET;
	o->max = 4;
	o->tick_ms = 100;
	o->time_scale = 1;
	if (parse_flags(f, argc, argv, err) < 0)
		return -1;
	if (!o->n_functions)
		return slx_error(
		    err, 0,
		    "usage: slxrun shim serve [--listen ADDR]... [--auth-token-file F | "
		    "--no-auth] [--public-metrics] [--policy P] "
		    "[--min-warm N] [--max N] [--keep-alive S] [--tick-ms MS] "
		    "[--max-connections N] [--max-per-client N] [--header-timeout S] "
		    "[--body-timeout S] [--body-budget-mb MB] [--event-spool DIR [--event-spool-mb "
		    "MB]] "
		    "[--time-scale N] [--mode M] [--timeout S] [--memory MB] [--unsafe-sandbox] "
		    "[--sandbox-ids BASE:COUNT] [--node-memory SIZE] [--share-memory] "
		    "[NAME=]BUNDLE|IMAGE-REF...");
	if (o->event_spool_mb && !o->event_spool)
		return slx_error(err, 0, "shim serve: --event-spool-mb needs --event-spool DIR");
	if (o->min_warm > o->max)
		return slx_error(err, 0, "shim serve: --min-warm %u exceeds --max %u", o->min_warm,
				 o->max);
	if (f->keep_alive_s != SERVE_KEEP_ALIVE_UNSET) {
		/* --keep-alive S is --policy fixed:S, kept for its users */
		if (o->policy)
			return slx_error(
			    err, 0, "shim serve: --keep-alive S is --policy fixed:S; give one");
		snprintf(f->keep_alive_policy, sizeof(f->keep_alive_policy), "fixed:%u",
			 f->keep_alive_s);
		o->policy = f->keep_alive_policy;
	}
	if (o->no_auth && o->auth_token_file)
		return slx_error(err, 0, "shim serve: --no-auth and --auth-token-file: give one");
	if (!o->policy)
		o->policy = "delta";
	return 0;
}

static int serve(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct serve_flags f = {.o = {.root = ctx->root}};

	if (parse_opts(&f, argc, argv, err) < 0)
		return -1;
	return shim_serve(&f.o, err);
}

static int replay(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	(void)ctx;
	return cmd_shim_replay(argc, argv, err);
}

static const struct {
	const char *name;
	int (*fn)(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err);
	const char *help;
} shim_verbs[] = {
    {"serve", serve, "serve a function over HTTP with a warm pool"},
    {"replay", replay, "replay a trace through the allocation policies"},
};

int cmd_shim(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	for (size_t i = 0; argc > 0 && i < sizeof(shim_verbs) / sizeof(shim_verbs[0]); i++)
		if (!strcmp(argv[0], shim_verbs[i].name))
			return shim_verbs[i].fn(ctx, argc - 1, argv + 1, err);
	if (argc > 0)
		return slx_error(err, 0, "shim: unknown subcommand %s (serve, replay)", argv[0]);
	return slx_error(err, 0, "usage: slxrun shim serve [flags] BUNDLE|IMAGE-REF");
}
