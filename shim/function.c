/* SPDX-License-Identifier: GPL-2.0-or-later */
/* function.c -- load a function: the bundle's config.json and its
 * org.slxrun.function.* annotations (mode, timeout). */
#include "function.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"
#include "../image/image.h"
#include "agent_log.h"

#define ANN_MODE	  "org.slxrun.function.mode"
#define ANN_TIMEOUT	  "org.slxrun.function.timeout"
#define ANN_MEMORY	  "org.slxrun.function.memory"
#define ANN_TMP		  "org.slxrun.function.ephemeral-storage"
#define DEFAULT_TIMEOUT_S 30

static const struct {
	const char *name;
	enum shim_mode mode;
} modes[] = {
    {"exec", SHIM_MODE_EXEC},
    {"runtime-api", SHIM_MODE_RUNTIME_API},
};

static const char *annotation(const struct oci_config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->annotations.n; i++)
		if (!strcmp(cfg->annotations.v[i].key, key))
			return cfg->annotations.v[i].value;
	return NULL;
}

static int parse_mode(const char *what, const char *s, enum shim_mode *out, struct slx_err *err)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name)) {
			*out = modes[i].mode;
			return 0;
		}
	return slx_error(err, 0, "%s: unknown mode \"%s\" (exec or runtime-api)", what, s);
}

/* A positive whole number of seconds; Lambda's ceiling is 900 but a local
 * run may want longer, so only what a deadline in ms can hold is refused. */
static int parse_timeout(const char *what, const char *s, uint32_t *out, struct slx_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s < '0' || *s > '9' || *end || errno || v == 0 || v > 31536000)
		return slx_error(err, 0, "%s: \"%s\" is not a positive whole number of seconds",
				 what, s);
	*out = (uint32_t)v;
	return 0;
}

/* The operator's value when given (named by its flag), else the
 * function's annotation. */
static const char *setting(const struct shim_function *fn, const char *given, const char *flag,
			   const char *key, const char **what)
{
	*what = given ? flag : key;
	return given ? given : annotation(fn->cfg, key);
}

static int load_settings(struct shim_function *fn, const struct shim_settings *set,
			 uint32_t *memory, struct slx_err *err)
{
	const char *v, *what;

	if ((v = setting(fn, set->mode, "--mode", ANN_MODE, &what)) &&
	    parse_mode(what, v, &fn->mode, err) < 0)
		return -1;
	if ((v = setting(fn, set->timeout, "--timeout", ANN_TIMEOUT, &what)) &&
	    parse_timeout(what, v, &fn->timeout_s, err) < 0)
		return -1;
	if ((v = setting(fn, set->memory, "--memory", ANN_MEMORY, &what)) &&
	    shim_floor_parse_mb(what, v, 16, memory, err) < 0)
		return -1;
	/* The operator's size is the limit, whatever the bundle (or the image's
	 * label) wrote into linux.resources: the floor fills it in again. */
	if (set->memory) {
		fn->cfg->linux_.resources.memory.limit.set = false;
		fn->cfg->linux_.resources.memory.swap.set = false;
	}
	return 0;
}

/* The sandbox mounts its root by path from inside its user namespace, as
 * an id the host does not know: every directory on the way must be
 * searchable by others, or the mount fails as a bare EACCES much later. */
/* Every directory down to root.path searchable by the sandbox's root: by
 * anyone, or by its group (the image store's images/, img_store_admit). */
static int root_reachable(const struct shim_function *fn, gid_t gid, struct slx_err *err)
{
	const char *p = fn->cfg->root.path;
	char path[PATH_MAX], *slash;
	struct stat s;

	if (snprintf(path, sizeof(path), "%s%s%s", p[0] == '/' ? "" : fn->bundle,
		     p[0] == '/' ? "" : "/", p) >= (int)sizeof(path))
		return slx_error(err, ENAMETOOLONG, "root.path: %s", p);
	for (slash = path; slash; slash = strchr(slash + 1, '/')) {
		char keep = slash[1];

		slash[1] = '\0';
		if (stat(path, &s) == 0 && S_ISDIR(s.st_mode) && !(s.st_mode & S_IXOTH) &&
		    !(s.st_gid == gid && (s.st_mode & S_IXGRP)))
			return slx_error(err, 0,
					 "root.path: %s is not searchable by the sandbox's user "
					 "namespace (chmod o+x %s, or --unsafe-sandbox)",
					 path, path);
		slash[1] = keep;
	}
	return 0;
}

