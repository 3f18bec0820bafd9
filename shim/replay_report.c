/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_report.c -- `shim replay`'s report: load an Azure trace, replay it
 * through each policy (app by app, or on a node of each --node-memory
 * capacity), print the table or CSV and each run's speed, plot cold-start %
 * against idle memory-time with a sweep of fixed keep-alives as the
 * reference, or against the node's capacity. */
#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "replay.h"
#include "replay_frontier.h"
#include "shim.h"

#define VERB "shim replay"

static const char *const default_policies[] = {"fixed:600", "knative", "histogram", "delta"};
/* The reference curve: fixed keep-alives of 1 to 120 minutes. */
static const char *const sweep_policies[] = {"fixed:60",   "fixed:120",	 "fixed:300",
					     "fixed:600",  "fixed:1200", "fixed:1800",
					     "fixed:3600", "fixed:7200"};
#define SWEEP_N (sizeof(sweep_policies) / sizeof(sweep_policies[0]))
/* delta's curve: its cold-start weight (GB*s of idle memory a cold start is
 * worth) from 3 to 24576 at steps of sqrt(2), rounded, the default 384 among
 * them.  The curve is read linearly between points, which overstates a
 * convex one where they are far apart: at doublings, by 0.01-0.05 of the
 * ratio to fixed where the curve bends. */
static const char *const delta_sweep[] = {
    "delta:3",	   "delta:4",	  "delta:6",	"delta:8",    "delta:12",   "delta:17",
    "delta:24",	   "delta:34",	  "delta:48",	"delta:68",   "delta:96",   "delta:136",
    "delta:192",   "delta:272",	  "delta:384",	"delta:543",  "delta:768",  "delta:1086",
    "delta:1536",  "delta:2172",  "delta:3072", "delta:4344", "delta:6144", "delta:8689",
    "delta:12288", "delta:17378", "delta:24576"};
#define DELTA_SWEEP_N (sizeof(delta_sweep) / sizeof(delta_sweep[0]))
/* Under a capacity: the caches of FaasCache next to the keep-alive policies. */
static const char *const node_policies[] = {"lru", "gdsf", "fixed:600", "histogram", "delta"};

struct run {
	struct replay_result *res;
	bool *sweep;	/* the row belongs to the reference curve only */
	uint64_t *node; /* the row's node capacity, bytes; 0: app by app */
	size_t n;
};

static int load_trace(struct trace *t, const struct shim_replay_opts *o, struct slx_err *err)
{
	for (size_t i = 0; i < o->n_traces; i++)
		if (trace_load_path(t, o->traces[i], trace_load_invocations, err) < 0)
			return -1;
	for (size_t i = 0; i < o->n_durations; i++)
		if (trace_load_path(t, o->durations[i], trace_load_durations, err) < 0)
			return -1;
	for (size_t i = 0; i < o->n_memory; i++)
		if (trace_load_path(t, o->memory[i], trace_load_memory, err) < 0)
			return -1;
	return 0;
}

static unsigned online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The replay's cost grows with the minutes that have invocations (each
 * fills a stream), not with the invocations in them: both rates, on stderr. */
static void print_speed(const struct trace *t, const struct replay_result *x, uint64_t node,
			unsigned jobs, double secs)
{
	uint64_t fn_minutes = 0;

	for (size_t i = 0; i < t->n_fns; i++)
		fn_minutes += t->fns[i].n_min;
	if (secs <= 0)
		secs = 1e-9;
	fprintf(stderr, "%s: %s", VERB, x->policy);
	if (node)
		fprintf(stderr, " on a %g GB node", (double)node / (1u << 30));
	fprintf(stderr, ": %.2f s on %u thread%s, %.0f function-minutes/s, %.0f invocations/s\n",
		secs, jobs, jobs == 1 ? "" : "s", (double)fn_minutes / secs,
		(double)x->invocations / secs);
}

