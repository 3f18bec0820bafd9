/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroup_limits.c -- slxrun's linux.resources on a pure cgroup v2 kernel
 * (run inside the test VM by tests/vm/run.sh): limits hold, counters move. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../integration/harness.h"

Test(cgroup_limits, container_runs_under_a_memory_limit)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"cat /proc/self/cgroup\"]", NULL, NULL,
		    ",\"resources\":{\"memory\":{\"limit\":33554432}}");
	cmd_run(&r, NULL, 60, "%s --root %s run -b %s t1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "0::/"), "%s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}
