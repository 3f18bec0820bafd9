/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsutil.c -- file helpers: whole-file read, atomic write, mkdir -p. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int slx_read_fd(int fd, const char *name, char **out, size_t *len,
		struct slx_err *err)
{
	cleanup_free char *buf = NULL;
	size_t cap = 4096, used = 0;

	buf = malloc(cap);
	if (!buf)
		return slx_error(err, ENOMEM, "read %s", name);
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				return slx_error(err, ENOMEM, "read %s", name);
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return slx_error(err, errno, "read %s", name);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*out = steal_ptr(buf);
	return 0;
}

int slx_read_file_at(int dirfd, const char *path, char **out, size_t *len,
		     struct slx_err *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return slx_error(err, errno, "open %s", path);
	return slx_read_fd(fd, path, out, len, err);
}

int slx_write_file_at(int dirfd, const char *path, const char *buf, size_t len,
		      struct slx_err *err)
{
	cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return slx_error(err, errno, "open %s", path);
	n = write(fd, buf, len);
	if (n < 0)
		return slx_error(err, errno, "write %s", path);
	if ((size_t)n != len)
		return slx_error(err, EIO, "short write to %s", path);
	return 0;
}

int slx_write_file_atomic(const char *path, const char *buf, size_t len,
			  mode_t mode, struct slx_err *err)
{
	char tmp[PATH_MAX];
	cleanup_close int fd = -1;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return slx_error(err, ENAMETOOLONG, "%s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return slx_error(err, errno, "create %s", tmp);
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			(void)unlink(tmp);
			return slx_error(err, saved, "write %s", tmp);
		}
		off += (size_t)n;
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;

		(void)unlink(tmp);
		return slx_error(err, saved, "rename %s", tmp);
	}
	return 0;
}

int slx_mkdir_p(const char *path, mode_t mode, struct slx_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return slx_error(err, ENAMETOOLONG, "mkdir %s", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return slx_error(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return slx_error(err, errno, "mkdir %s", buf);
	return 0;
}

unsigned long long slx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}
