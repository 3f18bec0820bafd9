/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pull.c -- a reference into the store, whatever its source: the top
 * descriptor, indexes down to linux/amd64, then the config and the layers,
 * each blob fetched only when missing and committed only once verified. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* The most a blob may be: a registry writes the descriptors it then
 * serves, so its size alone bounds neither the disk a pull takes nor how
 * long it may hold the store's lock (a declared 2^40-byte layer, sent at
 * 2 KiB/s, had a deadline of 194 days).  Docker Hub takes layers to 10 GB. */
#define IMG_BLOB_MAX (16ll << 30)

/* What a registry pull holds until its ref is set: every blob it fetched
 * or found, open and flock'ed (LOCK_SH), so prune passes over them.  A
 * registry decides how long its transfers take (a trickle just over the
 * floor, for a blob it says is 16 GiB, for days), so such a pull takes the
 * store's gc lock only for its short steps: prune never waits on a
 * transfer.  A pull from a local layout or archive holds the gc lock
 * throughout, as its extraction in tmp/ needs. */
struct pin {
	int fd;
	char digest[IMG_DIGEST_MAX];
};
struct pins {
	struct pin *v;
	size_t n, cap;
};

/* Each blob is held once, however often the manifest names it (a layer
 * listed 1,100 times ran the pull out of fds). */
static bool pins_have(const struct pins *p, const char *digest)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].digest, digest))
			return true;
	return false;
}

static int pins_add(struct pins *p, int fd, const char *digest, struct slx_err *err)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct pin *n = realloc(p->v, cap * sizeof(*n));

		if (!n) {
			close(fd);
			return slx_error(err, ENOMEM, "pull");
		}
		p->v = n;
		p->cap = cap;
	}
	p->v[p->n].fd = fd;
	snprintf(p->v[p->n++].digest, IMG_DIGEST_MAX, "%s", digest);
	return 0;
}

static void pins_release(struct pins *p)
{
	for (size_t i = 0; i < p->n; i++)
		close(p->v[i].fd);
	free(p->v);
}

/* A blob in the store, held for this pull (under the gc lock: prune cannot
 * take it between the look and the lock). */
static int pin_blob(struct img_store *st, const char *digest, struct pins *p, struct slx_err *err)
{
	int fd = img_blob_open(st, digest, err);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_SH) < 0) {
		close(fd);
		return slx_error(err, errno, "blob %s: lock", digest);
	}
	return pins_add(p, fd, digest, err);
}

/* d into the store when missing.  With pins (a registry pull) the gc lock
 * is held while the blob is looked for, its temp file made and committed,
 * never during the transfer. */
static int blob_fetch(struct img_source *src, struct img_store *st, const struct img_desc *d,
		      struct pins *pins, struct slx_err *err)
{
	cleanup_close int gc = -1;
	struct img_tmp t = {.pin = pins != NULL};
	int64_t room;

	if (pins && pins_have(pins, d->digest))
		return 0;
	if (pins && (gc = img_gc_lock(st, false, err)) < 0)
		return -1;
	if (img_blob_exists(st, d->digest))
		return pins ? pin_blob(st, d->digest, pins, err) : 0;
	if (d->size > IMG_BLOB_MAX)
		return slx_error(err, EFBIG, "blob %s: %lld bytes, over the %lld a blob may have",
				 d->digest, (long long)d->size, IMG_BLOB_MAX);
	/* what the store has room for, before a byte is written */
	if (d->size > (room = img_fs_room(st->dirfd)))
		return slx_error(err, ENOSPC,
				 "blob %s: %lld bytes, more than the store may take (%lld, keeping "
				 "%d%% of its filesystem free)",
				 d->digest, (long long)d->size, (long long)room,
				 IMG_FS_RESERVE_PCT);
	if (img_tmp_open(st, &t, err) < 0)
		return -1;
	slx_closep(&gc);
	if (src->fetch(src, d, t.fd, err) < 0) {
		img_tmp_discard(st, &t);
		return slx_error_prefix(err, "blob %s", d->digest);
	}
	if (pins && (gc = img_gc_lock(st, false, err)) < 0) {
		img_tmp_discard(st, &t);
		return -1;
	}
	if (img_blob_commit(st, &t, d->digest, d->size, err) < 0)
		return -1;
	if (!pins)
		return 0;
	/* committed and held; or another pull's copy was there first */
	return t.fd >= 0 ? pins_add(pins, t.fd, d->digest, err)
			 : pin_blob(st, d->digest, pins, err);
}

/* A manifest, index or config: read whole into memory, so one its
 * descriptor says is larger than that may be is refused before a byte is
 * fetched (it was fetched, committed, then refused, and left in the store). */
static int doc_fetch(struct img_source *src, struct img_store *st, const struct img_desc *d,
		     const char *what, struct pins *pins, struct slx_err *err)
{
	if (d->size > (int64_t)IMG_DOC_MAX)
		return slx_error(err, EFBIG, "%s %s: %lld bytes, over the %u MiB it may have", what,
				 d->digest, (long long)d->size, IMG_DOC_MAX >> 20);
	return blob_fetch(src, st, d, pins, err);
}

/* Follow indexes until a manifest; *m gets it parsed. */
static int resolve_manifest(struct img_source *src, struct img_store *st, struct img_desc *d,
			    struct img_manifest *m, struct pins *pins, struct slx_err *err)
{
	for (int depth = 0; depth < 4; depth++) {
		cleanup_free char *doc = NULL;
		size_t len;
		enum img_kind kind;

		if (doc_fetch(src, st, d, "manifest", pins, err) < 0 ||
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

/* The config is read now, not at the first invoke: one that cannot be
 * read (nested too deep, not JSON) fails its pull, not every later use. */
static int config_check(struct img_store *st, const struct img_desc *d, struct slx_err *err)
{
	cleanup_free char *doc = NULL;
	struct img_config c;
	size_t len;

	if (img_blob_read_doc(st, d->digest, &doc, &len, err) < 0 ||
	    img_config_parse(doc, &c, err) < 0)
		return -1;
	img_config_free(&c);
	return 0;
}

static int pull_from(struct img_source *src, struct img_store *st, const struct img_ref *ref,
		     char manifest[IMG_DIGEST_MAX], struct pins *pins, struct slx_err *err)
{
	struct img_desc d;
	struct img_manifest m;
	int r = -1;

	if (src->top(src, st, &d, err) < 0 || resolve_manifest(src, st, &d, &m, pins, err) < 0)
		return -1;
	if (doc_fetch(src, st, &m.config, "config", pins, err) < 0 ||
	    config_check(st, &m.config, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (blob_fetch(src, st, &m.layers[i], pins, err) < 0)
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
	bool remote = ref->transport == IMG_DOCKER;
	cleanup_close int gc = remote ? -1 : img_gc_lock(st, false, err);
	struct pins pins = {0};
	int r;

	if (!remote && gc < 0)
		return -1;
	if (open_source(ref, st, &src, err) < 0)
		return slx_error_prefix(err, "pull %s", ref->name);
	r = pull_from(src, st, ref, manifest, remote ? &pins : NULL, err);
	src->close(src);
	pins_release(&pins);
	return r < 0 ? slx_error_prefix(err, "pull %s", ref->name) : 0;
}
