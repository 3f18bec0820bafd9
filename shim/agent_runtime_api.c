/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_runtime_api.c -- the agent's runtime-api mode: serve the AWS Lambda
 * Runtime API on 127.0.0.1:9001 inside the sandbox (libmicrohttpd, driven
 * from the agent's single poll loop through its epoll fd), run the
 * function's bootstrap once, and turn its calls into RESULT frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/sock.h"
#include "../runtime/runtime.h"
#include "agent.h"
#include "agent_log.h"
#include "function_sandbox.h"
#include "lambda.h"

#define RAPI_PORT	9001
#define RAPI_ADDR	"127.0.0.1:9001"
#define RAPI_PREFIX	"/2018-06-01/runtime"
#define RAPI_INVOCATION RAPI_PREFIX "/invocation/"
#define RAPI_REGION	"us-east-1"

struct rapi {
	const struct shim_function *fn;
	int sock, sigfd;
	struct MHD_Daemon *d;
	pid_t boot;
	bool ready, dying;
	struct agent_rx rx;
	/* The invocation in flight; its event lives in rx until it ends. */
	bool have_inv, delivered;
	char request_id[128];
	uint64_t deadline_ms;
	const char *event;
	size_t event_len;
	struct MHD_Connection *waiting; /* a suspended GET /next */
	struct rapi_req *waiting_rq;	/* its request */
	struct MHD_Connection *sending; /* the /next the event went to */
	struct agent_log log;		/* the bootstrap's stdout and stderr */
	struct agent_tail tail;		/* what it logged during the call, when asked */
	bool want_tail;			/* the call in hand asks for it */
	bool log_early; /* its log went ahead of its deadline (agent_log_early_ms) */
};

/* One request's upload. */
struct rapi_req {
	struct slx_buf body;
	bool too_big;
	bool superseded; /* a parked /next a later one took the place of */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
			     size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *type,
				   const char *msg)
{
	struct slx_buf b = {0};
	enum MHD_Result ret = MHD_NO;

	if (shim_error_json(&b, type, msg, strlen(msg)) == 0)
		ret = reply(c, status, b.p, b.len);
	slx_buf_release(&b);
	return ret;
}

static void trace_id(char *buf, size_t len)
{
	unsigned char r[20] = {0};
	char hex[41];

	(void)getrandom(r, sizeof(r), GRND_NONBLOCK);
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(buf, len, "Root=1-%08" PRIx64 "-%.24s;Parent=%.16s;Sampled=0",
		 (uint64_t)time(NULL), hex, hex + 24);
}

static enum MHD_Result send_event(struct rapi *a, struct MHD_Connection *c)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(a->event_len, (void *)a->event, MHD_RESPMEM_MUST_COPY);
	char deadline[32], arn[512], trace[128];
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	snprintf(deadline, sizeof(deadline), "%" PRIu64, a->deadline_ms);
	snprintf(arn, sizeof(arn), "arn:aws:lambda:" RAPI_REGION ":000000000000:function:%s",
		 a->fn->name);
	trace_id(trace, sizeof(trace));
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", a->request_id);
	MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", deadline);
	MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn", arn);
	MHD_add_response_header(r, "Lambda-Runtime-Trace-Id", trace);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES) {
		a->delivered = true;
		a->sending = c;
		if (a->want_tail) { /* the call's log starts here: what came before is not its */
			agent_log_drain(&a->log, 2);
			agent_log_tail_start(&a->log, &a->tail);
		}
	}
	return ret;
}

/* The call's log, when asked for it, or its init's: what the pipe still
 * holds first (a runtime logs before it posts its answer).  An init's, only
 * when it logged anything. */
static void send_tail(struct rapi *a)
{
	char out[AGENT_TAIL_MAX];
	size_t n;

	if (!a->log.tail)
		return;
	agent_log_drain(&a->log, 2);
	agent_log_tail_end(&a->log); /* a line it has not ended yet is its too */
	n = agent_tail_copy(&a->tail, out);
	if (n || a->have_inv)
		(void)agent_send_log(a->sock, out, n);
}

