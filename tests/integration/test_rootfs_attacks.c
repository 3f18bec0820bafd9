/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rootfs_attacks.c -- rootfs attacks as an image or a racing process
 * would try them: a cgroup mount reaching host cgroups, /proc and masked
 * paths as symlinks, a masked path swapped for a symlink during setup. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/harness.h"

#define RA_MOUNTS_BASE                                                                             \
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"                       \
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","                       \
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"                  \
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","                       \
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}"

/* A bundle with its own writable copy of the busybox rootfs (so the test can
 * plant links in it), the given mounts, namespaces and extra members. */
static void ra_bundle(struct bundle *b, const char *script, const char *mounts,
		      const char *namespaces, const char *extra_top, const char *extra_linux)
{
	struct cmd_result r;
	char path[512];
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "/tmp/slxtest-bundle-XXXXXX");
	cr_assert(mkdtemp(b->dir));
	snprintf(b->root, sizeof(b->root), "%s/state", b->dir);
	cmd_run(&r, NULL, 10, "cp -a %s/busybox/rootfs %s/rootfs && mkdir -p %s/rootfs/etc",
		examples_dir(), b->dir, b->dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f,
		"{\"ociVersion\":\"1.2.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
		"\"args\":[\"/bin/sh\",\"-c\",\"%s\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\","
		"\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
		"\"permitted\":[\"CAP_KILL\"]},\"noNewPrivileges\":true},"
		"\"root\":{\"path\":\"%s/rootfs\"},\"hostname\":\"slxtest\","
		"\"mounts\":[%s]%s,\"linux\":{\"namespaces\":%s,\"cgroupsPath\":\"/slxrun/%s\""
		"%s}}\n",
		script, b->dir, mounts, extra_top ? extra_top : "", namespaces,
		strrchr(b->dir, '/') + 1, extra_linux ? extra_linux : "");
	fclose(f);
}

static struct cmd_result ra_run(struct bundle *b)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30, "%s --root %s run -b %s ra1", slxrun_bin(), b->root, b->dir);
	return r;
}

static void ra_sh(struct bundle *b, const char *fmt, const char *arg)
{
	struct cmd_result r;
	char script[1024];

	snprintf(script, sizeof(script), fmt, b->dir, arg);
	cmd_run(&r, NULL, 10, "%s", script);
	cr_assert_eq(r.status, 0, "%s: %s", script, r.err);
	cmd_result_free(&r);
}

#define RA_NS "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"uts\"}"
#define RA_CGROUP_MOUNT                                                                            \
	",{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","          \
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\"]}"

/* A host cgroup with a live process in it, the attack's victim. */
struct ra_victim {
	char dir[256];
	pid_t pid;
};

