/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_pause.c -- `slxrun pause ID` and `slxrun resume ID` (cgroup.freeze). */
#include "cli.h"

static int freeze_verb(const char *verb, const struct rt_ctx *ctx, int argc,
		       char **argv, struct slx_err *err,
		       int (*op)(const struct rt_ctx *, const char *, struct slx_err *))
{
	int idx = 0;

	if (cli_parse(verb, argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args(verb, argc, idx, 1, "ID", err) < 0)
		return -1;
	return op(ctx, argv[idx], err) < 0 ? -1 : 0;
}

int cmd_pause(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	return freeze_verb("pause", ctx, argc, argv, err, rt_pause);
}

int cmd_resume(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	return freeze_verb("resume", ctx, argc, argv, err, rt_resume);
}
