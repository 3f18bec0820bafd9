/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroup_limits.c -- slxrun's linux.resources on a pure cgroup v2 kernel
 * with every controller (run inside the test VM by tests/vm/run.sh): limits
 * hold against real workloads, freeze/kill/update/events act on the cgroup. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/harness.h"

/* Where slxrun puts a container without linux.cgroupsPath on a pure v2 host. */
#define CG_BASE	  "/sys/fs/cgroup/slxrun"
#define BUSY_LOOP "while :; do :; done"

/* A container started in the background, its stdout and stderr in log. */
struct ctr {
	struct bundle b;
	const char *id;
	char log[320];
};

/* Run `slxrun --root ROOT <args>` for c, stdin_data on stdin (may be NULL). */
static __attribute__((format(printf, 4, 5))) int slx(struct cmd_result *r, const struct ctr *c,
						     const char *stdin_data, const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return cmd_run(r, stdin_data, 60, "%s --root %s %s", slxrun_bin(), c->b.root, args);
}

static void ctr_start_ns(struct ctr *c, const char *id, const char *script, const char *extra_linux,
			 const char *namespaces)
{
	char args[2048];
	struct cmd_result r;

	c->id = id;
	snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
	bundle_make_ns(&c->b, args, NULL, NULL, extra_linux, namespaces);
	snprintf(c->log, sizeof(c->log), "%s/out.log", c->b.dir);
	slx(&r, c, NULL, "create -b %s %s </dev/null >%s 2>&1 || { cat %s >&2; exit 1; }", c->b.dir,
	    id, c->log, c->log);
	cr_assert_eq(r.status, 0, "create %s: %s", id, r.err);
	cmd_result_free(&r);
	slx(&r, c, NULL, "start %s", id);
	cr_assert_eq(r.status, 0, "start %s: %s", id, r.err);
	cmd_result_free(&r);
}

static void ctr_start(struct ctr *c, const char *id, const char *script, const char *resources)
{
	char extra[1024];

	snprintf(extra, sizeof(extra), ",\"resources\":%s", resources);
	ctr_start_ns(c, id, script, extra, NULL);
}

static void cg_path(const struct ctr *c, const char *file, char *buf, size_t len)
{
	/* The harness names each bundle's cgroup after the bundle's directory. */
	snprintf(buf, len, "%s/%s%s%s", CG_BASE, strrchr(c->b.dir, '/') + 1, file ? "/" : "",
		 file ? file : "");
}

static bool cg_exists(const struct ctr *c)
{
	char path[512];
	struct stat st;

	cg_path(c, NULL, path, sizeof(path));
	return stat(path, &st) == 0;
}

/* The whole of a small cgroup file ("" when unreadable). */
static void cg_read(const struct ctr *c, const char *file, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t n = 0;

	cg_path(c, file, path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* The number after "KEY " on its own line of FILE (cpu.stat, memory.events). */
static uint64_t cg_key(const struct ctr *c, const char *file, const char *key)
{
	char buf[4096], pat[64];
	const char *p;

	cg_read(c, file, buf, sizeof(buf));
	snprintf(pat, sizeof(pat), "%s ", key);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, pat, strlen(pat)))
			return strtoull(p + strlen(pat), NULL, 10);
	cr_assert_fail("%s/%s has no %s: %s", c->id, file, key, buf);
	return 0;
}

/* `slxrun events --stats`: the number KEY holds inside the SECTION object. */
static uint64_t stats_of(const struct ctr *c, const char *section, const char *key)
{
	struct cmd_result r;
	char sec[64], k[64];
	const char *p;
	uint64_t v;

	slx(&r, c, NULL, "events --stats %s", c->id);
	cr_assert_eq(r.status, 0, "events --stats %s: %s", c->id, r.err);
	snprintf(sec, sizeof(sec), "\"%s\":", section);
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(r.out, sec);
	cr_assert(p, "no %s in %s", sec, r.out);
	/* The first numeric "KEY": after SECTION ("usage" is also an object). */
	for (p = strstr(p, k); p && !(p[strlen(k)] >= '0' && p[strlen(k)] <= '9');)
		p = strstr(p + 1, k);
	cr_assert(p, "no numeric %s after %s in %s", k, sec, r.out);
	v = strtoull(p + strlen(k), NULL, 10);
	cmd_result_free(&r);
	return v;
}

