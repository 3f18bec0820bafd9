/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_shim.c -- `slxrun shim serve`: one function behind an HTTP front with
 * a warm pool, driven by one single-threaded epoll loop (sandboxes are made
 * with a raw clone3 from this process, so no threads may exist).  The loop
 * owns the sources: MHD's epoll fds, each busy sandbox's fd, a timerfd armed
 * for the next tick or the policy's wake-up, and a signalfd.  What to create,
 * freeze, thaw and release is policy_decide's answer over the pool's model,
 * the same code `shim replay` runs on traces. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../cli/cli.h"
#include "agent.h"
#include "feed.h"
#include "function.h"
#include "http.h"
#include "metrics.h"
#include "orphans.h"
#include "policy.h"
#include "pool.h"
#include "registry.h"
#include "replay.h"
#include "sandbox.h"
#include "shim.h"

#define SERVE_MAX_LISTEN 8
#define SERVE_QUEUE_MAX	 1024
/* The live shim freezes an idle, quiet sandbox after 1 s (the policy's own
 * default is 10 s): frozen, it is off the scheduler at no cost to a thaw. */
#define SERVE_FREEZE_AFTER_NS 1000000000ull
/* A new sandbox's size in the model when the bundle sets no memory limit:
 * the replay's default, so live and replayed decisions weigh it alike. */
#define SERVE_DEFAULT_MEM      (128ull << 20)
#define SERVE_KEEP_ALIVE_UNSET UINT_MAX
/* A sandbox that fails before running a request gets it retried elsewhere
 * this many times in all. */
#define SERVE_MAX_ATTEMPTS 3
#define NS_PER_S	   1000000000ull
#define NS_PER_MS	   1000000ull

struct serve_opts {
	const char *listen[SERVE_MAX_LISTEN];
	size_t n_listen;
	unsigned min_warm, max, keep_alive_s, tick_ms, time_scale;
	const char *policy;	    /* --policy, or NULL */
	char keep_alive_policy[32]; /* --keep-alive S as "fixed:S" */
	const char *bundle;
};

/* One waiting or running invocation. */
struct job {
	struct http_call *call;
	uint64_t arrival_ns;
	unsigned attempts;
	bool cold; /* served by a sandbox made while it waited, as its first call */
	char request_id[37];
};

struct serve {
	struct shim_function *fn;
	struct serve_opts opts;
	struct pool pool;
	struct policy_config policy;
	struct policy_action *acts; /* room for policy_actions_max */
	size_t acts_cap;
	uint64_t wake_ns; /* the policy's next wake-up; UINT64_MAX: none */
	uint64_t tick_ns, next_tick_ns, armed_ns;
	struct metrics m;
	struct metrics_totals totals;
	struct http_front *http;
	struct shim_orphans rec;
	char registry[PATH_MAX];
	int epfd, sigfd, tickfd;
	bool stopping;
	uint64_t drain_deadline_ns;
	uint64_t create_retry_ns;   /* min-warm creation waits after a failure */
	bool made_root, made_shims; /* removed again when setup fails */
	bool kick;		    /* a request was queued late in a turn: turn again at once */
	/* epoll tags for the fixed sources; any other data.ptr is a pool_slot */
	char tag_http, tag_signal, tag_tick;
};

/* ---- flags ------------------------------------------------------------- */

/* The numeric flags: their text from cli_parse, their range checked here. */
static const struct serve_number {
	const char *name;
	size_t off; /* of an unsigned in serve_opts */
	unsigned min, max;
} serve_numbers[] = {
    {"min-warm", offsetof(struct serve_opts, min_warm), 0, 1024},
    {"max", offsetof(struct serve_opts, max), 1, 1024},
    {"keep-alive", offsetof(struct serve_opts, keep_alive_s), 0, 7 * 86400},
    {"tick-ms", offsetof(struct serve_opts, tick_ms), 10, 60000},
    {"time-scale", offsetof(struct serve_opts, time_scale), 1, 3600},
};
#define SERVE_N_NUMBERS (sizeof(serve_numbers) / sizeof(serve_numbers[0]))

