/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_shim.c -- `slxrun shim serve` end to end: the Lambda RIE invocation
 * path over a unix socket and tcp, warm reuse, crash and timeout recovery,
 * 200 concurrent requests against a pool of 4, metrics and status, the
 * policy's releases, clean SIGTERM, orphans of a kill -9'd shim, and bad
 * requests and flags. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

/* The one shim of the running test, so .fini can stop it after a failure. */
static struct shim_proc shim_t_cur = SHIM_PROC_INIT;
static struct bundle shim_t_bundle;
static bool shim_t_have_bundle;

static void shim_t_fini(void)
{
	shim_proc_cleanup(&shim_t_cur);
	if (shim_t_have_bundle)
		bundle_remove(&shim_t_bundle);
	shim_t_have_bundle = false;
}

static const char *shim_t_example(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", examples_dir(), name);
	return path;
}

/* A busybox exec function: `script` gets the event on stdin. */
static const char *shim_t_script_bundle(const char *script, int timeout_s)
{
	char args[512], top[256];

	snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
	snprintf(top, sizeof(top),
		 ",\"annotations\":{\"org.slxrun.function.mode\":\"exec\","
		 "\"org.slxrun.function.timeout\":\"%d\"}",
		 timeout_s);
	bundle_make(&shim_t_bundle, args, NULL, top, NULL);
	bundle_own_rootfs(&shim_t_bundle);
	shim_t_have_bundle = true;
	return shim_t_bundle.dir;
}

static bool shim_t_cgroup_exists(const char *id)
{
	char a[512], b[512];

	snprintf(a, sizeof(a), "/sys/fs/cgroup/unified/slxrun/%s", id);
	snprintf(b, sizeof(b), "/sys/fs/cgroup/slxrun/%s", id);
	return access(a, F_OK) == 0 || access(b, F_OK) == 0;
}

/* Sandbox ids listed by /status, space separated. */
static void shim_t_sandbox_ids(const struct shim_proc *s, char *out, size_t len)
{
	struct http_reply r;
	const char *p;
	size_t n = 0;

	cr_assert_eq(http_request(s->sock, NULL, "/status", NULL, 0, &r), CURLE_OK);
	out[0] = '\0';
	for (p = strstr(r.body, "\"id\":\""); p; p = strstr(p, "\"id\":\"")) {
		const char *q = strchr(p + 6, '"');

		cr_assert(q && n + (size_t)(q - p) + 1 < len);
		n += (size_t)snprintf(out + n, len - n, "%.*s ", (int)(q - p - 6), p + 6);
		p = q;
	}
}

TestSuite(shim, .init = NULL, .fini = shim_t_fini);