/* A file holding one number (pids.current, memory.current). */
static uint64_t cg_u64(const struct ctr *c, const char *file)
{
	char buf[64];

	cg_read(c, file, buf, sizeof(buf));
	cr_assert(buf[0] >= '0' && buf[0] <= '9', "%s/%s: \"%s\"", c->id, file, buf);
	return strtoull(buf, NULL, 10);
}

/* Entries of a JSON array of numbers ("[12,13]"). */
static int json_count_pids(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s >= '0' && *s <= '9' && !(s[1] >= '0' && s[1] <= '9');
	return n;
}

static bool log_has(const struct ctr *c, const char *text)
{
	char buf[8192];
	FILE *f = fopen(c->log, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static void wait_log(const struct ctr *c, const char *text, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10 && !log_has(c, text); i++)
		usleep(100000);
	cr_assert(log_has(c, text), "%s never printed \"%s\"", c->id, text);
}

static void state_is(const struct ctr *c, const char *status)
{
	struct cmd_result r;
	char want[64];

	slx(&r, c, NULL, "state %s", c->id);
	cr_assert_eq(r.status, 0, "state %s: %s", c->id, r.err);
	snprintf(want, sizeof(want), "\"%s\"", status);
	cr_assert(strstr(r.out, want), "%s is not %s: %s", c->id, status, r.out);
	cmd_result_free(&r);
}

static double now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Kill and delete; the container's cgroup must be gone afterwards. */
static void ctr_remove(struct ctr *c)
{
	struct cmd_result r;

	slx(&r, c, NULL, "kill --all %s KILL", c->id);
	cmd_result_free(&r);
	slx(&r, c, NULL, "delete --force %s", c->id);
	cr_assert_eq(r.status, 0, "delete --force %s: %s", c->id, r.err);
	cmd_result_free(&r);
	cr_assert_not(cg_exists(c), "cgroup of %s left behind", c->id);
	bundle_remove(&c->b);
}

Test(cgroup_limits, memory_max_oom_kills_the_allocator)
{
	struct ctr c;
	struct cmd_result r;
	char max[64];

	/* busybox tail keeps its whole input when it holds no newline. */
	ctr_start(&c, "oom", "head -c 104857600 /dev/zero | tail; echo tail=$?; exec sleep 1000",
		  "{\"memory\":{\"limit\":33554432}}");
	wait_log(&c, "tail=", 90);
	cr_assert(log_has(&c, "tail=137"), "the allocator was not SIGKILLed");
	cg_read(&c, "memory.max", max, sizeof(max));
	cr_assert_str_eq(max, "33554432\n");
	cr_assert_geq(cg_key(&c, "memory.events", "oom_kill"), 1);
	cr_assert_geq(stats_of(&c, "raw", "oom_kill"), 1);
	cr_assert_eq(stats_of(&c, "memory", "limit"), 33554432);

	/* A process exec'd into the container is held by the same limit. */
	slx(&r, &c, NULL, "exec %s sh -c 'head -c 104857600 /dev/zero | tail'", c.id);
	cr_assert_eq(r.status, 137, "exec'd allocator: status %d, %s", r.status, r.err);
	cmd_result_free(&r);
	cr_assert_geq(cg_key(&c, "memory.events", "oom_kill"), 2);
	ctr_remove(&c);
}

Test(cgroup_limits, pids_max_holds_a_fork_bomb)
{
	struct ctr c;
	uint64_t current;

	/* The subshell dies at the first refused fork; its sleeps stay. */
	ctr_start(&c, "bomb",
		  "(i=0; while [ $i -lt 60 ]; do sleep 1000 & i=$((i+1)); done) 2>/dev/null; "
		  "echo bomb=done; exec sleep 1000",
		  "{\"pids\":{\"limit\":20}}");
	wait_log(&c, "bomb=done", 90);
	current = stats_of(&c, "pids", "current");
	cr_assert_leq(current, 20, "pids.current %llu past pids.max", (unsigned long long)current);
	cr_assert_geq(current, 10, "the bomb hardly ran: %llu pids", (unsigned long long)current);
	cr_assert_eq(stats_of(&c, "pids", "limit"), 20);
	cr_assert_geq(cg_key(&c, "pids.events", "max"), 1, "no fork was refused");
	state_is(&c, "running");
	ctr_remove(&c);
}

Test(cgroup_limits, cpu_max_throttles_a_busy_loop)
{
	struct ctr c;
	char max[64];
	uint64_t use0, use1, thr0, thr1;
	double t0, t1;

	ctr_start(&c, "cpu", BUSY_LOOP, "{\"cpu\":{\"quota\":20000,\"period\":100000}}");
	cg_read(&c, "cpu.max", max, sizeof(max));
	cr_assert_str_eq(max, "20000 100000\n");
	usleep(300000);
	t0 = now_usec();
	use0 = cg_key(&c, "cpu.stat", "usage_usec");
	thr0 = stats_of(&c, "cpu", "throttledPeriods");
	sleep(2);
	use1 = cg_key(&c, "cpu.stat", "usage_usec");
	thr1 = stats_of(&c, "cpu", "throttledPeriods");
	t1 = now_usec();
	cr_assert_gt(use1, use0, "the loop did not run");
	cr_assert_gt(thr1, thr0, "never throttled");
	/* 20% of one cpu allowed; a full core would be about 100%. */
	cr_assert_lt((double)(use1 - use0), 0.6 * (t1 - t0), "used %llu usec of %.0f",
		     (unsigned long long)(use1 - use0), t1 - t0);
	ctr_remove(&c);
}

/* /dev/kmsg (c 1:11) takes writes without capabilities: only the device
 * filter can refuse them.  The container makes its own node (CAP_MKNOD; the
 * standard rules allow mknod of anything) so no linux.devices entry, which
 * slxrun allows as runc does, is involved. */
#define DENY_ALL_BUT_NULL_ZERO                                                                     \
	"{\"allow\":false,\"access\":\"rwm\"},"                                                    \
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"              \
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rwm\"}"
#define ALLOW_KMSG_WRITE                                                                           \
	",{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":11,\"access\":\"w\"}"
#define KMSG_NODE                                                                                  \
	",\"devices\":[{\"path\":\"/dev/kmsg\",\"type\":\"c\",\"major\":1,\"minor\":11,"           \
	"\"fileMode\":438}]"
#define KMSG_SCRIPT                                                                                \
	"echo x > /dev/null && echo null=ok; head -c 4 /dev/zero | wc -c; "                        \
	"mknod /dev/kmsg2 c 1 11 && echo '<7>slx-vm' > /dev/kmsg2 && echo kmsg=written || echo "   \
	"kmsg=refused"

static struct cmd_result run_device_script(const char *id, const char *script, const char *rules,
					   const char *extra_linux)
{
	struct bundle b;
	struct cmd_result r;
	char args[1024], extra[1024];

	snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
	snprintf(extra, sizeof(extra), ",\"resources\":{\"devices\":[%s]}%s", rules,
		 extra_linux ? extra_linux : "");
	bundle_make(&b, args, NULL, NULL, extra);
	cmd_run(
	    &r, NULL, 60,
	    "sed -i 's/\"CAP_AUDIT_WRITE\"/\"CAP_AUDIT_WRITE\",\"CAP_MKNOD\"/g' %s/config.json && "
	    "%s --root %s run -b %s %s",
	    b.dir, slxrun_bin(), b.root, b.dir, id);
	bundle_remove(&b);
	return r;
}

Test(cgroup_limits, device_filter_denies_what_it_does_not_allow)
{
	struct cmd_result r =
	    run_device_script("dev-deny", KMSG_SCRIPT, DENY_ALL_BUT_NULL_ZERO, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "null=ok\n4\nkmsg=refused\n", "stdout: %s, stderr: %s", r.out,
			 r.err);
	/* mknod went through; the open for writing was refused. */
	cr_assert(strstr(r.err, "can't create /dev/kmsg2: Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);

	/* The same node with a rule allowing writes: the filter was the refusal. */
	r = run_device_script("dev-allow", KMSG_SCRIPT, DENY_ALL_BUT_NULL_ZERO ALLOW_KMSG_WRITE,
			      NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "null=ok\n4\nkmsg=written\n", "stdout: %s, stderr: %s", r.out,
			 r.err);
	cmd_result_free(&r);
}

/* linux.devices makes the node; linux.resources.devices says whether it
 * opens, as runc (every listed node was allowed after the rules, so a
 * config that denied it wrote the host's kernel log). */
Test(cgroup_limits, the_rules_decide_for_the_nodes_linux_devices_creates)
{
	struct cmd_result r =
	    run_device_script("dev-node", "echo '<7>slx-vm' > /dev/kmsg && echo kmsg=written",
			      DENY_ALL_BUT_NULL_ZERO, KMSG_NODE);

	cr_assert_neq(r.status, 0, "a denied node was written: %s", r.out);
	cr_assert(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	r = run_device_script("dev-node-ok", "echo '<7>slx-vm' > /dev/kmsg && echo kmsg=written",
			      DENY_ALL_BUT_NULL_ZERO ALLOW_KMSG_WRITE, KMSG_NODE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "kmsg=written\n", "stderr: %s", r.err);
	cmd_result_free(&r);
}

Test(cgroup_limits, pause_freezes_and_resume_thaws)
{
	struct ctr c;
	uint64_t a, b, after;
	struct cmd_result r;

	ctr_start(&c, "frz", BUSY_LOOP, "{\"pids\":{\"limit\":10}}");
	slx(&r, &c, NULL, "pause %s", c.id);
	cr_assert_eq(r.status, 0, "pause: %s", r.err);
	cmd_result_free(&r);
	state_is(&c, "paused");
	cr_assert_eq(cg_key(&c, "cgroup.events", "frozen"), 1);
	a = stats_of(&c, "cpu", "total");
	usleep(800000);
	b = stats_of(&c, "cpu", "total");
	cr_assert_eq(a, b, "a frozen loop ran %llu ns", (unsigned long long)(b - a));

	slx(&r, &c, NULL, "resume %s", c.id);
	cr_assert_eq(r.status, 0, "resume: %s", r.err);
	cmd_result_free(&r);
	state_is(&c, "running");
	cr_assert_eq(cg_key(&c, "cgroup.events", "frozen"), 0);
	usleep(500000);
	after = stats_of(&c, "cpu", "total");
	cr_assert_gt(after, b, "the loop did not run again after resume");
	ctr_remove(&c);
}

Test(cgroup_limits, kill_all_ends_processes_outside_a_pid_namespace)
{
	struct ctr c;
	struct cmd_result r;
	char procs[1024] = "";

	/* Without a pid namespace, a signal to pid 1 alone would leave the
	 * sleeps running: only --all reaches them. */
	ctr_start_ns(
	    &c, "killall", "sleep 1000 & sleep 1000 & sleep 1000 & echo spawned; wait",
	    ",\"resources\":{\"pids\":{\"limit\":10}}",
	    "[{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"}]");
	wait_log(&c, "spawned", 30);
	cr_assert_eq(cg_u64(&c, "pids.current"), 4);
	slx(&r, &c, NULL, "ps --format json %s", c.id);
	cr_assert_eq(r.status, 0, "ps: %s", r.err);
	cr_assert_eq(json_count_pids(r.out), 4, "ps: %s", r.out);
	cmd_result_free(&r);
	slx(&r, &c, NULL, "kill --all %s KILL", c.id);
	cr_assert_eq(r.status, 0, "kill --all: %s", r.err);
	cmd_result_free(&r);
	for (int i = 0; i < 100; i++) {
		cg_read(&c, "cgroup.procs", procs, sizeof(procs));
		if (!procs[0])
			break;
		usleep(100000);
	}
	cr_assert_str_empty(procs, "still in the cgroup: %s", procs);
	state_is(&c, "stopped");
	slx(&r, &c, NULL, "delete %s", c.id);
	cr_assert_eq(r.status, 0, "delete: %s", r.err);
	cmd_result_free(&r);
	cr_assert_not(cg_exists(&c), "delete left the cgroup");
	bundle_remove(&c.b);
}

Test(cgroup_limits, update_changes_limits_of_a_running_container)
{
	struct ctr c;
	struct cmd_result r;
	char buf[64];

	ctr_start(&c, "upd", "exec sleep 1000",
		  "{\"memory\":{\"limit\":33554432},\"pids\":{\"limit\":20}}");
	slx(&r, &c, NULL, "update --memory 64M --pids-limit 50 %s", c.id);
	cr_assert_eq(r.status, 0, "update flags: %s", r.err);
	cmd_result_free(&r);
	cg_read(&c, "memory.max", buf, sizeof(buf));
	cr_assert_str_eq(buf, "67108864\n");
	cg_read(&c, "pids.max", buf, sizeof(buf));
	cr_assert_str_eq(buf, "50\n");

	slx(&r, &c,
	    "{\"memory\":{\"limit\":100663296},\"pids\":{\"limit\":70},"
	    "\"cpu\":{\"quota\":50000,\"period\":100000}}",
	    "update --resources - %s", c.id);
	cr_assert_eq(r.status, 0, "update --resources -: %s", r.err);
	cmd_result_free(&r);
	cg_read(&c, "memory.max", buf, sizeof(buf));
	cr_assert_str_eq(buf, "100663296\n");
	cg_read(&c, "pids.max", buf, sizeof(buf));
	cr_assert_str_eq(buf, "70\n");
	cg_read(&c, "cpu.max", buf, sizeof(buf));
	cr_assert_str_eq(buf, "50000 100000\n");
	cr_assert_eq(stats_of(&c, "memory", "limit"), 100663296);
	state_is(&c, "running");
	slx(&r, &c, NULL, "exec %s cat /proc/self/cgroup", c.id);
	cr_assert_eq(r.status, 0, "exec: %s", r.err);
	{
		char want[300];

		snprintf(want, sizeof(want), "0::/slxrun/%s\n", strrchr(c.b.dir, '/') + 1);
		cr_assert_str_eq(r.out, want);
	}
	cmd_result_free(&r);
	ctr_remove(&c);
}

Test(cgroup_limits, events_stats_report_real_growing_counters)
{
	struct ctr c;
	uint64_t a, b;

	ctr_start(&c, "stats", BUSY_LOOP, "{\"memory\":{\"limit\":67108864}}");
	usleep(300000);
	a = stats_of(&c, "cpu", "total");
	usleep(800000);
	b = stats_of(&c, "cpu", "total");
	cr_assert_gt(b, a, "cpu usage did not grow: %llu", (unsigned long long)a);
	cr_assert_gt(stats_of(&c, "memory", "usage"), 0);
	cr_assert_eq(stats_of(&c, "pids", "current"), cg_u64(&c, "pids.current"));
	cr_assert_geq(stats_of(&c, "pids", "current"), 1);
	ctr_remove(&c);
}
