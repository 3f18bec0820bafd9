/* SPDX-License-Identifier: GPL-2.0-or-later */
/* delete.c -- the end of a container: kill what is left (forced), then its
 * cgroup, the poststop hooks and the state directory, in that order. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include "../common/cleanup.h"
#include "internal.h"

/* Wait (bounded) for a process that is not necessarily our child to die. */
static void wait_gone(const struct oci_state *st)
{
	cleanup_close int pidfd = pidfd_open(st->pid, 0);
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	if (pidfd < 0)
		return;
	(void)poll(&pfd, 1, 5000);
	(void)waitpid(st->pid, NULL, WNOHANG);
}

static int kill_for_delete(struct oci_state *st, struct slx_err *err)
{
	struct slx_err ignored;

	if (rt_signal_container(st, SIGKILL, true, &ignored) < 0 && st->cgroup_path &&
	    *st->cgroup_path)
		(void)rt_signal_container(st, SIGKILL, false, &ignored);
	wait_gone(st);
	if (rt_pid_start_time(st->pid) == st->pid_start_time && st->pid_start_time)
		return slx_error(err, 0, "container %s: process %d did not die", st->id, st->pid);
	return 0;
}

int rt_remove_stopped(const struct rt_ctx *ctx, struct oci_state *st, struct cg_handle *cg,
		      struct slx_err *err)
{
	st->status = OCI_STATUS_STOPPED;
	if (cg->dirfd >= 0) {
		cg->created = true; /* the container's cgroup goes with it, as in runc */
		/* With a pid namespace of its own its processes died with its
		 * pid 1: what the cgroup holds now is another container's that
		 * took the empty cgroup (the same id under another --root, the
		 * same cgroupsPath), which a kill here killed.  Left, and said. */
		if (st->own_pidns && cg_remove_when_empty(cg, err) < 0) {
			if (err->errnum != EBUSY)
				return -1;
			rt_log("warning", "delete %s: %s (its processes are another's)", st->id,
			       err->msg);
		} else if (!st->own_pidns && cg_destroy(cg, err) < 0) {
			return -1;
		}
	}
	rt_hooks_run_logged("poststop", &st->poststop, st);
	return rt_state_remove(ctx, st->id, err);
}

/* A state directory without state.json whose lock was free: the create
 * that made it died before it was done (a caller's timeout during a
 * createRuntime hook) and left the id unusable.  Its cgroup (from the
 * config it kept) goes when empty, then the directory. */
static int remove_half_created(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	struct oci_config *cfg = NULL;
	struct cg_handle cg = {.dirfd = -1};
	char *rel = NULL, abs[PATH_MAX];
	struct slx_err e;

	if (rt_config_load(ctx, id, &cfg, &e) == 0 && cg_unified_root() &&
	    cg_resolve_path(cfg->linux_.cgroups_path, id, ctx->systemd_cgroup, &rel, &e) == 0 &&
	    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cg_unified_root(), rel) < sizeof(abs) &&
	    cg_open(abs, &cg, &e) == 0) {
		cg.created = true;
		if (cg_remove_when_empty(&cg, &e) < 0)
			rt_log("warning", "delete %s: %s", id, e.msg);
	}
	cg_handle_release(&cg);
	free(rel);
	oci_config_free(cfg);
	return rt_state_remove(ctx, id, err);
}

int rt_delete(const struct rt_ctx *ctx, const char *id, bool force, struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct cg_handle cg = {.dirfd = -1};
	cleanup_close int lock = -1;
	int r = -1;

	if (rt_state_lock(ctx, id, &lock, err) < 0)
		/* runc: forcing the delete of a container that is gone succeeds. */
		return force && err->errnum == ENOENT ? 0 : -1;
	if (rt_state(ctx, id, &st, err) < 0)
		return err->errnum == ENOENT ? remove_half_created(ctx, id, err) : -1;
	if ((st->status == OCI_STATUS_RUNNING || st->status == OCI_STATUS_PAUSED) && !force) {
		slx_error(err, 0, "cannot delete container %s that is not stopped: %s", id,
			  oci_status_name(st->status));
		goto out;
	}
	if (st->status != OCI_STATUS_STOPPED && kill_for_delete(st, err) < 0)
		goto out;
	if (st->cgroup_path && *st->cgroup_path && cg_open(st->cgroup_path, &cg, err) < 0 &&
	    err->errnum != ENOENT)
		goto out;
	r = rt_remove_stopped(ctx, st, &cg, err);
out:
	cg_handle_release(&cg);
	oci_state_free(st);
	return r;
}
