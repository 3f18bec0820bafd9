/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http.c -- the HTTP front on libmicrohttpd, driven from the shim's own
 * event loop (MHD_USE_EPOLL without an internal thread: the serve process
 * stays single-threaded because it clone3()s sandboxes).  Routes the Lambda
 * RIE invocation path, /metrics and /status; everything else is 404/405. */
#include "http.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/sock.h"
#include "lambda.h"

#define HTTP_MAX_DAEMONS 16
/* MHD's own idle timeout, behind the front's deadlines: a connection idle
 * between requests is closed by the header deadline first. */
#define HTTP_IDLE_TIMEOUT_S 60u

struct http_front;

/* One accepted connection: when its current phase must be over.  A
 * connection past its deadline is shut down, which MHD then closes.  Until
 * a request on it shows the token (with none asked: until a request's
 * headers are whole) it is unproven, and on its listener's unproven list,
 * oldest first. */
struct http_conn {
	struct http_conn *prev, *next;
	struct http_conn *uprev, *unext; /* unproven list; NULL once proven or cut */
	int fd;
	uint64_t deadline_ns;	   /* UINT64_MAX while its request waits on the pool */
	struct http_call *in_body; /* its request, while its body (held) comes */
};

struct http_daemon {
	struct http_front *front;
	struct MHD_Daemon *mhd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool quiesced;
	struct http_conn unproven; /* list head */
	size_t n_unproven;
};

struct http_front {
	struct http_ops ops;
	struct http_front_opts opts;
	char *token;
	size_t token_len;
	int epfd;
	void *tag;
	struct http_daemon d[HTTP_MAX_DAEMONS];
	size_t n;
	size_t calls;	     /* live struct http_call */
	size_t body_bytes;   /* held by calls: request bodies and answers */
	size_t answer_bytes; /* the answers among them */
	/* By function (ops.function_index; the last, a name none has, which
	 * on a node of several is answered at its headers and holds nothing): what
	 * its calls hold, request bodies and answers, and the answers among
	 * them.  With several functions a body is taken only within its
	 * function's share, and a function whose answers fill its share starts
	 * no call: a function's slow readers held the node's one budget with
	 * its answers, and every other function's calls got 503 (an
	 * attacker's review). */
	size_t *fn_bytes, *fn_answers, share;
	size_t *fn_left; /* shed_answers' own count */
	struct http_call *oldest_answer, *newest_answer;
	struct http_conn conns; /* list head */
	uint64_t next_sweep_ns;
};

/* An answer's bytes, held by its call and by its MHD response (whichever
 * MHD lets go of last frees it), and when MHD last took a block of it to
 * send: a client that reads makes progress (shed_answers). */
struct http_answer_buf {
	unsigned refs;
	size_t len;
	uint64_t progress_ns;
	char bytes[];
};

static void answer_unref(void *cls)
{
	struct http_answer_buf *a = cls;

	if (a && !--a->refs)
		free(a);
}

struct http_call {
	struct http_front *front;
	struct MHD_Connection *conn;
	struct MHD_Response *resp; /* the answer, queued once resumed */
	unsigned status;
	struct slx_buf body;
	size_t held; /* bytes counted in front->body_bytes */
	size_t fn;   /* its function's index in front->fn_bytes */
	uint64_t arrival_ns;
	size_t max_body; /* HTTP_MAX_BODY, or HTTP_MAX_EVENT for an Event */
	enum http_invocation invocation;
	bool log_tail;
	bool too_large, over_budget;
	bool owned;			 /* handed to ops.invoke, not answered yet */
	bool answered;			 /* held is its answer's */
	bool shed;			 /* its connection was cut to free the budget */
	struct http_call *aprev, *anext; /* answers held, oldest first */
	struct http_answer_buf *answer;	 /* shared with its MHD response */
	bool closed;			 /* MHD is done with the connection */
};

enum http_route { ROUTE_NONE, ROUTE_INVOKE, ROUTE_METRICS, ROUTE_STATUS };

/* ---- responses ----------------------------------------------------------- */

static struct MHD_Response *json_response(const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (r)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return r;
}

