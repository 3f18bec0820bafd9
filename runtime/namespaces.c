/* SPDX-License-Identifier: GPL-2.0-or-later */
/* namespaces.c -- which namespaces a container gets: created by clone3,
 * unshared by the child, or joined by path; uid/gid maps from outside. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sys/statfs.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/syscalls.h"
#include "internal.h"

static const int ns_flags[OCI_NS_COUNT] = {
    [OCI_NS_PID] = CLONE_NEWPID,       [OCI_NS_NETWORK] = CLONE_NEWNET,
    [OCI_NS_MOUNT] = CLONE_NEWNS,      [OCI_NS_IPC] = CLONE_NEWIPC,
    [OCI_NS_UTS] = CLONE_NEWUTS,       [OCI_NS_USER] = CLONE_NEWUSER,
    [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

/* Their names under /proc/<pid>/ns/. */
static const char *const ns_proc_names[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",	[OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",
    [OCI_NS_IPC] = "ipc",	[OCI_NS_UTS] = "uts",	  [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

int rt_ns_clone_flag(enum oci_ns_type t)
{
	return ns_flags[t];
}

const char *rt_ns_proc_name(enum oci_ns_type t)
{
	return ns_proc_names[t];
}

bool rt_ns_own_pid(const struct oci_config *cfg)
{
	bool own = false;

	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == OCI_NS_PID)
			own = !cfg->linux_.namespaces[i].path;
	return own;
}

bool rt_ns_is_callers(const struct stat *ns, enum oci_ns_type t)
{
	char own[64];
	struct stat self;

	snprintf(own, sizeof(own), "/proc/self/ns/%s", ns_proc_names[t]);
	return stat(own, &self) == 0 && self.st_dev == ns->st_dev && self.st_ino == ns->st_ino;
}

static int ns_open_checked(const struct oci_namespace *ns, size_t i, struct slx_err *err)
{
	/* non-blocking: a FIFO there hung the create (and its id) for ever */
	cleanup_close int fd = open(ns->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int type;

	if (fd < 0)
		return slx_error(err, errno, "linux.namespaces[%zu].path: %s", i, ns->path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return slx_error(err, 0, "linux.namespaces[%zu].path: %s is not a namespace", i,
				 ns->path);
	if (type != ns_flags[ns->type])
		return slx_error(err, 0, "linux.namespaces[%zu].path: %s is not a %s namespace", i,
				 ns->path, oci_ns_type_name(ns->type));
	return steal_fd(fd);
}

int rt_ns_plan_build(const struct oci_config *cfg, struct rt_ns_plan *plan, struct slx_err *err)
{
	const struct oci_linux *l = &cfg->linux_;
	struct stat st;

	memset(plan, 0, sizeof(*plan));
	for (int t = 0; t < OCI_NS_COUNT; t++)
		plan->join_fd[t] = -1;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];

		plan->any = true;
		if (ns->path && *ns->path) {
			int fd = ns_open_checked(ns, i, err);

			if (fd < 0) {
				rt_ns_plan_release(plan);
				return -1;
			}
			plan->join_fd[ns->type] = fd;
			continue;
		}
		plan->new_ns[ns->type] = true;
		/* A cgroup namespace must be rooted at the container's cgroup,
		 * which the child is only in after clone3; time offsets must be
		 * written before the first exec: the child unshares both. */
		if (ns->type == OCI_NS_CGROUP || ns->type == OCI_NS_TIME)
			plan->unshare_flags |= ns_flags[ns->type];
		else
			plan->clone_flags |= ns_flags[ns->type];
	}
	if (plan->new_ns[OCI_NS_USER] && (!l->n_uid_mappings || !l->n_gid_mappings)) {
		rt_ns_plan_release(plan);
		return slx_error(
		    err, 0,
		    "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
	}
	/* A joined namespace is the container's own too (runc and crun agree),
	 * unless it is the caller's: joined as /proc/self/ns/uts, it set the
	 * caller's hostname. */
	if (((cfg->hostname && *cfg->hostname) || (cfg->domainname && *cfg->domainname)) &&
	    !plan->new_ns[OCI_NS_UTS] &&
	    (plan->join_fd[OCI_NS_UTS] < 0 ||
	     (fstat(plan->join_fd[OCI_NS_UTS], &st) == 0 && rt_ns_is_callers(&st, OCI_NS_UTS)))) {
		rt_ns_plan_release(plan);
		return slx_error(err, 0,
				 "%s: setting it needs a uts namespace of the container's own",
				 cfg->hostname && *cfg->hostname ? "hostname" : "domainname");
	}
	return 0;
}

void rt_ns_plan_release(struct rt_ns_plan *plan)
{
	for (int t = 0; t < OCI_NS_COUNT; t++)
		slx_closep(&plan->join_fd[t]);
}

int rt_ns_write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
		    struct slx_err *err)
{
	char path[64], buf[4096];
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].container_id,
				 m[i].host_id, m[i].size);

		if (w < 0 || (size_t)w >= sizeof(buf) - off)
			return slx_error(err, E2BIG, "%s: too many mappings", file);
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return slx_write_file_at(AT_FDCWD, path, buf, off, err);
}

