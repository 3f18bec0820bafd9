/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image_unpack.c -- image/unpack.c as root against tars made here by
 * Python's tarfile: hostile names, symlinks and hardlinks stay inside the
 * layer, device nodes and overlay xattrs are refused, whiteouts become
 * overlayfs whiteouts, and modes, owners and links survive, for gzip, zstd
 * and plain layers alike. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image.h"
#include "image/internal.h"

static char work[64], layer[128], outside[128];

static void setup(void)
{
	snprintf(work, sizeof(work), "/tmp/slx-unpack-XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	snprintf(layer, sizeof(layer), "%s/layer", work);
	snprintf(outside, sizeof(outside), "%s/outside", work);
	cr_assert_eq(mkdir(layer, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
}

static void teardown(void)
{
	char cmd[128];

	(void)umount2(layer, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
	(void)system(cmd);
}

/* Write <work>/layer.tar with a Python body that has `t` (a TarFile open for
 * writing), `add(info, data=b"")`, `OUT` (the outside dir) and tarfile. */
static void make_tar(const char *mode, const char *body)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/mk.py", work);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(
	    f,
	    "import io, tarfile\nOUT = %s%s%s\n"
	    "t = tarfile.open('%s/layer.tar', 'w:%s', format=tarfile.PAX_FORMAT)\n"
	    "def add(i, data=b''):\n    i.size = len(data)\n    t.addfile(i, io.BytesIO(data))\n"
	    "def ti(name, type=tarfile.REGTYPE, **kw):\n    i = tarfile.TarInfo(name)\n"
	    "    i.type = type\n    i.mode = 0o644\n    [setattr(i, k, v) for k, v in kw.items()]\n"
	    "    return i\n%s\nt.close()\n",
	    "'", outside, "'", work, mode, body);
	fclose(f);
	snprintf(path, sizeof(path), "python3 %s/mk.py", work);
	cr_assert_eq(system(path), 0, "python tar maker failed");
}

static int unpack(bool allow_devices, struct slx_err *err)
{
	const struct img_unpack_opts o = {
	    .allow_devices = allow_devices, .overlay_whiteouts = true, .keep_owners = true};
	char path[160];
	int fd, dir, r;

	snprintf(path, sizeof(path), "%s/layer.tar", work);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	dir = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(fd >= 0 && dir >= 0);
	r = img_unpack_fd(fd, dir, &o, err);
	close(fd);
	close(dir);
	return r;
}

static bool exists_in(const char *dir, const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

TestSuite(image_unpack, .init = setup, .fini = teardown);

Test(image_unpack, a_dotdot_entry_is_refused_and_nothing_lands_outside)
{
	struct slx_err err = {0};

	make_tar("", "add(ti('ok'), b'1')\nadd(ti('../outside/pwned'), b'x')");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(err.msg, "entry ../outside/pwned: \"..\" leaves the layer");
	cr_assert_not(exists_in(outside, "pwned"));
}

Test(image_unpack, an_absolute_name_lands_inside_the_layer)
{
	struct slx_err err = {0};
	char name[200];

	make_tar("", "add(ti(OUT + '/pwned'), b'x')");
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	cr_assert_not(exists_in(outside, "pwned"));
	snprintf(name, sizeof(name), "%s/pwned", outside + 1);
	cr_assert(exists_in(layer, name), "the absolute name is rooted in the layer");
}

/* A symlink resolves in the layer's root, as it will in the container: to
 * a directory the layer has, the file goes there; to one it lacks, the
 * entry fails; never outside. */
Test(image_unpack, a_file_through_a_symlink_to_outside_stays_inside)
{
	struct slx_err err = {0};

	make_tar("gz", "add(ti('etc', tarfile.DIRTYPE))\n"
		       "add(ti('root', tarfile.SYMTYPE, linkname='/'))\n"
		       "add(ti('root/etc/planted'), b'x')\n"
		       "add(ti('up', tarfile.SYMTYPE, linkname='../../../../../../../etc'))\n"
		       "add(ti('up/planted2'), b'x')");
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	cr_assert(exists_in(layer, "etc/planted"));
	cr_assert(exists_in(layer, "etc/planted2"));
	cr_assert_not(access("/etc/planted", F_OK) == 0 || access("/etc/planted2", F_OK) == 0);
	make_tar("", "add(ti('abs', tarfile.SYMTYPE, linkname=OUT))\nadd(ti('abs/pwned'), b'x')");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert(strstr(err.msg, "entry abs/pwned: parent directory"), "%s", err.msg);
	cr_assert_not(exists_in(outside, "pwned"));
}

/* A symlink entry with an empty target (libarchive hands back NULL for it)
 * is refused by name; it went to symlinkat as NULL (found by fuzz_unpack). */
Test(image_unpack, a_symlink_without_a_target_is_refused)
{
	struct slx_err err = {0};

	make_tar("", "add(ti('ok'), b'1')\nadd(ti('empty', tarfile.SYMTYPE, linkname=''))");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(err.msg, "entry empty: a symlink without a target");
	cr_assert_not(exists_in(layer, "empty"));
}

Test(image_unpack, a_hardlink_to_outside_is_refused)
{
	struct slx_err err = {0};
	char victim[160];
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/victim", outside);
	close(open(victim, O_CREAT | O_WRONLY, 0600));
	make_tar("", "add(ti('h', tarfile.LNKTYPE, linkname='../outside/victim'))");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert(strstr(err.msg, "leaves the layer"), "%s", err.msg);
	make_tar("", "add(ti('s', tarfile.SYMTYPE, linkname=OUT))\n"
		     "add(ti('h', tarfile.LNKTYPE, linkname='s/victim'))");
	cr_assert_eq(unpack(false, &err), -1, "a hardlink through a symlink reached outside");
	cr_assert(strstr(err.msg, "entry h: hardlink"), "%s", err.msg);
	make_tar("", "add(ti('h', tarfile.LNKTYPE, linkname=OUT + '/victim'))");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_nlink, 1, "the outside file gained a link");
}

Test(image_unpack, device_nodes_only_when_the_caller_allows_them)
{
	struct slx_err err = {0};
	char p[160];
	struct stat st;

	make_tar("", "add(ti('dev/sda', tarfile.CHRTYPE, devmajor=8, devminor=0))");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(err.msg, "entry dev/sda: device nodes are not allowed in a layer");
	cr_assert_not(exists_in(layer, "dev/sda"));
	cr_assert_eq(unpack(true, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/dev/sda", layer);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(8, 0));
}

/* A sparse entry (GNU tar --sparse, pax 1.0): written out as zeros, a
 * 10 KiB tar of a 1 GiB file with one byte in it took 1 GiB of the store;
 * and a file ending in a hole came out empty. */
Test(image_unpack, a_sparse_entry_keeps_its_holes_and_its_size)
{
	struct slx_err err = {0};
	char cmd[512], p[160], c = 0;
	struct stat st;
	int fd;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p sp && truncate -s 1G sp/tail && printf x | dd of=sp/tail bs=1 "
		 "seek=1073741823 conv=notrunc status=none && printf y >sp/head && truncate -s 64M "
		 "sp/head && tar --sparse --format=pax -cf layer.tar -C sp tail head && "
		 "[ $(stat -c %%s layer.tar) -lt 65536 ]",
		 work);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/tail", layer);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_size, 1L << 30);
	cr_expect_lt(st.st_blocks * 512, 1 << 20, "%lld bytes on disk",
		     (long long)st.st_blocks * 512);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_expect_eq(pread(fd, &c, 1, (1L << 30) - 1), 1);
	cr_expect_eq(c, 'x');
	close(fd);
	snprintf(p, sizeof(p), "%s/head", layer);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_size, 64L << 20, "a file ending in a hole is %lld bytes",
		     (long long)st.st_size);
	cr_expect_lt(st.st_blocks * 512, 1 << 20);
}

Test(image_unpack, whiteouts_become_overlayfs_whiteouts)
{
	struct slx_err err = {0};
	char p[160], v[8] = "";
	struct stat st;

	make_tar("gz", "add(ti('etc', tarfile.DIRTYPE))\nadd(ti('etc/.wh.gone'))\n"
		       "add(ti('var/cache', tarfile.DIRTYPE))\nadd(ti('var/cache/.wh..wh..opq'))");
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/etc/gone", layer);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0), "not a 0:0 whiteout");
	cr_assert_not(exists_in(layer, "etc/.wh.gone"));
	snprintf(p, sizeof(p), "%s/var/cache", layer);
	cr_assert_eq(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	cr_assert_eq(v[0], 'y');
	v[0] = '\0';
	cr_assert_eq(getxattr(p, "user.overlay.opaque", v, sizeof(v)), 1,
		     "no user.overlay.opaque: a sandbox's userxattr overlay sees through it");
	cr_assert_eq(v[0], 'y');
	cr_assert_not(exists_in(layer, "var/cache/.wh..wh..opq"));
}

Test(image_unpack, an_overlay_xattr_from_the_tar_is_refused)
{
	struct slx_err err = {0};

	make_tar("", "i = ti('d', tarfile.DIRTYPE)\n"
		     "i.pax_headers = {'SCHILY.xattr.trusted.overlay.redirect': '/etc'}\nadd(i)");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(err.msg, "entry d/: xattr trusted.overlay.redirect is overlayfs's own");
	make_tar("", "i = ti('d', tarfile.DIRTYPE)\n"
		     "i.pax_headers = {'SCHILY.xattr.user.overlay.opaque': 'y'}\nadd(i)");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(err.msg, "entry d/: xattr user.overlay.opaque is overlayfs's own");
}

/* The attacker's read: a layer is on the host, in a store sandboxes must be
 * able to search, so a set-uid-root file from an image (or one with file
 * capabilities) would give any local user root. */
Test(image_unpack, a_set_uid_root_file_from_an_image_is_not_set_uid_on_the_host)
{
	struct slx_err err = {0};
	char p[160];
	struct stat a;

	make_tar("", "add(ti('rootshell', mode=0o6755, uid=0, gid=0), b'#!')");
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/rootshell", layer);
	cr_assert_eq(lstat(p, &a), 0);
	cr_assert_eq(a.st_mode & 07777, 0755, "mode %o", a.st_mode & 07777);
	make_tar("", "i = ti('capshell')\n"
		     "i.pax_headers = {'SCHILY.xattr.security.capability': 'x'}\nadd(i, b'#!')");
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert_str_eq(
	    err.msg, "entry capshell: xattr security.capability (file capabilities) is refused");
}

static void check_attrs(void)
{
	char p[160], q[160], target[64] = "";
	struct stat a, b;

	snprintf(p, sizeof(p), "%s/bin/tool", layer);
	snprintf(q, sizeof(q), "%s/bin/tool-link", layer);
	cr_assert_eq(lstat(p, &a), 0);
	/* 04755 in the tar: the set-uid bit never reaches the host (below). */
	cr_assert_eq(a.st_mode & 07777, 0755, "mode %o", a.st_mode & 07777);
	cr_assert(a.st_uid == 1000 && a.st_gid == 1001);
	cr_assert_eq(a.st_mtime, 1234567890);
	cr_assert_eq(lstat(q, &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino, "the hardlink is a second name of the file");
	snprintf(p, sizeof(p), "%s/bin/sh", layer);
	cr_assert_eq(readlink(p, target, sizeof(target) - 1), 4);
	cr_assert_str_eq(target, "tool");
	snprintf(p, sizeof(p), "%s/etc/conf", layer);
	cr_assert_eq(getxattr(p, "user.slx", target, sizeof(target)), 2);
}

#define ATTR_TAR                                                                                   \
	"add(ti('bin', tarfile.DIRTYPE, mode=0o755))\n"                                            \
	"add(ti('bin/tool', mode=0o4755, uid=1000, gid=1001, mtime=1234567890), b'#!')\n"          \
	"add(ti('bin/tool-link', tarfile.LNKTYPE, linkname='bin/tool'))\n"                         \
	"add(ti('bin/sh', tarfile.SYMTYPE, linkname='tool'))\n"                                    \
	"i = ti('etc/conf')\ni.pax_headers = {'SCHILY.xattr.user.slx': 'ok'}\nadd(i, b'c')"

Test(image_unpack, modes_owners_links_and_xattrs_survive_plain)
{
	struct slx_err err = {0};

	make_tar("", ATTR_TAR);
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	check_attrs();
}

Test(image_unpack, modes_owners_links_and_xattrs_survive_gzip)
{
	struct slx_err err = {0};

	make_tar("gz", ATTR_TAR);
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	check_attrs();
}

Test(image_unpack, modes_owners_links_and_xattrs_survive_zstd)
{
	struct slx_err err = {0};
	char cmd[256];

	make_tar("", ATTR_TAR);
	snprintf(cmd, sizeof(cmd),
		 "zstd -q --rm %s/layer.tar -o %s/layer.zst && mv %s/layer.zst %s/layer.tar", work,
		 work, work, work);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	check_attrs();
}

Test(image_unpack, a_truncated_or_foreign_stream_is_an_error)
{
	struct slx_err err = {0};
	char cmd[200];

	make_tar("gz", "import os\nadd(ti('big'), os.urandom(100000))");
	snprintf(cmd, sizeof(cmd), "truncate -s 60000 %s/layer.tar", work);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert(strstr(err.msg, "big") || strstr(err.msg, "tar"), "%s", err.msg);
	snprintf(cmd, sizeof(cmd), "echo '{\"json\": 1}' > %s/layer.tar", work);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(unpack(false, &err), -1);
	cr_assert(strstr(err.msg, "tar"), "%s", err.msg);
}

/* The filesystem under layer keeps its reserve (5 % free). */
static void expect_reserve_kept(void)
{
	struct statvfs v;

	cr_assert_eq(statvfs(layer, &v), 0);
	cr_expect_geq(v.f_bavail * 20, v.f_blocks, "%llu of %llu blocks free",
		      (unsigned long long)v.f_bavail, (unsigned long long)v.f_blocks);
}

/* A compression bomb: 31 KiB of gzip that is 31 MiB of zeros, unpacked onto
 * a 32 MiB filesystem.  It filled it to the last 1 MiB (and a bigger one to
 * the last byte, every other writer there failing with it); now a layer may
 * not take the filesystem below 5 % free, and the error says so. */
Test(image_unpack, a_compression_bomb_leaves_the_filesystem_its_reserve)
{
	struct slx_err err = {0};
	char cmd[512];

	cr_assert_eq(mount("tmpfs", layer, "tmpfs", 0, "size=32m"), 0);
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && mkdir -p z && head -c 31M /dev/zero >z/zeros && "
	    "tar -czf layer.tar -C z zeros && rm -r z && [ $(stat -c %%s layer.tar) -lt 65536 ]",
	    work);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_expect_eq(unpack(false, &err), -1, "31 MiB of zeros filled the filesystem to %s",
		     "its last 1 MiB");
	cr_expect(strstr(err.msg, "under 5% free"), "%s", err.msg);
	expect_reserve_kept();
}

/* Only file data counted: 7,900 symlinks with 4,000-byte targets (146 KiB
 * of gzip) took a 32 MiB filesystem to 3 % free.  Every entry costs its
 * metadata and a symlink its target now. */
Test(image_unpack, symlinks_count_against_the_reserve_too)
{
	struct slx_err err = {0};

	cr_assert_eq(mount("tmpfs", layer, "tmpfs", 0, "size=32m"), 0);
	make_tar("gz", "for i in range(7900):\n"
		       "    add(ti('s%05d' % i, tarfile.SYMTYPE, linkname='x' * 4000))\n");
	cr_expect_eq(unpack(false, &err), -1, "7,900 long symlinks took the reserve");
	cr_expect(strstr(err.msg, "under 5% free"), "%s", err.msg);
	expect_reserve_kept();
}

/* Only bytes counted: a layer of empty files took a filesystem's every
 * inode while its bytes were nearly all free (16,320 files, 124 KiB of
 * gzip, on a 64 MiB ext4), and every other writer there failed.  Here
 * 1,990 files on a filesystem of 2,000 inodes: the unpack stops before the
 * reserve, saying why. */
Test(image_unpack, empty_files_leave_the_filesystem_its_inodes)
{
	struct slx_err err = {0};
	struct statvfs v;

	cr_assert_eq(mount("tmpfs", layer, "tmpfs", 0, "size=32m,nr_inodes=2000"), 0);
	make_tar("gz", "for i in range(1990):\n"
		       "    add(ti('e%05d' % i), b'')\n");
	cr_expect_eq(unpack(false, &err), -1, "1,990 empty files took the inode reserve");
	cr_expect(strstr(err.msg, "under 5% of its inodes free"), "%s", err.msg);
	cr_assert_eq(statvfs(layer, &v), 0);
	cr_expect_geq(v.f_favail * 20, v.f_files, "%llu of %llu inodes free",
		      (unsigned long long)v.f_favail, (unsigned long long)v.f_files);
}

/* Two unpacks at once each measured the room once, at their start, and
 * together took the reserve (two 15.5 MiB layers on 32 MiB: 3.3 % left).
 * The room is asked again as bytes go: one of them fails. */
Test(image_unpack, two_unpacks_at_once_do_not_share_out_the_reserve)
{
	char cmd[512];
	int failed = 0;

	cr_assert_eq(mount("tmpfs", layer, "tmpfs", 0, "size=32m"), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p z && head -c 15872K /dev/zero >z/zeros && "
		 "tar -czf layer.tar -C z zeros && rm -r z && mkdir %s/a %s/b",
		 work, layer, layer);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			const struct img_unpack_opts o = {.overlay_whiteouts = true};
			struct slx_err err = {0};
			char path[160], sub[192];
			int fd, dir;

			snprintf(path, sizeof(path), "%s/layer.tar", work);
			snprintf(sub, sizeof(sub), "%s/%c", layer, 'a' + i);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			dir = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			_exit(fd >= 0 && dir >= 0 && img_unpack_fd(fd, dir, &o, &err) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int status = 0;

		cr_assert_gt(wait(&status), 0);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	cr_expect_geq(failed, 1, "both unpacks went through");
	expect_reserve_kept();
}

/* The layer as img_unpack_fd_digest reads it when it hashes the diff_id
 * (an invoke's unpack): the whole stream, up to its end. */
static int unpack_hashed(struct slx_err *err)
{
	const struct img_unpack_opts o = {.overlay_whiteouts = true};
	char path[160], diff_id[IMG_DIGEST_MAX];
	int fd, dir, r;

	snprintf(path, sizeof(path), "%s/layer.tar", work);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	dir = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(fd >= 0 && dir >= 0);
	r = img_unpack_fd_digest(fd, dir, &o, diff_id, err);
	close(fd);
	close(dir);
	return r;
}

/* A name 2,000 directories deep (4,001 bytes): each missing ancestor was
 * made by a recursion with a PATH_MAX buffer per frame, which overflowed
 * the stack (SIGSEGV in every invoke of the image; an attacker's review). */
Test(image_unpack, a_name_thousands_of_directories_deep_unpacks)
{
	struct slx_err err = {0};
	char deep[4100];

	make_tar("gz", "add(ti('a/' * 2000 + 'f'), b'deep')");
	cr_assert_eq(unpack(false, &err), 0, "%s", err.msg);
	memset(deep, 0, sizeof(deep));
	for (int i = 0; i < 2000; i++)
		memcpy(deep + 2 * i, "a/", 2);
	memcpy(deep + 4000, "f", 1);
	cr_expect(exists_in(layer, deep), "the deep file is not there");
}

/* An old GNU sparse entry whose map goes on for N extension blocks, after
 * the bytes PRE (Python that the test's body defines them in first). */
#define SPARSE_MAP                                                                                 \
	"t.close()\nimport gzip\n"                                                                 \
	"def o(v, n): return ('%0*o' % (n - 1, v)).encode() + b'\\0'\n"                            \
	"h = bytearray(512); h[0:4] = b'file'; h[100:108] = o(0o644, 8)\n"                         \
	"h[108:116] = o(0, 8); h[116:124] = o(0, 8); h[124:136] = o(0, 12)\n"                      \
	"h[136:148] = o(0, 12); h[156:157] = b'S'; h[257:265] = b'ustar  \\0'\n"                   \
	"ent = o(1, 12) + o(0, 12)\nh[386:410] = ent; h[482] = 1; h[483:495] = o(1, 12)\n"         \
	"h[148:156] = b' ' * 8; h[148:156] = ('%06o\\0 ' % sum(h)).encode()\n"                     \
	"x = bytearray(512); x[0:504] = ent * 21; x[504] = 1\n"                                    \
	"last = bytearray(x); last[504] = 0\n"                                                     \
	"open(t.name, 'wb').write(gzip.compress(PRE + bytes(h) + bytes(x) * N + bytes(last) "      \
	"+ b'\\0' * 1024))"

/* Bombs that write nothing, so no room check stopped them (an attacker's
 * review): 64 MiB of zeros after the tar's end (a 17 KB layer held 35 s of
 * CPU for 10 GiB), an old GNU sparse map going on for 32 MiB of header
 * blocks (libarchive lists the whole map before it returns the entry: a
 * 52 KB layer took 4 GB), the same for 8 MiB after 20,000 cheap entries
 * (the first bound was pooled over entries: 2.2 GB from 5 MB; the
 * review), and a body on the layer's root entry (skipped, but
 * decompressed all the same). */
Test(image_unpack, a_stream_far_longer_than_what_it_writes_is_refused)
{
	static const char *const bomb[] = {
	    "add(ti('hello'), b'hi')\nt.close()\n"
	    "import gzip\nopen(t.name, 'ab').write(gzip.compress(b'\\0' * (64 << 20)))",
	    "PRE = b''\nN = 65536\n" SPARSE_MAP,
	    /* 20,000 empty directory headers first, each earning what the map
	     * then spends, when the bound was pooled over entries */
	    "d = tarfile.TarInfo('d'); d.type = tarfile.DIRTYPE; d.mode = 0o755\n"
	    "PRE = d.tobuf(tarfile.GNU_FORMAT) * 20000\nN = 16384\n" SPARSE_MAP,
	    "add(ti('.'), b'\\0' * (1 << 20))\nadd(ti('hello'), b'hi')",
	};

	for (size_t i = 0; i < sizeof(bomb) / sizeof(bomb[0]); i++) {
		struct slx_err err = {0};

		make_tar("gz", bomb[i]);
		cr_expect_eq(unpack_hashed(&err), -1, "bomb %zu was unpacked", i);
		cr_expect(strstr(err.msg, i < 3 ? "decompression bomb" : "root is not a directory"),
			  "bomb %zu: %s", i, err.msg);
	}
}