/* A refusal a client may retry (429, 503) says when. */
static void add_retry_after(struct MHD_Response *r, unsigned status)
{
	if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

static enum MHD_Result reply_with(struct MHD_Connection *conn, unsigned status, const char *body,
				  const char *header, const char *value)
{
	struct MHD_Response *r = json_response(body, strlen(body));
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (header)
		(void)MHD_add_response_header(r, header, value);
	add_retry_after(r, status);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Lambda's DryRun: 204 and a request id, nothing run. */
static enum MHD_Result reply_dry_run(struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	char id[37];

	if (!r)
		return MHD_NO;
	shim_request_id_new(id);
	(void)MHD_add_response_header(r, "X-Amzn-RequestId", id);
	ret = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *allow)
{
	return reply_with(conn, status, body, allow ? MHD_HTTP_HEADER_ALLOW : NULL, allow);
}

static const char too_large_body[] =
    "{\"errorMessage\":\"Request must be smaller than 6291456 bytes for the "
    "InvokeFunction operation\",\"errorType\":\"RequestEntityTooLarge\"}";
static const char event_too_large_body[] =
    "{\"errorMessage\":\"Request must be smaller than 1048576 bytes for an Event "
    "invocation\",\"errorType\":\"RequestEntityTooLarge\"}";
static const char bad_invocation_body[] =
    "{\"errorMessage\":\"X-Amz-Invocation-Type must be RequestResponse, Event or "
    "DryRun\",\"errorType\":\"InvalidParameterValueException\"}";
static const char bad_log_type_body[] = "{\"errorMessage\":\"X-Amz-Log-Type must be None or Tail\","
					"\"errorType\":\"InvalidParameterValueException\"}";
static const char over_budget_body[] =
    "{\"errorMessage\":\"the shim holds as many request bodies as it may; retry\","
    "\"errorType\":\"ServiceUnavailableException\"}";
static const char unauthorized_body[] =
    "{\"errorMessage\":\"missing or wrong bearer token\",\"errorType\":\"Unauthorized\"}";

/* Lambda's 404 for a name no function of the node has, the name printable. */
static enum MHD_Result function_not_found(struct MHD_Connection *conn, const char *name)
{
	char msg[HTTP_FUNCTION_MAX + 32];
	struct slx_buf b = {0};
	enum MHD_Result ret = MHD_NO;
	size_t k = (size_t)snprintf(msg, sizeof(msg), "Function not found: ");

	for (; *name && k + 1 < sizeof(msg); name++)
		msg[k++] = *name >= ' ' && *name <= '~' ? *name : '?';
	msg[k] = '\0';
	if (shim_error_json(&b, "ResourceNotFoundException", msg, k) == 0 &&
	    slx_buf_add(&b, "", 1) == 0)
		ret = reply(conn, MHD_HTTP_NOT_FOUND, b.p, NULL);
	slx_buf_release(&b);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, int r, char *body, size_t len,
				  const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r < 0)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "{\"errorMessage\":\"internal error\"}", NULL);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- connections and their deadlines -------------------------------------- */

static uint64_t deadline_in(unsigned s)
{
	return slx_now_ns() + (uint64_t)s * 1000000000ull;
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

/* While a body comes the sweep looks at least every second whether its
 * client is still there. */
static void conn_in_body(struct http_front *f, struct MHD_Connection *conn, struct http_call *c)
{
	struct http_conn *hc = conn_of(conn);
	uint64_t soon = slx_now_ns() + 1000000000ull;

	if (hc)
		hc->in_body = c;
	if (hc && c && soon < f->next_sweep_ns)
		f->next_sweep_ns = soon;
}

static void conn_set_deadline(struct http_front *f, struct MHD_Connection *conn, unsigned s)
{
	struct http_conn *hc = conn_of(conn);

	if (!hc)
		return;
	hc->deadline_ns = s ? deadline_in(s) : UINT64_MAX;
	if (hc->deadline_ns < f->next_sweep_ns)
		f->next_sweep_ns = hc->deadline_ns;
}

/* ---- unproven connections --------------------------------------------------- */

/* Every local client connects from 127.0.0.1, so a cap per source address
 * is one cap for all of them, the token holder included.  Instead the
 * connections that have not shown the token share --max-per-client per
 * listener, and a new one past it cuts the unproven connection that has
 * waited longest (nginx reuses its oldest idle connections alike when it
 * runs out): a flood of half-sent headers holds at most that many
 * connections and never keeps out a client that sends its headers at once,
 * nor cuts a connection that showed the token. */
static size_t unproven_cap(const struct http_front *f)
{
	unsigned cap = f->opts.per_client;

	/* At --max-connections MHD stops accepting, and only an accepted
	 * connection can make room: keep one slot beyond the unproven. */
	if (f->opts.max_conns > 1 && cap > f->opts.max_conns - 1)
		cap = f->opts.max_conns - 1;
	return cap ? cap : 1;
}

static void unproven_remove(struct http_daemon *d, struct http_conn *hc)
{
	if (!hc->unext)
		return;
	hc->uprev->unext = hc->unext;
	hc->unext->uprev = hc->uprev;
	hc->uprev = hc->unext = NULL;
	d->n_unproven--;
}

static void unproven_add(struct http_daemon *d, struct http_conn *hc)
{
	hc->unext = &d->unproven;
	hc->uprev = d->unproven.uprev;
	d->unproven.uprev->unext = hc;
	d->unproven.uprev = hc;
	d->n_unproven++;
	while (d->n_unproven > unproven_cap(d->front)) {
		struct http_conn *oldest = d->unproven.unext;

		(void)shutdown(oldest->fd, SHUT_RDWR);
		oldest->deadline_ns = UINT64_MAX;
		unproven_remove(d, oldest);
	}
}

/* A request on conn showed the token: never cut for room again. */
static void conn_proven(struct http_daemon *d, struct MHD_Connection *conn)
{
	struct http_conn *hc = conn_of(conn);

	if (hc)
		unproven_remove(d, hc);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_daemon *d = cls;
	struct http_front *f = d->front;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *i;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (hc) {
			unproven_remove(d, hc);
			hc->prev->next = hc->next;
			hc->next->prev = hc->prev;
			free(hc);
		}
		*socket_context = NULL;
		return;
	}
	i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	/* Without its record the connection has no deadline: refuse it. */
	if (!i || !(hc = calloc(1, sizeof(*hc)))) {
		if (i)
			(void)shutdown(i->connect_fd, SHUT_RDWR);
		return;
	}
	hc->fd = i->connect_fd;
	hc->next = &f->conns;
	hc->prev = f->conns.prev;
	f->conns.prev->next = hc;
	f->conns.prev = hc;
	*socket_context = hc;
	conn_set_deadline(f, conn, f->opts.header_timeout_s);
	unproven_add(d, hc);
}

/* Whether the answers held stop fn's calls from starting: they fill the
 * budget, or with several functions fn's share (left: fn's answers). */
static bool answers_fill(const struct http_front *f, size_t left, size_t fn_left)
{
	return left >= f->opts.body_budget || (f->opts.n_functions > 1 && fn_left >= f->share);
}

/* While the answers held fill the budget (or a function's share) no call
 * (of that function) starts: cut the ones whose client has taken nothing
 * for HTTP_ANSWER_GRACE_S (MHD took no block of it to send), longest
 * first, until those left fit; one being read goes on.  A cut answer still
 * counts until MHD has closed its connection. */
static uint64_t shed_answers(struct http_front *f, uint64_t now, uint64_t next)
{
	const uint64_t grace = (uint64_t)HTTP_ANSWER_GRACE_S * 1000000000ull;
	size_t left = f->answer_bytes;

	for (size_t i = 0; i <= f->opts.n_functions; i++)
		f->fn_left[i] = f->fn_answers[i];
	for (struct http_call *c = f->oldest_answer; c; c = c->anext) {
		struct http_conn *hc;

		uint64_t until = (c->answer ? c->answer->progress_ns : 0) + grace;

		if (!answers_fill(f, left, f->fn_left[c->fn]))
			continue;
		if (!c->shed && now < until) {
			if (until < next)
				next = until;
			continue;
		}
		left -= c->held;
		f->fn_left[c->fn] -= c->held;
		if (c->shed || !(hc = conn_of(c->conn)))
			continue;
		(void)shutdown(hc->fd, SHUT_RDWR);
		hc->deadline_ns = UINT64_MAX;
		c->shed = true;
	}
	return next;
}

/* A body whose client left: its bytes and their budget go now, and the
 * rest of it is dropped (the call ends as over budget, to no one). */
static void body_abandoned(struct http_call *c)
{
	c->front->fn_bytes[c->fn] -= c->held;
	c->front->body_bytes -= c->held;
	c->held = 0;
	slx_buf_release(&c->body);
	c->over_budget = true;
}

/* Shut down every connection past its deadline (a trickled header, a slow
 * body, an answer nobody reads); MHD sees the end and closes it. */
static void sweep(struct http_front *f)
{
	uint64_t now = slx_now_ns(), next = now + 1000000000ull;

	if (now < f->next_sweep_ns)
		return;
	for (struct http_conn *hc = f->conns.next; hc != &f->conns; hc = hc->next) {
		/* A client that leaves mid-body was not seen by MHD, which had
		 * stopped reading it (nor after a shutdown), and its declared
		 * length stayed held until the connection timed out (five
		 * aborted 6 MB uploads kept 4 MB calls on 503 for 30 s; an
		 * attacker's review).  Its body is let go here. */
		if (hc->in_body && slx_peer_gone(hc->fd)) {
			body_abandoned(hc->in_body);
			hc->in_body = NULL;
		}
		if (hc->deadline_ns <= now) {
			(void)shutdown(hc->fd, SHUT_RDWR);
			hc->deadline_ns = UINT64_MAX;
		} else if (hc->deadline_ns < next) {
			next = hc->deadline_ns;
		}
	}
	f->next_sweep_ns = shed_answers(f, now, next);
}

/* ---- who may call ------------------------------------------------------------ */

/* `Bearer TOKEN` against the front's token, in time that depends on the
 * token's length only, never on where a guess first differs. */
static bool authorized(const struct http_front *f, struct MHD_Connection *conn)
{
	static const char scheme[] = "Bearer ";
	const char *h =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	volatile unsigned char diff = 0;
	size_t n;

	if (!f->token)
		return true;
	if (!h || strncmp(h, scheme, sizeof(scheme) - 1))
		return false;
	h += sizeof(scheme) - 1;
	n = strnlen(h, f->token_len + 1);
	diff |= n != f->token_len;
	for (size_t i = 0; i < f->token_len; i++)
		diff |= (unsigned char)f->token[i] ^ (unsigned char)(i < n ? h[i] : 0);
	return diff == 0;
}

/* ---- routing ------------------------------------------------------------- */

/* /2015-03-31/functions/<name>/invocations, as the RIE routes it. */
static bool is_invoke_path(const char *url)
{
	static const char prefix[] = "/2015-03-31/functions/";
	const char *name = url + sizeof(prefix) - 1, *slash;

	if (strncmp(url, prefix, sizeof(prefix) - 1))
		return false;
	slash = strchr(name, '/');
	return slash && slash > name && !strcmp(slash, "/invocations");
}

static enum http_route route_of(const char *url)
{
	if (is_invoke_path(url))
		return ROUTE_INVOKE;
	if (!strcmp(url, "/metrics"))
		return ROUTE_METRICS;
	if (!strcmp(url, "/status"))
		return ROUTE_STATUS;
	return ROUTE_NONE;
}

static enum MHD_Result on_read_only(struct http_front *f, struct MHD_Connection *conn,
				    enum http_route route, const char *method)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	char *body = NULL;
	size_t len = 0;
	int r;

	if (!get)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "{\"errorMessage\":\"method not allowed\"}", "GET, HEAD");
	if (route == ROUTE_METRICS) {
		r = f->ops.metrics(f->ops.ctx, &body, &len);
		return reply_text(conn, r, body, len, "text/plain; version=0.0.4; charset=utf-8");
	}
	r = f->ops.status(f->ops.ctx, &body, &len);
	return reply_text(conn, r, body, len, "application/json");
}

