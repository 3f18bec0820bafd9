/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_spool.c -- shim/spool.c: an Event kept on disk reads back as it was
 * put, with its runs; a file that is no Event is left unread (its header
 * not the one the shim writes, its size, its name, a link). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim/spool.h"

static char spool_t_dir[64];

static void spool_t_setup(void)
{
	snprintf(spool_t_dir, sizeof(spool_t_dir), "/tmp/slxtest-uspool-XXXXXX");
	cr_assert_not_null(mkdtemp(spool_t_dir));
}

static void spool_t_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", spool_t_dir);
	cr_expect_eq(system(cmd), 0);
}

struct spool_t_seen {
	int n;
	struct spool_event ev[4];
	char body[4][64];
};

static int spool_t_take(void *ctx, struct spool_event *ev)
{
	struct spool_t_seen *s = ctx;

	if (s->n == 4 || ev->len >= sizeof(s->body[0]))
		return -1;
	s->ev[s->n] = *ev;
	memcpy(s->body[s->n], ev->body, ev->len);
	s->ev[s->n].body = s->body[s->n];
	s->n++;
	return 0;
}

static void spool_t_file(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "%s", name);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The spool (spool_t_dir/s) and function "fn"'s directory in it. */
static void spool_t_open(int *top, int *fn)
{
	char root[96];
	struct slx_err err = {0};

	snprintf(root, sizeof(root), "%s/s", spool_t_dir);
	cr_assert_eq(spool_open(root, top, &err), 0, "%s", err.msg);
	cr_assert_eq(spool_open_function(*top, "fn", fn, &err), 0, "%s", err.msg);
}

Test(spool, an_event_reads_back_as_put_and_what_is_none_is_left, .init = spool_t_setup,
     .fini = spool_t_teardown)
{
	const char *id = "0a1b2c3d-0000-4000-8000-00000000000a";
	static const char *bad[] = {
	    "slxrun-event 1 0 +0000000000000000001\n",
	    "slxrun-event 1  0 0000000000000000001\n",
	    "slxrun-event 2 0 00000000000000000001\n",
	    "slxrun-event 1 0 0000000000000000001\n\n",
	    "slxrun-event 1 0 00000000000000000001 ",
	    "slxrun-event 1 0 0000000000000000000a\n",
	    "slxrun-event 2 0 00000000000000000001 0000000000000000001\n",
	    "slxrun-event 2 0 00000000000000000001 +0000000000000000001\n",
	};
	char name[64];
	struct spool_t_seen seen = {0};
	struct slx_err err = {0};
	int top, fn;

	spool_t_open(&top, &fn);
	cr_assert_eq(spool_put(fn, id, "{\"a\":1}", 7, 1234567, &err), 0, "%s", err.msg);
	spool_set_runs(fn, id, 2, 99887766);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "0a1b2c3d-0000-4000-8000-0000000001%02zu.event", i);
		spool_t_file(fn, name, bad[i]);
	}
	spool_t_file(fn, "0A1B2C3D-0000-4000-8000-00000000000a.event",
		     "slxrun-event 1 0 00000000000000000001\n");
	cr_assert_eq(symlinkat("0a1b2c3d-0000-4000-8000-00000000000a.event", fn,
			       "0a1b2c3d-0000-4000-8000-00000000000b.event"),
		     0);
	cr_assert_eq(spool_each(fn, "fn", spool_t_take, &seen), 1);
	cr_assert_eq(seen.n, 1);
	cr_expect_str_eq(seen.ev[0].id, id);
	cr_expect_eq(seen.ev[0].len, 7);
	cr_expect(!memcmp(seen.body[0], "{\"a\":1}", 7));
	cr_expect_eq(seen.ev[0].runs, 2);
	cr_expect_eq(seen.ev[0].first_ms, 1234567);
	cr_expect_eq(seen.ev[0].due_ms, 99887766);
	spool_remove(fn, id);
	seen.n = 0;
	cr_expect_eq(spool_each(fn, "fn", spool_t_take, &seen), 0);
	close(fn);
	close(top);
}

/* An Event the first spool's shims kept (a header with no due time) is
 * read, due at once, and its runs are set without harm to its body. */
Test(spool, an_event_of_the_first_format_is_read_and_kept_whole, .init = spool_t_setup,
     .fini = spool_t_teardown)
{
	const char *id = "0a1b2c3d-0000-4000-8000-00000000000c";
	char name[64];
	struct spool_t_seen seen = {0};
	int top, fn;

	spool_t_open(&top, &fn);
	snprintf(name, sizeof(name), "%s.event", id);
	spool_t_file(fn, name, "slxrun-event 1 1 00000000000001234567\n{\"old\":true}");
	spool_set_runs(fn, id, 2, 99887766);
	cr_assert_eq(spool_each(fn, "fn", spool_t_take, &seen), 1);
	cr_expect_eq(seen.ev[0].runs, 2);
	cr_expect_eq(seen.ev[0].first_ms, 1234567);
	cr_expect_eq(seen.ev[0].due_ms, 0);
	cr_expect_eq(seen.ev[0].len, 12);
	cr_expect(!memcmp(seen.body[0], "{\"old\":true}", 12));
	close(fn);
	close(top);
}

/* The spool is one shim's: a second holder is refused, as is a directory
 * others may enter. */
Test(spool, a_held_or_open_spool_is_refused, .init = spool_t_setup, .fini = spool_t_teardown)
{
	char root[96], open_dir[96];
	struct slx_err err = {0};
	int a, b;

	snprintf(root, sizeof(root), "%s/s", spool_t_dir);
	cr_assert_eq(spool_open(root, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(spool_open(root, &b, &err), -1);
	cr_expect(strstr(err.msg, "another shim holds it"), "%s", err.msg);
	close(a);
	snprintf(open_dir, sizeof(open_dir), "%s/o", spool_t_dir);
	cr_assert_eq(mkdir(open_dir, 0755), 0);
	cr_assert_eq(chmod(open_dir, 0755), 0);
	cr_expect_eq(spool_open(open_dir, &b, &err), -1);
	cr_expect(strstr(err.msg, "only its owner"), "%s", err.msg);
}

/* What stands in an Event's place and is no file (a socket: open says
 * ENXIO) is no Event for good, not a read to try again: a second later,
 * for ever, it would hold every spooled Event behind it (an attacker's
 * review).  A read that may pass is one out of descriptors or memory. */
Test(spool, a_socket_in_an_events_place_is_no_event_for_good, .init = spool_t_setup,
     .fini = spool_t_teardown)
{
	const char *id = "0a1b2c3d-0000-4000-8000-00000000000d";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct spool_event ev = {0};
	struct slx_err err = {0};
	bool again = true;
	int top, fn, s;

	spool_t_open(&top, &fn);
	cr_assert_eq(spool_put(fn, id, "{}", 2, 1, &err), 0, "%s", err.msg);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s/fn/%s.event", spool_t_dir, id);
	cr_assert_eq(unlink(sa.sun_path), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", sa.sun_path);
	cr_expect_not_null(spool_get(fn, id, &ev, &again));
	cr_expect_not(again);
	cr_expect_null(ev.body);
	close(s);
	close(fn);
	close(top);
}
