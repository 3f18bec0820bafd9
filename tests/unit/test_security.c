/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_security.c -- capabilities, seccomp, sysctl and lo-up: the pure
 * conversions and their errors, then the real syscalls in forked children. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/security.h"

#define SEC_STRV(...)                                                          \
	((struct oci_strv){ .v = (char *[]){ __VA_ARGS__, NULL },              \
			    .n = sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *) })
#define SEC_BIT(c) (UINT64_C(1) << (c))

/* Run fn in a forked child and return its raw wait status; the child never
 * returns into criterion. */
static int sec_in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void sec_assert_child_ok(int (*fn)(void))
{
	int status = sec_in_child(fn);

	cr_assert(WIFEXITED(status), "child died from signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child failed at step %d", WEXITSTATUS(status));
}

/* One "CapXxx:" mask from /proc/self/status. */
static uint64_t sec_status_mask(const char *field)
{
	cleanup_file FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			return strtoull(line + len + 1, NULL, 16);
	return UINT64_MAX;
}

/* --- capabilities ---------------------------------------------------- */

Test(rt_caps, names_become_bits_per_set)
{
	struct oci_capabilities c = {
		.present = true,
		.bounding = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"),
		.effective = SEC_STRV("CAP_KILL"),
		.permitted = SEC_STRV("CAP_KILL", "CAP_NET_BIND_SERVICE"),
		.ambient = SEC_STRV("CAP_NET_BIND_SERVICE"),
	};
	struct rt_caps out;
	struct slx_err err = { 0 };

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.bounding, SEC_BIT(CAP_CHOWN) | SEC_BIT(CAP_KILL) | SEC_BIT(CAP_SYS_ADMIN));
	cr_assert_eq(out.effective, SEC_BIT(CAP_KILL));
	cr_assert_eq(out.permitted, SEC_BIT(CAP_KILL) | SEC_BIT(CAP_NET_BIND_SERVICE));
	cr_assert_eq(out.inheritable, 0);
	cr_assert_eq(out.ambient, SEC_BIT(CAP_NET_BIND_SERVICE));
}

Test(rt_caps, absent_means_no_capabilities)
{
	struct oci_capabilities c = { .present = false };
	struct rt_caps out = { .bounding = 7, .effective = 7, .ambient = 7 };
	struct slx_err err = { 0 };

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), 0);
	cr_assert_eq(out.bounding | out.effective | out.permitted | out.inheritable | out.ambient, 0);
}

Test(rt_caps, unknown_name_names_the_field)
{
	struct oci_capabilities c = {
		.present = true,
		.bounding = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_FOO"),
	};
	struct rt_caps out;
	struct slx_err err = { 0 };

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), -1);
	cr_assert_str_eq(err.msg, "process.capabilities.bounding[2]: unknown capability CAP_FOO");
}

Test(rt_caps, names_need_the_upper_case_cap_prefix)
{
	const char *bad[] = { "chown", "cap_chown", "CHOWN", "12", "CAP_", "CAP_chown" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct oci_capabilities c = { .present = true };
		char *names[] = { (char *)bad[i], NULL };
		struct rt_caps out;
		struct slx_err err = { 0 };
		char want[128];

		c.ambient = (struct oci_strv){ .v = names, .n = 1 };
		cr_assert_eq(rt_caps_prepare(&c, &out, &err), -1, "%s accepted", bad[i]);
		snprintf(want, sizeof(want),
			 "process.capabilities.ambient[0]: unknown capability %s", bad[i]);
		cr_assert_str_eq(err.msg, want);
	}
}

static int sec_child_drop_bounding(void)
{
	struct oci_capabilities c = {
		.present = true,
		.bounding = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_SETPCAP"),
	};
	uint64_t before = sec_status_mask("CapBnd");
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply_bounding(&caps, &err) < 0)
		return 2;
	if (sec_status_mask("CapBnd") != (before & caps.bounding))
		return 3;
	/* A dropped capability must really be gone from the bounding set. */
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		return 4;
	return 0;
}

