/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.h -- building the container's filesystem view: the mount plan
 * (config -> ordered list of operations, pure and testable), executing it,
 * /dev, pivot_root, masked and read-only paths. */
#ifndef SLX_RT_ROOTFS_H
#define SLX_RT_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "../oci/oci.h"

/* One mount's options mapped to mount(2) arguments. */
struct rt_mount_opts {
	unsigned long flags; /* MS_* to set */
	unsigned long clear; /* MS_* the options explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC) */
	bool bind, rbind;
	char *data; /* comma-joined options mount(2) doesn't know, or NULL */
};
/* Pure: map mounts[i].options (ro, rw, nosuid, nodev, noexec, relatime,
 * strictatime, bind, rbind, private, rshared, ... via a table).  Unknown
 * options go to data.  Errors name "mounts[i].options". */
int rt_mount_opts_parse(const struct oci_strv *options, size_t index,
			struct rt_mount_opts *out, struct slx_err *err);
void rt_mount_opts_release(struct rt_mount_opts *o);

struct rt_rootfs_opts {
	const char *rootfs; /* absolute, resolved path of the bundle's rootfs */
	bool no_pivot;
	bool userns; /* in a new user namespace: bind devices instead of mknod */
};

/* Validate before clone: every mount has an absolute destination, a known
 * type (or bind), known options; rootfs exists and is a directory; device
 * entries are well formed.  Error names the field ("mounts[3].type: unknown
 * filesystem type foo"). */
int rt_rootfs_validate(const struct oci_config *cfg, const char *rootfs,
		       struct slx_err *err);

/* In the child, in the new mount namespace, before createContainer hooks:
 * set rootfs propagation (default rprivate), bind rootfs onto itself, perform
 * mounts in order (targets resolved inside the rootfs without following
 * symlinks out of it), create /dev (default devices, linux.devices,
 * /dev/pts/ptmx, fd/stdin/stdout/stderr links). */
int rt_rootfs_prepare(const struct oci_config *cfg,
		      const struct rt_rootfs_opts *opts, struct slx_err *err);

/* In the child, after createContainer hooks: pivot_root (or MS_MOVE+chroot
 * with no_pivot), then maskedPaths, readonlyPaths, root.readonly, and set the
 * propagation of / as rootfsPropagation asks.  cwd is "/" afterwards. */
int rt_rootfs_finish(const struct oci_config *cfg,
		     const struct rt_rootfs_opts *opts, struct slx_err *err);

#endif
