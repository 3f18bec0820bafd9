/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_invoke.c -- `slxrun invoke` end to end: exec and runtime-api
 * functions cold, their errors, crashes and timeouts, bad annotations,
 * timings, and that nothing is left behind. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

/* Appended to a command that ran slxrun as `& p=$!; wait $p; s=$?;`: says
 * LEFTOVER on stderr when the sandbox's cgroup (slxrun/invoke-<pid of
 * slxrun>) survived the invoke, and exits with slxrun's status. */
#define LEFTOVER_CHECK                                                                             \
	"if [ -e /sys/fs/cgroup/unified/slxrun/invoke-$p ]; then echo LEFTOVER >&2; fi; exit $s"

/* Run one of the built examples. */
static void invoke_example(struct cmd_result *r, const char *example, const char *data,
			   int timeout_s)
{
	cmd_run(r, NULL, timeout_s,
		"'%s' --root /tmp/slxtest-invoke-root invoke --data '%s' '%s/%s' & p=$!; wait $p; "
		"s=$?; " LEFTOVER_CHECK,
		slxrun_bin(), data, examples_dir(), example);
}

static bool left_nothing(const struct cmd_result *r)
{
	return !strstr(r->err, "LEFTOVER");
}

/* A busybox bundle with these process args and annotations (a JSON object). */
static void invoke_bundle(struct cmd_result *r, const char *args, const char *annotations,
			  const char *stdin_data, const char *flags)
{
	struct bundle b;
	char top[512];

	snprintf(top, sizeof(top), ",\"annotations\":%s", annotations);
	bundle_make(&b, args, NULL, top, NULL);
	bundle_own_rootfs(&b);
	/* An async list's stdin is /dev/null: hand it ours through fd 3. */
	cmd_run(r, stdin_data, 30,
		"exec 3<&0; '%s' --root '%s' invoke %s '%s' 0<&3 3<&- & p=$!; wait $p; "
		"s=$?; " LEFTOVER_CHECK,
		slxrun_bin(), b.root, flags, b.dir);
	bundle_remove(&b);
}

Test(invoke, exec_mode_cold_answers_with_stdout)
{
	struct cmd_result r;

	invoke_example(&r, "hello-exec", "{\"a\":1}", 20);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "hello from slxrun: {\"a\":1}\n");
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, exec_mode_reads_a_large_event_from_stdin)
{
	size_t n = 1024 * 1024;
	char *event = malloc(n + 1);
	struct cmd_result r;

	cr_assert(event);
	memset(event, 'x', n);
	event[n] = '\0';
	invoke_bundle(&r, "[\"/bin/sh\",\"-c\",\"cat\"]", "{}", event, "");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(strlen(r.out), n);
	cr_assert_str_eq(r.out, event);
	cmd_result_free(&r);
	free(event);
}