Test(shim, second_invocation_reuses_the_warm_sandbox)
{
	struct http_reply r;

	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), NULL);
	shim_invoke(&shim_t_cur, "{\"a\":1}", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "hello from slxrun: {\"a\":1}\n");
	cr_assert(strstr(r.headers, "X-Slxrun-Start: cold"), "%s", r.headers);
	shim_invoke(&shim_t_cur, "two", &r);
	cr_assert_str_eq(r.body, "hello from slxrun: two\n");
	cr_assert(strstr(r.headers, "X-Slxrun-Start: warm"), "%s", r.headers);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_cold_starts_total"), 1);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_warm_starts_total"), 1);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 2);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"idle\"}"), 1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, runtime_api_bootstrap_is_reused_warm)
{
	struct http_reply r;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), NULL);
	shim_invoke(&shim_t_cur, "{\"k\":\"v\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"k\":\"v\""), "%s", r.body);
	shim_invoke(&shim_t_cur, "{\"k\":\"w\"}", &r);
	cr_assert(strstr(r.body, "\"k\":\"w\""), "%s", r.body);
	cr_assert(strstr(r.headers, "X-Slxrun-Start: warm"), "%s", r.headers);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_cold_starts_total"), 1);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_warm_starts_total"), 1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* A runtime whose /next long poll is dropped (its HTTP client's timeout,
 * a recycled connection) asks again: the agent refused the new one (400
 * "another /next is already waiting") and handed the next event to the
 * dead one, where it was lost (the caller timed out, the sandbox was
 * killed; an attacker's review).  The latest /next now takes the place of
 * the one before, and an event whose sending failed waits for the next. */
Test(shim, a_dropped_next_long_poll_loses_no_event)
{
	struct http_reply r;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), "--max 1");
	shim_invoke(&shim_t_cur, "\"next-dropped\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	usleep(300000);
	shim_invoke(&shim_t_cur, "{\"k\":\"after\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"k\":\"after\""), "%s", r.body);
	cr_expect(strstr(r.headers, "X-Slxrun-Start: warm"), "the same sandbox: %s", r.headers);
	/* A runtime that asks again only a second later: the event came while
	 * only the dead /next was parked, and its send "completed" into the
	 * dead connection (the review); it now waits for the new /next. */
	shim_invoke(&shim_t_cur, "\"next-dropped-wait\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	usleep(300000);
	shim_invoke(&shim_t_cur, "{\"k\":\"later\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"k\":\"later\""), "%s", r.body);
	cr_expect(strstr(r.headers, "X-Slxrun-Start: warm"), "the same sandbox: %s", r.headers);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* A runtime that dies between its /next and its event: the call goes
 * back to the queue for another sandbox, three times, then is answered.
 * The third time the model's queue was decremented twice (once when the
 * call started, once more when it was given up), the last of four calls
 * at once was never given a sandbox, and it waited for ever (an
 * attacker's review).  All four are answered now. */
Test(shim, calls_whose_sandboxes_all_end_before_their_event_are_all_answered)
{
	char dir[] = "/tmp/slxtest-gone-XXXXXX", fn[600];
	struct cmd_result r;

	cr_assert(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	cmd_run(&r, NULL, 30,
		"cp -a %1$s %2$s/gone && sed -i 's|\"LAMBDA_TASK_ROOT=/var/task\"|"
		"\"LAMBDA_TASK_ROOT=/var/task\", \"BOOTSTRAP_GONE_BEFORE_EVENT=1\"|' "
		"%2$s/gone/config.json && grep -q GONE_BEFORE %2$s/gone/config.json",
		shim_t_example("lambda-bootstrap"), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(fn, sizeof(fn), "%s/gone", dir);
	shim_proc_start(&shim_t_cur, fn, "--max 1");
	cmd_run(&r, NULL, 90,
		"for i in 1 2 3 4; do curl -s -o /dev/null -w '%%{http_code}\\n' --max-time 40 "
		"--unix-socket %s http://x/2015-03-31/functions/gone/invocations -d '{}' & done; "
		"wait",
		shim_t_cur.sock);
	cr_expect_eq(r.status, 0);
	cr_expect(!strstr(r.out, "000"), "every call answered (000: none within 40 s): %s", r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cmd_run(&r, NULL, 10, "rm -rf %s", dir);
	cmd_result_free(&r);
}

/* A bundle that names a cgroupsPath still gets a cgroup per sandbox: two
 * warm sandboxes of it (and a sandbox and the one it replaces) never share
 * one, which the runtime refuses as "already holds processes". */
/* The shim's log as a file's size and text (at most 64 KiB of its start). */
static long shim_t_log(const struct shim_proc *s, char *text, size_t cap)
{
	struct stat st;
	FILE *f = fopen(s->log, "r");
	size_t n;

	cr_assert(f, "%s", s->log);
	n = fread(text, 1, cap - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_assert_eq(stat(s->log, &st), 0);
	return (long)st.st_size;
}

/* A bootstrap's stderr was the shim's own: it could truncate the shim's
 * log, read what other functions logged there, write lines passing for
 * the shim's, and fill the disk at the speed of write(2).  Now it is a
 * pipe the agent copies from, each line after the function's name, with
 * control characters escaped and a rate past which it drops. */
Test(shim, a_bootstraps_log_is_its_own_pipe_named_escaped_and_rate_limited)
{
	static char text[65536];
	struct http_reply r;
	struct cmd_result c;
	long before, after;
	uint64_t t0;
	double secs;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), NULL);
	shim_invoke(&shim_t_cur, "\"first\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	before = shim_t_log(&shim_t_cur, text, sizeof(text));
	cr_assert_gt(before, 0, "the shim logged nothing to start with");
	shim_invoke(&shim_t_cur, "\"log-attack\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"fd2\":\"pipe\""), "stderr is not a pipe: %s", r.body);
	cr_expect(strstr(r.body, "\"truncate\":\"refused\""), "%s", r.body);
	shim_invoke(&shim_t_cur, "\"log-flood\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	sleep_ms(300);
	after = shim_t_log(&shim_t_cur, text, sizeof(text));
	cr_expect_geq(after, before, "the log was truncated: %ld bytes, %ld before", after, before);
	cr_expect(!strstr(text, "\nslxrun shim: FORGED") && !strstr(text, "\033"),
		  "a line passing for the shim's, or a raw escape: %.300s", text);
	cr_expect(strstr(text, "[lambda-bootstrap] \\x1b[2J\\x0dslxrun shim: FORGED LINE"),
		  "the function's line, named and escaped, is missing: %.300s", text);
	cr_expect_lt(after, 4L << 20, "64 MiB of log reached %ld bytes", after);
	/* the bucket pays for what is written: one-byte lines come out named
	 * (~88 MiB unlimited); what may pass is the bucket (1 MiB) and 1 MiB
	 * a second for as long as the flood took, however long that was */
	t0 = shim_clock_ns();
	shim_invoke(&shim_t_cur, "\"log-flood-short\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	sleep_ms(300);
	secs = (double)(shim_clock_ns() - t0) / 1e9;
	before = after;
	after = shim_t_log(&shim_t_cur, text, sizeof(text));
	cr_expect_lt(after - before, (long)((1 + secs) * (1 << 20)) + 65536,
		     "4 Mi one-byte lines added %ld bytes in %.1f s", after - before, secs);
	cmd_run(&c, NULL, 10,
		"grep -c 'function lambda-bootstrap: [0-9]* bytes of its log dropped' %s",
		shim_t_cur.log);
	cr_expect_eq(c.status, 0, "no word of the dropped log: %s", c.out);
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* Each sandbox had a log bucket of its own: N warm sandboxes of one function
 * logged N times the rate, and one recreated after its bootstrap exited
 * started with a full burst again.  The bucket is the function's, shared by
 * all its sandboxes: 6 floods at once add a burst and the rate, not six. */
Test(shim, a_functions_log_rate_is_shared_by_its_sandboxes)
{
	enum { N = 6 };
	static struct http_reply replies[N];
	static char text[65536];
	CURL *easy[N];
	CURLM *m = curl_multi_init();
	long before, after;
	double t0, secs, allowed;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), "--max 6 --min-warm 6");
	cr_assert_eq(shim_wait_warm(&shim_t_cur, N), N);
	before = shim_t_log(&shim_t_cur, text, sizeof(text));
	t0 = shim_clock_ns() / 1e9;
	for (int i = 0; i < N; i++) {
		easy[i] = http_easy(shim_t_cur.sock, "http://localhost" SHIM_INVOKE_PATH,
				    "\"log-flood\"", 11, &replies[i]);
		curl_multi_add_handle(m, easy[i]);
	}
	http_multi_finish(m);
	secs = shim_clock_ns() / 1e9 - t0;
	for (int i = 0; i < N; i++) {
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &replies[i].status);
		cr_expect_eq(replies[i].status, 200, "%s", replies[i].body);
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(m);
	sleep_ms(300);
	after = shim_t_log(&shim_t_cur, text, sizeof(text));
	/* one burst, the rate for as long as the floods took, the drop notices */
	allowed = (1.0 + secs + 0.3) * (1 << 20) + 64 * 1024;
	cr_log_info("%d floods in %.2f s logged %ld bytes (allowed %.0f)", N, secs, after - before,
		    allowed);
	cr_expect_lt((double)(after - before), allowed, "%d floods in %.2f s logged %ld bytes", N,
		     secs, after - before);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, sandboxes_of_a_bundle_with_a_cgroups_path_each_get_their_own)
{
	const char *b = shim_t_script_bundle("read -r x; echo ok:$x", 10);
	struct http_reply r;
	char ids[512];

	shim_proc_start(&shim_t_cur, b, "--min-warm 2 --max 2");
	cr_assert_eq(shim_wait_warm(&shim_t_cur, 2), 2, "not two warm sandboxes of one bundle");
	shim_t_sandbox_ids(&shim_t_cur, ids, sizeof(ids));
	for (char *save = NULL, *id = strtok_r(ids, " ", &save); id;
	     id = strtok_r(NULL, " ", &save)) {
		char dir[512];

		snprintf(dir, sizeof(dir), "%s/slxrun/%s/cgroup.procs", cgroup2_root(), id);
		cr_assert_eq(access(dir, F_OK), 0, "sandbox %s has no cgroup of its own", id);
	}
	shim_invoke(&shim_t_cur, "x", &r);
	cr_assert_str_eq(r.body, "ok:x\n");
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, crash_is_an_unhandled_error_and_the_next_request_succeeds)
{
	const char *b = shim_t_script_bundle(
	    "read -r x; [ \\\"$x\\\" = crash ] && kill -SEGV $$; echo ok:$x", 10);
	struct http_reply r;

	shim_proc_start(&shim_t_cur, b, NULL);
	shim_invoke(&shim_t_cur, "crash", &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.headers, "X-Amz-Function-Error: Unhandled"), "%s", r.headers);
	cr_assert(strstr(r.body, "\"errorType\":"), "%s", r.body);
	cr_assert(strstr(r.body, "\"errorMessage\":"), "%s", r.body);
	shim_invoke(&shim_t_cur, "fine", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "ok:fine\n");
	cr_assert_null(strstr(r.headers, "X-Amz-Function-Error"), "%s", r.headers);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"crash\"}"), 1);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, timeout_answers_lambdas_message_and_the_pool_recovers)
{
	const char *b =
	    shim_t_script_bundle("read -r x; [ \\\"$x\\\" = sleep ] && sleep 30; echo ok:$x", 1);
	struct http_reply r;

	shim_proc_start(&shim_t_cur, b, NULL);
	shim_invoke(&shim_t_cur, "sleep", &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.headers, "X-Amz-Function-Error: Unhandled"), "%s", r.headers);
	cr_assert(strstr(r.body, "Task timed out after 1.00 seconds"), "%s", r.body);
	shim_invoke(&shim_t_cur, "quick", &r);
	cr_assert_str_eq(r.body, "ok:quick\n");
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"timeout\"}"), 1);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"busy\"}"), 0);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, two_hundred_concurrent_requests_on_four_sandboxes_are_each_answered_once)
{
	enum { N = 200 };
	static struct http_reply replies[N];
	static char events[N][16];
	CURL *easy[N];
	CURLM *m = curl_multi_init();
	int ok = 0;
	CURLMsg *msg;
	int left;

	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), "--max 4");
	cr_assert(m);
	for (int i = 0; i < N; i++) {
		snprintf(events[i], sizeof(events[i]), "n%d", i);
		easy[i] = http_easy(shim_t_cur.sock, "http://localhost" SHIM_INVOKE_PATH, events[i],
				    strlen(events[i]), &replies[i]);
		curl_multi_add_handle(m, easy[i]);
	}
	http_multi_finish(m);
	while ((msg = curl_multi_info_read(m, &left)))
		cr_assert_eq(msg->data.result, CURLE_OK, "%s",
			     curl_easy_strerror(msg->data.result));
	for (int i = 0; i < N; i++) {
		char want[96];

		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &replies[i].status);
		snprintf(want, sizeof(want), "hello from slxrun: %.15s\n", events[i]);
		ok += replies[i].status == 200 && !strcmp(replies[i].body, want);
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(m);
	cr_assert_eq(ok, N);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), N);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_cold_starts_total") +
			 shim_metric(&shim_t_cur, "slxrun_warm_starts_total"),
		     N);
	cr_assert_leq(shim_metric(&shim_t_cur, "slxrun_cold_starts_total"), 4);
	cr_assert_leq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"idle\"}"), 4);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invoke_duration_seconds_count"), N);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_queue_length"), 0);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, status_lists_each_sandbox_with_its_counters_and_the_sums)
{
	struct http_reply r;
	char ids[512];

	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), "--min-warm 2 --tick-ms 20");
	shim_invoke(&shim_t_cur, "x", &r);
	sleep_ms(200); /* a few ticks of the feed */
	shim_t_sandbox_ids(&shim_t_cur, ids, sizeof(ids));
	cr_assert(strchr(ids, ' ') && strchr(ids, ' ') != strrchr(ids, ' '), "ids: %s", ids);
	cr_assert_eq(http_request(shim_t_cur.sock, NULL, "/status", NULL, 0, &r), CURLE_OK);
	cr_assert(strstr(r.body, "\"invocations\":1"), "%s", r.body);
	cr_assert(strstr(r.body, "\"state\":\"idle\""), "%s", r.body);
	/* cpu.stat is a core file of cgroup v2: there on every host */
	cr_assert(strstr(r.body, "\"R\":{\"cpu_usage_usec\":") &&
		      !strstr(r.body, "\"R\":{\"cpu_usage_usec\":null"),
		  "%s", r.body);
	cr_assert(strstr(r.body, "\"dR\":{\"cpu_usage_usec\":"), "%s", r.body);
	cr_assert(strstr(r.body, "\"dA\":0,\"C\":1,\"dC\":0,\"ticks\":"), "%s", r.body);
	cr_assert(strstr(r.body, "\"totals\":{\"R\":"), "%s", r.body);
	cr_assert(strstr(r.body, "\"A\":0,\"dA\":0,\"C\":2,\"dC\":0},\"cold_starts\":"), "%s",
		  r.body);
	cr_assert(strstr(r.body, "\"node\":{\"budget\":0,"), "%s", r.body);
	cr_assert(strstr(r.body, "\"policy\":\"delta\""), "%s", r.body);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* The policy decides live: fixed:0 releases a sandbox as soon as it idles,
 * so every request is a cold start; --keep-alive S is the same policy. */
