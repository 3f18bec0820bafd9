/* SPDX-License-Identifier: GPL-2.0-or-later */
/* serve.h -- what the files of `shim serve` share (serve.c, serve_setup.c,
 * handlers.c, jobs.c, slots.c, tick.c, actions.c): the server's state and
 * each file's entry points.  Not part of the library's public surface. */
#ifndef SLX_SHIM_SERVE_H
#define SLX_SHIM_SERVE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "../cgroups/cgroups.h"
#include "creator.h"
#include "function.h"
#include "function_sandbox.h"
#include "http.h"
#include "metrics.h"
#include "orphans.h"
#include "policy.h"
#include "pool.h"
#include "shim.h"

#define SERVE_QUEUE_MAX 1024
/* The live shim freezes an idle, quiet sandbox after 1 s (the policy's own
 * default is 10 s): frozen, it is off the scheduler at no cost to a thaw. */
#define SERVE_FREEZE_AFTER_NS 1000000000ull
/* A new sandbox's size in the model when the bundle sets no memory limit:
 * the replay's default, so live and replayed decisions weigh it alike. */
#define SERVE_DEFAULT_MEM (128ull << 20)
/* A sandbox that fails before running a request gets it retried elsewhere
 * this many times in all. */
#define SERVE_MAX_ATTEMPTS 3
/* Sandbox creators (creator.c): two, so a burst of creation uses both
 * cores of a small host (one spawn waits on its child's set-up stages). */
#define SERVE_CREATORS 2
#define NS_PER_S       1000000000ull
#define NS_PER_MS      1000000ull

/* Lambda runs an Event up to this many times in all (two retries), and
 * keeps one at most 6 hours (both over --time-scale). */
#define SERVE_EVENT_RUNS   3
#define SERVE_EVENT_AGE_NS (6 * 3600 * NS_PER_S)
/* A function's Events (queued, running, waiting to run again) take at most
 * half its queue: the rest is its synchronous callers'. */
#define SERVE_EVENTS_MAX (SERVE_QUEUE_MAX / 2)
/* With --event-spool, the Events past that wait in the spool only (their
 * bodies on disk, 44 bytes each here), up to this many a function and its
 * share of --event-spool-mb (default 1 GiB) of bodies. */
#define SERVE_EVENTS_SPOOLED_MAX 65536u
#define SERVE_EVENT_SPOOL_MB	 1024u

/* One waiting or running invocation.  An Event's caller was answered when
 * it was queued: call is NULL, and the job holds its event (async.c). */
struct job {
	struct http_call *call;
	uint64_t arrival_ns;
	unsigned attempts;
	bool cold; /* served by a sandbox made while it waited, as its first call */
	bool tail; /* X-Amz-Log-Type: Tail (a RequestResponse call) */
	char request_id[37];
	struct slx_buf event;
	struct serve_fn *owner; /* an Event's function, whose event bytes it holds */
	unsigned runs;		/* an Event's runs so far */
	uint64_t first_ns;	/* an Event's arrival (arrival_ns is its run's), or its
				 * restore from the spool, */
	uint64_t age_ns;	/* and how old it was then (by the wall clock, spool.c) */
	uint64_t due_ns;	/* an Event waiting to run again: when */
	struct job *next;	/* in its function's list of those */
};

/* The node: with --node-memory every sandbox's cgroup is a child of one
 * parent whose memory.max is the budget, and R(t) is that parent's. */
struct serve_node {
	uint64_t budget; /* bytes; 0: the host's available memory is the budget */
	struct cg_handle cg;
	bool have_cg;
	char *rel;	  /* the parent's path under the unified root */
	struct model_r r; /* R(t): the parent's counters at the last tick */
};

/* One function on the node: its bundle, pool, counters and the registry
 * socket `slxrun invoke BUNDLE` finds it by. */
