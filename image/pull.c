/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pull.c -- a reference into the store, whatever its source: the top
 * descriptor, indexes down to linux/amd64, then the config and the layers,
 * each blob fetched only when missing and committed only once verified. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"

/* The most a blob may be: a registry writes the descriptors it then
 * serves, so its size alone bounds neither the disk a pull takes nor how
 * long it may hold the store's lock (a declared 2^40-byte layer, sent at
 * 2 KiB/s, had a deadline of 194 days).  Docker Hub takes layers to 10 GB. */
#define IMG_BLOB_MAX (16ll << 30)

static int blob_fetch(struct img_source *src, struct img_store *st, const struct img_desc *d,
		      struct slx_err *err)
{
	struct img_tmp t;

	if (img_blob_exists(st, d->digest))
		return 0;
	if (d->size > IMG_BLOB_MAX)
		return slx_error(err, EFBIG, "blob %s: %lld bytes, over the %lld a blob may have",
				 d->digest, (long long)d->size, IMG_BLOB_MAX);
	/* what the store has room for, before a byte is written */
	if (d->size > img_fs_room(st->dirfd))
		return slx_error(err, ENOSPC,
				 "blob %s: %lld bytes, more than the store may take (%lld, keeping "
				 "%d%% of its filesystem free)",
				 d->digest, (long long)d->size, (long long)img_fs_room(st->dirfd),
				 IMG_FS_RESERVE_PCT);
	if (img_tmp_open(st, &t, err) < 0)
		return -1;
	if (src->fetch(src, d, t.fd, err) < 0) {
		img_tmp_discard(st, &t);
		return slx_error_prefix(err, "blob %s", d->digest);
	}
	return img_blob_commit(st, &t, d->digest, d->size, err);
}

/* Follow indexes until a manifest; *m gets it parsed. */
static int resolve_manifest(struct img_source *src, struct img_store *st, struct img_desc *d,
			    struct img_manifest *m, struct slx_err *err)
{
	for (int depth = 0; depth < 4; depth++) {
		cleanup_free char *doc = NULL;
		size_t len;
		enum img_kind kind;

		if (blob_fetch(src, st, d, err) < 0 ||
		    img_blob_read_doc(st, d->digest, &doc, &len, err) < 0 ||
		    img_doc_kind(doc, len, &kind, err) < 0)
			return -1;
		if (kind == IMG_KIND_MANIFEST)
			return img_manifest_parse(doc, len, m, err);
		if (img_index_select(doc, len, d, err) < 0)
			return -1;
	}
	return slx_error(err, 0, "manifest %s: indexes nested too deep", d->digest);
}

static int open_source(const struct img_ref *ref, struct img_store *st, struct img_source **src,
		       struct slx_err *err)
{
	switch (ref->transport) {
	case IMG_OCI_DIR:
	case IMG_OCI_ARCHIVE:
		return img_source_layout(ref, st, src, err);
	case IMG_DOCKER_ARCHIVE:
		return img_source_docker_archive(ref, st, src, err);
	case IMG_DOCKER:
		return img_source_registry(ref, src, err);
	}
	return slx_error(err, EINVAL, "image %s: unknown transport", ref->name);
}

static int pull_from(struct img_source *src, struct img_store *st, const struct img_ref *ref,
		     char manifest[IMG_DIGEST_MAX], struct slx_err *err)
{
	struct img_desc d;
	struct img_manifest m;
	int r = -1;

	if (src->top(src, st, &d, err) < 0 || resolve_manifest(src, st, &d, &m, err) < 0)
		return -1;
	if (blob_fetch(src, st, &m.config, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (blob_fetch(src, st, &m.layers[i], err) < 0)
			goto out;
	strcpy(manifest, d.digest);
	r = img_refs_set(st, ref->name, d.digest, err);
out:
	img_manifest_free(&m);
	return r;
}

int img_pull(struct img_store *st, const struct img_ref *ref, char manifest[IMG_DIGEST_MAX],
	     struct slx_err *err)
{
	struct img_source *src = NULL;
	cleanup_close int gc = img_gc_lock(st, false, err);
	int r;

	if (gc < 0)
		return -1;
	if (open_source(ref, st, &src, err) < 0)
		return slx_error_prefix(err, "pull %s", ref->name);
	r = pull_from(src, st, ref, manifest, err);
	src->close(src);
	return r < 0 ? slx_error_prefix(err, "pull %s", ref->name) : 0;
}
