/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c -- the image config's process fields (Entrypoint, Cmd, Env,
 * WorkingDir, User, StopSignal) and the org.slxrun.function.* labels, pure. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int strv_copy(yajl_val v, const char *where, char ***out, struct slx_err *err)
{
	char **sv;

	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return slx_error(err, 0, "image config: %s: expected an array of strings", where);
	sv = calloc(v->u.array.len + 1, sizeof(*sv));
	if (!sv)
		return slx_error(err, ENOMEM, "image config");
	*out = sv;
	for (size_t i = 0; i < v->u.array.len; i++) {
		if (!YAJL_IS_STRING(v->u.array.values[i]))
			return slx_error(err, 0, "image config: %s[%zu]: expected a string", where,
					 i);
		if (!(sv[i] = strdup(v->u.array.values[i]->u.string)))
			return slx_error(err, ENOMEM, "image config");
	}
	return 0;
}

static int str_copy(yajl_val obj, const char *key, char **out, struct slx_err *err)
{
	yajl_val v = img_json_get(obj, key);

	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return slx_error(err, 0, "image config: %s: expected a string", key);
	if (!(*out = strdup(v->u.string)))
		return slx_error(err, ENOMEM, "image config");
	return 0;
}

int img_config_parse(const char *json, struct img_config *c, struct slx_err *err)
{
	cleanup_yajl yajl_val root = NULL;
	yajl_val cfg, labels;

	*c = (struct img_config){0};
	if (img_json_parse("image config", json, &root, err) < 0)
		return -1;
	cfg = img_json_get(root, "config");
	labels = img_json_get(cfg, "Labels");
	if (strv_copy(img_json_get(cfg, "Entrypoint"), "Entrypoint", &c->entrypoint, err) < 0 ||
	    strv_copy(img_json_get(cfg, "Cmd"), "Cmd", &c->cmd, err) < 0 ||
	    strv_copy(img_json_get(cfg, "Env"), "Env", &c->env, err) < 0 ||
	    str_copy(cfg, "WorkingDir", &c->workdir, err) < 0 ||
	    str_copy(cfg, "User", &c->user, err) < 0 ||
	    str_copy(cfg, "StopSignal", &c->stop_signal, err) < 0 ||
	    str_copy(labels, "org.slxrun.function.mode", &c->label_mode, err) < 0 ||
	    str_copy(labels, "org.slxrun.function.timeout", &c->label_timeout, err) < 0 ||
	    str_copy(labels, "org.slxrun.function.memory", &c->label_memory, err) < 0 ||
	    strv_copy(img_json_get(img_json_get(root, "rootfs"), "diff_ids"), "rootfs.diff_ids",
		      &c->diff_ids, err) < 0) {
		img_config_free(c);
		return -1;
	}
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void img_config_free(struct img_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->workdir);
	free(c->user);
	free(c->stop_signal);
	free(c->label_mode);
	free(c->label_timeout);
	free(c->label_memory);
	strv_free(c->diff_ids);
	*c = (struct img_config){0};
}
