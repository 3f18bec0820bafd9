/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_mask.c -- maskedPaths and readonlyPaths after pivot_root, applied
 * through fds resolved in the new root with no symlink followed and mounted
 * with the new mount API, so neither a link in the image nor one swapped in
 * during setup can move them onto anything else. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* A symlink here is refused, not followed nor skipped: following it would
 * mask (or make read-only) whatever it names -- say /proc/self/attr/...,
 * which the runtime writes later -- and skipping it would leave visible
 * what the config asked to hide. */
static int path_open(int rootfd, const struct rt_mount_op *op, bool *absent, struct slx_err *err)
{
	int fd = rt_rootfs_open_how(rootfd, op->dest, O_PATH, RESOLVE_NO_SYMLINKS);
	struct stat st;

	*absent = fd < 0 && errno == ENOENT;
	if (fd >= 0 || *absent)
		return fd;
	if (errno != ELOOP)
		return slx_error(err, errno, "%s[%zu]: %s", op->field, op->index, op->dest);
	fd = rt_rootfs_open_at(rootfd, op->dest, O_PATH | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		return slx_error(err, 0, "%s[%zu]: %s is a symlink in the rootfs", op->field,
				 op->index, op->dest);
	}
	if (fd >= 0)
		close(fd);
	return slx_error(err, 0, "%s[%zu]: %s passes through a symlink in the rootfs", op->field,
			 op->index, op->dest);
}

static int attach(int tree, int target)
{
	return move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* Directories get an empty read-only tmpfs. */
static int mask_dir(int target)
{
	cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1;

	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return mnt < 0 ? -1 : attach(mnt, target);
}

/* Files get the container's /dev/null, if it is the real one. */
static int mask_file(int rootfd, int target)
{
	cleanup_close int null =
	    rt_rootfs_open_how(rootfd, "/dev/null", O_PATH, RESOLVE_NO_SYMLINKS);
	cleanup_close int tree = -1;
	struct stat st;

	if (null < 0 || fstat(null, &st) < 0)
		return -1;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		errno = ENODEV;
		return -1;
	}
	tree = open_tree(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	return tree < 0 ? -1 : attach(tree, target);
}

/* A detached recursive clone made read-only, then attached: the path is
 * never visible writable, and flags locked by a user namespace stay.  Only
 * read-only, as runc: the path's own nosuid, nodev and noexec are kept,
 * none added (a program on a read-only path did not run). */
static int make_readonly(int target)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	cleanup_close int tree = open_tree(
	    target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);

	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return -1;
	return attach(tree, target);
}

int rt_mask_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err)
{
	cleanup_close int target = -1;
	struct stat st;
	bool absent;
	int ret;

	/* A path the rootfs does not have has nothing to hide. */
	target = path_open(rootfd, op, &absent, err);
	if (target < 0)
		return absent ? 0 : -1;
	if (fstat(target, &st) < 0)
		return slx_error(err, errno, "%s[%zu]: %s", op->field, op->index, op->dest);
	if (op->kind == RT_MOP_READONLY)
		ret = make_readonly(target);
	else
		ret = S_ISDIR(st.st_mode) ? mask_dir(target) : mask_file(rootfd, target);
	if (ret < 0)
		return slx_error(err, errno, "%s[%zu]: %s %s", op->field, op->index,
				 op->kind == RT_MOP_READONLY ? "make read-only" : "mask", op->dest);
	return 0;
}
