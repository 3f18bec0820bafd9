/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_lsm_open.c -- the LSM attribute an exec opens inside the container's
 * root (rt_lsm_open_in_root): through a procfs only, crossing no mount the
 * container could have put over it.  The attribute here is "current", which
 * opens for writing with or without an LSM (none is enabled on this host). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "tests/privileged/priv.h"

static int open_attr(void)
{
	struct rt_lsm l = {.attr_name = "current"};
	struct slx_err err;
	int r = rt_lsm_open_in_root(&l, &err);

	if (l.fd >= 0)
		close(l.fd);
	return r;
}

/* A root of its own with a procfs at /proc: opened; a file bound over the
 * attribute, or a tmpfs at /proc holding the same path: refused. */
static char dir[] = "/tmp/slxtest-lsm-XXXXXX";

static int in_a_root(void)
{
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, NULL) < 0 || chdir(dir) < 0 ||
	    mkdir("proc", 0755) < 0 || mount("proc", "proc", "proc", 0, NULL) < 0 ||
	    (fd = open("decoy", O_CREAT | O_WRONLY, 0644)) < 0 || close(fd) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0)
		return 1;
	if (open_attr() != 0)
		return 2;
	if (mount("/decoy", "/proc/thread-self/attr/current", NULL, MS_BIND, NULL) < 0)
		return 3;
	if (open_attr() == 0)
		return 4;
	if (umount2("/proc", MNT_DETACH) < 0 || mount("tmpfs", "/proc", "tmpfs", 0, NULL) < 0 ||
	    mkdir("/proc/attr", 0755) < 0 || symlink(".", "/proc/thread-self") < 0 ||
	    (fd = open("/proc/attr/current", O_CREAT | O_WRONLY, 0644)) < 0 || close(fd) < 0)
		return 5;
	if (open_attr() == 0)
		return 6;
	return 0;
}

Test(rt_lsm, an_execs_label_is_opened_through_a_procfs_only)
{
	cr_assert(mkdtemp(dir));
	priv_assert_child_ok(in_a_root);
	cr_assert_eq(rmdir(dir), 0);
}
