/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_unpack.c -- libFuzzer harness for a layer's tar stream (image/unpack.c):
 * the input (plain, gzip or zstd) is unpacked as a layer (whiteouts, owners,
 * its diff_id) and as an image archive (files only), each into a fresh
 * directory whose parent must hold only it and an untouched sentinel
 * afterwards.  Inside: no set-id bit, no file capability, no device but a
 * layer's whiteout (0:0), nothing but files, directories and symlinks from an
 * archive, no overlay xattr but opaque=y on a layer's directory.  Each call
 * closes what it opened, keeps the umask and says a failure in one line.
 * A block that looks like a tar header (ustar at 257) has its checksum set
 * first: most mutations of a header would fail only that.
 * As root, in a mount namespace of its own where all is read-only but a
 * small tmpfs and the fuzzer's own directories: an escape fails with EROFS
 * (asserted never to happen) instead of writing on the host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/internal.h"
#include "tests/fuzz/fuzz.h"

#define TOP	 "/dev/shm"
#define SENTINEL "not the layer's\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A directory the fuzzer writes (a corpus, where artifacts go) stays
 * writable: bound over itself by its absolute path, the bind made
 * read-write. */
static void keep_writable(const char *dir)
{
	struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
	char *abs = realpath(dir, NULL);

	if (!abs || mount(abs, abs, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount_setattr(AT_FDCWD, abs, AT_RECURSIVE, &rw, sizeof(rw)) < 0) {
		fprintf(stderr, "fuzz_unpack: keep %s writable: %m\n", dir);
		exit(1);
	}
	free(abs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	bool prefix = false;
	char cwd[PATH_MAX];
	struct stat st;
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0) {
		fprintf(stderr, "fuzz_unpack: a read-only mount namespace (run as root): %m\n");
		exit(1);
	}
	for (int i = 1; i < *argc; i++) {
		const char *a = (*argv)[i], *v = strchr(a, '=');
		char dir[PATH_MAX];

		if (!strncmp(a, "-artifact_prefix=", 17) ||
		    !strncmp(a, "-exact_artifact_path=", 21)) {
			snprintf(dir, sizeof(dir), "%s", v + 1);
			*(strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir) = '\0';
			keep_writable(*dir ? dir : ".");
			prefix = true;
		} else if (a[0] != '-' && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
			keep_writable(a);
		}
	}
	if (!prefix)
		keep_writable(".");
	/* the working directory was the mount under the binds */
	if (!getcwd(cwd, sizeof(cwd)) || chdir(cwd) < 0) {
		fprintf(stderr, "fuzz_unpack: the working directory: %m\n");
		exit(1);
	}
	if (mount("slx-fuzz", TOP, "tmpfs", 0, "size=64m,nr_inodes=16384,mode=0700") < 0 ||
	    mkdir(TOP "/outside", 0755) < 0 ||
	    (fd = open(TOP "/outside/sentinel", O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
	    write(fd, SENTINEL, strlen(SENTINEL)) != (ssize_t)strlen(SENTINEL) || close(fd) < 0) {
		fprintf(stderr, "fuzz_unpack: a tmpfs on " TOP ": %m\n");
		exit(1);
	}
	return 0;
}

/* The lowest free descriptor: the same before and after, or one leaked. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	FUZZ_CHECK(fd >= 0);
	close(fd);
	return fd;
}

static void check_xattrs(int dir, const char *name, const struct stat *st,
			 const struct img_unpack_opts *o)
{
	static char list[XATTR_LIST_MAX];
	char path[64 + NAME_MAX], value[8];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dir, name);
	n = llistxattr(path, list, sizeof(list));
	FUZZ_CHECK(n >= 0);
	for (char *x = list; n > 0 && x < list + n; x += strlen(x) + 1) {
		FUZZ_CHECK(strcmp(x, "security.capability") != 0);
		if (strncmp(x, "trusted.overlay.", 16) && strncmp(x, "user.overlay.", 13))
			continue;
		FUZZ_CHECK(!o->files_only && S_ISDIR(st->st_mode));
		FUZZ_CHECK(!strcmp(strchr(x, '.') + 1, "overlay.opaque"));
		FUZZ_CHECK(lgetxattr(path, x, value, sizeof(value)) == 1 && value[0] == 'y');
	}
}

/* Every entry under name (in its parent at), never followed; as deep as a
 * path can name (symlinks can make a layer deeper: the inodes bound it). */
static void check_tree(int at, const char *name, const struct img_unpack_opts *o, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd;

	FUZZ_CHECK(fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0);
	FUZZ_CHECK(!(st.st_mode & (S_ISUID | S_ISGID)));
	FUZZ_CHECK(!S_ISBLK(st.st_mode) && !S_ISSOCK(st.st_mode));
	if (S_ISCHR(st.st_mode))
		FUZZ_CHECK(o->overlay_whiteouts && st.st_rdev == makedev(0, 0));
	if (o->files_only)
		FUZZ_CHECK(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode));
	check_xattrs(at, name, &st, o);
	if (!S_ISDIR(st.st_mode) || depth > PATH_MAX / 2)
		return;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && (d = fdopendir(fd)) != NULL);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			check_tree(dirfd(d), e->d_name, o, depth + 1);
	closedir(d);
}

/* The layer's parent holds the layer and the sentinel, as it was. */
static void check_outside(int top)
{
	char buf[64];
	struct stat st;
	struct dirent *e;
	DIR *d = opendir(TOP);
	int n = 0, fd;

	FUZZ_CHECK(d != NULL);
	while ((e = readdir(d)))
		FUZZ_CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			   !strcmp(e->d_name, "layer") || !strcmp(e->d_name, "outside"));
	closedir(d);
	FUZZ_CHECK((d = opendir(TOP "/outside")) != NULL);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	FUZZ_CHECK(n == 1);
	fd = openat(top, "outside/sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && fstat(fd, &st) == 0);
	FUZZ_CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_nlink == 1);
	FUZZ_CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)strlen(SENTINEL));
	FUZZ_CHECK(!memcmp(buf, SENTINEL, strlen(SENTINEL)));
	close(fd);
}

