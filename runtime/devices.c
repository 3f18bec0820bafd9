/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices.c -- the container's /dev: executing the plan's device ops (default
 * nodes, linux.devices) and the ptmx/fd/stdio links. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/cleanup.h"

static const struct {
	const char *name, *target;
} dev_links[] = {
    {"ptmx", "pts/ptmx"},	   {"fd", "/proc/self/fd"},	  {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
};

/* A user namespace may not mknod devices: bind the host's node onto an
 * empty file instead (what runc and crun do).  The host's node must be the
 * device the config names (type and numbers): the path is the config's, and
 * a file or a link there is not a device to hand in.  EMEDIUMTYPE: it is
 * not. */
static int node_bind(int dirfd, const char *name, const char *host_path,
		     const struct rt_dev_node *n)
{
	char tpath[32], spath[32];
	cleanup_close int src = open(host_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int fd = -1;
	struct stat st;

	if (src < 0 || fstat(src, &st) < 0)
		return -1;
	if ((st.st_mode & S_IFMT) != (n->mode & S_IFMT) ||
	    (!S_ISFIFO(st.st_mode) && st.st_rdev != n->rdev)) {
		errno = EMEDIUMTYPE;
		return -1;
	}
	/* Never open what is there (an image's own /dev may ship any node):
	 * an empty file left by an earlier run of this rootfs is taken as it
	 * is, anything else goes. */
	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
	if (fd < 0 && errno == EEXIST) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size == 0)
			fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		else if (unlinkat(dirfd, name, 0) == 0)
			fd = openat(dirfd, name,
				    O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
	}
	if (fd < 0)
		return -1;
	snprintf(tpath, sizeof(tpath), "/proc/self/fd/%d", fd);
	snprintf(spath, sizeof(spath), "/proc/self/fd/%d", src);
	return mount(spath, tpath, NULL, MS_BIND, NULL);
}

static int node_create(int dirfd, const char *name, const char *host_path,
		       const struct rt_dev_node *n)
{
	struct stat st;

	if (n->bind_host)
		return node_bind(dirfd, name, host_path, n);
	if (mknodat(dirfd, name, n->mode, n->rdev) < 0) {
		if (errno != EEXIST)
			return -1;
		/* The image may ship the node, or an earlier run of a shared
		 * rootfs made it: the same node stays (recreated, it was
		 * missing for a moment to a container starting beside), with
		 * the mode named; anything else there goes, the config's word
		 * winning. */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (st.st_mode & S_IFMT) == (n->mode & S_IFMT) && st.st_rdev == n->rdev) {
			if ((st.st_mode & 07777) != (n->mode & 07777) &&
			    fchmodat(dirfd, name, n->mode & 07777, 0) < 0)
				return -1;
		} else if (unlinkat(dirfd, name, 0) < 0 ||
			   mknodat(dirfd, name, n->mode, n->rdev) < 0) {
			return -1;
		}
	}
	if (n->chown && fchownat(dirfd, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return 0;
}

static int device_create(int rootfd, const struct rt_mount_op *op)
{
	const char *slash = strrchr(op->dest, '/');
	cleanup_close int dirfd = -1;
	char dir[PATH_MAX];

	if ((size_t)(slash - op->dest) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, op->dest, (size_t)(slash - op->dest));
	dir[slash - op->dest] = '\0';
	dirfd = rt_rootfs_mkdir_at(rootfd, dir);
	if (dirfd < 0)
		return -1;
	return node_create(dirfd, slash + 1, op->dest, &op->node);
}

static int dev_links_create(int rootfd, struct slx_err *err)
{
	cleanup_close int devfd = rt_rootfs_mkdir_at(rootfd, "/dev");

	if (devfd < 0)
		return slx_error(err, errno, "open /dev in the rootfs");
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
			return slx_error(err, errno, "symlink /dev/%s", dev_links[i].name);
	return 0;
}

/* Node modes must be exactly as planned: the caller runs the device ops
 * under umask 0 instead of a chmod per node. */
int rt_device_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err)
{
	if (op->kind == RT_MOP_DEV_LINKS)
		return dev_links_create(rootfd, err);
	if (device_create(rootfd, op) == 0)
		return 0;
	if (errno == EMEDIUMTYPE)
		return slx_error(err, 0, "%s[%zu]: the host's %s is not the device %u:%u named",
				 op->field, op->index, op->dest, major(op->node.rdev),
				 minor(op->node.rdev));
	return slx_error(err, errno, "%s[%zu]: %s", op->field, op->index, op->dest);
}
