/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c -- slxrun's entry: global flags, the verb table, and the one place
 * an error is printed (stderr, and the log as runc's error line). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../shim/shim.h"

/* spawns: the verb starts processes inside containers, so it must run from
 * a sealed view of the binary (rt_exe_seal). */
static const struct {
	const char *name;
	cli_verb_fn fn;
	bool spawns;
	const char *help;
} verbs[] = {
    {"create", cmd_create, true, "create a container, its process waiting before exec"},
    {"start", cmd_start, false, "start the process of a created container"},
    {"run", cmd_run, true, "create and start a container, wait for it"},
    {"state", cmd_state, false, "print the state of a container"},
    {"kill", cmd_kill, false, "send a signal to the container's process"},
    {"delete", cmd_delete, false, "delete a container and what it holds"},
    {"list", cmd_list, false, "list containers"},
    {"spec", cmd_spec, false, "write a default config.json"},
    {"invoke", cmd_invoke, true,
     "invoke a function bundle or image once (cold) or through its shim"},
    {"shim", cmd_shim, true, "serve a function over HTTP with a warm pool (shim serve)"},
    {"features", cmd_features, false, "print the runtime's features as JSON"},
    {"exec", cmd_exec, true, "run a further process in a running container"},
    {"ps", cmd_ps, false, "list the container's processes"},
    {"pause", cmd_pause, false, "freeze every process of the container"},
    {"resume", cmd_resume, false, "thaw a paused container"},
    {"update", cmd_update, false, "change a running container's resource limits"},
    {"events", cmd_events, false, "print stats and OOM events of a container"},
    {"image", cmd_image, false, "pull, list, inspect, remove and prune images in the store"},
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
	struct rt_ctx ctx = {.root = RT_DEFAULT_ROOT};
	const char *log_path = NULL, *log_format = "text", *rootless = NULL, *criu = NULL;
	bool version = false, help = false;
	struct slx_err err = {0};
	int idx = 1, r = -1;
	const struct cli_flag flags[] = {
	    {"root", 0, CLI_STR, &ctx.root},
	    {"log", 0, CLI_STR, &log_path},
	    {"log-format", 0, CLI_STR, &log_format},
	    {"debug", 0, CLI_BOOL, &ctx.debug},
	    {"systemd-cgroup", 0, CLI_BOOL, &ctx.systemd_cgroup},
	    {"rootless", 0, CLI_STR, &rootless},
	    {"criu", 0, CLI_STR, &criu},
	    {"version", 'v', CLI_BOOL, &version},
	    {"help", 'h', CLI_BOOL, &help},
	};

	rt_caller_fds_note(); /* before anything is opened: --preserve-fds */
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
		if (verbs[i].spawns && rt_exe_seal(argv, &err) < 0)
			goto fail;
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