/* What the functions hold within their shares: a function's answers past
 * its share (they are never refused, the work is done) are its own to
 * wait out, not the others'. */
static size_t shared_bytes(const struct http_front *f)
{
	size_t sum = 0;

	for (size_t i = 0; i <= f->opts.n_functions; i++)
		sum += f->fn_bytes[i] < f->share ? f->fn_bytes[i] : f->share;
	return sum;
}

/* A body is held only within the front's budget (with several functions,
 * within its function's share and what the shares hold): its declared
 * length is reserved at once, a chunked body is counted as it arrives. */
static bool body_fits(struct http_front *f, struct http_call *c, size_t more)
{
	if (f->opts.n_functions > 1 ? f->fn_bytes[c->fn] + more > f->share ||
					  shared_bytes(f) + more > f->opts.body_budget
				    : f->body_bytes + more > f->opts.body_budget)
		return false;
	f->body_bytes += more;
	f->fn_bytes[c->fn] += more;
	c->held += more;
	return true;
}

static size_t function_index(const struct http_front *f, const char *name)
{
	size_t i = f->ops.function_index ? f->ops.function_index(f->ops.ctx, name) : 0;

	return i < f->opts.n_functions ? i : f->opts.n_functions;
}

/* The NAME of /2015-03-31/functions/NAME/invocations, cut at max. */
static void function_of(const char *url, char *out, size_t max)
{
	const char *name = url + strlen("/2015-03-31/functions/");
	size_t len = strcspn(name, "/");

	snprintf(out, max + 1, "%.*s", (int)(len > max ? max : len), name);
}

