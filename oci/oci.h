/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oci.h -- the OCI runtime-spec model: config.json and state.json as typed C
 * structs, parsed with yajl, validated, printed.  oci/ reads files and never
 * makes any other syscall; runtime/ and cgroups/ consume these structs. */
#ifndef SLX_OCI_H
#define SLX_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"

#define OCI_VERSION "1.2.0"

/* An optional scalar: `set` is false when the field was absent. */
struct oci_opt_i64 {
	bool set;
	int64_t v;
};
struct oci_opt_u64 {
	bool set;
	uint64_t v;
};

/* A NULL-terminated vector of strings (execve-ready) with its length. */
struct oci_strv {
	char **v; /* NULL when absent; else v[n] == NULL */
	size_t n;
};

struct oci_kv {
	char *key;
	char *value;
};
struct oci_kvv {
	struct oci_kv *v;
	size_t n;
};

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	struct oci_opt_u64 umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;
};

struct oci_capabilities {
	bool present; /* process.capabilities given at all */
	struct oci_strv bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit {
	char *type;   /* "RLIMIT_NOFILE" */
	int resource; /* RLIMIT_NOFILE */
	uint64_t soft, hard;
};

struct oci_process {
	bool terminal;
	struct oci_opt_u64 console_height, console_width;
	struct oci_user user;
	struct oci_strv args; /* required, n >= 1 */
	struct oci_strv env;
	char *cwd; /* required, absolute */
	struct oci_capabilities caps;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	struct oci_opt_i64 oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct oci_root {
	char *path; /* as written; relative to the bundle unless absolute */
	bool readonly;
};

struct oci_mount {
	char *destination;
	char *type; /* may be NULL (bind mounts) */
	char *source;
	struct oci_strv options;
	/* runtime-spec 1.1: an idmapped bind's maps, read as linux.uidMappings
	 * (containerID is the id on disk, hostID what it becomes). */
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct oci_hook {
	char *path;
	struct oci_strv args;
	struct oci_strv env;
	struct oci_opt_i64 timeout; /* seconds, > 0 when set */
};
struct oci_hookv {
	struct oci_hook *v;
	size_t n;
};
struct oci_hooks {
	struct oci_hookv prestart, create_runtime, create_container, start_container, poststart,
	    poststop;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};
struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* join this one when set */
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	struct oci_opt_u64 file_mode, uid, gid;
};

struct oci_device_cgroup {
	bool allow;
	char type;	      /* 'a', 'c', 'b'; 'a' when absent */
	int64_t major, minor; /* -1 = wildcard */
	char *access;	      /* "rwm" subset; NULL = all */
};

struct oci_weight_device {
	int64_t major, minor;
	struct oci_opt_u64 weight, leaf_weight;
};
struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};
struct oci_hugepage_limit {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct oci_resources {
	bool present;
	struct oci_device_cgroup *devices;
	size_t n_devices;
	struct {
		bool present;
		struct oci_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
		struct oci_opt_u64 swappiness;
		bool disable_oom_killer, use_hierarchy, check_before_update;
	} memory;
	struct {
		bool present;
		struct oci_opt_u64 shares, period, realtime_period;
		struct oci_opt_i64 quota, realtime_runtime, idle;
		struct oci_opt_u64 burst;
		char *cpus, *mems;
	} cpu;
	struct {
		bool present;
		struct oci_opt_i64 limit;
	} pids;
	struct {
		bool present;
		struct oci_opt_u64 weight, leaf_weight;
		struct oci_weight_device *weight_device;
		size_t n_weight_device;
		struct oci_throttle_device *throttle_read_bps, *throttle_write_bps,
		    *throttle_read_iops, *throttle_write_iops;
		size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
		    n_throttle_write_iops;
	} block_io;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct oci_kvv unified;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value, value_two;
	char *op; /* "SCMP_CMP_EQ" ... */
};
struct oci_seccomp_syscall {
	struct oci_strv names;
	char *action; /* "SCMP_ACT_ERRNO" ... */
	struct oci_opt_u64 errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};
struct oci_seccomp {
	bool present;
	char *default_action;
	struct oci_opt_u64 default_errno_ret;
	struct oci_strv architectures;
	struct oci_strv flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct oci_resources resources;
	struct oci_kvv sysctl;
	struct oci_seccomp seccomp;
	char *rootfs_propagation;
	struct oci_strv masked_paths;
	struct oci_strv readonly_paths;
	char *mount_label;
	struct {
		bool present;
		char *domain; /* "LINUX" or "LINUX32" */
		struct oci_strv flags;
	} personality;
	struct oci_time_offset time_monotonic, time_boottime;
};

struct oci_config {
	char *oci_version;
	struct oci_process process; /* required for create/run */
	bool has_process;
	struct oci_root root;
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hooks hooks;
	struct oci_kvv annotations;
	struct oci_linux linux_; /* `linux` is a predefined macro under GNU C */
	bool has_linux;
};

/* Parse config.json text.  `name` prefixes error messages ("config.json").
 * Errors name the JSON path: "config.json: process.args[1]: expected a
 * string, got a number".  Unknown fields are ignored.  On success *out owns
 * everything and is released with oci_config_free(). */
int oci_config_parse(const char *name, const char *json, size_t len, struct oci_config **out,
		     struct slx_err *err);
/* Caps on the documents we read, so a hostile or runaway file (or a fifo fed
 * forever) is refused with its name instead of eating memory.  Real configs
 * are a few KiB and a large seccomp profile ~30 KiB: 4 MiB is two orders
 * above anything sane for config.json and an exec process.json.  state.json
 * is ours; its only unbounded part is annotations, which Kubernetes caps at
 * 256 KiB in total, so 1 MiB.  A resources object is a few hundred bytes. */
#define OCI_CONFIG_MAX	  ((size_t)4 << 20)
#define OCI_PROCESS_MAX	  ((size_t)4 << 20)
#define OCI_STATE_MAX	  ((size_t)1 << 20)
#define OCI_RESOURCES_MAX ((size_t)1 << 20)

/* Read and parse <bundle>/config.json (at most OCI_CONFIG_MAX bytes). */
int oci_config_load(const char *bundle, struct oci_config **out, struct slx_err *err);
/* The same, also handing back the exact text parsed (heap, *text), so a
 * caller can keep what it acted on rather than read the file again. */
int oci_config_load_text(const char *bundle, struct oci_config **out, char **text, size_t *len,
			 struct slx_err *err);
void oci_config_free(struct oci_config *cfg);

/* Parse a bare OCI process object (runc exec --process FILE). */
int oci_process_parse(const char *name, const char *json, size_t len, struct oci_process **out,
		      struct slx_err *err);
void oci_process_free(struct oci_process *p);

/* Parse a LinuxResources object (runc update --resources -). */
int oci_resources_parse(const char *name, const char *json, size_t len, struct oci_resources **out,
			struct slx_err *err);
void oci_resources_free(struct oci_resources *r);

/* Namespace type names as the spec spells them ("pid", "network", ...). */
const char *oci_ns_type_name(enum oci_ns_type t);

/* --- state.json ------------------------------------------------------ */

enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
	OCI_STATUS_PAUSED,
};
const char *oci_status_name(enum oci_status s);

/* What slxrun keeps per container in <root>/<id>/state.json: the OCI state
 * plus the private facts needed to act on it later. */
struct oci_state {
	char *oci_version;
	char *id;
	enum oci_status status; /* as last recorded; the runtime refines it */
	int pid;
	unsigned long long pid_start_time; /* /proc/<pid>/stat field 22, guards pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 UTC */
	char *owner;
	char *cgroup_path; /* absolute path of the container's cgroup dir, "" if none */
	struct oci_kvv annotations;
	struct oci_hookv poststop; /* kept so delete can run them */
	struct oci_hookv poststart;
	bool systemd_cgroup;
	/* A pid namespace of its own: its processes die with its pid 1, so
	 * once stopped what its cgroup holds is another's. */
	bool own_pidns;
	/* Created with --no-new-keyring: exec keeps its caller's keyring too. */
	bool no_new_keyring;
};

/* Serialize; *out is heap (NUL-terminated).  `full` adds the private fields
 * (for state.json); without it prints what `slxrun state` shows (runc's shape:
 * ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations). */
int oci_state_to_json(const struct oci_state *st, bool full, char **out, size_t *len,
		      struct slx_err *err);
int oci_state_parse(const char *name, const char *json, size_t len, struct oci_state **out,
		    struct slx_err *err);
void oci_state_free(struct oci_state *st);

/* --- generated documents -------------------------------------------- */

/* runc's default linux.maskedPaths and readonlyPaths, NULL-terminated:
 * what `slxrun spec` writes, and what a function sandbox always gets. */
extern const char *const oci_default_masked_paths[];
extern const char *const oci_default_readonly_paths[];
/* The default config.json `slxrun spec` writes (runc spec's shape); rootless
 * adds a user namespace with uid/gid mappings for `uid`/`gid`. */
int oci_spec_default_json(bool rootless, uid_t uid, gid_t gid, char **out, size_t *len,
			  struct slx_err *err);

/* What `slxrun features` prints (runtime-spec features.md). */
int oci_features_json(char **out, size_t *len, struct slx_err *err);

#endif
