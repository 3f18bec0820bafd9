/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_state.c -- `slxrun state ID`: the OCI state as JSON on stdout. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_state(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct oci_state *st = NULL;
	char *json = NULL;
	size_t len;
	int idx = 0, r;

	if (cli_parse("state", argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args("state", argc, idx, 1, "ID", err) < 0)
		return -1;
	if (rt_state(ctx, argv[idx], &st, err) < 0)
		return cli_fail_on(ctx, argv[idx], err);
	if (st->status == OCI_STATUS_STOPPED)
		st->pid = 0;
	r = oci_state_to_json(st, false, &json, &len, err);
	if (r == 0)
		printf("%.*s%s", (int)len, json, len && json[len - 1] == '\n' ? "" : "\n");
	free(json);
	oci_state_free(st);
	return r;
}
