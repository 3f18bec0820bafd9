/* SPDX-License-Identifier: GPL-2.0-or-later */
/* async.c -- Lambda's asynchronous invocations (X-Amz-Invocation-Type:
 * Event).  The caller is answered 202 with the request id as soon as the
 * event is queued; the shim holds the event (at most HTTP_MAX_EVENT; a
 * function's Events, each charged its body and its job, within its share
 * of the body budget and half its queue) and runs it as any call.  After a
 * function error, a timeout, a crash, or a failure before it ran (its
 * sandbox's init), it runs again a minute later, then two minutes after
 * that (Lambda's two retries, with the same request id), all over
 * --time-scale.  At most four per sandbox of --max wait in the queue ahead
 * of the synchronous calls; the rest wait here, due, until it has room,
 * up to Lambda's six hours.  An Event out of runs or time, or one the
 * shim stops before running, is logged as dropped and counted
 * (slxrun_events_dropped_total), where Lambda would hand it to a
 * dead-letter queue.  With --event-spool each accepted Event is also kept
 * on disk until it ran or was dropped (spool.c): one the shim stops before
 * it ran stays there, and the next shim runs it (serve_events_restore);
 * those past what the function holds in memory wait there only, held as
 * room frees (unspool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fsutil.h"
#include "lambda.h"
#include "serve.h"
#include "spool.h"

/* What an Event holds: its body and its job. */
static size_t event_cost(const struct job *j)
{
	return j->event.len + sizeof(*j);
}

/* Freed; unspool: its file goes too (it ran well, or was dropped).  Its
 * room may take the next Event waiting in the spool only. */
static void event_free(struct job *j, bool unspool)
{
	struct serve_fn *f = j->owner;

	if (unspool && f->serve->spool_fd >= 0)
		spool_remove(f->spool, j->request_id);
	f->event_bytes -= event_cost(j);
	f->events--;
	f->unspool = f->m.events_spooled > 0;
	slx_buf_release(&j->event);
	free(j);
}

static uint64_t scaled(const struct serve *s, uint64_t ns)
{
	return ns / (s->opts.time_scale ? s->opts.time_scale : 1);
}

/* Lambda's wait before the next run after `runs` failed: a minute, then
 * two. */
static uint64_t retry_wait(const struct serve *s, unsigned runs)
{
	return scaled(s, (uint64_t)runs * 60 * NS_PER_S);
}

/* Older than Lambda's six hours (over --time-scale): by the monotonic
 * clock in one shim, what it had from the shims before added (by the wall
 * clock: a restore after a reboot starts the monotonic clock anew, an
 * attacker's review). */
static bool too_old(const struct serve *s, const struct job *j)
{
	return slx_now_ns() - j->first_ns + j->age_ns > scaled(s, SERVE_EVENT_AGE_NS);
}

static void wait_until(struct serve_fn *f, struct job *j, uint64_t due);
static void unspool(struct serve_fn *f);

/* Events in f's queue, ahead of whatever synchronous call comes next: at
 * most a few rounds of its sandboxes (the rest wait among the retries, due
 * now).  With one queue for both, a function sleeping 8 s behind 500
 * Events held every synchronous call 17 minutes (a review). */
static size_t events_queued(const struct serve_fn *f)
{
	const struct pool *p = &f->pool;
	size_t n = 0;

	for (size_t i = 0; i < p->q_len; i++)
		n += !((const struct job *)p->queue[(p->q_head + i) % p->cfg.queue_max])->call;
	return n;
}

static bool queue_has_room(const struct serve *s, const struct serve_fn *f)
{
	size_t cap = 4 * (size_t)(s->opts.max ? s->opts.max : 1);

	return events_queued(f) < cap && f->pool.q_len < f->pool.cfg.queue_max;
}

/* Whether one more Event of len bytes may wait in f's spool only: each
 * charged its file's blocks, at least one (an empty Event charged nothing
 * filled 263 MB under a 1 MB bound, an attacker's review). */
static bool spooled_room(const struct serve_fn *f, size_t len)
{
	return f->m.events_spooled < SERVE_EVENTS_SPOOLED_MAX &&
	       f->spooled_bytes + spool_cost(len) <= f->serve->spool_share;
}

