/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h -- what runtime/ files share among themselves: the spawn request,
 * the parent/child sync protocol, start-up stages, namespaces, hooks, the state
 * store, process setup.  Not part of the library's public surface. */
#ifndef SLX_RT_INTERNAL_H
#define SLX_RT_INTERNAL_H

#include <poll.h>
#include <stdbool.h>
#include <termios.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rootfs.h"
#include "runtime.h"
#include "security.h"

/* Start-up stages, so a failure says where it happened. */
enum rt_stage {
	RT_STAGE_PREPARE,
	RT_STAGE_CLONE,
	RT_STAGE_NAMESPACES,
	RT_STAGE_ROOTFS,
	RT_STAGE_HOOK_PRESTART,
	RT_STAGE_HOOK_CREATE_RUNTIME,
	RT_STAGE_HOOK_CREATE_CONTAINER,
	RT_STAGE_PIVOT,
	RT_STAGE_PROCESS,
	RT_STAGE_HOOK_START_CONTAINER,
	RT_STAGE_EXEC,
};
const char *rt_stage_name(enum rt_stage s);

/* ---- sync protocol (SOCK_SEQPACKET socketpair) ---------------------- */
enum rt_sync_type {
	RT_SYNC_GO = 1, /* parent -> child: carry on; payload = state JSON */
	RT_SYNC_HOOKS,	/* child -> parent: run prestart/createRuntime now */
	RT_SYNC_READY,	/* child -> parent: set up, waiting for start */
	RT_SYNC_START,	/* parent -> child: exec now */
	RT_SYNC_ERROR,	/* child -> parent: failed; errnum, stage, message */
	/* child -> parent: its startContainer hooks done, it goes on to execve
	 * (the end of the socket before this is a process that never ran: one
	 * killed in its hooks also ends it) */
	RT_SYNC_EXEC,
	/* exec's first child -> parent: a pidfd (SCM_RIGHTS, no payload) of
	 * the process it forked into the container's pid namespace, the
	 * caller's child */
	RT_SYNC_PID,
};
struct rt_sync_hdr {
	uint32_t type;
	int32_t errnum;
	int32_t stage;
	uint32_t len; /* payload bytes following */
};
#define RT_SYNC_MAX 65536
int rt_sync_send(int fd, enum rt_sync_type type, int errnum, int stage, const char *payload,
		 size_t len);
/* Receive one message; payload (NUL-terminated, heap) may be NULL.  EOF is
 * an error with errnum 0 and *type 0. */
int rt_sync_recv(int fd, struct rt_sync_hdr *hdr, char **payload, struct slx_err *err);
/* Child: report err at stage and _exit(1). */
__attribute__((noreturn)) void rt_sync_fail(int fd, enum rt_stage stage, const struct slx_err *err);

/* ---- namespaces ------------------------------------------------------- */
struct rt_ns_plan {
	int clone_flags;	   /* new namespaces created by clone3 */
	int unshare_flags;	   /* new namespaces the child unshares itself (cgroup, time) */
	int join_fd[OCI_NS_COUNT]; /* -1 or an fd to setns into */
	bool new_ns[OCI_NS_COUNT];
	bool any;
	bool born_in_user; /* the child was cloned inside the joined user namespace */
};
int rt_ns_plan_build(const struct oci_config *cfg, struct rt_ns_plan *plan, struct slx_err *err);
void rt_ns_plan_release(struct rt_ns_plan *plan);
int rt_ns_clone_flag(enum oci_ns_type t);
const char *rt_ns_proc_name(enum oci_ns_type t); /* "mnt", "net", ... */
/* Whether ns (stat of a namespace file) is the caller's own namespace of
 * type t: joined by path, it is the host's as far as the container goes. */
bool rt_ns_is_callers(const struct stat *ns, enum oci_ns_type t);
/* Whether cfg gives the container a pid namespace of its own (one named
 * without a path; none named is the host's). */
bool rt_ns_own_pid(const struct oci_config *cfg);
/* Parent, right after clone: write uid_map/gid_map of pid (uid_map, when
 * not NULL, in place of cfg's). */
int rt_ns_write_id_maps(pid_t pid, const struct oci_config *cfg,
			const struct oci_id_mapping *uid_map, size_t n_uid_map,
			struct slx_err *err);
/* Write one of them ("uid_map" or "gid_map") of pid's user namespace. */
int rt_ns_write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
		    struct slx_err *err);
