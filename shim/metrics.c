/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.c -- counting invocations and rendering the pool and its model
 * (each sandbox's ring, the sums) for Prometheus and for /status. */
#include "metrics.h"

#include <inttypes.h>
#include <stddef.h>

/* Upper bounds, seconds: warm exec calls land in the first few, cold starts
 * and slow functions further up. */
static const double bucket_le[METRICS_N_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void metrics_observe(struct metrics *m, enum shim_outcome o, bool cold, double seconds)
{
	if ((size_t)o < METRICS_N_OUTCOMES)
		m->invocations[o]++;
	if (cold)
		m->cold_starts++;
	else
		m->warm_starts++;
	for (size_t i = 0; i < METRICS_N_BUCKETS; i++) {
		if (seconds <= bucket_le[i]) {
			m->duration_buckets[i]++;
			break;
		}
	}
	m->duration_count++;
	m->duration_sum_s += seconds;
}

/* The latest tick of a slot's sandbox in the model's ring, or NULL. */
static const struct model_point *latest(const struct pool *p, const struct pool_slot *s)
{
	const struct model_sandbox *msb = pool_slot_model(p, s);

	return msb ? model_sandbox_at(msb, 0) : NULL;
}

static void render_counters(const struct metrics *m, FILE *out)
{
	fputs("# HELP slxrun_invocations_total Invocations answered, by outcome.\n"
	      "# TYPE slxrun_invocations_total counter\n",
	      out);
	for (size_t o = 0; o < METRICS_N_OUTCOMES; o++)
		fprintf(out, "slxrun_invocations_total{outcome=\"%s\"} %" PRIu64 "\n",
			shim_outcome_name((enum shim_outcome)o), m->invocations[o]);
	fprintf(out,
		"# HELP slxrun_cold_starts_total Invocations that waited for a new sandbox.\n"
		"# TYPE slxrun_cold_starts_total counter\n"
		"slxrun_cold_starts_total %" PRIu64 "\n"
		"# HELP slxrun_warm_starts_total Invocations served by an existing sandbox.\n"
		"# TYPE slxrun_warm_starts_total counter\n"
		"slxrun_warm_starts_total %" PRIu64 "\n"
		"# HELP slxrun_rejected_total Invocations refused with 429 (queue full).\n"
		"# TYPE slxrun_rejected_total counter\n"
		"slxrun_rejected_total %" PRIu64 "\n"
		"# HELP slxrun_sandbox_create_failures_total Sandboxes that failed to start.\n"
		"# TYPE slxrun_sandbox_create_failures_total counter\n"
		"slxrun_sandbox_create_failures_total %" PRIu64 "\n"
		"# HELP slxrun_events_dropped_total Event invocations given up: out of runs, "
		"or the shim stopped.\n"
		"# TYPE slxrun_events_dropped_total counter\n"
		"slxrun_events_dropped_total %" PRIu64 "\n"
		"# HELP slxrun_events_spooled Event invocations waiting in the spool only, "
		"past what the shim holds in memory.\n"
		"# TYPE slxrun_events_spooled gauge\n"
		"slxrun_events_spooled %" PRIu64 "\n",
		m->cold_starts, m->warm_starts, m->rejected, m->create_failures, m->events_dropped,
		m->events_spooled);
}

static void render_histogram(const struct metrics *m, FILE *out)
{
	uint64_t cum = 0;

	fputs("# HELP slxrun_invoke_duration_seconds Time from request arrival to answer.\n"
	      "# TYPE slxrun_invoke_duration_seconds histogram\n",
	      out);
	for (size_t i = 0; i < METRICS_N_BUCKETS; i++) {
		cum += m->duration_buckets[i];
		fprintf(out, "slxrun_invoke_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			bucket_le[i], cum);
	}
	fprintf(out,
		"slxrun_invoke_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
		"slxrun_invoke_duration_seconds_sum %.9f\n"
		"slxrun_invoke_duration_seconds_count %" PRIu64 "\n",
		m->duration_count, m->duration_sum_s, m->duration_count);
}

void metrics_totals_take(struct metrics_totals *t, const struct pool *p)
{
	struct metrics_totals n = {.a = p->fn->in_flight + p->fn->queued};

	for (size_t i = 0; i < p->fn->n_sb; i++) {
		const struct model_point *pt = model_sandbox_at(&p->fn->sb[i], 0);

		if (p->fn->sb[i].state == MODEL_SB_CREATING || !pt)
			continue;
		n.r.have_cpu |= pt->r.have_cpu;
		n.r.have_mem |= pt->r.have_mem;
		n.r.have_pids |= pt->r.have_pids;
		n.r.cpu_usec += pt->r.cpu_usec;
		n.r.mem_bytes += pt->r.mem_bytes;
		n.r.pids += pt->r.pids;
		n.dr.cpu_usec += pt->dr.cpu_usec;
		n.dr.mem_bytes += pt->dr.mem_bytes;
		n.dr.pids += pt->dr.pids;
		n.c += pt->c;
	}
	n.da = (int)n.a - (int)t->a;
	n.dc = (int)n.c - (int)t->c;
	*t = n;
}

/* A label value: backslash, quote and newline escaped. */
static void label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void render_pools(const struct metrics_fn *fns, size_t n, FILE *out)
{
	size_t q = 0;

	fputs("# HELP slxrun_sandboxes Sandboxes by state.\n"
	      "# TYPE slxrun_sandboxes gauge\n",
	      out);
	for (int st = 0; st < POOL_N_STATES; st++) {
		size_t c = 0;

		for (size_t k = 0; k < n; k++)
			c += pool_count(fns[k].pool, (enum pool_state)st);
		fprintf(out, "slxrun_sandboxes{state=\"%s\"} %zu\n",
			pool_state_name((enum pool_state)st), c);
	}
	for (size_t k = 0; k < n; k++)
		q += fns[k].pool->q_len;
	fprintf(
	    out,
	    "# HELP slxrun_queue_length Requests waiting for a sandbox.\n"
	    "# TYPE slxrun_queue_length gauge\n"
	    "slxrun_queue_length %zu\n"
	    "# HELP slxrun_sandbox_cpu_seconds_total CPU time of each live sandbox (cpu.stat).\n"
	    "# TYPE slxrun_sandbox_cpu_seconds_total counter\n",
	    q);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < fns[k].pool->n; i++) {
			const struct pool *p = fns[k].pool;
			const struct model_point *pt = latest(p, p->slots[i]);

			if (pt && pt->r.have_cpu)
				fprintf(out,
					"slxrun_sandbox_cpu_seconds_total{sandbox=\"%s\"} %.6f\n",
					p->slots[i]->id, (double)pt->r.cpu_usec / 1e6);
		}
	fputs("# HELP slxrun_sandbox_memory_bytes memory.current of each live sandbox.\n"
	      "# TYPE slxrun_sandbox_memory_bytes gauge\n",
	      out);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < fns[k].pool->n; i++) {
			const struct pool *p = fns[k].pool;
			const struct model_point *pt = latest(p, p->slots[i]);

			if (pt && pt->r.have_mem)
				fprintf(out,
					"slxrun_sandbox_memory_bytes{sandbox=\"%s\"} %" PRIu64 "\n",
					p->slots[i]->id, pt->r.mem_bytes);
		}
}

static void render_functions(const struct metrics_fn *fns, size_t n, FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} per[] = {
	    {"cold_starts", "Invocations that waited for a new sandbox, per function.",
	     offsetof(struct metrics, cold_starts)},
	    {"evictions", "Idle sandboxes released to make room for another allocation.",
	     offsetof(struct metrics, evictions)},
	};

	fputs("# HELP slxrun_function_invocations_total Invocations answered, per function.\n"
	      "# TYPE slxrun_function_invocations_total counter\n",
	      out);
	for (size_t k = 0; k < n; k++)
		for (size_t o = 0; o < METRICS_N_OUTCOMES; o++) {
			fputs("slxrun_function_invocations_total{function=\"", out);
			label(out, fns[k].name);
			fprintf(out, "\",outcome=\"%s\"} %" PRIu64 "\n",
				shim_outcome_name((enum shim_outcome)o), fns[k].m->invocations[o]);
		}
	for (size_t c = 0; c < sizeof(per) / sizeof(per[0]); c++) {
		fprintf(out,
			"# HELP slxrun_function_%s_total %s\n"
			"# TYPE slxrun_function_%s_total counter\n",
			per[c].name, per[c].help, per[c].name);
		for (size_t k = 0; k < n; k++) {
			fprintf(out, "slxrun_function_%s_total{function=\"", per[c].name);
			label(out, fns[k].name);
			fprintf(out, "\"} %" PRIu64 "\n",
				*(const uint64_t *)((const char *)fns[k].m + per[c].off));
		}
	}
}

