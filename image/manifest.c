/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifest.c -- the image spec's documents, pure: which kind a document is,
 * an index's linux/amd64 or tagged entry, a manifest's config and layers. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"

#define REF_NAME "org.opencontainers.image.ref.name"

static const char *const index_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
};
static const char *const manifest_types[] = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};

static bool in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

int img_doc_kind(const char *json, size_t len, enum img_kind *out, struct slx_err *err)
{
	cleanup_yajl yajl_val root = NULL;
	const char *mt;

	(void)len;
	if (img_json_parse("manifest", json, &root, err) < 0)
		return -1;
	mt = img_json_str(root, "mediaType");
	if (mt ? in_list(mt, index_types, 2) : YAJL_IS_ARRAY(img_json_get(root, "manifests")))
		*out = IMG_KIND_INDEX;
	else if (mt ? in_list(mt, manifest_types, 2) : !!img_json_get(root, "layers"))
		*out = IMG_KIND_MANIFEST;
	else
		return slx_error(err, 0, "manifest: unsupported mediaType \"%s\"",
				 mt ? mt : "(none, and neither manifests nor layers)");
	return 0;
}

static int index_entries(const char *json, yajl_val *root, yajl_val *list, struct slx_err *err)
{
	if (img_json_parse("index", json, root, err) < 0)
		return -1;
	*list = img_json_get(*root, "manifests");
	if (!YAJL_IS_ARRAY(*list))
		return slx_error(err, 0, "index: manifests: missing or not an array");
	return 0;
}

int img_index_select(const char *json, size_t len, struct img_desc *out, struct slx_err *err)
{
	cleanup_yajl yajl_val root = NULL;
	yajl_val list;
	char seen[256] = "";
	size_t used = 0;

	(void)len;
	if (index_entries(json, &root, &list, err) < 0)
		return -1;
	for (size_t i = 0; i < list->u.array.len; i++) {
		yajl_val m = list->u.array.values[i], p = img_json_get(m, "platform");
		const char *os = img_json_str(p, "os"), *arch = img_json_str(p, "architecture");
		char where[32];

		if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")) {
			snprintf(where, sizeof(where), "index: manifests[%zu]", i);
			return img_desc_parse(m, where, out, err);
		}
		if (used < sizeof(seen))
			used +=
			    (size_t)snprintf(seen + used, sizeof(seen) - used, "%s%s/%s",
					     used ? ", " : "", os ? os : "?", arch ? arch : "?");
	}
	return slx_error(err, 0, "index: no linux/amd64 manifest (it has: %s)",
			 used ? seen : "nothing");
}

int img_index_find_tag(const char *json, size_t len, const char *tag, struct img_desc *out,
		       struct slx_err *err)
{
	cleanup_yajl yajl_val root = NULL;
	yajl_val list, found = NULL;

	(void)len;
	if (index_entries(json, &root, &list, err) < 0)
		return -1;
	if (!tag && list->u.array.len != 1)
		return slx_error(err, 0, "index.json: %zu images and no tag to choose one",
				 list->u.array.len);
	for (size_t i = 0; i < list->u.array.len && !found; i++) {
		yajl_val m = list->u.array.values[i];
		const char *name = img_json_str(img_json_get(m, "annotations"), REF_NAME);

		if (!tag || (name && !strcmp(name, tag)))
			found = m;
	}
	if (!found)
		return slx_error(err, 0, "index.json: no image tagged \"%s\"", tag);
	return img_desc_parse(found, "index.json: manifests[]", out, err);
}

static int cmp_digest(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Layers listed more than once (old builders repeat the empty layer) are
 * one lower each. */
static size_t distinct_layers(const struct img_manifest *m)
{
	cleanup_free const char **v = calloc(m->n_layers, sizeof(*v));
	size_t n = 0;

	if (!v)
		return SIZE_MAX;
	for (size_t i = 0; i < m->n_layers; i++)
		v[i] = m->layers[i].digest;
	qsort(v, m->n_layers, sizeof(*v), cmp_digest);
	for (size_t i = 0; i < m->n_layers; i++)
		n += !i || strcmp(v[i - 1], v[i]);
	return n;
}

int img_manifest_parse(const char *json, size_t len, struct img_manifest *m, struct slx_err *err)
{
	cleanup_yajl yajl_val root = NULL;
	yajl_val layers;

	(void)len;
	*m = (struct img_manifest){0};
	if (img_json_parse("manifest", json, &root, err) < 0)
		return -1;
	if (img_desc_parse(img_json_get(root, "config"), "manifest: config", &m->config, err) < 0)
		return -1;
	layers = img_json_get(root, "layers");
	if (!YAJL_IS_ARRAY(layers))
		return slx_error(err, 0, "manifest: layers: missing or not an array");
	m->layers = calloc(layers->u.array.len + 1, sizeof(*m->layers));
	if (!m->layers)
		return slx_error(err, ENOMEM, "manifest");
	for (size_t i = 0; i < layers->u.array.len; i++) {
		char where[40];

		snprintf(where, sizeof(where), "manifest: layers[%zu]", i);
		if (img_desc_parse(layers->u.array.values[i], where, &m->layers[i], err) < 0) {
			img_manifest_free(m);
			return -1;
		}
		m->n_layers++;
	}
	if (m->n_layers > IMG_MAX_LAYERS) {
		size_t n = distinct_layers(m);

		if (n > IMG_MAX_LAYERS) {
			img_manifest_free(m);
			if (n == SIZE_MAX)
				return slx_error(err, ENOMEM, "manifest");
			return slx_error(
			    err, 0, "manifest: %zu distinct layers; an overlay stacks at most %d",
			    n, IMG_MAX_LAYERS);
		}
	}
	return 0;
}

void img_manifest_free(struct img_manifest *m)
{
	free(m->layers);
	*m = (struct img_manifest){0};
}
