/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices_bpf.c -- the cgroup v2 device filter: linux.resources.devices
 * compiled to a BPF_PROG_TYPE_CGROUP_DEVICE program, loaded and attached to
 * the container's cgroup in place of any earlier one. */
#include "../common/syscalls.h"
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"

const struct oci_device_cgroup cg_default_device_rules[] = {
    {.allow = true, .type = 'c', .major = -1, .minor = -1, .access = "m"},
    {.allow = true, .type = 'b', .major = -1, .minor = -1, .access = "m"},
    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},    /* null */
    {.allow = true, .type = 'c', .major = 1, .minor = 5, .access = "rwm"},    /* zero */
    {.allow = true, .type = 'c', .major = 1, .minor = 7, .access = "rwm"},    /* full */
    {.allow = true, .type = 'c', .major = 1, .minor = 8, .access = "rwm"},    /* random */
    {.allow = true, .type = 'c', .major = 1, .minor = 9, .access = "rwm"},    /* urandom */
    {.allow = true, .type = 'c', .major = 5, .minor = 0, .access = "rwm"},    /* tty */
    {.allow = true, .type = 'c', .major = 5, .minor = 2, .access = "rwm"},    /* ptmx */
    {.allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rwm"}, /* pts */
};
const size_t cg_n_default_device_rules =
    sizeof(cg_default_device_rules) / sizeof(cg_default_device_rules[0]);

/* The few instruction shapes the filter uses (the kernel's filter.h names). */
#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)	     INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm)	     INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)	     INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JMP32_IMM(op, dst, imm, off) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm)	     INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT()			     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: r2 device type, r3 access, r4 major, r5 minor. */
enum { R_TYPE = 2, R_ACCESS = 3, R_MAJOR = 4, R_MINOR = 5, R_TMP = 1 };
#define CG_MAX_BLOCK 9

static unsigned cg_access_mask(const char *access)
{
	unsigned m = 0;

	if (!access)
		return BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	for (; *access; access++)
		m |= *access == 'r'   ? BPF_DEVCG_ACC_READ
		     : *access == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *access == 'm' ? BPF_DEVCG_ACC_MKNOD
				      : 0;
	return m;
}

/* One rule as a block of tests that each jump past the block on mismatch,
 * ending in "return allow".  An allow rule matches a request whose access
 * bits it all covers; a deny rule matches any request touching one of its
 * bits, so "deny w" after "allow rwm" still refuses an O_RDWR open.
 * Returns the block length. */
static size_t cg_rule_block(const struct oci_device_cgroup *r, struct bpf_insn *b)
{
	unsigned mask = cg_access_mask(r->access), all = cg_access_mask(NULL);
	size_t n = 0;
	bool test[4] = {r->type == 'b' || r->type == 'c', mask != all, r->major >= 0,
			r->minor >= 0};
	size_t len = 2 + test[0] + 3 * test[1] + test[2] + test[3];

#define SKIP ((short)(len - n - 1))
	if (test[0])
		b[n] = JMP32_IMM(BPF_JNE, R_TYPE,
				 r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, SKIP),
		n++;
	if (test[1]) {
		b[n++] = MOV32_REG(R_TMP, R_ACCESS);
		b[n++] = ALU32_IMM(BPF_AND, R_TMP, r->allow ? (int)(~mask & all) : (int)mask);
		b[n] = JMP32_IMM(r->allow ? BPF_JNE : BPF_JEQ, R_TMP, 0, SKIP), n++;
	}
	if (test[2])
		b[n] = JMP32_IMM(BPF_JNE, R_MAJOR, (int)(uint32_t)r->major, SKIP), n++;
	if (test[3])
		b[n] = JMP32_IMM(BPF_JNE, R_MINOR, (int)(uint32_t)r->minor, SKIP), n++;
#undef SKIP
	b[n++] = MOV64_IMM(0, r->allow ? 1 : 0);
	b[n++] = EXIT();
	return n;
}

/* Rules are emitted last first, so the first block that matches is the last
 * rule that matches: "last match wins", as in the v1 devices list.  No match
 * denies.  Sized for the prologue, a full block per rule and the epilogue. */
