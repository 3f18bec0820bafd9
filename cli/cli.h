/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h -- runc-compatible flag parsing (--flag v, --flag=v, -flag v, -f) and
 * the verb table's signature. */
#ifndef SLX_CLI_H
#define SLX_CLI_H

#include <stdbool.h>

#include "../common/err.h"
#include "../runtime/runtime.h"

enum cli_kind { CLI_BOOL, CLI_STR, CLI_INT, CLI_LIST };

/* A repeatable flag's values (-e A=1 -e B=2), in order. */
#define CLI_LIST_MAX 64
struct cli_list {
	const char *v[CLI_LIST_MAX];
	size_t n;
};

/* One flag: where its value goes.  `alias` is an optional one-letter name. */
struct cli_flag {
	const char *name;
	char alias;
	enum cli_kind kind;
	void *dest; /* bool *, const char **, int *, struct cli_list * */
};

/* Parse flags from argv[*idx] on until the first positional argument (or
 * "--").  Unknown flags are an error naming them: "create: unknown flag
 * --foo". */
int cli_parse(const char *verb, int argc, char **argv, int *idx, const struct cli_flag *flags,
	      size_t n_flags, struct slx_err *err);

/* Exactly `want` positionals left, else a usage error. */
/* "2G,4G,512M": at most max sizes, each with an optional K, M, G or T
 * (powers of 1024); the error names verb, flag and the text. */
int cli_parse_sizes(const char *verb, const char *flag, const char *list, uint64_t *out, size_t max,
		    size_t *n, struct slx_err *err);
/* A verb's -1 for container id: an ENOENT "does not exist" becomes "is
 * being created" when id's create is still running (its hooks); -1. */
int cli_fail_on(const struct rt_ctx *ctx, const char *id, struct slx_err *err);
int cli_expect_args(const char *verb, int argc, int idx, int want, const char *usage,
		    struct slx_err *err);

typedef int (*cli_verb_fn)(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err);

#define CLI_FLAGS(arr) (arr), (sizeof(arr) / sizeof((arr)[0]))

/* The verbs (cmd_*.c).  Return the process exit status, or -1 with err set. */
int cmd_create(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_start(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_run(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_state(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_kill(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_delete(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_list(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_spec(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_features(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_pause(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_resume(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_ps(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_update(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_events(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_exec(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_invoke(const struct rt_ctx *, int, char **, struct slx_err *);
/* `shim serve|replay`; replay has no use for the runtime's options. */
int cmd_shim(const struct rt_ctx *, int, char **, struct slx_err *);
int cmd_shim_replay(int argc, char **argv, struct slx_err *err);
int cmd_image(const struct rt_ctx *, int, char **, struct slx_err *);

#endif
