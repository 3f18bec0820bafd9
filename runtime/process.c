/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.c -- the container process's own attributes, set in the child
 * after pivot_root: executable lookup, cwd, rlimits, user and groups, fds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/magic.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"
#include "rootfs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_path(const struct oci_process *p)
{
	for (size_t i = 0; i < p->env.n; i++)
		if (!strncmp(p->env.v[i], "PATH=", 5))
			return p->env.v[i] + 5;
	return DEFAULT_PATH;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int rt_exec_lookup(const struct oci_process *p, char *buf, size_t buflen, struct slx_err *err)
{
	const char *name = p->args.v[0];
	const char *dirs = env_path(p);

	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return slx_error(err, errno ? errno : EACCES, "exec: \"%s\"", name);
		if (snprintf(buf, buflen, "%s", name) >= (int)buflen)
			return slx_error(err, ENAMETOOLONG, "exec: \"%s\"", name);
		return 0;
	}
	while (*dirs) {
		size_t len = strcspn(dirs, ":");

		if (snprintf(buf, buflen, "%.*s/%s", (int)len, len ? dirs : ".", name) <
			(int)buflen &&
		    is_executable_file(buf))
			return 0;
		dirs += len;
		if (*dirs == ':')
			dirs++;
	}
	return slx_error(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

int rt_process_chdir(const struct oci_process *p, bool make, struct slx_err *err)
{
	char buf[PATH_MAX];
	int r = chdir(p->cwd);

	/* A cwd the image lacks is made, as runc makes it (a Kubernetes
	 * workingDir need not be in the image): through the image's links in
	 * its root, never a /proc magic link (one to /proc/<pid>/root made it
	 * on the host). */
	if (r < 0 && errno == ENOENT && make) {
		cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		cleanup_close int made = -1;
		mode_t old = umask(022);

		made = root < 0 ? -1 : rt_rootfs_mkdir_at(root, p->cwd);
		umask(old);
		if (made < 0)
			return slx_error(err, errno, "process.cwd: make %s", p->cwd);
		r = chdir(p->cwd);
	}
	if (r < 0)
		return slx_error(err, errno, "process.cwd: chdir %s", p->cwd);
	/* A cwd reached through a leaked fd lies outside our root and getcwd
	 * reports it as unreachable (runc CVE-2024-21626). */
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return slx_error(err, errno ? errno : EPERM,
				 "process.cwd: %s is outside the container's root", p->cwd);
	return 0;
}

int rt_process_rlimits(const struct oci_process *p, struct slx_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};

		if (setrlimit(r->resource, &rl) < 0)
			return slx_error(err, errno, "process.rlimits[%zu]: setrlimit %s %llu/%llu",
					 i, r->type, (unsigned long long)r->soft,
					 (unsigned long long)r->hard);
	}
	return 0;
}

/* The process's stdio is its user's to reopen (/dev/stdout is
 * /proc/self/fd/1, which checks the inode's owner): its anonymous pipes
 * and sockets are given to its uid, as runc does (non-root images logging
 * to /dev/stdout failed; a terminal's pty is given where it is made,
 * console.c).  Never a file, a named FIFO or a device of the caller's, as
 * runc would: those stay whose they were.  Where the owner is not mapped in
 * the user namespace (EPERM, EINVAL), left alone. */
static int give_stdio(const struct oci_process *p, struct slx_err *err)
{
	for (int fd = 0; fd <= 2; fd++) {
		struct statfs fs;
		struct stat st;

		if (fstat(fd, &st) < 0 || st.st_uid == p->user.uid || fstatfs(fd, &fs) < 0)
			continue;
		if (fs.f_type != PIPEFS_MAGIC && fs.f_type != SOCKFS_MAGIC)
			continue;
		if (fchown(fd, p->user.uid, (gid_t)-1) < 0 && errno != EPERM && errno != EINVAL)
			return slx_error(err, errno, "give stdio fd %d to uid %u", fd, p->user.uid);
	}
	return 0;
}

