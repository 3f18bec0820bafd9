/* SPDX-License-Identifier: GPL-2.0-or-later */
/* serve_setup.c -- the server's setup and teardown: the loop's fds (epoll,
 * signalfd, timerfd), the pool, the orphan records, the HTTP front and its
 * listen sockets (the registry's included); a failed start leaves nothing. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "registry.h"
#include "serve.h"

static int add_fd(struct serve *s, int fd, void *tag, struct slx_err *err)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return slx_error(err, errno, "epoll_ctl");
	return 0;
}

static int open_loop_fds(struct serve *s, struct slx_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	/* Blocked here, inherited by the agent, which sets its own mask and
	 * gives each function an empty one. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return slx_error(err, errno, "sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	s->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->epfd < 0 || s->sigfd < 0 || s->tickfd < 0)
		return slx_error(err, errno, "event loop fds");
	s->tick_ns = (uint64_t)s->opts.tick_ms * NS_PER_MS;
	s->next_tick_ns = slx_now_ns() + s->tick_ns;
	s->wake_ns = UINT64_MAX;
	serve_arm_timer(s);
	if (!s->armed_ns)
		return slx_error(err, errno, "timerfd_settime");
	if (add_fd(s, s->sigfd, &s->tag_signal, err) < 0 ||
	    add_fd(s, s->tickfd, &s->tag_tick, err) < 0)
		return -1;
	return 0;
}

/* Forked before any listener exists, so the helpers hold none. */
static int start_creator(struct serve *s, struct slx_err *err)
{
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		if (shim_creator_start(&s->creators[i], s->fn, err) < 0 ||
		    add_fd(s, s->creators[i].fd, &s->creators[i], err) < 0)
			return -1;
	return 0;
}

/* Sandbox ids: <function>-<pid>-<n>, unique across shims on the host. */
static void id_prefix(const struct shim_function *fn, char *buf, size_t len)
{
	size_t k = 0;

	for (const char *p = fn->name; *p && k < 32; p++, k++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		buf[k] = ok ? c : '_';
	}
	snprintf(buf + k, len - k, "-%d", (int)getpid());
}

/* A TCP port on loopback is open to every local process, a function's
 * sandbox without its own network namespace included: it gets a token or
 * an explicit --no-auth.  A unix socket's mode and group are its gate. */
static int check_auth(struct serve *s, const struct http_addr *addrs, struct slx_err *err)
{
	if (s->opts.auth_token_file && shim_token_load(s->opts.auth_token_file, &s->token, err) < 0)
		return -1;
	for (size_t i = 0; i < s->opts.n_listen; i++)
		if (http_addr_is_tcp(&addrs[i]) && !s->token && !s->opts.no_auth)
			return slx_error(err, EPERM,
					 "--listen %s: a TCP listener is open to every local "
					 "process; give --auth-token-file FILE (or --no-auth, for "
					 "development only)",
					 s->opts.listen[i]);
	return 0;
}

/* `slxrun invoke` reads the token beside the registry socket (0600 in a
 * 0700 directory: root only). */
static int record_token(struct serve *s, struct slx_err *err)
{
	char path[PATH_MAX + 8];

	if (!s->token)
		return 0;
	snprintf(path, sizeof(path), "%s/token", s->rec.dir);
	return slx_write_file_atomic(path, s->token, strlen(s->token), 0600, err);
}

static struct http_front_opts front_opts(const struct serve *s)
{
	const struct shim_serve_opts *o = &s->opts;

	return (struct http_front_opts){
	    .token = s->token,
	    .public_metrics = o->public_metrics,
	    .max_conns = o->max_conns ? o->max_conns : HTTP_MAX_CONNS,
	    .per_client = o->per_client ? o->per_client : HTTP_MAX_PER_CLIENT,
	    .header_timeout_s = o->header_timeout_s ? o->header_timeout_s : HTTP_HEADER_TIMEOUT_S,
	    .body_timeout_s = o->body_timeout_s ? o->body_timeout_s : HTTP_BODY_TIMEOUT_S,
	    .body_budget =
		o->body_budget_mb ? (size_t)o->body_budget_mb << 20 : (size_t)HTTP_BODY_BUDGET,
	};
}