static int set_number(struct serve_opts *o, const struct serve_number *f, const char *val,
		      struct slx_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || !*val || *end || val[0] == '-' || v < f->min || v > f->max)
		return slx_error(err, 0, "shim serve: --%s: %s is not a number in [%u, %u]",
				 f->name, val, f->min, f->max);
	*(unsigned *)((char *)o + f->off) = (unsigned)v;
	return 0;
}

static int parse_flags(struct serve_opts *o, int argc, char **argv, struct slx_err *err)
{
	const char *numbers[SERVE_N_NUMBERS] = {0};
	struct cli_list listen = {0};
	struct cli_flag flags[2 + SERVE_N_NUMBERS] = {
	    {"listen", 'l', CLI_LIST, &listen},
	    {"policy", 'p', CLI_STR, &o->policy},
	};
	int idx = 0;

	for (size_t k = 0; k < SERVE_N_NUMBERS; k++)
		flags[2 + k] = (struct cli_flag){serve_numbers[k].name, 0, CLI_STR, &numbers[k]};
	/* Flags may come before and after the bundle. */
	while (idx < argc) {
		if (cli_parse("shim serve", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
			return -1;
		if (idx >= argc)
			break;
		if (o->bundle)
			return slx_error(err, 0, "shim serve: unexpected argument %s", argv[idx]);
		o->bundle = argv[idx++];
	}
	if (listen.n > SERVE_MAX_LISTEN)
		return slx_error(err, 0, "shim serve: --listen: at most %d addresses",
				 SERVE_MAX_LISTEN);
	for (size_t i = 0; i < listen.n; i++)
		o->listen[o->n_listen++] = listen.v[i];
	for (size_t k = 0; k < SERVE_N_NUMBERS; k++)
		if (numbers[k] && set_number(o, &serve_numbers[k], numbers[k], err) < 0)
			return -1;
	return 0;
}

static int parse_opts(struct serve_opts *o, int argc, char **argv, struct slx_err *err)
{
	*o = (struct serve_opts){
	    .max = 4, .keep_alive_s = SERVE_KEEP_ALIVE_UNSET, .tick_ms = 100, .time_scale = 1};
	if (parse_flags(o, argc, argv, err) < 0)
		return -1;
	if (!o->bundle)
		return slx_error(err, 0,
				 "usage: slxrun shim serve [--listen ADDR]... [--policy P] "
				 "[--min-warm N] [--max N] [--keep-alive S] [--tick-ms MS] "
				 "[--time-scale N] BUNDLE");
	if (o->min_warm > o->max)
		return slx_error(err, 0, "shim serve: --min-warm %u exceeds --max %u", o->min_warm,
				 o->max);
	if (o->keep_alive_s != SERVE_KEEP_ALIVE_UNSET) {
		/* --keep-alive S is --policy fixed:S, kept for its users */
		if (o->policy)
			return slx_error(
			    err, 0, "shim serve: --keep-alive S is --policy fixed:S; give one");
		snprintf(o->keep_alive_policy, sizeof(o->keep_alive_policy), "fixed:%u",
			 o->keep_alive_s);
		o->policy = o->keep_alive_policy;
	}
	if (!o->policy)
		o->policy = "delta";
	return 0;
}

/* The policy as the live shim runs it: its own freeze grace, the measured
 * creation time left at the policy's default (the replay's --cold-ms
 * default too), and --time-scale applied as `shim replay` applies it. */
static int serve_policy(const struct serve_opts *o, struct policy_config *cfg, struct slx_err *err)
{
	if (policy_parse(o->policy, cfg, err) < 0)
		return slx_error_prefix(err, "shim serve: --policy");
	cfg->freeze_grace_ns = SERVE_FREEZE_AFTER_NS;
	replay_policy_time_scale(cfg, o->time_scale);
	return 0;
}

/* ---- answering --------------------------------------------------------- */

static void answer_error(struct job *j, unsigned status, const char *type, const char *msg)
{
	struct agent_buf b = {0};
	const char *fallback = "{\"errorMessage\":\"out of memory\"}";
	bool ok = agent_error_json(&b, type, msg, strlen(msg)) == 0;
	struct http_answer a = {
	    .status = status,
	    .body = ok ? b.p : fallback,
	    .len = ok ? b.len : strlen(fallback),
	    .function_error = status == 200 ? "Unhandled" : NULL,
	};

	http_call_answer(j->call, &a);
	agent_buf_release(&b);
	free(j);
}

/* Answer a finished invocation; the job is freed. */
static void answer_result(struct serve *s, struct pool_slot *slot, struct job *j,
			  const struct shim_result *res)
{
	bool cold = j->cold;
	struct http_answer a = {
	    .status = 200,
	    .body = res->body ? res->body : "",
	    .len = res->body ? res->len : 0,
	    .function_error = res->outcome == SHIM_OK ? NULL
			      : res->error_type	      ? res->error_type
						      : "Unhandled",
	    .start = cold ? "cold" : "warm",
	    .sandbox = slot->id,
	};

	metrics_observe(&s->m, res->outcome, cold, (double)(slx_now_ns() - j->arrival_ns) / 1e9);
	http_call_answer(j->call, &a);
	free(j);
}

/* ---- sandboxes ----------------------------------------------------------- */

static void slot_release(struct serve *s, struct pool_slot *slot)
{
	if (slot->sb) {
		if (slot->state == POOL_BUSY)
			(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
		shim_sandbox_destroy(slot->sb);
		slot->sb = NULL;
	}
	shim_orphans_del_sandbox(&s->rec, slot->id);
	s->pool.released++;
	pool_slot_remove(&s->pool, slot);
}

/* The cgroup the runtime will make for id, recorded before it exists. */
static int record_sandbox(struct serve *s, const char *id, struct slx_err *err)
{
	cleanup_free char *rel = NULL;
	char path[PATH_MAX];
	const char *root = cg_unified_root();

	if (!root)
		return shim_orphans_add_sandbox(&s->rec, id, "", err);
	if (cg_resolve_path(s->fn->cfg->linux_.cgroups_path, id, false, &rel, err) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return slx_error(err, ENAMETOOLONG, "cgroup of sandbox %s", id);
	return shim_orphans_add_sandbox(&s->rec, id, path, err);
}

/* Make one reserved sandbox.  This blocks for the spawn (a few ms; longer
 * for a runtime-api bootstrap's init): the loop does one per turn. */
static void create_one(struct serve *s)
{
	struct pool_slot *slot = pool_creating_slot(&s->pool);
	struct slx_err err = {0};
	struct job *j;

	if (!slot)
		return;
	if (record_sandbox(s, slot->id, &err) == 0 &&
	    shim_sandbox_create(s->fn, slot->id, &slot->sb, NULL, &err) == 0) {
		pool_slot_ready(&s->pool, slot, slx_now_ns());
		s->pool.created++;
		return;
	}
	slot->sb = NULL;
	slot_release(s, slot);
	s->m.create_failures++;
	s->create_retry_ns = slx_now_ns() + NS_PER_S;
	/* The failure answers the oldest waiting request, so a function that
	 * cannot start drains its queue instead of retrying forever. */
	j = pool_dequeue(&s->pool);
	if (j) {
		pool_abandon(&s->pool);
		s->m.invocations[SHIM_INIT_ERROR]++;
		answer_error(j, 200, "Runtime.InitError", err.msg);
	}
}

/* 0 started; -1 the sandbox is unusable (released; the job is not). */
static int start_on(struct serve *s, struct pool_slot *slot, struct job *j)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = slot};
	uint64_t timeout_ms = (uint64_t)s->fn->timeout_s * 1000;
	struct slx_err err = {0};
	const char *body;
	size_t len;

	if (slot->state == POOL_FROZEN && shim_sandbox_freeze(slot->sb, false, &err) < 0)
		goto unusable;
	shim_request_id_new(j->request_id);
	body = http_call_body(j->call, &len);
	if (shim_sandbox_invoke_start(slot->sb, j->request_id, body, len,
				      shim_epoch_ms() + timeout_ms, &err) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, shim_sandbox_fd(slot->sb), &ev) < 0)
		goto unusable;
	pool_slot_start(&s->pool, slot, slx_now_ns());
	slot->job = j;
	slot->deadline_ns = slot->since_ns + timeout_ms * NS_PER_MS;
	j->cold = slot->invocations++ == 0 && slot->created_ns > j->arrival_ns;
	return 0;
unusable:
	slot_release(s, slot);
	return -1;
}

/* Hand waiting requests to ready sandboxes, oldest first. */
static void dispatch(struct serve *s)
{
	struct pool_slot *slot;
	struct job *j;

	while (s->pool.q_len && (slot = pool_ready_slot(&s->pool))) {
		j = pool_dequeue(&s->pool);
		if (start_on(s, slot, j) == 0)
			continue;
		if (++j->attempts >= SERVE_MAX_ATTEMPTS) {
			pool_abandon(&s->pool);
			s->m.invocations[SHIM_CRASH]++;
			answer_error(j, 200, "Runtime.ExitError",
				     "the sandbox failed before running the request");
		} else {
			(void)pool_requeue_front(&s->pool, j);
		}
	}
}

/* An invocation ended: answer it; keep the sandbox only after ok/error. */
static void finish(struct serve *s, struct pool_slot *slot, const struct shim_result *res)
{
	struct job *j = slot->job;
	bool keep = (res->outcome == SHIM_OK || res->outcome == SHIM_ERROR) &&
		    shim_sandbox_alive(slot->sb) && !s->stopping;

	slot->job = NULL;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
	answer_result(s, slot, j, res);
	pool_slot_finish(&s->pool, slot, slx_now_ns());
	if (!keep)
		slot_release(s, slot);
}

static void on_sandbox_readable(struct serve *s, struct pool_slot *slot)
{
	struct shim_result res = {0};
	struct slx_err err = {0};
	struct agent_buf b = {0};
	int r;

	if (slot->state != POOL_BUSY)
		return;
	r = shim_sandbox_invoke_poll(slot->sb, &res, &err);
	if (r == 0)
		return;
	if (r < 0) { /* the agent broke the protocol: as good as a crash */
		(void)agent_error_json(&b, "Runtime.ExitError", err.msg, strlen(err.msg));
		res = (struct shim_result){.outcome = SHIM_CRASH, .body = b.p, .len = b.len};
		b.p = NULL;
	}
	finish(s, slot, &res);
	shim_result_release(&res);
}

static void check_deadlines(struct serve *s, uint64_t now)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];
		struct shim_result res;

		if (slot->state != POOL_BUSY || now < slot->deadline_ns)
			continue;
		shim_sandbox_timeout(slot->sb, &res);
		finish(s, slot, &res);
		shim_result_release(&res);
		i = (size_t)-1; /* finish() reorders the slots: rescan */
	}
}

