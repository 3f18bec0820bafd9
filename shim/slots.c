/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slots.c -- the live pool's sandboxes: asked of the creator process
 * (recorded first, so a crash leaves a trace for the next shim), handed back
 * and their agent's READY awaited on the loop's epoll (never by blocking: a
 * function's init may take its whole timeout), released, and released when
 * their agent died while idle or frozen. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "../runtime/runtime.h"
#include "../common/fsutil.h"
#include "serve.h"

/* Kill sb (of f) and finish its teardown now if it can be, else when its
 * pidfd says pid 1 is gone (or a later tick): the loop never waits on it.
 * On a node it reserves its function's memory until then. */
static void bury(struct serve *s, const struct serve_fn *f, struct shim_sandbox *sb, const char *id)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = &s->tag_dying};
	struct serve_dying *d;

	shim_sandbox_bury(sb);
	if (shim_sandbox_reap(sb)) {
		shim_orphans_del_sandbox(&s->rec, id);
		return;
	}
	if (s->n_dying == s->cap_dying) {
		size_t cap = s->cap_dying ? 2 * s->cap_dying : 8;

		if (!(d = realloc(s->dying, cap * sizeof(*d)))) { /* no room: wait for it */
			shim_sandbox_destroy(sb);
			shim_orphans_del_sandbox(&s->rec, id);
			return;
		}
		s->dying = d;
		s->cap_dying = cap;
	}
	d = &s->dying[s->n_dying++];
	d->sb = sb;
	d->mem_bytes = s->node.budget ? f->pool.fn->mem_per_sandbox : 0;
	snprintf(d->id, sizeof(d->id), "%s", id);
	if (shim_sandbox_pidfd(sb) >= 0)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_ADD, shim_sandbox_pidfd(sb), &ev);
}

void serve_reap_dying(struct serve *s, bool wait)
{
	for (size_t i = 0; i < s->n_dying;) {
		struct serve_dying *d = &s->dying[i];

		if (wait)
			shim_sandbox_destroy(d->sb);
		else if (!shim_sandbox_reap(d->sb)) {
			i++;
			continue;
		}
		shim_orphans_del_sandbox(&s->rec, d->id);
		*d = s->dying[--s->n_dying];
	}
}

/* What the model's sandboxes weigh (on a node, what each reserves), plus
 * on a node the released ones not gone yet (and those a dead creator left): their pages are the
 * kernel's to free as they exit, and a sandbox made in their place before then would push the
 * parent cgroup past the budget. */
void serve_node_reserved(struct serve *s, uint64_t *used, uint64_t *leaving)
{
	*used = *leaving = 0;
	for (size_t fi = 0; fi < s->model.n_fn; fi++)
		for (size_t i = 0; i < s->model.fn[fi].n_sb; i++)
			*used += s->model.fn[fi].sb[i].mem_bytes;
	for (size_t i = 0; i < s->n_dying; i++)
		*leaving += s->dying[i].mem_bytes;
	/* a dead creator's sandboxes, until their cgroups are gone (lost.c) */
	for (size_t i = 0; s->node.budget && i < s->n_lost; i++)
		*leaving += s->fns[s->lost[i].fi].pool.fn->mem_per_sandbox;
	*used += *leaving;
}

