/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent.c -- the in-sandbox agent: pid 1 of a sandbox, one poll loop, no
 * threads.  Owns the framing's socket I/O, reaping, and exec mode (per
 * invocation posix_spawn of process.args, event on stdin, answer on stdout). */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../runtime/runtime.h"
#include "sandbox.h"

/* ---- framing ------------------------------------------------------------ */

int agent_rx_fill(struct agent_rx *rx, int fd, struct slx_err *err)
{
	int whole;

	for (;;) {
		if (rx->cap - rx->len < 64 * 1024) {
			size_t cap = rx->cap ? rx->cap * 2 : 64 * 1024;
			char *p;

			if (cap > AGENT_FRAME_MAX + sizeof(struct agent_frame_hdr) * 2)
				cap = AGENT_FRAME_MAX + sizeof(struct agent_frame_hdr) * 2;
			if (cap - rx->len == 0)
				return slx_error(err, EMSGSIZE, "agent frame");
			if (!(p = realloc(rx->buf, cap)))
				return slx_error(err, ENOMEM, "agent frame");
			rx->buf = p;
			rx->cap = cap;
		}
		ssize_t n = recv(fd, rx->buf + rx->len, rx->cap - rx->len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno != ECONNRESET)
			return slx_error(err, errno, "agent socket");
		if (n <= 0) {
			rx->eof = true;
			return 0;
		}
		rx->len += (size_t)n;
		/* One frame at a time: stop once a whole one is in. */
		whole = agent_frame_parse(rx->buf, rx->len, &(struct agent_frame){ 0 });
		if (whole < 0)
			return slx_error(err, EMSGSIZE, "agent frame");
		if (whole)
			return 0;
	}
}

static int send_part(int fd, const char *p, size_t n, int timeout_ms,
		     struct slx_err *err)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int r = poll(&pfd, 1, timeout_ms);

			if (r == 0)
				return slx_error(err, ETIMEDOUT, "agent socket");
			if (r < 0 && errno != EINTR)
				return slx_error(err, errno, "agent socket");
			continue;
		}
		if (w < 0)
			return slx_error(err, errno, "agent socket");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int agent_send(int fd, uint32_t type, const void *a, size_t alen,
	       const void *b, size_t blen, const void *c, size_t clen,
	       int timeout_ms, struct slx_err *err)
{
	struct agent_frame_hdr h = { .type = type, .len = (uint32_t)(alen + blen + clen) };

	if (alen + blen + clen > AGENT_FRAME_MAX)
		return slx_error(err, EMSGSIZE, "agent frame of %zu bytes",
				 alen + blen + clen);
	if (send_part(fd, (const char *)&h, sizeof(h), timeout_ms, err) < 0 ||
	    send_part(fd, a, alen, timeout_ms, err) < 0 ||
	    send_part(fd, b, blen, timeout_ms, err) < 0 ||
	    send_part(fd, c, clen, timeout_ms, err) < 0)
		return -1;
	return 0;
}

int agent_send_result(int sock, unsigned outcome, const char *error_type,
		      const char *body, size_t len)
{
	struct agent_result r = { .outcome = outcome,
				  .error_type_len = error_type ? (uint32_t)strlen(error_type) : 0 };
	struct slx_err err;

	return agent_send(sock, AGENT_RESULT, &r, sizeof(r), error_type,
			  r.error_type_len, body, len, -1, &err);
}

int agent_send_init_error(int sock, const char *type, const char *msg)
{
	struct agent_buf b = { 0 };
	struct slx_err err;
	int r = -1;

	if (agent_error_json(&b, type, msg, strlen(msg)) == 0)
		r = agent_send(sock, AGENT_INIT_ERROR, b.p, b.len, NULL, 0,
			       NULL, 0, -1, &err);
	agent_buf_release(&b);
	return r;
}

/* ---- JSON text ------------------------------------------------------------ */

