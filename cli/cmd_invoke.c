/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_invoke.c -- `slxrun invoke [--data EVENT] [--timings] [--mode M] [--timeout S]
 * [--memory MB] [--unsafe-sandbox] BUNDLE|IMAGE-REF`: the
 * flags, then shim_invoke. */
#include "cli.h"
#include "../shim/shim.h"

int cmd_invoke(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct shim_invoke_opts o = {.root = ctx->root};
	const char *ids = NULL;
	int idx = 0;
	const struct cli_flag flags[] = {
	    {"data", 'd', CLI_STR, &o.data},
	    {"timings", 0, CLI_BOOL, &o.timings},
	    {"unsafe-sandbox", 0, CLI_BOOL, &o.floor.unsafe},
	    {"sandbox-ids", 0, CLI_STR, &ids},
	    {"mode", 0, CLI_STR, &o.settings.mode},
	    {"timeout", 0, CLI_STR, &o.settings.timeout},
	    {"memory", 0, CLI_STR, &o.settings.memory},
	};

	if (cli_parse("invoke", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("invoke", argc, idx, 1,
			    "[--data EVENT] [--timings] [--mode M] [--timeout S] [--memory MB] "
			    "[--unsafe-sandbox] [--sandbox-ids BASE:COUNT] BUNDLE|IMAGE-REF",
			    err) < 0)
		return -1;
	if (ids && shim_floor_parse_ids(ids, &o.floor, err) < 0)
		return -1;
	o.bundle = argv[idx];
	return shim_invoke(&o, err);
}