Test(shim, keep_alive_zero_releases_each_sandbox_after_its_request)
{
	static const char *const flags[] = {"--policy fixed:0", "--keep-alive 0"};
	struct http_reply r;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), flags[i]);
		for (int k = 0; k < 3; k++) {
			shim_invoke(&shim_t_cur, "again", &r);
			cr_assert(strstr(r.headers, "X-Slxrun-Start: cold"), "%s: %s", flags[i],
				  r.headers);
		}
		cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_cold_starts_total"), 3);
		cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"idle\"}"), 0);
		cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
		shim_proc_cleanup(&shim_t_cur);
	}
}

Test(shim, sigterm_finishes_in_flight_work_and_leaves_nothing)
{
	const char *b = shim_t_script_bundle("read -r x; sleep 1; echo done:$x", 10);
	char ids[512], *save = NULL;
	struct http_reply r;
	int status;
	pid_t client;

	shim_proc_start(&shim_t_cur, b, "--min-warm 2");
	shim_invoke(&shim_t_cur, "warmup", &r);
	shim_t_sandbox_ids(&shim_t_cur, ids, sizeof(ids));
	client = fork();
	cr_assert(client >= 0);
	if (client == 0) { /* in flight when the signal comes */
		shim_invoke(&shim_t_cur, "late", &r);
		_exit(r.status == 200 && !strcmp(r.body, "done:late\n") ? 0 : 1);
	}
	sleep_ms(300);
	status = shim_proc_stop(&shim_t_cur);
	cr_assert_eq(status, 0);
	cr_assert_eq(wait_exit(client, 20000), 0, "the in-flight request was not answered");
	cr_assert_neq(access(shim_t_cur.sock, F_OK), 0, "listen socket left");
	cr_assert(shim_proc_root_clean(&shim_t_cur), "records or registry socket left");
	for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save))
		cr_assert(!shim_t_cgroup_exists(id), "cgroup of %s left", id);
}

Test(shim, a_new_shim_removes_what_a_killed_one_left)
{
	char ids[512], *save = NULL;
	struct shim_proc second = SHIM_PROC_INIT;
	struct http_reply r;
	pid_t first;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), "--min-warm 2");
	shim_invoke(&shim_t_cur, "{}", &r);
	sleep_ms(1500); /* idle past the freeze grace: frozen sandboxes */
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"frozen\"}"), 2);
	shim_t_sandbox_ids(&shim_t_cur, ids, sizeof(ids));
	first = shim_t_cur.pid;
	kill(first, SIGKILL);
	shim_t_cur.pid = -1;
	/* not reaped yet: a zombie shim must count as dead */
	sleep_ms(100);
	cr_assert(!shim_proc_root_clean(&shim_t_cur), "a killed shim leaves its records");
	/* another bundle, the same --root: any new shim sweeps what the dead left */
	snprintf(second.dir, sizeof(second.dir), "%s", shim_t_cur.dir);
	snprintf(second.root, sizeof(second.root), "%s", shim_t_cur.root);
	snprintf(second.sock, sizeof(second.sock), "%s/s2.sock", shim_t_cur.dir);
	snprintf(second.log, sizeof(second.log), "%s/log2", shim_t_cur.dir);
	shim_proc_spawn(&second, shim_t_example("hello-exec"), NULL);
	shim_t_cur.pid = second.pid; /* .fini stops it on failure */
	shim_proc_ready(&second);
	for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save))
		cr_assert(!shim_t_cgroup_exists(id), "orphan cgroup %s left", id);
	cr_assert_neq(access(shim_t_cur.sock, F_OK), 0, "the dead shim's socket is left");
	waitpid(first, NULL, 0);
	shim_invoke(&second, "again", &r);
	cr_assert_str_eq(r.body, "hello from slxrun: again\n");
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cr_assert(shim_proc_root_clean(&second));
}

/* A one-shot `invoke` killed with SIGKILL (nothing it can catch) leaves its
 * sandbox's cgroup, invoke-<pid>, which it records nowhere: a shim that
 * starts removes it, and never one of a live invoke (a second one-shot,
 * running through the shim's start). */
Test(shim, a_new_shim_removes_the_cgroup_a_killed_one_shot_left)
{
	struct cmd_result c;
	struct bundle b;
	char dead[32], live[32];

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 20\"]", NULL, ",\"annotations\":{}", NULL);
	bundle_own_rootfs(&b);
	cmd_run(&c, NULL, 30,
		"'%1$s' --root '%2$s' invoke --data x '%3$s' >/dev/null 2>&1 & p=$!; sleep 1; "
		"kill -9 $p; wait $p; "
		"'%1$s' --root '%2$s' invoke --data x '%3$s' >/dev/null 2>&1 & sleep 1; echo $p $!",
		slxrun_bin(), b.root, b.dir);
	snprintf(dead, sizeof(dead), "invoke-%d", atoi(c.out));
	snprintf(live, sizeof(live), "invoke-%d", atoi(strchr(c.out, ' ') + 1));
	cmd_result_free(&c);
	cr_assert(shim_t_cgroup_exists(dead), "a killed one-shot left no %s", dead);
	cr_assert(shim_t_cgroup_exists(live), "the live one-shot has no %s", live);
	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), NULL);
	cr_expect(!shim_t_cgroup_exists(dead), "%s left", dead);
	cr_expect(shim_t_cgroup_exists(live), "a live one-shot's %s was removed", live);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cmd_run(&c, NULL, 30, "kill -TERM %s; while kill -0 %s 2>/dev/null; do sleep 0.1; done",
		live + 7, live + 7);
	cmd_result_free(&c);
	cr_expect(!shim_t_cgroup_exists(live), "%s left after its SIGTERM", live);
	bundle_remove(&b);
}

Test(shim, invoke_verb_goes_through_the_serving_shim)
{
	struct cmd_result c;

	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), NULL);
	cmd_run(&c, NULL, 30, "'%s' --root '%s' invoke --data via-invoke '%s'", slxrun_bin(),
		shim_t_cur.root, shim_t_example("hello-exec"));
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_str_eq(c.out, "hello from slxrun: via-invoke\n");
	cmd_result_free(&c);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, bad_requests_get_4xx_and_the_shim_keeps_serving)
{
	static char big[7 * 1024 * 1024];
	struct http_reply r;

	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), NULL);
	cr_assert_eq(http_request(shim_t_cur.sock, NULL, "/nope", NULL, 0, &r), CURLE_OK);
	cr_assert_eq(r.status, 404);
	cr_assert_eq(http_request(shim_t_cur.sock, NULL,
				  "/2015-03-31/functions/function/invocations", NULL, 0, &r),
		     CURLE_OK);
	cr_assert_eq(r.status, 405);
	cr_assert_eq(http_request(shim_t_cur.sock, "DELETE", "/metrics", NULL, 0, &r), CURLE_OK);
	cr_assert_eq(r.status, 405);
	memset(big, 'a', sizeof(big));
	cr_assert_eq(http_request(shim_t_cur.sock, NULL,
				  "/2015-03-31/functions/function/invocations", big, sizeof(big),
				  &r),
		     CURLE_OK);
	cr_assert_eq(r.status, 413);
	cr_assert(strstr(r.body, "RequestEntityTooLarge"), "%s", r.body);
	shim_invoke(&shim_t_cur, "still", &r);
	cr_assert_str_eq(r.body, "hello from slxrun: still\n");
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

