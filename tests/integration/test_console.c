/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_console.c -- process.terminal with --console-socket: the pty master
 * arrives over SCM_RIGHTS (runc's protocol) and carries the container's tty. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/harness.h"

static int recv_master(int conn, char *name, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = name, .iov_len = len - 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(conn, &msg, 0);
	int fd = -1;

	if (n <= 0)
		return -1;
	name[n] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The console socket's other end: write "<name>\n<everything read>" to out. */
static void console_receiver(int lsock, const char *out)
{
	char name[256], buf[4096];
	int conn, master;
	FILE *f = fopen(out, "w");
	ssize_t n;

	alarm(20);
	conn = accept(lsock, NULL, NULL);
	master = conn >= 0 ? recv_master(conn, name, sizeof(name)) : -1;
	if (master < 0 || !f)
		_exit(1);
	fprintf(f, "%s\n", name);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	_exit(0);
}

Test(console, pty_master_arrives_over_the_console_socket)
{
	struct bundle b;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct cmd_result r;
	char out[400];
	int lsock, status;
	pid_t rx;

	/* As uid 1000: its terminal is its own to reopen (it stayed root's),
	 * and it is /dev/console too (there was none), as with runc. */
	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"tty; echo hi-from-tty; echo via-console > /dev/console; "
		    "echo via-tty > $(tty)\"]",
		    ",\"terminal\":true", NULL, NULL);
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}",
			      "\"user\":{\"uid\":1000,\"gid\":1000}");
	cr_assert(snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/console.sock", b.dir) <
		  (int)sizeof(addr.sun_path));
	snprintf(out, sizeof(out), "%s/console.out", b.dir);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(lsock >= 0 && bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
		  listen(lsock, 1) == 0);
	rx = fork();
	if (rx == 0)
		console_receiver(lsock, out);
	close(lsock);
	cmd_run(&r, NULL, 30,
		"%s --root %s create --console-socket %s -b %s tty1 && "
		"%s --root %s start tty1",
		slxrun_bin(), b.root, addr.sun_path, b.dir, slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	waitpid(rx, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "receiver failed");
	cmd_run(&r, NULL, 10, "cat %s", out);
	cr_assert(strstr(r.out, "/dev/pts/0"), "%s", r.out);
	cr_assert(strstr(r.out, "hi-from-tty"), "%s", r.out);
	cr_expect(strstr(r.out, "via-console"), "%s", r.out);
	cr_expect(strstr(r.out, "via-tty"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "tty1");
	bundle_remove(&b);
}

Test(console, terminal_without_console_socket_is_refused_when_detached)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", ",\"terminal\":true", NULL, NULL);
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s tty2", slxrun_bin(), b.root, b.dir);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "--console-socket is required"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}
