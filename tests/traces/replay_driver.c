/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_driver.c -- a stand-alone `shim replay` for tests/bench/replay.sh
 * while (or where) the slxrun binary lacks the verb: same entry point. */
#include <stdio.h>

#include "../../runtime/runtime.h"
#include "../../shim/replay.h"

int main(int argc, char **argv)
{
	struct rt_ctx ctx = { .root = "/run/slxrun" };
	struct slx_err err = { 0 };
	int rc = shim_replay_main(&ctx, argc, argv, &err);

	if (rc < 0) {
		fprintf(stderr, "slxrun: %s\n", err.msg);
		return 1;
	}
	return rc;
}
