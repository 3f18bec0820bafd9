/* SPDX-License-Identifier: GPL-2.0-or-later */
/* path.c -- where cgroup v2 lives on this host and how linux.cgroupsPath maps
 * onto it (cgroupfs and systemd "slice:prefix:name" forms). */
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"

/* Probed once per process: the mount layout does not change under us, and
 * cold create must not pay a statfs per container.  Every caller is
 * single-threaded (the CLI, and the shim's one loop), so no locking. */
static bool cg_root_probed;
static const char *cg_root_cache;

static void cg_root_probe(void)
{
	static const char *const candidates[] = {
	    "/sys/fs/cgroup",
	    "/sys/fs/cgroup/unified",
	};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		struct statfs sfs;

		if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
			cg_root_cache = candidates[i];
			return;
		}
	}
}

const char *cg_unified_root(void)
{
	if (!cg_root_probed) {
		cg_root_probe();
		cg_root_probed = true;
	}
	return cg_root_cache;
}

static const struct {
	const char *name;
	unsigned bit;
} cg_ctrl_names[] = {
    {"cpu", CG_CTRL_CPU},   {"cpuset", CG_CTRL_CPUSET}, {"memory", CG_CTRL_MEMORY},
    {"pids", CG_CTRL_PIDS}, {"io", CG_CTRL_IO},		{"hugetlb", CG_CTRL_HUGETLB},
    {"rdma", CG_CTRL_RDMA}, {"misc", CG_CTRL_MISC},
};

unsigned cg_controller_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(cg_ctrl_names) / sizeof(cg_ctrl_names[0]); i++) {
		if (strlen(cg_ctrl_names[i].name) == len &&
		    memcmp(cg_ctrl_names[i].name, name, len) == 0)
			return cg_ctrl_names[i].bit;
	}
	return 0;
}

const char *cg_controller_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(cg_ctrl_names) / sizeof(cg_ctrl_names[0]); i++) {
		if (cg_ctrl_names[i].bit == bit)
			return cg_ctrl_names[i].name;
	}
	return "?";
}

unsigned cg_parse_controllers(const char *list)
{
	unsigned mask = 0;

	while (*list) {
		size_t len = strcspn(list, " \n");

		mask |= cg_controller_bit(list, len);
		list += len;
		list += strspn(list, " \n");
	}
	return mask;
}

static bool cg_ctrl_probed;
static unsigned cg_ctrl_cache;

static void cg_ctrl_probe(void)
{
	cleanup_close int fd = -1;
	char buf[512];

	if (!cg_unified_root())
		return;
	fd = open(cg_unified_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && cg_read_at(fd, "cgroup.controllers", buf, sizeof(buf)) >= 0)
		cg_ctrl_cache = cg_parse_controllers(buf);
}

unsigned cg_available_controllers(void)
{
	if (!cg_ctrl_probed) {
		cg_ctrl_probe();
		cg_ctrl_probed = true;
	}
	return cg_ctrl_cache;
}

ssize_t cg_read_at(int dirfd, const char *name, char *buf, size_t size)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t used = 0;

	if (fd < 0)
		return -1;
	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - used - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

/* Append component [s, s+len) to out (capacity PATH-sized), with a slash
 * separator.  Rejects the components that would leave the subtree. */
static int cg_path_append(char *out, size_t cap, const char *s, size_t len, const char *orig,
			  struct slx_err *err)
{
	size_t used = strlen(out);

	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return slx_error(
		    err, 0,
		    "linux.cgroupsPath: \"%s\": \".\" and \"..\" components are not allowed", orig);
	if (used + len + 2 > cap)
		return slx_error(err, ENAMETOOLONG, "linux.cgroupsPath: \"%s\"", orig);
	if (used)
		out[used++] = '/';
	memcpy(out + used, s, len);
	out[used + len] = '\0';
	return 0;
}

/* Split a slash path into components, skipping empty ones ("a//b", "/a/"). */
static int cg_path_append_all(char *out, size_t cap, const char *path, const char *orig,
			      struct slx_err *err)
{
	while (*path) {
		size_t len = strcspn(path, "/");

		if (len && cg_path_append(out, cap, path, len, orig, err) < 0)
			return -1;
		path += len;
		path += strspn(path, "/");
	}
	return 0;
}