/* Child: join namespaces by fd (user first), unshare cgroup/time. */
int rt_ns_enter(const struct oci_config *cfg, const struct rt_ns_plan *plan, struct slx_err *err);

/* ---- hooks ------------------------------------------------------------ */
/* Run hooks in order, state JSON on each one's stdin; stop at the first
 * failure ("hook prestart[1] /usr/bin/x: exit status 3"). */
int rt_hooks_run(const char *kind, const struct oci_hookv *hooks, const char *state_json,
		 struct slx_err *err);
/* Hooks whose failure the spec says to log and go on past (poststart,
 * poststop): run them with st on stdin, log a failure as a warning. */
void rt_hooks_run_logged(const char *kind, const struct oci_hookv *hooks,
			 const struct oci_state *st);

/* ---- process setup (child side) -------------------------------------- */
/* chdir(cwd) and verify it is inside the root (CVE-2024-21626); make it
 * first (0755, as root) when it is missing and make is set (create). */
int rt_process_chdir(const struct oci_process *p, bool make, struct slx_err *err);
int rt_process_rlimits(const struct oci_process *p, struct slx_err *err);
/* setgroups/setresgid/setresuid, keeping capabilities across the switch;
 * the umask (022 when none is given). */
int rt_process_user(const struct oci_process *p, struct slx_err *err);
/* "HOME=..." into home (len bytes) when p's env has no HOME: its uid's home
 * in /etc/passwd, else "/"; "" when env has one.  Call in the root, before
 * the user switch. */
void rt_process_home(const struct oci_process *p, char *home, size_t len);
/* Before execve: no signal ignored, none blocked. */
void rt_signals_default(void);
/* p's env for execve, with home (from rt_process_home) added when set. */
char **rt_process_env(const struct oci_process *p, const char *home);
/* What confines the process, prepared in the parent (errors name the field). */
struct rt_confine {
	struct rt_caps caps;
	struct rt_seccomp *seccomp;
	bool seccomp_borrowed; /* the caller's (rt_spawn_req.seccomp): not ours to free */
	struct rt_lsm lsm;
};
int rt_confine_prepare(const struct oci_process *p, const struct oci_config *cfg,
		       struct rt_confine *out, struct slx_err *err);
void rt_confine_release(struct rt_confine *c);
/* Drop privilege in order: the LSM label for exec, seccomp first when
 * noNewPrivileges is false (loading needs CAP_SYS_ADMIN then), the bounding
 * set, the user, the capabilities, no_new_privs.  rt_process_seccomp_last
 * loads the filter when noNewPrivileges is true; call it right before execve. */
int rt_process_confine(const struct oci_process *p, const struct rt_confine *c,
		       struct slx_err *err);
int rt_process_seccomp_last(const struct oci_process *p, const struct rt_confine *c,
			    struct slx_err *err);
/* Close every fd >= lowest (and >= 3) except keep: fds 3..lowest-1 are the
 * caller's --preserve-fds range, kept whatever its size. */
void rt_close_fds_from(int lowest, const int *keep, size_t n);
/* Refuse a --preserve-fds count below 0 or past the last possible fd. */
int rt_preserve_fds_check(int n, struct slx_err *err);
/* Close every fd from 3 but keep and, below 3+n, those the process had
 * when rt_caller_fds_note ran (runtime.h): --preserve-fds n passes the
 * caller's fds, never one of the runtime's that took a free number below
 * 3+n.  Without the note, everything from 3+n but keep. */
void rt_close_fds_preserving(int n, const int *keep, size_t nkeep);
/* Child: a new session keyring of its own, as runc gives a container
 * unless --no-new-keyring: keyrings are not namespaced, and the one it
 * inherits is the caller's (its keys readable, clearable).  Where the
 * kernel has no keyrings (ENOSYS) there is nothing to leave. */
int rt_process_new_keyring(struct slx_err *err);
/* linux.personality's domain (LINUX or LINUX32), for the container's
 * process and whatever exec runs in it, as runc. */
int rt_process_personality(const struct oci_config *cfg, struct slx_err *err);
/* What this process execs, and what that starts, is laid out at the same
 * addresses every time (personality ADDR_NO_RANDOMIZE): processes started
 * alike then hold alike pages.  Before the seccomp filter. */
int rt_process_same_layout(struct slx_err *err);

