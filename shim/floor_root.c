/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_root.c -- a function sandbox's root under the floor: the shared
 * rootfs (a bundle's directory, an image's layers) is never written.  A
 * writable root is an overlay of it over a private, size-capped tmpfs upper,
 * so nothing a sandbox writes reaches another sandbox or the host; a
 * read-only one is the rootfs alone.  Pure: the config is rewritten here,
 * mounted by the runtime. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/cleanup.h"
#include "../image/image.h"

static bool is_root_dest(const char *d)
{
	return d && d[0] == '/' && !d[strspn(d, "/")];
}

const char *floor_option_value(const struct oci_strv *o, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < o->n; i++)
		if (!strncmp(o->v[i], key, n) && o->v[i][n] == '=')
			return o->v[i] + n + 1;
	return NULL;
}

bool floor_has_option(const struct oci_strv *o, const char *word)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i], word))
			return true;
	return false;
}

int floor_lowers_each(char **opt, size_t index, floor_lower_fn each, void *arg, struct slx_err *err)
{
	cleanup_free char *copy = strdup(*opt + strlen("lowerdir="));
	struct slx_buf out = {0};
	char *save = NULL;
	int r = -1;

	if (!copy || slx_buf_add(&out, "lowerdir=", strlen("lowerdir=")) < 0) {
		slx_error(err, ENOMEM, "mounts[%zu]", index);
		goto out;
	}
	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		cleanup_free char *lower = strdup(p);

		if (!lower) {
			slx_error(err, ENOMEM, "mounts[%zu]", index);
			goto out;
		}
		if (each(&lower, index, arg, err) < 0)
			goto out;
		if ((out.len > strlen("lowerdir=") && slx_buf_add(&out, ":", 1) < 0) ||
		    slx_buf_add(&out, lower, strlen(lower)) < 0) {
			slx_error(err, ENOMEM, "mounts[%zu]", index);
			goto out;
		}
	}
	free(*opt);
	*opt = steal_ptr(out.p);
	r = 0;
out:
	slx_buf_release(&out);
	return r;
}

int floor_open_checked(const char *path, int flags, const char *what, struct slx_err *err)
{
	char link[64], now[PATH_MAX];
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC | flags);
	ssize_t n;

	if (fd < 0)
		return slx_error(err, errno, "%s", what);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, now, sizeof(now) - 1);
	if (n < 0 || (now[n] = '\0', strcmp(now, path))) {
		close(fd);
		return slx_error(err, 0, "%s changed while the function was being loaded", what);
	}
	return fd;
}

bool floor_env_has(const struct oci_strv *env, const char *prefix)
{
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], prefix, strlen(prefix)))
			return true;
	return false;
}

bool floor_mount_is_bind(const struct oci_mount *m)
{
	return (m->type && !strcmp(m->type, "bind")) || floor_has_option(&m->options, "bind") ||
	       floor_has_option(&m->options, "rbind");
}

/* No "." or ".." component: a prefix test on the text then holds. */
static bool clean_path(const char *p)
{
	for (const char *c = p; (c = strchr(c, '/')); c++)
		if ((c[1] == '.' && (c[2] == '/' || !c[2])) ||
		    (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3])))
			return false;
	return true;
}

int floor_strv_add(struct oci_strv *v, const char *s)
{
	char **p = realloc(v->v, (v->n + 2) * sizeof(*p));

	if (!p)
		return -1;
	v->v = p;
	if (!(p[v->n] = strdup(s)))
		return -1;
	p[++v->n] = NULL;
	return 0;
}

/* An overlay writes only into the tmpfs mounted just before it (inside the
 * rootfs), never into a host directory; that tmpfs gets the size cap. */
static int check_overlay(struct oci_config *cfg, size_t i, const char *rootfs, const char *size,
			 struct slx_err *err)
{
	struct oci_mount *m = &cfg->mounts[i], *t = i ? &cfg->mounts[i - 1] : NULL;
	const char *dirs[] = {floor_option_value(&m->options, "upperdir"),
			      floor_option_value(&m->options, "workdir")};
	cleanup_free char *prefix = NULL;

