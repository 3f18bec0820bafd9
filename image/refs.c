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
#include <sys/file.h>
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

int img_remove_tree_at(int at, const char *name)
{
	cleanup_close int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (fd < 0)
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	d = fdopendir(fd);
	if (!d)
		return -1;
	fd = -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    img_remove_tree_at(dirfd(d), e->d_name) < 0)
			return -1;
	return unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}
