/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.h -- building the container's filesystem view: the mount plan
 * (config -> ordered list of operations, pure and testable), executing it,
 * /dev, pivot_root, masked and read-only paths. */
#ifndef SLX_RT_ROOTFS_H
#define SLX_RT_ROOTFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"
#include "../oci/oci.h"

/* One mount's options mapped to mount(2) arguments. */
struct rt_mount_opts {
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear;	   /* MS_* the options explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC) */
	bool bind, rbind;
	char *data; /* comma-joined options mount(2) doesn't know, or NULL */
	/* Appended: recursive r* options (rro, rnosuid, ...) as mount_setattr(2)
	 * MOUNT_ATTR_* bits, applied with AT_RECURSIVE after the mount. */
	uint64_t rec_attr_set, rec_attr_clr;
	bool tmpcopyup;	    /* tmpfs starts with a copy of the directory it covers */
	bool idmap, ridmap; /* idmapped bind (ridmap: every mount below it too) */
};
/* Pure: map mounts[i].options (ro, rw, nosuid, nodev, noexec, relatime,
 * strictatime, bind, rbind, private, rshared, ... via a table).  Unknown
 * options go to data.  Errors name "mounts[i].options". */
int rt_mount_opts_parse(const struct oci_strv *options, size_t index, struct rt_mount_opts *out,
			struct slx_err *err);
void rt_mount_opts_release(struct rt_mount_opts *o);

/* --- the mount plan --------------------------------------------------
 * config.json's mounts, /dev and masked/read-only paths as an ordered list
 * of operations, built once in the parent (pure, no privileges) and only
 * executed in the child (bubblewrap's SetupOp list).  Ops borrow strings
 * from the config, which must outlive the plan; a plan is reusable for any
 * number of containers of that config. */
enum rt_mount_op_kind {
	RT_MOP_BIND,	     /* bind source (file or directory) onto dest */
	RT_MOP_FS,	     /* mount a filesystem (tmpfs, devpts, mqueue, ...) */
	RT_MOP_TMPFS_COPYUP, /* tmpfs holding a copy of the directory it covers */
	RT_MOP_PROC,	     /* procfs, checked to be procfs after mounting */
	RT_MOP_SYSFS,	     /* sysfs; in a user namespace, a read-only bind of /sys */
	RT_MOP_CGROUP_BIND,  /* no cgroupns: read-only bind of the container's own cgroup */
	RT_MOP_CGROUP2,	     /* cgroupns: cgroup2, the namespace's root */
	RT_MOP_DEVICE,	     /* one device node (default or linux.devices) */
	RT_MOP_DEV_LINKS,    /* /dev/ptmx, fd, stdin, stdout, stderr */
	RT_MOP_PIVOT,	     /* pivot_root: ops after it run inside the new root */
	RT_MOP_MASK,	     /* maskedPaths entry */
	RT_MOP_READONLY,     /* readonlyPaths entry */
};

struct rt_dev_node {
	mode_t mode; /* S_IF* | permissions */
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	bool chown;
	bool bind_host; /* user namespace: bind the host's node at dest (sysfs: bind /sys) */
};

struct rt_mount_op {
	enum rt_mount_op_kind kind;
	const char *field; /* "mounts", "linux.devices", ... for error messages */
	size_t index;	   /* the entry in that field */
	const char *source, *dest, *fstype;
	unsigned long flags;		     /* mount(2) flags of a new filesystem */
	char *data;			     /* owned: mount(2) data, or NULL */
	uint64_t attr_set, attr_clr;	     /* mount_setattr on the mount itself */
	uint64_t rec_attr_set, rec_attr_clr; /* ... and on every mount below it */
	unsigned long propagation;	     /* MS_SHARED, ... (|MS_REC), or 0 */
	bool recursive;			     /* rbind */
	bool strict;		 /* special destination: no symlink anywhere on the way */
	struct rt_dev_node node; /* RT_MOP_DEVICE */
	/* RT_MOP_BIND idmapped (mounts[].uidMappings, idmap, ridmap): made by
	 * the parent (rt_idmap_trees_open), attached by the child. */
	bool idmap, idmap_recursive;
	const struct oci_id_mapping *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
};

struct rt_mount_plan {
	struct rt_mount_op *ops;
	size_t n_ops;
	unsigned long root_propagation; /* linux.rootfsPropagation, 0: default */
	bool root_readonly;
};

/* Pure: validate cfg's mounts, devices, masked/read-only paths and
 * rootfsPropagation (errors name the field) and build the plan. */
