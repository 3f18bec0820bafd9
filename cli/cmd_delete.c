/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_delete.c -- `slxrun delete [--force] ID`. */
#include "cli.h"

int cmd_delete(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	bool force = false;
	int idx = 0;
	const struct cli_flag flags[] = {{"force", 'f', CLI_BOOL, &force}};

	if (cli_parse("delete", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("delete", argc, idx, 1, "[--force] ID", err) < 0)
		return -1;
	return rt_delete(ctx, argv[idx], force, err) < 0 ? -1 : 0;
}
