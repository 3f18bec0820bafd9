/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups.h -- cgroup v2 mechanics: resolve, create, apply linux.resources,
 * eBPF device filter, freeze/thaw, kill, stats, destroy.  Knows nothing about
 * functions or invocations; works from directory fds. */
#ifndef SLX_CGROUPS_H
#define SLX_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"
#include "../oci/oci.h"

/* Where the unified (v2) hierarchy is mounted on this host: /sys/fs/cgroup on a
 * pure v2 host, /sys/fs/cgroup/unified on a hybrid one.  NULL when none. */
const char *cg_unified_root(void);

/* pid's cgroup v2 path ("/a/b", the "0::" line of /proc/<pid>/cgroup; pid 0
 * is our own), malloc'd in *out.  -1 with errno (ENOENT: no v2 line). */
int cg_proc_path(pid_t pid, char **out);

/* The controllers the root's cgroup.controllers lists (bitmask of CG_CTRL_*). */
enum {
	CG_CTRL_CPU = 1 << 0,
	CG_CTRL_CPUSET = 1 << 1,
	CG_CTRL_MEMORY = 1 << 2,
	CG_CTRL_PIDS = 1 << 3,
	CG_CTRL_IO = 1 << 4,
	CG_CTRL_HUGETLB = 1 << 5,
	CG_CTRL_RDMA = 1 << 6,
	CG_CTRL_MISC = 1 << 7,
};
unsigned cg_available_controllers(void);

/* Resolve linux.cgroupsPath to a path relative to the unified root (no
 * leading slash).  Absolute paths are taken as-is; relative ones are placed
 * under the runtime's own cgroup; with systemd_cgroup the "slice:prefix:name"
 * form maps onto cgroupfs as <slice path>/<prefix>-<name>.scope.  NULL/empty
 * cgroups_path gives "slxrun/<id>".  Any ".." component is an error naming
 * linux.cgroupsPath.  Pure apart from reading /proc/self/cgroup for the
 * relative case. */
int cg_resolve_path(const char *cgroups_path, const char *id, bool systemd_cgroup, char **out,
		    struct slx_err *err);

/* Check linux.resources against what this host's cgroup v2 offers and against
 * the kernel's rules, without touching anything: every requested controller
 * available, values in range, quota has a period, unified keys well formed
 * ("memory.max", no "/", "..", whitespace; controller enabled).  Errors name
 * the field: "linux.resources.memory: the memory controller is not available
 * in cgroup v2 on this host". */
int cg_resources_validate(const struct oci_resources *res, unsigned available, struct slx_err *err);

/* A container's cgroup, held open. */
struct cg_handle {
	int dirfd;    /* O_RDONLY|O_DIRECTORY fd of the cgroup dir, usable with
		       * CLONE_INTO_CGROUP and as a BPF attach target (O_PATH is
		       * refused by bpf() on older kernels) */
	char *path;   /* absolute path */
	bool created; /* we made it (so destroy removes it) */
};

/* Create the cgroup (and parents), enable in each parent's
 * cgroup.subtree_control the controllers `res` needs, open its dir fd.  On
 * failure nothing it created is left behind.  memory and pids are enabled
 * too when the host has them (best effort), so cg_stats_read sees
 * memory.current and pids.current.  With no controllers to enable this is
 * mkdir + open.  out->created is false when the leaf already existed. */
int cg_create(const char *rel_path, const struct oci_resources *res, struct cg_handle *out,
	      struct slx_err *err);
/* Open an existing cgroup by absolute path. */
int cg_open(const char *abs_path, struct cg_handle *out, struct slx_err *err);
void cg_handle_release(struct cg_handle *h); /* closes, frees; safe twice */

/* Write linux.resources into the cgroup (memory.max, cpu.weight, ...).  The
 * device filter is cg_devices_apply's.  Used at create and `update`. */
int cg_resources_apply(const struct cg_handle *h, const struct oci_resources *res,
		       struct slx_err *err);

/* Conversions runc and crun use on cgroup v2. */
uint64_t cg_cpu_shares_to_weight(uint64_t shares);
/* v1 blkio.weight [10, 1000] -> v2 io.weight [1, 10000]. */
uint64_t cg_io_weight_from_blkio(uint64_t weight);
/* v1 memory.memsw (memory+swap) -> v2 memory.swap.max; -1 = "max".  Error when
 * swap < limit. */
int cg_swap_v1_to_v2(int64_t swap, int64_t limit, int64_t *out, struct slx_err *err);

/* Freeze or thaw and wait (bounded) until cgroup.events says so. */
int cg_freeze(const struct cg_handle *h, bool frozen, struct slx_err *err);
/* Current frozen state from cgroup.events. */
int cg_is_frozen(const struct cg_handle *h, bool *frozen, struct slx_err *err);
/* Kill every process (cgroup.kill; falls back to SIGKILL per pid). */
int cg_kill_all(const struct cg_handle *h, int sig, struct slx_err *err);
/* Pids in cgroup.procs of the cgroup and its descendants. */
int cg_pids(const struct cg_handle *h, pid_t **pids, size_t *n, struct slx_err *err);
/* Kill what remains, wait (bounded) until unpopulated, rmdir (child cgroups
 * first). Missing is fine.  Acts only when h->created (a cgroup that existed
 * before cg_create, or came from cg_open, is just released): a caller that
 * re-opens its own cgroup later, e.g. `delete` from state.json, sets
 * created = true before destroying. */
