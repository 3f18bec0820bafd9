/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unpack.c -- one tar stream (gzip, zstd or plain, read by libarchive) into
 * one directory, entry by entry through fds: every parent is resolved with
 * openat2(RESOLVE_IN_ROOT) so no name, symlink or hardlink reaches outside,
 * and the last component is only ever created, never followed.  Whiteouts
 * become overlayfs whiteouts here (char 0:0, overlay.opaque=y), so each
 * layer directory is usable as an overlay lower as it is.  The uncompressed
 * stream is hashed on the way through: a layer's diff_id. */
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/lazylib.h"
#include "../common/syscalls.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct unpack {
	struct archive *a;
	struct archive_entry *e;
	int root;
	const struct img_unpack_opts *o;
	const char *raw;      /* the entry's name as the tar has it, for errors */
	struct img_room room; /* what entries may take of the filesystem */
	int64_t charged;      /* bytes taken of the room so far */
	int64_t fed;	      /* bytes of the decompressed stream so far */
	int64_t mark;	      /* fed - charged when the last entry was done */
};

/* What the decompressed stream may hold beyond what its entries take of
 * the room: headers, padding, the end of the tar.  Past it the stream is a
 * bomb that writes nothing, so no room check stops it: a sparse map in
 * endless header blocks (libarchive lists it all before it returns the
 * entry: a 52 KB layer took 4 GB of memory), data after the tar's end or a
 * skipped body (a 17 KB layer held 35 s of CPU for 10 GiB of zeros).  Each
 * entry (and the tar's end) on its own, never pooled: an allowance earned
 * per entry and spent by one let 300,000 empty directory headers buy a
 * sparse map of 2.2 GB (the review); 4 MiB is four tar records of
 * blocking factor 2048 (tar -b 2048); and the whole stream at most a few
 * times what it writes. */
#define UNWRITTEN_ENTRY_MAX (4 << 20)
#define UNWRITTEN_MAX	    (8 << 20)
#define UNWRITTEN_PER_BYTE  4

/* Each entry costs at least a block of metadata, a symlink its target too
 * (7,900 symlinks of 4,000 bytes each took a 32 MiB store to 3 % free
 * when only file data counted). */
#define ENTRY_COST 512

static int take_room(struct unpack *u, int64_t n, struct slx_err *err)
{
	if (img_room_take(&u->room, n) == 0) {
		u->charged += n;
		return 0;
	}
	return slx_error(err, ENOSPC,
			 "entry %s: the layer would leave its filesystem under %d%% free (a "
			 "compression bomb?)",
			 u->raw, IMG_FS_RESERVE_PCT);
}

/* Each entry is an inode too (hard links aside, counted all the same). */
static int take_inode(struct unpack *u, struct slx_err *err)
{
	if (img_room_take_inodes(&u->room, 1) == 0)
		return 0;
	return slx_error(err, ENOSPC,
			 "entry %s: the layer would leave its filesystem under %d%% of its inodes "
			 "free (a layer of countless files?)",
			 u->raw, IMG_FS_RESERVE_PCT);
}

/* Leading "/" and "./" dropped (names are relative to the layer's root, as
 * containerd reads them); a ".." component is refused outright. */
static int clean_name(const char *raw, char out[PATH_MAX], struct slx_err *err)
{
	size_t n = 0;

	for (const char *p = raw; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && !strncmp(p, "..", 2))
			return slx_error(err, 0, "entry %s: \"..\" leaves the layer", raw);
		if (len && !(len == 1 && *p == '.')) {
			if (n + len + 2 > PATH_MAX)
				return slx_error(err, ENAMETOOLONG, "entry %.64s...", raw);
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len + strspn(p + len, "/");
	}
	out[n] = '\0';
	return 0;
}

static int open_in_root(int root, const char *path)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};

	return slx_openat2(root, *path ? path : ".", &how);
}

/* The directory path (relative, clean) opened in the root, created with
 * its missing ancestors: from the deepest that exists down, one component
 * at a time (it recursed once per missing ancestor with a PATH_MAX buffer
 * in each frame: a name 2,046 directories deep overflowed the stack, an
 * attacker's review). */
