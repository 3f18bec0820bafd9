/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_ps.c -- `slxrun ps [--format table|json] ID [ps options]`: the json
 * form is the array of pids containerd reads; the table form filters `ps`
 * output to the container's processes, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "cli.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Echo the header and the lines whose PID column is one of pids. */
static void filter_lines(FILE *in, const pid_t *pids, size_t n)
{
	char line[4096];
	int pid_col = -1;

	while (fgets(line, sizeof(line), in)) {
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
}

/* `ps ARGS...` (or `ps -ef`) by execvp with its output on a pipe: each
 * argument stays one argv entry, so nothing in one is ever shell syntax. */
static int print_table(const pid_t *pids, size_t n, int argc, char **argv, struct slx_err *err)
{
	cleanup_free char **args = calloc((size_t)argc + 2, sizeof(char *));
	cleanup_file FILE *in = NULL;
	int pipefd[2], status = 0;
	pid_t pid;

	if (!args)
		return slx_error(err, ENOMEM, "ps");
	args[0] = "ps";
	memcpy(args + 1, argv, (size_t)argc * sizeof(char *));
	if (!argc)
		args[1] = "-ef";
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return slx_error(err, errno, "ps: pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp("ps", args);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return slx_error(err, errno, "ps: fork");
	}
	in = fdopen(pipefd[0], "r");
	if (in)
		filter_lines(in, pids, n);
	else
		close(pipefd[0]);
	(void)slx_waitpid(pid, &status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return slx_error(err, 0, "ps: cannot run ps");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return slx_error(err, 0, "ps: ps failed (status %d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

int cmd_ps(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	const char *format = "table";
	pid_t *pids = NULL;
	size_t n = 0;
	int idx = 0, r = 0;
	const struct cli_flag flags[] = {{"format", 'f', CLI_STR, &format}};

	if (cli_parse("ps", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
		return -1;
	if (argc - idx < 1)
		return cli_expect_args("ps", argc, idx, 1, "[--format table|json] ID", err);
	if (strcmp(format, "json") && strcmp(format, "table"))
		return slx_error(err, 0, "ps: --format: unknown format %s (table or json)", format);
	if (rt_pids(ctx, argv[idx], &pids, &n, err) < 0)
		return cli_fail_on(ctx, argv[idx], err);
	if (!strcmp(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		printf("]\n");
	} else {
		/* runc drops the "--" that keeps ps options from being its own. */
		int first = idx + 1 + (argc > idx + 1 && !strcmp(argv[idx + 1], "--"));

		r = print_table(pids, n, argc - first, argv + first, err);
	}
	free(pids);
	return r;
}
