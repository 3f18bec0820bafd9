/* SPDX-License-Identifier: GPL-2.0-or-later */
/* serve_setup.c -- the server's setup and teardown: the loop's fds (epoll,
 * signalfd, timerfd), the pool, the orphan records, the HTTP front and its
 * listen sockets (the registry's included); a failed start leaves nothing. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "registry.h"
#include "serve.h"
#include "spool.h"

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
		if (shim_creator_start(&s->creators[i], s->fnv, s->n_fns, NULL, err) < 0 ||
		    add_fd(s, s->creators[i].fd, &s->creators[i], err) < 0)
			return -1;
	return 0;
}

/* A creator in c's place: it closes every fd it inherits but its socket,
 * as the first did, and is given back the soft open files limit the shim
 * started with, which the first had (raise_open_files). */
static int creator_restart(struct serve *s, struct shim_creator *c, struct slx_err *err)
{
	if (shim_creator_start(c, s->fnv, s->n_fns, s->files.rlim_max ? &s->files : NULL, err) < 0)
		return -1;
	if (add_fd(s, c->fd, c, err) < 0) {
		shim_creator_stop(c);
		return -1;
	}
	return 0;
}

/* After n deaths in a row of creators that lived under a second (or
 * restarts that failed): none yet, then 0.1 s doubling to 30 s. */
static uint64_t restart_delay_ns(unsigned n)
{
	uint64_t d = NS_PER_S / 10;

	if (!n)
		return 0;
	for (unsigned i = 1; i < n && d < 30 * NS_PER_S; i++)
		d *= 2;
	return d < 30 * NS_PER_S ? d : 30 * NS_PER_S;
}

void serve_creators_restart(struct serve *s, uint64_t now)
{
	for (size_t i = 0; i < SERVE_CREATORS && !s->stopping; i++) {
		struct shim_creator *c = &s->creators[i];
		struct slx_err err = {0};

		if (c->fd >= 0 || now < c->restart_ns || creator_restart(s, c, &err) == 0)
			continue;
		c->restart_ns = now + restart_delay_ns(++c->young_deaths);
		fprintf(
		    stderr,
		    "slxrun shim: no sandbox creator in its place, tried again in %llu ms: %s\n",
		    (unsigned long long)((c->restart_ns - now) / NS_PER_MS), err.msg);
	}
}

void serve_creator_died(struct serve *s, struct shim_creator *c, uint64_t now)
{
	c->young_deaths = now - c->started_ns >= NS_PER_S ? 0 : c->young_deaths + 1;
	c->restart_ns = now + restart_delay_ns(c->young_deaths);
	serve_creators_restart(s, now);
}

/* Sandbox ids: <function>-<pid>-<n>, unique across shims on the host; on a
 * node of several, <function>-<pid>.<index>-<n>, since two names may share
 * the 32 characters kept (found by an attacker's read: two functions'
 * sandboxes took each other's ids, records and cgroups). */
