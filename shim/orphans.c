/* SPDX-License-Identifier: GPL-2.0-or-later */
/* orphans.c -- a shim's records under <root>/shims/<key>.d/ and the sweep
 * that removes what a dead shim left: the sandboxes' processes die with
 * their cgroup (cgroup.kill), since nothing ties them to the shim's life. */
#include "orphans.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../runtime/runtime.h"

#define PIDFILE	       "pid"
#define SANDBOX_PREFIX "sb."
#define SOCKET_PREFIX  "sock."
#define LINK_PREFIX    "link."
#define PARENT_PREFIX  "parent."
/* A directory without a pidfile yet belongs to a shim still starting. */
#define CLAIM_GRACE_S 10

/* 1 dead, 0 alive or too young to judge.  The start time tells a live shim
 * from a reused pid, and is 0 for a zombie: a kill -9'd shim stays one until
 * its parent reaps it. */
static int owner_dead(int dirfd)
{
	char buf[128];
	long long pid;
	unsigned long long start;
	struct stat st;
	ssize_t n;
	cleanup_close int fd = openat(dirfd, PIDFILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fstat(dirfd, &st) == 0 && time(NULL) - st.st_mtime > CLAIM_GRACE_S;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %llu", &pid, &start) != 2 || pid <= 0)
		return 1;
	if (pid == getpid())
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	return rt_pid_start_time((pid_t)pid) != start;
}

static void remove_sandbox_cgroup(int dirfd, const char *name)
{
	cleanup_free char *path = NULL;
	struct cg_handle h;
	struct slx_err ignored;
	size_t len;

	if (slx_read_file_at(dirfd, name, &path, &len, &ignored) == 0 && len) {
		path[strcspn(path, "\n")] = '\0';
		if (cg_open(path, &h, &ignored) == 0) {
			h.created = true; /* ours: the dead shim made it */
			(void)cg_destroy(&h, &ignored);
			cg_handle_release(&h);
		}
	}
	(void)unlinkat(dirfd, name, 0);
}

static void remove_socket(int dirfd, const char *name)
{
	cleanup_free char *path = NULL;
	struct slx_err ignored;
	struct stat st;
	size_t len;

	if (slx_read_file_at(dirfd, name, &path, &len, &ignored) == 0 && len) {
		path[strcspn(path, "\n")] = '\0';
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(path);
	}
	(void)unlinkat(dirfd, name, 0);
}

/* A registry link the record names ("PATH\nTARGET"), if it still is one
 * and still points where this shim pointed it. */
static void remove_link(int dirfd, const char *name)
{
	cleanup_free char *rec = NULL;
	struct slx_err ignored;
	char now[PATH_MAX], *target;
	ssize_t n;
	size_t len;

	if (slx_read_file_at(dirfd, name, &rec, &len, &ignored) == 0 && len &&
	    (target = strchr(rec, '\n'))) {
		*target++ = '\0';
		target[strcspn(target, "\n")] = '\0';
		n = readlink(rec, now, sizeof(now) - 1);
		if (n > 0 && (now[n] = '\0', !strcmp(now, target)))
			(void)unlink(rec);
	}
	(void)unlinkat(dirfd, name, 0);
}

static bool has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* Empty a record directory: sandboxes, sockets and links first, then the
 * parent cgroup the sandboxes were in (a second pass: it must be empty
 * first), then the rest. */
static void sweep_dir(int dirfd)
{
	for (int pass = 0; pass < 2; pass++) {
		int fd = dup(dirfd);
		cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *e;

		if (!d) {
			if (fd >= 0)
				close(fd);
			return;
		}
		rewinddir(d); /* the dup shares the offset the first pass moved */
		while ((e = readdir(d))) {
			if (pass == 0 && has_prefix(e->d_name, SANDBOX_PREFIX))
				remove_sandbox_cgroup(dirfd, e->d_name);
			else if (pass == 0 && has_prefix(e->d_name, SOCKET_PREFIX))
				remove_socket(dirfd, e->d_name);
			else if (pass == 0 && has_prefix(e->d_name, LINK_PREFIX))
				remove_link(dirfd, e->d_name);
			else if (pass == 1 && has_prefix(e->d_name, PARENT_PREFIX))
				remove_sandbox_cgroup(dirfd, e->d_name);
			else if (pass == 1 && e->d_name[0] != '.')
				(void)unlinkat(dirfd, e->d_name, 0);
		}
	}
}

int shim_orphans_reap(const char *root, struct slx_err *err)
{
	char shims[PATH_MAX];
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (snprintf(shims, sizeof(shims), "%s/shims", root) >= (int)sizeof(shims))
		return slx_error(err, ENAMETOOLONG, "--root %s", root);
	d = opendir(shims);
	if (!d)
		return errno == ENOENT ? 0 : slx_error(err, errno, "open %s", shims);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		cleanup_close int fd = -1;

		if (len < 3 || strcmp(e->d_name + len - 2, ".d"))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || owner_dead(fd) != 1)
			continue;
		sweep_dir(fd);
		(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	return 0;
}

void shim_orphans_reap_invokes(void)
{
	char path[PATH_MAX], *slash;
	cleanup_dir DIR *d = NULL;
	struct slx_err err;
	struct dirent *e;

	if (rt_sandbox_cgroup_path(NULL, "invoke-0", path, sizeof(path), &err) < 0 || !path[0] ||
	    !(slash = strrchr(path, '/')))
		return;
	*slash = '\0';
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, "invoke-", 7))
			continue;
		errno = 0;
		pid = strtol(e->d_name + 7, &end, 10);
		if (*end || errno || pid <= 0 || pid > INT_MAX || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
}

