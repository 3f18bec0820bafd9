/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor.h -- the floor every function sandbox gets whatever its bundle says:
 * own namespaces (user and network included), ids from the shim's range, a
 * non-root function user, the default seccomp profile, limits, the shared
 * root as read-only overlay lowers under a private upper, a private /tmp.  The bundle may tighten,
 * never loosen. */
#ifndef SLX_SHIM_FLOOR_H
#define SLX_SHIM_FLOOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"
#include "../oci/oci.h"

/* Host ids of every sandbox: systemd hands containers 524288..1879048191 and
 * leaves this block unassigned; root inside is SHIM_FLOOR_ID_BASE outside. */
#define SHIM_FLOOR_ID_BASE  1879048192u
#define SHIM_FLOOR_ID_COUNT 65536u
/* The ids after the range that own the sandboxes' user namespaces, one
 * per live sandbox (shim_floor_owner_take); the as many after them are the
 * sandboxes' function users, owner + SHIM_FLOOR_OWNERS. */
#define SHIM_FLOOR_OWNERS 65536u
/* The function's user when the bundle says root: Lambda's sbx_user1051. */
#define SHIM_FLOOR_UID	     993u
#define SHIM_FLOOR_GID	     990u
#define SHIM_FLOOR_MEMORY_MB 128u /* org.slxrun.function.memory, as Lambda */
#define SHIM_FLOOR_TMP_MB    512u /* org.slxrun.function.ephemeral-storage, as Lambda */
#define SHIM_FLOOR_PIDS	     1024 /* Lambda's process/thread ceiling */
#define SHIM_FLOOR_PTYS	     16	  /* ptys per sandbox (devpts max=) */
#define SHIM_FLOOR_FILES     1024 /* open files, when the bundle says nothing (Lambda's) */

/* The operator's say (shim serve / invoke flags). */
struct shim_floor_opts {
	bool unsafe;		    /* --unsafe-sandbox: the bundle exactly as written */
	uint32_t id_base, id_count; /* --sandbox-ids BASE:COUNT; 0: the defaults */
	/* The CG_CTRL_* this host's cgroup v2 holds; NULL: asked of the host
	 * (a caller that knows, a unit test, passes its own). */
	const unsigned *controllers;
	/* --share-memory: every function's sandboxes may share their pages
	 * (shim_floor_share_memory). */
	bool share_memory;
	/* The lowers' views made once when a function is loaded, so that a
	 * lower the kernel cannot idmap is refused then (shim serve; a
	 * one-shot invoke meets it at its one sandbox, right after). */
	bool views_at_load;
	/* Processes (and threads) a sandbox may hold; 0: SHIM_FLOOR_PIDS.  A
	 * shim serving many sandboxes gives each a share of the host's
	 * (shim_floor_pids_share). */
	uint32_t pids;
};

/* What each of n sandboxes may hold so that together they take at most
 * half the host's processes (the least of kernel.pid_max and
 * kernel.threads-max): SHIM_FLOOR_PIDS, or less when n of that would not
 * fit (1 warning line on stderr then); an error under 16 each. */
int shim_floor_pids_share(uint64_t n, uint32_t *pids, struct slx_err *err);

/* What the floor decided for one function. */
struct shim_floor {
	bool on;
	uint32_t uid, gid; /* the function's identity inside (the agent stays root) */
	uint32_t *gids;
	size_t n_gids;
	uint32_t memory_mb, tmp_mb;
	unsigned missing;		   /* CG_CTRL_* whose limits this host cannot hold */
	struct rt_seccomp *seccomp;	   /* the default profile, on the agent and all below it */
	struct rt_seccomp *bundle_seccomp; /* the bundle's own, stacked on the function */
	bool share_memory;		   /* shim_floor_share_memory */
	int share_exec_fd; /* share-exec, sealed, when share_memory (the process's) */
	/* shim_floor_views_plan: whether each sandbox's function user gets a
	 * host id of its own, and the lowers it sees through views of its own
	 * (false and none without the floor) */
	bool own_user;
	char **views;
	size_t n_views;
};

/* Turn cfg (a function's bundle) into its sandbox's config: fill what the
 * bundle leaves out, refuse what asks for less with a line naming the field
 * ("linux.namespaces[1].path: a function sandbox gets its own network
 * namespace, not /proc/1/ns/net (--unsafe-sandbox to allow)").  The agent
 * (pid 1) runs as root inside with CAP_SETUID, CAP_SETGID and CAP_KILL only;
 * out->uid/gid are what it runs the function as. */
int shim_floor_apply(struct oci_config *cfg, const struct shim_floor_opts *o, const char *bundle,
		     const char *skeleton, uint32_t memory_mb, uint32_t tmp_mb,
		     struct shim_floor *out, struct slx_err *err);
void shim_floor_release(struct shim_floor *f);

#define SHIM_FLOOR_UNSAFE_HINT " (--unsafe-sandbox to allow)"

