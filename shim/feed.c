/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feed.c -- the tick's reads: a sandbox's cgroup counters into the model's
 * R_i(t), and the host's memory and cores for the budget. */
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../common/cleanup.h"

int feed_read(int cg_dirfd, struct model_r *out, struct slx_err *err)
{
	struct cg_stats st;

	if (cg_stats_read(cg_dirfd, &st, err) < 0)
		return -1;
	*out = (struct model_r){
	    .have_cpu = st.have_cpu,
	    .have_mem = st.have_memory,
	    .have_pids = st.have_pids,
	    .have_psi = st.have_psi,
	    .cpu_usec = st.cpu_usage_usec,
	    .mem_bytes = st.memory_current,
	    .pids = st.pids_current,
	    .psi_mem_some10 = st.psi_memory_some.avg10,
	};
	return 0;
}

/* The value of a "Name:   N kB" line, in bytes. */
static bool meminfo_field(const char *text, const char *name, uint64_t *out)
{
	size_t len = strlen(name);

	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		unsigned long long kb;

		if (strncmp(p, name, len) || p[len] != ':')
			continue;
		errno = 0;
		kb = strtoull(p + len + 1, &end, 10);
		if (errno || end == p + len + 1)
			return false;
		*out = (uint64_t)kb * 1024;
		return true;
	}
	return false;
}

int feed_meminfo_parse(const char *text, uint64_t *total, uint64_t *available)
{
	return meminfo_field(text, "MemTotal", total) &&
		       meminfo_field(text, "MemAvailable", available)
		   ? 0
		   : -1;
}

int feed_host_read(struct feed_host *out, struct slx_err *err)
{
	cleanup_close int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	ssize_t n;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (fd < 0)
		return slx_error(err, errno, "open /proc/meminfo");
	/* MemTotal and MemAvailable are the first lines: one read holds them. */
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return slx_error(err, errno, "read /proc/meminfo");
	buf[n] = '\0';
	if (feed_meminfo_parse(buf, &out->mem_total, &out->mem_available) < 0)
		return slx_error(err, 0, "/proc/meminfo: no MemTotal or MemAvailable");
	out->cores = cores > 0 ? (unsigned)cores : 1;
	return 0;
}

bool feed_host_psi(double *some10)
{
	cleanup_close int fd = open("/proc/pressure", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cg_psi some = {0}, full;

	if (fd < 0 || !cg_read_psi(fd, "memory", &some, &full))
		return false;
	*some10 = some.avg10;
	return true;
}
