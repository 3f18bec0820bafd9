/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clone.c -- the one clone3 of the runtime: a child born in its cgroup
 * (CLONE_INTO_CGROUP) and, when asked, in a pid namespace it joins. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>

#include "../common/cleanup.h"
#include "../common/syscalls.h"
#include "internal.h"

/* A process's pid namespace is fixed at birth, so the parent points its
 * own pid_for_children at the one to join around the clone3, then back
 * (no other thread of ours may clone meanwhile: slxrun and the shim have
 * one). */
pid_t rt_clone_into(uint64_t flags, int cgroup_fd, int pidns_fd, int *pidfd, struct slx_err *err)
{
	struct clone_args args = {
	    .flags = flags | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	cleanup_close int own_pidns = -1;
	pid_t pid;

	/* clone3 takes no exit signal with CLONE_PARENT: the child gets the
	 * caller's own (SIGCHLD for a fork()ed helper) for the shared parent. */
	if (flags & CLONE_PARENT)
		args.exit_signal = 0;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	if (pidns_fd >= 0) {
		own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || setns(pidns_fd, CLONE_NEWPID) < 0)
			return slx_error(err, errno, "join the pid namespace");
	}
	pid = slx_clone3(&args);
	if (pid < 0)
		slx_error(err, errno, "clone3");
	if (pid != 0 && own_pidns >= 0)
		(void)setns(own_pidns, CLONE_NEWPID);
	return pid;
}
