/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_exec.c -- the agent's exec mode: per invocation, posix_spawn of
 * process.args with the event on stdin; stdout is the answer, a non-zero
 * exit an error carrying the tail of stderr. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../runtime/runtime.h"
#include "agent.h"
#include "agent_log.h"
#include "function_sandbox.h"
#include "lambda.h"

struct exec_inv {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	char request_id[128];
	const char *event;
	size_t event_len, event_off;
	struct slx_buf out;
	bool out_overflow;
	struct agent_tail tail; /* its stderr's last bytes */
	uint32_t flags;		/* the INVOKE's */
	uint64_t deadline_ms;
	bool log_early; /* its log went ahead of its deadline (agent_log_early_ms) */
};

struct exec_agent {
	const struct shim_function *fn;
	int sock, sigfd;
	char path[PATH_MAX];
	struct agent_rx rx;
	struct exec_inv inv;
	bool busy;
};

/* Read what fd has; stdout is kept up to the payload limit, stderr's tail.
 * Closes the fd at EOF. */
static void drain(struct exec_inv *inv, int *fd, bool is_stdout)
{
	char buf[65536];
	ssize_t n;

	while (*fd >= 0) {
		n = read(*fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			slx_closep(fd);
			return;
		}
		if (!is_stdout)
			agent_tail_keep(&inv->tail, buf, (size_t)n);
		else if (inv->out.len + (size_t)n > AGENT_PAYLOAD_MAX || inv->out_overflow)
			inv->out_overflow = true;
		else if (slx_buf_add(&inv->out, buf, (size_t)n) < 0)
			inv->out_overflow = true;
	}
}

static void feed_stdin(struct exec_inv *inv)
{
	while (inv->in_fd >= 0 && inv->event_off < inv->event_len) {
		ssize_t n =
		    write(inv->in_fd, inv->event + inv->event_off, inv->event_len - inv->event_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) /* EPIPE: the function did not read its event */
			break;
		inv->event_off += (size_t)n;
	}
	slx_closep(&inv->in_fd);
}

/* A pipe whose parent end is non-blocking (the child's end stays blocking:
 * `cat` must not see EAGAIN). */
static int pipe_for(int fds[2], bool parent_reads, const struct shim_floor *f)
{
	if (agent_pipe(fds, f) < 0)
		return -1;
	(void)fcntl(fds[parent_reads ? 0 : 1], F_SETFL, O_NONBLOCK);
	return 0;
}

static int exec_spawn(struct exec_agent *a)
{
	const struct oci_process *p = &a->fn->cfg->process;
	int in[2], out[2] = {-1, -1}, er[2] = {-1, -1};
	int r = -1;

	if (pipe_for(in, false, &a->fn->floor) < 0)
		return -1;
	if (pipe_for(out, true, &a->fn->floor) == 0 && pipe_for(er, true, &a->fn->floor) == 0)
		r = agent_spawn(a->path, p->args.v, p->env.v ? p->env.v : (char *[]){NULL},
				(int[]){in[0], out[1], er[1]}, &a->fn->floor, &a->inv.pid);
	int saved = errno;
	close(in[0]);
	slx_closep(&out[1]);
	slx_closep(&er[1]);
	a->inv.in_fd = in[1];
	a->inv.out_fd = out[0];
	a->inv.err_fd = er[0];
	errno = saved;
	return r;
}

static void exec_finish(struct exec_agent *a, int status)
{
	struct exec_inv *inv = &a->inv;
	struct slx_buf b = {0};
	char what[96], msg[512];
	char tail[AGENT_TAIL_MAX];
	size_t tl;

	/* Whatever the invocation left running dies before its answer goes
	 * out: it can neither write into this answer nor see the next event. */
	agent_clear_sandbox();
	drain(inv, &inv->out_fd, true);
	drain(inv, &inv->err_fd, false);
	tl = agent_tail_copy(&inv->tail, tail);
	if (inv->flags & AGENT_INVOKE_TAIL) /* its log is its stderr */
		(void)agent_send_log(a->sock, tail, tl);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !inv->out_overflow) {
		(void)agent_send_result(a->sock, SHIM_OK, NULL, inv->out.p, inv->out.len);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(msg, sizeof(msg),
			 "Response payload size exceeded maximum allowed payload size (%u bytes).",
			 AGENT_PAYLOAD_MAX);
		(void)shim_error_json(&b, "Function.ResponseSizeTooLarge", msg, strlen(msg));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
	} else {
		shim_exit_text(status, what, sizeof(what));
		while (tl && (tail[tl - 1] == '\n' || tail[tl - 1] == '\r'))
			tl--;
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s",
			 inv->request_id, what);
		if (WIFEXITED(status) && tl)
			(void)shim_error_json(&b, "Runtime.ExitError", tail, tl);
		else
			(void)shim_error_json(&b, "Runtime.ExitError", msg, strlen(msg));
		(void)agent_send_result(a->sock, WIFEXITED(status) ? SHIM_ERROR : SHIM_CRASH,
					"Unhandled", b.p, b.len);
	}
	slx_buf_release(&b);
	slx_buf_release(&inv->out);
	slx_closep(&inv->in_fd);
	slx_closep(&inv->out_fd);
	slx_closep(&inv->err_fd);
	a->busy = false;
}

