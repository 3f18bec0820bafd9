/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox.c -- in-process sandboxes for the shim: the same spawn as create,
 * without a state directory, whose pid 1 may be the caller's own entry; the
 * cgroup it goes in, known beforehand; and its teardown. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

/* The cgroup of sandbox id, relative to the unified root; NULL without one.
 * Every sandbox has its own, slxrun/<id> or <parent>/<id>, whatever the
 * config's cgroupsPath: many sandboxes come from one config, and none may
 * share a cgroup with another (nor with the one it replaces while that one
 * is torn down). */
static int sandbox_cgroup_rel(const char *parent, const char *id, char **rel, struct slx_err *err)
{
	*rel = NULL;
	if (!cg_unified_root())
		return 0;
	if (!parent)
		return cg_resolve_path(NULL, id, false, rel, err);
	if (asprintf(rel, "%s/%s", parent, id) < 0) {
		*rel = NULL;
		return slx_error(err, ENOMEM, "cgroup of sandbox %s", id);
	}
	return 0;
}

int rt_sandbox_cgroup_path(const char *parent, const char *id, char *buf, size_t len,
			   struct slx_err *err)
{
	cleanup_free char *rel = NULL;

	if (sandbox_cgroup_rel(parent, id, &rel, err) < 0)
		return -1;
	if (!rel) {
		snprintf(buf, len, "%s", "");
		return 0;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", cg_unified_root(), rel) >= len)
		return slx_error(err, ENAMETOOLONG, "cgroup of sandbox %s", id);
	return 0;
}

int rt_sandbox_spawn(const struct rt_sandbox_opts *opts, struct rt_sandbox *sb, struct slx_err *err)
{
	const struct oci_config *cfg = opts->cfg;
	char rootfs[PATH_MAX];
	cleanup_free char *cg_rel = NULL;
	struct rt_spawned sp;
	struct rt_spawn_req req;

	memset(sb, 0, sizeof(*sb));
	sb->cg.dirfd = -1;
	sb->pidfd = -1;
	if (rt_rootfs_resolve(cfg, opts->bundle, rootfs, err) < 0 ||
	    sandbox_cgroup_rel(opts->cgroup_parent, opts->id, &cg_rel, err) < 0)
		return -1;
	req = (struct rt_spawn_req){
	    .cfg = cfg,
	    .bundle = opts->bundle,
	    .rootfs = rootfs,
	    .id = opts->id,
	    .cgroup_rel = cg_rel,
	    .console_fd = -1,
	    .start_listen_fd = -1,
	    .auto_start = true,
	    .entry = opts->entry,
	    .entry_arg = opts->entry_arg,
	    .keep_fds = opts->keep_fds,
	    .n_keep_fds = opts->n_keep_fds,
	    .seccomp = opts->seccomp,
	    .clone_parent = opts->clone_parent,
	    .same_layout = opts->same_layout,
	    .userns_owner = opts->userns_owner,
	    .uid_map = opts->uid_map,
	    .n_uid_map = opts->n_uid_map,
	    .cover_paths = opts->cover_paths,
	    .cover_trees = opts->cover_trees,
	    .n_covers = opts->n_covers,
	};
	if (rt_spawn(&req, &sp, err) < 0) {
		sb->pid = sp.pid;
		return -1;
	}
	close(sp.sync_fd);
	sb->pid = sp.pid;
	sb->pidfd = sp.pidfd;
	sb->cg = sp.cg;
	sb->timings = sp.timings;
	return 0;
}

/* SIGKILL to pid 1, through its pidfd when there is one. */
static void kill_pid1(const struct rt_sandbox *sb)
{
	if (sb->pid <= 0)
		return;
	if (sb->pidfd >= 0)
		(void)pidfd_send_signal(sb->pidfd, SIGKILL, NULL, 0);
	else
		(void)kill(sb->pid, SIGKILL);
}

void rt_sandbox_kill(struct rt_sandbox *sb)
{
	struct slx_err e;

	kill_pid1(sb);
	if (sb->cg.dirfd >= 0)
		(void)cg_kill_all(&sb->cg, SIGKILL, &e);
}

int rt_sandbox_reap(struct rt_sandbox *sb, struct slx_err *err)
{
	int r;

	if (sb->pid > 0) {
		pid_t w = waitpid(sb->pid, NULL, WNOHANG);

		if (w == 0 || (w < 0 && errno == EINTR))
			return 0;
		sb->pid = 0; /* reaped, or not ours to reap (ECHILD) */
	}
	r = 1;
	if (sb->cg.dirfd >= 0 && (r = cg_try_destroy(&sb->cg, err)) == 0)
		return 0;
	slx_closep(&sb->pidfd);
	cg_handle_release(&sb->cg);
	return r;
}

int rt_sandbox_destroy(struct rt_sandbox *sb, struct slx_err *err)
{
	int r = 0;

	/* Reap pid 1 first: its exit takes the whole pid namespace down, and
	 * the cgroup's rmdir is refused (EBUSY, retried every 10 ms) while the
	 * killed pid 1 is still an unreaped zombie.  cg_destroy then kills
	 * whatever is left in the cgroup and removes it. */
	if (sb->pid > 0) {
		kill_pid1(sb);
		(void)slx_waitpid(sb->pid, NULL);
		sb->pid = 0;
	}
	if (sb->cg.dirfd >= 0)
		r = cg_destroy(&sb->cg, err);
	slx_closep(&sb->pidfd);
	cg_handle_release(&sb->cg);
	return r;
}
