/* SPDX-License-Identifier: GPL-2.0-or-later */
/* freeze.c -- acting on the processes in a cgroup: freeze/thaw (waiting on
 * cgroup.events), kill (cgroup.kill or per pid), and listing them. */
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "walk.h"

#define CG_FREEZE_TIMEOUT_MS 2000

/* The value of `key` in a "key value" per line file; -1 when absent. */
static long long cg_keyed_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

int cg_wait_event(int dirfd, const char *key, long long want, int timeout_ms, struct slx_err *err)
{
	cleanup_close int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	unsigned long long deadline = slx_now_ns() + (unsigned long long)timeout_ms * 1000000ULL;
	char buf[256];

	if (fd < 0)
		return slx_error(err, errno, "open cgroup.events");
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		unsigned long long now;

		if (n < 0)
			return slx_error(err, errno, "read cgroup.events");
		buf[n] = '\0';
		if (cg_keyed_value(buf, key) == want)
			return 0;
		now = slx_now_ns();
		if (now >= deadline)
			break;
		/* kernfs wakes POLLPRI|POLLERR waiters when the file changes. */
		if (poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000)) < 0 && errno != EINTR)
			return slx_error(err, errno, "poll cgroup.events");
	}
	return slx_error(err, ETIMEDOUT, "cgroup.events: %s did not become %lld", key, want);
}

int cg_freeze(const struct cg_handle *h, bool frozen, struct slx_err *err)
{
	const char *val = frozen ? "1" : "0";

	if (slx_write_file_at(h->dirfd, "cgroup.freeze", val, 1, err) < 0)
		return slx_error_prefix(err, "%s %s", frozen ? "freeze" : "thaw", h->path);
	if (cg_wait_event(h->dirfd, "frozen", frozen, CG_FREEZE_TIMEOUT_MS, err) == 0)
		return 0;
	/* Half frozen is the worst state to leave a container in: undo. */
	if (frozen)
		(void)slx_write_file_at(h->dirfd, "cgroup.freeze", "0", 1, NULL);
	return slx_error_prefix(err, "%s %s", frozen ? "freeze" : "thaw", h->path);
}

int cg_is_frozen(const struct cg_handle *h, bool *frozen, struct slx_err *err)
{
	char buf[256];
	long long v;

	if (cg_read_at(h->dirfd, "cgroup.events", buf, sizeof(buf)) < 0)
		return slx_error(err, errno, "read %s/cgroup.events", h->path);
	v = cg_keyed_value(buf, "frozen");
	if (v < 0)
		return slx_error(err, 0, "%s/cgroup.events has no \"frozen\" line", h->path);
	*frozen = v == 1;
	return 0;
}

static int cg_pids_push(pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		pid_t *grown = realloc(*pids, ncap * sizeof(**pids));

		if (!grown)
			return -1;
		*pids = grown;
		*cap = ncap;
	}
	(*pids)[(*n)++] = pid;
	return 0;
}

struct pids_acc {
	pid_t *pids;
	size_t n, cap;
	bool failed; /* err says why */
	struct slx_err *err;
};

/* The pids of one cgroup's cgroup.procs, added. */
static int pids_add(int dirfd, struct pids_acc *a)
{
	cleanup_free char *procs = NULL;

	if (slx_read_file_at(dirfd, "cgroup.procs", &procs, NULL, a->err) < 0)
		return -1;
	for (char *p = procs, *end; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0 && cg_pids_push(&a->pids, &a->n, &a->cap, (pid_t)v) < 0)
			return slx_error(a->err, ENOMEM, "cgroup.procs");
	}
	return 0;
}

/* A child cgroup's: one removed while we walk is simply gone, and a
 * threaded one has no cgroup.procs (EOPNOTSUPP): its processes are listed
 * at its thread root, above it (one such child made `ps` and `kill --all`
 * fail outright: an attacker's review). */
static int pids_of_child(int fd, void *ctx)
{
	struct pids_acc *a = ctx;

	if (pids_add(fd, a) == 0 || a->err->errnum == ENOENT || a->err->errnum == ENODEV ||
	    a->err->errnum == EOPNOTSUPP)
		return 0;
	a->failed = true;
	return -1;
}

