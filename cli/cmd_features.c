/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_features.c -- `slxrun features`: what this runtime supports, as the
 * OCI features JSON on stdout. */
#include <stdio.h>

#include "../common/cleanup.h"
#include "cli.h"

int cmd_features(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	cleanup_free char *json = NULL;
	size_t len;
	int idx = 0;

	(void)ctx;
	if (cli_parse("features", argc, argv, &idx, NULL, 0, err) < 0 ||
	    cli_expect_args("features", argc, idx, 0, "", err) < 0)
		return -1;
	if (oci_features_json(&json, &len, err) < 0)
		return -1;
	printf("%.*s\n", (int)len, json);
	return 0;
}