/* id joins f's Events in the spool only, last; -1 when there is no memory
 * for it.  The caller checked spooled_room, or the Event is one a shim
 * before accepted: a smaller bound now does not leave it behind. */
static int spooled_push(struct serve_fn *f, const char *id, size_t len)
{
	size_t n = f->m.events_spooled;
	struct serve_spooled *at;

	if (n == f->spooled_cap) {
		size_t cap = f->spooled_cap ? 2 * f->spooled_cap : 64;
		struct serve_spooled *v = malloc(cap * sizeof(*v));

		if (!v)
			return -1;
		for (size_t i = 0; i < n; i++)
			v[i] = f->spooled[(f->spooled_head + i) % f->spooled_cap];
		free(f->spooled);
		f->spooled = v;
		f->spooled_cap = cap;
		f->spooled_head = 0;
	}
	at = &f->spooled[(f->spooled_head + n) % f->spooled_cap];
	memcpy(at->id, id, sizeof(at->id));
	at->len = (uint32_t)len;
	f->spooled_bytes += spool_cost(len);
	f->m.events_spooled++;
	return 0;
}

/* Past what f holds in memory, or behind Events that are in the spool
 * only, an Event waits there too: kept, answered 202, its job freed.  It
 * is held when its turn comes (unspool). */
static int spool_only(struct serve_fn *f, struct job *j, const char *body, size_t len,
		      struct slx_err *err)
{
	if (!spooled_room(f, len))
		return -1;
	if (spool_put(f->spool, j->request_id, body, len, shim_epoch_ms(), err) < 0)
		return -2;
	if (spooled_push(f, j->request_id, len) < 0) {
		spool_remove(f->spool, j->request_id);
		return -1;
	}
	http_call_answer(
	    j->call, &(struct http_answer){.status = 202, .body = "", .request_id = j->request_id});
	free(j);
	return 0;
}

int serve_event_accept(struct serve *s, struct serve_fn *f, struct job *j, struct slx_err *err)
{
	struct http_call *call = j->call;
	bool now = queue_has_room(s, f);
	size_t len;
	const char *body = http_call_body(call, &len);
	bool room =
	    f->events < SERVE_EVENTS_MAX && f->event_bytes + len + sizeof(*j) <= s->event_share;

	if (s->spool_fd >= 0 && (!room || f->m.events_spooled)) {
		f->unspool |= room && !s->stopping; /* behind them, with room: hold them */
		return spool_only(f, j, body, len, err);
	}
	if (!room)
		return -1;
	if (s->spool_fd >= 0 &&
	    spool_put(f->spool, j->request_id, body, len, shim_epoch_ms(), err) < 0)
		return -2; /* before the 202: an Event answered is an Event kept */
	if (now && pool_enqueue(&f->pool, j, j->arrival_ns) < 0) {
		if (s->spool_fd >= 0)
			spool_remove(f->spool, j->request_id);
		return -1;
	}
	http_call_take_body(call, &j->event);
	j->owner = f;
	j->call = NULL;
	j->first_ns = j->arrival_ns;
	f->event_bytes += event_cost(j);
	f->events++;
	if (!now)
		wait_until(f, j, j->arrival_ns);
	http_call_answer(
	    call, &(struct http_answer){.status = 202, .body = "", .request_id = j->request_id});
	return 0;
}

static void event_drop(struct job *j, const char *why)
{
	j->owner->m.events_dropped++;
	fprintf(stderr, "slxrun shim: %s: Event %s dropped after %u run(s): %s\n",
		j->owner->fn->name, j->request_id, j->runs, why);
	event_free(j, true);
}

/* The shim stops before j ran again: kept in the spool for the next shim,
 * or without one dropped. */
static void event_stop(struct job *j)
{
	if (j->owner->serve->spool_fd < 0) {
		event_drop(j, "the shim is shutting down");
		return;
	}
	fprintf(stderr, "slxrun shim: %s: Event %s kept in the spool after %u run(s)\n",
		j->owner->fn->name, j->request_id, j->runs);
	event_free(j, false);
}

