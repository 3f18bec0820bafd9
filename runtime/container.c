/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container.c -- the parent's side of start-up: validate and precompute,
 * clone3 straight into the cgroup and namespaces, drive the child through
 * the sync protocol, and undo everything when any step fails. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

struct spawn_prep {
	struct rt_ns_plan plan;
	struct rt_confine confine;
	struct rt_mount_plan *mounts; /* built here when the request has none */
	int *trees;		      /* idmapped binds, per op of the plan used */
	size_t n_trees;
};

static void prep_release(struct spawn_prep *p)
{
	rt_idmap_trees_close(p->trees, p->n_trees);
	p->trees = NULL;
	rt_mount_plan_free(p->mounts);
	p->mounts = NULL;
	rt_ns_plan_release(&p->plan);
	rt_confine_release(&p->confine);
}

static int prepare(const struct rt_spawn_req *req, struct spawn_prep *p, struct slx_err *err)
{
	const struct oci_config *cfg = req->cfg;

	if (!cfg->has_process)
		return slx_error(err, 0, "process: required to create a container");
	if (rt_ns_plan_build(cfg, &p->plan, err) < 0)
		return -1;
	if (!p->plan.new_ns[OCI_NS_MOUNT] && p->plan.join_fd[OCI_NS_MOUNT] < 0 &&
	    rt_rootfs_validate_host_mntns(cfg, err) < 0)
		return -1;
	if (rt_rootfs_validate(cfg, req->rootfs, err) < 0 ||
	    (!req->mount_plan && rt_mount_plan_build(cfg, &p->mounts, err) < 0) ||
	    rt_sysctl_validate(cfg, err) < 0)
		return -1;
	/* The child, in its user namespace, cannot idmap: its binds are made here. */
	p->n_trees = (req->mount_plan ? req->mount_plan : p->mounts)->n_ops;
	if (rt_idmap_trees_open(req->mount_plan ? req->mount_plan : p->mounts, &p->trees, err) < 0)
		return -1;
	if (rt_confine_prepare(&cfg->process, cfg, &p->confine, err) < 0)
		return -1;
	if (req->seccomp) {
		if (p->confine.seccomp)
			return slx_error(err, 0, "linux.seccomp: the caller brings its own filter");
		/* Cast: the child only reads it; confine_release will not free it. */
		p->confine.seccomp = (struct rt_seccomp *)req->seccomp;
		p->confine.seccomp_borrowed = true;
	}
	return 0;
}

static bool cgroup_populated(const struct cg_handle *cg)
{
	cleanup_free char *events = NULL;
	struct slx_err ignored;

	if (slx_read_file_at(cg->dirfd, "cgroup.events", &events, NULL, &ignored) < 0)
		return false;
	return strstr(events, "populated 1") != NULL;
}

static int setup_cgroup(const struct rt_spawn_req *req, struct cg_handle *cg, struct slx_err *err)
{
	const struct oci_resources *res = &req->cfg->linux_.resources;

	/* Without a cgroup there is no device filter and no limit: refuse
	 * rather than run a container that only looks confined. */
	if (!req->cgroup_rel)
		return slx_error(
		    err, 0,
		    "no cgroup v2 hierarchy (looked at /sys/fs/cgroup and /sys/fs/cgroup/unified): "
		    "a container needs one for its device filter and limits");
	if (cg_resources_validate(res, cg_available_controllers(), err) < 0)
		return -1;
	if (cg_create(req->cgroup_rel, res, cg, err) < 0)
		return -1;
	/* Two containers must never share a cgroup: kill and destroy act on
	 * all of it (equal ids under different --root, or a cgroupsPath reused). */
	if (!cg->created && cgroup_populated(cg)) {
		slx_error(err, 0, "linux.cgroupsPath: %s already holds processes", cg->path);
		cg_handle_release(cg);
		return -1;
	}
	if (cg->created && req->cgroup_mark &&
	    slx_write_file_atomic(req->cgroup_mark, cg->path, strlen(cg->path), 0600, err) < 0) {
		struct slx_err ignored;

		(void)cg_destroy(cg, &ignored);
		cg_handle_release(cg);
		return -1;
	}
	if ((res->present && cg_resources_apply(cg, res, err) < 0) ||
	    cg_devices_apply(cg->dirfd, res->devices, res->n_devices, err) < 0) {
		struct slx_err ignored;

		(void)cg_destroy(cg, &ignored);
		cg_handle_release(cg);
		return -1;
	}
	return 0;
}

