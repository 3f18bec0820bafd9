/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c -- config.json (runtime-spec 1.0 to 1.3, Linux): the field tables
 * that map it onto struct oci_config, the checks the spec makes REQUIRED,
 * and the entry points for configs, bare processes and bare resources. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "decode.h"

#define FIELD(T, k, kd, m, ...)                                                                    \
	{                                                                                          \
		.key = (k), .kind = (kd), .off = offsetof(T, m), __VA_ARGS__                       \
	}
#define REQ .flags = OCI_F_REQUIRED
#define DESC(name, T, fields, present, init_fn, check_fn)                                          \
	static const struct oci_obj name = {                                                       \
	    (fields), OCI_ARRAY_SIZE(fields), sizeof(T), (present), (init_fn), (check_fn)}

/* --- name tables -------------------------------------------------------- */

static const char *const ns_names[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",	[OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
    [OCI_NS_IPC] = "ipc",	[OCI_NS_UTS] = "uts",	      [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

const char *oci_ns_type_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS_COUNT ? ns_names[t] : "unknown";
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static const char *const seccomp_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",	       "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",	       "SCMP_ACT_NOTIFY",
};

static const char *const seccomp_ops[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Check a string field already decoded into obj; the path names the field. */
static int check_str_in(struct oci_dctx *c, const char *key, const char *v, const char *const *list,
			size_t n, const char *what)
{
	size_t mark;

	if (!v || in_list(v, list, n))
		return 0;
	mark = oci_path_push_key(c, key);
	oci_derror(c, "unknown %s \"%s\"", what, v);
	oci_path_pop(c, mark);
	return -1;
}

/* --- process ------------------------------------------------------------ */

static const struct oci_field user_fields[] = {
    FIELD(struct oci_user, "uid", OCI_K_U32, uid),
    FIELD(struct oci_user, "gid", OCI_K_U32, gid),
    FIELD(struct oci_user, "umask", OCI_K_OPT_U64, umask),
    FIELD(struct oci_user, "additionalGids", OCI_K_U32V, additional_gids,
	  .off_n = offsetof(struct oci_user, n_additional_gids)),
    FIELD(struct oci_user, "username", OCI_K_STR, username),
};
DESC(user_desc, struct oci_user, user_fields, -1, NULL, NULL);

/* consoleSize's members live directly in struct oci_process. */
static const struct oci_field console_fields[] = {
    FIELD(struct oci_process, "height", OCI_K_OPT_U64, console_height),
    FIELD(struct oci_process, "width", OCI_K_OPT_U64, console_width),
};
DESC(console_desc, struct oci_process, console_fields, -1, NULL, NULL);

static const struct oci_field caps_fields[] = {
    FIELD(struct oci_capabilities, "bounding", OCI_K_STRV, bounding),
    FIELD(struct oci_capabilities, "effective", OCI_K_STRV, effective),
    FIELD(struct oci_capabilities, "inheritable", OCI_K_STRV, inheritable),
    FIELD(struct oci_capabilities, "permitted", OCI_K_STRV, permitted),
    FIELD(struct oci_capabilities, "ambient", OCI_K_STRV, ambient),
};
DESC(caps_desc, struct oci_capabilities, caps_fields, offsetof(struct oci_capabilities, present),
     NULL, NULL);

static int rlimit_check(struct oci_dctx *c, void *dst)
{
	struct oci_rlimit *r = dst;
	size_t mark;

	for (size_t i = 0; i < OCI_ARRAY_SIZE(rlimit_names); i++) {
		if (strcmp(r->type, rlimit_names[i].name) == 0) {
			r->resource = rlimit_names[i].resource;
			return 0;
		}
	}
	mark = oci_path_push_key(c, "type");
	oci_derror(c, "unknown rlimit type \"%s\"", r->type);
	oci_path_pop(c, mark);
	return -1;
}

static const struct oci_field rlimit_fields[] = {
    FIELD(struct oci_rlimit, "type", OCI_K_STR, type, REQ),
    FIELD(struct oci_rlimit, "soft", OCI_K_U64, soft, REQ),
    FIELD(struct oci_rlimit, "hard", OCI_K_U64, hard, REQ),
};
DESC(rlimit_desc, struct oci_rlimit, rlimit_fields, -1, NULL, rlimit_check);

static int process_check(struct oci_dctx *c, void *dst)
{
	struct oci_process *p = dst;

	if (p->args.n == 0) {
		oci_path_push_key(c, "args");
		return oci_derror(c, "must not be empty");
	}
	if (p->cwd[0] != '/') {
		oci_path_push_key(c, "cwd");
		return oci_derror(c, "must be an absolute path, got \"%s\"", p->cwd);
	}
	for (size_t i = 1; i < p->n_rlimits; i++) {
		for (size_t j = 0; j < i; j++) {
			if (p->rlimits[i].resource != p->rlimits[j].resource)
				continue;
			oci_path_push_key(c, "rlimits");
			oci_path_push_index(c, i);
			oci_path_push_key(c, "type");
			return oci_derror(c, "duplicate rlimit type \"%s\"", p->rlimits[i].type);
		}
	}
	return 0;
}

static const struct oci_field process_fields[] = {
    FIELD(struct oci_process, "terminal", OCI_K_BOOL, terminal),
    {.key = "consoleSize", .kind = OCI_K_OBJ, .off = 0, .obj = &console_desc},
    FIELD(struct oci_process, "user", OCI_K_OBJ, user, .obj = &user_desc),
    FIELD(struct oci_process, "args", OCI_K_STRV, args, REQ),
    FIELD(struct oci_process, "env", OCI_K_STRV, env),
    FIELD(struct oci_process, "cwd", OCI_K_STR, cwd, REQ),
    FIELD(struct oci_process, "capabilities", OCI_K_OBJ, caps, .obj = &caps_desc),
    FIELD(struct oci_process, "rlimits", OCI_K_OBJV, rlimits,
	  .off_n = offsetof(struct oci_process, n_rlimits), .obj = &rlimit_desc),
    FIELD(struct oci_process, "noNewPrivileges", OCI_K_BOOL, no_new_privileges),
    FIELD(struct oci_process, "oomScoreAdj", OCI_K_OPT_I64, oom_score_adj),
    FIELD(struct oci_process, "apparmorProfile", OCI_K_STR, apparmor_profile),
    FIELD(struct oci_process, "selinuxLabel", OCI_K_STR, selinux_label),
};
DESC(process_desc, struct oci_process, process_fields, -1, NULL, process_check);

/* --- root, mounts, hooks ------------------------------------------------ */

static const struct oci_field root_fields[] = {
    FIELD(struct oci_root, "path", OCI_K_STR, path, REQ),
    FIELD(struct oci_root, "readonly", OCI_K_BOOL, readonly),
};
DESC(root_desc, struct oci_root, root_fields, -1, NULL, NULL);

static const struct oci_field idmap_fields[] = {
    FIELD(struct oci_id_mapping, "containerID", OCI_K_U32, container_id, REQ),
    FIELD(struct oci_id_mapping, "hostID", OCI_K_U32, host_id, REQ),
    FIELD(struct oci_id_mapping, "size", OCI_K_U32, size, REQ),
};
DESC(idmap_desc, struct oci_id_mapping, idmap_fields, -1, NULL, NULL);

static const struct oci_field mount_fields[] = {
    FIELD(struct oci_mount, "destination", OCI_K_STR, destination, REQ),
    FIELD(struct oci_mount, "type", OCI_K_STR, type),
    FIELD(struct oci_mount, "source", OCI_K_STR, source),
    FIELD(struct oci_mount, "options", OCI_K_STRV, options),
    FIELD(struct oci_mount, "uidMappings", OCI_K_OBJV, uid_mappings,
	  .off_n = offsetof(struct oci_mount, n_uid_mappings), .obj = &idmap_desc),
    FIELD(struct oci_mount, "gidMappings", OCI_K_OBJV, gid_mappings,
	  .off_n = offsetof(struct oci_mount, n_gid_mappings), .obj = &idmap_desc),
};
DESC(mount_desc, struct oci_mount, mount_fields, -1, NULL, NULL);

static int hook_check(struct oci_dctx *c, void *dst)
{
	struct oci_hook *h = dst;

	if (h->path[0] != '/') {
		oci_path_push_key(c, "path");
		return oci_derror(c, "must be an absolute path, got \"%s\"", h->path);
	}
	if (h->timeout.set && h->timeout.v <= 0) {
		oci_path_push_key(c, "timeout");
		return oci_derror(c, "must be greater than zero");
	}
	return 0;
}

static const struct oci_field hook_fields[] = {
    FIELD(struct oci_hook, "path", OCI_K_STR, path, REQ),
    FIELD(struct oci_hook, "args", OCI_K_STRV, args),
    FIELD(struct oci_hook, "env", OCI_K_STRV, env),
    FIELD(struct oci_hook, "timeout", OCI_K_OPT_I64, timeout),
};
const struct oci_obj oci_hook_desc = {
    hook_fields, OCI_ARRAY_SIZE(hook_fields), sizeof(struct oci_hook), -1, NULL, hook_check};

#define HOOKV(k, m)                                                                                \
	FIELD(struct oci_hooks, k, OCI_K_OBJV, m.v, .off_n = offsetof(struct oci_hooks, m.n),      \
	      .obj = &oci_hook_desc)
static const struct oci_field hooks_fields[] = {
    HOOKV("prestart", prestart),
    HOOKV("createRuntime", create_runtime),
    HOOKV("createContainer", create_container),
    HOOKV("startContainer", start_container),
    HOOKV("poststart", poststart),
    HOOKV("poststop", poststop),
};
DESC(hooks_desc, struct oci_hooks, hooks_fields, -1, NULL, NULL);

/* --- linux: namespaces, mappings, devices ------------------------------- */

static int ns_type_decode(struct oci_dctx *c, const struct oci_jnode *n, void *dst)
{
	if (n->type != OCI_J_STRING)
		return oci_dexpected(c, "a string", n);
	for (int t = 0; t < OCI_NS_COUNT; t++) {
		if (strcmp(n->str.s, ns_names[t]) == 0) {
			*(enum oci_ns_type *)dst = (enum oci_ns_type)t;
			return 0;
		}
	}
	return oci_derror(c, "unknown namespace type \"%s\"", n->str.s);
}

static const struct oci_field ns_fields[] = {
    FIELD(struct oci_namespace, "type", OCI_K_FN, type, REQ, .fn = ns_type_decode),
    FIELD(struct oci_namespace, "path", OCI_K_STR, path),
};
DESC(ns_desc, struct oci_namespace, ns_fields, -1, NULL, NULL);

static const struct oci_field device_fields[] = {
    FIELD(struct oci_device, "path", OCI_K_STR, path, REQ),
    FIELD(struct oci_device, "type", OCI_K_CHAR, type, REQ, .chars = "cbup"),
    FIELD(struct oci_device, "major", OCI_K_I64, major),
    FIELD(struct oci_device, "minor", OCI_K_I64, minor),
    FIELD(struct oci_device, "fileMode", OCI_K_OPT_U64, file_mode),
    FIELD(struct oci_device, "uid", OCI_K_OPT_U64, uid),
    FIELD(struct oci_device, "gid", OCI_K_OPT_U64, gid),
};
DESC(device_desc, struct oci_device, device_fields, -1, NULL, NULL);

/* --- linux.resources ------------------------------------------------------ */

static void devcg_init(void *dst)
{
	struct oci_device_cgroup *d = dst;

	d->type = 'a';
	d->major = -1;
	d->minor = -1;
}

static int devcg_check(struct oci_dctx *c, void *dst)
{
	struct oci_device_cgroup *d = dst;

	if (!d->access || (d->access[0] && strspn(d->access, "rwm") == strlen(d->access)))
		return 0;
	oci_path_push_key(c, "access");
	return oci_derror(c, "invalid access \"%s\" (expected letters of \"rwm\")", d->access);
}

static const struct oci_field devcg_fields[] = {
    FIELD(struct oci_device_cgroup, "allow", OCI_K_BOOL, allow, REQ),
    FIELD(struct oci_device_cgroup, "type", OCI_K_CHAR, type, .chars = "acb"),
    FIELD(struct oci_device_cgroup, "major", OCI_K_I64, major),
    FIELD(struct oci_device_cgroup, "minor", OCI_K_I64, minor),
    FIELD(struct oci_device_cgroup, "access", OCI_K_STR, access),
};
DESC(devcg_desc, struct oci_device_cgroup, devcg_fields, -1, devcg_init, devcg_check);

typedef __typeof__(((struct oci_resources *)0)->memory) oci_memory_t;
typedef __typeof__(((struct oci_resources *)0)->cpu) oci_cpu_t;
typedef __typeof__(((struct oci_resources *)0)->pids) oci_pids_t;
typedef __typeof__(((struct oci_resources *)0)->block_io) oci_blkio_t;

static const struct oci_field memory_fields[] = {
    FIELD(oci_memory_t, "limit", OCI_K_OPT_I64, limit),
    FIELD(oci_memory_t, "reservation", OCI_K_OPT_I64, reservation),
    FIELD(oci_memory_t, "swap", OCI_K_OPT_I64, swap),
    FIELD(oci_memory_t, "kernel", OCI_K_OPT_I64, kernel),
    FIELD(oci_memory_t, "kernelTCP", OCI_K_OPT_I64, kernel_tcp),
    FIELD(oci_memory_t, "swappiness", OCI_K_OPT_U64, swappiness),
    FIELD(oci_memory_t, "disableOOMKiller", OCI_K_BOOL, disable_oom_killer),
    FIELD(oci_memory_t, "useHierarchy", OCI_K_BOOL, use_hierarchy),
    FIELD(oci_memory_t, "checkBeforeUpdate", OCI_K_BOOL, check_before_update),
};
DESC(memory_desc, oci_memory_t, memory_fields, offsetof(oci_memory_t, present), NULL, NULL);

static const struct oci_field cpu_fields[] = {
    FIELD(oci_cpu_t, "shares", OCI_K_OPT_U64, shares),
    FIELD(oci_cpu_t, "quota", OCI_K_OPT_I64, quota),
    FIELD(oci_cpu_t, "burst", OCI_K_OPT_U64, burst),
    FIELD(oci_cpu_t, "period", OCI_K_OPT_U64, period),
    FIELD(oci_cpu_t, "realtimeRuntime", OCI_K_OPT_I64, realtime_runtime),
    FIELD(oci_cpu_t, "realtimePeriod", OCI_K_OPT_U64, realtime_period),
    FIELD(oci_cpu_t, "cpus", OCI_K_STR, cpus),
    FIELD(oci_cpu_t, "mems", OCI_K_STR, mems),
    FIELD(oci_cpu_t, "idle", OCI_K_OPT_I64, idle),
};
DESC(cpu_desc, oci_cpu_t, cpu_fields, offsetof(oci_cpu_t, present), NULL, NULL);

static const struct oci_field pids_fields[] = {
    FIELD(oci_pids_t, "limit", OCI_K_OPT_I64, limit),
};
DESC(pids_desc, oci_pids_t, pids_fields, offsetof(oci_pids_t, present), NULL, NULL);

static const struct oci_field weight_dev_fields[] = {
    FIELD(struct oci_weight_device, "major", OCI_K_I64, major, REQ),
    FIELD(struct oci_weight_device, "minor", OCI_K_I64, minor, REQ),
    FIELD(struct oci_weight_device, "weight", OCI_K_OPT_U64, weight),
    FIELD(struct oci_weight_device, "leafWeight", OCI_K_OPT_U64, leaf_weight),
};
DESC(weight_dev_desc, struct oci_weight_device, weight_dev_fields, -1, NULL, NULL);

static const struct oci_field throttle_fields[] = {
    FIELD(struct oci_throttle_device, "major", OCI_K_I64, major, REQ),
    FIELD(struct oci_throttle_device, "minor", OCI_K_I64, minor, REQ),
    FIELD(struct oci_throttle_device, "rate", OCI_K_U64, rate, REQ),
};
DESC(throttle_desc, struct oci_throttle_device, throttle_fields, -1, NULL, NULL);

#define THROTTLE(k, m)                                                                             \
	FIELD(oci_blkio_t, k, OCI_K_OBJV, m, .off_n = offsetof(oci_blkio_t, n_##m),                \
	      .obj = &throttle_desc)
static const struct oci_field blkio_fields[] = {
    FIELD(oci_blkio_t, "weight", OCI_K_OPT_U64, weight),
    FIELD(oci_blkio_t, "leafWeight", OCI_K_OPT_U64, leaf_weight),
    FIELD(oci_blkio_t, "weightDevice", OCI_K_OBJV, weight_device,
	  .off_n = offsetof(oci_blkio_t, n_weight_device), .obj = &weight_dev_desc),
    THROTTLE("throttleReadBpsDevice", throttle_read_bps),
    THROTTLE("throttleWriteBpsDevice", throttle_write_bps),
    THROTTLE("throttleReadIOPSDevice", throttle_read_iops),
    THROTTLE("throttleWriteIOPSDevice", throttle_write_iops),
};
DESC(blkio_desc, oci_blkio_t, blkio_fields, offsetof(oci_blkio_t, present), NULL, NULL);

static const struct oci_field hugepage_fields[] = {
    FIELD(struct oci_hugepage_limit, "pageSize", OCI_K_STR, page_size, REQ),
    FIELD(struct oci_hugepage_limit, "limit", OCI_K_U64, limit, REQ),
};
DESC(hugepage_desc, struct oci_hugepage_limit, hugepage_fields, -1, NULL, NULL);

static const struct oci_field resources_fields[] = {
    FIELD(struct oci_resources, "devices", OCI_K_OBJV, devices,
	  .off_n = offsetof(struct oci_resources, n_devices), .obj = &devcg_desc),
    FIELD(struct oci_resources, "memory", OCI_K_OBJ, memory, .obj = &memory_desc),
    FIELD(struct oci_resources, "cpu", OCI_K_OBJ, cpu, .obj = &cpu_desc),
    FIELD(struct oci_resources, "pids", OCI_K_OBJ, pids, .obj = &pids_desc),
    FIELD(struct oci_resources, "blockIO", OCI_K_OBJ, block_io, .obj = &blkio_desc),
    FIELD(struct oci_resources, "hugepageLimits", OCI_K_OBJV, hugepage_limits,
	  .off_n = offsetof(struct oci_resources, n_hugepage_limits), .obj = &hugepage_desc),
    FIELD(struct oci_resources, "unified", OCI_K_KVV, unified),
};
DESC(resources_desc, struct oci_resources, resources_fields,
     offsetof(struct oci_resources, present), NULL, NULL);

/* --- linux.seccomp -------------------------------------------------------- */

static int seccomp_arg_check(struct oci_dctx *c, void *dst)
{
	return check_str_in(c, "op", ((struct oci_seccomp_arg *)dst)->op, seccomp_ops,
			    OCI_ARRAY_SIZE(seccomp_ops), "seccomp operator");
}

static const struct oci_field seccomp_arg_fields[] = {
    FIELD(struct oci_seccomp_arg, "index", OCI_K_U32, index, REQ),
    FIELD(struct oci_seccomp_arg, "value", OCI_K_U64, value, REQ),
    FIELD(struct oci_seccomp_arg, "valueTwo", OCI_K_U64, value_two),
    FIELD(struct oci_seccomp_arg, "op", OCI_K_STR, op, REQ),
};
DESC(seccomp_arg_desc, struct oci_seccomp_arg, seccomp_arg_fields, -1, NULL, seccomp_arg_check);

static int seccomp_syscall_check(struct oci_dctx *c, void *dst)
{
	return check_str_in(c, "action", ((struct oci_seccomp_syscall *)dst)->action,
			    seccomp_actions, OCI_ARRAY_SIZE(seccomp_actions), "seccomp action");
}

static const struct oci_field seccomp_syscall_fields[] = {
    FIELD(struct oci_seccomp_syscall, "names", OCI_K_STRV, names, REQ),
    FIELD(struct oci_seccomp_syscall, "action", OCI_K_STR, action, REQ),
    FIELD(struct oci_seccomp_syscall, "errnoRet", OCI_K_OPT_U64, errno_ret),
    FIELD(struct oci_seccomp_syscall, "args", OCI_K_OBJV, args,
	  .off_n = offsetof(struct oci_seccomp_syscall, n_args), .obj = &seccomp_arg_desc),
};
DESC(seccomp_syscall_desc, struct oci_seccomp_syscall, seccomp_syscall_fields, -1, NULL,
     seccomp_syscall_check);

static int seccomp_check(struct oci_dctx *c, void *dst)
{
	return check_str_in(c, "defaultAction", ((struct oci_seccomp *)dst)->default_action,
			    seccomp_actions, OCI_ARRAY_SIZE(seccomp_actions), "seccomp action");
}

static const struct oci_field seccomp_fields[] = {
    FIELD(struct oci_seccomp, "defaultAction", OCI_K_STR, default_action, REQ),
    FIELD(struct oci_seccomp, "defaultErrnoRet", OCI_K_OPT_U64, default_errno_ret),
    FIELD(struct oci_seccomp, "architectures", OCI_K_STRV, architectures),
    FIELD(struct oci_seccomp, "flags", OCI_K_STRV, flags),
    FIELD(struct oci_seccomp, "listenerPath", OCI_K_STR, listener_path),
    FIELD(struct oci_seccomp, "listenerMetadata", OCI_K_STR, listener_metadata),
    FIELD(struct oci_seccomp, "syscalls", OCI_K_OBJV, syscalls,
	  .off_n = offsetof(struct oci_seccomp, n_syscalls), .obj = &seccomp_syscall_desc),
};
DESC(seccomp_desc, struct oci_seccomp, seccomp_fields, offsetof(struct oci_seccomp, present), NULL,
     seccomp_check);

/* --- linux: personality, time offsets, the linux object ---------------- */

static const char *const personality_domains[] = {"LINUX", "LINUX32"};

/* The spec defines no flags ("currently no flag values are supported"):
 * one would be asked of the kernel and silently not given. */
static int personality_check(struct oci_dctx *c, void *dst)
{
	const struct oci_strv *flags = &((struct oci_linux *)dst)->personality.flags;
	size_t mark;

	if (flags->n) {
		mark = oci_path_push_key(c, "flags");
		oci_path_push_index(c, 0);
		oci_derror(c, "\"%s\": the runtime spec defines no personality flags", flags->v[0]);
		oci_path_pop(c, mark);
		return -1;
	}
	return check_str_in(c, "domain", ((struct oci_linux *)dst)->personality.domain,
			    personality_domains, OCI_ARRAY_SIZE(personality_domains),
			    "personality domain");
}

/* personality's and timeOffsets' members live directly in struct oci_linux. */
static const struct oci_field personality_fields[] = {
    FIELD(struct oci_linux, "domain", OCI_K_STR, personality.domain, REQ),
    FIELD(struct oci_linux, "flags", OCI_K_STRV, personality.flags),
};
DESC(personality_desc, struct oci_linux, personality_fields,
     offsetof(struct oci_linux, personality.present), NULL, personality_check);

static const struct oci_field time_offset_fields[] = {
    FIELD(struct oci_time_offset, "secs", OCI_K_I64, secs),
    FIELD(struct oci_time_offset, "nanosecs", OCI_K_U32, nanosecs),
};
DESC(time_offset_desc, struct oci_time_offset, time_offset_fields,
     offsetof(struct oci_time_offset, set), NULL, NULL);

static const struct oci_field time_offsets_fields[] = {
    FIELD(struct oci_linux, "monotonic", OCI_K_OBJ, time_monotonic, .obj = &time_offset_desc),
    FIELD(struct oci_linux, "boottime", OCI_K_OBJ, time_boottime, .obj = &time_offset_desc),
};
DESC(time_offsets_desc, struct oci_linux, time_offsets_fields, -1, NULL, NULL);

static int linux_check(struct oci_dctx *c, void *dst)
{
	struct oci_linux *l = dst;
	unsigned seen = 0;

	for (size_t i = 0; i < l->n_namespaces; i++) {
		unsigned bit = 1u << l->namespaces[i].type;

		if (seen & bit) {
			oci_path_push_key(c, "namespaces");
			oci_path_push_index(c, i);
			oci_path_push_key(c, "type");
			return oci_derror(c, "duplicate namespace type \"%s\"",
					  oci_ns_type_name(l->namespaces[i].type));
		}
		seen |= bit;
	}
	return 0;
}

#define IDMAPV(k, m)                                                                               \
	FIELD(struct oci_linux, k, OCI_K_OBJV, m, .off_n = offsetof(struct oci_linux, n_##m),      \
	      .obj = &idmap_desc)
static const struct oci_field linux_fields[] = {
    FIELD(struct oci_linux, "namespaces", OCI_K_OBJV, namespaces,
	  .off_n = offsetof(struct oci_linux, n_namespaces), .obj = &ns_desc),
    IDMAPV("uidMappings", uid_mappings),
    IDMAPV("gidMappings", gid_mappings),
    FIELD(struct oci_linux, "devices", OCI_K_OBJV, devices,
	  .off_n = offsetof(struct oci_linux, n_devices), .obj = &device_desc),
    FIELD(struct oci_linux, "cgroupsPath", OCI_K_STR, cgroups_path),
    FIELD(struct oci_linux, "resources", OCI_K_OBJ, resources, .obj = &resources_desc),
    FIELD(struct oci_linux, "sysctl", OCI_K_KVV, sysctl),
    FIELD(struct oci_linux, "seccomp", OCI_K_OBJ, seccomp, .obj = &seccomp_desc),
    FIELD(struct oci_linux, "rootfsPropagation", OCI_K_STR, rootfs_propagation),
    FIELD(struct oci_linux, "maskedPaths", OCI_K_STRV, masked_paths),
    FIELD(struct oci_linux, "readonlyPaths", OCI_K_STRV, readonly_paths),
    FIELD(struct oci_linux, "mountLabel", OCI_K_STR, mount_label),
    {.key = "personality", .kind = OCI_K_OBJ, .off = 0, .obj = &personality_desc},
    {.key = "timeOffsets", .kind = OCI_K_OBJ, .off = 0, .obj = &time_offsets_desc},
};
DESC(linux_desc, struct oci_linux, linux_fields, -1, NULL, linux_check);

/* --- the config ----------------------------------------------------------- */

/* Accept 1.0.x to 1.3.x with any pre-release or build suffix ("1.0.2-dev"):
 * the versions whose fields this decoder knows. */
static bool version_supported(const char *v)
{
	char *end;
	unsigned long major, minor;

	if (v[0] < '0' || v[0] > '9')
		return false;
	major = strtoul(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return false;
	minor = strtoul(end + 1, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return false;
	(void)strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != '-' && *end != '+')
		return false;
	return major == 1 && minor <= 3;
}

static int config_check(struct oci_dctx *c, void *dst)
{
	struct oci_config *cfg = dst;

	if (version_supported(cfg->oci_version))
		return 0;
	oci_path_push_key(c, "ociVersion");
	return oci_derror(c, "unsupported version \"%s\" (slxrun supports 1.0.0 to 1.3.x)",
			  cfg->oci_version);
}

static const struct oci_field config_fields[] = {
    FIELD(struct oci_config, "ociVersion", OCI_K_STR, oci_version, REQ),
    FIELD(struct oci_config, "process", OCI_K_OBJ, process, .obj = &process_desc,
	  .flags = OCI_F_MARK, .off_n = offsetof(struct oci_config, has_process)),
    /* Optional in the spec, but runc and slxrun cannot run without it. */
    FIELD(struct oci_config, "root", OCI_K_OBJ, root, REQ, .obj = &root_desc),
    FIELD(struct oci_config, "hostname", OCI_K_STR, hostname),
    FIELD(struct oci_config, "domainname", OCI_K_STR, domainname),
    FIELD(struct oci_config, "mounts", OCI_K_OBJV, mounts,
	  .off_n = offsetof(struct oci_config, n_mounts), .obj = &mount_desc),
    FIELD(struct oci_config, "hooks", OCI_K_OBJ, hooks, .obj = &hooks_desc),
    FIELD(struct oci_config, "annotations", OCI_K_KVV, annotations),
    FIELD(struct oci_config, "linux", OCI_K_OBJ, linux_, .obj = &linux_desc, .flags = OCI_F_MARK,
	  .off_n = offsetof(struct oci_config, has_linux)),
};
DESC(config_desc, struct oci_config, config_fields, -1, NULL, config_check);

int oci_config_parse(const char *name, const char *json, size_t len, struct oci_config **out,
		     struct slx_err *err)
{
	return oci_doc_decode(name, json, len, &config_desc, (void **)out, err);
}

int oci_config_load_text(const char *bundle, struct oci_config **out, char **text, size_t *len,
			 struct slx_err *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *buf = NULL;
	size_t n;

	*out = NULL;
	if (asprintf(&path, "%s/config.json", bundle) < 0) {
		path = NULL;
		return slx_error(err, ENOMEM, "config.json");
	}
	if (slx_read_file_max_at(AT_FDCWD, path, OCI_CONFIG_MAX, &buf, &n, err) < 0 ||
	    oci_config_parse("config.json", buf, n, out, err) < 0)
		return -1;
	if (text) {
		*text = buf;
		*len = n;
		buf = NULL;
	}
	return 0;
}

int oci_config_load(const char *bundle, struct oci_config **out, struct slx_err *err)
{
	return oci_config_load_text(bundle, out, NULL, NULL, err);
}

void oci_config_free(struct oci_config *cfg)
{
	oci_doc_free(&config_desc, cfg);
}

int oci_process_parse(const char *name, const char *json, size_t len, struct oci_process **out,
		      struct slx_err *err)
{
	return oci_doc_decode(name, json, len, &process_desc, (void **)out, err);
}

void oci_process_free(struct oci_process *p)
{
	oci_doc_free(&process_desc, p);
}

int oci_resources_parse(const char *name, const char *json, size_t len, struct oci_resources **out,
			struct slx_err *err)
{
	return oci_doc_decode(name, json, len, &resources_desc, (void **)out, err);
}

void oci_resources_free(struct oci_resources *r)
{
	oci_doc_free(&resources_desc, r);
}