int cg_destroy(struct cg_handle *h, struct slx_err *err);
/* cg_destroy without the kill: wait (bounded) for what it holds to leave,
 * then rmdir; still populated is an error (EBUSY), the cgroup left. */
int cg_remove_when_empty(struct cg_handle *h, struct slx_err *err);
/* cg_destroy for a caller that must not wait: kill what remains and try
 * the rmdir once.  1 removed (or nothing to remove; h released), 0 still
 * populated (call again later), -1 error (h released). */
int cg_try_destroy(struct cg_handle *h, struct slx_err *err);
/* Remove a cgroup the caller made but holds no handle of, by its absolute
 * path: kill what it holds, then rmdir it and its children, waiting (as
 * cg_destroy) or not (as cg_try_destroy).  1 gone (or never made), 0 not yet:
 * still populated without wait, or no descriptor to open it with (EMFILE),
 * -1 error. */
int cg_remove_path(const char *path, bool wait, struct slx_err *err);

/* One read path for counters, shared by `events --stats`, `ps` and the shim's
 * model: every field read through the open dirfd, no path resolution per tick.
 * A counter whose file is absent stays 0 and its have_* flag false. */
struct cg_psi {
	double avg10, avg60, avg300;
	uint64_t total_usec;
};
struct cg_stats {
	bool have_cpu, have_memory, have_pids, have_io, have_psi;
	uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_usec;
	uint64_t memory_current, memory_max; /* max: UINT64_MAX when "max" */
	uint64_t memory_swap_current;
	uint64_t memory_anon, memory_file, memory_kernel;
	uint64_t memory_events_oom, memory_events_oom_kill, memory_events_max;
	uint64_t pids_current, pids_max; /* UINT64_MAX when "max" */
	uint64_t io_rbytes, io_wbytes, io_rios, io_wios;
	struct cg_psi psi_cpu_some, psi_memory_some, psi_memory_full, psi_io_some;
};
int cg_stats_read(int dirfd, struct cg_stats *st, struct slx_err *err);
/* A pressure file under dirfd ("memory.pressure" of a cgroup, "memory" of
 * /proc/pressure): "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and a
 * "full" line; false when it cannot be read. */
bool cg_read_psi(int dirfd, const char *file, struct cg_psi *some, struct cg_psi *full);

/* --- helpers shared inside cgroups/ and by callers that need them ------- */

/* Controller name <-> CG_CTRL_* bit; 0 / "?" when unknown. */
unsigned cg_controller_bit(const char *name, size_t len);
const char *cg_controller_name(unsigned bit);
/* "cpu memory pids" (cgroup.controllers / subtree_control text) -> mask. */
unsigned cg_parse_controllers(const char *list);
/* The controllers linux.resources needs enabled (res may be NULL). */
unsigned cg_resources_controllers(const struct oci_resources *res);
/* Enable `need` (an error if refused) and `want` (best effort) in the
 * cgroup.subtree_control of every ancestor of abs_path below the unified
 * root, so abs_path gets those controllers.  cg_create and
 * cg_resources_apply call it; a path outside the unified root is left alone. */
int cg_enable_controllers(const char *abs_path, unsigned need, unsigned want, struct slx_err *err);
/* Read a small cgroup file into buf (NUL-terminated, truncated to size-1);
 * returns the length or -1 with errno set.  No allocation. */
ssize_t cg_read_at(int dirfd, const char *name, char *buf, size_t size);
/* A cgroup file holding one number ("max" reads as UINT64_MAX); false when
 * it cannot be read. */
bool cg_read_u64(int dirfd, const char *file, uint64_t *v);
/* Wait until cgroup.events of dirfd shows "key want" (poll POLLPRI);
 * ETIMEDOUT after timeout_ms. */
int cg_wait_event(int dirfd, const char *key, long long want, int timeout_ms, struct slx_err *err);

/* The device rules runc appends after linux.resources.devices so a container
 * always has its standard /dev nodes: mknod of anything, and rwm on null,
 * zero, full, random, urandom, tty, ptmx, /dev/pts/N. */
extern const struct oci_device_cgroup cg_default_device_rules[];
extern const size_t cg_n_default_device_rules;
/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program enforcing exactly `rules`
 * (last match wins, unmatched access denied) and attach it to the cgroup
 * `dirfd`, replacing any device program attached before. */
int cg_devices_attach(int dirfd, const struct oci_device_cgroup *rules, size_t n,
		      struct slx_err *err);
/* The filter every container gets, as runc's: `rules` (linux.resources.
 * devices; deny-all when there are none), then runc's default nodes.  The
 * nodes linux.devices makes get no rule of their own: the rules decide. */
int cg_devices_apply(int dirfd, const struct oci_device_cgroup *rules, size_t n_rules,
		     struct slx_err *err);

#endif