Test(invoke, exec_mode_exit_status_is_a_function_error_with_stderr)
{
	struct cmd_result r;

	invoke_bundle(&r, "[\"/bin/sh\",\"-c\",\"echo went wrong >&2; exit 3\"]",
		      "{\"org.slxrun.function.mode\":\"exec\"}", NULL, "--data x");
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "\"errorMessage\":\"went wrong\""), "stderr: %s", r.err);
	cr_assert(strstr(r.err, "\"errorType\":\"Runtime.ExitError\""), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, exec_mode_crash_names_the_signal)
{
	struct cmd_result r;

	invoke_example(&r, "crash-exec", "{}", 20);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "signal: segmentation fault"), "stderr: %s", r.err);
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, timeout_kills_the_sandbox_and_leaves_nothing)
{
	struct cmd_result r;

	invoke_example(&r, "sleep-exec", "{}", 20);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "Task timed out after 1.00 seconds"), "stderr: %s", r.err);
	cr_assert(strstr(r.err, "Sandbox.Timedout"), "stderr: %s", r.err);
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, runtime_api_cold_answers_with_the_bootstrap_response)
{
	struct cmd_result r;

	invoke_example(&r, "lambda-bootstrap", "{\"a\":1}", 20);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "{\"echo\":{\"a\":1}}");
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, runtime_api_error_is_reported_as_posted)
{
	struct cmd_result r;

	invoke_example(&r, "lambda-bootstrap", "\"error\"", 20);
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "\"errorType\":\"TestError\""), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, runtime_api_bootstrap_crash_is_a_runtime_exit_error)
{
	struct cmd_result r;

	invoke_example(&r, "lambda-bootstrap", "\"crash\"", 20);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "Runtime exited with error: signal: aborted"), "stderr: %s", r.err);
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, runtime_api_bootstrap_that_exits_at_init_fails_the_invoke)
{
	struct cmd_result r;

	invoke_bundle(&r, "[\"/bin/sh\",\"-c\",\"exit 4\"]",
		      "{\"org.slxrun.function.mode\":\"runtime-api\"}", NULL, "--data {}");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "exit status 4"), "stderr: %s", r.err);
	cr_assert(left_nothing(&r), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, bad_timeout_annotation_is_named)
{
	struct cmd_result r;

	invoke_bundle(&r, "[\"/bin/true\"]", "{\"org.slxrun.function.timeout\":\"0\"}", NULL,
		      "--data {}");
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_lines(r.err), 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "org.slxrun.function.timeout"), "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(invoke, bad_mode_annotation_is_named)
{
	struct cmd_result r;

	invoke_bundle(&r, "[\"/bin/true\"]", "{\"org.slxrun.function.mode\":\"http\"}", NULL,
		      "--data {}");
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_lines(r.err), 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "org.slxrun.function.mode: unknown mode \"http\""), "stderr: %s",
		  r.err);
	cmd_result_free(&r);
}

Test(invoke, timings_print_every_phase)
{
	static const char *const phases[] = {"prepare",	   "cgroup",   "clone",
					     "namespaces", "rootfs",   "agent ready",
					     "function",   "teardown", "total"};
	struct cmd_result r;

	cmd_run(&r, NULL, 20,
		"'%s' --root /tmp/slxtest-invoke-root invoke --timings --data '{}' '%s/hello-exec'",
		slxrun_bin(), examples_dir());
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(count_lines(r.err), 9, "stderr: %s", r.err);
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		cr_assert(strstr(r.err, phases[i]), "no %s in: %s", phases[i], r.err);
	cr_assert(strstr(r.err, " ms\n"), "stderr: %s", r.err);
	cmd_result_free(&r);
}

/* A Ctrl-C, `timeout` or a closed terminal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) while
 * a one-shot runs: slxrun dies of the signal, as its caller expects, but
 * only once it has torn the sandbox down.  Before, it died at once and
 * the sandbox's cgroup (slxrun/invoke-<pid>) stayed for good.  Python
 * starts it with the default dispositions (an async list's SIGINT is
 * ignored, and so stays ignored). */
Test(invoke, a_signal_ends_a_one_shot_and_leaves_nothing)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 37\"]", NULL, ",\"annotations\":{}", NULL);
	bundle_own_rootfs(&b);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		cmd_run(&r, NULL, 30,
			"python3 -c 'import signal, subprocess, sys, time\n"
			"dfl = lambda: [signal.signal(s, signal.SIG_DFL) for s in (1, 2, 3, 15)]\n"
			"p = subprocess.Popen(sys.argv[1:], preexec_fn=dfl)\n"
			"time.sleep(1.5); t = time.time(); p.send_signal(%d)\n"
			"print(p.wait(), int(time.time() - t), p.pid)' "
			"'%s' --root '%s' invoke --data x '%s' | "
			"{ read rc secs p; echo \"$rc $secs\"; "
			"ls -d /sys/fs/cgroup/unified/slxrun/invoke-$p 2>/dev/null; "
			"for q in $(pgrep -f '^sleep 37$'); do ps -o pid=,ppid=,stat=,args= -p $q; "
			"done; }",
			sigs[i], slxrun_bin(), b.root, b.dir);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_expect_eq(atoi(r.out), -sigs[i], "signal %d: died of it: %s", sigs[i], r.out);
		cr_expect(strchr(r.out, ' ') && atoi(strchr(r.out, ' ') + 1) < 5,
			  "signal %d: at once, not at the function's end: %s", sigs[i], r.out);
		cr_expect_eq(strlen(r.out), strcspn(r.out, "\n") + 1,
			     "signal %d: nothing left (cgroup, process): %s", sigs[i], r.out);
		cmd_result_free(&r);
	}
	bundle_remove(&b);
}