/* The sandbox's root (floor_root.c): the shared rootfs -- a plain bundle's
 * directory (resolved against bundle), or an image bundle's layers -- is
 * never written.  An image's overlay must keep its upperdir and workdir in
 * the tmpfs mounted just before it (capped at upper_mb); a plain bundle whose
 * root.readonly is false gets the same: its rootfs the one lower, root.path
 * the skeleton (img_overlay_skeleton) the overlay is mounted on; with
 * root.readonly true its rootfs alone, read-only. */
int shim_floor_root(struct oci_config *cfg, const char *bundle, const char *skeleton,
		    uint32_t upper_mb, struct slx_err *err);
/* Append a copy of s to v (kept NULL-terminated); -1 on ENOMEM. */
int floor_strv_add(struct oci_strv *v, const char *s);
/* Whether o holds the option word itself. */
bool floor_has_option(const struct oci_strv *o, const char *word);
/* path (resolved, checked) opened O_PATH|O_NOFOLLOW|flags, and found to be
 * where it was checked (the path read back from the descriptor): a
 * directory on the way swapped for a symlink since then is "WHAT changed
 * while the function was being loaded", never another object.  The fd, or
 * -1. */
int floor_open_checked(const char *path, int flags, const char *what, struct slx_err *err);
/* Whether env (process.env) holds a variable starting with prefix ("K="). */
bool floor_env_has(const struct oci_strv *env, const char *prefix);
/* Whether m is a bind mount (its type, or a bind or rbind option). */
bool floor_mount_is_bind(const struct oci_mount *m);
/* *opt, "lowerdir=A:B:C" of mounts[index], rebuilt with each lower passed
 * through each, which may replace it (heap) or fail naming it. */
typedef int (*floor_lower_fn)(char **lower, size_t index, void *arg, struct slx_err *err);
int floor_lowers_each(char **opt, size_t index, floor_lower_fn each, void *arg,
		      struct slx_err *err);
/* Whether bundle (resolved) is one the image store under root made: its
 * config and overlay are the store's, naming its layers, whose directory
 * goes to layers. */
bool floor_store_bundle(const char *bundle, const char *root, char layers[PATH_MAX]);
/* A function sees only what is its own: root.path and every bind source
 * must resolve inside the bundle's directory (fn's, resolved) and a bind
 * be of a file or a directory (rewritten resolved), and only a bundle the
 * image store under root made may bring an overlay (naming its layers).  A
 * host directory, another function's bundle, the host's /proc, /dev or a
 * unix socket are refused naming the field.  Run before shim_floor_apply,
 * which adds the floor's own mounts. */
int shim_floor_own_paths(struct oci_config *cfg, const char *bundle, const char *root,
			 struct slx_err *err);
/* What a sandbox mounts from inside the bundle (root.path, bind sources,
 * overlay lowers; bundle resolved) pinned as it is now (floor_pin.c): each
 * opened once, found where shim_floor_own_paths checked it, and cloned by
 * its descriptor to a mountpoint in a private tmpfs of this process's own
 * mount namespace (over /run/slxrun-views, made when missing), which the
 * config then names.  A later rename or symlink swap in the bundle changes nothing a
 * sandbox mounts.  A bundle root's image store made is left as it is (the
 * store's, root's).  Run after shim_floor_lowers. */
int shim_floor_pin(struct oci_config *cfg, const char *bundle, const char *root,
		   struct slx_err *err);
/* No regular file that a sandbox mounts from bundle (resolved) --
 * root.path, a bind's source, resolved by shim_floor_own_paths -- is set-uid
 * or set-gid to an id of o's range or of the owners after it and runnable
 * by a host user: each sandbox's namespace belongs to one of the owners,
 * and the bundle's path is searchable by any host user (floor_setid.c).
 * Walked, physically and into mounts not nosuid, only where such an id owns the top or
 * anything directly in it (a tree shifted into the range); the first such
 * file is refused by name, with their count. */
int shim_floor_no_setid(const struct oci_config *cfg, const char *bundle,
			const struct shim_floor_opts *o, struct slx_err *err);
/* An owner for one sandbox's user namespace, free now on the whole host:
 * one of the SHIM_FLOOR_OWNERS ids from first (the range's end), in
 * *owner.  Returns the descriptor whose lock holds it, to be closed once the
 * sandbox is gone (floor_owner.c), or -1. */
int shim_floor_owner_take(uint32_t first, uid_t *owner, struct slx_err *err);
/* The sandbox ids of o (the range and the owners and function users after
 * it) held for this process's life, node-wide: refused in one line when
 * they overlap a range another process on the host uses and are not that
 * range exactly (floor_owner.c).  Once per process; again with the same
 * range, nothing. */
int shim_floor_range_hold(const struct shim_floor_opts *o, struct slx_err *err);
/* The same through the registry at path: base:count's record taken and
 * read-locked; returns the descriptor holding it, or -1. */
int shim_floor_range_take(const char *path, uint32_t base, uint32_t count, struct slx_err *err);
/* The value of the option "key=value" in o, NULL when absent. */
const char *floor_option_value(const struct oci_strv *o, const char *key);
/* Each overlay lower of cfg (a sandbox's config, the floor applied) must be
 * the sandbox's own -- a layer of the image when bundle (resolved) is one
 * root's image store made, or a directory inside bundle -- absolute and
 * resolved already: one that resolves elsewhere now (a symlink swapped in
 * since shim_floor_own_paths) is refused, never rewritten (floor_idmap.c).
 * A kernel that cannot stack an idmapped lower (overlayfs before 5.19) is
 * one line, never a sandbox with wrong owners.  Run before shim_floor_pin. */