int cg_pids(const struct cg_handle *h, pid_t **pids, size_t *n, struct slx_err *err)
{
	struct pids_acc a = {.err = err};

	*n = 0;
	if (pids_add(h->dirfd, &a) < 0)
		a.failed = true;
	else if (cg_walk(h->dirfd, &(struct cg_walk_ops){.enter = pids_of_child}, &a) < 0 &&
		 !a.failed)
		a.failed = slx_error(err, errno, "list cgroup") < 0;
	if (a.failed) {
		free(a.pids);
		return slx_error_prefix(err, "%s", h->path);
	}
	*pids = a.pids;
	*n = a.n;
	return 0;
}

/* Whether pid is in h's cgroup or one under it, by /proc/<pid>/cgroup:
 * read after the caller pinned pid with a pidfd, so a pid another process
 * took since cgroup.procs was read is seen as that process's (and a
 * process that died since leaves the pidfd naming no one). */
static bool pid_in_cgroup(const struct cg_handle *h, pid_t pid)
{
	const char *root = cg_unified_root(), *rel;
	cleanup_free char *at = NULL;
	size_t rl, len;

	if (!root || strncmp(h->path, root, rl = strlen(root)) ||
	    (h->path[rl] != '/' && h->path[rl] != '\0'))
		return false;
	rel = h->path[rl] ? h->path + rl : "/";
	len = strlen(rel);
	if (cg_proc_path(pid, &at) < 0)
		return false;
	return !strncmp(at, rel, len) &&
	       (at[len] == '\0' || at[len] == '/' || (len == 1 && rel[0] == '/'));
}

/* Freeze h for the kills unless it is frozen already (paused: it stays so),
 * by its own cgroup.freeze or a parent's; true when it froze it and must
 * thaw it after.  A freeze that fails or times out (cg_freeze undoes it)
 * leaves the kills to go per pid anyway, as runc does: the signal still
 * matters more than the race. */
static bool freeze_for_kill(const struct cg_handle *h)
{
	char want[8];
	bool frozen;

	if (cg_read_at(h->dirfd, "cgroup.freeze", want, sizeof(want)) < 0 || want[0] != '0' ||
	    cg_is_frozen(h, &frozen, NULL) < 0 || frozen)
		return false;
	return cg_freeze(h, true, NULL) == 0;
}

static int signal_each(const struct cg_handle *h, int sig, struct slx_err *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (cg_pids(h, &pids, &n, err) < 0)
		return -1;
	/* Each pid pinned by a pidfd and found still in the cgroup before it
	 * is signalled: a container's process that exited between the read
	 * and the kill left its pid to a host process, which got the signal
	 * (an attacker's review). */
	for (size_t i = 0; i < n; i++) {
		cleanup_close int pidfd = pidfd_open(pids[i], 0);

		if (pidfd < 0 && errno == ESRCH)
			continue;
		if (pidfd < 0)
			return slx_error(err, errno, "pidfd of %d in %s", (int)pids[i], h->path);
		if (pid_in_cgroup(h, pids[i]) && pidfd_send_signal(pidfd, sig, NULL, 0) < 0 &&
		    errno != ESRCH)
			return slx_error(err, errno, "kill %d in %s", (int)pids[i], h->path);
	}
	return 0;
}

int cg_kill_all(const struct cg_handle *h, int sig, struct slx_err *err)
{
	bool froze;
	int r;

	/* cgroup.kill (5.14+) kills the whole subtree atomically, even tasks
	 * forking right now; other signals, and older kernels, go per pid. */
	if (sig == SIGKILL) {
		if (slx_write_file_at(h->dirfd, "cgroup.kill", "1", 1, err) == 0)
			return 0;
		if (errno != ENOENT)
			return slx_error_prefix(err, "kill %s", h->path);
	}
	/* Per pid, the cgroup is frozen while its pids are read and signalled:
	 * else a process forked after the read is never signalled (a chain
	 * each forking the next and exiting outlived `kill --all TERM`). */
	froze = freeze_for_kill(h);
	r = signal_each(h, sig, err);
	/* The thaw undoes our own request and does not wait for "frozen 0":
	 * a parent frozen meanwhile (a paused slice) withholds it, and kill
	 * --all failed after 2 s with its signals sent. */
	if (froze && slx_write_file_at(h->dirfd, "cgroup.freeze", "0", 1, r < 0 ? NULL : err) < 0 &&
	    r == 0)
		r = slx_error_prefix(err, "thaw %s", h->path);
	return r;
}
