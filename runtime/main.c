/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c -- slxrun's entry: global flags, the verb table, and the one place
 * an error is printed (stderr, and the log as runc's error line). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "../shim/shim.h"

static const struct {
	const char *name;
	cli_verb_fn fn;
	const char *help;
} verbs[] = {
	{ "create", cmd_create, "create a container, its process waiting before exec" },
	{ "start", cmd_start, "start the process of a created container" },
	{ "run", cmd_run, "create and start a container, wait for it" },
	{ "state", cmd_state, "print the state of a container" },
	{ "kill", cmd_kill, "send a signal to the container's process" },
	{ "delete", cmd_delete, "delete a container and what it holds" },
	{ "list", cmd_list, "list containers" },
	{ "spec", cmd_spec, "write a default config.json" },
	{ "invoke", cmd_invoke, "invoke a function bundle once (cold) or through its shim" },
	{ "shim", cmd_shim, "serve a function over HTTP with a warm pool (shim serve)" },
	{ "features", cmd_features, "print the runtime's features as JSON" },
	{ "exec", cmd_exec, "run a further process in a running container" },
	{ "ps", cmd_ps, "list the container's processes" },
	{ "pause", cmd_pause, "freeze every process of the container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "update", cmd_update, "change a running container's resource limits" },
	{ "events", cmd_events, "print stats and OOM events of a container" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: slxrun [global flags] COMMAND [flags] [args]\n\n"
		     "global flags: --root DIR  --log FILE  --log-format text|json  "
		     "--debug  --systemd-cgroup  --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char **argv)
{
	struct rt_ctx ctx = { .root = RT_DEFAULT_ROOT };
	const char *log_path = NULL, *log_format = "text", *rootless = NULL,
		   *criu = NULL;
	bool version = false, help = false;
	struct slx_err err = { 0 };
	int idx = 1, r = -1;
	const struct cli_flag flags[] = {
		{ "root", 0, CLI_STR, &ctx.root },
		{ "log", 0, CLI_STR, &log_path },
		{ "log-format", 0, CLI_STR, &log_format },
		{ "debug", 0, CLI_BOOL, &ctx.debug },
		{ "systemd-cgroup", 0, CLI_BOOL, &ctx.systemd_cgroup },
		{ "rootless", 0, CLI_STR, &rootless },
		{ "criu", 0, CLI_STR, &criu },
		{ "version", 'v', CLI_BOOL, &version },
		{ "help", 'h', CLI_BOOL, &help },
	};

	if (cli_parse("slxrun", argc, argv, &idx, CLI_FLAGS(flags), &err) < 0)
		goto fail;
	rt_log_open(log_path, !strcmp(log_format, "json"), ctx.debug);
	if (version) {
		printf("slxrun version %s\nspec: %s\n", SLX_VERSION, OCI_VERSION);
		return 0;
	}
	if (help || idx >= argc) {
		usage(help ? stdout : stderr);
		return help ? 0 : 1;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[idx], verbs[i].name))
			continue;
		r = verbs[i].fn(&ctx, argc - idx - 1, argv + idx + 1, &err);
		fflush(stdout);
		if (r >= 0)
			return r;
		goto fail;
	}
	slx_error(&err, 0, "unknown command %s (see slxrun --help)", argv[idx]);
fail:
	fprintf(stderr, "slxrun: %s\n", err.msg);
	rt_log("error", "%s", err.msg);
	return 1;
}
