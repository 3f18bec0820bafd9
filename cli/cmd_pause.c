/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_pause.c -- `slxrun pause ID`: freeze every process of the container
 * (cgroup.freeze). */
#include "cli.h"

int cmd_pause(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	int idx = 0;

	if (cli_parse("pause", argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args("pause", argc, idx, 1, "ID", err) < 0)
		return -1;
	return rt_pause(ctx, argv[idx], err) < 0 ? -1 : 0;
}