Test(rt_caps, bounding_set_is_cut_to_the_list)
{
	cr_assert_neq(sec_status_mask("CapBnd") & SEC_BIT(CAP_SYS_ADMIN), 0,
		      "test needs CAP_SYS_ADMIN in the bounding set");
	sec_assert_child_ok(sec_child_drop_bounding);
}

static int sec_child_set_caps(void)
{
	struct oci_capabilities c = {
		.present = true,
		.bounding = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
		.effective = SEC_STRV("CAP_CHOWN", "CAP_KILL"),
		.permitted = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
		.inheritable = SEC_STRV("CAP_KILL", "CAP_NET_BIND_SERVICE"),
		.ambient = SEC_STRV("CAP_NET_BIND_SERVICE"),
	};
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply(&caps, &err) < 0)
		return 2;
	if (sec_status_mask("CapEff") != caps.effective)
		return 3;
	if (sec_status_mask("CapPrm") != caps.permitted)
		return 4;
	if (sec_status_mask("CapInh") != caps.inheritable)
		return 5;
	if (sec_status_mask("CapAmb") != SEC_BIT(CAP_NET_BIND_SERVICE))
		return 6;
	return 0;
}

Test(rt_caps, sets_and_ambient_are_applied)
{
	sec_assert_child_ok(sec_child_set_caps);
}

static int sec_child_ambient_not_inheritable(void)
{
	struct oci_capabilities c = {
		.present = true,
		.effective = SEC_STRV("CAP_CHOWN"),
		.permitted = SEC_STRV("CAP_CHOWN"),
		.ambient = SEC_STRV("CAP_CHOWN"),
	};
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply(&caps, &err) != 0)
		return 2;
	/* Applied, but CAP_CHOWN could not become ambient. */
	if (sec_status_mask("CapAmb") != 0 || sec_status_mask("CapEff") != SEC_BIT(CAP_CHOWN))
		return 3;
	return 0;
}

Test(rt_caps, ambient_outside_inheritable_is_left_out_as_runc_does)
{
	sec_assert_child_ok(sec_child_ambient_not_inheritable);
}

/* --- seccomp --------------------------------------------------------- */

static int sec_seccomp_err(struct oci_seccomp *s, struct slx_err *err)
{
	struct rt_seccomp *prog = NULL;
	int rc;

	s->present = true;
	rc = rt_seccomp_prepare(s, &prog, err);
	cr_assert(rc == -1 || prog != NULL);
	rt_seccomp_free(prog);
	return rc;
}

Test(rt_seccomp, absent_gives_no_program)
{
	struct oci_seccomp s = { .present = false };
	struct rt_seccomp *prog = (void *)&s;
	struct slx_err err = { 0 };

	cr_assert_eq(rt_seccomp_prepare(&s, &prog, &err), 0);
	cr_assert_null(prog);
	cr_assert_eq(rt_seccomp_load(NULL, &err), 0);
}

Test(rt_seccomp, unknown_syscall_action_names_the_field)
{
	struct oci_seccomp_syscall sc[4] = {
		{ .names = SEC_STRV("getcwd"), .action = "SCMP_ACT_ERRNO" },
		{ .names = SEC_STRV("mkdir"), .action = "SCMP_ACT_LOG" },
		{ .names = SEC_STRV("rmdir"), .action = "SCMP_ACT_TRAP" },
		{ .names = SEC_STRV("chdir"), .action = "SCMP_ACT_FOO" },
	};
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 4 };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO");
}

Test(rt_seccomp, unknown_default_action_names_the_field)
{
	struct oci_seccomp s = { .default_action = "SCMP_ACT_NOPE" };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE");
}

Test(rt_seccomp, unknown_operator_names_the_field)
{
	struct oci_seccomp_arg args[] = { { .index = 0, .value = 1, .op = "SCMP_CMP_ABOUT" } };
	struct oci_seccomp_syscall sc[2] = {
		{ .names = SEC_STRV("getcwd"), .action = "SCMP_ACT_ERRNO" },
		{ .names = SEC_STRV("close"), .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 1 },
	};
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2 };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.syscalls[1].args[0].op: unknown operator SCMP_CMP_ABOUT");
}