static int write_record(struct shim_orphans *o, const char *name, const char *content,
			struct slx_err *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", o->dir, name) >= (int)sizeof(path))
		return slx_error(err, ENAMETOOLONG, "%s/%s", o->dir, name);
	return slx_write_file_atomic(path, content, strlen(content), 0600, err);
}

int shim_orphans_claim(struct shim_orphans *o, const char *root, const char *key,
		       struct slx_err *err)
{
	char path[PATH_MAX], pid[64];

	memset(o, 0, sizeof(*o));
	if (snprintf(path, sizeof(path), "%s/shims", root) >= (int)sizeof(path) ||
	    snprintf(o->dir, sizeof(o->dir), "%s/%s.d", path, key) >= (int)sizeof(o->dir))
		return slx_error(err, ENAMETOOLONG, "--root %s", root);
	if (slx_mkdir_p(path, 0700, err) < 0)
		return -1;
	if (mkdir(o->dir, 0700) < 0) {
		int e = errno;

		o->dir[0] = '\0';
		if (e == EEXIST)
			return slx_error(err, e,
					 "a shim for this bundle is already running (%s/%s.d)",
					 path, key);
		return slx_error(err, e, "mkdir %s/%s.d", path, key);
	}
	snprintf(pid, sizeof(pid), "%d %llu\n", (int)getpid(), rt_pid_start_time(getpid()));
	if (write_record(o, PIDFILE, pid, err) < 0) {
		shim_orphans_release(o);
		return -1;
	}
	return 0;
}

int shim_orphans_add_sandbox(struct shim_orphans *o, const char *id, const char *cgroup_path,
			     struct slx_err *err)
{
	char name[256];

	if (snprintf(name, sizeof(name), SANDBOX_PREFIX "%s", id) >= (int)sizeof(name))
		return slx_error(err, ENAMETOOLONG, "sandbox id %s", id);
	return write_record(o, name, cgroup_path, err);
}

void shim_orphans_del_sandbox(struct shim_orphans *o, const char *id)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/" SANDBOX_PREFIX "%s", o->dir, id) < (int)sizeof(path))
		(void)unlink(path);
}

int shim_orphans_add_socket(struct shim_orphans *o, const char *path, struct slx_err *err)
{
	char name[32];

	snprintf(name, sizeof(name), SOCKET_PREFIX "%u", o->n_sockets++);
	return write_record(o, name, path, err);
}

int shim_orphans_add_link(struct shim_orphans *o, const char *path, const char *target,
			  struct slx_err *err)
{
	char name[32];
	cleanup_free char *rec = NULL;

	if (asprintf(&rec, "%s\n%s", path, target) < 0) {
		rec = NULL;
		return slx_error(err, ENOMEM, "record of %s", path);
	}
	snprintf(name, sizeof(name), LINK_PREFIX "%u", o->n_sockets++);
	return write_record(o, name, rec, err);
}

int shim_orphans_add_parent(struct shim_orphans *o, const char *cgroup_path, struct slx_err *err)
{
	return write_record(o, PARENT_PREFIX "node", cgroup_path, err);
}

/* Our own records, and the links they name (the sockets, sandboxes and the
 * parent cgroup are gone by now). */
void shim_orphans_release(struct shim_orphans *o)
{
	cleanup_close int fd = -1;

	if (!o->dir[0])
		return;
	fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		int dup_fd = dup(fd);
		cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (has_prefix(e->d_name, LINK_PREFIX))
				remove_link(fd, e->d_name);
			else if (e->d_name[0] != '.')
				(void)unlinkat(fd, e->d_name, 0);
		if (!d && dup_fd >= 0)
			close(dup_fd);
	}
	(void)rmdir(o->dir);
	o->dir[0] = '\0';
}
