/* SPDX-License-Identifier: GPL-2.0-or-later */
/* creator.c -- the helper process that makes a shim's sandboxes, so the
 * loop never spends the spawn's milliseconds (namespaces, id maps, rootfs,
 * the child's set-up stages).  A process, not a thread: the spawn is a raw
 * clone3 whose child goes on to allocate, which from a threaded process
 * could inherit a lock another thread held; and one long-lived helper, not a
 * fork per sandbox, so the shim's own fork cost is paid once.  CLONE_PARENT
 * makes each agent the shim's child: the shim reaps it, its
 * PR_SET_PDEATHSIG names the shim, and teardown is unchanged. */
#include "creator.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/sock.h"
#include "../runtime/runtime.h"

struct creator_req {
	uint32_t fi;
	char id[96];
};

/* Followed by the fds: the agent's socket, the pidfd, the cgroup's dir fd
 * (when has_cg), the one holding the user namespace's owner (when
 * has_owner). */
struct creator_reply {
	uint32_t fi;
	char id[96];
	int32_t ok;
	int32_t pid; /* the agent; on failure a killed child to reap, or 0 */
	uint32_t has_cg, has_owner;
	struct rt_timings timings;
	char cg_path[PATH_MAX];
	struct slx_err err;
};

#define CREATOR_FDS 4

/* One sandbox made and handed over; the helper keeps nothing of it. */
static int creator_make(int fd, const struct shim_function *fn, uint32_t fi, const char *id)
{
	struct creator_reply *r = calloc(1, sizeof(*r));
	struct rt_sandbox rt;
	int sock = -1, owner_fd = -1, fds[CREATOR_FDS], rc;
	size_t n = 0;

	if (!r)
		return -1;
	r->fi = fi;
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (shim_sandbox_spawn_parts(fn, id, true, &rt, &sock, &owner_fd, &r->err) == 0) {
		r->ok = 1;
		r->pid = rt.pid;
		r->timings = rt.timings;
		fds[n++] = sock;
		fds[n++] = rt.pidfd;
		if (rt.cg.dirfd >= 0) {
			r->has_cg = 1;
			fds[n++] = rt.cg.dirfd;
			snprintf(r->cg_path, sizeof(r->cg_path), "%s",
				 rt.cg.path ? rt.cg.path : "");
		}
		if (owner_fd >= 0) { /* its lock goes with the shim's copy */
			r->has_owner = 1;
			fds[n++] = owner_fd;
		}
	} else {
		r->pid = rt.pid;
	}
	rc = slx_send_fds(fd, r, sizeof(*r), fds, n);
	if (sock >= 0)
		close(sock);
	if (owner_fd >= 0)
		close(owner_fd);
	if (r->ok) {
		close(rt.pidfd);
		cg_handle_release(&rt.cg);
	}
	free(r);
	return rc;
}

static __attribute__((noreturn)) void creator_main(int fd, pid_t shim,
						   const struct shim_function *const *fns,
						   size_t n_fns, const struct rlimit *files)
{
	struct creator_req req;
	struct rlimit now;
	ssize_t n;

	/* Gone with the shim, like the sandboxes; nothing of the shim's kept
	 * open here but the socket, stdio and share-exec (--share-memory: the
	 * same for every function, handed to each sandbox). */
	int keep[2] = {fd, -1};

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != shim)
		_exit(0);
	if (files && getrlimit(RLIMIT_NOFILE, &now) == 0) { /* lowering the soft one never fails */
		now.rlim_cur = files->rlim_cur < now.rlim_max ? files->rlim_cur : now.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &now);
	}
	for (size_t i = 0; i < n_fns; i++)
		if (fns[i]->floor.share_memory)
			keep[1] = fns[i]->floor.share_exec_fd;
	rt_close_fds_except(keep, keep[1] >= 0 ? 2 : 1);
	(void)prctl(PR_SET_NAME, "slxrun-creator", 0, 0, 0);
	for (;;) {
		n = recv(fd, &req, sizeof(req), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(req))
			_exit(n == 0 ? 0 : 1);
		req.id[sizeof(req.id) - 1] = '\0';
		if (req.fi >= n_fns || creator_make(fd, fns[req.fi], req.fi, req.id) < 0)
			_exit(1);
	}
}

int shim_creator_start(struct shim_creator *c, const struct shim_function *const *fns, size_t n,
		       const struct rlimit *files, struct slx_err *err)
{
	pid_t shim = getpid();
	int sv[2];

	c->pid = -1;
	c->fd = -1;
	c->pending = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return slx_error(err, errno, "sandbox creator: socketpair");
	c->pid = fork();
	if (c->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return slx_error(err, errno, "sandbox creator: fork");
	}
	if (c->pid == 0) {
		close(sv[0]);
		creator_main(sv[1], shim, fns, n, files);
	}
	close(sv[1]);
	c->fd = sv[0];
	c->started_ns = slx_now_ns();
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) {
		slx_error(err, errno, "sandbox creator: fcntl");
		shim_creator_stop(c);
		return -1;
	}
	return 0;
}

