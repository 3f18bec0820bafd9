/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bundle.c -- a stored image as a bundle: bundles/<hex>/config.json is
 * `slxrun spec`'s default with the image config's process, the function
 * labels as annotations, and the rootfs as the layer directories stacked as
 * read-only overlay lowers over a tmpfs upper private to each container. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../oci/oci.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define UPPER_DIR    IMG_UPPER_DIR

struct bundle_ctx {
	struct img_store *st;
	const struct img_manifest *m;
	struct img_config c;
	unsigned uid, gid;
	const char *bundle; /* absolute */
};

static void gen_s(yajl_gen g, const char *s)
{
	(void)yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
	gen_s(g, k);
	gen_s(g, v);
}

static void gen_copy(yajl_gen g, yajl_val v)
{
	if (YAJL_IS_OBJECT(v)) {
		(void)yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			gen_s(g, v->u.object.keys[i]);
			gen_copy(g, v->u.object.values[i]);
		}
		(void)yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		(void)yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_copy(g, v->u.array.values[i]);
		(void)yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		gen_s(g, v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		(void)yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		(void)yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		(void)yajl_gen_null(g);
	}
}

static void gen_strv(yajl_gen g, char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		gen_s(g, v[i]);
}

static bool env_has_path(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			return true;
	return false;
}

static void gen_process(yajl_gen g, yajl_val def, const struct bundle_ctx *b)
{
	(void)yajl_gen_map_open(g);
	for (size_t i = 0; i < def->u.object.len; i++) {
		const char *k = def->u.object.keys[i];
		if (strcmp(k, "terminal") && strcmp(k, "user") && strcmp(k, "args") &&
		    strcmp(k, "env") && strcmp(k, "cwd")) {
			gen_s(g, k);
			gen_copy(g, def->u.object.values[i]);
		}
	}
	gen_s(g, "terminal");
	(void)yajl_gen_bool(g, 0);
	gen_s(g, "user");
	(void)yajl_gen_map_open(g);
	gen_s(g, "uid");
	(void)yajl_gen_integer(g, b->uid);
	gen_s(g, "gid");
	(void)yajl_gen_integer(g, b->gid);
	(void)yajl_gen_map_close(g);
	gen_s(g, "args");
	(void)yajl_gen_array_open(g);
	gen_strv(g, b->c.entrypoint);
	gen_strv(g, b->c.cmd);
	(void)yajl_gen_array_close(g);
	gen_s(g, "env");
	(void)yajl_gen_array_open(g);
	if (!env_has_path(b->c.env))
		gen_s(g, DEFAULT_PATH);
	gen_strv(g, b->c.env);
	(void)yajl_gen_array_close(g);
	gen_kv(g, "cwd", b->c.workdir && *b->c.workdir ? b->c.workdir : "/");
	(void)yajl_gen_map_close(g);
}

/* Whether layer i appears again above it (later in the manifest). */
static bool shadowed(const struct img_manifest *m, size_t i)
{
	for (size_t k = i + 1; k < m->n_layers; k++)
		if (!strcmp(m->layers[k].digest, m->layers[i].digest))
			return true;
	return false;
}

/* overlay's options: the layers as lowers (the first is the top, and the
 * manifest lists the base first), the upper and work dirs in the tmpfs.  A
 * layer listed twice (old builders repeat the empty layer) is a lower once,
 * where it is topmost: overlayfs refuses a directory twice (ELOOP), and the
 * lower copy adds nothing the upper one does not put back. */
