/* SPDX-License-Identifier: GPL-2.0-or-later */
/* walk.c -- every cgroup under a cgroup, whatever the depth.  A container
 * with a cgroup namespace makes what tree it likes under its own, and the
 * recursive walks held a descriptor (and a stack frame) per level: a chain
 * 1,100 deep ran them out, so `delete -f` left the tree behind and `ps`
 * and `kill --all` failed (an attacker's review).  This walk holds two
 * descriptors at most: it goes down by name and back up by "..", keeping
 * for each level on its way only the names it has still to visit. */
#include "walk.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct level {
	char **names;
	size_t n, next;
};

static void level_free(struct level *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	*l = (struct level){0};
}

/* The child cgroups of fd, by name. */
static int level_read(int fd, struct level *l)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*l = (struct level){0};
	if (dfd < 0)
		return -1;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (l->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			char **v = realloc(l->names, ncap * sizeof(*v));

			if (!v)
				goto nomem;
			l->names = v;
			cap = ncap;
		}
		if (!(l->names[l->n] = strdup(de->d_name)))
			goto nomem;
		l->n++;
	}
	closedir(d);
	return 0;
nomem:
	closedir(d);
	level_free(l);
	errno = ENOMEM;
	return -1;
}

int cg_walk(int root, const struct cg_walk_ops *ops, void *ctx)
{
	struct level *stack = NULL;
	size_t depth = 0, cap = 0;
	int cur = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -1, saved;

	if (cur < 0)
		return -1;
	for (bool down = true;;) {
		struct level *l;

		if (down) {
			if (depth == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				struct level *v = realloc(stack, ncap * sizeof(*v));

				if (!v) {
					errno = ENOMEM;
					break;
				}
				stack = v;
				cap = ncap;
			}
			if (level_read(cur, &stack[depth]) < 0)
				break;
			depth++;
		}
		l = &stack[depth - 1];
		if (l->next < l->n) {
			int child = openat(cur, l->names[l->next++],
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			down = child >= 0;
			if (child < 0 && errno == ENOENT) /* gone while we walk */
				continue;
			if (child < 0)
				break;
			if (ops->enter && ops->enter(child, ctx) < 0) {
				close(child);
				break;
			}
			close(cur);
			cur = child;
			continue;
		}
		level_free(l);
		if (!--depth) {
			r = 0;
			break;
		}
		down = false;
		{
			int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (up < 0)
				break;
			close(cur);
			cur = up;
		}
		l = &stack[depth - 1];
		if (ops->leave && ops->leave(cur, l->names[l->next - 1], ctx) < 0)
			break;
	}
	saved = errno;
	while (depth)
		level_free(&stack[--depth]);
	free(stack);
	close(cur);
	errno = saved;
	return r;
}