int shim_creator_request(struct shim_creator *c, size_t fi, const char *id, struct slx_err *err)
{
	struct creator_req req = {.fi = (uint32_t)fi};

	if (strlen(id) >= sizeof(req.id))
		return slx_error(err, ENAMETOOLONG, "sandbox %s", id);
	strcpy(req.id, id);
	for (;;) {
		if (send(c->fd, &req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT) ==
		    (ssize_t)sizeof(req)) {
			c->pending++;
			return 1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR)
			return slx_error(err, errno, "sandbox creator");
	}
}

static void close_fds(int fds[CREATOR_FDS])
{
	for (int i = 0; i < CREATOR_FDS; i++)
		slx_closep(&fds[i]);
}

static void reap(pid_t pid)
{
	if (pid > 0)
		(void)slx_waitpid(pid, NULL);
}

/* A sandbox made whose descriptors the kernel dropped on the way (this
 * process out of open files: a reply's are cut to what fits): nobody can
 * use it, so its pid 1 -- this process's child (CLONE_PARENT), reaped only
 * here, so its pid is not anyone else's yet -- is killed and reaped, which
 * the kernel lets happen only once every process of its pid namespace is
 * gone; its cgroup, empty then, is removed by its path, which takes no
 * descriptor (there may be none to take).  Else the cgroup and a zombie
 * stayed for the shim's life. */
static void discard_made(struct creator_reply *r)
{
	struct slx_err ignored;

	if (r->pid > 0)
		(void)kill(r->pid, SIGKILL);
	reap(r->pid);
	r->cg_path[sizeof(r->cg_path) - 1] = '\0';
	if (r->has_cg) /* with cgroups of its own below it, waited for */
		(void)cg_remove_path(r->cg_path, true, &ignored);
}

int shim_creator_receive(struct shim_creator *c, const struct shim_function *const *fns,
			 size_t n_fns, size_t *fi, char *id, size_t id_len,
			 struct shim_sandbox **sb, struct slx_err *err)
{
	cleanup_free struct creator_reply *r = malloc(sizeof(*r));
	struct rt_sandbox rt = {.pidfd = -1, .cg = {.dirfd = -1}};
	int fds[CREATOR_FDS], owner_fd;
	ssize_t n;

	*sb = NULL;
	if (!r)
		return slx_error(err, ENOMEM, "sandbox creator");
	n = slx_recv_fds(c->fd, r, sizeof(*r), MSG_DONTWAIT, fds, CREATOR_FDS);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n != (ssize_t)sizeof(*r) || r->fi >= n_fns) {
		close_fds(fds);
		return slx_error(err, n < 0 ? errno : EPROTO, "sandbox creator");
	}
	c->pending--;
	r->id[sizeof(r->id) - 1] = '\0';
	snprintf(id, id_len, "%s", r->id);
	*fi = r->fi;
	if (r->ok && (fds[0] < 0 || fds[1] < 0 || (r->has_cg && fds[2] < 0) ||
		      (r->has_owner && fds[2 + !!r->has_cg] < 0))) {
		close_fds(fds);
		discard_made(r);
		slx_error(err, EMFILE, "sandbox %s: its descriptors did not all reach the shim",
			  id);
		return 1;
	}
	if (!r->ok) {
		close_fds(fds);
		/* The child the failed spawn killed is ours to reap (CLONE_PARENT). */
		reap(r->pid);
		r->err.msg[sizeof(r->err.msg) - 1] = '\0';
		*err = r->err;
		return 1;
	}
	rt.pid = r->pid;
	rt.pidfd = fds[1];
	rt.timings = r->timings;
	owner_fd = r->has_owner ? fds[2 + !!r->has_cg] : -1;
	if (r->has_cg) {
		rt.cg.dirfd = fds[2];
		rt.cg.created = true;
		r->cg_path[sizeof(r->cg_path) - 1] = '\0';
		if (!(rt.cg.path = strdup(r->cg_path))) {
			slx_error(err, ENOMEM, "sandbox %s", id);
			(void)rt_sandbox_destroy(&rt, &(struct slx_err){0});
			close(fds[0]);
			slx_closep(&owner_fd);
			return 1;
		}
	}
	if (shim_sandbox_adopt(fns[r->fi], id, &rt, fds[0], owner_fd, sb, err) < 0)
		*sb = NULL;
	return 1;
}

int shim_creator_stop(struct shim_creator *c)
{
	int status = -1;

	slx_closep(&c->fd);
	if (c->pid > 0)
		(void)slx_waitpid(c->pid, &status);
	c->pid = -1;
	c->pending = 0;
	return status;
}
