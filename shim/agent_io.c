/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_io.c -- the agent framing on a socket, used by both ends: receive a
 * frame without blocking, send one waiting at most a bound per stall, and
 * the two frames only the agent sends (RESULT, INIT_ERROR). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/buf.h"
#include "agent.h"
#include "lambda.h"

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
		whole = agent_frame_parse(rx->buf, rx->len, &(struct agent_frame){0});
		if (whole < 0)
			return slx_error(err, EMSGSIZE, "agent frame");
		if (whole)
			return 0;
	}
}

static int send_part(int fd, const char *p, size_t n, int timeout_ms, struct slx_err *err)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
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

int agent_send(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
	       const void *c, size_t clen, int timeout_ms, struct slx_err *err)
{
	struct agent_frame_hdr h = {.type = type, .len = (uint32_t)(alen + blen + clen)};

	if (alen + blen + clen > AGENT_FRAME_MAX)
		return slx_error(err, EMSGSIZE, "agent frame of %zu bytes", alen + blen + clen);
	if (send_part(fd, (const char *)&h, sizeof(h), timeout_ms, err) < 0 ||
	    send_part(fd, a, alen, timeout_ms, err) < 0 ||
	    send_part(fd, b, blen, timeout_ms, err) < 0 ||
	    send_part(fd, c, clen, timeout_ms, err) < 0)
		return -1;
	return 0;
}

int agent_send_result(int sock, unsigned outcome, const char *error_type, const char *body,
		      size_t len)
{
	struct agent_result r = {.outcome = outcome,
				 .error_type_len = error_type ? (uint32_t)strlen(error_type) : 0};
	struct slx_err err;

	return agent_send(sock, AGENT_RESULT, &r, sizeof(r), error_type, r.error_type_len, body,
			  len, -1, &err);
}

int agent_send_log(int sock, const char *log, size_t len)
{
	struct slx_err err;

	return agent_send(sock, AGENT_LOG, log, len, NULL, 0, NULL, 0, -1, &err);
}

int agent_send_init_error(int sock, const char *type, const char *msg)
{
	struct slx_buf b = {0};
	struct slx_err err;
	int r = -1;

	if (shim_error_json(&b, type, msg, strlen(msg)) == 0)
		r = agent_send(sock, AGENT_INIT_ERROR, b.p, b.len, NULL, 0, NULL, 0, -1, &err);
	slx_buf_release(&b);
	return r;
}
