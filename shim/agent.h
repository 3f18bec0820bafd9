/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent.h -- the in-sandbox agent (pid 1 of a sandbox): its entry for
 * rt_sandbox_spawn, its two modes, and the helpers both modes use
 * (agent_io.c, agent_proc.c). */
#ifndef SLX_SHIM_AGENT_H
#define SLX_SHIM_AGENT_H

#include <sys/types.h>

#include "agent_proto.h"
#include "function.h"

/* What rt_sandbox_spawn hands to the agent (the child is a copy of the
 * shim's memory, so fn stays valid). */
struct shim_agent_args {
	const struct shim_function *fn;
	int sock; /* the agent's end of the socketpair (kept via keep_fds) */
};

/* rt_entry_fn: serve the shim until it goes away or the function dies. */
int shim_agent_main(void *arg);

/* The modes' loops; sigfd is the agent's SIGCHLD signalfd. */
int agent_exec_main(const struct shim_function *fn, int sock, int sigfd);
int agent_rapi_main(const struct shim_function *fn, int sock, int sigfd);

/* Frames the agent sends (agent_io.c). */
int agent_send_result(int sock, unsigned outcome, const char *error_type, const char *body,
		      size_t len);
int agent_send_init_error(int sock, const char *type, const char *msg);
/* The call's log tail (AGENT_LOG), before its RESULT. */
int agent_send_log(int sock, const char *log, size_t len);

/* pipe2(fds, O_CLOEXEC), the pipe charged to the function's user (under
 * floor->on): the kernel charges a pipe's pages (fs.pipe-user-pages-*) to
 * the real user who made it, also when an end's holder grows it, and made
 * by the agent -- root inside, one host id in every sandbox -- a function's
 * stdio took from every other sandbox's. */
int agent_pipe(int fds[2], const struct shim_floor *floor);
/* vfork-speed spawn (clone CLONE_VM|CLONE_VFORK) of path with fds[0..2] as
 * stdio, default signal dispositions and an empty mask (the agent blocks
 * SIGCHLD for its signalfd); under floor->on as the function's user and
 * groups with the bundle's own seccomp filter, else as the agent is. */
int agent_spawn(const char *path, char *const argv[], char *const envp[], const int fds[3],
		const struct shim_floor *floor, pid_t *pid);
/* Exec mode, after an invocation: SIGKILL every other process of the
 * sandbox (kill -1 from its pid 1) and reap them all, so nothing an
 * invocation started outlives it.  Only as pid 1 of a pid namespace. */
void agent_clear_sandbox(void);
/* Reap every exited child (we are pid 1); returns the status of `watch`
 * through *status and 1 when it was among them. */
int agent_reap(int sigfd, pid_t watch, int *status);

#endif