struct serve_fn {
	struct serve *serve; /* the node it is one function of */
	struct shim_function *fn;
	struct pool pool;
	struct metrics m;
	struct metrics_totals totals;
	char registry[PATH_MAX];  /* "" when an earlier function has the bundle's */
	char key[32];		  /* the registry socket's name less ".sock": `invoke`
				   * names the function by it */
	uint64_t create_retry_ns; /* min-warm creation waits after a failure */
	size_t event_bytes;	  /* held by its Events, queued, running or waiting */
	unsigned events;	  /* and how many they are (SERVE_EVENTS_MAX) */
	struct job *retries;	  /* Events waiting to run again, in due order */
	int spool;		  /* its directory in the Event spool, when there is one */
	/* Events in the spool only, by request id, first in first out: ring
	 * slots [spooled_head, +m.events_spooled) mod spooled_cap */
	struct serve_spooled {
		char id[37];
		uint32_t len; /* its body's */
	} * spooled;
	size_t spooled_head, spooled_cap;
	size_t spooled_bytes;	/* their files (spool_cost), within the serve's spool_share */
	bool unspool;		/* an Event went: try to hold the next of them */
	uint64_t unspool_at_ns; /* or then: the head could not be read or held */
};

struct serve {
	/* The functions, one pool each, sharing one model: its budget is the
	 * node's, policy_decide sees every function's sandboxes at once. */
	struct serve_fn *fns;
	size_t n_fns;
	struct model model;
	struct shim_serve_opts opts;
	struct policy_config policy;
	struct policy_action *acts; /* room for policy_actions_max */
	size_t acts_cap;
	uint64_t wake_ns; /* the policy's next wake-up; UINT64_MAX: none */
	uint64_t tick_ns, next_tick_ns, armed_ns;
	uint64_t evictions; /* releases that made room for another allocation */
	struct serve_node node;
	const struct shim_function **fnv; /* fns[i].fn, for the creators */
	struct http_front *http;
	/* make the sandboxes of every function, off the loop; each is its own
	 * epoll tag */
	struct shim_creator creators[SERVE_CREATORS];
	char *token; /* the bearer token, or NULL */
	struct shim_orphans rec;
	int epfd, sigfd, tickfd;
	bool stopping;
	uint64_t drain_deadline_ns;
	size_t event_share;	    /* bytes of Events each function may hold: its body share */
	int spool_fd;		    /* --event-spool, held and locked; -1: none */
	size_t spool_share;	    /* bytes of Events in the spool only each function may have */
	bool made_root, made_shims; /* removed again when setup fails */
	bool kick;		    /* a request was queued late in a turn: turn again at once */
	/* Sandboxes torn down whose processes have not all gone yet: each
	 * pidfd in epoll (one shot) under tag_dying, tried again every tick;
	 * their orphan records stay until they are gone. */
	struct serve_dying {
		struct shim_sandbox *sb;
		uint64_t mem_bytes; /* what it reserves on a node until gone */
		char id[96];
	} * dying;
	size_t n_dying, cap_dying;
	/* Sandboxes a creator died making (lost.c): each one's cgroup, known
	 * by its id, until it is gone; and whether children of the shim that
	 * no creator answered for may be left to reap. */
	struct serve_lost {
		size_t fi;
		char id[96];
	} * lost;
	size_t n_lost, cap_lost;
	bool orphans;
	struct rlimit files; /* the open files limit the shim started with */
	/* epoll tags for the fixed sources; any other data.ptr is a pool_slot */
	char tag_http, tag_signal, tag_tick, tag_dying;
};

/* The function a slot belongs to. */
static inline struct serve_fn *serve_fn_of(struct serve *s, const struct pool_slot *slot)
{
	return &s->fns[slot->fi];
}

/* The longest timeout of the node's functions (the drain waits for it). */
uint32_t serve_max_timeout_s(const struct serve *s);

/* jobs.c: answer j (an error body of type/msg, or a finished invocation's
 * result) and free it. */
void job_answer_error(struct job *j, unsigned status, const char *type, const char *msg);
void job_answer_init_error(struct serve_fn *f, struct job *j, const struct shim_sandbox *sb,
			   const char *why);
void job_answer_result(struct serve_fn *f, struct pool_slot *slot, struct job *j,
		       const struct shim_result *res);

/* async.c: Lambda's Event invocations. */
/* Take j's event (kept in the spool first, when there is one) and answer
 * its caller 202: 0; -1 the function holds as many Events as it may (j is
 * untouched, for a 429); -2 the spool could not keep it (err says why). */
