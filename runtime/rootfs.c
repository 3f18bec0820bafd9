/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.c -- the container's filesystem view, in order: validate (parent),
 * prepare (propagation, rootfs bind, the plan's ops up to the pivot) and
 * finish (pivot_root, the plan's ops after it, root.readonly,
 * rootfsPropagation). */
#include "../common/syscalls.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

/* --- root.path ------------------------------------------------------ */

int rt_rootfs_resolve(const struct oci_config *cfg, const char *bundle, char out[PATH_MAX],
		      struct slx_err *err)
{
	const char *root = cfg->root.path;
	char joined[PATH_MAX];

	if (!root || !*root)
		return slx_error(err, 0, "config.json: root.path: required field missing");
	if (snprintf(joined, sizeof(joined), "%s%s%s", root[0] == '/' ? "" : bundle,
		     root[0] == '/' ? "" : "/", root) >= (int)sizeof(joined))
		return slx_error(err, ENAMETOOLONG, "root.path: %s", root);
	if (!realpath(joined, out))
		return slx_error(err, errno, "root.path: %s", joined);
	return 0;
}

/* --- validate ------------------------------------------------------- */

static const char *const known_fs_types[] = {
    "proc",    "sysfs",	  "tmpfs", "devpts",   "mqueue", "cgroup",
    "cgroup2", "overlay", "ramfs", "devtmpfs", "bind",	 "none",
};

/* Anything the kernel lists in /proc/filesystems mounts too; read only when
 * the type is not one of the usual ones. */
static bool fs_type_known(const char *type, char **proc_fs)
{
	char line[64];

	for (size_t i = 0; i < sizeof(known_fs_types) / sizeof(known_fs_types[0]); i++)
		if (strcmp(type, known_fs_types[i]) == 0)
			return true;
	if (!*proc_fs) {
		struct slx_err ignored;
		if (slx_read_file_at(AT_FDCWD, "/proc/filesystems", proc_fs, NULL, &ignored) < 0)
			return false;
	}
	if (strlen(type) > sizeof(line) - 3)
		return false;
	snprintf(line, sizeof(line), "\t%s\n", type);
	return strstr(*proc_fs, line) != NULL;
}

int rt_rootfs_validate(const struct oci_config *cfg, const char *rootfs, struct slx_err *err)
{
	cleanup_free char *proc_fs = NULL;
	struct stat st;

	if (stat(rootfs, &st) < 0)
		return slx_error(err, errno, "root.path: %s", rootfs);
	if (!S_ISDIR(st.st_mode))
		return slx_error(err, ENOTDIR, "root.path: %s", rootfs);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (m->type && strcmp(m->type, "none") != 0 && !fs_type_known(m->type, &proc_fs))
			return slx_error(err, 0, "mounts[%zu].type: unknown filesystem type %s", i,
					 m->type);
	}
	return 0;
}

/* Without a mount namespace of its own the container shares the host's:
 * every mount would land there, so none is made and a config that asks for
 * one is refused by name.  runc mounts into the host's namespace here and
 * crun chroots and mounts too; slxrun only chroots. */
int rt_rootfs_validate_host_mntns(const struct oci_config *cfg, struct slx_err *err)
{
	static const char why[] = "needs a mount namespace of the container's own "
				  "(linux.namespaces has no mount namespace)";
	const struct oci_linux *l = &cfg->linux_;

	if (cfg->n_mounts)
		return slx_error(err, 0, "mounts: %s", why);
	if (l->masked_paths.n)
		return slx_error(err, 0, "linux.maskedPaths: %s", why);
	if (l->readonly_paths.n)
		return slx_error(err, 0, "linux.readonlyPaths: %s", why);
	if (l->n_devices)
		return slx_error(err, 0, "linux.devices: %s", why);
	if (cfg->root.readonly)
		return slx_error(err, 0, "root.readonly: %s", why);
	if (l->rootfs_propagation && *l->rootfs_propagation)
		return slx_error(err, 0, "linux.rootfsPropagation: %s", why);
	return 0;
}

/* --- prepare -------------------------------------------------------- */

/* pivot_root refuses a new root whose parent mount is shared.  With "/"
 * made rslave/rprivate nothing is shared; otherwise (rootfsPropagation
 * shared, or non-recursive) make the mount holding the rootfs private by
 * walking up until mount(2) finds a mount point (crun does the same). */
static int parent_mount_private(const char *rootfs, struct slx_err *err)
{
	char path[PATH_MAX];
	char *slash;

	if (strlen(rootfs) >= sizeof(path))
		return slx_error(err, ENAMETOOLONG, "root.path: %s", rootfs);
	strcpy(path, rootfs);
	for (;;) {
		slash = strrchr(path, '/');
		if (!slash || slash == path) {
			strcpy(path, "/");
		} else {
			*slash = '\0';
		}
		if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0)
			return 0;
		if (errno != EINVAL || strcmp(path, "/") == 0)
			return slx_error(err, errno, "make %s private", path);
	}
}

/* The plan's ops from `from` up to the next RT_MOP_PIVOT (or the end). */
/* A mount on "/" itself (an image's overlay over the bundle's rootfs)
 * covers what rootfd holds: the ops after it, and pivot_root, act on the
 * new top, reopened by path (rootfs) as pivot's chdir will find it. */
static bool covers_root(const struct rt_mount_op *op)
{
	return op->kind == RT_MOP_FS && op->dest && op->dest[0] == '/' &&
	       !op->dest[strspn(op->dest, "/")];
}

