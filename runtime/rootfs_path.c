/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_path.c -- resolving and creating paths inside the rootfs with
 * openat2(RESOLVE_IN_ROOT): an image's symlinks can never lead outside it. */
#include "../common/syscalls.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
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

/* Symlinks followed while making a path, as the kernel's own limit; and
 * directories made in one go, every link's included: each missing one is a
 * frame (30 links each naming 2,000 missing directories overflowed the
 * stack), and a path has at most PATH_MAX / 2 parts. */
#define LINKS_MAX 40
#define DEPTH_MAX (PATH_MAX / 2 + LINKS_MAX)

static int mkdir_in(int rootfd, const char *path, int links, int depth);

/* The directory path's last component goes in (created when missing, as
 * its ancestors are); *base is that component, kept in buf, and *parent
 * the rest. */
static int parent_at(int rootfd, const char *path, char *buf, const char **parent,
		     const char **base, int links, int depth)
{
	if (path_split(path, buf, parent, base) < 0)
		return -1;
	return mkdir_in(rootfd, *parent, links, depth + 1);
}

/* When parent/base (base in the directory pfd) is a symlink, the path it
 * names, in the root's terms: its target, absolute, or joined to parent.
 * An image's dangling links are common (/etc/resolv.conf ->
 * ../run/systemd/resolve/stub-resolv.conf, /var/lock -> ../run/lock), and
 * runc makes what they name; made through mkdir_in and mkfile_in, it stays
 * inside the root like any other path. */
static int link_names(int pfd, const char *parent, const char *base, char *out)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int w;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISLNK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	n = readlinkat(pfd, base, target, sizeof(target) - 1);
	if (n <= 0) {
		errno = n < 0 ? errno : ENOENT;
		return -1;
	}
	target[n] = '\0';
	w = target[0] == '/' ? snprintf(out, PATH_MAX, "%s", target)
			     : snprintf(out, PATH_MAX, "%s/%s", parent, target);
	if (w < 0 || w >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* What a link names, made by make (mkdir_in or mkfile_in), one link deeper. */
static int make_named(int rootfd, const char *target, int links, int depth,
		      int (*make)(int rootfd, const char *path, int links, int depth))
{
	int fd;

	if (links >= LINKS_MAX) {
		errno = ELOOP;
		return -1;
	}
	fd = make(rootfd, target, links + 1, depth + 1);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* For a path found missing: its parent made (or there), and the buffers a
 * frame needs, on the heap; no deeper than DEPTH_MAX. */
static int missing_parent(int rootfd, const char *path, int links, int depth, char **buf,
			  char **target, const char **parent, const char **base)
{
	if (depth >= DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	if (!(*buf = malloc(PATH_MAX)) || !(*target = malloc(PATH_MAX))) {
		errno = ENOMEM;
		return -1;
	}
	return parent_at(rootfd, path, *buf, parent, base, links, depth);
}

/* The common case (the directory exists) costs one openat2; missing
 * ancestors are created on the way back down, and what a dangling symlink
 * on the way names. */
static int mkdir_in(int rootfd, const char *path, int links, int depth)
{
	const int flags = O_PATH | O_DIRECTORY;
	cleanup_free char *buf = NULL, *target = NULL; /* on the heap: a frame per directory */
	const char *parent, *base;
	cleanup_close int pfd = -1;
	int fd = rt_rootfs_open_at(rootfd, path, flags);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	pfd = missing_parent(rootfd, path, links, depth, &buf, &target, &parent, &base);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, base, 0755) < 0) {
		if (errno != EEXIST)
			return -1;
		if (link_names(pfd, parent, base, target) == 0 &&
		    make_named(rootfd, target, links, depth, mkdir_in) < 0)
			return -1;
	}
	/* Re-resolve in the root rather than openat(pfd, base): base may be
	 * ".." or a symlink someone raced in. */
	return rt_rootfs_open_at(rootfd, path, flags);
}

int rt_rootfs_mkdir_at(int rootfd, const char *path)
{
	return mkdir_in(rootfd, path, 0, 0);
}

static int mkfile_in(int rootfd, const char *path, int links, int depth)
{
	cleanup_free char *buf = NULL, *target = NULL;
	const char *parent, *base;
	cleanup_close int pfd = -1;
	int fd = rt_rootfs_open_at(rootfd, path, O_PATH);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	pfd = missing_parent(rootfd, path, links, depth, &buf, &target, &parent, &base);
	if (pfd < 0)
		return -1;
	/* O_NOFOLLOW: a dangling symlink here is made by what it names, in the
	 * root, not by open(2) wherever it points. */
	fd = openat(pfd, base, O_CREAT | O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd >= 0 || errno != ELOOP)
		return fd;
	if (link_names(pfd, parent, base, target) < 0) {
		errno = ELOOP;
		return -1;
	}
	if (make_named(rootfd, target, links, depth, mkfile_in) < 0)
		return -1;
	return rt_rootfs_open_at(rootfd, path, O_PATH);
}

int rt_rootfs_mkfile_at(int rootfd, const char *path)
{
	return mkfile_in(rootfd, path, 0, 0);
}
