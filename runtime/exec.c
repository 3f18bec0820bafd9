/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.c -- a further process in a running container: clone3 into its
 * cgroup, setns(pidfd) into its namespaces, fork into its pid namespace,
 * then the same process setup as the init (user, caps, seccomp) before
 * execve. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/sock.h"
#include "../common/syscalls.h"
#include "internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3 /* linux/wait.h, which glibc's sys/wait.h does not take */
#endif

/* Until its execve the process runs our code in the container's reach:
 * its root stopped it (SIGSTOP), and `exec -d` waited for ever (an
 * attacker's review); a child cgroup it may write freezes it as well, a
 * file it serves holds it.  That code takes milliseconds: past this the
 * process is killed and exec fails. */
#define EXEC_START_TIMEOUT_MS 10000

struct exec_plan {
	const struct oci_process *proc;
	struct oci_config *cfg;
	struct oci_state *st;
	struct rt_confine confine;
	int target_pidfd;
	int ns_flags; /* namespaces of the container that differ from ours */
	int console_fd;
	int console_peer; /* foreground with a terminal: where the master comes */
	int preserve_fds;
	struct cg_handle cg;
};

static void plan_release(struct exec_plan *p)
{
	rt_confine_release(&p->confine);
	oci_config_free(p->cfg);
	oci_state_free(p->st);
	slx_closep(&p->target_pidfd);
	slx_closep(&p->console_fd);
	slx_closep(&p->console_peer);
	cg_handle_release(&p->cg);
}

static bool same_ns(pid_t pid, const char *name)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	if (stat(path, &a) < 0)
		return true;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int plan_namespaces(struct exec_plan *p)
{
	for (int t = 0; t < OCI_NS_COUNT; t++)
		if (!same_ns(p->st->pid, rt_ns_proc_name(t)))
			p->ns_flags |= rt_ns_clone_flag(t);
	return 0;
}

/* A process that names no LSM label runs under the container's, as with
 * runc: an exec must not be less confined than the container it joins. */
static int confine_prepare(struct exec_plan *p, struct slx_err *err)
{
	struct oci_process labeled = *p->proc;

	if (!labeled.apparmor_profile || !*labeled.apparmor_profile)
		labeled.apparmor_profile = p->cfg->process.apparmor_profile;
	if (!labeled.selinux_label || !*labeled.selinux_label)
		labeled.selinux_label = p->cfg->process.selinux_label;
	return rt_confine_prepare(&labeled, p->cfg, &p->confine, err);
}

static int plan_build(const struct rt_ctx *ctx, const char *id, const struct oci_process *proc,
		      const struct rt_exec_opts *opts, struct exec_plan *p, struct slx_err *err)
{
	p->proc = proc;
	p->preserve_fds = opts->preserve_fds;
	if (rt_preserve_fds_check(opts->preserve_fds, err) < 0)
		return -1;
	if (rt_state(ctx, id, &p->st, err) < 0)
		return -1;
	if (p->st->status != OCI_STATUS_RUNNING && p->st->status != OCI_STATUS_CREATED)
		return slx_error(err, 0, "cannot exec in a %s container",
				 oci_status_name(p->st->status));
	p->target_pidfd = pidfd_open(p->st->pid, 0);
	if (p->target_pidfd < 0 || rt_pid_start_time(p->st->pid) != p->st->pid_start_time)
		return slx_error(err, 0, "container not running");
	if (rt_config_load(ctx, id, &p->cfg, err) < 0 || confine_prepare(p, err) < 0)
		return -1;
	if (proc->terminal && !opts->console_socket && opts->detach)
		return slx_error(
		    err, 0, "process.terminal is true: --console-socket is required when detached");
	if (opts->console_socket &&
	    rt_console_socket_connect(opts->console_socket, &p->console_fd, err) < 0)
		return -1;
	/* in the foreground, the master comes to us (rt_run's way) */
	if (proc->terminal && !opts->console_socket &&
	    rt_console_pair(&p->console_fd, &p->console_peer, err) < 0)
		return -1;
	if (p->st->cgroup_path && *p->st->cgroup_path &&
	    cg_open(p->st->cgroup_path, &p->cg, err) < 0)
		return -1;
	return plan_namespaces(p);
}

