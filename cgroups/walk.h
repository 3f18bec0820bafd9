/* SPDX-License-Identifier: GPL-2.0-or-later */
/* walk.h -- the cgroups module's own: a walk of every cgroup under one,
 * depth first, at any depth with two descriptors (walk.c). */
#ifndef SLX_CGROUPS_WALK_H
#define SLX_CGROUPS_WALK_H

struct cg_walk_ops {
	/* On the way down, each cgroup under the root, open (the walk closes
	 * it); -1 stops the walk. */
	int (*enter)(int fd, void *ctx);
	/* On the way up, each cgroup under the root once all under it were
	 * visited, by its name in parent; -1 stops the walk. */
	int (*leave)(int parent, const char *name, void *ctx);
};

/* Walk the cgroups under root (not root itself): 0, or -1 with errno (a
 * cgroup removed meanwhile is skipped). */
int cg_walk(int root, const struct cg_walk_ops *ops, void *ctx);

#endif