void serve_slot_release(struct serve *s, struct pool_slot *slot)
{
	struct serve_fn *f = serve_fn_of(s, slot);

	if (slot->sb) {
		if (slot->state == POOL_BUSY || slot->state == POOL_CREATING)
			(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
		bury(s, f, slot->sb, slot->id);
		slot->sb = NULL;
	} else if (!slot->lost) {
		shim_orphans_del_sandbox(&s->rec, slot->id);
	}
	f->pool.released++;
	pool_slot_remove(&f->pool, slot);
}

/* The cgroup the runtime will make for id, recorded before it exists. */
static int record_sandbox(struct serve *s, struct serve_fn *f, const char *id, struct slx_err *err)
{
	char path[PATH_MAX];

	if (rt_sandbox_cgroup_path(f->fn->cgroup_parent, id, path, sizeof(path), err) < 0)
		return -1;
	return shim_orphans_add_sandbox(&s->rec, id, path, err);
}

/* Whether a spawn failed for want of open files, the shim's or the host's,
 * not for anything of the function's (ENOMEM may be its own memory limit,
 * met by a stage inside its sandbox, so it stays the function's). */
static bool out_of_room(const struct slx_err *err)
{
	return err->errnum == EMFILE || err->errnum == ENFILE;
}

/* A sandbox that could not be made or never became ready: released, and
 * the oldest waiting request answered with why, so a function that cannot
 * start drains its queue instead of retrying forever.  Failed on the
 * shim's side (service: out of open files, its creators gone), the answer is
 * Lambda's ServiceException (500), which a client may retry, rather than
 * telling the function's author that its init failed. */
static void create_failed(struct serve *s, struct pool_slot *slot, const struct slx_err *err,
			  bool service)
{
	struct serve_fn *f = serve_fn_of(s, slot);
	struct job *j = pool_dequeue(&f->pool);

	f->m.create_failures++;
	f->create_retry_ns = slx_now_ns() + NS_PER_S;
	if (j) { /* answered from its sandbox's init error, before it goes */
		pool_abandon(&f->pool);
		f->m.invocations[service ? SHIM_SERVICE_ERROR : SHIM_INIT_ERROR]++;
		if (service)
			job_answer_error(j, 500, "ServiceException", err->msg);
		else
			job_answer_init_error(f, j, slot->sb, err->msg);
	}
	serve_slot_release(s, slot);
}

struct shim_creator *serve_creator_of(struct serve *s, void *tag)
{
	for (size_t i = 0; i < SERVE_CREATORS; i++)
		if (tag == &s->creators[i])
			return &s->creators[i];
	return NULL;
}

/* The live creator with the least work, or -1 when none is left. */
static int least_busy_creator(const struct serve *s)
{
	int best = -1;

	for (int i = 0; i < SERVE_CREATORS; i++)
		if (s->creators[i].fd >= 0 &&
		    (best < 0 || s->creators[i].pending < s->creators[best].pending))
			best = i;
	return best;
}

/* A request that c could not take (EPIPE): if c is dead -- killed before
 * the loop saw its socket close -- what it sent is read and it is handled
 * as lost (and replaced), and the request may go to another. */
static bool creator_gone(struct serve *s, struct shim_creator *c)
{
	pid_t was = c->pid;

	serve_on_created(s, c);
	return c->pid != was;
}

/* Every reserved sandbox is asked of a creator (recorded first, so a
 * crash leaves a trace for the next shim); it comes back on the loop. */
void serve_create_reserved(struct serve *s)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];
		struct pool_slot *slot;

		while ((slot = pool_creating_slot(&f->pool))) {
			struct slx_err err = {0};
			int c = least_busy_creator(s), r = -1;

			if (c < 0)
				slx_error(&err, 0, "sandbox %s: no sandbox creator is left",
					  slot->id);
			else if (record_sandbox(s, f, slot->id, &err) == 0 &&
				 (r = shim_creator_request(&s->creators[c], fi, slot->id, &err)) ==
				     1) {
				slot->requested = true;
				slot->creator = (unsigned)c;
				continue;
			}
			if (r == 0)
				return; /* its socket is full: the next turn asks again */
			if (r < 0 && c >= 0 && creator_gone(s, &s->creators[c]))
				continue; /* asked again of another, or of its successor */
			create_failed(s, slot, &err, true);
		}
	}
}

static struct pool_slot *requested_slot(const struct pool *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->slots[i]->requested && !strcmp(p->slots[i]->id, id))
			return p->slots[i];
	return NULL;
}

/* A sandbox made: its READY is awaited on the loop like any event. */
static void created(struct serve *s, struct pool_slot *slot, struct shim_sandbox *sb,
		    struct slx_err *err)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = slot};

	slot->requested = false;
	slot->sb = sb;
	if (!sb) {
		create_failed(s, slot, err, out_of_room(err));
		return;
	}
	slot->deadline_ns = slx_now_ns() + (uint64_t)serve_fn_of(s, slot)->fn->timeout_s * NS_PER_S;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, shim_sandbox_fd(sb), &ev) == 0)
		return;
	slx_error(err, errno, "sandbox %s: epoll_ctl", slot->id);
	create_failed(s, slot, err, true);
}

