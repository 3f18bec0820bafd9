/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysctl.c -- linux.sysctl: which keys a container may set (only those of a
 * namespace it owns) and writing them under /proc/sys in the child. */
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/syscalls.h"
#include "internal.h"

/* Keys take two spellings, as with sysctl(8): "net.ipv4.ip_forward", or a
 * path "net/ipv4/conf/eth0.100/forwarding" whose dots are literal.  Checks
 * use the dotted form, writes the path form. */
static void sysctl_dotted(const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s", key);
	if (!strchr(key, '/'))
		return;
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '.';
}

/* The key's path under /proc/sys. */
static int sysctl_path(const char *key, char *out, size_t size)
{
	int n = snprintf(out, size, "%s", key);

	if (n < 0 || (size_t)n >= size)
		return -1;
	if (strchr(key, '/'))
		return 0;
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

/* Every component must be a plain name, so a key cannot leave /proc/sys. */
static bool sysctl_key_is_clean(const char *key)
{
	const char *sep = strchr(key, '/') ? "/" : ".";
	const char *p = key;

	for (;;) {
		size_t len = strcspn(p, sep);

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

static const struct oci_namespace *sysctl_find_ns(const struct oci_linux *l, enum oci_ns_type type)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == type)
			return &l->namespaces[i];
	return NULL;
}

/* A namespaced key is refused in a namespace of the caller's own (net, uts
 * or ipc): the container must have one of that type, and, as runc does, a
 * joined one counts as the container's own unless it is ours (joined by
 * path, /proc/self/ns/uts set the caller's hostname). */
static int sysctl_check_own(const struct oci_linux *l, enum oci_ns_type type, const char *key,
			    struct slx_err *err)
{
	const char *label = type == OCI_NS_NETWORK ? "network" : rt_ns_proc_name(type);
	const struct oci_namespace *ns = sysctl_find_ns(l, type);
	struct stat joined;

	if (!ns)
		return slx_error(err, 0, "linux.sysctl: %s needs a new %s namespace", key, label);
	if (!ns->path)
		return 0;
	if (stat(ns->path, &joined) < 0)
		return slx_error(err, errno, "linux.sysctl: %s: %s namespace %s", key, label,
				 ns->path);
	if (rt_ns_is_callers(&joined, type))
		return slx_error(err, 0,
				 "linux.sysctl: %s is not allowed in the caller's own %s namespace",
				 key, label);
	return 0;
}

static bool sysctl_is_ipc(const char *key)
{
	static const char *const ipc_keys[] = {
	    "kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.shm_rmid_forced",
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	};

	for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			return true;
	return strncmp(key, "fs.mqueue.", strlen("fs.mqueue.")) == 0;
}

/* `key` is the config's spelling, used in messages; `dotted` is compared. */
static int sysctl_check_key(const struct oci_config *cfg, const char *key, const char *dotted,
			    struct slx_err *err)
{
	const struct oci_linux *l = &cfg->linux_;

	if (!sysctl_key_is_clean(key))
		return slx_error(err, 0, "linux.sysctl: invalid key %s", key);
	if (sysctl_is_ipc(dotted))
		return sysctl_check_own(l, OCI_NS_IPC, key, err);
	if (strncmp(dotted, "net.", strlen("net.")) == 0)
		return sysctl_check_own(l, OCI_NS_NETWORK, key, err);
	if (strcmp(dotted, "kernel.hostname") == 0 || strcmp(dotted, "kernel.domainname") == 0) {
		bool host = strcmp(dotted, "kernel.hostname") == 0;

		if (sysctl_check_own(l, OCI_NS_UTS, key, err) < 0)
			return -1;
		/* Two sources for one value: refuse rather than pick one. */
		if (host ? cfg->hostname != NULL : cfg->domainname != NULL)
			return slx_error(err, 0, "linux.sysctl: %s conflicts with the %s field",
					 key, host ? "hostname" : "domainname");
		return 0;
	}
	return slx_error(err, 0, "linux.sysctl: %s is not namespaced", key);
}

int rt_sysctl_validate(const struct oci_config *cfg, struct slx_err *err)
{
	const struct oci_kvv *sysctl = &cfg->linux_.sysctl;

	for (size_t i = 0; i < sysctl->n; i++) {
		char dotted[PATH_MAX];

		if (!sysctl->v[i].key || !sysctl->v[i].value)
			return slx_error(err, 0, "linux.sysctl: entry %zu has no key or value", i);
		if (strlen(sysctl->v[i].key) >= sizeof(dotted) - strlen("/proc/sys/"))
			return slx_error(err, 0, "linux.sysctl: key %.64s... is too long",
					 sysctl->v[i].key);
		sysctl_dotted(sysctl->v[i].key, dotted, sizeof(dotted));
		if (sysctl_check_key(cfg, sysctl->v[i].key, dotted, err) < 0)
			return -1;
	}
	return 0;
}

/* /proc/sys of the mount namespace we are in, which may be one joined by
 * path and so another's: it must be procfs itself, reached through no
 * symlink. */
static int proc_sys_open(struct slx_err *err)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	struct statfs st;
	int fd = slx_openat2(AT_FDCWD, "/proc/sys", &how);

	if (fd < 0)
		return slx_error(err, errno, "linux.sysctl: open /proc/sys");
	if (fstatfs(fd, &st) < 0 || st.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return slx_error(err, EXDEV, "linux.sysctl: /proc/sys is not procfs");
	}
	return fd;
}

int rt_sysctl_apply(const struct oci_kvv *sysctl, struct slx_err *err)
{
	cleanup_close int dir = proc_sys_open(err);

	if (dir < 0)
		return -1;
	for (size_t i = 0; i < sysctl->n; i++) {
		const char *value = sysctl->v[i].value;
		/* beneath /proc/sys, on its mount, through no symlink */
		struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
				       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
						  RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
		char path[PATH_MAX];
		cleanup_close int fd = -1;
		ssize_t n;

		if (sysctl_path(sysctl->v[i].key, path, sizeof(path)) < 0)
			return slx_error(err, ENAMETOOLONG, "linux.sysctl: %s", sysctl->v[i].key);
		fd = slx_openat2(dir, path, &how);
		if (fd < 0)
			return slx_error(err, errno, "linux.sysctl: open /proc/sys/%s", path);
		n = write(fd, value, strlen(value));
		if (n < 0)
			return slx_error(err, errno, "linux.sysctl: write %s to /proc/sys/%s",
					 value, path);
		if ((size_t)n != strlen(value))
			return slx_error(err, EIO,
					 "linux.sysctl: short write of %s to /proc/sys/%s", value,
					 path);
	}
	return 0;
}
