/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_floor_limits.c -- in the pure cgroup v2 VM, the floor's limits on a
 * live `shim serve`: a floor sandbox's memory.max, memory.swap.max, pids.max
 * and cpu.weight are what the floor says (org.slxrun.function.memory, 128 MB
 * by default); a fork bomb in a function is held by pids.max while the shim
 * and another sandbox keep answering; a function allocating past its memory
 * size is answered as Runtime.OutOfMemory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

#define CG_SLX "/sys/fs/cgroup/slxrun"

static struct shim_proc fl_shim = SHIM_PROC_INIT;
static struct bundle fl_bundle;
static bool fl_have_bundle;

static void fl_fini(void)
{
	shim_proc_cleanup(&fl_shim);
	if (fl_have_bundle)
		bundle_remove(&fl_bundle);
	fl_have_bundle = false;
}

TestSuite(floor_limits, .fini = fl_fini, .timeout = 240);

/* A busybox exec function running `script` (the event on stdin), with the
 * memory annotation when memory_mb, under the floor: every sandbox gets its
 * own cgroup (no cgroupsPath). */
static const char *fl_function_linux(const char *script, unsigned memory_mb, unsigned timeout_s,
				     const char *extra_linux)
{
	char args[512], top[256], mem[64] = "";
	struct cmd_result r;

	if (memory_mb)
		snprintf(mem, sizeof(mem), ",\"org.slxrun.function.memory\":\"%u\"", memory_mb);
	snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
	snprintf(top, sizeof(top),
		 ",\"annotations\":{\"org.slxrun.function.mode\":\"exec\","
		 "\"org.slxrun.function.timeout\":\"%u\"%s}",
		 timeout_s, mem);
	bundle_make(&fl_bundle, args, NULL, top, extra_linux);
	bundle_own_rootfs(&fl_bundle);
	fl_have_bundle = true;
	cmd_run(&r, NULL, 10, "sed -i 's|\"cgroupsPath\":\"[^\"]*\",||' %s/config.json",
		fl_bundle.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	return fl_bundle.dir;
}

static const char *fl_function(const char *script, unsigned memory_mb, unsigned timeout_s)
{
	return fl_function_linux(script, memory_mb, timeout_s, NULL);
}

static double fl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first line of a sandbox's cgroup file, "" when it cannot be read. */
static void fl_cg_read(const char *id, const char *file, char *buf, size_t len)
{
	char path[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), CG_SLX "/%s/%s", id, file);
	if (!(f = fopen(path, "r")))
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The ids of the live sandboxes (directories under slxrun/ named for this
 * shim's pid), up to max. */
static size_t fl_sandboxes(const struct shim_proc *s, char ids[][128], size_t max)
{
	char infix[32];
	DIR *d = opendir(CG_SLX);
	struct dirent *e;
	size_t n = 0;

	snprintf(infix, sizeof(infix), "-%d-", (int)s->pid);
	while (d && (e = readdir(d)) && n < max)
		if (e->d_name[0] != '.' && strstr(e->d_name, infix))
			snprintf(ids[n++], 128, "%s", e->d_name);
	if (d)
		closedir(d);
	return n;
}

static void fl_wait_idle(const struct shim_proc *s, int n)
{
	for (int i = 0; i < 600 && shim_metric(s, "slxrun_sandboxes{state=\"idle\"}") +
					   shim_metric(s, "slxrun_sandboxes{state=\"frozen\"}") <
				       n;
	     i++)
		sleep_ms(50);
	cr_assert_geq(shim_metric(s, "slxrun_sandboxes{state=\"idle\"}") +
			  shim_metric(s, "slxrun_sandboxes{state=\"frozen\"}"),
		      n, "not %d sandboxes ready", n);
}

static void fl_expect_limits(unsigned memory_mb, const char *weight)
{
	char ids[4][128], v[64], want[32];

	shim_proc_start(&fl_shim, fl_function("cat", memory_mb, 8), "--min-warm 1 --max 1");
	fl_wait_idle(&fl_shim, 1);
	cr_assert_eq(fl_sandboxes(&fl_shim, ids, 4), 1);
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long)(memory_mb ? memory_mb : 128) << 20);
	fl_cg_read(ids[0], "memory.max", v, sizeof(v));
	cr_expect_str_eq(v, want, "memory.max");
	fl_cg_read(ids[0], "memory.swap.max", v, sizeof(v));
	cr_expect_str_eq(v, "0", "memory.swap.max");
	fl_cg_read(ids[0], "pids.max", v, sizeof(v));
	cr_expect_str_eq(v, "1024", "pids.max");
	fl_cg_read(ids[0], "cpu.weight", v, sizeof(v));
	cr_expect_str_eq(v, weight, "cpu.weight");
	cr_assert_eq(shim_proc_stop(&fl_shim), 0);
}

Test(floor_limits, a_sandbox_gets_the_default_128_mb_limits)
{
	fl_expect_limits(0, "100");
}

Test(floor_limits, a_sandbox_gets_the_limits_of_its_memory_annotation)
{
	fl_expect_limits(64, "50");
}

