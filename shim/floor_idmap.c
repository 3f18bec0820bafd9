/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_idmap.c -- a sandbox's lowers seen with their own owners, and its
 * function user a host id of its own.  An image's layers keep the image's
 * ids on the host, which the sandbox's user namespace does not map (inside
 * they were the overflow id): each overlay lower that is the sandbox's own
 * (its image's layers, its bundle's rootfs) is covered, in the sandbox's
 * mount namespace, by a read-only view of itself idmapped through that
 * sandbox's maps (id X on disk is host BASE+X, which is X inside; the
 * function's user X is its own host id), made for each sandbox as it is
 * spawned.  The lowers are checked once, at load. */
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

struct idmap_ctx {
	const struct oci_linux *l;
	char layers[PATH_MAX]; /* the store's layers/ when the bundle is one of its own, or "" */
	const char *bundle;    /* the bundle directory, resolved */
	bool checked;	       /* the kernel can stack idmapped lowers */
};

static bool in_maps(uint32_t id, const struct oci_id_mapping *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].host_id && id - m[i].host_id < m[i].size)
			return true;
	return false;
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
static bool shifted(const struct oci_linux *l, const struct stat *s)
{
	return in_maps(s->st_uid, l->uid_mappings, l->n_uid_mappings) &&
	       in_maps(s->st_gid, l->gid_mappings, l->n_gid_mappings);
}

/* A lower that will be idmapped: the kernel must stack it in overlayfs. */
static int check_lower(struct idmap_ctx *c, const char *real, struct slx_err *err)
{
	char what[PATH_MAX + 32];
	cleanup_close int fd = -1;
	struct stat s;

	snprintf(what, sizeof(what), "overlay lower %s", real);
	if ((fd = floor_open_checked(real, O_DIRECTORY, what, err)) < 0)
		return -1;
	if (fstat(fd, &s) < 0)
		return slx_error(err, errno, "%s", what);
	if (c->checked || shifted(c->l, &s))
		return 0;
	if (rt_idmap_overlay_check(what, err) < 0)
		return -1;
	c->checked = true;
	return 0;
}

/* One lower of lowerdir=A:B:C, which must be absolute (the floor must
 * know the directory the sandbox will mount), resolved already and the
 * sandbox's own (refused otherwise, never rewritten to where it points
 * now). */
static int check_one(char **lower, size_t index, void *arg, struct slx_err *err)
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
	if (check_lower(c, real, err) < 0)
		return -1;
	if (!(p = strdup(real)))
		return slx_error(err, ENOMEM, "mounts[%zu]", index);
	free(*lower);
	*lower = p;
	return 0;
}

typedef int lowerdir_fn(char **opt, size_t index, void *arg, struct slx_err *err);

/* each on every "lowerdir=" option of cfg's overlay mounts (index: the
 * mount's), until one fails. */
static int each_lowerdir(struct oci_config *cfg, lowerdir_fn *each, void *arg, struct slx_err *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];

		if (!m->type || strcmp(m->type, "overlay"))
			continue;
		for (size_t k = 0; r == 0 && k < m->options.n; k++)
			if (!strncmp(m->options.v[k], "lowerdir=", strlen("lowerdir=")))
				r = each(&m->options.v[k], i, arg, err);
	}
	return r;
}

/* Overlayfs's escapes in lowerdir are refused, not parsed. */
static int check_lowers(char **opt, size_t index, void *arg, struct slx_err *err)
{
	struct idmap_ctx *c = arg;
	const char *lowers = *opt + strlen("lowerdir=");

	if (strchr(lowers, '\\'))
		return slx_error(err, 0,
				 "mounts[%zu]: overlay lowerdir %s: a function sandbox's lowers "
				 "cannot hold overlayfs escapes ('\\')",
				 index, lowers);
	return floor_lowers_each(opt, index, check_one, c, err);
}

int shim_floor_lowers(struct oci_config *cfg, const char *bundle, const char *root,
		      struct slx_err *err)
{
	struct idmap_ctx c = {.l = &cfg->linux_, .bundle = bundle};

	if (!floor_store_bundle(bundle, root, c.layers))
		c.layers[0] = '\0';
	return each_lowerdir(cfg, check_lowers, &c, err);
}

/* ---- per sandbox ---------------------------------------------------- */

struct views_ctx {
	const struct oci_linux *l;
	struct shim_floor *f;
};

static int plan_one(char **lower, size_t index, void *arg, struct slx_err *err)
{
	struct views_ctx *c = arg;
	char **v;
	struct stat s;

	if (stat(*lower, &s) < 0)
		return slx_error(err, errno, "mounts[%zu]: overlay lower %s", index, *lower);
	if (shifted(c->l, &s)) {
		c->f->own_user = false;
		return 0;
	}
	if (!(v = realloc(c->f->views, (c->f->n_views + 1) * sizeof(*v))) ||
	    !(v[c->f->n_views] = strdup(*lower))) {
		if (v)
			c->f->views = v;
		return slx_error(err, ENOMEM, "mounts[%zu]", index);
	}
	c->f->views = v;
	c->f->n_views++;
	return 0;
}

static int plan_lowers(char **opt, size_t index, void *arg, struct slx_err *err)
{
	return floor_lowers_each(opt, index, plan_one, arg, err);
}

int shim_floor_views_plan(struct oci_config *cfg, struct shim_floor *f, bool made,
			  struct slx_err *err)
{
	struct views_ctx c = {.l = &cfg->linux_, .f = f};
	struct stat s;
	int r, *trees;

	/* A root chowned into the range keeps its function user's files at
	 * BASE+X, which only the shared map reaches. */
	f->own_user = !(cfg->root.path && stat(cfg->root.path, &s) == 0 && shifted(c.l, &s));
	r = each_lowerdir(cfg, plan_lowers, &c, err);
	if (r < 0 || !f->n_views || !made)
		return r;
	/* Made once now, so that a lower the kernel cannot idmap is refused
	 * when the function is loaded, not at each sandbox. */
	if (!(trees = calloc(f->n_views, sizeof(*trees))))
		return slx_error(err, ENOMEM, "overlay lowers");
	r = shim_floor_views_make(f, c.l->uid_mappings, c.l->n_uid_mappings, c.l->gid_mappings,
				  c.l->n_gid_mappings, trees, err);
	for (size_t i = 0; r == 0 && i < f->n_views; i++)
		close(trees[i]);
	free(trees);
	return r;
}

int shim_floor_views_make(const struct shim_floor *f, const struct oci_id_mapping *uids,
			  size_t n_uids, const struct oci_id_mapping *gids, size_t n_gids,
			  int *trees, struct slx_err *err)
{
	cleanup_close int userns = -1;

	for (size_t i = 0; i < f->n_views; i++)
		trees[i] = -1;
	if (!f->n_views)
		return 0;
	if ((userns = rt_idmap_userns(uids, n_uids, gids, n_gids, err)) < 0)
		return -1;
	for (size_t i = 0; i < f->n_views; i++) {
		char what[PATH_MAX + 32];
		cleanup_close int fd = -1;

		snprintf(what, sizeof(what), "overlay lower %s", f->views[i]);
		if ((fd = open(f->views[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			slx_error(err, errno, "%s", what);
			goto fail;
		}
		if ((trees[i] = rt_idmap_view(fd, what, userns, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	for (size_t i = 0; i < f->n_views; i++)
		slx_closep(&trees[i]);
	return -1;
}
