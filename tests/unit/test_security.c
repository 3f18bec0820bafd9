/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_security.c -- capabilities, seccomp and sysctl: the pure conversions
 * and validation, and their errors.  Applying them for real is in
 * tests/privileged/ (test_caps_apply.c, test_seccomp_load.c, ...). */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/security.h"

#define SEC_STRV(...)                                                                              \
	((struct oci_strv){.v = (char *[]){__VA_ARGS__, NULL},                                     \
			   .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})
#define SEC_BIT(c) (UINT64_C(1) << (c))

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
	struct slx_err err = {0};

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.bounding, SEC_BIT(CAP_CHOWN) | SEC_BIT(CAP_KILL) | SEC_BIT(CAP_SYS_ADMIN));
	cr_assert_eq(out.effective, SEC_BIT(CAP_KILL));
	cr_assert_eq(out.permitted, SEC_BIT(CAP_KILL) | SEC_BIT(CAP_NET_BIND_SERVICE));
	cr_assert_eq(out.inheritable, 0);
	cr_assert_eq(out.ambient, SEC_BIT(CAP_NET_BIND_SERVICE));
}

Test(rt_caps, absent_means_no_capabilities)
{
	struct oci_capabilities c = {.present = false};
	struct rt_caps out = {.bounding = 7, .effective = 7, .ambient = 7};
	struct slx_err err = {0};

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), 0);
	cr_assert_eq(out.bounding | out.effective | out.permitted | out.inheritable | out.ambient,
		     0);
}

Test(rt_caps, unknown_name_names_the_field)
{
	struct oci_capabilities c = {
	    .present = true,
	    .bounding = SEC_STRV("CAP_CHOWN", "CAP_KILL", "CAP_FOO"),
	};
	struct rt_caps out;
	struct slx_err err = {0};

	cr_assert_eq(rt_caps_prepare(&c, &out, &err), -1);
	cr_assert_str_eq(err.msg, "process.capabilities.bounding[2]: unknown capability CAP_FOO");
}

Test(rt_caps, names_need_the_upper_case_cap_prefix)
{
	const char *bad[] = {"chown", "cap_chown", "CHOWN", "12", "CAP_", "CAP_chown"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct oci_capabilities c = {.present = true};
		char *names[] = {(char *)bad[i], NULL};
		struct rt_caps out;
		struct slx_err err = {0};
		char want[128];

		c.ambient = (struct oci_strv){.v = names, .n = 1};
		cr_assert_eq(rt_caps_prepare(&c, &out, &err), -1, "%s accepted", bad[i]);
		snprintf(want, sizeof(want),
			 "process.capabilities.ambient[0]: unknown capability %s", bad[i]);
		cr_assert_str_eq(err.msg, want);
	}
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
	struct oci_seccomp s = {.present = false};
	struct rt_seccomp *prog = (void *)&s;
	struct slx_err err = {0};

	cr_assert_eq(rt_seccomp_prepare(&s, &prog, &err), 0);
	cr_assert_null(prog);
	cr_assert_eq(rt_seccomp_load(NULL, &err), 0);
}

Test(rt_seccomp, unknown_syscall_action_names_the_field)
{
	struct oci_seccomp_syscall sc[4] = {
	    {.names = SEC_STRV("getcwd"), .action = "SCMP_ACT_ERRNO"},
	    {.names = SEC_STRV("mkdir"), .action = "SCMP_ACT_LOG"},
	    {.names = SEC_STRV("rmdir"), .action = "SCMP_ACT_TRAP"},
	    {.names = SEC_STRV("chdir"), .action = "SCMP_ACT_FOO"},
	};
	struct oci_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 4};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO");
}

Test(rt_seccomp, unknown_default_action_names_the_field)
{
	struct oci_seccomp s = {.default_action = "SCMP_ACT_NOPE"};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE");
}

Test(rt_seccomp, unknown_operator_names_the_field)
{
	struct oci_seccomp_arg args[] = {{.index = 0, .value = 1, .op = "SCMP_CMP_ABOUT"}};
	struct oci_seccomp_syscall sc[2] = {
	    {.names = SEC_STRV("getcwd"), .action = "SCMP_ACT_ERRNO"},
	    {.names = SEC_STRV("close"), .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 1},
	};
	struct oci_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg,
			 "linux.seccomp.syscalls[1].args[0].op: unknown operator SCMP_CMP_ABOUT");
}