int rt_process_user(const struct oci_process *p, struct slx_err *err)
{
	const struct oci_user *u = &p->user;
	gid_t gids[NGROUPS_MAX];
	size_t n = u->n_additional_gids < NGROUPS_MAX ? u->n_additional_gids : NGROUPS_MAX;

	for (size_t i = 0; i < n; i++)
		gids[i] = u->additional_gids[i];
	/* A user namespace whose setgroups is "deny" keeps the groups it has:
	 * fine when none were asked for, as runc; asked for, they are refused
	 * (they were dropped in silence). */
	if (setgroups(n, n ? gids : NULL) < 0 && (errno != EPERM || n))
		return slx_error(err, errno, "process.user.additionalGids: setgroups");
	if (give_stdio(p, err) < 0)
		return -1;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return slx_error(err, errno, "process.user.gid: setresgid %u", u->gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return slx_error(err, errno, "prctl PR_SET_KEEPCAPS");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return slx_error(err, errno, "process.user.uid: setresuid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return slx_error(err, errno, "prctl PR_SET_KEEPCAPS");
	/* runc's 0022 when none is given, not the caller's */
	umask(u->umask.set ? (mode_t)u->umask.v : 022);
	return 0;
}

#define PASSWD_MAX (4u << 20)

/* Ignored signals and the signal mask survive execve: a container run
 * from nohup could not trap HUP, and one with hooks kept the SIGPIPE their
 * runner ignores (crun resets them too).  Caught ones execve resets itself
 * (the created container's TERM, INT and HUP, init.c).  By the raw call:
 * glibc's sigaction refuses its own signals (32 and 33: EINVAL), and CI's
 * environment handed one down ignored.  The kernel's struct starts with the
 * handler on every layout, and all zeros is SIG_DFL with no flags or mask. */
void rt_signals_default(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++) {
		unsigned long old[4] = {0}, dfl[4] = {0};

		if (s != SIGKILL && s != SIGSTOP &&
		    syscall(SYS_rt_sigaction, s, NULL, old, _NSIG / 8) == 0 &&
		    old[0] == (unsigned long)SIG_IGN)
			(void)syscall(SYS_rt_sigaction, s, dfl, NULL, _NSIG / 8);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* HOME for a process whose env has none: the home of its uid in the
 * container's /etc/passwd, else "/", as runc.  Read before the user switch,
 * in the root through no magic link (one to /proc/<pid>/root read a host
 * file), from a real filesystem (/proc/self/pagemap there never ended), at
 * most PASSWD_MAX of it, and never waited on (a FIFO there would hang the
 * create). */
void rt_process_home(const struct oci_process *p, char *home, size_t len)
{
	cleanup_close int root = -1, fd = -1;
	cleanup_free char *text = NULL;
	struct passwd *pw;
	struct statfs fs;
	struct slx_err e;
	size_t n = 0;
	FILE *f;

	home[0] = '\0';
	for (size_t i = 0; i < p->env.n; i++)
		if (!strncmp(p->env.v[i], "HOME=", 5))
			return;
	snprintf(home, len, "HOME=/");
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	fd = rt_rootfs_open_at(root, "/etc/passwd", O_RDONLY | O_NONBLOCK);
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type == PROC_SUPER_MAGIC ||
	    fs.f_type == SYSFS_MAGIC ||
	    slx_read_fd_max(fd, "/etc/passwd", PASSWD_MAX, &text, &n, &e) < 0 ||
	    !(f = fmemopen(text, n, "r")))
		return;
	while ((pw = fgetpwent(f)))
		if (pw->pw_uid == p->user.uid) {
			if (pw->pw_dir && *pw->pw_dir)
				snprintf(home, len, "HOME=%s", pw->pw_dir);
			break;
		}
	fclose(f);
}

char **rt_process_env(const struct oci_process *p, const char *home)
{
	static char *none[] = {NULL};
	char **v;

	if (!home[0] || !(v = calloc(p->env.n + 2, sizeof(*v))))
		return p->env.v ? p->env.v : none;
	for (size_t i = 0; i < p->env.n; i++)
		v[i] = p->env.v[i];
	v[p->env.n] = (char *)home;
	return v;
}

/* The smallest entry of keep at or above from, or -1. */
static int next_kept(const int *keep, size_t n, unsigned int from)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (keep[i] >= 0 && (unsigned int)keep[i] >= from && (best < 0 || keep[i] < best))
			best = keep[i];
	return best;
}

/* Close the gaps between kept fds, lowest first: no copy, no cap on n. */
void rt_close_fds_from(int lowest, const int *keep, size_t n)
{
	unsigned int from = lowest > 3 ? (unsigned int)lowest : 3;
	int k;

	while ((k = next_kept(keep, n, from)) >= 0) {
		if ((unsigned int)k > from)
			(void)close_range(from, (unsigned int)k - 1, 0);
		from = (unsigned int)k + 1;
	}
	(void)close_range(from, ~0U, 0);
}

void rt_close_fds_except(const int *keep, size_t n)
{
	rt_close_fds_from(3, keep, n);
}

/* The fds (3 and up) the process had when it started: what a caller can
 * mean by --preserve-fds.  Any other number below 3+N is one of the
 * runtime's own (a count larger than the fds open leaves it free for the
 * next open: the state lock, the cgroup's directory), never to be passed. */
static int *caller_fds;
static size_t n_caller_fds;
static bool caller_noted;

void rt_caller_fds_note(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (!d)
		return;
	self = dirfd(d);
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int *v;

		if (*end || end == e->d_name || fd < 3 || fd == self || fd > INT_MAX)
			continue;
		if (!(v = realloc(caller_fds, (n_caller_fds + 1) * sizeof(*v))))
			break;
		caller_fds = v;
		caller_fds[n_caller_fds++] = (int)fd;
	}
	closedir(d);
	caller_noted = true;
}

