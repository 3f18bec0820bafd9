/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_path.c -- resolving and creating paths inside the rootfs with
 * openat2(RESOLVE_IN_ROOT): an image's symlinks can never lead outside it. */
#include "../common/syscalls.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"

int rt_rootfs_open_how(int rootfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};

	return slx_openat2(rootfd, path, &how);
}

int rt_rootfs_open_at(int rootfd, const char *path, int flags)
{
	return rt_rootfs_open_how(rootfd, path, flags, 0);
}

/* Split a copy of path into parent and last component; trailing slashes go.
 * A path with no parent ("x", "/x") gets parent "/". */
static int path_split(const char *path, char *buf, const char **parent, const char **base)
{
	size_t len = strlen(path);
	char *slash;

	if (len >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	slash = strrchr(buf, '/');
	if (!slash) {
		*parent = "/";
		*base = buf;
	} else if (slash == buf) {
		*parent = "/";
		*base = buf + 1;
	} else {
		*slash = '\0';
		*parent = buf;
		*base = slash + 1;
	}
	if (!**base) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The directory path's last component goes in (created when missing, as
 * its ancestors are); *base is that component, kept in buf. */
static int parent_at(int rootfd, const char *path, char buf[PATH_MAX], const char **base)
{
	const char *parent;

	if (path_split(path, buf, &parent, base) < 0)
		return -1;
	return rt_rootfs_mkdir_at(rootfd, parent);
}

/* The common case (the directory exists) costs one openat2; missing
 * ancestors are created on the way back down. */
int rt_rootfs_mkdir_at(int rootfd, const char *path)
{
	const int flags = O_PATH | O_DIRECTORY;
	char buf[PATH_MAX];
	const char *base;
	cleanup_close int pfd = -1;
	int fd = rt_rootfs_open_at(rootfd, path, flags);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	pfd = parent_at(rootfd, path, buf, &base);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
		return -1;
	/* Re-resolve in the root rather than openat(pfd, base): base may be
	 * ".." or a symlink someone raced in. */
	return rt_rootfs_open_at(rootfd, path, flags);
}

int rt_rootfs_mkfile_at(int rootfd, const char *path)
{
	char buf[PATH_MAX];
	const char *base;
	cleanup_close int pfd = -1;
	int fd = rt_rootfs_open_at(rootfd, path, O_PATH);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	pfd = parent_at(rootfd, path, buf, &base);
	if (pfd < 0)
		return -1;
	/* O_NOFOLLOW: a dangling symlink here fails instead of creating its
	 * target wherever it points. */
	return openat(pfd, base, O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
}
