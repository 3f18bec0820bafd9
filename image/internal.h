/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h -- shared by image/'s own files only: the JSON helpers, the
 * store's blob and ref primitives, and the source interface pulls go through. */
#ifndef SLX_IMAGE_INTERNAL_H
#define SLX_IMAGE_INTERNAL_H

#include <yajl/yajl_tree.h>

#include "image.h"

/* Image documents (manifests, indexes, configs) larger than this are refused. */
#define IMG_DOC_MAX (4u << 20)
/* A document's shape before yajl's tree is built: yajl frees the tree by
 * recursion (a document nested 400,000 deep, 800 KB, crashed slxrun in
 * yajl_tree_free) and a tree takes about 50 times its text (a 4 MiB array
 * of zeros: 207 MB).  No image document needs more of either. */
#define IMG_JSON_MAX_DEPTH  64
#define IMG_JSON_MAX_VALUES 200000
/* Refused in one line naming what, unless json (NUL-terminated) nests at
 * most IMG_JSON_MAX_DEPTH deep and holds at most IMG_JSON_MAX_VALUES values. */
int img_json_shape(const char *what, const char *json, struct slx_err *err);

static inline void img_yajl_freep(yajl_val *v)
{
	yajl_tree_free(*v);
	*v = NULL;
}
#define cleanup_yajl __attribute__((cleanup(img_yajl_freep)))

/* Parse a NUL-terminated document; errors read "<what>: <yajl's message>". */
int img_json_parse(const char *what, const char *json, yajl_val *out, struct slx_err *err);
/* obj[key] or NULL (also when obj is not an object). */
yajl_val img_json_get(yajl_val obj, const char *key);
/* obj[key] as a string, NULL when absent or not a string. */
const char *img_json_str(yajl_val obj, const char *key);
/* A descriptor object; errors name where ("layers[2]"). */
int img_desc_parse(yajl_val v, const char *where, struct img_desc *d, struct slx_err *err);

/* sha256 of a whole fd from offset 0 as "sha256:<hex>", and its size. */
int img_sha256_fd(int fd, char digest[IMG_DIGEST_MAX], int64_t *size, struct slx_err *err);
int img_sha256_buf(const void *buf, size_t len, char digest[IMG_DIGEST_MAX], struct slx_err *err);

/* sha256 fed piece by piece (a layer's uncompressed stream). */
struct img_sha256 {
	void *ctx;
};
int img_sha256_begin(struct img_sha256 *h, struct slx_err *err);
int img_sha256_update(struct img_sha256 *h, const void *buf, size_t len);
int img_sha256_end(struct img_sha256 *h, char digest[IMG_DIGEST_MAX], struct slx_err *err);
void img_sha256_release(struct img_sha256 *h);

/* What the store may still write on the filesystem of fd: its free space
 * less a reserve of IMG_FS_RESERVE_PCT of its size, never below 0; INT64_MAX
 * when the filesystem does not say.  A pull (a blob's declared size, a
 * layer's unpacked bytes) never takes the reserve: a compression bomb fails
 * without filling the disk every other writer on it needs. */
#define IMG_FS_RESERVE_PCT 5
int64_t img_fs_room(int fd);
/* img_fs_room checked as bytes are written, not once at the start (two
 * pulls, each seeing room for its layer, filled the reserve together): the
 * filesystem is asked again whenever the bytes taken since pass the next
 * step, min(IMG_ROOM_STEP, a quarter of the room it last had), and
 * IMG_ROOM_SLACK is kept for what other writers take between two of this
 * one's checks (a step each: four writers at once stay out of the
 * reserve). */
#define IMG_ROOM_STEP  (256 << 10)
#define IMG_ROOM_SLACK (1 << 20)
/* The same for inodes: free ones less IMG_FS_RESERVE_PCT of them (16,320
 * empty files, 124 KiB of gzip, took a 64 MiB ext4's every inode while 98 %
 * of its bytes were free); INT64_MAX on a filesystem without a fixed count
 * (btrfs).  Asked every min(IMG_ROOM_INODE_STEP, a quarter of the room)
 * entries, IMG_ROOM_INODE_SLACK kept for other writers. */
#define IMG_ROOM_INODE_STEP  1024
#define IMG_ROOM_INODE_SLACK 64
int64_t img_fs_inodes(int fd);
struct img_room_meter {
	int64_t since, step; /* step 0: ask before the first one */
};
struct img_room {
	int fd;
	struct img_room_meter bytes, inodes;
};
/* Take n bytes: 0, or -1 when they would reach into the reserve. */
int img_room_take(struct img_room *r, int64_t n);
/* Take n inodes: 0, or -1 when they would reach into the reserve. */
int img_room_take_inodes(struct img_room *r, int64_t n);

/* Whether someone holds dirfd/name with flock (a pull's pin, a running
 * bundle's): prune keeps it. */
bool img_file_held(int dirfd, const char *name);

/* img_unpack_fd, also giving the sha256 of the uncompressed tar (the
 * layer's diff_id) when diff_id is not NULL. */
