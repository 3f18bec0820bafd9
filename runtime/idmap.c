/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idmap.c -- idmapped mounts: a mount namespace of this process's own, a
 * user namespace holding given id maps (made by a short-lived child, as crun
 * and containers-storage do), a read-only view of a directory through those
 * maps as a detached tree (a sandbox covers the directory with it), and a
 * container's idmapped binds (mounts[].uidMappings) as detached trees for
 * its child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/syscalls.h"
#include "internal.h"

int rt_mntns_private(struct slx_err *err)
{
	static bool done;

	if (done)
		return 0;
	if (unshare(CLONE_NEWNS) < 0)
		return slx_error(err, errno, "a mount namespace of our own");
	/* A copy of a shared "/" would hand every mount we make back to the
	 * host's namespace: rslave takes the host's new mounts, gives none. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return slx_error(err, errno, "make / rslave in our mount namespace");
	done = true;
	return 0;
}

/* The child only waits for the parent to be done with its namespace: its
 * end of the pipe reads EOF when the parent closes the other, or dies. */
static __attribute__((noreturn)) void userns_hold(int rd, int wr)
{
	char c;

	close(wr);
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int rt_idmap_userns(const struct oci_id_mapping *uids, size_t n_uids,
		    const struct oci_id_mapping *gids, size_t n_gids, struct slx_err *err)
{
	struct clone_args args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	cleanup_close int rd = -1, wr = -1;
	char path[64];
	int fds[2], ns = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return slx_error(err, errno, "idmap user namespace: pipe");
	rd = fds[0];
	wr = fds[1];
	pid = slx_clone3(&args);
	if (pid < 0)
		return slx_error(err, errno, "idmap user namespace: clone3");
	if (pid == 0)
		userns_hold(rd, wr);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (rt_ns_write_map(pid, "uid_map", uids, n_uids, err) < 0 ||
	    rt_ns_write_map(pid, "gid_map", gids, n_gids, err) < 0)
		(void)slx_error_prefix(err, "idmap user namespace");
	else if ((ns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		slx_error(err, errno, "idmap user namespace: open %s", path);
	slx_closep(&wr);
	(void)slx_waitpid(pid, NULL);
	return ns;
}

static const struct {
	long magic;
	const char *name;
} fs_names[] = {
    {TMPFS_MAGIC, "tmpfs"},	  {EXT4_SUPER_MAGIC, "ext4"},		{XFS_SUPER_MAGIC, "xfs"},
    {BTRFS_SUPER_MAGIC, "btrfs"}, {OVERLAYFS_SUPER_MAGIC, "overlayfs"}, {RAMFS_MAGIC, "ramfs"},
    {NFS_SUPER_MAGIC, "nfs"},	  {SQUASHFS_MAGIC, "squashfs"},
};

static const char *fs_name(int fd, char buf[32])
{
	struct statfs s;

	if (fstatfs(fd, &s) < 0)
		return "its filesystem";
	for (size_t i = 0; i < sizeof(fs_names) / sizeof(fs_names[0]); i++)
		if (s.f_type == fs_names[i].magic)
			return fs_names[i].name;
	snprintf(buf, 32, "filesystem 0x%lx", (unsigned long)s.f_type);
	return buf;
}

int rt_kernel_version(char release[65])
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	snprintf(release, 65, "%s", u.release);
	return (int)(major * 1000 + minor);
}

int rt_idmap_overlay_check(const char *what, struct slx_err *err)
{
	char release[65] = "";

	/* Before 5.19 overlayfs refuses an idmapped layer (EINVAL at mount,
	 * deep in the sandbox's start): say so here, by name. */
	if (rt_kernel_version(release) < 5019)
		return slx_error(err, 0,
				 "%s: Linux %s cannot stack idmapped mounts in overlayfs (5.19 or "
				 "later can), which a sandbox needs to see its image's owners",
				 what, release[0] ? release : "(unknown)");
	return 0;
}

int rt_idmap_view(int dirfd, const char *what, int userns_fd, struct slx_err *err)
{
	/* private: what is mounted under the lower on the host later never
	 * reaches the view */
	struct mount_attr a = {
	    .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	    .propagation = MS_PRIVATE,
	    .userns_fd = (uint64_t)userns_fd,
	};
	cleanup_close int tree =
	    open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	char release[65] = "", buf[32];

	if (tree < 0)
		return slx_error(err, errno, "%s: open_tree", what);
	/* EINVAL: the filesystem cannot be idmapped (tmpfs before 6.3). */
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
		int e = errno;

		(void)rt_kernel_version(release);
		if (e == EINVAL || e == ENOSYS)
			return slx_error(err, 0,
					 "%s: Linux %s cannot make an idmapped mount of %s, which "
					 "a sandbox needs to see its image's owners (keep it on "
					 "ext4, xfs or btrfs; tmpfs from Linux 6.3)",
					 what, release, fs_name(dirfd, buf));
		return slx_error(err, e, "%s: idmap", what);
	}
	return steal_fd(tree);
}

static bool same_maps(const struct rt_mount_op *a, const struct rt_mount_op *b)
{
	return a->n_uid_map == b->n_uid_map && a->n_gid_map == b->n_gid_map &&
	       !memcmp(a->uid_map, b->uid_map, a->n_uid_map * sizeof(*a->uid_map)) &&
	       !memcmp(a->gid_map, b->gid_map, a->n_gid_map * sizeof(*a->gid_map));
}

/* The bind's source cloned detached, idmapped, then its flags: the child
 * only attaches it.  ridmap maps every mount below the source too. */
static int idmap_tree(const struct rt_mount_op *op, int userns, struct slx_err *err)
{
	unsigned rec = op->recursive ? AT_RECURSIVE : 0;
	struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	struct mount_attr rec_attrs = {.attr_set = op->rec_attr_set, .attr_clr = op->rec_attr_clr};
	struct mount_attr attrs = {.attr_set = op->attr_set, .attr_clr = op->attr_clr};
	cleanup_close int tree =
	    open_tree(AT_FDCWD, op->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
	char release[65] = "";

	if (tree < 0)
		return slx_error(err, errno, "%s[%zu].source: %s", op->field, op->index,
				 op->source);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (op->idmap_recursive ? rec : 0), &idmap,
			  sizeof(idmap)) < 0) {
		int e = errno;

		(void)rt_kernel_version(release);
		if (e == EINVAL)
			return slx_error(err, 0,
					 "%s[%zu]: Linux %s cannot idmap %s (its filesystem, or "
					 "one below it with ridmap)",
					 op->field, op->index, release, op->source);
		return slx_error(err, e, "%s[%zu]: idmap %s", op->field, op->index, op->source);
	}
	if ((rec_attrs.attr_set || rec_attrs.attr_clr) &&
	    mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &rec_attrs, sizeof(rec_attrs)) <
		0)
		return slx_error(err, errno, "%s[%zu]: recursive flags of %s", op->field, op->index,
				 op->source);
	if ((attrs.attr_set || attrs.attr_clr) &&
	    mount_setattr(tree, "", AT_EMPTY_PATH, &attrs, sizeof(attrs)) < 0)
		return slx_error(err, errno, "%s[%zu]: flags of %s", op->field, op->index,
				 op->source);
	return steal_fd(tree);
}

