/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lsm.c -- Linux security module labels: process.apparmorProfile and
 * process.selinuxLabel applied on the container's execve, linux.mountLabel
 * checked.  Whatever the host cannot apply is an error, never dropped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "../common/cleanup.h"
#include "../common/syscalls.h"
#include "internal.h"

#define PROC_ROOT_INO 1 /* a procfs's root (include/linux/proc_ns.h, not uapi) */

static bool apparmor_enabled(void)
{
	char c = 0;
	cleanup_close int fd =
	    open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

static bool selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int rt_lsm_prepare(const struct oci_process *p, const char *mount_label, struct rt_lsm *out,
		   struct slx_err *err)
{
	memset(out, 0, sizeof(*out));
	if (p->apparmor_profile && *p->apparmor_profile) {
		if (!apparmor_enabled())
			return slx_error(err, 0,
					 "process.apparmorProfile: AppArmor is not enabled on this "
					 "host, cannot apply %s",
					 p->apparmor_profile);
		if (snprintf(out->exec_attr, sizeof(out->exec_attr), "exec %s",
			     p->apparmor_profile) >= (int)sizeof(out->exec_attr))
			return slx_error(err, ENAMETOOLONG, "process.apparmorProfile");
		out->attr_name = "apparmor/exec";
	}
	if (p->selinux_label && *p->selinux_label) {
		if (!selinux_enabled())
			return slx_error(err, 0,
					 "process.selinuxLabel: SELinux is not enabled on this "
					 "host, cannot apply %s",
					 p->selinux_label);
		if (out->attr_name)
			return slx_error(
			    err, 0,
			    "process.selinuxLabel: cannot apply with process.apparmorProfile, the "
			    "host runs one LSM for exec labels");
		if (snprintf(out->exec_attr, sizeof(out->exec_attr), "%s", p->selinux_label) >=
		    (int)sizeof(out->exec_attr))
			return slx_error(err, ENAMETOOLONG, "process.selinuxLabel");
		out->attr_name = "exec";
	}
	/* Labelling every mount needs a context= option per filesystem type;
	 * until that is built a mount label is refused, never silently lost. */
	if (mount_label && *mount_label)
		return slx_error(err, 0, "linux.mountLabel: %s",
				 selinux_enabled()
				     ? "SELinux mount labels are not supported by slxrun"
				     : "SELinux is not enabled on this host");
	return 0;
}

/* In the child: open the attribute while the host's /proc is still in view
 * (the container may have no /proc), so the write right before execve needs
 * no path inside the container. */
int rt_lsm_open(struct rt_lsm *l, struct slx_err *err)
{
	char path[64];

	l->fd = -1;
	if (!l->attr_name)
		return 0;
	snprintf(path, sizeof(path), "/proc/thread-self/attr/%s", l->attr_name);
	l->fd = open(path, O_WRONLY | O_CLOEXEC);
	if (l->fd < 0)
		return slx_error(err, errno, "open %s", path);
	return 0;
}

int rt_lsm_open_in_root(struct rt_lsm *l, struct slx_err *err)
{
	struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
	cleanup_close int proc = -1;
	struct statfs fs;
	struct stat st;
	char path[64];

	l->fd = -1;
	if (!l->attr_name)
		return 0;
	proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc < 0 || fstatfs(proc, &fs) < 0 || fstat(proc, &st) < 0)
		return slx_error(err, errno, "the container's /proc, for its label");
	if (fs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
		return slx_error(err, EXDEV,
				 "the container's /proc is not a procfs, for its label");
	snprintf(path, sizeof(path), "thread-self/attr/%s", l->attr_name);
	l->fd = slx_openat2(proc, path, &how);
	if (l->fd < 0)
		return slx_error(err, errno, "open the container's /proc/%s", path);
	return 0;
}

int rt_lsm_apply(const struct rt_lsm *l, struct slx_err *err)
{
	size_t len = strlen(l->exec_attr);

	if (!l->attr_name)
		return 0;
	if (write(l->fd, l->exec_attr, len) != (ssize_t)len)
		return slx_error(err, errno, "%s: set the label for exec to %s",
				 strcmp(l->attr_name, "exec") ? "process.apparmorProfile"
							      : "process.selinuxLabel",
				 l->exec_attr);
	return 0;
}
