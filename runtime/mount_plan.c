/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mount_plan.c -- config.json to the mount plan: every option parsed once,
 * every field validated, every decision (kind of mount, which destinations
 * must be symlink-free, which /dev nodes) taken here, before clone. */
#include "rootfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common/cleanup.h"
#include "runtime.h"

/* Destinations whose content the kernel, the runtime or the container's
 * tools trust: nothing in the image may redirect them. */
static const char *const special_dests[] = {
    "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
};

/* What runtime-spec calls the default devices: always there on a fresh /dev. */
const struct rt_default_device rt_default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};
const size_t rt_n_default_devices = sizeof(rt_default_devices) / sizeof(rt_default_devices[0]);

struct plan_ctx {
	struct rt_mount_plan *plan;
	size_t cap;
	bool userns, cgroupns;
	const struct oci_linux *linux_; /* the container's maps, for a bare idmap */
};

/* dest equals want, ignoring repeated and trailing slashes. */
static bool path_is(const char *dest, const char *want)
{
	while (*dest && *want) {
		if (*dest == '/' && *want == '/') {
			dest += strspn(dest, "/");
			want++;
			continue;
		}
		if (*dest++ != *want++)
			return false;
	}
	return !*want && !dest[strspn(dest, "/")];
}

static bool dest_special(const char *dest)
{
	for (size_t i = 0; i < sizeof(special_dests) / sizeof(special_dests[0]); i++)
		if (path_is(dest, special_dests[i]))
			return true;
	return false;
}

static struct rt_mount_op *op_add(struct plan_ctx *c, enum rt_mount_op_kind kind, const char *field,
				  size_t index, const char *dest)
{
	struct rt_mount_plan *p = c->plan;
	struct rt_mount_op *op;

	if (p->n_ops == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct rt_mount_op *ops = realloc(p->ops, cap * sizeof(*ops));
		if (!ops)
			return NULL;
		p->ops = ops;
		c->cap = cap;
	}
	op = &p->ops[p->n_ops++];
	*op = (struct rt_mount_op){.kind = kind, .field = field, .index = index, .dest = dest};
	return op;
}

static bool ns_present(const struct oci_config *cfg, enum oci_ns_type t)
{
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == t)
			return true;
	return false;
}

static enum rt_mount_op_kind fs_kind(const char *type, bool copyup, bool cgroupns)
{
	if (copyup)
		return RT_MOP_TMPFS_COPYUP;
	if (!strcmp(type, "proc"))
		return RT_MOP_PROC;
	if (!strcmp(type, "sysfs"))
		return RT_MOP_SYSFS;
	/* slxrun drives cgroup v2 only: "cgroup" is cgroup2 too.  Without a
	 * cgroup namespace a cgroup2 mount would show the host's whole tree. */
	if (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2"))
		return cgroupns ? RT_MOP_CGROUP2 : RT_MOP_CGROUP_BIND;
	return RT_MOP_FS;
}

static int plan_fs(struct plan_ctx *c, const struct oci_mount *m, size_t i, struct rt_mount_opts *o,
		   struct slx_err *err)
{
	struct rt_mount_op *op;
	enum rt_mount_op_kind kind;

