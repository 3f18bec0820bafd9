/* SPDX-License-Identifier: GPL-2.0-or-later */
/* source_docker_archive.c -- pulls from `docker save` / `podman save` /
 * skopeo's docker-archive: manifest.json names a config file and layer tars;
 * their digests are computed here and an image manifest is written for them,
 * so the store sees one more OCI-shaped image. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

struct dar_blob {
	char digest[IMG_DIGEST_MAX];
	int64_t size;
	char *path; /* inside the extracted archive */
};

struct dar_source {
	struct img_source base;
	struct img_store *st;
	int dirfd;
	char tmp[64];
	char *manifest; /* the synthesised manifest */
	size_t manifest_len;
	char manifest_digest[IMG_DIGEST_MAX];
	struct dar_blob *blobs; /* [0] the config, then the layers */
	size_t n;
};

static int dar_hash(struct dar_source *s, const char *path, struct dar_blob *b, struct slx_err *err)
{
	char what[PATH_MAX];
	cleanup_close int fd = -1;

	snprintf(what, sizeof(what), "manifest.json: %s", path);
	if ((fd = img_open_file_in(s->dirfd, path, what, err)) < 0)
		return -1;
	if (!(b->path = strdup(path)))
		return slx_error(err, ENOMEM, "docker-archive");
	return img_sha256_fd(fd, b->digest, &b->size, err);
}

/* The archive's Layers, each path hashed once (one 10 MB layer listed 300
 * times was 3 GB of hashing, and 300,000 times would be hours), and no
 * more distinct ones than an overlay stacks, refused before any is hashed. */
static int dar_layers(struct dar_source *s, yajl_val layers, struct slx_err *err)
{
	const char *path[IMG_MAX_LAYERS]; /* the distinct paths, as listed first */
	size_t blob[IMG_MAX_LAYERS], distinct = 0, n = layers->u.array.len;

	for (size_t i = 0; i < n; i++) {
		yajl_val l = layers->u.array.values[i];
		size_t j = 0;

		if (!YAJL_IS_STRING(l))
			return slx_error(err, 0, "manifest.json: [0].Layers[%zu]: not a path", i);
		while (j < distinct && strcmp(path[j], l->u.string))
			j++;
		if (j < distinct)
			continue;
		if (distinct == IMG_MAX_LAYERS)
			return slx_error(err, 0,
					 "manifest.json: [0].Layers: more than %d distinct layers; "
					 "an overlay stacks at most %d",
					 IMG_MAX_LAYERS, IMG_MAX_LAYERS);
		path[distinct++] = l->u.string;
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = layers->u.array.values[i]->u.string;
		/* counted at once: dar_close frees its path */
		struct dar_blob *b = &s->blobs[s->n++];
		size_t j = 0;

		while (strcmp(path[j], p))
			j++;
		if (path[j] == p) { /* its first listing */
			blob[j] = (size_t)(b - s->blobs);
			if (dar_hash(s, p, b, err) < 0)
				return -1;
			continue;
		}
		strcpy(b->digest, s->blobs[blob[j]].digest);
		b->size = s->blobs[blob[j]].size;
		if (!(b->path = strdup(p)))
			return slx_error(err, ENOMEM, "docker-archive");
	}
	return 0;
}

static void gen_desc(yajl_gen g, const char *media_type, const struct dar_blob *b)
{
	(void)yajl_gen_map_open(g);
	(void)yajl_gen_string(g, (const unsigned char *)"mediaType", 9);
	(void)yajl_gen_string(g, (const unsigned char *)media_type, strlen(media_type));
	(void)yajl_gen_string(g, (const unsigned char *)"digest", 6);
	(void)yajl_gen_string(g, (const unsigned char *)b->digest, strlen(b->digest));
	(void)yajl_gen_string(g, (const unsigned char *)"size", 4);
	(void)yajl_gen_integer(g, b->size);
	(void)yajl_gen_map_close(g);
}

#define GEN_KEY(g, k) (void)yajl_gen_string(g, (const unsigned char *)(k), strlen(k))