static int run_one(const struct trace *t, const char *spec, bool sweep, uint64_t node,
		   const struct replay_config *rc, struct run *r, struct slx_err *err)
{
	struct policy_config pc;
	unsigned jobs;
	double t0;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->res[i].policy, spec) && r->node[i] == node)
			return 0; /* asked for twice, or a named one on the sweep */
	if (policy_parse(spec, &pc, err) < 0)
		return -1;
	pc.create_ns = rc->cold_ns;
	replay_policy_time_scale(&pc, rc->time_scale);
	t0 = seconds_now();
	if (node ? replay_run_node(t, &pc, rc, node, &r->res[r->n], err)
		 : replay_run(t, &pc, rc, &r->res[r->n], err))
		return -1;
	jobs = node || rc->jobs <= 1 ? 1 : rc->jobs;
	if (!node && jobs > t->n_apps) /* replay_run's own limit */
		jobs = t->n_apps ? (unsigned)t->n_apps : 1;
	print_speed(t, &r->res[r->n], node, jobs, seconds_now() - t0);
	r->node[r->n] = node;
	r->sweep[r->n++] = sweep;
	return 0;
}

static void print_csv(const struct run *r, FILE *out)
{
	fprintf(out,
		"policy,invocations,cold_starts,cold_start_pct,idle_gb_s,app_cold_p50,"
		"app_cold_p75,app_cold_p90,cold_busy,mean_added_ms,p99_added_ms,"
		"p999_added_ms,node_gb,evictions,imbalance,cold_held,miss_pct,peak_running_gb\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct replay_result *x = &r->res[i];

		fprintf(out,
			"%s,%lu,%lu,%.4f,%.1f,%.3f,%.3f,%.3f,%lu,%.5f,%.3f,%.3f,%g,%lu,%.3f,%lu,%."
			"4f,%.3f\n",
			x->policy, (unsigned long)x->invocations, (unsigned long)x->cold_starts,
			x->cold_start_pct, x->idle_gb_s, x->app_cold_p50, x->app_cold_p75,
			x->app_cold_p90, (unsigned long)x->cold_starts_busy, x->mean_added_ms,
			x->p99_added_ms, x->p999_added_ms, (double)r->node[i] / (1u << 30),
			(unsigned long)x->evictions, x->imbalance,
			(unsigned long)x->cold_starts_held, x->miss_pct, x->peak_running_gb);
	}
}

/* COLD% is invocation-weighted; APP p50/p75/p90 are percentiles of the
 * per-application cold-start %; BUSY counts the cold starts that found the
 * app already running (concurrency).  On a node, HELD counts the cold
 * starts held for memory and MISS% is FaasCache's cold-start %, which
 * leaves them out. */
