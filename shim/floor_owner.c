/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_owner.c -- each sandbox's user namespace an owner of its own.  The
 * kernel counts what it limits per user (inotify instances and watches,
 * fanotify groups, user namespaces, processes against RLIMIT_NPROC) at each
 * level of user namespaces against the owner of the level below: with one
 * owner for every sandbox of the node, one function holding the 128 inotify
 * instances a user may have left every other sandbox none while it ran.
 *
 * The owners are the SHIM_FLOOR_OWNERS ids after the range, which no
 * sandbox maps.  One is held, node-wide, for as long as its sandbox lives:
 * by an open file description's write lock on the byte at offset <owner>
 * of OWNERS_FILE, which every shim and one-shot invoke on the host takes
 * there (whatever its --root, and whatever range: the offset is the id).
 * The lock goes with the description's last descriptor -- the sandbox's
 * teardown, or the death of the process holding it -- so nothing is left to
 * clean after a crash.  A description per sandbox, not one per process: two
 * locks of one description never conflict, so two sandboxes of a process,
 * or of its creator helpers, could take the same byte. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define OWNERS_FILE "/run/slxrun-owners"
#define RANGES_FILE "/run/slxrun-ranges"

/* One of this module's node-wide files, opened: a regular file of this
 * process's user (root) that nobody else may open, since whoever can lock
 * a byte of it can hold an owner, or every shim's guard, for ever. */
static int node_file(const char *path, const char *what, struct slx_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	struct stat st;

	if (fd < 0)
		return slx_error(err, errno, "%s: %s", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		close(fd);
		return slx_error(err, 0,
				 "%s: %s must be a regular file of uid %u that only it may open "
				 "(mode 0600)",
				 what, path, (unsigned)geteuid());
	}
	return fd;
}

int shim_floor_owner_take(uint32_t first, uid_t *owner, struct slx_err *err)
{
	/* Where this process looks first: past the last one it took, and a
	 * different place in each process, so shims seldom probe each other's. */
	static uint32_t next;
	static bool seeded;
	int fd = node_file(OWNERS_FILE, "the sandbox's user namespace owner", err);

	if (fd < 0)
		return -1;
	if (!seeded) {
		next = ((uint32_t)getpid() * 2654435761u) % SHIM_FLOOR_OWNERS;
		seeded = true;
	}
	for (uint32_t k = 0; k < SHIM_FLOOR_OWNERS; k++) {
		uint32_t i = (next + k) % SHIM_FLOOR_OWNERS;
		struct flock l = {.l_type = F_WRLCK,
				  .l_whence = SEEK_SET,
				  .l_start = (off_t)first + i,
				  .l_len = 1};

		if (fcntl(fd, F_OFD_SETLK, &l) == 0) {
			next = i + 1;
			*owner = (uid_t)(first + i);
			return fd;
		}
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			slx_error(err, errno, "the sandbox's user namespace owner: lock %s",
				  OWNERS_FILE);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return slx_error(err, EAGAIN,
			 "the sandbox's user namespace owner: all %u ids from %" PRIu32
			 " own a live sandbox",
			 SHIM_FLOOR_OWNERS, first);
}

/* ---- the ranges in use on the host ----------------------------------------
 * Owners are allocated node-wide by id, so two ranges may share them only
 * if each range's span -- its ids, the owners and the function users after
 * it -- is the other's exactly or apart from it: a range laid over another's
 * owners or users would give one host id to two sandboxes of different
 * shims, which then share what the kernel counts per user (processes, pipe
 * pages, fds in flight) and the set-id walk's idea of whose ids are whose.
 *
 * The file holds a record per span in use (its base and count, at
 * RANGE_AT + 8 * slot), and each process using a span holds a read lock on
 * its record's bytes for its life: a record nobody locks is free again, so
 * a crashed process leaves nothing to clean.  Byte 0 is the guard every
 * reader and writer of the records takes first, for the few microseconds of
 * a scan. */
#define RANGE_AT 8
/* Records at most: live ranges at once on one host (a free one is reused). */
#define RANGES_MAX 4096
/* The guard is held for a scan of microseconds; waited on for this long. */
#define RANGE_GUARD_WAIT_MS 5000

struct range_rec {
	uint32_t base, count;
};

static uint64_t span_end(uint32_t base, uint32_t count)
{
	return (uint64_t)base + count + 2ull * SHIM_FLOOR_OWNERS;
}

static int range_lock(int fd, short type, off_t at, off_t len, int cmd)
{
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = len};
	int r;

	while ((r = fcntl(fd, cmd, &l)) < 0 && errno == EINTR)
		;
	return r;
}

/* Whether another description holds a lock on slot i. */
static int range_live(int fd, size_t i, bool *live)
{
	struct flock l = {.l_type = F_WRLCK,
			  .l_whence = SEEK_SET,
			  .l_start = RANGE_AT + (off_t)(i * sizeof(struct range_rec)),
			  .l_len = sizeof(struct range_rec)};

	if (fcntl(fd, F_OFD_GETLK, &l) < 0)
		return -1;
	*live = l.l_type != F_UNLCK;
	return 0;
}

