/* SPDX-License-Identifier: GPL-2.0-or-later */
/* serve.c -- `shim serve`: one function behind an HTTP front with a warm
 * pool, driven by one single-threaded epoll loop.  The loop owns the
 * sources: MHD's epoll fds, each busy sandbox's fd, the creator's socket
 * (creator.c makes the sandboxes in helper processes), a timerfd armed for
 * the next tick or the policy's wake-up, and a signalfd.  Nothing here
 * waits on a sandbox or a client: a made sandbox, its READY, the rest of a
 * big event and every invocation's answer arrive as events, bounded by the
 * function's timeout.  What to create,
 * freeze, thaw and release is policy_decide's answer over the pool's model,
 * the same code `shim replay` runs on traces. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "lambda.h"
#include "replay.h"
#include "serve.h"

/* ---- dispatch ------------------------------------------------------------ */

/* 0 started; -1 the sandbox is unusable (released; the job is not). */
static int start_on(struct serve *s, struct pool_slot *slot, struct job *j)
{
	struct serve_fn *f = serve_fn_of(s, slot);
	struct epoll_event ev = {.data.ptr = slot};
	uint64_t timeout_ms = (uint64_t)f->fn->timeout_s * 1000;
	struct slx_err err = {0};
	const char *body;
	size_t len;

	if (slot->state == POOL_FROZEN && shim_sandbox_freeze(slot->sb, false, &err) < 0)
		goto unusable;
	if (j->call) {
		body = http_call_body(j->call, &len);
	} else {
		body = j->event.p ? j->event.p : "";
		len = j->event.len;
	}
	if (shim_sandbox_invoke_start(slot->sb, j->request_id, body, len,
				      shim_epoch_ms() + timeout_ms, j->tail, &err) < 0)
		goto unusable;
	/* The rest of a big event goes out as the agent takes it. */
	ev.events = EPOLLIN | (shim_sandbox_wants_write(slot->sb) ? EPOLLOUT : 0);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, shim_sandbox_fd(slot->sb), &ev) < 0)
		goto unusable;
	pool_slot_start(&f->pool, slot, slx_now_ns());
	slot->job = j;
	if (!j->call)
		serve_event_running(f, j, true);
	slot->deadline_ns = slot->since_ns + timeout_ms * NS_PER_MS;
	j->cold = slot->invocations++ == 0 && slot->created_ns > j->arrival_ns;
	return 0;
unusable:
	serve_slot_release(s, slot);
	return -1;
}

/* A job whose sandbox failed before running it: answered once it has had
 * its attempts, else false (the caller puts it back).  queued: the model
 * still counts it among the function's queue (it was never started; a
 * started one left the count when it started, and taking it out again
 * left the model one short: the last call queued never got a sandbox, an
 * attacker's review). */
static bool out_of_attempts(struct serve_fn *f, struct job *j, bool queued)
{
	if (++j->attempts < SERVE_MAX_ATTEMPTS)
		return false;
	if (queued)
		pool_abandon(&f->pool);
	f->m.invocations[SHIM_CRASH]++;
	job_answer_error(j, 200, "Runtime.ExitError",
			 "the sandbox failed before running the request");
	return true;
}

/* Hand waiting requests to ready sandboxes, oldest first; none of a
 * function while the answers held for their clients fill the front's
 * budget or its share (they drain as clients read or their send deadline
 * cuts them). */
static void dispatch(struct serve *s)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		struct pool_slot *slot;
		struct job *j;

		if (http_front_answers_full(s->http, fi))
			continue;
		while (f->pool.q_len && (slot = pool_ready_slot(&f->pool))) {
			j = pool_dequeue(&f->pool);
			if (start_on(s, slot, j) == 0)
				continue;
			if (!out_of_attempts(f, j, true))
				(void)pool_requeue_front(&f->pool, j);
		}
	}
}

/* The sandbox ended before its event reached the function (a runtime
 * killed while frozen): nothing ran, so the request waits for another. */
static void unstart(struct serve *s, struct pool_slot *slot)
{
	struct serve_fn *f = serve_fn_of(s, slot);
	struct job *j = slot->job;

	slot->job = NULL;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
	if (!j->call)
		serve_event_running(f, j, false);
	if (out_of_attempts(f, j, false))
		pool_slot_finish(&f->pool, slot, slx_now_ns());
	else if (pool_slot_unstart(&f->pool, slot, j, slx_now_ns()) < 0)
		job_answer_error(j, 429, "TooManyRequestsException", "the queue is full");
	serve_slot_release(s, slot);
	s->kick = true;
}

