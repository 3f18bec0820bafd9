/* SPDX-License-Identifier: GPL-2.0-or-later */
/* async.c -- Lambda's asynchronous invocations (X-Amz-Invocation-Type:
 * Event).  The caller is answered 202 with the request id as soon as the
 * event is queued; the shim holds the event (at most HTTP_MAX_EVENT, the
 * function's Events within its share of the body budget) and runs it as
 * any call.  After a function error, a timeout or a crash it runs again a
 * minute later, then two minutes after that (Lambda's two retries; both
 * over --time-scale), with the same request id; an Event out of runs, or
 * one the shim stops before running, is logged as dropped and counted
 * (slxrun_events_dropped_total), where Lambda would hand it to a
 * dead-letter queue. */
#include <stdio.h>
#include <stdlib.h>

#include "../common/fsutil.h"
#include "serve.h"

static void event_free(struct job *j)
{
	j->owner->event_bytes -= j->event.len;
	slx_buf_release(&j->event);
	free(j);
}

int serve_event_accept(struct serve *s, struct serve_fn *f, struct job *j)
{
	struct http_call *call = j->call;
	size_t len;

	(void)http_call_body(call, &len);
	if (f->event_bytes + len > s->event_share || pool_enqueue(&f->pool, j, j->arrival_ns) < 0)
		return -1;
	http_call_take_body(call, &j->event);
	f->event_bytes += j->event.len;
	j->owner = f;
	j->call = NULL;
	http_call_answer(
	    call, &(struct http_answer){.status = 202, .body = "", .request_id = j->request_id});
	return 0;
}

void serve_event_drop(struct job *j, const char *why)
{
	j->owner->m.events_dropped++;
	fprintf(stderr, "slxrun shim: %s: Event %s dropped after %u run(s): %s\n",
		j->owner->fn->name, j->request_id, j->runs, why);
	event_free(j);
}

void serve_event_finished(struct serve *s, struct serve_fn *f, struct job *j,
			  const struct shim_result *res)
{
	uint64_t now = slx_now_ns(), delay;
	struct job **at;

	metrics_observe(&f->m, res->outcome, j->cold, (double)(now - j->arrival_ns) / 1e9);
	if (res->outcome == SHIM_OK) {
		event_free(j);
		return;
	}
	if (++j->runs >= SERVE_EVENT_RUNS || s->stopping) {
		serve_event_drop(j, shim_outcome_name(res->outcome));
		return;
	}
	delay = (uint64_t)j->runs * 60 * NS_PER_S / (s->opts.time_scale ? s->opts.time_scale : 1);
	j->due_ns = now + delay;
	j->attempts = 0;
	for (at = &f->retries; *at && (*at)->due_ns <= j->due_ns; at = &(*at)->next)
		;
	j->next = *at;
	*at = j;
}

void serve_events_due(struct serve *s, uint64_t now)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		struct job *j;

		while ((j = f->retries) && j->due_ns <= now) {
			f->retries = j->next;
			j->next = NULL;
			j->arrival_ns = now;
			if (pool_enqueue(&f->pool, j, now) < 0)
				serve_event_drop(j, "the queue is full");
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
			serve_event_drop(j, "the shim is shutting down");
		}
	}
}