static void kill_and_reap(pid_t pid, int pidfd)
{
	if (pidfd >= 0)
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	else
		(void)kill(pid, SIGKILL);
	(void)slx_waitpid(pid, NULL);
}

/* The state hooks read on stdin, with the container's pid ("{}" for
 * sandboxes, which have no state).  prestart, createRuntime, createContainer
 * and startContainer all see "created": the runtime environment exists and
 * the user's process has not run (runtime.md's lifecycle; the runtime-tools
 * validation and crun agree).  NULL with err set on failure. */
static char *hook_state_json(const struct rt_spawn_req *req, pid_t pid, struct slx_err *err)
{
	char *json = NULL;
	size_t len;

	if (!req->state)
		return strdup("{}");
	req->state->pid = pid;
	req->state->status = OCI_STATUS_CREATED;
	if (oci_state_to_json(req->state, false, &json, &len, err) < 0)
		return NULL;
	return json;
}

/* GO carries the state only when the child runs hooks that read it. */
static int send_state(const struct rt_spawn_req *req, int fd, pid_t pid, struct slx_err *err)
{
	const struct oci_hooks *h = &req->cfg->hooks;
	cleanup_free char *json = NULL;

	if ((h->create_container.n || h->start_container.n) &&
	    !(json = hook_state_json(req, pid, err)))
		return -1;
	if (rt_sync_send(fd, RT_SYNC_GO, 0, 0, json, json ? strlen(json) : 0) < 0)
		return slx_error(err, errno, "signal the container process");
	return 0;
}

static int run_runtime_hooks(const struct rt_spawn_req *req, int fd, pid_t pid, struct slx_err *err)
{
	cleanup_free char *json = hook_state_json(req, pid, err);

	if (!json || rt_hooks_run("prestart", &req->cfg->hooks.prestart, json, err) < 0 ||
	    rt_hooks_run("createRuntime", &req->cfg->hooks.create_runtime, json, err) < 0)
		return -1;
	return rt_sync_send(fd, RT_SYNC_GO, 0, 0, NULL, 0) < 0
		   ? slx_error(err, errno, "signal the container process")
		   : 0;
}

/* Drive the child until READY (and, with auto_start, until it has exec'd). */
static int drive_child(const struct rt_spawn_req *req, int fd, pid_t pid,
		       struct rt_timings *timings, struct slx_err *err)
{
	bool ready = false, exec = false;

	for (;;) {
		struct rt_sync_hdr hdr;
		cleanup_free char *payload = NULL;

		if (rt_sync_recv(fd, &hdr, &payload, err) < 0) {
			if (hdr.type == 0 && exec && err->errnum == 0)
				return 0; /* EOF after EXEC: exec happened */
			if (hdr.type == 0 && ready && err->errnum == 0)
				return slx_error(err, ECHILD,
						 "the container's process ended before it ran");
			return -1;
		}
		switch (hdr.type) {
		case RT_SYNC_HOOKS:
			if (run_runtime_hooks(req, fd, pid, err) < 0)
				return -1;
			break;
		case RT_SYNC_READY:
			ready = true;
			if (payload && hdr.len == 2 * sizeof(uint64_t)) {
				memcpy(&timings->namespaces_ns, payload, sizeof(uint64_t));
				memcpy(&timings->rootfs_ns, payload + sizeof(uint64_t),
				       sizeof(uint64_t));
			}
			if (!req->auto_start)
				return 0;
			break;
		case RT_SYNC_EXEC:
			exec = ready;
			break;
		case RT_SYNC_ERROR:
			slx_error(err, 0, "%s", payload ? payload : "unknown error");
			err->errnum = hdr.errnum;
			return -1;
		default:
			return slx_error(err, EPROTO, "unexpected message %u", hdr.type);
		}
	}
}

