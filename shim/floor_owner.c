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
#include <unistd.h>

#define OWNERS_FILE "/run/slxrun-owners"

int shim_floor_owner_take(uint32_t first, uid_t *owner, struct slx_err *err)
{
	/* Where this process looks first: past the last one it took, and a
	 * different place in each process, so shims seldom probe each other's. */
	static uint32_t next;
	static bool seeded;
	int fd = open(OWNERS_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return slx_error(err, errno, "the sandbox's user namespace owner: %s", OWNERS_FILE);
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
