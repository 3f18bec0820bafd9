/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup_ops.c -- verbs that act on a container through its cgroup: pause,
 * resume, pids, update, stats. */
#include <errno.h>
#include <stdlib.h>

#include "../common/cleanup.h"
#include "internal.h"

/* Load the state and open the container's cgroup; refuses stopped ones. */
static int open_live(const struct rt_ctx *ctx, const char *id, struct oci_state **st,
		     struct cg_handle *cg, struct slx_err *err)
{
	cg->dirfd = -1;
	if (rt_state(ctx, id, st, err) < 0)
		return -1;
	if ((*st)->status == OCI_STATUS_STOPPED) {
		oci_state_free(*st);
		*st = NULL;
		return slx_error(err, 0, "container not running");
	}
	if (!(*st)->cgroup_path || !*(*st)->cgroup_path) {
		oci_state_free(*st);
		*st = NULL;
		return slx_error(err, 0, "container %s has no cgroup", id);
	}
	if (cg_open((*st)->cgroup_path, cg, err) < 0) {
		oci_state_free(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

static int set_frozen(const struct rt_ctx *ctx, const char *id, bool frozen, struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct cg_handle cg;
	cleanup_close int lock = -1;
	int r = -1;

	if (rt_state_lock(ctx, id, &lock, err) < 0 || open_live(ctx, id, &st, &cg, err) < 0)
		return -1;
	if (frozen && st->status != OCI_STATUS_RUNNING)
		slx_error(err, 0, "container %s is not running: %s", id,
			  oci_status_name(st->status));
	else if (!frozen && st->status != OCI_STATUS_PAUSED)
		slx_error(err, 0, "container %s is not paused", id);
	else
		r = cg_freeze(&cg, frozen, err);
	if (r == 0) {
		st->status = frozen ? OCI_STATUS_PAUSED : OCI_STATUS_RUNNING;
		r = rt_state_write(ctx, st, err);
	}
	cg_handle_release(&cg);
	oci_state_free(st);
	return r;
}

int rt_pause(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	return set_frozen(ctx, id, true, err);
}

int rt_resume(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	return set_frozen(ctx, id, false, err);
}

int rt_pids(const struct rt_ctx *ctx, const char *id, pid_t **pids, size_t *n, struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct cg_handle cg;
	int r;

	*pids = NULL;
	*n = 0;
	if (rt_state(ctx, id, &st, err) < 0)
		return -1;
	if (st->status == OCI_STATUS_STOPPED || !st->cgroup_path || !*st->cgroup_path) {
		oci_state_free(st);
		return 0;
	}
	r = cg_open(st->cgroup_path, &cg, err);
	if (r == 0)
		r = cg_pids(&cg, pids, n, err);
	cg_handle_release(&cg);
	oci_state_free(st);
	return r;
}

int rt_update(const struct rt_ctx *ctx, const char *id, const struct oci_resources *res,
	      struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct cg_handle cg;
	cleanup_close int lock = -1;
	int r;

	if (cg_resources_validate(res, cg_available_controllers(), err) < 0)
		return -1;
	if (rt_state_lock(ctx, id, &lock, err) < 0 || open_live(ctx, id, &st, &cg, err) < 0)
		return -1;
	r = cg_resources_apply(&cg, res, err);
	/* New device rules replace the old ones, as they would at create. */
	if (r == 0 && res->n_devices)
		r = cg_devices_apply(cg.dirfd, res->devices, res->n_devices, err);
	cg_handle_release(&cg);
	oci_state_free(st);
	return r;
}

int rt_stats(const struct rt_ctx *ctx, const char *id, struct cg_stats *stats, struct slx_err *err)
{
	struct oci_state *st = NULL;
	struct cg_handle cg;
	int r;

	if (open_live(ctx, id, &st, &cg, err) < 0)
		return -1;
	r = cg_stats_read(cg.dirfd, stats, err);
	cg_handle_release(&cg);
	oci_state_free(st);
	return r;
}
