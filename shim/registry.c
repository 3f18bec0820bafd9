/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.c -- the well-known socket path of the shim serving a bundle,
 * and its bearer token: loaded from the operator's file, found by `invoke`. */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 512

int shim_registry_socket_path(const char *root, const char *bundle_abs, char *buf, size_t len,
			      struct slx_err *err)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)bundle_abs; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	if (snprintf(buf, len, "%s/shims/%016" PRIx64 ".sock", root, h) >= (int)len)
		return slx_error(err, ENAMETOOLONG, "shim socket path under %s", root);
	return 0;
}

int shim_registry_read_token(const char *root, const char *bundle_abs, char **token,
			     struct slx_err *err)
{
	char path[4096];
	size_t n;

	char link[4096];
	ssize_t k;

	if (shim_registry_socket_path(root, bundle_abs, path, sizeof(path) - 8, err) < 0)
		return -1;
	/* A node's further functions link to its socket: the token is the
	 * node's, beside the link's target (a name in the same directory). */
	k = readlink(path, link, sizeof(link) - 1);
	if (k > 0) {
		link[k] = '\0';
		if (!strchr(link, '/') && strlen(link) > strlen(".sock") &&
		    !strcmp(link + strlen(link) - strlen(".sock"), ".sock") &&
		    (size_t)(strrchr(path, '/') + 1 - path) + strlen(link) < sizeof(path) - 8)
			strcpy(strrchr(path, '/') + 1, link);
	}
	strcpy(path + strlen(path) - strlen(".sock"), ".d/token");
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 1;
	if (slx_read_file_max_at(AT_FDCWD, path, TOKEN_MAX, token, &n, err) < 0)
		return slx_error_prefix(err, "the serving shim's token");
	return 0;
}

/* Header-safe: visible ASCII, no spaces, so it travels as one value. */
static bool token_ok(const char *t, size_t n)
{
	if (n < TOKEN_MIN || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return false;
	return true;
}

int shim_token_load(const char *path, char **token, struct slx_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *t = NULL;
	size_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return slx_error(err, errno, "--auth-token-file %s", path);
	if (st.st_mode & 077)
		return slx_error(
		    err, EPERM,
		    "--auth-token-file %s: readable by others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
	if (slx_read_fd_max(fd, path, TOKEN_MAX + 2, &t, &n, err) < 0)
		return slx_error_prefix(err, "--auth-token-file");
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
		t[--n] = '\0';
	if (!token_ok(t, n)) {
		explicit_bzero(t, n);
		free(t);
		return slx_error(
		    err, EINVAL,
		    "--auth-token-file %s: want one line of %d to %d visible characters", path,
		    TOKEN_MIN, TOKEN_MAX);
	}
	*token = t;
	return 0;
}

/* Does a process accept connections on the unix socket at path? */
static bool answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int shim_registry_link(const char *path, const char *target, struct slx_err *err)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (answers(path))
			return slx_error(err, EADDRINUSE, "a shim already serves this bundle (%s)",
					 path);
		if (!S_ISSOCK(st.st_mode) && !S_ISLNK(st.st_mode))
			return slx_error(err, EEXIST, "%s: not a socket nor a link", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return slx_error(err, errno, "unlink %s", path);
	}
	if (symlink(target, path) < 0)
		return slx_error(err, errno, "symlink %s", path);
	return 0;
}
