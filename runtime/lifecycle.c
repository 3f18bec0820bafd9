/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lifecycle.c -- create, start, run: the state directory, the start socket,
 * the pid file, state.json, and undoing all of it when create fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

/* Everything create/run hold between reading the bundle and returning. */
struct launch {
	struct oci_config *cfg;
	char *cfg_text; /* what cfg was parsed from, kept in the state directory */
	size_t cfg_len;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char dir[PATH_MAX];
	char cgroup_mark[PATH_MAX + 8]; /* <dir>/RT_STATE_CGROUP_MARK */
	char pid1_mark[PATH_MAX + 8];	/* <dir>/RT_STATE_PID1 */
	char *cgroup_rel;
	char *created;
	struct oci_state st;
	struct rt_spawned sp;
	int console_fd;
	int console_peer; /* foreground run with a terminal: where the master comes */
	int listen_fd;
	int lock; /* the state directory's flock, held until state.json is written */
	bool dir_made;
};

static void launch_release(struct launch *l)
{
	oci_config_free(l->cfg);
	free(l->cfg_text);
	free(l->cgroup_rel);
	free(l->created);
	slx_closep(&l->console_fd);
	slx_closep(&l->console_peer);
	slx_closep(&l->listen_fd);
	slx_closep(&l->sp.pidfd);
	slx_closep(&l->sp.sync_fd);
	cg_handle_release(&l->sp.cg);
}

static int resolve_paths(struct launch *l, const char *bundle, struct slx_err *err)
{
	if (!realpath(bundle, l->bundle))
		return slx_error(err, errno, "bundle %s", bundle);
	return rt_rootfs_resolve(l->cfg, l->bundle, l->rootfs, err);
}

static int make_state_dir(const struct rt_ctx *ctx, const char *id, struct launch *l,
			  struct slx_err *err)
{
	if (rt_state_dir(ctx, id, l->dir, sizeof(l->dir), err) < 0)
		return -1;
	if (mkdir(ctx->root, 0700) < 0 && errno != EEXIST && slx_mkdir_p(ctx->root, 0700, err) < 0)
		return -1;
	if (mkdir(l->dir, 0700) < 0) {
		if (errno == EEXIST)
			return slx_error(err, 0, "container with id exists: %s", id);
		return slx_error(err, errno, "create %s", l->dir);
	}
	l->dir_made = true;
	/* Held until state.json is written or the directory removed: a verb
	 * that finds the lock free and no state.json knows the create that
	 * made it died half way (rt_delete removes what it left). */
	l->lock = open(l->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->lock < 0 || flock(l->lock, LOCK_EX) < 0)
		return slx_error(err, errno, "lock %s", l->dir);
	return 0;
}

static int listen_start_socket(struct launch *l, struct slx_err *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/start.sock", l->dir) >=
	    sizeof(addr.sun_path))
		return slx_error(err, ENAMETOOLONG, "state directory %s", l->dir);
	l->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->listen_fd < 0 || bind(l->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(l->listen_fd, 1) < 0)
		return slx_error(err, errno, "start socket %s", addr.sun_path);
	return 0;
}

static void fill_state(const struct rt_ctx *ctx, const char *id, struct launch *l)
{
	l->st.oci_version = l->cfg->oci_version;
	l->st.id = (char *)id;
	l->st.status = OCI_STATUS_CREATING;
	l->st.bundle = l->bundle;
	l->st.rootfs = l->rootfs;
	l->st.created = l->created;
	l->st.owner = "";
	l->st.annotations = l->cfg->annotations;
	l->st.poststart = l->cfg->hooks.poststart;
	l->st.poststop = l->cfg->hooks.poststop;
	l->st.systemd_cgroup = ctx->systemd_cgroup;
	l->st.cgroup_path = "";
	l->st.own_pidns = rt_ns_own_pid(l->cfg);
}

static int check_console(const struct rt_create_opts *opts, struct launch *l, bool detached,
			 struct slx_err *err)
{
	bool tty = l->cfg->process.terminal;

	if (tty && !opts->console_socket && detached)
		return slx_error(
		    err, 0, "process.terminal is true: --console-socket is required when detached");
	if (!tty && opts->console_socket)
		return slx_error(err, 0, "--console-socket given but process.terminal is false");
	if (opts->console_socket)
		return rt_console_socket_connect(opts->console_socket, &l->console_fd, err);
	/* In the foreground with no socket, as runc: the pty's master comes to
	 * us, and rt_run carries our terminal to it. */
	if (tty)
		return rt_console_pair(&l->console_fd, &l->console_peer, err);
	return 0;
}

