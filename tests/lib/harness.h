/* SPDX-License-Identifier: GPL-2.0-or-later */
/* harness.h -- helpers for the suites that drive the built slxrun
 * (integration, vm): run a command capturing stdout/stderr/status, make
 * bundles on the busybox example rootfs, and snapshot what a container could
 * leave behind. */
#ifndef SLX_TEST_HARNESS_H
#define SLX_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cmd_result {
	int status; /* exit code, or 128+signal */
	char *out;
	char *err;
};

/* Run `sh -c CMD` with stdin_data (may be NULL) and a timeout in seconds. */
int cmd_run(struct cmd_result *r, const char *stdin_data, int timeout_s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cmd_result_free(struct cmd_result *r);

const char *slxrun_bin(void);	/* $SLXRUN */
const char *examples_dir(void); /* $SLX_EXAMPLES */

/* A temporary bundle: dir holds config.json; the rootfs is the busybox
 * example's (absolute root.path, read-only).  `process_args` is a JSON
 * array; `extra_process`, `extra_top`, `extra_linux` are JSON members
 * (each starting with ',') spliced into process, the top level and linux.
 * Its cgroup is /slxrun/<bundle dir name>, so concurrent runs of the suite
 * never share a cgroup through equal container ids. */
struct bundle {
	char dir[256];
	char root[300]; /* a private --root for this test */
};
void bundle_make(struct bundle *b, const char *process_args, const char *extra_process,
		 const char *extra_top, const char *extra_linux);
/* Same, with the namespaces array given (JSON array). */
void bundle_make_ns(struct bundle *b, const char *process_args, const char *extra_process,
		    const char *extra_top, const char *extra_linux, const char *namespaces);
void bundle_remove(struct bundle *b);
/* Give b a rootfs of its own, hard links of the busybox example's (a
 * copy where they are on another filesystem, as in the VM), root.path "rootfs": a function bundle's
 * root must be inside it. */
void bundle_own_rootfs(const struct bundle *b);
/* `delete -f id` under b's root, whatever it says: a test's cleanup. */
void bundle_force_delete(const struct bundle *b, const char *id);
/* Replace the first `from` in the bundle's config.json with `to` (the test
 * fails when `from` is not there). */
void bundle_config_replace(const struct bundle *b, const char *from, const char *to);
/* Join a new session keyring in this (the test's) process, holding a key
 * named desc that only a possessor may view: what a process started from
 * here sees in /proc/keys only while it still has this keyring. */
void keyring_possess_key(const char *desc);

/* Where cgroup2 is mounted: /sys/fs/cgroup/unified on a hybrid host (this
 * one), /sys/fs/cgroup on a pure v2 host (the VM). */
const char *cgroup2_root(void);

/* What a container could leave behind: cgroups under slxrun/, state dirs,
 * mounts, our children.  Compare before and after. */
struct leftovers {
	char cgroups[4096];
	char states[4096];
	int mounts;
};
void leftovers_take(const struct bundle *b, struct leftovers *l);
bool leftovers_equal(const struct leftovers *a, const struct leftovers *b);

/* Count newline-terminated lines in s. */
int count_lines(const char *s);

void sleep_ms(int ms);
/* Reap pid: its exit code (128+signal when killed), or -1 when it did not
 * exit within timeout_ms. */
int wait_exit(pid_t pid, int timeout_ms);

#endif