static void id_prefix(const struct serve *s, size_t fi, char *buf, size_t len)
{
	const struct shim_function *fn = s->fns[fi].fn;
	size_t k = 0;

	for (const char *p = fn->name; *p && k < 32; p++, k++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		buf[k] = ok ? c : '_';
	}
	if (s->n_fns > 1)
		snprintf(buf + k, len - k, "-%d.%zu", (int)getpid(), fi);
	else
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

/* Bodies held at once: each function's share is at least one whole body,
 * so the default grows to that many, and a budget given smaller is refused
 * (shares past it overlapped: the callers of the others left a function
 * less than one body, its share untouched). */
static int body_budget(const struct serve *s, size_t *out, struct slx_err *err)
{
	size_t least = s->n_fns > 1 ? s->n_fns * ((size_t)HTTP_MAX_BODY + 1) : 0;
	unsigned mb = s->opts.body_budget_mb;

	if (!mb) {
		*out = least > HTTP_BODY_BUDGET ? least : (size_t)HTTP_BODY_BUDGET;
		return 0;
	}
	*out = (size_t)mb << 20;
	if (*out < least)
		return slx_error(
		    err, EINVAL,
		    "--body-budget-mb: %u MB cannot hold one %u MB body for each of %zu "
		    "functions (%zu MB at least)",
		    mb, HTTP_MAX_BODY >> 20, s->n_fns, (least >> 20) + 1);
	return 0;
}

static struct http_front_opts front_opts(const struct serve *s, size_t budget)
{
	const struct shim_serve_opts *o = &s->opts;

	return (struct http_front_opts){
	    .token = s->token,
	    .public_metrics = o->public_metrics,
	    .max_conns = o->max_conns ? o->max_conns : HTTP_MAX_CONNS,
	    .per_client = o->per_client ? o->per_client : HTTP_MAX_PER_CLIENT,
	    .header_timeout_s = o->header_timeout_s ? o->header_timeout_s : HTTP_HEADER_TIMEOUT_S,
	    .body_timeout_s = o->body_timeout_s ? o->body_timeout_s : HTTP_BODY_TIMEOUT_S,
	    .body_budget = budget,
	    .n_functions = s->n_fns,
	};
}

/* Every function after the first is found by `slxrun invoke BUNDLE` through
 * a link from its bundle's registry path to the node's socket (the token
 * is read beside the link's target). */
static int link_registries(struct serve *s, struct slx_err *err)
{
	const char *target = strrchr(s->fns[0].registry, '/') + 1;

	for (size_t fi = 1; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];

		if (!f->registry[0])
			continue;
		/* Recorded once made, with its target: a failed start or a later
		 * sweep never removes a link another node made (found by an
		 * attacker's read). */
		if (shim_registry_link(f->registry, target, err) < 0)
			return -1;
		if (shim_orphans_add_link(&s->rec, f->registry, target, err) < 0) {
			(void)unlink(f->registry);
			return -1;
		}
	}
	return 0;
}

static int listen_all(struct serve *s, const struct http_addr *addrs, struct slx_err *err)
{
	struct http_addr reg;
	const char *registry = s->fns[0].registry;

	for (size_t i = 0; i < s->opts.n_listen; i++) {
		if (addrs[i].path[0] && shim_orphans_add_socket(&s->rec, addrs[i].path, err) < 0)
			return -1;
		if (http_front_listen(s->http, &addrs[i], err) < 0)
			return -1;
	}
	if (http_addr_parse("unix:x", &reg, err) < 0)
		return -1;
	if (strlen(registry) >= sizeof(reg.path))
		return slx_error(err, ENAMETOOLONG, "registry socket %s", registry);
	strcpy(reg.path, registry);
	strcpy(((struct sockaddr_un *)&reg.sa)->sun_path, registry);
	if (shim_orphans_add_socket(&s->rec, registry, err) < 0 ||
	    http_front_listen(s->http, &reg, err) < 0)
		return -1;
	return link_registries(s, err);
}

/* ---- the functions ---------------------------------------------------------- */

/* A Lambda function name: letters, digits, - and _, at most 64. */
static bool name_ok(const char *n, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '_'))
			return false;
	return true;
}

/* "NAME=REF" when what precedes the first '=' is a name; else all of it
 * is the reference and the name is the bundle's. */
static const char *split_name(const char *arg, char *name, size_t len)
{
	const char *eq = strchr(arg, '=');

	name[0] = '\0';
	if (!eq || !name_ok(arg, (size_t)(eq - arg)) || (size_t)(eq - arg) >= len)
		return arg;
	snprintf(name, len, "%.*s", (int)(eq - arg), arg);
	return eq + 1;
}

static int load_one(struct serve *s, size_t fi, struct slx_err *err)
{
	struct serve_fn *f = &s->fns[fi];
	cleanup_free char *bundle = NULL;
	char name[65];
	const char *base, *ref = split_name(s->opts.functions[fi], name, sizeof(name));
	cleanup_close int pin = -1;

	if (shim_function_bundle(s->opts.root, ref, &bundle, &pin, err) < 0 ||
	    shim_function_load(bundle, s->opts.root, &s->opts.floor, &s->opts.settings, &f->fn,
			       err) < 0)
		return -1;
	f->fn->pin = steal_fd(pin);
	s->n_fns = fi + 1; /* loaded: the teardown frees it */
	if (name[0]) {
		char *n = strdup(name);

		if (!n)
			return slx_error(err, ENOMEM, "function %s", name);
		free(f->fn->name);
		f->fn->name = n;
	}
	if (s->opts.n_functions > 1 && !name_ok(f->fn->name, strlen(f->fn->name)))
		return slx_error(err, EINVAL,
				 "shim serve: %s: \"%s\" is no function name (letters, digits, - "
				 "and _, at most 64): name it NAME=%s",
				 s->opts.functions[fi], f->fn->name, s->opts.functions[fi]);
	for (size_t k = 0; k < fi; k++)
		if (!strcmp(s->fns[k].fn->name, f->fn->name))
			return slx_error(err, EEXIST,
					 "shim serve: two functions named %s: name them "
					 "NAME=BUNDLE",
					 f->fn->name);
	if (shim_registry_socket_path(s->opts.root, f->fn->bundle, f->registry, sizeof(f->registry),
				      err) < 0)
		return -1;
	base = strrchr(f->registry, '/') + 1;
	snprintf(f->key, sizeof(f->key), "%.*s", (int)(strlen(base) - strlen(".sock")), base);
	for (size_t k = 0; k < fi; k++) /* one bundle twice: invoke finds the first */
		if (!strcmp(s->fns[k].registry, f->registry))
			f->registry[0] = '\0';
	s->fnv[fi] = f->fn;
	return 0;
}

