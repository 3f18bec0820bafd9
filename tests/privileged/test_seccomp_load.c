/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_seccomp_load.c -- seccomp filters loaded for real in forked children:
 * errnoRet, argument conditions (and across args, or on one) and kill. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/security.h"
#include "tests/privileged/priv.h"

/* The children below load a filter for real and report what the syscall
 * did; default ALLOW keeps the sanitizer runtime working. */
static struct rt_seccomp *sec_prog;

static void sec_prepare(const struct oci_seccomp *s)
{
	struct slx_err err = {0};

	cr_assert_eq(rt_seccomp_prepare(s, &sec_prog, &err), 0, "%s", err.msg);
	cr_assert_not_null(sec_prog);
}

static void sec_prog_free(void)
{
	rt_seccomp_free(sec_prog);
	sec_prog = NULL;
}

static int sec_child_getcwd_errno(void)
{
	char buf[256];
	struct slx_err err;

	if (rt_seccomp_load(sec_prog, &err) < 0)
		return 1;
	if (syscall(SYS_getcwd, buf, sizeof(buf)) != -1)
		return 2;
	return errno == 38 ? 0 : 3;
}

Test(rt_seccomp, errno_ret_reaches_the_caller, .fini = sec_prog_free)
{
	struct oci_seccomp_syscall sc = {.names = PRIV_STRV("getcwd"),
					 .action = "SCMP_ACT_ERRNO",
					 .errno_ret = {.set = true, .v = 38}};
	struct oci_seccomp s = {.present = true,
				.default_action = "SCMP_ACT_ALLOW",
				.flags = PRIV_STRV("SECCOMP_FILTER_FLAG_LOG"),
				.architectures = PRIV_STRV("SCMP_ARCH_X86", "SCMP_ARCH_X32"),
				.syscalls = &sc,
				.n_syscalls = 1};

	sec_prepare(&s);
	priv_assert_child_ok(sec_child_getcwd_errno);
}

static int sec_child_errno_default_is_eperm(void)
{
	struct slx_err err;

	if (rt_seccomp_load(sec_prog, &err) < 0)
		return 1;
	if (syscall(SYS_getppid) != -1)
		return 2;
	return errno == EPERM ? 0 : 3;
}

Test(rt_seccomp, errno_without_errno_ret_is_eperm, .fini = sec_prog_free)
{
	struct oci_seccomp_syscall sc = {.names = PRIV_STRV("getppid"), .action = "SCMP_ACT_ERRNO"};
	struct oci_seccomp s = {
	    .present = true, .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};

	sec_prepare(&s);
	priv_assert_child_ok(sec_child_errno_default_is_eperm);
}

/* getpriority(which, who): both conditions must hold (different indexes). */
static int sec_child_args_and(void)
{
	struct slx_err err;

	if (rt_seccomp_load(sec_prog, &err) < 0)
		return 1;
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) == -1 && errno == 38)
		return 2;
	errno = 0;
	if (getpriority(PRIO_PGRP, 424242) != -1 || errno == 38)
		return 3;
	errno = 0;
	if (getpriority(PRIO_PROCESS, 424242) != -1 || errno != 38)
		return 4;
	return 0;
}

Test(rt_seccomp, conditions_on_different_args_are_anded, .fini = sec_prog_free)
{
	struct oci_seccomp_arg args[] = {
	    {.index = 0, .value = PRIO_PROCESS, .op = "SCMP_CMP_EQ"},
	    {.index = 1, .value = 424242, .op = "SCMP_CMP_EQ"},
	};
	struct oci_seccomp_syscall sc = {.names = PRIV_STRV("getpriority"),
					 .action = "SCMP_ACT_ERRNO",
					 .errno_ret = {.set = true, .v = 38},
					 .args = args,
					 .n_args = 2};
	struct oci_seccomp s = {
	    .present = true, .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};

	sec_prepare(&s);
	priv_assert_child_ok(sec_child_args_and);
}

/* close(fd): two conditions on arg 0 become two rules, so either matches;
 * a masked test (fd & 0xff00) == 0x4200 catches a third descriptor. */
static int sec_child_args_or(void)
{
	struct slx_err err;

	if (rt_seccomp_load(sec_prog, &err) < 0)
		return 1;
	if (close(90001) != -1 || errno != 38)
		return 2;
	if (close(90002) != -1 || errno != 38)
		return 3;
	if (close(90003) != -1 || errno != EBADF)
		return 4;
	if (close(0x4217) != -1 || errno != 38)
		return 5;
	return 0;
}

Test(rt_seccomp, conditions_on_the_same_arg_are_ored, .fini = sec_prog_free)
{
	struct oci_seccomp_arg args[] = {
	    {.index = 0, .value = 90001, .op = "SCMP_CMP_EQ"},
	    {.index = 0, .value = 90002, .op = "SCMP_CMP_EQ"},
	    {.index = 0, .value = 0xff00, .value_two = 0x4200, .op = "SCMP_CMP_MASKED_EQ"},
	};
	struct oci_seccomp_syscall sc = {.names = PRIV_STRV("close"),
					 .action = "SCMP_ACT_ERRNO",
					 .errno_ret = {.set = true, .v = 38},
					 .args = args,
					 .n_args = 3};
	struct oci_seccomp s = {
	    .present = true, .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};

	sec_prepare(&s);
	priv_assert_child_ok(sec_child_args_or);
}

static int sec_child_kill_process(void)
{
	struct rlimit no_core = {0, 0};
	struct slx_err err;

	/* SIGSYS dumps core by default; leave no core file behind. */
	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
		return 3;
	if (rt_seccomp_load(sec_prog, &err) < 0)
		return 1;
	(void)syscall(SYS_getppid);
	return 2;
}

Test(rt_seccomp, kill_process_action_kills_with_sigsys, .fini = sec_prog_free)
{
	struct oci_seccomp_syscall sc = {.names = PRIV_STRV("getppid"),
					 .action = "SCMP_ACT_KILL_PROCESS"};
	struct oci_seccomp s = {
	    .present = true, .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};
	int status;

	sec_prepare(&s);
	status = priv_in_child(sec_child_kill_process);
	cr_assert(WIFSIGNALED(status), "child exited with %d", WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}
