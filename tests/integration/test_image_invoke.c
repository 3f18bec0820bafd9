/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image_invoke.c -- images end to end through the CLI: `slxrun image`
 * pull/ls/inspect/rm/prune, `slxrun invoke oci:...` cold (unpacked once,
 * then from the cache), writes landing in a private upper that the next
 * sandbox does not see, `shim serve oci:...` answering warm, and a bad
 * reference as one line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

static char work[64];

/* <work>/oci:v1: busybox as user app (1000:1001, from the image's passwd),
 * working in /srv (which the image lacks), echoing its event. */
static void setup(void)
{
	struct cmd_result r;

	snprintf(work, sizeof(work), "/tmp/slx-image-XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	/* Sandboxes mount the store by path as an id the host does not know. */
	cr_assert_eq(chmod(work, 0711), 0);
	cmd_run(
	    &r, NULL, 60,
	    "cd %s && umoci init --layout oci && umoci new --image oci:v1 && "
	    "umoci unpack --image oci:v1 b >/dev/null && mkdir -p b/rootfs/bin b/rootfs/etc "
	    "b/rootfs/tmp && chmod 1777 b/rootfs/tmp && "
	    "cp /bin/busybox b/rootfs/bin/ && ln -s busybox b/rootfs/bin/sh && "
	    "printf 'root:x:0:0::/:/bin/sh\\napp:x:1000:1001::/:/bin/sh\\n' >b/rootfs/etc/passwd "
	    "&& "
	    "printf 'root:x:0:\\napp:x:1001:\\n' >b/rootfs/etc/group && "
	    "umoci repack --image oci:v1 b && "
	    "umoci config --image oci:v1 --config.entrypoint /bin/sh --config.cmd -c "
	    "--config.cmd 'read e; echo \"$e from $(busybox id -u):$(busybox id -g) in $(pwd)\"; "
	    "busybox cat /tmp/mark 2>/dev/null; echo w >/tmp/mark' "
	    "--config.user app --config.workingdir /srv && chmod -R a+rwX oci",
	    work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
}

static void teardown(void)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30, "rm -rf %s", work);
	cmd_result_free(&r);
}

TestSuite(image_invoke, .init = setup, .fini = teardown);

static void slx(struct cmd_result *r, const char *args)
{
	cmd_run(r, NULL, 60, "cd %s && '%s' --root %s/root %s", work, slxrun_bin(), work, args);
}

Test(image_invoke, an_image_invokes_cold_with_its_user_workdir_and_a_private_upper)
{
	struct cmd_result r;
	struct stat a, b;
	char layer[256];

	slx(&r, "invoke --data hi oci:oci:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "hi from 1000:1001 in /srv\n");
	cmd_result_free(&r);
	snprintf(layer, sizeof(layer), "%s/root/images/layers", work);
	cr_assert_eq(stat(layer, &a), 0);
	slx(&r, "invoke --data again oci:oci:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "again from 1000:1001 in /srv\n",
			 "the second sandbox saw the first one's write");
	cmd_result_free(&r);
	cr_assert_eq(stat(layer, &b), 0);
	cr_assert_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec, "the layers were unpacked again");
	cmd_run(&r, NULL, 10, "! ls %s/root/images/layers/*/tmp/mark 2>/dev/null", work);
	cr_assert_eq(r.status, 0, "a write reached a shared layer");
	cmd_result_free(&r);
}

/* A layer keeps the image's owners and modes on the host: its 1777 /tmp,
 * and any file of uid 1000, were writable by host users through the
 * store's searchable path, and every sandbox of the image would run what
 * they put there.  Only root and the sandboxes' own group pass the
 * store's images/. */