static int enter_shared_root(pid_t pid, struct slx_err *err)
{
	char root[64];

	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (chroot(root) < 0 || chdir("/") < 0)
		return slx_error(err, errno, "chroot into the container's root %s", root);
	return 0;
}

/* The process that execs, forked by the joiner: born in the container's
 * pid namespace, and already in its other namespaces and root. */
static int exec_setup(const struct exec_plan *p, int sync_fd, char *path, size_t pathlen,
		      char *home, size_t homelen, struct slx_err *err)
{
	const struct oci_process *proc = p->proc;
	struct rt_confine confine = p->confine; /* the child opens its LSM attribute */

	if (rt_lsm_open_in_root(&confine.lsm, err) < 0)
		return -1;
	if (rt_process_session(p->console_fd, proc, false, err) < 0 ||
	    (!p->st->no_new_keyring && rt_process_new_keyring(err) < 0) ||
	    rt_process_personality(p->cfg, err) < 0)
		return -1;
	if (rt_exec_lookup(proc, path, pathlen, err) < 0 ||
	    rt_process_chdir(proc, false, err) < 0 || rt_process_rlimits(proc, err) < 0)
		return -1;
	rt_process_home(proc, home, homelen);
	if (rt_process_confine(proc, &confine, err) < 0)
		return -1;
	rt_close_fds_preserving(p->preserve_fds, &sync_fd, 1);
	rt_signals_default();
	return rt_process_seccomp_last(proc, &confine, err);
}

static __attribute__((noreturn)) void exec_child(const struct exec_plan *p, int sync_fd)
{
	struct slx_err err = {0};
	char path[PATH_MAX], home[PATH_MAX + 8];

	if (exec_setup(p, sync_fd, path, sizeof(path), home, sizeof(home), &err) < 0)
		rt_sync_fail(sync_fd, RT_STAGE_PROCESS, &err);
	execve(path, p->proc->args.v, rt_process_env(p->proc, home));
	slx_error(&err, errno, "exec %s", path);
	rt_sync_fail(sync_fd, RT_STAGE_EXEC, &err);
}

/* The joiner: born in the container's cgroup but in the caller's pid
 * namespace, where no process of the container sees it, it joins the
 * container's namespaces (its mount namespace, or for one that shares
 * ours its root, before it goes into the pid namespace's view) and forks
 * the process that execs as the caller's child (CLONE_PARENT).  Born into
 * the pid namespace at once, that process spent its first moments in the
 * host's mount namespace and root, where a container holding
 * CAP_SYS_PTRACE took the host's / through /proc/<pid>/root (an
 * attacker's review).  runc's nsexec and crun fork twice alike. */
static __attribute__((noreturn)) void exec_joiner(const struct exec_plan *p, int sync_fd)
{
	struct slx_err err = {0};
	int pidfd = -1;
	pid_t pid;

	/* Host code inside the container's reach (CVE-2019-5736): inherited
	 * by the child until its execve. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* nothing of the host's (the cgroup's directory, the state lock, the
	 * log) reaches the child, whose /proc/<pid>/fd the container sees
	 * (init.c, close_inherited) */
	rt_close_fds_preserving(p->preserve_fds, (int[]){sync_fd, p->target_pidfd, p->console_fd},
				3);
	if (setns(p->target_pidfd, p->ns_flags) < 0) {
		slx_error(&err, errno, "join the container's namespaces");
		rt_sync_fail(sync_fd, RT_STAGE_PROCESS, &err);
	}
	/* A container sharing our mount namespace is a chroot in it. */
	if (!(p->ns_flags & CLONE_NEWNS) && enter_shared_root(p->st->pid, &err) < 0)
		rt_sync_fail(sync_fd, RT_STAGE_PROCESS, &err);
	close(p->target_pidfd);
	pid = rt_clone_into(CLONE_PARENT, -1, -1, 0, &pidfd, &err);
	if (pid == 0)
		exec_child(p, sync_fd);
	if (pid < 0)
		rt_sync_fail(sync_fd, RT_STAGE_PROCESS, &err);
	if (slx_send_fds(sync_fd, &(struct rt_sync_hdr){.type = RT_SYNC_PID},
			 sizeof(struct rt_sync_hdr), &pidfd, 1) < 0)
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	_exit(0);
}

