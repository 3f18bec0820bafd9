/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_exec.c -- `slxrun exec [--process FILE | flags] ID [COMMAND ARGS...]`:
 * the process from an OCI process file (containerd's way) or built from the
 * container's own process with the command and flags applied (runc's). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/ids.h"
#include "cli.h"

struct exec_flags {
	const char *process, *cwd, *user, *apparmor, *label;
	bool tty, no_new_privs;
	struct cli_list env, caps, gids;
};

/* A process borrowing the container's, with runc exec's overrides; only
 * the vectors it allocates are its own. */
struct built_process {
	struct oci_process p;
	char **env;
	char **caps[3];
	uint32_t *gids;
};

/* The LSM flags of a built process point at argv. */
static void apply_lsm_flags(struct oci_process *p, const struct exec_flags *f)
{
	if (f->apparmor)
		p->apparmor_profile = (char *)f->apparmor;
	if (f->label)
		p->selinux_label = (char *)f->label;
}

/* A process from --process owns its strings; the flags still apply to it,
 * so a label asked for on the command line is never dropped. */
static int apply_lsm_flags_owned(struct oci_process *p, const struct exec_flags *f,
				 struct slx_err *err)
{
	const char *src[2] = {f->apparmor, f->label};
	char **dst[2] = {&p->apparmor_profile, &p->selinux_label};

	for (int i = 0; i < 2; i++) {
		char *copy;

		if (!src[i])
			continue;
		copy = strdup(src[i]);
		if (!copy)
			return slx_error(err, ENOMEM, "exec");
		free(*dst[i]);
		*dst[i] = copy;
	}
	return 0;
}

/* --cap adds to the bounding, effective and permitted sets, as runc does. */
static int add_caps(const struct cli_list *add, struct built_process *b, struct slx_err *err)
{
	struct oci_strv *sets[3] = {&b->p.caps.bounding, &b->p.caps.effective,
				    &b->p.caps.permitted};

	for (int i = 0; i < 3; i++) {
		size_t n = sets[i]->n;

		b->caps[i] = calloc(n + add->n + 1, sizeof(char *));
		if (!b->caps[i])
			return slx_error(err, ENOMEM, "exec");
		if (n)
			memcpy(b->caps[i], sets[i]->v, n * sizeof(char *));
		memcpy(b->caps[i] + n, add->v, add->n * sizeof(char *));
		*sets[i] = (struct oci_strv){.v = b->caps[i], .n = n + add->n};
	}
	b->p.caps.present = true;
	return 0;
}

/* A user or group id as runc takes it ("1000abc" was taken as 1000). */
static int parse_id(const char *what, const char *s, size_t len, uint32_t *out, struct slx_err *err)
{
	switch (slx_parse_id(s, len, out)) {
	case SLX_ID_OK:
		return 0;
	case SLX_ID_TOO_LARGE:
		return slx_error(err, 0, "exec: %s: %.*s is not an id", what, (int)len, s);
	case SLX_ID_NOT_DECIMAL:
		break;
	}
	return slx_error(err, 0, "exec: %s: expected a decimal id, got \"%.*s\"", what, (int)len,
			 s);
}

/* --user UID[:GID] as runc: a GID left out is the config's, and so are
 * the additional groups (a GID of 0 ran `-u 2000` on a container of
 * 1000:1000 as group root). */
static int apply_user(const char *user, struct oci_user *u, struct slx_err *err)
{
	const char *colon = strchr(user, ':');
	size_t ulen = colon ? (size_t)(colon - user) : strlen(user);

	if (parse_id("--user", user, ulen, &u->uid, err) < 0)
		return -1;
	if (colon && parse_id("--user", colon + 1, strlen(colon + 1), &u->gid, err) < 0)
		return -1;
	return 0;
}

/* -g/--additional-gids GID, repeatable: added after the container's
 * additional groups, as runc appends them. */
static int apply_gids(const struct cli_list *g, struct built_process *b, struct slx_err *err)
{
	size_t n = b->p.user.n_additional_gids;

	b->gids = calloc(n + g->n, sizeof(*b->gids));
	if (!b->gids)
		return slx_error(err, ENOMEM, "exec");
	if (n)
		memcpy(b->gids, b->p.user.additional_gids, n * sizeof(*b->gids));
	for (size_t i = 0; i < g->n; i++) {
		const char *v = g->v[i];

		if (parse_id("--additional-gids", v, strlen(v), &b->gids[n + i], err) < 0)
			return -1;
	}
	b->p.user.additional_gids = b->gids;
	b->p.user.n_additional_gids = n + g->n;
	return 0;
}