/* An invocation ended: answer it; keep the sandbox only after ok/error. */
static void finish(struct serve *s, struct pool_slot *slot, const struct shim_result *res)
{
	struct serve_fn *f = serve_fn_of(s, slot);
	struct job *j = slot->job;
	bool keep = (res->outcome == SHIM_OK || res->outcome == SHIM_ERROR) &&
		    shim_sandbox_alive(slot->sb) && !s->stopping;

	slot->job = NULL;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
	job_answer_result(f, slot, j, res);
	pool_slot_finish(&f->pool, slot, slx_now_ns());
	if (!keep)
		serve_slot_release(s, slot);
}

/* A sandbox's fd is readable (its READY, an answer, its end) or writable
 * (the rest of an event can go). */
static void on_sandbox_event(struct serve *s, struct pool_slot *slot, uint32_t events)
{
	struct shim_result res = {0};
	struct slx_err err = {0};
	struct slx_buf b = {0};
	int r;

	if (slot->state == POOL_CREATING) {
		serve_slot_on_ready_event(s, slot);
		return;
	}
	if (slot->state != POOL_BUSY)
		return;
	r = shim_sandbox_invoke_poll(slot->sb, &res, &err);
	if (r == 2) {
		unstart(s, slot);
		return;
	}
	if (r == 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = slot};

		if ((events & EPOLLOUT) && !shim_sandbox_wants_write(slot->sb))
			(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, shim_sandbox_fd(slot->sb), &ev);
		return;
	}
	if (r < 0) { /* the agent broke the protocol: as good as a crash */
		(void)shim_error_json(&b, "Runtime.ExitError", err.msg, strlen(err.msg));
		res = (struct shim_result){.outcome = SHIM_CRASH, .body = b.p, .len = b.len};
		b.p = NULL;
	}
	finish(s, slot, &res);
	shim_result_release(&res);
}

static void check_deadlines(struct serve *s, uint64_t now)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct pool *p = &s->fns[fi].pool;

		for (size_t i = 0; i < p->n; i++) {
			struct pool_slot *slot = p->slots[i];
			struct shim_result res;

			if (slot->state != POOL_BUSY || now < slot->deadline_ns)
				continue;
			shim_sandbox_timeout(slot->sb, &res);
			finish(s, slot, &res);
			shim_result_release(&res);
			i = (size_t)-1; /* finish() reorders the slots: rescan */
		}
	}
}

/* ---- the loop ------------------------------------------------------------- */

static void begin_stop(struct serve *s)
{
	uint64_t now = slx_now_ns();

	if (s->stopping) { /* a second signal: stop waiting */
		s->drain_deadline_ns = now;
		return;
	}
	s->stopping = true;
	s->drain_deadline_ns = now + ((uint64_t)serve_max_timeout_s(s) + 2) * NS_PER_S;
	serve_events_drop_waiting(s);
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
		serve_reap_dead(s);
}

static int loop_timeout_ms(struct serve *s, uint64_t now)
{
	int t = serve_events_timeout_ms(s, now, http_front_timeout_ms(s->http));

	if (s->kick)
		return 0;
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		const struct pool *p = &s->fns[fi].pool;

		if (pool_creating_slot(p))
			return 0;
		for (size_t i = 0; i < p->n; i++) {
			const struct pool_slot *slot = p->slots[i];
			uint64_t left;

			if (slot->state != POOL_BUSY && !(slot->state == POOL_CREATING && slot->sb))
				continue;
			left =
			    slot->deadline_ns > now ? (slot->deadline_ns - now) / NS_PER_MS + 1 : 0;
			if (t < 0 || left < (uint64_t)t)
				t = (int)left;
		}
	}
	return t;
}

