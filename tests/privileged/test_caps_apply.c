/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_caps_apply.c -- capabilities applied for real in forked children: the
 * bounding set cut, every set and the ambient rules as runc has them. */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>

#include "common/cleanup.h"
#include "runtime/internal.h"
#include "runtime/security.h"
#include "tests/privileged/priv.h"

/* One "CapXxx:" mask from /proc/self/status. */
static uint64_t sec_status_mask(const char *field)
{
	cleanup_file FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			return strtoull(line + len + 1, NULL, 16);
	return UINT64_MAX;
}

static int sec_child_drop_bounding(void)
{
	struct oci_capabilities c = {
	    .present = true,
	    .bounding = PRIV_STRV("CAP_CHOWN", "CAP_KILL", "CAP_SETPCAP"),
	};
	uint64_t before = sec_status_mask("CapBnd");
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply_bounding(&caps, &err) < 0)
		return 2;
	if (sec_status_mask("CapBnd") != (before & caps.bounding))
		return 3;
	/* A dropped capability must really be gone from the bounding set. */
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		return 4;
	return 0;
}

Test(rt_caps, bounding_set_is_cut_to_the_list)
{
	cr_assert_neq(sec_status_mask("CapBnd") & PRIV_BIT(CAP_SYS_ADMIN), 0,
		      "test needs CAP_SYS_ADMIN in the bounding set");
	priv_assert_child_ok(sec_child_drop_bounding);
}

static int sec_child_set_caps(void)
{
	struct oci_capabilities c = {
	    .present = true,
	    .bounding = PRIV_STRV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
	    .effective = PRIV_STRV("CAP_CHOWN", "CAP_KILL"),
	    .permitted = PRIV_STRV("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
	    .inheritable = PRIV_STRV("CAP_KILL", "CAP_NET_BIND_SERVICE"),
	    .ambient = PRIV_STRV("CAP_NET_BIND_SERVICE"),
	};
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply(&caps, &err) < 0)
		return 2;
	if (sec_status_mask("CapEff") != caps.effective)
		return 3;
	if (sec_status_mask("CapPrm") != caps.permitted)
		return 4;
	if (sec_status_mask("CapInh") != caps.inheritable)
		return 5;
	if (sec_status_mask("CapAmb") != PRIV_BIT(CAP_NET_BIND_SERVICE))
		return 6;
	return 0;
}

Test(rt_caps, sets_and_ambient_are_applied)
{
	priv_assert_child_ok(sec_child_set_caps);
}

static int sec_child_ambient_not_inheritable(void)
{
	struct oci_capabilities c = {
	    .present = true,
	    .effective = PRIV_STRV("CAP_CHOWN"),
	    .permitted = PRIV_STRV("CAP_CHOWN"),
	    .ambient = PRIV_STRV("CAP_CHOWN"),
	};
	struct rt_caps caps;
	struct slx_err err;

	if (rt_caps_prepare(&c, &caps, &err) < 0)
		return 1;
	if (rt_caps_apply(&caps, &err) != 0)
		return 2;
	/* Applied, but CAP_CHOWN could not become ambient. */
	if (sec_status_mask("CapAmb") != 0 || sec_status_mask("CapEff") != PRIV_BIT(CAP_CHOWN))
		return 3;
	return 0;
}

Test(rt_caps, ambient_outside_inheritable_is_left_out_as_runc_does)
{
	priv_assert_child_ok(sec_child_ambient_not_inheritable);
}

/* A user namespace whose setgroups is "deny" (one mapped by itself, as a
 * rootless one is) keeps the groups it has: additionalGids there were
 * dropped in silence; they are refused by name now, as runc refuses them.
 * Without any, the switch goes on (runc's way too). */
static int self_mapped_userns(void)
{
	static const char *const files[] = {"/proc/self/setgroups", "/proc/self/uid_map",
					    "/proc/self/gid_map"};
	static const char *const text[] = {"deny", "0 0 1", "0 0 1"};

	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		cleanup_file FILE *f = fopen(files[i], "we");

		if (!f || fputs(text[i], f) < 0 || fflush(f) != 0)
			return -1;
	}
	return 0;
}

static int sec_child_groups_where_setgroups_is_denied(void)
{
	struct oci_process asked = {
	    .user = {.n_additional_gids = 1, .additional_gids = (uint32_t[]){0}}};
	struct oci_process none = {0};
	struct slx_err err = {0};

	if (self_mapped_userns() < 0)
		return 1;
	if (rt_process_user(&asked, &err) == 0 || !strstr(err.msg, "additionalGids"))
		return 2;
	if (rt_process_user(&none, &err) < 0)
		return 3;
	return 0;
}

Test(caps_apply, additional_gids_where_setgroups_is_denied_are_refused)
{
	priv_assert_child_ok(sec_child_groups_where_setgroups_is_denied);
}