int agent_buf_add(struct agent_buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -1;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int agent_buf_addf(struct agent_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return agent_buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int agent_buf_json_str(struct agent_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (agent_buf_add(b, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		int r;

		if (c == '"' || c == '\\')
			r = agent_buf_add(b, (char[]){ '\\', (char)c }, 2);
		else if (c == '\n')
			r = agent_buf_add(b, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			r = agent_buf_add(b, esc, sizeof(esc));
		else
			r = agent_buf_add(b, &s[i], 1);
		if (r < 0)
			return -1;
	}
	return agent_buf_add(b, "\"", 1);
}

void agent_buf_release(struct agent_buf *b)
{
	free(b->p);
	*b = (struct agent_buf){ 0 };
}

int agent_error_json(struct agent_buf *b, const char *type, const char *msg,
		     size_t msg_len)
{
	b->len = 0;
	if (agent_buf_add(b, "{\"errorMessage\":", 16) < 0 ||
	    agent_buf_json_str(b, msg, msg_len) < 0 ||
	    agent_buf_add(b, ",\"errorType\":", 13) < 0 ||
	    agent_buf_json_str(b, type, strlen(type)) < 0)
		return -1;
	return agent_buf_add(b, "}", 1);
}

void agent_exit_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status)) {
		const char *name = strsignal(WTERMSIG(status));

		snprintf(buf, len, "signal: %s", name ? name : "unknown");
		/* Go's (and so Lambda's) wording is lower case: "segmentation fault". */
		if (buf[8])
			buf[8] = (char)(buf[8] >= 'A' && buf[8] <= 'Z' ? buf[8] + 32 : buf[8]);
		return;
	}
	snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

/* ---- processes ------------------------------------------------------------ */

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

/* ---- exec mode ------------------------------------------------------------ */

#define STDERR_TAIL 4096

struct exec_inv {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	char request_id[128];
	const char *event;
	size_t event_len, event_off;
	struct agent_buf out;
	bool out_overflow;
	char tail[STDERR_TAIL];
	size_t tail_len;
};

struct exec_agent {
	const struct shim_function *fn;
	int sock, sigfd;
	char path[PATH_MAX];
	struct agent_rx rx;
	struct exec_inv inv;
	bool busy;
};

static void tail_keep(struct exec_inv *inv, const char *p, size_t n)
{
	if (n >= STDERR_TAIL) {
		memcpy(inv->tail, p + n - STDERR_TAIL, STDERR_TAIL);
		inv->tail_len = STDERR_TAIL;
		return;
	}
	if (inv->tail_len + n > STDERR_TAIL) {
		size_t drop = inv->tail_len + n - STDERR_TAIL;

		memmove(inv->tail, inv->tail + drop, inv->tail_len - drop);
		inv->tail_len -= drop;
	}
	memcpy(inv->tail + inv->tail_len, p, n);
	inv->tail_len += n;
}

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
			tail_keep(inv, buf, (size_t)n);
		else if (inv->out.len + (size_t)n > AGENT_PAYLOAD_MAX || inv->out_overflow)
			inv->out_overflow = true;
		else if (agent_buf_add(&inv->out, buf, (size_t)n) < 0)
			inv->out_overflow = true;
	}
}

