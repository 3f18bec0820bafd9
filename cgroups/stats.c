/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.c -- one read of a cgroup's counters (cpu, memory, pids, io, PSI)
 * through its dirfd: an openat+read per file into stack buffers, no malloc,
 * so the shim can call it every tick. */
#include "cgroups.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cg_key {
	const char *key;
	size_t off; /* of a uint64_t in struct cg_stats */
};

#define K(name, field)                                                                             \
	{                                                                                          \
		name, offsetof(struct cg_stats, field)                                             \
	}
static const struct cg_key cg_cpu_keys[] = {
    K("usage_usec", cpu_usage_usec),	 K("user_usec", cpu_user_usec),
    K("system_usec", cpu_system_usec),	 K("nr_periods", cpu_nr_periods),
    K("nr_throttled", cpu_nr_throttled), K("throttled_usec", cpu_throttled_usec),
};
static const struct cg_key cg_memory_stat_keys[] = {
    K("anon", memory_anon),
    K("file", memory_file),
    K("kernel", memory_kernel),
};
static const struct cg_key cg_memory_events_keys[] = {
    K("max", memory_events_max),
    K("oom", memory_events_oom),
    K("oom_kill", memory_events_oom_kill),
};
#undef K

/* "key value" lines: set the fields the table names. */
static void cg_parse_keyed(const char *buf, const struct cg_key *keys, size_t n,
			   struct cg_stats *st)
{
	for (const char *line = buf; *line;) {
		size_t klen = strcspn(line, " \n");

		for (size_t i = 0; i < n && line[klen] == ' '; i++) {
			if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, line, klen)) {
				*(uint64_t *)((char *)st + keys[i].off) =
				    strtoull(line + klen + 1, NULL, 10);
				break;
			}
		}
		line += strcspn(line, "\n");
		line += *line == '\n';
	}
}

static bool cg_read_keyed(int dirfd, const char *file, const struct cg_key *keys, size_t n,
			  struct cg_stats *st)
{
	char buf[8192];

	if (cg_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return false;
	cg_parse_keyed(buf, keys, n, st);
	return true;
}

bool cg_read_u64(int dirfd, const char *file, uint64_t *v)
{
	char buf[64];

	if (cg_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return false;
	*v = strncmp(buf, "max", 3) == 0 ? UINT64_MAX : strtoull(buf, NULL, 10);
	return true;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device. */
static bool cg_read_io(int dirfd, struct cg_stats *st)
{
	static const struct cg_key keys[] = {
	    {"rbytes", offsetof(struct cg_stats, io_rbytes)},
	    {"wbytes", offsetof(struct cg_stats, io_wbytes)},
	    {"rios", offsetof(struct cg_stats, io_rios)},
	    {"wios", offsetof(struct cg_stats, io_wios)},
	};
	char buf[8192];

	if (cg_read_at(dirfd, "io.stat", buf, sizeof(buf)) < 0)
		return false;
	for (char *tok = buf; *tok;) {
		size_t len = strcspn(tok, " \n");
		char *eq = memchr(tok, '=', len);

		for (size_t i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strlen(keys[i].key) == (size_t)(eq - tok) &&
			    !memcmp(keys[i].key, tok, (size_t)(eq - tok)))
				*(uint64_t *)((char *)st + keys[i].off) +=
				    strtoull(eq + 1, NULL, 10);
		}
		tok += len;
		tok += strspn(tok, " \n");
	}
	return true;
}

bool cg_read_psi(int dirfd, const char *file, struct cg_psi *some, struct cg_psi *full)
{
	char buf[256];
	const char *line;

	if (cg_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return false;
	for (line = buf; *line; line += strcspn(line, "\n"), line += *line == '\n') {
		struct cg_psi *p = !strncmp(line, "some ", 5)	? some
				   : !strncmp(line, "full ", 5) ? full
								: NULL;
		unsigned long long total;

		if (p && sscanf(line + 5, "avg10=%lf avg60=%lf avg300=%lf total=%llu", &p->avg10,
				&p->avg60, &p->avg300, &total) == 4)
			p->total_usec = total;
	}
	return true;
}

int cg_stats_read(int dirfd, struct cg_stats *st, struct slx_err *err)
{
	struct cg_psi unused;

	memset(st, 0, sizeof(*st));
	if (dirfd < 0)
		return slx_error(err, EBADF, "cgroup stats");
	st->have_cpu = cg_read_keyed(dirfd, "cpu.stat", cg_cpu_keys,
				     sizeof(cg_cpu_keys) / sizeof(cg_cpu_keys[0]), st);
	st->have_memory = cg_read_u64(dirfd, "memory.current", &st->memory_current);
	if (st->have_memory) {
		(void)cg_read_u64(dirfd, "memory.max", &st->memory_max);
		(void)cg_read_u64(dirfd, "memory.swap.current", &st->memory_swap_current);
		(void)cg_read_keyed(dirfd, "memory.stat", cg_memory_stat_keys,
				    sizeof(cg_memory_stat_keys) / sizeof(cg_memory_stat_keys[0]),
				    st);
		(void)cg_read_keyed(
		    dirfd, "memory.events", cg_memory_events_keys,
		    sizeof(cg_memory_events_keys) / sizeof(cg_memory_events_keys[0]), st);
	}
	st->have_pids = cg_read_u64(dirfd, "pids.current", &st->pids_current);
	if (st->have_pids)
		(void)cg_read_u64(dirfd, "pids.max", &st->pids_max);
	st->have_io = cg_read_io(dirfd, st);
	st->have_psi = cg_read_psi(dirfd, "cpu.pressure", &st->psi_cpu_some, &unused);
	if (st->have_psi) {
		(void)cg_read_psi(dirfd, "memory.pressure", &st->psi_memory_some,
				  &st->psi_memory_full);
		(void)cg_read_psi(dirfd, "io.pressure", &st->psi_io_some, &unused);
	}
	return 0;
}
