/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_mount.c -- performing one config.json mount inside the rootfs:
 * resolve the target in the rootfs, mount, then per-mount attributes and
 * propagation through mount_setattr(2) on the new mount's root. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../common/cleanup.h"

#define FD_PATH_MAX 32

/* mount(2) takes paths; /proc/self/fd/N names exactly the directory that
 * was resolved inside the rootfs, so the mount lands there and nowhere a
 * symlink could redirect it. */
static const char *fd_path(char buf[FD_PATH_MAX], int fd)
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

static int mount_attrs(int mntfd, uint64_t set, uint64_t clr,
		       unsigned long propagation, bool recursive)
{
	struct mount_attr a = {
		.attr_set = set,
		.attr_clr = clr,
		.propagation = propagation & ~(unsigned long)MS_REC,
	};

	return mount_setattr(mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
			     &a, sizeof(a));
}

static bool needs_attrs(const struct rt_mount_opts *o)
{
	return o->rec_attr_set || o->rec_attr_clr || o->propagation;
}

/* r* options, then propagation, on the root of the mount at mntfd. */
static int mount_attrs_after(int mntfd, const struct rt_mount_opts *o)
{
	if ((o->rec_attr_set || o->rec_attr_clr) &&
	    mount_attrs(mntfd, o->rec_attr_set, o->rec_attr_clr, 0, true) < 0)
		return -1;
	if (o->propagation &&
	    mount_attrs(mntfd, 0, 0, o->propagation, o->propagation & MS_REC) < 0)
		return -1;
	return 0;
}

/* With no per-mount flags a bind is one mount(2).  With flags, the clone is
 * built detached (open_tree), flagged, then attached: it is never visible
 * writable, and mount_setattr changes only the named flags, so flags locked
 * by a user namespace survive where MS_REMOUNT would fail with EPERM. */