static void print_table(const struct run *r, FILE *out)
{
	bool node = r->n && r->node[0];

	fprintf(out, "%-12s %s %11s %9s %8s %7s %7s %7s %8s %13s %8s %9s%s\n", "POLICY",
		node ? "NODE GB" : "", "INVOCATIONS", "COLD", "COLD%", "APP50%", "APP75%", "APP90%",
		"BUSY", "IDLE GB*s", "MEAN +ms", "P99.9 +ms",
		node ? "    EVICT IMBALANCE      HELD   MISS% PEAK RUN GB" : "");
	for (size_t i = 0; i < r->n; i++) {
		const struct replay_result *x = &r->res[i];

		fprintf(out, "%-12s ", x->policy);
		if (node)
			fprintf(out, "%8g ", (double)r->node[i] / (1u << 30));
		fprintf(out, "%11lu %9lu %8.3f %7.2f %7.2f %7.2f %8lu %13.1f %8.4f %9.3f",
			(unsigned long)x->invocations, (unsigned long)x->cold_starts,
			x->cold_start_pct, x->app_cold_p50, x->app_cold_p75, x->app_cold_p90,
			(unsigned long)x->cold_starts_busy, x->idle_gb_s, x->mean_added_ms,
			x->p999_added_ms);
		if (node)
			fprintf(out, " %9lu %9.2f %9lu %7.3f %11.2f", (unsigned long)x->evictions,
				x->imbalance, (unsigned long)x->cold_starts_held, x->miss_pct,
				x->peak_running_gb);
		fputc('\n', out);
	}
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	cleanup_free char *dup = strdup(path ? path : "/usr/bin:/bin");
	char *save = NULL;

	if (!dup)
		return false;
	for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		cleanup_free char *p = NULL;

		if (asprintf(&p, "%s/%s", d, prog) >= 0 && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* Which curve a row belongs to: fixed:S rows to fixed's, delta and delta:W
 * rows to delta's; NULL for the others (single points). */
static const char *curve_of(const char *policy)
{
	if (!strncmp(policy, "fixed:", 6))
		return "fixed";
	if (!strcmp(policy, "delta") || !strncmp(policy, "delta:", 6))
		return "delta";
	return NULL;
}

/* The frontier of one curve among the rows of one node capacity; pts has
 * room for r->n points. */
static size_t curve_points(const struct run *r, const char *curve, uint64_t node,
			   struct frontier_point *pts)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const char *c = curve_of(r->res[i].policy);

		if (c && !strcmp(c, curve) && r->node[i] == node)
			pts[n++] = (struct frontier_point){r->res[i].idle_gb_s,
							   (double)r->res[i].cold_starts};
	}
	return frontier_build(pts, n);
}

static void plot_curve(const struct run *r, const char *curve, FILE *gp)
{
	cleanup_free struct frontier_point *pts = calloc(r->n + 1, sizeof(*pts));
	uint64_t inv = r->n ? r->res[0].invocations : 0;
	size_t n;

	if (!pts || !inv)
		return;
	n = curve_points(r, curve, 0, pts);
	for (size_t i = 0; i < n; i++)
		fprintf(gp, "%.3f %.5f\n", pts[i].idle_gb_s, 100.0 * pts[i].colds / (double)inv);
}

/* gnuplot reads its script and data from a pipe: the sweep as a line, each
 * other policy as a labelled point. */
