/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_state_safety.c -- attacks on what the runtime writes and reads around a
 * container: planted temp-file symlinks, concurrent verbs, oversized inputs,
 * runaway hooks, shell injection through `ps`, reserved ids, many fds. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/harness.h"

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "open %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

Test(state_safety, planted_pid_file_tmp_symlink_is_not_followed)
{
	struct bundle b;
	struct cmd_result r;
	char victim[600], pidfile[600], tmp[700], *text;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(victim, sizeof(victim), "%s/victim", b.dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", b.dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	write_text(victim, "precious\n");
	cr_assert_eq(symlink(victim, tmp), 0);
	cmd_run(&r, NULL, 30, "%s --root %s run --pid-file %s -b %s t1", slxrun_bin(), b.root,
		pidfile, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(slurp(victim), "precious\n", "the victim was written through %s", tmp);
	text = slurp(pidfile);
	cr_assert(text && atoi(text) > 0, "pid file holds '%s'", text ? text : "(missing)");
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A refusal of cmd: non-zero, one line containing each of expect[], and the
 * state root and cgroups as they were. */
static void expect_refused(struct bundle *b, const char *cmd, const char *const *expect)
{
	struct leftovers before, after;
	struct cmd_result r;

	leftovers_take(b, &before);
	cmd_run(&r, NULL, 60, "%s", cmd);
	cr_assert_neq(r.status, 0, "accepted: %s", r.out);
	for (; *expect; expect++)
		cr_assert(strstr(r.err, *expect), "expected '%s' in: %s", *expect, r.err);
	cr_assert_eq(count_lines(r.err), 1, "not one line: %s", r.err);
	leftovers_take(b, &after);
	cr_assert(leftovers_equal(&before, &after), "left behind: [%s] [%s] %d/%d", after.cgroups,
		  after.states, before.mounts, after.mounts);
	cmd_result_free(&r);
}

/* Append n bytes of JSON whitespace: the document stays valid, only big. */
static void pad_file(const char *path, size_t n)
{
	static char spaces[65536];
	FILE *f = fopen(path, "a");

	cr_assert(f, "open %s", path);
	memset(spaces, ' ', sizeof(spaces));
	for (size_t off = 0; off < n; off += sizeof(spaces))
		cr_assert_eq(fwrite(spaces, 1, sizeof(spaces), f), sizeof(spaces));
	cr_assert_eq(fclose(f), 0);
}

Test(state_safety, oversized_config_json_is_refused_by_name)
{
	struct bundle b;
	char path[600], cmd[2048];

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(path, sizeof(path), "%s/config.json", b.dir);
	pad_file(path, 16 << 20);
	snprintf(cmd, sizeof(cmd), "%s --root %s create -b %s big", slxrun_bin(), b.root, b.dir);
	expect_refused(&b, cmd, (const char *[]){"config.json", "larger than 4 MiB", NULL});
	bundle_remove(&b);
}

Test(state_safety, oversized_process_json_is_refused_by_name)
{
	struct bundle b;
	struct cmd_result r;
	char path[600], cmd[2048];

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s px", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(path, sizeof(path), "%s/process.json", b.dir);
	write_text(path, "{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}");
	pad_file(path, 16 << 20);
	snprintf(cmd, sizeof(cmd), "%s --root %s exec --process %s px", slxrun_bin(), b.root, path);
	expect_refused(&b, cmd, (const char *[]){"process.json", "larger than 4 MiB", NULL});
	bundle_force_delete(&b, "px");
	bundle_remove(&b);
}

Test(state_safety, ps_arguments_never_reach_a_shell)
{
	struct bundle b;
	struct cmd_result r;
	char marker[600];

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	snprintf(marker, sizeof(marker), "%s/injected", b.dir);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s ps1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	/* Closes the quote the old code wrapped each argument in. */
	cmd_run(&r, NULL, 30, "%s --root %s ps ps1 -- \"-o\" \"pid,comm';touch %s;'\"",
		slxrun_bin(), b.root, marker);
	cr_assert_neq(access(marker, F_OK), 0, "an argument of ps ran a shell command");
	cmd_result_free(&r);
	/* Arguments still reach ps, one each: the container's sleep is listed. */
	cmd_run(&r, NULL, 30, "%s --root %s ps ps1 -- -o pid,args", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "PID") && strstr(r.out, "sleep 30"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "ps1");
	bundle_remove(&b);
}

/* pid 1 names itself "x) Z y": its /proc stat line then holds ") Z " inside
 * comm, which a zombie test over the whole line took for the state field,
 * so the container looked stopped and kill, pause and exec refused it. */
Test(state_safety, a_pid_1_named_like_a_zombie_still_runs)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"printf \\\"x) Z y\\\" > /proc/self/comm; "
		    "while :; do sleep 1; done\"]",
		    NULL, NULL, NULL);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s zc", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "sleep 0.3; %s --root %s state zc", slxrun_bin(), b.root);
	cr_expect(strstr(r.out, "\"running\""), "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s kill zc KILL", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "kill refused: %s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "zc");
	bundle_remove(&b);
}

Test(state_safety, id_shims_is_reserved_for_the_shim_registry)
{
	struct bundle b;
	char cmd[2048];

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "%s --root %s run -b %s shims", slxrun_bin(), b.root, b.dir);
	expect_refused(&b, cmd, (const char *[]){"container id shims", "reserved", NULL});
	bundle_remove(&b);
}

/* run --preserve-fds N with fds 3..N+2 open: does the container see fd N+2? */
static struct cmd_result run_preserving(struct bundle *b, int n)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30,
		"busybox sh -c 'for i in $(seq 3 %d); do eval \"exec $i</dev/null\"; done; "
		"exec %s --root %s run --preserve-fds %d -b %s pf'",
		n + 2, slxrun_bin(), b->root, n, b->dir);
	return r;
}

