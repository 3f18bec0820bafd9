/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refs.c -- the store's names: refs.json maps each pulled reference to its
 * manifest digest, rewritten atomically under the store's flock; and the
 * fd-relative tree removal rm and prune use. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

int img_refs_lock(struct img_store *st, struct slx_err *err)
{
	int fd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return slx_error(err, errno, "image store: lock");
	if (flock(fd, LOCK_EX) < 0) {
		slx_closep(&fd);
		return slx_error(err, errno, "image store: lock");
	}
	return fd;
}

void img_refs_free(struct img_refs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->names[i]);
		free(r->digests[i]);
	}
	free(r->names);
	free(r->digests);
	*r = (struct img_refs){0};
}

static int refs_add(struct img_refs *r, const char *name, const char *digest)
{
	char **n = realloc(r->names, (r->n + 1) * sizeof(*n));
	char **d;

	if (!n)
		return -1;
	r->names = n;
	d = realloc(r->digests, (r->n + 1) * sizeof(*d));
	if (!d)
		return -1;
	r->digests = d;
	n[r->n] = strdup(name);
	d[r->n] = strdup(digest);
	if (!n[r->n] || !d[r->n]) {
		free(n[r->n]);
		free(d[r->n]);
		return -1;
	}
	r->n++;
	return 0;
}

int img_refs_load(struct img_store *st, struct img_refs *r, struct slx_err *err)
{
	cleanup_free char *text = NULL;
	cleanup_yajl yajl_val root = NULL;

	*r = (struct img_refs){0};
	if (slx_read_file_max_at(st->dirfd, "refs.json", IMG_DOC_MAX, &text, NULL, err) < 0) {
		if (err->errnum == ENOENT)
			return 0;
		return -1;
	}
	if (img_json_parse("image store refs.json", text, &root, err) < 0)
		return -1;
	for (size_t i = 0; i < root->u.object.len; i++) {
		yajl_val v = root->u.object.values[i];

		if (!YAJL_IS_STRING(v) || !img_digest_valid(v->u.string)) {
			img_refs_free(r);
			return slx_error(err, 0, "image store refs.json: %s: not a digest",
					 root->u.object.keys[i]);
		}
		if (refs_add(r, root->u.object.keys[i], v->u.string) < 0) {
			img_refs_free(r);
			return slx_error(err, ENOMEM, "image store refs.json");
		}
	}
	return 0;
}

int img_refs_save(struct img_store *st, const struct img_refs *r, struct slx_err *err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	cleanup_free char *path = NULL;
	size_t len;
	int ret;

	if (!g || asprintf(&path, "%s/refs.json", st->path) < 0) {
		if (g)
			yajl_gen_free(g);
		return slx_error(err, ENOMEM, "image store refs.json");
	}
	(void)yajl_gen_config(g, yajl_gen_beautify, 1);
	(void)yajl_gen_map_open(g);
	for (size_t i = 0; i < r->n; i++) {
		(void)yajl_gen_string(g, (const unsigned char *)r->names[i], strlen(r->names[i]));
		(void)yajl_gen_string(g, (const unsigned char *)r->digests[i],
				      strlen(r->digests[i]));
	}
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_get_buf(g, &buf, &len);
	ret = slx_write_file_atomic(path, (const char *)buf, len, 0600, err);
	yajl_gen_free(g);
	return ret;
}

int img_refs_get(struct img_store *st, const char *name, char digest[IMG_DIGEST_MAX],
		 struct slx_err *err)
{
	struct img_refs r;
	int found = 0;

	if (img_refs_load(st, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r.n && !found; i++)
		if (!strcmp(r.names[i], name)) {
			strcpy(digest, r.digests[i]);
			found = 1;
		}
	img_refs_free(&r);
	return found;
}

int img_refs_set(struct img_store *st, const char *name, const char *digest, struct slx_err *err)
{
	cleanup_close int lock = img_refs_lock(st, err);
	struct img_refs r;
	size_t i;
	int ret;

	if (lock < 0 || img_refs_load(st, &r, err) < 0)
		return -1;
	for (i = 0; i < r.n && strcmp(r.names[i], name); i++)
		;
	if (i < r.n) {
		char *d = strdup(digest);
		if (d) {
			free(r.digests[i]);
			r.digests[i] = d;
		}
		ret = d ? 0 : -1;
	} else {
		ret = refs_add(&r, name, digest);
	}
	ret = ret < 0 ? slx_error(err, ENOMEM, "image store refs") : img_refs_save(st, &r, err);
	img_refs_free(&r);
	return ret;
}

/* Open directories at most while removing a tree. */
#define TREE_FDS 32

/* Empties the directory dfd (owned) of the tree whose top is top, depth
 * levels down.  A subdirectory met TREE_FDS levels down is not opened but
 * moved up to the top under a fresh name (*seq), to be emptied from
 * there: however deep the tree, no more than TREE_FDS directories are
 * open, and nothing is reached through "..".  Returns how many entries it
 * moved up, -1 on an error. */
static int empty_dir(int top, int dfd, unsigned depth, unsigned *seq)
{
	cleanup_dir DIR *d = fdopendir(dfd);
	struct dirent *e;
	int moved = 0;

	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int sub, r;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type != DT_DIR &&
		    (e->d_type != DT_UNKNOWN ||
		     (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		      !S_ISDIR(st.st_mode)))) {
			if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
				return -1;
			continue;
		}
		if (depth >= TREE_FDS) {
			char up[32];

			do
				snprintf(up, sizeof(up), ".slx-up-%u", (*seq)++);
			while ((r = renameat2(dirfd(d), e->d_name, top, up, RENAME_NOREPLACE)) <
				   0 &&
			       errno == EEXIST);
			if (r < 0)
				return -1;
			moved++;
			continue;
		}
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || (r = empty_dir(top, sub, depth + 1, seq)) < 0)
			return -1;
		moved += r;
		if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return -1;
	}
	return moved;
}

int img_remove_tree_at(int at, const char *name)
{
	cleanup_close int top = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unsigned seq = 0;
	int moved;

	if (top < 0)
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	/* Again while the last pass moved directories up: the top's listing
	 * may not have shown them. */
	do {
		int dfd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || (moved = empty_dir(top, dfd, 1, &seq)) < 0)
			return -1;
	} while (moved);
	return unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}
