/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runtime.h -- the runtime library's public surface: container lifecycle
 * (create/start/run/kill/delete/state/list) and in-process sandboxes for the
 * shim.  The CLI verbs (cli/cmd_*.c) and the shim are thin callers of this;
 * nothing here knows the command line. */
#ifndef SLX_RUNTIME_H
#define SLX_RUNTIME_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../cgroups/cgroups.h"
#include "../common/err.h"
#include "../oci/oci.h"

#define SLX_VERSION	"0.1.0"
#define RT_DEFAULT_ROOT "/run/slxrun"

/* Options every call shares (slxrun sets them from its global flags). */
struct rt_ctx {
	const char *root; /* state directory, default /run/slxrun */
	bool systemd_cgroup;
	bool debug;
};

struct rt_create_opts {
	const char *bundle; /* default "." */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds; /* extra fds after stdio passed through (LISTEN_FDS style) */
};

/* Before any verb that starts container processes: make sure this process
 * runs from a view of the slxrun binary that nothing can write through
 * (CVE-2019-5736), re-executing with argv through one when it does not.
 * Returns 0 when already protected; does not return when it re-executes. */
int rt_exe_seal(char **argv, struct slx_err *err);

/* Validate the id: non-empty, [A-Za-z0-9_+.-], no "..", <= 1024 bytes, not
 * a name the runtime keeps in its root ("shims", "images"). */
int rt_id_validate(const char *id, struct slx_err *err);

/* create: set the container up and leave its process waiting before exec. */
int rt_create(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
	      struct slx_err *err);
/* start: release a created container's process; runs poststart hooks. */
int rt_start(const struct rt_ctx *ctx, const char *id, struct slx_err *err);
/* run: create + start, then wait; *exit_status gets the shell-style status
 * (code, or 128+signal).  With detach, return after start. */
int rt_run(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts, bool detach,
	   int *exit_status, struct slx_err *err);
int rt_kill(const struct rt_ctx *ctx, const char *id, int sig, bool all, struct slx_err *err);
int rt_delete(const struct rt_ctx *ctx, const char *id, bool force, struct slx_err *err);
/* The config the container was created with (saved in its state directory
 * at create), not the bundle's config.json as it may be now. */
int rt_config_load(const struct rt_ctx *ctx, const char *id, struct oci_config **out,
		   struct slx_err *err);
/* Note the fds (3 and up) this process was started with, before it opens
 * any: what --preserve-fds may pass (the CLI's first call). */
void rt_caller_fds_note(void);
/* Load state.json and refine the status from the live process and cgroup. */
int rt_state(const struct rt_ctx *ctx, const char *id, struct oci_state **out, struct slx_err *err);
/* Whether id's create is still running (its state directory locked and no
 * state.json yet): the runtime spec's "creating". */
bool rt_state_being_created(const struct rt_ctx *ctx, const char *id);
/* The one-line error every verb gives for such a container; -1. */
int rt_state_creating_error(const char *id, struct slx_err *err);
/* Ids of every container under ctx->root (sorted). */
int rt_list(const struct rt_ctx *ctx, char ***ids, size_t *n, struct slx_err *err);
void rt_strv_free(char **v, size_t n);

/* ---- cgroup-backed operations (cgroup_ops.c) ----------------------- */
int rt_pause(const struct rt_ctx *ctx, const char *id, struct slx_err *err);
int rt_resume(const struct rt_ctx *ctx, const char *id, struct slx_err *err);
/* Pids of every process in the container's cgroup. */
int rt_pids(const struct rt_ctx *ctx, const char *id, pid_t **pids, size_t *n, struct slx_err *err);
/* Validate and write new linux.resources to a running container. */
int rt_update(const struct rt_ctx *ctx, const char *id, const struct oci_resources *res,
	      struct slx_err *err);
/* Read the container's counters. */
int rt_stats(const struct rt_ctx *ctx, const char *id, struct cg_stats *st, struct slx_err *err);

/* exec: run a further process inside a running container. */
struct rt_exec_opts {
	const char *console_socket;
	const char *pid_file;
	bool detach;
	int preserve_fds;
};
/* Without detach, *exit_status gets the process's status (code or 128+sig). */
int rt_exec(const struct rt_ctx *ctx, const char *id, const struct oci_process *proc,
	    const struct rt_exec_opts *opts, int *exit_status, struct slx_err *err);