static void render_node(const struct metrics *sum, const struct metrics_node *node, FILE *out)
{
	fprintf(out,
		"# HELP slxrun_evictions_total Idle sandboxes released to make room.\n"
		"# TYPE slxrun_evictions_total counter\n"
		"slxrun_evictions_total %" PRIu64 "\n"
		"# HELP slxrun_node_reserved_bytes Memory the live sandboxes reserve.\n"
		"# TYPE slxrun_node_reserved_bytes gauge\n"
		"slxrun_node_reserved_bytes %" PRIu64 "\n",
		sum->evictions, node->reserved);
	if (node->budget)
		fprintf(out,
			"# HELP slxrun_node_memory_budget_bytes The node's memory budget.\n"
			"# TYPE slxrun_node_memory_budget_bytes gauge\n"
			"slxrun_node_memory_budget_bytes %" PRIu64 "\n",
			node->budget);
	if (node->have_r && node->r.have_mem)
		fprintf(out,
			"# HELP slxrun_node_memory_bytes memory.current of the node's cgroup.\n"
			"# TYPE slxrun_node_memory_bytes gauge\n"
			"slxrun_node_memory_bytes %" PRIu64 "\n",
			node->r.mem_bytes);
}

static void metrics_add(struct metrics *sum, const struct metrics *m)
{
	for (size_t o = 0; o < METRICS_N_OUTCOMES; o++)
		sum->invocations[o] += m->invocations[o];
	sum->cold_starts += m->cold_starts;
	sum->warm_starts += m->warm_starts;
	sum->rejected += m->rejected;
	sum->events_dropped += m->events_dropped;
	sum->events_spooled += m->events_spooled;
	sum->create_failures += m->create_failures;
	sum->evictions += m->evictions;
	for (size_t i = 0; i < METRICS_N_BUCKETS; i++)
		sum->duration_buckets[i] += m->duration_buckets[i];
	sum->duration_count += m->duration_count;
	sum->duration_sum_s += m->duration_sum_s;
}