Test(image_invoke, host_users_cannot_reach_the_layers_sandboxes_run)
{
	struct cmd_result r;

	slx(&r, "invoke --data hi oci:oci:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "ls -d %s/root/images/layers/*/tmp | head -1", work);
	cr_assert(strstr(r.out, "/tmp"), "no layer with the image's /tmp: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10,
		"for l in %s/root/images/layers/*; do for u in 65534 1000; do "
		"setpriv --reuid $u --regid $u --clear-groups touch $l/tmp/planted-$u 2>/dev/null "
		"&& echo planted by $u; done; done; true",
		work);
	cr_expect_str_eq(r.out, "", "a host user wrote into a layer: %s", r.out);
	cmd_result_free(&r);
	slx(&r, "invoke --data again oci:oci:v1");
	cr_expect_eq(r.status, 0, "sandboxes no longer reach the store: %s", r.err);
	cr_expect_str_eq(r.out, "again from 1000:1001 in /srv\n");
	cmd_result_free(&r);
	/* another id range on this root would lock the first one's sandboxes out */
	slx(&r, "invoke --sandbox-ids 1879310336:65536 --data other oci:oci:v1");
	cr_expect_neq(r.status, 0, "a second range took the store: %s", r.out);
	cr_expect(strstr(r.err, "one --sandbox-ids range per runtime root"), "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --data third oci:oci:v1");
	cr_expect_eq(r.status, 0, "the first range lost the store: %s", r.err);
	cmd_result_free(&r);
}

/* A range refused because another shim uses one it overlaps (test_floor.c)
 * was refused only once the image was in the store: the pull, the layers
 * and a bundle, 3 MB under a --root made for it, stayed.  The range is
 * taken first now, so nothing is made. */
Test(image_invoke, a_refused_range_makes_no_store)
{
	struct shim_proc other = SHIM_PROC_INIT;
	struct cmd_result r;
	char bundle[512];

	snprintf(bundle, sizeof(bundle), "%s/hello-exec", examples_dir());
	shim_proc_start(&other, bundle, "--no-auth --sandbox-ids 1879310336:65536");
	cmd_run(&r, NULL, 60,
		"cd %s && '%s' --root %s/fresh invoke --sandbox-ids 1879375872:65536 --data hi "
		"oci:oci:v1",
		work, slxrun_bin(), work);
	cr_expect_neq(r.status, 0, "a range over the shim's owners ran: %s", r.out);
	cr_expect(strstr(r.err, "overlap 1879310336:65536's"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "ls -A %s/fresh 2>&1", work);
	cr_expect(strstr(r.out, "No such file"), "left behind: %s", r.out);
	cmd_result_free(&r);
	cr_expect_eq(shim_proc_stop(&other), 0);
	shim_proc_cleanup(&other);
}

/* mount(2) takes a page of options: a hundred layers' lowerdir (each a
 * path into the store, ~100 bytes) is past it, and an image of more than
 * about 40 layers failed with EINVAL.  The runtime names the lowers
 * relative to the directory they share when the options would not fit. */
Test(image_invoke, an_image_of_a_hundred_layers_runs)
{
	struct cmd_result r;
	char cwd[512];

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cmd_run(&r, NULL, 60, "python3 %s/tests/integration/many_layers.py %s/many 100 v1", cwd,
		work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --data x oci:many:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "0\n") && strstr(r.out, "99\n"), "%s", r.out);
	cr_expect_eq(count_lines(r.out), 100, "%s", r.out);
	cmd_result_free(&r);
}

/* What the image's own files say (its User's /etc/passwd, whether its
 * WorkingDir exists) is read in the layers as the overlay will show them:
 * a whiteout or an opaque directory in an upper layer hides what is below
 * it.  Before, the topmost layer that had the file won whatever hid it: a
 * User resolved in an /etc the image had removed, and a WorkingDir it had
 * removed was taken to exist (the function's cwd was missing). */
Test(image_invoke, a_file_an_upper_layer_hides_is_not_the_images)
{
	static const char *const cases[][2] = {
	    {"plain", "1000\n"},
	    {"opaque", "no user app in the image's /etc/passwd"},
	    {"gone", "no user app in the image's /etc/passwd"},
	    {"workdir", "/app\n"},
	};
	struct cmd_result r;
	char cwd[512], args[64];

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cmd_run(&r, NULL, 60, "python3 %s/tests/integration/hiding_layers.py %s/hiding", cwd, work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(args, sizeof(args), "invoke --data x oci:hiding:%s", cases[i][0]);
		slx(&r, args);
		if (cases[i][1][0] == 'n') {
			cr_expect_neq(r.status, 0, "%s: %s", cases[i][0], r.out);
			cr_expect(strstr(r.err, cases[i][1]), "%s: %s", cases[i][0], r.err);
		} else {
			cr_expect_eq(r.status, 0, "%s: %s", cases[i][0], r.err);
			cr_expect_str_eq(r.out, cases[i][1], "%s", cases[i][0]);
		}
		cmd_result_free(&r);
	}
}

Test(image_invoke, image_pull_ls_inspect_rm_prune)
{
	struct cmd_result r;

	slx(&r, "image pull oci:oci:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "sha256:") && strstr(r.out, "/oci:v1"), "%s", r.out);
	cmd_result_free(&r);
	slx(&r, "image ls");
	cr_assert_eq(count_lines(r.out), 2, "%s", r.out);
	cmd_result_free(&r);
	slx(&r, "image inspect oci:oci:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"User\":\"app\""), "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30,
		"cd %s && '%s' --root root image rm oci:oci:v1 && '%s' --root root image prune",
		work, slxrun_bin(), slxrun_bin());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "removed 3"), "%s", r.out);
	cmd_result_free(&r);
	slx(&r, "image inspect oci:oci:v1");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "not in the store"), "%s", r.err);
	cmd_result_free(&r);
}

