/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syscalls.h -- the system calls glibc 2.36 does not wrap, each under its
 * own name, in one place: every other file calls these (or glibc's own
 * wrappers: pidfd_open, pidfd_send_signal, fsopen, open_tree, execveat, ...)
 * instead of syscall(2). */
#ifndef SLX_SYSCALLS_H
#define SLX_SYSCALLS_H

#include <linux/bpf.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline pid_t slx_clone3(struct clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

static inline int slx_openat2(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

static inline int slx_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int slx_capset(void *hdr, void *data)
{
	return (int)syscall(SYS_capset, hdr, data);
}

static inline int slx_seccomp(unsigned op, unsigned flags, void *args)
{
	return (int)syscall(SYS_seccomp, op, flags, args);
}

static inline int slx_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

#endif