int rt_mount_plan_build(const struct oci_config *cfg, struct rt_mount_plan **out,
			struct slx_err *err);
void rt_mount_plan_free(struct rt_mount_plan *plan);
const char *rt_mount_op_kind_name(enum rt_mount_op_kind kind);

struct rt_rootfs_opts {
	const char *rootfs; /* absolute, resolved path of the bundle's rootfs */
	bool no_pivot;
	bool host_mntns;		  /* no mount namespace of its own: chroot, mount nothing */
	const struct rt_mount_plan *plan; /* what to do; built by rt_mount_plan_build */
	const int *trees; /* per op: an idmapped bind's detached tree, or -1; may be NULL */
	/* before anything is mounted, each cover_paths[i] covered by the
	 * detached tree cover_trees[i] (rt_sandbox_opts) */
	const char *const *cover_paths;
	const int *cover_trees;
	size_t n_covers;
};

/* root.path as an absolute, symlink-free path: relative to bundle (itself
 * absolute) unless absolute; missing or "" is an error naming the field. */
int rt_rootfs_resolve(const struct oci_config *cfg, const char *bundle, char out[PATH_MAX],
		      struct slx_err *err);

/* Before clone: rootfs exists and is a directory, every mount type is one
 * this kernel knows.  Error names the field ("mounts[3].type: unknown
 * filesystem type foo").  The rest is checked by rt_mount_plan_build. */
int rt_rootfs_validate(const struct oci_config *cfg, const char *rootfs, struct slx_err *err);

/* A container sharing the host's mount namespace gets a chroot and no
 * mounts: refuse, naming the field, a config that asks for any. */
int rt_rootfs_validate_host_mntns(const struct oci_config *cfg, struct slx_err *err);

/* In the child, in the new mount namespace, before createContainer hooks:
 * set rootfs propagation (default rslave), bind rootfs onto itself, then
 * the plan's ops up to RT_MOP_PIVOT.  cfg is unused beyond the plan. */
int rt_rootfs_prepare(const struct oci_config *cfg, const struct rt_rootfs_opts *opts,
		      struct slx_err *err);

/* In the child, after createContainer hooks: pivot_root (or MS_MOVE+chroot
 * with no_pivot), the plan's ops after RT_MOP_PIVOT (masked and read-only
 * paths, resolved from the new root without following any symlink),
 * root.readonly, rootfsPropagation.  cwd is "/" afterwards. */
int rt_rootfs_finish(const struct oci_config *cfg, const struct rt_rootfs_opts *opts,
		     struct slx_err *err);

/* --- appended: helpers shared by the rootfs files ------------------------ */

/* The non-recursive flags/clear of o as mount_setattr(2) attributes, so a
 * bind mount changes only what its options name (locked flags survive). */
void rt_mount_opts_attrs(const struct rt_mount_opts *o, uint64_t *set, uint64_t *clr);

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

/* The kernel's release as major * 1000 + minor ("6.1.0-56-amd64": 6001),
 * its text in release; 0 when uname says nothing readable. */
int rt_kernel_version(char release[65]);

/* Like rt_rootfs_open_at with extra RESOLVE_* flags (RESOLVE_NO_SYMLINKS). */
int rt_rootfs_open_how(int rootfd, const char *path, int flags, uint64_t resolve);

/* Execute one op of kind bind/fs/copyup/proc/sysfs/cgroup inside the rootfs
 * open at rootfd. */
int rt_mount_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err);
/* An idmapped bind: attach tree (its maps and flags set by the parent) at
 * op's destination, then its propagation. */
int rt_mount_op_attach(int rootfd, const struct rt_mount_op *op, int tree, struct slx_err *err);

/* Parent, before clone (idmap.c): each idmapped bind of plan as a detached
 * tree with its maps and flags applied, which a process in the container's
 * user namespace cannot do; (*trees)[i] for ops[i], -1 for other ops.
 * Errors name the mount. */
int rt_idmap_trees_open(const struct rt_mount_plan *plan, int **trees, struct slx_err *err);
void rt_idmap_trees_close(int *trees, size_t n);

/* tmpcopyup: copy the tree below directory fd `from` into directory fd `to`
 * (modes, owners, symlinks, nodes).  -1 with errno set. */
int rt_mount_copyup(int from, int to);

/* RT_MOP_DEVICE and RT_MOP_DEV_LINKS inside the rootfs open at rootfd. */
int rt_device_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err);

/* RT_MOP_MASK and RT_MOP_READONLY, after pivot_root, rootfd the new "/". */
int rt_mask_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err);

#endif