/* A creator is gone (every answer it sent read first): what it was making
 * fails and is swept (lost.c), and another is started in its place, so the
 * shim serves on (at once, or later when creators there keep dying young;
 * serve_creator_died). */
static void creator_lost(struct serve *s, struct shim_creator *c)
{
	unsigned k = (unsigned)(c - s->creators);
	pid_t pid = c->pid;
	char why[64];
	int st;

	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	st = shim_creator_stop(c);
	if (st >= 0 && WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(st));
	else if (st >= 0 && WIFEXITED(st))
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(why, sizeof(why), "gone");
	fprintf(stderr, "slxrun shim: the sandbox creator (pid %d) died: %s\n", (int)pid, why);
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct pool *p = &s->fns[fi].pool;

		for (size_t i = 0; i < p->n; i++) {
			struct pool_slot *slot = p->slots[i];
			struct slx_err err = {0};

			if (!slot->requested || slot->creator != k)
				continue;
			slot->requested = false;
			slot->lost = true;
			serve_lost_add(s, slot);
			slx_error(&err, 0, "sandbox %s: its creator died (%s)", slot->id, why);
			create_failed(s, slot, &err, true);
			i = (size_t)-1;
		}
	}
	serve_creator_died(s, c, slx_now_ns());
	s->orphans = true;
	serve_lost_sweep(s);
}

void serve_on_created(struct serve *s, struct shim_creator *c)
{
	char id[96];
	struct shim_sandbox *sb;
	struct slx_err err = {0};
	size_t fi;
	int r;

	while ((r = shim_creator_receive(c, s->fnv, s->n_fns, &fi, id, sizeof(id), &sb, &err)) ==
	       1) {
		struct pool_slot *slot = requested_slot(&s->fns[fi].pool, id);

		if (slot)
			created(s, slot, sb, &err);
		else if (sb) /* released while it was made */
			bury(s, &s->fns[fi], sb, id);
		err = (struct slx_err){0};
	}
	if (r < 0)
		creator_lost(s, c);
	else if (s->orphans)
		serve_lost_sweep(s);
}

void serve_creator_drain(struct serve *s)
{
	uint64_t until = slx_now_ns() + 10 * NS_PER_S;

	for (size_t i = 0; i < SERVE_CREATORS; i++) {
		struct shim_creator *c = &s->creators[i];

		while (c->fd >= 0 && c->pending && slx_now_ns() < until) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

			(void)poll(&pfd, 1, 100);
			serve_on_created(s, c);
		}
	}
}

void serve_slot_on_ready_event(struct serve *s, struct pool_slot *slot)
{
	struct slx_err err = {0};
	int r = shim_sandbox_ready_poll(slot->sb, &err);

	if (r == 0)
		return;
	if (r < 0) {
		create_failed(s, slot, &err, false);
		return;
	}
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, shim_sandbox_fd(slot->sb), NULL);
	pool_slot_ready(&serve_fn_of(s, slot)->pool, slot, slx_now_ns());
	serve_fn_of(s, slot)->pool.created++;
	s->kick = true;
}

void serve_check_creating(struct serve *s, uint64_t now)
{
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct serve_fn *f = &s->fns[fi];

		for (size_t i = 0; i < f->pool.n; i++) {
			struct pool_slot *slot = f->pool.slots[i];
			struct slx_err err = {0};

			if (slot->state != POOL_CREATING || !slot->sb || now < slot->deadline_ns)
				continue;
			slx_error(&err, ETIMEDOUT, "sandbox %s: not ready within %u s", slot->id,
				  (unsigned)f->fn->timeout_s);
			create_failed(s, slot, &err, false);
			i = (size_t)-1; /* the slots were reordered: rescan */
		}
	}
}

/* Sandboxes whose agent died while idle or frozen are released. */
void serve_reap_dead(struct serve *s)
{
	if (s->orphans)
		serve_lost_sweep(s);
	for (size_t fi = 0; fi < s->n_fns; fi++) {
		struct pool *p = &s->fns[fi].pool;

		for (size_t i = 0; i < p->n; i++) {
			struct pool_slot *slot = p->slots[i];

			if ((slot->state == POOL_IDLE || slot->state == POOL_FROZEN) &&
			    !shim_sandbox_alive(slot->sb)) {
				serve_slot_release(s, slot);
				i = (size_t)-1;
			}
		}
	}
}