	if (!dirs[0] && !dirs[1])
		return 0; /* lowers only: read-only by nature */
	if (!t || !t->type || strcmp(t->type, "tmpfs") || !t->destination ||
	    is_root_dest(t->destination))
		return slx_error(
		    err, 0,
		    "mounts[%zu]: an overlay's upperdir and workdir must be in a tmpfs mounted "
		    "just before it (a sandbox's writes stay its own)" SHIM_FLOOR_UNSAFE_HINT,
		    i);
	if (asprintf(&prefix, "%s/%s/", rootfs, t->destination + strspn(t->destination, "/")) < 0)
		return slx_error(err, ENOMEM, "mounts");
	for (size_t k = 0; k < 2; k++)
		if (!dirs[k] || strncmp(dirs[k], prefix, strlen(prefix)) || !clean_path(dirs[k]))
			return slx_error(err, 0,
					 "mounts[%zu]: overlay %s=%s is not inside the tmpfs at "
					 "mounts[%zu] (%s)" SHIM_FLOOR_UNSAFE_HINT,
					 i, k ? "workdir" : "upperdir", dirs[k] ? dirs[k] : "",
					 i - 1, prefix);
	if (!floor_option_value(&t->options, "size") && floor_strv_add(&t->options, size) < 0)
		return slx_error(err, ENOMEM, "mounts");
	return 0;
}

static int mount_set(struct oci_mount *m, const char *dest, const char *type,
		     const char *const *opts)
{
	*m = (struct oci_mount){
	    .destination = strdup(dest), .type = strdup(type), .source = strdup(type)};
	if (!m->destination || !m->type || !m->source)
		return -1;
	for (size_t i = 0; opts[i]; i++)
		if (floor_strv_add(&m->options, opts[i]) < 0)
			return -1;
	return 0;
}

/* A plain bundle: its rootfs becomes the one lower, the skeleton (an empty
 * rootfs holding IMG_UPPER_DIR/{upper,work}) the root.path the overlay is
 * mounted on, as an image's bundle is. */
static int overlay_bundle_root(struct oci_config *cfg, const char *rootfs, const char *skeleton,
			       const char *size, struct slx_err *err)
{
	cleanup_free char *lower = NULL, *upper = NULL, *work = NULL, *path = NULL;
	struct oci_mount *v;

	if (strpbrk(rootfs, ",:\\"))
		return slx_error(err, 0,
				 "root.path: %s: a function's rootfs is an overlay lower, whose "
				 "path cannot hold ',', ':' or '\\'",
				 rootfs);
	if (asprintf(&lower, "lowerdir=%s", rootfs) < 0 ||
	    asprintf(&upper, "upperdir=%s/" IMG_UPPER_DIR "/upper", skeleton) < 0 ||
	    asprintf(&work, "workdir=%s/" IMG_UPPER_DIR "/work", skeleton) < 0 ||
	    !(path = strdup(skeleton)) ||
	    !(v = realloc(cfg->mounts, (cfg->n_mounts + 2) * sizeof(*v))))
		return slx_error(err, ENOMEM, "mounts");
	memmove(v + 2, v, cfg->n_mounts * sizeof(*v));
	cfg->mounts = v;
	cfg->n_mounts += 2;
	if (mount_set(&v[0], "/" IMG_UPPER_DIR, "tmpfs",
		      (const char *const[]){"tmpcopyup", "mode=755", "nosuid", "nodev", size,
					    NULL}) < 0 ||
	    mount_set(&v[1], "/", "overlay", (const char *const[]){lower, upper, work, NULL}) < 0)
		return slx_error(err, ENOMEM, "mounts");
	free(cfg->root.path);
	cfg->root.path = steal_ptr(path);
	return 0;
}

bool shim_floor_root_needs_skeleton(const struct oci_config *cfg)
{
	if (cfg->root.readonly)
		return false;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].type && !strcmp(cfg->mounts[i].type, "overlay") &&
		    is_root_dest(cfg->mounts[i].destination))
			return false;
	return true;
}

