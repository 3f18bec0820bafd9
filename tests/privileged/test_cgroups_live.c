/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroups_live.c -- cgroups/ on this host's cgroup2 hierarchy (root):
 * create/destroy, freeze, kill, stats, the eBPF device filter and apply
 * errors; each test removes what it made. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/fsutil.h"

/* --- live: this host's cgroup2 ---------------------------------------- */

/* One test's live state, undone by the suite's fini even when an assertion
 * ends the test early. */
static struct {
	char base[256]; /* our top directory under the unified root */
	struct cg_handle h;
	pid_t child;
	bool undo_root_hugetlb; /* we turned hugetlb on in the root's subtree_control */
} cgt = {.h = {.dirfd = -1}, .child = -1};

static void cgt_rmdir_tree(const char *path)
{
	char sub[512];
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		cgt_rmdir_tree(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

static void cgt_cleanup(void)
{
	if (cgt.child > 0) {
		kill(cgt.child, SIGKILL);
		waitpid(cgt.child, NULL, 0);
	}
	cg_handle_release(&cgt.h);
	if (cgt.base[0])
		cgt_rmdir_tree(cgt.base);
	if (cgt.undo_root_hugetlb) {
		int fd = open(cg_unified_root(), O_RDONLY | O_DIRECTORY);

		(void)slx_write_file_at(fd, "cgroup.subtree_control", "-hugetlb", 8, NULL);
		close(fd);
	}
}

static void cgt_setup(void)
{
	cr_assert_not_null(cg_unified_root(), "this host has no cgroup2 mount");
	snprintf(cgt.base, sizeof(cgt.base), "%s/slxrun-test-%d", cg_unified_root(), (int)getpid());
}

TestSuite(cg_live, .init = cgt_setup, .fini = cgt_cleanup);

static bool cgt_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Create "<base>/<leaf>" through cg_create. */
static void cgt_create(const char *leaf, const struct oci_resources *res)
{
	struct slx_err err = {0};
	char rel[300];

	snprintf(rel, sizeof(rel), "%s/%s", cgt.base + strlen(cg_unified_root()) + 1, leaf);
	cr_assert_eq(cg_create(rel, res, &cgt.h, &err), 0, "%s", err.msg);
}

/* A child spinning on the CPU, started inside the cgroup by clone3 with
 * CLONE_INTO_CGROUP, the way the runtime starts containers. */
static void cgt_spawn_busy(void)
{
	struct clone_args args = {
	    .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgt.h.dirfd};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	cr_assert_geq(pid, 0, "clone3: %s", strerror(errno));
	if (pid == 0)
		for (volatile unsigned long i = 0;; i++)
			;
	cgt.child = (pid_t)pid;
}

Test(cg_live, create_then_destroy_leaves_nothing)
{
	struct slx_err err = {0};
	char *leaf;

	cgt_create("a/b", NULL);
	cr_assert(cgt.h.created);
	cr_assert_geq(cgt.h.dirfd, 0);
	cr_assert(cgt_exists(cgt.h.path));
	cr_assert(cgt_exists(cgt.base));
	leaf = strdup(cgt.h.path);
	cr_assert_eq(cg_destroy(&cgt.h, &err), 0, "%s", err.msg);
	cr_assert_not(cgt_exists(leaf), "%s still exists", leaf);
	cr_assert_eq(cgt.h.dirfd, -1);
	cr_assert_null(cgt.h.path);
	cr_assert_eq(cg_destroy(&cgt.h, &err), 0, "destroying twice is fine");
	free(leaf);
}

Test(cg_live, failed_create_removes_what_it_made)
{
	struct slx_err err = {0};
	char rel[600];

	/* "cgroup.procs" is a file, so the mkdir below it fails after the
	 * parents were made. */
	snprintf(rel, sizeof(rel), "%s/p/cgroup.procs/x", cgt.base + strlen(cg_unified_root()) + 1);
	cr_assert_eq(cg_create(rel, NULL, &cgt.h, &err), -1);
	cr_assert(strstr(err.msg, "linux.cgroupsPath: mkdir"), "%s", err.msg);
	cr_assert_eq(cgt.h.dirfd, -1);
	cr_assert_not(cgt_exists(cgt.base), "%s was left behind", cgt.base);
}

Test(cg_live, open_names_a_missing_cgroup)
{
	struct slx_err err = {0};

	cr_assert_eq(cg_open(cgt.base, &cgt.h, &err), -1);
	cr_assert_eq(err.errnum, ENOENT);
	cr_assert(strstr(err.msg, cgt.base), "%s", err.msg);
	cr_assert_eq(cgt.h.dirfd, -1);
}

Test(cg_live, freeze_thaw_and_kill_a_busy_child)
{
	struct slx_err err = {0};
	bool frozen = true;
	pid_t *pids = NULL;
	size_t n = 0;
	char events[256];
	int status;

	cgt_create("c", NULL);
	cgt_spawn_busy();
	cr_assert_eq(cg_pids(&cgt.h, &pids, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 1);
	cr_assert_eq(pids[0], cgt.child);
	free(pids);

	cr_assert_eq(cg_freeze(&cgt.h, true, &err), 0, "%s", err.msg);
	cr_assert_geq(cg_read_at(cgt.h.dirfd, "cgroup.events", events, sizeof(events)), 0);
	cr_assert(strstr(events, "frozen 1"), "%s", events);
	cr_assert_eq(cg_is_frozen(&cgt.h, &frozen, &err), 0, "%s", err.msg);
	cr_assert(frozen);
	cr_assert_eq(cg_freeze(&cgt.h, false, &err), 0, "%s", err.msg);
	cr_assert_eq(cg_is_frozen(&cgt.h, &frozen, &err), 0, "%s", err.msg);
	cr_assert_not(frozen);

	cr_assert_eq(cg_kill_all(&cgt.h, SIGKILL, &err), 0, "%s", err.msg);
	cr_assert_eq(waitpid(cgt.child, &status, 0), cgt.child);
	cgt.child = -1;
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(cg_destroy(&cgt.h, &err), 0, "%s", err.msg);
}

Test(cg_live, kill_with_another_signal_goes_per_pid)
{
	struct slx_err err = {0};
	int status;

	cgt_create("t", NULL);
	cgt_spawn_busy();
	cr_assert_eq(cg_kill_all(&cgt.h, SIGTERM, &err), 0, "%s", err.msg);
	cr_assert_eq(waitpid(cgt.child, &status, 0), cgt.child);
	cgt.child = -1;
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

Test(cg_live, destroy_kills_what_is_still_running)
{
	struct slx_err err = {0};
	char path[512];
	int status;

	cgt_create("d", NULL);
	snprintf(path, sizeof(path), "%s", cgt.h.path);
	cgt_spawn_busy();
	cr_assert_eq(cg_destroy(&cgt.h, &err), 0, "%s", err.msg);
	cr_assert_eq(waitpid(cgt.child, &status, 0), cgt.child);
	cgt.child = -1;
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_not(cgt_exists(path));
}

Test(cg_live, cpu_usage_grows_for_a_busy_child)
{
	struct slx_err err = {0};
	struct cg_stats a, b;
	int tries = 0;

	cgt_create("s", NULL);
	cr_assert_eq(cg_stats_read(cgt.h.dirfd, &a, &err), 0, "%s", err.msg);
	cr_assert(a.have_cpu);
	cgt_spawn_busy();
	do {
		usleep(20000);
		cr_assert_eq(cg_stats_read(cgt.h.dirfd, &b, &err), 0, "%s", err.msg);
	} while (b.cpu_usage_usec <= a.cpu_usage_usec && ++tries < 250);
	cr_assert_gt(b.cpu_usage_usec, a.cpu_usage_usec);
	cr_assert_geq(b.cpu_usage_usec, b.cpu_user_usec);
	cr_assert_eq(b.have_memory, (cg_available_controllers() & CG_CTRL_MEMORY) != 0);
}

/* Child: wait for the go byte, then report which opens the filter let
 * through as exit-code bits: 1 /dev/null rw, 2 /dev/zero r, 4 /dev/kmsg r,
 * 8 /dev/null r; 64 means an open failed with something but EPERM. */
static int cgt_probe_devices(int go)
{
	static const struct {
		const char *path;
		int flags, bit;
	} probes[] = {
	    {"/dev/null", O_RDWR, 1},
	    {"/dev/zero", O_RDONLY, 2},
	    {"/dev/kmsg", O_RDONLY | O_NONBLOCK, 4},
	    {"/dev/null", O_RDONLY, 8},
	};
	char c;
	int bits = 0;

	if (read(go, &c, 1) != 1)
		return 64;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int fd = open(probes[i].path, probes[i].flags);

		if (fd >= 0) {
			bits |= probes[i].bit;
			close(fd);
		} else if (errno != EPERM) {
			bits |= 64;
		}
	}
	return bits;
}

/* Run the probe child inside the cgroup (moved there through cgroup.procs),
 * return its exit code. */
static int cgt_probe_in_cgroup(void)
{
	struct slx_err err = {0};
	int go[2], status;
	char pid[16];

	cr_assert_eq(pipe(go), 0);
	cgt.child = fork();
	cr_assert_geq(cgt.child, 0);
	if (cgt.child == 0) {
		close(go[1]);
		_exit(cgt_probe_devices(go[0]));
	}
	close(go[0]);
	snprintf(pid, sizeof(pid), "%d", (int)cgt.child);
	cr_assert_eq(slx_write_file_at(cgt.h.dirfd, "cgroup.procs", pid, strlen(pid), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	cr_assert_eq(waitpid(cgt.child, &status, 0), cgt.child);
	cgt.child = -1;
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(cg_live, device_filter_denies_all_but_null)
{
	struct oci_device_cgroup rules[] = {
	    {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
	    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = NULL},
	};
	struct slx_err err = {0};

	cgt_create("dev", NULL);
	cr_assert_eq(cg_devices_attach(cgt.h.dirfd, rules, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(cgt_probe_in_cgroup(), 1 | 8, "only /dev/null may open");
}

Test(cg_live, device_filter_last_match_wins_and_update_replaces)
{
	struct oci_device_cgroup rules[] = {
	    {.allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
	    {.allow = false, .type = 'c', .major = 1, .minor = 3, .access = "w"},
	};
	struct slx_err err = {0};

	cgt_create("dev2", NULL);
	cr_assert_eq(cg_devices_attach(cgt.h.dirfd, rules, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(cgt_probe_in_cgroup(), 2 | 4 | 8, "deny w refuses O_RDWR on null only");
	/* A second attach replaces the first rather than stacking on it. */
	cr_assert_eq(cg_devices_attach(cgt.h.dirfd, rules, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(cgt_probe_in_cgroup(), 1 | 2 | 4 | 8);
}

Test(cg_live, apply_deny_all_keeps_the_default_devices)
{
	struct oci_device_cgroup deny = {
	    .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
	struct oci_resources res = {.present = true, .devices = &deny, .n_devices = 1};
	struct slx_err err = {0};

	cgt_create("dev3", &res);
	cr_assert_eq(cg_devices_apply(cgt.h.dirfd, res.devices, res.n_devices, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(cgt_probe_in_cgroup(), 1 | 2 | 8, "null and zero stay, kmsg goes");
}

Test(cg_live, apply_errors_name_field_and_file)
{
	struct oci_resources res = {.present = true};
	struct slx_err err = {0};

	if (cg_available_controllers() & CG_CTRL_MEMORY)
		cr_skip_test("memory controller present: nothing to refuse");
	cgt_create("ap", NULL);
	res.memory.limit = (struct oci_opt_i64){true, 1 << 20};
	cr_assert_eq(cg_resources_apply(&cgt.h, &res, &err), -1);
	cr_assert_str_eq(
	    err.msg, "linux.resources.memory.limit: write memory.max: No such file or directory");
}

Test(cg_live, hugetlb_limit_is_delegated_and_written)
{
	struct oci_hugepage_limit hp = {.page_size = "2MB", .limit = 4 << 21};
	struct oci_resources res = {
	    .present = true, .hugepage_limits = &hp, .n_hugepage_limits = 1};
	struct slx_err err = {0};
	char root_ctl[256], val[64], want[64];
	int rootfd;

	if (!(cg_available_controllers() & CG_CTRL_HUGETLB) ||
	    !cgt_exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
		cr_skip_test("no 2MB hugetlb controller in cgroup v2 here");
	rootfd = open(cg_unified_root(), O_RDONLY | O_DIRECTORY);
	cr_assert_geq(cg_read_at(rootfd, "cgroup.subtree_control", root_ctl, sizeof(root_ctl)), 0);
	close(rootfd);
	cgt.undo_root_hugetlb = strstr(root_ctl, "hugetlb") == NULL;
	cgt_create("hp/leaf", &res);
	cr_assert_eq(cg_resources_apply(&cgt.h, &res, &err), 0, "%s", err.msg);
	cr_assert_geq(cg_read_at(cgt.h.dirfd, "hugetlb.2MB.max", val, sizeof(val)), 0);
	snprintf(want, sizeof(want), "%llu\n", (unsigned long long)hp.limit);
	cr_assert_str_eq(val, want);
}