int serve_load_functions(struct serve *s, struct slx_err *err)
{
	size_t n = s->opts.n_functions;

	s->fns = calloc(n, sizeof(*s->fns));
	s->fnv = calloc(n, sizeof(*s->fnv));
	s->model.fn = calloc(n, sizeof(*s->model.fn));
	if (!s->fns || !s->fnv || !s->model.fn)
		return slx_error(err, ENOMEM, "shim serve: %zu functions", n);
	/* Every sandbox the node may hold, together, takes at most half the
	 * host's processes: at --max 32 a function's 1,024 each held all of
	 * this host's 32,768 pids, and forks failed host-wide (an attacker's
	 * review). */
	if (!s->opts.floor.unsafe &&
	    shim_floor_pids_share((uint64_t)n * s->opts.max, &s->opts.floor.pids, err) < 0)
		return slx_error_prefix(err, "shim serve");
	/* before an image ref puts anything in the store (shim/invoke.c) */
	if (!s->opts.floor.unsafe && shim_floor_range_hold(&s->opts.floor, err) < 0)
		return -1;
	for (size_t fi = 0; fi < n; fi++) {
		s->fns[fi].serve = s;
		if (load_one(s, fi, err) < 0)
			return -1;
	}
	return 0;
}

/* With --node-memory, the parent cgroup of every sandbox: memory.max is
 * the budget where this host's cgroup v2 has the memory controller (the
 * policy keeps to it either way), recorded so a crash leaves nothing. */