int shim_floor_lowers(struct oci_config *cfg, const char *bundle, const char *root,
		      struct slx_err *err);
/* After shim_floor_pin: the lowers each sandbox sees through views of its
 * own (f->views: every lower but one whose top directory the range already
 * owns, left as it is), and whether the function's user may have a host id
 * of its own (f->own_user: not when the root or a lower is such a tree,
 * whose files of that user are BASE+X on disk).  With made, the views are
 * made once here too (shim_floor_opts.views_at_load). */
int shim_floor_views_plan(struct oci_config *cfg, struct shim_floor *f, bool made,
			  struct slx_err *err);
/* For one sandbox: trees[i], a detached read-only view of f->views[i] in
 * which an id X on disk is what the sandbox's maps (uids, gids) make of X,
 * for rt_sandbox_opts.cover_trees.  A filesystem the kernel cannot idmap is
 * one line naming it. */
int shim_floor_views_make(const struct shim_floor *f, const struct oci_id_mapping *uids,
			  size_t n_uids, const struct oci_id_mapping *gids, size_t n_gids,
			  int *trees, struct slx_err *err);
/* True when shim_floor_root will need a skeleton for cfg. */
bool shim_floor_root_needs_skeleton(const struct oci_config *cfg);
/* A size in MB for key (an annotation or its flag), from lo to 10240 as
 * Lambda's: memory from 16 (128 on Lambda; smaller for local tests), /tmp
 * from 512.  An error names key and the value. */
int shim_floor_parse_mb(const char *key, const char *s, uint32_t lo, uint32_t *out,
			struct slx_err *err);
/* "BASE:COUNT" for --sandbox-ids; COUNT at least 65536, no id below 65536,
 * and room for the SHIM_FLOOR_OWNERS owners after the range. */
int shim_floor_parse_ids(const char *s, struct shim_floor_opts *o, struct slx_err *err);
/* "memory, pids, cpu" for a CG_CTRL_* mask (the controllers missing). */
void shim_floor_missing_names(unsigned missing, char *buf, size_t len);

/* --share-memory, the operator's choice for every function a shim serves
 * (a bundle or an image cannot ask for it): each function process's pages
 * may be merged with identical ones of every other that shares (KSM; the
 * agent execs it through share-exec, f->share_exec_fd, so that the agent,
 * whose memory is a clone of the shim's, never is) and what it runs is
 * laid out alike in each sandbox (no ASLR), so that a function's warm
 * sandboxes, started alike, hold one copy of what they have alike.
 * cfg's process gets PYTHONHASHSEED, one random seed per function (unless
 * it sets its own): Python's hashes, and the pages of its dicts and sets,
 * would differ in every interpreter; and GLIBC_TUNABLES without glibc's
 * thread cache (unless it sets its own), whose random key in every freed
 * chunk would.  The costs (README): the merge side channel among the
 * processes that share, exact (pagemap says whether a page is still one's
 * own); ASLR, glibc's thread cache and a 128-bit hash key within them.  No
 * other function can join them (the floor's seccomp refuses making memory
 * mergeable; these sandboxes get shim_seccomp_share_bpf).  A kernel without
 * PR_SET_MEMORY_MERGE (before 6.4) is one line. */
int shim_floor_share_memory(struct oci_config *cfg, struct shim_floor *f, struct slx_err *err);
/* One line on stderr when sandboxes share memory but the host's KSM is
 * not running (/sys/kernel/mm/ksm/run is not 1): nothing is merged then. */
void shim_floor_report_ksm(void);

/* One line on stderr when the floor is off or this host's cgroup v2 cannot
 * hold some of its limits: the operator must know what does not hold. */
void shim_floor_report(const struct shim_floor *f);

/* The default profile as config.json text holding linux.seccomp
 * (shim/gen/seccomp_default.c), and the BPF program the build compiles it to
 * (build/gen/seccomp_default_bpf.c, written by shim/gen/seccomp_bpf_gen.c):
 * the shim and `invoke` load the program without compiling anything. */
extern const char shim_seccomp_default_json[];
extern const struct sock_filter shim_seccomp_default_bpf[];
extern const size_t shim_seccomp_default_bpf_len;
extern const unsigned shim_seccomp_default_bpf_flags;
/* The same with prctl PR_SET_MEMORY_MERGE and madvise MADV_MERGEABLE
 * allowed, for the sandboxes of a shim serve --share-memory. */
extern const char shim_seccomp_share_json[];
extern const struct sock_filter shim_seccomp_share_bpf[];
extern const size_t shim_seccomp_share_bpf_len;
extern const unsigned shim_seccomp_share_bpf_flags;
/* share-exec (shim/gen/share_exec.c), built static at build time. */
extern const unsigned char shim_share_exec_bin[];
extern const size_t shim_share_exec_bin_len;

#endif
