/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroups.c -- cgroups/: path rules, conversions and validation as pure
 * logic, and the stats and apply file formats against a scratch directory.
 * The live hierarchy is tests/privileged/test_cgroups_live.c. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/fsutil.h"

/* --- pure: path resolution ------------------------------------------- */

static char *cgt_resolve(const char *path, bool systemd)
{
	struct slx_err err = {0};
	char *out = NULL;

	cr_assert_eq(cg_resolve_path(path, "ctr1", systemd, &out, &err), 0, "%s: %s", path,
		     err.msg);
	return out;
}

static void cgt_resolve_fails(const char *path, bool systemd, const char *want)
{
	struct slx_err err = {0};
	char *out = NULL;

	cr_assert_eq(cg_resolve_path(path, "ctr1", systemd, &out, &err), -1, "%s", path);
	cr_assert_null(out);
	cr_assert(strstr(err.msg, want), "%s: got \"%s\"", path, err.msg);
}

#define CGT_RESOLVES(in, systemd, want)                                                            \
	do {                                                                                       \
		char *got_ = cgt_resolve(in, systemd);                                             \
		cr_assert_str_eq(got_, want, "%s", in);                                            \
		free(got_);                                                                        \
	} while (0)

Test(cg_path, absolute_paths_are_taken_under_the_root)
{
	CGT_RESOLVES("/a/b", false, "a/b");
	CGT_RESOLVES("//a//b/", false, "a/b");
	CGT_RESOLVES(NULL, false, "slxrun/ctr1");
	CGT_RESOLVES("", false, "slxrun/ctr1");
}

Test(cg_path, relative_paths_go_under_our_own_cgroup)
{
	char buf[4096], want[4200], *self;
	FILE *f = fopen("/proc/self/cgroup", "r");

	cr_assert_not_null(f);
	while ((self = fgets(buf, sizeof(buf), f)) && strncmp(self, "0::", 3))
		;
	fclose(f);
	cr_assert_not_null(self);
	self[strcspn(self, "\n")] = '\0';
	self += 3;
	while (*self == '/')
		self++;
	snprintf(want, sizeof(want), "%s%sfoo/bar", self, *self ? "/" : "");
	CGT_RESOLVES("foo/bar", false, want);
}

