/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_proc.c -- the agent's children: spawn a function process with clean
 * signal state as the function's user, reap every exited child (the agent is
 * pid 1), and clear the sandbox of what an invocation left running. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../runtime/runtime.h"
#include "agent.h"

/* What the child of agent_spawn needs; it shares our memory (CLONE_VM)
 * until execve, so it only makes raw syscalls and writes back its errno.
 * With --share-memory it execs share-exec (by its fd), which execs path. */
struct spawn_child {
	const char *path;
	char *const *argv, *const *envp;
	int exec_fd; /* share-exec, or -1 */
	const int *fds;
	const struct shim_floor *floor;
	int err;
};

/* The function's side: stdio, clean signal state, then (under the floor)
 * the function's user, which leaves it no capabilities across execve, and
 * the bundle's own filter stacked on the inherited default one. */
static int spawn_child_main(void *arg)
{
	struct spawn_child *c = arg;
	const struct shim_floor *f = c->floor;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	struct slx_err err;

	/* the agent has no terminal (its sandbox's init began a session):
	 * neither may the function come by one */
	if (setsid() < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if ((c->fds[i] == i ? fcntl(i, F_SETFD, 0) : dup2(c->fds[i], i)) < 0)
			goto fail;
	(void)sigaction(SIGPIPE, &dfl, NULL);
	(void)sigaction(SIGCHLD, &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (f && f->on) {
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
		    syscall(SYS_setgroups, f->n_gids, f->gids) < 0 ||
		    syscall(SYS_setresgid, f->gid, f->gid, f->gid) < 0 ||
		    syscall(SYS_setresuid, f->uid, f->uid, f->uid) < 0)
			goto fail;
		if (f->bundle_seccomp && rt_seccomp_load(f->bundle_seccomp, &err) < 0)
			goto fail;
	}
	if (c->exec_fd >= 0)
		execveat(c->exec_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
	else
		execve(c->path, c->argv, c->envp);
fail:
	c->err = errno ? errno : EPERM;
	_exit(127);
}

int agent_pipe(int fds[2], const struct shim_floor *floor)
{
	int r, e;

	if (!floor || !floor->on)
		return pipe2(fds, O_CLOEXEC);
	/* The real uid alone, on this thread (credentials are per thread):
	 * the effective and saved stay root's, so the capabilities stay. */
	if (syscall(SYS_setresuid, floor->uid, -1, -1) < 0)
		return -1;
	r = pipe2(fds, O_CLOEXEC);
	e = errno;
	if (syscall(SYS_setresuid, 0, -1, -1) < 0)
		_exit(127); /* never go on as the function's real user */
	errno = e;
	return r;
}

int agent_spawn(const char *path, char *const argv[], char *const envp[], const int fds[3],
		const struct shim_floor *floor, pid_t *pid)
{
	/* The parent sleeps until the child execs (CLONE_VFORK): one stack
	 * serves every spawn. */
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct spawn_child c = {path, argv, envp, -1, fds, floor, 0};
	cleanup_free char **via = NULL;
	size_t n = 0;
	pid_t p;

	/* share-exec PATH ARGV0 ARGS... */
	if (floor && floor->share_memory) {
		while (argv[n])
			n++;
		if (!(via = calloc(n + 3, sizeof(*via)))) {
			errno = ENOMEM;
			return -1;
		}
		via[0] = (char *)"share-exec";
		via[1] = (char *)path;
		memcpy(via + 2, argv, n * sizeof(*via));
		c.argv = via;
		c.exec_fd = floor->share_exec_fd;
	}
	p = clone(spawn_child_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	if (p < 0)
		return -1;
	if (c.err) {
		(void)slx_waitpid(p, NULL);
		errno = c.err;
		return -1;
	}
	*pid = p;
	return 0;
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

void agent_clear_sandbox(void)
{
	/* Outside a pid namespace -1 would mean every process we may signal. */
	if (getpid() != 1)
		return;
	(void)kill(-1, SIGKILL);
	/* Every process here descends from us, and a dying one hands its
	 * children to us before we can reap it: ECHILD means none is left. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}
