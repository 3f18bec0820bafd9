/* SPDX-License-Identifier: GPL-2.0-or-later */
/* layers.c -- each layer blob unpacked once into layers/<hex>: into a temp
 * directory first, renamed into place only when complete, so a failed or
 * concurrent unpack never leaves a half layer where a whole one is expected. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define DIFF_ID_XATTR "user.slxrun.diff_id"

static int unpack_into(struct img_store *st, const struct img_desc *d, const char *diff_id,
		       const char *tmp, struct slx_err *err)
{
	const struct img_unpack_opts o = {.overlay_whiteouts = true, .keep_owners = true};
	cleanup_close int blob = img_blob_open(st, d->digest, err), dir = -1;
	char got[IMG_DIGEST_MAX];

	if (blob < 0)
		return -1;
	dir = openat(st->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return slx_error(err, errno, "image store: %s", tmp);
	if (img_unpack_fd_digest(blob, dir, &o, got, err) < 0)
		return -1;
	if (diff_id && strcmp(got, diff_id))
		return slx_error(err, 0,
				 "uncompressed digest %s, but the image config's diff_id is %s",
				 got, diff_id);
	/* The layer's root is a lower's root: the usual 0755; it keeps the
	 * diff_id it was checked against, for the next image using it. */
	if (fchmod(dir, 0755) < 0 || fsetxattr(dir, DIFF_ID_XATTR, got, strlen(got), 0) < 0)
		return slx_error(err, errno, "image store: %s", tmp);
	return 0;
}

/* A layer unpacked before: its recorded diff_id must be this image's too. */
static int check_unpacked(struct img_store *st, const char *dest, const struct img_desc *d,
			  const char *diff_id, struct slx_err *err)
{
	char got[IMG_DIGEST_MAX] = "";
	cleanup_close int dir =
	    openat(st->dirfd, dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = dir < 0 ? -1 : fgetxattr(dir, DIFF_ID_XATTR, got, sizeof(got) - 1);

	if (!diff_id || n < 0)
		return 0; /* none to check, or unpacked before diff_ids were recorded */
	got[n] = '\0';
	if (strcmp(got, diff_id))
		return slx_error(
		    err, 0,
		    "layer %s: uncompressed digest %s, but the image config's diff_id is %s",
		    d->digest, got, diff_id);
	return 0;
}

int img_layer_unpack(struct img_store *st, const struct img_desc *d, const char *diff_id,
		     struct slx_err *err)
{
	char dest[96], tmp[64];
	unsigned char r[8];
	struct stat s;

	snprintf(dest, sizeof(dest), "layers/%s", d->digest + 7);
	if (fstatat(st->dirfd, dest, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(s.st_mode))
		return check_unpacked(st, dest, d, diff_id, err);
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return slx_error(err, errno, "getrandom");
	snprintf(tmp, sizeof(tmp), "tmp/layer-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7]);
	if (mkdirat(st->dirfd, tmp, 0700) < 0)
		return slx_error(err, errno, "image store: %s", tmp);
	if (unpack_into(st, d, diff_id, tmp, err) < 0) {
		(void)img_remove_tree_at(st->dirfd, tmp);
		return slx_error_prefix(err, "layer %s", d->digest);
	}
	if (renameat(st->dirfd, tmp, st->dirfd, dest) < 0) {
		int e = errno;
		(void)img_remove_tree_at(st->dirfd, tmp);
		/* Another pull unpacked the same layer first: theirs is as good. */
		if (e != EEXIST && e != ENOTEMPTY)
			return slx_error(err, e, "layer %s: rename into the store", d->digest);
	}
	return 0;
}