void rt_close_fds_preserving(int n, const int *keep, size_t nkeep)
{
	int *all;
	size_t m = 0;

	if (n <= 0 || !caller_noted || !(all = malloc((nkeep + n_caller_fds) * sizeof(*all) + 1))) {
		rt_close_fds_from(3 + (n > 0 ? n : 0), keep, nkeep);
		return;
	}
	for (size_t i = 0; i < nkeep; i++)
		all[m++] = keep[i];
	for (size_t i = 0; i < n_caller_fds; i++)
		if (caller_fds[i] < 3 + n)
			all[m++] = caller_fds[i];
	rt_close_fds_from(3, all, m);
	free(all);
}

int rt_preserve_fds_check(int n, struct slx_err *err)
{
	/* Any count is kept whole; only one that names no fd at all is wrong. */
	if (n < 0 || n > INT_MAX - 3)
		return slx_error(err, 0, "--preserve-fds %d: must be 0 to %d", n, INT_MAX - 3);
	return 0;
}

int rt_process_personality(const struct oci_config *cfg, struct slx_err *err)
{
	const char *d = cfg->linux_.personality.domain;

	if (!cfg->linux_.personality.present || !d)
		return 0;
	if (personality(strcmp(d, "LINUX32") ? PER_LINUX : PER_LINUX32) < 0)
		return slx_error(err, errno, "linux.personality: %s", d);
	return 0;
}

int rt_process_same_layout(struct slx_err *err)
{
	int per = personality(0xffffffff);

	if (per < 0 || personality((unsigned long)per | ADDR_NO_RANDOMIZE) < 0)
		return slx_error(err, errno, "personality ADDR_NO_RANDOMIZE");
	return 0;
}

int rt_process_new_keyring(struct slx_err *err)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0 || errno == ENOSYS)
		return 0;
	return slx_error(err, errno,
			 "join a session keyring of the container's own (--no-new-keyring keeps "
			 "the caller's)");
}
