/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.c -- counting invocations and rendering the pool and the counter
 * feed for Prometheus and for /status. */
#include "metrics.h"

#include <inttypes.h>

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
		"slxrun_sandbox_create_failures_total %" PRIu64 "\n",
		m->cold_starts, m->warm_starts, m->rejected, m->create_failures);
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

static void render_pool(const struct pool *p, FILE *out)
{
	fputs("# HELP slxrun_sandboxes Sandboxes by state.\n"
	      "# TYPE slxrun_sandboxes gauge\n",
	      out);
	for (int s = 0; s < POOL_N_STATES; s++)
		fprintf(out, "slxrun_sandboxes{state=\"%s\"} %zu\n",
			pool_state_name((enum pool_state)s), pool_count(p, (enum pool_state)s));
	fprintf(
	    out,
	    "# HELP slxrun_queue_length Requests waiting for a sandbox.\n"
	    "# TYPE slxrun_queue_length gauge\n"
	    "slxrun_queue_length %zu\n"
	    "# HELP slxrun_sandbox_cpu_seconds_total CPU time of each live sandbox (cpu.stat).\n"
	    "# TYPE slxrun_sandbox_cpu_seconds_total counter\n",
	    p->q_len);
	for (size_t i = 0; i < p->n; i++) {
		const struct feed_point *pt = feed_at(&p->slots[i]->series, 0);

		if (pt && pt->r.have_cpu)
			fprintf(out, "slxrun_sandbox_cpu_seconds_total{sandbox=\"%s\"} %.6f\n",
				p->slots[i]->id, (double)pt->r.cpu_usage_usec / 1e6);
	}
	fputs("# HELP slxrun_sandbox_memory_bytes memory.current of each live sandbox.\n"
	      "# TYPE slxrun_sandbox_memory_bytes gauge\n",
	      out);
	for (size_t i = 0; i < p->n; i++) {
		const struct feed_point *pt = feed_at(&p->slots[i]->series, 0);

		if (pt && pt->r.have_memory)
			fprintf(out, "slxrun_sandbox_memory_bytes{sandbox=\"%s\"} %" PRIu64 "\n",
				p->slots[i]->id, pt->r.memory_current);
	}
}

void metrics_render(const struct metrics *m, const struct pool *p, FILE *out)
{
	render_counters(m, out);
	render_histogram(m, out);
	render_pool(p, out);
}

/* A counter the host lacks is null, not 0: 0 would be a reading. */
static void json_counter(FILE *out, const char *name, bool have, int64_t v, bool comma)
{
	if (have)
		fprintf(out, "\"%s\":%" PRId64 "%s", name, v, comma ? "," : "");
	else
		fprintf(out, "\"%s\":null%s", name, comma ? "," : "");
}

static void json_r(FILE *out, const struct feed_r *r, const struct feed_dr *dr)
{
	fputs("\"R\":{", out);
	json_counter(out, "cpu_usage_usec", r->have_cpu, (int64_t)r->cpu_usage_usec, true);
	json_counter(out, "memory_current", r->have_memory, (int64_t)r->memory_current, true);
	json_counter(out, "pids_current", r->have_pids, (int64_t)r->pids_current, false);
	fputs("},\"dR\":{", out);
	json_counter(out, "cpu_usage_usec", r->have_cpu, dr->cpu_usage_usec, true);
	json_counter(out, "memory_current", r->have_memory, dr->memory_current, true);
	json_counter(out, "pids_current", r->have_pids, dr->pids_current, false);
	fputs("}", out);
}

static void json_slot(FILE *out, const struct pool_slot *s)
{
	static const struct feed_point none;
	const struct feed_point *pt = feed_at(&s->series, 0);

	if (!pt)
		pt = &none;
	fprintf(out, "{\"id\":\"%s\",\"state\":\"%s\",\"invocations\":%" PRIu64 ",", s->id,
		pool_state_name(s->state), s->invocations);
	json_r(out, &pt->r, &pt->dr);
	fprintf(out, ",\"A\":%u,\"C\":%u,\"ticks\":%u}", pt->a, pt->c, s->series.count);
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

void metrics_render_status(const struct pool *p, const char *function, const struct feed_totals *t,
			   FILE *out)
{
	fputs("{\"function\":", out);
	json_string(out, function);
	fprintf(out, ",\"queue\":%zu,\"sandboxes\":[", p->q_len);
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			fputc(',', out);
		json_slot(out, p->slots[i]);
	}
	fputs("],\"totals\":{", out);
	json_r(out, &t->r, &t->dr);
	fprintf(out, ",\"A\":%u,\"C\":%u}}\n", t->a, t->c);
}
