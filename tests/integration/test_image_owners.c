/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image_owners.c -- an image's own owners inside its function's
 * sandbox: a `USER 1000` image reads its 0700 home and 0600 files and sees
 * them as 1000, never as the overflow id; a root-only file stays out of its
 * reach; writes land in the sandbox, never the store (whose files keep the
 * image's ids); the idmapped view exists in the shim's mount namespace only;
 * a lower the kernel cannot idmap is one line, never wrong owners.  The
 * image is made by hand (tar, sha256sum, printf) so the VM's busybox can. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

static char work[64];
static struct shim_proc shim = SHIM_PROC_INIT;

/* What the function prints for the event "read": its home's file, the
 * owners of that home and file, root's 0600 file or "root-denied", the
 * owner of root's /etc/passwd, its own uid.  For "write": appends to a
 * note in its home and prints what was there. */
static const char check_sh[] = "#!/bin/sh\n"
			       "read -r ev\n"
			       "if [ \"$ev\" = write ]; then\n"
			       "  busybox cat /home/app/note 2>/dev/null\n"
			       "  echo one >>/home/app/note && echo wrote\n"
			       "  echo more >>/home/app/secret && echo appended\n"
			       "  exit 0\n"
			       "fi\n"
			       "busybox cat /home/app/secret 2>&1\n"
			       "busybox stat -c %u:%g /home/app /home/app/secret\n"
			       "busybox cat /etc/root-secret 2>/dev/null || echo root-denied\n"
			       "busybox stat -c %u:%g /etc/passwd\n"
			       "busybox id -u\n";

#define EXPECTED_READ "app-secret\n1000:1000\n1000:1000\nroot-denied\n0:0\n1000\n"

/* <work>/img: one plain-tar layer holding busybox, /bin/check, an app user
 * 1000 whose home is 1000:1000 0700 with a 0600 file, and root's own 0600
 * /etc/root-secret; the config's User is 1000, its Entrypoint /bin/check. */
static void setup(void)
{
	struct cmd_result r;
	char path[128];
	FILE *f;

	snprintf(work, sizeof(work), "/tmp/slx-owners-XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	/* Sandboxes mount the store by path as an id the host does not know. */
	cr_assert_eq(chmod(work, 0711), 0);
	snprintf(path, sizeof(path), "%s/check", work);
	cr_assert((f = fopen(path, "w")));
	fputs(check_sh, f);
	fclose(f);
	cmd_run(
	    &r, NULL, 60,
	    "set -e; cd %s && mkdir -p r/bin r/etc r/home/app r/tmp img/blobs/sha256 && "
	    "cp /bin/busybox r/bin/ && ln -s busybox r/bin/sh && cp check r/bin/ && chmod 755 "
	    "r/bin/check && "
	    "printf 'root:x:0:0::/:/bin/sh\\napp:x:1000:1000::/home/app:/bin/sh\\n' "
	    ">r/etc/passwd && printf 'root:x:0:\\napp:x:1000:\\n' >r/etc/group && "
	    "echo app-secret >r/home/app/secret && echo root-secret >r/etc/root-secret && "
	    "chmod 600 r/home/app/secret r/etc/root-secret && chmod 700 r/home/app && "
	    "chmod 1777 r/tmp && chown -R 1000:1000 r/home/app && "
	    "(cd r && tar -cf ../l.tar bin etc home tmp) && "
	    "L=$(sha256sum l.tar | cut -d' ' -f1) && cp l.tar img/blobs/sha256/$L && "
	    "printf '{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"1000\","
	    "\"Entrypoint\":[\"/bin/check\"]},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"sha256:%%s\"]}}' $L >c.json && "
	    "C=$(sha256sum c.json | cut -d' ' -f1) && cp c.json img/blobs/sha256/$C && "
	    "printf '{\"schemaVersion\":2,\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
	    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%%s\","
	    "\"size\":%%s},\"layers\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:%%s\","
	    "\"size\":%%s}]}' $C $(stat -c %%s c.json) $L $(stat -c %%s l.tar) >m.json && "
	    "M=$(sha256sum m.json | cut -d' ' -f1) && cp m.json img/blobs/sha256/$M && "
	    "printf '{\"imageLayoutVersion\":\"1.0.0\"}' >img/oci-layout && "
	    "printf '{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%%s\","
	    "\"size\":%%s}]}' $M $(stat -c %%s m.json) >img/index.json && chmod -R a+rX img",
	    work);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
}

static void teardown(void)
{
	struct cmd_result r;

	shim_proc_cleanup(&shim);
	cmd_run(&r, NULL, 30, "umount -l %s/shm 2>/dev/null; rm -rf %s", work, work);
	cmd_result_free(&r);
}

TestSuite(image_owners, .init = setup, .fini = teardown);

static void invoke(struct cmd_result *r, const char *root, const char *event)
{
	cmd_run(r, NULL, 60, "cd %s && '%s' --root %s invoke --data %s oci:img", work, slxrun_bin(),
		root, event);
}

Test(image_owners, a_user_image_reads_its_own_private_files_and_never_roots)
{
	struct cmd_result r;

	invoke(&r, "root", "read");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, EXPECTED_READ, "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
}

/* The layer's files keep the image's ids on the host, unshifted and
 * unwritten; what a sandbox writes (a copy-up of its own file, a new one)
 * stays in that sandbox. */
Test(image_owners, writes_land_in_the_sandbox_never_the_store)
{
	struct cmd_result r;

	invoke(&r, "root", "write");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "wrote\nappended\n", "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
	invoke(&r, "root", "write");
	cr_assert_str_eq(r.out, "wrote\nappended\n", "the second sandbox saw the first's note");
	cmd_result_free(&r);
	cmd_run(
	    &r, NULL, 10,
	    "cd %s/root/images/layers/* && [ ! -e home/app/note ] && "
	    "[ \"$(cat home/app/secret)\" = app-secret ] && "
	    "[ \"$(stat -c %%u:%%g:%%a home/app home/app/secret etc/root-secret | tr '\\n' ' ')\" "
	    "= '1000:1000:700 1000:1000:600 0:0:600 ' ]",
	    work);
	cr_assert_eq(r.status, 0, "the store's layer changed: %s", r.err);
	cmd_result_free(&r);
}

/* Each sandbox's views of the layers are made for it (its function user a
 * host id of its own) and attached in its own mount namespace: neither the
 * host's nor the shim's holds one. */
Test(image_owners, the_idmapped_views_live_only_in_each_sandbox)
{
	struct http_reply rep;
	struct cmd_result r;
	char ref[96];

	snprintf(ref, sizeof(ref), "oci:%s/img", work);
	shim_proc_start(&shim, ref, "--min-warm 1");
	shim_invoke(&shim, "read", &rep);
	cr_assert_eq(rep.status, 200, "%.*s", (int)rep.len, rep.body);
	cr_assert_eq(rep.len, strlen(EXPECTED_READ), "%.*s", (int)rep.len, rep.body);
	cr_assert(!memcmp(rep.body, EXPECTED_READ, rep.len), "%.*s", (int)rep.len, rep.body);
	cmd_run(&r, NULL, 10,
		"grep -c '/images/layers/.* ro,nosuid,nodev,.*idmapped' /proc/%d/mountinfo; "
		"grep -c idmapped /proc/self/mountinfo",
		(int)shim.pid);
	cr_assert_str_eq(r.out, "0\n0\n",
			 "the layer's idmapped view: shim's, host's (err: %s) (out: %s)", r.err,
			 r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&shim), 0);
}

static bool kernel_idmaps_tmpfs(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	cr_assert_eq(uname(&u), 0);
	cr_assert_eq(sscanf(u.release, "%u.%u", &major, &minor), 2);
	return major > 6 || (major == 6 && minor >= 3);
}

/* A lower the kernel cannot idmap (tmpfs before Linux 6.3) is refused with
 * one line naming it, never run with the overflow id: the image's rootfs as
 * a writable-root bundle on a tmpfs (a store there is not even unpacked
 * before 6.6, whose tmpfs lacks user.* xattrs). */
Test(image_owners, a_lower_the_kernel_cannot_idmap_is_one_line_never_wrong_owners)
{
	struct cmd_result r;

	cmd_run(
	    &r, NULL, 10,
	    "set -e; cd %s && mkdir shm && mount -t tmpfs -o mode=0711 tmpfs shm && "
	    "mkdir shm/b && cp -a r shm/b/rootfs && cd shm/b && '%s' spec && "
	    "sed -i -e 's|\"sh\"$|\"/bin/check\"|' -e 's|\"terminal\": true|\"terminal\": false|' "
	    "-e 's|\"readonly\": true|\"readonly\": false|' -e 's|\"uid\": 0|\"uid\": 1000|' "
	    "-e 's|\"gid\": 0|\"gid\": 1000|' config.json",
	    work, slxrun_bin());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 60, "'%s' --root %s/root invoke --data read %s/shm/b", slxrun_bin(), work,
		work);
	if (kernel_idmaps_tmpfs()) {
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_str_eq(r.out, EXPECTED_READ, "out: %s err: %s", r.out, r.err);
	} else {
		cr_assert_eq(r.status, 1, "ran with wrong owners: %s", r.out);
		cr_assert(strstr(r.err, "cannot make an idmapped mount of tmpfs"), "%s", r.err);
		cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	}
	cmd_result_free(&r);
}