Test(shim, tcp_listener_serves_the_same_api)
{
	struct cmd_result c;
	char flags[64];
	int port = 20000 + getpid() % 20000;

	snprintf(flags, sizeof(flags), "--no-auth --listen tcp:127.0.0.1:%d", port);
	shim_proc_start(&shim_t_cur, shim_t_example("hello-exec"), flags);
	cmd_run(&c, NULL, 30,
		"curl -s -d tcp http://127.0.0.1:%d/2015-03-31/functions/function/invocations",
		port);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert_str_eq(c.out, "hello from slxrun: tcp\n");
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* Each bad flag: one line naming it, non-zero exit, no --root made. */
Test(shim, bad_flags_are_one_line_errors_that_leave_nothing)
{
	static const struct {
		const char *flags, *names;
	} cases[] = {
	    {"--bogus 1", "--bogus"},
	    {"--max 0", "--max"},
	    {"--max many", "--max"},
	    {"--min-warm 5 --max 2", "--min-warm"},
	    {"--keep-alive -1", "--keep-alive"},
	    {"--policy sometimes", "--policy"},
	    {"--policy fixed:x", "--policy"},
	    {"--policy delta --keep-alive 5", "--keep-alive"},
	    {"--time-scale 0", "--time-scale"},
	    {"--tick-ms 1", "--tick-ms"},
	    {"--listen tcp:0.0.0.0:8080", "--listen"},
	    {"--listen tcp:127.0.0.1:8080", "--auth-token-file"},
	    {"--no-auth --auth-token-file /etc/passwd", "--no-auth"},
	    {"--auth-token-file /etc/passwd", "--auth-token-file"},
	    {"--listen unix:/tmp/x.sock,mode=999", "--listen"},
	    {"--listen unix:/tmp/x.sock,owner=me", "--listen"},
	    {"--listen http://x", "--listen"},
	    {"--listen", "--listen"},
	    {"--listen unix:/tmp", "--listen"},
	};
	char root[] = "/tmp/slxtest-shimbad-XXXXXX";

	cr_assert(mkdtemp(root));
	rmdir(root);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cmd_result c;

		cmd_run(&c, NULL, 10, "'%s' --root '%s' shim serve %s '%s'", slxrun_bin(), root,
			cases[i].flags, shim_t_example("hello-exec"));
		cr_expect_neq(c.status, 0, "%s", cases[i].flags);
		cr_expect_eq(count_lines(c.err), 1, "%s: %s", cases[i].flags, c.err);
		cr_expect(strstr(c.err, cases[i].names), "%s: %s", cases[i].flags, c.err);
		cr_expect_neq(access(root, F_OK), 0, "%s left %s", cases[i].flags, root);
		cmd_result_free(&c);
	}
}

/* ---- runtime-api: a crashed or timed-out runtime takes its sandbox --------- */

/* The host pids in sandbox id's cgroup; their count. */
static size_t shim_t_sandbox_pids(const char *id, pid_t *pids, size_t max)
{
	char path[512];
	long pid;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/slxrun/%s/cgroup.procs", cgroup2_root(), id);
	if (!(f = fopen(path, "r")))
		return 0;
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		pids[n++] = (pid_t)pid;
	fclose(f);
	return n;
}

/* Within 5 s the sandbox's cgroup and every process it had are gone. */
static void shim_t_expect_gone(const char *id, const pid_t *pids, size_t n)
{
	bool gone = false;

	for (int i = 0; i < 100 && !gone; i++) {
		gone = !shim_t_cgroup_exists(id);
		for (size_t k = 0; k < n; k++)
			gone = gone && kill(pids[k], 0) < 0;
		if (!gone)
			sleep_ms(50);
	}
	cr_expect_not(shim_t_cgroup_exists(id), "sandbox %s: its cgroup is left", id);
	for (size_t k = 0; k < n; k++)
		cr_expect_neq(kill(pids[k], 0), 0, "sandbox %s: pid %d is left", id, (int)pids[k]);
}

/* One warm runtime-api sandbox after an invocation: its id and processes
 * (the agent and the bootstrap at least). */
static size_t shim_t_runtime_api_sandbox(char *id, size_t len, pid_t *pids, size_t max)
{
	struct http_reply r;
	size_t n;

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), "--max 1");
	shim_invoke(&shim_t_cur, "{\"k\":1}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	shim_t_sandbox_ids(&shim_t_cur, id, len);
	cr_assert(id[0], "no sandbox after an invocation");
	id[strcspn(id, " ")] = '\0';
	n = shim_t_sandbox_pids(id, pids, max);
	cr_assert_geq(n, 2, "sandbox %s has %zu processes", id, n);
	return n;
}

/* The next invocation is served, cold, by a sandbox other than `old`. */
static void shim_t_expect_fresh_sandbox(const char *old)
{
	struct http_reply r;
	char ids[512];

	shim_invoke(&shim_t_cur, "{\"k\":2}", &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"k\":2"), "%s", r.body);
	cr_expect(strstr(r.headers, "X-Slxrun-Start: cold"), "%s", r.headers);
	shim_t_sandbox_ids(&shim_t_cur, ids, sizeof(ids));
	cr_expect_null(strstr(ids, old), "the old sandbox %s still serves (%s)", old, ids);
}

/* SIGKILL every process of the sandbox but its agent (the shim's child):
 * the runtime and whatever it started. */
static void shim_t_kill_runtime(const pid_t *pids, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char path[64], line[128];
		long ppid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[k]);
		cr_assert((f = fopen(path, "r")));
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "PPid:", 5))
				ppid = atol(line + 5);
		fclose(f);
		if (ppid != shim_t_cur.pid)
			cr_assert_eq(kill(pids[k], SIGKILL), 0);
	}
}

/* Until each of pids has died (a zombie its frozen agent has not reaped, or
 * gone): SIGKILL gets through the freezer, but the death itself is not
 * instant, and a request sent before it lands races the runtime's end. */
static void shim_t_wait_dead(const pid_t *pids, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < 200; i++) {
			char path[64], buf[512], *p;
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[k]);
			if (!(f = fopen(path, "r")))
				break;
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			if (!p || p[2] == 'Z' || p[2] == 'X')
				break;
			sleep_ms(10);
		}
}

/* The bootstrap killed from outside while it waits on /next: its sandbox
 * goes at once, not at the next invocation. */
Test(shim, runtime_api_bootstrap_killed_while_idle_takes_its_sandbox)
{
	char id[512];
	pid_t pids[16];
	size_t n = shim_t_runtime_api_sandbox(id, sizeof(id), pids, 16);

	shim_t_kill_runtime(pids, n);
	shim_t_expect_gone(id, pids, n);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"idle\"}") +
			 shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"frozen\"}"),
		     0);
	shim_t_expect_fresh_sandbox(id);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* The same once the idle sandbox is frozen (after 1 s): SIGKILL gets
 * through the freezer but the frozen agent sees it only when thawed, by the
 * next request, which must not be the one to fail: it runs elsewhere, and
 * the dead sandbox goes then. */
Test(shim, runtime_api_bootstrap_killed_while_frozen_takes_its_sandbox)
{
	char id[512];
	pid_t pids[16];
	size_t n = shim_t_runtime_api_sandbox(id, sizeof(id), pids, 16);

	for (int i = 0;
	     i < 60 && shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"frozen\"}") < 1; i++)
		sleep_ms(50);
	cr_assert_eq(shim_metric(&shim_t_cur, "slxrun_sandboxes{state=\"frozen\"}"), 1);
	shim_t_kill_runtime(pids, n);
	shim_t_wait_dead(pids, n);
	shim_t_expect_fresh_sandbox(id);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 2,
		     "the request after the kill was not served");
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"crash\"}"), 0);
	shim_t_expect_gone(id, pids, n);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* The bootstrap aborts on an event: the answer is the crash, and the sandbox
 * with every process in it is gone. */
Test(shim, runtime_api_bootstrap_crash_takes_its_sandbox)
{
	struct http_reply r;
	char id[512];
	pid_t pids[16];
	size_t n = shim_t_runtime_api_sandbox(id, sizeof(id), pids, 16);

	shim_invoke(&shim_t_cur, "\"crash\"", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.headers, "X-Amz-Function-Error: Unhandled"), "%s", r.headers);
	cr_expect(strstr(r.body, "Runtime.ExitError"), "%s", r.body);
	shim_t_expect_gone(id, pids, n);
	shim_t_expect_fresh_sandbox(id);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* The bootstrap overruns the timeout (10 s): Lambda's message, and the
 * sandbox with every process in it is gone. */
