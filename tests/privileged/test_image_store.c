/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image_store.c -- the store against images made by umoci and skopeo:
 * every source format pulls to the same verified blobs, a wrong digest, a
 * missing blob, an index without linux/amd64 and a full disk each fail with
 * one clear line and leave nothing behind, concurrent pulls agree, and
 * prune removes exactly what no ref reaches. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image.h"

static char work[64], root[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* <work>/oci:v1, an image with two layers (the second deletes a file of the
 * first), made by umoci. */
static void setup(void)
{
	snprintf(work, sizeof(work), "/tmp/slx-store-XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	snprintf(root, sizeof(root), "%s/root", work);
	sh("cd %s && umoci init --layout oci && umoci new --image oci:v1 && "
	   "umoci unpack --image oci:v1 b >/dev/null && mkdir -p b/rootfs/etc b/rootfs/bin && "
	   "echo one > b/rootfs/etc/one && echo gone > b/rootfs/etc/gone && "
	   "cp /bin/busybox b/rootfs/bin/ && umoci repack --refresh-bundle --image oci:v1 b && "
	   "rm b/rootfs/etc/gone && echo two > b/rootfs/etc/two && umoci repack --image oci:v1 b "
	   "&& "
	   "umoci config --image oci:v1 --config.cmd /bin/busybox --config.cmd true",
	   work);
}

static void teardown(void)
{
	(void)umount2(root, MNT_DETACH);
	sh("rm -rf %s", work);
}

TestSuite(image_store, .init = setup, .fini = teardown);

static int pull(const char *refstr, char digest[IMG_DIGEST_MAX], struct slx_err *err)
{
	struct img_store st;
	struct img_ref ref;
	int r;

	if (img_ref_parse(refstr, &ref, err) < 0)
		return -1;
	if (img_store_open(root, &st, err) < 0) {
		img_ref_free(&ref);
		return -1;
	}
	r = img_pull(&st, &ref, digest, err);
	img_store_close(&st);
	img_ref_free(&ref);
	return r;
}

static size_t count(const char *sub)
{
	char p[256];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/images/%s", root, sub);
	if (!(d = opendir(p)))
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(image_store, every_source_format_pulls_the_same_layers_and_a_bundle)
{
	char ref[256], d[IMG_DIGEST_MAX], *bundle = NULL, p[512];
	struct slx_err err = {0};
	struct stat st;

	sh("cd %s && skopeo copy -q oci:oci:v1 oci-archive:img.oci.tar:v1 && "
	   "skopeo copy -q oci:oci:v1 docker-archive:img.docker.tar:fn:v1",
	   work);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
	snprintf(ref, sizeof(ref), "oci-archive:%s/img.oci.tar:v1", work);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
	snprintf(ref, sizeof(ref), "docker-archive:%s/img.docker.tar", work);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
	cr_assert_eq(count("tmp"), 0, "an archive's extraction was left behind");
	cr_assert_eq(img_bundle_for_ref(root, ref, &bundle, NULL, &err), 0, "%s", err.msg);
	/* Only the docker-archive's two (plain tar) layers are unpacked yet. */
	cr_assert_eq(count("layers"), 2);
	snprintf(p, sizeof(p), "%s/config.json", bundle);
	cr_assert_eq(stat(p, &st), 0);
	free(bundle);
	/* The second layer's deletion is an overlay whiteout in its own dir. */
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(img_bundle_for_ref(root, ref, &bundle, NULL, &err), 0, "%s", err.msg);
	/* The layout's gzip blobs differ from the archive's plain ones: four. */
	cr_assert_eq(count("layers"), 4);
	sh("n=0; for l in %s/images/layers/*; do [ -c $l/etc/gone ] && n=$((n+1)); "
	   "[ -f $l/etc/one ] && n=$((n+10)); done; [ $n -ge 12 ]",
	   root);
	free(bundle);
}

Test(image_store, a_blob_with_the_wrong_digest_is_refused_and_not_kept)
{
	char ref[256], d[IMG_DIGEST_MAX];
	struct slx_err err = {0};

	/* Flip the content of the biggest blob (a layer) keeping its size. */
	sh("cd %s/oci/blobs/sha256 && f=$(ls -S | head -1) && chmod u+w $f && "
	   "printf 'XXXX' | dd of=$f bs=1 seek=100 conv=notrunc status=none",
	   work);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), -1);
	cr_assert(strstr(err.msg, ": content has digest sha256:"), "%s", err.msg);
	cr_assert(strstr(err.msg, "pull oci:"), "%s", err.msg);
	cr_assert_eq(count("tmp"), 0, "a temp file was left");
	cr_assert_eq(count("layers"), 0);
	sh("! grep -q oci: %s/images/refs.json 2>/dev/null", root);
}

Test(image_store, a_missing_blob_is_named)
{
	char ref[256], d[IMG_DIGEST_MAX];
	struct slx_err err = {0};

	sh("cd %s/oci/blobs/sha256 && rm -f $(ls -S | head -1)", work);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), -1);
	cr_assert(strstr(err.msg, "missing from the layout (blobs/sha256/"), "%s", err.msg);
	cr_assert_eq(count("tmp"), 0);
}

