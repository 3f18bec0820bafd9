/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sysctl_apply.c -- sysctls written to /proc/sys in fresh ipc and net
 * namespaces, and the error naming the file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/security.h"
#include "tests/privileged/priv.h"

static int sec_read_sysctl(const char *path, char *buf, size_t size)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Fresh ipc and net namespaces, so nothing is left on the host. */
static int sec_child_sysctl_apply(void)
{
	struct oci_kv kv[] = {
	    {.key = "kernel.shmmni", .value = "1234"},
	    {.key = "net/ipv4/ip_forward", .value = "1"},
	};
	struct oci_kvv sysctl = {.v = kv, .n = 2};
	struct slx_err err;
	char buf[64];

	if (unshare(CLONE_NEWIPC | CLONE_NEWNET) < 0)
		return 1;
	if (rt_sysctl_apply(&sysctl, &err) < 0)
		return 2;
	if (sec_read_sysctl("/proc/sys/kernel/shmmni", buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "1234\n"))
		return 3;
	if (sec_read_sysctl("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "1\n"))
		return 4;
	return 0;
}

Test(rt_sysctl, apply_writes_proc_sys)
{
	priv_assert_child_ok(sec_child_sysctl_apply);
}

Test(rt_sysctl, apply_error_names_the_file)
{
	struct oci_kv kv = {.key = "kernel.no_such_knob", .value = "1"};
	struct oci_kvv sysctl = {.v = &kv, .n = 1};
	struct slx_err err = {0};

	cr_assert_eq(rt_sysctl_apply(&sysctl, &err), -1);
	cr_assert_str_eq(
	    err.msg, "linux.sysctl: open /proc/sys/kernel/no_such_knob: No such file or directory");
}
