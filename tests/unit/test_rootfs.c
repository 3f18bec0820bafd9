/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rootfs.c -- mount option parsing and rootfs validation messages.
 * The real prepare+finish is tests/privileged/test_rootfs_prepare.c. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/rootfs.h"

#define RFT_STRV(...)                                                                              \
	((struct oci_strv){.v = (char *[]){__VA_ARGS__, NULL},                                     \
			   .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

static struct rt_mount_opts rft_parse_ok(struct oci_strv opts)
{
	struct rt_mount_opts o;
	struct slx_err err = {0};

	cr_assert_eq(rt_mount_opts_parse(&opts, 0, &o, &err), 0, "%s", err.msg);
	return o;
}

Test(rt_mount_opts, flags_are_set)
{
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("nosuid", "noexec", "nodev", "ro"));

	cr_assert_eq(o.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	cr_assert_eq(o.clear, 0);
	cr_assert_null(o.data);
	cr_assert_not(o.bind || o.rbind);
	rt_mount_opts_release(&o);
}

Test(rt_mount_opts, negations_clear_and_later_options_win)
{
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("ro", "suid", "dev", "exec", "rw"));

	cr_assert_eq(o.flags, 0);
	cr_assert_eq(o.clear, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	rt_mount_opts_release(&o);
}

Test(rt_mount_opts, propagation_is_separate_from_flags)
{
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("rbind", "rslave"));

	cr_assert_eq(o.propagation, MS_SLAVE | MS_REC);
	cr_assert(o.rbind);
	cr_assert_eq(o.flags, MS_BIND | MS_REC);
	rt_mount_opts_release(&o);
	o = rft_parse_ok(RFT_STRV("bind", "private"));
	cr_assert_eq(o.propagation, MS_PRIVATE);
	cr_assert(o.bind);
	cr_assert_not(o.rbind);
	rt_mount_opts_release(&o);
}

Test(rt_mount_opts, unknown_options_join_into_data)
{
	struct rt_mount_opts o =
	    rft_parse_ok(RFT_STRV("nosuid", "mode=755", "strictatime", "size=65536k"));

	cr_assert_eq(o.flags, MS_NOSUID | MS_STRICTATIME);
	cr_assert_str_eq(o.data, "mode=755,size=65536k");
	rt_mount_opts_release(&o);
	o = rft_parse_ok(
	    RFT_STRV("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
	cr_assert_str_eq(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	rt_mount_opts_release(&o);
}

Test(rt_mount_opts, recursive_options_become_mount_attrs)
{
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("rbind", "rro", "rnosuid", "rnoatime"));

	cr_assert_eq(o.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
	cr_assert_eq(o.rec_attr_clr, MOUNT_ATTR__ATIME);
	cr_assert_eq(o.flags, MS_BIND | MS_REC, "r* options must not leak into flags");
	rt_mount_opts_release(&o);
}

Test(rt_mount_opts, bind_flags_map_to_attrs)
{
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("bind", "ro", "nosuid", "noatime", "dev"));
	uint64_t set, clr;

	rt_mount_opts_attrs(&o, &set, &clr);
	cr_assert_eq(set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
	cr_assert_eq(clr, MOUNT_ATTR_NODEV | MOUNT_ATTR__ATIME);
	rt_mount_opts_release(&o);
	o = rft_parse_ok(RFT_STRV("bind"));
	rt_mount_opts_attrs(&o, &set, &clr);
	cr_assert_eq(set | clr, 0, "a plain bind needs no mount_setattr");
	rt_mount_opts_release(&o);
}

/* runtime-spec's idmap and ridmap are options; crun's idmap=uids=... is no
 * runtime-spec (the maps go in uidMappings) and is refused by name. */
Test(rt_mount_opts, idmap_and_ridmap_parse_and_crun_s_idmap_equals_is_refused)
{
	struct oci_strv opts = RFT_STRV("bind", "idmap=uids=0-1000-1");
	struct rt_mount_opts o = rft_parse_ok(RFT_STRV("bind", "idmap"));
	struct slx_err err = {0};

	cr_assert(o.idmap && !o.ridmap);
	cr_assert_null(o.data);
	o = rft_parse_ok(RFT_STRV("rbind", "ridmap"));
	cr_assert(o.idmap && o.ridmap);
	cr_assert_eq(rt_mount_opts_parse(&opts, 4, &o, &err), -1);
	cr_assert_str_eq(err.msg, "mounts[4].options: idmap=uids=0-1000-1 is not supported");
	cr_assert_null(o.data);
}

/* --- validate -------------------------------------------------------- */

static char rft_validate_dir[] = "/tmp/slx-rootfs-validate-XXXXXX";

static void rft_validate_setup(void)
{
	cr_assert_not_null(mkdtemp(rft_validate_dir));
}

static void rft_validate_teardown(void)
{
	rmdir(rft_validate_dir);
}

static struct oci_mount rft_mounts[] = {
    {.destination = "/proc", .type = "proc", .source = "proc"},
    {.destination = "/dev", .type = "tmpfs", .source = "tmpfs"},
    {.destination = "/data", .source = "/tmp", .options = RFT_STRV("rbind", "ro")},
    {.destination = "/mnt", .type = "ext4", .source = "/dev/sda1"},
};

static struct oci_config rft_valid_config(void)
{
	return (struct oci_config){.mounts = rft_mounts, .n_mounts = 4};
}

static void rft_validate_fails(const struct oci_config *cfg, const char *root, const char *want)
{
	struct slx_err err = {0};
	struct rt_mount_plan *plan = NULL;
	int ret = rt_rootfs_validate(cfg, root, &err);

	/* The parent checks in two steps: the rootfs and types, then the plan. */
	if (ret == 0) {
		ret = rt_mount_plan_build(cfg, &plan, &err);
		rt_mount_plan_free(plan);
	}
	cr_assert_eq(ret, -1, "expected: %s", want);
	cr_assert_str_eq(err.msg, want);
}

Test(rt_rootfs_validate, good_config_passes, .init = rft_validate_setup,
     .fini = rft_validate_teardown)
{
	struct oci_config cfg = rft_valid_config();
	struct slx_err err = {0};

	struct rt_mount_plan *plan = NULL;

	cr_assert_eq(rt_rootfs_validate(&cfg, rft_validate_dir, &err), 0, "%s", err.msg);
	cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), 0, "%s", err.msg);
	rt_mount_plan_free(plan);
}

Test(rt_rootfs_validate, unknown_type_names_the_mount, .init = rft_validate_setup,
     .fini = rft_validate_teardown)
{
	struct oci_mount mounts[4];
	struct oci_config cfg = {.mounts = mounts, .n_mounts = 4};

	memcpy(mounts, rft_mounts, sizeof(mounts));
	mounts[3].type = "bogusfs";
	rft_validate_fails(&cfg, rft_validate_dir,
			   "mounts[3].type: unknown filesystem type bogusfs");
}

Test(rt_rootfs_validate, missing_root_names_root_path)
{
	struct oci_config cfg = rft_valid_config();

	rft_validate_fails(&cfg, "/x/rootfs", "root.path: /x/rootfs: No such file or directory");
	rft_validate_fails(&cfg, "/etc/hostname", "root.path: /etc/hostname: Not a directory");
}

Test(rt_rootfs_validate, bad_fields_are_named, .init = rft_validate_setup,
     .fini = rft_validate_teardown)
{
	struct oci_mount mounts[4];
	struct oci_device dev = {.path = "/etc/null", .type = 'c', .major = 1, .minor = 3};
	struct oci_config cfg = {.mounts = mounts, .n_mounts = 4};

	memcpy(mounts, rft_mounts, sizeof(mounts));
	mounts[1].destination = "dev";
	rft_validate_fails(&cfg, rft_validate_dir,
			   "mounts[1].destination: must be an absolute path, got dev");
	mounts[1] = rft_mounts[1];
	mounts[0].options = RFT_STRV("idmap");
	rft_validate_fails(&cfg, rft_validate_dir,
			   "mounts[0]: uidMappings, gidMappings, idmap and ridmap apply to bind "
			   "mounts only");
	mounts[0] = rft_mounts[0];
	mounts[2].options = RFT_STRV("rbind", "ro", "idmap");
	rft_validate_fails(
	    &cfg, rft_validate_dir,
	    "mounts[2]: an idmapped mount needs a user namespace (linux.namespaces)");
	mounts[2] = rft_mounts[2];
	mounts[2].source = NULL;
	rft_validate_fails(&cfg, rft_validate_dir, "mounts[2].source: a bind mount needs a source");
	mounts[2] = rft_mounts[2];
	mounts[2].options = RFT_STRV("ro");
	rft_validate_fails(&cfg, rft_validate_dir,
			   "mounts[2].type: missing (only bind mounts may omit it)");
	mounts[2] = rft_mounts[2];

	cfg.linux_.devices = &dev;
	cfg.linux_.n_devices = 1;
	rft_validate_fails(&cfg, rft_validate_dir,
			   "linux.devices[0].path: must be an absolute path under /dev without "
			   "empty, . or .. parts, got /etc/null");
	/* a device's path is where a user namespace binds the host's node from */
	for (size_t i = 0; i < 4; i++) {
		static char *const bad[] = {"/dev/../etc/shadow", "/dev//null", "/dev/./null",
					    "/dev/null/"};
		char want[160];

		dev.path = bad[i];
		snprintf(want, sizeof(want),
			 "linux.devices[0].path: must be an absolute path under /dev without "
			 "empty, . or .. parts, got %s",
			 bad[i]);
		rft_validate_fails(&cfg, rft_validate_dir, want);
	}
	dev.path = "/dev/null";
	dev.type = 'x';
	rft_validate_fails(&cfg, rft_validate_dir,
			   "linux.devices[0].type: must be one of c, b, u, p");
	dev.type = 'c';
	cfg.linux_.rootfs_propagation = "sideways";
	rft_validate_fails(&cfg, rft_validate_dir,
			   "linux.rootfsPropagation: unknown mode sideways");
	cfg.linux_.rootfs_propagation = "rslave";
	cfg.linux_.masked_paths = RFT_STRV("proc/kcore");
	rft_validate_fails(&cfg, rft_validate_dir,
			   "linux.maskedPaths[0]: must be an absolute path, got proc/kcore");
}