/* A FIFO where a document or blob should be (any user can mkfifo in a
 * layout; an archive carries one as a tar entry) held the pull, and the
 * store's lock that prune waits on, for ever.  Each pull runs in a child
 * the test gives 20 s. */
static int pull_in_time(const char *refstr, char *msg, size_t cap)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char d[IMG_DIGEST_MAX];
		struct slx_err err = {0};

		alarm(20);
		close(p[0]);
		if (pull(refstr, d, &err) == 0)
			_exit(0);
		(void)!write(p[1], err.msg, strlen(err.msg));
		_exit(1);
	}
	close(p[1]);
	n = read(p[0], msg, cap - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(!WIFSIGNALED(status), "the pull of %s hung", refstr);
	return WEXITSTATUS(status);
}

/* A pull of <kind>:<work>/<rel> fails, in time, with a message holding
 * want; the message, for more checks. */
static const char *pull_refused(const char *kind, const char *rel, const char *want)
{
	static char msg[1024];
	char ref[256];

	snprintf(ref, sizeof(ref), "%s:%s/%s", kind, work, rel);
	cr_assert_eq(pull_in_time(ref, msg, sizeof(msg)), 1, "%s was pulled", ref);
	cr_assert(strstr(msg, want), "%s", msg);
	return msg;
}

Test(image_store, a_fifo_for_a_document_blob_or_archive_entry_is_refused)
{
	const char *msg;

	/* the layout's index.json, then its biggest blob, as FIFOs */
	sh("cd %s && cp -a oci fifo && rm fifo/index.json && mkfifo fifo/index.json && "
	   "cp -a oci fifob && cd fifob/blobs/sha256 && f=$(ls -S | head -1) && rm $f && mkfifo $f",
	   work);
	pull_refused("oci", "fifo:v1", "index.json: not a regular file");
	msg = pull_refused("oci", "fifob:v1", "missing from the layout (blobs/sha256/");
	cr_assert(strstr(msg, "not a regular file"), "%s", msg);
	/* a docker-archive whose manifest.json is a FIFO entry */
	sh("cd %s && mkdir dar && mkfifo dar/manifest.json && tar -cf dar.tar -C dar manifest.json",
	   work);
	pull_refused("docker-archive", "dar.tar",
		     "entry manifest.json: not a file, directory or link");
	cr_assert_eq(count("tmp"), 0, "an extraction was left behind");
}

/* A docker-archive's Layers were each hashed, however often a path was
 * listed (one 10 MB layer 300 times: 3 GB of hashing), and however many:
 * more distinct layers than an overlay stacks are refused before a byte of
 * them is read (none of these 501 exists), and nothing is left. */
Test(image_store, a_docker_archive_of_more_layers_than_an_overlay_stacks_is_refused)
{
	sh("cd %s && mkdir deep && echo '{}' >deep/c.json && "
	   "python3 -c 'import json; print(json.dumps([{\"Config\": \"c.json\", "
	   "\"Layers\": [\"l%%d.tar\" %% i for i in range(501)]}]))' >deep/manifest.json && "
	   "tar -cf deep.tar -C deep .",
	   work);
	pull_refused("docker-archive", "deep.tar",
		     "manifest.json: [0].Layers: more than 500 distinct layers; an overlay stacks "
		     "at most 500");
	cr_assert_eq(count("tmp"), 0, "an extraction was left behind");
}

