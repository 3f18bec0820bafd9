/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http.h -- the shim's HTTP front: libmicrohttpd daemons in external
 * event-loop mode (one per listen socket), routing, body limits, and
 * invocation requests held suspended until their answer is ready. */
#ifndef SLX_SHIM_HTTP_H
#define SLX_SHIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../common/err.h"

/* Lambda's synchronous invocation payload limit. */
#define HTTP_MAX_BODY (6u * 1024 * 1024)

/* A listen address: unix:PATH, tcp:127.0.0.1:PORT or tcp:[::1]:PORT. */
struct http_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix only */
};

/* Pure: parse a --listen value; the error names --listen and the value. */
int http_addr_parse(const char *spec, struct http_addr *out, struct slx_err *err);

struct http_front;
struct http_call; /* one invocation request, suspended until answered */

struct http_ops {
	void *ctx;
	/* A complete POST .../invocations: the front keeps the connection
	 * suspended until http_call_answer(), which must come exactly once. */
	void (*invoke)(void *ctx, struct http_call *call);
	/* GET /metrics and GET /status: a malloc'd body, or -1 for a 500. */
	int (*metrics)(void *ctx, char **body, size_t *len);
	int (*status)(void *ctx, char **body, size_t *len);
};

struct http_answer {
	unsigned status;
	const char *body;
	size_t len;
	const char *function_error; /* X-Amz-Function-Error, or NULL */
	const char *start;	    /* X-Slxrun-Start: cold|warm, or NULL */
	const char *sandbox;	    /* X-Slxrun-Sandbox: the sandbox id, or NULL */
};

/* The daemons' epoll fds are added to epfd with data.ptr = tag. */
int http_front_open(const struct http_ops *ops, int epfd, void *tag, struct http_front **out,
		    struct slx_err *err);
/* Bind (a stale unix socket nobody answers on is replaced) and serve. */
int http_front_listen(struct http_front *f, const struct http_addr *a, struct slx_err *err);
/* Let every daemon do the work that is ready; never blocks. */
void http_front_run(struct http_front *f);
/* Milliseconds until a daemon wants http_front_run for its timeouts; -1 none. */
int http_front_timeout_ms(struct http_front *f);
/* Stop accepting: close the listen sockets and unlink the unix ones. */
void http_front_quiesce(struct http_front *f);
/* Calls (connections with a request) the front still tracks. */
size_t http_front_pending(const struct http_front *f);
/* Stop the daemons, unlink unix sockets, free.  NULL is fine. */
void http_front_close(struct http_front *f);

const char *http_call_body(const struct http_call *c, size_t *len);
/* Arrival time (slx_now_ns). */
uint64_t http_call_arrival_ns(const struct http_call *c);
/* Answer and resume the connection; the call may be freed at once. */
void http_call_answer(struct http_call *c, const struct http_answer *a);

#endif