Test(shim, runtime_api_timeout_takes_its_sandbox, .timeout = 60)
{
	struct http_reply r;
	char id[512];
	pid_t pids[16];
	size_t n = shim_t_runtime_api_sandbox(id, sizeof(id), pids, 16);

	shim_invoke(&shim_t_cur, "\"sleep\"", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "Task timed out after 10.00 seconds"), "%s", r.body);
	shim_t_expect_gone(id, pids, n);
	shim_t_expect_fresh_sandbox(id);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* One POST of event to the invocation path with one header more, or two
 * (h2 may be NULL). */
static void shim_t_invoke_with(const char *h1, const char *h2, const char *event, size_t len,
			       struct http_reply *r)
{
	struct curl_slist *h = curl_slist_append(NULL, h1);
	CURL *c = http_easy(shim_t_cur.sock, "http://localhost" SHIM_INVOKE_PATH, event, len, r);

	if (h2)
		h = curl_slist_append(h, h2);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
}

static void shim_t_invoke_hdr(const char *header, const char *event, struct http_reply *r)
{
	shim_t_invoke_with(header, NULL, event, strlen(event), r);
}

/* With X-Amz-Invocation-Type: type. */
static void shim_t_invoke_as(const char *type, const char *event, size_t len, struct http_reply *r)
{
	char header[96];

	snprintf(header, sizeof(header), "X-Amz-Invocation-Type: %s", type);
	shim_t_invoke_with(header, NULL, event, len, r);
}

/* The request id an answer names, or "" (X-Amzn-RequestId). */
static const char *shim_t_request_id(const struct http_reply *r)
{
	static char id[64];
	const char *p = strstr(r->headers, "X-Amzn-RequestId: ");

	id[0] = '\0';
	if (p)
		sscanf(p + strlen("X-Amzn-RequestId: "), "%63[0-9a-f-]", id);
	return id;
}

/* Wait (at most s seconds) until a /metrics sample reaches want. */
static double shim_t_metric_reaches(const char *sample, double want, int s)
{
	double v = 0;

	for (int i = 0; i < s * 10 && (v = shim_metric(&shim_t_cur, sample)) < want; i++)
		sleep_ms(100);
	return v;
}

/* Lambda's invocation types: an Event is answered 202 with its request id
 * once queued and runs after; one that fails runs twice more (a minute,
 * then two, over --time-scale), then is logged as dropped; DryRun is 204
 * and runs nothing; any other type is a 400.  Before, the header was
 * ignored: an Event was answered 200 when it had run, a failed one never
 * ran again, a DryRun ran the function. */