struct header_count {
	const char *name;
	unsigned n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_count *c = cls;

	(void)kind;
	(void)value;
	c->n += !strcasecmp(key, c->name);
	return MHD_YES;
}

/* Lambda's header name: its one value (its trailing blanks, which
 * libmicrohttpd keeps, cut), NULL when absent; -1 when it comes twice
 * (the first would win in silence: an Event then DryRun ran as a DryRun). */
static int one_header(struct MHD_Connection *conn, const char *name, char *out, size_t cap,
		      const char **value)
{
	struct header_count c = {name, 0};
	const char *v;
	size_t n;

	*value = NULL;
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
	if (c.n > 1)
		return -1;
	if (!(v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name)))
		return 0;
	for (n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
		;
	if (n >= cap)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	*value = out;
	return 0;
}

/* X-Amz-Invocation-Type, spelt as Lambda's API spells it; absent is
 * RequestResponse.  -1: another value, or two. */
static int invocation_of(struct MHD_Connection *conn, enum http_invocation *out)
{
	char buf[32];
	const char *v;

	*out = HTTP_INVOKE_SYNC;
	if (one_header(conn, "X-Amz-Invocation-Type", buf, sizeof(buf), &v) < 0)
		return -1;
	if (!v || !strcmp(v, "RequestResponse"))
		return 0;
	if (!strcmp(v, "Event"))
		*out = HTTP_INVOKE_EVENT;
	else if (!strcmp(v, "DryRun"))
		*out = HTTP_INVOKE_DRYRUN;
	else
		return -1;
	return 0;
}

