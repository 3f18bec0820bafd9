/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_mount_plan.c -- config to mount plan, without privileges: the op
 * list, its order, resolved flags and attributes, for representative configs. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/rootfs.h"

#define MP_STRV(...)                                                                               \
	((struct oci_strv){.v = (char *[]){__VA_ARGS__, NULL},                                     \
			   .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

/* The default nodes and links made in the image's own /dev when nothing is
 * mounted there (runc makes them too). */
#define MP_IMAGE_DEV                                                                               \
	"device:/dev/null device:/dev/zero device:/dev/full device:/dev/random "                   \
	"device:/dev/urandom device:/dev/tty dev-links:/dev "

/* `slxrun spec`'s mounts, masked and read-only paths. */
static struct oci_mount mp_default_mounts[] = {
    {.destination = "/proc", .type = "proc", .source = "proc"},
    {.destination = "/dev",
     .type = "tmpfs",
     .source = "tmpfs",
     .options = MP_STRV("nosuid", "strictatime", "mode=755", "size=65536k")},
    {.destination = "/dev/pts",
     .type = "devpts",
     .source = "devpts",
     .options = MP_STRV("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
    {.destination = "/dev/shm",
     .type = "tmpfs",
     .source = "shm",
     .options = MP_STRV("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
    {.destination = "/dev/mqueue",
     .type = "mqueue",
     .source = "mqueue",
     .options = MP_STRV("nosuid", "noexec", "nodev")},
    {.destination = "/sys",
     .type = "sysfs",
     .source = "sysfs",
     .options = MP_STRV("nosuid", "noexec", "nodev", "ro")},
};

static struct rt_mount_plan *mp_build(const struct oci_config *cfg)
{
	struct rt_mount_plan *plan = NULL;
	struct slx_err err = {0};

	cr_assert_eq(rt_mount_plan_build(cfg, &plan, &err), 0, "%s", err.msg);
	cr_assert_not_null(plan);
	return plan;
}

/* "proc:/proc fs:/dev ..." -- the op list at a glance. */
static void mp_assert_kinds(const struct rt_mount_plan *plan, const char *want)
{
	char got[2048] = "";
	size_t off = 0;

	for (size_t i = 0; i < plan->n_ops; i++)
		off +=
		    (size_t)snprintf(got + off, sizeof(got) - off, "%s%s:%s", i ? " " : "",
				     rt_mount_op_kind_name(plan->ops[i].kind), plan->ops[i].dest);
	cr_assert_str_eq(got, want);
}

Test(mount_plan, default_spec_config_in_order)
{
	struct oci_config cfg = {
	    .mounts = mp_default_mounts,
	    .n_mounts = 6,
	    .root = {.readonly = true},
	    .linux_ = {.masked_paths = MP_STRV("/proc/kcore", "/sys/firmware"),
		       .readonly_paths = MP_STRV("/proc/sys")},
	};
	struct rt_mount_plan *plan = mp_build(&cfg);
	const struct rt_mount_op *dev = &plan->ops[1], *sys = &plan->ops[5];

	mp_assert_kinds(plan,
			"proc:/proc fs:/dev fs:/dev/pts fs:/dev/shm fs:/dev/mqueue sysfs:/sys "
			"device:/dev/null device:/dev/zero device:/dev/full device:/dev/random "
			"device:/dev/urandom device:/dev/tty dev-links:/dev pivot:/ "
			"mask:/proc/kcore mask:/sys/firmware readonly:/proc/sys");
	for (size_t i = 0; i < 6; i++)
		cr_assert(plan->ops[i].strict, "%s must be symlink-free", plan->ops[i].dest);
	cr_assert_eq(dev->flags, MS_NOSUID | MS_STRICTATIME);
	cr_assert_str_eq(dev->data, "mode=755,size=65536k");
	cr_assert_str_eq(dev->fstype, "tmpfs");
	cr_assert_eq(sys->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	cr_assert_null(sys->data);
	cr_assert_not(sys->node.bind_host, "no user namespace: no /sys fallback");
	cr_assert_eq(plan->ops[6].node.mode, S_IFCHR | 0666);
	cr_assert_eq(plan->ops[6].node.rdev, makedev(1, 3));
	cr_assert(plan->root_readonly);
	cr_assert_eq(plan->root_propagation, 0);
	rt_mount_plan_free(plan);
}

Test(mount_plan, bind_ro_nosuid_resolves_to_attrs)
{
	struct oci_mount m[] = {
	    {.destination = "/data",
	     .type = "bind",
	     .source = "/srv/data",
	     .options = MP_STRV("rbind", "ro", "nosuid", "rslave")},
	    {.destination = "/var/run/x", .source = "/run/x", .options = MP_STRV("bind")},
	};
	struct oci_config cfg = {.mounts = m, .n_mounts = 2};
	struct rt_mount_plan *plan = mp_build(&cfg);
	const struct rt_mount_op *op = &plan->ops[0];

	mp_assert_kinds(plan, "bind:/data bind:/var/run/x " MP_IMAGE_DEV "pivot:/");
	cr_assert_str_eq(op->source, "/srv/data");
	cr_assert(op->recursive);
	cr_assert_eq(op->attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
	cr_assert_eq(op->attr_clr, 0);
	cr_assert_eq(op->propagation, MS_SLAVE | MS_REC);
	cr_assert_not(op->strict, "an ordinary bind follows links inside the rootfs");
	cr_assert_not(plan->ops[1].recursive);
	cr_assert_eq(plan->ops[1].attr_set | plan->ops[1].attr_clr, 0);
	rt_mount_plan_free(plan);
}

Test(mount_plan, tmpfs_copyup_mounts_writable_then_read_only)
{
	struct oci_mount m[] = {
	    {.destination = "/opt",
	     .type = "tmpfs",
	     .source = "tmpfs",
	     .options = MP_STRV("tmpcopyup", "ro", "nosuid", "mode=755")},
	};
	struct oci_config cfg = {.mounts = m, .n_mounts = 1};
	struct rt_mount_plan *plan = mp_build(&cfg);

	mp_assert_kinds(plan, "tmpfs-copyup:/opt " MP_IMAGE_DEV "pivot:/");
	cr_assert_eq(plan->ops[0].flags, MS_NOSUID, "mounted writable for the copy");
	cr_assert_eq(plan->ops[0].attr_set, MOUNT_ATTR_RDONLY, "read-only after it");
	cr_assert_str_eq(plan->ops[0].data, "mode=755");
	rt_mount_plan_free(plan);
}

static struct oci_mount mp_cgroup_mount[] = {
    {.destination = "/sys/fs/cgroup",
     .type = "cgroup",
     .source = "cgroup",
     .options = MP_STRV("nosuid", "noexec", "nodev", "relatime", "rw")},
};

Test(mount_plan, cgroup_without_cgroupns_is_a_read_only_bind_of_its_own)
{
	struct oci_namespace ns[] = {{.type = OCI_NS_MOUNT}, {.type = OCI_NS_PID}};
	struct oci_config cfg = {.mounts = mp_cgroup_mount,
				 .n_mounts = 1,
				 .linux_ = {.namespaces = ns, .n_namespaces = 2}};
	struct rt_mount_plan *plan = mp_build(&cfg);
	const struct rt_mount_op *op = &plan->ops[0];

	mp_assert_kinds(plan, "cgroup-bind:/sys/fs/cgroup " MP_IMAGE_DEV "pivot:/");
	cr_assert(op->attr_set & MOUNT_ATTR_RDONLY, "read-only even when rw is asked");
	cr_assert_not(op->attr_clr & MOUNT_ATTR_RDONLY);
	cr_assert(op->attr_set & MOUNT_ATTR_NOSUID);
	cr_assert(op->strict);
	cr_assert_null(op->data);
	rt_mount_plan_free(plan);
}

Test(mount_plan, cgroup_with_cgroupns_is_cgroup2_with_its_options)
{
	struct oci_namespace ns[] = {{.type = OCI_NS_MOUNT}, {.type = OCI_NS_CGROUP}};
	struct oci_mount m[] = {
	    {.destination = "/sys/fs/cgroup",
	     .type = "cgroup",
	     .source = "cgroup",
	     .options = MP_STRV("nosuid", "ro", "cpu")},
	};
	struct oci_config cfg = {
	    .mounts = m, .n_mounts = 1, .linux_ = {.namespaces = ns, .n_namespaces = 2}};
	struct rt_mount_plan *plan = mp_build(&cfg);

	mp_assert_kinds(plan, "cgroup2:/sys/fs/cgroup " MP_IMAGE_DEV "pivot:/");
	cr_assert_str_eq(plan->ops[0].fstype, "cgroup2");
	cr_assert_eq(plan->ops[0].flags, MS_NOSUID | MS_RDONLY);
	cr_assert_null(plan->ops[0].data, "cgroup v1 controller names are not cgroup2 data");
	rt_mount_plan_free(plan);
	mp_cgroup_mount[0].options = MP_STRV("nosuid", "noexec", "nodev", "relatime", "rw");
	cfg.mounts = mp_cgroup_mount;
	plan = mp_build(&cfg);
	cr_assert_eq(plan->ops[0].flags & MS_RDONLY, 0, "rw is honoured in a cgroupns");
	rt_mount_plan_free(plan);
}

Test(mount_plan, masked_and_readonly_paths_follow_the_pivot)
{
	struct oci_device devs[] = {
	    {.path = "/dev/fuse",
	     .type = 'c',
	     .major = 10,
	     .minor = 229,
	     .file_mode = {.set = true, .v = 0600},
	     .uid = {.set = true, .v = 1000}},
	    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
	};
	struct oci_namespace ns[] = {{.type = OCI_NS_MOUNT}, {.type = OCI_NS_USER}};
	struct oci_config cfg = {
	    .mounts = mp_default_mounts,
	    .n_mounts = 2,
	    .linux_ = {.devices = devs,
		       .n_devices = 2,
		       .namespaces = ns,
		       .n_namespaces = 2,
		       .masked_paths = MP_STRV("/etc/secret"),
		       .readonly_paths = MP_STRV("/data", "/etc"),
		       .rootfs_propagation = "rshared"},
	};
	struct rt_mount_plan *plan = mp_build(&cfg);
	const struct rt_mount_op *fuse = &plan->ops[8];

	/* /dev/null comes from linux.devices, not the defaults. */
	mp_assert_kinds(plan,
			"proc:/proc fs:/dev device:/dev/zero device:/dev/full "
			"device:/dev/random device:/dev/urandom device:/dev/tty dev-links:/dev "
			"device:/dev/fuse device:/dev/null pivot:/ mask:/etc/secret "
			"readonly:/data readonly:/etc");
	cr_assert_eq(fuse->node.mode, S_IFCHR | 0600);
	cr_assert_eq(fuse->node.rdev, makedev(10, 229));
	cr_assert(fuse->node.chown);
	cr_assert_eq(fuse->node.uid, 1000);
	cr_assert(fuse->node.bind_host, "a user namespace binds the host's nodes");
	cr_assert_str_eq(plan->ops[11].field, "linux.maskedPaths");
	cr_assert_eq(plan->ops[13].index, 1);
	cr_assert_eq(plan->root_propagation, MS_SHARED | MS_REC);
	rt_mount_plan_free(plan);
}

Test(mount_plan, a_bound_dev_gets_no_nodes)
{
	struct oci_mount m[] = {
	    {.destination = "/dev/", .type = "bind", .source = "/dev", .options = MP_STRV("rbind")},
	};
	struct oci_config cfg = {.mounts = m, .n_mounts = 1};
	struct rt_mount_plan *plan = mp_build(&cfg);

	mp_assert_kinds(plan, "bind:/dev/ pivot:/");
	cr_assert(plan->ops[0].strict, "/dev/ is /dev");
	rt_mount_plan_free(plan);
}

Test(mount_plan, errors_name_the_field)
{
	struct oci_mount m[] = {
	    {.destination = "/x",
	     .type = "ext4",
	     .source = "/dev/sda1",
	     .options = MP_STRV("tmpcopyup")},
	};
	struct oci_config cfg = {.mounts = m, .n_mounts = 1};
	struct rt_mount_plan *plan = (void *)1;
	struct slx_err err = {0};

	cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), -1);
	cr_assert_null(plan);
	cr_assert_str_eq(err.msg, "mounts[0].options: tmpcopyup needs type tmpfs, not ext4");
	cfg.n_mounts = 0;
	cfg.linux_.readonly_paths = MP_STRV("/ok", "rel");
	cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), -1);
	cr_assert_str_eq(err.msg, "linux.readonlyPaths[1]: must be an absolute path, got rel");
}

/* podman writes linux.devices[].fileMode with the node's type bits (Go's
 * os.FileMode as st_mode: 020666 for a character device), and every
 * `podman run --device` and `--privileged` was refused.  Type bits that
 * agree with the type are taken; others, or bits past a mode, are not. */
Test(mount_plan, a_device_file_mode_may_carry_its_own_type_bits)
{
	struct oci_device d[] = {
	    {.path = "/dev/null2",
	     .type = 'c',
	     .major = 1,
	     .minor = 3,
	     .file_mode = {.set = true, .v = 020666}},
	    {.path = "/dev/loop9",
	     .type = 'b',
	     .major = 7,
	     .minor = 9,
	     .file_mode = {.set = true, .v = 060640}},
	};
	struct oci_config cfg = {.linux_ = {.devices = d, .n_devices = 2}};
	struct rt_mount_plan *plan = mp_build(&cfg);
	static const struct {
		char type;
		uint64_t mode;
	} bad[] = {{'c', 060666}, {'c', 0100644}, {'p', 020666}, {'c', 01020666}};
	struct slx_err err = {0};

	for (size_t i = 0; i < plan->n_ops; i++) {
		if (!strcmp(plan->ops[i].dest, "/dev/null2"))
			cr_assert_eq(plan->ops[i].node.mode, S_IFCHR | 0666);
		if (!strcmp(plan->ops[i].dest, "/dev/loop9"))
			cr_assert_eq(plan->ops[i].node.mode, S_IFBLK | 0640);
	}
	rt_mount_plan_free(plan);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d[0].type = bad[i].type;
		d[0].file_mode.v = bad[i].mode;
		plan = (void *)1;
		cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), -1, "%c %llo", bad[i].type,
			     (unsigned long long)bad[i].mode);
		cr_assert(strstr(err.msg, "linux.devices[0].fileMode"), "%s", err.msg);
	}
}

/* One plan serves any number of containers: building twice from one config
 * gives the same ops, and the plan owns nothing the config does. */
/* runtime-spec 1.1: a bind with uidMappings is idmapped with them; the
 * idmap option alone takes the container's own; ridmap maps the mounts
 * below too.  The parent makes the trees, so the plan carries the maps. */
Test(mount_plan, idmapped_binds_carry_their_maps)
{
	struct oci_id_mapping own = {0, 100000, 65536}, mnt = {1000, 101000, 1};
	struct oci_mount mounts[] = {
	    {.destination = "/a",
	     .source = "/srv/a",
	     .options = MP_STRV("bind", "ro"),
	     .uid_mappings = &mnt,
	     .gid_mappings = &mnt,
	     .n_uid_mappings = 1,
	     .n_gid_mappings = 1},
	    {.destination = "/b", .source = "/srv/b", .options = MP_STRV("rbind", "ridmap")},
	    {.destination = "/c", .source = "/srv/c", .options = MP_STRV("bind")},
	};
	struct oci_namespace userns = {.type = OCI_NS_USER};
	struct oci_config cfg = {
	    .mounts = mounts,
	    .n_mounts = 3,
	    .linux_ = {.namespaces = &userns,
		       .n_namespaces = 1,
		       .uid_mappings = &own,
		       .gid_mappings = &own,
		       .n_uid_mappings = 1,
		       .n_gid_mappings = 1},
	};
	struct rt_mount_plan *plan = mp_build(&cfg);
	struct slx_err err = {0};

	cr_assert(plan->ops[0].idmap && !plan->ops[0].idmap_recursive);
	cr_assert_eq(plan->ops[0].uid_map, &mnt);
	cr_assert_eq(plan->ops[0].attr_set, MOUNT_ATTR_RDONLY);
	cr_assert(plan->ops[1].idmap && plan->ops[1].idmap_recursive && plan->ops[1].recursive);
	cr_assert_eq(plan->ops[1].uid_map, &own);
	cr_assert_eq(plan->ops[1].n_gid_map, 1);
	cr_assert_not(plan->ops[2].idmap);
	rt_mount_plan_free(plan);
	mounts[0].n_gid_mappings = 0;
	cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), -1);
	cr_assert_str_eq(err.msg, "mounts[0]: uidMappings and gidMappings go together");
	mounts[0].n_uid_mappings = 0;
	cfg.linux_.n_uid_mappings = 0;
	cr_assert_eq(rt_mount_plan_build(&cfg, &plan, &err), -1);
	cr_assert_str_eq(err.msg, "mounts[1]: idmap without uidMappings takes the container's, "
				  "and linux.uidMappings and gidMappings name none");
}

Test(mount_plan, built_once_reused_freely)
{
	struct oci_config cfg = {.mounts = mp_default_mounts, .n_mounts = 6};
	struct rt_mount_plan *a = mp_build(&cfg), *b = mp_build(&cfg);

	cr_assert_eq(a->n_ops, b->n_ops);
	for (size_t i = 0; i < a->n_ops; i++) {
		cr_assert_eq(a->ops[i].kind, b->ops[i].kind);
		cr_assert_eq(a->ops[i].flags, b->ops[i].flags);
		cr_assert_eq(a->ops[i].dest, b->ops[i].dest, "borrowed from the config");
		cr_assert(a->ops[i].data != b->ops[i].data || !a->ops[i].data, "data is owned");
		if (a->ops[i].data)
			cr_assert_str_eq(a->ops[i].data, b->ops[i].data);
	}
	rt_mount_plan_free(a);
	rt_mount_plan_free(b);
	rt_mount_plan_free(NULL);
}
