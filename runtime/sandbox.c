/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox.c -- in-process sandboxes for the shim: the same spawn as create,
 * without a state directory, whose pid 1 may be the caller's own entry. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "internal.h"

int rt_sandbox_spawn(const struct rt_sandbox_opts *opts, struct rt_sandbox *sb,
		     struct slx_err *err)
{
	const struct oci_config *cfg = opts->cfg;
	char joined[PATH_MAX], rootfs[PATH_MAX];
	cleanup_free char *cg_rel = NULL;
	struct rt_spawned sp;
	struct rt_spawn_req req;

	memset(sb, 0, sizeof(*sb));
	sb->cg.dirfd = -1;
	sb->pidfd = -1;
	if (!cfg->root.path)
		return slx_error(err, 0, "config.json: root.path: required field missing");
	if (snprintf(joined, sizeof(joined), "%s%s%s",
		     cfg->root.path[0] == '/' ? "" : opts->bundle,
		     cfg->root.path[0] == '/' ? "" : "/",
		     cfg->root.path) >= (int)sizeof(joined))
		return slx_error(err, ENAMETOOLONG, "root.path: %s", cfg->root.path);
	if (!realpath(joined, rootfs))
		return slx_error(err, errno, "root.path: %s", joined);
	if (cg_unified_root() &&
	    cg_resolve_path(cfg->linux_.cgroups_path, opts->id, false, &cg_rel, err) < 0)
		return -1;
	req = (struct rt_spawn_req){
		.cfg = cfg, .bundle = opts->bundle, .rootfs = rootfs,
		.id = opts->id, .cgroup_rel = cg_rel, .console_fd = -1,
		.start_listen_fd = -1, .auto_start = true, .entry = opts->entry,
		.entry_arg = opts->entry_arg, .keep_fds = opts->keep_fds,
		.n_keep_fds = opts->n_keep_fds,
	};
	if (rt_spawn(&req, &sp, err) < 0)
		return -1;
	close(sp.sync_fd);
	sb->pid = sp.pid;
	sb->pidfd = sp.pidfd;
	sb->cg = sp.cg;
	sb->timings = sp.timings;
	return 0;
}

int rt_sandbox_destroy(struct rt_sandbox *sb, struct slx_err *err)
{
	int r = 0;

	if (sb->cg.dirfd >= 0)
		r = cg_destroy(&sb->cg, err);
	if (sb->pid > 0) {
		if (sb->pidfd >= 0)
			(void)pidfd_send_signal(sb->pidfd, SIGKILL, NULL, 0);
		while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
			;
		sb->pid = 0;
	}
	slx_closep(&sb->pidfd);
	cg_handle_release(&sb->cg);
	return r;
}