Test(cg_path, systemd_form_maps_to_slices_and_scopes)
{
	CGT_RESOLVES("system.slice:docker:abc", true, "system.slice/docker-abc.scope");
	CGT_RESOLVES("a-b-c.slice:p:n", true, "a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	CGT_RESOLVES("-.slice:p:n", true, "p-n.scope");
	CGT_RESOLVES(":p:n", true, "system.slice/p-n.scope");
	CGT_RESOLVES("user.slice::n", true, "user.slice/n.scope");
	CGT_RESOLVES("", true, "system.slice/slxrun-ctr1.scope");
	CGT_RESOLVES("kubepods.slice:cri:kubepods-pod1.slice", true,
		     "kubepods.slice/kubepods-pod1.slice");
}

Test(cg_path, bad_paths_name_linux_cgroups_path)
{
	cgt_resolve_fails("/a/../b", false, "linux.cgroupsPath: \"/a/../b\": \".\" and \"..\"");
	cgt_resolve_fails("..", false, "linux.cgroupsPath");
	cgt_resolve_fails("/a\nb", false, "linux.cgroupsPath: contains a newline");
	cgt_resolve_fails("/", false, "names the root cgroup");
	cgt_resolve_fails("system.slice", true, "expected \"slice:prefix:name\"");
	cgt_resolve_fails("system.slice:p:", true, "empty unit name");
	cgt_resolve_fails("foo:p:n", true, "is not a slice name");
	cgt_resolve_fails("a--b.slice:p:n", true, "invalid slice name");
	cgt_resolve_fails("system.slice:p:a/b", true, "invalid unit name");
}

/* --- pure: conversions ---------------------------------------------- */

Test(cg_convert, cpu_shares_to_weight_matches_runc)
{
	static const uint64_t table[][2] = {
	    {2, 1}, {1024, 39}, {512, 20}, {262144, 10000}, {1, 1}, {300000, 10000},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		cr_assert_eq(cg_cpu_shares_to_weight(table[i][0]), table[i][1], "shares %lu",
			     (unsigned long)table[i][0]);
	cr_assert_eq(cg_io_weight_from_blkio(10), 1);
	cr_assert_eq(cg_io_weight_from_blkio(1000), 10000);
}

Test(cg_convert, swap_is_memsw_minus_memory)
{
	static const int64_t ok[][3] = {
	    /* swap, limit, v2 */
	    {-1, 1000, -1},	{0, -1, -1},	 {0, 1000, 0},
	    {3000, 1000, 2000}, {1000, 1000, 0}, {-1, -1, -1},
	};
	struct slx_err err = {0};
	int64_t out;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(cg_swap_v1_to_v2(ok[i][0], ok[i][1], &out, &err), 0, "%s", err.msg);
		cr_assert_eq(out, ok[i][2], "swap %ld limit %ld", (long)ok[i][0], (long)ok[i][1]);
	}
	cr_assert_eq(cg_swap_v1_to_v2(500, 1000, &out, &err), -1);
	cr_assert_str_eq(err.msg, "linux.resources.memory.swap: memory+swap (500) must not be "
				  "below the memory limit (1000)");
	cr_assert_eq(cg_swap_v1_to_v2(500, 0, &out, &err), -1);
	cr_assert(strstr(err.msg, "needs a memory limit"), "%s", err.msg);
}

/* --- pure: validation ----------------------------------------------- */

static void cgt_invalid(const struct oci_resources *res, unsigned avail, const char *want)
{
	struct slx_err err = {0};

	cr_assert_eq(cg_resources_validate(res, avail, &err), -1, "expected: %s", want);
	cr_assert_str_eq(err.msg, want);
}

Test(cg_validate, hybrid_host_refuses_memory_limit)
{
	struct oci_resources res = {.present = true};

	res.memory.present = true;
	res.memory.limit = (struct oci_opt_i64){true, 64 << 20};
	cgt_invalid(&res, 0,
		    "linux.resources.memory: the memory controller is not available in cgroup v2 "
		    "on this host");
	cr_assert_eq(cg_resources_validate(&res, CG_CTRL_MEMORY, NULL), 0);
	res.memory.limit.v = 0;
	cgt_invalid(&res, CG_CTRL_MEMORY,
		    "linux.resources.memory.limit: must be positive or -1 (unlimited), got 0");
}

Test(cg_validate, each_section_names_its_controller)
{
	struct oci_resources res = {.present = true};
	struct oci_hugepage_limit hp = {.page_size = "2MB", .limit = 1};

	res.pids.limit = (struct oci_opt_i64){true, 10};
	cgt_invalid(
	    &res, CG_CTRL_MEMORY,
	    "linux.resources.pids: the pids controller is not available in cgroup v2 on this host");
	res.pids.limit.set = false;
	res.cpu.cpus = "0-1";
	cgt_invalid(&res, CG_CTRL_CPU,
		    "linux.resources.cpu.cpus: the cpuset controller is not available in cgroup v2 "
		    "on this host");
	res.cpu.cpus = NULL;
	res.hugepage_limits = &hp;
	res.n_hugepage_limits = 1;
	cgt_invalid(&res, 0,
		    "linux.resources.hugepageLimits: the hugetlb controller is not available in "
		    "cgroup v2 on this host");
	cr_assert_eq(cg_resources_validate(&res, CG_CTRL_HUGETLB, NULL), 0);
	hp.page_size = "2M";
	cgt_invalid(&res, CG_CTRL_HUGETLB,
		    "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not like \"2MB\"");
}

Test(cg_validate, cpu_values_follow_the_kernel)
{
	struct oci_resources res = {.present = true};
	unsigned all = CG_CTRL_CPU | CG_CTRL_CPUSET;

	res.cpu.quota = (struct oci_opt_i64){true, 50000};
	cgt_invalid(&res, all, "linux.resources.cpu.quota: a quota needs a period");
	res.cpu.period = (struct oci_opt_u64){true, 100000};
	cr_assert_eq(cg_resources_validate(&res, all, NULL), 0);
	cgt_invalid(
	    &res, 0,
	    "linux.resources.cpu: the cpu controller is not available in cgroup v2 on this host");
	res.cpu.shares = (struct oci_opt_u64){true, 1};
	cgt_invalid(&res, all, "linux.resources.cpu.shares: 1 is outside [2, 262144]");
	res.cpu.shares.v = 262145;
	cgt_invalid(&res, all, "linux.resources.cpu.shares: 262145 is outside [2, 262144]");
}

Test(cg_validate, unified_keys_are_controller_dot_file)
{
	static const struct {
		const char *key, *msg;
	} bad[] = {
	    {"memory", "linux.resources.unified: \"memory\": expected \"<controller>.<file>\""},
	    {"memory/../x.max",
	     "linux.resources.unified: \"memory/../x.max\": expected \"<controller>.<file>\""},
	    {"memory..max",
	     "linux.resources.unified: \"memory..max\": expected \"<controller>.<file>\""},
	    {"memory.m ax",
	     "linux.resources.unified: \"memory.m ax\": expected \"<controller>.<file>\""},
	    {"memory.max\n",
	     "linux.resources.unified: \"memory.max\\n\": expected \"<controller>.<file>\""},
	    {"foo.bar", "linux.resources.unified: foo.bar: unknown controller \"foo\""},
	    {"cgroup.procs", "linux.resources.unified: cgroup.procs: managed by the runtime"},
	    {"memory.max", "linux.resources.unified: memory.max: the memory controller is not "
			   "available in cgroup v2 on this host"},
	};
	struct oci_kv kv = {.value = "1"};
	struct oci_resources res = {.present = true, .unified = {&kv, 1}};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kv.key = (char *)bad[i].key;
		cgt_invalid(&res, CG_CTRL_CPU, bad[i].msg);
	}
	kv.key = "memory.max";
	cr_assert_eq(cg_resources_validate(&res, CG_CTRL_MEMORY, NULL), 0);
	kv.key = "cgroup.max.depth";
	cr_assert_eq(cg_resources_validate(&res, 0, NULL), 0);
}

