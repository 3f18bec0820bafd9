/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec.c -- generated documents: the default config.json of `slxrun spec`
 * (runc spec's shape, optionally rootless) and `slxrun features`. */
#include "oci.h"

#include <errno.h>
#include <string.h>

#include "json.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

struct spec_mount {
	const char *destination, *type, *source;
	const char *const *options;
};

static const struct spec_mount spec_mounts[] = {
    {"/proc", "proc", "proc", NULL},
    {"/dev", "tmpfs", "tmpfs", LIST("nosuid", "strictatime", "mode=755", "size=65536k")},
    {"/dev/pts", "devpts", "devpts",
     LIST("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
    {"/dev/shm", "tmpfs", "shm", LIST("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
    {"/dev/mqueue", "mqueue", "mqueue", LIST("nosuid", "noexec", "nodev")},
    {"/sys", "sysfs", "sysfs", LIST("nosuid", "noexec", "nodev", "ro")},
    {"/sys/fs/cgroup", "cgroup", "cgroup", LIST("nosuid", "noexec", "nodev", "relatime", "ro")},
};

/* Without a user namespace owning the network namespace sysfs cannot be
 * mounted fresh, so rootless binds the host's, read-only, as runc does. */
static const struct spec_mount rootless_sys = {"/sys", "none", "/sys",
					       LIST("rbind", "nosuid", "noexec", "nodev", "ro")};

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};

const char *const oci_default_masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
    "/sys/devices/virtual/tpm",
    NULL,
};

const char *const oci_default_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void gen_spec_process(yajl_gen g)
{
	oci_gen_str(g, "process");
	(void)yajl_gen_map_open(g);
	oci_gen_key_bool(g, "terminal", true);
	oci_gen_str(g, "user");
	(void)yajl_gen_map_open(g);
	oci_gen_key_int(g, "uid", 0);
	oci_gen_key_int(g, "gid", 0);
	(void)yajl_gen_map_close(g);
	oci_gen_key_strlist(g, "args", LIST("sh"));
	oci_gen_key_strlist(
	    g, "env",
	    LIST("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		 "TERM=xterm"));
	oci_gen_key_str(g, "cwd", "/");
	oci_gen_str(g, "capabilities");
	(void)yajl_gen_map_open(g);
	oci_gen_key_strlist(g, "bounding", default_caps);
	oci_gen_key_strlist(g, "effective", default_caps);
	oci_gen_key_strlist(g, "permitted", default_caps);
	(void)yajl_gen_map_close(g);
	oci_gen_str(g, "rlimits");
	(void)yajl_gen_array_open(g);
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "type", "RLIMIT_NOFILE");
	oci_gen_key_int(g, "hard", 1024);
	oci_gen_key_int(g, "soft", 1024);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_array_close(g);
	oci_gen_key_bool(g, "noNewPrivileges", true);
	(void)yajl_gen_map_close(g);
}

static void gen_spec_mount(yajl_gen g, const struct spec_mount *m, bool rootless)
{
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "destination", m->destination);
	oci_gen_key_str(g, "type", m->type);
	oci_gen_key_str(g, "source", m->source);
	if (m->options) {
		oci_gen_str(g, "options");
		(void)yajl_gen_array_open(g);
		/* uid=/gid= name ids that do not exist inside a one-id userns. */
		for (const char *const *o = m->options; *o; o++)
			if (!rootless || (strncmp(*o, "uid=", 4) && strncmp(*o, "gid=", 4)))
				oci_gen_str(g, *o);
		(void)yajl_gen_array_close(g);
	}
	(void)yajl_gen_map_close(g);
}

static void gen_spec_mounts(yajl_gen g, bool rootless)
{
	oci_gen_str(g, "mounts");
	(void)yajl_gen_array_open(g);
	for (size_t i = 0; i < sizeof(spec_mounts) / sizeof(spec_mounts[0]); i++) {
		const struct spec_mount *m = &spec_mounts[i];

		if (rootless && strcmp(m->destination, "/sys") == 0)
			m = &rootless_sys;
		gen_spec_mount(g, m, rootless);
	}
	(void)yajl_gen_array_close(g);
}

static void gen_id_mapping(yajl_gen g, const char *key, unsigned id)
{
	oci_gen_str(g, key);
	(void)yajl_gen_array_open(g);
	(void)yajl_gen_map_open(g);
	oci_gen_key_int(g, "containerID", 0);
	oci_gen_key_int(g, "hostID", id);
	oci_gen_key_int(g, "size", 1);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_array_close(g);
}

static void gen_spec_linux(yajl_gen g, bool rootless, uid_t uid, gid_t gid)
{
	static const char *const ns_rootful[] = {"pid",	  "network", "ipc", "uts",
						 "mount", "cgroup",  NULL};
	/* runc's ToRootless: no network namespace (no way to wire it up
	 * unprivileged), a user namespace appended, the rest kept. */
	static const char *const ns_rootless[] = {"pid",    "ipc",  "uts", "mount",
						  "cgroup", "user", NULL};

	oci_gen_str(g, "linux");
	(void)yajl_gen_map_open(g);
	if (rootless) {
		gen_id_mapping(g, "uidMappings", uid);
		gen_id_mapping(g, "gidMappings", gid);
	} else {
		oci_gen_str(g, "resources");
		(void)yajl_gen_map_open(g);
		oci_gen_str(g, "devices");
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_map_open(g);
		oci_gen_key_bool(g, "allow", false);
		oci_gen_key_str(g, "access", "rwm");
		(void)yajl_gen_map_close(g);
		(void)yajl_gen_array_close(g);
		(void)yajl_gen_map_close(g);
	}
	oci_gen_str(g, "namespaces");
	(void)yajl_gen_array_open(g);
	for (const char *const *ns = rootless ? ns_rootless : ns_rootful; *ns; ns++) {
		(void)yajl_gen_map_open(g);
		oci_gen_key_str(g, "type", *ns);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	oci_gen_key_strlist(g, "maskedPaths", oci_default_masked_paths);
	oci_gen_key_strlist(g, "readonlyPaths", oci_default_readonly_paths);
	(void)yajl_gen_map_close(g);
}

int oci_spec_default_json(bool rootless, uid_t uid, gid_t gid, char **out, size_t *len,
			  struct slx_err *err)
{
	yajl_gen g = oci_gen_new(true, "\t");

	if (!g)
		return slx_error(err, ENOMEM, "spec");
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "ociVersion", OCI_VERSION);
	gen_spec_process(g);
	oci_gen_str(g, "root");
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "path", "rootfs");
	oci_gen_key_bool(g, "readonly", true);
	(void)yajl_gen_map_close(g);
	oci_gen_key_str(g, "hostname", "slxrun");
	gen_spec_mounts(g, rootless);
	gen_spec_linux(g, rootless, uid, gid);
	(void)yajl_gen_map_close(g);
	return oci_gen_finish(g, out, len, err);
}

/* --- features ------------------------------------------------------------- */

static const char *const feature_mount_options[] = {
    "async",	     "atime",	     "bind",
    "defaults",	     "dev",	     "diratime",
    "dirsync",	     "exec",	     "idmap",
    "iversion",	     "lazytime",     "loud",
    "mand",	     "noatime",	     "nodev",
    "nodiratime",    "noexec",	     "noiversion",
    "nolazytime",    "nomand",	     "norelatime",
    "nostrictatime", "nosuid",	     "nosymfollow",
    "private",	     "ratime",	     "rbind",
    "rdev",	     "rdiratime",    "relatime",
    "remount",	     "rexec",	     "ridmap",
    "rnoatime",	     "rnodev",	     "rnodiratime",
    "rnoexec",	     "rnorelatime",  "rnostrictatime",
    "rnosuid",	     "rnosymfollow", "ro",
    "rprivate",	     "rrelatime",    "rro",
    "rrw",	     "rshared",	     "rslave",
    "rstrictatime",  "rsuid",	     "rsymfollow",
    "runbindable",   "rw",	     "shared",
    "silent",	     "slave",	     "strictatime",
    "suid",	     "symfollow",    "sync",
    "unbindable",    NULL,
};

/* Every capability up to CAP_CHECKPOINT_RESTORE (40), in number order. */
static const char *const feature_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

/* SCMP_ACT_NOTIFY is left out: slxrun has no seccomp listener support. */
static const char *const feature_seccomp_actions[] = {
    "SCMP_ACT_ALLOW",	     "SCMP_ACT_ERRNO",	     "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_TRACE",	     "SCMP_ACT_TRAP",	     NULL,
};

static const char *const feature_seccomp_ops[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",	"SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", NULL,
};

static const char *const feature_seccomp_archs[] = {
    "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",	   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",	  "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	  "SCMP_ARCH_PPC64LE",	   "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390",	  "SCMP_ARCH_S390X",	   "SCMP_ARCH_X32",
    "SCMP_ARCH_X86",	  "SCMP_ARCH_X86_64",	   NULL,
};

static const char *const feature_seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

static void gen_enabled(yajl_gen g, const char *key, bool enabled)
{
	oci_gen_str(g, key);
	(void)yajl_gen_map_open(g);
	oci_gen_key_bool(g, "enabled", enabled);
	(void)yajl_gen_map_close(g);
}

static void gen_features_linux(yajl_gen g)
{
	const char *ns[OCI_NS_COUNT + 1] = {NULL};

	for (int t = 0; t < OCI_NS_COUNT; t++)
		ns[t] = oci_ns_type_name((enum oci_ns_type)t);
	oci_gen_str(g, "linux");
	(void)yajl_gen_map_open(g);
	oci_gen_key_strlist(g, "namespaces", ns);
	oci_gen_key_strlist(g, "capabilities", feature_caps);
	oci_gen_str(g, "cgroup");
	(void)yajl_gen_map_open(g);
	oci_gen_key_bool(g, "v1", false);
	oci_gen_key_bool(g, "v2", true);
	oci_gen_key_bool(g, "systemd", false);
	oci_gen_key_bool(g, "systemdUser", false);
	(void)yajl_gen_map_close(g);
	oci_gen_str(g, "seccomp");
	(void)yajl_gen_map_open(g);
	oci_gen_key_bool(g, "enabled", true);
	oci_gen_key_strlist(g, "actions", feature_seccomp_actions);
	oci_gen_key_strlist(g, "operators", feature_seccomp_ops);
	oci_gen_key_strlist(g, "archs", feature_seccomp_archs);
	oci_gen_key_strlist(g, "knownFlags", feature_seccomp_flags);
	oci_gen_key_strlist(g, "supportedFlags", feature_seccomp_flags);
	(void)yajl_gen_map_close(g);
	gen_enabled(g, "apparmor", false);
	gen_enabled(g, "selinux", false);
	oci_gen_str(g, "mountExtensions");
	(void)yajl_gen_map_open(g);
	gen_enabled(g, "idmap", true);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
}

int oci_features_json(char **out, size_t *len, struct slx_err *err)
{
	yajl_gen g = oci_gen_new(true, "    ");

	if (!g)
		return slx_error(err, ENOMEM, "features");
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "ociVersionMin", "1.0.0");
	oci_gen_key_str(g, "ociVersionMax", "1.3.0");
	oci_gen_key_strlist(g, "hooks",
			    LIST("prestart", "createRuntime", "createContainer", "startContainer",
				 "poststart", "poststop"));
	oci_gen_key_strlist(g, "mountOptions", feature_mount_options);
	gen_features_linux(g);
	oci_gen_str(g, "annotations");
	(void)yajl_gen_map_open(g);
	oci_gen_key_str(g, "org.slxrun.version", "0.1.0");
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
	return oci_gen_finish(g, out, len, err);
}