/* X-Amz-Log-Type: None (or absent) or Tail.  -1: another value, or two. */
static int log_type_of(struct MHD_Connection *conn, bool *tail)
{
	char buf[32];
	const char *v;

	*tail = false;
	if (one_header(conn, "X-Amz-Log-Type", buf, sizeof(buf), &v) < 0)
		return -1;
	*tail = v && !strcmp(v, "Tail");
	return !v || *tail || !strcmp(v, "None") ? 0 : -1;
}

/* First call of a request (its headers are whole): everything but an
 * invocation is answered now. */
static enum MHD_Result on_first(struct http_daemon *d, struct MHD_Connection *conn, const char *url,
				const char *method, void **con_cls)
{
	struct http_front *f = d->front;
	enum http_route route = route_of(url);
	bool token_ok = authorized(f, conn);
	const char *clen;
	unsigned long long want = 0;
	char name[HTTP_FUNCTION_MAX + 1];
	enum http_invocation inv;
	bool tail;
	struct http_call *c;
	size_t fn, max;

	conn_set_deadline(f, conn, f->opts.body_timeout_s);
	if (token_ok)
		conn_proven(d, conn);
	if (route == ROUTE_NONE)
		return reply(conn, MHD_HTTP_NOT_FOUND, "{\"errorMessage\":\"not found\"}", NULL);
	if (!(route != ROUTE_INVOKE && f->opts.public_metrics) && !token_ok)
		return reply_with(conn, MHD_HTTP_UNAUTHORIZED, unauthorized_body,
				  MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (route != ROUTE_INVOKE)
		return on_read_only(f, conn, route, method);
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "{\"errorMessage\":\"method not allowed\"}", "POST");
	if (invocation_of(conn, &inv) < 0)
		return reply(conn, MHD_HTTP_BAD_REQUEST, bad_invocation_body, NULL);
	if (log_type_of(conn, &tail) < 0)
		return reply(conn, MHD_HTTP_BAD_REQUEST, bad_log_type_body, NULL);
	max = inv == HTTP_INVOKE_EVENT ? HTTP_MAX_EVENT : HTTP_MAX_BODY;
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen)
		want = strtoull(clen, NULL, 10);
	if (want > max)
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			     max == HTTP_MAX_BODY ? too_large_body : event_too_large_body, NULL);
	function_of(url, name, HTTP_FUNCTION_MAX);
	fn = function_index(f, name);
	/* A name no function of the node has is answered at its headers, with
	 * nothing taken of the budget: such calls had a share of their own,
	 * and a caller holding it beside one function's share left a node of
	 * two functions none for the other (an attacker's review). */
	if (f->opts.n_functions > 1 && fn == f->opts.n_functions)
		return function_not_found(conn, name);
	/* Lambda's DryRun: the function is there and the caller may call it. */
	if (inv == HTTP_INVOKE_DRYRUN)
		return reply_dry_run(conn);
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	c->fn = fn;
	c->max_body = max;
	c->invocation = inv;
	c->log_tail = tail && inv == HTTP_INVOKE_SYNC;
	if (!body_fits(f, c, (size_t)want + 1) ||
	    (want && slx_buf_reserve(&c->body, (size_t)want) < 0)) {
		f->body_bytes -= c->held;
		f->fn_bytes[c->fn] -= c->held;
		free(c);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, over_budget_body, NULL);
	}
	c->front = f;
	c->conn = conn;
	c->arrival_ns = slx_now_ns();
	conn_in_body(f, conn, c);
	f->calls++;
	*con_cls = c;
	return MHD_YES;
}

