/* SPDX-License-Identifier: GPL-2.0-or-later */
/* image.h -- OCI images without Docker: references, the content-addressed
 * store under <root>/images, pulls from layouts, archives and registries,
 * safe layer unpacking, and an image turned into a bundle the runtime runs. */
#ifndef SLX_IMAGE_H
#define SLX_IMAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../common/err.h"

/* "sha256:" + 64 hex digits + NUL. */
#define IMG_DIGEST_MAX 72
/* The distinct layers an image may have: overlayfs stacks at most 500
 * lowers (OVL_MAX_STACK; runtime/rootfs_mount.c mounts that many by fd),
 * and a pull pins each layer it fetches by one fd. */
#define IMG_MAX_LAYERS 500

enum img_transport {
	IMG_OCI_DIR,	    /* oci:DIR[:TAG] */
	IMG_OCI_ARCHIVE,    /* oci-archive:FILE[:TAG] */
	IMG_DOCKER_ARCHIVE, /* docker-archive:FILE */
	IMG_DOCKER,	    /* docker://HOST[:PORT]/REPO(:TAG|@sha256:...) */
};

struct img_ref {
	enum img_transport transport;
	char *path;   /* layout directory or archive file, absolute */
	char *tag;    /* layout ref.name or registry tag; NULL: the only one / "latest" */
	char *host;   /* registry host[:port] */
	char *repo;   /* registry repository */
	char *digest; /* registry manifest digest when pinned */
	char *name;   /* canonical text: the key of the store's refs */
};

/* True when s names an image (a known transport prefix) rather than a bundle. */
bool img_ref_is_image(const char *s);
/* Parse a reference; errors name the part that is wrong. */
int img_ref_parse(const char *s, struct img_ref *ref, struct slx_err *err);
void img_ref_free(struct img_ref *ref);

/* A digest as the spec writes it, "sha256:<64 lower-case hex>". */
bool img_digest_valid(const char *digest);

/* A descriptor: what a manifest or an index points at. */
struct img_desc {
	char media_type[128];
	char digest[IMG_DIGEST_MAX];
	int64_t size;
};

/* An index (or Docker manifest list): the linux/amd64 manifest in it. */
int img_index_select(const char *json, size_t len, struct img_desc *out, struct slx_err *err);
/* An index's entry named tag (org.opencontainers.image.ref.name), or its only
 * entry when tag is NULL. */
int img_index_find_tag(const char *json, size_t len, const char *tag, struct img_desc *out,
		       struct slx_err *err);

enum img_kind { IMG_KIND_MANIFEST, IMG_KIND_INDEX };
/* Which of the two a document is (mediaType, or the fields it has). */
int img_doc_kind(const char *json, size_t len, enum img_kind *out, struct slx_err *err);

struct img_manifest {
	struct img_desc config;
	struct img_desc *layers;
	size_t n_layers;
};
int img_manifest_parse(const char *json, size_t len, struct img_manifest *m, struct slx_err *err);
void img_manifest_free(struct img_manifest *m);

/* The store: <root>/images, opened by fd; every path below is resolved from
 * it.  Mutations of the refs and prune hold an flock on <root>/images/lock. */
struct img_store {
	int dirfd;
	char *path;
};
int img_store_open(const char *root, struct img_store *st, struct slx_err *err);
void img_store_close(struct img_store *st);

/* Fetch ref into the store (every blob verified) and record ref->name ->
 * manifest digest; *manifest gets that digest. */
int img_pull(struct img_store *st, const struct img_ref *ref, char manifest[IMG_DIGEST_MAX],
	     struct slx_err *err);

struct img_unpack_opts {
	bool allow_devices;	/* write char/block device entries (never by default) */
	bool overlay_whiteouts; /* .wh. entries -> overlayfs whiteouts */
	bool keep_owners;	/* chown entries to their uid/gid */
	bool files_only;	/* an archive of an image: files, directories and links */
};
/* Unpack one tar stream read from fd into the directory dirfd, which it
 * never leaves; errors name the entry. */
int img_unpack_fd(int fd, int dirfd, const struct img_unpack_opts *o, struct slx_err *err);

/* Unpack every layer of a stored manifest (each once, in its own directory)
 * and write the bundle <store>/bundles/<hex>/config.json: the layers as
 * read-only overlay lowers, a private tmpfs upper per container.  *bundle
 * gets the bundle directory (heap); pin as img_bundle_for_ref's. */
int img_bundle_make(struct img_store *st, const char *manifest, char **bundle, int *pin,
		    struct slx_err *err);

/* Inside an overlay bundle's (empty) rootfs: a tmpcopyup tmpfs mounted
 * there gives each container its own copy of upper/ and work/. */
#define IMG_UPPER_DIR ".slxrun-upper"

/* <root>/images/skel: a rootfs holding only IMG_UPPER_DIR/{upper,work}, the
 * root.path of a plain bundle's rootfs turned overlay lower (the function
 * floor's); made once, atomically.  *path is heap. */
int img_overlay_skeleton(const char *root, char **path, struct slx_err *err);

/* <root>/images as an absolute path without symlinks (its layers/ and
 * bundles/ below it); -1 when there is no store. */
int img_store_path(const char *root, char out[PATH_MAX]);
/* Let gid (the sandboxes' root group) search <root>/images, and no other
 * host user (0710): call before sandboxes of that group mount from it.
 * Nothing to do when there is no store.  One group per runtime root:
 * another one, already admitted, is an error (it would lock the other
 * range's sandboxes out). */
int img_store_admit(const char *root, gid_t gid, struct slx_err *err);

/* Pull when the store has no such ref yet, then img_bundle_make.  With pin,
 * *pin gets a descriptor holding the bundle: while it is open, prune keeps
 * the bundle and everything its image needs (a shim serving it, an invoke
 * running it).  Close it when done. */
int img_bundle_for_ref(const char *root, const char *refstr, char **bundle, int *pin,
		       struct slx_err *err);

/* ls: one line per ref; inspect: the manifest, config and layers as JSON. */
int img_list(struct img_store *st, FILE *out, struct slx_err *err);
int img_inspect(struct img_store *st, const char *name, FILE *out, struct slx_err *err);
/* Forget a ref (its blobs stay until prune). */
int img_remove(struct img_store *st, const char *name, struct slx_err *err);
/* Remove blobs, layers and bundles no ref reaches; counts what went. */
int img_prune(struct img_store *st, unsigned *removed, struct slx_err *err);

#endif
