/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mount_copyup.c -- the tmpcopyup mount option: a fresh tmpfs starts with a
 * copy of the directory it covers (files, directories, symlinks, nodes,
 * with their modes and owners), as runc and crun do. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	cleanup_close int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	ssize_t n;

	if (in < 0)
		return -1;
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 07777);
	if (out < 0)
		return -1;
	/* sendfile copies in the kernel between any two filesystems. */
	while ((n = sendfile(out, in, NULL, 1 << 30)) > 0)
		;
	return n < 0 ? -1 : 0;
}

static int copy_symlink(int from, int to, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	return symlinkat(target, to, name);
}

static int copy_entry(int from, int to, const char *name, const struct stat *st)
{
	int ret;

	switch (st->st_mode & S_IFMT) {
	case S_IFDIR: {
		cleanup_close int sub_from = -1, sub_to = -1;
		if (mkdirat(to, name, 0700) < 0)
			return -1;
		sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		sub_to = openat(to, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = sub_from < 0 || sub_to < 0 ? -1 : rt_mount_copyup(sub_from, sub_to);
		break;
	}
	case S_IFREG:
		ret = copy_file(from, to, name, st);
		break;
	case S_IFLNK:
		ret = copy_symlink(from, to, name);
		break;
	default:
		ret = mknodat(to, name, st->st_mode, st->st_rdev);
		break;
	}
	if (ret < 0 || fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	/* After chown: it drops set-id bits, and creation modes met the umask. */
	if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
		return -1;
	return 0;
}

int rt_mount_copyup(int from, int to)
{
	cleanup_dir DIR *dir = NULL;
	int dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	struct stat st;

	if (dfd < 0)
		return -1;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -1;
	}
	while ((errno = 0, e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    copy_entry(from, to, e->d_name, &st) < 0)
			return -1;
	}
	return errno ? -1 : 0;
}
