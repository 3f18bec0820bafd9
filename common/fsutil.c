/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsutil.c -- file helpers: whole-file read (capped), atomic write (unique
 * O_EXCL|O_NOFOLLOW temp, fsync, rename, directory fsync), mkdir -p. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* errno EFBIG for callers, kept out of the text: "File too large" only repeats it. */
static int too_large(struct slx_err *err, const char *name, size_t max)
{
	if (max % (1024 * 1024) == 0)
		slx_error(err, 0, "%s: larger than %zu MiB", name, max >> 20);
	else
		slx_error(err, 0, "%s: larger than %zu bytes", name, max);
	err->errnum = EFBIG;
	return -1;
}

int slx_read_fd_max(int fd, const char *name, size_t max, char **out, size_t *len,
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
		if (used > max)
			return too_large(err, name, max);
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*out = steal_ptr(buf);
	return 0;
}

int slx_read_fd(int fd, const char *name, char **out, size_t *len, struct slx_err *err)
{
	return slx_read_fd_max(fd, name, SIZE_MAX - 1, out, len, err);
}

int slx_read_file_max_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
			 struct slx_err *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return slx_error(err, errno, "open %s", path);
	return slx_read_fd_max(fd, path, max, out, len, err);
}

int slx_read_file_at(int dirfd, const char *path, char **out, size_t *len, struct slx_err *err)
{
	return slx_read_file_max_at(dirfd, path, SIZE_MAX - 1, out, len, err);
}

int slx_write_file_at(int dirfd, const char *path, const char *buf, size_t len, struct slx_err *err)
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

static int write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* A fresh ".<base>.XXXXXX" in dirfd, created O_EXCL|O_NOFOLLOW: nothing
 * planted under a guessable name (a symlink, a fifo) is ever opened. */
static int create_unique_temp(int dirfd, const char *base, mode_t mode, char *tmp, size_t len)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = slx_now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)tries;
		if (snprintf(tmp, len, ".%s.%012" PRIx64, base, r & UINT64_C(0xffffffffffff)) >=
		    (int)len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int slx_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
			  struct slx_err *err)
{
	cleanup_free char *dir = strdup(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	cleanup_close int dfd = -1, fd = -1;
	char tmp[NAME_MAX + 1];

	if (!dir)
		return slx_error(err, ENOMEM, "write %s", path);
	if (!*base)
		return slx_error(err, EISDIR, "write %s", path);
	dir[base - path] = '\0';
	dfd = open(*dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return slx_error(err, errno, "open the directory of %s", path);
	fd = create_unique_temp(dfd, base, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return slx_error(err, errno, "create a temporary file for %s", path);
	/* fsync before rename, so after a crash the name holds the old text or
	 * the new, never an empty file; then the directory, so the rename itself
	 * is durable.  Free on tmpfs (/run, the default root, on a normal host);
	 * ~4 ms each on this build machine's ext4. */
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0 || renameat(dfd, tmp, dfd, base) < 0) {
		int saved = errno;

		(void)unlinkat(dfd, tmp, 0);
		return slx_error(err, saved, "write %s", path);
	}
	if (fsync(dfd) < 0 && errno != EINVAL)
		return slx_error(err, errno, "sync the directory of %s", path);
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

bool slx_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

pid_t slx_waitpid(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return r;
}