static int dar_manifest(struct dar_source *s, struct slx_err *err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return slx_error(err, ENOMEM, "docker-archive");
	(void)yajl_gen_map_open(g);
	GEN_KEY(g, "schemaVersion");
	(void)yajl_gen_integer(g, 2);
	GEN_KEY(g, "mediaType");
	GEN_KEY(g, "application/vnd.docker.distribution.manifest.v2+json");
	GEN_KEY(g, "config");
	gen_desc(g, "application/vnd.docker.container.image.v1+json", &s->blobs[0]);
	GEN_KEY(g, "layers");
	(void)yajl_gen_array_open(g);
	for (size_t i = 1; i < s->n; i++)
		gen_desc(g, "application/vnd.docker.image.rootfs.diff.tar", &s->blobs[i]);
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_get_buf(g, &buf, &len);
	s->manifest = strndup((const char *)buf, len);
	s->manifest_len = len;
	yajl_gen_free(g);
	if (!s->manifest)
		return slx_error(err, ENOMEM, "docker-archive");
	return img_sha256_buf(s->manifest, len, s->manifest_digest, err);
}

static int dar_read(struct dar_source *s, struct slx_err *err)
{
	cleanup_free char *text = NULL;
	cleanup_yajl yajl_val root = NULL;
	cleanup_close int fd = img_open_file_in(s->dirfd, "manifest.json", "manifest.json", err);
	yajl_val img, layers;
	const char *config;
	char msg[256] = "";

	if (fd < 0)
		return -1;
	if (slx_read_fd_max(fd, "manifest.json", IMG_DOC_MAX, &text, NULL, err) < 0)
		return -1;
	if (img_json_shape("manifest.json", text, err) < 0)
		return -1;
	if (!(root = yajl_tree_parse(text, msg, sizeof(msg))) || !YAJL_IS_ARRAY(root))
		return slx_error(err, 0, "manifest.json: expected an array of images");
	if (root->u.array.len != 1)
		return slx_error(err, 0, "manifest.json: %zu images; docker-archive: takes one",
				 root->u.array.len);
	img = root->u.array.values[0];
	config = img_json_str(img, "Config");
	layers = img_json_get(img, "Layers");
	if (!config || !YAJL_IS_ARRAY(layers))
		return slx_error(err, 0, "manifest.json: [0]: needs Config and Layers");
	s->blobs = calloc(layers->u.array.len + 1, sizeof(*s->blobs));
	if (!s->blobs)
		return slx_error(err, ENOMEM, "docker-archive");
	if (dar_hash(s, config, &s->blobs[s->n++], err) < 0)
		return -1;
	return dar_layers(s, layers, err) < 0 ? -1 : dar_manifest(s, err);
}

static int dar_top(struct img_source *src, struct img_store *st, struct img_desc *out,
		   struct slx_err *err)
{
	struct dar_source *s = (struct dar_source *)src;

	(void)st;
	(void)err;
	*out = (struct img_desc){.size = (int64_t)s->manifest_len};
	strcpy(out->media_type, "application/vnd.docker.distribution.manifest.v2+json");
	strcpy(out->digest, s->manifest_digest);
	return 0;
}

static int dar_fetch(struct img_source *src, const struct img_desc *d, int out, struct slx_err *err)
{
	struct dar_source *s = (struct dar_source *)src;

	if (!strcmp(d->digest, s->manifest_digest))
		return write(out, s->manifest, s->manifest_len) == (ssize_t)s->manifest_len
			   ? 0
			   : slx_error(err, errno, "write");
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(d->digest, s->blobs[i].digest)) {
			cleanup_close int fd =
			    img_open_file_in(s->dirfd, s->blobs[i].path, s->blobs[i].path, err);
			if (fd < 0)
				return -1;
			return img_copy_fd(fd, out, s->blobs[i].size, err);
		}
	return slx_error(err, ENOENT, "not in the archive");
}

static void dar_close(struct img_source *src)
{
	struct dar_source *s = (struct dar_source *)src;

	slx_closep(&s->dirfd);
	if (s->tmp[0])
		(void)img_remove_tree_at(s->st->dirfd, s->tmp);
	for (size_t i = 0; i < s->n; i++)
		free(s->blobs[i].path);
	free(s->blobs);
	free(s->manifest);
	free(s);
}

int img_source_docker_archive(const struct img_ref *ref, struct img_store *st,
			      struct img_source **out, struct slx_err *err)
{
	struct dar_source *s = calloc(1, sizeof(*s));

	if (!s)
		return slx_error(err, ENOMEM, "source");
	s->base = (struct img_source){dar_top, dar_fetch, dar_close};
	s->st = st;
	s->dirfd = -1;
	if (img_archive_extract(st, ref->path, s->tmp, err) < 0) {
		s->tmp[0] = '\0';
		dar_close(&s->base);
		return -1;
	}
	s->dirfd = openat(st->dirfd, s->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 ? slx_error(err, errno, "%s", s->tmp) : dar_read(s, err) < 0) {
		dar_close(&s->base);
		return slx_error_prefix(err, "%s", ref->path);
	}
	*out = &s->base;
	return 0;
}
