/* SPDX-License-Identifier: GPL-2.0-or-later */
/* orphans.h -- what a shim records under <root>/shims/<key>.d/ (its pid,
 * one file per sandbox with its cgroup, its unix sockets) so that a later
 * shim can remove what a kill -9'd one left behind. */
#ifndef SLX_SHIM_ORPHANS_H
#define SLX_SHIM_ORPHANS_H

#include <limits.h>

#include "../common/err.h"

struct shim_orphans {
	char dir[PATH_MAX]; /* <root>/shims/<key>.d, "" when not claimed */
	unsigned n_sockets;
};

/* Every <root>/shims/ *.d whose shim is dead: kill and remove its sandboxes'
 * cgroups, unlink its sockets and records.  A missing <root>/shims is fine. */
int shim_orphans_reap(const char *root, struct slx_err *err);
/* What a SIGKILLed one-shot `invoke` left, which nothing records: the
 * empty cgroup of its sandbox (invoke-<pid>), removed once that pid is
 * gone (by a shim as it starts, and by each one-shot as it ends).  One of a live invoke is never
 * removed: its pid is alive, and its cgroup populated from the clone on. */
void shim_orphans_reap_invokes(void);

/* Create <root>/shims (0700) and <key>.d with this process's pidfile; an
 * error when a live shim holds the key. */
int shim_orphans_claim(struct shim_orphans *o, const char *root, const char *key,
		       struct slx_err *err);
/* Record before creating, so a crash in between still leaves a trace. */
int shim_orphans_add_sandbox(struct shim_orphans *o, const char *id, const char *cgroup_path,
			     struct slx_err *err);
void shim_orphans_del_sandbox(struct shim_orphans *o, const char *id);
int shim_orphans_add_socket(struct shim_orphans *o, const char *path, struct slx_err *err);
/* A symlink the shim made (a function's registry path to the node's
 * socket, target): unlinked at release and by a later shim's reap, only
 * while it still points at target. */
int shim_orphans_add_link(struct shim_orphans *o, const char *path, const char *target,
			  struct slx_err *err);
/* The node's parent cgroup: removed after the sandboxes under it. */
int shim_orphans_add_parent(struct shim_orphans *o, const char *cgroup_path, struct slx_err *err);
/* A clean exit: remove the records and the directory. */
void shim_orphans_release(struct shim_orphans *o);

#endif