static int listen_all(struct serve *s, const struct http_addr *addrs, struct slx_err *err)
{
	struct http_addr reg;

	for (size_t i = 0; i < s->opts.n_listen; i++) {
		if (addrs[i].path[0] && shim_orphans_add_socket(&s->rec, addrs[i].path, err) < 0)
			return -1;
		if (http_front_listen(s->http, &addrs[i], err) < 0)
			return -1;
	}
	if (http_addr_parse("unix:x", &reg, err) < 0)
		return -1;
	if (strlen(s->registry) >= sizeof(reg.path))
		return slx_error(err, ENAMETOOLONG, "registry socket %s", s->registry);
	strcpy(reg.path, s->registry);
	strcpy(((struct sockaddr_un *)&reg.sa)->sun_path, s->registry);
	if (shim_orphans_add_socket(&s->rec, s->registry, err) < 0)
		return -1;
	return http_front_listen(s->http, &reg, err);
}

int serve_setup(struct serve *s, const struct http_addr *addrs, struct slx_err *err)
{
	const struct http_ops ops = serve_http_ops(s);
	struct http_front_opts fo;
	const struct oci_resources *res = &s->fn->cfg->linux_.resources;
	const struct pool_config cfg = {
	    .min_warm = s->opts.min_warm,
	    .max = s->opts.max,
	    .queue_max = SERVE_QUEUE_MAX,
	    .mem_per_sandbox = res->memory.limit.set && res->memory.limit.v > 0
				   ? (uint64_t)res->memory.limit.v
				   : SERVE_DEFAULT_MEM,
	    .tick_ns = (uint64_t)s->opts.tick_ms * NS_PER_MS,
	};
	char prefix[64], key[32], shims[PATH_MAX];
	const char *base;

	if (check_auth(s, addrs, err) < 0 ||
	    shim_registry_socket_path(s->opts.root, s->fn->bundle, s->registry, sizeof(s->registry),
				      err) < 0)
		return -1;
	fo = front_opts(s);
	base = strrchr(s->registry, '/') + 1;
	snprintf(key, sizeof(key), "%.*s", (int)(strlen(base) - strlen(".sock")), base);
	id_prefix(s->fn, prefix, sizeof(prefix));
	snprintf(shims, sizeof(shims), "%s/shims", s->opts.root);
	s->made_root = access(s->opts.root, F_OK) != 0;
	s->made_shims = access(shims, F_OK) != 0;
	if (pool_init(&s->pool, &cfg, prefix, s->fn->name, err) < 0 ||
	    shim_orphans_reap(s->opts.root, err) < 0 ||
	    shim_orphans_claim(&s->rec, s->opts.root, key, err) < 0 || record_token(s, err) < 0 ||
	    open_loop_fds(s, err) < 0 || start_creator(s, err) < 0 ||
	    http_front_open(&ops, &fo, s->epfd, &s->tag_http, &s->http, err) < 0)
		return -1;
	return listen_all(s, addrs, err);
}

void serve_teardown(struct serve *s)
{
	serve_creator_drain(s);
	while (s->pool.n)
		serve_slot_release(s, s->pool.slots[0]);
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		shim_creator_stop(&s->creators[i]);
	http_front_close(s->http);
	s->http = NULL;
	shim_orphans_release(&s->rec);
	pool_fini(&s->pool);
	free(s->acts);
	s->acts = NULL;
	slx_closep(&s->epfd);
	slx_closep(&s->sigfd);
	slx_closep(&s->tickfd);
	shim_function_free(s->fn);
	if (s->token) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
		s->token = NULL;
	}
}

void serve_forget_dirs(const struct serve *s)
{
	char shims[PATH_MAX];

	snprintf(shims, sizeof(shims), "%s/shims", s->opts.root);
	if (s->made_shims)
		(void)rmdir(shims);
	if (s->made_root)
		(void)rmdir(s->opts.root);
}
