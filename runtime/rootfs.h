/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.h -- building the container's filesystem view: the mount plan
 * (config -> ordered list of operations, pure and testable), executing it,
 * /dev, pivot_root, masked and read-only paths. */
#ifndef SLX_RT_ROOTFS_H
#define SLX_RT_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../oci/oci.h"

/* One mount's options mapped to mount(2) arguments. */
struct rt_mount_opts {
	unsigned long flags; /* MS_* to set */
	unsigned long clear; /* MS_* the options explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC) */
	bool bind, rbind;
	char *data; /* comma-joined options mount(2) doesn't know, or NULL */
	/* Appended: recursive r* options (rro, rnosuid, ...) as mount_setattr(2)
	 * MOUNT_ATTR_* bits, applied with AT_RECURSIVE after the mount. */
	uint64_t rec_attr_set, rec_attr_clr;
	bool tmpcopyup; /* tmpfs starts with a copy of the directory it covers */
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

/* --- appended: helpers shared by the rootfs files ------------------------ */

/* The non-recursive flags/clear of o as mount_setattr(2) attributes, so a
 * bind mount changes only what its options name (locked flags survive). */
void rt_mount_opts_attrs(const struct rt_mount_opts *o, uint64_t *set,
			 uint64_t *clr);

/* "rprivate", "shared", ... -> MS_PRIVATE|MS_REC, MS_SHARED, ...; -1 when
 * the word is not a propagation mode. */
int rt_mount_propagation_parse(const char *word, unsigned long *out);

/* True when the mount is a bind mount (type "bind", or a bind/rbind option). */
bool rt_mount_is_bind(const struct oci_mount *m, const struct rt_mount_opts *o);

/* Open path (read inside rootfd as if it were "/": symlinks and ".." never
 * leave it).  rt_rootfs_mkdir_at creates missing directories (0755) and
 * returns an O_PATH directory fd; rt_rootfs_mkfile_at creates an empty file
 * when missing.  Both return -1 with errno set. */
int rt_rootfs_open_at(int rootfd, const char *path, int flags);
int rt_rootfs_mkdir_at(int rootfd, const char *path);
int rt_rootfs_mkfile_at(int rootfd, const char *path);

/* Perform config mount i inside the rootfs open at rootfd. */
int rt_rootfs_mount_one(int rootfd, const struct oci_mount *m, size_t i,
			const struct rt_rootfs_opts *opts, struct slx_err *err);

/* tmpcopyup: copy the tree below directory fd `from` into directory fd `to`
 * (modes, owners, symlinks, nodes).  -1 with errno set. */
int rt_mount_copyup(int from, int to);

/* Populate the rootfs /dev: default devices and links when dev_is_new (a
 * fresh filesystem was mounted there), then linux.devices. */
int rt_rootfs_devices(int rootfd, const struct oci_config *cfg,
		      bool dev_is_new, bool userns, struct slx_err *err);

#endif
