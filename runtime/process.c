/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.c -- the container process's own attributes, set in the child
 * after pivot_root: executable lookup, cwd, rlimits, user and groups, fds. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "../common/cleanup.h"
#include "internal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_path(const struct oci_process *p)
{
	for (size_t i = 0; i < p->env.n; i++)
		if (!strncmp(p->env.v[i], "PATH=", 5))
			return p->env.v[i] + 5;
	return DEFAULT_PATH;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int rt_exec_lookup(const struct oci_process *p, char *buf, size_t buflen,
		   struct slx_err *err)
{
	const char *name = p->args.v[0];
	const char *dirs = env_path(p);

	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return slx_error(err, errno ? errno : EACCES,
					 "exec: \"%s\"", name);
		if (snprintf(buf, buflen, "%s", name) >= (int)buflen)
			return slx_error(err, ENAMETOOLONG, "exec: \"%s\"", name);
		return 0;
	}
	while (*dirs) {
		size_t len = strcspn(dirs, ":");

		if (snprintf(buf, buflen, "%.*s/%s", (int)len, len ? dirs : ".",
			     name) < (int)buflen &&
		    is_executable_file(buf))
			return 0;
		dirs += len;
		if (*dirs == ':')
			dirs++;
	}
	return slx_error(err, 0, "exec: \"%s\": executable file not found in $PATH",
			 name);
}

int rt_process_chdir(const struct oci_process *p, struct slx_err *err)
{
	char buf[PATH_MAX];

	if (chdir(p->cwd) < 0)
		return slx_error(err, errno, "process.cwd: chdir %s", p->cwd);
	/* A cwd reached through a leaked fd lies outside our root and getcwd
	 * reports it as unreachable (runc CVE-2024-21626). */
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return slx_error(err, errno ? errno : EPERM,
				 "process.cwd: %s is outside the container's root",
				 p->cwd);
	return 0;
}

int rt_process_rlimits(const struct oci_process *p, struct slx_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };

		if (setrlimit(r->resource, &rl) < 0)
			return slx_error(err, errno,
					 "process.rlimits[%zu]: setrlimit %s %llu/%llu",
					 i, r->type, (unsigned long long)r->soft,
					 (unsigned long long)r->hard);
	}
	return 0;
}

int rt_process_user(const struct oci_process *p, struct slx_err *err)
{
	const struct oci_user *u = &p->user;
	gid_t gids[NGROUPS_MAX];
	size_t n = u->n_additional_gids < NGROUPS_MAX ? u->n_additional_gids :
							  NGROUPS_MAX;

	for (size_t i = 0; i < n; i++)
		gids[i] = u->additional_gids[i];
	if (setgroups(n, gids) < 0 && errno != EPERM)
		return slx_error(err, errno, "process.user.additionalGids: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return slx_error(err, errno, "process.user.gid: setresgid %u", u->gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return slx_error(err, errno, "prctl PR_SET_KEEPCAPS");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return slx_error(err, errno, "process.user.uid: setresuid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return slx_error(err, errno, "prctl PR_SET_KEEPCAPS");
	if (u->umask.set)
		umask((mode_t)u->umask.v);
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void rt_close_fds_except(const int *keep, size_t n)
{
	int sorted[64];
	unsigned int from = 3;

	if (n > 64)
		n = 64;
	if (n) {
		memcpy(sorted, keep, n * sizeof(int));
		qsort(sorted, n, sizeof(int), int_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] < (int)from)
			continue;
		if ((unsigned int)sorted[i] > from)
			(void)close_range(from, (unsigned int)sorted[i] - 1, 0);
		from = (unsigned int)sorted[i] + 1;
	}
	(void)close_range(from, ~0U, 0);
}
