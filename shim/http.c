/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http.c -- the HTTP front on libmicrohttpd, driven from the shim's own
 * event loop (MHD_USE_EPOLL without an internal thread: the serve process
 * stays single-threaded because it clone3()s sandboxes).  Routes the Lambda
 * RIE invocation path, /metrics and /status; everything else is 404/405. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"

#define HTTP_MAX_DAEMONS    16
#define HTTP_CONN_TIMEOUT_S 30u
#define HTTP_CONN_LIMIT	    4096u

struct http_daemon {
	struct MHD_Daemon *mhd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool quiesced;
};

struct http_front {
	struct http_ops ops;
	int epfd;
	void *tag;
	struct http_daemon d[HTTP_MAX_DAEMONS];
	size_t n;
	size_t calls; /* live struct http_call */
};

struct http_call {
	struct http_front *front;
	struct MHD_Connection *conn;
	struct MHD_Response *resp; /* the answer, queued once resumed */
	unsigned status;
	struct slx_buf body;
	uint64_t arrival_ns;
	bool too_large;
	bool owned;  /* handed to ops.invoke, not answered yet */
	bool closed; /* MHD is done with the connection */
};

enum http_route { ROUTE_NONE, ROUTE_INVOKE, ROUTE_METRICS, ROUTE_STATUS };

/* ---- listen addresses ------------------------------------------------ */

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

int http_addr_parse(const char *spec, struct http_addr *out, struct slx_err *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
	struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;

	memset(out, 0, sizeof(*out));
	if (!strncmp(spec, "unix:", 5)) {
		const char *p = spec + 5;

		if (!*p || strlen(p) >= sizeof(un->sun_path))
			return slx_error(err, 0, "--listen %s: unix socket path empty or too long",
					 spec);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, p);
		strcpy(out->path, p);
		out->len = sizeof(*un);
		return 0;
	}
	if (!strncmp(spec, "tcp:127.0.0.1:", 14) && !parse_port(spec + 14, &in4->sin_port)) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		out->len = sizeof(*in4);
		return 0;
	}
	if (!strncmp(spec, "tcp:[::1]:", 10) && !parse_port(spec + 10, &in6->sin6_port)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		out->len = sizeof(*in6);
		return 0;
	}
	return slx_error(
	    err, 0, "--listen %s: expected unix:PATH, tcp:127.0.0.1:PORT or tcp:[::1]:PORT", spec);
}

/* A unix socket left by a dead server is replaced; a live one is an error. */
static int unix_path_free(const char *path, struct slx_err *err)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	cleanup_close int probe = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : slx_error(err, errno, "stat");
	if (!S_ISSOCK(st.st_mode))
		return slx_error(err, EEXIST, "not a socket");
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return slx_error(err, errno, "socket");
	strcpy(un.sun_path, path);
	if (connect(probe, (struct sockaddr *)&un, sizeof(un)) == 0)
		return slx_error(err, EADDRINUSE, "a server answers there");
	if (unlink(path) < 0 && errno != ENOENT)
		return slx_error(err, errno, "remove the stale socket");
	return 0;
}

static int bind_listen(const struct http_addr *a, struct slx_err *err)
{
	cleanup_close int fd = -1;
	int one = 1;

	if (a->path[0] && unix_path_free(a->path, err) < 0)
		return -1;
	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return slx_error(err, errno, "socket");
	if (!a->path[0])
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
		return slx_error(err, errno, "bind");
	if (listen(fd, 1024) < 0) {
		if (a->path[0])
			(void)unlink(a->path);
		return slx_error(err, errno, "listen");
	}
	return steal_fd(fd);
}

/* "unix:PATH" or "tcp:HOST:PORT", for messages. */
static const char *addr_name(const struct http_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;

	if (a->path[0])
		snprintf(buf, len, "unix:%s", a->path);
	else if (a->sa.ss_family == AF_INET)
		snprintf(buf, len, "tcp:127.0.0.1:%u", ntohs(in4->sin_port));
	else
		snprintf(buf, len, "tcp:[::1]:%u", ntohs(in6->sin6_port));
	return buf;
}

/* ---- responses ----------------------------------------------------------- */

