/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync.c -- the parent/child start-up protocol: typed messages over a
 * SOCK_SEQPACKET pair, errors shipped back as (errno, stage, message). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static const char *const stage_names[] = {
    [RT_STAGE_PREPARE] = "prepare",
    [RT_STAGE_CLONE] = "clone",
    [RT_STAGE_NAMESPACES] = "namespaces",
    [RT_STAGE_ROOTFS] = "rootfs",
    [RT_STAGE_HOOK_PRESTART] = "prestart hook",
    [RT_STAGE_HOOK_CREATE_RUNTIME] = "createRuntime hook",
    [RT_STAGE_HOOK_CREATE_CONTAINER] = "createContainer hook",
    [RT_STAGE_PIVOT] = "pivot_root",
    [RT_STAGE_PROCESS] = "process setup",
    [RT_STAGE_HOOK_START_CONTAINER] = "startContainer hook",
    [RT_STAGE_EXEC] = "exec",
};

const char *rt_stage_name(enum rt_stage s)
{
	if ((size_t)s < sizeof(stage_names) / sizeof(stage_names[0]))
		return stage_names[s];
	return "unknown stage";
}

int rt_sync_send(int fd, enum rt_sync_type type, int errnum, int stage, const char *payload,
		 size_t len)
{
	struct rt_sync_hdr hdr = {
	    .type = type, .errnum = errnum, .stage = stage, .len = (uint32_t)len};
	struct iovec iov[2] = {
	    {.iov_base = &hdr, .iov_len = sizeof(hdr)},
	    {.iov_base = (void *)payload, .iov_len = len},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	if (len > RT_SYNC_MAX)
		return -1;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int rt_sync_recv(int fd, struct rt_sync_hdr *hdr, char **payload, struct slx_err *err)
{
	static char buf[sizeof(struct rt_sync_hdr) + RT_SYNC_MAX + 1];
	ssize_t n;

	if (payload)
		*payload = NULL;
	memset(hdr, 0, sizeof(*hdr)); /* type 0 and errnum 0 after: the end */
	do
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return slx_error(err, errno, "read from the container process");
	if (n == 0)
		return slx_error(err, 0, "the container process exited during start-up");
	if ((size_t)n < sizeof(*hdr))
		return slx_error(err, EPROTO, "short message from the container process");
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len != (size_t)n - sizeof(*hdr))
		return slx_error(err, EPROTO, "bad message from the container process");
	if (payload && hdr->len) {
		*payload = malloc(hdr->len + 1);
		if (!*payload)
			return slx_error(err, ENOMEM, "sync message");
		memcpy(*payload, buf + sizeof(*hdr), hdr->len);
		(*payload)[hdr->len] = '\0';
	}
	return 0;
}

void rt_sync_fail(int fd, enum rt_stage stage, const struct slx_err *err)
{
	(void)rt_sync_send(fd, RT_SYNC_ERROR, err->errnum, stage, err->msg,
			   strnlen(err->msg, sizeof(err->msg)));
	_exit(1);
}
