/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_image_doc.c -- libFuzzer harness for the image documents a registry
 * or an archive hands the store (image/manifest.c, config.c, ref.c): the
 * input is one JSON document, read as every kind the store reads, and as a
 * reference when it is one line. */
#include "image/internal.h"
#include "tests/fuzz/fuzz.h"

/* A digest the store will name a file by: sha256: and 64 lowercase hex. */
static void check_digest(const char *d)
{
	FUZZ_CHECK(strlen(d) == 71 && !strncmp(d, "sha256:", 7));
	for (size_t i = 7; i < 71; i++)
		FUZZ_CHECK((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f'));
}

static void check_error(const struct slx_err *err)
{
	FUZZ_CHECK(err->msg[0] != '\0');
	FUZZ_CHECK(memchr(err->msg, '\n', strnlen(err->msg, sizeof(err->msg))) == NULL);
}

static void manifest(const char *json, size_t len)
{
	struct slx_err err = {0};
	struct img_manifest m;

	if (img_manifest_parse(json, len, &m, &err) < 0) {
		check_error(&err);
		return;
	}
	check_digest(m.config.digest);
	FUZZ_CHECK(m.config.size >= 0);
	for (size_t i = 0; i < m.n_layers; i++) {
		check_digest(m.layers[i].digest);
		FUZZ_CHECK(m.layers[i].size >= 0);
	}
	img_manifest_free(&m);
}

static void index_(const char *json, size_t len)
{
	struct slx_err err = {0};
	struct img_desc d;

	if (img_index_select(json, len, &d, &err) == 0)
		check_digest(d.digest);
	else
		check_error(&err);
	err.msg[0] = '\0';
	if (img_index_find_tag(json, len, "latest", &d, &err) == 0)
		check_digest(d.digest);
	else
		check_error(&err);
}

static void config(const char *json)
{
	struct slx_err err = {0};
	struct img_config c;

	if (img_config_parse(json, &c, &err) < 0) {
		check_error(&err);
		return;
	}
	for (char **v = c.entrypoint; v && *v; v++)
		fuzz_touch(*v);
	for (char **v = c.cmd; v && *v; v++)
		fuzz_touch(*v);
	for (char **v = c.env; v && *v; v++)
		fuzz_touch(*v);
	fuzz_touch(c.workdir);
	fuzz_touch(c.user);
	img_config_free(&c);
}

static void ref(const char *s)
{
	struct slx_err err = {0};
	struct img_ref r;

	if (strchr(s, '\n'))
		return;
	if (img_ref_parse(s, &r, &err) < 0) {
		check_error(&err);
		return;
	}
	fuzz_touch(r.name);
	img_ref_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = malloc(size + 1);
	struct slx_err err = {0};
	enum img_kind kind;

	FUZZ_CHECK(json != NULL);
	memcpy(json, data, size);
	json[size] = '\0';
	if (img_doc_kind(json, size, &kind, &err) < 0)
		check_error(&err);
	manifest(json, size);
	index_(json, size);
	config(json);
	ref(json);
	free(json);
	return 0;
}
