/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_netlink.c -- rt_netlink_lo_up in a new network namespace. */
#include <criterion/criterion.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/security.h"
#include "tests/privileged/priv.h"

static int sec_lo_flags(short *flags)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {.ifr_name = "lo"};

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	*flags = ifr.ifr_flags;
	return 0;
}

static int sec_child_lo_up(void)
{
	struct slx_err err;
	short flags;

	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	if (sec_lo_flags(&flags) < 0 || (flags & IFF_UP))
		return 2;
	if (rt_netlink_lo_up(&err) < 0)
		return 3;
	if (sec_lo_flags(&flags) < 0 || !(flags & IFF_UP))
		return 4;
	/* Doing it again is harmless: the runtime may call it on a warm sandbox. */
	if (rt_netlink_lo_up(&err) < 0)
		return 5;
	return 0;
}

Test(rt_netlink, lo_comes_up_in_a_new_netns)
{
	priv_assert_child_ok(sec_child_lo_up);
}