Test(state_safety, preserve_fds_beyond_33_reach_the_container)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"ls /proc/self/fd | grep -qx 42 && echo seen\"]",
		    NULL, NULL, NULL);
	r = run_preserving(&b, 40);
	cr_assert_eq(r.status, 0, "fd 42 not in the container: %s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "seen\n");
	cmd_result_free(&r);
	r = run_preserving(&b, -1);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "--preserve-fds"), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Pids whose argv is exactly { "sleep", marker }; with kill, SIGKILL them. */
static int sleepers(const char *marker, bool kill_them)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	cr_assert(d);
	while ((e = readdir(d))) {
		char path[300], argv[256] = {0};
		size_t n;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		n = fread(argv, 1, sizeof(argv) - 1, f);
		fclose(f);
		if (n > 6 && !strcmp(argv, "sleep") && !strcmp(argv + 6, marker)) {
			found++;
			if (kill_them)
				kill(atoi(e->d_name), SIGKILL);
		}
	}
	closedir(d);
	return found;
}

/* Give config.json a top-level member `member` (JSON, no comma). */
static void config_add_member(const struct bundle *b, const char *member)
{
	char *open = NULL;

	cr_assert(asprintf(&open, "{%s,", member) > 0);
	bundle_config_replace(b, "{", open);
	free(open);
}

/* create with one prestart hook `args` (timeout 1 s) must fail within a
 * generous bound, naming the hook and its timeout, leaving no `sleep marker`. */