static int build_process(const struct oci_process *base, const struct exec_flags *f, int argc,
			 char **argv, struct built_process *b, struct slx_err *err)
{
	size_t n = base->env.n;

	b->p = *base;
	b->p.args.v = argv;
	b->p.args.n = (size_t)argc;
	b->p.terminal = f->tty;
	if (f->cwd && f->cwd[0] != '/') /* as process.cwd in a config */
		return slx_error(err, 0, "exec: --cwd: must be an absolute path, got \"%s\"",
				 f->cwd);
	if (f->cwd)
		b->p.cwd = (char *)f->cwd;
	b->env = calloc(n + f->env.n + 1, sizeof(char *));
	if (!b->env)
		return slx_error(err, ENOMEM, "exec");
	memcpy(b->env, base->env.v ? base->env.v : b->env, n * sizeof(char *));
	memcpy(b->env + n, f->env.v, f->env.n * sizeof(char *));
	b->p.env.v = b->env;
	b->p.env.n = n + f->env.n;
	if (f->no_new_privs)
		b->p.no_new_privileges = true;
	if (f->user && apply_user(f->user, &b->p.user, err) < 0)
		return -1;
	if (f->gids.n && apply_gids(&f->gids, b, err) < 0)
		return -1;
	apply_lsm_flags(&b->p, f);
	return f->caps.n ? add_caps(&f->caps, b, err) : 0;
}

static int load_process_file(const char *path, struct oci_process **out, struct slx_err *err)
{
	cleanup_free char *json = NULL;
	size_t len;

	if (slx_read_file_max_at(AT_FDCWD, path, OCI_PROCESS_MAX, &json, &len, err) < 0)
		return slx_error_prefix(err, "exec: --process");
	return oci_process_parse("process.json", json, len, out, err);
}

static int exec_with_flags(const struct rt_ctx *ctx, const char *id, const struct exec_flags *f,
			   int argc, char **argv, const struct rt_exec_opts *o, int *status,
			   struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct oci_config *cfg = NULL;
	struct built_process b = {0};
	int r = -1;

	if (argc < 1)
		return slx_error(err, 0, "exec: a command or --process is required");
	if (rt_state(ctx, id, &st, err) == 0 && rt_config_load(ctx, id, &cfg, err) == 0 &&
	    build_process(&cfg->process, f, argc, argv, &b, err) == 0)
		r = rt_exec(ctx, id, &b.p, o, status, err);
	free(b.env);
	free(b.gids);
	for (int i = 0; i < 3; i++)
		free(b.caps[i]);
	oci_config_free(cfg);
	oci_state_free(st);
	return r;
}

int cmd_exec(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct exec_flags f = {0};
	struct rt_exec_opts o = {0};
	const char *cgroup = NULL;
	bool ignore_paused = false;
	int idx = 0, status = 0, r;
	const struct cli_flag flags[] = {
	    {"process", 'p', CLI_STR, &f.process},
	    {"console-socket", 0, CLI_STR, &o.console_socket},
	    {"detach", 'd', CLI_BOOL, &o.detach},
	    {"pid-file", 0, CLI_STR, &o.pid_file},
	    {"tty", 't', CLI_BOOL, &f.tty},
	    {"cwd", 0, CLI_STR, &f.cwd},
	    {"env", 'e', CLI_LIST, &f.env},
	    {"user", 'u', CLI_STR, &f.user},
	    {"additional-gids", 'g', CLI_LIST, &f.gids},
	    {"cap", 'c', CLI_LIST, &f.caps},
	    {"no-new-privs", 0, CLI_BOOL, &f.no_new_privs},
	    {"preserve-fds", 0, CLI_INT, &o.preserve_fds},
	    {"process-label", 0, CLI_STR, &f.label},
	    {"apparmor", 0, CLI_STR, &f.apparmor},
	    {"ignore-paused", 0, CLI_BOOL, &ignore_paused},
	    {"cgroup", 0, CLI_STR, &cgroup},
	};

	if (cli_parse("exec", argc, argv, &idx, CLI_FLAGS(flags), err) < 0)
		return -1;
	if (argc - idx < 1)
		return cli_expect_args("exec", argc, idx, 1, "[flags] ID [COMMAND...]", err);
	if (f.process) {
		struct oci_process *p = NULL;

		if (load_process_file(f.process, &p, err) < 0)
			return -1;
		r = apply_lsm_flags_owned(p, &f, err);
		if (r == 0)
			r = rt_exec(ctx, argv[idx], p, &o, &status, err);
		oci_process_free(p);
	} else {
		r = exec_with_flags(ctx, argv[idx], &f, argc - idx - 1, argv + idx + 1, &o, &status,
				    err);
	}
	return r < 0 ? cli_fail_on(ctx, argv[idx], err) : status;
}