static int node_cgroup(struct serve *s, struct slx_err *err)
{
	struct oci_resources res = {0};
	char rel[96], abs[PATH_MAX];

	uint32_t salt;

	if (!s->opts.node_memory || !cg_unified_root())
		return 0;
	/* Never another node's: a name no earlier pid (nor a pid namespace's
	 * pid 1) held, and it must be new (found by an attacker's read: two
	 * nodes adopted one parent, and stopping one killed the other's). */
	if (getrandom(&salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		return slx_error(err, errno, "--node-memory: getrandom");
	snprintf(rel, sizeof(rel), "slxrun/node-%d-%08" PRIx32, (int)getpid(), salt);
	if (cg_available_controllers() & CG_CTRL_MEMORY) {
		res.present = res.memory.present = true;
		res.memory.limit = (struct oci_opt_i64){true, (int64_t)s->opts.node_memory};
	} else {
		fprintf(stderr, "slxrun shim: warning: this host's cgroup v2 has no memory "
				"controller: --node-memory is kept by the policy only, not "
				"memory.max\n");
	}
	snprintf(abs, sizeof(abs), "%s/%s", cg_unified_root(), rel);
	if (shim_orphans_add_parent(&s->rec, abs, err) < 0 ||
	    cg_create(rel, &res, &s->node.cg, err) < 0)
		return slx_error_prefix(err, "--node-memory");
	s->node.have_cg = true;
	if (!s->node.cg.created)
		return slx_error(err, EEXIST, "--node-memory: cgroup %s exists already", abs);
	if (res.present && cg_resources_apply(&s->node.cg, &res, err) < 0)
		return slx_error_prefix(err, "--node-memory");
	s->node.rel = strdup(rel);
	if (!s->node.rel)
		return slx_error(err, ENOMEM, "--node-memory");
	for (size_t fi = 0; fi < s->n_fns; fi++)
		s->fns[fi].fn->cgroup_parent = s->node.rel;
	return 0;
}

/* A sandbox's size in the model: the memory the function is given (the
 * floor's, even where this host cannot hold it as memory.max), else its
 * bundle's limit, else the replay's default. */
static uint64_t mem_per_sandbox(const struct shim_function *fn)
{
	const struct oci_resources *res = &fn->cfg->linux_.resources;

	if (fn->floor.on && fn->floor.memory_mb)
		return (uint64_t)fn->floor.memory_mb << 20;

	return res->memory.limit.set && res->memory.limit.v > 0 ? (uint64_t)res->memory.limit.v
								: SERVE_DEFAULT_MEM;
}

/* A node must hold one sandbox of each function and every --min-warm
 * sandbox: else a request waits for room that never comes. */
static int check_budget(const struct serve *s, struct slx_err *err)
{
	uint64_t warm = 0;

	if (!s->node.budget)
		return 0;
	if (s->node.budget > (uint64_t)INT64_MAX)
		return slx_error(err, EINVAL, "--node-memory: %" PRIu64 " bytes is too large",
				 s->node.budget);
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		uint64_t mem = s->model.fn[fi].mem_per_sandbox;

		if (mem > s->node.budget)
			return slx_error(err, EINVAL,
					 "--node-memory: %" PRIu64 " MB cannot hold one sandbox of "
					 "%s (%" PRIu64 " MB)",
					 s->node.budget >> 20, s->fns[fi].fn->name, mem >> 20);
		warm += (uint64_t)s->opts.min_warm * mem;
	}
	if (warm > s->node.budget)
		return slx_error(err, EINVAL,
				 "--node-memory: %" PRIu64 " MB cannot hold --min-warm %u of every "
				 "function (%" PRIu64 " MB)",
				 s->node.budget >> 20, s->opts.min_warm, warm >> 20);
	return 0;
}

static int init_pools(struct serve *s, struct slx_err *err)
{
	/* A node's budget is given to its functions (dedicated), as the replay's
	 * --node-memory is; the host's is shared with everything else. */
	s->model.host = (struct model_host){.tick_ns = (uint64_t)s->opts.tick_ms * NS_PER_MS,
					    .mem_budget_bytes = s->opts.node_memory,
					    .dedicated = s->opts.node_memory != 0,
					    .release_waits = s->opts.node_memory != 0};
	s->node.budget = s->opts.node_memory;
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		const struct pool_config cfg = {
		    .min_warm = s->opts.min_warm,
		    .max = s->opts.max,
		    .queue_max = SERVE_QUEUE_MAX,
		    .mem_per_sandbox = mem_per_sandbox(f->fn),
		    .tick_ns = (uint64_t)s->opts.tick_ms * NS_PER_MS,
		};
		char prefix[64];

		id_prefix(s, fi, prefix, sizeof(prefix));
		model_function_init(&s->model.fn[fi], f->fn->name, cfg.mem_per_sandbox);
		s->model.fn[fi].floor = cfg.min_warm;
		s->model.n_fn = fi + 1;
		if (pool_init(&f->pool, &cfg, prefix, &s->model, fi, err) < 0)
			return -1;
	}
	return check_budget(s, err);
}

/* Each sandbox holds four or more of the shim's descriptors, and systemd
 * starts a service with a soft limit of 1,024 open files: a few hundred
 * sandboxes used them up, and the rest were made a few at a time (or their
 * descriptors cut on the way, creator.c).  Raised to the hard limit, as
 * Go's runtime does for containerd and podman, in the shim alone: like Go,
 * which gives what it execs the limit it started with, the creators are
 * forked before, so that no sandbox inherits it (under the floor a bundle
 * without RLIMIT_NOFILE gets Lambda's 1,024, floor.c; with
 * --unsafe-sandbox, the limit the shim was started with). */
static void raise_open_files(struct serve *s)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	s->files = rl;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --event-spool: the directory, and one in it per function, by name
 * (checked before anything is made). */