static void feed_stdin(struct exec_inv *inv)
{
	while (inv->in_fd >= 0 && inv->event_off < inv->event_len) {
		ssize_t n = write(inv->in_fd, inv->event + inv->event_off,
				  inv->event_len - inv->event_off);

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
static int pipe_for(int fds[2], bool parent_reads)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	(void)fcntl(fds[parent_reads ? 0 : 1], F_SETFL, O_NONBLOCK);
	return 0;
}

static int exec_spawn(struct exec_agent *a)
{
	const struct oci_process *p = &a->fn->cfg->process;
	int in[2], out[2] = { -1, -1 }, er[2] = { -1, -1 };
	int r = -1;

	if (pipe_for(in, false) < 0)
		return -1;
	if (pipe_for(out, true) == 0 && pipe_for(er, true) == 0)
		r = agent_spawn(a->path, p->args.v,
				p->env.v ? p->env.v : (char *[]){ NULL },
				(int[]){ in[0], out[1], er[1] }, &a->inv.pid);
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
	struct agent_buf b = { 0 };
	char what[96], msg[512];
	size_t tl = inv->tail_len;

	drain(inv, &inv->out_fd, true);
	drain(inv, &inv->err_fd, false);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !inv->out_overflow) {
		(void)agent_send_result(a->sock, SHIM_OK, NULL, inv->out.p, inv->out.len);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(msg, sizeof(msg), "Response payload size exceeded maximum allowed payload size (%u bytes).",
			 AGENT_PAYLOAD_MAX);
		(void)agent_error_json(&b, "Function.ResponseSizeTooLarge", msg, strlen(msg));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
	} else {
		agent_exit_text(status, what, sizeof(what));
		while (tl && (inv->tail[tl - 1] == '\n' || inv->tail[tl - 1] == '\r'))
			tl--;
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s",
			 inv->request_id, what);
		if (WIFEXITED(status) && tl)
			(void)agent_error_json(&b, "Runtime.ExitError", inv->tail, tl);
		else
			(void)agent_error_json(&b, "Runtime.ExitError", msg, strlen(msg));
		(void)agent_send_result(a->sock, WIFEXITED(status) ? SHIM_ERROR : SHIM_CRASH,
					"Unhandled", b.p, b.len);
	}
	agent_buf_release(&b);
	agent_buf_release(&inv->out);
	slx_closep(&inv->in_fd);
	slx_closep(&inv->out_fd);
	slx_closep(&inv->err_fd);
	a->busy = false;
}

static void exec_start(struct exec_agent *a, const char *payload, size_t len)
{
	struct exec_inv *inv = &a->inv;
	struct agent_invoke_msg m;
	struct agent_buf b = { 0 };
	char msg[PATH_MAX + 64];

	*inv = (struct exec_inv){ .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	if (agent_invoke_parse(payload, len, &m) < 0)
		return;
	snprintf(inv->request_id, sizeof(inv->request_id), "%.*s",
		 (int)m.request_id_len, m.request_id);
	inv->event = m.event;
	inv->event_len = m.event_len;
	if (exec_spawn(a) < 0) {
		snprintf(msg, sizeof(msg), "exec %s: %s", a->path, strerror(errno));
		(void)agent_error_json(&b, "Runtime.InvalidEntrypoint", msg, strlen(msg));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
		agent_buf_release(&b);
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

static int exec_loop(struct exec_agent *a)
{
	struct exec_inv *inv = &a->inv;
	int status;

	for (;;) {
		struct pollfd pf[5] = {
			{ .fd = a->sock, .events = a->busy ? 0 : POLLIN },
			{ .fd = a->sigfd, .events = POLLIN },
			{ .fd = a->busy ? inv->in_fd : -1, .events = POLLOUT },
			{ .fd = a->busy ? inv->out_fd : -1, .events = POLLIN },
			{ .fd = a->busy ? inv->err_fd : -1, .events = POLLIN },
		};

		if (poll(pf, 5, -1) < 0 && errno != EINTR)
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
	}
}

static int exec_main(const struct shim_function *fn, int sock, int sigfd)
{
	struct exec_agent a = { .fn = fn, .sock = sock, .sigfd = sigfd };
	struct slx_err err = { 0 };
	int r;

	if (rt_exec_lookup(&fn->cfg->process, a.path, sizeof(a.path), &err) < 0) {
		(void)agent_send_init_error(sock, "Runtime.InvalidEntrypoint", err.msg);
		return 1;
	}
	if (agent_send(sock, AGENT_READY, NULL, 0, NULL, 0, NULL, 0, -1,
		       &(struct slx_err){ 0 }) < 0)
		return 1;
	r = exec_loop(&a);
	agent_rx_release(&a.rx);
	return r;
}

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
	return exec_main(args->fn, args->sock, sigfd);
}
