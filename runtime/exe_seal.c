/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exe_seal.c -- keep the host's slxrun binary out of a container's reach
 * (CVE-2019-5736): verbs that start container processes run from a
 * read-only view of the binary, re-executing once through it when needed. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "runtime.h"

/* Set across the one re-exec so a view that still fails the check is an
 * error, never a loop. */
#define SEALED_ENV "_SLXRUN_EXE_SEALED"

/* A container process starts as a clone of this one, so until its execve
 * its /proc/<pid>/exe is our binary; a container that execs /proc/self/exe
 * (or names it as a script or ELF interpreter) runs it, and can reopen it
 * for writing through that link once it exits.  Safe when the file cannot
 * be written through any link: on a read-only mount (the overlay below, or
 * an operator's read-only install) or a memfd sealed against writes. */
static bool exe_is_sealed(int fd)
{
	struct statvfs sv;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && (seals & F_SEAL_WRITE))
		return true;
	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* A detached mount of filesystem `type`, mounted nowhere: -1 on failure. */
static int detached_mount(const char *type, const char *lowerdir)
{
	cleanup_close int fs = fsopen(type, FSOPEN_CLOEXEC);

	if (fs < 0 ||
	    (lowerdir && fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	return fsmount(fs, FSMOUNT_CLOEXEC,
		       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
}

/* runc 1.2's way: a private read-only overlay of the binary's directory,
 * opened through and mounted nowhere.  No copy is made.  An overlay without
 * an upper layer needs two lowers (the kernel refuses one, and the same
 * directory twice), and before Linux 6.15 every lower must be a path in our
 * mount namespace (a detached mount gives "failed to clone lowerpath").  The
 * second is /dev: always there, never an ancestor or descendant of where a
 * binary is installed, and under the binary's directory in the stack, so
 * only the binary's own name is ever looked up in the view. */
static int exe_overlay_open(const char *exe)
{
	char dir[PATH_MAX], base[PATH_MAX], lower[PATH_MAX + 8];
	cleanup_close int mnt = -1;

	/* overlayfs splits lowerdir on ':' and takes '\\' and ',' as escapes
	 * or separators: a path holding one would name other layers. */
	if (strlen(exe) >= sizeof(dir) || strpbrk(exe, ":,\\") || !strncmp(exe, "/dev/", 5))
		return -1;
	strcpy(dir, exe);
	strcpy(base, exe);
	snprintf(lower, sizeof(lower), "%s:/dev", dirname(dir));
	mnt = detached_mount("overlay", lower);
	if (mnt < 0)
		return -1;
	return openat(mnt, basename(base), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* Where overlayfs is missing: a sealed in-memory copy (crun's way). */
static int exe_memfd_copy(int exe_fd)
{
	struct stat st;
	off_t off = 0;
	int fd = memfd_create("slxrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (fstat(exe_fd, &st) < 0)
		goto fail;
	while (off < st.st_size)
		if (sendfile(fd, exe_fd, &off, (size_t)(st.st_size - off)) <= 0)
			goto fail;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int rt_exe_seal(char **argv, struct slx_err *err)
{
	extern char **environ;
	char exe[PATH_MAX];
	bool again = getenv(SEALED_ENV) != NULL;
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int view;
	ssize_t n;

	(void)unsetenv(SEALED_ENV);
	if (self < 0)
		return slx_error(err, errno, "open /proc/self/exe");
	if (exe_is_sealed(self))
		return 0;
	if (again)
		return slx_error(
		    err, 0,
		    "the slxrun binary is still writable after re-executing through a sealed copy");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return slx_error(err, errno, "readlink /proc/self/exe");
	exe[n] = '\0';
	view = exe_overlay_open(exe);
	if (view < 0 || !exe_is_sealed(view)) {
		if (view >= 0)
			close(view);
		view = exe_memfd_copy(self);
	}
	if (view < 0)
		return slx_error(err, errno,
				 "protect the slxrun binary from the container (overlay and sealed "
				 "memfd both failed)");
	if (setenv(SEALED_ENV, "1", 1) < 0)
		return slx_error(err, errno, "setenv");
	execveat(view, "", argv, environ, AT_EMPTY_PATH);
	slx_error(err, errno, "re-execute slxrun through its sealed copy");
	close(view);
	return -1;
}
