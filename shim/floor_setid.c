/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor_setid.c -- no set-id file of a sandbox id in a rootfs shifted into
 * the sandboxes' range.  Their user namespaces belong to BASE, the first of
 * their host ids, so a host process running as BASE holds every capability
 * over them, and one running as another id of the range is a function's
 * own user to signal.  A bundle whose rootfs is already chowned into the
 * range (what a runtime without idmapped mounts needs; the floor leaves it
 * as it is) by a tool that keeps the set-id bits (Debian's su, passwd,
 * mount...) gives any host user that process: the rootfs's path is
 * searchable by others, as root_reachable asks.  Such a rootfs is walked
 * once when the function is loaded.  Any other rootfs is not: the image
 * store strips the bits from the layers it unpacks, and a set-id file of a
 * range id in a bundle of host ids is one a root extracting a hostile
 * tarball would have made a set-uid-root one as easily, a host's matter
 * that no runtime walks every rootfs for (the walk costs about 2 ms per
 * 1,000 files, warm: 140 ms on a 69,000-file rootfs). */
#include "floor.h"

#include <errno.h>
#include <fts.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"

static bool in_range(uint32_t id, uint32_t base, uint32_t count)
{
	return id >= base && id - base < count;
}

static void fts_closep(FTS **f)
{
	if (*f)
		fts_close(*f);
}

int shim_floor_no_setid(const char *rootfs, const char *bundle, const struct shim_floor_opts *o,
			struct slx_err *err)
{
	uint32_t base = o->id_base ? o->id_base : SHIM_FLOOR_ID_BASE;
	uint32_t count = o->id_count ? o->id_count : SHIM_FLOOR_ID_COUNT;
	char *const top[] = {(char *)rootfs, NULL};
	__attribute__((cleanup(fts_closep))) FTS *fts = NULL;
	size_t skip = strlen(bundle) + 1;
	struct stat st;
	FTSENT *e;

	if (!rootfs || strncmp(rootfs, bundle, skip - 1) || rootfs[skip - 1] != '/')
		return 0; /* not the bundle's own */
	if (lstat(rootfs, &st) < 0)
		return slx_error(err, errno, "root.path %s", rootfs);
	if (!in_range(st.st_uid, base, count) && !in_range(st.st_gid, base, count))
		return 0;
	/* physical: a symlink is not followed; one file system: what is
	 * mounted under the rootfs is the host's, not the bundle's */
	if (!(fts = fts_open(top, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL)))
		return slx_error(err, errno, "root.path %s", rootfs);
	errno = 0;
	while ((e = fts_read(fts))) {
		const struct stat *s = e->fts_statp;
		const char *rel = e->fts_pathlen > skip ? e->fts_path + skip : e->fts_path;

		if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS)
			return slx_error(err, e->fts_errno, "bundle %s: %s", bundle, rel);
		if (e->fts_info != FTS_F)
			continue;
		if ((s->st_mode & S_ISUID) && in_range(s->st_uid, base, count))
			return slx_error(err, 0,
					 "bundle %s: %s is set-uid to %u, a sandbox id: any host "
					 "user could run it as that id and reach the sandboxes "
					 "(chmod u-s it)",
					 bundle, rel, (unsigned)s->st_uid);
		if ((s->st_mode & S_ISGID) && (s->st_mode & S_IXGRP) &&
		    in_range(s->st_gid, base, count))
			return slx_error(err, 0,
					 "bundle %s: %s is set-gid to %u, a sandbox id: any host "
					 "user could run it as that group and reach the sandboxes "
					 "(chmod g-s it)",
					 bundle, rel, (unsigned)s->st_gid);
	}
	if (errno)
		return slx_error(err, errno, "root.path %s", rootfs);
	return 0;
}
