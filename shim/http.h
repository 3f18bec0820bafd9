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

#include "../common/buf.h"
#include "../common/err.h"

/* Lambda's invocation payload limits: synchronous, and an Event's. */
#define HTTP_MAX_BODY  (6u * 1024 * 1024)
#define HTTP_MAX_EVENT (1u * 1024 * 1024)

/* X-Amz-Invocation-Type: RequestResponse (the default), Event (answered
 * 202 once queued) or DryRun (answered 204 at its headers, nothing run). */
enum http_invocation { HTTP_INVOKE_SYNC, HTTP_INVOKE_EVENT, HTTP_INVOKE_DRYRUN };

/* The front's limits: over one, a client is refused with a clear status,
 * never queued without bound (DESIGN.md, "Trust boundaries"). */
#define HTTP_MAX_CONNS	      1024u /* per listener */
#define HTTP_MAX_PER_CLIENT   64u   /* per listener: connections yet to show the token */
#define HTTP_HEADER_TIMEOUT_S 10u   /* from accept (or the last answer) to the headers */
#define HTTP_BODY_TIMEOUT_S   30u   /* from the headers to the body; to send an answer */
#define HTTP_BODY_BUDGET      (32u * 1024 * 1024) /* request and answer bodies held */
/* While the answers held fill the budget, one its client has taken nothing
 * of for this long is cut, longest first (else one client holding its
 * answers shut every other out until the send deadline). */
#define HTTP_ANSWER_GRACE_S 2u
#define HTTP_UNIX_MODE	    0600u

/* A listen address: unix:PATH[,mode=OCTAL][,group=G], tcp:127.0.0.1:PORT
 * or tcp:[::1]:PORT. */
struct http_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix only */
	unsigned mode;						/* unix: the socket file's mode */
	char group[64]; /* unix: its group, a name or a number; "" leaves root's */
};

/* Pure: parse a --listen value; the error names --listen and the value. */
int http_addr_parse(const char *spec, struct http_addr *out, struct slx_err *err);
/* A listening socket for a (non-blocking, close-on-exec): a unix one with the
 * mode and group asked, refused over a path a live process still serves. */
int http_addr_bind(const struct http_addr *a, struct slx_err *err);
/* "unix:PATH" or "tcp:HOST:PORT" for messages. */
const char *http_addr_name(const struct http_addr *a, char *buf, size_t len);
static inline bool http_addr_is_tcp(const struct http_addr *a)
{
	return !a->path[0];
}

/* Who may call and how much the front holds.  With a token, every request
 * but the public ones must carry `Authorization: Bearer TOKEN`. */
struct http_front_opts {
	const char *token;   /* NULL: none asked; copied */
	bool public_metrics; /* /metrics and /status without the token */
	/* per_client: connections per listener that have not shown the token
	 * (every local client is 127.0.0.1: one address is all of them); a new
	 * one past it cuts the one that has waited longest. */
	unsigned max_conns, per_client, header_timeout_s, body_timeout_s;
	size_t body_budget;
	/* The node's functions: with several, the request bodies of one
	 * (waiting or running; ops.function_index says whose) take at most its
	 * share of body_budget, the budget over their number but at least one
	 * body of HTTP_MAX_BODY, so no slow function holds every other out. */
	size_t n_functions;
};

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
	/* The index (below opts.n_functions) of the function a path's NAME
	 * routes to, as invoke will; opts.n_functions for none. */
	size_t (*function_index)(void *ctx, const char *name);
};

struct http_answer {
	unsigned status;
	const char *body;
	size_t len;
	const char *function_error; /* X-Amz-Function-Error, or NULL */
	const char *start;	    /* X-Slxrun-Start: cold|warm, or NULL */
	const char *sandbox;	    /* X-Slxrun-Sandbox: the sandbox id, or NULL */
	const char *request_id;	    /* X-Amzn-RequestId, or NULL */
	const char *log_result;	    /* X-Amz-Log-Result (base64), or NULL */
};

/* The daemons' epoll fds are added to epfd with data.ptr = tag. */
int http_front_open(const struct http_ops *ops, const struct http_front_opts *opts, int epfd,
		    void *tag, struct http_front **out, struct slx_err *err);
/* Bind (a stale unix socket nobody answers on is replaced; a new one gets
 * its mode and group before it listens) and serve. */
int http_front_listen(struct http_front *f, const struct http_addr *a, struct slx_err *err);
/* Let every daemon do the work that is ready; never blocks. */
void http_front_run(struct http_front *f);
/* Milliseconds until a daemon wants http_front_run for its timeouts; -1 none. */
int http_front_timeout_ms(struct http_front *f);
/* Stop accepting: close the listen sockets and unlink the unix ones. */
void http_front_quiesce(struct http_front *f);
/* Bytes of request and answer bodies the front holds now. */
size_t http_front_body_bytes(const struct http_front *f);
/* Whether the answers waiting for their clients fill the body budget, or
 * with several functions function fn's share of it: start no call (of fn)
 * until they drain (clients that ask for 6 MB answers and never read them
 * held them all, 300 of them 1.7 GB) or HTTP_ANSWER_GRACE_S cuts the
 * oldest.  fn is ops.function_index's. */
bool http_front_answers_full(const struct http_front *f, size_t fn);
/* Calls (connections with a request) the front still tracks. */
size_t http_front_pending(const struct http_front *f);
/* Stop the daemons, unlink unix sockets, free.  NULL is fine. */
void http_front_close(struct http_front *f);

const char *http_call_body(const struct http_call *c, size_t *len);
/* Move the body out into out (empty before); the front counts it as held
 * until the call is answered. */
void http_call_take_body(struct http_call *c, struct slx_buf *out);
/* Its X-Amz-Invocation-Type (a DryRun never reaches ops.invoke). */
enum http_invocation http_call_invocation(const struct http_call *c);
/* X-Amz-Log-Type: Tail on a RequestResponse call (Lambda ignores it on an Event). */
bool http_call_log_tail(const struct http_call *c);
/* The NAME of its path /2015-03-31/functions/NAME/invocations (at most
 * HTTP_FUNCTION_MAX bytes of it: a Lambda ARN's length), as
 * ops.function_index placed it when its headers came: a name no function
 * of several has was answered 404 then, so a call handed to ops.invoke is
 * always one function's. */
#define HTTP_FUNCTION_MAX 140
size_t http_call_function_index(const struct http_call *c);
/* Arrival time (slx_now_ns). */
uint64_t http_call_arrival_ns(const struct http_call *c);
/* Answer and resume the connection; the call may be freed at once. */
void http_call_answer(struct http_call *c, const struct http_answer *a);

#endif