Test(rt_seccomp, argument_index_past_five_names_the_field)
{
	struct oci_seccomp_arg args[] = {
		{ .index = 0, .op = "SCMP_CMP_EQ" },
		{ .index = 6, .op = "SCMP_CMP_EQ" },
	};
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("close"), .action = "SCMP_ACT_ERRNO",
					  .args = args, .n_args = 2 };
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1 };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.syscalls[0].args[1].index: 6 is out of range (0-5)");
}

Test(rt_seccomp, unknown_architecture_names_the_field)
{
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
				 .architectures = SEC_STRV("SCMP_ARCH_VAX", "SCMP_ARCH_X86") };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.architectures[0]: unknown architecture SCMP_ARCH_VAX");
}

Test(rt_seccomp, unknown_flag_names_the_field)
{
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
				 .flags = SEC_STRV("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE") };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.flags[1]: unknown flag SECCOMP_FILTER_FLAG_NOPE");
}

Test(rt_seccomp, errno_ret_past_16_bits_names_the_field)
{
	struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
				 .default_errno_ret = { .set = true, .v = 70000 } };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: errnoRet 70000 is out of range");
}

Test(rt_seccomp, notify_is_refused_wherever_it_appears)
{
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("getcwd"), .action = "SCMP_ACT_NOTIFY" };
	struct oci_seccomp by_default = { .default_action = "SCMP_ACT_NOTIFY" };
	struct oci_seccomp by_rule = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1 };
	struct oci_seccomp by_listener = { .default_action = "SCMP_ACT_ALLOW",
					   .listener_path = "/run/agent.sock" };
	struct slx_err err = { 0 };

	cr_assert_eq(sec_seccomp_err(&by_default, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
	cr_assert_eq(sec_seccomp_err(&by_rule, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
	cr_assert_eq(sec_seccomp_err(&by_listener, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY is not supported");
}

Test(rt_seccomp, every_action_arch_and_flag_prepares)
{
	static const char *actions[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
					 "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
					 "SCMP_ACT_LOG" };
	struct oci_seccomp_syscall sc[7];
	struct oci_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.architectures = SEC_STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
		.flags = SEC_STRV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
				  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
				  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
		.syscalls = sc,
		.n_syscalls = 7,
	};
	struct oci_strv names = SEC_STRV("getcwd", "not_a_syscall");
	struct slx_err err = { 0 };

	for (size_t i = 0; i < 7; i++)
		sc[i] = (struct oci_seccomp_syscall){ .names = names, .action = (char *)actions[i] };
	cr_assert_eq(sec_seccomp_err(&s, &err), 0, "%s", err.msg);
}

/* The children below load a filter for real and report what the syscall
 * did; default ALLOW keeps the sanitizer runtime working. */
static struct rt_seccomp *sec_prog;

static void sec_prepare(const struct oci_seccomp *s)
{
	struct slx_err err = { 0 };

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
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("getcwd"), .action = "SCMP_ACT_ERRNO",
					  .errno_ret = { .set = true, .v = 38 } };
	struct oci_seccomp s = { .present = true, .default_action = "SCMP_ACT_ALLOW",
				 .flags = SEC_STRV("SECCOMP_FILTER_FLAG_LOG"),
				 .architectures = SEC_STRV("SCMP_ARCH_X86", "SCMP_ARCH_X32"),
				 .syscalls = &sc, .n_syscalls = 1 };

	sec_prepare(&s);
	sec_assert_child_ok(sec_child_getcwd_errno);
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
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("getppid"), .action = "SCMP_ACT_ERRNO" };
	struct oci_seccomp s = { .present = true, .default_action = "SCMP_ACT_ALLOW",
				 .syscalls = &sc, .n_syscalls = 1 };

	sec_prepare(&s);
	sec_assert_child_ok(sec_child_errno_default_is_eperm);
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
		{ .index = 0, .value = PRIO_PROCESS, .op = "SCMP_CMP_EQ" },
		{ .index = 1, .value = 424242, .op = "SCMP_CMP_EQ" },
	};
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("getpriority"), .action = "SCMP_ACT_ERRNO",
					  .errno_ret = { .set = true, .v = 38 },
					  .args = args, .n_args = 2 };
	struct oci_seccomp s = { .present = true, .default_action = "SCMP_ACT_ALLOW",
				 .syscalls = &sc, .n_syscalls = 1 };

	sec_prepare(&s);
	sec_assert_child_ok(sec_child_args_and);
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
		{ .index = 0, .value = 90001, .op = "SCMP_CMP_EQ" },
		{ .index = 0, .value = 90002, .op = "SCMP_CMP_EQ" },
		{ .index = 0, .value = 0xff00, .value_two = 0x4200, .op = "SCMP_CMP_MASKED_EQ" },
	};
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("close"), .action = "SCMP_ACT_ERRNO",
					  .errno_ret = { .set = true, .v = 38 },
					  .args = args, .n_args = 3 };
	struct oci_seccomp s = { .present = true, .default_action = "SCMP_ACT_ALLOW",
				 .syscalls = &sc, .n_syscalls = 1 };

	sec_prepare(&s);
	sec_assert_child_ok(sec_child_args_or);
}

