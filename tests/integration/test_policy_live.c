/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_policy_live.c -- the live shim and the trace replay run the same
 * policy: a short Azure-format trace (tests/traces/live/) is played against
 * `shim serve --policy P --time-scale 60` (one trace minute a real second,
 * requests sent at their compressed arrival times, the replay's even spacing
 * within a minute), and its slxrun_cold_starts_total is compared with
 * `shim replay --policy P --time-scale 60` on the same trace.
 *
 * Tolerance: |live - replay| <= max(2, 20% of replay).  The replay is exact
 * arithmetic; live, requests land a few ms late, creation takes real time
 * and the tick samples on its own clock, so an idle time at a window's edge
 * can fall either side of it. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define LIVE_SCALE	  60
#define LIVE_TRACE_DIR	  "tests/traces/live"
#define LIVE_INVOCATIONS  LIVE_TRACE_DIR "/invocations_per_function_md.anon.d01.csv"
#define LIVE_DURATIONS	  LIVE_TRACE_DIR "/function_durations_percentiles.anon.d01.csv"
#define LIVE_MEMORY	  LIVE_TRACE_DIR "/app_memory_percentiles.anon.d01.csv"
#define LIVE_MAX_ARRIVALS 256

struct live_shim {
	pid_t pid;
	char dir[64]; /* holds the --root, the socket and the log */
	char sock[96];
};

/* The running shim, so .fini stops it (SIGTERM) after a failure. */
static struct live_shim live_t_cur = {.pid = -1};

static uint64_t live_t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void live_t_sleep_until(uint64_t t_ns)
{
	uint64_t now = live_t_now_ns();
	struct timespec ts;

	if (now >= t_ns)
		return;
	ts.tv_sec = (time_t)((t_ns - now) / 1000000000ull);
	ts.tv_nsec = (long)((t_ns - now) % 1000000000ull);
	nanosleep(&ts, NULL);
}

/* ---- the trace -------------------------------------------------------------- */

/* Arrival offsets (ns, compressed) of the trace's one function, as the
 * replay places them: minute m's c invocations at m*60 + (2k+1)*30/c s. */
static size_t live_t_arrivals(uint64_t *out, size_t max)
{
	FILE *f = fopen(LIVE_INVOCATIONS, "r");
	char *line = NULL, *save = NULL;
	size_t cap = 0, n = 0;
	int col = 0;

	cr_assert(f, "%s: run the suite from the repository root", LIVE_INVOCATIONS);
	cr_assert_gt(getline(&line, &cap, f), 0); /* the header */
	cr_assert_gt(getline(&line, &cap, f), 0);
	fclose(f);
	for (char *tok = strtok_r(line, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		uint64_t minute = (uint64_t)(col++ - 4), c;

		if (col <= 4) /* owner, app, function, trigger */
			continue;
		c = strtoull(tok, NULL, 10);
		for (uint64_t k = 0; k < c; k++) {
			cr_assert_lt(n, max);
			out[n++] =
			    (minute * 60 * 1000000000ull + (2 * k + 1) * 30 * 1000000000ull / c) /
			    LIVE_SCALE;
		}
	}
	free(line);
	cr_assert_eq(col, 4 + 1440, "%s: expected 1444 columns", LIVE_INVOCATIONS);
	return n;
}

/* The replay's cold starts for policy (its CSV's third column). */
static long live_t_replay_colds(const char *policy, long *invocations)
{
	struct cmd_result r;
	long colds = -1;
	char name[64];

	cmd_run(&r, NULL, 60,
		"'%s' shim replay %s --durations %s --memory %s --time-scale %d "
		"--policy '%s' --format csv",
		slxrun_bin(), LIVE_INVOCATIONS, LIVE_DURATIONS, LIVE_MEMORY, LIVE_SCALE, policy);
	cr_assert_eq(r.status, 0, "replay: %s", r.err);
	cr_assert_eq(sscanf(strchr(r.out, '\n') + 1, "%63[^,],%ld,%ld", name, invocations, &colds),
		     3, "replay output: %s", r.out);
	cmd_result_free(&r);
	return colds;
}

/* ---- the shim over HTTP -------------------------------------------------- */

static size_t live_t_on_body(char *p, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), k = size * n, room = 65535 - have;

	memcpy(buf + have, p, k < room ? k : room);
	buf[have + (k < room ? k : room)] = '\0';
	return k;
}

