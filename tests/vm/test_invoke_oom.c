/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_invoke_oom.c -- in the pure cgroup v2 VM: a function that allocates
 * past its memory limit is OOM-killed and `invoke` reports it as such
 * (memory.events oom_kill), not as a plain crash. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/lib/harness.h"

Test(invoke_oom, function_past_memory_max_is_reported_as_oom)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"exec tail /dev/zero\"]", NULL,
		    ",\"annotations\":{\"org.slxrun.function.mode\":\"exec\","
		    "\"org.slxrun.function.timeout\":\"20\"}",
		    ",\"resources\":{\"memory\":{\"limit\":33554432,\"swap\":33554432}}");
	bundle_own_rootfs(&b);
	cmd_run(&r, NULL, 60, "%s --root %s invoke --data x %s", slxrun_bin(), b.root, b.dir);
	cr_assert_neq(r.status, 0, "out: %s", r.out);
	cr_assert(strstr(r.err, "Runtime.OutOfMemory"), "stderr: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}
