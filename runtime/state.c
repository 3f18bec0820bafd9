/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c -- the state store: <root>/<id>/state.json, written atomically,
 * the per-container lock, and the live refinement of a recorded status (pid
 * gone, cgroup frozen). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

/* Names the runtime itself keeps in <root>/ beside the containers' state
 * directories: an id equal to one would share or shadow it. */
static const char *const reserved_ids[] = {
    "shims",  /* the shim registry: shim/registry.c, shim/orphans.c */
    "images", /* the image store: image/store.c */
};

static bool id_reserved(const char *id)
{
	for (size_t i = 0; i < sizeof(reserved_ids) / sizeof(reserved_ids[0]); i++)
		if (!strcmp(id, reserved_ids[i]))
			return true;
	return false;
}

int rt_id_validate(const char *id, struct slx_err *err)
{
	size_t len = id ? strlen(id) : 0;

	if (!len)
		return slx_error(err, 0, "container id: must not be empty");
	if (len > 1024)
		return slx_error(err, 0, "container id: longer than 1024 bytes");
	if (!strcmp(id, ".") || !strcmp(id, "..") || strstr(id, ".."))
		return slx_error(err, 0, "container id %s: must not contain \"..\"", id);
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_+-.", *c))
			return slx_error(err, 0,
					 "container id %s: invalid character '%c' (allowed: "
					 "letters, digits, _+-.)",
					 id, *c);
	if (id_reserved(id))
		return slx_error(err, 0, "container id %s: reserved for the runtime's own use", id);
	return 0;
}

int rt_state_dir(const struct rt_ctx *ctx, const char *id, char *buf, size_t len,
		 struct slx_err *err)
{
	if (rt_id_validate(id, err) < 0)
		return -1;
	if (snprintf(buf, len, "%s/%s", ctx->root, id) >= (int)len)
		return slx_error(err, ENAMETOOLONG, "state directory for %s", id);
	return 0;
}

/* Busy (another holds dfd's lock), its config written and no state.json
 * yet: a create at work.  A delete holding the lock removes config.json
 * before state.json (rt_state_remove), so a verb that meets it half way
 * waits for it instead. */