/* A chunked body grows its buffer geometrically; what is held is the
 * buffer's size, counted before it is allocated. */
static void append_body(struct http_call *c, const char *data, size_t n)
{
	struct http_front *f = c->front;
	size_t need = c->body.len + n + 1, cap = c->held;

	if (c->too_large || c->over_budget)
		return;
	if (c->body.len + n > c->max_body) {
		c->too_large = true;
		return;
	}
	if (need > cap) {
		cap = cap * 2 > need ? cap * 2 : need;
		if (cap > c->max_body + 1)
			cap = c->max_body + 1;
		if (!body_fits(f, c, cap - c->held) || slx_buf_reserve(&c->body, cap - 1) < 0) {
			c->over_budget = true;
			return;
		}
	}
	if (slx_buf_add(&c->body, data, n) < 0)
		c->over_budget = true;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct http_daemon *d = cls;
	struct http_front *f = d->front;
	struct http_call *c = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (!c)
		return on_first(d, conn, url, method, con_cls);
	if (c->resp) { /* resumed with the answer */
		ret = MHD_queue_response(conn, c->status, c->resp);
		MHD_destroy_response(c->resp);
		c->resp = NULL;
		return ret;
	}
	if (*upload_data_size) {
		append_body(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->too_large)
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			     c->max_body == HTTP_MAX_BODY ? too_large_body : event_too_large_body,
			     NULL);
	if (c->over_budget)
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, over_budget_body, NULL);
	if (c->owned)
		return MHD_YES;
	c->owned = true;
	conn_in_body(f, conn, NULL);
	conn_set_deadline(f, conn, 0);
	MHD_suspend_connection(conn);
	f->ops.invoke(f->ops.ctx, c);
	return MHD_YES;
}

