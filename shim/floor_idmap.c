/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_idmap.c -- a sandbox's shared lowers seen with their own owners.
 * An image's layers keep the image's ids on the host, which the sandbox's
 * user namespace does not map (inside they were the overflow id): each
 * overlay lower is covered, in this process's own mount namespace, by a
 * read-only view of itself idmapped through the sandbox's maps (id X on disk
 * is host BASE+X, which is X inside), made once and copied into every
 * sandbox this process spawns. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"
#include "../runtime/runtime.h"

/* What this process has covered.  Its mount namespace is its own, so a
 * view made for one function serves the next one sharing the layer (and
 * an idmapped mount cannot be idmapped again). */
struct covered {
	dev_t dev;
	ino_t ino;
};
static struct covered *covered;
static size_t n_covered;

struct idmap_ctx {
	const struct oci_linux *l;
	int userns; /* -1 until a lower needs it */
};

static bool in_maps(uint32_t id, const struct oci_id_mapping *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].host_id && id - m[i].host_id < m[i].size)
			return true;
	return false;
}

static bool was_covered(const struct stat *s)
{
	for (size_t i = 0; i < n_covered; i++)
		if (covered[i].dev == s->st_dev && covered[i].ino == s->st_ino)
			return true;
	return false;
}

static int remember(const struct stat *s, struct slx_err *err)
{
	struct covered *v = realloc(covered, (n_covered + 1) * sizeof(*v));

	if (!v)
		return slx_error(err, ENOMEM, "idmapped lowers");
	covered = v;
	covered[n_covered++] = (struct covered){s->st_dev, s->st_ino};
	return 0;
}

/* A lower whose top directory the sandbox's maps already reach (a rootfs
 * chowned into the range, as a runtime without idmapped mounts needs) is
 * left as it is: idmapping it would push its owners out of the range. */
static int cover_lower(struct idmap_ctx *c, const char *path, struct slx_err *err)
{
	cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char what[4200];
	struct stat s;

	snprintf(what, sizeof(what), "overlay lower %s", path);
	if (fd < 0 || fstat(fd, &s) < 0)
		return slx_error(err, errno, "%s", what);
	if (was_covered(&s) || (in_maps(s.st_uid, c->l->uid_mappings, c->l->n_uid_mappings) &&
				in_maps(s.st_gid, c->l->gid_mappings, c->l->n_gid_mappings)))
		return 0;
	if (c->userns < 0) {
		if (rt_idmap_overlay_check(what, err) < 0 || rt_mntns_private(err) < 0)
			return -1;
		c->userns = rt_idmap_userns(c->l->uid_mappings, c->l->n_uid_mappings,
					    c->l->gid_mappings, c->l->n_gid_mappings, err);
		if (c->userns < 0)
			return -1;
		/* fd names a mount of the namespace we just left, which
		 * open_tree cannot clone: the same directory, from ours. */
		slx_closep(&fd);
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return slx_error(err, errno, "%s", what);
	}
	if (rt_idmap_cover(fd, what, c->userns, err) < 0)
		return -1;
	return remember(&s, err);
}

/* lowerdir=A:B:C, each absolute: the floor must know the directory the
 * sandbox will mount.  overlayfs's escapes ('\:') are refused, not parsed. */
static int cover_lowers(struct idmap_ctx *c, size_t index, const char *lowers, struct slx_err *err)
{
	cleanup_free char *copy = strdup(lowers);
	char *save = NULL;

	if (!copy)
		return slx_error(err, ENOMEM, "mounts[%zu]", index);
	if (strchr(copy, '\\'))
		return slx_error(err, 0,
				 "mounts[%zu]: overlay lowerdir %s: a function sandbox's lowers "
				 "cannot hold overlayfs escapes ('\\')",
				 index, lowers);
	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (p[0] != '/')
			return slx_error(err, 0,
					 "mounts[%zu]: overlay lowerdir %s: a function sandbox's "
					 "lowers must be absolute paths",
					 index, p);
		if (cover_lower(c, p, err) < 0)
			return -1;
	}
	return 0;
}

int shim_floor_idmap(const struct oci_config *cfg, struct slx_err *err)
{
	struct idmap_ctx c = {.l = &cfg->linux_, .userns = -1};
	int r = 0;

	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		const char *lowers;

		if (m->type && !strcmp(m->type, "overlay") &&
		    (lowers = floor_option_value(&m->options, "lowerdir")))
			r = cover_lowers(&c, i, lowers, err);
	}
	slx_closep(&c.userns);
	return r;
}
