/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.c -- the container's filesystem view, in order: validate (parent),
 * prepare (propagation, rootfs bind, mounts, /dev) and finish (pivot_root,
 * masked and read-only paths, root.readonly, rootfsPropagation). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

/* --- validate ------------------------------------------------------- */

static const char *const known_fs_types[] = {
	"proc",	   "sysfs",   "tmpfs",	 "devpts",   "mqueue", "cgroup",
	"cgroup2", "overlay", "ramfs",	 "devtmpfs", "bind",   "none",
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
		if (slx_read_file_at(AT_FDCWD, "/proc/filesystems", proc_fs, NULL,
				     &ignored) < 0)
			return false;
	}
	if (strlen(type) > sizeof(line) - 3)
		return false;
	snprintf(line, sizeof(line), "\t%s\n", type);
	return strstr(*proc_fs, line) != NULL;
}

static int validate_mount(const struct oci_mount *m, size_t i, char **proc_fs,
			  struct slx_err *err)
{
	struct rt_mount_opts o;
	bool bind;

	if (!m->destination || m->destination[0] != '/')
		return slx_error(err, 0, "mounts[%zu].destination: must be an absolute path, got %s",
				 i, m->destination ? m->destination : "nothing");
	if (rt_mount_opts_parse(&m->options, i, &o, err) < 0)
		return -1;
	bind = rt_mount_is_bind(m, &o);
	rt_mount_opts_release(&o);
	if (bind)
		return m->source ? 0
				 : slx_error(err, 0, "mounts[%zu].source: a bind mount needs a source", i);
	if (!m->type || strcmp(m->type, "none") == 0)
		return slx_error(err, 0, "mounts[%zu].type: missing (only bind mounts may omit it)", i);
	if (!fs_type_known(m->type, proc_fs))
		return slx_error(err, 0, "mounts[%zu].type: unknown filesystem type %s", i,
				 m->type);
	return 0;
}

static int validate_device(const struct oci_device *d, size_t i, struct slx_err *err)
{
	if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || !d->path[5])
		return slx_error(err, 0, "linux.devices[%zu].path: must be an absolute path under /dev, got %s",
				 i, d->path ? d->path : "nothing");
	if (!d->type || !strchr("cbup", d->type))
		return slx_error(err, 0, "linux.devices[%zu].type: must be one of c, b, u, p", i);
	if (d->type != 'p' && (d->major < 0 || d->minor < 0))
		return slx_error(err, 0, "linux.devices[%zu]: %s needs major and minor numbers", i,
				 d->path);
	if (d->file_mode.set && d->file_mode.v > 07777)
		return slx_error(err, 0, "linux.devices[%zu].fileMode: %#llo is not a permission mode",
				 i, (unsigned long long)d->file_mode.v);
	return 0;
}

static int validate_paths(const struct oci_strv *v, const char *field, struct slx_err *err)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i][0] != '/')
			return slx_error(err, 0, "linux.%s[%zu]: must be an absolute path, got %s",
					 field, i, v->v[i]);
	return 0;
}

static int validate_linux(const struct oci_linux *l, struct slx_err *err)
{
	unsigned long prop;

	for (size_t i = 0; i < l->n_devices; i++)
		if (validate_device(&l->devices[i], i, err) < 0)
			return -1;
	if (l->rootfs_propagation && *l->rootfs_propagation &&
	    rt_mount_propagation_parse(l->rootfs_propagation, &prop) < 0)
		return slx_error(err, 0, "linux.rootfsPropagation: unknown mode %s",
				 l->rootfs_propagation);
	if (validate_paths(&l->masked_paths, "maskedPaths", err) < 0)
		return -1;
	return validate_paths(&l->readonly_paths, "readonlyPaths", err);
}

int rt_rootfs_validate(const struct oci_config *cfg, const char *rootfs,
		       struct slx_err *err)
{
	cleanup_free char *proc_fs = NULL;
	struct stat st;

	if (stat(rootfs, &st) < 0)
		return slx_error(err, errno, "root.path: %s", rootfs);
	if (!S_ISDIR(st.st_mode))
		return slx_error(err, ENOTDIR, "root.path: %s", rootfs);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (validate_mount(&cfg->mounts[i], i, &proc_fs, err) < 0)
			return -1;
	return validate_linux(&cfg->linux_, err);
}

/* --- prepare -------------------------------------------------------- */

static unsigned long root_propagation(const struct oci_config *cfg)
{
	unsigned long prop = 0;

	if (cfg->linux_.rootfs_propagation)
		(void)rt_mount_propagation_parse(cfg->linux_.rootfs_propagation, &prop);
	return prop;
}

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

