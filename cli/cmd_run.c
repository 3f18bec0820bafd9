/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_run.c -- `slxrun run [--bundle B] [--detach] ID`: create, start, wait, delete. */
#include "cli.h"

int cmd_run(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct rt_create_opts o = {.bundle = "."};
	bool detach = false, keep = false, no_subreaper = false;
	int idx = 0, status = 0;
	const struct cli_flag flags[] = {
	    {"bundle", 'b', CLI_STR, &o.bundle},
	    {"pid-file", 0, CLI_STR, &o.pid_file},
	    {"console-socket", 0, CLI_STR, &o.console_socket},
	    {"detach", 'd', CLI_BOOL, &detach},
	    {"keep", 0, CLI_BOOL, &keep},
	    {"no-pivot", 0, CLI_BOOL, &o.no_pivot},
	    {"no-new-keyring", 0, CLI_BOOL, &o.no_new_keyring},
	    {"preserve-fds", 0, CLI_INT, &o.preserve_fds},
	    {"no-subreaper", 0, CLI_BOOL, &no_subreaper},
	};

	if (cli_parse("run", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("run", argc, idx, 1, "[flags] ID", err) < 0)
		return -1;
	if (rt_run(ctx, argv[idx], &o, detach, &status, err) < 0)
		return -1;
	return status;
}
