/* SPDX-License-Identifier: GPL-2.0-or-later */
/* priv.c -- checks run in a forked child for the privileged suite. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/privileged/priv.h"

int priv_in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

void priv_assert_child_ok(int (*fn)(void))
{
	int status = priv_in_child(fn);

	cr_assert(WIFEXITED(status), "child died from signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child failed at step %d", WEXITSTATUS(status));
}