static int open_spool(struct serve *s, struct slx_err *err)
{
	if (!s->opts.event_spool)
		return 0;
	for (size_t fi = 0; fi < s->n_fns; fi++)
		if (!name_ok(s->fns[fi].fn->name, strlen(s->fns[fi].fn->name)))
			return slx_error(err, 0,
					 "shim serve: --event-spool: \"%s\" is no function name "
					 "(letters, digits, - and _; give it one: NAME=BUNDLE)",
					 s->fns[fi].fn->name);
	if (spool_open(s->opts.event_spool, &s->spool_fd, err) < 0)
		return slx_error_prefix(err, "shim serve");
	for (size_t fi = 0; fi < s->n_fns; fi++)
		if (spool_open_function(s->spool_fd, s->fns[fi].fn->name, &s->fns[fi].spool, err) <
		    0) {
			while (fi--)
				slx_closep(&s->fns[fi].spool);
			slx_closep(&s->spool_fd);
			return slx_error_prefix(err, "shim serve");
		}
	return 0;
}

int serve_setup(struct serve *s, const struct http_addr *addrs, struct slx_err *err)
{
	const struct http_ops ops = serve_http_ops(s);
	struct http_front_opts fo;
	char shims[PATH_MAX];
	size_t budget;

	if (check_auth(s, addrs, err) < 0 || body_budget(s, &budget, err) < 0)
		return -1;
	fo = front_opts(s, budget);
	s->event_share = budget / s->n_fns;
	s->spool_share =
	    ((size_t)(s->opts.event_spool_mb ? s->opts.event_spool_mb : SERVE_EVENT_SPOOL_MB)
	     << 20) /
	    s->n_fns;
	snprintf(shims, sizeof(shims), "%s/shims", s->opts.root);
	s->made_root = access(s->opts.root, F_OK) != 0;
	s->made_shims = access(shims, F_OK) != 0;
	shim_orphans_reap_invokes();
	if (init_pools(s, err) < 0 || shim_orphans_reap(s->opts.root, err) < 0 ||
	    shim_orphans_claim(&s->rec, s->opts.root, s->fns[0].key, err) < 0 ||
	    record_token(s, err) < 0 || node_cgroup(s, err) < 0 || open_loop_fds(s, err) < 0 ||
	    start_creator(s, err) < 0)
		return -1;
	raise_open_files(s); /* after the creators, whose sandboxes keep the limit as it was */
	if (http_front_open(&ops, &fo, s->epfd, &s->tag_http, &s->http, err) < 0 ||
	    listen_all(s, addrs, err) < 0)
		return -1;
	return open_spool(s, err);
}

void serve_teardown(struct serve *s)
{
	serve_creator_drain(s);
	for (size_t fi = 0; fi < s->n_fns; fi++)
		while (s->fns[fi].pool.n)
			serve_slot_release(s, s->fns[fi].pool.slots[0]);
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		shim_creator_stop(&s->creators[i]);
	serve_reap_dying(s, true);
	/* What a dead creator left: killed, so gone in moments; a record of
	 * one that is not stays for the next shim. */
	for (int tries = 0; s->orphans && tries < 100; tries++) {
		serve_lost_sweep(s);
		if (s->orphans)
			(void)usleep(10000);
	}
	free(s->lost);
	s->lost = NULL;
	s->n_lost = s->cap_lost = 0;
	free(s->dying);
	s->dying = NULL;
	s->cap_dying = 0;
	http_front_close(s->http);
	s->http = NULL;
	if (s->node.have_cg) {
		(void)cg_destroy(&s->node.cg, &(struct slx_err){0});
		cg_handle_release(&s->node.cg);
		s->node.have_cg = false;
	}
	free(s->node.rel);
	s->node.rel = NULL;
	shim_orphans_release(&s->rec);
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		pool_fini(&s->fns[fi].pool);
		shim_function_free(s->fns[fi].fn);
		if (s->spool_fd >= 0)
			slx_closep(&s->fns[fi].spool);
		free(s->fns[fi].spooled);
	}
	slx_closep(&s->spool_fd);
	for (size_t fi = 0; fi < s->model.n_fn; fi++)
		model_function_fini(&s->model.fn[fi]);
	free(s->model.fn);
	free(s->fns);
	free(s->fnv);
	s->fns = NULL;
	s->fnv = NULL;
	s->model.fn = NULL;
	s->n_fns = s->model.n_fn = 0;
	free(s->acts);
	s->acts = NULL;
	slx_closep(&s->epfd);
	slx_closep(&s->sigfd);
	slx_closep(&s->tickfd);
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
