/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent.c -- the in-sandbox agent's entry: pid 1 of a sandbox, one poll loop,
 * no threads.  Sets up reaping and signals, then runs the function's mode
 * (agent_exec.c or agent_runtime_api.c). */
#include "agent.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* pid 1 of every sandbox is a clone of the shim (or of `invoke`): its
 * command line, in /proc/1/cmdline for the function to read, was the
 * operator's (every function of the node and its bundle's path, an
 * invoke's event).  Overwritten in place with our own name (fields 48-49
 * of /proc/self/stat say where it is; no capability needed). */
static void agent_retitle(void)
{
	char stat[1024], *p;
	uintptr_t start = 0, end = 0;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return;
	stat[n] = '\0';
	if (!(p = strrchr(stat, ')')))
		return;
	/* p ends on the space before field 48, arg_start (field 3 follows ") ") */
	for (int field = 3; p && field <= 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %" SCNuPTR " %" SCNuPTR, &start, &end) != 2 || !start || end <= start)
		return;
	memset((char *)start, 0, end - start);
	snprintf((char *)start, end - start, "slxrun-agent");
}

/* And its name (comm: ps, top, /proc/1/status), which was its parent's:
 * "slxrun" or, for a shim's sandboxes, "slxrun-creator". */
static void agent_rename(void)
{
	(void)prctl(PR_SET_NAME, "slxrun-agent", 0, 0, 0);
}

/* Entered without an exec, the agent would keep its spawner's handlers
 * (a one-shot `invoke`'s for SIGINT, SIGTERM, SIGHUP, SIGQUIT): as pid 1
 * it catches none, so such a signal from the function or a terminal is
 * dropped, as an init's is. */
static void agent_default_signals(void)
{
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;

		if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			(void)signal(s, SIG_DFL);
	}
}

int shim_agent_main(void *arg)
{
	const struct shim_agent_args *args = arg;
	sigset_t chld;
	int sigfd;

	agent_retitle();
	agent_rename();
	agent_default_signals();
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