Test(image_invoke, a_bad_reference_is_one_line)
{
	struct cmd_result r;

	slx(&r, "invoke --data x oci:oci:nope");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "index.json: no image tagged \"nope\""), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --data x oci-archive:missing.tar");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "image oci-archive:missing.tar: missing.tar: No such file"), "%s",
		  r.err);
	cmd_result_free(&r);
}

Test(image_invoke, shim_serve_runs_an_image_warm)
{
	struct shim_proc s = SHIM_PROC_INIT;
	struct http_reply rep;
	char ref[128];

	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	shim_proc_start(&s, ref, NULL);
	shim_invoke(&s, "warm", &rep);
	cr_assert_eq(rep.status, 200, "%.*s", (int)rep.len, rep.body);
	cr_assert(rep.len >= 4 && !memcmp(rep.body, "warm from 1000:1001 in /srv", 27), "%.*s",
		  (int)rep.len, rep.body);
	cr_assert_eq(shim_proc_stop(&s), 0);
	shim_proc_cleanup(&s);
}

/* A serving shim pins its image's bundle: `image rm` then `image prune`
 * removed the bundle and the layers its next sandboxes mount, which failed
 * from then on (root.path: No such file or directory).  Once the shim is
 * gone, prune takes them. */
Test(image_invoke, prune_keeps_what_a_serving_shim_runs)
{
	struct shim_proc s = SHIM_PROC_INIT;
	struct http_reply rep;
	struct cmd_result r;
	char ref[128];

	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	shim_proc_start(&s, ref, "--keep-alive 0");
	shim_invoke(&s, "one", &rep);
	cr_assert_eq(rep.status, 200, "%.*s", (int)rep.len, rep.body);
	cmd_run(&r, NULL, 30, "'%s' --root %s image rm %s && '%s' --root %s image prune",
		slxrun_bin(), s.root, ref, slxrun_bin(), s.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	shim_invoke(&s, "two", &rep);
	cr_expect_eq(rep.status, 200, "after prune: %.*s", (int)rep.len, rep.body);
	cr_expect(rep.len >= 3 && !memcmp(rep.body, "two", 3), "%.*s", (int)rep.len, rep.body);
	cr_assert_eq(shim_proc_stop(&s), 0);
	cmd_run(&r, NULL, 30,
		"'%s' --root %s image prune && "
		"[ -z \"$(ls -A %s/images/bundles)$(ls -A %s/images/layers)\" ]",
		slxrun_bin(), s.root, s.root, s.root);
	cr_expect_eq(r.status, 0, "left after the shim stopped: %s%s", r.out, r.err);
	cmd_result_free(&r);
	shim_proc_cleanup(&s);
}

/* Lambda's container-image convention: the runtime client as ENTRYPOINT, the
 * handler as CMD, /var/task as WorkingDir, runtime-api mode from a label. */
Test(image_invoke, a_lambda_style_image_runs_in_runtime_api_mode)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 60,
		"cd %s && umoci init --layout lam && umoci new --image lam:v1 && "
		"umoci unpack --image lam:v1 l >/dev/null && cp -a %s/lambda-bootstrap/rootfs/. "
		"l/rootfs/ && "
		"mkdir -p l/rootfs/var/task && umoci repack --image lam:v1 l && "
		"umoci config --image lam:v1 --config.entrypoint /var/runtime/bootstrap "
		"--config.cmd app.handler --config.workingdir /var/task "
		"--config.label org.slxrun.function.mode=runtime-api "
		"--config.label org.slxrun.function.timeout=10 && "
		"'%s' --root root invoke --data '{\"a\":1}' oci:lam:v1",
		work, examples_dir(), slxrun_bin());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "{\"echo\":{\"a\":1}}");
	cmd_result_free(&r);
}

/* The operator's flags over the image's labels: the label says runtime-api
 * and 10 s, --mode exec and --timeout 1 win; a bad value names the flag. */
