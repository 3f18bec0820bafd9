/* SPDX-License-Identifier: GPL-2.0-or-later */
/* security.h -- process confinement pieces: capabilities (libcap), seccomp
 * (libseccomp), sysctl checks, lo up over netlink (libmnl).  Each has a
 * prepare step run in the parent before clone (validates, names the bad
 * field, precomputes) and an apply step run in the child, which allocates
 * nothing and only makes the syscalls it must. */
#ifndef SLX_RT_SECURITY_H
#define SLX_RT_SECURITY_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"
#include "../oci/oci.h"
#include "runtime.h"

/* --- capabilities ---------------------------------------------------- */
struct rt_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient; /* bit = CAP_* */
};
/* Names -> bitmasks; no capabilities object gives empty sets (runc's
 * default: the process keeps none).  Unknown names are an error naming the field:
 * "process.capabilities.bounding[2]: unknown capability CAP_FOO".
 * Capabilities this kernel does not know (above CAP_LAST_CAP) are dropped
 * silently, as runc does. */
int rt_caps_prepare(const struct oci_capabilities *c, struct rt_caps *out, struct slx_err *err);
/* In the child, after mounts and before switching user: drop from the
 * bounding set everything not in `bounding`.  Needs CAP_SETPCAP. */
int rt_caps_apply_bounding(const struct rt_caps *c, struct slx_err *err);
/* In the child, after setresuid/setresgid (done with PR_SET_KEEPCAPS set):
 * set effective/permitted/inheritable, then raise the ambient set. */
int rt_caps_apply(const struct rt_caps *c, struct slx_err *err);

/* --- seccomp: rt_seccomp_prepare/load/free are in runtime.h (the shim
 * compiles its default profile once and loads filters itself) --- */

/* --- LSM labels -------------------------------------------------------- */
struct rt_lsm {
	const char *attr_name; /* "apparmor/exec", "exec" (SELinux), NULL: none */
	char exec_attr[512];   /* what is written there */
	int fd;		       /* child: the open attribute, -1 */
};
/* Parent: refuse what the host cannot apply ("process.apparmorProfile:
 * AppArmor is not enabled on this host, cannot apply foo"), mountLabel
 * included; precompute what the child writes. */
int rt_lsm_prepare(const struct oci_process *p, const char *mount_label, struct rt_lsm *out,
		   struct slx_err *err);
/* Child, before the root changes: open /proc/thread-self/attr/<name>. */
int rt_lsm_open(struct rt_lsm *l, struct slx_err *err);
/* The same for a child already in the container's root (exec): through its
 * /proc, which must be a procfs's root, crossing no mount on the way (one
 * the container mounted or bound over the attribute would take the label,
 * runc's CVE-2019-16884). */
int rt_lsm_open_in_root(struct rt_lsm *l, struct slx_err *err);
/* Child, before dropping privilege: the label the coming execve takes. */
int rt_lsm_apply(const struct rt_lsm *l, struct slx_err *err);

/* --- sysctl ------------------------------------------------------------ */
/* Refuse keys that are not namespaced, or whose namespace the container does
 * not own (net.* needs a new network namespace, kernel.shm*, kernel.msg*, kernel.sem and
 * fs.mqueue.* a new ipc namespace, kernel.hostname/domainname a new uts
 * namespace).  Error: "linux.sysctl: kernel.panic is not namespaced". */
int rt_sysctl_validate(const struct oci_config *cfg, struct slx_err *err);
/* In the child (after namespaces, before pivot): write /proc/sys/<key>. */
int rt_sysctl_apply(const struct oci_kvv *sysctl, struct slx_err *err);

/* --- network ---------------------------------------------------------- */
/* Bring up lo in the current network namespace through rtnetlink (libmnl). */
int rt_netlink_lo_up(struct slx_err *err);

#endif
