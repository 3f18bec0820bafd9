/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices.c -- the container's /dev: default device nodes, linux.devices,
 * and the ptmx/fd/stdio links, created from a /dev directory fd. */
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

/* What runtime-spec calls the default devices: always there on a fresh /dev. */
static const struct {
	const char *name;
	unsigned major, minor;
} default_devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 },    { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "ptmx", "pts/ptmx" },
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

struct dev_node {
	const char *host_path; /* bound from here in a user namespace */
	mode_t mode; /* S_IF* | permissions */
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	bool chown;
};

/* A user namespace may not mknod devices: bind the host's node onto an
 * empty file instead (what runc and crun do). */
static int node_bind(int dirfd, const char *name, const char *host_path)
{
	char tpath[32];
	cleanup_close int fd = openat(dirfd, name,
				      O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
				      0000);

	if (fd < 0)
		return -1;
	snprintf(tpath, sizeof(tpath), "/proc/self/fd/%d", fd);
	return mount(host_path, tpath, NULL, MS_BIND, NULL);
}

static int node_create(int dirfd, const char *name, const struct dev_node *n,
		       bool userns)
{
	if (userns)
		return node_bind(dirfd, name, n->host_path);
	if (mknodat(dirfd, name, n->mode, n->rdev) < 0) {
		/* The image may ship the node: the config's word wins. */
		if (errno != EEXIST || unlinkat(dirfd, name, 0) < 0 ||
		    mknodat(dirfd, name, n->mode, n->rdev) < 0)
			return -1;
	}
	if (n->chown && fchownat(dirfd, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return 0;
}

static bool config_has_device(const struct oci_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->linux_.n_devices; i++) {
		const char *p = cfg->linux_.devices[i].path;
		if (p && strncmp(p, "/dev/", 5) == 0 && strcmp(p + 5, name) == 0)
			return true;
	}
	return false;
}

static int devices_default(int devfd, const struct oci_config *cfg, bool userns,
			   struct slx_err *err)
{
	char host[32];

	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
		const char *name = default_devices[i].name;
		struct dev_node n = {
			.host_path = host,
			.mode = S_IFCHR | 0666,
			.rdev = makedev(default_devices[i].major, default_devices[i].minor),
		};
		if (config_has_device(cfg, name))
			continue;
		snprintf(host, sizeof(host), "/dev/%s", name);
		if (node_create(devfd, name, &n, userns) < 0)
			return slx_error(err, errno, "create /dev/%s", name);
	}
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 &&
		    errno != EEXIST)
			return slx_error(err, errno, "symlink /dev/%s", dev_links[i].name);
	return 0;
}

static mode_t device_ifmt(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default: /* 'c' and 'u' (unbuffered) are both character devices */
		return S_IFCHR;
	}
}

static int device_one(int rootfd, int devfd, const struct oci_device *d,
		      bool userns)
{
	const char *slash = strrchr(d->path, '/');
	cleanup_close int dirfd = -1;
	char dir[PATH_MAX];
	struct dev_node n = {
		.host_path = d->path,
		.mode = device_ifmt(d->type) |
			(d->file_mode.set ? (mode_t)(d->file_mode.v & 07777) : 0666),
		.rdev = d->type == 'p' ? 0 : makedev(d->major, d->minor),
		.uid = d->uid.set ? (uid_t)d->uid.v : 0,
		.gid = d->gid.set ? (gid_t)d->gid.v : 0,
		.chown = (d->uid.set && d->uid.v) || (d->gid.set && d->gid.v),
	};

	if ((size_t)(slash - d->path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (devfd >= 0 && slash == d->path + 4)
		return node_create(devfd, slash + 1, &n, userns);
	memcpy(dir, d->path, (size_t)(slash - d->path));
	dir[slash - d->path] = '\0';
	dirfd = rt_rootfs_mkdir_at(rootfd, dir);
	if (dirfd < 0)
		return -1;
	return node_create(dirfd, slash + 1, &n, userns);
}

int rt_rootfs_devices(int rootfd, const struct oci_config *cfg,
		      bool dev_is_new, bool userns, struct slx_err *err)
{
	cleanup_close int devfd = -1;
	mode_t old_umask;
	int ret = 0;

	if (!dev_is_new && cfg->linux_.n_devices == 0)
		return 0;
	devfd = rt_rootfs_mkdir_at(rootfd, "/dev");
	if (devfd < 0)
		return slx_error(err, errno, "open /dev in the rootfs");
	/* Node modes must be exactly as configured: one umask call instead of
	 * a chmod per node. */
	old_umask = umask(0);
	if (dev_is_new)
		ret = devices_default(devfd, cfg, userns, err);
	for (size_t i = 0; ret == 0 && i < cfg->linux_.n_devices; i++)
		if (device_one(rootfd, devfd, &cfg->linux_.devices[i], userns) < 0)
			ret = slx_error(err, errno, "linux.devices[%zu]: %s", i,
					cfg->linux_.devices[i].path);
	umask(old_umask);
	return ret;
}
