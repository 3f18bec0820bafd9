/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pool.h -- the warm pool of one function: sandbox slots and their states
 * (creating -> idle -> busy -> idle ... -> frozen -> destroyed), the FIFO of
 * waiting requests, and pool_decide, the pure rule that says what to create,
 * freeze and release. */
#ifndef SLX_SHIM_POOL_H
#define SLX_SHIM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "feed.h"
#include "sandbox.h"

enum pool_state {
	POOL_CREATING, /* reserved; the sandbox is made between loop turns */
	POOL_IDLE,
	POOL_BUSY,
	POOL_FROZEN,
	POOL_N_STATES,
};
const char *pool_state_name(enum pool_state s);

struct pool_config {
	unsigned min_warm;	  /* kept created, never released */
	unsigned max;		  /* live sandboxes, creating included */
	uint64_t keep_alive_ns;	  /* idle this long: released */
	uint64_t freeze_after_ns; /* idle this long: frozen */
	size_t queue_max;
};

struct pool_slot {
	char id[96];
	enum pool_state state;
	uint64_t since_ns;   /* entered `state` */
	uint64_t created_ns; /* the sandbox became ready (0 while creating) */
	uint64_t invocations;
	struct shim_sandbox *sb;
	void *job; /* the invocation in flight while busy */
	uint64_t deadline_ns;
	struct feed_series series;
};

/* ---- the decision, pure ---------------------------------------------- */

struct pool_snap_slot {
	enum pool_state state;
	uint64_t since_ns;
};

struct pool_snapshot {
	const struct pool_snap_slot *slots;
	size_t n;
	size_t queued;
};

enum pool_action_kind { POOL_ACT_CREATE, POOL_ACT_FREEZE, POOL_ACT_RELEASE };

struct pool_action {
	enum pool_action_kind kind;
	size_t slot; /* index into the snapshot; unused for create */
};

/* The fixed rule: create for every queued request no sandbox will serve and
 * up to min_warm, within max; freeze after freeze_after idle; release after
 * keep_alive idle while more than min_warm are live.  Writes at most n_max
 * actions; returns how many.  No I/O: the replay calls it too. */
size_t pool_decide(const struct pool_snapshot *s, const struct pool_config *cfg, uint64_t now_ns,
		   struct pool_action *out, size_t n_max);

/* ---- the pool's state ---------------------------------------------------- */

struct pool {
	struct pool_config cfg;
	char id_prefix[64];
	uint64_t next_seq;
	struct pool_slot **slots;
	size_t n;
	void **queue; /* ring of waiting jobs */
	size_t q_head, q_len;
	uint64_t created, released;
};

/* The prefix makes sandbox ids unique across shims: <name>-<pid>. */
int pool_init(struct pool *p, const struct pool_config *cfg, const char *id_prefix,
	      struct slx_err *err);
/* Frees the slots (their sandboxes must be destroyed already). */
void pool_fini(struct pool *p);

/* A new slot in POOL_CREATING with a fresh id; NULL when at max. */
struct pool_slot *pool_slot_add(struct pool *p, uint64_t now_ns);
/* Drop a slot from the pool and free it. */
void pool_slot_remove(struct pool *p, struct pool_slot *s);
void pool_slot_set(struct pool_slot *s, enum pool_state state, uint64_t now_ns);
size_t pool_count(const struct pool *p, enum pool_state state);
/* The slot to serve the next request: the most recently used idle one (so
 * the others age towards release), else a frozen one; NULL when none. */
struct pool_slot *pool_ready_slot(const struct pool *p);
/* The next creating slot to materialise, or NULL. */
struct pool_slot *pool_creating_slot(const struct pool *p);

/* FIFO of waiting jobs: -1 when full. */
int pool_enqueue(struct pool *p, void *job);
/* Put a job back at the head (its sandbox failed before running it). */
int pool_requeue_front(struct pool *p, void *job);
void *pool_dequeue(struct pool *p);

/* Fill snap (p->n entries) for pool_decide. */
void pool_snapshot_fill(const struct pool *p, struct pool_snap_slot *slots,
			struct pool_snapshot *snap);

#endif