/* pids.events' "max" count summed over this shim's sandboxes, and the
 * largest pids.current among them into *peak. */
static long fl_pids_hits(const struct shim_proc *s, long *peak)
{
	char ids[4][128], v[64];
	size_t n = fl_sandboxes(s, ids, 4);
	long hits = 0;

	for (size_t i = 0; i < n; i++) {
		char path[512];
		long k = 0;
		FILE *f;

		fl_cg_read(ids[i], "pids.current", v, sizeof(v));
		*peak = atol(v) > *peak ? atol(v) : *peak;
		snprintf(path, sizeof(path), CG_SLX "/%s/pids.events", ids[i]);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "max %ld", &k) == 1)
				hits += k;
			fclose(f);
		}
	}
	return hits;
}

/* A fork bomb in one sandbox: pids.max holds it (its pids.events max
 * grows, pids.current never passes it), /status and another sandbox
 * answer meanwhile, and the bomb ends at the timeout (30 s: under tcg the
 * bomb takes seconds to reach the limit) with the sandbox gone.  The
 * bundle tightens pids.max to 512: at the floor's 1024, the function
 * user's 1024 processes (RLIMIT_NPROC, the floor's too) may hold it first. */
Test(floor_limits, fork_bomb_is_held_by_pids_max_while_others_answer)
{
	static struct http_reply br, r;
	CURLM *m = curl_multi_init();
	CURL *bomb;
	int running = 1;
	long peak = 0, hits = 0;
	double t0, t, worst = 0;

	shim_proc_start(
	    &fl_shim,
	    fl_function_linux("read -r x; if [ \\\"$x\\\" = bomb ]; then b() { b | b & }; "
			      "b; exec sleep 60; fi; echo ok:$x",
			      512, 30, ",\"resources\":{\"pids\":{\"limit\":512}}"),
	    "--min-warm 2 --max 2");
	fl_wait_idle(&fl_shim, 2);
	bomb = http_easy(fl_shim.sock, "http://localhost" SHIM_INVOKE_PATH, "bomb", 4, &br);
	curl_multi_add_handle(m, bomb);
	t0 = fl_now();
	while (fl_now() - t0 < 25 && !(hits = fl_pids_hits(&fl_shim, &peak))) {
		curl_multi_perform(m, &running);
		sleep_ms(200);
	}
	cr_log_info("fork bomb: pids.max hit after %.1f s", fl_now() - t0);
	/* The bomb runs against its limit: the other sandbox answers, and so
	 * does /status. */
	t = fl_now();
	shim_invoke(&fl_shim, "fine", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "ok:fine\n");
	worst = fl_now() - t;
	t = fl_now();
	cr_assert_eq(http_request(fl_shim.sock, NULL, "/status", NULL, 0, &r), CURLE_OK);
	worst = fl_now() - t > worst ? fl_now() - t : worst;
	hits = fl_pids_hits(&fl_shim, &peak);
	curl_multi_perform(m, &running);
	cr_expect(running, "the bomb's request ended before the timeout");
	while (running) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	curl_easy_getinfo(bomb, CURLINFO_RESPONSE_CODE, &br.status);
	cr_log_info("fork bomb: peak pids.current %ld, pids.events max %ld, a request and /status "
		    "took at worst %.2f s meanwhile",
		    peak, hits, worst);
	cr_expect_gt(hits, 0, "pids.max was never hit");
	cr_expect_leq(peak, 512);
	cr_expect_lt(worst, 10.0, "the shim or the other sandbox stalled %.1f s", worst);
	cr_expect_eq(br.status, 200);
	cr_expect(strstr(br.body, "Task timed out after 30.00 seconds"), "%s", br.body);
	cr_expect_eq(shim_metric(&fl_shim, "slxrun_invocations_total{outcome=\"ok\"}"), 1);
	curl_multi_remove_handle(m, bomb);
	curl_easy_cleanup(bomb);
	curl_multi_cleanup(m);
	cr_assert_eq(shim_proc_stop(&fl_shim), 0);
}

/* Past org.slxrun.function.memory (32 MB): Runtime.OutOfMemory, and the
 * shim serves the next request. */
Test(floor_limits, allocating_past_the_memory_size_is_out_of_memory)
{
	struct http_reply r;

	shim_proc_start(
	    &fl_shim,
	    fl_function("read -r x; [ \\\"$x\\\" = eat ] && exec tail /dev/zero; echo ok:$x", 32,
			8),
	    "--max 1");
	shim_invoke(&fl_shim, "eat", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.headers, "X-Amz-Function-Error: Unhandled"), "%s", r.headers);
	cr_expect(strstr(r.body, "Runtime.OutOfMemory"), "%s", r.body);
	cr_expect_eq(shim_metric(&fl_shim, "slxrun_invocations_total{outcome=\"oom\"}"), 1);
	shim_invoke(&fl_shim, "after", &r);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, "ok:after\n");
	cr_assert_eq(shim_proc_stop(&fl_shim), 0);
}
