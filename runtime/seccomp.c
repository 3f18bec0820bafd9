/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp.c -- linux.seccomp compiled with libseccomp to a BPF program in the
 * parent; the child only hands that program to seccomp(2). */
#include "../common/syscalls.h"
#include "security.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"

struct rt_seccomp {
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	unsigned short len;
	struct sock_filter insns[];
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* base: the action without its 16-bit data; takes_ret: ERRNO and TRACE
 * carry errnoRet (EPERM when absent, as runc). */
static const struct {
	const char *name;
	uint32_t base;
	bool takes_ret;
} seccomp_actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
	const char *name;
	uint32_t token;
} seccomp_arches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

/* TSYNC is accepted and ignored as runc does: the child that loads the
 * filter has a single thread. */
static const struct {
	const char *name;
	unsigned int flag;
} seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
	*ctx = NULL;
}

/* Resolve an action name plus its optional errnoRet; `field` is the JSON
 * path of the action ("linux.seccomp.syscalls[3].action"). */
static int seccomp_action(const char *name, const struct oci_opt_u64 *ret, const char *field,
			  uint32_t *out, struct slx_err *err)
{
	for (size_t i = 0; name && i < ARRAY_LEN(seccomp_actions); i++) {
		if (strcmp(name, seccomp_actions[i].name) != 0)
			continue;
		if (seccomp_actions[i].base == SCMP_ACT_NOTIFY)
			return slx_error(err, 0, "%s: SCMP_ACT_NOTIFY is not supported", field);
		*out = seccomp_actions[i].base;
		if (!seccomp_actions[i].takes_ret)
			return 0;
		if (ret->set && ret->v > 0xffff)
			return slx_error(err, 0, "%s: errnoRet %llu is out of range", field,
					 (unsigned long long)ret->v);
		*out |= ret->set ? (uint32_t)ret->v : (uint32_t)EPERM;
		return 0;
	}
	return slx_error(err, 0, "%s: unknown action %s", field, name ? name : "(none)");
}

static int seccomp_add_arches(scmp_filter_ctx ctx, const struct oci_strv *arches,
			      struct slx_err *err)
{
	for (size_t i = 0; i < arches->n; i++) {
		size_t k = 0;
		int rc;

		while (k < ARRAY_LEN(seccomp_arches) &&
		       strcmp(arches->v[i], seccomp_arches[k].name) != 0)
			k++;
		if (k == ARRAY_LEN(seccomp_arches))
			return slx_error(
			    err, 0, "linux.seccomp.architectures[%zu]: unknown architecture %s", i,
			    arches->v[i]);
		/* The native architecture is in the context already. */
		rc = seccomp_arch_add(ctx, seccomp_arches[k].token);
		if (rc < 0 && rc != -EEXIST)
			return slx_error(err, -rc, "linux.seccomp.architectures[%zu]: add %s", i,
					 arches->v[i]);
	}
	return 0;
}

static int seccomp_parse_flags(const struct oci_strv *flags, unsigned int *out, struct slx_err *err)
{
	*out = 0;
	for (size_t i = 0; i < flags->n; i++) {
		size_t k = 0;

		while (k < ARRAY_LEN(seccomp_flags) &&
		       strcmp(flags->v[i], seccomp_flags[k].name) != 0)
			k++;
		if (k == ARRAY_LEN(seccomp_flags))
			return slx_error(err, 0, "linux.seccomp.flags[%zu]: unknown flag %s", i,
					 flags->v[i]);
		*out |= seccomp_flags[k].flag;
	}
	return 0;
}

static int seccomp_conditions(const struct oci_seccomp_syscall *sc, size_t idx,
			      struct scmp_arg_cmp *conds, bool *same_index, struct slx_err *err)
{
	unsigned int per_index[6] = {0};

	*same_index = false;
	for (size_t a = 0; a < sc->n_args; a++) {
		const struct oci_seccomp_arg *arg = &sc->args[a];
		size_t k = 0;

		if (arg->index >= ARRAY_LEN(per_index))
			return slx_error(
			    err, 0,
			    "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range (0-5)",
			    idx, a, arg->index);
		while (k < ARRAY_LEN(seccomp_ops) &&
		       (!arg->op || strcmp(arg->op, seccomp_ops[k].name) != 0))
			k++;
		if (k == ARRAY_LEN(seccomp_ops))
			return slx_error(
			    err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator %s",
			    idx, a, arg->op ? arg->op : "(none)");
		/* For MASKED_EQ libseccomp reads datum_a as the mask and
		 * datum_b as the value, which is runc's value/valueTwo. */
		conds[a] = (struct scmp_arg_cmp){.arg = arg->index,
						 .op = seccomp_ops[k].op,
						 .datum_a = arg->value,
						 .datum_b = arg->value_two};
		if (++per_index[arg->index] > 1)
			*same_index = true;
	}
	return 0;
}

/* runc's rule: conditions on different arguments are ANDed in one rule; as
 * soon as one argument appears twice, every condition becomes its own rule
 * (ORed), since a single rule cannot test one argument twice. */
