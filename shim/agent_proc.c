/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_proc.c -- the agent's children: spawn a function process with clean
 * signal state, and reap every exited child (the agent is pid 1). */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

int agent_spawn(const char *path, char *const argv[], char *const envp[],
		const int fds[3], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, deflt;
	int r;

	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGCHLD);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fds[i] != i)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &deflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	errno = r;
	return r ? -1 : 0;
}

int agent_reap(int sigfd, pid_t watch, int *status)
{
	struct signalfd_siginfo si[8];
	int st, found = 0;
	pid_t pid;

	while (read(sigfd, si, sizeof(si)) > 0)
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == watch) {
			*status = st;
			found = 1;
		}
	return found;
}
