/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_invoke.c -- `slxrun invoke [--data EVENT] [--timings] BUNDLE`: the
 * flags, then shim_invoke. */
#include "cli.h"
#include "../shim/shim.h"

int cmd_invoke(const struct rt_ctx *ctx, int argc, char **argv,
	       struct slx_err *err)
{
	struct shim_invoke_opts o = { .root = ctx->root };
	int idx = 0;
	const struct cli_flag flags[] = {
		{ "data", 'd', CLI_STR, &o.data },
		{ "timings", 0, CLI_BOOL, &o.timings },
	};

	if (cli_parse("invoke", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("invoke", argc, idx, 1, "[--data EVENT] [--timings] BUNDLE", err) < 0)
		return -1;
	o.bundle = argv[idx];
	return shim_invoke(&o, err);
}
