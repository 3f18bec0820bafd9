/* SPDX-License-Identifier: GPL-2.0-or-later */
/* handlers.c -- the HTTP front's handlers: an invocation becomes a queued
 * job (or an error answer when the shim stops or the queue is full);
 * /metrics and /status are rendered from the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

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
		job_answer_error(j, 503, "ServiceUnavailable", "the shim is shutting down");
		return;
	}
	if (pool_enqueue(&s->pool, j, j->arrival_ns) < 0) {
		s->m.rejected++;
		job_answer_error(j, 429, "TooManyRequestsException", "queue full");
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

struct http_ops serve_http_ops(struct serve *s)
{
	return (struct http_ops){s, on_invoke, on_metrics, on_status};
}