static void unpack(int in, const struct img_unpack_opts *o)
{
	struct slx_err err = {0};
	char diff_id[IMG_DIGEST_MAX];
	int top = open(TOP, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dir, free_fd, r;
	mode_t mask = umask(022);

	FUZZ_CHECK(top >= 0 && lseek(in, 0, SEEK_SET) == 0);
	FUZZ_CHECK(mkdirat(top, "layer", 0700) == 0);
	dir = openat(top, "layer", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(dir >= 0);
	free_fd = lowest_free_fd();
	r = img_unpack_fd_digest(in, dir, o, o->files_only ? NULL : diff_id, &err);
	FUZZ_CHECK(lowest_free_fd() == free_fd);
	FUZZ_CHECK(umask(mask) == 022);
	if (r < 0) {
		FUZZ_CHECK(err.msg[0] != '\0' && !strchr(err.msg, '\n'));
		FUZZ_CHECK(err.errnum != EROFS);
	} else if (!o->files_only) {
		FUZZ_CHECK(strlen(diff_id) == 71 && !strncmp(diff_id, "sha256:", 7));
	}
	check_tree(top, "layer", o, 0);
	check_outside(top);
	close(dir);
	FUZZ_CHECK(img_remove_tree_at(top, "layer") == 0);
	close(top);
}

static void fix_checksums(uint8_t *tar, size_t size)
{
	for (size_t off = 0; off + 512 <= size; off += 512) {
		uint8_t *h = tar + off;
		unsigned sum = 8 * ' ';
		char field[8];

		if (memcmp(h + 257, "ustar", 5))
			continue;
		for (size_t i = 0; i < 512; i++)
			sum += i < 148 || i >= 156 ? h[i] : 0;
		snprintf(field, sizeof(field), "%06o", sum & 0777777);
		memcpy(h + 148, field, 7);
		h[155] = ' ';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct img_unpack_opts layer = {.overlay_whiteouts = true,
						     .keep_owners = true};
	static const struct img_unpack_opts archive = {.files_only = true};
	int in = memfd_create("layer", MFD_CLOEXEC);
	uint8_t *tar = malloc(size ? size : 1);

	FUZZ_CHECK(in >= 0 && tar != NULL);
	memcpy(tar, data, size);
	fix_checksums(tar, size);
	FUZZ_CHECK(write(in, tar, size) == (ssize_t)size);
	free(tar);
	unpack(in, &layer);
	unpack(in, &archive);
	close(in);
	return 0;
}
