/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_create.c -- `slxrun create [--bundle B] [--pid-file P] [--console-socket S] ID`. */
#include "cli.h"

int cmd_create(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct rt_create_opts o = {.bundle = "."};
	bool no_subreaper = false;
	int idx = 0;
	const struct cli_flag flags[] = {
	    {"bundle", 'b', CLI_STR, &o.bundle},
	    {"pid-file", 0, CLI_STR, &o.pid_file},
	    {"console-socket", 0, CLI_STR, &o.console_socket},
	    {"no-pivot", 0, CLI_BOOL, &o.no_pivot},
	    {"no-new-keyring", 0, CLI_BOOL, &o.no_new_keyring},
	    {"preserve-fds", 0, CLI_INT, &o.preserve_fds},
	    {"no-subreaper", 0, CLI_BOOL, &no_subreaper},
	};

	if (cli_parse("create", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("create", argc, idx, 1, "[flags] ID", err) < 0)
		return -1;
	return rt_create(ctx, argv[idx], &o, err) < 0 ? -1 : 0;
}
