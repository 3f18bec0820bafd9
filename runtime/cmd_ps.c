/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_ps.c -- `slxrun ps [--format table|json] ID [ps options]`: the json
 * form is the array of pids containerd reads; the table form filters `ps`
 * output to the container's processes, as runc does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int print_table(const pid_t *pids, size_t n, int argc, char **argv,
		       struct slx_err *err)
{
	char cmd[1024] = "ps", line[4096];
	size_t off = 2;
	int pid_col = -1;
	FILE *p;

	if (!argc)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " -ef");
	for (int i = 0; i < argc && off < sizeof(cmd); i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " '%s'", argv[i]);
	p = popen(cmd, "r");
	if (!p)
		return slx_error(err, 0, "ps: cannot run %s", cmd);
	while (fgets(line, sizeof(line), p)) {
		char copy[4096], *tok, *save = NULL;
		int col = 0;

		memcpy(copy, line, sizeof(copy));
		for (tok = strtok_r(copy, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), col++) {
			if (pid_col < 0 && !strcmp(tok, "PID"))
				pid_col = col;
			if (col == pid_col)
				break;
		}
		if (pid_col < 0 || (tok && !strcmp(tok, "PID")) ||
		    (tok && has_pid(pids, n, strtol(tok, NULL, 10))))
			fputs(line, stdout);
	}
	pclose(p);
	return 0;
}

int cmd_ps(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	const char *format = "table";
	pid_t *pids = NULL;
	size_t n = 0;
	int idx = 0, r = 0;
	const struct cli_flag flags[] = { { "format", 'f', CLI_STR, &format } };

	if (cli_parse("ps", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
		return -1;
	if (argc - idx < 1)
		return cli_expect_args("ps", argc, idx, 1, "[--format table|json] ID", err);
	if (strcmp(format, "json") && strcmp(format, "table"))
		return slx_error(err, 0, "ps: --format: unknown format %s (table or json)",
				 format);
	if (rt_pids(ctx, argv[idx], &pids, &n, err) < 0)
		return -1;
	if (!strcmp(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		printf("]\n");
	} else {
		r = print_table(pids, n, argc - idx - 1, argv + idx + 1, err);
	}
	free(pids);
	return r;
}
