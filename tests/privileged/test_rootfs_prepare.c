/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rootfs_prepare.c -- a real rootfs prepare+finish (pivot_root and
 * MS_MOVE+chroot) in a private mount namespace, checked from inside: /proc,
 * /dev, masked and read-only paths, binds, tmpcopyup, symlink escapes. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "runtime/rootfs.h"

#define RFT_STRV(...)                                                                              \
	((struct oci_strv){.v = (char *[]){__VA_ARGS__, NULL},                                     \
			   .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

/* Layout under one temp dir T: T/rootfs is the container's root, T/outside
 * a directory the image's symlink rootfs/evil points at (and that exists in
 * the rootfs too, as T/rootfs/T/outside), T/hostfile a file bound read-only
 * into the container. */
struct rft_world {
	char top[64];
	char rootfs[96];
	char outside[96];
	char hostfile[96];
};

static void rft_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void rft_world_build(struct rft_world *w)
{
	static const char *const dirs[] = {"proc",	 "dev", "data",	  "etc",
					   "etc/hidden", "opt", "opt/sub"};
	struct slx_err err = {0};
	char p[256];

	strcpy(w->top, "/tmp/slx-rootfs-XXXXXX");
	cr_assert_not_null(mkdtemp(w->top));
	snprintf(w->rootfs, sizeof(w->rootfs), "%s/rootfs", w->top);
	snprintf(w->outside, sizeof(w->outside), "%s/outside", w->top);
	snprintf(w->hostfile, sizeof(w->hostfile), "%s/hostfile", w->top);
	cr_assert_eq(mkdir(w->rootfs, 0755), 0);
	cr_assert_eq(mkdir(w->outside, 0755), 0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", w->rootfs, dirs[i]);
		cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
	}
	snprintf(p, sizeof(p), "%s/etc/secret", w->rootfs);
	rft_write(p, "secret\n");
	snprintf(p, sizeof(p), "%s/etc/hidden/file", w->rootfs);
	rft_write(p, "hidden\n");
	rft_write(w->hostfile, "from the host\n");
	snprintf(p, sizeof(p), "%s/opt/tool", w->rootfs);
	rft_write(p, "tool\n");
	cr_assert_eq(chmod(p, 0750), 0);
	snprintf(p, sizeof(p), "%s/opt/link", w->rootfs);
	cr_assert_eq(symlink("tool", p), 0);
	snprintf(p, sizeof(p), "%s/evil", w->rootfs);
	cr_assert_eq(symlink(w->outside, p), 0);
	/* The symlink's target as seen from inside the container. */
	snprintf(p, sizeof(p), "%s%s", w->rootfs, w->outside);
	cr_assert_eq(slx_mkdir_p(p, 0755, &err), 0, "%s", err.msg);
}

static int rft_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rft_world_remove(struct rft_world *w)
{
	nftw(w->top, rft_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static bool rft_write_fails_with(const char *path, int want)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == want;
}

static ssize_t rft_read_len(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n;
}

/* Each check has a number: the child exits with the first that fails. */
static int rft_inside_checks(const struct rft_world *w)
{
	struct stat st;
	char buf[128] = {0};
	DIR *d;
	int hidden_entries = 0;

	if (access("/proc/self", F_OK) < 0)
		return 1;
	if (stat("/dev/null", &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3) ||
	    (st.st_mode & 0777) != 0666)
		return 2;
	if (rft_read_len("/etc/secret") != 0)
		return 3;
	if (!rft_write_fails_with("/data/x", EROFS))
		return 4;
	if (!rft_write_fails_with("/newfile", EROFS))
		return 5;
	if (rft_write_fails_with("/dev/writable", 0) || unlink("/dev/writable") < 0)
		return 6;
	if (readlink("/dev/fd", buf, sizeof(buf) - 1) < 0 || strcmp(buf, "/proc/self/fd") != 0)
		return 7;
	if (rft_read_len("/etc/bound") != (ssize_t)strlen("from the host\n") ||
	    !rft_write_fails_with("/etc/bound", EROFS))
		return 8;
	d = opendir("/etc/hidden");
	if (!d)
		return 9;
	for (struct dirent *e; (e = readdir(d));)
		hidden_entries += e->d_name[0] != '.';
	closedir(d);
	if (hidden_entries != 0 || !rft_write_fails_with("/etc/hidden/x", EROFS))
		return 10;
	if (!getcwd(buf, sizeof(buf)) || strcmp(buf, "/") != 0)
		return 11;
	/* The mount through rootfs/evil landed inside the rootfs. */
	snprintf(buf, sizeof(buf), "%s/escaped", w->outside);
	if (stat("/evil/escaped", &st) < 0 || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return 12;
	/* tmpcopyup: a writable tmpfs (the root is read-only) holding a copy. */
	if (rft_read_len("/opt/tool") != 5 || stat("/opt/tool", &st) < 0 ||
	    (st.st_mode & 07777) != 0750 || stat("/opt/sub", &st) < 0 || !S_ISDIR(st.st_mode))
		return 13;
	memset(buf, 0, sizeof(buf));
	if (readlink("/opt/link", buf, sizeof(buf) - 1) < 0 || strcmp(buf, "tool") != 0 ||
	    rft_write_fails_with("/opt/new", 0))
		return 14;
	return 0;
}

static void rft_run_child(const struct rft_world *w, bool no_pivot)
{
	struct oci_mount mounts[] = {
	    {.destination = "/proc", .type = "proc", .source = "proc"},
	    {.destination = "/dev",
	     .type = "tmpfs",
	     .source = "tmpfs",
	     .options = RFT_STRV("nosuid", "strictatime", "mode=755", "size=65536k")},
	    {.destination = "/data", .type = "tmpfs", .source = "tmpfs"},
	    {.destination = "/etc/bound",
	     .type = "bind",
	     .source = (char *)w->hostfile,
	     .options = RFT_STRV("rbind", "ro", "nosuid")},
	    {.destination = "/evil/escaped", .type = "tmpfs", .source = "tmpfs"},
	    {.destination = "/opt",
	     .type = "tmpfs",
	     .source = "tmpfs",
	     .options = RFT_STRV("tmpcopyup", "nosuid", "mode=755")},
	};
	struct oci_config cfg = {
	    .mounts = mounts,
	    .n_mounts = sizeof(mounts) / sizeof(mounts[0]),
	    .root = {.readonly = true},
	    .linux_ =
		{
		    .masked_paths = RFT_STRV("/etc/secret", "/etc/hidden", "/proc/nonexistent"),
		    .readonly_paths = RFT_STRV("/data", "/nonexistent"),
		},
	};
	struct rt_mount_plan *plan = NULL;
	struct rt_rootfs_opts opts = {.rootfs = w->rootfs, .no_pivot = no_pivot};
	struct slx_err err = {0};

	if (unshare(CLONE_NEWNS) < 0)
		_exit(100);
	if (rt_mount_plan_build(&cfg, &plan, &err) < 0) {
		fprintf(stderr, "plan: %s\n", err.msg);
		_exit(102);
	}
	opts.plan = plan;
	if (rt_rootfs_validate(&cfg, w->rootfs, &err) < 0 ||
	    rt_rootfs_prepare(&cfg, &opts, &err) < 0 || rt_rootfs_finish(&cfg, &opts, &err) < 0) {
		fprintf(stderr, "rootfs: %s\n", err.msg);
		_exit(101);
	}
	_exit(rft_inside_checks(w));
}

static void rft_container_sees_its_rootfs(bool no_pivot)
{
	struct rft_world w;
	char escaped[256];
	int status;
	pid_t pid;

	rft_world_build(&w);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		rft_run_child(&w, no_pivot);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	snprintf(escaped, sizeof(escaped), "%s/escaped", w.outside);
	bool escaped_out = access(escaped, F_OK) == 0;
	rft_world_remove(&w);
	cr_assert(WIFEXITED(status), "child died, status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "inside check %d failed (100+: setup)",
		     WEXITSTATUS(status));
	cr_assert_not(escaped_out, "a mount target followed a symlink out of the rootfs");
}

Test(rt_rootfs, prepare_and_pivot_build_the_container_view)
{
	rft_container_sees_its_rootfs(false);
}

Test(rt_rootfs, no_pivot_moves_and_chroots)
{
	rft_container_sees_its_rootfs(true);
}