static void hook_times_out(const char *args, const char *marker, const char *member)
{
	struct bundle b;
	char hooks[2048], cmd[2048];
	struct timespec t0, t1;
	double secs;

	snprintf(hooks, sizeof(hooks),
		 ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/sh\",\"args\":%s,\"timeout\":1}]}",
		 args);
	bundle_make(&b, "[\"/bin/true\"]", NULL, hooks, NULL);
	if (member)
		config_add_member(&b, member);
	snprintf(cmd, sizeof(cmd), "%s --root %s create -b %s hk", slxrun_bin(), b.root, b.dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(&b, cmd, (const char *[]){"hook prestart[0]", "timed out after 1 s", NULL});
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	usleep(200 * 1000); /* a SIGKILLed orphan needs a moment to be reaped */
	cr_expect_eq(sleepers(marker, true), 0, "the hook's `sleep %s` outlived it", marker);
	cr_expect_lt(secs, 10.0, "create took %.1f s with a 1 s hook timeout", secs);
	bundle_remove(&b);
}

Test(state_safety, hook_that_forks_and_sleeps_is_killed_whole_on_timeout)
{
	hook_times_out("[\"sh\",\"-c\",\"sleep 99.4711 & sleep 99.4711\"]", "99.4711", NULL);
}

Test(state_safety, hook_that_never_reads_a_big_state_still_times_out)
{
	/* An annotation bigger than a pipe's buffer (64 KiB): writing the state
	 * blocks until the hook reads, which this one never does. */
	static char big[300 * 1024];
	static char member[sizeof(big) + 64];

	memset(big, 'a', sizeof(big) - 1);
	snprintf(member, sizeof(member), "\"annotations\":{\"big\":\"%s\"}", big);
	hook_times_out("[\"sh\",\"-c\",\"exec sleep 99.4712\"]", "99.4712", member);
}

/* Two `slxrun delete FLAGS ID` at once; their stderr and "rc=N" lines. */
static struct cmd_result delete_twice(const struct bundle *b, const char *flags, const char *id)
{
	struct cmd_result r;

	cmd_run(
	    &r, NULL, 60,
	    "(%s --root %s delete %s %s; echo rc=$?) & (%s --root %s delete %s %s; echo rc=$?); "
	    "wait",
	    slxrun_bin(), b->root, flags, id, slxrun_bin(), b->root, flags, id);
	return r;
}

static int count_str(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* The poststop hook widens the window between reading the state and removing
 * it, and counts teardowns in <bundle>/poststop. */
static void bundle_with_poststop(struct bundle *b, const char *args)
{
	char hooks[1024];

	bundle_make(b, args, NULL, NULL, NULL);
	snprintf(hooks, sizeof(hooks),
		 "\"hooks\":{\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		 "\"echo x >> %s/poststop; sleep 0.3\"]}]}",
		 b->dir);
	config_add_member(b, hooks);
}

Test(state_safety, two_concurrent_deletes_serialize)
{
	struct bundle b;
	struct leftovers before, after;
	struct cmd_result r;
	char path[600];

	bundle_with_poststop(&b, "[\"/bin/true\"]");
	leftovers_take(&b, &before);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s d1 && sleep 0.3", slxrun_bin(), b.root,
		b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	r = delete_twice(&b, "", "d1");
	cr_assert_eq(count_str(r.out, "rc=0"), 1, "not exactly one delete succeeded: %s|%s", r.out,
		     r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "container d1 does not exist"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/poststop", b.dir);
	cr_assert_str_eq(slurp(path), "x\n", "poststop ran other than once");
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after), "left behind: [%s] [%s]", after.cgroups,
		  after.states);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(state_safety, two_concurrent_force_deletes_of_a_running_container)
{
	struct bundle b;
	struct leftovers before, after;
	struct cmd_result r;
	char path[600];

	bundle_with_poststop(&b, "[\"/bin/sleep\",\"30\"]");
	leftovers_take(&b, &before);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s d2", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	r = delete_twice(&b, "--force", "d2");
	/* runc: forcing the delete of a container that is gone succeeds. */
	cr_assert_eq(count_str(r.out, "rc=0"), 2, "%s|%s", r.out, r.err);
	cr_assert_str_eq(r.err, "");
	snprintf(path, sizeof(path), "%s/poststop", b.dir);
	cr_assert_str_eq(slurp(path), "x\n", "poststop ran other than once");
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after), "left behind: [%s] [%s]", after.cgroups,
		  after.states);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A stopped container's cgroup is empty, so another container may take it
 * (the same id under another --root, or the same cgroupsPath); deleting the
 * stopped one then killed the other: its delete wrote cgroup.kill.  With a
 * pid namespace of its own, every process of a stopped container died with
 * its pid 1, so delete only removes the cgroup when empty (runc's way) and
 * `kill --all` says it is not running. */
Test(state_safety, deleting_a_stopped_container_spares_the_one_now_in_its_cgroup)
{
	struct bundle b;
	struct cmd_result r;
	char root2[320];

	bundle_make(&b, "[\"/bin/sleep\",\"1\"]", NULL, NULL, NULL);
	snprintf(root2, sizeof(root2), "%s/state2", b.dir);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s run -d -b %3$s same && i=0; until %1$s --root %2$s state same | "
		"grep -q '\"stopped\"'; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done",
		slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "the first container did not stop: %s", r.err);
	cmd_result_free(&r);
	bundle_config_replace(&b, "[\"/bin/sleep\",\"1\"]", "[\"/bin/sleep\",\"30\"]");
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s same", slxrun_bin(), root2, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s kill --all same KILL", slxrun_bin(), b.root);
	cr_expect_neq(r.status, 0, "kill --all of a stopped container succeeded");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete same", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s state same", slxrun_bin(), root2);
	cr_expect(strstr(r.out, "\"running\""), "the other container: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete -f same", slxrun_bin(), root2);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* No state directory of id is left under b's root. */
static void expect_no_state(const struct bundle *b, const char *id)
{
	char path[640];

	snprintf(path, sizeof(path), "%s/%s", b->root, id);
	cr_expect_neq(access(path, F_OK), 0, "the state directory %s was left", path);
}

/* A `create` killed before it wrote state.json (a caller's timeout during a
 * createRuntime hook) left its state directory and its cgroup: the id could
 * not be used again ("container with id exists"), `delete --force` said 0
 * and removed nothing.  Now delete removes what such a create left. */
/* b: a bundle whose createRuntime hook sleeps secs; `create ID` of it is
 * started in the background and caught in that hook (its cgroup, cg, made):
 * the create's pid is in <b->dir>/pid. */
