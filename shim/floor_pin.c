/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_pin.c -- what a sandbox mounts from its bundle is what the floor
 * checked when the function was loaded.  Each sandbox mounts by path, and
 * the bundle's owner, if a host user, could otherwise rename or swap a
 * checked path for a symlink while the shim serves the function and have
 * the next sandbox bind in any host file it names.  So each path inside the
 * bundle that a sandbox mounts (root.path, a bind's source, an overlay
 * lower) is opened once, found to be where it was checked, and cloned by
 * that descriptor to a mountpoint of this process's own (rt_view_pin), and
 * the config names the mountpoint instead.  What is the image store's (a
 * bundle it made, its layers, the floor's skeleton) is root's: left as it
 * is. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../image/image.h"
#include "../runtime/runtime.h"

/* A directory of root's on every host, searchable by the sandboxes (their
 * root mounts from it, as host uid BASE), that only this process's mount
 * namespace covers with its tmpfs: nothing is made under the runtime root
 * (a shim that fails its flags leaves nothing there). */
#define PINS "/run/slxrun-views"

static bool pins_made; /* this process's tmpfs over PINS */
static unsigned n_pins;

static int pins_ready(struct slx_err *err)
{
	struct stat s;

	if (pins_made)
		return 0;
	if (mkdir(PINS, 0711) < 0 && errno != EEXIST)
		return slx_error(err, errno, "%s", PINS);
	if (lstat(PINS, &s) < 0)
		return slx_error(err, errno, "%s", PINS);
	if (!S_ISDIR(s.st_mode) || s.st_uid != 0 || (s.st_mode & 022))
		return slx_error(err, 0, "%s: not a directory only root may write", PINS);
	if (rt_view_dir(PINS, err) < 0)
		return -1;
	pins_made = true;
	return 0;
}

struct pin_scope {
	const char *bundle;   /* resolved */
	char store[PATH_MAX]; /* the image store's directory, or "" */
};

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Inside the bundle and not the image store's (a runtime root inside the
 * bundle puts the floor's skeleton there: root's, and its overlay's upper
 * is named by the skeleton's path). */
static bool swappable(const char *path, const struct pin_scope *sc)
{
	return under(path, sc->bundle) && !(sc->store[0] && under(path, sc->store));
}

/* *path (resolved, checked) opened and pinned; *path becomes the pin. */
static int pin(const char *field, char **path, struct slx_err *err)
{
	char what[PATH_MAX + 64], target[sizeof(PINS) + 16], *p;
	cleanup_close int fd = -1;
	struct stat s;

	if (pins_ready(err) < 0)
		return -1;
	/* what was opened is what was checked, not what a swap put there */
	snprintf(what, sizeof(what), "%s: %s", field, *path);
	if ((fd = floor_open_checked(*path, 0, what, err)) < 0)
		return -1;
	if (fstat(fd, &s) < 0 || !(S_ISDIR(s.st_mode) || S_ISREG(s.st_mode)))
		return slx_error(err, 0, "%s changed while the function was being loaded", what);
	snprintf(target, sizeof(target), PINS "/%u", n_pins++);
	if (rt_view_pin(fd, field, target, err) < 0)
		return -1;
	if (!(p = strdup(target)))
		return slx_error(err, ENOMEM, "%s", field);
	free(*path);
	*path = p;
	return 0;
}

/* One lower of lowerdir=A:B:C (absolute and resolved: shim_floor_lowers),
 * pinned when it is inside the bundle. */
static int pin_lower(char **lower, size_t index, void *arg, struct slx_err *err)
{
	char field[48];

	snprintf(field, sizeof(field), "mounts[%zu] lowerdir", index);
	return swappable(*lower, arg) ? pin(field, lower, err) : 0;
}

int shim_floor_pin(struct oci_config *cfg, const char *bundle, const char *root,
		   struct slx_err *err)
{
	struct pin_scope sc = {.bundle = bundle};
	char field[48];

	if (img_store_path(root, sc.store) < 0)
		sc.store[0] = '\0';
	if (cfg->root.path && swappable(cfg->root.path, &sc) &&
	    pin("root.path", &cfg->root.path, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];

		if (m->type && !strcmp(m->type, "overlay")) {
			for (size_t k = 0; k < m->options.n; k++)
				if (!strncmp(m->options.v[k], "lowerdir=", strlen("lowerdir=")) &&
				    floor_lowers_each(&m->options.v[k], i, pin_lower, &sc, err) < 0)
					return -1;
			continue;
		}
		snprintf(field, sizeof(field), "mounts[%zu].source", i);
		if (floor_mount_is_bind(m) && m->source && swappable(m->source, &sc) &&
		    pin(field, &m->source, err) < 0)
			return -1;
	}
	return 0;
}