static struct bpf_insn *cg_devices_program(const struct oci_device_cgroup *rules, size_t n_rules,
					   size_t *n_insns)
{
	struct bpf_insn *p = calloc(6 + n_rules * CG_MAX_BLOCK + 2, sizeof(*p));
	size_t n = 0;

	if (!p)
		return NULL;
	p[n++] = LDX_W(R_TYPE, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[n++] = MOV32_REG(R_ACCESS, R_TYPE);
	p[n++] = ALU32_IMM(BPF_RSH, R_ACCESS, 16);
	p[n++] = ALU32_IMM(BPF_AND, R_TYPE, 0xffff);
	p[n++] = LDX_W(R_MAJOR, 1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[n++] = LDX_W(R_MINOR, 1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = n_rules; i-- > 0;) {
		size_t len = cg_rule_block(&rules[i], p + n);

		n += len;
		/* An unconditional rule ends the program: the verifier refuses
		 * code nothing can reach. */
		if (len == 2) {
			*n_insns = n;
			return p;
		}
	}
	p[n++] = MOV64_IMM(0, 0);
	p[n++] = EXIT();
	*n_insns = n;
	return p;
}

static int cg_bpf(int cmd, union bpf_attr *attr)
{
	return slx_bpf(cmd, attr);
}

static int cg_devices_load(const struct bpf_insn *insns, size_t n_insns, struct slx_err *err)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n_insns;
	attr.license = (uintptr_t) "GPL";
	fd = cg_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0)
		return slx_error(err, errno, "load device filter (bpf BPF_PROG_LOAD)");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return slx_error(err, errno, "device filter: FD_CLOEXEC");
	}
	return fd;
}

/* Ids of the device programs attached directly to this cgroup. */
static int cg_devices_attached(int dirfd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)ids;
	attr.query.prog_cnt = *n;
	if (cg_bpf(BPF_PROG_QUERY, &attr) < 0)
		return -1;
	*n = attr.query.prog_cnt;
	return 0;
}

/* Detach program id from the cgroup unless it is `keep`, the one just attached. */
static void cg_devices_detach_id(int dirfd, uint32_t id, int keep)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	cleanup_close int prog = -1;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	prog = cg_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (prog < 0)
		return;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)keep;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (cg_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0 && info.id == id)
		return;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	(void)cg_bpf(BPF_PROG_DETACH, &attr);
}

/* Loaded programs kept for reuse by instruction text: a shim attaches the
 * same filter to every sandbox of a function, and a load costs a verifier
 * run (~0.2 ms) where an attach is cheap.  A handful of entries covers the
 * functions one process serves; the oldest is replaced when full. */
#define CG_PROG_CACHE 8
static struct {
	struct bpf_insn *insns;
	size_t n;
	int fd;
} prog_cache[CG_PROG_CACHE];
static size_t prog_cache_next;

static int cg_devices_prog(const struct oci_device_cgroup *rules, size_t n, struct slx_err *err)
{
	struct bpf_insn *insns;
	size_t n_insns = 0, slot;
	int fd;

	insns = cg_devices_program(rules, n, &n_insns);
	if (!insns)
		return slx_error(err, ENOMEM, "device filter");
	for (size_t i = 0; i < CG_PROG_CACHE; i++)
		if (prog_cache[i].insns && prog_cache[i].n == n_insns &&
		    !memcmp(prog_cache[i].insns, insns, n_insns * sizeof(*insns))) {
			free(insns);
			return prog_cache[i].fd;
		}
	fd = cg_devices_load(insns, n_insns, err);
	if (fd < 0) {
		free(insns);
		return -1;
	}
	slot = prog_cache_next++ % CG_PROG_CACHE;
	if (prog_cache[slot].insns) {
		free(prog_cache[slot].insns);
		close(prog_cache[slot].fd);
	}
	prog_cache[slot].insns = insns;
	prog_cache[slot].n = n_insns;
	prog_cache[slot].fd = fd;
	return fd;
}

int cg_devices_attach(int dirfd, const struct oci_device_cgroup *rules, size_t n,
		      struct slx_err *err)
{
	uint32_t old[64], n_old = sizeof(old) / sizeof(old[0]);
	union bpf_attr attr;
	int prog;

	if (cg_devices_attached(dirfd, old, &n_old) < 0)
		n_old = 0;
	prog = cg_devices_prog(rules, n, err);
	if (prog < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (cg_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return slx_error(err, errno, "attach device filter (bpf BPF_PROG_ATTACH)");
	/* New first, then old: with several programs attached all must allow,
	 * so there is never a moment with no filter at all.  The same program
	 * attached again (update with unchanged rules) is not detached. */
	for (uint32_t i = 0; i < n_old && i < sizeof(old) / sizeof(old[0]); i++)
		cg_devices_detach_id(dirfd, old[i], prog);
	return 0;
}

int cg_devices_apply(int dirfd, const struct oci_device_cgroup *rules, size_t n_rules,
		     struct slx_err *err)
{
	static const struct oci_device_cgroup deny_all = {
	    .allow = false, .type = 'a', .major = -1, .minor = -1};
	size_t n_user = n_rules ? n_rules : 1;
	size_t n = n_user + cg_n_default_device_rules;
	cleanup_free struct oci_device_cgroup *all = calloc(n, sizeof(*all));

	if (!all)
		return slx_error(err, ENOMEM, "device filter");
	memcpy(all, n_rules ? rules : &deny_all, n_user * sizeof(*all));
	memcpy(all + n_user, cg_default_device_rules, cg_n_default_device_rules * sizeof(*all));
	if (cg_devices_attach(dirfd, all, n, err) < 0)
		return slx_error_prefix(err, "linux.resources.devices");
	return 0;
}