static int plot(const struct run *r, const char *png, struct slx_err *err)
{
	FILE *gp;
	int st;

	gp = popen("gnuplot", "w");
	if (!gp)
		return slx_error(err, errno, "%s: run gnuplot", VERB);
	fprintf(gp,
		"set terminal pngcairo size 900,600 noenhanced font ',11'\n"
		"set output '%s'\nset grid\nset key top right\n"
		"set title 'Trace replay: cold starts against idle memory-time'\n"
		"set xlabel 'idle warm memory-time (GB*s)'\nset ylabel 'cold starts (%%)'\n"
		"plot '-' using 1:2 with linespoints title 'fixed keep-alive (frontier)', "
		"'-' using 1:2 with linespoints title 'delta, cold-start weight 3..24576 GB*s "
		"(frontier)', "
		"'-' using 1:2:3 with labels point pt 7 offset 1,1 notitle\n",
		png);
	plot_curve(r, "fixed", gp);
	fprintf(gp, "e\n");
	plot_curve(r, "delta", gp);
	fprintf(gp, "e\n");
	for (size_t i = 0; i < r->n; i++)
		if (!r->sweep[i])
			fprintf(gp, "%.3f %.5f \"%s\"\n", r->res[i].idle_gb_s,
				r->res[i].cold_start_pct, r->res[i].policy);
	fprintf(gp, "e\n");
	st = pclose(gp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return slx_error(err, 0, "%s: gnuplot failed writing %s", VERB, png);
	return 0;
}

/* Under capacities: cold-start % against the node's memory, a line per
 * policy (rows come policy by policy, capacities in the order given). */
static int plot_node(const struct run *r, const char *png, struct slx_err *err)
{
	FILE *gp = popen("gnuplot", "w");
	const char *sep = "plot ";
	int st;

	if (!gp)
		return slx_error(err, errno, "%s: run gnuplot", VERB);
	fprintf(gp,
		"set terminal pngcairo size 900,600 noenhanced font ',11'\n"
		"set output '%s'\nset grid\nset key top right\nset logscale x 2\n"
		"set title 'Trace replay on one node: cold starts against capacity'\n"
		"set xlabel 'node memory (GB)'\nset ylabel 'cold starts (%%)'\n",
		png);
	size_t n = 0;

	while (n < r->n && !r->sweep[n]) /* the named rows come first */
		n++;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(r->res[i].policy, r->res[i - 1].policy)) {
			fprintf(gp, "%s'-' using 1:2 with linespoints title '%s'", sep,
				r->res[i].policy);
			sep = ", ";
		}
	fputc('\n', gp);
	for (size_t i = 0; i < n; i++) {
		fprintf(gp, "%g %.5f\n", (double)r->node[i] / (1u << 30), r->res[i].cold_start_pct);
		if (i + 1 == n || strcmp(r->res[i].policy, r->res[i + 1].policy))
			fprintf(gp, "e\n");
	}
	st = pclose(gp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return slx_error(err, 0, "%s: gnuplot failed writing %s", VERB, png);
	return 0;
}

static int run_sweeps(const struct trace *t, const struct shim_replay_opts *o,
		      const struct replay_config *rc, struct run *r, struct slx_err *err)
{
	size_t n_node = o->n_node_mem ? o->n_node_mem : 1;

	for (size_t c = 0; c < n_node; c++) {
		uint64_t node = o->n_node_mem ? o->node_mem[c] : 0;

		for (size_t i = 0; i < SWEEP_N; i++)
			if (run_one(t, sweep_policies[i], true, node, rc, r, err) < 0)
				return -1;
		for (size_t i = 0; o->sweep && i < DELTA_SWEEP_N; i++)
			if (run_one(t, delta_sweep[i], true, node, rc, r, err) < 0)
				return -1;
	}
	return 0;
}

static int run_all(const struct trace *t, const struct shim_replay_opts *o, struct run *r,
		   struct slx_err *err)
{
	const char *const *defaults = o->n_node_mem ? node_policies : default_policies;
	size_t n_defaults = o->n_node_mem ? sizeof(node_policies) / sizeof(node_policies[0])
					  : sizeof(default_policies) / sizeof(default_policies[0]);
	const char *const *named = o->n_policies ? o->policies : defaults;
	size_t n_named = o->n_policies ? o->n_policies : n_defaults;
	size_t n_node = o->n_node_mem ? o->n_node_mem : 1;
	size_t rows = (n_named + SWEEP_N + DELTA_SWEEP_N) * n_node;
	struct replay_config rc;

	replay_config_default(&rc);
	rc.cold_ns = (uint64_t)o->cold_ms * 1000000;
	/* --time-scale N: N trace seconds pass in one (see replay.h) */
	rc.time_scale = o->time_scale;
	rc.tick_ns /= rc.time_scale;
	rc.nodes = o->nodes ? o->nodes : 1;
	rc.jobs = o->jobs ? o->jobs : online_cores();
	if (o->placement && replay_placement_parse(o->placement, &rc.placement, err) < 0)
		return -1;
	if (o->within && replay_within_parse(o->within, &rc.within, err) < 0)
		return -1;
	r->res = calloc(rows, sizeof(*r->res));
	r->sweep = calloc(rows, sizeof(*r->sweep));
	r->node = calloc(rows, sizeof(*r->node));
	if (!r->res || !r->sweep || !r->node)
		return slx_error(err, ENOMEM, "%s", VERB);
	for (size_t i = 0; i < n_named; i++)
		for (size_t c = 0; c < n_node; c++)
			if (run_one(t, named[i], false, o->n_node_mem ? o->node_mem[c] : 0, &rc, r,
				    err) < 0)
				return -1;
	/* The curves: the fixed keep-alive's for the unlimited plot (as
	 * before), both curves with --sweep, at every capacity. */
	if (o->sweep || (o->plot && !o->n_node_mem))
		return run_sweeps(t, o, &rc, r, err);
	return 0;
}

/* Each point against the other curve at its idle memory-time: a delta
 * point against fixed's frontier, any other point (fixed:S, histogram, a
 * cache) against delta's.  RATIO is always delta's cold starts over the
 * other's; "-" where the idle figure is outside the curve's range. */
static void print_frontier(const struct run *r, bool csv, FILE *out)
{
	cleanup_free struct frontier_point *fx = calloc(r->n + 1, sizeof(*fx));
	cleanup_free struct frontier_point *dl = calloc(r->n + 1, sizeof(*dl));
	uint64_t node = UINT64_MAX;
	size_t n_fx = 0, n_dl = 0;

	if (!fx || !dl)
		return;
	if (csv)
		fprintf(
		    out,
		    "frontier,node_gb,point,idle_gb_s,cold_starts,curve,curve_cold_starts,ratio\n");
	else
		fprintf(
		    out,
		    "\nFRONTIER: cold starts at equal idle memory-time (RATIO = delta / other)\n"
		    "%8s %-14s %13s %9s %6s %12s %6s\n",
		    "NODE GB", "POINT", "IDLE GB*s", "COLD", "CURVE", "CURVE COLD", "RATIO");
	for (size_t i = 0; i < r->n; i++) {
		const struct replay_result *x = &r->res[i];
		const char *c = curve_of(x->policy);
		bool is_delta = c && !strcmp(c, "delta");
		double at, ratio;

		if (r->node[i] != node) {
			node = r->node[i];
			n_fx = curve_points(r, "fixed", node, fx);
			n_dl = curve_points(r, "delta", node, dl);
		}
		at = is_delta ? frontier_at(fx, n_fx, x->idle_gb_s)
			      : frontier_at(dl, n_dl, x->idle_gb_s);
		ratio = is_delta ? (double)x->cold_starts / at : at / (double)x->cold_starts;
		if (csv) {
			fprintf(out, "frontier,%g,%s,%.1f,%lu,%s,", (double)node / (1u << 30),
				x->policy, x->idle_gb_s, (unsigned long)x->cold_starts,
				is_delta ? "fixed" : "delta");
			if (isnan(at))
				fprintf(out, ",\n");
			else
				fprintf(out, "%.1f,%.3f\n", at, ratio);
			continue;
		}
		fprintf(out, "%8g %-14s %13.1f %9lu %6s ", (double)node / (1u << 30), x->policy,
			x->idle_gb_s, (unsigned long)x->cold_starts, is_delta ? "fixed" : "delta");
		if (isnan(at))
			fprintf(out, "%12s %6s\n", "-", "-");
		else
			fprintf(out, "%12.0f %6.2f\n", at, ratio);
	}
}

int shim_replay(const struct shim_replay_opts *o, struct slx_err *err)
{
	struct trace t;
	struct run r = {0};
	int ret = -1;

	if (o->plot && !in_path("gnuplot"))
		return slx_error(
		    err, 0, "%s: --plot needs gnuplot in PATH (apt install gnuplot-nox)", VERB);
	trace_init(&t);
	if (load_trace(&t, o, err) < 0 || run_all(&t, o, &r, err) < 0)
		goto out;
	if (o->csv)
		print_csv(&r, stdout);
	else
		print_table(&r, stdout);
	if (o->sweep)
		print_frontier(&r, o->csv, stdout);
	if (fflush(stdout) == EOF) {
		slx_error(err, errno, "%s: write output", VERB);
		goto out;
	}
	if (o->plot && (o->n_node_mem ? plot_node(&r, o->plot, err) : plot(&r, o->plot, err)) < 0)
		goto out;
	ret = 0;
out:
	free(r.res);
	free(r.sweep);
	free(r.node);
	trace_free(&t);
	return ret;
}
