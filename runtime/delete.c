/* SPDX-License-Identifier: GPL-2.0-or-later */
/* delete.c -- the end of a container: kill what is left (forced), then its
 * cgroup, the poststop hooks and the state directory, in that order. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
		if ((st->own_pidns ? cg_remove_when_empty(cg, err) : cg_destroy(cg, err)) < 0) {
			if (!st->own_pidns || err->errnum != EBUSY)
				return -1;
			rt_log("warning", "delete %s: %s (its processes are another's)", st->id,
			       err->msg);
		}
	}
	rt_hooks_run_logged("poststop", &st->poststop, st);
	return rt_state_remove(ctx, st->id, err);
}

/* Whether the directory holds only what a create writes before its
 * state.json: config.json, start.sock, pid1, cgroup (the mark of a cgroup it
 * made), and their temp files (".NAME.*"). */
static bool only_create_files(const struct rt_ctx *ctx, const char *id)
{
	char path[PATH_MAX];
	struct slx_err e;
	cleanup_dir DIR *d = NULL;
	struct dirent *ent;

	if (rt_state_dir(ctx, id, path, sizeof(path), &e) < 0 || !(d = opendir(path)))
		return false;
	while ((ent = readdir(d))) {
		const char *n = ent->d_name + (ent->d_name[0] == '.');

		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..") &&
		    strncmp(n, "config.json", 11) &&
		    strncmp(n, RT_STATE_CGROUP_MARK, strlen(RT_STATE_CGROUP_MARK)) &&
		    strncmp(n, RT_STATE_PID1, strlen(RT_STATE_PID1)) && strcmp(n, "start.sock"))
			return false;
	}
	return true;
}

/* Whether what the cgroup a create marked holds is that container's, when
 * its state.json says nothing: with no pid namespace of its own (by the
 * config it was created with) as readable ones are taken; with one, only
 * while its first process runs (pid1): once that died the emptied cgroup
 * may be another container's that took it.  The config unreadable too
 * counts as a namespace of its own, the careful side. */
static bool marked_cgroup_is_its_own(const struct rt_ctx *ctx, const char *id)
{
	struct oci_config *cfg = NULL;
	struct slx_err e;
	bool own;

	if (rt_config_load(ctx, id, &cfg, &e) < 0)
		return rt_state_pid1_alive(ctx, id);
	own = rt_ns_own_pid(cfg);
	oci_config_free(cfg);
	return !own || rt_state_pid1_alive(ctx, id);
}

/* A state directory without state.json whose lock was free: the create
 * that made it died before it was done (a caller's timeout during a
 * createRuntime hook) and left the id unusable.  The cgroup it made (its
 * mark says which; one it only named may be another's, which a kill here
 * killed) goes when empty, or with --force killed (the processes a create
 * killed in a createContainer hook left), then the directory: with a pid
 * namespace of its own only while its first process runs (pid1), since
 * once that died what the emptied cgroup holds is another container's
 * that took it (the review of the unreadable-state fix). */
static int remove_half_created(const struct rt_ctx *ctx, const char *id, bool force,
			       struct slx_err *err)
{
	struct cg_handle cg = {.dirfd = -1};
	cleanup_free char *mark = NULL;
	struct slx_err e;
	int r = 0;

	if (!only_create_files(ctx, id))
		return slx_error(err, EINVAL,
				 "%s: not a container's state directory (no state.json, and files "
				 "a create does not write)",
				 id);
	if (rt_state_cgroup_mark(ctx, id, &mark, &e) == 0 && cg_open(mark, &cg, &e) == 0) {
		cg.created = true;
		bool kill = force && marked_cgroup_is_its_own(ctx, id);

		r = kill ? cg_destroy(&cg, err) : cg_remove_when_empty(&cg, err);
		if (r < 0 && !force && err->errnum == EBUSY)
			slx_error(err, EBUSY,
				  "container %s: a create that did not finish left processes in "
				  "its cgroup; delete --force kills them",
				  id);
		else if (r < 0 && err->errnum == EBUSY)
			slx_error(err, EBUSY,
				  "container %s: its cgroup %s holds processes, and its first "
				  "process is gone: they may be another container's, not killed",
				  id, mark);
	}
	cg_handle_release(&cg);
	return r < 0 ? -1 : rt_state_remove(ctx, id, err);
}

/* A state.json that cannot be read (cut short by a full disk, a crash):
 * its processes and cgroup were no verb's to reach (an attacker's review;
 * runc's delete fails the same way).  With --force the cgroup its create
 * made (the mark says which) goes as rt_remove_stopped's would: killed,
 * or with a pid namespace of its own while its first process runs (pid1
 * says which), else only once empty: what it holds then is another
 * container's that took the cgroup after it stopped (a first form killed
 * such a one: the review of that fix).  Then the directory. */
static int remove_unreadable(const struct rt_ctx *ctx, const char *id, const char *why,
			     struct slx_err *err)
{
	struct cg_handle cg = {.dirfd = -1};
	cleanup_free char *mark = NULL;
	struct slx_err e;
	int r = 0;

	if (rt_state_cgroup_mark(ctx, id, &mark, &e) < 0)
		return slx_error(err, 0,
				 "container %s: its state cannot be read (%s), and it made no "
				 "cgroup to find its processes by; left as it is",
				 id, why);
	if (cg_open(mark, &cg, &e) == 0) {
		cg.created = true;
		if (marked_cgroup_is_its_own(ctx, id))
			r = cg_destroy(&cg, err);
		else if ((r = cg_remove_when_empty(&cg, err)) < 0 && err->errnum == EBUSY)
			slx_error(err, EBUSY,
				  "container %s: its state cannot be read (%s), and its cgroup %s "
				  "holds processes that may be another container's: not killed",
				  id, why, mark);
	} else if (e.errnum != ENOENT) {
		*err = e;
		r = -1;
	}
	cg_handle_release(&cg);
	if (r < 0)
		return -1;
	rt_log("warning", "delete %s: its state could not be read (%s); its cgroup %s is gone", id,
	       why, mark);
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
	if (rt_state(ctx, id, &st, err) < 0) {
		char why[sizeof(err->msg)];

		if (err->errnum == ENOENT)
			return remove_half_created(ctx, id, force, err);
		if (!force)
			return -1;
		snprintf(why, sizeof(why), "%s", err->msg);
		return remove_unreadable(ctx, id, why, err);
	}
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