/* Resolve process.args[0] against the PATH in process.env, in the current
 * root (inside a container: after pivot_root) into buf: an executable
 * regular file, or runc's "executable file not found in $PATH". */
int rt_exec_lookup(const struct oci_process *p, char *buf, size_t buflen, struct slx_err *err);

/* Start time of pid (field 22 of /proc/pid/stat): with the pid it names a
 * process for good (a reused pid has another).  0 if gone or a zombie. */
unsigned long long rt_pid_start_time(pid_t pid);

/* Map "TERM", "SIGTERM", "15" to 15; -1 when unknown. */
int rt_signal_parse(const char *s);

/* ---- the log (--log, --log-format) ---------------------------------- */

/* Send rt_log lines to path (appended; NULL or "": nowhere), as runc's
 * JSON lines ({"level","msg","time"}) when json, else logfmt text; "debug"
 * lines only with debug.  Call once, before the first rt_log. */
void rt_log_open(const char *path, bool json, bool debug);
/* One line at level ("debug", "warning", "error", ...): containerd reads
 * the last "error" line as the reason a runtime call failed. */
void rt_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The nodes every fresh /dev gets (runtime-spec's default devices): null,
 * zero, full, random, urandom, tty. */
struct rt_default_device {
	const char *path;
	unsigned major, minor;
};
extern const struct rt_default_device rt_default_devices[];
extern const size_t rt_n_default_devices;

/* ---- seccomp ------------------------------------------------------- */
struct rt_seccomp; /* a compiled BPF program plus its load flags */
/* Build the filter from linux.seccomp with libseccomp and export it to BPF.
 * All actions (SCMP_ACT_KILL, KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, TRACE,
 * ALLOW, LOG, NOTIFY) incl. errnoRet, argument rules with all ops,
 * architectures, flags.  Unknown syscall names are skipped as runc does;
 * unknown actions/ops/architectures/flags are errors naming the field
 * ("linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO").
 * *out is NULL when seccomp is absent. */
int rt_seccomp_prepare(const struct oci_seccomp *s, struct rt_seccomp **out, struct slx_err *err);
/* Load the precompiled program (seccomp(2)); needs no_new_privs or
 * CAP_SYS_ADMIN.  Call last before execve. */
int rt_seccomp_load(const struct rt_seccomp *s, struct slx_err *err);
void rt_seccomp_free(struct rt_seccomp *s);
/* A program compiled earlier (at build time, by rt_seccomp_prepare then
 * rt_seccomp_bpf): no libseccomp work at run time. */
int rt_seccomp_from_bpf(const struct sock_filter *insns, size_t len, unsigned flags,
			struct rt_seccomp **out, struct slx_err *err);
void rt_seccomp_bpf(const struct rt_seccomp *s, const struct sock_filter **insns, size_t *len,
		    unsigned *flags);

/* ---- idmapped mounts (idmap.c) ------------------------------------- */

/* Move this process into a mount namespace of its own, "/" rslave so what
 * it mounts never reaches the host's; once per process (later calls do
 * nothing).  Its children and the sandboxes it spawns start from a copy. */
int rt_mntns_private(struct slx_err *err);
/* An fd of a new user namespace holding these maps, for MOUNT_ATTR_IDMAP. */
int rt_idmap_userns(const struct oci_id_mapping *uids, size_t n_uids,
		    const struct oci_id_mapping *gids, size_t n_gids, struct slx_err *err);
/* Whether this kernel's overlayfs takes idmapped lowers (Linux 5.19); the
 * error is one line naming what (a lower) and the kernel. */
int rt_idmap_overlay_check(const char *what, struct slx_err *err);
/* A detached, read-only, nosuid, nodev, private view of the directory
 * dirfd names, in which an id X on disk is what X maps to in userns_fd: a
 * tree for rt_sandbox_opts.cover_trees.  A filesystem the kernel cannot
 * idmap (tmpfs before 6.3) is one line naming it. */
int rt_idmap_view(int dirfd, const char *what, int userns_fd, struct slx_err *err);

/* Close every fd >= 3 except keep (close_range on the gaps; process.c). */
void rt_close_fds_except(const int *keep, size_t n);

/* ---- views in that mount namespace (views.c) ------------------------ */

/* A private tmpfs (0711) at path, in this process's own mount namespace
 * (rt_mntns_private, made here when needed): room for rt_view_pin's
 * mountpoints, seen by no other process but the sandboxes it spawns. */
int rt_view_dir(const char *path, struct slx_err *err);
/* What fd names (a directory with what is mounted below it, or a file),
 * cloned by the descriptor and mounted at target, made for it (a directory
 * or an empty file): a mount by target then gets that object, whatever its
 * old path has become.  fd must be of this mount namespace. */
int rt_view_pin(int fd, const char *what, const char *target, struct slx_err *err);

/* ---- sandboxes, for the shim (no state directory, no CLI) ---------- */

/* Runs as the container's pid 1 instead of execve of process.args, after
 * every isolation step (namespaces, rootfs, user, caps, seccomp) is in place.
 * Its return value is the process's exit status. */
typedef int (*rt_entry_fn)(void *arg);

struct rt_sandbox_opts {
	const struct oci_config *cfg;
	const char *bundle; /* absolute */
	const char *id;	    /* names the cgroup: slxrun/<id>, or <cgroup_parent>/<id> */
	/* The parent of its cgroup, relative to the unified root (the
	 * caller's own, made beforehand); NULL: slxrun. */
	const char *cgroup_parent;
	rt_entry_fn entry; /* NULL: exec process.args */
	void *entry_arg;
	const int *keep_fds; /* fds the child keeps open (others are closed) */
	size_t n_keep_fds;
	/* A filter compiled once by the caller and loaded in place of
	 * linux.seccomp (which must then be absent); NULL: linux.seccomp. */
	const struct rt_seccomp *seccomp;
	/* The sandbox is born a child of the caller's parent (CLONE_PARENT),
	 * for a helper process that makes sandboxes for another: only that
	 * parent can reap it.  When the spawn fails after the clone, sb->pid
	 * still names the killed child for the parent to reap. */
	bool clone_parent;
	/* What the sandbox execs is laid out at the same addresses every time
	 * (no ASLR: rt_process_same_layout), so that sandboxes started alike
	 * hold alike pages (shim serve --share-memory). */
	bool same_layout;
	/* A new user namespace is owned by this host uid, not by the caller
	 * (0): what the kernel counts per user at each namespace level
	 * (inotify instances and watches, fanotify groups, namespaces) is
	 * charged at the top to it, not to host root. */
	uid_t userns_owner;
	/* The user namespace's uid map in place of linux.uidMappings (NULL:
	 * those): a map of this sandbox's own. */
	const struct oci_id_mapping *uid_map;
	size_t n_uid_map;
	/* Each directory cover_paths[i] covered by the detached tree
	 * cover_trees[i] (rt_idmap_view) in the sandbox's mount namespace,
	 * before it mounts anything: views of its own made for this sandbox. */
	const char *const *cover_paths;
	const int *cover_trees;
	size_t n_covers;
};

/* Timings of a spawn, nanoseconds, for `invoke --timings`. */
struct rt_timings {
	uint64_t prepare_ns, cgroup_ns, clone_ns, namespaces_ns, rootfs_ns, ready_ns;
};

struct rt_sandbox {
	pid_t pid;
	int pidfd;
	struct cg_handle cg;
	struct rt_timings timings;
};

/* Everything of create in one call, in-process: the child runs entry() when
 * given.  Returns once the child is set up and running. */
int rt_sandbox_spawn(const struct rt_sandbox_opts *opts, struct rt_sandbox *sb,
		     struct slx_err *err);
/* The cgroup rt_sandbox_spawn will place sandbox id in under parent (NULL:
 * slxrun), the absolute path it will hold in sb->cg.path, known before it
 * exists so a caller can record it first; "" when the host has no cgroup v2
 * hierarchy. */
int rt_sandbox_cgroup_path(const char *parent, const char *id, char *buf, size_t len,
			   struct slx_err *err);
/* Kill pid 1 and reap it, then kill whatever is left in the cgroup and
 * remove it.  Safe on a sandbox whose spawn failed, and twice. */
int rt_sandbox_destroy(struct rt_sandbox *sb, struct slx_err *err);
/* rt_sandbox_destroy in two steps, for a caller that must not wait (the
 * shim's loop): rt_sandbox_kill signals every process (pid 1 through its
 * pidfd, the cgroup with cgroup.kill) and returns; rt_sandbox_reap, when
 * the pidfd turns readable or later, reaps pid 1 and removes the cgroup
 * without waiting: 1 done, 0 not yet (a process is still exiting: call
 * again), -1 error (done all the same). */
void rt_sandbox_kill(struct rt_sandbox *sb);
int rt_sandbox_reap(struct rt_sandbox *sb, struct slx_err *err);

#endif
