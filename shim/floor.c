/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor.c -- the function sandbox's floor applied to a bundle's config:
 * each rule fills what the bundle leaves out and refuses, naming the field,
 * what would loosen it.  Pure apart from compiling the seccomp filters. */
#include "floor.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../cgroups/cgroups.h"
#include "../runtime/runtime.h"

#define UNSAFE_HINT SHIM_FLOOR_UNSAFE_HINT

static const enum oci_ns_type floor_ns[] = {
    OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_MOUNT, OCI_NS_CGROUP, OCI_NS_USER,
};
static const char *const ns_names[] = {
    [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_IPC] = "ipc",
    [OCI_NS_UTS] = "uts",   [OCI_NS_MOUNT] = "mount",	  [OCI_NS_CGROUP] = "cgroup",
    [OCI_NS_USER] = "user", [OCI_NS_TIME] = "time",
};

/* Docker's default capability set: the most a bundle may name. */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	       "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",	       "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",	   "CAP_AUDIT_WRITE",
};
/* The agent's: switch to the function's user, clear the sandbox between
 * invocations (kill -1). */
static const char *const agent_caps[] = {"CAP_SETUID", "CAP_SETGID", "CAP_KILL"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void strv_release(struct oci_strv *v)
{
	for (size_t i = 0; v->v && i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int strv_set(struct oci_strv *v, const char *const *src, size_t n)
{
	char **p = calloc(n + 1, sizeof(*p));

	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(p[i] = strdup(src[i]))) {
			struct oci_strv tmp = {p, i};

			strv_release(&tmp);
			return -1;
		}
	strv_release(v);
	v->v = p;
	v->n = n;
	return 0;
}

static bool floor_makes(enum oci_ns_type t)
{
	for (size_t i = 0; i < N(floor_ns); i++)
		if (floor_ns[i] == t)
			return true;
	return false;
}

/* No namespace is joined by path, whatever its type: the floor's own are
 * made fresh, and one it does not make (time) stays the host's. */
static int floor_namespaces(struct oci_linux *l, struct slx_err *err)
{
	bool have[OCI_NS_COUNT] = {0};
	size_t n = l->n_namespaces;
	struct oci_namespace *v;

	for (size_t i = 0; i < n; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		const char *name = (size_t)ns->type < N(ns_names) && ns_names[ns->type]
				       ? ns_names[ns->type]
				       : "other";

		if (ns->path && *ns->path)
			return slx_error(
			    err, 0,
			    floor_makes(ns->type)
				? "linux.namespaces[%zu].path: a function sandbox gets "
				  "its own %s namespace, not %s" UNSAFE_HINT
				: "linux.namespaces[%zu].path: a function sandbox joins "
				  "no %s namespace by path, not %s" UNSAFE_HINT,
			    i, name, ns->path);
		if ((size_t)ns->type < N(have))
			have[ns->type] = true;
	}
	if (!(v = realloc(l->namespaces, (n + N(floor_ns)) * sizeof(*v))))
		return slx_error(err, ENOMEM, "linux.namespaces");
	l->namespaces = v;
	for (size_t i = 0; i < N(floor_ns); i++)
		if (!have[floor_ns[i]])
			v[l->n_namespaces++] = (struct oci_namespace){.type = floor_ns[i]};
	return 0;
}

static int floor_ids(struct oci_linux *l, const struct shim_floor_opts *o, struct slx_err *err)
{
	uint32_t base = o->id_base ? o->id_base : SHIM_FLOOR_ID_BASE;
	uint32_t count = o->id_count ? o->id_count : SHIM_FLOOR_ID_COUNT;

	if (l->n_uid_mappings || l->n_gid_mappings)
		return slx_error(err, 0,
				 "linux.%s: a function sandbox's ids are the shim's "
				 "(--sandbox-ids), not the bundle's" UNSAFE_HINT,
				 l->n_uid_mappings ? "uidMappings" : "gidMappings");
	l->uid_mappings = calloc(1, sizeof(*l->uid_mappings));
	l->gid_mappings = calloc(1, sizeof(*l->gid_mappings));
	if (!l->uid_mappings || !l->gid_mappings)
		return slx_error(err, ENOMEM, "linux.uidMappings");
	*l->uid_mappings = *l->gid_mappings =
	    (struct oci_id_mapping){.container_id = 0, .host_id = base, .size = count};
	l->n_uid_mappings = l->n_gid_mappings = 1;
	return 0;
}

static bool is_default_cap(const char *name)
{
	for (size_t i = 0; i < N(default_caps); i++)
		if (!strcmp(name, default_caps[i]))
			return true;
	return false;
}

/* The bundle's user becomes the function's; the agent takes root inside. */
static int floor_identity(struct oci_process *p, const struct shim_floor_opts *o,
			  struct shim_floor *f, struct slx_err *err)
{
	uint32_t count = o->id_count ? o->id_count : SHIM_FLOOR_ID_COUNT;
	const struct oci_strv *sets[] = {&p->caps.bounding, &p->caps.effective,
					 &p->caps.inheritable, &p->caps.permitted,
					 &p->caps.ambient};
	static const char *const set_names[] = {"bounding", "effective", "inheritable", "permitted",
						"ambient"};

	for (size_t s = 0; s < N(sets); s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (!is_default_cap(sets[s]->v[i]))
				return slx_error(err, 0,
						 "process.capabilities.%s[%zu]: %s is beyond a "
						 "function sandbox's default set" UNSAFE_HINT,
						 set_names[s], i, sets[s]->v[i]);
	/* Root's user or group means the floor's, as Lambda's sbx_user1051:
	 * gid 0 is also what a bundle or an image's `USER 1000` that names no
	 * group says, so it is replaced rather than refused. */
	f->uid = p->user.uid ? p->user.uid : SHIM_FLOOR_UID;
	f->gid = p->user.uid && p->user.gid ? p->user.gid : SHIM_FLOOR_GID;
	if (f->uid >= count || f->gid >= count)
		return slx_error(err, 0,
				 "process.user: %" PRIu32 ":%" PRIu32
				 " is outside the sandbox's %" PRIu32 " ids",
				 f->uid, f->gid, count);
	for (size_t i = 0; i < p->user.n_additional_gids; i++)
		if (!p->user.additional_gids[i] || p->user.additional_gids[i] >= count)
			return slx_error(err, 0,
					 "process.user.additionalGids[%zu]: %" PRIu32
					 " is root's group or outside the sandbox's ids",
					 i, p->user.additional_gids[i]);
	f->gids = p->user.additional_gids;
	f->n_gids = p->user.n_additional_gids;
	p->user.additional_gids = NULL;
	p->user.n_additional_gids = 0;
	p->user.uid = p->user.gid = 0;
	p->no_new_privileges = true;
	p->caps.present = true;
	if (strv_set(&p->caps.bounding, agent_caps, N(agent_caps)) < 0 ||
	    strv_set(&p->caps.effective, agent_caps, N(agent_caps)) < 0 ||
	    strv_set(&p->caps.permitted, agent_caps, N(agent_caps)) < 0 ||
	    strv_set(&p->caps.inheritable, NULL, 0) < 0 || strv_set(&p->caps.ambient, NULL, 0) < 0)
		return slx_error(err, ENOMEM, "process.capabilities");
	return 0;
}

/* "/dev/null, /dev/zero, ..." for messages. */
static const char *default_device_names(char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rt_n_default_devices && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
				      rt_default_devices[i].path);
	return buf;
}

/* linux.devices binds the host's node of that path (a user namespace may
 * not mknod) and the device filter allows what it names: only the default
 * nodes, exactly as they are, which the sandbox gets anyway. */
static int floor_devices(const struct oci_linux *l, struct slx_err *err)
{
	char names[128];

	for (size_t i = 0; i < l->n_devices; i++) {
		const struct oci_device *d = &l->devices[i];
		bool known = false;

		for (size_t k = 0; k < rt_n_default_devices && !known; k++)
			known = d->path && !strcmp(d->path, rt_default_devices[k].path) &&
				(d->type == 'c' || d->type == 'u') &&
				d->major == rt_default_devices[k].major &&
				d->minor == rt_default_devices[k].minor;
		if (!known)
			return slx_error(
			    err, 0,
			    "linux.devices[%zu]: %s (%c %" PRId64 ":%" PRId64
			    ") is not one of a function sandbox's devices (%s)" UNSAFE_HINT,
			    i, d->path ? d->path : "no path", d->type ? d->type : '?', d->major,
			    d->minor, default_device_names(names, sizeof(names)));
	}
	return 0;
}

static unsigned access_bits(const char *access)
{
	unsigned m = 0;

	if (!access)
		return 7;
	for (; *access; access++)
		m |= *access == 'r' ? 1 : *access == 'w' ? 2 : *access == 'm' ? 4 : 0;
	return m;
}

/* Whether the default rules, which the filter always appends after the
 * bundle's (the last match wins), already allow every access r allows. */
static bool default_rules_allow(const struct oci_device_cgroup *r)
{
	unsigned want = access_bits(r->access);

	for (size_t i = 0; i < cg_n_default_device_rules; i++) {
		const struct oci_device_cgroup *d = &cg_default_device_rules[i];

		if (d->allow && d->type == r->type && (d->major < 0 || d->major == r->major) &&
		    (d->minor < 0 || d->minor == r->minor))
			want &= ~access_bits(d->access);
	}
	return !want;
}

static const char *dev_number(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		return "*";
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/* An allow rule beyond the defaults would open a host node bound in (a
 * read-only bind still opens a device for writing) or shipped in a layer;
 * deny rules only take away. */
static int floor_device_rules(const struct oci_resources *res, struct slx_err *err)
{
	char major[24], minor[24];

	for (size_t i = 0; i < res->n_devices; i++) {
		const struct oci_device_cgroup *r = &res->devices[i];

		if (!r->allow || default_rules_allow(r))
			continue;
		return slx_error(
		    err, 0,
		    "linux.resources.devices[%zu]: allows %c %s:%s %s, beyond a "
		    "function sandbox's devices (null, zero, full, random, urandom, "
		    "tty, ptmx, pts)" UNSAFE_HINT,
		    i, r->type ? r->type : 'a', dev_number(r->major, major, sizeof(major)),
		    dev_number(r->minor, minor, sizeof(minor)), r->access ? r->access : "rwm");
	}
	return 0;
}

/* Whether a bind mount with these options ends read-only (options apply in
 * order: the last of ro and rw wins).  rbind carries every mount below the
 * source, which only rro makes read-only too, and an rrw (applied after the
 * bind, as recursive attributes are) made even a plain bind's "ro" writable:
 * the floor adds rro, last, to every read-only bind, so the whole tree is
 * read-only whatever came before. */
static int bind_read_only(struct oci_strv *o, bool *ro)
{
	*ro = false;
	for (size_t i = 0; i < o->n; i++)
		*ro = !strcmp(o->v[i], "ro") ? true : !strcmp(o->v[i], "rw") ? false : *ro;
	if (*ro)
		return floor_strv_add(o, "rro");
	return 0;
}

/* One option word's size= in MB (rounded up) into *mb; -1 (err) for
 * one not a plain size, a percentage of the host's memory, nr_blocks, or
 * nr_inodes=0 (inodes without end) are refused rather than weighed. */
static int tmpfs_word(const char *v, size_t len, size_t i, int64_t *mb, struct slx_err *err)
{
	unsigned long long n;
	char *end;
	int shift = 0;

	if (len >= 10 && !strncmp(v, "nr_blocks=", 10))
		return slx_error(err, 0, "mounts[%zu]: give a tmpfs's size as size=", i);
	if (len >= 10 && !strncmp(v, "nr_inodes=", 10) && strtoull(v + 10, NULL, 10) == 0)
		return slx_error(err, 0, "mounts[%zu]: a tmpfs takes no nr_inodes=0 (no limit)", i);
	if (len < 5 || strncmp(v, "size=", 5))
		return 0;
	errno = 0;
	n = strtoull(v + 5, &end, 10);
	switch (end < v + len ? *end : '\0') {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (errno || end == v + 5 || end != v + len || n > (1ULL << 50) >> shift)
		return slx_error(
		    err, 0,
		    "mounts[%zu]: a tmpfs's size must be a number of bytes, k, m or g, "
		    "not %.*s",
		    i, (int)(len - 5), v + 5);
	*mb = (int64_t)(((n << shift) + (1 << 20) - 1) >> 20);
	return 0;
}

/* A tmpfs's options' size in MB, the last size= of them all as the kernel
 * reads them (each option word split at its commas: "mode=1777,size=4g"
 * is two, and was let through as none), 0 when they name none. */
static int64_t tmpfs_size_mb(const struct oci_strv *o, size_t i, struct slx_err *err)
{
	int64_t mb = 0;

	for (size_t k = 0; k < o->n; k++)
		for (const char *v = o->v[k];;) {
			size_t len = strcspn(v, ",");

			if (tmpfs_word(v, len, i, &mb, err) < 0)
				return -1;
			if (!v[len])
				break;
			v += len + 1;
		}
	return mb;
}

/* Each tmpfs of the bundle (/tmp aside: the floor's replaces it) holds at
 * most the ephemeral storage, and all of them together too; one without a
 * size gets what the sized ones leave, shared out.  Only /tmp was held:
 * any other kept its own size, or none (half the host's memory), and
 * where no memory controller charges its pages they were no process's for
 * the OOM killer to take (an attacker's review: 2 GB in a /dev/shm of
 * 11.8 G).  A ramfs has no size at all. */
static int floor_tmpfs_sizes(struct oci_config *cfg, uint32_t tmp_mb, struct slx_err *err)
{
	int64_t sized = 0, unsized = 0, size;
	char opt[32];

	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->n_mounts; i++) {
			struct oci_mount *m = &cfg->mounts[i];

			if (m->destination && !strcmp(m->destination, "/tmp"))
				continue;
			if (m->type && !strcmp(m->type, "ramfs"))
				return slx_error(
				    err, 0,
				    "mounts[%zu]: a ramfs has no size limit; a function "
				    "sandbox takes a tmpfs" SHIM_FLOOR_UNSAFE_HINT,
				    i);
			if (!m->type || strcmp(m->type, "tmpfs"))
				continue;
			if ((size = tmpfs_size_mb(&m->options, i, err)) < 0)
				return -1;
			if (pass == 0) {
				if (size > tmp_mb)
					return slx_error(
					    err, 0,
					    "mounts[%zu]: a tmpfs may hold at most the "
					    "ephemeral storage, %" PRIu32 " MB, not %" PRId64
					    " MB" SHIM_FLOOR_UNSAFE_HINT,
					    i, tmp_mb, size);
				sized += size;
				unsized += !size;
				continue;
			}
			if (size)
				continue;
			snprintf(opt, sizeof(opt), "size=%" PRId64 "m",
				 ((int64_t)tmp_mb - sized) / unsized);
			if (floor_strv_add(&m->options, opt) < 0)
				return slx_error(err, ENOMEM, "mounts[%zu]", i);
		}
		if (pass == 0 &&
		    (sized > tmp_mb || (unsized && ((int64_t)tmp_mb - sized) / unsized < 1)))
			return slx_error(err, 0,
					 "the bundle's tmpfs mounts together may hold at most the "
					 "ephemeral storage, %" PRIu32 " MB" SHIM_FLOOR_UNSAFE_HINT,
					 tmp_mb);
	}
	return 0;
}

/* The shared root never written (floor_root.c), read-only binds, no host
 * hooks; the floor's /tmp replaces any the bundle mounts. */
static int floor_filesystem(struct oci_config *cfg, const char *bundle, const char *skeleton,
			    uint32_t tmp_mb, struct slx_err *err)
{
	char size[32];
	struct oci_mount *m;
	size_t k = 0;

	if (cfg->hooks.prestart.n || cfg->hooks.create_runtime.n || cfg->hooks.create_container.n ||
	    cfg->hooks.start_container.n || cfg->hooks.poststart.n || cfg->hooks.poststop.n)
		return slx_error(
		    err, 0,
		    "hooks: a function sandbox runs no hooks (they run on the host)" UNSAFE_HINT);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		m = &cfg->mounts[i];
		bool bind = floor_mount_is_bind(m);

		/* A /tmp of the bundle's is replaced by the floor's below: the
		 * word is enough there; anywhere else the mount must end read-only. */
		bool is_tmp = m->destination && !strcmp(m->destination, "/tmp"), ro = false;

		/* An idmapped bind maps host owners to the bundle's choice of
		 * sandbox ids (a root-only host file to the function's own). */
		if (m->n_uid_mappings || m->n_gid_mappings ||
		    floor_has_option(&m->options, "idmap") ||
		    floor_has_option(&m->options, "ridmap"))
			return slx_error(err, 0,
					 "mounts[%zu]: a function sandbox's mounts take no "
					 "uidMappings or idmap (the floor maps the shared root "
					 "itself)" UNSAFE_HINT,
					 i);
		if (bind && !is_tmp && bind_read_only(&m->options, &ro) < 0)
			return slx_error(err, ENOMEM, "mounts[%zu]", i);
		if (bind && !(is_tmp ? floor_has_option(&m->options, "ro") : ro))
			return slx_error(err, 0,
					 "mounts[%zu]: a bind mount into a function sandbox must "
					 "be read-only (add \"ro\")" UNSAFE_HINT,
					 i);
	}
	if (floor_tmpfs_sizes(cfg, tmp_mb, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		m = &cfg->mounts[i];
		if (m->destination && !strcmp(m->destination, "/tmp")) {
			free(m->destination);
			free(m->type);
			free(m->source);
			strv_release(&m->options);
			continue;
		}
		cfg->mounts[k++] = *m;
	}
	cfg->n_mounts = k;
	if (shim_floor_root(cfg, bundle, skeleton, tmp_mb, err) < 0)
		return -1;
	if (!(m = realloc(cfg->mounts, (cfg->n_mounts + 1) * sizeof(*m))))
		return slx_error(err, ENOMEM, "mounts");
	cfg->mounts = m;
	snprintf(size, sizeof(size), "size=%" PRIu32 "m", tmp_mb);
	m = &cfg->mounts[cfg->n_mounts];
	*m = (struct oci_mount){
	    .destination = strdup("/tmp"), .type = strdup("tmpfs"), .source = strdup("tmpfs")};
	if (!m->destination || !m->type || !m->source ||
	    strv_set(&m->options, (const char *const[]){"nosuid", "nodev", "mode=1777", size}, 4) <
		0) {
		free(m->destination);
		free(m->type);
		free(m->source);
		return slx_error(err, ENOMEM, "mounts");
	}
	cfg->n_mounts++;
	return 0;
}

static int unified_add(struct oci_kvv *u, const char *key, const char *value)
{
	struct oci_kv *v;

	for (size_t i = 0; i < u->n; i++)
		if (!strcmp(u->v[i].key, key))
			return 0; /* the bundle's own value stays */
	if (!(v = realloc(u->v, (u->n + 1) * sizeof(*v))))
		return -1;
	u->v = v;
	v[u->n] = (struct oci_kv){.key = strdup(key), .value = strdup(value)};
	if (!v[u->n].key || !v[u->n].value) {
		free(v[u->n].key);
		free(v[u->n].value);
		return -1;
	}
	u->n++;
	return 0;
}

/* A whole number in [0, max]. */
static bool number_at_most(const char *v, uint64_t max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	return !errno && end != v && !*end && v[0] != '-' && n <= max;
}

/* The bundle's unified keys are written after the typed limits, so they
 * would win: only what tightens the floor is taken.  cpu.max (a quota) and
 * memory.high (throttling below memory.max) only take away; cpu.weight at or
 * below the floor's. */
static int floor_unified(const struct oci_kvv *u, uint64_t weight, int64_t bytes,
			 struct slx_err *err)
{
	for (size_t i = 0; i < u->n; i++) {
		const char *k = u->v[i].key, *v = u->v[i].value ? u->v[i].value : "";

		if (!strcmp(k, "cpu.max") ||
		    (!strcmp(k, "cpu.weight") && number_at_most(v, weight)) ||
		    (!strcmp(k, "memory.high") && number_at_most(v, (uint64_t)bytes)))
			continue;
		return slx_error(err, 0,
				 "linux.resources.unified[\"%s\"]: a function sandbox's limits "
				 "come from org.slxrun.function.memory; only cpu.weight, cpu.max "
				 "and memory.high at or below the floor's may be set" UNSAFE_HINT,
				 k);
	}
	return 0;
}

static int strv_union(struct oci_strv *v, const char *const *add)
{
	for (size_t i = 0; add[i]; i++)
		if (!floor_has_option(v, add[i]) && floor_strv_add(v, add[i]) < 0)
			return -1;
	return 0;
}

/* runc's masked and read-only /proc and /sys paths whatever the bundle
 * lists (an empty list showed /proc/keys, the keys of the keyring the
 * sandbox inherits, and /proc/timer_list); and each devpts at most
 * SHIM_FLOOR_PTYS ptys: the host's instances beyond its own share one
 * pool of kernel.pty.max less pty.reserve (3,072), which one sandbox
 * opening /dev/ptmx in a loop took whole. */
static int floor_proc_paths(struct oci_config *cfg, struct slx_err *err)
{
	if (strv_union(&cfg->linux_.masked_paths, oci_default_masked_paths) < 0 ||
	    strv_union(&cfg->linux_.readonly_paths, oci_default_readonly_paths) < 0)
		return slx_error(err, ENOMEM, "linux.maskedPaths");
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		unsigned long n = SHIM_FLOOR_PTYS;
		char max[32];

		if (!m->type || strcmp(m->type, "devpts"))
			continue;
		/* the kernel takes the last max=; the bundle's may be tighter */
		for (size_t k = 0; k < m->options.n; k++)
			if (!strncmp(m->options.v[k], "max=", 4) && m->options.v[k][4] != '-' &&
			    strtoul(m->options.v[k] + 4, NULL, 10) - 1 < n)
				n = strtoul(m->options.v[k] + 4, NULL, 10); /* max=0: no cap */
		snprintf(max, sizeof(max), "max=%lu", n);
		if (floor_strv_add(&m->options, max) < 0)
			return slx_error(err, ENOMEM, "mounts[%zu]", i);
	}
	return 0;
}

static uint32_t floor_pids(const struct shim_floor_opts *o)
{
	return o->pids ? o->pids : SHIM_FLOOR_PIDS;
}

static uint64_t proc_sys_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	if (f && fscanf(f, "%llu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

int shim_floor_pids_share(uint64_t n, uint32_t *pids, struct slx_err *err)
{
	uint64_t pid_max = proc_sys_u64("/proc/sys/kernel/pid_max");
	uint64_t threads = proc_sys_u64("/proc/sys/kernel/threads-max");
	uint64_t host = threads && threads < pid_max ? threads : pid_max, each;

	*pids = SHIM_FLOOR_PIDS;
	if (!host || !n || (each = host / 2 / n) >= SHIM_FLOOR_PIDS)
		return 0;
	if (each < 16)
		return slx_error(err, 0,
				 "%" PRIu64 " sandboxes would have under 16 processes each of half "
				 "this host's %" PRIu64
				 " (kernel.pid_max, kernel.threads-max): lower "
				 "--max",
				 n, host);
	*pids = (uint32_t)each;
	fprintf(stderr,
		"slxrun shim: %" PRIu64 " sandboxes of %d processes would pass half this host's "
		"%" PRIu64 ": each may hold %" PRIu32 "\n",
		n, SHIM_FLOOR_PIDS, host, *pids);
	return 0;
}

/* memory.max and no swap from the memory size, pids.max, cpu.weight in
 * proportion to memory (100, a default cgroup's, at 128 MB).  A limit the
 * host's cgroup v2 cannot hold is left out and reported in f->missing. */
static int floor_limits(struct oci_resources *r, uint32_t mb, const struct shim_floor_opts *o,
			struct shim_floor *f, struct slx_err *err)
{
	unsigned have = o->controllers ? *o->controllers : cg_available_controllers();
	int64_t bytes = (int64_t)mb << 20;
	uint64_t floor_weight = mb * 100 / 128 ? mb * 100 / 128 : 1;
	char weight[16];

	if (floor_unified(&r->unified, floor_weight, bytes, err) < 0)
		return -1;
	if (r->cpu.shares.set && cg_cpu_shares_to_weight(r->cpu.shares.v) > floor_weight)
		return slx_error(err, 0,
				 "linux.resources.cpu.shares: %" PRIu64
				 " is above a function sandbox's weight (%" PRIu64 " at %" PRIu32
				 " MB)" UNSAFE_HINT,
				 r->cpu.shares.v, floor_weight, mb);

	if (r->memory.limit.set && r->memory.limit.v > bytes)
		return slx_error(err, 0,
				 "linux.resources.memory.limit: %" PRId64
				 " is above org.slxrun.function.memory (%" PRIu32
				 " MB)" UNSAFE_HINT,
				 r->memory.limit.v, mb);
	if (r->pids.limit.set && (r->pids.limit.v <= 0 || r->pids.limit.v > floor_pids(o)))
		return slx_error(err, 0,
				 "linux.resources.pids.limit: %" PRId64
				 " is above a function sandbox's %" PRIu32 UNSAFE_HINT,
				 r->pids.limit.v, floor_pids(o));
	f->missing = (CG_CTRL_MEMORY | CG_CTRL_PIDS | CG_CTRL_CPU) & ~have;
	if (have & CG_CTRL_MEMORY) {
		r->present = r->memory.present = true;
		if (!r->memory.limit.set)
			r->memory.limit = (struct oci_opt_i64){true, bytes};
		r->memory.swap = r->memory.limit;
	}
	if (have & CG_CTRL_PIDS) {
		r->present = r->pids.present = true;
		if (!r->pids.limit.set)
			r->pids.limit = (struct oci_opt_i64){true, floor_pids(o)};
	}
	if ((have & CG_CTRL_CPU) && !r->cpu.shares.set) {
		snprintf(weight, sizeof(weight), "%" PRIu64, floor_weight);
		r->present = true;
		if (unified_add(&r->unified, "cpu.weight", weight) < 0)
			return slx_error(err, ENOMEM, "linux.resources");
	}
	return 0;
}

static int rlimit_add(struct oci_process *p, const char *name, int resource, uint64_t v_soft,
		      uint64_t v_hard, struct slx_err *err)
{
	struct oci_rlimit *v;
	char *type;

	if (!(type = strdup(name)) || !(v = realloc(p->rlimits, (p->n_rlimits + 1) * sizeof(*v)))) {
		free(type);
		return slx_error(err, ENOMEM, "process.rlimits");
	}
	p->rlimits = v;
	v[p->n_rlimits++] =
	    (struct oci_rlimit){.type = type, .resource = resource, .soft = v_soft, .hard = v_hard};
	return 0;
}

/* At most SHIM_FLOOR_PIDS processes of a user in the sandbox, as Lambda's
 * `ulimit -u`.  RLIMIT_NPROC counts each user's processes in the sandbox's
 * own user namespace, so it holds per sandbox, and where the host has no
 * pids controller (pids.max left out) it is what holds a fork bomb at all.
 * The bundle may ask for less.  Open files, when the bundle says nothing,
 * are Lambda's 1,024 (or the host's hard limit, if lower), not whatever the
 * shim runs with: `shim serve` raises its own soft limit to the hard one. */
static int floor_rlimits(struct oci_process *p, uint32_t pids, struct slx_err *err)
{
	struct rlimit host;
	uint64_t files = SHIM_FLOOR_FILES;
	bool has_files = false;

	for (size_t i = 0; i < p->n_rlimits; i++) /* once each at most: the parser refuses twice */
		has_files |= p->rlimits[i].resource == RLIMIT_NOFILE;
	if (!has_files && getrlimit(RLIMIT_NOFILE, &host) == 0 && host.rlim_max < files)
		files = host.rlim_max;
	if (!has_files && rlimit_add(p, "RLIMIT_NOFILE", RLIMIT_NOFILE, files, files, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (p->rlimits[i].resource == RLIMIT_NPROC) {
			if (p->rlimits[i].soft <= pids && p->rlimits[i].hard <= pids)
				return 0;
			return slx_error(err, 0,
					 "process.rlimits[%zu]: RLIMIT_NPROC %" PRIu64 "/%" PRIu64
					 " is above a function sandbox's %" PRIu32 UNSAFE_HINT,
					 i, p->rlimits[i].soft, p->rlimits[i].hard, pids);
		}
	return rlimit_add(p, "RLIMIT_NPROC", RLIMIT_NPROC, pids, pids, err);
}

/* The default profile on the agent (inherited by every function process),
 * compiled at build time (with --share-memory the one that lets a process
 * make itself mergeable, floor_share.c); the bundle's own stacked on the
 * function, where it can only take away. */
static int floor_seccomp(struct oci_seccomp *s, bool share, struct shim_floor *f,
			 struct slx_err *err)
{
	if (s->present && rt_seccomp_prepare(s, &f->bundle_seccomp, err) < 0)
		return -1;
	s->present = false;
	if (share)
		return rt_seccomp_from_bpf(shim_seccomp_share_bpf, shim_seccomp_share_bpf_len,
					   shim_seccomp_share_bpf_flags, &f->seccomp, err);
	return rt_seccomp_from_bpf(shim_seccomp_default_bpf, shim_seccomp_default_bpf_len,
				   shim_seccomp_default_bpf_flags, &f->seccomp, err);
}

int shim_floor_apply(struct oci_config *cfg, const struct shim_floor_opts *o, const char *bundle,
		     const char *skeleton, uint32_t memory_mb, uint32_t tmp_mb,
		     struct shim_floor *f, struct slx_err *err)
{
	memset(f, 0, sizeof(*f));
	f->share_exec_fd = -1;
	f->memory_mb = memory_mb;
	f->tmp_mb = tmp_mb;
	if (o->unsafe)
		return 0;
	f->on = true;
	cfg->has_linux = true;
	if (floor_namespaces(&cfg->linux_, err) < 0 || floor_devices(&cfg->linux_, err) < 0 ||
	    floor_device_rules(&cfg->linux_.resources, err) < 0 ||
	    floor_ids(&cfg->linux_, o, err) < 0 || floor_identity(&cfg->process, o, f, err) < 0 ||
	    floor_filesystem(cfg, bundle, skeleton, tmp_mb, err) < 0 ||
	    floor_proc_paths(cfg, err) < 0 ||
	    floor_limits(&cfg->linux_.resources, memory_mb, o, f, err) < 0 ||
	    floor_rlimits(&cfg->process, floor_pids(o), err) < 0 ||
	    floor_seccomp(&cfg->linux_.seccomp, o->share_memory, f, err) < 0) {
		shim_floor_release(f);
		return -1;
	}
	return 0;
}

void shim_floor_release(struct shim_floor *f)
{
	free(f->gids);
	for (size_t i = 0; i < f->n_views; i++)
		free(f->views[i]);
	free(f->views);
	f->views = NULL;
	f->n_views = 0;
	rt_seccomp_free(f->seccomp);
	rt_seccomp_free(f->bundle_seccomp);
	f->gids = NULL;
	f->n_gids = 0;
	f->seccomp = f->bundle_seccomp = NULL;
}

int shim_floor_parse_mb(const char *key, const char *s, uint32_t lo, uint32_t *out,
			struct slx_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s < '0' || *s > '9' || *end || errno || v < lo || v > 10240)
		return slx_error(err, 0,
				 "%s: \"%s\" is not a whole number of MB from %" PRIu32 " to 10240",
				 key, s, lo);
	*out = (uint32_t)v;
	return 0;
}

int shim_floor_parse_ids(const char *s, struct shim_floor_opts *o, struct slx_err *err)
{
	unsigned long long base, count;
	char *end;

	/* strtoull takes "-1" as its largest value: digits only, and each
	 * bound checked before the sum, which must not wrap: the range, the
	 * owners and the function users after it end before (uid_t)-1. */
	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	base = strtoull(s, &end, 10);
	if (*end != ':' || errno || end[1] < '0' || end[1] > '9')
		goto bad;
	count = strtoull(end + 1, &end, 10);
	if (*end || errno || base < 65536 || count < 65536 ||
	    base > UINT32_MAX - 2 * SHIM_FLOOR_OWNERS ||
	    count > UINT32_MAX - 2 * SHIM_FLOOR_OWNERS - base)
		goto bad;
	o->id_base = (uint32_t)base;
	o->id_count = (uint32_t)count;
	return 0;
bad:
	return slx_error(
	    err, 0,
	    "--sandbox-ids: \"%s\" is not BASE:COUNT with BASE and COUNT at least 65536 and "
	    "BASE+COUNT+%u (the sandboxes' owners and users after the range) below 2^32",
	    s, 2 * SHIM_FLOOR_OWNERS);
}

void shim_floor_missing_names(unsigned missing, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", missing & CG_CTRL_MEMORY ? "memory" : "",
		 (missing & CG_CTRL_MEMORY) && (missing & (CG_CTRL_PIDS | CG_CTRL_CPU)) ? ", " : "",
		 missing & CG_CTRL_PIDS ? "pids" : "",
		 (missing & CG_CTRL_PIDS) && (missing & CG_CTRL_CPU) ? ", " : "",
		 missing & CG_CTRL_CPU ? "cpu" : "");
}

void shim_floor_report(const struct shim_floor *f)
{
	char names[32];

	if (!f->on) {
		fprintf(stderr, "slxrun shim: warning: --unsafe-sandbox: sandboxes get only what "
				"the bundle asks for\n");
		return;
	}
	if (!f->missing)
		return;
	shim_floor_missing_names(f->missing, names, sizeof(names));
	fprintf(stderr,
		"slxrun shim: warning: this host's cgroup v2 has no %s controller(s): sandboxes "
		"run without their %s limits (the rest of the floor holds)\n",
		names, names);
}
