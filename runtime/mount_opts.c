/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mount_opts.c -- config mount options to mount(2) / mount_setattr(2)
 * arguments through one table (crun's mount flag table, runc's r* options). */
#include "rootfs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../common/cleanup.h"

enum opt_kind {
	OPT_SET,   /* MS_* flag on */
	OPT_CLEAR, /* MS_* flag off */
	OPT_PROPAGATION,
	OPT_BIND,
	OPT_RBIND,
	OPT_REC_SET,   /* MOUNT_ATTR_* on, recursively */
	OPT_REC_CLEAR, /* MOUNT_ATTR_* off, recursively */
	OPT_REC_ATIME, /* MOUNT_ATTR_<atime>: an enum in the kernel, not a bit */
	OPT_NOOP,
	OPT_COPYUP,
	OPT_IDMAP, /* runtime-spec 1.1's idmap (value 0) and ridmap (1) */
	OPT_UNSUPPORTED,
};

struct opt_entry {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
};

static const struct opt_entry opt_table[] = {
    {"defaults", OPT_NOOP, 0},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"silent", OPT_SET, MS_SILENT},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, MS_BIND},
    {"rbind", OPT_RBIND, MS_BIND | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME},
    {"rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    /* Leaving atime, relatime or strictatime falls back to the kernel's
     * default, relatime. */
    {"ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"tmpcopyup", OPT_COPYUP, 0},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_IDMAP, 1},
};

static const struct opt_entry *opt_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

int rt_mount_propagation_parse(const char *word, unsigned long *out)
{
	const struct opt_entry *e = opt_lookup(word);

	if (!e || e->kind != OPT_PROPAGATION)
		return -1;
	*out = e->value;
	return 0;
}

/* Later options override earlier ones, as with mount(8): "ro,rw" is rw. */
static void opt_apply(struct rt_mount_opts *o, const struct opt_entry *e)
{
	switch (e->kind) {
	case OPT_SET:
	case OPT_BIND:
	case OPT_RBIND:
		o->flags |= e->value;
		o->clear &= ~e->value;
		o->bind |= e->kind == OPT_BIND;
		o->rbind |= e->kind == OPT_RBIND;
		break;
	case OPT_CLEAR:
		o->flags &= ~e->value;
		o->clear |= e->value;
		break;
	case OPT_PROPAGATION:
		o->propagation = e->value;
		break;
	case OPT_REC_SET:
		o->rec_attr_set |= e->value;
		o->rec_attr_clr &= ~e->value;
		break;
	case OPT_REC_CLEAR:
		o->rec_attr_clr |= e->value;
		o->rec_attr_set &= ~e->value;
		break;
	case OPT_REC_ATIME:
		o->rec_attr_set = (o->rec_attr_set & ~MOUNT_ATTR__ATIME) | e->value;
		o->rec_attr_clr |= MOUNT_ATTR__ATIME;
		break;
	case OPT_COPYUP:
		o->tmpcopyup = true;
		break;
	case OPT_IDMAP:
		o->idmap = true;
		o->ridmap |= e->value != 0;
		break;
	case OPT_NOOP:
	case OPT_UNSUPPORTED:
		break;
	}
}

/* Append an option mount(2) passes to the filesystem; the buffer is sized
 * once for the worst case (every option unknown). */
static int data_append(struct rt_mount_opts *o, const struct oci_strv *options, const char *opt)
{
	size_t len;

	if (!o->data) {
		size_t total = 1;
		for (size_t i = 0; i < options->n; i++)
			total += strlen(options->v[i]) + 1;
		o->data = calloc(1, total);
		if (!o->data)
			return -1;
	}
	len = strlen(o->data);
	if (len)
		o->data[len++] = ',';
	strcpy(o->data + len, opt);
	return 0;
}

int rt_mount_opts_parse(const struct oci_strv *options, size_t index, struct rt_mount_opts *out,
			struct slx_err *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; options && i < options->n; i++) {
		const char *opt = options->v[i];
		const struct opt_entry *e;

		if (!opt || !*opt)
			continue;
		e = opt_lookup(opt);
		/* crun's idmap=uids=...;gids=... is no runtime-spec: the maps
		 * go in the mount's uidMappings and gidMappings. */
		if ((e && e->kind == OPT_UNSUPPORTED) || !strncmp(opt, "idmap=", 6) ||
		    !strncmp(opt, "ridmap=", 7)) {
			rt_mount_opts_release(out);
			return slx_error(err, 0, "mounts[%zu].options: %s is not supported", index,
					 opt);
		}
		if (e) {
			opt_apply(out, e);
			continue;
		}
		/* x-* options are for userspace helpers, never the kernel. */
		if (strncmp(opt, "x-", 2) == 0)
			continue;
		if (data_append(out, options, opt) < 0) {
			rt_mount_opts_release(out);
			return slx_error(err, errno, "mounts[%zu].options", index);
		}
	}
	return 0;
}

void rt_mount_opts_release(struct rt_mount_opts *o)
{
	free(o->data);
	o->data = NULL;
}

static const struct {
	unsigned long ms;
	uint64_t attr;
} attr_table[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY},	    {MS_NOSUID, MOUNT_ATTR_NOSUID},
    {MS_NODEV, MOUNT_ATTR_NODEV},	    {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

void rt_mount_opts_attrs(const struct rt_mount_opts *o, uint64_t *set, uint64_t *clr)
{
	const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

	*set = *clr = 0;
	for (size_t i = 0; i < sizeof(attr_table) / sizeof(attr_table[0]); i++) {
		if (o->flags & attr_table[i].ms)
			*set |= attr_table[i].attr;
		if (o->clear & attr_table[i].ms)
			*clr |= attr_table[i].attr;
	}
	/* The atime mode is one value: the kernel wants the whole mask cleared
	 * to change it; naming none keeps the source's. */
	if ((o->flags | o->clear) & atime) {
		*clr |= MOUNT_ATTR__ATIME;
		if (o->flags & MS_NOATIME)
			*set |= MOUNT_ATTR_NOATIME;
		else if (o->flags & MS_STRICTATIME)
			*set |= MOUNT_ATTR_STRICTATIME;
	}
}

bool rt_mount_is_bind(const struct oci_mount *m, const struct rt_mount_opts *o)
{
	return o->bind || o->rbind || (m->type && strcmp(m->type, "bind") == 0);
}
