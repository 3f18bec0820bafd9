/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store.c -- the content-addressed store under <root>/images: blobs written
 * to a temp file and renamed into blobs/sha256/<hex> only once their digest
 * and size are verified, so a blob present is a blob that is right. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

/* A function sandbox mounts its layers and bundle by path from inside its
 * user namespace, as an id the host does not know: the way there must be
 * searchable by that id.  The runtime root is searchable by anyone (0711,
 * nothing listable); images/ only by root and the sandboxes' group
 * (img_store_admit), never by other host users: a layer keeps its image's
 * owners and modes (a 1777 /tmp, files of uid 1000), and what a host user
 * put there every sandbox of the image would run.  Inside it, layers/ and
 * bundles/ are 0711, blobs and temp 0700. */
static const struct {
	const char *name;
	mode_t mode;
} store_dirs[] = {
    {"blobs", 0700}, {"blobs/sha256", 0700}, {"layers", 0711}, {"bundles", 0711}, {"tmp", 0700},
};

static int searchable(int dirfd, const char *name, mode_t mode)
{
	struct stat s;

	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if ((s.st_mode & 0111) == 0111)
		return 0;
	return fchmodat(dirfd, name, (s.st_mode & 07777) | mode, 0);
}

/* images/: 0710 when a group was admitted, else 0700 (an older store was
 * 0711). */
static int gate(const char *images)
{
	struct stat s;
	mode_t want;

	if (lstat(images, &s) < 0)
		return -1;
	want = s.st_gid ? 0710 : 0700;
	return (s.st_mode & 07777) == want ? 0 : chmod(images, want);
}

int img_store_admit(const char *root, gid_t gid, struct slx_err *err)
{
	char path[PATH_MAX];
	struct stat s;

	if ((size_t)snprintf(path, sizeof(path), "%s/images", root) >= sizeof(path))
		return slx_error(err, ENAMETOOLONG, "image store %s", root);
	if (lstat(path, &s) < 0)
		return errno == ENOENT ? 0 : slx_error(err, errno, "image store %s", path);
	if (!S_ISDIR(s.st_mode))
		return slx_error(err, ENOTDIR, "image store %s", path);
	/* Another range's group would lock that range's sandboxes out. */
	if (s.st_gid != 0 && s.st_gid != gid)
		return slx_error(err, 0,
				 "image store %s: its sandboxes' group is %u, not %u: one "
				 "--sandbox-ids range per runtime root",
				 path, (unsigned)s.st_gid, (unsigned)gid);
	if ((s.st_gid != gid && lchown(path, (uid_t)-1, gid) < 0) || gate(path) < 0)
		return slx_error(err, errno, "image store %s: admit group %u", path, (unsigned)gid);
	return 0;
}

int img_store_open(const char *root, struct img_store *st, struct slx_err *err)
{
	cleanup_free char *path = NULL;
	char abs[PATH_MAX];

	*st = (struct img_store){.dirfd = -1};
	if (asprintf(&path, "%s/images", root) < 0)
		return slx_error(err, ENOMEM, "image store");
	if (slx_mkdir_p(path, 0700, err) < 0)
		return slx_error_prefix(err, "image store");
	/* Absolute and without symlinks: overlay options name these paths, and
	 * the mounts happen from another working directory. */
	if (!realpath(path, abs))
		return slx_error(err, errno, "image store %s", path);
	if (searchable(AT_FDCWD, root, 0111) < 0 || gate(abs) < 0)
		return slx_error(err, errno, "image store %s: set its mode", abs);
	st->dirfd = open(abs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dirfd < 0)
		return slx_error(err, errno, "image store %s", abs);
	for (size_t i = 0; i < sizeof(store_dirs) / sizeof(store_dirs[0]); i++)
		if ((mkdirat(st->dirfd, store_dirs[i].name, store_dirs[i].mode) < 0 &&
		     errno != EEXIST) ||
		    (store_dirs[i].mode & 0001 &&
		     searchable(st->dirfd, store_dirs[i].name, store_dirs[i].mode) < 0)) {
			slx_error(err, errno, "image store %s/%s", abs, store_dirs[i].name);
			img_store_close(st);
			return -1;
		}
	if (!(st->path = strdup(abs))) {
		img_store_close(st);
		return slx_error(err, ENOMEM, "image store");
	}
	return 0;
}

int img_store_path(const char *root, char out[PATH_MAX])
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/images", root) >= sizeof(path))
		return -1;
	return realpath(path, out) ? 0 : -1;
}

void img_store_close(struct img_store *st)
{
	slx_closep(&st->dirfd);
	free(st->path);
	st->path = NULL;
}

/* "tmp/<prefix>-<16 random hex>": unguessable, so concurrent pulls of the
 * same blob each write their own file and the last rename wins (same bytes). */
static int tmp_name(const char *prefix, char name[64], struct slx_err *err)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return slx_error(err, errno, "getrandom");
	snprintf(name, 64, "tmp/%s-%02x%02x%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7]);
	return 0;
}

int img_tmp_open(struct img_store *st, struct img_tmp *t, struct slx_err *err)
{
	t->fd = -1;
	if (tmp_name("blob", t->name, err) < 0)
		return -1;
	t->fd =
	    openat(st->dirfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->fd < 0)
		return slx_error(err, errno, "image store: create %s", t->name);
	if (t->pin && flock(t->fd, LOCK_SH) < 0) {
		slx_error(err, errno, "image store: lock %s", t->name);
		img_tmp_discard(st, t);
		return -1;
	}
	return 0;
}