Test(shim, lambdas_invocation_types_event_dryrun_and_request_ids, .timeout = 90)
{
	const char *b = shim_t_script_bundle("read -r x; [ \\\"$x\\\" = fail ] && exit 3; "
					     "[ \\\"$x\\\" = slow ] && sleep 2; echo ok:$x",
					     10);
	static char big[1024 * 1024 + 1];
	struct http_reply r;
	char id[64];
	struct cmd_result c;

	shim_proc_start(&shim_t_cur, b, "--time-scale 60");
	shim_invoke(&shim_t_cur, "sync", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(strlen(shim_t_request_id(&r)), 36, "%s", r.headers);
	cr_expect(strstr(r.headers, "X-Amz-Executed-Version: $LATEST"), "%s", r.headers);

	shim_t_invoke_as("Event", "slow", 4, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	cr_expect_eq(r.len, 0, "%s", r.body);
	cr_expect_eq(strlen(shim_t_request_id(&r)), 36, "%s", r.headers);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 1,
		     "the Event had run before its caller was answered");
	cr_assert_eq(shim_t_metric_reaches("slxrun_invocations_total{outcome=\"ok\"}", 2, 20), 2,
		     "the Event never ran");

	shim_t_invoke_as("Event", "fail", 4, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	snprintf(id, sizeof(id), "%s", shim_t_request_id(&r));
	cr_assert_eq(shim_t_metric_reaches("slxrun_events_dropped_total", 1, 30), 1,
		     "the failing Event was never given up");
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"error\"}"), 3,
		     "a failing Event runs three times in all");
	cmd_run(&c, NULL, 10, "grep -c 'Event %s dropped after 3 run' %s", id, shim_t_cur.log);
	cr_expect_eq(c.status, 0, "no line names the dropped Event %s: %s", id, c.out);
	cmd_result_free(&c);

	shim_t_invoke_as("DryRun", "x", 1, &r);
	cr_expect_eq(r.status, 204, "%s", r.body);
	cr_expect_eq(strlen(shim_t_request_id(&r)), 36, "%s", r.headers);
	shim_t_invoke_as("event", "x", 1, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	cr_expect(strstr(r.body, "InvalidParameterValueException"), "%s", r.body);
	/* named twice, the first won in silence: an Event then a DryRun ran
	 * nothing (the review) */
	shim_t_invoke_with("X-Amz-Invocation-Type: Event", "X-Amz-Invocation-Type: DryRun", "x", 1,
			   &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	memset(big, 'b', sizeof(big));
	shim_t_invoke_as("Event", big, sizeof(big), &r);
	cr_expect_eq(r.status, 413, "%s", r.body);
	cr_expect(strstr(r.body, "RequestEntityTooLarge"), "%s", r.body);
	sleep_ms(300);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 2,
		     "a DryRun, a bad type or a too large Event ran the function");
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* The Events a function holds (their callers gone) stay within its share
 * of the body budget: past it, 429. */
Test(shim, events_held_stay_within_the_body_budget, .timeout = 90)
{
	const char *b = shim_t_script_bundle("read -r x; sleep 1; echo ok", 5);
	static char ev[1024 * 1024];
	unsigned accepted = 0, refused = 0;
	struct http_reply r;

	memset(ev, 'e', sizeof(ev));
	shim_proc_start(&shim_t_cur, b, "--max 1 --body-budget-mb 8");
	for (int i = 0; i < 12; i++) {
		shim_t_invoke_as("Event", ev, sizeof(ev), &r);
		accepted += r.status == 202;
		refused += r.status == 429;
	}
	cr_expect_leq(accepted, 8, "%u Events of 1 MiB held on an 8 MB budget", accepted);
	cr_expect_geq(refused, 4, "%u refused", refused);
	cr_expect_eq(accepted + refused, 12);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* How many Events a spool holds for function "fn" (files named *.event). */
static int shim_t_spooled(const char *spool)
{
	struct cmd_result c;
	int n = -1;

	cmd_run(&c, NULL, 10, "ls -A '%s/fn' | grep -c '\\.event$'", spool);
	sscanf(c.out, "%d", &n);
	cmd_result_free(&c);
	return n;
}

/* With --event-spool, an Event answered 202 runs although its shim is
 * killed before it ran: the next shim on the spool runs it, with the runs
 * it had (a third failed run drops it, not a fourth), and an Event waiting
 * to run again when a shim stops stays for the next, which runs it when it
 * was due (before, at once: a failing Event's retries came as fast as its
 * shim restarted).  Files that are no
 * Event (a link, a bad header, too large, a bad name) are said and left,
 * one half written removed; a second shim on a held spool, or a spool
 * others may enter, is refused in one line.  Before, the Events a shim
 * held were lost with it (README: "the shim keeps no Event across a
 * restart"). */
Test(shim, events_in_the_spool_outlive_their_shim, .timeout = 120)
{
	const char *b =
	    shim_t_script_bundle("read -r x; [ \\\"$x\\\" = fail ] && exit 3; sleep 1; "
				 "[ \\\"$x\\\" = slowfail ] && sleep 1 && exit 3; echo ok:$x",
				 10);
	char tmpl[] = "/tmp/slxtest-spool-XXXXXX", fn[600], flags[400], spool[64];
	struct shim_proc other = SHIM_PROC_INIT;
	struct http_reply r;
	struct cmd_result c;
	char id[64];

	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(spool, sizeof(spool), "%s/spool", tmpl);
	snprintf(fn, sizeof(fn), "fn=%s", b);
	snprintf(flags, sizeof(flags), "--max 1 --time-scale 10 --event-spool %s", spool);

	shim_proc_start(&shim_t_cur, fn, flags);
	for (int i = 0; i < 4; i++) {
		shim_t_invoke_as("Event", "e", 1, &r);
		cr_assert_eq(r.status, 202, "%s", r.body);
	}
	kill(shim_t_cur.pid, SIGKILL);
	waitpid(shim_t_cur.pid, NULL, 0);
	shim_t_cur.pid = -1;
	cr_expect_eq(shim_t_spooled(spool), 4, "the killed shim's Events are not all kept");
	shim_proc_cleanup(&shim_t_cur);

	/* what is no Event is left, what a dying shim half wrote goes */
	cmd_run(&c, NULL, 10,
		"cd %s/fn && ln -s /etc/passwd 00000000-0000-4000-8000-000000000001.event && "
		"printf 'slxrun-event 1 0 x\\n' > 00000000-0000-4000-8000-000000000002.event && "
		"head -c 2000000 /dev/zero > 00000000-0000-4000-8000-000000000003.event && "
		"echo hi > notes.txt && touch .00000000-0000-4000-8000-000000000004.tmp && "
		"printf 'slxrun-event 1 0 %%020d\\nold' $(( $(date +%%s%%3N) - 7 * 3600000 )) "
		"> 00000000-0000-4000-8000-000000000005.event && "
		"printf 'slxrun-event 1 3 %%020d\\nran' $(date +%%s%%3N) "
		"> 00000000-0000-4000-8000-000000000006.event",
		spool);
	cr_assert_eq(c.status, 0, "%s", c.out);
	cmd_result_free(&c);
	shim_proc_start(&shim_t_cur, fn, flags);
	cr_expect_eq(shim_t_metric_reaches("slxrun_invocations_total{outcome=\"ok\"}", 4, 30), 4,
		     "the spool's Events did not run after the shim died");
	for (int i = 0; i < 20 && shim_t_spooled(spool) > 3; i++)
		sleep_ms(100);
	cr_expect_eq(shim_t_spooled(spool), 3, "an Event that ran is still in the spool");
	cmd_run(&c, NULL, 10, "ls -A %s/fn | grep -c tmp", spool);
	cr_expect_eq(atoi(c.out), 0, "a half-written Event was left");
	cmd_result_free(&c);
	cmd_run(&c, NULL, 10, "grep -c 'left as it is' %s", shim_t_cur.log);
	cr_expect_eq(atoi(c.out), 4, "not one line for each file that is no Event: %s", c.out);
	cmd_result_free(&c);
	/* one older than six hours (a shim's monotonic clock starts again at a
	 * reboot), one whose shim died during its third run: dropped */
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_events_dropped_total"), 2);
	cmd_run(&c, NULL, 10,
		"grep -c -e '5 dropped after 0 run(s): older than 6 hours' -e '6 dropped after 3 "
		"run(s): its shim ended during its last run' %s",
		shim_t_cur.log);
	cr_expect_eq(atoi(c.out), 2, "%s", c.out);
	cmd_result_free(&c);

	/* a second shim on the same spool, or one others may enter: refused */
	cmd_run(&c, NULL, 10, "'%s' --root %s/r2 shim serve --event-spool %s fn=%s 2>&1",
		slxrun_bin(), tmpl, spool, b);
	cr_expect_neq(c.status, 0, "a second shim took a held spool");
	cr_expect(strstr(c.out, "another shim holds it"), "%s", c.out);
	cmd_result_free(&c);
	cmd_run(
	    &c, NULL, 10,
	    "mkdir -m 755 %s/open && '%s' --root %s/r3 shim serve --event-spool %s/open fn=%s 2>&1",
	    tmpl, slxrun_bin(), tmpl, tmpl, b);
	cr_expect_neq(c.status, 0, "a spool others may enter was taken");
	cr_expect(strstr(c.out, "only its owner"), "%s", c.out);
	cr_expect_eq(strchr(c.out, '\n'), strrchr(c.out, '\n'), "more than one line: %s", c.out);
	cmd_result_free(&c);

	/* waiting to run again when its shim stops: kept, with its runs and
	 * when it is due (a minute after its failure, 6 s at --time-scale 10) */
	shim_t_invoke_as("Event", "fail", 4, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	snprintf(id, sizeof(id), "%s", shim_t_request_id(&r));
	cr_assert_eq(shim_t_metric_reaches("slxrun_invocations_total{outcome=\"error\"}", 1, 20),
		     1);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cr_expect_eq(shim_t_spooled(spool), 4, "the Event waiting to run again went with its shim");
	shim_proc_start(&other, fn, flags);
	shim_t_cur = other;
	sleep_ms(2000);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"error\"}"), 0,
		     "the restored Event ran again before it was due");
	cr_expect_eq(shim_t_metric_reaches("slxrun_events_dropped_total", 1, 30), 1,
		     "the Event from the spool was never given up");
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"error\"}"), 2,
		     "its runs before the restart were not kept");
	cmd_run(&c, NULL, 10, "grep -c 'Event %s dropped after 3 run' %s", id, shim_t_cur.log);
	cr_expect_eq(c.status, 0, "%s", c.out);
	cmd_result_free(&c);
	cr_expect_eq(shim_t_spooled(spool), 3, "a dropped Event is still in the spool");

	/* a run counts from its start on disk, and when it fails during the
	 * drain: before, each restart during a run gave an Event one more */
	shim_t_invoke_as("Event", "slowfail", 8, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	cr_assert_eq(shim_t_metric_reaches("slxrun_sandboxes{state=\"busy\"}", 1, 10), 1);
	cmd_run(&c, NULL, 10, "head -c 16 %s/fn/%s.event", spool, shim_t_request_id(&r));
	cr_expect_str_eq(c.out, "slxrun-event 2 1", "a run under way is not counted");
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cmd_run(&c, NULL, 10, "grep -c 'kept in the spool after 1 run' %s", shim_t_cur.log);
	cr_expect_eq(atoi(c.out), 1, "the run that failed in the drain was not counted: %s", c.out);
	cmd_result_free(&c);
	cmd_run(&c, NULL, 10, "rm -rf %s", tmpl);
	cmd_result_free(&c);
}

/* With --event-spool, Events past what a function holds in memory wait in
 * the spool only and run as room frees, also those a killed shim left
 * past what the next may hold.  Before, a spool kept only what memory
 * held: the caller of a ninth 1 MiB Event on an 8 MB budget got 429 with
 * the disk to spare, and a restart left Events past the hold on disk
 * until a later shim. */
Test(shim, events_past_memory_wait_in_the_spool, .timeout = 120)
{
	const char *b = shim_t_script_bundle("cat >/dev/null; sleep 0.5; echo ok", 10);
	static char ev[1024 * 1024];
	char tmpl[] = "/tmp/slxtest-spool-XXXXXX", fn[600], flags[400], spool[64];
	struct http_reply r;
	struct cmd_result c;
	unsigned accepted = 0;
	int ran_before, spooled_at_start;

	memset(ev, 'e', sizeof(ev));
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(spool, sizeof(spool), "%s/spool", tmpl);
	snprintf(fn, sizeof(fn), "fn=%s", b);
	/* an Event running when the shim is killed waits as if it failed: a
	 * minute, 6 s here */
	snprintf(flags, sizeof(flags),
		 "--max 1 --body-budget-mb 8 --time-scale 10 --event-spool %s", spool);
	shim_proc_start(&shim_t_cur, fn, flags);
	for (int i = 0; i < 12; i++) {
		shim_t_invoke_as("Event", ev, sizeof(ev), &r);
		accepted += r.status == 202;
	}
	cr_expect_eq(accepted, 12, "an Event past the memory budget was refused with a spool");
	cr_expect_gt(shim_metric(&shim_t_cur, "slxrun_events_spooled"), 0);
	ran_before = (int)shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}");
	kill(shim_t_cur.pid, SIGKILL);
	waitpid(shim_t_cur.pid, NULL, 0);
	shim_t_cur.pid = -1;
	shim_proc_cleanup(&shim_t_cur);
	cr_assert_geq(shim_t_spooled(spool), 12 - ran_before);

	/* a smaller bound at the restart than what waits there leaves none
	 * behind: the bound refuses new Events, not those answered already */
	snprintf(flags, sizeof(flags),
		 "--max 1 --body-budget-mb 8 --time-scale 10 --event-spool %s --event-spool-mb 1",
		 spool);
	shim_proc_start(&shim_t_cur, fn, flags);
	spooled_at_start = (int)shim_metric(&shim_t_cur, "slxrun_events_spooled");
	cr_expect_gt(spooled_at_start, 0, "the restart held every Event in memory");
	for (int i = 0; i < 300 && shim_t_spooled(spool) > 0; i++)
		sleep_ms(100);
	cr_expect_eq(shim_t_spooled(spool), 0, "Events past the hold never ran");
	cr_expect_geq(
	    ran_before + shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}"), 12);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_events_spooled"), 0);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_events_dropped_total"), 0);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);

	/* the disk has a bound too: --event-spool-mb (1 GiB unless given) */
	snprintf(flags, sizeof(flags),
		 "--max 1 --body-budget-mb 8 --event-spool %s --event-spool-mb 2", spool);
	shim_proc_start(&shim_t_cur, fn, flags);
	accepted = 0;
	for (int i = 0; i < 12; i++) {
		shim_t_invoke_as("Event", ev, sizeof(ev), &r);
		accepted += r.status == 202;
		cr_expect(r.status == 202 || r.status == 429, "%u: %s", r.status, r.body);
	}
	cr_expect_leq(accepted, 10, "%u Events of 1 MiB on 8 MB of memory and 2 MB of spool",
		      accepted);
	cr_expect_leq(shim_metric(&shim_t_cur, "slxrun_events_spooled"), 2);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);

	/* an empty Event is charged its file's block: 1 MB holds 256 of them
	 * past the 512 memory holds (before, an empty Event was charged
	 * nothing, and a flood filled the disk under any bound) */
	snprintf(flags, sizeof(flags), "--max 1 --event-spool %s/spool2 --event-spool-mb 1", tmpl);
	shim_proc_start(&shim_t_cur, fn, flags);
	accepted = 0;
	for (int i = 0; i < 800; i++) {
		shim_t_invoke_as("Event", "", 0, &r);
		accepted += r.status == 202;
	}
	cr_expect_lt(accepted, 800, "800 empty Events on 1 MB of spool");
	cr_expect_leq(shim_metric(&shim_t_cur, "slxrun_events_spooled"), 256);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cmd_run(&c, NULL, 10, "'%s' --root %s/r shim serve --event-spool-mb 2 fn=%s 2>&1",
		slxrun_bin(), tmpl, b);
	cr_expect_neq(c.status, 0);
	cr_expect(strstr(c.out, "--event-spool-mb needs --event-spool"), "%s", c.out);
	cmd_result_free(&c);
	cmd_run(&c, NULL, 10, "rm -rf %s", tmpl);
	cmd_result_free(&c);
}