/* One request; body NULL is a GET.  The HTTP status, or -1. */
static long live_t_http(const struct live_shim *s, const char *path, const char *body, char *reply)
{
	CURL *c = curl_easy_init();
	char url[256];
	long status = -1;

	cr_assert(c);
	reply[0] = '\0';
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, s->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, live_t_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static double live_t_metric(const struct live_shim *s, const char *sample)
{
	static char body[65536];
	size_t n = strlen(sample);

	cr_assert_eq(live_t_http(s, "/metrics", NULL, body), 200);
	for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, sample, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	cr_assert_fail("no sample %s in /metrics:\n%s", sample, body);
	return -1;
}

static void live_t_start(struct live_shim *s, const char *policy)
{
	static char reply[65536];
	char cmd[1024];

	snprintf(s->dir, sizeof(s->dir), "/tmp/slxtest-live-XXXXXX");
	cr_assert(mkdtemp(s->dir));
	snprintf(s->sock, sizeof(s->sock), "%s/s.sock", s->dir);
	snprintf(cmd, sizeof(cmd),
		 "exec '%s' --root '%s/root' shim serve --listen unix:%s --policy '%s' "
		 "--time-scale %d --tick-ms 20 '%s/bench-echo-exec' >'%s/log' 2>&1",
		 slxrun_bin(), s->dir, s->sock, policy, LIVE_SCALE, examples_dir(), s->dir);
	s->pid = fork();
	cr_assert(s->pid >= 0);
	if (s->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (access(s->sock, F_OK) == 0 && live_t_http(s, "/status", NULL, reply) == 200)
			return;
		cr_assert_eq(waitpid(s->pid, NULL, WNOHANG), 0, "the shim exited (log %s/log)",
			     s->dir);
		usleep(10000);
	}
	cr_assert_fail("the shim did not answer on %s within 5 s", s->sock);
}

/* SIGTERM, then SIGKILL if it hangs; the exit status or -1. */
static int live_t_stop(struct live_shim *s)
{
	int status = -1;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 2000; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
	return -1;
}

static void live_t_fini(void)
{
	struct cmd_result r;

	(void)live_t_stop(&live_t_cur);
	if (live_t_cur.dir[0]) {
		cmd_run(&r, NULL, 10, "rm -rf '%s'", live_t_cur.dir);
		cmd_result_free(&r);
		live_t_cur.dir[0] = '\0';
	}
}

/* ---- the comparison ------------------------------------------------------- */

static void live_t_compare(const char *policy)
{
	static uint64_t at[LIVE_MAX_ARRIVALS];
	static char reply[65536];
	size_t n = live_t_arrivals(at, LIVE_MAX_ARRIVALS);
	long sim_inv = 0, sim = live_t_replay_colds(policy, &sim_inv), live, tol;
	uint64_t t0;

	cr_assert_eq(sim_inv, (long)n, "the replay and this test read the trace alike");
	cr_assert_gt(sim, 0);
	live_t_start(&live_t_cur, policy);
	t0 = live_t_now_ns();
	for (size_t i = 0; i < n; i++) {
		live_t_sleep_until(t0 + at[i]);
		cr_assert_eq(live_t_http(&live_t_cur, "/2015-03-31/functions/function/invocations",
					 "live", reply),
			     200, "request %zu: %s", i, reply);
	}
	cr_assert_eq(live_t_metric(&live_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"),
		     (double)n);
	live = (long)live_t_metric(&live_t_cur, "slxrun_cold_starts_total");
	cr_assert_eq(live_t_stop(&live_t_cur), 0);
	tol = sim / 5 > 2 ? sim / 5 : 2;
	cr_log_info("policy %s: live %ld cold starts, replay %ld (tolerance %ld)", policy, live,
		    sim, tol);
	cr_assert(labs(live - sim) <= tol,
		  "policy %s: live %ld cold starts, replay %ld, beyond ±%ld", policy, live, sim,
		  tol);
}

TestSuite(policy_live, .fini = live_t_fini, .timeout = 60);

/* fixed:120: two trace minutes of keep-alive, two real seconds compressed. */
Test(policy_live, fixed_keep_alive_cold_starts_match_the_replay)
{
	live_t_compare("fixed:120");
}

/* delta with a low cold cost (6 GB*s): its windows release between the
 * trace's bursts, so the count depends on the idle times it learns live. */
Test(policy_live, delta_cold_starts_match_the_replay)
{
	live_t_compare("delta:6");
}