/* ---- console ------------------------------------------------------------ */
/* Child: a session of its own (never the caller's terminal: from it a
 * container could push keystrokes into the operator's shell with TIOCSTI),
 * and with process.terminal and a console socket, a new pty as controlling
 * terminal and stdio, its master sent over sock (SCM_RIGHTS, runc's message
 * shape; needs /dev/pts), bound on /dev/console too when dev_console (the
 * first process, as the runtime-spec asks). */
int rt_process_session(int sock, const struct oci_process *p, bool dev_console,
		       struct slx_err *err);
int rt_console_socket_connect(const char *path, int *fd, struct slx_err *err);
/* A console socket of our own for a foreground run or exec: *child goes to
 * the process as its console socket, *ours receives the master. */
int rt_console_pair(int *child, int *ours, struct slx_err *err);
/* The master that came over ours (-1 when ours is -1 or none came). */
int rt_console_master(int ours);
/* Our terminal carried to a pty's master: stdin to it, its output to stdout
 * (in and master are -1 when done or absent, so poll skips them). */
struct rt_term {
	int in, master; /* the master is non-blocking */
	bool raw;	/* our stdin's terminal was made raw; saved holds how it was */
	struct termios saved;
	char pend[4096]; /* stdin read, not yet taken by the master */
	size_t pend_len, pend_off;
};
void rt_term_begin(struct rt_term *t, int master);
/* The two pollfds the loop waits on (fd -1: not now), and what came. */
void rt_term_poll(const struct rt_term *t, struct pollfd *in, struct pollfd *master);
void rt_term_step(struct rt_term *t, short in, short master);
void rt_term_resize(const struct rt_term *t);
void rt_term_end(struct rt_term *t);

/* ---- spawn -------------------------------------------------------------- */
struct rt_spawn_req {
	const struct oci_config *cfg;
	const char *bundle; /* absolute */
	const char *rootfs; /* absolute, resolved */
	const char *id;
	const char *cgroup_rel; /* relative to the unified root, NULL: no cgroup */
	bool no_pivot;
	int console_fd;	     /* connected console socket, or -1 */
	int start_listen_fd; /* create: the child accepts `start` here (SEQPACKET) */
	bool auto_start;     /* run / sandbox: no separate start */
	rt_entry_fn entry;
	void *entry_arg;
	const int *keep_fds;
	size_t n_keep_fds;
	int preserve_fds;
	struct oci_state *state; /* hooks' view; pid filled after clone */
	/* Appended: the mount plan, built once by a caller that starts many
	 * containers of one config; NULL: rt_spawn builds it. */
	const struct rt_mount_plan *mount_plan;
	/* Appended: a filter compiled once by the caller, loaded instead of
	 * linux.seccomp; NULL: linux.seccomp's. */
	const struct rt_seccomp *seccomp;
	/* Appended: CLONE_PARENT (rt_sandbox_opts.clone_parent); a failure
	 * after the clone leaves the killed child's pid in rt_spawned.pid. */
	bool clone_parent;
	/* Set by rt_spawn for its child: per mount op, an idmapped bind's
	 * detached tree (rt_idmap_trees_open), or -1; NULL when none. */
	const int *idmap_trees;
	/* Appended: a file rt_spawn writes the cgroup's path to once it has
	 * made the cgroup (not when it found one), or NULL: what a killed
	 * create made, and only that, delete may remove. */
	const char *cgroup_mark;
	/* Appended: a file rt_spawn writes "PID START" of the first process to
	 * as soon as it is cloned, before its hooks, or NULL (RT_STATE_PID1). */
	const char *pid1_mark;
	/* Appended: a session keyring of the container's own
	 * (rt_process_new_keyring); create and run, unless --no-new-keyring. */
	bool new_keyring;
	/* Appended: rt_process_same_layout (rt_sandbox_opts.same_layout). */
	bool same_layout;
	/* Appended: rt_sandbox_opts.userns_owner. */
	uid_t userns_owner;
	/* Appended: rt_sandbox_opts.uid_map and the covers. */
	const struct oci_id_mapping *uid_map;
	size_t n_uid_map;
	const char *const *cover_paths;
	const int *cover_trees;
	size_t n_covers;
};
struct rt_spawned {
	pid_t pid;
	int pidfd;
	int sync_fd; /* parent's end, still open when auto_start is false */
	struct cg_handle cg;
	struct rt_timings timings;
};
/* Validate, prepare, clone into the cgroup, drive the child to READY (or,
 * with auto_start, to exec).  On failure nothing is left: child killed and
 * reaped, cgroup removed. */
int rt_spawn(const struct rt_spawn_req *req, struct rt_spawned *out, struct slx_err *err);