int rt_idmap_trees_open(const struct rt_mount_plan *plan, int **trees, struct slx_err *err)
{
	const struct rt_mount_op *made = NULL;
	cleanup_close int userns = -1;
	int *v = NULL;

	*trees = NULL;
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct rt_mount_op *op = &plan->ops[i];

		if (!op->idmap)
			continue;
		if (!v) {
			if (!(v = malloc(plan->n_ops * sizeof(*v))))
				return slx_error(err, ENOMEM, "idmapped mounts");
			for (size_t k = 0; k < plan->n_ops; k++)
				v[k] = -1;
		}
		/* One user namespace serves every bind with the same maps. */
		if (!made || !same_maps(made, op)) {
			slx_closep(&userns);
			userns = rt_idmap_userns(op->uid_map, op->n_uid_map, op->gid_map,
						 op->n_gid_map, err);
			if (userns < 0)
				goto fail;
			made = op;
		}
		if ((v[i] = idmap_tree(op, userns, err)) < 0)
			goto fail;
	}
	*trees = v;
	return 0;
fail:
	rt_idmap_trees_close(v, plan->n_ops);
	return -1;
}

void rt_idmap_trees_close(int *trees, size_t n)
{
	for (size_t i = 0; trees && i < n; i++)
		slx_closep(&trees[i]);
	free(trees);
}
