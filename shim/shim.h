/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim.h -- the shim library's public surface: serve, invoke, replay, each
 * from an options struct (cli/ holds the verbs that fill them). */
#ifndef SLX_SHIM_H
#define SLX_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "floor.h"

/* ---- the library ---------------------------------------------------------- */

#define SHIM_SERVE_MAX_LISTEN 8

/* The operator's settings for a function, overriding its bundle's
 * annotations or its image's labels (org.slxrun.function.mode, .timeout,
 * .memory); NULL keeps the function's own.  Checked as the annotations are,
 * errors naming the flag. */
struct shim_settings {
	const char *mode, *timeout, *memory;
};

/* `shim serve`: functions behind an HTTP front, a warm pool each, on one
 * node: one model, one policy, one memory budget for all of them. */
#define SHIM_SERVE_MAX_FUNCTIONS 1024
struct shim_serve_opts {
	const char *root; /* the state root: registry socket, orphan records */
	/* "BUNDLE|IMAGE-REF" or "NAME=BUNDLE|IMAGE-REF"; NAME routes
	 * /2015-03-31/functions/NAME/invocations (default: the bundle's
	 * directory name), and with one function any name reaches it. */
	const char *functions[SHIM_SERVE_MAX_FUNCTIONS];
	size_t n_functions;
	/* --node-memory: every sandbox under one parent cgroup with this
	 * memory.max, the policy's budget; 0: the host's available memory. */
	uint64_t node_memory;
	const char *listen[SHIM_SERVE_MAX_LISTEN]; /* "unix:PATH", "tcp:HOST:PORT" */
	size_t n_listen;
	const char *policy; /* policy_parse's text: "delta", "fixed:600", ... */
	unsigned min_warm, max, tick_ms, time_scale;
	struct shim_floor_opts floor;  /* --unsafe-sandbox, --sandbox-ids */
	struct shim_settings settings; /* --mode, --timeout, --memory */
	/* Who may invoke: a file holding the bearer token every request must
	 * carry; no_auth lets a TCP listener serve without one (development);
	 * public_metrics opens /metrics and /status to anyone who connects. */
	const char *auth_token_file;
	bool no_auth, public_metrics;
	/* The HTTP front's limits; 0 takes http.h's default. */
	unsigned max_conns, per_client, header_timeout_s, body_timeout_s, body_budget_mb;
	/* --event-spool: a directory where accepted Events are kept until they
	 * ran, so that a shim started after one that stopped or died runs them
	 * (spool.c); NULL: in memory only. */
	const char *event_spool;
	unsigned event_spool_mb; /* bodies waiting there only, at most; 0: the default */
};
/* Serve until SIGTERM/SIGINT and the drain after it; 0 on a clean stop. */
int shim_serve(const struct shim_serve_opts *o, struct slx_err *err);

/* One invocation from outside: through the shim serving bundle under root
 * when there is one, else a cold one-shot sandbox.  The answer goes to
 * stdout, a function's error to stderr; timings prints the cold start's
 * stages on stderr.  0 ok, 1 the function failed, -1 err. */
struct shim_invoke_opts {
	const char *root;
	const char *bundle;
	const char *data; /* the event; NULL: read it from stdin */
	bool timings;
	struct shim_floor_opts floor;  /* for a cold one-shot */
	struct shim_settings settings; /* for a cold one-shot */
};
int shim_invoke(const struct shim_invoke_opts *o, struct slx_err *err);

/* `shim replay`: the trace files replayed through each policy (a default set
 * when none is named), printed as a table or CSV; plot, when set, is the PNG
 * of cold-start % against idle memory-time with fixed keep-alives drawn as
 * the reference curve (needs gnuplot). */
struct shim_replay_opts {
	const char *const *traces, *const *durations, *const *memory, *const *policies;
	size_t n_traces, n_durations, n_memory, n_policies;
	unsigned cold_ms, time_scale;
	bool csv;
	const char *plot;
	/* --node-memory SIZE[,SIZE...]: replay the whole trace on one node of
	 * each capacity (bytes) instead of app by app; the plot is then
	 * cold-start % against capacity, one line per policy. */
	const uint64_t *node_mem;
	size_t n_node_mem;
	/* --sweep: also replay fixed:S and delta:W over their parameters (at
	 * every capacity) and compare them as curves: each point against the
	 * other policy's frontier at its idle memory-time. */
	bool sweep;
	/* --nodes K --placement hash|least|warm: each capacity split over K
	 * simulated nodes behind the placement (replay.h). */
	unsigned nodes;
	const char *placement;
	/* --within-minute even|random: where in its minute a call comes
	 * (replay.h's replay_within) */
	const char *within;
	/* --jobs N: threads replaying apps app by app (0: one per online
	 * core); the results are the same for any N.  A node's replay has one
	 * clock for all apps and runs on one. */
	unsigned jobs;
};
int shim_replay(const struct shim_replay_opts *o, struct slx_err *err);

#endif