static void create_in_hook(struct bundle *b, const char *id, const char *secs, char *cg, size_t len)
{
	struct cmd_result r;
	char hooks[256];

	snprintf(hooks, sizeof(hooks),
		 ",\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\","
		 "\"%s\"]}]}",
		 secs);
	bundle_make(b, "[\"/bin/true\"]", NULL, hooks, NULL);
	snprintf(cg, len, "%s/slxrun/%s", cgroup2_root(), strrchr(b->dir, '/') + 1);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s create -b %3$s %5$s > %3$s/create.out 2>&1 & echo $! > %3$s/pid; "
		"i=0; until [ -d %4$s ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.05; done",
		slxrun_bin(), b->root, b->dir, cg, id);
	cr_assert_eq(r.status, 0, "the create was not caught in its hook: %s", r.err);
	cmd_result_free(&r);
}

/* A delete removed state.json first and the rest after, holding the lock:
 * a verb in between took the container for one being created (`delete
 * --force` said so and failed, where it waited and said 0 before; an
 * attacker's review, the window widened by strace).  state.json goes last,
 * after config.json, and a verb meeting the delete waits for it. */
Test(state_safety, a_container_being_deleted_is_never_said_to_be_created)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s create -b %3$s gone && %1$s --root %2$s start gone && sleep 0.3 && "
	    "{ strace -f -o /dev/null -e inject=unlinkat:delay_exit=700000 %1$s --root %2$s "
	    "delete gone & } && for i in $(seq 15); do sleep 0.2; %1$s --root %2$s state gone "
	    "2>&1 | grep 'being created'; done; %1$s --root %2$s delete --force gone && wait",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_empty(r.out, "while it was deleted: %s", r.out);
	cmd_result_free(&r);
	expect_no_state(&b, "gone");
	bundle_remove(&b);
}

/* With fewer fds open than --preserve-fds N counts, the runtime's own took
 * the free numbers below 3+N, which the first process keeps: the state
 * directory's lock (so `start`, waiting on it, never came: the container
 * stuck until killed by hand), the host cgroup's directory and the device
 * filter (an attacker's review).  Only the caller's own fds are preserved. */
Test(state_safety, preserve_fds_pass_only_the_callers_fds_never_the_runtimes)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"ls -l /proc/self/fd/ | grep -c -- '->' \"]", NULL,
		    NULL, NULL);
	cmd_run(&r, NULL, 30,
		"cd %1$s && busybox sh -c 'exec 3</dev/null; exec %2$s --root %3$s create "
		"--preserve-fds 5 pf' </dev/null >/dev/null 2>%1$s/create.err && "
		"ls -l /proc/$(cat %3$s/pf/state.json | sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/')/fd/ "
		"| grep -o -- '-> .*' | sort",
		b.dir, slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_null(strstr(r.out, b.root), "the state directory (its lock) is held: %s", r.out);
	cr_expect_null(strstr(r.out, "/sys/fs/cgroup"), "a host cgroup directory: %s", r.out);
	cr_expect_null(strstr(r.out, "bpf"), "the device filter: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "timeout 5 %s --root %s start pf", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "start: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "timeout 10 %s --root %s delete --force pf", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "delete: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Kill that create (a caller's timeout) and wait until it has exited: its
 * lock goes with it. */
static void create_kill(const struct bundle *b)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30,
		"p=$(cat %s/pid); kill -9 $p; i=0; while [ -e /proc/$p ] && "
		"[ \"$(cut -d' ' -f3 /proc/$p/stat)\" != Z ]; do i=$((i+1)); [ $i -lt 200 ] || "
		"exit 1; sleep 0.05; done",
		b->dir);
	cr_assert_eq(r.status, 0, "the create outlived SIGKILL: %s", r.err);
	cmd_result_free(&r);
}

