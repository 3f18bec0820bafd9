/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs_mount.c -- executing one mount op of the plan inside the rootfs:
 * open the destination in the rootfs (symlink-free where the plan says so),
 * mount onto that fd, then attributes and propagation with mount_setattr(2). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../cgroups/cgroups.h"
#include "../common/cleanup.h"
#include "../common/fsutil.h"

#define FD_PATH_MAX 32
#define STRICT	    (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* mount(2) takes paths; /proc/self/fd/N (the host's procfs: this runs
 * before pivot_root) names exactly the directory resolved in the rootfs,
 * so the mount lands there whatever is swapped in at its path later. */
static const char *fd_path(char buf[FD_PATH_MAX], int fd)
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

static int mount_attrs(int mntfd, uint64_t set, uint64_t clr, unsigned long propagation,
		       bool recursive)
{
	struct mount_attr a = {
	    .attr_set = set,
	    .attr_clr = clr,
	    .propagation = propagation & ~(unsigned long)MS_REC,
	};

	return mount_setattr(mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
			     sizeof(a));
}

static int dest_error(const struct rt_mount_op *op, int rootfd, int e, struct slx_err *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (e != ELOOP && e != EXDEV)
		return slx_error(err, e, "%s[%zu].destination: %s", op->field, op->index, op->dest);
	fd = rt_rootfs_open_at(rootfd, op->dest, O_PATH | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode))
		return slx_error(err, 0, "%s[%zu].destination: %s is a symlink in the rootfs",
				 op->field, op->index, op->dest);
	return slx_error(err, 0, "%s[%zu].destination: %s passes through a symlink in the rootfs",
			 op->field, op->index, op->dest);
}

/* The destination as an O_PATH fd, created (directory, or file when
 * is_file) when missing.  A strict op refuses any symlink on the way. */
static int dest_open_any(int rootfd, const struct rt_mount_op *op, bool is_file,
			 struct slx_err *err)
{
	int flags = O_PATH | (is_file ? 0 : O_DIRECTORY);
	int fd;

	if (!op->strict) {
		fd = is_file ? rt_rootfs_mkfile_at(rootfd, op->dest)
			     : rt_rootfs_mkdir_at(rootfd, op->dest);
		return fd >= 0 ? fd : dest_error(op, rootfd, errno, err);
	}
	fd = rt_rootfs_open_how(rootfd, op->dest, flags, STRICT);
	if (fd < 0 && errno == ENOENT) {
		int made = is_file ? rt_rootfs_mkfile_at(rootfd, op->dest)
				   : rt_rootfs_mkdir_at(rootfd, op->dest);
		if (made >= 0)
			close(made);
		fd = rt_rootfs_open_how(rootfd, op->dest, flags, STRICT);
	}
	return fd >= 0 ? fd : dest_error(op, rootfd, errno, err);
}

/* Inside /proc only what lxcfs covers may be mounted, as runc (its
 * CVE-2019-16884 fix): anything else there hides what the kernel shows (a
 * writable tmpfs over /proc/sys/kernel, files of the container's own in
 * the kernel's place; a procfs of its own, runc allows only at /proc).
 * Judged where the destination resolved, so a link that leads into /proc
 * counts too. */
static int outside_proc(int fd, const struct rt_mount_op *op, struct slx_err *err)
{
	static const char *const lxcfs[] = {
	    "/proc/cpuinfo", "/proc/diskstats",
	    "/proc/meminfo", "/proc/stat",
	    "/proc/swaps",   "/proc/uptime",
	    "/proc/loadavg", "/proc/slabinfo",
	    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
	};
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return slx_error(err, errno, "%s[%zu].destination: %s", op->field, op->index,
				 op->dest);
	if (fs.f_type != PROC_SUPER_MAGIC)
		return 0;
	for (size_t i = 0; i < sizeof(lxcfs) / sizeof(lxcfs[0]); i++)
		if (!strcmp(op->dest, lxcfs[i]))
			return 0;
	return slx_error(err, 0,
			 "%s[%zu].destination: %s is inside /proc, where only what lxcfs covers "
			 "(/proc/cpuinfo, /proc/meminfo, ...) may be mounted",
			 op->field, op->index, op->dest);
}

