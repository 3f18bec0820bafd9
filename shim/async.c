/* SPDX-License-Identifier: GPL-2.0-or-later */
/* async.c -- Lambda's asynchronous invocations (X-Amz-Invocation-Type:
 * Event).  The caller is answered 202 with the request id as soon as the
 * event is queued; the shim holds the event (at most HTTP_MAX_EVENT; a
 * function's Events, each charged its body and its job, within its share
 * of the body budget and half its queue) and runs it as any call.  After a
 * function error, a timeout, a crash, or a failure before it ran (its
 * sandbox's init), it runs again a minute later, then two minutes after
 * that (Lambda's two retries, with the same request id); one whose time
 * comes while the queue is full waits a second more, up to Lambda's six
 * hours (all over --time-scale).  An Event out of runs or time, or one the
 * shim stops before running, is logged as dropped and counted
 * (slxrun_events_dropped_total), where Lambda would hand it to a
 * dead-letter queue. */
#include <stdio.h>
#include <stdlib.h>

#include "../common/fsutil.h"
#include "serve.h"

/* What an Event holds: its body and its job. */
static size_t event_cost(const struct job *j)
{
	return j->event.len + sizeof(*j);
}

static void event_free(struct job *j)
{
	j->owner->event_bytes -= event_cost(j);
	j->owner->events--;
	slx_buf_release(&j->event);
	free(j);
}

static uint64_t scaled(const struct serve *s, uint64_t ns)
{
	return ns / (s->opts.time_scale ? s->opts.time_scale : 1);
}

int serve_event_accept(struct serve *s, struct serve_fn *f, struct job *j)
{
	struct http_call *call = j->call;
	size_t len;

	(void)http_call_body(call, &len);
	if (f->events >= SERVE_EVENTS_MAX || f->event_bytes + len + sizeof(*j) > s->event_share ||
	    pool_enqueue(&f->pool, j, j->arrival_ns) < 0)
		return -1;
	http_call_take_body(call, &j->event);
	j->owner = f;
	j->call = NULL;
	j->first_ns = j->arrival_ns;
	f->event_bytes += event_cost(j);
	f->events++;
	http_call_answer(
	    call, &(struct http_answer){.status = 202, .body = "", .request_id = j->request_id});
	return 0;
}

static void event_drop(struct job *j, const char *why)
{
	j->owner->m.events_dropped++;
	fprintf(stderr, "slxrun shim: %s: Event %s dropped after %u run(s): %s\n",
		j->owner->fn->name, j->request_id, j->runs, why);
	event_free(j);
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

/* A run of j failed (why): again after a minute, then two, or dropped. */
static void run_failed(struct serve_fn *f, struct job *j, const char *why)
{
	struct serve *s = f->serve;
	uint64_t now = slx_now_ns();

	if (++j->runs >= SERVE_EVENT_RUNS || s->stopping) {
		event_drop(j, s->stopping ? "the shim is shutting down" : why);
		return;
	}
	j->attempts = 0;
	wait_until(f, j, now + scaled(s, (uint64_t)j->runs * 60 * NS_PER_S));
}

void serve_event_failed(struct job *j, const char *why)
{
	run_failed(j->owner, j, why);
}

void serve_event_finished(struct serve_fn *f, struct job *j, const struct shim_result *res)
{
	metrics_observe(&f->m, res->outcome, j->cold, (double)(slx_now_ns() - j->arrival_ns) / 1e9);
	if (res->outcome == SHIM_OK)
		event_free(j);
	else
		run_failed(f, j, shim_outcome_name(res->outcome));
}

void serve_events_due(struct serve *s, uint64_t now)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		struct job *j, *full = NULL;

		while ((j = f->retries) && j->due_ns <= now) {
			f->retries = j->next;
			j->next = NULL;
			j->arrival_ns = now;
			if (now - j->first_ns > scaled(s, SERVE_EVENT_AGE_NS)) {
				event_drop(j, "older than 6 hours");
			} else if (pool_enqueue(&f->pool, j, now) < 0) {
				j->next = full; /* after this pass: it would be due again at once */
				full = j;
			}
		}
		while ((j = full)) { /* at least 10 ms, however fast time runs */
			uint64_t wait = scaled(s, NS_PER_S);

			full = j->next;
			wait_until(f, j, now + (wait > 10 * NS_PER_MS ? wait : 10 * NS_PER_MS));
		}
	}
}

int serve_events_timeout_ms(const struct serve *s, uint64_t now, int t)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		const struct job *j = s->fns[fi].retries;
		uint64_t left;

		if (!j)
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
			event_drop(j, "the shim is shutting down");
		}
	}
}
