/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manager.c -- a container's cgroup as a held-open directory: create (with
 * parents and controller delegation), open, release, destroy. */
#include "cgroups.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

#define CG_DESTROY_TIMEOUT_MS 1000

static int cg_open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* "+memory +pids" for the bits in mask. */
static void cg_controller_list(unsigned mask, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit && bit <= mask; bit <<= 1) {
		if (mask & bit)
			used += (size_t)snprintf(buf + used, cap - used, "%s+%s", used ? " " : "",
						 cg_controller_name(bit));
		if (used >= cap)
			break;
	}
}

/* Enable `need` (must succeed) and `want` (best effort, one by one when
 * all at once fails: a parent holding processes refuses delegation, a
 * realtime task the cpu controller) in one ancestor's
 * cgroup.subtree_control. */
static int cg_delegate_one(const char *dir, unsigned need, unsigned want, struct slx_err *err)
{
	cleanup_close int fd = cg_open_dir(dir);
	char buf[256];
	unsigned missing;

	if (fd < 0)
		return slx_error(err, errno, "linux.cgroupsPath: open %s", dir);
	if (cg_read_at(fd, "cgroup.subtree_control", buf, sizeof(buf)) < 0)
		return slx_error(err, errno, "linux.cgroupsPath: read %s/cgroup.subtree_control",
				 dir);
	missing = (need | want) & ~cg_parse_controllers(buf);
	if (!missing)
		return 0;
	cg_controller_list(missing, buf, sizeof(buf));
	if (slx_write_file_at(fd, "cgroup.subtree_control", buf, strlen(buf), NULL) == 0)
		return 0;
	for (unsigned bit = 1; bit && bit <= missing; bit <<= 1) {
		if (!(missing & bit & ~need))
			continue;
		cg_controller_list(bit, buf, sizeof(buf));
		if (slx_write_file_at(fd, "cgroup.subtree_control", buf, strlen(buf), NULL) == 0)
			missing &= ~bit;
	}
	missing &= need;
	if (!missing)
		return 0;
	cg_controller_list(missing, buf, sizeof(buf));
	if (slx_write_file_at(fd, "cgroup.subtree_control", buf, strlen(buf), err) < 0)
		return slx_error(err, errno,
				 "linux.cgroupsPath: enable %s in %s/cgroup.subtree_control", buf,
				 dir);
	return 0;
}

/* The last parent delegated is remembered, so an in-process caller creating
 * many siblings (the shim's pool) walks the ancestors once.  Callers are
 * single-threaded, so no locking. */
static char cg_delegated_parent[PATH_MAX];
static unsigned cg_delegated_mask;

static bool cg_delegated_already(const char *abs, size_t parent_len, unsigned mask)
{
	return strlen(cg_delegated_parent) == parent_len &&
	       !strncmp(cg_delegated_parent, abs, parent_len) && !(mask & ~cg_delegated_mask);
}

static void cg_delegated_remember(const char *abs, size_t parent_len, unsigned mask)
{
	memcpy(cg_delegated_parent, abs, parent_len);
	cg_delegated_parent[parent_len] = '\0';
	cg_delegated_mask = mask;
}

int cg_enable_controllers(const char *abs, unsigned need, unsigned want, struct slx_err *err)
{
	const char *root = cg_unified_root(), *slash = strrchr(abs, '/');
	size_t root_len = root ? strlen(root) : 0, parent_len = slash ? (size_t)(slash - abs) : 0;
	char dir[PATH_MAX];

	if (!(need | want) || !root || strncmp(abs, root, root_len) || abs[root_len] != '/' ||
	    parent_len >= sizeof(dir))
		return 0;
	if (cg_delegated_already(abs, parent_len, need | want))
		return 0;
	for (size_t len = root_len; len <= parent_len; len++) {
		if (len != parent_len && abs[len] != '/')
			continue;
		memcpy(dir, abs, len);
		dir[len] = '\0';
		if (cg_delegate_one(dir, need, want, err) < 0)
			return -1;
	}
	cg_delegated_remember(abs, parent_len, need | want);
	return 0;
}

/* mkdir -p for abs below the root; *first_made is the length of the first
 * prefix this call created (0 when it made nothing). */
