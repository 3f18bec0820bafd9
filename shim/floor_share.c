/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_share.c -- --share-memory: a function's warm sandboxes hold one
 * copy of the pages they have alike (KSM, no ASLR, one hash seed per
 * function, no glibc thread cache); what it costs is in floor.h.  Only the
 * function's own processes are mergeable: the agent execs each through
 * share-exec (shim/gen/share_exec.c), a fresh image that sets the flag
 * and execs the function, handed to it as a sealed memfd. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "floor.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68 /* Linux 6.4; Debian 12's headers are 6.1's */
#endif
#define KSM_RUN	  "/sys/kernel/mm/ksm/run"
#define HASH_SEED "PYTHONHASHSEED="
/* glibc (2.34 on) writes a random per-process key into every freed chunk
 * its thread cache holds, so the heap pages holding them differ in every
 * sandbox: without the cache they merge (a Python sandbox's unmerged heap
 * went from ~0.5 to ~0.2 MiB). */
#define NO_TCACHE "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"

/* share-exec as a sealed, executable memfd: one per process, for every
 * function it serves (and every sandbox, which keeps it open). */
static int share_exec_fd(struct slx_err *err)
{
	static int fd = -1;
	const unsigned char *p = shim_share_exec_bin;
	size_t left = shim_share_exec_bin_len;
	int m;

	if (fd >= 0)
		return fd;
	if ((m = memfd_create("slxrun-share-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return slx_error(err, errno, "--share-memory: memfd_create");
	while (left) {
		ssize_t n = write(m, p, left);

		if (n <= 0) {
			slx_error(err, n < 0 ? errno : EIO, "--share-memory: share-exec");
			close(m);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(m, 0555) < 0 ||
	    fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		slx_error(err, errno, "--share-memory: seal share-exec");
		close(m);
		return -1;
	}
	return fd = m;
}

int shim_floor_share_memory(struct oci_config *cfg, struct shim_floor *f, struct slx_err *err)
{
	char seed[sizeof(HASH_SEED) + 10];
	uint32_t v = 0;

	if (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return slx_error(err, 0,
				 "--share-memory: this kernel cannot merge a whole process's pages "
				 "(PR_SET_MEMORY_MERGE needs Linux 6.4)");
	if (!floor_env_has(&cfg->process.env, HASH_SEED)) {
		while (!v)
			if (getrandom(&v, sizeof(v), 0) != sizeof(v))
				return slx_error(err, errno, "--share-memory: getrandom");
		snprintf(seed, sizeof(seed), HASH_SEED "%" PRIu32, v);
		if (floor_strv_add(&cfg->process.env, seed) < 0)
			return slx_error(err, ENOMEM, "--share-memory");
	}
	if (!floor_env_has(&cfg->process.env, "GLIBC_TUNABLES=") &&
	    floor_strv_add(&cfg->process.env, NO_TCACHE) < 0)
		return slx_error(err, ENOMEM, "--share-memory");
	if ((f->share_exec_fd = share_exec_fd(err)) < 0)
		return -1;
	f->share_memory = true;
	return 0;
}

void shim_floor_report_ksm(void)
{
	char c = '0';
	int fd = open(KSM_RUN, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	if (c != '1')
		fprintf(stderr,
			"slxrun shim: warning: --share-memory: the kernel's same-page merging is "
			"not running (" KSM_RUN
			" is not 1): sandboxes share nothing until it is\n");
}