static struct MHD_Response *json_response(const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (r)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return r;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *allow)
{
	struct MHD_Response *r = json_response(body, strlen(body));
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (allow)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char too_large_body[] =
    "{\"errorMessage\":\"Request must be smaller than 6291456 bytes for the "
    "InvokeFunction operation\",\"errorType\":\"RequestEntityTooLarge\"}";

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

/* First call of a request: everything but an invocation is answered now. */
static enum MHD_Result on_first(struct http_front *f, struct MHD_Connection *conn, const char *url,
				const char *method, void **con_cls)
{
	enum http_route route = route_of(url);
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	const char *clen;
	struct http_call *c;
	char *body = NULL;
	size_t len = 0;

	if (route == ROUTE_NONE)
		return reply(conn, MHD_HTTP_NOT_FOUND, "{\"errorMessage\":\"not found\"}", NULL);
	if (route != ROUTE_INVOKE) {
		if (!get)
			return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "{\"errorMessage\":\"method not allowed\"}", "GET, HEAD");
		if (route == ROUTE_METRICS) {
			int r = f->ops.metrics(f->ops.ctx, &body, &len);

			return reply_text(conn, r, body, len,
					  "text/plain; version=0.0.4; charset=utf-8");
		}
		int r = f->ops.status(f->ops.ctx, &body, &len);

		return reply_text(conn, r, body, len, "application/json");
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "{\"errorMessage\":\"method not allowed\"}", "POST");
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && strtoull(clen, NULL, 10) > HTTP_MAX_BODY)
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_large_body, NULL);
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	c->front = f;
	c->conn = conn;
	c->arrival_ns = slx_now_ns();
	f->calls++;
	*con_cls = c;
	return MHD_YES;
}

static void append_body(struct http_call *c, const char *data, size_t n)
{
	if (c->too_large || c->body.len + n > HTTP_MAX_BODY || slx_buf_add(&c->body, data, n) < 0)
		c->too_large = true;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct http_front *f = cls;
	struct http_call *c = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (!c)
		return on_first(f, conn, url, method, con_cls);
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
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_large_body, NULL);
	if (c->owned)
		return MHD_YES;
	c->owned = true;
	MHD_suspend_connection(conn);
	f->ops.invoke(f->ops.ctx, c);
	return MHD_YES;
}

static void call_free(struct http_call *c)
{
	c->front->calls--;
	if (c->resp)
		MHD_destroy_response(c->resp);
	slx_buf_release(&c->body);
	free(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct http_call *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)code;
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

uint64_t http_call_arrival_ns(const struct http_call *c)
{
	return c->arrival_ns;
}

void http_call_answer(struct http_call *c, const struct http_answer *a)
{
	struct MHD_Response *r;

	c->owned = false;
	if (c->closed) {
		call_free(c);
		return;
	}
	r = json_response(a->body, a->len);
	if (r && a->function_error)
		(void)MHD_add_response_header(r, "X-Amz-Function-Error", a->function_error);
	if (r && a->start)
		(void)MHD_add_response_header(r, "X-Slxrun-Start", a->start);
	if (r && a->sandbox)
		(void)MHD_add_response_header(r, "X-Slxrun-Sandbox", a->sandbox);
	/* Without a response MHD closes the connection: the client still hears
	 * that its request is over. */
	c->resp = r;
	c->status = a->status;
	MHD_resume_connection(c->conn);
}

/* ---- daemons --------------------------------------------------------------- */

int http_front_open(const struct http_ops *ops, int epfd, void *tag, struct http_front **out,
		    struct slx_err *err)
{
	struct http_front *f = calloc(1, sizeof(*f));

	if (!f)
		return slx_error(err, ENOMEM, "http front");
	f->ops = *ops;
	f->epfd = epfd;
	f->tag = tag;
	*out = f;
	return 0;
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
	fd = bind_listen(a, err);
	if (fd < 0)
		return slx_error_prefix(err, "--listen %s", addr_name(a, name, sizeof(name)));
	d->mhd =
	    MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_access, f,
			     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
			     on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT, MHD_OPTION_END);
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
}

int http_front_timeout_ms(struct http_front *f)
{
	long long best = -1;

	for (size_t i = 0; i < f->n; i++) {
		MHD_UNSIGNED_LONG_LONG t;

		if (MHD_get_timeout(f->d[i].mhd, &t) == MHD_YES &&
		    (best < 0 || (long long)t < best))
			best = (long long)t;
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

void http_front_close(struct http_front *f)
{
	if (!f)
		return;
	http_front_quiesce(f);
	for (size_t i = 0; i < f->n; i++)
		MHD_stop_daemon(f->d[i].mhd);
	free(f);
}
