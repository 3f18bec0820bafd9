/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.c -- running OCI hooks: fork+exec in their own process group with the
 * state fed to stdin without blocking, one deadline for both (a pidfd), the
 * whole group killed on timeout.  A failure stops the rest, except for
 * poststart and poststop, where it is a warning. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

/* poll() takes int milliseconds: longer timeouts are clamped to ~24 days. */
#define HOOK_TIMEOUT_MAX_S ((int64_t)(INT_MAX / 1000))

/* A running hook: its pid (also its process group), a pidfd, and the write
 * end of its stdin with what is left of the state to write. */
struct hook_proc {
	pid_t pid;
	int pidfd;
	int in_fd;
	const char *buf;
	size_t left;
};

static void hook_exec(const struct oci_hook *h, int in_fd)
{
	char *default_argv[] = {h->path, NULL};
	char *empty_env[] = {NULL};

	/* Its own process group, so a timeout kills whatever it forked too. */
	(void)setpgid(0, 0);
	if (dup2(in_fd, 0) < 0)
		_exit(127);
	rt_close_fds_except(NULL, 0);
	rt_signals_default();
	execve(h->path, h->args.v ? h->args.v : default_argv, h->env.v ? h->env.v : empty_env);
	_exit(127);
}

static int hook_spawn(const struct oci_hook *h, struct hook_proc *hp)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	hp->pid = fork();
	if (hp->pid == 0)
		hook_exec(h, pipefd[0]);
	close(pipefd[0]);
	if (hp->pid < 0) {
		close(pipefd[1]);
		return -1;
	}
	/* Also here: the group must exist before we could signal it. */
	(void)setpgid(hp->pid, hp->pid);
	hp->in_fd = pipefd[1];
	(void)fcntl(hp->in_fd, F_SETFL, O_NONBLOCK);
	hp->pidfd = pidfd_open(hp->pid, 0);
	return 0;
}

/* Write what the pipe takes now; a hook that closed its stdin ends it. */
static void hook_feed(struct hook_proc *hp)
{
	ssize_t n = write(hp->in_fd, hp->buf, hp->left);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		hp->buf += n;
		hp->left -= (size_t)n;
	}
	if (n <= 0 || !hp->left)
		slx_closep(&hp->in_fd);
}

/* Feed stdin and wait for exit under one deadline; on timeout SIGKILL the
 * hook's whole process group.  0, -ETIMEDOUT or -errno. */
static int hook_wait(struct hook_proc *hp, int64_t timeout_s, int *status)
{
	int64_t ms = timeout_s > HOOK_TIMEOUT_MAX_S ? HOOK_TIMEOUT_MAX_S * 1000 : timeout_s * 1000;
	unsigned long long deadline = slx_now_ns() + (unsigned long long)ms * 1000000ULL;

	while (hp->pidfd >= 0) {
		struct pollfd pfd[2] = {{.fd = hp->pidfd, .events = POLLIN},
					{.fd = hp->in_fd, .events = POLLOUT}};
		unsigned long long now = slx_now_ns();
		int r, wait_ms =
			   timeout_s > 0
			       ? (now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000))
			       : -1;

		r = poll(pfd, 2, wait_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0) {
			(void)kill(-hp->pid, SIGKILL);
			(void)kill(hp->pid, SIGKILL);
			(void)waitpid(hp->pid, status, 0);
			return -ETIMEDOUT;
		}
		if (r > 0 && pfd[1].revents)
			hook_feed(hp);
		if (r > 0 && pfd[0].revents)
			break;
	}
	while (hp->in_fd >= 0) /* no pidfd: no timeout either, feed blocking */
		hook_feed(hp);
	while (waitpid(hp->pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int hook_run(const char *kind, size_t i, const struct oci_hook *h, const char *state_json,
		    struct slx_err *err)
{
	struct hook_proc hp = {
	    .pidfd = -1, .in_fd = -1, .buf = state_json, .left = strlen(state_json)};
	int status = 0, r;

	/* A hook that closes its stdin early gets EPIPE, not us a SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (hook_spawn(h, &hp) < 0)
		return slx_error(err, errno, "hook %s[%zu] %s: start", kind, i, h->path);
	r = hook_wait(&hp, h->timeout.set ? h->timeout.v : 0, &status);
	slx_closep(&hp.in_fd);
	slx_closep(&hp.pidfd);
	if (r == -ETIMEDOUT)
		return slx_error(err, 0, "hook %s[%zu] %s: timed out after %lld s", kind, i,
				 h->path, (long long)h->timeout.v);
	if (r < 0)
		return slx_error(err, -r, "hook %s[%zu] %s: wait", kind, i, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return slx_error(err, 0, "hook %s[%zu] %s: could not be executed", kind, i,
				 h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return slx_error(err, 0, "hook %s[%zu] %s: exit status %d", kind, i, h->path,
				 WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return slx_error(err, 0, "hook %s[%zu] %s: killed by signal %d", kind, i, h->path,
				 WTERMSIG(status));
	return 0;
}

int rt_hooks_run(const char *kind, const struct oci_hookv *hooks, const char *state_json,
		 struct slx_err *err)
{
	for (size_t i = 0; i < hooks->n; i++)
		if (hook_run(kind, i, &hooks->v[i], state_json, err) < 0)
			return -1;
	return 0;
}

/* poststart and poststop (runtime.md, lifecycle steps 9 and 12): a failing
 * hook is a warning, and the hooks after it still run. */
void rt_hooks_run_logged(const char *kind, const struct oci_hookv *hooks,
			 const struct oci_state *st)
{
	cleanup_free char *json = NULL;
	struct slx_err err;
	size_t len;

	if (!hooks->n)
		return;
	if (oci_state_to_json(st, false, &json, &len, &err) < 0) {
		rt_log("warning", "hook %s: %s", kind, err.msg);
		return;
	}
	for (size_t i = 0; i < hooks->n; i++)
		if (hook_run(kind, i, &hooks->v[i], json, &err) < 0)
			rt_log("warning", "%s", err.msg);
}
