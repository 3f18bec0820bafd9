/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_node_live.c -- one shim serving three functions on one node: a
 * memory budget (--node-memory) two sandboxes fill, so the third function's
 * arrival evicts another's idle sandbox.  A three-app Azure-format trace
 * (tests/traces/node/) is played against `shim serve ... --time-scale 60`
 * (one trace minute a real second) and its cold starts and evictions are
 * compared with `shim replay --node-memory` of the same trace and budget,
 * within max(2, 20% of the replay's); after every answer the sandboxes'
 * reserved memory stays within the budget plus one sandbox.  No two apps'
 * arrivals fall at the same instant (2, 4 and 3 a minute): at a tie the
 * replay may take the apps in another order than this test sends them,
 * which moved gdsf by 3 cold starts; without ties live and replay agree
 * exactly here.  Where this
 * host's cgroup v2 has the memory controller (the VM), the node's parent
 * cgroup holds the budget as memory.max.
 *
 * Also the node's routing: by name, by the registry key `slxrun invoke
 * BUNDLE` uses, 404 for an unknown name; and its refusals. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

#define NODE_SCALE	  60
#define NODE_TRACE_DIR	  "tests/traces/node"
#define NODE_INVOCATIONS  NODE_TRACE_DIR "/invocations_per_function_md.anon.d01.csv"
#define NODE_DURATIONS	  NODE_TRACE_DIR "/function_durations_percentiles.anon.d01.csv"
#define NODE_MEMORY	  NODE_TRACE_DIR "/app_memory_percentiles.anon.d01.csv"
#define NODE_APPS	  3
#define NODE_MAX_ARRIVALS 256
#define NODE_BUDGET	  (128ull << 20) /* two of the trace's 64 MB sandboxes */
#define NODE_SANDBOX	  (64ull << 20)

static struct shim_proc node_t_cur = SHIM_PROC_INIT;

static void node_t_fini(void)
{
	shim_proc_cleanup(&node_t_cur);
}

/* ---- the trace -------------------------------------------------------------- */

struct node_t_arrival {
	uint64_t t_ns; /* compressed */
	char fn[16];   /* the trace's HashFunction: the live function's name */
};

static int node_t_cmp(const void *a, const void *b)
{
	const struct node_t_arrival *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return strcmp(x->fn, y->fn); /* at one time, in the trace's order of apps */
}

/* Every app's arrivals as the replay places them (minute m's c invocations
 * at m*60 + (2k+1)*30/c s), merged in time order. */
static size_t node_t_arrivals(struct node_t_arrival *out, size_t max, char names[][16])
{
	FILE *f = fopen(NODE_INVOCATIONS, "r");
	char *line = NULL;
	size_t cap = 0, n = 0, apps = 0;

	cr_assert(f, "%s: run the suite from the repository root", NODE_INVOCATIONS);
	cr_assert_gt(getline(&line, &cap, f), 0); /* the header */
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL;
		int col = 0;

		cr_assert_lt(apps, NODE_APPS);
		for (char *tok = strtok_r(line, ",\n", &save); tok;
		     tok = strtok_r(NULL, ",\n", &save)) {
			uint64_t minute = (uint64_t)(col++ - 4), c;

			if (col == 3)
				snprintf(names[apps], 16, "%s", tok);
			if (col <= 4) /* owner, app, function, trigger */
				continue;
			c = strtoull(tok, NULL, 10);
			for (uint64_t k = 0; k < c; k++) {
				cr_assert_lt(n, max);
				out[n].t_ns = (minute * 60 * 1000000000ull +
					       (2 * k + 1) * 30 * 1000000000ull / c) /
					      NODE_SCALE;
				snprintf(out[n++].fn, sizeof(out->fn), "%s", names[apps]);
			}
		}
		cr_assert_eq(col, 4 + 1440, "%s: expected 1444 columns", NODE_INVOCATIONS);
		apps++;
	}
	free(line);
	fclose(f);
	cr_assert_eq(apps, NODE_APPS);
	qsort(out, n, sizeof(*out), node_t_cmp);
	return n;
}

/* The replay's cold starts and evictions for policy on the node. */
static void node_t_replay(const char *policy, long *invocations, long *colds, long *evictions)
{
	struct cmd_result r;
	const char *row;
	double skip;
	int k;

	cmd_run(&r, NULL, 60,
		"'%s' shim replay %s --durations %s --memory %s --time-scale %d "
		"--node-memory %" PRIu64 " --policy '%s' --format csv",
		slxrun_bin(), NODE_INVOCATIONS, NODE_DURATIONS, NODE_MEMORY, NODE_SCALE,
		(uint64_t)NODE_BUDGET, policy);
	cr_assert_eq(r.status, 0, "replay: %s", r.err);
	/* policy,invocations,cold_starts,...,node_gb,evictions,imbalance */
	cr_assert(strstr(r.out, ",evictions,"), "replay output: %s", r.out);
	row = strchr(r.out, '\n') + 1;
	row = strchr(row, ',') + 1;
	cr_assert_eq(sscanf(row, "%ld,%ld", invocations, colds), 2, "replay output: %s", r.out);
	for (k = 0; k < 11; k++) /* to node_gb's column */
		row = strchr(row, ',') + 1;
	cr_assert_eq(sscanf(row, "%lf,%ld", &skip, evictions), 2, "replay output: %s", r.out);
	cmd_result_free(&r);
}

/* ---- the node ----------------------------------------------------------------- */

static void node_t_start(const char *policy, char names[][16])
{
	char flags[512], last[600];
	const char *b = examples_dir();

	snprintf(flags, sizeof(flags),
		 "--policy '%s' --time-scale %d --tick-ms 20 --memory %llu --node-memory %llu "
		 "'%s=%s/bench-echo-exec' '%s=%s/hello-exec'",
		 policy, NODE_SCALE, NODE_SANDBOX >> 20, NODE_BUDGET, names[0], b, names[1], b);
	snprintf(last, sizeof(last), "%s=%s/bench-echo-exec", names[2], b);
	shim_proc_start(&node_t_cur, last, flags);
}

/* The node's parent cgroup, from /status. */
static void node_t_parent(char *out, size_t len)
{
	static struct http_reply r;
	const char *p, *q;

	cr_assert_eq(http_request(node_t_cur.sock, NULL, "/status", NULL, 0, &r), CURLE_OK);
	p = strstr(r.body, "\"cgroup\":\"");
	cr_assert(p, "no node cgroup in /status: %.*s", (int)r.len, r.body);
	p += strlen("\"cgroup\":\"");
	q = strchr(p, '"');
	cr_assert(q && (size_t)(q - p) < len);
	snprintf(out, len, "%.*s", (int)(q - p), p);
}

/* Where the host's cgroup v2 holds memory limits, the node's parent cgroup
 * has the budget as memory.max. */
static void node_t_check_parent(void)
{
	char path[512], text[64] = "";
	FILE *f;

	node_t_parent(path, sizeof(path) - 16);
	cr_assert_eq(access(path, F_OK), 0, "%s: no node cgroup", path);
	strcat(path, "/memory.max");
	if (access(path, F_OK) != 0) {
		cr_log_info("no memory controller in cgroup v2 here: memory.max unchecked");
		return;
	}
	f = fopen(path, "r");
	cr_assert(f, "%s", path);
	cr_assert(fgets(text, sizeof(text), f), "%s", path);
	fclose(f);
	cr_assert_eq(strtoull(text, NULL, 10), NODE_BUDGET, "%s: %s", path, text);
}

static void node_t_compare(const char *policy)
{
	static struct node_t_arrival at[NODE_MAX_ARRIVALS];
	static struct http_reply reply;
	char names[NODE_APPS][16], path[128], parent[512];
	size_t n = node_t_arrivals(at, NODE_MAX_ARRIVALS, names);
	long inv = 0, colds, evictions, live_colds, live_ev, tol_c, tol_e;
	double peak = 0;
	uint64_t t0;

	node_t_replay(policy, &inv, &colds, &evictions);
	cr_assert_eq(inv, (long)n, "the replay and this test read the trace alike");
	cr_assert_gt(evictions, 0, "the trace must make the node evict");
	node_t_start(policy, names);
	node_t_check_parent();
	t0 = shim_clock_ns();
	for (size_t i = 0; i < n; i++) {
		double reserved;

		shim_sleep_until(t0 + at[i].t_ns);
		snprintf(path, sizeof(path), "/2015-03-31/functions/%s/invocations", at[i].fn);
		cr_assert_eq(http_request(node_t_cur.sock, NULL, path, "{}", 2, &reply), CURLE_OK);
		cr_assert_eq(reply.status, 200, "request %zu (%s): %.*s", i, at[i].fn,
			     (int)reply.len, reply.body);
		reserved = shim_metric(&node_t_cur, "slxrun_node_reserved_bytes");
		if (reserved > peak)
			peak = reserved;
	}
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"),
		     (double)n);
	live_colds = (long)shim_metric(&node_t_cur, "slxrun_cold_starts_total");
	live_ev = (long)shim_metric(&node_t_cur, "slxrun_evictions_total");
	node_t_parent(parent, sizeof(parent));
	cr_assert_eq(shim_proc_stop(&node_t_cur), 0);
	cr_assert(shim_proc_root_clean(&node_t_cur));
	cr_assert_neq(access(parent, F_OK), 0, "%s left", parent);
	tol_c = colds / 5 > 2 ? colds / 5 : 2;
	tol_e = evictions / 5 > 2 ? evictions / 5 : 2;
	cr_log_info("policy %s: live %ld cold starts / %ld evictions, replay %ld / %ld; peak "
		    "reserved %.0f MB of %llu MB",
		    policy, live_colds, live_ev, colds, evictions, peak / (1 << 20),
		    NODE_BUDGET >> 20);
	cr_assert(labs(live_colds - colds) <= tol_c,
		  "policy %s: live %ld cold starts, replay %ld, beyond ±%ld", policy, live_colds,
		  colds, tol_c);
	cr_assert(labs(live_ev - evictions) <= tol_e,
		  "policy %s: live %ld evictions, replay %ld, beyond ±%ld", policy, live_ev,
		  evictions, tol_e);
	cr_assert_leq(peak, (double)(NODE_BUDGET + NODE_SANDBOX),
		      "reserved %.0f bytes: over the budget by more than one sandbox", peak);
}

TestSuite(node_live, .fini = node_t_fini, .timeout = 90);

/* n calls of function fn sent at once, each answered 200. */
static void node_t_together(const char *fn, const char *event, int n)
{
	struct http_reply r[4];
	CURL *easy[4];
	CURLM *m = curl_multi_init();
	char url[128];

	cr_assert(m && n <= 4);
	snprintf(url, sizeof(url), "http://localhost/2015-03-31/functions/%s/invocations", fn);
	for (int i = 0; i < n; i++) {
		easy[i] = http_easy(node_t_cur.sock, url, event, strlen(event), &r[i]);
		curl_multi_add_handle(m, easy[i]);
	}
	http_multi_finish(m);
	for (int i = 0; i < n; i++) {
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &r[i].status);
		cr_assert_eq(r[i].status, 200, "%s: %.*s", fn, (int)r[i].len, r[i].body);
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(m);
}

/* --min-warm is a floor no eviction takes.  A node of four 64 MB sandboxes,
 * --min-warm 1: a, b and s get one each; two calls of b at once give b a
 * second (the node is full).  Two calls of s at once want room for a
 * second of s: lru's least recently used idle sandbox is a's, never used,
 * but a has only its floor, which the pool would refuse to release (the
 * call then waited for s's own sandbox, nothing evicted); b's older one
 * goes, and a's next call is warm. */
Test(node_live, no_eviction_takes_a_function_below_its_min_warm)
{
	char flags[512], last[300];
	const char *b = examples_dir();
	double cold;
	struct http_reply r;

	snprintf(flags, sizeof(flags),
		 "--policy lru --tick-ms 20 --memory 64 --node-memory 256M --min-warm 1 "
		 "'a=%s/hello-exec' 'b=%s/soak-exec'",
		 b, b);
	snprintf(last, sizeof(last), "s=%s/soak-exec", b);
	shim_proc_start(&node_t_cur, last, flags);
	cr_assert_eq(shim_wait_warm(&node_t_cur, 3), 3, "--min-warm 1 of each of three");
	node_t_together("b", "hold", 2);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_evictions_total"), 0, "room for b's second");
	node_t_together("s", "hold", 2);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_evictions_total"), 1,
		     "b's older sandbox made the room");
	cold = shim_metric(&node_t_cur, "slxrun_cold_starts_total");
	cr_assert_eq(
	    http_request(node_t_cur.sock, NULL, "/2015-03-31/functions/a/invocations", "{}", 2, &r),
	    CURLE_OK);
	cr_assert_eq(r.status, 200, "%.*s", (int)r.len, r.body);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_cold_starts_total"), cold,
		     "a's floor was kept warm");
	cr_assert_eq(shim_proc_stop(&node_t_cur), 0);
	cr_assert(shim_proc_root_clean(&node_t_cur));
}

/* lru keeps every idle sandbox and evicts the least recently used to make
 * room: cold starts and evictions follow the order of arrivals alone. */
Test(node_live, lru_cold_starts_and_evictions_match_the_replay)
{
	node_t_compare("lru");
}

/* gdsf (FaasCache) evicts the lowest priority: clock + frequency x cost /
 * size. */
Test(node_live, gdsf_cold_starts_and_evictions_match_the_replay)
{
	node_t_compare("gdsf");
}

/* delta ranks idle sandboxes by their expected wait under the budget. */
Test(node_live, delta_cold_starts_and_evictions_match_the_replay)
{
	node_t_compare("delta");
}

/* ---- routing and refusals ------------------------------------------------------ */

TestSuite(node_routing, .fini = node_t_fini, .timeout = 60);

Test(node_routing, names_route_and_an_unknown_name_is_404)
{
	static struct http_reply r;
	char flags[512];
	const char *b = examples_dir();
	struct cmd_result c;

	snprintf(flags, sizeof(flags), "--node-memory 1G 'echo=%s/bench-echo-exec'", b);
	{
		char hello[512];

		snprintf(hello, sizeof(hello), "%s/hello-exec", b);
		shim_proc_start(&node_t_cur, hello, flags);
	}
	cr_assert_eq(http_request(node_t_cur.sock, NULL,
				  "/2015-03-31/functions/hello-exec/invocations", "{\"a\":1}", 7,
				  &r),
		     CURLE_OK);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "hello from slxrun"), "%.*s", (int)r.len, r.body);
	cr_assert_eq(http_request(node_t_cur.sock, NULL, "/2015-03-31/functions/echo/invocations",
				  "{\"a\":1}", 7, &r),
		     CURLE_OK);
	cr_assert_eq(r.status, 200);
	cr_assert_not(strstr(r.body, "hello from slxrun"), "%.*s", (int)r.len, r.body);
	cr_assert_eq(http_request(node_t_cur.sock, NULL, "/2015-03-31/functions/nope/invocations",
				  "{}", 2, &r),
		     CURLE_OK);
	cr_assert_eq(r.status, 404);
	cr_assert(strstr(r.body, "ResourceNotFoundException"), "%.*s", (int)r.len, r.body);
	/* `slxrun invoke BUNDLE` finds the second function through its link. */
	cmd_run(&c, "{\"b\":2}", 30, "'%s' --root '%s' invoke '%s/hello-exec'", slxrun_bin(),
		node_t_cur.root, b);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert(strstr(c.out, "hello from slxrun"), "%s", c.out);
	cmd_result_free(&c);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_function_invocations_total{function="
					      "\"hello-exec\",outcome=\"ok\"}"),
		     2);
	cr_assert_eq(shim_proc_stop(&node_t_cur), 0);
	cr_assert(shim_proc_root_clean(&node_t_cur), "the link and records are gone");
}

Test(node_routing, bad_nodes_are_refused_and_leave_nothing)
{
	static const struct {
		const char *args, *want;
	} bad[] = {
	    {"--node-memory 12Q x=%s/hello-exec", "--node-memory 12Q"},
	    {"--node-memory 0 x=%s/hello-exec", "--node-memory 0"},
	    {"a=%s/hello-exec a=%s/bench-echo-exec", "two functions named a"},
	    {"--node-memory 64M a=%s/hello-exec b=%s/bench-echo-exec",
	     "--node-memory: 64 MB cannot hold one sandbox of a (128 MB)"},
	    {"--node-memory 256M --min-warm 2 a=%s/hello-exec b=%s/bench-echo-exec",
	     "--node-memory: 256 MB cannot hold --min-warm 2 of every function (512 MB)"},
	    {"--node-memory 16777216T a=%s/hello-exec", "--node-memory 16777216T"},
	};
	const char *b = examples_dir();
	char dir[] = "/tmp/slx-node-XXXXXX";

	cr_assert(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cmd_result c;
		char args[512];

		snprintf(args, sizeof(args), bad[i].args, b, b);
		cmd_run(&c, NULL, 30, "'%s' --root '%s/root' shim serve --listen unix:%s/s.sock %s",
			slxrun_bin(), dir, dir, args);
		cr_assert_neq(c.status, 0, "%s: accepted", args);
		cr_assert(strstr(c.err, bad[i].want), "%s: %s", args, c.err);
		cr_assert_eq(access(dir, F_OK), 0);
		cmd_result_free(&c);
		cmd_run(&c, NULL, 10,
			"find '%s' -mindepth 1 | grep -v '/root$' | grep -v '/root/shims$'", dir);
		cr_assert_str_eq(c.out, "", "%s left: %s", args, c.out);
		cmd_result_free(&c);
	}
	{
		struct cmd_result c;

		cmd_run(&c, NULL, 10, "rm -rf '%s'", dir);
		cmd_result_free(&c);
	}
}

/* Two names that share the 32 characters an id keeps: each function's
 * sandboxes keep their own ids, records and cgroups (found by an attacker's
 * read: they took each other's). */
Test(node_routing, long_names_sharing_a_prefix_keep_their_own_sandboxes)
{
	static struct http_reply r;
	static const char *const names[] = {"orders-service-production-handler-v1",
					    "orders-service-production-handler-v2"};
	char flags[512], last[512], id[2][96];
	const char *b = examples_dir();

	snprintf(flags, sizeof(flags), "'%s=%s/hello-exec'", names[0], b);
	snprintf(last, sizeof(last), "%s=%s/bench-echo-exec", names[1], b);
	shim_proc_start(&node_t_cur, last, flags);
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < 2; k++) {
			char path[160];
			const char *h;

			snprintf(path, sizeof(path), "/2015-03-31/functions/%s/invocations",
				 names[k]);
			cr_assert_eq(http_request(node_t_cur.sock, NULL, path, "{}", 2, &r),
				     CURLE_OK);
			cr_assert_eq(r.status, 200, "%s: %.*s", names[k], (int)r.len, r.body);
			h = strstr(r.headers, "X-Slxrun-Sandbox: ");
			cr_assert(h, "%s", r.headers);
			sscanf(h + strlen("X-Slxrun-Sandbox: "), "%95s", id[k]);
		}
	cr_assert_str_neq(id[0], id[1]);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_sandboxes{state=\"idle\"}"), 2);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_cold_starts_total"), 2,
		     "the second round ran warm in each function's own sandbox");
	cr_assert_eq(shim_proc_stop(&node_t_cur), 0);
	cr_assert(shim_proc_root_clean(&node_t_cur));
}

/* A node that cannot start (its function is served already) leaves the
 * running node's registry link alone (found by an attacker's read: it
 * removed it, and invoke then ran cold outside the node). */
Test(node_routing, a_node_that_fails_to_start_leaves_anothers_link)
{
	char flags[512], link[256], hello[256];
	const char *b = examples_dir();
	struct cmd_result c;
	struct stat st;

	snprintf(flags, sizeof(flags), "'a=%s/bench-echo-exec'", b);
	snprintf(hello, sizeof(hello), "b=%s/hello-exec", b);
	shim_proc_start(&node_t_cur, hello, flags);
	cmd_run(&c, NULL, 20, "find '%s/shims' -maxdepth 1 -type l", node_t_cur.root);
	cr_assert_eq(count_lines(c.out), 1, "one link: %s", c.out);
	snprintf(link, sizeof(link), "%.*s", (int)strcspn(c.out, "\n"), c.out);
	cmd_result_free(&c);
	cmd_run(&c, NULL, 20,
		"'%s' --root '%s' shim serve --listen unix:%s/other.sock 'c=%s/busybox' "
		"'b=%s/hello-exec'",
		slxrun_bin(), node_t_cur.root, node_t_cur.dir, b, b);
	cr_assert_neq(c.status, 0, "a second node served b: %s", c.out);
	cr_assert(strstr(c.err, "a shim already serves this bundle"), "%s", c.err);
	cmd_result_free(&c);
	cr_assert_eq(lstat(link, &st), 0, "%s: the running node's link was removed", link);
	cmd_run(&c, "{}", 30, "'%s' --root '%s' invoke '%s/hello-exec'", slxrun_bin(),
		node_t_cur.root, b);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cmd_result_free(&c);
	cr_assert_eq(shim_metric(&node_t_cur, "slxrun_function_invocations_total{function=\"b\","
					      "outcome=\"ok\"}"),
		     1, "invoke went through the node");
	cr_assert_eq(shim_proc_stop(&node_t_cur), 0);
	cr_assert(shim_proc_root_clean(&node_t_cur));
}