static void ra_victim_make(struct ra_victim *v)
{
	char procs[300], buf[32];
	FILE *f;

	snprintf(v->dir, sizeof(v->dir), "%s/slxtest-victim-%d", cgroup2_root(), getpid());
	cr_assert(mkdir(v->dir, 0755) == 0 || access(v->dir, F_OK) == 0, "%s", v->dir);
	v->pid = fork();
	cr_assert_geq(v->pid, 0);
	if (v->pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", v->dir);
	f = fopen(procs, "w");
	cr_assert(f, "%s", procs);
	snprintf(buf, sizeof(buf), "%d", v->pid);
	fputs(buf, f);
	cr_assert_eq(fclose(f), 0);
}

static bool ra_victim_alive(struct ra_victim *v)
{
	bool alive = kill(v->pid, 0) == 0;

	kill(v->pid, SIGKILL);
	(void)waitpid(v->pid, NULL, 0);
	rmdir(v->dir);
	return alive;
}

Test(rootfs_attacks, cgroup_mount_without_cgroupns_shows_only_its_own_cgroup)
{
	struct bundle b;
	struct ra_victim v;
	struct cmd_result r;
	bool alive;

	ra_victim_make(&v);
	/* The attack: kill every cgroup the mount shows, then list what it showed. */
	ra_bundle(
	    &b,
	    "for k in $(find /sys/fs/cgroup -name cgroup.kill); do "
	    "case $k in /sys/fs/cgroup/cgroup.kill) ;; *) echo 1 > $k;; esac; done 2>/dev/null; "
	    "ls /sys/fs/cgroup; find /sys/fs/cgroup -type d; "
	    "echo 1 > /sys/fs/cgroup/cgroup.kill && echo WRITABLE; true",
	    RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS "]", NULL, NULL);
	r = ra_run(&b);
	alive = ra_victim_alive(&v);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(alive, "the container killed a host cgroup through its cgroup mount");
	cr_assert(strstr(r.out, "cgroup.procs"), "its own cgroup is visible: %s", r.out);
	cr_assert_null(strstr(r.out, "slxtest-victim"), "host cgroups visible: %s", r.out);
	cr_assert_null(strstr(r.out, "slxrun"), "host cgroups visible: %s", r.out);
	cr_assert_null(strstr(r.out, "WRITABLE"), "the cgroup mount is writable: %s", r.out);
	cr_assert_eq(count_lines(strstr(r.out, "/sys/fs/cgroup\n")), 1,
		     "only the container's own cgroup directory: %s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(rootfs_attacks, cgroup_mount_with_cgroupns_is_the_namespace_root)
{
	struct bundle b;
	struct cmd_result r;

	ra_bundle(&b,
		  "cat /proc/self/cgroup; ls /sys/fs/cgroup; grep ' /sys/fs/cgroup ' /proc/mounts",
		  RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	r = ra_run(&b);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "0::/\n"), "%s", r.out);
	cr_assert(strstr(r.out, "cgroup.procs"), "%s", r.out);
	cr_assert_null(strstr(r.out, "slxrun"), "host cgroups visible: %s", r.out);
	cr_assert(strstr(r.out, " /sys/fs/cgroup cgroup2 rw"), "%s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A container with a cgroup namespace and its cgroup mounted read-write
 * makes a chain of cgroups deeper than the runtime has descriptors (1,100
 * levels under `ulimit -n 1024`): the walks held one per level, so `ps`
 * failed and `delete -f` left the whole tree, under the cgroup path a
 * later container of the id takes (an attacker's review). */
Test(rootfs_attacks, a_cgroup_tree_deeper_than_the_open_files_limit_goes_whole)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	ra_bundle(
	    &b,
	    "cd /sys/fs/cgroup && i=0 && while [ $i -lt 1100 ]; do mkdir d && cd d || exit 1; "
	    "i=$((i+1)); done; touch /made; exec sleep 1000",
	    RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	snprintf(cg, sizeof(cg), "%s/slxrun/%s", cgroup2_root(), strrchr(b.dir, '/') + 1);
	cmd_run(
	    &r, NULL, 110,
	    "%1$s --root %2$s run -d -b %3$s deep </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -e %3$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 1800 ] || exit 1; sleep 0.05; "
	    "done; ulimit -n 1024; %1$s --root %2$s ps deep >/dev/null && "
	    "%1$s --root %2$s delete -f deep",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "ps and delete -f under 1,024 open files: %s", r.err);
	cmd_result_free(&r);
	cr_expect_neq(access(cg, F_OK), 0, "the container's cgroup tree was left: %s", cg);
	cmd_run(&r, NULL, 60,
		"%s --root %s delete -f deep 2>/dev/null; "
		"[ -d %s ] && find %s -depth -type d -exec rmdir {} + ; true",
		slxrun_bin(), b.root, cg, cg);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A container that may write its cgroup spreads its processes over child
 * cgroups, one of them frozen, and leaves none in its own: ps still lists
 * all three, pause and resume act on the whole, and delete -f kills the
 * frozen one too and removes every cgroup it made. */
Test(rootfs_attacks, a_frozen_child_cgroup_hides_nothing_from_the_verbs, .timeout = 90)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	ra_bundle(
	    &b,
	    "cd /sys/fs/cgroup; mkdir -p a/b c; "
	    "sh -c 'echo $$ > /sys/fs/cgroup/a/b/cgroup.procs; exec sleep 1000' & "
	    "sh -c 'echo $$ > /sys/fs/cgroup/c/cgroup.procs; exec sleep 1000' & "
	    "sleep 0.3; echo 1 > /sys/fs/cgroup/c/cgroup.freeze && echo $$ > a/cgroup.procs && "
	    "echo x > /made; wait",
	    RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	snprintf(cg, sizeof(cg), "%s/slxrun/%s", cgroup2_root(), strrchr(b.dir, '/') + 1);
	cmd_run(
	    &r, NULL, 60,
	    "S='%1$s --root %2$s'; $S run -d -b %3$s fz </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -s %3$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; "
	    "done; [ -z \"$(cat %4$s/cgroup.procs)\" ] || exit 2; "
	    "$S ps --format json fz | tr , '\\n' | wc -l; "
	    "$S pause fz && $S state fz | grep -o '\"paused\"' && $S resume fz && "
	    "$S state fz | grep -o '\"running\"' && $S events --stats fz >/dev/null && "
	    "$S delete -f fz && echo deleted",
	    slxrun_bin(), b.root, b.dir, cg);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "3\n\"paused\"\n\"running\"\ndeleted\n", "%s", r.err);
	cr_expect_neq(access(cg, F_OK), 0, "the container's cgroup tree was left: %s (%s)", cg,
		      r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "fz");
	bundle_remove(&b);
}

/* A container forks as fast as it can, each new process in a child cgroup
 * of its own, while delete -f runs (bounded here: 16 loops, each waiting
 * for its child): cgroup.kill takes the forks in flight, and every cgroup
 * it made goes. */
Test(rootfs_attacks, a_container_forking_during_delete_leaves_nothing, .timeout = 90)
{
	struct bundle b;
	struct cmd_result r;
	char cg[512];

	ra_bundle(&b,
		  "cd /sys/fs/cgroup; for l in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do "
		  "while :; do sh -c 'd=/sys/fs/cgroup/f$$; mkdir $d && echo $$ > $d/cgroup.procs; "
		  "exit 0'; done & done; echo x > /made; wait",
		  RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	snprintf(cg, sizeof(cg), "%s/slxrun/%s", cgroup2_root(), strrchr(b.dir, '/') + 1);
	cmd_run(
	    &r, NULL, 60,
	    "S='%1$s --root %2$s'; $S run -d -b %3$s fb </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -s %3$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; "
	    "done; sleep 1; $S delete -f fb",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_neq(access(cg, F_OK), 0, "the container's cgroups were left: %s (%s)", cg, r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "fb");
	bundle_remove(&b);
}

/* A container moves its first process to a child cgroup and enables
 * controllers for its children in its own, as a systemd in it does: its
 * own cgroup takes no process then (EBUSY), and exec failed.  It joins the
 * cgroup the first process is in, as runc does, found below the
 * container's own only. */
Test(rootfs_attacks, exec_joins_the_first_processs_cgroup_when_its_own_takes_none)
{
	struct bundle b;
	struct cmd_result r;

	ra_bundle(&b,
		  "cd /sys/fs/cgroup; mkdir init.scope && echo $$ > init.scope/cgroup.procs && "
		  "for c in $(cat cgroup.controllers); do echo +$c > cgroup.subtree_control; done; "
		  "cat cgroup.subtree_control > /ctl; echo x > /made; exec sleep 1000",
		  RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	cmd_run(
	    &r, NULL, 60,
	    "S='%1$s --root %2$s'; $S run -d -b %3$s sd </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -s %3$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; "
	    "done; [ -s %3$s/rootfs/ctl ] || exit 3; $S exec sd /bin/cat /proc/self/cgroup",
	    slxrun_bin(), b.root, b.dir);
	if (r.status == 3) {
		cmd_result_free(&r);
		bundle_force_delete(&b, "sd");
		bundle_remove(&b);
		cr_skip_test("no controller a container may enable for its children here");
	}
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "0::/init.scope\n"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "sd");
	bundle_remove(&b);
}

/* A container that may write its cgroup makes children named as the files
 * a controller its parent has not enabled yet would add (cpu.max,
 * cpuset.cpus): enabling it there later makes the kernel add them to every
 * child of that parent, the names were taken, and the write failed, so no
 * other container under the parent could have that controller (an
 * attacker's review).  Every controller the host offers is enabled in a
 * container's parents before its process runs, as runc does: no such name
 * is free.  Both under a parent of their own, which nothing enabled yet. */
Test(rootfs_attacks, a_child_cgroup_named_as_a_controllers_file_keeps_it_from_no_other,
     .timeout = 120)
{
	struct bundle a, v;
	struct cmd_result r;
	char path[300], ctl[512] = "", root_ctl[512] = "";
	const char *res;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cgroup2_root());
	if ((f = fopen(path, "r"))) {
		(void)!fgets(ctl, sizeof(ctl), f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cgroup2_root());
	if ((f = fopen(path, "r"))) {
		(void)!fgets(root_ctl, sizeof(root_ctl), f);
		fclose(f);
	}
	/* this host's cgroup2 has hugetlb alone, the VM's cpu too */
	if (strstr(ctl, "hugetlb") &&
	    access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0)
		res = ",\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}"
		      "]}";
	else if (strstr(ctl, "cpu ") || strstr(ctl, "cpu\n"))
		res = ",\"resources\":{\"cpu\":{\"quota\":50000,\"period\":100000}}";
	else
		cr_skip_test("no hugetlb or cpu controller in cgroup v2 here");
	snprintf(path, sizeof(path), "slxtest-names-%d", getpid());
	ra_bundle(&a,
		  "cd /sys/fs/cgroup && for n in hugetlb.2MB.max hugetlb.2MB.current cpu.max "
		  "cpu.weight cpuset.cpus; do mkdir $n 2>/dev/null && echo $n >> /taken; done; "
		  "echo x > /made; exec sleep 1000",
		  RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	ra_bundle(&v, "true", RA_MOUNTS_BASE, RA_NS "]", NULL, res);
	cmd_run(
	    &r, NULL, 60,
	    "sed -i 's|/slxrun/|/%4$s/|' %2$s/config.json %3$s/config.json && "
	    "%1$s --root %2$s/state run -d -b %2$s names </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -s %2$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; "
	    "done; cat %2$s/rootfs/taken 2>/dev/null; "
	    "%1$s --root %3$s/state run -b %3$s victim",
	    slxrun_bin(), a.dir, v.dir, path);
	cr_expect_eq(r.status, 0,
		     "a container asking for a controller, after one took names: %s %s", r.out,
		     r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s/state delete -f names; %1$s --root %3$s/state delete -f victim; "
		"rmdir %4$s/%5$s",
		slxrun_bin(), a.dir, v.dir, cgroup2_root(), path);
	cr_expect_eq(r.status, 0, "cleanup: %s", r.err);
	cmd_result_free(&r);
	/* the root as it was, when nothing else enabled hugetlb under it since */
	if (!strstr(root_ctl, "hugetlb")) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cgroup2_root());
		if ((f = fopen(path, "w"))) {
			fputs("-hugetlb", f);
			(void)fclose(f);
		}
	}
	bundle_remove(&a);
	bundle_remove(&v);
}

/* A threaded child cgroup has no cgroup.procs (EOPNOTSUPP), and the walk
 * gave up on it: `ps` failed and `kill --all` with any signal but KILL
 * signalled nobody (an attacker's review).  Its processes are listed at
 * its thread root, the container's cgroup, and the walk goes on. */
Test(rootfs_attacks, a_threaded_child_cgroup_hides_nothing_from_ps_or_kill_all)
{
	struct bundle b;
	struct cmd_result r;

	ra_bundle(&b,
		  "mkdir /sys/fs/cgroup/t && { echo threaded > /sys/fs/cgroup/t/cgroup.type && "
		  "echo threaded > /made || echo none > /made; }; exec sleep 1000",
		  RA_MOUNTS_BASE RA_CGROUP_MOUNT, RA_NS ",{\"type\":\"cgroup\"}]", NULL, NULL);
	cmd_run(
	    &r, NULL, 60,
	    "%1$s --root %2$s run -d -b %3$s thr </dev/null >/dev/null 2>&1 && i=0; "
	    "until [ -s %3$s/rootfs/made ]; do i=$((i+1)); [ $i -lt 400 ] || exit 1; sleep 0.05; "
	    "done; grep -q threaded %3$s/rootfs/made || echo NOTHREADED; "
	    "%1$s --root %2$s ps --format json thr && %1$s --root %2$s kill --all thr HUP",
	    slxrun_bin(), b.root, b.dir);
	if (strstr(r.out, "NOTHREADED")) {
		cmd_result_free(&r);
		cmd_run(&r, NULL, 30, "%s --root %s delete -f thr", slxrun_bin(), b.root);
		cmd_result_free(&r);
		bundle_remove(&b);
		/* where memory is enabled under the container's cgroup (the VM),
		 * no child of it may be threaded */
		cr_skip_test("no threaded child cgroup may be made here");
	}
	cr_expect_eq(r.status, 0, "ps and kill --all with a threaded child cgroup: %s", r.err);
	cr_expect(strchr(r.out, '[') && atoi(strchr(r.out, '[') + 1) > 0, "ps: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete -f thr", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* rootfs/proc replaced by a symlink: the run fails naming the mount, and
 * leaves no state, cgroup or mount behind. */
static void ra_proc_symlink_is_refused(const char *target, const char *want)
{
	struct bundle b;
	struct cmd_result r;
	struct leftovers before, after;

	ra_bundle(&b, "cat /proc/self/stat >/dev/null; echo ran", RA_MOUNTS_BASE, RA_NS "]", NULL,
		  NULL);
	ra_sh(&b, "rmdir %1$s/rootfs/proc && ln -s %2$s %1$s/rootfs/proc", target);
	leftovers_take(&b, &before);
	r = ra_run(&b);
	leftovers_take(&b, &after);
	cr_assert_neq(r.status, 0, "a symlinked /proc was accepted: %s", r.out);
	cr_assert(strstr(r.err, want), "stderr: %s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "one line: %s", r.err);
	cr_assert(leftovers_equal(&before, &after), "left behind: %s / %s", after.cgroups,
		  after.states);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(rootfs_attacks, proc_as_absolute_symlink_is_refused)
{
	ra_proc_symlink_is_refused("/tmp",
				   "mounts[0].destination: /proc is a symlink in the rootfs");
}

Test(rootfs_attacks, proc_as_relative_escaping_symlink_is_refused)
{
	ra_proc_symlink_is_refused("../../../../tmp",
				   "mounts[0].destination: /proc is a symlink in the rootfs");
}

Test(rootfs_attacks, proc_pointing_at_sys_is_refused)
{
	ra_proc_symlink_is_refused("sys",
				   "mounts[0].destination: /proc is a symlink in the rootfs");
}

Test(rootfs_attacks, dev_pts_through_a_symlinked_dev_is_refused)
{
	struct bundle b;
	struct cmd_result r;

	/* No /dev mount: /dev is the image's, here a link to /tmp. */
	ra_bundle(&b, "echo ran",
		  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		  "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
		  "\"options\":[\"newinstance\"]}",
		  RA_NS "]", NULL, NULL);
	ra_sh(&b, "rm -rf %1$s/rootfs/dev && ln -s %2$s %1$s/rootfs/dev", "tmp");
	r = ra_run(&b);
	cr_assert_neq(r.status, 0, "a /dev/pts behind a symlink was accepted: %s", r.out);
	cr_assert(
	    strstr(r.err, "mounts[1].destination: /dev/pts passes through a symlink in the rootfs"),
	    "stderr: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* An image's dangling links on a mount's way: /etc/resolv.conf ->
 * ../run/systemd/resolve/stub-resolv.conf (systemd images) under a bind of
 * the runtime's resolv.conf, /var/run -> ../run with no /run under a
 * Kubernetes secret's bind.  runc makes what they name, inside the root;
 * slxrun refused both.  A link that names a path past the root ("../../..",
 * absolute) is made inside it, as the kernel resolves it in the root: the
 * host gets nothing. */
Test(rootfs_attacks, a_dangling_link_on_a_mounts_way_is_made_inside_the_root)
{
	struct bundle b;
	struct cmd_result r;
	char mounts[2048], escape[64];

	snprintf(escape, sizeof(escape), "slxtest-escape-%d", (int)getpid());
	snprintf(mounts, sizeof(mounts),
		 RA_MOUNTS_BASE ",{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\","
				"\"source\":\"/dev/null\",\"options\":[\"rbind\",\"ro\"]},"
				"{\"destination\":\"/var/run/secrets/sa\",\"type\":\"tmpfs\","
				"\"source\":\"tmpfs\"},"
				"{\"destination\":\"/esc/dir\",\"type\":\"tmpfs\","
				"\"source\":\"tmpfs\"},"
				"{\"destination\":\"/abs\",\"type\":\"bind\","
				"\"source\":\"/dev/null\",\"options\":[\"rbind\",\"ro\"]}");
	ra_bundle(&b,
		  "cat /etc/resolv.conf; ls -d /run/systemd/resolve /run/secrets/sa "
		  "/tmp/%s/dir /tmp/%s-abs; echo ran",
		  mounts, RA_NS "]", NULL, NULL);
	ra_sh(&b,
	      "cd %1$s/rootfs && mkdir -p var && ln -sf ../run/systemd/resolve/stub-resolv.conf "
	      "etc/resolv.conf && ln -s ../run var/run && ln -s ../../../../../tmp/%2$s esc && "
	      "ln -s /tmp/%2$s-abs abs",
	      escape);
	cmd_run(&r, NULL, 10, "sed -i 's/%%s/%s/g' %s/config.json", escape, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	r = ra_run(&b);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "ran\n"), "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10,
		"ls %1$s/rootfs/run/systemd/resolve/stub-resolv.conf %1$s/rootfs/tmp/%2$s/dir "
		"%1$s/rootfs/tmp/%2$s-abs && ! ls -d /tmp/%2$s /tmp/%2$s-abs 2>/dev/null",
		b.dir, escape);
	cr_expect_eq(r.status, 0, "made inside the root, nothing on the host: %s %s", r.out, r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "rm -rf /tmp/%1$s /tmp/%1$s-abs", escape);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A mount inside /proc covers what the kernel shows there: over
 * /proc/sys/kernel (or through a link that leads there) a writable tmpfs
 * hid the read-only one, and a container's own files stood in for the
 * kernel's.  runc refuses any but the few lxcfs covers (CVE-2019-16884's
 * fix); slxrun took them all.  Those few are still taken. */
Test(rootfs_attacks, a_mount_inside_proc_is_refused_but_lxcfs_ones)
{
	static const char *const refused[][2] = {
	    {"/proc/sys/kernel", "tmpfs"},
	    {"/kern", "tmpfs"},	   /* rootfs/kern -> proc/sys/kernel */
	    {"/proc/sys", "proc"}, /* a procfs of its own: only /proc may have one */
	};
	struct bundle b;
	struct cmd_result r;
	char mounts[1024];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(mounts, sizeof(mounts),
			 RA_MOUNTS_BASE ",{\"destination\":\"%s\",\"type\":\"%s\","
					"\"source\":\"%s\"}",
			 refused[i][0], refused[i][1], refused[i][1]);
		ra_bundle(&b, "echo ran", mounts, RA_NS "]", NULL, NULL);
		ra_sh(&b, "ln -s proc/sys/kernel %1$s/rootfs/kern", "");
		r = ra_run(&b);
		cr_expect_neq(r.status, 0, "a %s over %s was taken: %s", refused[i][1],
			      refused[i][0], r.out);
		cr_expect(strstr(r.err, "mounts[3].destination") && strstr(r.err, "inside /proc"),
			  "%s", r.err);
		cr_expect_eq(count_lines(r.err), 1, "%s", r.err);
		cmd_result_free(&r);
		bundle_remove(&b);
	}
	snprintf(mounts, sizeof(mounts),
		 RA_MOUNTS_BASE ",{\"destination\":\"/proc/uptime\",\"type\":\"bind\","
				"\"source\":\"/dev/null\",\"options\":[\"rbind\",\"ro\"]}");
	ra_bundle(&b, "cat /proc/uptime", mounts, RA_NS "]", NULL, NULL);
	r = ra_run(&b);
	cr_expect_eq(r.status, 0, "an lxcfs-like bind on /proc/uptime: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A config with no /dev mount uses the image's /dev, and runc makes its
 * default nodes there (null, zero, ...) as it would on a tmpfs; slxrun made
 * none, and a masked file (masked by the container's /dev/null) failed the
 * run: "mask /proc/keys: No such file or directory". */
Test(rootfs_attacks, the_images_own_dev_gets_the_default_nodes)
{
	struct bundle b;
	struct cmd_result r;

	ra_bundle(&b,
		  "wc -c < /proc/keys; ls -l /dev/null | cut -c1; echo x > /dev/null && echo ran",
		  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}", RA_NS "]",
		  NULL, ",\"maskedPaths\":[\"/proc/keys\"]");
	r = ra_run(&b);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\nc\nran\n", "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* What the image names on the way to the process's cwd and HOME is read
 * in its root, through no /proc magic link (an attacker's review):
 * - with no pid namespace, an image link /work -> /proc/<pid>/root/tmp and a
 *   cwd under it made the cwd in the host's /tmp before the check refused
 *   it;
 * - /etc/passwd -> /proc/self/pagemap (a "regular file" of no size that
 *   never ends) held `run` at 100 % CPU for ever, looking for HOME;
 * - a dangling link 2,000 directories deep under a mount's destination
 *   overflowed the stack, one frame of two paths per directory; with the
 *   paths on the heap, 25 links each naming the next 1,990 directories
 *   down still did (the review of the fix): what one path may make is
 *   bounded now. */
Test(rootfs_attacks, what_the_cwd_home_and_links_name_stays_in_the_root_and_ends)
{
	struct bundle b;
	struct cmd_result r;
	char host_dir[128], mounts[1024], deep[4200] = "";
	size_t len = 0;

	snprintf(host_dir, sizeof(host_dir), "/tmp/slxtest-cwd-%d", (int)getpid());
	ra_bundle(&b, "pwd", RA_MOUNTS_BASE,
		  "[{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"uts\"}]", NULL, NULL);
	snprintf(mounts, sizeof(mounts), "%d", (int)getpid()); /* a host process: ours */
	ra_sh(&b, "ln -s /proc/%2$s/root/tmp %1$s/rootfs/work", mounts);
	cmd_run(&r, NULL, 10, "sed -i 's|\"cwd\":\"/\"|\"cwd\":\"/work/%s\"|' %s/config.json",
		strrchr(host_dir, '/') + 1, b.dir);
	cmd_result_free(&r);
	r = ra_run(&b);
	cr_expect_neq(access(host_dir, F_OK), 0, "the cwd was made on the host: %s", host_dir);
	cr_expect_neq(r.status, 0, "ran in %s", r.out);
	cr_expect(strstr(r.err, "process.cwd"), "%s", r.err);
	cmd_result_free(&r);
	rmdir(host_dir);
	bundle_remove(&b);

	ra_bundle(&b, "echo home=$HOME", RA_MOUNTS_BASE, RA_NS "]", NULL, NULL);
	ra_sh(&b, "ln -sf /proc/self/pagemap %1$s/rootfs/etc/passwd", "");
	cmd_run(&r, NULL, 20, "%s --root %s run -b %s ra1", slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "home=/\n");
	cmd_result_free(&r);
	bundle_remove(&b);

	while (len + 2 < 4000)
		len += (size_t)snprintf(deep + len, sizeof(deep) - len, "a/");
	snprintf(mounts, sizeof(mounts),
		 RA_MOUNTS_BASE ",{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\","
				"\"source\":\"/dev/null\",\"options\":[\"rbind\",\"ro\"]}");
	ra_bundle(&b, "echo ran", mounts, RA_NS "]", NULL, NULL);
	cmd_run(&r, NULL, 10, "ln -sf %sx %s/rootfs/etc/resolv.conf", deep, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	r = ra_run(&b);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "ran\n");
	cmd_result_free(&r);
	bundle_remove(&b);

	ra_bundle(&b, "echo ran", RA_MOUNTS_BASE, RA_NS "]", NULL, NULL);
	deep[len - 1] = '\0'; /* "a/a/.../a" */
	for (int i = 1; i <= 25; i++) {
		cmd_run(&r, NULL, 10, "ln -s /x%d/%s %s/rootfs/x%d", i + 1, deep, b.dir, i);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cmd_result_free(&r);
	}
	cmd_run(&r, NULL, 10, "sed -i 's|\"cwd\":\"/\"|\"cwd\":\"/x1/a\"|' %s/config.json", b.dir);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 60, "%s --root %s run -b %s ra1", slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0, "made 25 x 1,990 directories: %s", r.out);
	cr_expect(strstr(r.err, "process.cwd") && !strstr(r.err, "start-up"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Runs script in a user namespace (mknod is not allowed there, so each of
 * linux.devices is the host's node bound in) with the one device given
 * (JSON); the run must be refused with a line naming want, leaving nothing. */
static struct cmd_result ra_userns_device_refused(const char *script, const char *device,
						  const char *want)
{
	char linux_[512];
	struct leftovers before, after;
	struct bundle b;
	struct cmd_result r;

	snprintf(linux_, sizeof(linux_),
		 ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		 "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		 "\"devices\":[%s]",
		 device);
	ra_bundle(&b, script, RA_MOUNTS_BASE, RA_NS ",{\"type\":\"user\"}]", NULL, linux_);
	ra_sh(&b, "chmod 711 %1$s%2$s", ""); /* the mapped root walks to its rootfs */
	leftovers_take(&b, &before);
	r = ra_run(&b);
	leftovers_take(&b, &after);
	cr_expect_neq(r.status, 0, "accepted: %s", r.out);
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	cr_expect_eq(count_lines(r.err), 1, "one line: %s", r.err);
	cr_expect(leftovers_equal(&before, &after), "left behind: %s / %s", after.cgroups,
		  after.states);
	bundle_remove(&b);
	return r;
}

/* A path climbing out of /dev bound the host's file there instead. */
Test(rootfs_attacks, a_device_path_climbing_out_of_dev_is_refused)
{
	char secret[128], script[256], device[256];
	struct cmd_result r;
	FILE *f;

	snprintf(secret, sizeof(secret), "/tmp/slxtest-devsecret-%d", (int)getpid());
	f = fopen(secret, "w");
	cr_assert(f);
	fputs("host secret\n", f);
	fclose(f);
	snprintf(script, sizeof(script), "cat %s", secret);
	snprintf(device, sizeof(device),
		 "{\"path\":\"/dev/..%s\",\"type\":\"c\",\"major\":1,\"minor\":3}", secret);
	r = ra_userns_device_refused(script, device, "linux.devices[0].path");
	unlink(secret);
	cr_expect(!strstr(r.out, "host secret"), "the host file was bound in: %s", r.out);
	cmd_result_free(&r);
}

/* The host's node is bound only if it is the device named: /dev/null is
 * 1:3, not 1:5 (the config's numbers would otherwise only be a label). */
Test(rootfs_attacks, a_host_node_other_than_the_device_named_is_refused)
{
	struct cmd_result r = ra_userns_device_refused(
	    "echo ran", "{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":5}",
	    "linux.devices[0]: the host's /dev/null is not the device 1:5 named");

	cmd_result_free(&r);
}

/* rootfs/etc/link -> /etc/keep; masking /etc/link must not mask keep. */
Test(rootfs_attacks, masked_path_symlink_does_not_mask_its_target)
{
	struct bundle b;
	struct cmd_result r;

	ra_bundle(&b, "cat /etc/keep", RA_MOUNTS_BASE, RA_NS "]", NULL,
		  ",\"maskedPaths\":[\"/etc/link\"]");
	ra_sh(&b, "echo kept > %1$s/rootfs/etc/keep && ln -s /etc/keep %1$s/rootfs/etc/link%2$s",
	      "");
	r = ra_run(&b);
	cr_assert(r.status != 0 || !strcmp(r.out, "kept\n"), "the link's target was masked");
	cr_assert_neq(r.status, 0, "a symlinked masked path was accepted: %s", r.out);
	cr_assert(strstr(r.err, "linux.maskedPaths[0]: /etc/link is a symlink in the rootfs"),
		  "stderr: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A prestart hook (it runs after the mounts, before pivot_root and the
 * masked paths) swaps the masked directory for a symlink to a file of the
 * host, by absolute path, and to one of the container.  Neither may be
 * masked: the container fails, the host file is untouched. */
Test(rootfs_attacks, masked_path_swapped_for_a_symlink_during_setup)
{
	struct bundle b;
	struct cmd_result r;
	char hooks[1024], host_file[300];

	snprintf(host_file, sizeof(host_file), "/tmp/slxtest-hostfile-%d", getpid());
	cmd_run(&r, NULL, 10, "echo host > %s", host_file);
	cmd_result_free(&r);
	for (int round = 0; round < 2; round++) {
		const char *target = round ? host_file : "/etc/keep";

		snprintf(
		    hooks, sizeof(hooks),
		    ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
		    "\"cat >/dev/null; cd ROOTFS/etc && rm -rf hidden && ln -s %s hidden\"]}]}",
		    target);
		ra_bundle(&b, "cat /etc/keep", RA_MOUNTS_BASE, RA_NS "]", hooks,
			  ",\"maskedPaths\":[\"/etc/hidden\"]");
		ra_sh(&b,
		      "sed -i 's|ROOTFS|%1$s/rootfs|' %1$s/config.json && mkdir "
		      "%1$s/rootfs/etc/hidden%2$s",
		      "");
		ra_sh(&b, "echo kept > %1$s/rootfs/etc/keep%2$s", "");
		r = ra_run(&b);
		cr_assert(r.status != 0 || !strcmp(r.out, "kept\n"),
			  "round %d: the swap redirected the mask onto %s", round, target);
		cr_assert_neq(r.status, 0, "round %d: the swapped masked path was accepted", round);
		cr_assert(
		    strstr(r.err, "linux.maskedPaths[0]: /etc/hidden is a symlink in the rootfs"),
		    "round %d: %s", round, r.err);
		cmd_result_free(&r);
		bundle_remove(&b);
	}
	cmd_run(&r, NULL, 10, "cat %s && rm -f %s", host_file, host_file);
	cr_assert_str_eq(r.out, "host\n");
	cmd_result_free(&r);
}

/* A config joining, by /proc/PID/ns/mnt, a mount namespace where setup
 * (a shell command given the host directory DIR) has made a procfs path a
 * link to DIR, which holds the host's `file`: the run must fail with want
 * and leave the file as it was. */
static void ra_joined_mount_ns_attack(const char *setup, const char *file, const char *more_ns,
				      const char *extra_linux, const char *want)
{
	char dir[256], ns[320], cmd[1024], ok[3];
	struct cmd_result r;
	struct bundle b;
	int ready[2];
	pid_t holder;

	snprintf(dir, sizeof(dir), "/tmp/slxtest-joined-%d", getpid());
	cmd_run(&r, NULL, 10, "mkdir -p %s && echo host > %s/%s", dir, dir, file);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cr_assert_eq(pipe(ready), 0);
	snprintf(cmd, sizeof(cmd),
		 "mount --make-rprivate / && DIR=%s && %s && echo ok >&3 && "
		 "exec sleep 60 3>&-",
		 dir, setup);
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		close(ready[0]);
		if (dup2(ready[1], 3) < 0)
			_exit(127);
		execlp("unshare", "unshare", "-m", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], ok, 3), 3, "the namespace holder did not start");
	close(ready[0]);
	snprintf(ns, sizeof(ns),
		 "[{\"type\":\"pid\"},{\"type\":\"uts\"}%s,{\"type\":\"mount\","
		 "\"path\":\"/proc/%d/ns/mnt\"}]",
		 more_ns, (int)holder);
	ra_bundle(&b, "true", RA_MOUNTS_BASE, ns, NULL, extra_linux);
	r = ra_run(&b);
	kill(holder, SIGKILL);
	(void)waitpid(holder, NULL, 0);
	cr_expect_neq(r.status, 0, "the write through a symlink was accepted");
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
	cmd_run(&r, NULL, 10, "cat %s/%s && rm -rf %s", dir, file, dir);
	cr_expect_str_eq(r.out, "host\n", "the host's %s was written through the link", file);
	cmd_result_free(&r);
}

/* A mount namespace joined by path is another's, and what its /proc/sys
 * holds is theirs: here a tmpfs over it whose kernel/ is a symlink to a
 * directory of the host's.  linux.sysctl wrote the value through it, as
 * root, into the host's file; now /proc/sys must be procfs and no component
 * under it a symlink. */
Test(rootfs_attacks, a_sysctl_in_a_joined_mount_namespace_follows_no_symlink)
{
	ra_joined_mount_ns_attack("mount -t tmpfs t /proc/sys && ln -s $DIR /proc/sys/kernel",
				  "domainname", "", ",\"sysctl\":{\"kernel.domainname\":\"pwned\"}",
				  "linux.sysctl: /proc/sys is not procfs");
}

/* A uts or ipc namespace joined by path may be the caller's own: the
 * sysctls of those namespaces were written there (the caller's hostname
 * became the container's, kernel.shmmni changed), where net.* keys were
 * already refused; and the hostname field set the caller's hostname too.
 * Run inside `unshare -u -i`, so the host's own stay put. */
Test(rootfs_attacks, the_callers_own_uts_or_ipc_namespace_is_never_written)
{
	static const struct {
		const char *sysctl, *hostname, *want;
	} cases[] = {
	    {",\"sysctl\":{\"kernel.hostname\":\"pwned-host\"}", "",
	     "is not allowed in the caller's own uts namespace"},
	    {",\"sysctl\":{\"kernel.shmmni\":\"1234\"}", "",
	     "is not allowed in the caller's own ipc namespace"},
	    {"", "\"hostname\":\"pwned-host\",",
	     "hostname: setting it needs a uts namespace of the container's own"},
	};
	struct bundle b;
	struct cmd_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ra_bundle(&b, "true", RA_MOUNTS_BASE,
			  "[{\"type\":\"pid\"},{\"type\":\"mount\"},"
			  "{\"type\":\"uts\",\"path\":\"/proc/self/ns/uts\"},"
			  "{\"type\":\"ipc\",\"path\":\"/proc/self/ns/ipc\"}]",
			  NULL, cases[i].sysctl);
		bundle_config_replace(&b, "\"hostname\":\"slxtest\",", cases[i].hostname);
		cmd_run(&r, NULL, 30,
			"unshare -u -i sh -c \"hostname before; '%s' --root %s run -b %s ra1; "
			"echo rc=\\$?; hostname; cat /proc/sys/kernel/shmmni\"",
			slxrun_bin(), b.root, b.dir);
		cr_expect(strstr(r.out, "rc=1\n"), "case %zu ran: %s", i, r.out);
		cr_expect(strstr(r.out, "\nbefore\n"), "the caller's hostname changed: %s", r.out);
		cr_expect_null(strstr(r.out, "\n1234\n"), "the caller's shmmni changed: %s", r.out);
		cr_expect(strstr(r.err, cases[i].want), "case %zu: %s", i, r.err);
		cmd_result_free(&r);
		bundle_remove(&b);
	}
}

/* The attributes a bind's options ask for (`rro` here) were set through
 * its destination looked up a second time, after the mount: whoever shares
 * a directory on the way (a volume of several containers) swapped in a
 * symlink between the two lookups and took `rro` to another mount, and
 * the read-only volume was written (an attacker's review: 110 runs of
 * 300).  Every attribute goes on through the mount's own descriptor now.
 * A racer swaps vol/ro, where the volume goes, with a symlink to /other,
 * again and again while containers start. */
Test(rootfs_attacks, a_binds_attributes_follow_the_mount_not_its_path, .timeout = 180)
{
	char mounts[2048], vol[300], link[300], written[300];
	struct cmd_result r;
	struct bundle b;
	unsigned ran = 0;
	pid_t racer;

	snprintf(mounts, sizeof(mounts),
		 RA_MOUNTS_BASE
		 ",{\"destination\":\"/other\",\"type\":\"bind\",\"source\":"
		 "\"BDIR/other\",\"options\":[\"rbind\"]},"
		 "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"BDIR/vol\","
		 "\"options\":[\"rbind\"]},{\"destination\":\"/data/ro\",\"type\":"
		 "\"bind\",\"source\":\"BDIR/rosrc\",\"options\":[\"rbind\",\"rro\"]}");
	ra_bundle(&b,
		  "for d in /data/ro /data/ro_link /other; do echo pwned > $d/WTEST; done "
		  "2>/dev/null; true",
		  mounts, RA_NS "]", NULL, NULL);
	ra_sh(&b,
	      "sed -i 's|BDIR|%1$s|g' %1$s/config.json && mkdir -p %1$s/vol/ro %1$s/rosrc "
	      "%1$s/other && ln -s /other %1$s/vol/ro_link%2$s",
	      "");
	snprintf(vol, sizeof(vol), "%s/vol/ro", b.dir);
	snprintf(link, sizeof(link), "%s/vol/ro_link", b.dir);
	snprintf(written, sizeof(written), "%s/rosrc/WTEST", b.dir);
	racer = fork();
	cr_assert_geq(racer, 0);
	if (racer == 0)
		for (;;)
			(void)renameat2(AT_FDCWD, vol, AT_FDCWD, link, RENAME_EXCHANGE);
	for (int i = 0; i < 60 && access(written, F_OK) != 0; i++) {
		r = ra_run(&b);
		ran += r.status == 0;
		cmd_result_free(&r);
	}
	kill(racer, SIGKILL);
	waitpid(racer, NULL, 0);
	cr_expect_neq(access(written, F_OK), 0,
		      "the read-only volume was written: its rro went to another mount");
	cr_expect_geq(ran, 10, "only %u of the containers ran", ran);
	bundle_remove(&b);
}

/* The same for linux.timeOffsets: they were written to
 * /proc/self/timens_offsets by path, in a mount namespace joined by path,
 * whose /proc is its owner's to make (a review of runc's CVE-2025-52881):
 * here a tmpfs whose self is a symlink to a host directory. */
Test(rootfs_attacks, time_offsets_in_a_joined_mount_namespace_follow_no_symlink)
{
	ra_joined_mount_ns_attack(
	    "mount -t tmpfs t /proc && ln -s $DIR /proc/self", "timens_offsets",
	    ",{\"type\":\"time\"}",
	    ",\"timeOffsets\":{\"boottime\":{\"secs\":864000,\"nanosecs\":0}}",
	    "linux.timeOffsets: /proc is not procfs");
}

/* What the defence above costs must not be a mount that no longer works.
 * A filesystem with anything to do after it (r* options, propagation) is
 * made detached, and fsconfig(2) takes option values under 256 bytes
 * where mount(2) took a page: an overlay of three layers with long names
 * and `rro` failed with EINVAL.  Its lowerdir goes one layer at a time
 * now (Linux 6.8's lowerdir+; before it, the VM's 6.1, the layers named
 * by descriptor when that fits, else refused in one line), a directory
 * name over the limit by descriptor, any other value that long refused,
 * named.  A review of that: the working directory it left and came back
 * to (a user namespace's root could not come back to the caller's 0700
 * one), a second lowerdir (the last wins, as with mount(2)), "::". */
struct ra_ovl {
	size_t layers, namelen;
	const char *before, *after; /* more options around lowerdir=... */
	const char *suffix;	    /* after the layers, in lowerdir */
	bool userns;		    /* in a user namespace, run from a 0700 directory */
	bool plain;		    /* without rro and rprivate: by mount(2) when it fits */
	const char *out, *err;
};

static void ra_overlay_run(const struct ra_ovl *c)
{
	char mounts[16384], lowers[12288] = "", top[64] = "/tmp/slxtest-ovl-XXXXXX", name[128];
	char cwd[64] = "/tmp/slxtest-cwd-XXXXXX";
	struct cmd_result r;
	struct bundle b;
	size_t o = 0;

	cr_assert(mkdtemp(top) && mkdtemp(cwd));
	cr_assert_eq(chmod(top, 0755), 0);
	memset(name, 'l', c->namelen);
	name[c->namelen] = '\0';
	for (size_t i = 0; i < c->layers; i++) {
		o += (size_t)snprintf(lowers + o, sizeof(lowers) - o, "%s%s/%s%zu", i ? ":" : "",
				      top, name, i);
		cmd_run(&r, NULL, 10, "mkdir %1$s/%2$s%3$zu && echo %3$zu > %1$s/%2$s%3$zu/%4$c",
			top, name, i, (char)('a' + i % 26));
		cr_assert_eq(r.status, 0, "%s", r.err);
		cmd_result_free(&r);
	}
	cr_assert_lt(o, sizeof(lowers) - 1);
	snprintf(mounts, sizeof(mounts),
		 RA_MOUNTS_BASE ",{\"destination\":\"/ovl\",\"type\":\"overlay\",\"source\":"
				"\"overlay\",\"options\":[%s\"lowerdir=%s%s\"%s%s]}",
		 c->before ? c->before : "", lowers, c->suffix ? c->suffix : "",
		 c->plain ? "" : ",\"rro\",\"rprivate\"", c->after ? c->after : "");
	ra_bundle(
	    &b,
	    "cat /ovl/a /ovl/b /ovl/c; touch /ovl/w 2>/dev/null || echo read-only; "
	    "grep -c ' /ovl .* ro,' /proc/self/mountinfo; "
	    "grep -q ' /ovl .*/proc/self/fd' /proc/self/mountinfo && echo by-descriptor; true",
	    mounts, c->userns ? RA_NS ",{\"type\":\"user\"}]" : RA_NS "]", NULL,
	    c->userns ? ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":"
			"65536}],\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,"
			"\"size\":65536}]"
		      : NULL);
	ra_sh(&b, "mkdir -p %1$s/rootfs/ovl%2$s && chmod 755 %1$s", "");
	cmd_run(&r, NULL, 30, "cd %s && %s --root %s run -b %s ra1", cwd, slxrun_bin(), b.root,
		b.dir);
	if (c->err) {
		cr_expect_neq(r.status, 0, "ran: %s", r.out);
		cr_expect(strstr(r.err, c->err), "%s", r.err);
		cr_expect_eq(count_lines(r.err), 1, "%s", r.err);
	} else {
		cr_expect_eq(r.status, 0, "%zu layers: %s", c->layers, r.err);
		cr_expect_str_eq(r.out, c->out, "%zu layers: %s", c->layers, r.err);
	}
	cmd_result_free(&r);
	bundle_remove(&b);
	cmd_run(&r, NULL, 10, "rm -rf %s %s", top, cwd);
	cmd_result_free(&r);
}

static bool ra_linux_at_least(unsigned want_major, unsigned want_minor)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	cr_assert_eq(uname(&u), 0);
	cr_assert_eq(sscanf(u.release, "%u.%u", &major, &minor), 2, "%s", u.release);
	return major > want_major || (major == want_major && minor >= want_minor);
}

Test(rootfs_attacks, an_overlay_with_long_layer_names_keeps_its_r_options)
{
	bool plus = ra_linux_at_least(6, 8);
	const char *ok = "0\n1\n2\nread-only\n1\n";
	const struct ra_ovl cases[] = {
	    {.layers = 3,
	     .namelen = 120,
	     .out = plus ? ok : "0\n1\n2\nread-only\n1\nby-descriptor\n"},
	    {.layers = 3,
	     .namelen = 120,
	     .userns = true,
	     .out = plus ? ok : "0\n1\n2\nread-only\n1\nby-descriptor\n"},
	    {.layers = 3,
	     .namelen = 120,
	     .before = "\"lowerdir=/nonexistent\",",
	     .out = plus ? ok : "0\n1\n2\nread-only\n1\nby-descriptor\n"},
	    {.layers = 100,
	     .namelen = 4,
	     .out = ok,
	     .err = plus
			? NULL
			: "mounts[3]: option \"lowerdir\" of the mount on /ovl is 3089 bytes, more "
			  "layers than one fsconfig(2) value holds before Linux 6.8 (lowerdir+)"},
	    /* past a page by mount(2): one layer at a time on 6.8, in a user
	     * namespace from a 0700 directory too; before it, names relative
	     * to /proc/self/fd, which need a directory to come back to */
	    {.layers = 300,
	     .namelen = 2,
	     .plain = true,
	     .userns = true,
	     .out = ok,
	     .err = plus ? NULL : "mounts[3]: mount overlay on /ovl: Permission denied"},
	    /* a trailing ':' is no layer, as the kernel splits lowerdir */
	    {.layers = 3,
	     .namelen = 120,
	     .suffix = ":",
	     .err = plus ? "mounts[3]: option \"lowerdir\" of the mount on /ovl is 438 bytes, and "
			   "its layers are not \"a:b\" or \"a::data\""
			 : "mounts[3]: mount overlay on /ovl: Invalid argument"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ra_overlay_run(&cases[i]);
}

Test(rootfs_attacks, an_option_value_fsconfig_cannot_take_is_refused_named)
{
	char more[400] = ",\"redirect_dir=";
	const struct ra_ovl c = {
	    .layers = 2,
	    .namelen = 4,
	    .after = more,
	    .err = "mounts[3]: option \"redirect_dir\" of the mount on /ovl is 300 bytes, over the "
		   "255 fsconfig(2) takes"};

	memset(more + strlen(more), 'x', 300);
	strcat(more, "\"");
	ra_overlay_run(&c);
}