static int sec_child_kill_process(void)
{
	struct rlimit no_core = { 0, 0 };
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
	struct oci_seccomp_syscall sc = { .names = SEC_STRV("getppid"), .action = "SCMP_ACT_KILL_PROCESS" };
	struct oci_seccomp s = { .present = true, .default_action = "SCMP_ACT_ALLOW",
				 .syscalls = &sc, .n_syscalls = 1 };
	int status;

	sec_prepare(&s);
	status = sec_in_child(sec_child_kill_process);
	cr_assert(WIFSIGNALED(status), "child exited with %d", WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}

/* --- sysctl -------------------------------------------------------------- */

enum { SEC_NS_NONE = 0, SEC_IPC = 1, SEC_NET = 2, SEC_UTS = 4, SEC_NET_HOST = 8 };

static int sec_sysctl_check(const char *key, unsigned int ns, const char *hostname,
			    struct slx_err *err)
{
	struct oci_namespace nss[4];
	struct oci_kv kv = { .key = (char *)key, .value = "1" };
	struct oci_config cfg = { .hostname = (char *)hostname, .has_linux = true };
	size_t n = 0;

	if (ns & SEC_IPC)
		nss[n++] = (struct oci_namespace){ .type = OCI_NS_IPC };
	if (ns & SEC_NET)
		nss[n++] = (struct oci_namespace){ .type = OCI_NS_NETWORK };
	if (ns & SEC_NET_HOST)
		nss[n++] = (struct oci_namespace){ .type = OCI_NS_NETWORK, .path = "/proc/self/ns/net" };
	if (ns & SEC_UTS)
		nss[n++] = (struct oci_namespace){ .type = OCI_NS_UTS };
	cfg.linux_.namespaces = nss;
	cfg.linux_.n_namespaces = n;
	cfg.linux_.sysctl = (struct oci_kvv){ .v = &kv, .n = 1 };
	return rt_sysctl_validate(&cfg, err);
}

Test(rt_sysctl, validation_matrix)
{
	static const struct {
		const char *key;
		unsigned int ns;
		const char *hostname;
		const char *want; /* NULL: accepted */
	} cases[] = {
		{ "kernel.shmmax", SEC_IPC, NULL, NULL },
		{ "kernel/shmmax", SEC_IPC, NULL, NULL },
		{ "kernel.sem", SEC_IPC, NULL, NULL },
		{ "kernel.msgmnb", SEC_IPC, NULL, NULL },
		{ "fs.mqueue.msg_max", SEC_IPC, NULL, NULL },
		{ "kernel.shmmax", SEC_NET | SEC_UTS, NULL, "linux.sysctl: kernel.shmmax needs an ipc namespace" },
		{ "fs.mqueue.queues_max", SEC_NS_NONE, NULL,
		  "linux.sysctl: fs.mqueue.queues_max needs an ipc namespace" },
		{ "net.ipv4.ip_forward", SEC_NET, NULL, NULL },
		{ "net/ipv4/conf/eth0.100/forwarding", SEC_NET, NULL, NULL },
		{ "net.ipv4.ip_forward", SEC_IPC, NULL,
		  "linux.sysctl: net.ipv4.ip_forward needs a new network namespace" },
		{ "net.core.somaxconn", SEC_NET_HOST, NULL,
		  "linux.sysctl: net.core.somaxconn is not allowed in the host network namespace" },
		{ "kernel.domainname", SEC_UTS, NULL, NULL },
		{ "kernel.hostname", SEC_UTS, NULL, NULL },
		{ "kernel.hostname", SEC_UTS, "box", "linux.sysctl: kernel.hostname conflicts with the hostname field" },
		{ "kernel.domainname", SEC_IPC, NULL, "linux.sysctl: kernel.domainname needs a uts namespace" },
		{ "kernel.panic", SEC_IPC | SEC_NET | SEC_UTS, NULL, "linux.sysctl: kernel.panic is not namespaced" },
		{ "vm.overcommit_memory", SEC_IPC, NULL, "linux.sysctl: vm.overcommit_memory is not namespaced" },
		{ "net.ipv4..ip_forward", SEC_NET, NULL, "linux.sysctl: invalid key net.ipv4..ip_forward" },
		{ "net/../../../etc/passwd", SEC_NET, NULL, "linux.sysctl: invalid key net/../../../etc/passwd" },
		{ "net/ipv4/", SEC_NET, NULL, "linux.sysctl: invalid key net/ipv4/" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct slx_err err = { 0 };
		int rc = sec_sysctl_check(cases[i].key, cases[i].ns, cases[i].hostname, &err);

		if (!cases[i].want) {
			cr_expect_eq(rc, 0, "%s refused: %s", cases[i].key, err.msg);
			continue;
		}
		cr_expect_eq(rc, -1, "%s accepted", cases[i].key);
		cr_expect_str_eq(err.msg, cases[i].want);
	}
}

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
		{ .key = "kernel.shmmni", .value = "1234" },
		{ .key = "net/ipv4/ip_forward", .value = "1" },
	};
	struct oci_kvv sysctl = { .v = kv, .n = 2 };
	struct slx_err err;
	char buf[64];

	if (unshare(CLONE_NEWIPC | CLONE_NEWNET) < 0)
		return 1;
	if (rt_sysctl_apply(&sysctl, &err) < 0)
		return 2;
	if (sec_read_sysctl("/proc/sys/kernel/shmmni", buf, sizeof(buf)) < 0 || strcmp(buf, "1234\n"))
		return 3;
	if (sec_read_sysctl("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf)) < 0 || strcmp(buf, "1\n"))
		return 4;
	return 0;
}

Test(rt_sysctl, apply_writes_proc_sys)
{
	sec_assert_child_ok(sec_child_sysctl_apply);
}

Test(rt_sysctl, apply_error_names_the_file)
{
	struct oci_kv kv = { .key = "kernel.no_such_knob", .value = "1" };
	struct oci_kvv sysctl = { .v = &kv, .n = 1 };
	struct slx_err err = { 0 };

	cr_assert_eq(rt_sysctl_apply(&sysctl, &err), -1);
	cr_assert_str_eq(err.msg, "linux.sysctl: open /proc/sys/kernel/no_such_knob: No such file or directory");
}

/* --- netlink ------------------------------------------------------------ */

static int sec_lo_flags(short *flags)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { .ifr_name = "lo" };

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	*flags = ifr.ifr_flags;
	return 0;
}

static int sec_child_lo_up(void)
{
	struct slx_err err;
	short flags;

	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	if (sec_lo_flags(&flags) < 0 || (flags & IFF_UP))
		return 2;
	if (rt_netlink_lo_up(&err) < 0)
		return 3;
	if (sec_lo_flags(&flags) < 0 || !(flags & IFF_UP))
		return 4;
	/* Doing it again is harmless: the runtime may call it on a warm sandbox. */
	if (rt_netlink_lo_up(&err) < 0)
		return 5;
	return 0;
}

Test(rt_netlink, lo_comes_up_in_a_new_netns)
{
	sec_assert_child_ok(sec_child_lo_up);
}