/* ---- the model and the policy -------------------------------------------- */

/* The host budget R(t) leaves: what the kernel says is available plus what
 * our sandboxes already hold (they are not available to themselves). */
static void feed_host(struct serve *s, uint64_t cpu_dr_usec, bool have_psi, double psi)
{
	struct model_host *h = &s->pool.model.host;
	struct feed_host fh;
	struct slx_err err;
	uint64_t used = 0;

	for (size_t i = 0; i < s->pool.fn.n_sb; i++)
		used += s->pool.fn.sb[i].mem_bytes;
	h->mem_used_bytes = used;
	h->tick_ns = s->tick_ns;
	h->cpu_dr_usec = (int64_t)cpu_dr_usec;
	h->have_psi = have_psi;
	h->psi_mem_some10 = psi;
	if (feed_host_read(&fh, &err) < 0)
		return; /* the last budget stands */
	h->cores = fh.cores;
	h->mem_budget_bytes =
	    fh.mem_available + used < fh.mem_total ? fh.mem_available + used : fh.mem_total;
}

/* The tick: one cgroup read per live sandbox into its ring in the model,
 * ΣΔR_cpu and the worst memory pressure for the host, the sums for /status. */
static void feed_tick(struct serve *s, uint64_t now)
{
	uint64_t cpu_dr = 0;
	double psi = 0;
	bool have_psi = false;

	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];
		struct model_sandbox *msb = pool_slot_model(&s->pool, slot);
		const struct model_point *pt;
		struct model_r r = {0};
		struct slx_err err;
		int fd;

		if (!slot->sb || !msb)
			continue;
		fd = shim_sandbox_cgroup_fd(slot->sb);
		if (fd >= 0 && feed_read(fd, &r, &err) < 0)
			memset(&r, 0, sizeof(r));
		model_sandbox_push(msb, now, &r, slot->state == POOL_BUSY, 1);
		pt = model_sandbox_at(msb, 0);
		/* a first point's ΔR is all it used since creation, not this tick */
		if (msb->ring_n > 1 && pt->dr.cpu_usec > 0)
			cpu_dr += (uint64_t)pt->dr.cpu_usec;
		if (r.have_psi && r.psi_mem_some10 > psi)
			psi = r.psi_mem_some10;
		have_psi |= r.have_psi;
	}
	model_function_roll(&s->pool.fn, now, s->tick_ns);
	feed_host(s, cpu_dr, have_psi, psi);
	metrics_totals_take(&s->totals, &s->pool);
}