/* An Event waiting in the spool only that cannot be read for a while (the
 * shim out of file descriptors) is tried again, not forgotten.  Before, it
 * was said "forgotten" and stayed on disk, unrun and outside the bound,
 * until a restart (an attacker's review). */
Test(shim, a_spooled_event_unreadable_for_a_while_runs_later, .timeout = 120)
{
	const char *b = shim_t_script_bundle("cat >/dev/null; sleep 1; echo ok", 10);
	static char ev[1024 * 1024];
	char tmpl[] = "/tmp/slxtest-spool-XXXXXX", fn[600], flags[400], spool[64];
	struct http_reply r;
	struct cmd_result c;

	memset(ev, 'e', sizeof(ev));
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(spool, sizeof(spool), "%s/spool", tmpl);
	snprintf(fn, sizeof(fn), "fn=%s", b);
	snprintf(flags, sizeof(flags), "--max 1 --body-budget-mb 7 --event-spool %s", spool);
	shim_proc_start(&shim_t_cur, fn, flags);
	for (int i = 0; i < 10; i++) {
		shim_t_invoke_as("Event", ev, sizeof(ev), &r);
		cr_assert_eq(r.status, 202, "%s", r.body);
	}
	cr_assert_gt(shim_metric(&shim_t_cur, "slxrun_events_spooled"), 0);
	/* no descriptor left to open an Event's file with for 4 s */
	cmd_run(&c, NULL, 10,
		"p=%d; was=$(prlimit --pid $p --nofile --output SOFT --noheadings) && "
		"n=0; while [ -e /proc/$p/fd/$n ]; do n=$((n + 1)); done; "
		"prlimit --pid $p --nofile=$n: && sleep 4 && "
		"prlimit --pid $p --nofile=$was:",
		(int)shim_t_cur.pid);
	cr_assert_eq(c.status, 0, "%s", c.out);
	cmd_result_free(&c);
	for (int i = 0; i < 300 && shim_t_spooled(spool) > 0; i++)
		sleep_ms(100);
	cr_expect_eq(shim_t_spooled(spool), 0, "an Event unreadable for a while never ran");
	cmd_run(&c, NULL, 10, "grep -c forgotten %s", shim_t_cur.log);
	cr_expect_eq(atoi(c.out), 0, "%s", c.out);
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	cmd_run(&c, NULL, 10, "rm -rf %s", tmpl);
	cmd_result_free(&c);
}

/* X-Amz-Log-Result of an answer, decoded, into out ("" without one). */
static void shim_t_log_result(const struct http_reply *r, char *out, size_t cap)
{
	char b64[8192] = "";
	const char *p = strstr(r->headers, "X-Amz-Log-Result: ");
	struct cmd_result c;

	out[0] = '\0';
	if (!p)
		return;
	sscanf(p + strlen("X-Amz-Log-Result: "), "%8191[A-Za-z0-9+/=]", b64);
	cmd_run(&c, b64, 10, "base64 -d");
	cr_assert_eq(c.status, 0, "not base64: %s", b64);
	snprintf(out, cap, "%s", c.out);
	cmd_result_free(&c);
}

/* Whether the sandbox that answered r has the memory controller (the
 * VM's pure cgroup v2, not this hybrid host's), and so memory.peak. */
static bool shim_t_memory_peak(const struct http_reply *r)
{
	const char *p = strstr(r->headers, "X-Slxrun-Sandbox: ");
	char id[128] = "", path[512];
	struct cmd_result c;
	bool has;

	cr_assert(p, "%s", r->headers);
	sscanf(p + strlen("X-Slxrun-Sandbox: "), "%127[^\r\n]", id);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/slxrun/%s /sys/fs/cgroup/slxrun/%s",
		 id, id);
	cmd_run(&c, NULL, 10, "for d in %s; do cat $d/cgroup.controllers 2>/dev/null; done", path);
	has = strstr(c.out, "memory") != NULL;
	cmd_result_free(&c);
	return has;
}

/* A timed-out call's log is what Lambda's says: what the call logged, the
 * line naming the timeout, and Status: timeout on its REPORT, in exec and
 * runtime-api mode.  At first the log was empty; then it had the timeout's
 * line alone (what the call logged went with its sandbox). */
