/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_list.c -- `slxrun list [--format table|json] [--quiet]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_row(const struct oci_state *st, bool json, bool first)
{
	char *text = NULL;
	size_t len = 0;
	struct slx_err err;

	if (json) {
		if (oci_state_to_json(st, false, &text, &len, &err) == 0)
			printf("%s%.*s", first ? "" : ",", (int)len, text);
		free(text);
		return;
	}
	printf("%-24s %-8d %-10s %-40s %-32s %s\n", st->id, st->pid, oci_status_name(st->status),
	       st->bundle, st->created, st->owner && *st->owner ? st->owner : "root");
}

int cmd_list(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	const char *format = "table";
	bool quiet = false, first = true, json;
	char **ids = NULL;
	size_t n = 0;
	int idx = 0;
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_STR, &format},
	    {"quiet", 'q', CLI_BOOL, &quiet},
	};

	if (cli_parse("list", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("list", argc, idx, 0, "[--format table|json]", err) < 0)
		return -1;
	json = !strcmp(format, "json");
	if (!json && strcmp(format, "table"))
		return slx_error(err, 0, "list: --format: unknown format %s (table or json)",
				 format);
	if (rt_list(ctx, &ids, &n, err) < 0)
		return -1;
	if (json)
		printf("[");
	else if (!quiet)
		printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct oci_state *st = NULL;
		struct slx_err why;

		/* One whose state cannot be read is said so, as runc does: left
		 * out silently, its running processes were no one's to see (an
		 * attacker's review).  Not one created or deleted meanwhile. */
		if (rt_state(ctx, ids[i], &st, &why) < 0) {
			if (why.errnum != ENOENT && !rt_state_being_created(ctx, ids[i]))
				rt_log("warning", "list: %s: %s", ids[i], why.msg);
			continue;
		}
		if (st->status == OCI_STATUS_STOPPED)
			st->pid = 0;
		if (quiet && !json)
			printf("%s\n", st->id);
		else
			print_row(st, json, first);
		first = false;
		oci_state_free(st);
	}
	if (json)
		printf("]\n");
	rt_strv_free(ids, n);
	return 0;
}