static void call_free(struct http_call *c)
{
	c->front->calls--;
	c->front->fn_bytes[c->fn] -= c->held;
	c->front->body_bytes -= c->held;
	if (c->answered) {
		c->front->answer_bytes -= c->held;
		c->front->fn_answers[c->fn] -= c->held;
		*(c->aprev ? &c->aprev->anext : &c->front->oldest_answer) = c->anext;
		*(c->anext ? &c->anext->aprev : &c->front->newest_answer) = c->aprev;
	}
	if (c->resp)
		MHD_destroy_response(c->resp);
	slx_buf_release(&c->body);
	answer_unref(c->answer);
	free(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct http_daemon *d = cls;
	struct http_call *c = *con_cls;

	(void)code;
	/* A kept-alive connection waits for its next request's headers. */
	conn_set_deadline(d->front, conn, d->front->opts.header_timeout_s);
	conn_in_body(d->front, conn, NULL);
	if (!c)
		return;
	*con_cls = NULL;
	if (c->owned)
		c->closed = true; /* freed when the pool answers it */
	else
		call_free(c);
}

const char *http_call_body(const struct http_call *c, size_t *len)
{
	*len = c->body.len;
	return c->body.p ? c->body.p : "";
}

void http_call_take_body(struct http_call *c, struct slx_buf *out)
{
	*out = c->body;
	c->body = (struct slx_buf){0};
}

enum http_invocation http_call_invocation(const struct http_call *c)
{
	return c->invocation;
}

bool http_call_log_tail(const struct http_call *c)
{
	return c->log_tail;
}

uint64_t http_call_arrival_ns(const struct http_call *c)
{
	return c->arrival_ns;
}

size_t http_call_function_index(const struct http_call *c)
{
	return c->fn;
}

/* MHD takes the answer block by block as the client's socket drains: each
 * block is progress (shed_answers). */
static ssize_t answer_block(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_answer_buf *a = cls;
	size_t n = a->len - (size_t)pos < max ? a->len - (size_t)pos : max;

	memcpy(buf, a->bytes + pos, n);
	a->progress_ns = slx_now_ns();
	return (ssize_t)n;
}

void http_call_answer(struct http_call *c, const struct http_answer *a)
{
	struct http_front *f = c->front;
	struct MHD_Response *r = NULL;

	c->owned = false;
	if (c->closed) {
		call_free(c);
		return;
	}
	/* The request body is done with; the answer is held instead, counted
	 * over the budget and its function's share (it is never refused: the
	 * work is done; instead no call of the function starts while answers
	 * fill either, http_front_answers_full). */
	slx_buf_release(&c->body);
	f->body_bytes += a->len;
	f->body_bytes -= c->held;
	f->fn_bytes[c->fn] += a->len;
	f->fn_bytes[c->fn] -= c->held;
	f->fn_answers[c->fn] += a->len;
	c->held = a->len;
	c->answered = true;
	c->aprev = f->newest_answer;
	*(c->aprev ? &c->aprev->anext : &f->oldest_answer) = c;
	f->newest_answer = c;
	f->answer_bytes += a->len;
	if (http_front_answers_full(f, c->fn))
		f->next_sweep_ns = slx_now_ns();
	if ((c->answer = malloc(sizeof(*c->answer) + a->len))) {
		*c->answer =
		    (struct http_answer_buf){.refs = 2, .len = a->len, .progress_ns = slx_now_ns()};
		memcpy(c->answer->bytes, a->body, a->len);
		r = MHD_create_response_from_callback(a->len, 64 * 1024, answer_block, c->answer,
						      answer_unref);
		if (!r)
			c->answer->refs--;
	}
	if (r)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (r && a->request_id)
		(void)MHD_add_response_header(r, "X-Amzn-RequestId", a->request_id);
	if (r && a->request_id && a->status == 200)
		(void)MHD_add_response_header(r, "X-Amz-Executed-Version", "$LATEST");
	if (r && a->log_result)
		(void)MHD_add_response_header(r, "X-Amz-Log-Result", a->log_result);
	if (r && a->function_error)
		(void)MHD_add_response_header(r, "X-Amz-Function-Error", a->function_error);
	if (r && a->start)
		(void)MHD_add_response_header(r, "X-Slxrun-Start", a->start);
	if (r && a->sandbox)
		(void)MHD_add_response_header(r, "X-Slxrun-Sandbox", a->sandbox);
	if (r)
		add_retry_after(r, a->status);
	/* Without a response MHD closes the connection: the client still hears
	 * that its request is over. */
	c->resp = r;
	c->status = a->status;
	conn_set_deadline(f, c->conn, f->opts.body_timeout_s);
	MHD_resume_connection(c->conn);
}

/* ---- daemons --------------------------------------------------------------- */

static void front_free(struct http_front *f)
{
	if (f->token) {
		explicit_bzero(f->token, f->token_len);
		free(f->token);
	}
	free(f->fn_bytes);
	free(f->fn_answers);
	free(f->fn_left);
	free(f);
}

int http_front_open(const struct http_ops *ops, const struct http_front_opts *opts, int epfd,
		    void *tag, struct http_front **out, struct slx_err *err)
{
	struct http_front *f = calloc(1, sizeof(*f));

	if (!f)
		return slx_error(err, ENOMEM, "http front");
	f->ops = *ops;
	f->opts = *opts;
	f->opts.token = NULL;
	f->fn_bytes = calloc(opts->n_functions + 1, sizeof(*f->fn_bytes));
	f->fn_answers = calloc(opts->n_functions + 1, sizeof(*f->fn_answers));
	f->fn_left = calloc(opts->n_functions + 1, sizeof(*f->fn_left));
	if (!f->fn_bytes || !f->fn_answers || !f->fn_left) {
		front_free(f);
		return slx_error(err, ENOMEM, "http front");
	}
	f->share = opts->n_functions > 1 ? opts->body_budget / opts->n_functions : 0;
	if (f->share < HTTP_MAX_BODY + 1)
		f->share = HTTP_MAX_BODY + 1;
	if (opts->token) {
		f->token_len = strlen(opts->token);
		if (!(f->token = strdup(opts->token))) {
			front_free(f);
			return slx_error(err, ENOMEM, "http front");
		}
	}
	f->epfd = epfd;
	f->tag = tag;
	f->conns.next = f->conns.prev = &f->conns;
	f->next_sweep_ns = UINT64_MAX;
	*out = f;
	return 0;
}

static struct MHD_Daemon *start_daemon(struct http_daemon *d, int fd)
{
	const struct http_front_opts *o = &d->front->opts;

	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_access,
				d, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, d, MHD_OPTION_NOTIFY_CONNECTION, on_connection, d,
				MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, o->max_conns, MHD_OPTION_END);
}