/* A blob made sparse, in an archive or a layout: extracted cheaply, it
 * was copied out densely (2 GiB of the store from a 1 MB archive) before
 * its digest failed.  An image archive holds no sparse entry, and a copy
 * stops at the descriptor's size. */
Test(image_store, a_sparse_or_oversized_blob_never_reaches_the_store)
{
	sh("cd %s && cp -a oci sp && cd sp/blobs/sha256 && f=$(ls -S | head -1) && "
	   "truncate -s 64M $f && cd ../.. && tar --sparse -cf ../sp.tar . && "
	   "[ $(stat -c %%s ../sp.tar) -lt 4000000 ]",
	   work);
	pull_refused("oci-archive", "sp.tar:v1", "sparse (an image archive holds none)");
	pull_refused("oci", "sp:v1", "bytes its descriptor gives");
	cr_assert_eq(count("tmp"), 0, "a partial blob or an extraction was left");
}

Test(image_store, an_index_without_linux_amd64_is_refused)
{
	char ref[256], d[IMG_DIGEST_MAX];
	struct slx_err err = {0};

	/* Wrap the manifest in a nested index that offers only arm64. */
	sh("cd %s/oci && python3 - <<'EOF'\n"
	   "import json, hashlib\n"
	   "ix = json.load(open('index.json'))\n"
	   "m = ix['manifests'][0]\n"
	   "inner = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',\n"
	   "  'manifests': [dict(m, platform={'os': 'linux', 'architecture': 'arm64'}, "
	   "annotations={})]}\n"
	   "b = json.dumps(inner).encode(); h = hashlib.sha256(b).hexdigest()\n"
	   "open('blobs/sha256/' + h, 'wb').write(b)\n"
	   "ix['manifests'] = [{'mediaType': inner['mediaType'], 'digest': 'sha256:' + h, 'size': "
	   "len(b),\n"
	   "  'annotations': m['annotations']}]\n"
	   "json.dump(ix, open('index.json', 'w'))\nEOF",
	   work);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), -1);
	cr_assert(strstr(err.msg, "index: no linux/amd64 manifest (it has: linux/arm64)"), "%s",
		  err.msg);
}

/* Old builders repeat a layer (the empty one): overlayfs refuses a
 * directory twice as a lower (ELOOP), so each is a lower once, where it is
 * topmost.  The image here lists its two layers as A, B, A. */
Test(image_store, a_layer_listed_twice_is_one_lower_where_it_is_topmost)
{
	char ref[256], *bundle = NULL;
	struct slx_err err = {0};

	sh("cd %s/oci && python3 - <<'EOF'\n"
	   "import hashlib, json\n"
	   "def put(o):\n"
	   "    b = json.dumps(o).encode(); h = hashlib.sha256(b).hexdigest()\n"
	   "    open('blobs/sha256/' + h, 'wb').write(b); return 'sha256:' + h, len(b)\n"
	   "def get(d): return json.load(open('blobs/sha256/' + d.split(':')[1]))\n"
	   "ix = json.load(open('index.json')); m = get(ix['manifests'][0]['digest'])\n"
	   "c = get(m['config']['digest'])\n"
	   "m['layers'] = m['layers'] + m['layers'][:1]\n"
	   "c['rootfs']['diff_ids'] = c['rootfs']['diff_ids'] + c['rootfs']['diff_ids'][:1]\n"
	   "m['config']['digest'], m['config']['size'] = put(c)\n"
	   "ix['manifests'][0]['digest'], ix['manifests'][0]['size'] = put(m)\n"
	   "json.dump(ix, open('index.json', 'w'))\n"
	   "EOF",
	   work);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(img_bundle_for_ref(root, ref, &bundle, NULL, &err), 0, "%s", err.msg);
	/* one lower per layer, the repeated one on top, and overlayfs takes them */
	sh("cd %s && o=$(grep -o 'lowerdir=[^\"]*' config.json | cut -d= -f2) && "
	   "[ $(echo $o | tr ':' '\\n' | wc -l) -eq 2 ] && "
	   "[ $(echo $o | tr ':' '\\n' | sort -u | wc -l) -eq 2 ] && mkdir -p %s/m && "
	   "mount -t overlay overlay -o ro,lowerdir=$o %s/m && [ -e %s/m/etc/one ] && "
	   "umount %s/m",
	   bundle, work, work, work, work);
	free(bundle);
}