static int after_clone(const struct rt_spawn_req *req, pid_t pid, int fd,
		       struct rt_timings *timings, struct slx_err *err)
{
	const struct oci_process *p = &req->cfg->process;
	unsigned long long start;

	if (req->cfg->linux_.n_uid_mappings &&
	    rt_ns_write_id_maps(pid, req->cfg, req->uid_map, req->n_uid_map, err) < 0)
		return -1;
	if (p->oom_score_adj.set) {
		char path[64], val[32];
		int n = snprintf(val, sizeof(val), "%lld", (long long)p->oom_score_adj.v);

		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
		if (slx_write_file_at(AT_FDCWD, path, val, (size_t)n, err) < 0)
			return slx_error_prefix(err, "process.oomScoreAdj");
	}
	start = req->state || req->pid1_mark ? rt_pid_start_time(pid) : 0;
	if (req->state)
		req->state->pid_start_time = start;
	if (req->pid1_mark) {
		char text[64];
		int n = snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);

		if (slx_write_file_atomic(req->pid1_mark, text, (size_t)n, 0600, err) < 0)
			return -1;
	}
	if (send_state(req, fd, pid, err) < 0)
		return -1;
	return drive_child(req, fd, pid, timings, err);
}

int rt_spawn(const struct rt_spawn_req *req, struct rt_spawned *out, struct slx_err *err)
{
	struct spawn_prep prep = {0};
	int sv[2] = {-1, -1};
	int pidfd = -1;
	unsigned long long t0 = slx_now_ns(), t1, t2;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->cg.dirfd = -1;
	out->pidfd = -1;
	out->sync_fd = -1;
	if (prepare(req, &prep, err) < 0)
		goto fail_prep;
	t1 = slx_now_ns();
	if (setup_cgroup(req, &out->cg, err) < 0)
		goto fail_prep;
	t2 = slx_now_ns();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		slx_error(err, errno, "socketpair");
		goto fail_cgroup;
	}
	if (prep.plan.join_fd[OCI_NS_USER] >= 0)
		pid = rt_clone_in_userns(prep.plan.join_fd[OCI_NS_USER],
					 (uint64_t)prep.plan.clone_flags |
					     (req->clone_parent ? CLONE_PARENT : 0),
					 req->cgroup_rel ? out->cg.dirfd : -1,
					 prep.plan.join_fd[OCI_NS_PID], &pidfd, err);
	else
		pid = rt_clone_into((uint64_t)prep.plan.clone_flags |
					(req->clone_parent ? CLONE_PARENT : 0),
				    req->cgroup_rel ? out->cg.dirfd : -1,
				    prep.plan.join_fd[OCI_NS_PID], req->userns_owner, &pidfd, err);
	if (pid == 0) {
		struct rt_spawn_req child = *req;
		struct rt_ns_plan plan = prep.plan;

		if (!child.mount_plan)
			child.mount_plan = prep.mounts;
		child.idmap_trees = prep.trees;
		if (plan.join_fd[OCI_NS_USER] >= 0) {
			plan.join_fd[OCI_NS_USER] = -1;
			plan.born_in_user = true;
		}
		close(sv[0]);
		rt_init_main(&child, &plan, &prep.confine, sv[1]);
	}
	close(sv[1]);
	if (pid < 0)
		goto fail_sock;
	out->timings.clone_ns = slx_now_ns() - t2;
	if (after_clone(req, pid, sv[0], &out->timings, err) < 0) {
		kill_and_reap(pid, pidfd);
		close(pidfd);
		if (req->clone_parent) /* not ours to reap: our parent's */
			out->pid = pid;
		goto fail_sock;
	}
	out->pid = pid;
	out->pidfd = pidfd;
	out->sync_fd = sv[0];
	out->timings.prepare_ns = t1 - t0;
	out->timings.cgroup_ns = t2 - t1;
	out->timings.ready_ns = slx_now_ns() - t0;
	prep_release(&prep);
	return 0;

fail_sock:
	close(sv[0]);
fail_cgroup:
	if (req->cgroup_rel) {
		struct slx_err ignored;

		(void)cg_destroy(&out->cg, &ignored);
		cg_handle_release(&out->cg);
	}
fail_prep:
	prep_release(&prep);
	return -1;
}
