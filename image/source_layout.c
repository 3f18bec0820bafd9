/* SPDX-License-Identifier: GPL-2.0-or-later */
/* source_layout.c -- pulls from an OCI image layout: a directory (oci:) or
 * one inside a tar (oci-archive:, extracted first into the store's tmp/ by
 * the same safe unpacker as layers), and that archive extraction itself. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/syscalls.h"

struct layout_source {
	struct img_source base;
	struct img_store *st;
	int dirfd;
	char tmp[64]; /* the extracted archive under the store, or "" */
	const char *tag;
};

int img_copy_fd(int in, int out, int64_t max, struct slx_err *err)
{
	static __thread char buf[1 << 16];
	struct img_room room = {.fd = out};
	int64_t total = 0;
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return slx_error(err, errno, "read");
		if ((total += n) > max)
			return slx_error(err, EFBIG,
					 "more than the %lld bytes its descriptor gives",
					 (long long)max);
		if (img_room_take(&room, n) < 0)
			return slx_error(err, ENOSPC,
					 "the store's filesystem would be left under %d%% free",
					 IMG_FS_RESERVE_PCT);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return slx_error(err, errno, "write");
			off += w;
		}
	}
	return 0;
}

int img_open_in(int dirfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return slx_openat2(dirfd, path, &how);
}

int img_open_file_in(int dirfd, const char *path, const char *what, struct slx_err *err)
{
	int fd = img_open_in(dirfd, path, O_RDONLY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return slx_error(err, errno, "%s", what);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return slx_error(err, 0, "%s: not a regular file", what);
	}
	return fd;
}

int img_archive_extract(struct img_store *st, const char *file, char name[64], struct slx_err *err)
{
	const struct img_unpack_opts o = {.files_only = true};
	cleanup_close int in = open(file, O_RDONLY | O_CLOEXEC), dir = -1;
	unsigned char r[8];

	if (in < 0)
		return slx_error(err, errno, "%s", file);
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return slx_error(err, errno, "getrandom");
	snprintf(name, 64, "tmp/src-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		 r[5], r[6], r[7]);
	if (mkdirat(st->dirfd, name, 0700) < 0 ||
	    (dir = openat(st->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return slx_error(err, errno, "image store: %s", name);
	if (img_unpack_fd(in, dir, &o, err) < 0) {
		(void)img_remove_tree_at(st->dirfd, name);
		return slx_error_prefix(err, "%s", file);
	}
	return 0;
}

static int layout_top(struct img_source *src, struct img_store *st, struct img_desc *out,
		      struct slx_err *err)
{
	struct layout_source *l = (struct layout_source *)src;
	cleanup_free char *index = NULL;
	cleanup_close int fd = img_open_file_in(l->dirfd, "index.json", "index.json", err);
	size_t len;

	(void)st;
	if (fd < 0)
		return -1;
	if (slx_read_fd_max(fd, "index.json", IMG_DOC_MAX, &index, &len, err) < 0)
		return -1;
	return img_index_find_tag(index, len, l->tag, out, err);
}

static int layout_fetch(struct img_source *src, const struct img_desc *d, int out,
			struct slx_err *err)
{
	struct layout_source *l = (struct layout_source *)src;
	char path[96], what[128];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "blobs/sha256/%s", d->digest + 7);
	snprintf(what, sizeof(what), "missing from the layout (%s)", path);
	fd = img_open_file_in(l->dirfd, path, what, err);
	if (fd < 0)
		return -1;
	return img_copy_fd(fd, out, d->size, err);
}

static void layout_close(struct img_source *src)
{
	struct layout_source *l = (struct layout_source *)src;

	slx_closep(&l->dirfd);
	if (l->tmp[0])
		(void)img_remove_tree_at(l->st->dirfd, l->tmp);
	free(l);
}

int img_source_layout(const struct img_ref *ref, struct img_store *st, struct img_source **out,
		      struct slx_err *err)
{
	struct layout_source *l = calloc(1, sizeof(*l));

	if (!l)
		return slx_error(err, ENOMEM, "source");
	*l = (struct layout_source){{layout_top, layout_fetch, layout_close}, st, -1, "", ref->tag};
	if (ref->transport == IMG_OCI_ARCHIVE) {
		if (img_archive_extract(st, ref->path, l->tmp, err) < 0) {
			l->tmp[0] = '\0';
			layout_close(&l->base);
			return -1;
		}
		l->dirfd = openat(st->dirfd, l->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		l->dirfd = open(ref->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (l->dirfd < 0) {
		slx_error(err, errno, "%s", ref->path);
		layout_close(&l->base);
		return -1;
	}
	*out = &l->base;
	return 0;
}
