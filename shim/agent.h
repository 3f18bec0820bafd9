/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent.h -- the in-sandbox agent (pid 1 of a sandbox): its entry for
 * rt_sandbox_spawn, and the helpers its exec and runtime-api modes share. */
#ifndef SLX_SHIM_AGENT_H
#define SLX_SHIM_AGENT_H

#include <stddef.h>
#include <stdint.h>
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

/* A growable byte buffer; every add keeps p NUL-terminated. */
struct agent_buf {
	char *p;
	size_t len, cap;
};
int agent_buf_add(struct agent_buf *b, const void *s, size_t n);
int agent_buf_addf(struct agent_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string (quotes included). */
int agent_buf_json_str(struct agent_buf *b, const char *s, size_t n);
void agent_buf_release(struct agent_buf *b);
/* {"errorMessage":<msg>,"errorType":<type>} into b (reset first). */
int agent_error_json(struct agent_buf *b, const char *type, const char *msg,
		     size_t msg_len);

/* "exit status N" or "signal: segmentation fault", as Lambda words it. */
void agent_exit_text(int status, char *buf, size_t len);

/* Frames the agent sends. */
int agent_send_result(int sock, unsigned outcome, const char *error_type,
		      const char *body, size_t len);
int agent_send_init_error(int sock, const char *type, const char *msg);

/* posix_spawn (vfork speed) of path with fds[0..2] as stdio, default signal
 * dispositions and an empty mask (the agent blocks SIGCHLD for its signalfd). */
int agent_spawn(const char *path, char *const argv[], char *const envp[],
		const int fds[3], pid_t *pid);
/* Reap every exited child (we are pid 1); returns the status of `watch`
 * through *status and 1 when it was among them. */
int agent_reap(int sigfd, pid_t watch, int *status);

/* The runtime-api mode's loop (agent_runtime_api.c). */
int agent_rapi_main(const struct shim_function *fn, int sock, int sigfd);

#endif