void metrics_render(const struct metrics_fn *fns, size_t n, const struct metrics_node *node,
		    FILE *out)
{
	struct metrics sum = {0};

	for (size_t k = 0; k < n; k++)
		metrics_add(&sum, fns[k].m);
	render_counters(&sum, out);
	render_histogram(&sum, out);
	render_pools(fns, n, out);
	render_functions(fns, n, out);
	render_node(&sum, node, out);
}

/* A counter the host lacks is null, not 0: 0 would be a reading. */
static void json_counter(FILE *out, const char *name, bool have, int64_t v, bool comma)
{
	if (have)
		fprintf(out, "\"%s\":%" PRId64 "%s", name, v, comma ? "," : "");
	else
		fprintf(out, "\"%s\":null%s", name, comma ? "," : "");
}

static void json_r(FILE *out, const struct model_r *r, const struct model_dr *dr)
{
	fputs("\"R\":{", out);
	json_counter(out, "cpu_usage_usec", r->have_cpu, (int64_t)r->cpu_usec, true);
	json_counter(out, "memory_current", r->have_mem, (int64_t)r->mem_bytes, true);
	json_counter(out, "pids_current", r->have_pids, (int64_t)r->pids, false);
	fputs("},\"dR\":{", out);
	json_counter(out, "cpu_usage_usec", r->have_cpu, dr->cpu_usec, true);
	json_counter(out, "memory_current", r->have_mem, dr->mem_bytes, true);
	json_counter(out, "pids_current", r->have_pids, dr->pids, false);
	fputs("}", out);
}

static void json_slot(FILE *out, const struct pool *p, const struct pool_slot *s)
{
	static const struct model_point none;
	const struct model_sandbox *msb = pool_slot_model(p, s);
	const struct model_point *pt = latest(p, s);

	if (!pt)
		pt = &none;
	fprintf(out, "{\"id\":\"%s\",\"state\":\"%s\",\"invocations\":%" PRIu64 ",", s->id,
		pool_state_name(s->state), s->invocations);
	json_r(out, &pt->r, &pt->dr);
	fprintf(out, ",\"A\":%u,\"dA\":%d,\"C\":%u,\"dC\":%d,\"ticks\":%u}", pt->a, pt->da, pt->c,
		pt->dc, msb ? msb->ring_n : 0);
}

/* Sandbox ids are [A-Za-z0-9_+.-]; the function name is a directory name. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_node(FILE *out, const struct metrics_node *node)
{
	fprintf(out, "\"node\":{\"budget\":%" PRIu64 ",\"reserved\":%" PRIu64 ",", node->budget,
		node->reserved);
	json_counter(out, "memory_current", node->have_r && node->r.have_mem,
		     (int64_t)node->r.mem_bytes, !!node->cgroup);
	if (node->cgroup) {
		fputs("\"cgroup\":", out);
		json_string(out, node->cgroup);
	}
	fputc('}', out);
}

/* One function's fields, without the braces. */
static void json_function(FILE *out, const struct metrics_fn *f)
{
	const struct pool *p = f->pool;
	const struct metrics_totals *t = f->totals;

	fputs("\"function\":", out);
	json_string(out, f->name);
	fprintf(out, ",\"queue\":%zu,\"sandboxes\":[", p->q_len);
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			fputc(',', out);
		json_slot(out, p, p->slots[i]);
	}
	fputs("],\"totals\":{", out);
	json_r(out, &t->r, &t->dr);
	fprintf(out,
		",\"A\":%u,\"dA\":%d,\"C\":%u,\"dC\":%d},\"cold_starts\":%" PRIu64
		",\"evictions\":%" PRIu64,
		t->a, t->da, t->c, t->dc, f->m->cold_starts, f->m->evictions);
}

void metrics_render_status(const struct metrics_fn *fns, size_t n, const char *policy,
			   const struct metrics_node *node, FILE *out)
{
	if (n == 1) {
		fputc('{', out);
		json_function(out, &fns[0]);
		fputs(",\"policy\":", out);
		json_string(out, policy);
		fputc(',', out);
		json_node(out, node);
		fputs("}\n", out);
		return;
	}
	fputs("{\"policy\":", out);
	json_string(out, policy);
	fputc(',', out);
	json_node(out, node);
	fputs(",\"functions\":[", out);
	for (size_t k = 0; k < n; k++) {
		fputs(k ? ",{" : "{", out);
		json_function(out, &fns[k]);
		fputc('}', out);
	}
	fputs("]}\n", out);
}
