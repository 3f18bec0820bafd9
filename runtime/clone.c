/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clone.c -- the one clone3 of the runtime: a child born in its cgroup
 * (CLONE_INTO_CGROUP) and, when asked, in a pid namespace it joins. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/securebits.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/sock.h"
#include "../common/syscalls.h"
#include "internal.h"

/* A new user namespace's owner is the euid of its creator: this thread
 * takes owner as its euid for the clone, keeping its capabilities
 * (SECBIT_NO_SETUID_FIXUP) and its file access as root (fsuid 0).  Raw
 * syscalls: credentials are per thread, glibc's wrappers set them on all.
 * The child, born in the new user namespace, starts with the default
 * securebits (the kernel resets them there), so a later switch to the
 * function's user drops its capabilities as ever. */
static int owner_enter(uid_t owner, int *bits, struct slx_err *err)
{
	if ((*bits = prctl(PR_GET_SECUREBITS)) < 0 ||
	    prctl(PR_SET_SECUREBITS, (unsigned long)*bits | SECBIT_NO_SETUID_FIXUP) < 0)
		return slx_error(err, errno, "keep capabilities across the user namespace's owner");
	if (syscall(SYS_setresuid, -1, owner, -1) < 0) {
		slx_error(err, errno, "become the user namespace's owner (uid %u)",
			  (unsigned)owner);
		(void)prctl(PR_SET_SECUREBITS, (unsigned long)*bits);
		return -1;
	}
	(void)syscall(SYS_setfsuid, 0);
	return 0;
}

static void owner_leave(int bits)
{
	(void)syscall(SYS_setresuid, -1, 0, -1);
	(void)prctl(PR_SET_SECUREBITS, (unsigned long)bits);
}

/* A process's pid namespace is fixed at birth, so the parent points its
 * own pid_for_children at the one to join around the clone3, then back
 * (no other thread of ours may clone meanwhile: slxrun and the shim have
 * one). */
pid_t rt_clone_into(uint64_t flags, int cgroup_fd, int pidns_fd, uid_t userns_owner, int *pidfd,
		    struct slx_err *err)
{
	struct clone_args args = {
	    .flags = flags | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	cleanup_close int own_pidns = -1;
	bool owned = userns_owner && (flags & CLONE_NEWUSER);
	int bits = 0;
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
	if (owned && owner_enter(userns_owner, &bits, err) < 0) {
		if (own_pidns >= 0)
			(void)setns(own_pidns, CLONE_NEWPID);
		return -1;
	}
	pid = slx_clone3(&args);
	if (pid < 0)
		slx_error(err, errno, "clone3");
	if (owned && pid != 0)
		owner_leave(bits);
	if (pid != 0 && own_pidns >= 0)
		(void)setns(own_pidns, CLONE_NEWPID);
	return pid;
}

/* What the helper of rt_clone_in_userns tells its parent. */
struct userns_clone_reply {
	pid_t pid; /* the child's, or -1 */
	int errnum;
	char msg[SLX_ERR_MSG_MAX];
};

/* The helper: joins the user namespace, clones the child from inside it as
 * its parent's (CLONE_PARENT), sends the pid and pidfd, and exits.  Returns
 * only in the child. */
static void userns_helper(int userns_fd, uint64_t flags, int cgroup_fd, int pidns_fd, int sock)
{
	struct userns_clone_reply rep = {.pid = -1};
	struct slx_err e = {0};
	int pidfd = -1;

	/* Still the host's root, with every descriptor of ours and in our mount
	 * namespace, and in the joined namespace its root could reach us with
	 * ptrace or pidfd_getfd (an attacker's review: it ran a program of its
	 * own as the host's root): non-dumpable first, as the container's
	 * first process and exec's joiner are.  Its child inherits it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		slx_error(&e, errno, "prctl PR_SET_DUMPABLE");
	} else if (setns(userns_fd, CLONE_NEWUSER) < 0) {
		slx_error(&e, errno, "join the user namespace");
	} else {
		rep.pid = rt_clone_into(flags | CLONE_PARENT, cgroup_fd, pidns_fd, 0, &pidfd, &e);
		if (rep.pid == 0) {
			close(sock);
			return;
		}
	}
	rep.errnum = e.errnum;
	memcpy(rep.msg, e.msg, sizeof(rep.msg));
	(void)slx_send_fds(sock, &rep, sizeof(rep), &pidfd, pidfd >= 0 ? 1 : 0);
	_exit(0);
}

pid_t rt_clone_in_userns(int userns_fd, uint64_t flags, int cgroup_fd, int pidns_fd, int *pidfd,
			 struct slx_err *err)
{
	struct userns_clone_reply rep = {.pid = -1};
	cleanup_close int ours = -1;
	int sv[2], status;
	ssize_t n;
	pid_t helper;

	if (flags & CLONE_PARENT)
		return slx_error(err, EINVAL, "a sandbox cannot join a user namespace by path");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return slx_error(err, errno, "socketpair");
	helper = fork();
	if (helper < 0) {
		close(sv[0]);
		close(sv[1]);
		return slx_error(err, errno, "fork");
	}
	if (helper == 0) {
		close(sv[0]);
		userns_helper(userns_fd, flags, cgroup_fd, pidns_fd, sv[1]);
		return 0;
	}
	ours = sv[0];
	close(sv[1]);
	n = slx_recv_fds(ours, &rep, sizeof(rep), 0, pidfd, 1);
	(void)slx_waitpid(helper, &status);
	if (n != (ssize_t)sizeof(rep))
		return slx_error(err, n < 0 ? errno : EPROTO, "clone in the joined user namespace");
	if (rep.pid < 0) {
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		slx_error(err, 0, "%s", rep.msg); /* its errno is in it already */
		err->errnum = rep.errnum;
		return -1;
	}
	return rep.pid;
}