	if (o->idmap || m->n_uid_mappings || m->n_gid_mappings)
		return slx_error(err, 0,
				 "mounts[%zu]: uidMappings, gidMappings, idmap and ridmap apply to "
				 "bind mounts only",
				 i);
	if (!m->type || !strcmp(m->type, "none"))
		return slx_error(err, 0, "mounts[%zu].type: missing (only bind mounts may omit it)",
				 i);
	if (o->tmpcopyup && strcmp(m->type, "tmpfs") != 0)
		return slx_error(err, 0, "mounts[%zu].options: tmpcopyup needs type tmpfs, not %s",
				 i, m->type);
	kind = fs_kind(m->type, o->tmpcopyup, c->cgroupns);
	op = op_add(c, kind, "mounts", i, m->destination);
	if (!op)
		return slx_error(err, ENOMEM, "mounts[%zu]", i);
	op->fstype = kind == RT_MOP_CGROUP2 ? "cgroup2" : m->type;
	op->source = m->source ? m->source : op->fstype;
	op->flags = o->flags & ~(unsigned long)(MS_BIND | MS_REC);
	op->rec_attr_set = o->rec_attr_set;
	op->rec_attr_clr = o->rec_attr_clr;
	op->propagation = o->propagation;
	op->strict = kind != RT_MOP_FS || dest_special(m->destination) ||
		     !strcmp(m->type, "devpts") || !strcmp(m->type, "mqueue");
	if (kind == RT_MOP_TMPFS_COPYUP && (op->flags & MS_RDONLY)) {
		/* Mounted writable for the copy, read-only after it. */
		op->flags &= ~(unsigned long)MS_RDONLY;
		op->attr_set = MOUNT_ATTR_RDONLY;
	}
	if (kind == RT_MOP_CGROUP_BIND) {
		/* The container's own cgroup, never writable: its files are the
		 * limits the runtime set. */
		rt_mount_opts_attrs(o, &op->attr_set, &op->attr_clr);
		op->attr_set |=
		    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
		op->attr_clr &= ~op->attr_set;
	}
	/* cgroup v1 data names controllers; cgroup2 would refuse them. */
	if (strcmp(m->type, "cgroup") != 0 && kind != RT_MOP_CGROUP_BIND) {
		op->data = o->data;
		o->data = NULL;
	}
	if (kind == RT_MOP_SYSFS)
		op->node.bind_host = c->userns;
	return 0;
}

/* runtime-spec 1.1: a bind with uidMappings/gidMappings, or the idmap or
 * ridmap option (the container's own maps when the mount names none), is
 * idmapped; only a container with a user namespace has ids to map to. */
static int plan_idmap(struct plan_ctx *c, const struct oci_mount *m, size_t i,
		      const struct rt_mount_opts *o, struct rt_mount_op *op, struct slx_err *err)
{
	const struct oci_linux *l = c->linux_;

	if (!o->idmap && !m->n_uid_mappings && !m->n_gid_mappings)
		return 0;
	if (!c->userns)
		return slx_error(err, 0,
				 "mounts[%zu]: an idmapped mount needs a user namespace "
				 "(linux.namespaces)",
				 i);
	if (!m->n_uid_mappings != !m->n_gid_mappings)
		return slx_error(err, 0, "mounts[%zu]: uidMappings and gidMappings go together", i);
	op->idmap = true;
	op->idmap_recursive = o->ridmap;
	op->uid_map = m->n_uid_mappings ? m->uid_mappings : l->uid_mappings;
	op->n_uid_map = m->n_uid_mappings ? m->n_uid_mappings : l->n_uid_mappings;
	op->gid_map = m->n_gid_mappings ? m->gid_mappings : l->gid_mappings;
	op->n_gid_map = m->n_gid_mappings ? m->n_gid_mappings : l->n_gid_mappings;
	if (!op->n_uid_map || !op->n_gid_map)
		return slx_error(
		    err, 0,
		    "mounts[%zu]: idmap without uidMappings takes the container's, and "
		    "linux.uidMappings and gidMappings name none",
		    i);
	return 0;
}

static int plan_bind(struct plan_ctx *c, const struct oci_mount *m, size_t i,
		     const struct rt_mount_opts *o, struct slx_err *err)
{
	struct rt_mount_op *op;

	if (!m->source)
		return slx_error(err, 0, "mounts[%zu].source: a bind mount needs a source", i);
	op = op_add(c, RT_MOP_BIND, "mounts", i, m->destination);
	if (!op)
		return slx_error(err, ENOMEM, "mounts[%zu]", i);
	op->source = m->source;
	op->recursive = o->rbind;
	rt_mount_opts_attrs(o, &op->attr_set, &op->attr_clr);
	op->rec_attr_set = o->rec_attr_set;
	op->rec_attr_clr = o->rec_attr_clr;
	op->propagation = o->propagation;
	op->strict = dest_special(m->destination);
	return plan_idmap(c, m, i, o, op, err);
}

static int plan_mount(struct plan_ctx *c, const struct oci_mount *m, size_t i, struct slx_err *err)
{
	__attribute__((cleanup(rt_mount_opts_release))) struct rt_mount_opts o = {0};

	if (!m->destination || m->destination[0] != '/')
		return slx_error(err, 0,
				 "mounts[%zu].destination: must be an absolute path, got %s", i,
				 m->destination ? m->destination : "nothing");
	if (rt_mount_opts_parse(&m->options, i, &o, err) < 0)
		return -1;
	if (rt_mount_is_bind(m, &o))
		return plan_bind(c, m, i, &o, err);
	return plan_fs(c, m, i, &o, err);
}

/* --- /dev ------------------------------------------------------------ */

static bool config_has_device(const struct oci_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->linux_.n_devices; i++)
		if (cfg->linux_.devices[i].path && !strcmp(cfg->linux_.devices[i].path, path))
			return true;
	return false;
}

