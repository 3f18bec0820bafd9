/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink.c -- rtnetlink through libmnl: bring lo up in the current network
 * namespace with one socket, one request and one ack, allocating nothing. */
#include "security.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* The kernel registers loopback first in every network namespace, so its
 * index is always 1 (LOOPBACK_IFINDEX); no name lookup needed. */
#define NETLINK_LO_IFINDEX 1

int rt_netlink_lo_up(struct slx_err *err)
{
	/* A plain socket rather than mnl_socket_open(), which mallocs: this
	 * runs in the container's child. libmnl builds and parses. */
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	char buf[8192] __attribute__((aligned(8))); /* MNL_SOCKET_BUFFER_SIZE is a VLA */
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	const unsigned int seq = 1;
	ssize_t n;

	if (fd < 0)
		return slx_error(err, errno, "bring up lo: netlink socket");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = NETLINK_LO_IFINDEX;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return slx_error(err, errno, "bring up lo: send RTM_NEWLINK");
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return slx_error(err, errno, "bring up lo: receive the ack");
	/* portid 0: the socket was auto-bound, accept the kernel's reply to it.
	 * An NLMSG_ERROR with a non-zero code comes back as -1 with errno. */
	if (mnl_cb_run(buf, (size_t)n, seq, 0, NULL, NULL) < 0)
		return slx_error(err, errno, "bring up lo");
	return 0;
}
