/* SPDX-License-Identifier: GPL-2.0-or-later */
/* console.c -- process.terminal: a pty whose master goes to the caller's
 * console socket over SCM_RIGHTS (runc's protocol), the slave becomes stdio. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "../common/sock.h"
#include "../common/syscalls.h"
#include "internal.h"

int rt_console_socket_connect(const char *path, int *fd, struct slx_err *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int s = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return slx_error(err, ENAMETOOLONG, "--console-socket %s", path);
	strcpy(addr.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return slx_error(err, errno, "--console-socket: socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return slx_error(err, errno, "--console-socket: connect %s", path);
	*fd = steal_fd(s);
	return 0;
}

/* runtime-spec: a container with a terminal finds it at /dev/console too,
 * the pty bound there (made as an empty file when /dev lacks it; an image's
 * node is covered, never opened). */
static int mount_console(int slave, const char *name, struct slx_err *err)
{
	cleanup_close int fd = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int tree = -1;

	if (fd < 0 && errno == ENOENT)
		fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (fd < 0)
		return slx_error(err, errno, "process.terminal: make /dev/console");
	/* the pty itself, by its descriptor: no path of the container's (its
	 * /proc, its /dev/pts) decides what is bound */
	tree = open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0 ||
	    move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return slx_error(err, errno, "process.terminal: bind %s on /dev/console", name);
	return 0;
}

static int console_setup(int sock, const struct oci_process *p, bool dev_console,
			 struct slx_err *err)
{
	cleanup_close int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cleanup_close int slave = -1;
	char name[128];

	if (master < 0)
		return slx_error(err, errno, "process.terminal: open /dev/ptmx");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)))
		return slx_error(err, errno, "process.terminal: unlockpt");
	/* From the master, never by its name in the container's /dev/pts,
	 * and the process's user's to reopen (runc gives it too). */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return slx_error(err, errno, "process.terminal: open %s", name);
	if (fchown(slave, p->user.uid, (gid_t)-1) < 0 && errno != EPERM && errno != EINVAL)
		return slx_error(err, errno, "process.terminal: give %s to uid %u", name,
				 p->user.uid);
	if (dev_console && mount_console(slave, name, err) < 0)
		return -1;
	if (p->console_height.set || p->console_width.set) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height.v,
				     .ws_col = (unsigned short)p->console_width.v};

		(void)ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (slx_send_fds(sock, name, strlen(name), &master, 1) < 0)
		return slx_error(err, errno, "--console-socket: send the pty master");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return slx_error(err, errno, "process.terminal: set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return slx_error(err, errno, "process.terminal: dup2");
	return 0;
}

int rt_process_session(int sock, const struct oci_process *p, bool dev_console, struct slx_err *err)
{
	if (setsid() < 0)
		return slx_error(err, errno, "setsid");
	if (p->terminal && sock >= 0)
		return console_setup(sock, p, dev_console, err);
	return 0;
}

int rt_console_pair(int *child, int *ours, struct slx_err *err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return slx_error(err, errno, "process.terminal: socketpair");
	*ours = sv[0];
	*child = sv[1];
	return 0;
}

int rt_console_master(int ours)
{
	char name[128];
	int master = -1;

	if (ours < 0 || slx_recv_fds(ours, name, sizeof(name), 0, &master, 1) <= 0)
		return -1;
	return master;
}

void rt_term_begin(struct rt_term *t, int master)
{
	*t = (struct rt_term){.in = -1, .master = master};
	if (master < 0)
		return;
	t->in = STDIN_FILENO;
	/* never blocked on the container: a terminal it does not read must not
	 * stop us forwarding signals or seeing it end */
	(void)fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	/* raw only in the foreground: from a background group tcsetattr stops us */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp() &&
	    tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios raw = t->saved;

		cfmakeraw(&raw);
		t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	rt_term_resize(t);
}

void rt_term_poll(const struct rt_term *t, struct pollfd *in, struct pollfd *master)
{
	*in = (struct pollfd){.fd = t->pend_len ? -1 : t->in, .events = POLLIN};
	*master = (struct pollfd){.fd = t->master,
				  .events = (short)(POLLIN | (t->pend_len ? POLLOUT : 0))};
}

/* What of our stdin the master takes now; the rest waits for POLLOUT. */
static void flush_input(struct rt_term *t)
{
	while (t->pend_len) {
		ssize_t w = write(t->master, t->pend + t->pend_off, t->pend_len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) { /* the container's terminal is gone: drop it */
			t->pend_len = 0;
			return;
		}
		t->pend_off += (size_t)w;
		t->pend_len -= (size_t)w;
	}
	t->pend_off = 0;
}

/* At the end of our stdin nothing more goes in, as with runc: the
 * container's terminal stays open until it ends. */
static void read_input(struct rt_term *t)
{
	ssize_t n = read(t->in, t->pend, sizeof(t->pend));

	if (n > 0) {
		t->pend_len = (size_t)n;
		t->pend_off = 0;
		flush_input(t);
	} else if (!(n < 0 && (errno == EINTR || errno == EAGAIN))) {
		t->in = -1;
	}
}

static void read_output(struct rt_term *t)
{
	char buf[4096];
	ssize_t n = read(t->master, buf, sizeof(buf));

	if (n > 0)
		(void)slx_write_all(STDOUT_FILENO, buf, (size_t)n);
	else if (!(n < 0 && (errno == EINTR || errno == EAGAIN)))
		t->master = -1; /* EIO: every slave is closed */
}

void rt_term_step(struct rt_term *t, short in, short master)
{
	if (in)
		read_input(t);
	if (master & POLLOUT)
		flush_input(t);
	if (master & (POLLIN | POLLHUP | POLLERR))
		read_output(t);
}

void rt_term_resize(const struct rt_term *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(t->master, TIOCSWINSZ, &ws);
}

/* What the container wrote before it ended, then our terminal as it was. */
void rt_term_end(struct rt_term *t)
{
	struct pollfd p = {.fd = t->master, .events = POLLIN};

	while (t->master >= 0 && poll(&p, 1, 100) > 0)
		read_output(t);
	if (t->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}