/* Sandboxes whose agent died while idle or frozen are released. */
static void reap_dead(struct serve *s)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];

		if ((slot->state == POOL_IDLE || slot->state == POOL_FROZEN) &&
		    !shim_sandbox_alive(slot->sb)) {
			slot_release(s, slot);
			i = (size_t)-1;
		}
	}
}

/* Creation for no waiting request (pre-warm, reserve, min-warm) waits out a
 * failed creation and stops with the shutdown. */
static bool may_create_warm(const struct serve *s, uint64_t now)
{
	return now >= s->create_retry_ns && !s->stopping;
}

static void act_allocate(struct serve *s, const struct policy_action *a, uint64_t now)
{
	if (!s->pool.q_len && !may_create_warm(s, now))
		return;
	for (unsigned k = 0; k < a->n; k++)
		if (!pool_slot_add(&s->pool, now, now + s->policy.create_ns))
			return; /* at --max: the rest stay queued */
}

static void act_freeze(struct serve *s, const struct policy_action *a, uint64_t now)
{
	struct pool_slot *slot = pool_slot_by_model(&s->pool, a->sb);
	bool frozen = a->kind == POLICY_FREEZE;
	struct slx_err err;

	(void)now;
	if (!slot || slot->state != (frozen ? POOL_IDLE : POOL_FROZEN))
		return;
	if (shim_sandbox_freeze(slot->sb, frozen, &err) == 0)
		pool_slot_freeze(&s->pool, slot, frozen);
	else
		slot_release(s, slot);
}