static int run_ops(const struct rt_mount_plan *plan, const int *trees, size_t from, int *rootfd,
		   const char *rootfs, struct slx_err *err)
{
	mode_t old_umask = umask(0);
	size_t i;
	int ret = 0;

	/* Device nodes get exactly their planned modes; directories we create
	 * are 0755 either way. */
	for (i = from; ret == 0 && i < plan->n_ops && plan->ops[i].kind != RT_MOP_PIVOT; i++) {
		const struct rt_mount_op *op = &plan->ops[i];
		if (op->kind == RT_MOP_DEVICE || op->kind == RT_MOP_DEV_LINKS)
			ret = rt_device_op_run(*rootfd, op, err);
		else if (op->kind == RT_MOP_MASK || op->kind == RT_MOP_READONLY)
			ret = rt_mask_op_run(*rootfd, op, err);
		else if (trees && trees[i] >= 0)
			ret = rt_mount_op_attach(*rootfd, op, trees[i], err);
		else
			ret = rt_mount_op_run(*rootfd, op, err);
		if (ret == 0 && rootfs && covers_root(op)) {
			slx_closep(rootfd);
			*rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (*rootfd < 0)
				ret = slx_error(err, errno, "%s[%zu]: reopen %s", op->field,
						op->index, rootfs);
		}
	}
	umask(old_umask);
	return ret;
}

int rt_rootfs_prepare(const struct oci_config *cfg, const struct rt_rootfs_opts *opts,
		      struct slx_err *err)
{
	unsigned long prop = opts->plan->root_propagation;
	cleanup_close int rootfd = -1;

	(void)cfg;
	if (opts->host_mntns)
		return 0;

	/* runc's order: "/" gets rootfsPropagation or, by default, MS_SLAVE|
	 * MS_REC, so nothing we mount leaks to the host while host mounts
	 * still reach us; the exact mode is applied again after pivot_root. */
	if (!prop)
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return slx_error(err, errno, "set propagation of /");
	if (!((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE))) &&
	    parent_mount_private(opts->rootfs, err) < 0)
		return -1;
	/* the sandbox's own views, over what the mounts below name; attached,
	 * their fds are of no more use to pid 1 */
	for (size_t i = 0; i < opts->n_covers; i++) {
		if (move_mount(opts->cover_trees[i], "", AT_FDCWD, opts->cover_paths[i],
			       MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return slx_error(err, errno, "cover %s with its view",
					 opts->cover_paths[i]);
		close(opts->cover_trees[i]);
	}
	/* pivot_root needs the new root to be a mount point. */
	if (mount(opts->rootfs, opts->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return slx_error(err, errno, "bind %s onto itself", opts->rootfs);
	rootfd = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return slx_error(err, errno, "root.path: %s", opts->rootfs);
	return run_ops(opts->plan, opts->trees, 0, &rootfd, opts->rootfs, err);
}

/* --- finish --------------------------------------------------------- */

/* pivot_root(".", ".") stacks the old root on the new one; detaching it
 * leaves only the new root, with no put_old directory to create. */
static int pivot(const char *rootfs, bool old_root_slave, struct slx_err *err)
{
	cleanup_close int oldroot = -1;

	if (old_root_slave) {
		oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (oldroot < 0)
			return slx_error(err, errno, "open /");
	}
	if (chdir(rootfs) < 0)
		return slx_error(err, errno, "chdir %s", rootfs);
	if (slx_pivot_root(".", ".") < 0)
		return slx_error(err, errno, "pivot_root %s", rootfs);
	/* A shared old root would propagate the detach to its peers (the
	 * host); by default "/" is already rslave and this is skipped. */
	if (oldroot >= 0 &&
	    (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0))
		return slx_error(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return slx_error(err, errno, "detach the old root");
	return 0;
}

static int move_root(const char *rootfs, struct slx_err *err)
{
	if (chdir(rootfs) < 0)
		return slx_error(err, errno, "chdir %s", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return slx_error(err, errno, "move %s to /", rootfs);
	if (chroot(".") < 0)
		return slx_error(err, errno, "chroot %s", rootfs);
	return 0;
}

/* mount_setattr only adds flags, so flags a user namespace locked on the
 * source stay; MS_REMOUNT would have to restate them or fail. */
static int root_readonly(void)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

	return mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a));
}

static size_t pivot_index(const struct rt_mount_plan *plan)
{
	size_t i = 0;

	while (i < plan->n_ops && plan->ops[i].kind != RT_MOP_PIVOT)
		i++;
	return i;
}

int rt_rootfs_finish(const struct oci_config *cfg, const struct rt_rootfs_opts *opts,
		     struct slx_err *err)
{
	const struct rt_mount_plan *plan = opts->plan;
	unsigned long prop = plan->root_propagation;
	bool slave_everywhere = !prop || ((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)));
	cleanup_close int rootfd = -1;

	if (opts->host_mntns) {
		if (chdir(opts->rootfs) < 0 || chroot(".") < 0 || chdir("/") < 0)
			return slx_error(err, errno, "chroot %s", opts->rootfs);
		return 0;
	}
	if (opts->no_pivot ? move_root(opts->rootfs, err) < 0
			   : pivot(opts->rootfs, !slave_everywhere, err) < 0)
		return -1;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return slx_error(err, errno, "open the new /");
	if (run_ops(plan, opts->trees, pivot_index(plan) + 1, &rootfd, NULL, err) < 0)
		return -1;
	if (plan->root_readonly && root_readonly() < 0)
		return slx_error(err, errno, "root.readonly: make / read-only");
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return slx_error(err, errno, "linux.rootfsPropagation: %s",
				 cfg->linux_.rootfs_propagation);
	if (chdir("/") < 0)
		return slx_error(err, errno, "chdir /");
	return 0;
}