Test(shim, a_timed_out_calls_log_says_so)
{
	const char *bundles[] = {shim_t_script_bundle("echo sleeping >&2; sleep 5", 1),
				 shim_t_example("lambda-timeout")};
	static char log[8192];
	struct http_reply r;
	char *p;

	for (size_t i = 0; i < 2; i++) {
		shim_proc_start(&shim_t_cur, bundles[i], NULL);
		shim_t_invoke_hdr("X-Amz-Log-Type: Tail", i ? "\"sleep\"" : "x", &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_expect(strstr(r.body, "Task timed out after 1.00 seconds"), "%s", r.body);
		shim_t_log_result(&r, log, sizeof(log));
		p = strstr(log, "\nsleeping\n");
		cr_expect(p, "%zu: %s", i, log);
		cr_expect(p && strstr(p, " Task timed out after 1.00 seconds\nEND RequestId: "),
			  "%zu: %s", i, log);
		cr_expect(strstr(log, "\tStatus: timeout\t\n"), "%s", log);
		cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
	}
}

/* X-Amz-Log-Type: Tail: the answer carries the last 4 KB of Lambda's
 * execution log of the call (START, what it wrote to stderr, END, REPORT),
 * base64; None or no header, nothing; another value, 400.  Before, the
 * header was ignored. */
Test(shim, log_type_tail_answers_with_the_calls_own_log)
{
	const char *b = shim_t_script_bundle("read -r x; echo log:$x >&2; [ \\\"$x\\\" = big ] && "
					     "yes zzzzzzzzz | head -c 9000 >&2; echo ok:$x",
					     10);
	static char log[16384];
	struct http_reply r;
	char want[256];
	const char *id;
	char *h;

	shim_proc_start(&shim_t_cur, b, NULL);
	h = "X-Amz-Log-Type: Tail";
	shim_t_invoke_hdr(h, "one", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(r.body, "ok:one\n");
	id = shim_t_request_id(&r);
	shim_t_log_result(&r, log, sizeof(log));
	snprintf(want, sizeof(want),
		 "START RequestId: %s Version: $LATEST\nlog:one\nEND RequestId: %s\nREPORT "
		 "RequestId: %s\tDuration: ",
		 id, id, id);
	cr_expect(!strncmp(log, want, strlen(want)), "want %s, got %s", want, log);
	cr_expect(strstr(log, "\tMemory Size: 128 MB\t"), "%s", log);
	/* the sandbox's peak where its cgroup counts one, and a cold call's
	 * start, as Lambda's REPORT has them */
	cr_expect(strstr(r.headers, "X-Slxrun-Start: cold"), "%s", r.headers);
	cr_expect(strstr(log, "\tInit Duration: "), "a cold call's: %s", log);
	cr_expect_eq(strstr(log, "\tMax Memory Used: ") != NULL, shim_t_memory_peak(&r), "%s", log);
	cr_expect_null(strstr(log, "Status:"), "%s", log);

	shim_t_invoke_hdr(h, "big", &r);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect_eq(strlen(log), 4096, "%zu bytes of log", strlen(log));
	cr_expect_null(strstr(log, "START"), "the tail is the log's last 4 KB: %.60s", log);
	cr_expect(strstr(log, "zzz\nEND RequestId: "), "%.200s", log + strlen(log) / 2);
	cr_expect(strstr(r.headers, "X-Slxrun-Start: warm"), "%s", r.headers);
	cr_expect_null(strstr(log, "Init Duration"), "a warm call's: %s", log);

	shim_t_invoke_hdr("X-Amz-Log-Type: None", "none", &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_null(strstr(r.headers, "X-Amz-Log-Result"), "%s", r.headers);
	shim_t_invoke_hdr("X-Amz-Log-Type: tail", "bad", &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	cr_expect(strstr(r.body, "InvalidParameterValueException"), "%s", r.body);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* What a runtime logs while it starts is its first call's, before START,
 * as Lambda's Tail has it; a runtime that cannot load its handler is
 * answered with its own init error, the body it posted (its type,
 * Runtime.ImportModuleError, not a wrapper's, and its trace) and that log.
 * Before, both logs were lost and the answer was Runtime.InitError around
 * the runtime's JSON; then the answer kept only errorType and errorMessage. */
Test(shim, a_runtimes_init_log_and_error_are_its_first_calls)
{
	static char log[8192];
	struct http_reply r;
	const char *h = "X-Amz-Log-Type: Tail",
		   *start = "loading function.handler\nSTART RequestId: ";

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-init-log"), NULL);
	shim_t_invoke_hdr(h, "\"one\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect(!strncmp(log, start, strlen(start)), "%s", log);
	shim_t_invoke_hdr(h, "\"two\"", &r);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect(!strncmp(log, "START RequestId: ", 17), "a warm call's: %s", log);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-init-error"), NULL);
	shim_t_invoke_hdr(h, "\"one\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.headers, "X-Amz-Function-Error: Unhandled"), "%s", r.headers);
	cr_expect_str_eq(
	    r.body, "{\"errorType\":\"Runtime.ImportModuleError\",\"errorMessage\":\"Cannot find "
		    "module 'function'\",\"trace\":[\"Runtime.ImportModuleError: Cannot find "
		    "module 'function'\",\"    at load\"]}");
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect(!strncmp(log, start, strlen(start)), "%s", log);
	cr_expect(strstr(log, "\tStatus: error\tError Type: Runtime.ImportModuleError\t\n"), "%s",
		  log);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* An Event is answered at once, so one connection could fill the queue
 * the function's synchronous callers share (a review: 1,028 Events from
 * one client left the next call 429).  Events take at most half of it. */
Test(shim, events_leave_half_the_queue_to_synchronous_calls, .timeout = 120)
{
	const char *b =
	    shim_t_script_bundle("read -r x; [ \\\"$x\\\" = e ] && sleep 5; echo ok:$x", 10);
	unsigned accepted = 0, refused = 0;
	struct http_reply r;

	shim_proc_start(&shim_t_cur, b, "--max 1");
	for (int i = 0; i < 600; i++) {
		shim_t_invoke_as("Event", "e", 1, &r);
		accepted += r.status == 202;
		refused += r.status == 429;
	}
	/* less those that ran and went while the others came */
	cr_expect_leq(accepted - (unsigned)shim_metric(&shim_t_cur,
						       "slxrun_invocations_total{outcome=\"ok\"}"),
		      512, "%u Events queued", accepted);
	cr_expect_geq(accepted, 500, "%u Events queued", accepted);
	cr_expect_eq(accepted + refused, 600, "%u + %u", accepted, refused);
	cr_expect_eq(shim_metric(&shim_t_cur, "slxrun_rejected_total"), refused);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* An Event whose sandbox cannot start (a runtime-api bundle whose
 * bootstrap is missing) runs again as after a function error, as Lambda
 * retries init errors; it was dropped at once ("after 0 run(s)"). */
Test(shim, an_event_whose_function_cannot_start_is_retried, .timeout = 60)
{
	static char args[] = "[\"/no/such/bootstrap\"]";
	struct http_reply r;
	struct cmd_result c;
	char id[64];

	bundle_make(&shim_t_bundle, args, NULL,
		    ",\"annotations\":{\"org.slxrun.function.mode\":\"runtime-api\"}", NULL);
	bundle_own_rootfs(&shim_t_bundle);
	shim_t_have_bundle = true;
	shim_proc_start(&shim_t_cur, shim_t_bundle.dir, "--time-scale 60");
	shim_t_invoke_as("Event", "{}", 2, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	snprintf(id, sizeof(id), "%s", shim_t_request_id(&r));
	cr_assert_eq(shim_t_metric_reaches("slxrun_events_dropped_total", 1, 30), 1,
		     "the Event was never given up");
	cmd_run(&c, NULL, 10, "grep 'Event %s dropped' %s", id, shim_t_cur.log);
	cr_expect(strstr(c.out, "dropped after 3 run(s)"), "%s", c.out);
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* A runtime's X-Amz-Log-Result is its own call's: what it logs from the
 * moment the event is handed over to its answer, a line it has not ended
 * yet included.  A review found what a runtime logged after answering in
 * the next caller's log (the tail began when the agent got the event, not
 * when the runtime did), and a line without its newline two calls later. */
Test(shim, a_runtimes_log_tail_is_its_own_calls)
{
	static char log[16384];
	struct http_reply r;
	const char *h = "X-Amz-Log-Type: Tail";

	shim_proc_start(&shim_t_cur, shim_t_example("lambda-bootstrap"), NULL);
	shim_t_invoke_hdr(h, "\"log-late\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect(strstr(log, "\nin-call\nEND RequestId: "), "%s", log);
	/* sent while the runtime sleeps before its "after-answer" and /next */
	shim_t_invoke_hdr(h, "\"log-partial\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect_null(strstr(log, "after-answer"), "logged after the last answer: %s", log);
	cr_expect(strstr(log, "\npartial-no-newline\nEND RequestId: "), "%s", log);
	shim_t_invoke_hdr(h, "\"plain\"", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	shim_t_log_result(&r, log, sizeof(log));
	cr_expect_null(strstr(log, "partial"), "the last call's unended line: %s", log);
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}

/* Events wait in the queue ahead of synchronous calls only a few rounds
 * of the function's sandboxes deep (four per --max); the rest wait their
 * turn beside it.  With one queue for both, a synchronous call waited
 * behind every Event (a review: 17 minutes behind 500 of 8 s). */
Test(shim, a_synchronous_call_does_not_wait_behind_every_event, .timeout = 120)
{
	const char *b =
	    shim_t_script_bundle("read -r x; [ \\\"$x\\\" = e ] && sleep 1; echo ok:$x", 10);
	struct http_reply r;
	double ran;

	shim_proc_start(&shim_t_cur, b, "--max 1");
	for (int i = 0; i < 30; i++) {
		shim_t_invoke_as("Event", "e", 1, &r);
		cr_assert_eq(r.status, 202, "%s", r.body);
	}
	shim_invoke(&shim_t_cur, "sync", &r);
	ran = shim_metric(&shim_t_cur, "slxrun_invocations_total{outcome=\"ok\"}");
	cr_expect_str_eq(r.body, "ok:sync\n");
	cr_expect_leq(ran, 8, "the call waited for %.0f Events of 30 (and itself)", ran);
	cr_expect_eq(shim_t_metric_reaches("slxrun_invocations_total{outcome=\"ok\"}", 31, 60), 31,
		     "not every Event ran");
	cr_assert_eq(shim_proc_stop(&shim_t_cur), 0);
}