/* Whether every component of path is a name: none empty, "." or "..".  A
 * device's path is also where the host's node is bound from in a user
 * namespace, so "/dev/../etc/shadow" would bind the host's file. */
static bool path_plain(const char *path)
{
	for (const char *c = path + 1;; c++) {
		size_t n = strcspn(c, "/");

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (!*c)
			return true;
	}
}

static mode_t device_ifmt(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default: /* 'c' and 'u' (unbuffered) are both character devices */
		return S_IFCHR;
	}
}

static int validate_device(const struct oci_device *d, size_t i, struct slx_err *err)
{
	if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || !d->path[5] || !path_plain(d->path))
		return slx_error(err, 0,
				 "linux.devices[%zu].path: must be an absolute path under /dev "
				 "without empty, . or .. parts, got %s",
				 i, d->path ? d->path : "nothing");
	if (!d->type || !strchr("cbup", d->type))
		return slx_error(err, 0, "linux.devices[%zu].type: must be one of c, b, u, p", i);
	if (d->type != 'p' && (d->major < 0 || d->minor < 0))
		return slx_error(err, 0, "linux.devices[%zu]: %s needs major and minor numbers", i,
				 d->path);
	/* The node's own type bits may come with it (podman's 020666, Go's
	 * os.FileMode as st_mode); no others. */
	if (d->file_mode.set && (d->file_mode.v & ~(uint64_t)07777) &&
	    (d->file_mode.v & ~(uint64_t)07777) != device_ifmt(d->type))
		return slx_error(err, 0,
				 "linux.devices[%zu].fileMode: %#llo is not a permission mode of a "
				 "type %c node",
				 i, (unsigned long long)d->file_mode.v, d->type);
	return 0;
}

static int plan_config_device(struct plan_ctx *c, const struct oci_device *d, size_t i,
			      struct slx_err *err)
{
	struct rt_mount_op *op;

	if (validate_device(d, i, err) < 0)
		return -1;
	op = op_add(c, RT_MOP_DEVICE, "linux.devices", i, d->path);
	if (!op)
		return slx_error(err, ENOMEM, "linux.devices[%zu]", i);
	op->node = (struct rt_dev_node){
	    .mode =
		device_ifmt(d->type) | (d->file_mode.set ? (mode_t)(d->file_mode.v & 07777) : 0666),
	    .rdev = d->type == 'p' ? 0 : makedev(d->major, d->minor),
	    .uid = d->uid.set ? (uid_t)d->uid.v : 0,
	    .gid = d->gid.set ? (gid_t)d->gid.v : 0,
	    .chown = (d->uid.set && d->uid.v) || (d->gid.set && d->gid.v),
	    .bind_host = c->userns,
	};
	return 0;
}

static int plan_default_devices(struct plan_ctx *c, const struct oci_config *cfg,
				struct slx_err *err)
{
	for (size_t i = 0; i < rt_n_default_devices; i++) {
		struct rt_mount_op *op;

		if (config_has_device(cfg, rt_default_devices[i].path))
			continue;
		op = op_add(c, RT_MOP_DEVICE, "default device", i, rt_default_devices[i].path);
		if (!op)
			return slx_error(err, ENOMEM, "default devices");
		op->node = (struct rt_dev_node){
		    .mode = S_IFCHR | 0666,
		    .rdev = makedev(rt_default_devices[i].major, rt_default_devices[i].minor),
		    .bind_host = c->userns,
		};
	}
	if (!op_add(c, RT_MOP_DEV_LINKS, "default device links", 0, "/dev"))
		return slx_error(err, ENOMEM, "default devices");
	return 0;
}

/* A fresh filesystem on /dev gets the default nodes, and so does the
 * image's own /dev when nothing is mounted there, as runc makes them (a
 * masked file is masked by the container's /dev/null); a /dev bound from
 * elsewhere is someone else's directory: never mknod into it. */