void img_tmp_discard(struct img_store *st, struct img_tmp *t)
{
	if (t->fd >= 0) {
		(void)unlinkat(st->dirfd, t->name, 0);
		slx_closep(&t->fd);
	}
}

int img_blob_commit(struct img_store *st, struct img_tmp *t, const char *want, int64_t size,
		    struct slx_err *err)
{
	char got[IMG_DIGEST_MAX], dest[96];
	int64_t got_size = 0;

	if (fsync(t->fd) < 0) {
		slx_error(err, errno, "blob %s: write", want);
		goto fail;
	}
	if (img_sha256_fd(t->fd, got, &got_size, err) < 0)
		goto fail;
	if (size >= 0 && got_size != size) {
		slx_error(err, 0, "blob %s: size is %lld bytes, the descriptor says %lld", want,
			  (long long)got_size, (long long)size);
		goto fail;
	}
	if (strcmp(got, want)) {
		slx_error(err, 0, "blob %s: content has digest %s", want, got);
		goto fail;
	}
	snprintf(dest, sizeof(dest), "blobs/sha256/%s", want + 7);
	(void)fchmodat(st->dirfd, t->name, 0444, 0);
	if (renameat2(st->dirfd, t->name, st->dirfd, dest, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) { /* the same bytes, by their digest */
			img_tmp_discard(st, t);
			return 0;
		}
		slx_error(err, errno, "blob %s: rename into the store", want);
		goto fail;
	}
	if (!t->pin)
		slx_closep(&t->fd);
	return 0;
fail:
	img_tmp_discard(st, t);
	return -1;
}

int64_t img_fs_room(int fd)
{
	struct statvfs v;
	unsigned long long avail, reserve;

	if (fstatvfs(fd, &v) < 0 || !v.f_blocks)
		return INT64_MAX;
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	reserve = (unsigned long long)v.f_blocks * v.f_frsize / 100 * IMG_FS_RESERVE_PCT;
	return avail > reserve ? (int64_t)(avail - reserve) : 0;
}

int64_t img_fs_inodes(int fd)
{
	struct statvfs v;
	unsigned long long reserve;

	if (fstatvfs(fd, &v) < 0 || !v.f_files)
		return INT64_MAX;
	reserve = (unsigned long long)v.f_files / 100 * IMG_FS_RESERVE_PCT;
	return v.f_favail > reserve ? (int64_t)(v.f_favail - reserve) : 0;
}

/* Take n from a meter whose filesystem is asked (room_of) only once the
 * amount taken since passes the step: min(step_max, a quarter of the room
 * it last had), never under step_min; slack is kept for what other
 * writers take between two of this one's checks.  What was taken before n
 * is written, so in the filesystem's figure. */
static int meter_take(struct img_room_meter *m, int fd, int64_t (*room_of)(int), int64_t slack,
		      int64_t step_max, int64_t step_min, int64_t n)
{
	int64_t room;

	m->since += n;
	if (m->step && m->since < m->step)
		return 0;
	room = room_of(fd) - slack;
	if (room < n)
		return -1;
	room -= n;
	m->since = 0;
	m->step = room / 4 < step_max ? room / 4 : step_max;
	if (m->step < step_min)
		m->step = step_min;
	return 0;
}

int img_room_take(struct img_room *r, int64_t n)
{
	return meter_take(&r->bytes, r->fd, img_fs_room, IMG_ROOM_SLACK, IMG_ROOM_STEP, 4096, n);
}

int img_room_take_inodes(struct img_room *r, int64_t n)
{
	return meter_take(&r->inodes, r->fd, img_fs_inodes, IMG_ROOM_INODE_SLACK,
			  IMG_ROOM_INODE_STEP, 1, n);
}

static void blob_path(const char *digest, char path[96])
{
	snprintf(path, 96, "blobs/sha256/%s", digest + 7);
}

bool img_blob_exists(struct img_store *st, const char *digest)
{
	char path[96];
	struct stat s;

	blob_path(digest, path);
	return fstatat(st->dirfd, path, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(s.st_mode);
}

int img_blob_open(struct img_store *st, const char *digest, struct slx_err *err)
{
	char path[96];
	int fd;

	if (!img_digest_valid(digest))
		return slx_error(err, 0, "blob %s: not sha256:<64 hex>", digest);
	blob_path(digest, path);
	fd = openat(st->dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return slx_error(err, errno, "blob %s: not in the store", digest);
	return fd;
}

int img_blob_read_doc(struct img_store *st, const char *digest, char **out, size_t *len,
		      struct slx_err *err)
{
	cleanup_close int fd = img_blob_open(st, digest, err);
	char got[IMG_DIGEST_MAX] = "";

	if (fd < 0)
		return -1;
	if (slx_read_fd_max(fd, digest, IMG_DOC_MAX, out, len, err) < 0)
		return -1;
	if (img_sha256_buf(*out, *len, got, err) == 0 && !strcmp(got, digest))
		return 0;
	if (!strncmp(got, "sha256:", 7))
		slx_error(err, 0, "blob %s: the store's copy has digest %s", digest, got);
	free(*out);
	*out = NULL;
	return -1;
}
