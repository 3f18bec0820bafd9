/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c -- state.json: the OCI state runc prints plus the private fields
 * slxrun keeps per container, written with yajl_gen and read back strictly. */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "json.h"

static const char *const status_names[] = {
    [OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created",
    [OCI_STATUS_RUNNING] = "running",	[OCI_STATUS_STOPPED] = "stopped",
    [OCI_STATUS_PAUSED] = "paused",
};

const char *oci_status_name(enum oci_status s)
{
	return (unsigned)s < OCI_ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

static int status_decode(struct oci_dctx *c, const struct oci_jnode *n, void *dst)
{
	if (n->type != OCI_J_STRING)
		return oci_dexpected(c, "a string", n);
	for (size_t i = 0; i < OCI_ARRAY_SIZE(status_names); i++) {
		if (strcmp(n->str.s, status_names[i]) == 0) {
			*(enum oci_status *)dst = (enum oci_status)i;
			return 0;
		}
	}
	return oci_derror(c, "unknown status \"%s\"", n->str.s);
}

_Static_assert(sizeof(unsigned long long) == sizeof(uint64_t),
	       "pidStartTime is decoded as a uint64");

#define SFIELD(k, kd, m, ...)                                                                      \
	{                                                                                          \
		.key = (k), .kind = (kd), .off = offsetof(struct oci_state, m), __VA_ARGS__        \
	}
#define SHOOKV(k, m)                                                                               \
	SFIELD(k, OCI_K_OBJV, m.v, .off_n = offsetof(struct oci_state, m.n), .obj = &oci_hook_desc)
static const struct oci_field state_fields[] = {
    SFIELD("ociVersion", OCI_K_STR, oci_version),
    SFIELD("id", OCI_K_STR, id, .flags = OCI_F_REQUIRED),
    SFIELD("status", OCI_K_FN, status, .flags = OCI_F_REQUIRED, .fn = status_decode),
    SFIELD("pid", OCI_K_INT, pid),
    SFIELD("pidStartTime", OCI_K_U64, pid_start_time),
    SFIELD("bundle", OCI_K_STR, bundle, .flags = OCI_F_REQUIRED),
    SFIELD("rootfs", OCI_K_STR, rootfs),
    SFIELD("created", OCI_K_STR, created),
    SFIELD("owner", OCI_K_STR, owner),
    SFIELD("cgroupPath", OCI_K_STR, cgroup_path),
    SFIELD("annotations", OCI_K_KVV, annotations),
    SHOOKV("poststart", poststart),
    SHOOKV("poststop", poststop),
    SFIELD("systemdCgroup", OCI_K_BOOL, systemd_cgroup),
    SFIELD("ownPidNs", OCI_K_BOOL, own_pidns),
    SFIELD("noNewKeyring", OCI_K_BOOL, no_new_keyring),
};
static const struct oci_obj state_desc = {
    state_fields, OCI_ARRAY_SIZE(state_fields), sizeof(struct oci_state), -1, NULL, NULL};

int oci_state_parse(const char *name, const char *json, size_t len, struct oci_state **out,
		    struct slx_err *err)
{
	return oci_doc_decode(name, json, len, &state_desc, (void **)out, err);
}

void oci_state_free(struct oci_state *st)
{
	oci_doc_free(&state_desc, st);
}

static void gen_strv(yajl_gen g, const char *key, const struct oci_strv *v)
{
	if (!v->v)
		return;
	oci_gen_key_strlist(g, key, (const char *const *)v->v);
}

static void gen_hooks(yajl_gen g, const char *key, const struct oci_hookv *hv)
{
	oci_gen_str(g, key);
	(void)yajl_gen_array_open(g);
	for (size_t i = 0; i < hv->n; i++) {
		const struct oci_hook *h = &hv->v[i];

		(void)yajl_gen_map_open(g);
		oci_gen_key_str(g, "path", h->path);
		gen_strv(g, "args", &h->args);
		gen_strv(g, "env", &h->env);
		if (h->timeout.set)
			oci_gen_key_int(g, "timeout", h->timeout.v);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
}

static void gen_private(yajl_gen g, const struct oci_state *st)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", st->pid_start_time);

	oci_gen_str(g, "pidStartTime");
	(void)yajl_gen_number(g, num, (size_t)n);
	oci_gen_key_str(g, "cgroupPath", st->cgroup_path);
	oci_gen_key_bool(g, "systemdCgroup", st->systemd_cgroup);
	oci_gen_key_bool(g, "ownPidNs", st->own_pidns);
	oci_gen_key_bool(g, "noNewKeyring", st->no_new_keyring);
	gen_hooks(g, "poststart", &st->poststart);
	gen_hooks(g, "poststop", &st->poststop);
}

/* The short form mirrors `runc state` (two-space indent, annotations only
 * when there are some); the full form is compact, it is read by programs. */
int oci_state_to_json(const struct oci_state *st, bool full, char **out, size_t *len,
		      struct slx_err *err)
{
	yajl_gen g = oci_gen_new(!full, "  ");

	if (!g)
		return slx_error(err, ENOMEM, "state.json");
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "ociVersion", st->oci_version ? st->oci_version : OCI_VERSION);
	oci_gen_key_str(g, "id", st->id);
	oci_gen_key_int(g, "pid", st->pid);
	oci_gen_key_str(g, "status", oci_status_name(st->status));
	oci_gen_key_str(g, "bundle", st->bundle);
	oci_gen_key_str(g, "rootfs", st->rootfs);
	oci_gen_key_str(g, "created", st->created);
	oci_gen_key_str(g, "owner", st->owner);
	if (st->annotations.n) {
		oci_gen_str(g, "annotations");
		(void)yajl_gen_map_open(g);
		for (size_t i = 0; i < st->annotations.n; i++)
			oci_gen_key_str(g, st->annotations.v[i].key, st->annotations.v[i].value);
		(void)yajl_gen_map_close(g);
	}
	if (full)
		gen_private(g, st);
	(void)yajl_gen_map_close(g);
	return oci_gen_finish(g, out, len, err);
}
