/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_state_safety.c -- attacks on what the runtime writes and reads around a
 * container: planted temp-file symlinks, concurrent verbs, oversized inputs,
 * runaway hooks, shell injection through `ps`, reserved ids, many fds. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "open %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

Test(state_safety, planted_pid_file_tmp_symlink_is_not_followed)
{
	struct bundle b;
	struct cmd_result r;
	char victim[600], pidfile[600], tmp[700], *text;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(victim, sizeof(victim), "%s/victim", b.dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", b.dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	write_text(victim, "precious\n");
	cr_assert_eq(symlink(victim, tmp), 0);
	cmd_run(&r, NULL, 30, "%s --root %s run --pid-file %s -b %s t1", slxrun_bin(), b.root,
		pidfile, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(slurp(victim), "precious\n", "the victim was written through %s", tmp);
	text = slurp(pidfile);
	cr_assert(text && atoi(text) > 0, "pid file holds '%s'", text ? text : "(missing)");
	cmd_result_free(&r);
	bundle_remove(&b);
}
