/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_start.c -- `slxrun start ID`: release a created container. */
#include "cli.h"

int cmd_start(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	int idx = 0;

	if (cli_parse("start", argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args("start", argc, idx, 1, "ID", err) < 0)
		return -1;
	return rt_start(ctx, argv[idx], err) < 0 ? -1 : 0;
}