/* j waits until due among its function's Events to run again. */
static void wait_until(struct serve_fn *f, struct job *j, uint64_t due)
{
	struct job **at;

	j->due_ns = due;
	for (at = &f->retries; *at && (*at)->due_ns <= due; at = &(*at)->next)
		;
	j->next = *at;
	*at = j;
}

/* j failed (why), after a run (ran) or before one could start (its
 * sandbox's init): again after a minute, then two, or dropped.  A run
 * counts also when the shim is stopping (one cut short by the stop, or
 * failed during the drain): with the spool, not counting it gave a poison
 * Event a run more at every restart (an attacker's review). */
static void run_failed(struct serve_fn *f, struct job *j, bool ran, const char *why)
{
	struct serve *s = f->serve;
	uint64_t now = slx_now_ns();

	if (s->stopping && !ran) { /* it never started: its runs stand */
		event_stop(j);
		return;
	}
	if (++j->runs >= SERVE_EVENT_RUNS) {
		event_drop(j, why);
		return;
	}
	if (s->spool_fd >= 0)
		spool_set_runs(f->spool, j->request_id, j->runs,
			       shim_epoch_ms() + retry_wait(s, j->runs) / NS_PER_MS);
	if (s->stopping) {
		event_stop(j);
		return;
	}
	j->attempts = 0;
	wait_until(f, j, now + retry_wait(s, j->runs));
}

void serve_event_failed(struct job *j, const char *why)
{
	run_failed(j->owner, j, false, why);
}

/* On disk a run counts from its start, and so does the wait after it: a
 * shim that dies during it leaves the Event as if that run failed. */
void serve_event_running(struct serve_fn *f, const struct job *j, bool running)
{
	unsigned runs = j->runs + running;

	if (f->serve->spool_fd >= 0)
		spool_set_runs(f->spool, j->request_id, runs,
			       running ? shim_epoch_ms() + retry_wait(f->serve, runs) / NS_PER_MS
				       : 0);
}

void serve_event_finished(struct serve_fn *f, struct job *j, const struct shim_result *res)
{
	metrics_observe(&f->m, res->outcome, j->cold, (double)(slx_now_ns() - j->arrival_ns) / 1e9);
	if (res->outcome == SHIM_OK)
		event_free(j, true);
	else
		run_failed(f, j, true, shim_outcome_name(res->outcome));
}

void serve_events_due(struct serve *s, uint64_t now)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		struct job *j;

		if ((f->unspool || (f->unspool_at_ns && now >= f->unspool_at_ns)) && !s->stopping)
			unspool(f);
		while ((j = f->retries) && j->due_ns <= now) {
			bool old = too_old(s, j);

			if (!old && !queue_has_room(s, f))
				break; /* until a dispatch makes room: it turns the loop */
			f->retries = j->next;
			j->next = NULL;
			if (old) {
				event_drop(j, "older than 6 hours");
				continue;
			}
			j->arrival_ns = now;
			(void)pool_enqueue(&f->pool, j, now); /* there is room */
		}
	}
}

int serve_events_timeout_ms(const struct serve *s, uint64_t now, int t)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		const struct job *j = s->fns[fi].retries;
		uint64_t left;

		if (s->fns[fi].unspool && !s->stopping)
			return 0; /* an Event went late in the turn: hold the next now */
		if (s->fns[fi].unspool_at_ns && !s->stopping) {
			uint64_t at = s->fns[fi].unspool_at_ns;
			int ms = at > now ? (int)((at - now) / NS_PER_MS + 1) : 0;

			t = t < 0 || ms < t ? ms : t;
		}
		if (!j || (j->due_ns <= now && !queue_has_room(s, &s->fns[fi])))
			continue;
		left = j->due_ns > now ? (j->due_ns - now) / NS_PER_MS + 1 : 0;
		if (left > INT32_MAX)
			left = INT32_MAX;
		if (t < 0 || left < (uint64_t)t)
			t = (int)left;
	}
	return t;
}

void serve_events_drop_waiting(struct serve *s)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct job *j;

		while ((j = s->fns[fi].retries)) {
			s->fns[fi].retries = j->next;
			event_stop(j);
		}
	}
}

