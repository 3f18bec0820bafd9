/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_unix_listener.c -- the shim's unix listener made in a directory an
 * attacker may write: its mode and group reach only the socket, and the
 * socket is never seen at its path with any other mode or group. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/http.h"

#define UL_GID	 65534u /* nogroup: the group the listener is given */
#define UL_TRIES 400

struct ul_dirs {
	char dir[64];	 /* 0777, not sticky: the attacker may rename in it */
	char sock[96];	 /* dir/sock */
	char victim[96]; /* a root-only file elsewhere */
	char vdir[64];
};

static void ul_setup(struct ul_dirs *u)
{
	int fd;

	snprintf(u->dir, sizeof(u->dir), "/tmp/slxtest-ul-XXXXXX");
	snprintf(u->vdir, sizeof(u->vdir), "/tmp/slxtest-ulv-XXXXXX");
	cr_assert(mkdtemp(u->dir) && mkdtemp(u->vdir));
	cr_assert_eq(chmod(u->dir, 0777), 0);
	cr_assert_eq(chmod(u->vdir, 0755), 0);
	snprintf(u->sock, sizeof(u->sock), "%s/sock", u->dir);
	snprintf(u->victim, sizeof(u->victim), "%s/shadow", u->vdir);
	fd = open(u->victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void ul_teardown(const struct ul_dirs *u)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", u->dir, u->vdir);
	cr_assert_eq(system(cmd), 0);
}

/* Wait for "sock" to appear in dir (created or renamed there) and call
 * act(u) at once; until killed.  Runs as nobody when drop is set. */
static void ul_watch(const struct ul_dirs *u, bool drop, void (*act)(const struct ul_dirs *, int),
		     int out)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int in;

	if (drop && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0))
		_exit(2);
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, u->dir, IN_CREATE | IN_MOVED_TO) < 0)
		_exit(3);
	if (write(out, "r", 1) != 1)
		_exit(4);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		for (char *p = buf; n > 0 && p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->len && !strcmp(e->name, "sock"))
				act(u, out);
			p += sizeof(*e) + e->len;
		}
	}
}

static pid_t ul_spawn(const struct ul_dirs *u, bool drop, void (*act)(const struct ul_dirs *, int),
		      int *out)
{
	int p[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		ul_watch(u, drop, act, p[1]);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "the watcher did not start");
	*out = p[0];
	return pid;
}

static void ul_stop(pid_t pid, int fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

static int ul_bind(const char *spec, struct slx_err *err)
{
	struct http_addr a;

	cr_assert_eq(http_addr_parse(spec, &a, err), 0, "%s", err->msg);
	return http_addr_bind(&a, err);
}

/* The attacker, as nobody: the moment the socket shows at its path, swap
 * the path for a symlink to the victim. */
static void ul_swap(const struct ul_dirs *u, int out)
{
	char tmp[128];

	(void)out;
	snprintf(tmp, sizeof(tmp), "%s/l.%d", u->dir, (int)getpid());
	if (symlink(u->victim, tmp) == 0 && rename(tmp, u->sock) < 0)
		(void)unlink(tmp);
}

/* The attack on "set the mode and group by path after bind": a local user
 * who may write the socket's directory swaps the path for a symlink
 * between bind and chmod/chown, and root hands the victim file (here a
 * stand-in for /etc/shadow) the listener's mode 0666 and group. */
Test(unix_listener, a_path_swapped_after_bind_never_gets_the_sockets_mode_or_group)
{
	char spec[160];
	struct ul_dirs u;
	struct stat st;
	struct slx_err err;
	int out, done = 0;
	pid_t pid;

	ul_setup(&u);
	snprintf(spec, sizeof(spec), "unix:%s,mode=0666,group=%u", u.sock, UL_GID);
	pid = ul_spawn(&u, true, ul_swap, &out);
	for (int i = 0; i < UL_TRIES; i++) {
		int fd;

		(void)unlink(u.sock);
		fd = ul_bind(spec, &err);
		if (fd >= 0)
			close(fd);
		cr_assert_eq(lstat(u.victim, &st), 0);
		if ((st.st_mode & 07777) != 0600 || st.st_gid != 0)
			break;
		done++;
	}
	ul_stop(pid, out);
	cr_expect_eq(done, UL_TRIES,
		     "after %d binds the victim is %04o, group %u: chmod/chown followed the "
		     "attacker's symlink",
		     done, st.st_mode & 07777, (unsigned)st.st_gid);
	ul_teardown(&u);
}

/* The observer: what the path shows the moment it appears. */
static void ul_look(const struct ul_dirs *u, int out)
{
	struct stat st;
	unsigned seen[2] = {0, 0};

	if (lstat(u->sock, &st) == 0) {
		seen[0] = st.st_mode;
		seen[1] = st.st_gid;
	}
	if (write(out, seen, sizeof(seen)) != sizeof(seen))
		_exit(5);
}

/* No window: the socket is never seen at its path before it has its mode
 * and group (nor, then, wider than asked), nor before it listens. */
Test(unix_listener, the_socket_appears_at_its_path_finished)
{
	char spec[160];
	struct ul_dirs u;
	struct slx_err err;
	int out, unfinished = 0;
	unsigned seen[2], first[2] = {0, 0};
	pid_t pid;

	ul_setup(&u);
	snprintf(spec, sizeof(spec), "unix:%s,mode=0660,group=%u", u.sock, UL_GID);
	pid = ul_spawn(&u, false, ul_look, &out);
	for (int i = 0; i < 40; i++) {
		int fd;

		(void)unlink(u.sock);
		fd = ul_bind(spec, &err);
		cr_assert_geq(fd, 0, "%s", err.msg);
		cr_assert_eq(read(out, seen, sizeof(seen)), (ssize_t)sizeof(seen));
		close(fd);
		if (!S_ISSOCK(seen[0]) || (seen[0] & 07777) != 0660 || seen[1] != UL_GID) {
			if (!unfinished++)
				memcpy(first, seen, sizeof(first));
		}
	}
	ul_stop(pid, out);
	cr_expect_eq(unfinished, 0,
		     "%d of 40 sockets were seen at their path unfinished (first: mode %o, "
		     "group %u)",
		     unfinished, first[0], first[1]);
	ul_teardown(&u);
}

/* The path's directory is all the attacker holds: nothing else of the
 * bind is left there, on success or on a refusal. */
Test(unix_listener, nothing_but_the_socket_is_left_in_its_directory)
{
	char spec[160], cmd[200];
	struct ul_dirs u;
	struct slx_err err;
	int fd;
	FILE *ls;
	char line[256];
	int entries = 0;

	ul_setup(&u);
	snprintf(spec, sizeof(spec), "unix:%s,mode=0660,group=no-such-group-here", u.sock);
	cr_assert_lt(ul_bind(spec, &err), 0);
	cr_expect(strstr(err.msg, "no-such-group-here"), "%s", err.msg);
	snprintf(spec, sizeof(spec), "unix:%s", u.sock);
	fd = ul_bind(spec, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", u.dir);
	ls = popen(cmd, "r");
	cr_assert(ls);
	while (fgets(line, sizeof(line), ls)) {
		entries++;
		cr_expect_str_eq(line, "sock\n");
	}
	pclose(ls);
	cr_expect_eq(entries, 1);
	/* A second listener on a live one is refused, leaving it be. */
	cr_assert_lt(ul_bind(spec, &err), 0);
	cr_expect(strstr(err.msg, "a server answers there"), "%s", err.msg);
	close(fd);
	ul_teardown(&u);
}