Test(cg_validate, device_rules_need_no_controller)
{
	struct oci_device_cgroup dev = {
	    .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
	struct oci_resources res = {.present = true, .devices = &dev, .n_devices = 1};

	cr_assert_eq(cg_resources_validate(&res, 0, NULL), 0);
	dev.access = "rwx";
	cgt_invalid(&res, 0,
		    "linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\"");
}

/* --- file formats, against a scratch directory standing in for a cgroup -- */

static char cgt_dir[64];

static void cgt_dir_cleanup(void)
{
	DIR *d = cgt_dir[0] ? opendir(cgt_dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] != '.')
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	if (cgt_dir[0])
		(void)rmdir(cgt_dir);
}

TestSuite(cg_files, .fini = cgt_dir_cleanup);

/* A scratch dir holding `files` (name, content) pairs; returns its fd. */
static int cgt_fake_cgroup(const char *const files[][2], size_t n)
{
	int fd;

	snprintf(cgt_dir, sizeof(cgt_dir), "/tmp/slxrun-cgtest-XXXXXX");
	cr_assert_not_null(mkdtemp(cgt_dir));
	fd = open(cgt_dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < n; i++) {
		int f = openat(fd, files[i][0], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		cr_assert_geq(f, 0);
		cr_assert_eq(write(f, files[i][1], strlen(files[i][1])),
			     (ssize_t)strlen(files[i][1]));
		close(f);
	}
	return fd;
}

Test(cg_files, stats_parse_every_counter)
{
	static const char *const files[][2] = {
	    {"cpu.stat", "usage_usec 300\nuser_usec 200\nsystem_usec 100\nnr_periods 7\n"
			 "nr_throttled 2\nthrottled_usec 50\nnr_bursts 0\n"},
	    {"memory.current", "4096\n"},
	    {"memory.max", "max\n"},
	    {"memory.swap.current", "0\n"},
	    {"memory.stat", "anon 10\nfile 20\nkernel 30\nkernel_stack 5\nanon_thp 99\n"},
	    {"memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n"},
	    {"pids.current", "3\n"},
	    {"pids.max", "64\n"},
	    {"io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
			"8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n"},
	    {"cpu.pressure", "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
			     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"},
	    {"memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"
				"full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"},
	};
	int fd = cgt_fake_cgroup(files, sizeof(files) / sizeof(files[0]));
	struct slx_err err = {0};
	struct cg_stats st;

	cr_assert_eq(cg_stats_read(fd, &st, &err), 0, "%s", err.msg);
	close(fd);
	cr_assert(st.have_cpu && st.have_memory && st.have_pids && st.have_io && st.have_psi);
	cr_assert_eq(st.cpu_usage_usec, 300);
	cr_assert_eq(st.cpu_system_usec, 100);
	cr_assert_eq(st.cpu_nr_throttled, 2);
	cr_assert_eq(st.cpu_throttled_usec, 50);
	cr_assert_eq(st.memory_current, 4096);
	cr_assert_eq(st.memory_max, UINT64_MAX);
	cr_assert_eq(st.memory_anon, 10);
	cr_assert_eq(st.memory_file, 20);
	cr_assert_eq(st.memory_kernel, 30);
	cr_assert_eq(st.memory_events_max, 4);
	cr_assert_eq(st.memory_events_oom, 2);
	cr_assert_eq(st.memory_events_oom_kill, 1);
	cr_assert_eq(st.pids_current, 3);
	cr_assert_eq(st.pids_max, 64);
	cr_assert_eq(st.io_rbytes, 101);
	cr_assert_eq(st.io_wbytes, 202);
	cr_assert_eq(st.io_rios, 4);
	cr_assert_eq(st.io_wios, 6);
	cr_assert_float_eq(st.psi_cpu_some.avg10, 1.5, 1e-9);
	cr_assert_eq(st.psi_cpu_some.total_usec, 12345);
	cr_assert_eq(st.psi_memory_some.total_usec, 7);
	cr_assert_eq(st.psi_memory_full.total_usec, 5);
	cr_assert_eq(st.psi_io_some.total_usec, 0, "io.pressure was absent");
}

Test(cg_files, absent_files_leave_have_flags_false)
{
	static const char *const files[][2] = {{"cpu.stat", "usage_usec 1\n"}};
	int fd = cgt_fake_cgroup(files, 1);
	struct slx_err err = {0};
	struct cg_stats st;

	cr_assert_eq(cg_stats_read(fd, &st, &err), 0, "%s", err.msg);
	close(fd);
	cr_assert(st.have_cpu);
	cr_assert_not(st.have_memory || st.have_pids || st.have_io || st.have_psi);
	cr_assert_eq(st.cpu_usage_usec, 1);
}

static void cgt_expect_file(int fd, const char *name, const char *want)
{
	char buf[128];

	cr_assert_geq(cg_read_at(fd, name, buf, sizeof(buf)), 0, "%s missing", name);
	cr_assert_str_eq(buf, want, "%s", name);
}

Test(cg_files, apply_writes_what_runc_writes)
{
	static const char *const files[][2] = {
	    {"memory.max", ""},	     {"memory.low", ""},  {"memory.swap.max", ""},
	    {"cpu.weight", ""},	     {"cpu.max", ""},	  {"cpuset.cpus", ""},
	    {"pids.max", ""},	     {"io.weight", ""},	  {"io.max", ""},
	    {"hugetlb.2MB.max", ""}, {"memory.high", ""},
	};
	struct oci_throttle_device rbps = {.major = 8, .minor = 0, .rate = 1048576};
	struct oci_hugepage_limit hp = {.page_size = "2MB", .limit = 2097152};
	struct oci_kv kv = {.key = "memory.high", .value = "1000000"};
	struct oci_resources res = {
	    .present = true, .hugepage_limits = &hp, .n_hugepage_limits = 1, .unified = {&kv, 1}};
	struct cg_handle h = {.dirfd = cgt_fake_cgroup(files, sizeof(files) / sizeof(files[0]))};
	struct slx_err err = {0};

	res.memory.limit = (struct oci_opt_i64){true, -1};
	res.memory.reservation = (struct oci_opt_i64){true, 1024};
	res.memory.swap = (struct oci_opt_i64){true, -1};
	res.cpu.shares = (struct oci_opt_u64){true, 1024};
	res.cpu.quota = (struct oci_opt_i64){true, 50000};
	res.cpu.period = (struct oci_opt_u64){true, 100000};
	res.cpu.cpus = "0-1";
	res.pids.limit = (struct oci_opt_i64){true, 0};
	res.block_io.weight = (struct oci_opt_u64){true, 500};
	res.block_io.throttle_read_bps = &rbps;
	res.block_io.n_throttle_read_bps = 1;
	cr_assert_eq(cg_resources_apply(&h, &res, &err), 0, "%s", err.msg);
	cgt_expect_file(h.dirfd, "memory.max", "max");
	cgt_expect_file(h.dirfd, "memory.low", "1024");
	cgt_expect_file(h.dirfd, "memory.swap.max", "max");
	cgt_expect_file(h.dirfd, "cpu.weight", "39");
	cgt_expect_file(h.dirfd, "cpu.max", "50000 100000");
	cgt_expect_file(h.dirfd, "cpuset.cpus", "0-1");
	cgt_expect_file(h.dirfd, "pids.max", "max");
	cgt_expect_file(h.dirfd, "io.weight", "4950"); /* 1 + (500 - 10) * 9999 / 990 */
	cgt_expect_file(h.dirfd, "io.max", "8:0 rbps=1048576");
	cgt_expect_file(h.dirfd, "hugetlb.2MB.max", "2097152");
	cgt_expect_file(h.dirfd, "memory.high", "1000000");
	close(h.dirfd);
}

Test(cg_files, apply_converts_swap_against_the_limit)
{
	static const char *const files[][2] = {{"memory.max", ""}, {"memory.swap.max", ""}};
	struct cg_handle h = {.dirfd = cgt_fake_cgroup(files, 2)};
	struct oci_resources res = {.present = true};
	struct slx_err err = {0};

	res.memory.limit = (struct oci_opt_i64){true, 1000};
	res.memory.swap = (struct oci_opt_i64){true, 1000};
	cr_assert_eq(cg_resources_apply(&h, &res, &err), 0, "%s", err.msg);
	cgt_expect_file(h.dirfd, "memory.max", "1000");
	cgt_expect_file(h.dirfd, "memory.swap.max", "0");
	res.memory.swap.v = 500;
	cr_assert_eq(cg_resources_apply(&h, &res, &err), -1);
	cr_assert(strstr(err.msg, "linux.resources.memory.swap"), "%s", err.msg);
	close(h.dirfd);
}
