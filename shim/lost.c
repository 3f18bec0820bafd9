/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lost.c -- what a sandbox creator that died while making sandboxes left
 * (a crash, the OOM killer, a kill).  Each sandbox it was making may have
 * a cgroup, whose path the shim knows from the id before it exists, and a
 * pid 1, the shim's own child (CLONE_PARENT) that the shim never heard of.
 * The cgroups are killed and removed by path; their orphan records stay
 * until they are gone, so a shim that dies first leaves them to the next.
 * The pid 1s exit with their creator (their end of its socket closes) or
 * with their cgroup, and are reaped from the shim's list of children: one
 * that no live sandbox or creator accounts for, at a moment when no live
 * creator has a sandbox on the way (whose pid the shim does not know yet),
 * can only be such an orphan.  Before, each stayed a zombie for the shim's
 * life and its cgroup stayed after it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../runtime/runtime.h"
#include "serve.h"

void serve_lost_add(struct serve *s, const struct pool_slot *slot)
{
	struct serve_lost *l;

	s->orphans = true;
	if (s->n_lost == s->cap_lost) {
		size_t cap = s->cap_lost ? 2 * s->cap_lost : 4;

		/* No room to remember it: its record stays (slot->lost) for
		 * the next shim's sweep, and the children's scan still reaps
		 * its pid 1. */
		if (!(l = realloc(s->lost, cap * sizeof(*l))))
			return;
		s->lost = l;
		s->cap_lost = cap;
	}
	l = &s->lost[s->n_lost++];
	l->fi = slot->fi;
	snprintf(l->id, sizeof(l->id), "%s", slot->id);
}

/* 1 its cgroup is gone (or it never had one), 0 not yet (still
 * populated, or no fd to open it with: tried again), -1 it cannot be
 * removed here (its record is left to the next shim). */
static int lost_cgroup_gone(const struct serve *s, const struct serve_lost *l)
{
	char path[PATH_MAX];
	struct slx_err err;

	if (rt_sandbox_cgroup_path(s->fns[l->fi].fn->cgroup_parent, l->id, path, sizeof(path),
				   &err) < 0 ||
	    !path[0])
		return 1;
	return cg_remove_path(path, false, &err);
}

static bool pid_known(const struct serve *s, pid_t pid)
{
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		if (s->creators[i].pid == pid)
			return true;
	for (size_t fi = 0; fi < s->n_fns; fi++)
		for (size_t i = 0; i < s->fns[fi].pool.n; i++) {
			const struct shim_sandbox *sb = s->fns[fi].pool.slots[i]->sb;

			if (sb && shim_sandbox_pid(sb) == pid)
				return true;
		}
	for (size_t i = 0; i < s->n_dying; i++)
		if (shim_sandbox_pid(s->dying[i].sb) == pid)
			return true;
	return false;
}

/* Reap the children no sandbox or creator accounts for: how many there were
 * (reaped or still running), or -1 when the list could not be read.  The
 * sweep goes on until a scan finds none, since the list may skip a child
 * that exits while it is read. */
static int reap_unknown_children(const struct serve *s)
{
	cleanup_dir DIR *tasks = opendir("/proc/self/task");
	struct dirent *de;
	int seen = 0;

	if (!tasks)
		return -1;
	while ((de = readdir(tasks))) {
		char path[64];
		FILE *f;
		long pid;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/children", de->d_name);
		if (!(f = fopen(path, "re")))
			return -1;
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0 && !pid_known(s, (pid_t)pid)) {
				(void)waitpid((pid_t)pid, NULL, WNOHANG);
				seen++;
			}
		fclose(f);
	}
	return seen;
}

static bool creators_idle(const struct serve *s)
{
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		if (s->creators[i].fd >= 0 && s->creators[i].pending)
			return false;
	return true;
}

void serve_lost_sweep(struct serve *s)
{
	for (size_t i = 0; i < s->n_lost;) {
		int r = lost_cgroup_gone(s, &s->lost[i]);

		if (r == 0) {
			i++;
			continue;
		}
		if (r > 0)
			shim_orphans_del_sandbox(&s->rec, s->lost[i].id);
		s->lost[i] = s->lost[--s->n_lost];
	}
	/* Without the children's list (a kernel without CONFIG_PROC_CHILDREN)
	 * the pid 1s stay zombies until the shim exits. */
	if (s->orphans && creators_idle(s) && reap_unknown_children(s) <= 0 && !s->n_lost)
		s->orphans = false;
}