/* A runtime asks /next again when its HTTP client gave up the long poll
 * (a timeout, a recycled connection): the latest waits, and the one before
 * (most likely hung up, never watched while suspended) is answered with an
 * error.  It was the new one that was refused, and the next event went to
 * the dead one, lost (an attacker's review). */
static enum MHD_Result on_next(struct rapi *a, struct MHD_Connection *c, struct rapi_req *rq)
{
	if (rq->superseded)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "InvalidStateTransition",
				   "a later /next took this one's place");
	if (!a->ready) {
		a->ready = true;
		send_tail(a); /* what it logged while it started: a cold call's */
		if (agent_send(a->sock, AGENT_READY, NULL, 0, NULL, 0, NULL, 0, -1,
			       &(struct slx_err){0}) < 0)
			a->dying = true;
	}
	if (a->have_inv && !a->delivered)
		return send_event(a, c);
	if (a->waiting && a->waiting != c) {
		a->waiting_rq->superseded = true;
		MHD_resume_connection(a->waiting);
	}
	/* Long poll: park the connection until the shim sends an INVOKE. */
	a->waiting = c;
	a->waiting_rq = rq;
	MHD_suspend_connection(c);
	return MHD_YES;
}

static void inv_end(struct rapi *a)
{
	a->have_inv = a->delivered = false;
	agent_rx_consume(&a->rx);
}

static enum MHD_Result on_result(struct rapi *a, struct MHD_Connection *c, const char *id,
				 size_t id_len, bool is_error, struct rapi_req *rq)
{
	struct slx_buf b = {0};
	char msg[128];

	if (!a->have_inv || !a->delivered || id_len != strlen(a->request_id) ||
	    memcmp(id, a->request_id, id_len))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "InvalidRequestID",
				   "Invalid request ID");
	send_tail(a);
	if (rq->too_big) {
		snprintf(msg, sizeof(msg),
			 "Response payload size exceeded maximum allowed payload size (%u bytes).",
			 AGENT_PAYLOAD_MAX);
		(void)shim_error_json(&b, "Function.ResponseSizeTooLarge", msg, strlen(msg));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
		slx_buf_release(&b);
		inv_end(a);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "RequestEntityTooLarge", msg);
	}
	if (is_error && !rq->body.len) {
		const char *type = MHD_lookup_connection_value(
		    c, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
		const char *m = "Unknown application error occurred";

		(void)shim_error_json(&b, type ? type : "Unhandled", m, strlen(m));
		(void)agent_send_result(a->sock, SHIM_ERROR, "Unhandled", b.p, b.len);
		slx_buf_release(&b);
	} else {
		(void)agent_send_result(a->sock, is_error ? SHIM_ERROR : SHIM_OK,
					is_error ? "Unhandled" : NULL, rq->body.p, rq->body.len);
	}
	inv_end(a);
	return reply(c, MHD_HTTP_ACCEPTED, "{\"status\":\"OK\"}", 15);
}

static enum MHD_Result on_init_error(struct rapi *a, struct MHD_Connection *c, struct rapi_req *rq)
{
	const char *m = "Runtime failed to initialize";
	struct slx_buf b = {0};

	if (a->ready)
		return reply_error(c, MHD_HTTP_FORBIDDEN, "InvalidStateTransition",
				   "init/error after the first /next");
	send_tail(a);
	if (rq->body.len)
		(void)agent_send(a->sock, AGENT_INIT_ERROR, rq->body.p, rq->body.len, NULL, 0, NULL,
				 0, -1, &(struct slx_err){0});
	else if (shim_error_json(&b, "Runtime.Unknown", m, strlen(m)) == 0)
		(void)agent_send(a->sock, AGENT_INIT_ERROR, b.p, b.len, NULL, 0, NULL, 0, -1,
				 &(struct slx_err){0});
	slx_buf_release(&b);
	a->dying = true; /* Lambda ends the sandbox after an init error */
	return reply(c, MHD_HTTP_ACCEPTED, "{\"status\":\"OK\"}", 15);
}