static void exec_start(struct exec_agent *a, const char *payload, size_t len)
{
	struct exec_inv *inv = &a->inv;
	struct agent_invoke_msg m;
	struct slx_buf b = {0};
	char msg[PATH_MAX + 64];

	*inv = (struct exec_inv){.in_fd = -1, .out_fd = -1, .err_fd = -1};
	if (agent_invoke_parse(payload, len, &m) < 0)
		return;
	snprintf(inv->request_id, sizeof(inv->request_id), "%.*s", (int)m.request_id_len,
		 m.request_id);
	inv->flags = m.flags;
	inv->deadline_ms = m.deadline_ms;
	inv->event = m.event;
	inv->event_len = m.event_len;
	if (exec_spawn(a) < 0) {
		snprintf(msg, sizeof(msg), "exec %s: %s", a->path, strerror(errno));
		(void)shim_error_json(&b, "Runtime.InvalidEntrypoint", msg, strlen(msg));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
		slx_buf_release(&b);
		slx_closep(&inv->in_fd);
		slx_closep(&inv->out_fd);
		slx_closep(&inv->err_fd);
		return;
	}
	a->busy = true;
	feed_stdin(inv);
}

/* The socket: an INVOKE starts a process (the event stays in rx until the
 * invocation ends); EOF means the shim is gone.  Returns -1 to stop. */
static int exec_on_sock(struct exec_agent *a)
{
	struct slx_err err;
	const char *payload;
	size_t len;
	uint32_t type;

	/* While busy the event lives in rx: only a hang-up matters then. */
	if (a->busy)
		return 0;
	if (agent_rx_fill(&a->rx, a->sock, &err) < 0 || a->rx.eof)
		return -1;
	if (!agent_rx_frame(&a->rx, &type, &payload, &len))
		return 0;
	if (type != AGENT_INVOKE) {
		agent_rx_consume(&a->rx);
		return 0;
	}
	exec_start(a, payload, len);
	if (!a->busy)
		agent_rx_consume(&a->rx);
	return 0;
}

/* Until its log goes ahead of its deadline, when it asked for it; -1 not. */
static int early_log_ms(const struct exec_agent *a)
{
	if (!a->busy || !(a->inv.flags & AGENT_INVOKE_TAIL) || a->inv.log_early)
		return -1;
	return agent_log_early_ms(a->inv.deadline_ms);
}

static void send_early_log(struct exec_agent *a)
{
	char tail[AGENT_TAIL_MAX];

	drain(&a->inv, &a->inv.err_fd, false);
	(void)agent_send_log(a->sock, tail, agent_tail_copy(&a->inv.tail, tail));
	a->inv.log_early = true;
}

static int exec_loop(struct exec_agent *a)
{
	struct exec_inv *inv = &a->inv;
	int status;

	for (;;) {
		struct pollfd pf[5] = {
		    {.fd = a->sock, .events = a->busy ? 0 : POLLIN},
		    {.fd = a->sigfd, .events = POLLIN},
		    {.fd = a->busy ? inv->in_fd : -1, .events = POLLOUT},
		    {.fd = a->busy ? inv->out_fd : -1, .events = POLLIN},
		    {.fd = a->busy ? inv->err_fd : -1, .events = POLLIN},
		};

		if (poll(pf, 5, early_log_ms(a)) < 0 && errno != EINTR)
			return 1;
		if (a->busy && (pf[0].revents & (POLLHUP | POLLERR)))
			return 0;
		if (pf[0].revents && exec_on_sock(a) < 0)
			return 0;
		if (pf[2].revents)
			feed_stdin(inv);
		if (pf[3].revents)
			drain(inv, &inv->out_fd, true);
		if (pf[4].revents)
			drain(inv, &inv->err_fd, false);
		if (pf[1].revents && agent_reap(a->sigfd, a->busy ? inv->pid : 0, &status) &&
		    a->busy) {
			exec_finish(a, status);
			agent_rx_consume(&a->rx);
		}
		if (early_log_ms(a) == 0)
			send_early_log(a);
	}
}

int agent_exec_main(const struct shim_function *fn, int sock, int sigfd)
{
	struct exec_agent a = {.fn = fn, .sock = sock, .sigfd = sigfd};
	struct slx_err err = {0};
	int r;

	if (rt_exec_lookup(&fn->cfg->process, a.path, sizeof(a.path), &err) < 0) {
		(void)agent_send_init_error(sock, "Runtime.InvalidEntrypoint", err.msg);
		return 1;
	}
	if (agent_send(sock, AGENT_READY, NULL, 0, NULL, 0, NULL, 0, -1, &(struct slx_err){0}) < 0)
		return 1;
	r = exec_loop(&a);
	agent_rx_release(&a.rx);
	return r;
}