static void reap(pid_t pid)
{
	(void)slx_waitpid(pid, NULL);
}

/* The pid a pidfd names, in our pid namespace (its fdinfo). */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], line[128];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(f);
	return pid > 0 ? (pid_t)pid : -1;
}

/* Whether pidfd is a process of ours to wait for: the joiner's fork is
 * our child (CLONE_PARENT); nothing else the container could name is. */
static bool our_child(int pidfd)
{
	siginfo_t si;

	return syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED | WNOHANG | WNOWAIT, NULL) == 0;
}

/* Whether pid is our child, running or not yet waited for. */
static bool our_child_pid(pid_t pid)
{
	siginfo_t si;

	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* What exec's socket holds, read to its end: the joiner's pidfd of the
 * process it forked, or an error from the joiner or that process.  Both
 * share the socket, the process from its birth, and a container holding
 * CAP_SYS_PTRACE can take it from there and write: it named a host pid
 * that slxrun then signalled, waited for and wrote as the --pid-file (an
 * attacker's review of the joiner's first form); it wrote 16 answers
 * ahead of the joiner's, and exec gave up and left its process running;
 * it forged the process's error, and exec said it failed and killed it.
 * So each message counts by its sender, which the kernel names
 * (SO_PASSCRED): the pidfd only from the joiner, and only of our child;
 * an error only from the joiner or from our other child, the process.
 * The rest is the container's, dropped.  The end comes once the process
 * has exec'd (the socket is close-on-exec) or died, or at the deadline. */
struct exec_word {
	int pidfd;
	pid_t pid;
	bool failed;
};

static int exec_read(int fd, pid_t joiner, struct exec_word *w, struct slx_err *err)
{
	static char buf[sizeof(struct rt_sync_hdr) + RT_SYNC_MAX + 1];

	unsigned long long deadline = slx_now_ns() + EXEC_START_TIMEOUT_MS * 1000000ULL;

	for (;;) {
		struct rt_sync_hdr hdr;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = ((long long)(deadline - slx_now_ns())) / 1000000;
		int got, ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		pid_t from, pid;
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return slx_error(err, errno, "exec: wait for its process");
		if (!ready)
			return slx_error(err, 0,
					 "exec: its process did not reach its execve within %d s "
					 "(stopped or held inside the container); killed",
					 EXEC_START_TIMEOUT_MS / 1000);
		n = slx_recv_msg(fd, buf, sizeof(buf) - 1, 0, &got, 1, &from);
		if (n <= 0)
			return n == 0 ? 0 : slx_error(err, errno, "exec: read from its process");
		if ((size_t)n < sizeof(hdr) || from <= 0) {
			slx_closep(&got);
			continue;
		}
		memcpy(&hdr, buf, sizeof(hdr));
		if (from == joiner && hdr.type == RT_SYNC_PID && w->pidfd < 0 && got >= 0 &&
		    our_child(got) && (pid = pidfd_pid(got)) > 0) {
			w->pidfd = got;
			w->pid = pid;
			continue;
		}
		slx_closep(&got);
		if (hdr.type != RT_SYNC_ERROR || w->failed ||
		    (from != joiner && from != w->pid && !our_child_pid(from)))
			continue;
		buf[n] = '\0';
		slx_error(err, 0, "%s",
			  hdr.len == (size_t)n - sizeof(hdr) ? buf + sizeof(hdr) : "exec failed");
		err->errnum = hdr.errnum;
		w->failed = true;
	}
}

/* The cgroup below the container's own that its first process is in: a
 * container's own that holds controllers for its children (a systemd in
 * it moved itself to init.scope and enabled them) takes no process
 * (EBUSY), and exec joins that one, as runc does.  Where the process is
 * is the container's to choose, so it is taken only strictly below the
 * container's own, walked from it with no link followed, and only if the
 * process still runs once it is open.  -1 when there is none. */
static int init_cgroup_open(const struct exec_plan *p)
{
	const char *root = cg_unified_root(), *own;
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
	cleanup_free char *at = NULL;
	size_t rl, ol;
	int fd;

	if (!root || !p->cg.path || strncmp(p->cg.path, root, rl = strlen(root)))
		return -1;
	own = p->cg.path + rl;
	ol = strlen(own);
	if (cg_proc_path(p->st->pid, &at) < 0 || strncmp(at, own, ol) || at[ol] != '/')
		return -1;
	fd = slx_openat2(p->cg.dirfd, at + ol + 1, &how);
	if (fd >= 0 && pidfd_send_signal(p->target_pidfd, 0, NULL, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int exec_start(const struct exec_plan *p, pid_t *pid_out, int *pidfd, struct slx_err *err)
{
	struct exec_word w = {.pidfd = -1, .pid = -1};
	int sv[2], joiner_fd = -1, one = 1, r;
	pid_t joiner;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return slx_error(err, errno, "socketpair");
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		slx_error(err, errno, "exec: SO_PASSCRED");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	joiner = rt_clone_into(0, p->cg.dirfd, -1, 0, &joiner_fd, err);
	if (joiner < 0 && err->errnum == EBUSY) {
		cleanup_close int below = init_cgroup_open(p);

		if (below >= 0)
			joiner = rt_clone_into(0, below, -1, 0, &joiner_fd, err);
	}
	if (joiner == 0) {
		close(sv[0]);
		exec_joiner(p, sv[1]);
	}
	close(sv[1]);
	if (joiner < 0) {
		close(sv[0]);
		return -1;
	}
	close(joiner_fd);
	r = exec_read(sv[0], joiner, &w, err);
	close(sv[0]);
	if (r < 0) /* our child, not yet reaped: its pid is still its own */
		(void)kill(joiner, SIGKILL);
	reap(joiner);
	if (r == 0 && !w.failed && w.pidfd >= 0) {
		*pidfd = w.pidfd;
		*pid_out = w.pid;
		return 0;
	}
	if (r == 0 && !w.failed)
		slx_error(err, 0, "exec: the process was not made");
	if (w.pidfd >= 0) { /* gone already, or killed */
		(void)pidfd_send_signal(w.pidfd, SIGKILL, NULL, 0);
		close(w.pidfd);
		reap(w.pid);
	}
	return -1;
}

int rt_exec(const struct rt_ctx *ctx, const char *id, const struct oci_process *proc,
	    const struct rt_exec_opts *opts, int *exit_status, struct slx_err *err)
{
	struct exec_plan p = {
	    .target_pidfd = -1, .console_fd = -1, .console_peer = -1, .cg.dirfd = -1};
	int pidfd = -1, r = -1;
	pid_t pid = -1;
	char buf[32];

	*exit_status = 0;
	if (plan_build(ctx, id, proc, opts, &p, err) < 0 || exec_start(&p, &pid, &pidfd, err) < 0)
		goto out;
	if (opts->pid_file) {
		int n = snprintf(buf, sizeof(buf), "%d", pid);

		if (slx_write_file_atomic(opts->pid_file, buf, (size_t)n, 0644, err) < 0) {
			(void)kill(pid, SIGKILL);
			goto out;
		}
	}
	if (!opts->detach) {
		cleanup_close int master = rt_console_master(p.console_peer);

		rt_wait_forwarding(pid, pidfd, master, exit_status);
	}
	r = 0;
out:
	slx_closep(&pidfd);
	plan_release(&p);
	return r;
}