static bool is_dev(const char *dest)
{
	size_t n = strspn(dest, "/");

	return strncmp(dest + n, "dev", 3) == 0 && dest[n + 3 + strspn(dest + n + 3, "/")] == '\0';
}

/* Only the (rare) mount of /dev itself is parsed a second time; it already
 * parsed once in rt_rootfs_mount_one, so this cannot fail. */
static bool dev_mount_is_bind(const struct oci_mount *m, size_t i, struct slx_err *err)
{
	struct rt_mount_opts o;
	bool bind;

	if (rt_mount_opts_parse(&m->options, i, &o, err) < 0)
		return true;
	bind = rt_mount_is_bind(m, &o);
	rt_mount_opts_release(&o);
	return bind;
}

static int prepare_mounts(const struct oci_config *cfg, int rootfd,
			  const struct rt_rootfs_opts *opts, struct slx_err *err)
{
	enum { DEV_IMAGE, DEV_NEW, DEV_BIND } dev = DEV_IMAGE;

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (rt_rootfs_mount_one(rootfd, m, i, opts, err) < 0)
			return -1;
		if (is_dev(m->destination))
			dev = dev_mount_is_bind(m, i, err) ? DEV_BIND : DEV_NEW;
	}
	/* A /dev bound from elsewhere is someone else's directory: never
	 * mknod into it. */
	if (dev == DEV_BIND)
		return 0;
	return rt_rootfs_devices(rootfd, cfg, dev == DEV_NEW, opts->userns, err);
}

int rt_rootfs_prepare(const struct oci_config *cfg,
		      const struct rt_rootfs_opts *opts, struct slx_err *err)
{
	unsigned long prop = root_propagation(cfg);
	cleanup_close int rootfd = -1;

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
	/* pivot_root needs the new root to be a mount point. */
	if (mount(opts->rootfs, opts->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return slx_error(err, errno, "bind %s onto itself", opts->rootfs);
	rootfd = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return slx_error(err, errno, "root.path: %s", opts->rootfs);
	return prepare_mounts(cfg, rootfd, opts, err);
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
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return slx_error(err, errno, "pivot_root %s", rootfs);
	/* A shared old root would propagate the detach to its peers (the
	 * host); by default "/" is already rslave and this is skipped. */
	if (oldroot >= 0 && (fchdir(oldroot) < 0 ||
			     mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0))
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

/* Files get /dev/null, directories (ENOTDIR from the bind) a read-only
 * tmpfs; a missing path has nothing to hide.  ENOENT may also mean the
 * container has no /dev/null: then an existing path must not stay visible. */
static int mask_paths(const struct oci_strv *paths, struct slx_err *err)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		if (mount("/dev/null", p, NULL, MS_BIND, NULL) == 0)
			continue;
		if (errno == ENOENT) {
			if (faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			return slx_error(err, ENOENT, "linux.maskedPaths[%zu]: mask %s with /dev/null",
					 i, p);
		}
		if (errno != ENOTDIR || mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL) < 0)
			return slx_error(err, errno, "linux.maskedPaths[%zu]: mask %s", i, p);
	}
	return 0;
}

/* mount_setattr only adds flags, so flags a user namespace locked on the
 * source stay; MS_REMOUNT would have to restate them or fail. */
static int set_readonly(const char *path, uint64_t attrs)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | attrs };

	return mount_setattr(AT_FDCWD, path, 0, &a, sizeof(a));
}

static int readonly_paths(const struct oci_strv *paths, struct slx_err *err)
{
	const uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return slx_error(err, errno, "linux.readonlyPaths[%zu]: bind %s", i, p);
		}
		if (set_readonly(p, attrs) < 0)
			return slx_error(err, errno, "linux.readonlyPaths[%zu]: make %s read-only",
					 i, p);
	}
	return 0;
}

int rt_rootfs_finish(const struct oci_config *cfg,
		     const struct rt_rootfs_opts *opts, struct slx_err *err)
{
	unsigned long prop = root_propagation(cfg);
	bool slave_everywhere = !prop || ((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)));

	if (opts->no_pivot ? move_root(opts->rootfs, err) < 0
			   : pivot(opts->rootfs, !slave_everywhere, err) < 0)
		return -1;
	if (mask_paths(&cfg->linux_.masked_paths, err) < 0 ||
	    readonly_paths(&cfg->linux_.readonly_paths, err) < 0)
		return -1;
	if (cfg->root.readonly && set_readonly("/", 0) < 0)
		return slx_error(err, errno, "root.readonly: make / read-only");
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return slx_error(err, errno, "linux.rootfsPropagation: %s",
				 cfg->linux_.rootfs_propagation);
	if (chdir("/") < 0)
		return slx_error(err, errno, "chdir /");
	return 0;
}