Test(state_safety, what_a_killed_create_left_is_deleted_and_the_id_reused)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	create_in_hook(&b, "half", "29.5", cg, sizeof(cg));
	create_kill(&b);
	cmd_run(&r, NULL, 10, "[ -d %s/half ]", b.root);
	cr_assert_eq(r.status, 0, "the killed create left no state directory");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force half", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "half");
	cr_expect_neq(access(cg, F_OK), 0, "the cgroup %s was left", cg);
	bundle_config_replace(&b,
			      ",\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/sleep\","
			      "\"args\":[\"sleep\",\"29.5\"]}]}",
			      "");
	cmd_run(&r, NULL, 10, "pkill -x -f 'sleep 29.5'; true"); /* the killed create's hook */
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s half", slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "the id could not be used again: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* While a create runs its createRuntime hooks it holds the container's
 * lock: `kill`, `delete` and `delete --force` waited for it (for ever,
 * with a hook that never ends), while `state` said the container did not
 * exist.  The runtime spec has such a container "creating", and a kill or
 * delete of one is an error at once: each verb now says so in one line,
 * and once the create is gone (a caller's timeout kills it) `delete
 * --force` removes what it left. */
Test(state_safety, a_container_being_created_is_said_so_at_once_by_every_verb)
{
	static const char *const verbs[] = {
	    "state busy",	   "kill busy",		  "delete busy",
	    "delete --force busy", "start busy",	  "ps busy",
	    "events --stats busy", "exec busy /bin/true", "pause busy"};
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	create_in_hook(&b, "busy", "29.6", cg, sizeof(cg));
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cmd_run(&r, NULL, 30, "timeout 5 %s --root %s %s", slxrun_bin(), b.root, verbs[i]);
		cr_expect(r.status != 0 && r.status != 124, "%s: status %d", verbs[i], r.status);
		cr_expect(strstr(r.err, "container busy is being created") &&
			      count_lines(r.err) == 1,
			  "%s: %s", verbs[i], r.err);
		cmd_result_free(&r);
	}
	create_kill(&b);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force busy", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "busy");
	cr_expect_neq(access(cg, F_OK), 0, "the cgroup %s was left", cg);
	cmd_run(&r, NULL, 10, "pkill -x -f 'sleep 29.6'; true"); /* the killed create's hook */
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A namespace path naming a FIFO hung `create` in open(2) for ever,
 * holding its id; now it is refused at once, by field. */
Test(state_safety, a_namespace_path_that_is_a_fifo_is_refused_not_waited_on)
{
	struct bundle b;
	struct cmd_result r;
	char ns[400];

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(ns, sizeof(ns), "%s/fifo", b.dir);
	cr_assert_eq(mkfifo(ns, 0600), 0);
	bundle_config_replace(&b, "{\"type\":\"uts\"}", "{\"type\":\"uts\",\"path\":\"FIFO\"}");
	bundle_config_replace(&b, "FIFO", ns);
	cmd_run(&r, NULL, 10, "%s --root %s run -b %s ff", slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "fifo is not a namespace"), "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "ff");
	bundle_remove(&b);
}

/* `start` held the container's lock while its first process ran the
 * startContainer hooks: one that never ends (they run in the container,
 * from its rootfs, chosen by the bundle) made `kill` and `delete --force`
 * wait on the lock for ever.  The lock is not held across that wait. */
Test(state_safety, a_start_hook_that_never_ends_leaves_the_container_killable)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", NULL,
		    ",\"hooks\":{\"startContainer\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		    "\"sleep 1000\"]}]}",
		    NULL);
	cmd_run(&r, NULL, 30, "%1$s --root %2$s create -b %3$s hk", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	/* start, in the background, until its process is in the hook */
	cmd_run(&r, NULL, 30,
		"{ %1$s --root %2$s start hk 2>/dev/null & } && i=0; until %1$s --root %2$s ps hk "
		"2>/dev/null | grep -q 'sleep 1000'; do i=$((i+1)); [ $i -lt 200 ] || exit 1; "
		"sleep 0.05; done",
		slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "the startContainer hook never ran: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "timeout 10 %s --root %s kill hk KILL", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "kill waited on start: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "timeout 10 %s --root %s delete --force hk", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "delete waited on start: %s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "hk");
	bundle_remove(&b);
}

/* The poststart hooks ran under the lock `start` takes again after the
 * process runs: one that never ends (they run on the host, chosen by the
 * bundle) made `kill` and `delete --force` wait for it (an attacker's
 * review).  The lock is let go before them, as `run` does. */
Test(state_safety, a_poststart_hook_that_never_ends_leaves_the_container_deletable)
{
	struct bundle b;
	struct cmd_result r;
	char mark[600];

	bundle_make(&b, "[\"/bin/sleep\",\"1000\"]", NULL,
		    ",\"hooks\":{\"poststart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		    "\"echo $$ > HOOKPID; exec sleep 997\"]}]}",
		    NULL);
	snprintf(mark, sizeof(mark), "%s/hook.pid", b.dir);
	bundle_config_replace(&b, "HOOKPID", mark);
	cmd_run(&r, NULL, 30, "%1$s --root %2$s create -b %3$s ph", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30,
		"{ %1$s --root %2$s start ph >/dev/null 2>&1 & } && i=0; "
		"until [ -s %3$s ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; done",
		slxrun_bin(), b.root, mark);
	cr_assert_eq(r.status, 0, "the poststart hook never ran: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "timeout 10 %s --root %s delete --force ph", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "delete waited on the poststart hook: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "kill $(cat %s); true", mark);
	cmd_result_free(&r);
	expect_no_state(&b, "ph");
	bundle_remove(&b);
}

/* A foreground `run` held (Ctrl-Z; SIGSTOP here) while its container
 * ended, was deleted and its id created again: woken, it deleted the new
 * container's state and left its process running, untracked (an
 * attacker's review).  It removes only the container it ran. */
Test(state_safety, a_woken_foreground_run_leaves_a_new_container_of_its_id_alone)
{
	struct bundle b;
	struct cmd_result r;
	char pid[32] = "";

	bundle_make(&b, "[\"/bin/sleep\",\"1\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30,
		"setsid %1$s --root %2$s run -b %3$s rr </dev/null >/dev/null 2>&1 & p=$!; i=0; "
		"until %1$s --root %2$s state rr 2>/dev/null | grep -q '\"running\"'; do "
		"i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.02; done; kill -STOP $p; echo $p",
		slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(pid, sizeof(pid), "%s", r.out);
	pid[strcspn(pid, "\n")] = '\0';
	cmd_result_free(&r);
	sleep(2);
	cmd_run(&r, NULL, 30, "%s --root %s delete rr", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "the stopped container: %s", r.err);
	cmd_result_free(&r);
	bundle_config_replace(&b, "\"1\"]", "\"1000\"]");
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s create -b %3$s rr </dev/null >/dev/null 2>&1 && kill -CONT %4$s && "
	    "i=0; while kill -0 %4$s 2>/dev/null; do i=$((i+1)); [ $i -lt 200 ] || exit 1; "
	    "sleep 0.05; done; %1$s --root %2$s state rr",
	    slxrun_bin(), b.root, b.dir, pid);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"created\""), "the new rr is still there: %s %s", r.out, r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "rr");
	bundle_remove(&b);
}

/* Whether pid is a live process: not gone, not a zombie (a container's
 * pid 1 after `run -d` is the host init's to reap). */
static bool pid_runs(int pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* A state.json cut short (a full disk, a crash): `list` left the container
 * out without a word and `delete -f` failed on the parse, so its process
 * and cgroup ran on, no verb's to reach (an attacker's review).  `list`
 * names it now.  `delete -f` removes it by the cgroup its create made, as
 * a readable one's: with a pid namespace of its own only once that cgroup
 * is empty, since without state.json nothing tells its processes from
 * another container's that took the cgroup (the same id under another
 * --root: the first form of the fix killed that one, the review of it).
 * Here that other container holds the cgroup: it is not killed, and the
 * error says why; once it is gone the delete goes through. */
Test(state_safety, a_container_whose_state_is_cut_short_is_listed_and_deleted_by_force)
{
	struct bundle b;
	struct cmd_result r;
	char other[600];

	bundle_make(&b, "[\"/bin/sleep\",\"1000\"]", NULL, NULL, NULL);
	snprintf(other, sizeof(other), "%s-other", b.root);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s run -d -b %3$s cut </dev/null >/dev/null 2>&1 && "
		"%1$s --root %2$s kill cut KILL && sleep 0.3 && "
		"%1$s --root %4$s run -d -b %3$s cut </dev/null >/dev/null 2>&1 && "
		"%1$s --root %4$s state cut | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p' && "
		"truncate -s 40 %2$s/cut/state.json",
		slxrun_bin(), b.root, b.dir, other);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(atoi(r.out) > 0, "%s", r.out);
	{
		int pid = atoi(r.out);

		cmd_result_free(&r);
		cmd_run(&r, NULL, 30, "%s --root %s list", slxrun_bin(), b.root);
		cr_expect_eq(r.status, 0, "%s", r.err);
		cr_expect(strstr(r.err, "list: cut: "), "list names what it cannot read: %s",
			  r.err);
		cmd_result_free(&r);
		cmd_run(&r, NULL, 30, "%s --root %s delete -f cut", slxrun_bin(), b.root);
		cr_expect_neq(r.status, 0, "delete -f of the unreadable one, the cgroup another's");
		cr_expect(strstr(r.err, "may be another container's: not killed"), "%s", r.err);
		cmd_result_free(&r);
		cr_expect(pid_runs(pid), "the other container's process %d was killed", pid);
	}
	cmd_run(&r, NULL, 30,
		"%1$s --root %3$s delete -f cut && %1$s --root %2$s delete -f cut && "
		"%1$s --root %2$s list -q",
		slxrun_bin(), b.root, other);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "", "%s", r.out);
	cmd_result_free(&r);
	expect_no_state(&b, "cut");
	bundle_remove(&b);
}

/* Run `sleep 1000` as id in b, cut its state.json short, `delete -f` it:
 * the container's process must be gone and its state with it. */
static void cut_short_then_delete_force(struct bundle *b, const char *id)
{
	struct cmd_result r;
	int pid;

	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s run -d -b %3$s %4$s </dev/null >/dev/null && "
		"%1$s --root %2$s state %4$s | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p' && "
		"truncate -s 40 %2$s/%4$s/state.json",
		slxrun_bin(), b->root, b->dir, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pid = atoi(r.out);
	cr_assert(pid > 0, "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete -f %s", slxrun_bin(), b->root, id);
	cr_expect_eq(r.status, 0, "delete -f: %s", r.err);
	cmd_result_free(&r);
	cr_expect(!pid_runs(pid), "the container's process %d runs on", pid);
	expect_no_state(b, id);
	bundle_force_delete(b, id);
	bundle_remove(b);
}

/* A running container with a pid namespace of its own whose state.json is
 * cut short: its first process, recorded beside state.json at create
 * (pid1), still runs, so its cgroup is its own and `delete -f` kills it
 * (before pid1, nothing told it from another's: left running, and the
 * error said so; the review of that fix). */
Test(state_safety, a_running_container_whose_state_is_cut_short_goes_by_force)
{
	struct bundle b;

	bundle_make(&b, "[\"/bin/sleep\",\"1000\"]", NULL, NULL, NULL);
	cut_short_then_delete_force(&b, "rcut");
}

/* The same in the host's pid namespace (no pid namespace named): its
 * processes are the container's, killed as a readable state's would be
 * (the review of the fix: it took "none named" for one of its own, and
 * left them running). */
Test(state_safety, a_cut_short_container_in_the_hosts_pid_namespace_is_killed_by_force)
{
	struct bundle b;

	bundle_make_ns(&b, "[\"/bin/sleep\",\"1000\"]", NULL, NULL, NULL,
		       "[{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}]");
	cut_short_then_delete_force(&b, "hcut");
}

/* An id may start with a dot, and `list` skipped it: a running container
 * nobody saw. */
Test(state_safety, a_container_whose_id_starts_with_a_dot_is_listed)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30, "%1$s --root %2$s run -d -b %3$s .hidden && %1$s --root %2$s list -q",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, ".hidden\n");
	cmd_result_free(&r);
	bundle_force_delete(&b, ".hidden");
	bundle_remove(&b);
}

/* `delete images` took the image store (<root>/images: no state.json, its
 * lock free) for what a killed create left, and unlinked its index and
 * locks; the next prune removed every blob.  "images" is reserved like
 * "shims", and delete removes only a directory holding what a create
 * writes. */
Test(state_safety, delete_never_takes_the_image_store_or_a_foreign_directory)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 10,
		"mkdir -p %1$s/images %1$s/other && echo '{}' >%1$s/images/refs.json && "
		"echo x >%1$s/other/mine",
		b.root);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "%1$s --root %2$s delete images; %1$s --root %2$s delete -f images",
		slxrun_bin(), b.root);
	cr_expect(strstr(r.err, "reserved"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "%1$s --root %2$s delete other; %1$s --root %2$s delete -f other",
		slxrun_bin(), b.root);
	cr_expect(strstr(r.err, "not a container's state directory"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "[ -e %1$s/images/refs.json ] && [ -e %1$s/other/mine ]", b.root);
	cr_expect_eq(r.status, 0, "delete removed what was not a container's");
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Killed during a createContainer hook (run by the container's first
 * process) a create leaves that process and the hook in its cgroup: delete
 * said 0, removed the state directory and left them, tracked by nothing,
 * the id still refused.  Now delete refuses, naming --force, which kills
 * them and removes the rest. */
Test(state_safety, a_killed_creates_processes_go_with_delete_force)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	bundle_make(&b, "[\"/bin/true\"]", NULL,
		    ",\"hooks\":{\"createContainer\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\","
		    "\"300\"]}]}",
		    NULL);
	snprintf(cg, sizeof(cg), "%s/slxrun/%s", cgroup2_root(), strrchr(b.dir, '/') + 1);
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s create -b %3$s cc & p=$!; i=0; until grep -q . %4$s/cgroup.procs "
	    "2>/dev/null && [ $(wc -l <%4$s/cgroup.procs) -ge 2 ]; do i=$((i+1)); [ $i -lt 100 ] "
	    "|| exit 1; sleep 0.05; done; kill -9 $p; wait $p; [ -d %2$s/cc ]",
	    slxrun_bin(), b.root, b.dir, cg);
	cr_assert_eq(r.status, 0, "the create was not caught in its hook: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete cc", slxrun_bin(), b.root);
	cr_expect_neq(r.status, 0, "delete left the processes and said 0");
	cr_expect(strstr(r.err, "delete --force kills them"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force cc", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "cc");
	cr_expect_neq(access(cg, F_OK), 0, "the cgroup %s was left", cg);
	bundle_remove(&b);
}

/* The same killed create, whose first process then died too (the cgroup
 * emptied), and another container (another --root, the same cgroupsPath)
 * took the cgroup: delete --force killed it (the review of the
 * unreadable-state fix).  The first process is recorded once cloned
 * (pid1); gone, the cgroup's processes are not the create's, and are left,
 * the error saying why.  Once the other container is gone, the delete goes
 * through. */
Test(state_safety, a_killed_creates_delete_force_spares_a_container_that_took_its_cgroup)
{
	struct bundle b, o;
	struct cmd_result r;
	char cg[512], from[600], to[600];
	int pid;

	bundle_make(&b, "[\"/bin/true\"]", NULL,
		    ",\"hooks\":{\"createContainer\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\","
		    "\"300\"]}]}",
		    NULL);
	bundle_make(&o, "[\"/bin/sleep\",\"1000\"]", NULL, NULL, NULL);
	snprintf(from, sizeof(from), "\"/slxrun/%s\"", strrchr(o.dir, '/') + 1);
	snprintf(to, sizeof(to), "\"/slxrun/%s\"", strrchr(b.dir, '/') + 1);
	bundle_config_replace(&o, from, to);
	snprintf(cg, sizeof(cg), "%s/slxrun/%s", cgroup2_root(), strrchr(b.dir, '/') + 1);
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s create -b %3$s cc & p=$!; i=0; until grep -q . %4$s/cgroup.procs "
	    "2>/dev/null && [ $(wc -l <%4$s/cgroup.procs) -ge 2 ]; do i=$((i+1)); [ $i -lt 100 ] "
	    "|| exit 1; sleep 0.05; done; kill -9 $p; wait $p; kill -9 $(cat %4$s/cgroup.procs); "
	    "i=0; "
	    "while grep -q . %4$s/cgroup.procs; do i=$((i+1)); [ $i -lt 100 ] || exit 1; "
	    "sleep 0.05; done; %1$s --root %5$s run -d -b %6$s cc </dev/null >/dev/null && "
	    "%1$s --root %5$s state cc | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'",
	    slxrun_bin(), b.root, b.dir, cg, o.root, o.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pid = atoi(r.out);
	cr_assert(pid > 0, "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force cc", slxrun_bin(), b.root);
	cr_expect_neq(r.status, 0, "delete --force of the killed create, its cgroup another's");
	cr_expect(strstr(r.err, "may be another container's"), "%s", r.err);
	cmd_result_free(&r);
	cr_expect(pid_runs(pid), "the other container's process %d was killed", pid);
	cmd_run(&r, NULL, 30, "%1$s --root %2$s delete -f cc && %1$s --root %3$s delete --force cc",
		slxrun_bin(), o.root, b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "cc");
	bundle_remove(&o);
	bundle_remove(&b);
}

/* `start` took the end of its socket for the process's execve; a process
 * killed while its startContainer hooks ran ends the socket too, and start
 * said 0 (and ran the poststart hooks) for a process that never ran.  The
 * child now says when it goes on to execve. */
Test(state_safety, start_of_a_process_killed_in_its_hooks_fails)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", NULL,
		    ",\"hooks\":{\"startContainer\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		    "\"sleep 5\"]}]}",
		    NULL);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s create -b %3$s sk && { %1$s --root %2$s start sk; echo rc=$? "
		">%3$s/start.rc; } & sleep 1 && %1$s --root %2$s kill sk KILL && wait && "
		"cat %3$s/start.rc",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "rc=1\n", "start of a process that never ran: %s", r.out);
	cr_expect(strstr(r.err, "before it ran"), "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "sk");
	bundle_remove(&b);
}

/* What a killed create left names a cgroup in its config.json, but the
 * create may have died before it made one (waiting on a console socket),
 * and the cgroup named may be another's: delete --force killed everything
 * in it.  Only a cgroup the create marked as made is touched. */
Test(state_safety, a_killed_creates_leftovers_never_reach_a_cgroup_it_did_not_make)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(cg, sizeof(cg), "%s/slxtest-foreign-%d", cgroup2_root(), getpid());
	cmd_run(
	    &r, NULL, 10,
	    "mkdir -p %1$s && { sleep 300 & echo $! >%1$s/cgroup.procs; } && mkdir -p %2$s/hc && "
	    "sed 's|\"cgroupsPath\":\"[^\"]*\"|\"cgroupsPath\":\"/%3$s\"|' %4$s/config.json "
	    ">%2$s/hc/config.json",
	    cg, b.root, strrchr(cg, '/') + 1, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force hc", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	expect_no_state(&b, "hc");
	cmd_run(&r, NULL, 10, "grep -q . %s/cgroup.procs", cg);
	cr_expect_eq(r.status, 0, "the other cgroup's process was killed");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "echo 1 >%1$s/cgroup.kill; sleep 0.2; rmdir %1$s", cg);
	cmd_result_free(&r);
	bundle_remove(&b);
}
