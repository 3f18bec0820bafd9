/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_bad_input.c -- every kind of bad input: one line naming what is
 * wrong, a non-zero exit, and nothing left behind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/harness.h"

/* Run `create` on a bundle and expect a one-line failure, with nothing left
 * behind; r holds what it printed. */
static void create_refused(struct bundle *b, const char *id, struct cmd_result *r)
{
	struct leftovers before, after;

	leftovers_take(b, &before);
	cmd_run(r, NULL, 30, "%s --root %s create -b %s '%s'", slxrun_bin(), b->root, b->dir, id);
	cr_assert_neq(r->status, 0, "accepted: %s", r->out);
	cr_assert_eq(count_lines(r->err), 1, "not one line: %s", r->err);
	leftovers_take(b, &after);
	cr_assert(leftovers_equal(&before, &after), "left behind: [%s] [%s] %d/%d", after.cgroups,
		  after.states, before.mounts, after.mounts);
}

/* The same, expecting a message that contains `expect`. */
static void expect_refused(struct bundle *b, const char *id, const char *expect)
{
	struct cmd_result r;

	create_refused(b, id, &r);
	cr_assert(strstr(r.err, expect), "expected '%s' in: %s", expect, r.err);
	cmd_result_free(&r);
}

/* config.json replaced by `config`: the error line must be exactly
 * "slxrun: <message>", the file and where in it included. */
static void refused_config(const char *config, const char *message)
{
	struct cmd_result r;
	struct bundle b;
	char path[600], want[600];
	FILE *f;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(path, sizeof(path), "%s/config.json", b.dir);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(config, f);
	fclose(f);
	create_refused(&b, "bad", &r);
	snprintf(want, sizeof(want), "slxrun: %s\n", message);
	cr_assert_str_eq(r.err, want);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(bad_input, malformed_config_names_the_json_path)
{
	refused_config("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
		       "\"process\":{\"args\":[\"sh\",1],\"cwd\":\"/\"}}",
		       "config.json: process.args[1]: expected a string, got a number");
}

/* A stray brace after a complete config: the file, line and column of the
 * first byte past the document. */
Test(bad_input, trailing_garbage_names_file_line_and_column)
{
	refused_config("{\"ociVersion\":\"1.2.0\",\n \"root\":{\"path\":\"rootfs\"}}\n}\n",
		       "config.json:3:1: parse error: trailing garbage");
	refused_config("{\"ociVersion\":\"1.2.0\"} x",
		       "config.json:1:24: parse error: trailing garbage");
}

Test(bad_input, missing_executable_is_named)
{
	struct bundle b;

	bundle_make(&b, "[\"/no/such/binary\"]", NULL, NULL, NULL);
	expect_refused(&b, "x1", "/no/such/binary");
	bundle_remove(&b);
	bundle_make(&b, "[\"nosuchcmd\"]", NULL, NULL, NULL);
	expect_refused(&b, "x2", "executable file not found in $PATH");
	bundle_remove(&b);
}

Test(bad_input, nonexistent_namespace_path_is_named)
{
	struct bundle b;

	bundle_make_ns(&b, "[\"/bin/true\"]", NULL, NULL, NULL,
		       "[{\"type\":\"pid\"},{\"type\":\"mount\"},"
		       "{\"type\":\"network\",\"path\":\"/proc/999999/ns/net\"}]");
	expect_refused(&b, "n1", "linux.namespaces[2].path: /proc/999999/ns/net");
	bundle_remove(&b);
}

Test(bad_input, failing_hook_fails_create_and_cleans_up)
{
	struct bundle b;

	bundle_make(&b, "[\"/bin/true\"]", NULL,
		    ",\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/false\"}]}", NULL);
	expect_refused(&b, "k1", "hook createRuntime[0] /bin/false: exit status 1");
	bundle_remove(&b);
}

Test(bad_input, bogus_mount_type_is_named)
{
	struct bundle b;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	cr_assert(system(NULL));
	{
		char cmd[800];

		snprintf(cmd, sizeof(cmd),
			 "sed -i 's|\"type\":\"sysfs\"|\"type\":\"bogusfs\"|' %s/config.json",
			 b.dir);
		cr_assert_eq(system(cmd), 0);
	}
	expect_refused(&b, "m1", "mounts[4].type: unknown filesystem type bogusfs");
	bundle_remove(&b);
}

Test(bad_input, invalid_container_ids_are_refused)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"10\"]", NULL, NULL, NULL);
	expect_refused(&b, "", "container id");
	expect_refused(&b, "../x", "container id");
	expect_refused(&b, "a/b", "container id");
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s dup", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s dup", slxrun_bin(), b.root, b.dir);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "container with id exists: dup"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete -f dup", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(bad_input, unknown_flag_is_named)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10, "%s create --bogus-flag x", slxrun_bin());
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "unknown flag --bogus-flag"), "%s", r.err);
	cmd_result_free(&r);
}

/* Numbers past what the runtime's integers hold were converted anyway
 * (undefined; `update --memory 1e19` came out negative), and a signal
 * named RTMIN+-25 was SIGKILL (an attacker's review): each is refused
 * by name, before any container is looked up. */
Test(bad_input, numbers_past_their_range_are_refused_by_name)
{
	static const char *const cases[][2] = {
	    {"events --interval 1e30 x", "--interval: 1e30"},
	    {"events --interval nan x", "--interval: invalid duration nan"},
	    {"update --memory 1e19 x", "--memory: invalid size 1e19"},
	    {"update --memory-swap -5 x", "--memory-swap: invalid size -5"},
	    {"kill x RTMIN+-25", "RTMIN+-25"},
	};
	struct cmd_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cmd_run(&r, NULL, 10, "%s --root /tmp/slxtest-none %s", slxrun_bin(), cases[i][0]);
		cr_expect_neq(r.status, 0, "%s", cases[i][0]);
		cr_expect(strstr(r.err, cases[i][1]), "%s: %s", cases[i][0], r.err);
		cmd_result_free(&r);
	}
}

Test(bad_input, missing_container_does_not_exist)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10, "%s --root /tmp/slxtest-none kill nosuch 9", slxrun_bin());
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "does not exist"), "%s", r.err);
	cmd_result_free(&r);
}

Test(bad_input, unavailable_controller_is_named_not_ignored)
{
	struct bundle b;

	if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) != 0)
		cr_skip_test("not the hybrid host this case is about; the VM suite covers v2");
	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL,
		    ",\"resources\":{\"memory\":{\"limit\":33554432}}");
	expect_refused(&b, "r1",
		       "linux.resources.memory: the memory controller is not available in cgroup "
		       "v2 on this host");
	bundle_remove(&b);
}

Test(bad_input, bad_cgroup_fields_are_named)
{
	struct bundle b;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, ",\"cgroupsPath\":\"/slxrun/../escape\"");
	expect_refused(&b, "g1", "linux.cgroupsPath");
	bundle_remove(&b);
	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL,
		    ",\"resources\":{\"unified\":{\"../x\":\"1\"}}");
	expect_refused(&b, "g2", "linux.resources.unified");
	bundle_remove(&b);
	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL,
		    ",\"resources\":{\"cpu\":{\"quota\":20000}}");
	expect_refused(&b, "g3", "linux.resources.cpu");
	bundle_remove(&b);
}