static int load_floor(struct shim_function *fn, const char *root,
		      const struct shim_floor_opts *floor, const struct shim_settings *settings,
		      uint32_t memory, struct slx_err *err)
{
	static const struct shim_floor_opts none = {0};
	cleanup_free char *skeleton = NULL;
	uint32_t tmp = SHIM_FLOOR_TMP_MB;
	const char *v;
	gid_t gid;

	if (!floor)
		floor = &none;
	if (floor->unsafe && settings->memory)
		return slx_error(err, 0,
				 "--memory sizes the sandbox floor; with --unsafe-sandbox the "
				 "bundle's own linux.resources stand");
	if ((v = annotation(fn->cfg, ANN_TMP)) &&
	    shim_floor_parse_mb(ANN_TMP, v, SHIM_FLOOR_TMP_MB, &tmp, err) < 0)
		return -1;
	/* the bundle's own paths first: a bundle refused there makes nothing
	 * in the store (the skeleton) */
	if (!floor->unsafe && (shim_floor_own_paths(fn->cfg, fn->bundle, root, err) < 0 ||
			       shim_floor_no_setid(fn->cfg, fn->bundle, floor, err) < 0))
		return slx_error_prefix(err, "config.json");
	if (!floor->unsafe && shim_floor_range_hold(floor, err) < 0)
		return -1;
	if (!floor->unsafe && shim_floor_root_needs_skeleton(fn->cfg) &&
	    img_overlay_skeleton(root, &skeleton, err) < 0)
		return -1;
	if (shim_floor_apply(fn->cfg, floor, fn->bundle, skeleton, memory, tmp, &fn->floor, err) <
	    0)
		return slx_error_prefix(err, "config.json");
	if (floor->unsafe)
		return floor->share_memory ? slx_error(err, 0,
						       "--share-memory needs the sandbox floor "
						       "(not --unsafe-sandbox)")
					   : 0;
	if (floor->share_memory && shim_floor_share_memory(fn->cfg, &fn->floor, err) < 0)
		return -1;
	gid = (gid_t)fn->cfg->linux_.gid_mappings[0].host_id;
	if (img_store_admit(root, gid, err) < 0 || root_reachable(fn, gid, err) < 0)
		return -1;
	if (shim_floor_lowers(fn->cfg, fn->bundle, root, err) < 0 ||
	    shim_floor_pin(fn->cfg, fn->bundle, root, err) < 0)
		return -1;
	return shim_floor_views_plan(fn->cfg, &fn->floor, floor->views_at_load, err);
}

int shim_function_load(const char *bundle, const char *root, const struct shim_floor_opts *floor,
		       const struct shim_settings *settings, struct shim_function **out,
		       struct slx_err *err)
{
	static const struct shim_settings own = {0};
	uint32_t memory = SHIM_FLOOR_MEMORY_MB;
	char abs[PATH_MAX];
	const char *base;
	struct shim_function *fn;

	if (!realpath(bundle, abs))
		return slx_error(err, errno, "bundle %s", bundle);
	if ((fn = calloc(1, sizeof(*fn))))
		fn->pin = -1;
	if (!fn)
		return slx_error(err, ENOMEM, "function");
	fn->mode = SHIM_MODE_EXEC;
	fn->timeout_s = DEFAULT_TIMEOUT_S;
	base = strrchr(abs, '/');
	base = base && base[1] ? base + 1 : abs;
	fn->bundle = strdup(abs);
	fn->name = strdup(base);
	fn->log_rate = agent_log_rate_new();
	if (!fn->bundle || !fn->name || !fn->log_rate) {
		slx_error(err, ENOMEM, "function");
		goto fail;
	}
	if (oci_config_load(abs, &fn->cfg, err) < 0)
		goto fail;
	if (!fn->cfg->has_process || !fn->cfg->process.args.n) {
		slx_error(err, 0, "config.json: process.args: a function needs a command");
		goto fail;
	}
	if (!settings)
		settings = &own;
	if (load_settings(fn, settings, &memory, err) < 0 ||
	    load_floor(fn, root, floor, settings, memory, err) < 0)
		goto fail;
	*out = fn;
	return 0;
fail:
	shim_function_free(fn);
	return -1;
}

long long shim_function_memory_mb(const struct shim_function *fn)
{
	const struct oci_resources *res = &fn->cfg->linux_.resources;

	return res->memory.limit.set && res->memory.limit.v > 0
		   ? res->memory.limit.v / (1024 * 1024)
		   : 128;
}

void shim_function_free(struct shim_function *fn)
{
	if (!fn)
		return;
	oci_config_free(fn->cfg);
	shim_floor_release(&fn->floor);
	free(fn->bundle);
	free(fn->name);
	agent_log_rate_free(fn->log_rate);
	slx_closep(&fn->pin);
	free(fn);
}

int shim_function_bundle(const char *root, const char *arg, char **bundle, int *pin,
			 struct slx_err *err)
{
	*pin = -1;
	if (img_ref_is_image(arg))
		return img_bundle_for_ref(root, arg, bundle, pin, err);
	if (!(*bundle = strdup(arg)))
		return slx_error(err, ENOMEM, "bundle");
	return 0;
}