int cg_proc_path(pid_t pid, char **out)
{
	char path[64], *text = NULL, *line;
	size_t len;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (slx_read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
		return -1;
	line = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
	if (!line) {
		free(text);
		errno = ENOENT;
		return -1;
	}
	line += line == text ? 3 : 4;
	len = strcspn(line, "\n");
	memmove(text, line, len);
	text[len] = '\0';
	*out = text;
	return 0;
}

/* The runtime's own cgroup, from the "0::" line of /proc/self/cgroup. */
static int cg_self_path(char *out, size_t cap, struct slx_err *err)
{
	cleanup_free char *own = NULL;

	if (cg_proc_path(0, &own) < 0)
		return errno == ENOENT
			   ? slx_error(err, 0,
				       "linux.cgroupsPath: /proc/self/cgroup has no "
				       "cgroup v2 entry")
			   : slx_error(err, errno, "linux.cgroupsPath: read /proc/self/cgroup");
	if (strlen(own) >= cap)
		return slx_error(err, ENAMETOOLONG, "linux.cgroupsPath: own cgroup");
	strcpy(out, own);
	return 0;
}

/* "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice", the way systemd nests
 * slices; "-.slice" is the root slice and adds nothing. */
static int cg_expand_slice(char *out, size_t cap, const char *slice, const char *orig,
			   struct slx_err *err)
{
	size_t len = strlen(slice), base;
	char part[256];

	if (strcmp(slice, "-.slice") == 0)
		return 0;
	if (len <= 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/') ||
	    len >= sizeof(part))
		return slx_error(err, 0, "linux.cgroupsPath: \"%s\": \"%s\" is not a slice name",
				 orig, slice);
	base = len - 6;
	if (slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2))
		return slx_error(err, 0, "linux.cgroupsPath: \"%s\": invalid slice name \"%s\"",
				 orig, slice);
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		snprintf(part, sizeof(part), "%.*s.slice", (int)i, slice);
		if (cg_path_append(out, cap, part, strlen(part), orig, err) < 0)
			return -1;
	}
	return 0;
}

/* Copy field [s, s+len) into a fixed buffer, naming the path on overflow. */
static int cg_field(char *dst, size_t cap, const char *s, size_t len, const char *orig,
		    struct slx_err *err)
{
	if (len >= cap)
		return slx_error(err, ENAMETOOLONG, "linux.cgroupsPath: \"%s\"", orig);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* systemd driver: "slice:prefix:name" -> <slice path>/<prefix>-<name>.scope;
 * empty means "system.slice:slxrun:<id>", an empty slice "system.slice", as
 * runc does.  A name that is itself a slice is used as the leaf. */
static int cg_resolve_systemd(char *out, size_t cap, const char *path, const char *id,
			      struct slx_err *err)
{
	char slice[256] = "system.slice", prefix[256] = "slxrun", name[256], unit[800];
	const char *c1 = strchr(path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t nlen;

	if (!*path) {
		if (cg_field(name, sizeof(name), id ? id : "", id ? strlen(id) : 0, path, err) < 0)
			return -1;
	} else {
		if (!c2 || strchr(c2 + 1, ':'))
			return slx_error(err, 0,
					 "linux.cgroupsPath: \"%s\": expected "
					 "\"slice:prefix:name\" with the systemd cgroup driver",
					 path);
		if ((c1 > path &&
		     cg_field(slice, sizeof(slice), path, (size_t)(c1 - path), path, err) < 0) ||
		    cg_field(prefix, sizeof(prefix), c1 + 1, (size_t)(c2 - c1 - 1), path, err) <
			0 ||
		    cg_field(name, sizeof(name), c2 + 1, strlen(c2 + 1), path, err) < 0)
			return -1;
	}
	nlen = strlen(name);
	if (!nlen)
		return slx_error(err, 0, "linux.cgroupsPath: \"%s\": empty unit name", path);
	if (cg_expand_slice(out, cap, slice, path, err) < 0)
		return -1;
	if (nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0)
		snprintf(unit, sizeof(unit), "%s", name);
	else if (*prefix)
		snprintf(unit, sizeof(unit), "%s-%s.scope", prefix, name);
	else
		snprintf(unit, sizeof(unit), "%s.scope", name);
	if (strchr(unit, '/') || strcmp(name, "..") == 0)
		return slx_error(err, 0, "linux.cgroupsPath: \"%s\": invalid unit name \"%s\"",
				 path, unit);
	return cg_path_append(out, cap, unit, strlen(unit), path, err);
}

int cg_resolve_path(const char *cgroups_path, const char *id, bool systemd_cgroup, char **out,
		    struct slx_err *err)
{
	char buf[4096] = "";
	const char *p = cgroups_path ? cgroups_path : "";

	if (strchr(p, '\n'))
		return slx_error(err, 0, "linux.cgroupsPath: contains a newline");
	if (systemd_cgroup) {
		if (cg_resolve_systemd(buf, sizeof(buf), p, id, err) < 0)
			return -1;
	} else if (!*p) {
		if (!id || !*id || strchr(id, '/') || strcmp(id, "..") == 0 || strcmp(id, ".") == 0)
			return slx_error(err, 0, "linux.cgroupsPath: invalid container id \"%s\"",
					 id ? id : "");
		snprintf(buf, sizeof(buf), "slxrun/%s", id);
	} else {
		char self[4096];

		if (*p != '/') {
			if (cg_self_path(self, sizeof(self), err) < 0)
				return -1;
			if (cg_path_append_all(buf, sizeof(buf), self, p, err) < 0)
				return -1;
		}
		if (cg_path_append_all(buf, sizeof(buf), p, p, err) < 0)
			return -1;
	}
	if (!*buf)
		return slx_error(err, 0, "linux.cgroupsPath: \"%s\" names the root cgroup", p);
	*out = strdup(buf);
	if (!*out)
		return slx_error(err, ENOMEM, "linux.cgroupsPath");
	return 0;
}
