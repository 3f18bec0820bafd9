/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spool.c -- Events kept on disk (`shim serve --event-spool DIR`), so that
 * an Event answered 202 runs although the shim stops or dies before it has
 * (Lambda's asynchronous queue outlives its workers).  One directory per
 * function (its name), one file per Event: REQUEST-ID.event, a header line
 * (the runs so far, its arrival and when it may run again, epoch
 * milliseconds) and the body.  A
 * file is written whole under a temporary name and renamed into place; it
 * goes when its Event ran well or was dropped.  Not across a power loss:
 * no fsync (it would stall the shim's one loop on every Event).  The
 * directory is the shim's alone: 0700, its owner's, held by flock against
 * a second shim. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "http.h"
#include "spool.h"

#define HEADER_FMT "slxrun-event 2 %u %020" PRIu64 " %020" PRIu64 "\n"
#define HEADER_LEN 59 /* "slxrun-event 2 " R " " 20 digits " " 20 digits "\n" */
#define RUNS_AT	   15 /* where R is */
#define DUE_AT	   38 /* and the due time */
/* The first shim with a spool wrote no due time: its Events are read, due
 * at once, and keep that header. */
#define HEADER1_FMT "slxrun-event 1 %u %020" PRIu64 "\n"
#define HEADER1_LEN 38

/* The directory path (under at), made 0700 when missing, opened:
 * the shim's user's, that no one else may enter.  -1 with errno, or EPERM
 * for one that is not. */
static int own_dir(int at, const char *path)
{
	struct stat st;
	int fd;

	if (mkdirat(at, path, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int refused(struct slx_err *err, const char *what)
{
	if (errno == EPERM)
		return slx_error(
		    err, 0, "--event-spool %s: not a directory only its owner (uid %u) may enter",
		    what, (unsigned)geteuid());
	return slx_error(err, errno, "--event-spool %s", what);
}

int spool_open(const char *dir, int *out, struct slx_err *err)
{
	int fd = own_dir(AT_FDCWD, dir);

	if (fd < 0)
		return refused(err, dir);
	/* held: another shim's, made or not (a lost race to make it too) */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		return slx_error(err, e == EWOULDBLOCK ? 0 : e,
				 "--event-spool %s: another shim holds it", dir);
	}
	*out = fd;
	return 0;
}

int spool_open_function(int spool, const char *name, int *out, struct slx_err *err)
{
	int fd = own_dir(spool, name);

	if (fd < 0)
		return refused(err, name);
	*out = fd;
	return 0;
}

static void event_name(const char *id, bool tmp, char out[64])
{
	snprintf(out, 64, tmp ? ".%s.tmp" : "%s.event", id);
}

int spool_put(int dir, const char *id, const char *body, size_t len, uint64_t first_ms,
	      struct slx_err *err)
{
	char tmp[64], name[64], head[HEADER_LEN + 1];
	bool ok;
	int fd, e;

	event_name(id, true, tmp);
	event_name(id, false, name);
	snprintf(head, sizeof(head), HEADER_FMT, 0u, first_ms, (uint64_t)0);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return slx_error(err, errno, "the Event could not be kept");
	ok = slx_write_all(fd, head, HEADER_LEN) && slx_write_all(fd, body, len);
	e = errno;
	if (close(fd) < 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && renameat(dir, tmp, dir, name) == 0)
		return 0;
	if (ok)
		e = errno;
	(void)unlinkat(dir, tmp, 0);
	return slx_error(err, e, "the Event could not be kept");
}

void spool_set_runs(int dir, const char *id, unsigned runs, uint64_t due_ms)
{
	char name[64], c = (char)('0' + (runs > 9 ? 9 : runs)), version = 0, due[21];
	int fd;

	event_name(id, false, name);
	fd = openat(dir, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(due, sizeof(due), "%020" PRIu64, due_ms);
	if (pwrite(fd, &c, 1, RUNS_AT) == 1 && pread(fd, &version, 1, RUNS_AT - 2) == 1 &&
	    version == '2')
		(void)!pwrite(fd, due, 20, DUE_AT);
	close(fd);
}

void spool_remove(int dir, const char *id)
{
	char name[64];

	event_name(id, false, name);
	(void)unlinkat(dir, name, 0);
}

/* A request id as the shim makes them: 36 of [0-9a-f-], dashes where a
 * UUID has them. */
static bool id_ok(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
			 : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The header's length, its runs, arrival and due time, or 0 when head (a
 * string) does not start with one exactly as the shim writes it. */
static size_t parse_header(const char *head, unsigned *runs, uint64_t *first, uint64_t *due)
{
	char check[HEADER_LEN + 1];

	*due = 0;
	if (sscanf(head, "slxrun-event 2 %u %" SCNu64 " %" SCNu64, runs, first, due) == 3) {
		snprintf(check, sizeof(check), HEADER_FMT, *runs, *first, *due);
		return !strncmp(check, head, HEADER_LEN) && *runs <= 9 ? HEADER_LEN : 0;
	}
	if (sscanf(head, "slxrun-event 1 %u %" SCNu64, runs, first) == 2) {
		snprintf(check, sizeof(check), HEADER1_FMT, *runs, *first);
		return !strncmp(check, head, HEADER1_LEN) && *runs <= 9 ? HEADER1_LEN : 0;
	}
	return 0;
}

/* Whether a failure with errno e may pass: out of descriptors, memory or
 * buffers, an I/O error, an interruption.  Anything else (gone, a link, a
 * socket's ENXIO, no permission) is the file's and stays: tried again a
 * second later for ever, it would hold the Events behind it. */
static bool may_pass(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS || e == EIO ||
	       e == EINTR || e == EAGAIN;
}

/* One file's Event, or why not; *again when the reason may pass (see
 * may_pass), not when the file is gone or is no Event. */
static const char *read_event(int dir, const char *name, struct spool_event *ev, bool *again)
{
	char head[HEADER_LEN + 1];
	struct stat st;
	unsigned runs = 0;
	uint64_t first = 0, due = 0;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	const char *why = NULL;
	size_t hlen = 0;
	ssize_t n = 0;

	*again = false;
	if (fd < 0) {
		*again = may_pass(errno);
		return strerror(errno);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		why = "not a regular file of its own";
	else if (st.st_size < HEADER1_LEN || st.st_size > HEADER_LEN + (off_t)HTTP_MAX_EVENT)
		why = "not the size of an Event";
	else if ((n = pread(fd, head, HEADER_LEN, 0)) < HEADER1_LEN) {
		why = "cannot be read";
		*again = n < 0 && may_pass(errno);
	}
	if (!why) {
		head[n] = '\0';
		hlen = parse_header(head, &runs, &first, &due);
		if (!hlen || (size_t)st.st_size - hlen > HTTP_MAX_EVENT)
			why = "no Event header";
	}
	if (!why) {
		ev->len = (size_t)st.st_size - hlen;
		ev->body = malloc(ev->len ? ev->len : 1);
		if (!ev->body)
			why = "out of memory";
		else if ((n = pread(fd, ev->body, ev->len, (off_t)hlen)) < 0 ||
			 (size_t)n != ev->len)
			why = "cannot be read";
		*again = !ev->body || (n < 0 && may_pass(errno));
	}
	close(fd);
	if (why) {
		free(ev->body);
		ev->body = NULL;
		return why;
	}
	ev->runs = runs;
	ev->first_ms = first;
	ev->due_ms = due;
	return NULL;
}

const char *spool_get(int dir, const char *id, struct spool_event *ev, bool *again)
{
	char name[64];

	event_name(id, false, name);
	snprintf(ev->id, sizeof(ev->id), "%s", id);
	return read_event(dir, name, ev, again);
}

size_t spool_cost(size_t len)
{
	return (len + HEADER_LEN + 4095) & ~(size_t)4095;
}

int spool_each(int dir, const char *fn_name, int (*take)(void *ctx, struct spool_event *ev),
	       void *ctx)
{
	int fd = dup(dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int taken = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "slxrun shim: --event-spool: %s: %s\n", fn_name, strerror(errno));
		return 0;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct spool_event ev = {0};
		const char *why;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == 41 && e->d_name[0] == '.' && !strcmp(e->d_name + 37, ".tmp") &&
		    id_ok(e->d_name + 1, 36)) { /* half written when a shim died */
			(void)unlinkat(dir, e->d_name, 0);
			continue;
		}
		if (n != 42 || strcmp(e->d_name + 36, ".event") || !id_ok(e->d_name, 36))
			why = "no Event's name";
		else
			why = read_event(dir, e->d_name, &ev, &(bool){false});
		if (why) {
			fprintf(stderr, "slxrun shim: --event-spool: %s/%s: %s; left as it is\n",
				fn_name, e->d_name, why);
			continue;
		}
		memcpy(ev.id, e->d_name, 36);
		ev.id[36] = '\0';
		taken += take(ctx, &ev) == 0;
		free(ev.body);
	}
	closedir(d);
	return taken;
}
