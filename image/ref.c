/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ref.c -- image references: the transports skopeo spells (oci:, oci-archive:,
 * docker-archive:, docker://) parsed into parts and one canonical name. */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *prefix;
	enum img_transport transport;
} transports[] = {
    {"oci:", IMG_OCI_DIR},
    {"oci-archive:", IMG_OCI_ARCHIVE},
    {"docker-archive:", IMG_DOCKER_ARCHIVE},
    {"docker://", IMG_DOCKER},
};

#define N_TRANSPORTS (sizeof(transports) / sizeof(transports[0]))

bool img_ref_is_image(const char *s)
{
	for (size_t i = 0; i < N_TRANSPORTS; i++)
		if (!strncmp(s, transports[i].prefix, strlen(transports[i].prefix)))
			return true;
	return false;
}

/* The distribution spec's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Path components [a-z0-9]+ joined by . _ __ - and /; checked loosely: the
 * allowed characters, no empty component, no leading separator. */
static bool repo_valid(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > 255 || strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != n)
		return false;
	if (r[0] == '/' || r[n - 1] == '/' || strstr(r, "//") || strstr(r, "/.") || r[0] == '.')
		return false;
	return true;
}

static bool host_valid(const char *h)
{
	size_t n = strlen(h);

	return n && n < 256 &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
		   n;
}

bool img_digest_valid(const char *d)
{
	return !strncmp(d, "sha256:", 7) && strlen(d + 7) == 64 &&
	       strspn(d + 7, "0123456789abcdef") == 64;
}

static int parse_docker(const char *rest, struct img_ref *ref, struct slx_err *err)
{
	const char *slash = strchr(rest, '/'), *at, *colon;
	size_t repo_len;

	if (!slash || slash == rest)
		return slx_error(err, 0, "image %s: docker:// needs HOST[:PORT]/REPO", rest);
	ref->host = strndup(rest, (size_t)(slash - rest));
	rest = slash + 1;
	at = strchr(rest, '@');
	colon = strrchr(rest, ':');
	if (colon && at && colon > at)
		colon = NULL;
	repo_len = at ? (size_t)(at - rest) : colon ? (size_t)(colon - rest) : strlen(rest);
	if (colon && (!at || colon < at))
		ref->tag =
		    strndup(colon + 1, (size_t)((at ? at : colon + strlen(colon)) - colon - 1));
	ref->repo = strndup(rest, repo_len);
	if (at)
		ref->digest = strdup(at + 1);
	if (!ref->host || !ref->repo || (at && !ref->digest) || (colon && !ref->tag))
		return slx_error(err, ENOMEM, "image reference");
	if (!host_valid(ref->host))
		return slx_error(err, 0, "image docker://%s: bad registry host \"%s\"", rest,
				 ref->host);
	if (!repo_valid(ref->repo))
		return slx_error(err, 0, "image docker://%s/%s: bad repository name \"%s\"",
				 ref->host, rest, ref->repo);
	if (ref->tag && !tag_valid(ref->tag))
		return slx_error(err, 0, "image docker://%s/%s: bad tag \"%s\"", ref->host, rest,
				 ref->tag);
	if (ref->digest && !img_digest_valid(ref->digest))
		return slx_error(err, 0,
				 "image docker://%s/%s: bad digest \"%s\" (sha256:<64 hex>)",
				 ref->host, rest, ref->digest);
	if (!ref->tag && !ref->digest && !(ref->tag = strdup("latest")))
		return slx_error(err, ENOMEM, "image reference");
	return asprintf(&ref->name, "docker://%s/%s%s%s", ref->host, ref->repo,
			ref->digest ? "@" : ":", ref->digest ? ref->digest : ref->tag) < 0
		   ? slx_error(err, ENOMEM, "image reference")
		   : 0;
}

/* PATH[:TAG], split at the first colon as skopeo does; the path must exist. */
static int parse_local(const char *prefix, const char *rest, struct img_ref *ref,
		       struct slx_err *err)
{
	const char *colon = strchr(rest, ':');
	char abs[PATH_MAX];
	char *path = colon ? strndup(rest, (size_t)(colon - rest)) : strdup(rest);

	if (!path)
		return slx_error(err, ENOMEM, "image reference");
	if (!*path || !realpath(path, abs)) {
		int e = *path ? errno : ENOENT;
		slx_error(err, e, "image %s%s: %s", prefix, rest, path);
		free(path);
		return -1;
	}
	free(path);
	if (colon && ref->transport == IMG_DOCKER_ARCHIVE)
		return slx_error(err, 0, "image %s%s: docker-archive takes no tag", prefix, rest);
	if (colon && !tag_valid(colon + 1))
		return slx_error(err, 0, "image %s%s: bad tag \"%s\"", prefix, rest, colon + 1);
	if (!(ref->path = strdup(abs)) || (colon && !(ref->tag = strdup(colon + 1))))
		return slx_error(err, ENOMEM, "image reference");
	return asprintf(&ref->name, "%s%s%s%s", prefix, abs, colon ? ":" : "",
			colon ? colon + 1 : "") < 0
		   ? slx_error(err, ENOMEM, "image reference")
		   : 0;
}

int img_ref_parse(const char *s, struct img_ref *ref, struct slx_err *err)
{
	*ref = (struct img_ref){0};
	for (size_t i = 0; i < N_TRANSPORTS; i++) {
		size_t n = strlen(transports[i].prefix);
		int r;

		if (strncmp(s, transports[i].prefix, n))
			continue;
		ref->transport = transports[i].transport;
		r = ref->transport == IMG_DOCKER
			? parse_docker(s + n, ref, err)
			: parse_local(transports[i].prefix, s + n, ref, err);
		if (r < 0)
			img_ref_free(ref);
		return r;
	}
	return slx_error(
	    err, 0, "image %s: unknown transport (oci:, oci-archive:, docker-archive:, docker://)",
	    s);
}

void img_ref_free(struct img_ref *ref)
{
	free(ref->path);
	free(ref->tag);
	free(ref->host);
	free(ref->repo);
	free(ref->digest);
	free(ref->name);
	*ref = (struct img_ref){0};
}