int img_unpack_fd_digest(int fd, int dirfd, const struct img_unpack_opts *o,
			 char diff_id[IMG_DIGEST_MAX], struct slx_err *err);

/* A temporary file in <store>/tmp, unlinked on close unless committed.
 * With pin it is flock'ed (LOCK_SH) from its creation on, and a committed
 * blob keeps the lock through t->fd, left open for the caller: prune passes
 * over a file held so (img_file_held), which is how a registry pull keeps
 * what it fetched without holding the store's gc lock for its transfers. */
struct img_tmp {
	int fd;
	char name[64];
	bool pin;
};
int img_tmp_open(struct img_store *st, struct img_tmp *t, struct slx_err *err);
void img_tmp_discard(struct img_store *st, struct img_tmp *t);
/* Verify the temp file's digest and size against want (size < 0: any) and
 * rename it to blobs/sha256/<hex>; a mismatch removes it and says so.  A
 * blob another pull put there first stays (the temp file goes, t->fd -1). */
int img_blob_commit(struct img_store *st, struct img_tmp *t, const char *want, int64_t size,
		    struct slx_err *err);
bool img_blob_exists(struct img_store *st, const char *digest);
/* Open a stored blob read-only. */
int img_blob_open(struct img_store *st, const char *digest, struct slx_err *err);
/* Read a stored document blob, verified again (documents are small). */
int img_blob_read_doc(struct img_store *st, const char *digest, char **out, size_t *len,
		      struct slx_err *err);

/* The refs, one JSON object name -> manifest digest, in <store>/refs.json. */
int img_refs_lock(struct img_store *st, struct slx_err *err);
int img_refs_get(struct img_store *st, const char *name, char digest[IMG_DIGEST_MAX],
		 struct slx_err *err);
int img_refs_set(struct img_store *st, const char *name, const char *digest, struct slx_err *err);
/* All refs: parallel arrays of names and digests (freed with img_refs_free). */
struct img_refs {
	char **names, **digests;
	size_t n;
};
int img_refs_load(struct img_store *st, struct img_refs *r, struct slx_err *err);
int img_refs_save(struct img_store *st, const struct img_refs *r, struct slx_err *err);
void img_refs_free(struct img_refs *r);

/* The gc lock: shared by pulls and bundle making, exclusive by prune. */
int img_gc_lock(struct img_store *st, bool exclusive, struct slx_err *err);

/* rm -rf of name under dirfd, never following a symlink. */
int img_remove_tree_at(int dirfd, const char *name);

/* A source hands the pull its top descriptor and streams any blob into fd. */
struct img_source {
	int (*top)(struct img_source *src, struct img_store *st, struct img_desc *out,
		   struct slx_err *err);
	int (*fetch)(struct img_source *src, const struct img_desc *d, int fd, struct slx_err *err);
	void (*close)(struct img_source *src);
};
int img_source_layout(const struct img_ref *ref, struct img_store *st, struct img_source **out,
		      struct slx_err *err);
int img_source_docker_archive(const struct img_ref *ref, struct img_store *st,
			      struct img_source **out, struct slx_err *err);
int img_source_registry(const struct img_ref *ref, struct img_source **out, struct slx_err *err);

/* Extract an archive file (oci-archive, docker-archive) into a fresh
 * directory <store>/tmp/<name>; plain files, directories and symlinks only. */
int img_archive_extract(struct img_store *st, const char *file, char name[64], struct slx_err *err);

/* Copy all of in to out; more than max bytes (its descriptor's size) is an
 * error, so a sparse or growing source cannot fill the store. */
int img_copy_fd(int in, int out, int64_t max, struct slx_err *err);
/* openat2 of path under dirfd with RESOLVE_IN_ROOT: an archive's symlinks
 * cannot point a read outside it. */
int img_open_in(int dirfd, const char *path, int flags);
/* path under dirfd for reading, only if it is a regular file: a FIFO would
 * block the pull, and the store's lock with it, for ever.  Errors begin with
 * what. */
int img_open_file_in(int dirfd, const char *path, const char *what, struct slx_err *err);

/* Unpack a stored layer blob into layers/<hex>, once, checking its
 * uncompressed digest against diff_id (the image config's
 * rootfs.diff_ids[i]); a layer already there was checked when unpacked. */
int img_layer_unpack(struct img_store *st, const struct img_desc *d, const char *diff_id,
		     struct slx_err *err);

/* The image config fields a process needs. */
struct img_config {
	char **entrypoint, **cmd, **env; /* NULL-terminated or NULL */
	char *workdir, *user, *stop_signal;
	char *label_mode, *label_timeout, *label_memory;
	char **diff_ids; /* rootfs.diff_ids, NULL-terminated or NULL */
};
int img_config_parse(const char *json, struct img_config *c, struct slx_err *err);
void img_config_free(struct img_config *c);

/* "name" or "uid" or "user:group" resolved against passwd/group texts
 * (either may be NULL: only numbers then). */
int img_user_resolve(const char *spec, const char *passwd, const char *group, unsigned *uid,
		     unsigned *gid, struct slx_err *err);

#endif