static int seccomp_add_syscall(scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc,
			       size_t idx, uint32_t action, struct slx_err *err)
{
	cleanup_free struct scmp_arg_cmp *conds = NULL;
	bool same_index;

	if (sc->n_args) {
		conds = calloc(sc->n_args, sizeof(*conds));
		if (!conds)
			return slx_error(err, ENOMEM, "linux.seccomp.syscalls[%zu]", idx);
	}
	if (seccomp_conditions(sc, idx, conds, &same_index, err) < 0)
		return -1;
	for (size_t n = 0; n < sc->names.n; n++) {
		int nr = seccomp_syscall_resolve_name(sc->names.v[n]);
		int rc = 0;

		/* Unknown to libseccomp: skipped, as runc does, so one profile
		 * serves kernels and libraries of different ages. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (!same_index)
			rc = seccomp_rule_add_array(ctx, action, nr, (unsigned int)sc->n_args,
						    conds);
		for (size_t a = 0; same_index && rc == 0 && a < sc->n_args; a++)
			rc = seccomp_rule_add_array(ctx, action, nr, 1, &conds[a]);
		if (rc < 0)
			return slx_error(err, -rc,
					 "linux.seccomp.syscalls[%zu].names[%zu]: add rule for %s",
					 idx, n, sc->names.v[n]);
	}
	return 0;
}

static int seccomp_add_syscalls(scmp_filter_ctx ctx, const struct oci_seccomp *s,
				uint32_t default_action, struct slx_err *err)
{
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		char field[64];
		uint32_t action;

		snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", i);
		if (seccomp_action(sc->action, &sc->errno_ret, field, &action, err) < 0)
			return -1;
		/* libseccomp refuses rules that repeat the default action. */
		if (action == default_action)
			continue;
		if (seccomp_add_syscall(ctx, sc, i, action, err) < 0)
			return -1;
	}
	return 0;
}

/* Export through a memfd (a pipe could fill up and block) and read the
 * instructions back into one allocation. */
static int seccomp_export(scmp_filter_ctx ctx, unsigned int flags, struct rt_seccomp **out,
			  struct slx_err *err)
{
	cleanup_close int fd = memfd_create("slx-seccomp", MFD_CLOEXEC);
	cleanup_free struct rt_seccomp *prog = NULL;
	struct stat st;
	int rc;

	if (fd < 0)
		return slx_error(err, errno, "linux.seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return slx_error(err, -rc, "linux.seccomp: export the BPF program");
	if (fstat(fd, &st) < 0)
		return slx_error(err, errno, "linux.seccomp: stat the BPF program");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return slx_error(err, E2BIG, "linux.seccomp: BPF program of %lld bytes",
				 (long long)st.st_size);
	prog = malloc(sizeof(*prog) + (size_t)st.st_size);
	if (!prog)
		return slx_error(err, ENOMEM, "linux.seccomp");
	if (pread(fd, prog->insns, (size_t)st.st_size, 0) != st.st_size)
		return slx_error(err, errno ? errno : EIO, "linux.seccomp: read the BPF program");
	prog->flags = flags;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	*out = steal_ptr(prog);
	return 0;
}

int rt_seccomp_prepare(const struct oci_seccomp *s, struct rt_seccomp **out, struct slx_err *err)
{
	__attribute__((cleanup(seccomp_ctx_releasep))) scmp_filter_ctx ctx = NULL;
	uint32_t default_action;
	unsigned int flags;
	int rc;

	*out = NULL;
	if (!s || !s->present)
		return 0;
	if (s->listener_path)
		return slx_error(err, 0,
				 "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY is not supported");
	if (seccomp_action(s->default_action, &s->default_errno_ret, "linux.seccomp.defaultAction",
			   &default_action, err) < 0)
		return -1;
	if (seccomp_parse_flags(&s->flags, &flags, err) < 0)
		return -1;
	ctx = seccomp_init(default_action);
	if (!ctx)
		return slx_error(err, 0, "linux.seccomp: seccomp_init failed");
	/* no_new_privs is the caller's business (process.noNewPrivileges). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return slx_error(err, -rc, "linux.seccomp: clear SCMP_FLTATR_CTL_NNP");
	if (seccomp_add_arches(ctx, &s->architectures, err) < 0)
		return -1;
	if (seccomp_add_syscalls(ctx, s, default_action, err) < 0)
		return -1;
	return seccomp_export(ctx, flags, out, err);
}

int rt_seccomp_load(const struct rt_seccomp *s, struct slx_err *err)
{
	struct sock_fprog prog;

	if (!s)
		return 0;
	prog.len = s->len;
	prog.filter = (struct sock_filter *)s->insns;
	if (slx_seccomp(SECCOMP_SET_MODE_FILTER, s->flags, &prog) < 0)
		return slx_error(err, errno, "load the seccomp filter (%u instructions, flags %#x)",
				 s->len, s->flags);
	return 0;
}

int rt_seccomp_from_bpf(const struct sock_filter *insns, size_t len, unsigned flags,
			struct rt_seccomp **out, struct slx_err *err)
{
	struct rt_seccomp *prog;

	if (!len || len > BPF_MAXINSNS)
		return slx_error(err, E2BIG, "seccomp: BPF program of %zu instructions", len);
	prog = malloc(sizeof(*prog) + len * sizeof(*insns));
	if (!prog)
		return slx_error(err, ENOMEM, "seccomp");
	memcpy(prog->insns, insns, len * sizeof(*insns));
	prog->flags = flags;
	prog->len = (unsigned short)len;
	*out = prog;
	return 0;
}

void rt_seccomp_bpf(const struct rt_seccomp *s, const struct sock_filter **insns, size_t *len,
		    unsigned *flags)
{
	*insns = s->insns;
	*len = s->len;
	*flags = s->flags;
}

void rt_seccomp_free(struct rt_seccomp *s)
{
	free(s);
}