static bool creating_in(int dfd)
{
	if (flock(dfd, LOCK_SH | LOCK_NB) == 0) {
		(void)flock(dfd, LOCK_UN);
		return false;
	}
	return errno == EWOULDBLOCK &&
	       faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	       faccessat(dfd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

bool rt_state_being_created(const struct rt_ctx *ctx, const char *id)
{
	char path[PATH_MAX];
	struct slx_err ignored;
	cleanup_close int dfd = -1;

	if (rt_state_dir(ctx, id, path, sizeof(path), &ignored) < 0)
		return false;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return dfd >= 0 && creating_in(dfd);
}

int rt_state_creating_error(const char *id, struct slx_err *err)
{
	return slx_error(err, 0, "container %s is being created (its create has not finished)", id);
}

int rt_state_lock(const struct rt_ctx *ctx, const char *id, int *fd, struct slx_err *err)
{
	char path[PATH_MAX];
	cleanup_close int dfd = -1;
	struct stat st;

	*fd = -1;
	if (rt_state_dir(ctx, id, path, sizeof(path), err) < 0)
		return -1;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return slx_error(err, ENOENT, "container %s does not exist", id);
	if (dfd < 0)
		return slx_error(err, errno, "open %s", path);
	/* A create holds the lock until state.json is written, through its
	 * createRuntime and createContainer hooks, which may take as long as
	 * they like: the container is "creating", which no verb waits on (the
	 * runtime spec: a kill or delete of it is an error). */
	if (creating_in(dfd))
		return rt_state_creating_error(id, err);
	while (flock(dfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return slx_error(err, errno, "lock %s", path);
	/* The holder we waited for may have deleted it: then it has no links. */
	if (fstat(dfd, &st) < 0 || st.st_nlink == 0)
		return slx_error(err, ENOENT, "container %s does not exist", id);
	*fd = steal_fd(dfd);
	return 0;
}

/* <state dir>/<name> into path. */
static int state_file(const struct rt_ctx *ctx, const char *id, const char *name,
		      char path[PATH_MAX], struct slx_err *err)
{
	size_t n;

	if (rt_state_dir(ctx, id, path, PATH_MAX, err) < 0)
		return -1;
	n = strlen(path);
	if (snprintf(path + n, PATH_MAX - n, "/%s", name) >= (int)(PATH_MAX - n))
		return slx_error(err, ENAMETOOLONG, "%s/%s", path, name);
	return 0;
}

/* A file of the state directory, whole, at most max bytes. */
static int state_file_read(const struct rt_ctx *ctx, const char *id, const char *name, size_t max,
			   char **out, size_t *len, struct slx_err *err)
{
	char path[PATH_MAX];

	if (state_file(ctx, id, name, path, err) < 0)
		return -1;
	return slx_read_file_max_at(AT_FDCWD, path, max, out, len, err);
}

int rt_state_write(const struct rt_ctx *ctx, const struct oci_state *st, struct slx_err *err)
{
	char path[PATH_MAX];
	cleanup_free char *json = NULL;
	size_t len;

	if (state_file(ctx, st->id, "state.json", path, err) < 0 ||
	    oci_state_to_json(st, true, &json, &len, err) < 0)
		return -1;
	return slx_write_file_atomic(path, json, len, 0600, err);
}

int rt_state_read(const struct rt_ctx *ctx, const char *id, struct oci_state **out,
		  struct slx_err *err)
{
	cleanup_free char *json = NULL;
	size_t len;

	if (state_file_read(ctx, id, "state.json", OCI_STATE_MAX, &json, &len, err) < 0) {
		if (err->errnum == ENOENT)
			return slx_error(err, ENOENT, "container %s does not exist", id);
		return -1;
	}
	return oci_state_parse("state.json", json, len, out, err);
}

int rt_state_config_write(const struct rt_ctx *ctx, const char *id, const char *text, size_t len,
			  struct slx_err *err)
{
	char path[PATH_MAX];

	if (state_file(ctx, id, "config.json", path, err) < 0)
		return -1;
	return slx_write_file_atomic(path, text, len, 0600, err);
}

int rt_config_load(const struct rt_ctx *ctx, const char *id, struct oci_config **out,
		   struct slx_err *err)
{
	cleanup_free char *json = NULL;
	size_t len;

	*out = NULL;
	if (state_file_read(ctx, id, "config.json", OCI_CONFIG_MAX, &json, &len, err) < 0)
		return slx_error_prefix(err, "container %s: the config it was created with", id);
	return oci_config_parse("config.json", json, len, out, err);
}

int rt_state_cgroup_mark(const struct rt_ctx *ctx, const char *id, char **path, struct slx_err *err)
{
	return state_file_read(ctx, id, RT_STATE_CGROUP_MARK, PATH_MAX, path, NULL, err);
}

bool rt_state_pid1_alive(const struct rt_ctx *ctx, const char *id)
{
	cleanup_free char *text = NULL;
	unsigned long long start = 0;
	struct slx_err e;
	int pid = 0;

	if (state_file_read(ctx, id, RT_STATE_PID1, 64, &text, NULL, &e) < 0 ||
	    sscanf(text, "%d %llu", &pid, &start) != 2)
		return false;
	return pid > 0 && start && rt_pid_start_time(pid) == start;
}

unsigned long long rt_pid_start_time(pid_t pid)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parens: fields resume after the last ')'.
	 * The state (field 3) follows it; a zombie has exited, so it is gone.
	 * comm is the process's to set ("x) Z y"): only the state after the
	 * last ')' says zombie. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	/* After ") " come fields 3.. ; start time is field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

void rt_state_refresh(struct oci_state *st)
{
	bool frozen = false;
	struct cg_handle cg = {.dirfd = -1};
	struct slx_err err;

	if (st->status == OCI_STATUS_STOPPED)
		return;
	if (st->pid <= 0 || rt_pid_start_time(st->pid) != st->pid_start_time) {
		st->status = OCI_STATUS_STOPPED;
		return;
	}
	if (st->status == OCI_STATUS_CREATING || !st->cgroup_path || !*st->cgroup_path)
		return;
	if (cg_open(st->cgroup_path, &cg, &err) == 0 && cg_is_frozen(&cg, &frozen, &err) == 0 &&
	    frozen)
		st->status = OCI_STATUS_PAUSED;
	else if (st->status == OCI_STATUS_PAUSED)
		st->status = OCI_STATUS_RUNNING;
	cg_handle_release(&cg);
}

int rt_state(const struct rt_ctx *ctx, const char *id, struct oci_state **out, struct slx_err *err)
{
	if (rt_state_read(ctx, id, out, err) < 0)
		return -1;
	rt_state_refresh(*out);
	return 0;
}

int rt_state_remove(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	char path[PATH_MAX];
	cleanup_close int dfd = -1;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (rt_state_dir(ctx, id, path, sizeof(path), err) < 0)
		return -1;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : slx_error(err, errno, "open %s", path);
	d = fdopendir(dfd);
	if (!d)
		return slx_error(err, errno, "open %s", path);
	dfd = -1;
	/* state.json last: until it goes, a verb waits for this delete rather
	 * than take the container for one being created (creating_in). */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "state.json"))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	(void)unlinkat(dirfd(d), "state.json", 0);
	if (rmdir(path) < 0 && errno != ENOENT)
		return slx_error(err, errno, "remove %s", path);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_list(const struct rt_ctx *ctx, char ***ids, size_t *n, struct slx_err *err)
{
	cleanup_dir DIR *d = opendir(ctx->root);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;

	*ids = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : slx_error(err, errno, "open %s", ctx->root);
	while ((e = readdir(d))) {
		struct slx_err ignored;

		/* every directory a valid id names (".hidden" is one), no other */
		if (e->d_type != DT_DIR || rt_id_validate(e->d_name, &ignored) < 0)
			continue;
		if (cnt == cap) {
			char **g = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!g) {
				rt_strv_free(v, cnt);
				return slx_error(err, ENOMEM, "list");
			}
			v = g;
		}
		if (!(v[cnt] = strdup(e->d_name))) {
			rt_strv_free(v, cnt);
			return slx_error(err, ENOMEM, "list");
		}
		cnt++;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), str_cmp);
	*ids = v;
	*n = cnt;
	return 0;
}

void rt_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *rt_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}
