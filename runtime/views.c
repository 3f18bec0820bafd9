/* SPDX-License-Identifier: GPL-2.0-or-later */
/* views.c -- mounts in this process's own mount namespace (rt_mntns_private)
 * that its sandboxes start from: a private tmpfs to hold mountpoints, and
 * an object opened once, cloned there by its descriptor, so that what a
 * path named when it was checked is what every later mount by the new path
 * gets, whatever is renamed or swapped on the old path afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/syscalls.h"
#include "internal.h"

int rt_view_dir(const char *path, struct slx_err *err)
{
	if (rt_mntns_private(err) < 0)
		return -1;
	if (mount("slxrun-views", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0711,size=1m") < 0 ||
	    mount(NULL, path, NULL, MS_PRIVATE, NULL) < 0)
		return slx_error(err, errno, "a private tmpfs at %s", path);
	return 0;
}

int rt_view_pin(int fd, const char *what, const char *target, struct slx_err *err)
{
	struct mount_attr private = {.propagation = MS_PRIVATE};
	struct stat s;
	cleanup_close int tree = -1;

	if (fstat(fd, &s) < 0)
		return slx_error(err, errno, "%s", what);
	if (S_ISDIR(s.st_mode)
		? mkdir(target, 0711) < 0
		: (tree = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)) < 0)
		return slx_error(err, errno, "%s: mountpoint %s", what, target);
	slx_closep(&tree);
	tree =
	    open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return slx_error(err, errno, "%s: open_tree", what);
	/* A clone of a mount that receives the host's mounts would go on
	 * receiving them: what the owner mounts under the path later (a FUSE
	 * mount, writable) would reach the next sandbox. */
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &private, sizeof(private)) < 0)
		return slx_error(err, errno, "%s: make it private", what);
	if (move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return slx_error(err, errno, "%s: pin it at %s", what, target);
	return 0;
}