int http_front_listen(struct http_front *f, const struct http_addr *a, struct slx_err *err)
{
	struct http_daemon *d = &f->d[f->n];
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f->tag};
	char name[160];
	int fd;

	if (f->n == HTTP_MAX_DAEMONS)
		return slx_error(err, 0, "--listen: at most %d addresses", HTTP_MAX_DAEMONS - 1);
	fd = http_addr_bind(a, err);
	if (fd < 0)
		return slx_error_prefix(err, "--listen %s", http_addr_name(a, name, sizeof(name)));
	d->front = f;
	d->unproven.unext = d->unproven.uprev = &d->unproven;
	d->mhd = start_daemon(d, fd);
	if (!d->mhd) {
		close(fd);
		if (a->path[0])
			(void)unlink(a->path);
		return slx_error(err, 0, "--listen: libmicrohttpd refused the socket");
	}
	strcpy(d->unix_path, a->path);
	f->n++;
	info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || epoll_ctl(f->epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev) < 0)
		return slx_error(err, errno, "epoll_ctl for the HTTP daemon");
	return 0;
}

void http_front_run(struct http_front *f)
{
	for (size_t i = 0; i < f->n; i++)
		(void)MHD_run(f->d[i].mhd);
	sweep(f);
}

int http_front_timeout_ms(struct http_front *f)
{
	long long best = -1;
	uint64_t now = slx_now_ns();

	for (size_t i = 0; i < f->n; i++) {
		MHD_UNSIGNED_LONG_LONG t;

		if (MHD_get_timeout(f->d[i].mhd, &t) == MHD_YES &&
		    (best < 0 || (long long)t < best))
			best = (long long)t;
	}
	if (f->next_sweep_ns != UINT64_MAX) {
		long long t = f->next_sweep_ns > now
				  ? (long long)((f->next_sweep_ns - now) / 1000000) + 1
				  : 0;

		if (best < 0 || t < best)
			best = t;
	}
	return best > INT_MAX ? INT_MAX : (int)best;
}

void http_front_quiesce(struct http_front *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct http_daemon *d = &f->d[i];
		MHD_socket fd;

		if (d->quiesced)
			continue;
		d->quiesced = true;
		fd = MHD_quiesce_daemon(d->mhd);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		if (d->unix_path[0])
			(void)unlink(d->unix_path);
	}
}

size_t http_front_pending(const struct http_front *f)
{
	return f->calls;
}

size_t http_front_body_bytes(const struct http_front *f)
{
	return f->body_bytes;
}

bool http_front_answers_full(const struct http_front *f, size_t fn)
{
	return answers_fill(f, f->answer_bytes,
			    fn < f->opts.n_functions ? f->fn_answers[fn]
						     : f->fn_answers[f->opts.n_functions]);
}

void http_front_close(struct http_front *f)
{
	if (!f)
		return;
	http_front_quiesce(f);
	for (size_t i = 0; i < f->n; i++)
		MHD_stop_daemon(f->d[i].mhd);
	front_free(f);
}