static int bind_attach(const struct oci_mount *m, const struct rt_mount_opts *o,
		       int target)
{
	char tpath[FD_PATH_MAX];
	uint64_t set, clr;
	cleanup_close int tree = -1;

	rt_mount_opts_attrs(o, &set, &clr);
	if (!set && !clr)
		return mount(m->source, fd_path(tpath, target), NULL,
			     MS_BIND | (o->rbind ? MS_REC : 0), NULL);
	tree = open_tree(AT_FDCWD, m->source,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				 (o->rbind ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -1;
	if ((o->rec_attr_set || o->rec_attr_clr) &&
	    mount_attrs(tree, o->rec_attr_set, o->rec_attr_clr, 0, true) < 0)
		return -1;
	if (mount_attrs(tree, set, clr, 0, false) < 0)
		return -1;
	return move_mount(tree, "", target, "",
			  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int mount_bind(int rootfd, const struct oci_mount *m, size_t i,
		      const struct rt_mount_opts *o, struct slx_err *err)
{
	struct stat st;
	cleanup_close int target = -1, mnt = -1;

	if (!m->source)
		return slx_error(err, 0, "mounts[%zu].source: a bind mount needs a source", i);
	if (stat(m->source, &st) < 0)
		return slx_error(err, errno, "mounts[%zu].source: %s", i, m->source);
	target = S_ISDIR(st.st_mode) ? rt_rootfs_mkdir_at(rootfd, m->destination)
				     : rt_rootfs_mkfile_at(rootfd, m->destination);
	if (target < 0)
		return slx_error(err, errno, "mounts[%zu].destination: %s", i,
				 m->destination);
	if (bind_attach(m, o, target) < 0)
		return slx_error(err, errno, "mounts[%zu]: bind %s on %s", i,
				 m->source, m->destination);
	if (!needs_attrs(o))
		return 0;
	mnt = rt_rootfs_open_at(rootfd, m->destination, O_PATH);
	if (mnt < 0 || mount_attrs_after(mnt, o) < 0)
		return slx_error(err, errno, "mounts[%zu]: attributes of %s", i,
				 m->destination);
	return 0;
}

/* sysfs cannot be mounted from a user namespace that does not own the
 * network namespace; runc's answer, a recursive bind of the host's /sys
 * made read-only, is ours too. */
static int sysfs_fallback(const char *tpath, int rootfd, const char *dest)
{
	cleanup_close int mnt = -1;

	if (mount("/sys", tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	mnt = rt_rootfs_open_at(rootfd, dest, O_PATH | O_DIRECTORY);
	if (mnt < 0)
		return -1;
	return mount_attrs(mnt, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			   0, 0, true);
}

/* The tmpfs is mounted writable for the copy; a requested ro comes after,
 * with the other attributes. */
static int copyup(int below, int mnt, bool ro)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

	if (rt_mount_copyup(below, mnt) < 0)
		return -1;
	return ro ? mount_setattr(mnt, "", AT_EMPTY_PATH, &a, sizeof(a)) : 0;
}

static int mount_fs(int rootfd, const struct oci_mount *m, size_t i,
		    const struct rt_mount_opts *o,
		    const struct rt_rootfs_opts *opts, struct slx_err *err)
{
	const char *type = m->type, *data = o->data;
	unsigned long flags = o->flags & ~(unsigned long)(MS_BIND | MS_REC);
	char tpath[FD_PATH_MAX];
	cleanup_close int target = -1, mnt = -1, below = -1;

	if (o->tmpcopyup && strcmp(type, "tmpfs") != 0)
		return slx_error(err, 0, "mounts[%zu].options: tmpcopyup needs type tmpfs, not %s",
				 i, type);
	/* slxrun drives cgroup v2 only; a per-container v1 hierarchy has no
	 * meaning for it, so "cgroup" mounts cgroup2 -- on hybrid hosts too,
	 * where that is the controller-less unified hierarchy. */
	if (strcmp(type, "cgroup") == 0) {
		type = "cgroup2";
		data = NULL;
	}
	target = rt_rootfs_mkdir_at(rootfd, m->destination);
	if (target < 0)
		return slx_error(err, errno, "mounts[%zu].destination: %s", i,
				 m->destination);
	if (o->tmpcopyup) {
		below = rt_rootfs_open_at(rootfd, m->destination, O_RDONLY | O_DIRECTORY);
		if (below < 0)
			return slx_error(err, errno, "mounts[%zu]: open %s", i, m->destination);
		flags &= ~(unsigned long)MS_RDONLY;
	}
	fd_path(tpath, target);
	if (mount(m->source ? m->source : type, tpath, type, flags, data) < 0) {
		int e = errno;
		if (!(e == EPERM && opts->userns && strcmp(type, "sysfs") == 0) ||
		    sysfs_fallback(tpath, rootfd, m->destination) < 0)
			return slx_error(err, e, "mounts[%zu]: mount %s on %s", i,
					 type, m->destination);
	}
	if (!needs_attrs(o) && !o->tmpcopyup)
		return 0;
	mnt = rt_rootfs_open_at(rootfd, m->destination, O_PATH | O_DIRECTORY);
	if (mnt < 0)
		return slx_error(err, errno, "mounts[%zu]: open %s", i, m->destination);
	if (o->tmpcopyup && copyup(below, mnt, o->flags & MS_RDONLY) < 0)
		return slx_error(err, errno, "mounts[%zu]: tmpcopyup %s", i, m->destination);
	if (mount_attrs_after(mnt, o) < 0)
		return slx_error(err, errno, "mounts[%zu]: attributes of %s", i,
				 m->destination);
	return 0;
}

int rt_rootfs_mount_one(int rootfd, const struct oci_mount *m, size_t i,
			const struct rt_rootfs_opts *opts, struct slx_err *err)
{
	struct rt_mount_opts o;
	int ret;

	if (rt_mount_opts_parse(&m->options, i, &o, err) < 0)
		return -1;
	if (rt_mount_is_bind(m, &o))
		ret = mount_bind(rootfd, m, i, &o, err);
	else if (!m->type || strcmp(m->type, "none") == 0)
		ret = slx_error(err, 0, "mounts[%zu].type: missing (only bind mounts may omit it)", i);
	else
		ret = mount_fs(rootfd, m, i, &o, opts, err);
	rt_mount_opts_release(&o);
	return ret;
}
