/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image.c -- image/'s pure parts: references, index and manifest
 * selection, digests, the image config and User resolved in passwd/group. */
#include <criterion/criterion.h>
#include <string.h>

#include "image/internal.h"

static const char *parse_err(const char *s)
{
	static struct slx_err err;
	struct img_ref ref;

	memset(&err, 0, sizeof(err));
	cr_assert_eq(img_ref_parse(s, &ref, &err), -1, "%s parsed", s);
	return err.msg;
}

Test(image_ref, a_registry_reference_splits_into_host_repo_and_tag)
{
	struct img_ref r;
	struct slx_err err = {0};

	cr_assert_eq(img_ref_parse("docker://127.0.0.1:5000/fn/echo:v2", &r, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(r.transport, IMG_DOCKER);
	cr_assert_str_eq(r.host, "127.0.0.1:5000");
	cr_assert_str_eq(r.repo, "fn/echo");
	cr_assert_str_eq(r.tag, "v2");
	cr_assert_null(r.digest);
	cr_assert_str_eq(r.name, "docker://127.0.0.1:5000/fn/echo:v2");
	img_ref_free(&r);
}

Test(image_ref, no_tag_means_latest_and_a_digest_pins)
{
	struct img_ref r;
	struct slx_err err = {0};
	const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char s[160];

	cr_assert_eq(img_ref_parse("docker://localhost/echo", &r, &err), 0);
	cr_assert_str_eq(r.tag, "latest");
	img_ref_free(&r);
	snprintf(s, sizeof(s), "docker://localhost:5000/echo@%s", d);
	cr_assert_eq(img_ref_parse(s, &r, &err), 0, "%s", err.msg);
	cr_assert_null(r.tag);
	cr_assert_str_eq(r.digest, d);
	cr_assert_str_eq(r.name, s);
	img_ref_free(&r);
}

Test(image_ref, bad_references_say_which_part_is_wrong)
{
	cr_assert(strstr(parse_err("docker://localhost/Echo"), "bad repository name \"Echo\""));
	cr_assert(strstr(parse_err("docker://localhost/echo:-x"), "bad tag \"-x\""));
	cr_assert(strstr(parse_err("docker://localhost/echo@sha256:abc"), "bad digest"));
	cr_assert(strstr(parse_err("docker://echo"), "needs HOST[:PORT]/REPO"));
	cr_assert(strstr(parse_err("docker://h/../etc"), "bad repository name"));
	cr_assert(strstr(parse_err("ftp:/x"), "unknown transport"));
	cr_assert(strstr(parse_err("oci:/nonexistent-dir-for-test:v1"), "No such file"));
	cr_assert(strstr(parse_err("oci:/tmp:bad/tag"), "bad tag"));
	cr_assert(strstr(parse_err("docker-archive:/tmp:v1"), "takes no tag"));
}

Test(image_ref, a_layout_path_is_made_absolute_in_the_name)
{
	struct img_ref r;
	struct slx_err err = {0};

	cr_assert_eq(img_ref_parse("oci:/tmp/../tmp:v1", &r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(r.path, "/tmp");
	cr_assert_str_eq(r.tag, "v1");
	cr_assert_str_eq(r.name, "oci:/tmp:v1");
	img_ref_free(&r);
	cr_assert(img_ref_is_image("oci-archive:x"));
	cr_assert_not(img_ref_is_image("/srv/bundle"));
	cr_assert_not(img_ref_is_image("ocibundle"));
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static const char index_multi[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1
    "\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2
    "\",\"size\":20,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";

Test(image_index, linux_amd64_is_chosen_from_a_manifest_list)
{
	struct img_desc d;
	struct slx_err err = {0};
	enum img_kind k;

	cr_assert_eq(img_doc_kind(index_multi, strlen(index_multi), &k, &err), 0);
	cr_assert_eq(k, IMG_KIND_INDEX);
	cr_assert_eq(img_index_select(index_multi, strlen(index_multi), &d, &err), 0, "%s",
		     err.msg);
	cr_assert_str_eq(d.digest, D2);
	cr_assert_eq(d.size, 20);
}

Test(image_index, an_index_without_linux_amd64_says_what_it_has)
{
	const char *j = "{\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,"
			"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
			"{\"digest\":\"" D2 "\",\"size\":1,"
			"\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}}]}";
	struct img_desc d;
	struct slx_err err = {0};

	cr_assert_eq(img_index_select(j, strlen(j), &d, &err), -1);
	cr_assert_str_eq(err.msg,
			 "index: no linux/amd64 manifest (it has: linux/arm64, windows/amd64)");
}

Test(image_index, a_tag_picks_its_entry_and_no_tag_needs_exactly_one)
{
	const char *j =
	    "{\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,\"annotations\":"
	    "{\"org.opencontainers.image.ref.name\":\"v1\"}},{\"digest\":\"" D2
	    "\",\"size\":2,\"annotations\":{\"org.opencontainers.image.ref.name\":\"v2\"}}]}";
	struct img_desc d;
	struct slx_err err = {0};

	cr_assert_eq(img_index_find_tag(j, strlen(j), "v2", &d, &err), 0);
	cr_assert_str_eq(d.digest, D2);
	cr_assert_eq(img_index_find_tag(j, strlen(j), "v3", &d, &err), -1);
	cr_assert_str_eq(err.msg, "index.json: no image tagged \"v3\"");
	cr_assert_eq(img_index_find_tag(j, strlen(j), NULL, &d, &err), -1);
	cr_assert_str_eq(err.msg, "index.json: 2 images and no tag to choose one");
}

Test(image_manifest, a_bad_digest_or_size_is_named_by_its_place)
{
	const char *bad_digest = "{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
				 "{\"digest\":\"" D2 "\",\"size\":1},"
				 "{\"digest\":\"sha256:XYZ\",\"size\":1}]}";
	const char *bad_size = "{\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}";
	const char *ok = "{\"config\":{\"digest\":\"" D1 "\",\"size\":5},\"layers\":["
			 "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
			 "\"digest\":\"" D2 "\",\"size\":7}]}";
	struct img_manifest m;
	struct slx_err err = {0};

	cr_assert_eq(img_manifest_parse(bad_digest, strlen(bad_digest), &m, &err), -1);
	cr_assert_str_eq(err.msg,
			 "manifest: layers[1].digest: \"sha256:XYZ\" is not sha256:<64 hex>");
	cr_assert_eq(img_manifest_parse(bad_size, strlen(bad_size), &m, &err), -1);
	cr_assert_str_eq(err.msg, "manifest: config.size: missing or not a size");
	cr_assert_eq(img_manifest_parse(ok, strlen(ok), &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m.n_layers, 1);
	cr_assert_str_eq(m.layers[0].digest, D2);
	cr_assert_eq(m.layers[0].size, 7);
	img_manifest_free(&m);
}

/* yajl frees its tree by recursion: a manifest nested 1,500,000 deep
 * (3 MB, under the 4 MiB a document may be) crashed slxrun, and a config so
 * nested was stored by its pull and crashed every invoke after.  A document
 * is measured before it is parsed: 64 levels, 200,000 values. */
Test(image_manifest, a_document_too_deep_or_too_wide_is_refused_before_yajl)
{
	size_t depth = 1500000, n = 0;
	char *deep = malloc(2 * depth + 64), *wide = malloc(2 * 200001 + 64);
	struct img_manifest m;
	struct img_config c;
	struct slx_err err = {0};

	cr_assert(deep && wide);
	n = (size_t)sprintf(deep, "{\"x\":");
	memset(deep + n, '[', depth);
	memset(deep + n + depth, ']', depth);
	strcpy(deep + n + 2 * depth, "}");
	cr_assert_eq(img_manifest_parse(deep, strlen(deep), &m, &err), -1);
	cr_assert_str_eq(err.msg, "manifest: nested deeper than 64 levels");
	cr_assert_eq(img_config_parse(deep, &c, &err), -1);
	cr_assert(strstr(err.msg, "nested deeper than 64 levels"), "%s", err.msg);
	n = (size_t)sprintf(wide, "{\"x\":[0");
	for (int i = 0; i < 200000; i++)
		n += (size_t)sprintf(wide + n, ",0");
	strcpy(wide + n, "]}");
	cr_assert_eq(img_manifest_parse(wide, strlen(wide), &m, &err), -1);
	cr_assert_str_eq(err.msg, "manifest: more than 200000 values");
	/* a bracket inside a string is text */
	cr_assert_eq(img_json_shape("doc", "{\"a\":\"[[[[\\\"]]]\"}", &err), 0, "%s", err.msg);
	free(deep);
	free(wide);
}

/* A manifest of n layers; distinct: each its own digest, else one digest
 * listed n times. */
static char *img_t_layers(unsigned n, bool distinct)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fputs("{\"config\":{\"digest\":\"" D1 "\",\"size\":5},\"layers\":[", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s{\"digest\":\"sha256:%064x\",\"size\":1}", i ? "," : "",
			distinct ? i : 7);
	fputs("]}", f);
	fclose(f);
	return buf;
}

/* A registry's manifest of 1,100 distinct layers ran a pull out of fds
 * (each fetched blob is pinned by one until the pull ends) where the fd
 * limit is 1,024; no overlay could stack them anyway (overlayfs: 500
 * lowers).  Refused when read, before any blob is fetched; one layer
 * listed 1,100 times (an old builder's empty layer) is one lower. */
Test(image_manifest, more_distinct_layers_than_an_overlay_stacks_are_refused)
{
	char *many = img_t_layers(IMG_MAX_LAYERS + 1, true),
	     *at = img_t_layers(IMG_MAX_LAYERS, true), *same = img_t_layers(1100, false);
	struct img_manifest m;
	struct slx_err err = {0};

	cr_assert_eq(img_manifest_parse(many, strlen(many), &m, &err), -1);
	cr_assert_str_eq(err.msg, "manifest: 501 distinct layers; an overlay stacks at most 500");
	cr_assert_eq(img_manifest_parse(at, strlen(at), &m, &err), 0, "%s", err.msg);
	img_manifest_free(&m);
	cr_assert_eq(img_manifest_parse(same, strlen(same), &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m.n_layers, 1100);
	img_manifest_free(&m);
	free(many);
	free(at);
	free(same);
}

Test(image_digest, sha256_of_known_bytes_and_the_digest_grammar)
{
	char d[IMG_DIGEST_MAX];
	struct slx_err err = {0};

	cr_assert_eq(img_sha256_buf("abc", 3, d, &err), 0, "%s", err.msg);
	cr_assert_str_eq(d,
			 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert(img_digest_valid(d));
	cr_assert_not(img_digest_valid(
	    "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	cr_assert_not(img_digest_valid(
	    "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	cr_assert_not(img_digest_valid("sha256:../../etc/passwd"));
}

Test(image_config, process_fields_and_function_labels_are_read)
{
	const char *j =
	    "{\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/bootstrap\"],"
	    "\"Cmd\":[\"app.handler\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"/var/task\","
	    "\"User\":\"app\",\"StopSignal\":\"SIGINT\",\"Labels\":{"
	    "\"org.slxrun.function.mode\":\"runtime-api\",\"org.slxrun.function.timeout\":\"5\"}}}";
	struct img_config c;
	struct slx_err err = {0};

	cr_assert_eq(img_config_parse(j, &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(c.entrypoint[0], "/bootstrap");
	cr_assert_null(c.entrypoint[1]);
	cr_assert_str_eq(c.cmd[0], "app.handler");
	cr_assert_str_eq(c.env[0], "A=1");
	cr_assert_str_eq(c.workdir, "/var/task");
	cr_assert_str_eq(c.user, "app");
	cr_assert_str_eq(c.stop_signal, "SIGINT");
	cr_assert_str_eq(c.label_mode, "runtime-api");
	cr_assert_str_eq(c.label_timeout, "5");
	cr_assert_null(c.label_memory);
	img_config_free(&c);
	cr_assert_eq(img_config_parse("{\"config\":{\"Cmd\":\"sh\"}}", &c, &err), -1);
	cr_assert_str_eq(err.msg, "image config: Cmd: expected an array of strings");
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "bad line\n"
			     "app:x:1000:1001::/home/app:/bin/sh\n";
static const char group[] = "root:x:0:\nstaff:x:50:app\n";

Test(image_user, names_resolve_in_the_images_own_databases)
{
	unsigned uid, gid;
	struct slx_err err = {0};

	cr_assert_eq(img_user_resolve("app", passwd, group, &uid, &gid, &err), 0, "%s", err.msg);
	cr_assert_eq(uid, 1000);
	cr_assert_eq(gid, 1001);
	cr_assert_eq(img_user_resolve("app:staff", passwd, group, &uid, &gid, &err), 0);
	cr_assert_eq(gid, 50);
	cr_assert_eq(img_user_resolve("1000", passwd, group, &uid, &gid, &err), 0);
	cr_assert_eq(gid, 1001, "a uid in passwd takes its primary group");
	cr_assert_eq(img_user_resolve("4242:7", NULL, NULL, &uid, &gid, &err), 0);
	cr_assert_eq(uid, 4242);
	cr_assert_eq(gid, 7);
	cr_assert_eq(img_user_resolve("nobody", passwd, group, &uid, &gid, &err), -1);
	cr_assert_str_eq(
	    err.msg, "image config: User \"nobody\": no user nobody in the image's /etc/passwd");
	cr_assert_eq(img_user_resolve("app:wheel", passwd, group, &uid, &gid, &err), -1);
	cr_assert_str_eq(
	    err.msg, "image config: User \"app:wheel\": no group wheel in the image's /etc/group");
}
