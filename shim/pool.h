/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pool.h -- the warm pool of one function: sandbox slots and their states
 * (creating -> idle -> busy -> idle ... -> frozen -> destroyed), the FIFO of
 * waiting requests, and the resource-delta model that mirrors them, which
 * policy_decide reads.  Every state change goes through here, so the slots
 * and the model cannot drift apart. */
#ifndef SLX_SHIM_POOL_H
#define SLX_SHIM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "model.h"
#include "function_sandbox.h"

enum pool_state {
	POOL_CREATING, /* reserved, then spawned and waiting for its READY */
	POOL_IDLE,
	POOL_BUSY,
	POOL_FROZEN,
	POOL_N_STATES,
};
const char *pool_state_name(enum pool_state s);

struct pool_config {
	unsigned min_warm; /* kept created: releases below it are not carried out */
	unsigned max;	   /* live sandboxes, creating included */
	size_t queue_max;
	uint64_t mem_per_sandbox; /* the model's size of a new sandbox */
	uint64_t tick_ns;	  /* the period ΔA is taken over */
};

struct pool_slot {
	char id[96];
	uint64_t model_id; /* its model_sandbox */
	enum pool_state state;
	uint64_t since_ns;   /* entered `state` */
	uint64_t created_ns; /* the sandbox became ready (0 while creating) */
	uint64_t init_ns;    /* how long it took to be ready: a cold call's Init Duration */
	uint64_t invocations;
	struct shim_sandbox *sb;
	bool requested;	  /* creating: its sandbox is being made elsewhere */
	unsigned creator; /* requested: by which of the serve's creators */
	bool lost;	  /* its creator died making it: its record stays (lost.c) */
	void *job;	  /* the invocation in flight while busy */
	size_t fi;	  /* its pool's function: the model's index */
	uint64_t deadline_ns;
};

struct pool {
	struct pool_config cfg;
	char id_prefix[64];
	uint64_t next_seq;
	struct pool_slot **slots;
	size_t n;
	void **queue; /* ring of waiting jobs */
	size_t q_head, q_len;
	uint64_t created, released;
	/* The pool's function in the model policy_decide reads (the node's:
	 * every function's pool shares one model and its budget), its
	 * sandboxes by model_id. */
	size_t fi;
	struct model_function *fn;
};

/* The prefix makes sandbox ids unique across shims: <name>-<pid>.  The
 * pool is m->fn[fi]'s, which the caller initialised (model_function_init)
 * and keeps, unmoved, for the pool's life. */
int pool_init(struct pool *p, const struct pool_config *cfg, const char *id_prefix, struct model *m,
	      size_t fi, struct slx_err *err);
/* Frees the slots (their sandboxes must be destroyed already); the model's
 * function stays the caller's. */
void pool_fini(struct pool *p);

/* A new slot in POOL_CREATING with a fresh id, in the model as creating,
 * expected ready at ready_ns; NULL when at max (or out of memory). */
struct pool_slot *pool_slot_add(struct pool *p, uint64_t now_ns, uint64_t ready_ns);
/* Drop a slot from the pool and the model, and free it. */
void pool_slot_remove(struct pool *p, struct pool_slot *s);
/* The sandbox was made: idle from now. */
void pool_slot_ready(struct pool *p, struct pool_slot *s, uint64_t now_ns);
/* A queued request starts on s (idle or frozen). */
void pool_slot_start(struct pool *p, struct pool_slot *s, uint64_t now_ns);
/* The invocation on s ended: idle from now (the caller may release it). */
void pool_slot_finish(struct pool *p, struct pool_slot *s, uint64_t now_ns);
/* The job on s never ran (its sandbox ended first): s is idle (the caller
 * releases it) and the job waits at the head of the queue again, counted
 * as waiting in the model; -1 when the queue is full. */
int pool_slot_unstart(struct pool *p, struct pool_slot *s, void *job, uint64_t now_ns);
/* Frozen or thawed; the idle-since time is kept, keep-alive counts from it. */
void pool_slot_freeze(struct pool *p, struct pool_slot *s, bool frozen);

size_t pool_count(const struct pool *p, enum pool_state state);
/* The slot to serve the next request: the most recently used idle one (so
 * the others age towards release), else a frozen one; NULL when none. */
struct pool_slot *pool_ready_slot(const struct pool *p);
/* The next creating slot to materialise (no sandbox spawned or asked for
 * yet), or NULL. */
struct pool_slot *pool_creating_slot(const struct pool *p);
/* The slot whose model sandbox is model_id, or NULL. */
struct pool_slot *pool_slot_by_model(const struct pool *p, uint64_t model_id);
/* The model's record of s (NULL only if the two drifted: a bug).  Like
 * strchr, a const pool gives a writable record: the tick pushes into it. */
struct model_sandbox *pool_slot_model(const struct pool *p, const struct pool_slot *s);

/* FIFO of waiting jobs: -1 when full.  An enqueued job is an arrival in the
 * model (A rises, the idle time is recorded) at arrival_ns. */
int pool_enqueue(struct pool *p, void *job, uint64_t arrival_ns);
/* Put a job back at the head (its sandbox failed before running it). */
int pool_requeue_front(struct pool *p, void *job);
void *pool_dequeue(struct pool *p);
/* A dequeued job will not run (answered with an error): A falls. */
void pool_abandon(struct pool *p);

#endif