Test(image_store, a_full_disk_fails_cleanly)
{
	char ref[256], d[IMG_DIGEST_MAX];
	struct slx_err err = {0};

	cr_assert_eq(mkdir(root, 0700), 0);
	cr_assert_eq(mount("tmpfs", root, "tmpfs", 0, "size=256k"), 0);
	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), -1);
	cr_assert(strstr(err.msg, "No space left on device"), "%s", err.msg);
	cr_assert_eq(count("tmp"), 0, "a partial blob was left");
	sh("for f in %s/images/blobs/sha256/*; do [ ! -e $f ] || "
	   "[ sha256:$(sha256sum $f | cut -c1-64) = sha256:$(basename $f) ]; done",
	   root);
}

Test(image_store, concurrent_pulls_of_one_image_agree)
{
	char ref[256], d[IMG_DIGEST_MAX];
	struct slx_err err = {0};
	pid_t pids[4];
	int status;

	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			char *b = NULL;
			_exit(img_bundle_for_ref(root, ref, &b, NULL, &err) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pull %d failed", i);
	}
	cr_assert_eq(count("layers"), 2);
	cr_assert_eq(count("bundles"), 1);
	cr_assert_eq(count("tmp"), 0);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
}

Test(image_store, rm_then_prune_removes_what_no_ref_reaches)
{
	char ref[256], d[IMG_DIGEST_MAX], *b = NULL;
	struct slx_err err = {0};
	struct img_store st;
	unsigned removed;

	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(img_bundle_for_ref(root, ref, &b, NULL, &err), 0, "%s", err.msg);
	free(b);
	cr_assert_eq(img_store_open(root, &st, &err), 0);
	cr_assert_eq(img_prune(&st, &removed, &err), 0, "%s", err.msg);
	cr_assert_eq(removed, 0, "prune removed what a ref reaches");
	cr_assert_eq(img_remove(&st, ref, &err), 0, "%s", err.msg);
	cr_assert_eq(img_remove(&st, ref, &err), -1);
	cr_assert(strstr(err.msg, "not in the store"));
	cr_assert_eq(img_prune(&st, &removed, &err), 0, "%s", err.msg);
	/* manifest, config, two layer blobs, two layer dirs, one bundle */
	cr_assert_eq(removed, 7);
	cr_assert_eq(count("blobs/sha256") + count("layers") + count("bundles"), 0);
	img_store_close(&st);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
}

/* n directories nested under at/name (never a path longer than one name). */
static void nest(int at, const char *name, int n)
{
	int fd;

	cr_assert_eq(mkdirat(at, name, 0755), 0);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < n; i++) {
		int sub;

		cr_assert_eq(mkdirat(fd, "d", 0755), 0);
		if (i % 100 == 0)
			close(openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = sub;
	}
	cr_assert_geq(fd, 0);
	close(fd);
}

/* A layer can nest directories past any fd limit (symlinked parents make
 * the depth cheap in a tar): removing it ran the recursion out of fds, and
 * every later prune failed on it, sweeping nothing after it.  Pruned here
 * with 64 fds, a 5,000-deep leftover in tmp/ and one in layers/ go, and
 * so does a bundle no ref reaches, swept after them. */
Test(image_store, prune_removes_a_tree_deeper_than_its_fds)
{
	char ref[256], d[IMG_DIGEST_MAX], p[256];
	struct slx_err err = {0};
	int status;
	pid_t pid;

	snprintf(ref, sizeof(ref), "oci:%s/oci:v1", work);
	cr_assert_eq(pull(ref, d, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/images", root);
	{
		int images = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		cr_assert_geq(images, 0);
		nest(images, "tmp/layer-deep", 5000);
		nest(images, "layers/00deep", 5000);
		cr_assert_eq(mkdirat(images, "bundles/unreached", 0755), 0);
		close(images);
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = {64, 64};
		struct img_store st;
		unsigned removed;

		alarm(60);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || img_store_open(root, &st, &err) < 0)
			_exit(2);
		_exit(img_prune(&st, &removed, &err) == 0 && removed == 3 ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "prune failed: %#x", status);
	cr_assert_eq(count("tmp"), 0);
	cr_assert_eq(count("bundles"), 0);
	cr_assert_eq(count("layers"), 0);
}
