/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http_addr.c -- the shim's listen addresses: "unix:PATH[,mode=,group=]" and
 * "tcp:HOST:PORT" parsed, and a listening socket made for one (a unix socket
 * made in a private directory with the operator's mode and group and renamed
 * into place, never over a live one). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* ",mode=0660,group=G" after a unix socket's path, in any order. */
static int parse_unix_options(const char *spec, const char *opt, struct http_addr *out,
			      struct slx_err *err)
{
	while (opt && *opt) {
		const char *end = strchr(opt, ','), *val;
		size_t n = end ? (size_t)(end - opt) : strlen(opt);
		char *stop;

		if (!strncmp(opt, "mode=", 5)) {
			val = opt + 5;
			errno = 0;
			unsigned long m = strtoul(val, &stop, 8);
			if (errno || stop != opt + n || stop == val || m > 0777)
				return slx_error(
				    err, 0, "--listen %s: mode must be octal, at most 0777", spec);
			out->mode = (unsigned)m;
		} else if (!strncmp(opt, "group=", 6) && n > 6 && n - 6 < sizeof(out->group)) {
			memcpy(out->group, opt + 6, n - 6);
			out->group[n - 6] = '\0';
		} else {
			return slx_error(err, 0, "--listen %s: unknown option %.*s (mode=, group=)",
					 spec, (int)n, opt);
		}
		opt = end ? end + 1 : NULL;
	}
	return 0;
}

int http_addr_parse(const char *spec, struct http_addr *out, struct slx_err *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
	struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;

	memset(out, 0, sizeof(*out));
	out->mode = HTTP_UNIX_MODE;
	if (!strncmp(spec, "unix:", 5)) {
		const char *p = spec + 5, *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!n || n >= sizeof(un->sun_path))
			return slx_error(err, 0, "--listen %s: unix socket path empty or too long",
					 spec);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, p, n);
		memcpy(out->path, p, n);
		out->len = sizeof(*un);
		return parse_unix_options(spec, comma ? comma + 1 : NULL, out, err);
	}
	if (!strncmp(spec, "tcp:127.0.0.1:", 14) && !parse_port(spec + 14, &in4->sin_port)) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		out->len = sizeof(*in4);
		return 0;
	}
	if (!strncmp(spec, "tcp:[::1]:", 10) && !parse_port(spec + 10, &in6->sin6_port)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		out->len = sizeof(*in6);
		return 0;
	}
	return slx_error(
	    err, 0, "--listen %s: expected unix:PATH, tcp:127.0.0.1:PORT or tcp:[::1]:PORT", spec);
}

/* A unix socket left by a dead server is replaced; a live one is an error. */
static int unix_path_free(const char *path, struct slx_err *err)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	cleanup_close int probe = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : slx_error(err, errno, "stat");
	if (!S_ISSOCK(st.st_mode))
		return slx_error(err, EEXIST, "not a socket");
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return slx_error(err, errno, "socket");
	strcpy(un.sun_path, path);
	if (connect(probe, (struct sockaddr *)&un, sizeof(un)) == 0)
		return slx_error(err, EADDRINUSE, "a server answers there");
	if (unlink(path) < 0 && errno != ENOENT)
		return slx_error(err, errno, "remove the stale socket");
	return 0;
}

static int group_id(const char *name, gid_t *gid, struct slx_err *err)
{
	struct group *g = getgrnam(name);
	char *end;
	unsigned long v;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end || !*name || v >= (gid_t)-1)
		return slx_error(err, 0, "group %s: no such group", name);
	*gid = (gid_t)v;
	return 0;
}

/* The directory a unix socket's path names, and the name in it. */
struct unix_place {
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *name;
};

static int unix_place_of(const char *path, struct unix_place *p, struct slx_err *err)
{
	const char *slash = strrchr(path, '/');

	p->name = slash ? slash + 1 : path;
	if (!*p->name || !strcmp(p->name, ".") || !strcmp(p->name, ".."))
		return slx_error(err, EINVAL, "a unix socket's path must end in a file name");
	if (!slash)
		strcpy(p->dir, ".");
	else if (slash == path)
		strcpy(p->dir, "/");
	else
		snprintf(p->dir, sizeof(p->dir), "%.*s", (int)(slash - path), path);
	return 0;
}