int shim_floor_root(struct oci_config *cfg, const char *bundle, const char *skeleton,
		    uint32_t upper_mb, struct slx_err *err)
{
	const char *p = cfg->root.path;
	cleanup_free char *rootfs = NULL;
	char size[32];
	bool own = false;

	if (!p || !*p)
		return slx_error(err, 0, "root.path: required field missing");
	if (asprintf(&rootfs, "%s%s%s", p[0] == '/' ? "" : bundle, p[0] == '/' ? "" : "/", p) < 0)
		return slx_error(err, ENOMEM, "root.path");
	snprintf(size, sizeof(size), "size=%" PRIu32 "m", upper_mb);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];

		if (!m->type || strcmp(m->type, "overlay"))
			continue;
		if (check_overlay(cfg, i, rootfs, size, err) < 0)
			return -1;
		own |= is_root_dest(m->destination);
	}
	/* A read-only root needs no upper: the rootfs bound read-only is the
	 * lower alone, shared and never written. */
	if (!own && !cfg->root.readonly) {
		if (!skeleton)
			return slx_error(err, EINVAL,
					 "root.path: no skeleton to mount the overlay on");
		if (overlay_bundle_root(cfg, rootfs, skeleton, size, err) < 0)
			return -1;
	}
	/* The sandbox mounts in its user namespace, where trusted.* xattrs are
	 * out of reach: overlay keeps its own (opaque dirs) in user.overlay.*. */
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];

		if (m->type && !strcmp(m->type, "overlay") &&
		    !floor_has_option(&m->options, "userxattr") &&
		    floor_strv_add(&m->options, "userxattr") < 0)
			return slx_error(err, ENOMEM, "mounts");
	}
	return 0;
}

/* real (resolved) is dir itself or inside it. */
static bool within(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(real, dir, n) && (real[n] == '/' || !real[n]);
}

/* path (absolute, or relative to the bundle) resolved; it must be the
 * bundle's own: inside the bundle's directory. */
static int own_path(const char *field, const char *path, const char *bundle, char real[PATH_MAX],
		    struct slx_err *err)
{
	cleanup_free char *abs = NULL;

	if (asprintf(&abs, "%s%s%s", path[0] == '/' ? "" : bundle, path[0] == '/' ? "" : "/",
		     path) < 0)
		return slx_error(err, ENOMEM, "%s", field);
	if (!realpath(abs, real))
		return slx_error(err, errno, "%s: %s", field, path);
	if (!within(real, bundle))
		return slx_error(err, 0,
				 "%s: %s is outside the bundle (%s): a function sees only its "
				 "own files" SHIM_FLOOR_UNSAFE_HINT,
				 field, real, bundle);
	return 0;
}

bool floor_store_bundle(const char *bundle, const char *root, char layers[PATH_MAX])
{
	char store[PATH_MAX], bundles[PATH_MAX + 16];

	return img_store_path(root, store) == 0 &&
	       (size_t)snprintf(bundles, sizeof(bundles), "%s/bundles/", store) < sizeof(bundles) &&
	       !strncmp(bundle, bundles, strlen(bundles)) &&
	       (size_t)snprintf(layers, PATH_MAX, "%s/layers", store) < PATH_MAX;
}

int shim_floor_own_paths(struct oci_config *cfg, const char *bundle, const char *root,
			 struct slx_err *err)
{
	char real[PATH_MAX], field[48];
	bool made = floor_store_bundle(bundle, root, real);
	struct stat st;

	if (cfg->root.path) {
		char *p;

		if (own_path("root.path", cfg->root.path, bundle, real, err) < 0)
			return -1;
		if (!(p = strdup(real)))
			return slx_error(err, ENOMEM, "root.path");
		free(cfg->root.path);
		cfg->root.path = p;
	}
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		bool bind = floor_mount_is_bind(m);
		char *src;

		if (m->type && !strcmp(m->type, "overlay") && !made)
			return slx_error(err, 0,
					 "mounts[%zu]: a function bundle brings no overlay of its "
					 "own (the floor makes its root's)" SHIM_FLOOR_UNSAFE_HINT,
					 i);
		/* the floor's own /tmp replaces a bundle's */
		if (!bind || !m->source || (m->destination && !strcmp(m->destination, "/tmp")))
			continue;
		snprintf(field, sizeof(field), "mounts[%zu].source", i);
		if (own_path(field, m->source, bundle, real, err) < 0)
			return -1;
		/* a socket, a FIFO or a device node inside is the host's too */
		if (stat(real, &st) < 0)
			return slx_error(err, errno, "%s: %s", field, real);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return slx_error(err, 0,
					 "%s: %s is not a file or directory" SHIM_FLOOR_UNSAFE_HINT,
					 field, real);
		if (!(src = strdup(real)))
			return slx_error(err, ENOMEM, "%s", field);
		free(m->source);
		m->source = src;
	}
	return 0;
}
