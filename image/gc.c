/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gc.c -- what the store holds and letting go of it: ls, inspect, rm (a
 * ref) and prune (every blob, layer and bundle no ref reaches and nobody
 * holds, under the store's gc lock). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../common/cleanup.h"

int img_list(struct img_store *st, FILE *out, struct slx_err *err)
{
	struct img_refs r;

	if (img_refs_load(st, &r, err) < 0)
		return -1;
	fprintf(out, "%-71s  %s\n", "MANIFEST", "REFERENCE");
	for (size_t i = 0; i < r.n; i++)
		fprintf(out, "%-71s  %s\n", r.digests[i], r.names[i]);
	img_refs_free(&r);
	return 0;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	fputc('"', out);
}

int img_inspect(struct img_store *st, const char *name, FILE *out, struct slx_err *err)
{
	char digest[IMG_DIGEST_MAX];
	cleanup_free char *doc = NULL, *cfg = NULL;
	struct img_manifest m;
	size_t len, clen;
	int r = img_refs_get(st, name, digest, err);

	if (r == 0)
		return slx_error(err, ENOENT, "image %s: not in the store (see slxrun image ls)",
				 name);
	if (r < 0 || img_blob_read_doc(st, digest, &doc, &len, err) < 0 ||
	    img_manifest_parse(doc, len, &m, err) < 0)
		return -1;
	r = img_blob_read_doc(st, m.config.digest, &cfg, &clen, err);
	img_manifest_free(&m);
	if (r < 0)
		return -1;
	/* Both documents are verified JSON: they go out as they are stored. */
	fputs("{\"name\": ", out);
	json_str(out, name);
	fprintf(out, ", \"digest\": \"%s\",\n\"manifest\": %s,\n\"config\": %s}\n", digest, doc,
		cfg);
	return 0;
}

int img_remove(struct img_store *st, const char *name, struct slx_err *err)
{
	cleanup_close int lock = img_refs_lock(st, err);
	struct img_refs r;
	size_t i;
	int ret;

	if (lock < 0 || img_refs_load(st, &r, err) < 0)
		return -1;
	for (i = 0; i < r.n && strcmp(r.names[i], name); i++)
		;
	if (i == r.n) {
		img_refs_free(&r);
		return slx_error(err, ENOENT, "image %s: not in the store (see slxrun image ls)",
				 name);
	}
	free(r.names[i]);
	free(r.digests[i]);
	r.names[i] = r.names[r.n - 1];
	r.digests[i] = r.digests[r.n - 1];
	r.n--;
	ret = img_refs_save(st, &r, err);
	img_refs_free(&r);
	return ret;
}

int img_gc_lock(struct img_store *st, bool exclusive, struct slx_err *err)
{
	int fd = openat(st->dirfd, "gc.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return slx_error(err, errno, "image store: gc.lock");
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		slx_closep(&fd);
		return slx_error(err, errno, "image store: gc.lock");
	}
	return fd;
}

/* Every hex a ref reaches: its manifest, config and layers. */
struct keep {
	char (*hex)[65];
	size_t n, cap;
};

static int keep_add(struct keep *k, const char *digest)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		char(*h)[65] = realloc(k->hex, cap * sizeof(*h));
		if (!h)
			return -1;
		k->hex = h;
		k->cap = cap;
	}
	memcpy(k->hex[k->n++], digest + 7, 65);
	return 0;
}

static bool keep_has(const struct keep *k, const char *hex)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->hex[i], hex))
			return true;
	return false;
}

static int keep_mark(struct img_store *st, struct keep *k, const char *manifest,
		     struct slx_err *err)
{
	cleanup_free char *doc = NULL;
	struct img_manifest m;
	size_t len;
	int r = 0;

	if (keep_add(k, manifest) < 0)
		return slx_error(err, ENOMEM, "prune");
	/* A ref whose manifest is gone or broken keeps nothing more. */
	if (img_blob_read_doc(st, manifest, &doc, &len, err) < 0 ||
	    img_manifest_parse(doc, len, &m, err) < 0)
		return 0;
	r = keep_add(k, m.config.digest);
	for (size_t i = 0; r == 0 && i < m.n_layers; i++)
		r = keep_add(k, m.layers[i].digest);
	img_manifest_free(&m);
	return r < 0 ? slx_error(err, ENOMEM, "prune") : 0;
}

bool img_file_held(int dirfd, const char *name)
{
	/* non-blocking: a FIFO left in tmp/ is opened, not waited on */
	cleanup_close int fd =
	    openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static int sweep(struct img_store *st, const char *dir, const struct keep *k, unsigned *removed,
		 struct slx_err *err)
{
	cleanup_close int fd = openat(st->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	bool failed = false;

	if (fd < 0 || !(d = fdopendir(fd)))
		return slx_error(err, errno, "image store: %s", dir);
	fd = -1;
	/* What cannot be removed is said (the first of it) but does not stop
	 * the sweep: one bad layer kept every later prune from the rest. */
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || keep_has(k, e->d_name) ||
		    img_file_held(dirfd(d), e->d_name))
			continue;
		if (img_remove_tree_at(dirfd(d), e->d_name) < 0) {
			if (!failed)
				slx_error(err, errno, "image store: remove %s/%s", dir, e->d_name);
			failed = true;
			continue;
		}
		(*removed)++;
	}
	return failed ? -1 : 0;
}

/* A bundle someone holds (img_bundle_make's pin: a shim serving it, an
 * invoke running it) is kept with all its image needs: its name is its
 * manifest's hex.  Removed, the holder's next sandbox found no root. */
static int keep_pinned(struct img_store *st, struct keep *k, struct slx_err *err)
{
	cleanup_close int fd = openat(st->dirfd, "bundles", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	char digest[IMG_DIGEST_MAX];

	if (fd < 0 || !(d = fdopendir(fd)))
		return slx_error(err, errno, "image store: bundles");
	fd = -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) != 64 ||
		    !img_file_held(dirfd(d), e->d_name))
			continue;
		snprintf(digest, sizeof(digest), "sha256:%s", e->d_name);
		if (keep_mark(st, k, digest, err) < 0)
			return -1;
	}
	return 0;
}

int img_prune(struct img_store *st, unsigned *removed, struct slx_err *err)
{
	static const char *const dirs[] = {"blobs/sha256", "layers", "bundles", "tmp"};
	cleanup_close int gc = img_gc_lock(st, true, err), lock = -1;
	struct slx_err later = {0};
	struct keep k = {0};
	struct img_refs r;
	int ret = 0;

	*removed = 0;
	if (gc < 0 || (lock = img_refs_lock(st, err)) < 0 || img_refs_load(st, &r, err) < 0)
		return -1;
	for (size_t i = 0; ret == 0 && i < r.n; i++)
		ret = keep_mark(st, &k, r.digests[i], err);
	if (ret == 0)
		ret = keep_pinned(st, &k, err);
	/* With the gc lock held no local pull or bundle is under way, and a
	 * registry pull's blobs and temp files are held (pull.c): the rest of
	 * tmp/ is leftovers.  Every directory is swept even when one fails (the
	 * first error stands); none is when what to keep is not known. */
	if (ret == 0)
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (sweep(st, dirs[i], &k, removed, ret < 0 ? &later : err) < 0)
				ret = -1;
	img_refs_free(&r);
	free(k.hex);
	return ret;
}