/* Under the guard: the slot of base:count's own record (a live one, or a
 * free one to fill), or -1 with err naming the live span it overlaps. */
static ssize_t range_find(int fd, const char *path, uint32_t base, uint32_t count, bool *mine,
			  struct slx_err *err)
{
	uint64_t end = span_end(base, count);
	struct stat st;
	ssize_t free_slot = -1;
	size_t n;

	if (fstat(fd, &st) < 0)
		return slx_error(err, errno, "sandbox ids: %s", path);
	n = st.st_size > RANGE_AT ? (size_t)(st.st_size - RANGE_AT) / sizeof(struct range_rec) : 0;
	if (n > RANGES_MAX)
		n = RANGES_MAX; /* past it nothing this code wrote */
	*mine = false;
	for (size_t i = 0; i < n; i++) {
		struct range_rec r;
		ssize_t got;
		bool live;

		if (range_live(fd, i, &live) < 0)
			return slx_error(err, errno, "sandbox ids: lock %s", path);
		if (!live) {
			if (free_slot < 0)
				free_slot = (ssize_t)i;
			continue;
		}
		got = pread(fd, &r, sizeof(r), RANGE_AT + (off_t)(i * sizeof(r)));
		if (got != sizeof(r))
			return slx_error(err, got < 0 ? errno : EIO, "sandbox ids: read %s", path);
		if (r.base == base && r.count == count) {
			*mine = true;
			return (ssize_t)i;
		}
		if (r.base < end && base < span_end(r.base, r.count))
			return slx_error(
			    err, 0,
			    "--sandbox-ids %" PRIu32 ":%" PRIu32 ": its ids and the %u owners and "
			    "users after them (%" PRIu32 " to %" PRIu64 ") overlap %" PRIu32
			    ":%" PRIu32 "'s (to %" PRIu64 "), a range another shim or invoke on "
			    "this host uses; give each its own range, or the same one",
			    base, count, 2 * SHIM_FLOOR_OWNERS, base, end - 1, r.base, r.count,
			    span_end(r.base, r.count) - 1);
	}
	if (free_slot < 0 && n == RANGES_MAX)
		return slx_error(err, 0, "sandbox ids: %u ranges are in use on this host (%s)",
				 RANGES_MAX, path);
	return free_slot >= 0 ? free_slot : (ssize_t)n;
}

/* The guard, waited on for at most RANGE_GUARD_WAIT_MS. */
static int range_guard(int fd, const char *path, struct slx_err *err)
{
	for (int ms = 0;; ms++) {
		if (range_lock(fd, F_WRLCK, 0, 1, F_OFD_SETLK) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return slx_error(err, errno, "sandbox ids: lock %s", path);
		if (ms == RANGE_GUARD_WAIT_MS)
			return slx_error(err, 0,
					 "sandbox ids: %s has been locked by another process for "
					 "%d s",
					 path, RANGE_GUARD_WAIT_MS / 1000);
		usleep(1000);
	}
}

int shim_floor_range_take(const char *path, uint32_t base, uint32_t count, struct slx_err *err)
{
	cleanup_close int fd = node_file(path, "sandbox ids", err);
	struct range_rec r = {base, count};
	ssize_t slot, put;
	off_t at;
	bool mine = false;
	int saved;

	if (fd < 0 || range_guard(fd, path, err) < 0)
		return -1;
	slot = range_find(fd, path, base, count, &mine, err);
	at = RANGE_AT + (off_t)slot * (off_t)sizeof(r);
	if (slot >= 0 && !mine && (put = pwrite(fd, &r, sizeof(r), at)) != sizeof(r))
		slot = slx_error(err, put < 0 ? errno : EIO, "sandbox ids: write %s", path);
	if (slot >= 0 && range_lock(fd, F_RDLCK, at, sizeof(r), F_OFD_SETLK) < 0)
		slot = slx_error(err, errno, "sandbox ids: lock %s", path);
	saved = errno;
	(void)range_lock(fd, F_UNLCK, 0, 1, F_OFD_SETLK);
	errno = saved;
	return slot < 0 ? -1 : steal_fd(fd);
}

int shim_floor_range_hold(const struct shim_floor_opts *o, struct slx_err *err)
{
	static int held = -1;
	static uint32_t held_base, held_count;
	uint32_t base = o->id_base ? o->id_base : SHIM_FLOOR_ID_BASE;
	uint32_t count = o->id_count ? o->id_count : SHIM_FLOOR_ID_COUNT;

	if (held >= 0)
		return base == held_base && count == held_count
			   ? 0
			   : slx_error(err, 0,
				       "--sandbox-ids %" PRIu32 ":%" PRIu32
				       ": this process uses %" PRIu32 ":%" PRIu32 " already",
				       base, count, held_base, held_count);
	if ((held = shim_floor_range_take(RANGES_FILE, base, count, err)) < 0)
		return -1;
	held_base = base;
	held_count = count;
	return 0;
}