static void act_release(struct serve *s, const struct policy_action *a, uint64_t now)
{
	struct pool_slot *slot = pool_slot_by_model(&s->pool, a->sb);

	(void)now;
	/* --min-warm is a floor the policy does not know of */
	if (slot && (slot->state == POOL_IDLE || slot->state == POOL_FROZEN) &&
	    s->pool.n > s->pool.cfg.min_warm)
		slot_release(s, slot);
}

/* PREWARM is the plan (the wake-up brings its ALLOCATE); HOLD keeps the
 * requests queued, which they are. */
static void act_nothing(struct serve *s, const struct policy_action *a, uint64_t now)
{
	(void)s;
	(void)a;
	(void)now;
}

static void (*const act_fns[])(struct serve *, const struct policy_action *, uint64_t) = {
    [POLICY_ALLOCATE] = act_allocate, [POLICY_PREWARM] = act_nothing, [POLICY_THAW] = act_freeze,
    [POLICY_FREEZE] = act_freeze,     [POLICY_RELEASE] = act_release, [POLICY_HOLD] = act_nothing,
};

/* Ask the policy about the model as it stands and carry the answer out. */
static void apply_decisions(struct serve *s, uint64_t now)
{
	size_t need = policy_actions_max(&s->pool.model), n;

	if (need > s->acts_cap) {
		struct policy_action *v = realloc(s->acts, need * sizeof(*v));

		if (!v)
			return; /* the next turn asks again */
		s->acts = v;
		s->acts_cap = need;
	}
	n = policy_decide(&s->pool.model, &s->policy, now, s->acts, s->acts_cap, &s->wake_ns);
	for (size_t i = 0; i < n; i++)
		if ((size_t)s->acts[i].kind < sizeof(act_fns) / sizeof(act_fns[0]))
			act_fns[s->acts[i].kind](s, &s->acts[i], now);
	while (s->pool.n < s->pool.cfg.min_warm && may_create_warm(s, now) &&
	       pool_slot_add(&s->pool, now, now + s->policy.create_ns))
		;
}