Test(rt_seccomp, argument_index_past_five_names_the_field)
{
	struct oci_seccomp_arg args[] = {
	    {.index = 0, .op = "SCMP_CMP_EQ"},
	    {.index = 6, .op = "SCMP_CMP_EQ"},
	};
	struct oci_seccomp_syscall sc = {
	    .names = SEC_STRV("close"), .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 2};
	struct oci_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg,
			 "linux.seccomp.syscalls[0].args[1].index: 6 is out of range (0-5)");
}

Test(rt_seccomp, unknown_architecture_names_the_field)
{
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
				.architectures = SEC_STRV("SCMP_ARCH_VAX", "SCMP_ARCH_X86")};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg,
			 "linux.seccomp.architectures[0]: unknown architecture SCMP_ARCH_VAX");
}

Test(rt_seccomp, unknown_flag_names_the_field)
{
	struct oci_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW",
	    .flags = SEC_STRV("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE")};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.flags[1]: unknown flag SECCOMP_FILTER_FLAG_NOPE");
}

Test(rt_seccomp, errno_ret_past_16_bits_names_the_field)
{
	struct oci_seccomp s = {.default_action = "SCMP_ACT_ERRNO",
				.default_errno_ret = {.set = true, .v = 70000}};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&s, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: errnoRet 70000 is out of range");
}