/* clone3 (fork-like: 0 in the child) with CLONE_PIDFD into *pidfd, new
 * namespaces from flags, into the cgroup cgroup_fd (-1: ours), into the pid
 * namespace pidns_fd (a namespace fd or a pidfd; -1: a new one per flags,
 * else ours); a new user namespace owned by host uid userns_owner (0: by
 * us).  clone.c, for create/run/sandboxes and exec alike. */
pid_t rt_clone_into(uint64_t flags, int cgroup_fd, int pidns_fd, uid_t userns_owner, int *pidfd,
		    struct slx_err *err);
/* The same from inside the user namespace userns_fd, so the new namespaces
 * are its own (a fork()ed helper joins it and clones the child as our own,
 * CLONE_PARENT; runc's nsexec joins, then unshares).  The child is born in
 * that user namespace: it must not join it again. */
pid_t rt_clone_in_userns(int userns_fd, uint64_t flags, int cgroup_fd, int pidns_fd, int *pidfd,
			 struct slx_err *err);

/* The child's side of rt_spawn (init.c); never returns. */
__attribute__((noreturn)) void rt_init_main(const struct rt_spawn_req *req,
					    const struct rt_ns_plan *plan,
					    const struct rt_confine *confine, int sync_fd);

/* Signal the container st records: its init, or with all every process in
 * its cgroup (the init alone when it has none).  kill.c. */
int rt_signal_container(const struct oci_state *st, int sig, bool all, struct slx_err *err);

/* The end of delete for a container whose processes are gone: its cgroup
 * (cg, open or dirfd -1), poststop hooks, the state directory.  delete.c;
 * run (lifecycle.c) ends with it too. */
int rt_remove_stopped(const struct rt_ctx *ctx, struct oci_state *st, struct cg_handle *cg,
		      struct slx_err *err);

/* Wait for our child pid, forwarding termination signals to it; the
 * shell-style status goes to *exit_status.  With a pty's master (else -1),
 * our stdin goes to it and its output to our stdout meanwhile, our terminal
 * raw and its size followed (rt_term). */
int rt_wait_forwarding(pid_t pid, int pidfd, int master, int *exit_status);

/* ---- state store ------------------------------------------------------ */
/* <state dir>/cgroup: the path of the cgroup a create made (rt_spawn_req's
 * cgroup_mark), so delete of what a killed create left takes that one only. */
#define RT_STATE_CGROUP_MARK "cgroup"
int rt_state_cgroup_mark(const struct rt_ctx *ctx, const char *id, char **path,
			 struct slx_err *err);
/* <state dir>/pid1: "PID START" of the container's first process, written
 * by create once it is cloned (rt_spawn_req's pid1_mark): when state.json
 * cannot be read, or a killed create left none, what tells the container's
 * processes in its cgroup from another container's that took the cgroup
 * after it stopped (delete.c). */
#define RT_STATE_PID1 "pid1"
/* Whether the first process pid1 names still runs (the same start time). */
bool rt_state_pid1_alive(const struct rt_ctx *ctx, const char *id);
int rt_state_dir(const struct rt_ctx *ctx, const char *id, char *buf, size_t len,
		 struct slx_err *err);
/* The container's lock, so verbs on one id run one at a time: flock on its
 * state directory, held until *fd is closed.  ENOENT "container ID does not
 * exist" when the directory is gone, also when it went while we waited.
 * create holds it (on the directory it made) until state.json is written,
 * hooks included: a verb that finds it so is told at once that the
 * container is being created, and waits on no other holder. */
int rt_state_lock(const struct rt_ctx *ctx, const char *id, int *fd, struct slx_err *err);
int rt_state_write(const struct rt_ctx *ctx, const struct oci_state *st, struct slx_err *err);
/* The config.json text a container was created with, kept in its state
 * directory: exec and every later verb act on that, never on the bundle's
 * file as it is now (which whoever can write the bundle could change). */
int rt_state_config_write(const struct rt_ctx *ctx, const char *id, const char *text, size_t len,
			  struct slx_err *err);
int rt_state_read(const struct rt_ctx *ctx, const char *id, struct oci_state **out,
		  struct slx_err *err);
/* Refine st->status: stopped when the pid is gone or reused, paused when
 * the cgroup is frozen. */
void rt_state_refresh(struct oci_state *st);
int rt_state_remove(const struct rt_ctx *ctx, const char *id, struct slx_err *err);
char *rt_now_rfc3339(void);

#endif