/* An Event from the spool (a shim before kept it, or it waited there
 * only), held again as if just accepted, due when it was (what is left of
 * its wait to run again, by the wall clock, at most the whole wait): 0, or
 * 1 dropped, or -1 when the function holds as much as it may. */
static int hold(struct serve_fn *f, struct spool_event *ev)
{
	uint64_t now = slx_now_ns(), now_ms = shim_epoch_ms();
	struct job *j;

	if (f->events >= SERVE_EVENTS_MAX ||
	    f->event_bytes + ev->len + sizeof(*j) > f->serve->event_share)
		return -1;
	j = calloc(1, sizeof(*j));
	if (!j || slx_buf_add(&j->event, ev->body, ev->len) < 0) {
		free(j);
		return -1;
	}
	memcpy(j->request_id, ev->id, sizeof(j->request_id));
	j->owner = f;
	j->runs = ev->runs;
	j->first_ns = j->arrival_ns = now;
	j->age_ns = now_ms > ev->first_ms ? (now_ms - ev->first_ms) * NS_PER_MS : 0;
	f->event_bytes += event_cost(j);
	f->events++;
	/* its runs on disk count the one a shim died during */
	if (j->runs >= SERVE_EVENT_RUNS)
		event_drop(j, "its shim ended during its last run");
	else if (too_old(f->serve, j))
		event_drop(j, "older than 6 hours");
	else {
		uint64_t wait = retry_wait(f->serve, j->runs);
		uint64_t left_ms = ev->due_ms > now_ms ? ev->due_ms - now_ms : 0;

		wait_until(f, j, now + (left_ms < wait / NS_PER_MS ? left_ms * NS_PER_MS : wait));
		return 0;
	}
	return 1;
}

/* A shim before kept it: held, or past what the function may hold, in the
 * spool only until there is room. */
static int restore_one(void *ctx, struct spool_event *ev)
{
	struct serve_fn *f = ctx;
	int r = hold(f, ev);

	if (r < 0 && spooled_push(f, ev->id, ev->len) < 0) {
		fprintf(stderr,
			"slxrun shim: %s: Event %s left in the spool for a later shim: out of "
			"memory\n",
			f->fn->name, ev->id);
		return 1;
	}
	return r < 0 ? 0 : r; /* 1, not held: not counted among those from the spool */
}

/* The Events in the spool only, first in first out, held as room frees
 * (an Event went, or one came behind them with room), until one does not
 * fit: it waits for the next to go.  One no longer there or no longer an
 * Event is said and forgotten; one that cannot be read now (out of memory
 * or descriptors) is tried again in a second (forgotten, it stayed on disk
 * outside the bound until a restart, an attacker's review). */
static void unspool(struct serve_fn *f)
{
	f->unspool = false;
	f->unspool_at_ns = 0;
	while (f->m.events_spooled) {
		const struct serve_spooled *sp = &f->spooled[f->spooled_head];
		struct spool_event ev = {0};
		const char *why;
		bool again;
		int r = -1;

		if (f->events >= SERVE_EVENTS_MAX ||
		    f->event_bytes + sp->len + sizeof(struct job) > f->serve->event_share)
			return; /* read nothing that cannot be held yet */
		why = spool_get(f->spool, sp->id, &ev, &again);
		if (!why)
			r = hold(f, &ev);
		free(ev.body);
		if ((why && again) || r < 0) {
			f->unspool_at_ns = slx_now_ns() + NS_PER_S;
			return;
		}
		if (why)
			fprintf(stderr, "slxrun shim: --event-spool: %s/%s.event: %s; forgotten\n",
				f->fn->name, sp->id, why);
		f->spooled_bytes -= spool_cost(sp->len);
		f->spooled_head = (f->spooled_head + 1) % f->spooled_cap;
		f->m.events_spooled--;
	}
}

void serve_events_restore(struct serve *s)
{
	if (s->spool_fd < 0)
		return;
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		int n = spool_each(s->fns[fi].spool, s->fns[fi].fn->name, restore_one, &s->fns[fi]);

		if (n)
			fprintf(stderr, "slxrun shim: %s: %d Event(s) from the spool\n",
				s->fns[fi].fn->name, n);
	}
}
