/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsutil.h -- small file helpers shared by every module (read, atomic write, mkdir -p). */
#ifndef SLX_FSUTIL_H
#define SLX_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Read a whole file (relative to dirfd, AT_FDCWD for a path) into a
 * NUL-terminated heap buffer; *len gets its size when len is not NULL. */
int slx_read_file_at(int dirfd, const char *path, char **out, size_t *len, struct slx_err *err);

/* Read everything from an open fd (stdin for "-"); name is for errors. */
int slx_read_fd(int fd, const char *name, char **out, size_t *len, struct slx_err *err);

/* The same, refusing input past max bytes ("NAME: larger than 4 MiB", EFBIG)
 * instead of reading on: for files someone else may have written. */
int slx_read_file_max_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
			 struct slx_err *err);
int slx_read_fd_max(int fd, const char *name, size_t max, char **out, size_t *len,
		    struct slx_err *err);

/* Write buf to path relative to dirfd (no O_CREAT: for cgroup and /proc files). */
int slx_write_file_at(int dirfd, const char *path, const char *buf, size_t len,
		      struct slx_err *err);

/* Write to a fresh, unguessable temp file beside path (O_EXCL|O_NOFOLLOW),
 * fsync it, rename it onto path and fsync the directory: readers see the old
 * or the new content, never half, and a planted symlink is never followed. */
int slx_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
			  struct slx_err *err);

/* mkdir -p; existing directories are fine. */
int slx_mkdir_p(const char *path, mode_t mode, struct slx_err *err);

/* write(2) until all of buf is out, through EINTR and short writes; false
 * when the fd failed first (closed, full: the caller's to lose). */
bool slx_write_all(int fd, const void *buf, size_t len);
/* waitpid(pid, status, 0), asked again when a signal interrupts it. */
pid_t slx_waitpid(pid_t pid, int *status);

/* Monotonic clock in nanoseconds. */
unsigned long long slx_now_ns(void);

#endif