static int plan_devices(struct plan_ctx *c, const struct oci_config *cfg, struct slx_err *err)
{
	enum { DEV_IMAGE, DEV_NEW, DEV_BIND } dev = DEV_IMAGE;

	for (size_t i = 0; i < c->plan->n_ops; i++)
		if (c->plan->ops[i].kind <= RT_MOP_CGROUP2 && path_is(c->plan->ops[i].dest, "/dev"))
			dev = c->plan->ops[i].kind == RT_MOP_BIND ? DEV_BIND : DEV_NEW;
	if (dev == DEV_BIND)
		return 0;
	if (plan_default_devices(c, cfg, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->linux_.n_devices; i++)
		if (plan_config_device(c, &cfg->linux_.devices[i], i, err) < 0)
			return -1;
	return 0;
}

/* --- after pivot_root ------------------------------------------------ */

static int plan_paths(struct plan_ctx *c, const struct oci_strv *v, const char *field,
		      enum rt_mount_op_kind kind, struct slx_err *err)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->v[i][0] != '/')
			return slx_error(err, 0, "%s[%zu]: must be an absolute path, got %s", field,
					 i, v->v[i]);
		if (!op_add(c, kind, field, i, v->v[i]))
			return slx_error(err, ENOMEM, "%s[%zu]", field, i);
	}
	return 0;
}

static int plan_fill(struct plan_ctx *c, const struct oci_config *cfg, struct slx_err *err)
{
	const struct oci_linux *l = &cfg->linux_;

	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (plan_mount(c, &cfg->mounts[i], i, err) < 0)
			return -1;
	if (plan_devices(c, cfg, err) < 0)
		return -1;
	if (!op_add(c, RT_MOP_PIVOT, "root", 0, "/"))
		return slx_error(err, ENOMEM, "root");
	if (plan_paths(c, &l->masked_paths, "linux.maskedPaths", RT_MOP_MASK, err) < 0 ||
	    plan_paths(c, &l->readonly_paths, "linux.readonlyPaths", RT_MOP_READONLY, err) < 0)
		return -1;
	if (l->rootfs_propagation && *l->rootfs_propagation &&
	    rt_mount_propagation_parse(l->rootfs_propagation, &c->plan->root_propagation) < 0)
		return slx_error(err, 0, "linux.rootfsPropagation: unknown mode %s",
				 l->rootfs_propagation);
	c->plan->root_readonly = cfg->root.readonly;
	return 0;
}

int rt_mount_plan_build(const struct oci_config *cfg, struct rt_mount_plan **out,
			struct slx_err *err)
{
	struct plan_ctx c = {
	    .plan = calloc(1, sizeof(struct rt_mount_plan)),
	    .userns = ns_present(cfg, OCI_NS_USER),
	    .cgroupns = ns_present(cfg, OCI_NS_CGROUP),
	    .linux_ = &cfg->linux_,
	};

	*out = NULL;
	if (!c.plan)
		return slx_error(err, ENOMEM, "mount plan");
	if (plan_fill(&c, cfg, err) < 0) {
		rt_mount_plan_free(c.plan);
		return -1;
	}
	*out = c.plan;
	return 0;
}

void rt_mount_plan_free(struct rt_mount_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n_ops; i++)
		free(plan->ops[i].data);
	free(plan->ops);
	free(plan);
}

const char *rt_mount_op_kind_name(enum rt_mount_op_kind kind)
{
	static const char *const names[] = {
	    [RT_MOP_BIND] = "bind",
	    [RT_MOP_FS] = "fs",
	    [RT_MOP_TMPFS_COPYUP] = "tmpfs-copyup",
	    [RT_MOP_PROC] = "proc",
	    [RT_MOP_SYSFS] = "sysfs",
	    [RT_MOP_CGROUP_BIND] = "cgroup-bind",
	    [RT_MOP_CGROUP2] = "cgroup2",
	    [RT_MOP_DEVICE] = "device",
	    [RT_MOP_DEV_LINKS] = "dev-links",
	    [RT_MOP_PIVOT] = "pivot",
	    [RT_MOP_MASK] = "mask",
	    [RT_MOP_READONLY] = "readonly",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
