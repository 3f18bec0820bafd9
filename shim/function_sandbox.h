/* SPDX-License-Identifier: GPL-2.0-or-later */
/* function_sandbox.h -- the shim's handle on one sandbox running a function: a container (through
 * the runtime library, in-process) whose pid 1 is slxrun's agent, and the shim's end of the agent's
 * socket.  Non-blocking so one event loop can drive many. */
#ifndef SLX_SHIM_FUNCTION_SANDBOX_H
#define SLX_SHIM_FUNCTION_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../cgroups/cgroups.h"
#include "../common/err.h"
#include "function.h"

struct shim_sandbox;

/* How an invocation ended. */
enum shim_outcome {
	SHIM_OK,
	SHIM_ERROR,	 /* the function reported an error (exit != 0, /error) */
	SHIM_TIMEOUT,	 /* deadline passed; the sandbox was killed */
	SHIM_OOM,	 /* killed by the OOM killer (memory.events oom_kill grew) */
	SHIM_CRASH,	 /* the function or bootstrap died (signal, exit in runtime-api mode) */
	SHIM_INIT_ERROR, /* runtime-api: /init/error, or bootstrap died before /next */
	/* the shim's side failed the call (out of open files, its sandbox's
	 * creator died): never an agent's to report */
	SHIM_SERVICE_ERROR,
};
const char *shim_outcome_name(enum shim_outcome o); /* "ok", "error", ... */

struct shim_result {
	enum shim_outcome outcome;
	char *body; /* the answer, or the error JSON ({"errorMessage","errorType"}) */
	size_t len;
	char *error_type; /* X-Amz-Function-Error / errorType, e.g. "Unhandled"; NULL on ok */
	char *log;	  /* with AGENT_INVOKE_TAIL: what the call logged (its tail), or NULL */
	size_t log_len;
	uint64_t duration_ns;
};
void shim_result_release(struct shim_result *r);

/* Spawn a sandbox; it is ready once its agent says so: exec mode at once,
 * runtime-api once the bootstrap has polled /next (a bootstrap that fails
 * init is an error then).  An event loop that must not wait calls
 * ready_poll on each readability of shim_sandbox_fd(): 1 ready, 0 not yet,
 * -1 failed (err says why), and bounds the wait by the timeout;
 * wait_ready waits, bounded by the function's timeout (0 ready). */
int shim_sandbox_spawn(const struct shim_function *fn, const char *id, struct shim_sandbox **out,
		       struct slx_err *err);
int shim_sandbox_ready_poll(struct shim_sandbox *sb, struct slx_err *err);
int shim_sandbox_wait_ready(struct shim_sandbox *sb, struct slx_err *err);

/* The spawn itself, for a process that makes sandboxes for another
 * (creator.c): the runtime's sandbox, the shim's end of the agent's socket
 * and the descriptor holding its user namespace's owner (-1 without the
 * floor).  clone_parent makes the agent a child of the caller's parent. */
struct rt_sandbox;
int shim_sandbox_spawn_parts(const struct shim_function *fn, const char *id, bool clone_parent,
			     struct rt_sandbox *rt, int *fd, int *owner_fd, struct slx_err *err);
/* A handle on a sandbox spawned so; takes rt, fd and owner_fd (destroyed
 * on error). */
int shim_sandbox_adopt(const struct shim_function *fn, const char *id, struct rt_sandbox *rt,
		       int fd, int owner_fd, struct shim_sandbox **out, struct slx_err *err);

/* The fd to poll for readability while an invocation is in flight. */
int shim_sandbox_fd(const struct shim_sandbox *sb);
const char *shim_sandbox_id(const struct shim_sandbox *sb);
/* The cgroup dir fd, for cg_stats_read each tick. */
int shim_sandbox_cgroup_fd(const struct shim_sandbox *sb);
/* What the sandbox's runtime logged while it started (runtime-api mode),
 * kept for its first call's Tail until dropped, and the answer to the
 * error it reported when it could not start (shim_init_error_answer) and
 * its type; NULL (len 0) when none, or when the report was no such error. */
const char *shim_sandbox_init_log(const struct shim_sandbox *sb, size_t *len);
void shim_sandbox_init_log_drop(struct shim_sandbox *sb);
const char *shim_sandbox_init_error(const struct shim_sandbox *sb, size_t *len, const char **type);

/* Hand an event to the agent (one invocation at a time).  request_id is
 * the Lambda request id; deadline_ms is the epoch-ms deadline.  Never waits:
 * what the socket does not take at once is sent by shim_sandbox_invoke_poll
 * when the fd turns writable (shim_sandbox_wants_write); event is borrowed
 * and must stay valid until the invocation ends.  want_log: the result
 * carries what the call logged (its last AGENT_TAIL_MAX bytes). */
int shim_sandbox_invoke_start(struct shim_sandbox *sb, const char *request_id, const char *event,
			      size_t len, uint64_t deadline_ms, bool want_log, struct slx_err *err);
/* While an event is only partly handed over: poll the fd for writability too. */
bool shim_sandbox_wants_write(const struct shim_sandbox *sb);
/* Call when shim_sandbox_fd() is readable or writable: 2 when the sandbox
 * ended before the event reached the function (nothing ran: the caller may
 * run it elsewhere), 1 and *res filled when the
 * invocation finished, 0 when more is to come, -1 on error.  An agent that
 * died yields SHIM_CRASH (or SHIM_OOM when memory.events says so). */
int shim_sandbox_invoke_poll(struct shim_sandbox *sb, struct shim_result *res, struct slx_err *err);
/* Deadline passed: kill the sandbox's processes (cgroup.kill) and fill the
 * timeout result ("Task timed out after N.00 seconds"). */
void shim_sandbox_timeout(struct shim_sandbox *sb, struct shim_result *res);
/* Blocking convenience: start, poll until done or deadline. */
int shim_sandbox_invoke(struct shim_sandbox *sb, const char *request_id, const char *event,
			size_t len, struct shim_result *res, struct slx_err *err);

int shim_sandbox_freeze(struct shim_sandbox *sb, bool frozen, struct slx_err *err);
/* Whether the agent is still alive and usable. */
bool shim_sandbox_alive(const struct shim_sandbox *sb);
/* Kill, reap, remove the cgroup; frees sb. */
void shim_sandbox_destroy(struct shim_sandbox *sb);
/* Teardown for a loop that must not wait on a sandbox: shim_sandbox_bury
 * kills every process of it and closes the agent's socket, then returns;
 * shim_sandbox_reap, when shim_sandbox_pidfd() turns readable or later,
 * finishes it without waiting: 1 done (sb freed), 0 not yet (a process is
 * still exiting).  A sandbox whose pid 1 cannot finish its exit (a zombie
 * its pid namespace still holds, a process stuck in the kernel) held the
 * shim's loop in waitpid, every request with it. */
void shim_sandbox_bury(struct shim_sandbox *sb);
int shim_sandbox_pidfd(const struct shim_sandbox *sb);
/* Its pid 1, or 0 once reaped. */
pid_t shim_sandbox_pid(const struct shim_sandbox *sb);
int shim_sandbox_reap(struct shim_sandbox *sb);

/* The runtime's spawn timings of this sandbox (prepare, cgroup, clone,
 * ready), for `invoke --timings`. */
struct rt_timings;
const struct rt_timings *shim_sandbox_rt_timings(const struct shim_sandbox *sb);
#endif