int serve_event_accept(struct serve *s, struct serve_fn *f, struct job *j, struct slx_err *err);
/* An Event ran: counted, then waits to run again after an error, a
 * timeout or a crash, a minute then two (over --time-scale), or goes. */
void serve_event_finished(struct serve_fn *f, struct job *j, const struct shim_result *res);
/* j, an Event, failed before it ran (its sandbox could not be made, or
 * failed it, or the shim is stopping): it runs again as after an error,
 * or is dropped (logged, counted, freed). */
void serve_event_failed(struct job *j, const char *why);
/* j, an Event, starts a run (running), or goes back to wait having not
 * reached its function: the spool counts the run from its start (a shim
 * killed during it must not give it a run more), and not once it went back. */
void serve_event_running(struct serve_fn *f, const struct job *j, bool running);
/* Queue the Events due by now, as the queue has room for them; the ms
 * until the next one is due (t when that is later, or there is none, or
 * only ones waiting for room, which a dispatch makes). */
void serve_events_due(struct serve *s, uint64_t now);
int serve_events_timeout_ms(const struct serve *s, uint64_t now, int t);
/* The shim stops: every Event waiting to run again is dropped (with a
 * spool, kept there for the next shim). */
void serve_events_drop_waiting(struct serve *s);
/* The Events the spool holds, each waiting to run (at start). */
void serve_events_restore(struct serve *s);

/* slots.c */
void serve_slot_release(struct serve *s, struct pool_slot *slot);
/* Ask the creator for every reserved sandbox not yet asked for. */
void serve_create_reserved(struct serve *s);
/* A creator's socket is readable: sandboxes made (or not). */
void serve_on_created(struct serve *s, struct shim_creator *c);
/* The creator tag names, or NULL. */
struct shim_creator *serve_creator_of(struct serve *s, void *tag);
/* Wait (bounded) for what the creator still makes, so nothing it hands
 * over after the shim stops is left behind. */
void serve_creator_drain(struct serve *s);
/* A creating slot's fd is readable: its READY, init error or death. */
void serve_slot_on_ready_event(struct serve *s, struct pool_slot *slot);
/* Creating slots past the function's timeout fail. */
void serve_check_creating(struct serve *s, uint64_t now);
void serve_reap_dead(struct serve *s);
/* Finish what teardowns can (a pidfd turned readable, or a tick); with
 * wait, all of them, waiting (the shim is stopping). */
void serve_reap_dying(struct serve *s, bool wait);
/* What the sandboxes weigh in the budget, and of it (on a node) the dying
 * ones'. */
void serve_node_reserved(struct serve *s, uint64_t *used, uint64_t *leaving);

/* lost.c */
/* slot was being made by a creator that died: its cgroup is swept (and
 * its orphan record kept until then), and the shim's children scanned. */
void serve_lost_add(struct serve *s, const struct pool_slot *slot);
/* Remove what dead creators left that can be: on SIGCHLD, each tick, and
 * when a creator's last pending sandbox comes back. */
void serve_lost_sweep(struct serve *s);

/* serve_setup.c: creator c is gone (its sandboxes handled): one is
 * started in its place at once, or, when creators there keep dying young
 * (a fork that fails, a death at start), after a delay doubling from 0.1 s
 * to 30 s, so that a creator that cannot live is no fork storm. */
void serve_creator_died(struct serve *s, struct shim_creator *c, uint64_t now);
/* Start the creators whose time has come (each tick). */
void serve_creators_restart(struct serve *s, uint64_t now);

/* tick.c */
void serve_on_timer(struct serve *s);
void serve_arm_timer(struct serve *s);

/* actions.c */
void serve_apply_decisions(struct serve *s, uint64_t now);

/* handlers.c: the HTTP front's callbacks, with s as their context. */
struct http_ops serve_http_ops(struct serve *s);

/* serve_setup.c: the functions of the command line, loaded, named and
 * checked unique, each with its pool in the node's model. */
int serve_load_functions(struct serve *s, struct slx_err *err);

/* serve_setup.c */
int serve_setup(struct serve *s, const struct http_addr *addrs, struct slx_err *err);
void serve_teardown(struct serve *s);
/* A failed start leaves no state directory it made (rmdir: only if empty). */
void serve_forget_dirs(const struct serve *s);

#endif
