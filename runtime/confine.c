/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confine.c -- what confines a container process (capabilities, seccomp,
 * LSM label), prepared in the parent, and the order in which the child gives
 * up privilege, shared by a container's init and by exec. */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "internal.h"

/* (uid_t)-1 is no id: setresuid(-1, ...) and setresgid leave the ids as
 * they are, so the process stayed root with its capabilities. */
static int user_check(const struct oci_user *u, struct slx_err *err)
{
	if (u->uid == (uint32_t)-1)
		return slx_error(err, EINVAL, "process.user.uid: %u is not a user id", u->uid);
	if (u->gid == (uint32_t)-1)
		return slx_error(err, EINVAL, "process.user.gid: %u is not a group id", u->gid);
	for (size_t i = 0; i < u->n_additional_gids; i++)
		if (u->additional_gids[i] == (uint32_t)-1)
			return slx_error(err, EINVAL,
					 "process.user.additionalGids[%zu]: %u is not a group id",
					 i, u->additional_gids[i]);
	return 0;
}

int rt_confine_prepare(const struct oci_process *p, const struct oci_config *cfg,
		       struct rt_confine *out, struct slx_err *err)
{
	memset(out, 0, sizeof(*out));
	out->lsm.fd = -1;
	if (user_check(&p->user, err) < 0 || rt_caps_prepare(&p->caps, &out->caps, err) < 0 ||
	    rt_lsm_prepare(p, cfg->linux_.mount_label, &out->lsm, err) < 0)
		return -1;
	return rt_seccomp_prepare(&cfg->linux_.seccomp, &out->seccomp, err);
}

void rt_confine_release(struct rt_confine *c)
{
	if (!c->seccomp_borrowed)
		rt_seccomp_free(c->seccomp);
	c->seccomp_borrowed = false;
	c->seccomp = NULL;
}

/* Loading a filter needs no_new_privs or CAP_SYS_ADMIN.  With
 * noNewPrivileges the filter is loaded last, just before execve, so it sees
 * the fewest of our own syscalls.  Without it, the process would have no
 * CAP_SYS_ADMIN left by then, so the filter goes in first, while the process
 * still has its privileges (runc's order): the syscalls that drop them must
 * then be allowed by the profile, as every container default profile does. */
int rt_process_confine(const struct oci_process *p, const struct rt_confine *c, struct slx_err *err)
{
	if (rt_lsm_apply(&c->lsm, err) < 0)
		return -1;
	if (!p->no_new_privileges && rt_seccomp_load(c->seccomp, err) < 0)
		return -1;
	if (rt_caps_apply_bounding(&c->caps, err) < 0 || rt_process_user(p, err) < 0 ||
	    rt_caps_apply(&c->caps, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return slx_error(err, errno, "process.noNewPrivileges");
	return 0;
}

int rt_process_seccomp_last(const struct oci_process *p, const struct rt_confine *c,
			    struct slx_err *err)
{
	return p->no_new_privileges ? rt_seccomp_load(c->seccomp, err) : 0;
}
