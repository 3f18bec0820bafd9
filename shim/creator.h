/* SPDX-License-Identifier: GPL-2.0-or-later */
/* creator.h -- sandboxes made off the shim's loop: a helper process, forked
 * before the shim serves, spawns each sandbox it is asked for and hands it
 * back (pid, pidfd, cgroup, the agent's socket) over a socket the loop polls.
 * The agent is born the shim's child (CLONE_PARENT), as if the shim had made
 * it: reaping, PR_SET_PDEATHSIG and teardown stay the shim's. */
#ifndef SLX_SHIM_CREATOR_H
#define SLX_SHIM_CREATOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../common/err.h"
#include "function.h"
#include "function_sandbox.h"

struct shim_creator {
	pid_t pid;	  /* the helper; -1: none */
	int fd;		  /* the shim's end: requests out, sandboxes in (non-blocking) */
	unsigned pending; /* asked for, not yet handed back */
	/* Its life, for the shim's restarts: when it started, when one in its
	 * place may be (once it is gone), and how many in a row died young. */
	uint64_t started_ns, restart_ns;
	unsigned young_deaths;
};

/* Fork the helper for the functions fns[0..n) (it keeps its own copy);
 * with files, the soft open files limit it and its sandboxes start with
 * (never above the hard one, which it keeps). */
int shim_creator_start(struct shim_creator *c, const struct shim_function *const *fns, size_t n,
		       const struct rlimit *files, struct slx_err *err);
/* Ask for sandbox id of function fi: 1 asked, 0 the socket is full (ask
 * again later), -1 the helper is gone. */
int shim_creator_request(struct shim_creator *c, size_t fi, const char *id, struct slx_err *err);
/* One answer, without waiting: 1 with *fi, id and *sb filled (*sb NULL and
 * err set when the spawn failed), 0 none ready, -1 the helper is gone. */
int shim_creator_receive(struct shim_creator *c, const struct shim_function *const *fns, size_t n,
			 size_t *fi, char *id, size_t id_len, struct shim_sandbox **sb,
			 struct slx_err *err);
/* Close the socket, wait for the helper to exit: its wait status, or -1
 * when there was none to wait for.  Safe twice. */
int shim_creator_stop(struct shim_creator *c);

#endif