/* The handlers are the one-shot's own while its sandbox exists: a signal
 * while the answer is written (to a reader that takes none) kills it as it
 * always did (it was swallowed, and the answer cut short with status 0: an
 * attacker's review); the agent, entered without an exec, catches none of
 * them (it caught SIGINT, SIGTERM and SIGHUP; an init drops them). */
Test(invoke, the_signal_handlers_end_with_the_sandbox_and_never_reach_the_agent)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"grep SigCgt /proc/1/status; yes | head -c 1500000\"]",
		    NULL, ",\"annotations\":{}", NULL);
	bundle_own_rootfs(&b);
	cmd_run(&r, NULL, 30,
		"python3 -c 'import signal, subprocess, sys, time\n"
		"dfl = lambda: [signal.signal(s, signal.SIG_DFL) for s in (1, 2, 3, 15)]\n"
		"p = subprocess.Popen(sys.argv[1:], preexec_fn=dfl, stdout=subprocess.PIPE)\n"
		"time.sleep(2); p.send_signal(15)\n"
		"try:\n    print(p.wait(timeout=10))\nexcept subprocess.TimeoutExpired:\n"
		"    p.kill(); print(\"hung\")\n"
		"print(p.stdout.readline().decode().strip())' "
		"'%s' --root '%s' invoke --data x '%s'",
		slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(atoi(r.out), -SIGTERM, "died of a SIGTERM while writing: %s", r.out);
	cr_expect(strstr(r.out, "SigCgt:\t0000000000000000"), "the agent's caught signals: %s",
		  r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* SIGKILL leaves a one-shot's cgroup, and no record of it: the next
 * one-shot to end removes every invoke-<pid> cgroup whose pid is gone, as
 * a shim does at start.  Before, it stayed until a shim started or an
 * invoke got that pid. */
Test(invoke, the_next_one_shot_removes_the_cgroup_a_killed_one_left)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 20\"]", NULL, ",\"annotations\":{}", NULL);
	bundle_own_rootfs(&b);
	cmd_run(&r, NULL, 60,
		"'%1$s' --root '%2$s' invoke --data x '%3$s' >/dev/null 2>&1 & p=$!; sleep 1; "
		"kill -9 $p; wait $p; c=%4$s/slxrun/invoke-$p; sleep 0.5; test -d $c; "
		"'%1$s' --root '%2$s' invoke --data x '%5$s/hello-exec'; "
		"test -d $c && echo LEFT; true",
		slxrun_bin(), b.root, b.dir, cgroup2_root(), examples_dir());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "hello from slxrun: x\n", "the killed one's cgroup: %s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* SIGKILL leaves a one-shot's cgroup (slxrun/invoke-<pid>); an invoke that
 * gets the pid later removes it and makes its own, rather than running in
 * it (created by another, it was never removed after). */
Test(invoke, a_cgroup_a_killed_invoke_left_is_not_taken_over)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30,
		"sh -c 'mkdir %1$s/slxrun/invoke-$$ && exec %2$s --root /tmp/slxtest-invoke-root "
		"invoke --data x %3$s/hello-exec' & p=$!; wait $p; s=$?; "
		"test -e %1$s/slxrun/invoke-$p && echo LEFT; exit $s",
		cgroup2_root(), slxrun_bin(), examples_dir());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "hello from slxrun: x\n");
	cmd_result_free(&r);
}