int rt_ns_write_id_maps(pid_t pid, const struct oci_config *cfg,
			const struct oci_id_mapping *uid_map, size_t n_uid_map, struct slx_err *err)
{
	const struct oci_linux *l = &cfg->linux_;

	if (!uid_map) {
		uid_map = l->uid_mappings;
		n_uid_map = l->n_uid_mappings;
	}
	if (rt_ns_write_map(pid, "uid_map", uid_map, n_uid_map, err) < 0)
		return slx_error_prefix(err, "linux.uidMappings");
	if (rt_ns_write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
		return slx_error_prefix(err, "linux.gidMappings");
	return 0;
}

static int write_time_offsets(const struct oci_linux *l, struct slx_err *err)
{
	cleanup_close int proc = -1, fd = -1;
	struct statfs st;
	char buf[128];
	int n = 0;

	if (l->time_monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - n, "monotonic %lld %u\n",
			      (long long)l->time_monotonic.secs, l->time_monotonic.nanosecs);
	if (l->time_boottime.set)
		n += snprintf(buf + n, sizeof(buf) - n, "boottime %lld %u\n",
			      (long long)l->time_boottime.secs, l->time_boottime.nanosecs);
	if (!n)
		return 0;
	/* /proc of the mount namespace we are in, which may be one joined by
	 * path and so another's (as linux.sysctl's): procfs itself, reached
	 * through no symlink, and the file on its mount */
	proc =
	    slx_openat2(AT_FDCWD, "/proc",
			&(struct open_how){.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					   .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS});
	if (proc < 0)
		return slx_error(err, errno, "linux.timeOffsets: open /proc");
	if (fstatfs(proc, &st) < 0 || st.f_type != PROC_SUPER_MAGIC)
		return slx_error(err, EXDEV, "linux.timeOffsets: /proc is not procfs");
	fd = slx_openat2(proc, "self/timens_offsets",
			 &(struct open_how){.flags = O_WRONLY | O_CLOEXEC,
					    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
						       RESOLVE_NO_XDEV});
	if (fd < 0)
		return slx_error(err, errno, "linux.timeOffsets: open /proc/self/timens_offsets");
	if (!slx_write_all(fd, buf, (size_t)n))
		return slx_error(err, errno, "linux.timeOffsets: write /proc/self/timens_offsets");
	return 0;
}

int rt_ns_enter(const struct oci_config *cfg, const struct rt_ns_plan *plan, struct slx_err *err)
{
	/* The user namespace first: joining the others needs its capabilities.
	 * A pid namespace is joined by the parent before clone3 (setns only
	 * moves pid_for_children). */
	static const enum oci_ns_type order[] = {
	    OCI_NS_USER, OCI_NS_MOUNT,	OCI_NS_NETWORK, OCI_NS_IPC,
	    OCI_NS_UTS,	 OCI_NS_CGROUP, OCI_NS_TIME,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int fd = plan->join_fd[order[i]];

		if (fd >= 0 && setns(fd, ns_flags[order[i]]) < 0)
			return slx_error(err, errno, "join the %s namespace",
					 oci_ns_type_name(order[i]));
	}
	if (plan->unshare_flags && unshare(plan->unshare_flags) < 0)
		return slx_error(err, errno, "unshare cgroup/time namespace");
	if (plan->new_ns[OCI_NS_TIME])
		return write_time_offsets(&cfg->linux_, err);
	return 0;
}
