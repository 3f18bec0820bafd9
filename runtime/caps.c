/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.c -- process.capabilities: names to masks (libcap) in the parent,
 * bounding/capset/ambient syscalls in the child without allocating. */
#include "../common/syscalls.h"
#include "security.h"

#include <errno.h>
#include <linux/capability.h>
#include <stddef.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The five sets, in the order the spec lists them, with where each lives in
 * both structs so one loop converts them all. */
static const struct {
	const char *name;
	size_t names_off; /* struct oci_strv in oci_capabilities */
	size_t mask_off;  /* uint64_t in rt_caps */
} cap_sets[] = {
    {"bounding", offsetof(struct oci_capabilities, bounding), offsetof(struct rt_caps, bounding)},
    {"effective", offsetof(struct oci_capabilities, effective),
     offsetof(struct rt_caps, effective)},
    {"inheritable", offsetof(struct oci_capabilities, inheritable),
     offsetof(struct rt_caps, inheritable)},
    {"permitted", offsetof(struct oci_capabilities, permitted),
     offsetof(struct rt_caps, permitted)},
    {"ambient", offsetof(struct oci_capabilities, ambient), offsetof(struct rt_caps, ambient)},
};

/* Highest capability the running kernel knows.  libcap probes it once when
 * it is loaded, so this is a plain read, safe in the child. */
static int caps_last_cap(void)
{
	int bits = (int)cap_max_bits();

	return bits > 64 ? 63 : bits - 1;
}

/* runc spells capabilities "CAP_" plus upper case; cap_from_name() alone
 * would also take "chown" or "12", which runc rejects. */
static int caps_parse_name(const char *name, cap_value_t *cap)
{
	if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0')
		return -1;
	for (const char *p = name + 4; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	return cap_from_name(name, cap);
}

static int caps_set_from_names(const struct oci_strv *names, const char *set, uint64_t *mask,
			       struct slx_err *err)
{
	int last = caps_last_cap();

	*mask = 0;
	for (size_t i = 0; i < names->n; i++) {
		cap_value_t cap;

		if (caps_parse_name(names->v[i], &cap) < 0)
			return slx_error(err, 0,
					 "process.capabilities.%s[%zu]: unknown capability %s", set,
					 i, names->v[i]);
		/* Known to libcap but not to this kernel: runc drops it quietly. */
		if (cap > last)
			continue;
		*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

int rt_caps_prepare(const struct oci_capabilities *c, struct rt_caps *out, struct slx_err *err)
{
	/* No capabilities object means none at all, as runc does: the
	 * process must not keep the full set the runtime itself runs with. */
	memset(out, 0, sizeof(*out));
	if (!c || !c->present)
		return 0;
	for (size_t i = 0; i < sizeof(cap_sets) / sizeof(cap_sets[0]); i++) {
		const struct oci_strv *names =
		    (const void *)((const char *)c + cap_sets[i].names_off);
		uint64_t *mask = (void *)((char *)out + cap_sets[i].mask_off);

		if (caps_set_from_names(names, cap_sets[i].name, mask, err) < 0)
			return -1;
	}
	return 0;
}

int rt_caps_apply_bounding(const struct rt_caps *c, struct slx_err *err)
{
	int last = caps_last_cap();

	for (int cap = 0; cap <= last; cap++) {
		if (c->bounding & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0L, 0L, 0L) < 0)
			return slx_error(err, errno, "drop capability %d from the bounding set",
					 cap);
	}
	return 0;
}

/* capset(2) directly: cap_init()/cap_set_proc() would malloc in the child. */
static int caps_capset(const struct rt_caps *c, struct slx_err *err)
{
	struct __user_cap_header_struct hdr = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	    .pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (slx_capset(&hdr, data) < 0)
		return slx_error(
		    err, errno,
		    "set capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
		    (unsigned long long)c->effective, (unsigned long long)c->permitted,
		    (unsigned long long)c->inheritable);
	return 0;
}

int rt_caps_apply(const struct rt_caps *c, struct slx_err *err)
{
	int last = caps_last_cap();

	if (caps_capset(c, err) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) < 0)
		return slx_error(err, errno, "clear the ambient capabilities");
	/* Like runc (which only warns), a cap that cannot be ambient because
	 * it is not both permitted and inheritable is left out: runc-spec
	 * configs commonly list ambient caps without inheritable ones. */
	for (int cap = 0; cap <= last; cap++) {
		if (!(c->ambient & (UINT64_C(1) << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0L, 0L) < 0 &&
		    errno != EPERM)
			return slx_error(err, errno,
					 "process.capabilities.ambient: raise capability %d", cap);
	}
	return 0;
}
