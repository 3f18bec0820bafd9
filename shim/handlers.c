/* SPDX-License-Identifier: GPL-2.0-or-later */
/* handlers.c -- the HTTP front's handlers: an invocation becomes a queued
 * job (or an error answer when the shim stops or the queue is full);
 * /metrics and /status are rendered from the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "lambda.h"
#include "serve.h"

/* The function a call names: by name or registry key; with one function,
 * any name (as the RIE routes).  NULL: none. */
static struct serve_fn *route(struct serve *s, const char *name)
{
	if (s->n_fns == 1)
		return &s->fns[0];
	for (size_t fi = 0; fi < s->n_fns; fi++) /* names first: a key never hides one */
		if (!strcmp(s->fns[fi].fn->name, name))
			return &s->fns[fi];
	for (size_t fi = 0; fi < s->n_fns; fi++)
		if (!strcmp(s->fns[fi].key, name))
			return &s->fns[fi];
	return NULL;
}

static void on_invoke(void *ctx, struct http_call *call)
{
	struct serve *s = ctx;
	size_t fi = http_call_function_index(call);
	struct serve_fn *f = fi < s->n_fns ? &s->fns[fi] : NULL;
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
	shim_request_id_new(j->request_id);
	j->tail = http_call_log_tail(call);
	if (s->stopping) {
		job_answer_error(j, 503, "ServiceUnavailable", "the shim is shutting down");
		return;
	}
	if (!f) { /* the front answers such a name at its headers (http.c) */
		job_answer_error(j, 404, "ResourceNotFoundException", "Function not found");
		return;
	}
	if (http_call_invocation(call) == HTTP_INVOKE_EVENT) {
		static char said[sizeof(((struct slx_err *)0)->msg)];
		struct slx_err err = {0};
		int r = serve_event_accept(s, f, j, &err);

		if (r == -2) { /* the spool's disk: each reason said once */
			if (strcmp(said, err.msg))
				fprintf(stderr, "slxrun shim: %s: %s (said once)\n", f->fn->name,
					err.msg);
			snprintf(said, sizeof(said), "%s", err.msg);
			job_answer_error(j, 500, "ServiceException", "the Event could not be kept");
			return;
		}
		if (r < 0) {
			f->m.rejected++;
			job_answer_error(j, 429, "TooManyRequestsException", "queue full");
			return;
		}
	} else if (pool_enqueue(&f->pool, j, j->arrival_ns) < 0) {
		f->m.rejected++;
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

/* The view metrics.c renders: each function's counters and pool, the node. */
static struct metrics_fn *view(struct serve *s, struct metrics_node *node)
{
	struct metrics_fn *v = calloc(s->n_fns, sizeof(*v));

	*node = (struct metrics_node){.cgroup = s->node.have_cg ? s->node.cg.path : NULL,
				      .budget = s->node.budget,
				      .reserved = s->model.host.mem_used_bytes,
				      .have_r = s->node.have_cg,
				      .r = s->node.r};
	for (size_t fi = 0; v && fi < s->n_fns; fi++)
		v[fi] = (struct metrics_fn){.name = s->fns[fi].fn->name,
					    .m = &s->fns[fi].m,
					    .pool = &s->fns[fi].pool,
					    .totals = &s->fns[fi].totals};
	return v;
}

static int on_metrics(void *ctx, char **body, size_t *len)
{
	struct serve *s = ctx;
	struct metrics_node node;
	cleanup_free struct metrics_fn *v = view(s, &node);
	FILE *f;

	if (!v || render(&f, body, len) < 0)
		return -1;
	metrics_render(v, s->n_fns, &node, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int on_status(void *ctx, char **body, size_t *len)
{
	struct serve *s = ctx;
	struct metrics_node node;
	cleanup_free struct metrics_fn *v = view(s, &node);
	FILE *f;

	if (!v || render(&f, body, len) < 0)
		return -1;
	metrics_render_status(v, s->n_fns, s->policy.name, &node, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* By name or by key, as route() takes a call (the share of the body budget
 * was counted by name alone, and a call by key took a share of its own:
 * the review). */
static size_t function_index(void *ctx, const char *name)
{
	struct serve *s = ctx;
	struct serve_fn *f = route(s, name);

	return f ? (size_t)(f - s->fns) : s->n_fns;
}

struct http_ops serve_http_ops(struct serve *s)
{
	return (struct http_ops){s, on_invoke, on_metrics, on_status, function_index};
}