/* dest_open_any's, never inside /proc but where lxcfs mounts. */
static int dest_open(int rootfd, const struct rt_mount_op *op, bool is_file, struct slx_err *err)
{
	int fd = dest_open_any(rootfd, op, is_file, err);

	if (fd >= 0 && outside_proc(fd, op, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* With no per-mount flags a bind is one mount(2).  With flags, the clone is
 * built detached (open_tree), flagged (r* options, the others, the r* ones
 * again: they have the last word), then attached: it is never visible
 * writable, and mount_setattr changes only the named flags, so flags locked
 * by a user namespace survive where MS_REMOUNT would fail with EPERM.  Its
 * propagation is then set through the same descriptor, which names the
 * attached mount: the destination is never looked up again (a second
 * lookup, by path, raced a symlink swapped in by whoever shares a
 * directory on the way, and an `rro` volume was left writable, or another
 * bind made writable: an attacker's review). */
static int bind_attach(const char *source, const struct rt_mount_op *op, int target)
{
	char tpath[FD_PATH_MAX];
	bool rec = op->rec_attr_set || op->rec_attr_clr;
	cleanup_close int tree = -1;

	if (!op->attr_set && !op->attr_clr && !rec && !op->propagation)
		return mount(source, fd_path(tpath, target), NULL,
			     MS_BIND | (op->recursive ? MS_REC : 0), NULL);
	tree = open_tree(AT_FDCWD, source,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -1;
	if (rec && mount_attrs(tree, op->rec_attr_set, op->rec_attr_clr, 0, true) < 0)
		return -1;
	if ((op->attr_set || op->attr_clr) &&
	    mount_attrs(tree, op->attr_set, op->attr_clr, 0, false) < 0)
		return -1;
	if (rec && (op->attr_set || op->attr_clr) &&
	    mount_attrs(tree, op->rec_attr_set, op->rec_attr_clr, 0, true) < 0)
		return -1;
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -1;
	if (op->propagation &&
	    mount_attrs(tree, 0, 0, op->propagation, op->propagation & MS_REC) < 0)
		return -1;
	return 0;
}

static int run_bind(int rootfd, const char *source, const struct rt_mount_op *op,
		    struct slx_err *err)
{
	struct stat st;
	cleanup_close int target = -1;

	if (stat(source, &st) < 0)
		return slx_error(err, errno, "%s[%zu].source: %s", op->field, op->index, source);
	target = dest_open(rootfd, op, !S_ISDIR(st.st_mode), err);
	if (target < 0)
		return -1;
	if (bind_attach(source, op, target) < 0)
		return slx_error(err, errno, "%s[%zu]: bind %s on %s", op->field, op->index, source,
				 op->dest);
	return 0;
}

int rt_mount_op_attach(int rootfd, const struct rt_mount_op *op, int tree, struct slx_err *err)
{
	struct stat st;
	cleanup_close int target = -1;

	if (fstat(tree, &st) < 0)
		return slx_error(err, errno, "%s[%zu]: the idmapped %s", op->field, op->index,
				 op->source);
	target = dest_open(rootfd, op, !S_ISDIR(st.st_mode), err);
	if (target < 0)
		return -1;
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return slx_error(err, errno, "%s[%zu]: attach the idmapped %s on %s", op->field,
				 op->index, op->source, op->dest);
	/* tree names the mount attached now: no second lookup of dest */
	if (op->propagation &&
	    mount_attrs(tree, 0, 0, op->propagation, op->propagation & MS_REC) < 0)
		return slx_error(err, errno, "%s[%zu]: propagation of %s", op->field, op->index,
				 op->dest);
	return 0;
}

/* The container's own cgroup: clone3 put us in it, and without a cgroup
 * namespace /proc/self/cgroup's "0::" line is its path in the hierarchy. */
static int own_cgroup_dir(char *buf, size_t len, struct slx_err *err)
{
	cleanup_free char *self = NULL;
	const char *root = cg_unified_root();

	if (!root)
		return slx_error(err, ENOENT, "no cgroup v2 hierarchy on this host");
	if (cg_proc_path(0, &self) < 0)
		return slx_error(err, errno,
				 errno == ENOENT ? "/proc/self/cgroup: no cgroup v2 entry"
						 : "/proc/self/cgroup");
	if ((size_t)snprintf(buf, len, "%s%s", root, self) >= len)
		return slx_error(err, ENAMETOOLONG, "own cgroup path");
	return 0;
}

/* sysfs cannot be mounted from a user namespace that does not own the
 * network namespace; runc's answer, a recursive bind of the host's /sys
 * made read-only, is ours too (with the op's r* options and propagation,
 * none of them taking that away). */
#define SYSFS_BIND_ATTRS                                                                           \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
static int sysfs_fallback(const struct rt_mount_op *op, int target)
{
	struct rt_mount_op bind = {
	    .recursive = true,
	    .attr_set = SYSFS_BIND_ATTRS,
	    .rec_attr_set = SYSFS_BIND_ATTRS | op->rec_attr_set,
	    .rec_attr_clr = op->rec_attr_clr & ~(uint64_t)SYSFS_BIND_ATTRS,
	    .propagation = op->propagation,
	};

	return bind_attach("/sys", &bind, target);
}

/* What must now be at dest, for the filesystems the runtime itself trusts
 * (runc checks procfs the same way): 0 for any. */
static long expected_magic(const struct rt_mount_op *op)
{
	switch (op->kind) {
	case RT_MOP_PROC:
		return PROC_SUPER_MAGIC;
	case RT_MOP_SYSFS:
		return SYSFS_MAGIC;
	case RT_MOP_CGROUP2:
		return CGROUP2_SUPER_MAGIC;
	default:
		return 0;
	}
}

/* mount(2) copies one page of options, and fsconfig(2) 255 bytes a value.
 * An overlay of many layers names more (in the image store ~100 bytes a
 * lower: past about 40 layers mount(2) cut the options and failed), and a
 * detached overlay (fs_detached) failed at three long layer names.  Its
 * directories are then opened one by one and named by descriptor,
 * "/proc/self/fd/12", the very directories the long names resolve to.
 * Only past a page even so (about 220 layers) are they named relative to
 * /proc/self/fd entered for the mount ("12:13::14"), which needs a working
 * directory it can come back to. */
#define MOUNT_DATA_MAX	   4095
#define FSCONFIG_VALUE_MAX 255
#define OVERLAY_DIRS_MAX   502

struct ovl_fds {
	int fd[OVERLAY_DIRS_MAX];
	size_t n;
	int cwd; /* where the caller was before entering /proc/self/fd, or -1 */
};

/* An overlay option naming directories: lowerdir a list ("a:b::c", the
 * "::" before data-only layers), upperdir, workdir, lowerdir+ and datadir+
 * one each (a ':' in them is the name's). */
enum ovl_key { OVL_NONE, OVL_LIST, OVL_ONE };

static enum ovl_key ovl_key_of(const char *key, size_t len)
{
	static const char *const one[] = {"upperdir", "workdir", "lowerdir+", "datadir+"};

	if (len == strlen("lowerdir") && !strncmp(key, "lowerdir", len))
		return OVL_LIST;
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (len == strlen(one[i]) && !strncmp(key, one[i], len))
			return OVL_ONE;
	return OVL_NONE;
}

/* name[0..len) opened, its descriptor's name appended at *out. */
static int ovl_dir_by_fd(const char *name, size_t len, struct ovl_fds *f, bool rel, char **out)
{
	cleanup_free char *one = strndup(name, len);

	if (!one)
		return -1;
	if (f->n == OVERLAY_DIRS_MAX)
		return errno = E2BIG, -1;
	if ((f->fd[f->n] = open(one, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	*out += sprintf(*out, rel ? "%d" : "/proc/self/fd/%d", f->fd[f->n++]);
	return 0;
}

/* A value of kind k named by descriptor, appended at *out. */
static int ovl_value_by_fd(const char *v, size_t len, enum ovl_key k, struct ovl_fds *f, bool rel,
			   char **out)
{
	const char *end = v + len;

	if (k == OVL_ONE)
		return ovl_dir_by_fd(v, len, f, rel, out);
	for (const char *p = v;; p++) {
		const char *stop = memchr(p, ':', (size_t)(end - p));

		if (!stop)
			stop = end;
		if (stop > p && ovl_dir_by_fd(p, (size_t)(stop - p), f, rel, out) < 0)
			return -1;
		if (stop == end)
			return 0;
		*(*out)++ = ':';
		p = stop;
	}
}

static void ovl_fds_leave(struct ovl_fds *f)
{
	int saved = errno;

	if (f->cwd >= 0) {
		(void)fchdir(f->cwd);
		close(f->cwd);
		f->cwd = -1;
	}
	while (f->n > 0)
		close(f->fd[--f->n]);
	errno = saved;
}

/* data with its overlay directories named by descriptor (a new string);
 * with rel, relative to /proc/self/fd, entered.  ovl_fds_leave undoes it.
 * An escaped name ("\:") is not taken apart: EINVAL. */
static char *ovl_data_by_fd(const char *data, struct ovl_fds *f, bool rel)
{
	cleanup_free char *out = NULL;
	cleanup_close int fds = -1;
	char *o;

	if (strchr(data, '\\'))
		return errno = EINVAL, NULL;
	/* a descriptor's name may be longer than the name it stands for */
	if (!(out = o = malloc(strlen(data) + 24 * OVERLAY_DIRS_MAX)))
		return NULL;
	for (const char *p = data; *p;) {
		size_t optlen = strcspn(p, ","), keylen = strcspn(p, "=,");
		enum ovl_key k = keylen < optlen ? ovl_key_of(p, keylen) : OVL_NONE;

		if (k != OVL_NONE) {
			o = mempcpy(o, p, keylen + 1);
			if (ovl_value_by_fd(p + keylen + 1, optlen - keylen - 1, k, f, rel, &o) < 0)
				return NULL;
		} else {
			o = mempcpy(o, p, optlen);
		}
		p += optlen;
		if (*p)
			*o++ = *p++;
	}
	*o = '\0';
	if (rel && ((f->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		    (fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		    fchdir(fds) < 0))
		return NULL;
	return steal_ptr(out);
}

/* An overlay whose options mount(2) cannot take, on a kernel where it goes
 * one layer at a time detached (fs_ovl_lowers): so, not through fs_attach's
 * names relative to /proc/self/fd, which need a working directory to come
 * back to (a user namespace's root started from a 0700 one has none: an
 * attacker's review). */
static bool overlay_past_a_page(const struct rt_mount_op *op)
{
	char release[65];

	return op->data && strlen(op->data) > MOUNT_DATA_MAX && !strcmp(op->fstype, "overlay") &&
	       rt_kernel_version(release) >= 6008;
}

/* A filesystem with nothing to do after it, by mount(2) (procfs, sysfs and
 * cgroup2 are checked after, so they are made detached: run_fs). */
static int fs_attach(const struct rt_mount_op *op, int target)
{
	struct ovl_fds f = {.cwd = -1};
	cleanup_free char *opts = NULL;
	char tpath[FD_PATH_MAX];
	int r = -1;

	if (!op->data || strlen(op->data) <= MOUNT_DATA_MAX || strcmp(op->fstype, "overlay"))
		return mount(op->source, fd_path(tpath, target), op->fstype, op->flags, op->data);
	for (int rel = 0; rel < 2 && r < 0; rel++) {
		free(opts);
		ovl_fds_leave(&f);
		if (!(opts = ovl_data_by_fd(op->data, &f, rel)))
			break;
		if (strlen(opts) > MOUNT_DATA_MAX)
			errno = E2BIG;
		else
			r = mount(op->source, fd_path(tpath, target), op->fstype, op->flags, opts);
		if (r < 0 && errno != E2BIG)
			break;
	}
	ovl_fds_leave(&f);
	return r;
}

/* MS_* flags as the mount's attributes (fsmount), and the superblock's
 * (fsconfig), as mount(2) would have split them. */
static uint64_t ms_attrs(unsigned long f)
{
	return (f & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (f & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
	       (f & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (f & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
	       (f & MS_NOATIME ? MOUNT_ATTR_NOATIME : 0) |
	       (f & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0) |
	       (f & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME : 0);
}

static int sb_flags(int fs, unsigned long f)
{
	static const struct {
		unsigned long ms;
		const char *name;
	} sb[] = {{MS_RDONLY, "ro"},
		  {MS_SYNCHRONOUS, "sync"},
		  {MS_DIRSYNC, "dirsync"},
		  {MS_LAZYTIME, "lazytime"},
		  {MS_MANDLOCK, "mand"}};

	for (size_t i = 0; i < sizeof(sb) / sizeof(sb[0]); i++)
		if ((f & sb[i].ms) && fsconfig(fs, FSCONFIG_SET_FLAG, sb[i].name, NULL, 0) < 0)
			return -1;
	return 0;
}

/* Whether an option key=... follows in rest (strtok_r's remains). */
static bool option_follows(const char *rest, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = rest; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == '=')
			return true;
	return false;
}

static int fs_too_long(const struct rt_mount_op *op, const char *key, const char *value,
		       const char *why, bool *said, struct slx_err *err)
{
	*said = true;
	return slx_error(err, 0, "%s[%zu]: option \"%s\" of the mount on %s is %zu bytes, %s",
			 op->field, op->index, key, op->dest, strlen(value), why);
}

/* An overlay's lowerdir over the limit: one layer at a time, lowerdir+ and,
 * after "::", datadir+, each by its name or, past the limit, by
 * descriptor (Linux 6.8); before 6.8 the list by descriptor if that fits. */
static int fs_ovl_lowers(int fs, const char *value, const struct rt_mount_op *op, struct ovl_fds *f,
			 bool *said, struct slx_err *err)
{
	cleanup_free char *names = NULL;
	char release[65], *o;

	if (strchr(value, '\\'))
		return fs_too_long(
		    op, "lowerdir", value,
		    "and its names are escaped: over 255, they go one by one, unescaped", said,
		    err);
	if (rt_kernel_version(release) < 6008) {
		if (!(names = o = malloc(strlen(value) + 24 * OVERLAY_DIRS_MAX)))
			return -1;
		if (ovl_value_by_fd(value, strlen(value), OVL_LIST, f, false, &o) < 0)
			return -1;
		*o = '\0';
		if (o - names > FSCONFIG_VALUE_MAX)
			return fs_too_long(
			    op, "lowerdir", value,
			    "more layers than one fsconfig(2) value holds before Linux "
			    "6.8 (lowerdir+)",
			    said, err);
		return fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", names, 0);
	}
	for (const char *p = value, *end = value + strlen(value); p < end;) {
		bool data = p > value + 1 && p[-1] == ':' && p[-2] == ':';
		size_t len = strcspn(p, ":");
		char name[FSCONFIG_VALUE_MAX + 1], *q = name;

		/* as the kernel splits a lowerdir: one "::" before each data
		 * layer, no ':' first, last or three together */
		if ((!len && (p == value || p + 1 >= end || data || p[1] == ':')) ||
		    (p[len] == ':' && p + len + 1 == end))
			return fs_too_long(op, "lowerdir", value,
					   "and its layers are not \"a:b\" or \"a::data\"", said,
					   err);
		if (len > FSCONFIG_VALUE_MAX) {
			if (ovl_dir_by_fd(p, len, f, false, &q) < 0)
				return -1;
		} else {
			memcpy(name, p, len);
			name[len] = '\0';
		}
		if (len &&
		    fsconfig(fs, FSCONFIG_SET_STRING, data ? "datadir+" : "lowerdir+", name, 0) < 0)
			return -1;
		p += len;
		p += *p == ':';
	}
	return 0;
}

/* One option of a detached filesystem: -1 with errno, or -1 with err said
 * (*said) for a value fsconfig(2) cannot take.  An overlay's directories
 * over the limit are named by descriptor, its lowerdir one layer at a
 * time (fs_ovl_lowers); any other value that long is refused. */
static int fs_option(int fs, const char *key, const char *value, const struct rt_mount_op *op,
		     struct ovl_fds *f, bool *said, struct slx_err *err)
{
	enum ovl_key k = strcmp(op->fstype, "overlay") ? OVL_NONE : ovl_key_of(key, strlen(key));
	char one[32], *q = one;

	if (!value)
		return fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);
	if (strlen(value) <= FSCONFIG_VALUE_MAX)
		return fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0);
	if (k == OVL_LIST)
		return fs_ovl_lowers(fs, value, op, f, said, err);
	if (k == OVL_NONE)
		return fs_too_long(op, key, value, "over the 255 fsconfig(2) takes", said, err);
	if (strchr(value, '\\'))
		return fs_too_long(op, key, value,
				   "and escaped: over 255, it is named by descriptor, unescaped",
				   said, err);
	if (ovl_dir_by_fd(value, strlen(value), f, false, &q) < 0)
		return -1;
	return fsconfig(fs, FSCONFIG_SET_STRING, key, one, 0);
}

/* The op's filesystem made detached (fsopen, fsconfig, fsmount): what is
 * done to it after (its type checked, tmpcopyup, r* options, propagation)
 * goes through this descriptor, never through dest looked up again, where
 * a symlink swapped in by whoever shares a directory on the way took the
 * attributes to another mount (an attacker's review).  Its options one by
 * one, as mount(2) splits them for these filesystems; of several
 * lowerdirs the last, as mount(2) takes it. */
static int fs_detached(const struct rt_mount_op *op, bool *said, struct slx_err *err)
{
	cleanup_close int fs = fsopen(op->fstype, FSOPEN_CLOEXEC);
	cleanup_free char *data = op->data ? strdup(op->data) : NULL;
	struct ovl_fds f = {.cwd = -1};
	char *save = NULL;
	int r = -1;

	if (fs < 0 || (op->data && !data))
		return -1;
	if (op->source && *op->source && fs_option(fs, "source", op->source, op, &f, said, err))
		goto out;
	for (char *o = data ? strtok_r(data, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');

		if (eq)
			*eq = '\0';
		if (eq && !strcmp(o, "lowerdir") && !strcmp(op->fstype, "overlay") &&
		    option_follows(save, "lowerdir"))
			continue;
		if (fs_option(fs, o, eq ? eq + 1 : NULL, op, &f, said, err) < 0)
			goto out;
	}
	if (sb_flags(fs, op->flags) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto out;
	r = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)ms_attrs(op->flags));
out:
	ovl_fds_leave(&f);
	return r;
}

/* Type check, tmpcopyup, r* options and propagation on the filesystem at
 * mnt (detached; attached at target once done, where propagation follows). */
static int fs_after(const struct rt_mount_op *op, int mnt, int below, int target,
		    struct slx_err *err)
{
	struct mount_attr ro = {.attr_set = op->attr_set};
	struct statfs sfs;

	if (expected_magic(op) && (fstatfs(mnt, &sfs) < 0 || sfs.f_type != expected_magic(op)))
		return slx_error(err, 0, "%s[%zu]: %s is not %s after mounting it", op->field,
				 op->index, op->dest, op->fstype);
	if (below >= 0 &&
	    (rt_mount_copyup(below, mnt) < 0 ||
	     (ro.attr_set && mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)))
		return slx_error(err, errno, "%s[%zu]: tmpcopyup %s", op->field, op->index,
				 op->dest);
	if ((op->rec_attr_set || op->rec_attr_clr) &&
	    mount_attrs(mnt, op->rec_attr_set, op->rec_attr_clr, 0, true) < 0)
		return slx_error(err, errno, "%s[%zu]: attributes of %s", op->field, op->index,
				 op->dest);
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return slx_error(err, errno, "%s[%zu]: mount %s on %s", op->field, op->index,
				 op->fstype, op->dest);
	if (op->propagation &&
	    mount_attrs(mnt, 0, 0, op->propagation, op->propagation & MS_REC) < 0)
		return slx_error(err, errno, "%s[%zu]: propagation of %s", op->field, op->index,
				 op->dest);
	return 0;
}

static int run_fs(int rootfd, const struct rt_mount_op *op, struct slx_err *err)
{
	bool said = false;
	cleanup_close int target = -1, below = -1, mnt = -1;

	target = dest_open(rootfd, op, false, err);
	if (target < 0)
		return -1;
	if (!expected_magic(op) && op->kind != RT_MOP_TMPFS_COPYUP && !op->propagation &&
	    !op->rec_attr_set && !op->rec_attr_clr && !overlay_past_a_page(op)) {
		if (fs_attach(op, target) < 0)
			return slx_error(err, errno, "%s[%zu]: mount %s on %s", op->field,
					 op->index, op->fstype, op->dest);
		return 0;
	}
	/* what it covers, from the very directory it goes on */
	if (op->kind == RT_MOP_TMPFS_COPYUP &&
	    (below = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return slx_error(err, errno, "%s[%zu]: open %s", op->field, op->index, op->dest);
	mnt = fs_detached(op, &said, err);
	if (said)
		return -1;
	if (mnt < 0 && errno == EPERM && op->kind == RT_MOP_SYSFS && op->node.bind_host) {
		if (sysfs_fallback(op, target) < 0)
			return slx_error(err, errno, "%s[%zu]: mount %s on %s", op->field,
					 op->index, op->fstype, op->dest);
		return 0;
	}
	if (mnt < 0)
		return slx_error(err, errno, "%s[%zu]: mount %s on %s", op->field, op->index,
				 op->fstype, op->dest);
	return fs_after(op, mnt, below, target, err);
}

int rt_mount_op_run(int rootfd, const struct rt_mount_op *op, struct slx_err *err)
{
	char cgdir[4096];

	switch (op->kind) {
	case RT_MOP_BIND:
		return run_bind(rootfd, op->source, op, err);
	case RT_MOP_CGROUP_BIND:
		if (own_cgroup_dir(cgdir, sizeof(cgdir), err) < 0)
			return slx_error_prefix(err, "%s[%zu]", op->field, op->index);
		return run_bind(rootfd, cgdir, op, err);
	default:
		return run_fs(rootfd, op, err);
	}
}