static int overlay_opts(const struct bundle_ctx *b, char *opts[3], struct slx_err *err)
{
	size_t cap = b->m->n_layers * (strlen(b->st->path) + 80) + 16, n;
	char *s = malloc(cap);

	if (!s)
		return slx_error(err, ENOMEM, "bundle");
	n = (size_t)snprintf(s, cap, "lowerdir=");
	for (size_t i = b->m->n_layers; i-- > 0;)
		if (!shadowed(b->m, i))
			n += (size_t)snprintf(s + n, cap - n, "%s%s/layers/%s",
					      n > strlen("lowerdir=") ? ":" : "", b->st->path,
					      b->m->layers[i].digest + 7);
	opts[0] = s;
	if (asprintf(&opts[1], "upperdir=%s/rootfs/" UPPER_DIR "/upper", b->bundle) < 0 ||
	    asprintf(&opts[2], "workdir=%s/rootfs/" UPPER_DIR "/work", b->bundle) < 0)
		return slx_error(err, ENOMEM, "bundle");
	return 0;
}

static void gen_mount(yajl_gen g, const char *dest, const char *type, const char *const *opts)
{
	(void)yajl_gen_map_open(g);
	gen_kv(g, "destination", dest);
	gen_kv(g, "type", type);
	gen_kv(g, "source", type);
	gen_s(g, "options");
	(void)yajl_gen_array_open(g);
	for (size_t i = 0; opts[i]; i++)
		gen_s(g, opts[i]);
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
}

/* The upper first (tmpcopyup: a private copy of the empty upper/ and work/
 * per container), then the overlay on "/" itself, then the defaults on it. */
static void gen_mounts(yajl_gen g, yajl_val def, char *const overlay[3])
{
	const char *const tmpfs_opts[] = {"tmpcopyup", "mode=755", "nodev", NULL};
	const char *const ovl_opts[] = {overlay[0], overlay[1], overlay[2], NULL};

	(void)yajl_gen_array_open(g);
	gen_mount(g, "/" UPPER_DIR, "tmpfs", tmpfs_opts);
	gen_mount(g, "/", "overlay", ovl_opts);
	for (size_t i = 0; YAJL_IS_ARRAY(def) && i < def->u.array.len; i++)
		gen_copy(g, def->u.array.values[i]);
	(void)yajl_gen_array_close(g);
}

static void gen_annotations(yajl_gen g, const struct bundle_ctx *b)
{
	gen_s(g, "annotations");
	(void)yajl_gen_map_open(g);
	if (b->c.label_mode)
		gen_kv(g, "org.slxrun.function.mode", b->c.label_mode);
	if (b->c.label_timeout)
		gen_kv(g, "org.slxrun.function.timeout", b->c.label_timeout);
	if (b->c.label_memory)
		gen_kv(g, "org.slxrun.function.memory", b->c.label_memory);
	if (b->c.stop_signal)
		gen_kv(g, "org.opencontainers.image.stopSignal", b->c.stop_signal);
	(void)yajl_gen_map_close(g);
}

static int gen_config(const struct bundle_ctx *b, char **out, size_t *len, struct slx_err *err)
{
	cleanup_free char *def_text = NULL;
	char *overlay[3] = {NULL, NULL, NULL};
	cleanup_yajl yajl_val def = NULL;
	const unsigned char *buf;
	yajl_gen g = NULL;
	int r = -1;

	if (overlay_opts(b, overlay, err) < 0 ||
	    oci_spec_default_json(false, 0, 0, &def_text, len, err) < 0 ||
	    img_json_parse("default config", def_text, &def, err) < 0)
		goto out;
	if (!(g = yajl_gen_alloc(NULL))) {
		slx_error(err, ENOMEM, "bundle");
		goto out;
	}
	(void)yajl_gen_config(g, yajl_gen_beautify, 1);
	(void)yajl_gen_map_open(g);
	for (size_t i = 0; i < def->u.object.len; i++) {
		const char *k = def->u.object.keys[i];
		yajl_val v = def->u.object.values[i];

		gen_s(g, k);
		if (!strcmp(k, "process"))
			gen_process(g, v, b);
		else if (!strcmp(k, "root"))
			(void)(yajl_gen_map_open(g), gen_kv(g, "path", "rootfs"),
			       gen_s(g, "readonly"), yajl_gen_bool(g, 0), yajl_gen_map_close(g));
		else if (!strcmp(k, "mounts"))
			gen_mounts(g, v, overlay);
		else
			gen_copy(g, v);
	}
	gen_annotations(g, b);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_get_buf(g, &buf, len);
	*out = strndup((const char *)buf, *len);
	r = *out ? 0 : slx_error(err, ENOMEM, "bundle");
out:
	if (g)
		yajl_gen_free(g);
	for (int i = 0; i < 3; i++)
		free(overlay[i]);
	return r;
}