/* A fresh directory beside the socket's path that only we may enter:
 * made, then opened without following and checked to be ours, so a
 * directory or symlink swapped in under its name is refused. */
static int private_dir(int parent, char *name, size_t len, struct slx_err *err)
{
	struct stat st;
	int fd;

	for (int tries = 0;; tries++) {
		snprintf(name, len, ".slxrun-bind-%d-%08lx", (int)getpid(),
			 (unsigned long)random() ^ (unsigned long)slx_now_ns());
		if (mkdirat(parent, name, 0700) == 0)
			break;
		if (errno != EEXIST || tries == 16)
			return slx_error(err, errno, "mkdir %s", name);
	}
	fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		int e = fd < 0 ? errno : EPERM;

		if (fd >= 0)
			close(fd);
		return slx_error(err, e, "%s was replaced while the socket was made", name);
	}
	return fd;
}

/* Group and mode of the socket "s" in the private directory priv: nobody
 * but root can reach it there, so its path is not followed anywhere else. */
static int unix_restrict(int priv, const struct http_addr *a, struct slx_err *err)
{
	gid_t gid = 0;

	if (a->group[0]) {
		if (group_id(a->group, &gid, err) < 0)
			return -1;
		if (fchownat(priv, "s", (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return slx_error(err, errno, "chgrp %s", a->group);
	}
	if (fchmodat(priv, "s", (mode_t)a->mode, 0) < 0)
		return slx_error(err, errno, "chmod %04o", a->mode);
	return 0;
}

/* Bind, restrict and listen in the private directory, then rename into
 * place: whoever looks the path up sees no socket, or the finished one
 * with its mode and group, listening.  Setting them by path after bind
 * instead followed whatever someone who may write the directory swapped
 * in meanwhile (a symlink to /etc/shadow got the listener's mode and group). */
static int unix_bind(int fd, const struct http_addr *a, struct slx_err *err)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct unix_place place;
	cleanup_close int parent = -1, priv = -1;
	char name[64];
	int r = -1;
	mode_t old;

	if (unix_place_of(a->path, &place, err) < 0)
		return -1;
	parent = open(place.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return slx_error(err, errno, "open %s", place.dir);
	priv = private_dir(parent, name, sizeof(name), err);
	if (priv < 0)
		return -1;
	/* The directory's fd names it wherever it is moved meanwhile. */
	snprintf(un.sun_path, sizeof(un.sun_path), "/proc/self/fd/%d/s", priv);
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&un, sizeof(un));
	umask(old);
	if (r < 0)
		slx_error(err, errno, "bind");
	else if ((r = unix_restrict(priv, a, err)) == 0 && (r = listen(fd, 1024)) < 0)
		slx_error(err, errno, "listen");
	if (r == 0 && (r = renameat2(priv, "s", parent, place.name, RENAME_NOREPLACE)) < 0)
		slx_error(err, errno, "rename into place (something appeared there meanwhile)");
	if (r < 0)
		(void)unlinkat(priv, "s", 0);
	(void)unlinkat(parent, name, AT_REMOVEDIR);
	return r;
}

int http_addr_bind(const struct http_addr *a, struct slx_err *err)
{
	cleanup_close int fd = -1;
	int one = 1, r;
	mode_t old;

	if (a->path[0] && unix_path_free(a->path, err) < 0)
		return -1;
	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return slx_error(err, errno, "socket");
	if (a->path[0])
		return unix_bind(fd, a, err) < 0 ? -1 : steal_fd(fd);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&a->sa, a->len);
	umask(old);
	if (r < 0)
		return slx_error(err, errno, "bind");
	if (listen(fd, 1024) < 0)
		return slx_error(err, errno, "listen");
	return steal_fd(fd);
}

/* "unix:PATH" or "tcp:HOST:PORT", for messages. */
const char *http_addr_name(const struct http_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;

	if (a->path[0])
		snprintf(buf, len, "unix:%s", a->path);
	else if (a->sa.ss_family == AF_INET)
		snprintf(buf, len, "tcp:127.0.0.1:%u", ntohs(in4->sin_port));
	else
		snprintf(buf, len, "tcp:[::1]:%u", ntohs(in6->sin6_port));
	return buf;
}