static bool drained(struct serve *s, uint64_t now)
{
	if (!s->stopping)
		return false;
	if (now >= s->drain_deadline_ns)
		return true;
	for (size_t fi = 0; fi < s->n_fns; fi++)
		if (s->fns[fi].pool.q_len || pool_count(&s->fns[fi].pool, POOL_BUSY))
			return false;
	return !http_front_pending(s->http);
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
			serve_on_timer(s);
		else if (tag == &s->tag_dying)
			serve_reap_dying(s, false);
		else if (serve_creator_of(s, tag))
			serve_on_created(s, tag);
		else if (tag != &s->tag_http)
			on_sandbox_event(s, tag, evs[i].events);
	}
	http_front_run(s->http); /* new requests, answers to send, timeouts */
	now = slx_now_ns();
	check_deadlines(s, now);
	serve_check_creating(s, now);
	serve_events_due(s, now);
	dispatch(s);
	serve_apply_decisions(s, now);
	serve_create_reserved(s);
	serve_events_due(s, now); /* into the room the dispatch made */
	dispatch(s);
	http_front_run(s->http);
	serve_arm_timer(s);
}

/* Past the drain deadline: whatever is left is answered, then torn down. */
static void shutdown_all(struct serve *s)
{
	struct job *j;
	uint64_t until;

	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];

		for (size_t i = 0; i < f->pool.n; i++) {
			struct pool_slot *slot = f->pool.slots[i];
			struct shim_result res;

			if (slot->state != POOL_BUSY)
				continue;
			shim_sandbox_timeout(slot->sb, &res);
			job_answer_result(f, slot, slot->job, &res);
			slot->job = NULL;
			shim_result_release(&res);
		}
		while ((j = pool_dequeue(&f->pool)))
			job_answer_error(j, 503, "ServiceUnavailable", "the shim is shutting down");
	}
	serve_creator_drain(s);
	until = slx_now_ns() + NS_PER_S;
	while (http_front_pending(s->http) && slx_now_ns() < until) {
		struct epoll_event ev;

		http_front_run(s->http);
		(void)epoll_wait(s->epfd, &ev, 1, 10);
	}
	for (size_t fi = 0; fi < s->n_fns; fi++)
		while (s->fns[fi].pool.n)
			serve_slot_release(s, s->fns[fi].pool.slots[0]);
}

/* The policy as the live shim runs it: its own freeze grace, the measured
 * creation time left at the policy's default (the replay's --cold-ms
 * default too), and --time-scale applied as `shim replay` applies it. */
static int serve_policy(const struct shim_serve_opts *o, struct policy_config *cfg,
			struct slx_err *err)
{
	if (policy_parse(o->policy, cfg, err) < 0)
		return slx_error_prefix(err, "shim serve: --policy");
	cfg->freeze_grace_ns = SERVE_FREEZE_AFTER_NS;
	replay_policy_time_scale(cfg, o->time_scale);
	return 0;
}

uint32_t serve_max_timeout_s(const struct serve *s)
{
	uint32_t t = 0;

	for (size_t fi = 0; fi < s->n_fns; fi++)
		if (s->fns[fi].fn->timeout_s > t)
			t = s->fns[fi].fn->timeout_s;
	return t;
}

int shim_serve(const struct shim_serve_opts *o, struct slx_err *err)
{
	struct serve s = {.opts = *o,
			  .epfd = -1,
			  .sigfd = -1,
			  .tickfd = -1,
			  .spool_fd = -1,
			  .creators = {[0 ... SERVE_CREATORS - 1] = {.pid = -1, .fd = -1}}};
	struct http_addr addrs[SHIM_SERVE_MAX_LISTEN];
	int r = -1;

	/* a lower the kernel cannot idmap is refused before anything is served */
	s.opts.floor.views_at_load = true;
	if (serve_policy(&s.opts, &s.policy, err) < 0)
		return -1;
	for (size_t i = 0; i < s.opts.n_listen; i++)
		if (http_addr_parse(s.opts.listen[i], &addrs[i], err) < 0)
			return -1;
	if (serve_load_functions(&s, err) == 0 && serve_setup(&s, addrs, err) == 0) {
		for (size_t fi = 0; fi < s.n_fns; fi++)
			printf("slxrun shim: serving %s as %s on %s (pid %d)\n",
			       s.fns[fi].fn->bundle, s.fns[fi].fn->name, s.fns[0].registry,
			       (int)getpid());
		fflush(stdout);
		for (size_t fi = 0; fi < s.n_fns; fi++)
			shim_floor_report(&s.fns[fi].fn->floor);
		if (s.opts.floor.share_memory)
			shim_floor_report_ksm();
		serve_events_restore(&s);
		while (!drained(&s, slx_now_ns()))
			loop_turn(&s);
		shutdown_all(&s);
		r = 0;
	}
	serve_teardown(&s);
	if (r < 0)
		serve_forget_dirs(&s);
	return r;
}