static int layer_open(const struct bundle_ctx *b, size_t i)
{
	char path[96];

	snprintf(path, sizeof(path), "layers/%s", b->m->layers[i].digest + 7);
	return openat(b->st->dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static bool is_whiteout(const struct stat *s)
{
	return S_ISCHR(s->st_mode) && s->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dir)
{
	char v[2];

	return (fgetxattr(dir, "user.overlay.opaque", v, sizeof(v)) == 1 ||
		fgetxattr(dir, "trusted.overlay.opaque", v, sizeof(v)) == 1) &&
	       v[0] == 'y';
}

/* Layer `layer`'s say on path (relative, no "." or ".." in it): 1 it has
 * it, 0 nothing (look below), -1 it hides it (a whiteout on the way, a file
 * where a directory would be, or an opaque directory on the way that lacks
 * the rest).  Parents are walked without following symlinks; one that is
 * a symlink is resolved inside this layer, as the whole path was before. */
static int layer_says(int layer, const char *path)
{
	cleanup_close int dir = dup(layer);
	char comp[NAME_MAX + 1];
	bool opaque = false;

	for (const char *p = path; dir >= 0;) {
		size_t n = strcspn(p, "/");
		struct stat s;
		int next;

		if (!n || n > NAME_MAX)
			return -1;
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) /* never out of the layer */
			return -1;
		p += n + strspn(p + n, "/");
		if (fstatat(dir, comp, &s, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT && !opaque ? 0 : -1;
		if (is_whiteout(&s))
			return -1;
		if (!*p)
			return 1;
		if (S_ISLNK(s.st_mode)) {
			cleanup_close int fd = img_open_in(layer, path, O_PATH);

			return fd >= 0 ? 1 : -1;
		}
		if (!S_ISDIR(s.st_mode))
			return -1;
		next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		slx_closep(&dir);
		dir = next;
		opaque |= dir >= 0 && is_opaque(dir);
	}
	return -1;
}

/* The topmost layer whose path the image's merged view shows (whiteouts and
 * opaque directories above hide it, as overlayfs does), or -1. */
static ssize_t layers_find(const struct bundle_ctx *b, const char *path)
{
	for (size_t i = b->m->n_layers; i-- > 0;) {
		cleanup_close int layer = layer_open(b, i);
		int r = layer < 0 ? 0 : layer_says(layer, path);

		if (r)
			return r > 0 ? (ssize_t)i : -1;
	}
	return -1;
}

/* The image's own etc/<name>, NULL when its view has none (or not a
 * regular file).  Read in that layer's root, never outside. */
static char *etc_file(const struct bundle_ctx *b, const char *name)
{
	ssize_t i = layers_find(b, name);
	cleanup_close int layer = i < 0 ? -1 : layer_open(b, (size_t)i), fd = -1;
	struct slx_err err;
	char *text = NULL;

	if (layer < 0 || (fd = img_open_file_in(layer, name, name, &err)) < 0 ||
	    slx_read_fd_max(fd, name, 1 << 20, &text, NULL, &err) < 0)
		return NULL;
	return text;
}

static int resolve_user(struct bundle_ctx *b, struct slx_err *err)
{
	cleanup_free char *passwd = NULL, *group = NULL;

	if (!b->c.user || !*b->c.user)
		return 0;
	passwd = etc_file(b, "etc/passwd");
	group = etc_file(b, "etc/group");
	return img_user_resolve(b->c.user, passwd, group, &b->uid, &b->gid, err);
}

/* Docker makes a WorkingDir the image lacks; here it is made in the upper
 * every container gets a copy of, as root 0755, leaving the layers alone. */
static int workdir_make(const struct bundle_ctx *b, const char *tmp, struct slx_err *err)
{
	const char *w = b->c.workdir;
	cleanup_free char *path = NULL;

	if (!w || !w[strspn(w, "/")] || layers_find(b, w + strspn(w, "/")) >= 0)
		return 0;
	if (strstr(w, "..") || w[0] != '/')
		return slx_error(err, 0,
				 "image config: WorkingDir \"%s\": not a clean absolute path", w);
	if (asprintf(&path, "%s/%s/rootfs/" UPPER_DIR "/upper%s", b->st->path, tmp, w) < 0)
		return slx_error(err, ENOMEM, "bundle");
	return slx_mkdir_p(path, 0755, err);
}

static int bundle_write(struct bundle_ctx *b, const char *tmp, struct slx_err *err)
{
	cleanup_free char *json = NULL;
	cleanup_free char *path = NULL;
	static const char *const dirs[] = {"rootfs", "rootfs/" UPPER_DIR,
					   "rootfs/" UPPER_DIR "/upper",
					   "rootfs/" UPPER_DIR "/work"};
	size_t len;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cleanup_free char *d = NULL;
		if (asprintf(&d, "%s/%s", tmp, dirs[i]) < 0)
			return slx_error(err, ENOMEM, "bundle");
		if (mkdirat(b->st->dirfd, d, 0755) < 0)
			return slx_error(err, errno, "bundle %s", d);
	}
	if (workdir_make(b, tmp, err) < 0 || gen_config(b, &json, &len, err) < 0)
		return -1;
	if (asprintf(&path, "%s/%s/config.json", b->st->path, tmp) < 0)
		return slx_error(err, ENOMEM, "bundle");
	return slx_write_file_atomic(path, json, len, 0644, err);
}

static int bundle_load(struct img_store *st, const char *manifest, struct img_manifest *m,
		       struct img_config *c, struct slx_err *err)
{
	cleanup_free char *doc = NULL, *cfg = NULL;
	size_t len;

	if (img_blob_read_doc(st, manifest, &doc, &len, err) < 0 ||
	    img_manifest_parse(doc, len, m, err) < 0)
		return -1;
	if (!m->n_layers) {
		img_manifest_free(m);
		return slx_error(err, 0, "manifest %s: no layers", manifest);
	}
	if (img_blob_read_doc(st, m->config.digest, &cfg, &len, err) < 0 ||
	    img_config_parse(cfg, c, err) < 0) {
		img_manifest_free(m);
		return -1;
	}
	if (!(c->entrypoint && c->entrypoint[0]) && !(c->cmd && c->cmd[0])) {
		img_manifest_free(m);
		img_config_free(c);
		return slx_error(err, 0, "image config: no Entrypoint or Cmd: nothing to run");
	}
	return 0;
}

static int bundle_build(struct bundle_ctx *b, const char *dest, struct slx_err *err)
{
	char tmp[64];
	int r;

	snprintf(tmp, sizeof(tmp), "tmp/bundle-%d-%s", (int)getpid(), dest + 8);
	tmp[sizeof(tmp) - 1] = '\0';
	(void)img_remove_tree_at(b->st->dirfd, tmp);
	if (mkdirat(b->st->dirfd, tmp, 0755) < 0)
		return slx_error(err, errno, "bundle %s", tmp);
	r = bundle_write(b, tmp, err);
	if (r == 0 && renameat(b->st->dirfd, tmp, b->st->dirfd, dest) < 0 && errno != EEXIST &&
	    errno != ENOTEMPTY)
		r = slx_error(err, errno, "bundle %s", dest);
	(void)img_remove_tree_at(b->st->dirfd, tmp);
	return r;
}

static size_t diff_ids_count(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* A shared lock on the bundle's directory, taken under the gc lock (so
 * no prune is between the bundle's making and its pin). */
static int pin_bundle(struct img_store *st, const char *dest, int *pin, struct slx_err *err)
{
	int fd = openat(st->dirfd, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_SH) < 0) {
		if (fd >= 0)
			close(fd);
		return slx_error(err, errno, "image store: pin %s", dest);
	}
	*pin = fd;
	return 0;
}

int img_bundle_make(struct img_store *st, const char *manifest, char **bundle, int *pin,
		    struct slx_err *err)
{
	struct img_manifest m;
	struct bundle_ctx b = {.st = st, .m = &m};
	char dest[96];
	cleanup_free char *abs = NULL;
	struct stat s;
	cleanup_close int gc = img_gc_lock(st, false, err);
	int r = -1;

	if (gc < 0)
		return -1;
	snprintf(dest, sizeof(dest), "bundles/%s", manifest + 7);
	if (asprintf(&abs, "%s/%s", st->path, dest) < 0)
		return slx_error(err, ENOMEM, "bundle");
	if (bundle_load(st, manifest, &m, &b.c, err) < 0)
		return -1;
	b.bundle = abs;
	if (diff_ids_count(b.c.diff_ids) != m.n_layers) {
		slx_error(err, 0, "image config: rootfs.diff_ids has %zu entries for %zu layers",
			  diff_ids_count(b.c.diff_ids), m.n_layers);
		goto out;
	}
	for (size_t i = 0; i < m.n_layers; i++)
		if (img_layer_unpack(st, &m.layers[i], b.c.diff_ids[i], err) < 0)
			goto out;
	if (fstatat(st->dirfd, dest, &s, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (resolve_user(&b, err) < 0 || bundle_build(&b, dest, err) < 0))
		goto out;
	if (pin && pin_bundle(st, dest, pin, err) < 0)
		goto out;
	*bundle = steal_ptr(abs);
	r = 0;
out:
	img_manifest_free(&m);
	img_config_free(&b.c);
	return r;
}

int img_bundle_for_ref(const char *root, const char *refstr, char **bundle, int *pin,
		       struct slx_err *err)
{
	struct img_store st;
	struct img_ref ref;
	char digest[IMG_DIGEST_MAX];
	int r;

	if (img_ref_parse(refstr, &ref, err) < 0)
		return -1;
	if (img_store_open(root, &st, err) < 0) {
		img_ref_free(&ref);
		return -1;
	}
	r = img_refs_get(&st, ref.name, digest, err);
	if (r == 0)
		r = img_pull(&st, &ref, digest, err);
	if (r >= 0)
		r = img_bundle_make(&st, digest, bundle, pin, err);
	img_store_close(&st);
	img_ref_free(&ref);
	return r < 0 ? -1 : 0;
}

int img_overlay_skeleton(const char *root, char **path, struct slx_err *err)
{
	static const char *const dirs[] = {"", "/" UPPER_DIR, "/" UPPER_DIR "/upper",
					   "/" UPPER_DIR "/work"};
	struct img_store st;
	struct stat s;
	char tmp[64], d[96];
	int r = 0;

	if (img_store_open(root, &st, err) < 0)
		return -1;
	if (fstatat(st.dirfd, "skel", &s, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(tmp, sizeof(tmp), "tmp/skel-%d", (int)getpid());
		(void)img_remove_tree_at(st.dirfd, tmp);
		for (size_t i = 0; r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(d, sizeof(d), "%s%s", tmp, dirs[i]);
			if (mkdirat(st.dirfd, d, 0755) < 0 || fchmodat(st.dirfd, d, 0755, 0) < 0)
				r = slx_error(err, errno, "image store: %s", d);
		}
		/* Another loader made it first: the same three empty directories. */
		if (r == 0 && renameat(st.dirfd, tmp, st.dirfd, "skel") < 0 && errno != EEXIST &&
		    errno != ENOTEMPTY)
			r = slx_error(err, errno, "image store: skel");
		(void)img_remove_tree_at(st.dirfd, tmp);
	}
	if (r == 0 && asprintf(path, "%s/skel", st.path) < 0)
		r = slx_error(err, ENOMEM, "image store");
	img_store_close(&st);
	return r;
}
