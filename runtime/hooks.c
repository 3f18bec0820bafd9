/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.c -- running OCI hooks: fork+exec with the state on stdin, a
 * timeout enforced with a pidfd, the first failure stops the rest. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "internal.h"

static int hook_wait(pid_t pid, int64_t timeout_s, int *status)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int ms = timeout_s > 0 ? (int)(timeout_s * 1000) : -1;
	int r;

	if (pidfd >= 0) {
		do
			r = poll(&pfd, 1, ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void hook_exec(const struct oci_hook *h, int in_fd)
{
	char *default_argv[] = { h->path, NULL };
	char *empty_env[] = { NULL };

	if (dup2(in_fd, 0) < 0)
		_exit(127);
	rt_close_fds_except(NULL, 0);
	execve(h->path, h->args.v ? h->args.v : default_argv,
	       h->env.v ? h->env.v : empty_env);
	_exit(127);
}

static int hook_run(const char *kind, size_t i, const struct oci_hook *h,
		    const char *state_json, struct slx_err *err)
{
	int pipefd[2];
	int status = 0, r;
	size_t len = strlen(state_json);
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return slx_error(err, errno, "hook %s[%zu]: pipe", kind, i);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return slx_error(err, errno, "hook %s[%zu]: fork", kind, i);
	}
	if (pid == 0)
		hook_exec(h, pipefd[0]);
	close(pipefd[0]);
	/* A hook that ignores stdin must not block us: the state is small
	 * enough for the pipe buffer, and EPIPE is fine. */
	signal(SIGPIPE, SIG_IGN);
	(void)!write(pipefd[1], state_json, len);
	close(pipefd[1]);
	r = hook_wait(pid, h->timeout.set ? h->timeout.v : 0, &status);
	if (r == -ETIMEDOUT)
		return slx_error(err, 0, "hook %s[%zu] %s: timed out after %lld s",
				 kind, i, h->path, (long long)h->timeout.v);
	if (r < 0)
		return slx_error(err, -r, "hook %s[%zu] %s: wait", kind, i, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return slx_error(err, 0, "hook %s[%zu] %s: could not be executed",
				 kind, i, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return slx_error(err, 0, "hook %s[%zu] %s: exit status %d", kind,
				 i, h->path, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return slx_error(err, 0, "hook %s[%zu] %s: killed by signal %d",
				 kind, i, h->path, WTERMSIG(status));
	return 0;
}

int rt_hooks_run(const char *kind, const struct oci_hookv *hooks,
		 const char *state_json, struct slx_err *err)
{
	for (size_t i = 0; i < hooks->n; i++)
		if (hook_run(kind, i, &hooks->v[i], state_json, err) < 0)
			return -1;
	return 0;
}

void rt_hooks_run_logged(const char *kind, const struct oci_hookv *hooks,
			 const struct oci_state *st)
{
	cleanup_free char *json = NULL;
	struct slx_err err;
	size_t len;

	if (!hooks->n || oci_state_to_json(st, false, &json, &len, &err) < 0)
		return;
	if (rt_hooks_run(kind, hooks, json, &err) < 0)
		rt_log("warning", "%s", err.msg);
}
