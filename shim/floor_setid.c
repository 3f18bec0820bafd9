/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_setid.c -- no set-id file of a sandbox id that a host user could
 * run, in what a sandbox mounts from its bundle.  Each sandbox's user
 * namespace belongs to one of the ids after the range (floor_owner.c), so a
 * host process running as it holds every capability over that sandbox, and
 * one running as an id of the range is a function's own user to signal.  A rootfs
 * chowned into the range (what a runtime without idmapped mounts needs;
 * the floor leaves it as it is) by a tool that keeps the set-id bits
 * (Debian's su, passwd, mount...) gives any host user that process: the
 * rootfs's path is searchable by others, as root_reachable asks.
 *
 * What is walked: root.path and each bind source inside the bundle whose
 * top directory, or anything directly in it, is owned by an id of the range
 * (a shift by `chown -R B rootfs/...` or a tarball without "./" leaves the top
 * as it was).  Anything else is not: the image store strips the bits from
 * the layers it unpacks, and a set-id file of a range id deep in a tree of
 * host ids is one that whoever extracted it could as easily have made
 * set-uid root, a host's matter that no runtime walks every rootfs for.
 * The walk costs about 2 ms per 1,000 files (warm: 140 ms on a 69,000-file
 * rootfs), at load only; it descends into mounts under the tree, but not
 * into one mounted nosuid. */
#include "floor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "../common/cleanup.h"

struct setid_scan {
	const char *bundle;
	uint32_t base, count;
	char first[PATH_MAX]; /* the first such file, relative to the bundle */
	bool first_uid;	      /* it is set-uid (else set-gid) */
	uint32_t first_id;
	/* each such file once, by inode: root.path and a bind source may
	 * overlap, and a file may have several names */
	struct stat *seen;
	size_t n_seen, cap;
	size_t n; /* such files */
};

static bool seen_before(struct setid_scan *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n_seen; i++)
		if (s->seen[i].st_dev == st->st_dev && s->seen[i].st_ino == st->st_ino)
			return true;
	if (s->n_seen == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct stat *v = realloc(s->seen, cap * sizeof(*v));

		if (!v)
			return false; /* counted again rather than not at all */
		s->seen = v;
		s->cap = cap;
	}
	s->seen[s->n_seen++] = *st;
	return false;
}

static bool in_range(const struct setid_scan *s, uint32_t id)
{
	return id >= s->base && id - s->base < s->count;
}

/* Set-uid to a range id and runnable by a host user (others, or a group
 * that is not the range's), or set-gid (group-executable, else the bit
 * means mandatory locking) to a range id and runnable by others or by an
 * owner that is not the range's. */
static void note(struct setid_scan *s, const char *path, const struct stat *st)
{
	bool uid =
	    (st->st_mode & S_ISUID) && in_range(s, st->st_uid) &&
	    ((st->st_mode & S_IXOTH) || ((st->st_mode & S_IXGRP) && !in_range(s, st->st_gid)));
	bool gid =
	    (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && in_range(s, st->st_gid) &&
	    ((st->st_mode & S_IXOTH) || ((st->st_mode & S_IXUSR) && !in_range(s, st->st_uid)));
	size_t skip = strlen(s->bundle) + 1;

	if (!S_ISREG(st->st_mode) || (!uid && !gid) || seen_before(s, st))
		return;
	if (!s->n++) {
		snprintf(s->first, sizeof(s->first), "%s",
			 strlen(path) > skip ? path + skip : path);
		s->first_uid = uid;
		s->first_id = uid ? st->st_uid : st->st_gid;
	}
}

static bool owned_by_range(const struct setid_scan *s, const struct stat *st)
{
	return in_range(s, st->st_uid) || in_range(s, st->st_gid);
}

/* Whether an id of the range owns the directory or anything directly in it. */
static int shifted(const struct setid_scan *s, const char *dir, const struct stat *top, bool *out,
		   struct slx_err *err)
{
	cleanup_close int fd = -1;
	struct dirent *d;
	struct stat st;
	DIR *dp;

	*out = owned_by_range(s, top);
	if (*out)
		return 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    !(dp = fdopendir(fd)))
		return slx_error(err, errno, "%s", dir);
	fd = -1;
	while (!*out && (d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			*out = owned_by_range(s, &st);
	closedir(dp);
	return 0;
}

static bool nosuid(const char *path)
{
	struct statvfs v;

	return statvfs(path, &v) == 0 && (v.f_flag & ST_NOSUID);
}

static void fts_closep(FTS **f)
{
	if (*f)
		fts_close(*f);
}

static int walk(struct setid_scan *s, const char *top, struct slx_err *err)
{
	char *const v[] = {(char *)top, NULL};
	__attribute__((cleanup(fts_closep))) FTS *fts = NULL;
	FTSENT *e;

	if (!(fts = fts_open(v, FTS_PHYSICAL | FTS_NOCHDIR, NULL)))
		return slx_error(err, errno, "%s", top);
	errno = 0;
	while ((e = fts_read(fts))) {
		switch (e->fts_info) {
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			return slx_error(err, e->fts_errno, "%s", e->fts_path);
		case FTS_D:
			/* another file system: set-id means nothing on a nosuid one */
			if ((e->fts_level == FTS_ROOTLEVEL ||
			     e->fts_statp->st_dev != e->fts_parent->fts_statp->st_dev) &&
			    nosuid(e->fts_path))
				fts_set(fts, e, FTS_SKIP);
			break;
		case FTS_F:
			note(s, e->fts_path, e->fts_statp);
			break;
		default:
			break;
		}
	}
	return errno ? slx_error(err, errno, "%s", top) : 0;
}

/* path (resolved) when it is inside the bundle or is the bundle. */
static int scan(struct setid_scan *s, const char *path, struct slx_err *err)
{
	size_t len = strlen(s->bundle);
	struct stat st;
	bool sh;

	if (!path || strncmp(path, s->bundle, len) || (path[len] != '/' && path[len]))
		return 0; /* not the bundle's own */
	if (lstat(path, &st) < 0)
		return slx_error(err, errno, "%s", path);
	if (S_ISREG(st.st_mode)) {
		if (!nosuid(path))
			note(s, path, &st);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (shifted(s, path, &st, &sh, err) < 0)
		return -1;
	return sh ? walk(s, path, err) : 0;
}

int shim_floor_no_setid(const struct oci_config *cfg, const char *bundle,
			const struct shim_floor_opts *o, struct slx_err *err)
{
	struct setid_scan s = {
	    .bundle = bundle,
	    .base = o->id_base ? o->id_base : SHIM_FLOOR_ID_BASE,
	    /* and the owners of their namespaces and their users after them */
	    .count = (o->id_count ? o->id_count : SHIM_FLOOR_ID_COUNT) + 2 * SHIM_FLOOR_OWNERS,
	};
	char more[48] = "";
	int r = scan(&s, cfg->root.path, err);

	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++)
		if (floor_mount_is_bind(&cfg->mounts[i]))
			r = scan(&s, cfg->mounts[i].source, err);
	free(s.seen);
	if (r < 0 || !s.n)
		return r;
	if (s.n > 1)
		snprintf(more, sizeof(more), " (one of %zu such files)", s.n);
	return slx_error(err, 0,
			 "bundle %s: %s is set-%s to %u, a sandbox id%s: any host user could run "
			 "it as that id and reach the sandboxes (clear the bits: find %s -perm "
			 "/6000 -exec chmod ug-s {} +)",
			 bundle, s.first, s.first_uid ? "uid" : "gid", (unsigned)s.first_id, more,
			 bundle);
}