static int write_pid_file(const char *path, pid_t pid, struct slx_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	return slx_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* Shared by create and run: everything up to a container waiting (create)
 * or exec'd (run). */
static int launch(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
		  bool auto_start, bool detached, struct launch *l, struct slx_err *err)
{
	struct rt_spawn_req req = {0};

	if (rt_preserve_fds_check(opts->preserve_fds, err) < 0 ||
	    make_state_dir(ctx, id, l, err) < 0)
		return -1;
	if (oci_config_load_text(opts->bundle ? opts->bundle : ".", &l->cfg, &l->cfg_text,
				 &l->cfg_len, err) < 0 ||
	    rt_state_config_write(ctx, id, l->cfg_text, l->cfg_len, err) < 0 ||
	    resolve_paths(l, opts->bundle ? opts->bundle : ".", err) < 0 ||
	    check_console(opts, l, detached, err) < 0)
		return -1;
	if (cg_unified_root() && cg_resolve_path(l->cfg->linux_.cgroups_path, id,
						 ctx->systemd_cgroup, &l->cgroup_rel, err) < 0)
		return -1;
	if (!auto_start && listen_start_socket(l, err) < 0)
		return -1;
	l->created = rt_now_rfc3339();
	fill_state(ctx, id, l);
	l->st.no_new_keyring = opts->no_new_keyring;
	snprintf(l->cgroup_mark, sizeof(l->cgroup_mark), "%s/" RT_STATE_CGROUP_MARK, l->dir);
	snprintf(l->pid1_mark, sizeof(l->pid1_mark), "%s/" RT_STATE_PID1, l->dir);
	req = (struct rt_spawn_req){
	    .cfg = l->cfg,
	    .bundle = l->bundle,
	    .rootfs = l->rootfs,
	    .id = id,
	    .cgroup_rel = l->cgroup_rel,
	    .no_pivot = opts->no_pivot,
	    .console_fd = l->console_fd,
	    .start_listen_fd = l->listen_fd,
	    .auto_start = auto_start,
	    .preserve_fds = opts->preserve_fds,
	    .state = &l->st,
	    .cgroup_mark = l->cgroup_mark,
	    .pid1_mark = l->pid1_mark,
	    .new_keyring = !opts->no_new_keyring,
	};
	if (rt_spawn(&req, &l->sp, err) < 0)
		return -1;
	l->st.pid = l->sp.pid;
	l->st.cgroup_path = l->sp.cg.path ? l->sp.cg.path : "";
	l->st.status = auto_start ? OCI_STATUS_RUNNING : OCI_STATUS_CREATED;
	if (opts->pid_file && write_pid_file(opts->pid_file, l->sp.pid, err) < 0)
		return -1;
	return rt_state_write(ctx, &l->st, err);
}

/* Undo a failed launch: the child (if any), its cgroup, the state dir. */
static void launch_abort(const struct rt_ctx *ctx, const char *id, struct launch *l)
{
	struct slx_err ignored;

	if (l->sp.pid > 0) {
		(void)kill(l->sp.pid, SIGKILL);
		(void)waitpid(l->sp.pid, NULL, 0);
	}
	if (l->sp.cg.dirfd >= 0)
		(void)cg_destroy(&l->sp.cg, &ignored);
	if (l->dir_made)
		(void)rt_state_remove(ctx, id, &ignored);
}

int rt_create(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
	      struct slx_err *err)
{
	struct launch l = {.console_fd = -1,
			   .console_peer = -1,
			   .listen_fd = -1,
			   .lock = -1,
			   .sp = {.pidfd = -1, .sync_fd = -1, .cg.dirfd = -1}};
	int r = launch(ctx, id, opts, false, true, &l, err);

	if (r < 0)
		launch_abort(ctx, id, &l);
	slx_closep(&l.lock);
	launch_release(&l);
	return r;
}

/* Whether the container's process lives on: the socket's end comes while
 * a killed process is still exiting, so it is given 200 ms to be seen
 * gone (its pidfd turns readable) before it is taken for running. */
static bool lives_on(const struct oci_state *st)
{
	cleanup_close int fd = pidfd_open(st->pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return fd >= 0 && rt_pid_start_time(st->pid) == st->pid_start_time && poll(&p, 1, 200) == 0;
}

/* What the started process said: EXEC then the socket's end (its execve
 * closed it), or an error; the end before EXEC is a process that never ran
 * (killed in its startContainer hooks) unless it lives: a process a binary
 * before RT_SYNC_EXEC created says nothing before its execve. */
static int start_result(int fd, const struct oci_state *st, struct slx_err *err)
{
	bool exec = false;

	for (;;) {
		struct rt_sync_hdr hdr;
		cleanup_free char *payload = NULL;

		if (rt_sync_recv(fd, &hdr, &payload, err) < 0) {
			if (hdr.type != 0 || err->errnum)
				return -1;
			if (exec || lives_on(st))
				return 0;
			return slx_error(err, ECHILD,
					 "the container's process ended before it ran");
		}
		if (hdr.type == RT_SYNC_ERROR)
			return slx_error(err, hdr.errnum, "%s", payload ? payload : "start failed");
		exec = hdr.type == RT_SYNC_EXEC;
	}
}

/* Whether the container under id now is the one mine describes: while
 * the lock was let go its id may have been deleted and taken again, and a
 * foreground run woken from a stop deleted the new container's state and
 * left its process untracked (an attacker's review). */
static bool still_ours(const struct oci_state *now, const struct oci_state *mine)
{
	return now->pid == mine->pid && now->pid_start_time == mine->pid_start_time;
}

int rt_start(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	struct oci_state mine = {0};
	struct oci_state *st = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;
	cleanup_close int lock = -1;
	int r = -1;

	if (rt_state_lock(ctx, id, &lock, err) < 0 || rt_state(ctx, id, &st, err) < 0)
		return -1;
	if (st->status != OCI_STATUS_CREATED) {
		slx_error(err, 0, "cannot start a container that is %s: %s",
			  oci_status_name(st->status), id);
		goto out;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s/start.sock", ctx->root, id);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		slx_error(err, errno, "start %s", id);
		goto out;
	}
	(void)unlink(addr.sun_path);
	/* Until its execve the process runs the startContainer hooks, which
	 * the bundle chose and which may never end: kill and delete need the
	 * lock meanwhile.  Taken again after, for what is there then. */
	slx_closep(&lock);
	if (start_result(fd, st, err) < 0)
		goto out;
	mine.pid = st->pid;
	mine.pid_start_time = st->pid_start_time;
	oci_state_free(st);
	st = NULL;
	if (rt_state_lock(ctx, id, &lock, err) < 0 || rt_state(ctx, id, &st, err) < 0)
		goto out;
	r = 0;
	if (!still_ours(st, &mine))
		goto out;
	/* Already ended (a short process, a kill), or paused: as it is. */
	if (st->status == OCI_STATUS_CREATED) {
		st->status = OCI_STATUS_RUNNING;
		if (rt_state_write(ctx, st, err) < 0) {
			r = -1;
			goto out;
		}
	}
	/* The hooks are the bundle's and may never end: kill and delete do
	 * not wait for them (they waited for the lock). */
	slx_closep(&lock);
	rt_hooks_run_logged("poststart", &st->poststart, st);
out:
	oci_state_free(st);
	return r;
}

/* Forward the usual termination signals to the container and wait for it;
 * with a pty's master, carry our terminal to it meanwhile. */
int rt_wait_forwarding(pid_t pid, int pidfd, int master, int *exit_status)
{
	sigset_t set;
	cleanup_close int sfd = -1;
	struct rt_term term;
	int status = 0;

	sigemptyset(&set);
	for (int s = SIGHUP; s <= SIGTERM; s++)
		if (s != SIGKILL && s != SIGSEGV && s != SIGBUS && s != SIGFPE && s != SIGILL &&
		    s != SIGABRT && s != SIGTRAP && s != SIGPIPE)
			sigaddset(&set, s);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	rt_term_begin(&term, master);
	for (;;) {
		struct pollfd pfd[4] = {{.fd = pidfd, .events = POLLIN},
					{.fd = sfd, .events = POLLIN}};
		struct signalfd_siginfo si;

		rt_term_poll(&term, &pfd[2], &pfd[3]);
		if (poll(pfd, 4, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (sfd >= 0 && pfd[1].revents && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH && term.master >= 0)
				rt_term_resize(&term);
			else
				(void)pidfd_send_signal(pidfd, (int)si.ssi_signo, NULL, 0);
		}
		rt_term_step(&term, pfd[2].revents, pfd[3].revents);
	}
	rt_term_end(&term);
	(void)slx_waitpid(pid, &status);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static bool ours_still_there(const struct rt_ctx *ctx, const char *id, const struct oci_state *mine)
{
	struct oci_state *now = NULL;
	struct slx_err e;
	bool same = rt_state(ctx, id, &now, &e) == 0 && still_ours(now, mine);

	oci_state_free(now);
	return same;
}

int rt_run(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts, bool detach,
	   int *exit_status, struct slx_err *err)
{
	struct launch l = {.console_fd = -1,
			   .console_peer = -1,
			   .listen_fd = -1,
			   .lock = -1,
			   .sp = {.pidfd = -1, .sync_fd = -1, .cg.dirfd = -1}};
	struct slx_err derr;
	int r = launch(ctx, id, opts, true, detach, &l, err);

	*exit_status = 0;
	if (r < 0)
		launch_abort(ctx, id, &l);
	slx_closep(&l.lock);
	if (r < 0) {
		launch_release(&l);
		return -1;
	}
	rt_hooks_run_logged("poststart", &l.st.poststart, &l.st);
	if (!detach) {
		cleanup_close int lock = -1;

		/* Delete from what we hold: no state.json to re-read.  Unless a
		 * `delete` got there first (the lock says it is gone). */
		cleanup_close int master = rt_console_master(l.console_peer);

		rt_wait_forwarding(l.sp.pid, l.sp.pidfd, master, exit_status);
		if (rt_state_lock(ctx, id, &lock, &derr) == 0 && ours_still_there(ctx, id, &l.st) &&
		    rt_remove_stopped(ctx, &l.st, &l.sp.cg, &derr) < 0)
			rt_log("warning", "delete %s: %s", id, derr.msg);
	}
	launch_release(&l);
	return 0;
}
