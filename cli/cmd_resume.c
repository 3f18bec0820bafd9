/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_resume.c -- `slxrun resume ID`: thaw a paused container. */
#include "cli.h"

int cmd_resume(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	int idx = 0;

	if (cli_parse("resume", argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args("resume", argc, idx, 1, "ID", err) < 0)
		return -1;
	return rt_resume(ctx, argv[idx], err) < 0 ? -1 : 0;
}