/* ---- requests ------------------------------------------------------------ */

static void on_invoke(void *ctx, struct http_call *call)
{
	struct serve *s = ctx;
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		struct http_answer a = {.status = 500,
					.body = "{\"errorMessage\":\"out of memory\"}"};

		a.len = strlen(a.body);
		http_call_answer(call, &a);
		return;
	}
	j->call = call;
	j->arrival_ns = http_call_arrival_ns(call);
	if (s->stopping) {
		answer_error(j, 503, "ServiceUnavailable", "the shim is shutting down");
		return;
	}
	if (pool_enqueue(&s->pool, j, j->arrival_ns) < 0) {
		s->m.rejected++;
		answer_error(j, 429, "TooManyRequestsException", "queue full");
		return;
	}
	s->kick = true;
}

static int render(FILE **f, char **body, size_t *len)
{
	*body = NULL;
	*f = open_memstream(body, len);
	return *f ? 0 : -1;
}

static int on_metrics(void *ctx, char **body, size_t *len)
{
	struct serve *s = ctx;
	FILE *f;

	if (render(&f, body, len) < 0)
		return -1;
	metrics_render(&s->m, &s->pool, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int on_status(void *ctx, char **body, size_t *len)
{
	struct serve *s = ctx;
	FILE *f;

	if (render(&f, body, len) < 0)
		return -1;
	metrics_render_status(&s->pool, s->fn->name, s->policy.name, &s->totals, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* ---- the loop ----------------------------------------------------------- */

static void begin_stop(struct serve *s)
{
	uint64_t now = slx_now_ns();

	if (s->stopping) { /* a second signal: stop waiting */
		s->drain_deadline_ns = now;
		return;
	}
	s->stopping = true;
	s->drain_deadline_ns = now + ((uint64_t)s->fn->timeout_s + 2) * NS_PER_S;
	http_front_quiesce(s->http);
}

static void on_signal(struct serve *s)
{
	struct signalfd_siginfo si;
	bool dead_child = false;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			dead_child = true;
		else
			begin_stop(s);
	}
	if (dead_child)
		reap_dead(s);
}

/* The timer fired: for the tick, the policy's wake-up, or both (the
 * decision runs every turn anyway). */
static void on_timer(struct serve *s)
{
	uint64_t expirations, now = slx_now_ns();

	(void)!read(s->tickfd, &expirations, sizeof(expirations));
	s->armed_ns = 0;
	if (now < s->next_tick_ns)
		return;
	feed_tick(s, now);
	s->next_tick_ns += s->tick_ns;
	if (s->next_tick_ns <= now) /* a slow turn: skip, never burst */
		s->next_tick_ns = now + s->tick_ns;
}

/* One timerfd, armed for the next tick or the policy's wake, whichever
 * comes first (absolute on CLOCK_MONOTONIC, slx_now_ns's clock). */
static void arm_timer(struct serve *s)
{
	uint64_t at = s->wake_ns < s->next_tick_ns ? s->wake_ns : s->next_tick_ns;
	struct itimerspec its = {0};

	if (at == s->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(at / NS_PER_S);
	its.it_value.tv_nsec = (long)(at % NS_PER_S);
	if (timerfd_settime(s->tickfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		s->armed_ns = at;
}

static int loop_timeout_ms(struct serve *s, uint64_t now)
{
	int t = http_front_timeout_ms(s->http);

	if (s->kick || pool_creating_slot(&s->pool))
		return 0;
	for (size_t i = 0; i < s->pool.n; i++) {
		const struct pool_slot *slot = s->pool.slots[i];
		uint64_t left;

		if (slot->state != POOL_BUSY)
			continue;
		left = slot->deadline_ns > now ? (slot->deadline_ns - now) / NS_PER_MS + 1 : 0;
		if (t < 0 || left < (uint64_t)t)
			t = (int)left;
	}
	return t;
}

static bool drained(struct serve *s, uint64_t now)
{
	if (!s->stopping)
		return false;
	if (now >= s->drain_deadline_ns)
		return true;
	return !s->pool.q_len && !pool_count(&s->pool, POOL_BUSY) && !http_front_pending(s->http);
}

static void loop_turn(struct serve *s)
{
	struct epoll_event evs[64];
	int n = epoll_wait(s->epfd, evs, 64, loop_timeout_ms(s, slx_now_ns()));
	uint64_t now;

	s->kick = false;
	for (int i = 0; i < n; i++) {
		void *tag = evs[i].data.ptr;

		if (tag == &s->tag_signal)
			on_signal(s);
		else if (tag == &s->tag_tick)
			on_timer(s);
		else if (tag != &s->tag_http)
			on_sandbox_readable(s, tag);
	}
	http_front_run(s->http); /* new requests, answers to send, timeouts */
	now = slx_now_ns();
	check_deadlines(s, now);
	dispatch(s);
	apply_decisions(s, now);
	create_one(s);
	dispatch(s);
	http_front_run(s->http);
	arm_timer(s);
}

/* Past the drain deadline: whatever is left is answered, then torn down. */
static void shutdown_all(struct serve *s)
{
	struct job *j;
	uint64_t until;

	for (size_t i = 0; i < s->pool.n; i++) {
		struct pool_slot *slot = s->pool.slots[i];
		struct shim_result res;

		if (slot->state != POOL_BUSY)
			continue;
		shim_sandbox_timeout(slot->sb, &res);
		answer_result(s, slot, slot->job, &res);
		slot->job = NULL;
		shim_result_release(&res);
	}
	while ((j = pool_dequeue(&s->pool)))
		answer_error(j, 503, "ServiceUnavailable", "the shim is shutting down");
	until = slx_now_ns() + NS_PER_S;
	while (http_front_pending(s->http) && slx_now_ns() < until) {
		struct epoll_event ev;

		http_front_run(s->http);
		(void)epoll_wait(s->epfd, &ev, 1, 10);
	}
	while (s->pool.n)
		slot_release(s, s->pool.slots[0]);
}

/* ---- setup and teardown ---------------------------------------------------- */

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
	arm_timer(s);
	if (!s->armed_ns)
		return slx_error(err, errno, "timerfd_settime");
	if (add_fd(s, s->sigfd, &s->tag_signal, err) < 0 ||
	    add_fd(s, s->tickfd, &s->tag_tick, err) < 0)
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

static int serve_setup(struct serve *s, const struct rt_ctx *ctx, const struct http_addr *addrs,
		       struct slx_err *err)
{
	const struct http_ops ops = {s, on_invoke, on_metrics, on_status};
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

	if (shim_registry_socket_path(ctx->root, s->fn->bundle, s->registry, sizeof(s->registry),
				      err) < 0)
		return -1;
	base = strrchr(s->registry, '/') + 1;
	snprintf(key, sizeof(key), "%.*s", (int)(strlen(base) - strlen(".sock")), base);
	id_prefix(s->fn, prefix, sizeof(prefix));
	snprintf(shims, sizeof(shims), "%s/shims", ctx->root);
	s->made_root = access(ctx->root, F_OK) != 0;
	s->made_shims = access(shims, F_OK) != 0;
	if (pool_init(&s->pool, &cfg, prefix, s->fn->name, err) < 0 ||
	    shim_orphans_reap(ctx->root, err) < 0 ||
	    shim_orphans_claim(&s->rec, ctx->root, key, err) < 0 || open_loop_fds(s, err) < 0 ||
	    http_front_open(&ops, s->epfd, &s->tag_http, &s->http, err) < 0)
		return -1;
	return listen_all(s, addrs, err);
}

static void serve_teardown(struct serve *s)
{
	while (s->pool.n)
		slot_release(s, s->pool.slots[0]);
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
}

/* A failed start leaves no state directory it made (rmdir: only if empty). */
static void forget_dirs(const struct serve *s, const char *root)
{
	char shims[PATH_MAX];

	snprintf(shims, sizeof(shims), "%s/shims", root);
	if (s->made_shims)
		(void)rmdir(shims);
	if (s->made_root)
		(void)rmdir(root);
}

static int shim_serve(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct serve s = {.epfd = -1, .sigfd = -1, .tickfd = -1};
	struct http_addr addrs[SERVE_MAX_LISTEN];
	cleanup_free char *bundle = NULL;
	int r = -1;

	if (parse_opts(&s.opts, argc, argv, err) < 0 || serve_policy(&s.opts, &s.policy, err) < 0)
		return -1;
	for (size_t i = 0; i < s.opts.n_listen; i++)
		if (http_addr_parse(s.opts.listen[i], &addrs[i], err) < 0)
			return -1;
	if (shim_function_bundle(ctx->root, s.opts.bundle, &bundle, err) < 0 ||
	    shim_function_load(bundle, &s.fn, err) < 0)
		return -1;
	if (serve_setup(&s, ctx, addrs, err) == 0) {
		printf("slxrun shim: serving %s on %s (pid %d)\n", s.fn->bundle, s.registry,
		       (int)getpid());
		fflush(stdout);
		while (!drained(&s, slx_now_ns()))
			loop_turn(&s);
		shutdown_all(&s);
		r = 0;
	}
	serve_teardown(&s);
	if (r < 0)
		forget_dirs(&s, ctx->root);
	return r;
}

/* ---- `slxrun shim SUBCOMMAND` ---------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err);
	const char *help;
} shim_verbs[] = {
    {"serve", shim_serve, "serve a function over HTTP with a warm pool"},
    {"replay", shim_replay_main, "replay a trace through the allocation policies"},
};

int cmd_shim(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	for (size_t i = 0; argc > 0 && i < sizeof(shim_verbs) / sizeof(shim_verbs[0]); i++)
		if (!strcmp(argv[0], shim_verbs[i].name))
			return shim_verbs[i].fn(ctx, argc - 1, argv + 1, err);
	if (argc > 0)
		return slx_error(err, 0, "shim: unknown subcommand %s (serve, replay)", argv[0]);
	return slx_error(err, 0, "usage: slxrun shim serve [flags] BUNDLE");
}
