/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_image.c -- `slxrun image pull|ls|inspect|rm|prune`: the image store
 * under --root, one sub-verb each, dispatched from a table. */
#include "cli.h"

#include <string.h>

#include "../image/image.h"

static int image_pull(struct img_store *st, int argc, char **argv, struct slx_err *err)
{
	struct img_ref ref;
	char digest[IMG_DIGEST_MAX];
	int r;

	if (cli_expect_args("image pull", argc, 0, 1, "IMAGE-REF", err) < 0 ||
	    img_ref_parse(argv[0], &ref, err) < 0)
		return -1;
	r = img_pull(st, &ref, digest, err);
	if (r == 0)
		printf("%s %s\n", digest, ref.name);
	img_ref_free(&ref);
	return r;
}

static int image_ls(struct img_store *st, int argc, char **argv, struct slx_err *err)
{
	(void)argv;
	if (cli_expect_args("image ls", argc, 0, 0, "", err) < 0)
		return -1;
	return img_list(st, stdout, err);
}

/* A ref as pulled or as given: oci:DIR names are stored with DIR absolute. */
static int with_name(const char *verb, int argc, char **argv,
		     int (*fn)(struct img_store *, const char *, FILE *, struct slx_err *),
		     struct img_store *st, struct slx_err *err)
{
	struct img_ref ref;
	int r;

	if (cli_expect_args(verb, argc, 0, 1, "IMAGE-REF", err) < 0)
		return -1;
	if (img_ref_parse(argv[0], &ref, err) < 0)
		return fn(st, argv[0], stdout, err);
	r = fn(st, ref.name, stdout, err);
	img_ref_free(&ref);
	return r;
}

static int remove_ref(struct img_store *st, const char *name, FILE *out, struct slx_err *err)
{
	(void)out;
	return img_remove(st, name, err);
}

static int image_inspect(struct img_store *st, int argc, char **argv, struct slx_err *err)
{
	return with_name("image inspect", argc, argv, img_inspect, st, err);
}

static int image_rm(struct img_store *st, int argc, char **argv, struct slx_err *err)
{
	return with_name("image rm", argc, argv, remove_ref, st, err);
}

static int image_prune(struct img_store *st, int argc, char **argv, struct slx_err *err)
{
	unsigned removed;

	(void)argv;
	if (cli_expect_args("image prune", argc, 0, 0, "", err) < 0 ||
	    img_prune(st, &removed, err) < 0)
		return -1;
	printf("removed %u\n", removed);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct img_store *, int, char **, struct slx_err *);
} subverbs[] = {
    {"pull", image_pull}, {"ls", image_ls},	  {"inspect", image_inspect},
    {"rm", image_rm},	  {"prune", image_prune},
};

int cmd_image(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	struct img_store st;
	int r;

	if (argc < 1)
		return slx_error(err, 0, "image: usage: slxrun image pull|ls|inspect|rm|prune ...");
	for (size_t i = 0; i < sizeof(subverbs) / sizeof(subverbs[0]); i++) {
		if (strcmp(argv[0], subverbs[i].name))
			continue;
		if (img_store_open(ctx->root, &st, err) < 0)
			return -1;
		r = subverbs[i].fn(&st, argc - 1, argv + 1, err);
		img_store_close(&st);
		return r < 0 ? -1 : 0;
	}
	return slx_error(err, 0, "image: unknown command %s (pull, ls, inspect, rm, prune)",
			 argv[0]);
}
