/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_idmap.c -- a sandbox's shared lowers seen with their own owners.
 * An image's layers keep the image's ids on the host, which the sandbox's
 * user namespace does not map (inside they were the overflow id): each
 * overlay lower that is the sandbox's own (its image's layers, its bundle's
 * rootfs) is covered, in this process's own mount namespace, by a read-only
 * view of itself idmapped through the sandbox's maps (id X on disk is host
 * BASE+X, which is X inside), made once and copied into every sandbox this
 * process spawns. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"
#include "../image/image.h"
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
	char layers[PATH_MAX]; /* the store's layers/ when the bundle is one of its own, or "" */
	const char *bundle;    /* the bundle directory, resolved */
	int userns;	       /* -1 until a lower needs it */
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

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n && !strncmp(path, dir, n) && path[n] == '/';
}

/* Whose owners the sandbox may have: a layer of the image whose bundle the
 * store made (it names its own layers), or a directory inside the bundle
 * (its own rootfs).  A hand-written bundle can name no other lower
 * (shim_floor_own_paths refuses its overlays and a root.path outside it);
 * anything else would keep its owners unmapped: mapping them would hand a
 * bundle that names "/" and a group of its choosing the host's
 * group-readable files. */
static bool own_lower(const struct idmap_ctx *c, const char *real)
{
	return under(real, c->layers) || under(real, c->bundle);
}

/* A lower whose top directory the sandbox's maps already reach (a rootfs
 * chowned into the range, as a runtime without idmapped mounts needs) is
 * left as it is: idmapping it would push its owners out of the range. */
static int cover_lower(struct idmap_ctx *c, const char *real, struct slx_err *err)
{
	char what[PATH_MAX + 32];
	cleanup_close int fd = -1;
	struct stat s;

	snprintf(what, sizeof(what), "overlay lower %s", real);
	if ((fd = floor_open_checked(real, O_DIRECTORY, what, err)) < 0)
		return -1;
	if (fstat(fd, &s) < 0)
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
		if ((fd = floor_open_checked(real, O_DIRECTORY, what, err)) < 0)
			return -1;
	}
	if (rt_idmap_cover(fd, what, c->userns, err) < 0)
		return -1;
	return remember(&s, err);
}

/* One lower of lowerdir=A:B:C, which must be absolute (the floor must
 * know the directory the sandbox will mount), resolved already and the
 * sandbox's own (refused otherwise, never rewritten to where it points
 * now), covered. */
static int cover_one(char **lower, size_t index, void *arg, struct slx_err *err)
{
	struct idmap_ctx *c = arg;
	char real[PATH_MAX], *p;

	if ((*lower)[0] != '/')
		return slx_error(err, 0,
				 "mounts[%zu]: overlay lowerdir %s: a function sandbox's lowers "
				 "must be absolute paths",
				 index, *lower);
	if (!realpath(*lower, real))
		return slx_error(err, errno, "mounts[%zu]: overlay lower %s", index, *lower);
	if (strpbrk(real, ":,\\"))
		return slx_error(err, 0,
				 "mounts[%zu]: overlay lower %s: its path cannot hold ',', ':' or "
				 "'\\'",
				 index, real);
	/* Checked already: a hand-written bundle's one lower is its rootfs (the
	 * floor's overlay), a store bundle's its layers.  A path that resolves
	 * anywhere else now was swapped since (a symlink put on the way). */
	if (!own_lower(c, real) || strcmp(real, *lower))
		return slx_error(
		    err, 0,
		    "mounts[%zu]: overlay lower %s changed while the function was being "
		    "loaded",
		    index, *lower);
	if (cover_lower(c, real, err) < 0)
		return -1;
	if (!(p = strdup(real)))
		return slx_error(err, ENOMEM, "mounts[%zu]", index);
	free(*lower);
	*lower = p;
	return 0;
}

/* Overlayfs's escapes in lowerdir are refused, not parsed. */
static int cover_lowers(struct idmap_ctx *c, size_t index, char **opt, struct slx_err *err)
{
	const char *lowers = *opt + strlen("lowerdir=");

	if (strchr(lowers, '\\'))
		return slx_error(err, 0,
				 "mounts[%zu]: overlay lowerdir %s: a function sandbox's lowers "
				 "cannot hold overlayfs escapes ('\\')",
				 index, lowers);
	return floor_lowers_each(opt, index, cover_one, c, err);
}

int shim_floor_idmap(struct oci_config *cfg, const char *bundle, const char *root,
		     struct slx_err *err)
{
	struct idmap_ctx c = {.l = &cfg->linux_, .bundle = bundle, .userns = -1};
	int r = 0;

	if (!floor_store_bundle(bundle, root, c.layers))
		c.layers[0] = '\0';
	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];

		if (!m->type || strcmp(m->type, "overlay"))
			continue;
		for (size_t k = 0; r == 0 && k < m->options.n; k++)
			if (!strncmp(m->options.v[k], "lowerdir=", strlen("lowerdir=")))
				r = cover_lowers(&c, i, &m->options.v[k], err);
	}
	slx_closep(&c.userns);
	return r;
}