Test(image_invoke, flags_override_the_images_function_labels)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 60,
		"cd %s && umoci config --image oci:v1 --tag lab --config.entrypoint /bin/sh "
		"--config.cmd -c --config.cmd 'read e; [ \"$e\" = slow ] && busybox sleep 3; echo "
		"ran-$e' "
		"--config.label org.slxrun.function.mode=runtime-api "
		"--config.label org.slxrun.function.timeout=10 && chmod -R a+rwX oci",
		work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --data x oci:oci:lab");
	cr_assert_neq(r.status, 0, "a shell that never polls the Runtime API answered: %s", r.out);
	cmd_result_free(&r);
	slx(&r, "invoke --mode exec --data x oci:oci:lab");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ran-x\n");
	cmd_result_free(&r);
	slx(&r, "invoke --mode exec --timeout 1 --data slow oci:oci:lab");
	cr_assert_neq(r.status, 0, "the 1 s timeout did not hold: %s", r.out);
	cr_assert(strstr(r.err, "imed out") || strstr(r.err, "imeout"), "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --mode exec --memory 5 --data x oci:oci:lab");
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "--memory: \"5\" is not a whole number of MB"), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --mode fast --data x oci:oci:lab");
	cr_assert(strstr(r.err, "--mode: unknown mode \"fast\""), "%s", r.err);
	cmd_result_free(&r);
}

/* A layer whose uncompressed stream is not what the config's diff_ids say
 * (the blob itself intact): refused before anything runs, no layer kept. */
Test(image_invoke, a_layer_that_is_not_its_diff_id_is_refused)
{
	struct cmd_result r;

	cmd_run(
	    &r, NULL, 60,
	    "set -e; cd %s && mkdir -p bad/blobs/sha256 l/bin && cp /bin/busybox l/bin/ && "
	    "tar -C l -cf l.tar bin && gzip -9n l.tar && "
	    "L=$(sha256sum l.tar.gz | cut -d' ' -f1) && cp l.tar.gz bad/blobs/sha256/$L && "
	    "W=$(printf other | sha256sum | cut -d' ' -f1) && "
	    "printf "
	    "'{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/"
	    "busybox\",\"true\"]},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%%s\"]}}' $W >c.json && "
	    "C=$(sha256sum c.json | cut -d' ' -f1) && cp c.json bad/blobs/sha256/$C && "
	    "printf "
	    "'{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/"
	    "vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%%s\",\"size\":%%s},"
	    "\"layers\":[{\"mediaType\":\"application/"
	    "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%%s\",\"size\":%%s}]}' "
	    "$C $(stat -c %%s c.json) $L $(stat -c %%s l.tar.gz) >m.json && "
	    "M=$(sha256sum m.json | cut -d' ' -f1) && cp m.json bad/blobs/sha256/$M && "
	    "printf '{\"imageLayoutVersion\":\"1.0.0\"}' >bad/oci-layout && "
	    "printf "
	    "'{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
	    "vnd.oci.image.manifest.v1+json\","
	    "\"digest\":\"sha256:%%s\",\"size\":%%s}]}' $M $(stat -c %%s m.json) >bad/index.json "
	    "&& "
	    "chmod -R a+rX bad",
	    work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "invoke --data x oci:bad");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.err, "but the image config's diff_id is sha256:"), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10,
		"[ -z \"$(find %s/root/images/layers %s/root/images/tmp -mindepth 1)\" ]", work,
		work);
	cr_assert_eq(r.status, 0, "a layer or a temp dir was left behind");
	cmd_result_free(&r);
}

/* A config of 5 MiB (its descriptor says so): refused before it is
 * fetched, by its size.  It was fetched, committed, then refused, and
 * stayed in the store (an attacker's review). */
Test(image_invoke, a_config_larger_than_a_document_may_be_is_never_fetched)
{
	struct cmd_result r;
	char cwd[PATH_MAX];

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cmd_run(&r, NULL, 60,
		"cd %s && python3 -c 'import io, sys, tarfile\n"
		"sys.path.insert(0, \"%s/tests/integration\")\nimport oci_layout\n"
		"b = io.BytesIO(); tarfile.open(fileobj=b, mode=\"w\").close()\n"
		"o = oci_layout.Layout(\"big\")\n"
		"o.image(\"v1\", [o.put(b.getvalue())], {\"Env\": [\"X=\" + \"x\" * (5 << 20)]})\n"
		"o.close()'",
		work, cwd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	slx(&r, "image pull oci:big:v1");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.err, "config sha256:") && strstr(r.err, "over the 4 MiB it may have"),
		  "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "find %s/root/images -type f -size +4M | wc -l", work);
	cr_assert_str_eq(r.out, "0\n", "a document too large was left in the store");
	cmd_result_free(&r);
}