static int dir_open_or_make(int root, const char *path)
{
	char buf[PATH_MAX];
	size_t have, len = strlen(path);
	int fd = open_in_root(root, path);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (len >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	memcpy(buf, path, len + 1);
	/* the deepest ancestor there is (have: the '/' after it, 0 for the
	 * layer's root) */
	have = len;
	do {
		while (have && buf[have] != '/')
			have--;
		buf[have] = '\0';
		fd = open_in_root(root, buf);
	} while (fd < 0 && errno == ENOENT && have);
	if (fd < 0)
		return -1;
	/* then each missing one, made and opened through its parent */
	while (have < len) {
		size_t start = have ? have + 1 : 0, stop = start + strcspn(path + start, "/");
		int next, e;

		memcpy(buf, path, stop);
		buf[stop] = '\0';
		if (mkdirat(fd, buf + start, 0755) == 0)
			next = openat(fd, buf + start,
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		else
			next = errno == EEXIST ? open_in_root(root, buf) : -1;
		e = errno;
		close(fd);
		if (next < 0)
			return errno = e, -1;
		fd = next;
		have = stop;
	}
	return fd;
}

/* Split clean name into its parent (opened) and its last component. */
static int parent_open(struct unpack *u, char name[PATH_MAX], const char **base,
		       struct slx_err *err)
{
	char *slash = strrchr(name, '/');
	int fd;

	*base = slash ? slash + 1 : name;
	if (slash)
		*slash = '\0';
	fd = dir_open_or_make(u->root, slash ? name : "");
	if (slash)
		*slash = '/';
	if (fd < 0)
		return slx_error(err, errno, "entry %s: parent directory", u->raw);
	return fd;
}

/* Make room for the new entry: a directory over a directory stays (its
 * content merges), anything else is replaced, as tar does. */
static int clear_slot(int pfd, const char *base, bool want_dir, bool *exists_dir)
{
	struct stat st;

	*exists_dir = false;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (want_dir && S_ISDIR(st.st_mode)) {
		*exists_dir = true;
		return 0;
	}
	return img_remove_tree_at(pfd, base);
}

/* The entry's data blocks, each at its offset: a sparse entry's holes
 * stay holes (written out as zeros, a 10 KiB tar of a sparse 2 GiB file
 * took 2 GiB of the store's disk), and the file is its entry's size even
 * when it ends in a hole. */
static int write_data(struct unpack *u, int pfd, const char *base, struct slx_err *err)
{
	cleanup_close int fd =
	    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	const void *blk;
	size_t len;
	la_int64_t off, next = 0;
	int r;

	if (fd < 0)
		return slx_error(err, errno, "entry %s: create", u->raw);
	while ((r = archive_read_data_block(u->a, &blk, &len, &off)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		/* an image archive's blobs are copied out densely: a sparse
		 * one would write its apparent size (2 GiB from 1 MB) */
		if (u->o->files_only && off != next)
			return slx_error(err, 0, "entry %s: sparse (an image archive holds none)",
					 u->raw);
		next = off + (la_int64_t)len;
		if (take_room(u, (int64_t)len, err) < 0)
			return -1;
		for (size_t done = 0; done < len;) {
			ssize_t w = pwrite(fd, (const char *)blk + done, len - done,
					   (off_t)off + (off_t)done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return slx_error(err, errno, "entry %s: write", u->raw);
			done += (size_t)w;
		}
	}
	if (r != ARCHIVE_EOF)
		return slx_error(err, 0, "entry %s: %s", u->raw, archive_error_string(u->a));
	if (u->o->files_only && archive_entry_size_is_set(u->e) && archive_entry_size(u->e) != next)
		return slx_error(err, 0, "entry %s: sparse (an image archive holds none)", u->raw);
	if (archive_entry_size_is_set(u->e) && ftruncate(fd, archive_entry_size(u->e)) < 0)
		return slx_error(err, errno, "entry %s: size", u->raw);
	return 0;
}

/* A hardlink's target is another entry of this layer, resolved in the root
 * like any name; its last component is linked, not followed. */
static int make_hardlink(struct unpack *u, int pfd, const char *base, struct slx_err *err)
{
	char target[PATH_MAX];
	const char *tbase;
	cleanup_close int tfd = -1;
	struct stat st;
	const char *raw = u->raw;

	u->raw = archive_entry_hardlink(u->e);
	if (clean_name(u->raw, target, err) < 0 ||
	    (tfd = parent_open(u, target, &tbase, err)) < 0) {
		u->raw = raw;
		return slx_error_prefix(err, "entry %s: hardlink", raw);
	}
	u->raw = raw;
	if (!*target || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return slx_error(err, errno ? errno : ENOENT, "entry %s: hardlink to %s", raw,
				 archive_entry_hardlink(u->e));
	if (S_ISDIR(st.st_mode))
		return slx_error(err, 0, "entry %s: hardlink to directory %s", raw,
				 archive_entry_hardlink(u->e));
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return slx_error(err, errno, "entry %s: hardlink to %s", raw,
				 archive_entry_hardlink(u->e));
	return 0;
}

static int make_node(struct unpack *u, int pfd, const char *base, mode_t type, struct slx_err *err)
{
	dev_t dev = 0;

	if (type == AE_IFCHR || type == AE_IFBLK) {
		if (!u->o->allow_devices)
			return slx_error(
			    err, 0, "entry %s: device nodes are not allowed in a layer", u->raw);
		dev = makedev(archive_entry_rdevmajor(u->e), archive_entry_rdevminor(u->e));
	}
	if (mknodat(pfd, base, type | 0600, dev) < 0)
		return slx_error(err, errno, "entry %s: mknod", u->raw);
	return 0;
}

/* xattrs through the parent's fd path, so a symlink's own are set without
 * following it; the overlay's own namespace cannot come from a tar. */
static int set_xattrs(struct unpack *u, int pfd, const char *base, struct slx_err *err)
{
	const char *name;
	const void *value;
	size_t size;
	char path[64 + NAME_MAX];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, base);
	archive_entry_xattr_reset(u->e);
	while (archive_entry_xattr_next(u->e, &name, &value, &size) == ARCHIVE_OK) {
		if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
			return slx_error(err, 0, "entry %s: xattr %s is overlayfs's own", u->raw,
					 name);
		/* File capabilities are set-id by another name (see set_meta). */
		if (!strcmp(name, "security.capability"))
			return slx_error(
			    err, 0,
			    "entry %s: xattr security.capability (file capabilities) is refused",
			    u->raw);
		/* stored, and carried in the stream's pax headers */
		if (take_room(u, (int64_t)(strlen(name) + size), err) < 0)
			return -1;
		if (lsetxattr(path, name, value, size, 0) < 0)
			return slx_error(err, errno, "entry %s: xattr %s", u->raw, name);
	}
	return 0;
}

static int set_meta(struct unpack *u, int pfd, const char *base, mode_t type, struct slx_err *err)
{
	struct timespec ts[2] = {
	    {.tv_nsec = UTIME_OMIT},
	    {archive_entry_mtime(u->e), archive_entry_mtime_nsec(u->e)},
	};

	if (u->o->keep_owners && fchownat(pfd, base, (uid_t)archive_entry_uid(u->e),
					  (gid_t)archive_entry_gid(u->e), AT_SYMLINK_NOFOLLOW) < 0)
		return slx_error(err, errno, "entry %s: chown", u->raw);
	/* Without the set-id bits: a layer lives on the host (the store is
	 * searchable so sandboxes can reach it), where a set-uid-root file from
	 * an image would be a root shell for any local user; inside a sandbox
	 * its owner is not mapped, so set-id would do nothing there anyway. */
	if (type != AE_IFLNK && fchmodat(pfd, base, archive_entry_perm(u->e) & 01777, 0) < 0)
		return slx_error(err, errno, "entry %s: chmod", u->raw);
	if (set_xattrs(u, pfd, base, err) < 0)
		return -1;
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return slx_error(err, errno, "entry %s: mtime", u->raw);
	return 0;
}

static int whiteout(struct unpack *u, int pfd, const char *base, struct slx_err *err)
{
	bool dir;

	/* Both namespaces: a sandbox's overlay, mounted in its user namespace,
	 * cannot read trusted.* and is mounted with userxattr. */
	if (!strcmp(base, WH_OPAQUE)) {
		if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0 ||
		    fsetxattr(pfd, "user.overlay.opaque", "y", 1, 0) < 0)
			return slx_error(err, errno, "entry %s: mark opaque", u->raw);
		return 0;
	}
	base += strlen(WH_PREFIX);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return slx_error(err, 0, "entry %s: whiteout of nothing", u->raw);
	if (clear_slot(pfd, base, false, &dir) < 0 ||
	    mknodat(pfd, base, S_IFCHR | 0, makedev(0, 0)) < 0)
		return slx_error(err, errno, "entry %s: whiteout", u->raw);
	return 0;
}

static int entry_create(struct unpack *u, int pfd, const char *base, mode_t type,
			struct slx_err *err)
{
	bool exists_dir;

	if (clear_slot(pfd, base, type == AE_IFDIR, &exists_dir) < 0)
		return slx_error(err, errno, "entry %s: replace what was there", u->raw);
	if (archive_entry_hardlink(u->e))
		return make_hardlink(u, pfd, base, err);
	switch (type) {
	case AE_IFREG:
		return write_data(u, pfd, base, err);
	case AE_IFDIR:
		if (!exists_dir && mkdirat(pfd, base, 0700) < 0)
			return slx_error(err, errno, "entry %s: mkdir", u->raw);
		return 0;
	case AE_IFLNK:
		/* an empty target is no target: libarchive gives NULL */
		if (!archive_entry_symlink(u->e))
			return slx_error(err, 0, "entry %s: a symlink without a target", u->raw);
		if (symlinkat(archive_entry_symlink(u->e), pfd, base) < 0)
			return slx_error(err, errno, "entry %s: symlink", u->raw);
		return 0;
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (u->o->files_only)
			return slx_error(
			    err, 0,
			    "entry %s: not a file, directory or link (an image archive "
			    "holds no others)",
			    u->raw);
		return make_node(u, pfd, base, type, err);
	default:
		return slx_error(err, 0, "entry %s: unsupported file type 0%o", u->raw, type);
	}
}

static int unpack_entry(struct unpack *u, struct slx_err *err)
{
	char name[PATH_MAX];
	const char *base;
	cleanup_close int pfd = -1;
	mode_t type = archive_entry_filetype(u->e);

	u->raw = archive_entry_pathname(u->e);
	if (!u->raw)
		return slx_error(err, 0, "entry without a name");
	if (clean_name(u->raw, name, err) < 0)
		return -1;
	if (!*name) { /* the layer's root itself: its metadata is the runtime's */
		if (type != AE_IFDIR)
			return slx_error(err, 0, "entry %s: the layer's root is not a directory",
					 u->raw);
		return 0;
	}
	if ((pfd = parent_open(u, name, &base, err)) < 0)
		return -1;
	if (take_room(u,
		      ENTRY_COST + (int64_t)strlen(u->raw) +
			  (archive_entry_symlink(u->e)
			       ? (int64_t)strlen(archive_entry_symlink(u->e))
			       : 0),
		      err) < 0 ||
	    take_inode(u, err) < 0)
		return -1;
	if (u->o->overlay_whiteouts && !strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return whiteout(u, pfd, base, err);
	if (entry_create(u, pfd, base, type, err) < 0)
		return -1;
	if (archive_entry_hardlink(u->e))
		return 0;
	return set_meta(u, pfd, base, type, err);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		(void)archive_read_free(*a);
	*a = NULL;
}

/* The decompressed stream: a "raw" reader decompresses the blob, the tar
 * reader reads from it through feed_read, and each piece is hashed. */
struct feed {
	struct archive *raw;
	struct img_sha256 *h;
	struct unpack *u;
	bool unwritten; /* past what it may hold unwritten */
	char buf[1 << 16];
};

static la_ssize_t feed_read(struct archive *a, void *data, const void **out)
{
	struct feed *f = data;
	la_ssize_t n = archive_read_data(f->raw, f->buf, sizeof(f->buf));

	(void)a;
	if (n > 0 && f->h && img_sha256_update(f->h, f->buf, (size_t)n) < 0)
		return -1;
	if (n > 0) {
		struct unpack *u = f->u;
		int64_t unwritten = (u->fed += n) - u->charged;

		if (unwritten - u->mark > UNWRITTEN_ENTRY_MAX ||
		    unwritten > UNWRITTEN_MAX + UNWRITTEN_PER_BYTE * u->charged) {
			f->unwritten = true;
			return -1;
		}
	}
	*out = f->buf;
	return n;
}

static int feed_open(struct feed *f, int fd, struct slx_err *err)
{
	struct archive_entry *e;

	if (!(f->raw = archive_read_new()))
		return slx_error(err, ENOMEM, "archive");
	(void)archive_read_support_filter_gzip(f->raw);
	(void)archive_read_support_filter_zstd(f->raw);
	(void)archive_read_support_filter_none(f->raw);
	(void)archive_read_support_format_raw(f->raw);
	if (archive_read_open_fd(f->raw, fd, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(f->raw, &e) != ARCHIVE_OK)
		return slx_error(err, 0, "not a tar (plain, gzip or zstd): %s",
				 archive_error_string(f->raw));
	return 0;
}

/* What follows the tar's end (its zero blocks, padding) is in the diff_id. */
static int feed_drain(struct feed *f, struct slx_err *err)
{
	const void *p;
	la_ssize_t n;

	while ((n = feed_read(NULL, f, &p)) > 0)
		;
	if (n < 0)
		return slx_error(err, 0, "layer stream: %s", archive_error_string(f->raw));
	return 0;
}

static int unpack_entries(struct unpack *u, struct slx_err *err)
{
	mode_t old_umask = umask(0);
	int r;

	while ((r = archive_read_next_header(u->a, &u->e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (unpack_entry(u, err) < 0)
			break;
		u->mark = u->fed - u->charged;
	}
	umask(old_umask);
	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return -1;
	if (r != ARCHIVE_EOF)
		return slx_error(err, 0, "tar: %s", archive_error_string(u->a));
	return 0;
}

int img_unpack_fd_digest(int fd, int dirfd, const struct img_unpack_opts *o,
			 char diff_id[IMG_DIGEST_MAX], struct slx_err *err)
{
	__attribute__((cleanup(archive_freep))) struct archive *a = NULL;
	__attribute__((cleanup(archive_freep))) struct archive *raw = NULL;
	struct unpack u = {.root = dirfd, .o = o, .room = {.fd = dirfd}};
	struct img_sha256 h = {0};
	cleanup_free struct feed *f = calloc(1, sizeof(*f));
	int r = -1;

	if (!f)
		return slx_error(err, ENOMEM, "archive");
	if (slx_lazy_load_archive(err) < 0 || (diff_id && img_sha256_begin(&h, err) < 0))
		goto out;
	f->h = diff_id ? &h : NULL;
	f->u = &u;
	r = feed_open(f, fd, err);
	raw = f->raw;
	if (r < 0)
		goto out;
	r = -1;
	if (!(u.a = a = archive_read_new())) {
		slx_error(err, ENOMEM, "archive");
		goto out;
	}
	(void)archive_read_support_format_tar(a);
	if (archive_read_open(a, f, NULL, feed_read, NULL) != ARCHIVE_OK) {
		slx_error(err, 0, "not a tar (plain, gzip or zstd): %s", archive_error_string(a));
		goto out;
	}
	if (unpack_entries(&u, err) == 0 &&
	    (!diff_id || (feed_drain(f, err) == 0 && img_sha256_end(&h, diff_id, err) == 0)))
		r = 0;
	if (f->unwritten)
		slx_error(err, EFBIG,
			  "the layer's stream is far longer than what its entries write (a "
			  "decompression bomb?)");
out:
	img_sha256_release(&h);
	return r;
}

int img_unpack_fd(int fd, int dirfd, const struct img_unpack_opts *o, struct slx_err *err)
{
	return img_unpack_fd_digest(fd, dirfd, o, NULL, err);
}