static int cg_mkdirs(char *abs, size_t root_len, size_t *first_made, struct slx_err *err)
{
	*first_made = 0;
	if (mkdir(abs, 0755) == 0) {
		*first_made = strlen(abs);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return slx_error(err, errno, "linux.cgroupsPath: mkdir %s", abs);
	for (char *p = abs + root_len + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(abs, 0755) == 0) {
			if (!*first_made)
				*first_made = (size_t)(p - abs);
		} else if (errno != EEXIST) {
			*p = c;
			return slx_error(err, errno, "linux.cgroupsPath: mkdir %s", abs);
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* Undo cg_mkdirs: rmdir from the leaf up to the first directory it made. */
static void cg_rmdirs(char *abs, size_t first_made)
{
	size_t len = strlen(abs);

	while (first_made && len >= first_made) {
		abs[len] = '\0';
		(void)rmdir(abs);
		while (len > 0 && abs[len - 1] != '/')
			len--;
		if (!len)
			break;
		len--;
	}
}

int cg_create(const char *rel_path, const struct oci_resources *res, struct cg_handle *out,
	      struct slx_err *err)
{
	const char *root = cg_unified_root();
	unsigned avail = cg_available_controllers();
	cleanup_free char *abs = NULL;
	size_t root_len, first_made = 0;

	*out = (struct cg_handle){.dirfd = -1};
	if (!root)
		return slx_error(err, 0, "cgroup v2 is not mounted on this host");
	while (*rel_path == '/')
		rel_path++;
	if (!*rel_path || asprintf(&abs, "%s/%s", root, rel_path) < 0)
		return slx_error(err, *rel_path ? ENOMEM : 0, "linux.cgroupsPath: empty path");
	root_len = strlen(root);
	if (cg_mkdirs(abs, root_len, &first_made, err) < 0)
		goto fail;
	/* Every controller the host has, whether or not linux.resources limits
	 * it, as runc does: memory.current and pids.current exist only with
	 * theirs on (the shim's model reads them), and a container that may
	 * write its cgroup (a cgroup namespace) made children named as the
	 * files a controller enabled later adds (cpu.max): enabling it then
	 * failed in their parent, for every container under it (an
	 * attacker's review).  Enabled before the container runs, each of
	 * those names is a file already. */
	if (cg_enable_controllers(abs, cg_resources_controllers(res) & avail, avail, err) < 0)
		goto fail;
	out->dirfd = cg_open_dir(abs);
	if (out->dirfd < 0) {
		slx_error(err, errno, "linux.cgroupsPath: open %s", abs);
		goto fail;
	}
	out->created = first_made != 0;
	out->path = steal_ptr(abs);
	return 0;
fail:
	cg_rmdirs(abs, first_made);
	return -1;
}

int cg_open(const char *abs_path, struct cg_handle *out, struct slx_err *err)
{
	*out = (struct cg_handle){.dirfd = -1};
	out->path = strdup(abs_path);
	if (!out->path)
		return slx_error(err, ENOMEM, "open cgroup %s", abs_path);
	out->dirfd = cg_open_dir(abs_path);
	if (out->dirfd < 0) {
		int saved = errno;

		cg_handle_release(out);
		return slx_error(err, saved, "open cgroup %s", abs_path);
	}
	return 0;
}

void cg_handle_release(struct cg_handle *h)
{
	if (h->dirfd >= 0)
		(void)close(h->dirfd);
	h->dirfd = -1;
	free(h->path);
	h->path = NULL;
}

static int rmdir_child(int parent, const char *name, void *ctx)
{
	(void)ctx;
	(void)unlinkat(parent, name, AT_REMOVEDIR);
	return 0;
}

/* Remove child cgroups depth first (a container with cgroupns may have made
 * some, at any depth: walk.c), then the directory itself.  ENOENT counts
 * as removed. */
static int cg_rmdir_tree(int parent, const char *name)
{
	cleanup_close int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	(void)cg_walk(fd, &(struct cg_walk_ops){.leave = rmdir_child}, NULL);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int cg_try_destroy(struct cg_handle *h, struct slx_err *err)
{
	struct slx_err e;

	if (!h->created || !h->path) {
		cg_handle_release(h);
		return 1;
	}
	(void)cg_kill_all(h, SIGKILL, &e);
	if (cg_rmdir_tree(AT_FDCWD, h->path) == 0 || errno == ENOENT) {
		cg_handle_release(h);
		return 1;
	}
	if (errno == EBUSY)
		return 0;
	slx_error(err, errno, "remove cgroup %s", h->path);
	cg_handle_release(h);
	return -1;
}

/* Kill what the cgroup holds (or, without kill, only wait for it to leave)
 * and remove it, within CG_DESTROY_TIMEOUT_MS. */
static int destroy(struct cg_handle *h, bool kill, struct slx_err *err)
{
	unsigned long long deadline = slx_now_ns() + CG_DESTROY_TIMEOUT_MS * 1000000ULL;
	int rc = 0;

	if (!h->created || !h->path) {
		cg_handle_release(h);
		return 0;
	}
	for (;;) {
		long long left = ((long long)(deadline - slx_now_ns())) / 1000000;
		struct slx_err e;

		/* Gone already, or empty: nothing more to wait for. */
		if (kill && cg_kill_all(h, SIGKILL, &e) < 0 && e.errnum == ENOENT)
			break;
		if (cg_wait_event(h->dirfd, "populated", 0, left > 0 ? (int)left : 0, &e) == 0 ||
		    e.errnum != ETIMEDOUT || slx_now_ns() >= deadline)
			break;
	}
	while ((rc = cg_rmdir_tree(AT_FDCWD, h->path)) < 0 && errno == EBUSY &&
	       slx_now_ns() < deadline) {
		struct timespec ts = {0, 10 * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (rc < 0)
		rc = slx_error(err, errno, "remove cgroup %s", h->path);
	cg_handle_release(h);
	return rc;
}

int cg_destroy(struct cg_handle *h, struct slx_err *err)
{
	return destroy(h, true, err);
}

int cg_remove_when_empty(struct cg_handle *h, struct slx_err *err)
{
	return destroy(h, false, err);
}

int cg_remove_path(const char *path, bool wait, struct slx_err *err)
{
	struct cg_handle cg;
	struct slx_err e;
	int r;

	/* Empty and childless, the usual case, takes no descriptor. */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 1;
	if (cg_open(path, &cg, &e) < 0) {
		if (e.errnum == ENOENT)
			return 1;
		if (e.errnum == EMFILE || e.errnum == ENFILE)
			return 0;
		*err = e;
		return -1;
	}
	cg.created = true; /* the caller made it: ours to remove */
	if (wait)
		return cg_destroy(&cg, err) < 0 ? -1 : 1;
	r = cg_try_destroy(&cg, err);
	cg_handle_release(&cg); /* still populated: kept open by cg_try_destroy */
	return r;
}
