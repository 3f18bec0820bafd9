/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent.c -- the in-sandbox agent's entry: pid 1 of a sandbox, one poll loop,
 * no threads.  Sets up reaping and signals, then runs the function's mode
 * (agent_exec.c or agent_runtime_api.c). */
#include "agent.h"

#include <signal.h>
#include <sys/signalfd.h>

int shim_agent_main(void *arg)
{
	const struct shim_agent_args *args = arg;
	sigset_t chld;
	int sigfd;

	/* pid 1: SIGCHLD through a signalfd so reaping is one more poll fd;
	 * SIGPIPE ignored so a function that closes stdin early is no death. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		(void)agent_send_init_error(args->sock, "Runtime.AgentError",
					    "signalfd failed in the sandbox");
		return 1;
	}
	if (args->fn->mode == SHIM_MODE_RUNTIME_API)
		return agent_rapi_main(args->fn, args->sock, sigfd);
	return agent_exec_main(args->fn, args->sock, sigfd);
}
