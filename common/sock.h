/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sock.h -- unix socket helpers shared by the runtime and the shim: one
 * message with descriptors (SCM_RIGHTS) and its sender (SCM_CREDENTIALS),
 * and whether a peer has hung up. */
#ifndef SLX_SOCK_H
#define SLX_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SLX_FDS_MAX 8 /* descriptors one message carries at most */

/* Send buf (len bytes) with n descriptors (n <= SLX_FDS_MAX), retrying
 * EINTR, never raising SIGPIPE: 0, or -1 with errno. */
int slx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n);
/* Receive one message into buf and up to max descriptors into fds
 * (close-on-exec; -1 where none came; any beyond max closed), recvmsg's
 * flags added, EINTR retried: recvmsg's count. */
ssize_t slx_recv_fds(int sock, void *buf, size_t len, int flags, int *fds, size_t max);
/* The same, and the sender's pid in our pid namespace as the kernel gave it
 * (SCM_CREDENTIALS: sock has SO_PASSCRED), -1 where none came.  Another
 * process can name only a pid its own pid namespace holds (and only with
 * CAP_SYS_ADMIN there), never one it cannot see. */
ssize_t slx_recv_msg(int sock, void *buf, size_t len, int flags, int *fds, size_t max, pid_t *from);
/* Whether fd's peer has shut its end (unread bytes before the end or not). */
bool slx_peer_gone(int fd);

#endif