static enum MHD_Result route(struct rapi *a, struct MHD_Connection *c, const char *url,
			     const char *method, struct rapi_req *rq)
{
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (get && !strcmp(url, RAPI_INVOCATION "next"))
		return on_next(a, c, rq);
	if (post && !strcmp(url, RAPI_PREFIX "/init/error"))
		return on_init_error(a, c, rq);
	if (post && !strncmp(url, RAPI_INVOCATION, strlen(RAPI_INVOCATION))) {
		const char *id = url + strlen(RAPI_INVOCATION), *slash = strchr(id, '/');

		if (slash && slash > id && !strcmp(slash, "/response"))
			return on_result(a, c, id, (size_t)(slash - id), false, rq);
		if (slash && slash > id && !strcmp(slash, "/error"))
			return on_result(a, c, id, (size_t)(slash - id), true, rq);
	}
	return reply_error(c, MHD_HTTP_NOT_FOUND, "NotFound", "404 page not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct rapi_req *rq = *con_cls;

	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Keep reading past the limit so the 413 reaches the runtime. */
		if (rq->body.len + *upload_size > AGENT_PAYLOAD_MAX ||
		    slx_buf_add(&rq->body, upload, *upload_size) < 0)
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	return route(cls, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct rapi *a = cls;
	struct rapi_req *rq = *con_cls;

	if (a->waiting == c)
		a->waiting = NULL;
	/* The event did not all reach the runtime (its client hung up): not
	 * delivered, so the next /next gets it, and a bootstrap that exits
	 * now gives it back (GONE) to run elsewhere. */
	if (a->sending == c) {
		a->sending = NULL;
		if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK && a->have_inv)
			a->delivered = false;
	}
	if (rq) {
		slx_buf_release(&rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static int start_http(struct rapi *a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(RAPI_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	/* No internal thread: the agent's loop drives MHD through its epoll fd. */
	a->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, RAPI_PORT, NULL, NULL,
				on_request, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
				MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	return a->d ? 0 : -1;
}

/* ---- the bootstrap -------------------------------------------------------- */

static const char *const reserved_env[] = {
    "AWS_LAMBDA_RUNTIME_API=",
    "AWS_LAMBDA_FUNCTION_NAME=",
    "AWS_LAMBDA_FUNCTION_VERSION=",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=",
    "AWS_REGION=",
    "AWS_DEFAULT_REGION=",
    "AWS_LAMBDA_LOG_GROUP_NAME=",
    "AWS_LAMBDA_LOG_STREAM_NAME=",
};

static bool env_reserved(const char *kv)
{
	for (size_t i = 0; i < sizeof(reserved_env) / sizeof(reserved_env[0]); i++)
		if (!strncmp(kv, reserved_env[i], strlen(reserved_env[i])))
			return true;
	return false;
}

/* process.env, minus what Lambda reserves, plus Lambda's variables; the
 * region is fixed (documented): there is no AWS here to ask. */
static char **boot_env(const struct shim_function *fn, char (*own)[320])
{
	const struct oci_strv *env = &fn->cfg->process.env;
	long long mem = shim_function_memory_mb(fn);
	char **v = calloc(env->n + 12, sizeof(char *));
	size_t n = 0, k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < env->n; i++)
		if (!env_reserved(env->v[i]))
			v[n++] = env->v[i];
	snprintf(own[k++], 320, "AWS_LAMBDA_RUNTIME_API=" RAPI_ADDR);
	snprintf(own[k++], 320, "AWS_LAMBDA_FUNCTION_NAME=%s", fn->name);
	snprintf(own[k++], 320, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
	snprintf(own[k++], 320, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%lld", mem);
	snprintf(own[k++], 320, "AWS_REGION=" RAPI_REGION);
	snprintf(own[k++], 320, "AWS_DEFAULT_REGION=" RAPI_REGION);
	snprintf(own[k++], 320, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", fn->name);
	snprintf(own[k++], 320, "AWS_LAMBDA_LOG_STREAM_NAME=$LATEST");
	if (!floor_env_has(env, "LAMBDA_TASK_ROOT="))
		snprintf(own[k++], 320, "LAMBDA_TASK_ROOT=/var/task");
	for (size_t i = 0; i < k; i++)
		v[n++] = own[i];
	return v;
}

/* stdin: an empty pipe (EOF); stdout and stderr: the log pipe, which the
 * agent copies to the shim's log (agent_log.c), apart from the answers. */
static int start_bootstrap(struct rapi *a, char *path, size_t len, struct slx_err *err)
{
	const struct oci_process *p = &a->fn->cfg->process;
	char own[12][320];
	cleanup_free char **env = NULL;
	int in[2], log_w, r;

	if (rt_exec_lookup(p, path, len, err) < 0)
		return -1;
	if (!(env = boot_env(a->fn, own)) || agent_pipe(in, &a->fn->floor) < 0)
		return slx_error(err, errno, "exec: \"%s\"", p->args.v[0]);
	close(in[1]);
	if (agent_log_open(&a->log, a->fn->name, a->fn->log_rate, &a->fn->floor, &log_w) < 0) {
		close(in[0]);
		return slx_error(err, errno, "exec: \"%s\": log pipe", p->args.v[0]);
	}
	r = agent_spawn(path, p->args.v, env, (int[]){in[0], log_w, log_w}, &a->fn->floor,
			&a->boot);
	close(in[0]);
	close(log_w);
	return r < 0 ? slx_error(err, errno, "exec: \"%s\"", p->args.v[0]) : 0;
}

/* ---- the loop ------------------------------------------------------------- */

/* Whether a parked /next's client has hung up: the agent never watches a
 * suspended connection, and an event sent to a dead one was lost when the
 * send still "completed" (the peer's reset comes after). */
static bool next_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	return i && slx_peer_gone(i->connect_fd);
}

/* An INVOKE: hand it to the parked /next, if any. */
static int on_sock(struct rapi *a)
{
	struct agent_invoke_msg m;
	const char *p;
	size_t len;
	uint32_t type;

	if (agent_rx_fill(&a->rx, a->sock, &(struct slx_err){0}) < 0 || a->rx.eof)
		return -1;
	if (!agent_rx_frame(&a->rx, &type, &p, &len))
		return 0;
	if (type != AGENT_INVOKE || agent_invoke_parse(p, len, &m) < 0 ||
	    m.request_id_len >= sizeof(a->request_id)) {
		agent_rx_consume(&a->rx);
		return 0;
	}
	memcpy(a->request_id, m.request_id, m.request_id_len);
	a->request_id[m.request_id_len] = '\0';
	a->deadline_ms = m.deadline_ms;
	a->want_tail = m.flags & AGENT_INVOKE_TAIL;
	a->log_early = false;
	a->log.tail = NULL;
	a->event = m.event;
	a->event_len = m.event_len;
	a->have_inv = true;
	a->delivered = false;
	if (a->waiting) {
		/* one that hung up is answered (to no one) and the event waits
		 * for the runtime's next /next */
		if (next_gone(a->waiting))
			a->waiting_rq->superseded = true;
		MHD_resume_connection(a->waiting);
		a->waiting = NULL;
	}
	return 0;
}

/* The bootstrap exited: an init error before /next, a crash during an
 * invocation it took; otherwise (idle, or an event it never got: killed
 * while the sandbox was frozen) GONE, so the shim runs that event
 * elsewhere.  Either way the sandbox is done. */
static void on_boot_exit(struct rapi *a, int status)
{
	struct slx_buf b = {0};
	char what[96], msg[512];

	shim_exit_text(status, what, sizeof(what));
	if (!a->ready) {
		snprintf(msg, sizeof(msg), "Runtime exited with error: %s", what);
		send_tail(a);
		(void)agent_send_init_error(a->sock, "Runtime.ExitError", msg);
	} else if (a->have_inv && a->delivered) {
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Runtime exited with error: %s",
			 a->request_id, what);
		send_tail(a);
		if (shim_error_json(&b, "Runtime.ExitError", msg, strlen(msg)) == 0)
			(void)agent_send_result(a->sock, SHIM_CRASH, "Unhandled", b.p, b.len);
		slx_buf_release(&b);
	} else {
		(void)agent_send(a->sock, AGENT_GONE, NULL, 0, NULL, 0, NULL, 0, -1,
				 &(struct slx_err){0});
	}
	a->dying = true;
}

/* Until the call's log goes ahead of its deadline, once the runtime has
 * its event and the call asked for its log; -1 not. */
static int early_log_ms(const struct rapi *a)
{
	if (!a->have_inv || !a->delivered || !a->log.tail || a->log_early)
		return -1;
	return agent_log_early_ms(a->deadline_ms);
}

static void send_early_log(struct rapi *a)
{
	char out[AGENT_TAIL_MAX];

	agent_log_drain(&a->log, 2);
	(void)agent_send_log(a->sock, out, agent_log_tail_peek(&a->log, out));
	a->log_early = true;
}

static int rapi_loop(struct rapi *a)
{
	int epfd = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
	int status;

	while (!a->dying) {
		struct pollfd pf[4] = {
		    {.fd = a->sock, .events = a->have_inv ? 0 : POLLIN},
		    {.fd = a->sigfd, .events = POLLIN},
		    {.fd = epfd, .events = POLLIN},
		    {.fd = a->log.fd, .events = POLLIN},
		};
		MHD_UNSIGNED_LONG_LONG to;
		int tmo = -1, early = early_log_ms(a);

		if (MHD_get_timeout(a->d, &to) == MHD_YES)
			tmo = to > INT_MAX ? INT_MAX : (int)to;
		if (early >= 0 && (tmo < 0 || early < tmo))
			tmo = early;
		if (poll(pf, 4, tmo) < 0 && errno != EINTR)
			return 1;
		if (pf[3].revents)
			agent_log_drain(&a->log, 2);
		/* The bootstrap's end first: after a thaw both it and an INVOKE
		 * may be pending, and an event must not go to a runtime already dead. */
		if (pf[1].revents && agent_reap(a->sigfd, a->boot, &status)) {
			agent_log_drain(&a->log, 2); /* its last words before its exit */
			on_boot_exit(a, status);
			break;
		}
		if (a->have_inv && (pf[0].revents & (POLLHUP | POLLERR)))
			return 0;
		if (!a->have_inv && pf[0].revents && on_sock(a) < 0)
			return 0;
		MHD_run(a->d);
		if (early_log_ms(a) == 0)
			send_early_log(a);
	}
	return 1;
}

int agent_rapi_main(const struct shim_function *fn, int sock, int sigfd)
{
	struct rapi a = {.fn = fn, .sock = sock, .sigfd = sigfd, .log = {.fd = -1}};
	char path[PATH_MAX], msg[PATH_MAX + 128];
	struct slx_err err = {0};
	int r;

	if (start_http(&a) < 0) {
		snprintf(msg, sizeof(msg), "cannot serve the Runtime API on " RAPI_ADDR ": %s",
			 strerror(errno));
		(void)agent_send_init_error(sock, "Runtime.AgentError", msg);
		return 1;
	}
	if (start_bootstrap(&a, path, sizeof(path), &err) < 0) {
		(void)agent_send_init_error(sock, "Runtime.InvalidEntrypoint", err.msg);
		MHD_stop_daemon(a.d);
		return 1;
	}
	/* its init's log, for a cold call's or its init error's Tail */
	agent_log_tail_start(&a.log, &a.tail);
	r = rapi_loop(&a);
	agent_log_close(&a.log, 2);
	MHD_stop_daemon(a.d);
	agent_rx_release(&a.rx);
	return r;
}