Test(rt_seccomp, notify_is_refused_wherever_it_appears)
{
	struct oci_seccomp_syscall sc = {.names = SEC_STRV("getcwd"), .action = "SCMP_ACT_NOTIFY"};
	struct oci_seccomp by_default = {.default_action = "SCMP_ACT_NOTIFY"};
	struct oci_seccomp by_rule = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc, .n_syscalls = 1};
	struct oci_seccomp by_listener = {.default_action = "SCMP_ACT_ALLOW",
					  .listener_path = "/run/agent.sock"};
	struct slx_err err = {0};

	cr_assert_eq(sec_seccomp_err(&by_default, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
	cr_assert_eq(sec_seccomp_err(&by_rule, &err), -1);
	cr_assert_str_eq(err.msg,
			 "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
	cr_assert_eq(sec_seccomp_err(&by_listener, &err), -1);
	cr_assert_str_eq(err.msg, "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY is not supported");
}

Test(rt_seccomp, every_action_arch_and_flag_prepares)
{
	static const char *actions[] = {
	    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
	    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",	      "SCMP_ACT_LOG"};
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
	struct slx_err err = {0};

	for (size_t i = 0; i < 7; i++)
		sc[i] = (struct oci_seccomp_syscall){.names = names, .action = (char *)actions[i]};
	cr_assert_eq(sec_seccomp_err(&s, &err), 0, "%s", err.msg);
}

/* --- sysctl -------------------------------------------------------------- */

enum { SEC_NS_NONE = 0, SEC_IPC = 1, SEC_NET = 2, SEC_UTS = 4, SEC_NET_HOST = 8 };

static int sec_sysctl_check(const char *key, unsigned int ns, const char *hostname,
			    struct slx_err *err)
{
	struct oci_namespace nss[4];
	struct oci_kv kv = {.key = (char *)key, .value = "1"};
	struct oci_config cfg = {.hostname = (char *)hostname, .has_linux = true};
	size_t n = 0;

	if (ns & SEC_IPC)
		nss[n++] = (struct oci_namespace){.type = OCI_NS_IPC};
	if (ns & SEC_NET)
		nss[n++] = (struct oci_namespace){.type = OCI_NS_NETWORK};
	if (ns & SEC_NET_HOST)
		nss[n++] =
		    (struct oci_namespace){.type = OCI_NS_NETWORK, .path = "/proc/self/ns/net"};
	if (ns & SEC_UTS)
		nss[n++] = (struct oci_namespace){.type = OCI_NS_UTS};
	cfg.linux_.namespaces = nss;
	cfg.linux_.n_namespaces = n;
	cfg.linux_.sysctl = (struct oci_kvv){.v = &kv, .n = 1};
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
	    {"kernel.shmmax", SEC_IPC, NULL, NULL},
	    {"kernel/shmmax", SEC_IPC, NULL, NULL},
	    {"kernel.sem", SEC_IPC, NULL, NULL},
	    {"kernel.msgmnb", SEC_IPC, NULL, NULL},
	    {"fs.mqueue.msg_max", SEC_IPC, NULL, NULL},
	    {"kernel.shmmax", SEC_NET | SEC_UTS, NULL,
	     "linux.sysctl: kernel.shmmax needs a new ipc namespace"},
	    {"fs.mqueue.queues_max", SEC_NS_NONE, NULL,
	     "linux.sysctl: fs.mqueue.queues_max needs a new ipc namespace"},
	    {"net.ipv4.ip_forward", SEC_NET, NULL, NULL},
	    {"net/ipv4/conf/eth0.100/forwarding", SEC_NET, NULL, NULL},
	    {"net.ipv4.ip_forward", SEC_IPC, NULL,
	     "linux.sysctl: net.ipv4.ip_forward needs a new network namespace"},
	    {"net.core.somaxconn", SEC_NET_HOST, NULL,
	     "linux.sysctl: net.core.somaxconn is not allowed in the caller's own network "
	     "namespace"},
	    {"kernel.domainname", SEC_UTS, NULL, NULL},
	    {"kernel.hostname", SEC_UTS, NULL, NULL},
	    {"kernel.hostname", SEC_UTS, "box",
	     "linux.sysctl: kernel.hostname conflicts with the hostname field"},
	    {"kernel.domainname", SEC_IPC, NULL,
	     "linux.sysctl: kernel.domainname needs a new uts namespace"},
	    {"kernel.panic", SEC_IPC | SEC_NET | SEC_UTS, NULL,
	     "linux.sysctl: kernel.panic is not namespaced"},
	    {"vm.overcommit_memory", SEC_IPC, NULL,
	     "linux.sysctl: vm.overcommit_memory is not namespaced"},
	    {"net.ipv4..ip_forward", SEC_NET, NULL,
	     "linux.sysctl: invalid key net.ipv4..ip_forward"},
	    {"net/../../../etc/passwd", SEC_NET, NULL,
	     "linux.sysctl: invalid key net/../../../etc/passwd"},
	    {"net/ipv4/", SEC_NET, NULL, "linux.sysctl: invalid key net/ipv4/"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct slx_err err = {0};
		int rc = sec_sysctl_check(cases[i].key, cases[i].ns, cases[i].hostname, &err);

		if (!cases[i].want) {
			cr_expect_eq(rc, 0, "%s refused: %s", cases[i].key, err.msg);
			continue;
		}
		cr_expect_eq(rc, -1, "%s accepted", cases[i].key);
		cr_expect_str_eq(err.msg, cases[i].want);
	}
}

/* --- signal names ------------------------------------------------------ */

/* kill's names and numbers, runc's real-time forms among them; a sign or
 * an overflow in RTMIN+n made RTMIN+-25 SIGKILL and RTMIN+-34 signal 0 (an
 * attacker's review). */
Test(rt_signal, names_numbers_and_the_real_time_range)
{
	cr_expect_eq(rt_signal_parse("TERM"), SIGTERM);
	cr_expect_eq(rt_signal_parse("sigkill"), SIGKILL);
	cr_expect_eq(rt_signal_parse("15"), SIGTERM);
	cr_expect_eq(rt_signal_parse("RTMIN"), SIGRTMIN);
	cr_expect_eq(rt_signal_parse("RTMIN+3"), SIGRTMIN + 3);
	cr_expect_eq(rt_signal_parse("SIGRTMAX-2"), SIGRTMAX - 2);
	cr_expect_eq(rt_signal_parse("RTMAX"), SIGRTMAX);
	cr_expect_eq(rt_signal_parse("RTMIN+30"), SIGRTMIN + 30 <= SIGRTMAX ? SIGRTMIN + 30 : -1);
	cr_expect_eq(rt_signal_parse("RTMIN+-25"), -1);
	cr_expect_eq(rt_signal_parse("RTMIN+-34"), -1);
	cr_expect_eq(rt_signal_parse("RTMIN++1"), -1);
	cr_expect_eq(rt_signal_parse("RTMIN+ 1"), -1);
	cr_expect_eq(rt_signal_parse("RTMIN+9223372036854775807"), -1);
	cr_expect_eq(rt_signal_parse("RTMAX-99"), -1);
	cr_expect_eq(rt_signal_parse("0"), -1);
	cr_expect_eq(rt_signal_parse("65"), -1);
	cr_expect_eq(rt_signal_parse("NOPE"), -1);
}
