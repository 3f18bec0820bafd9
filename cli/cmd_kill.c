/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_kill.c -- `slxrun kill [--all] ID [SIGNAL]` (default SIGTERM; name or number). */
#include <signal.h>

#include "cli.h"

int cmd_kill(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	bool all = false;
	int idx = 0, sig = SIGTERM;
	const struct cli_flag flags[] = {{"all", 'a', CLI_BOOL, &all}};

	if (cli_parse("kill", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
		return -1;
	if (argc - idx != 1 &&
	    cli_expect_args("kill", argc, idx, 2, "[--all] ID [SIGNAL]", err) < 0)
		return -1;
	if (argc - idx == 2 && (sig = rt_signal_parse(argv[idx + 1])) < 0)
		return slx_error(err, 0, "kill: unknown signal %s", argv[idx + 1]);
	return rt_kill(ctx, argv[idx], sig, all, err) < 0 ? -1 : 0;
}
