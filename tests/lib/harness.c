/* SPDX-License-Identifier: GPL-2.0-or-later */
/* harness.c -- process running, bundle making and leftover snapshots for the
 * integration and vm suites. */
#include "tests/lib/harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

const char *slxrun_bin(void)
{
	const char *s = getenv("SLXRUN");

	cr_assert(s, "SLXRUN must name the slxrun binary");
	return s;
}

const char *examples_dir(void)
{
	const char *s = getenv("SLX_EXAMPLES");

	cr_assert(s, "SLX_EXAMPLES must name the built examples");
	return s;
}

struct sink {
	char *buf;
	size_t len, cap;
};

static void sink_read(struct sink *s, int fd, bool *open)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		*open = false;
		return;
	}
	if (s->len + (size_t)n + 1 > s->cap) {
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
}

static void child_exec(const char *cmd, int in[2], int out[2], int errp[2])
{
	dup2(in[0], 0);
	dup2(out[1], 1);
	dup2(errp[1], 2);
	close(in[1]);
	close(out[0]);
	close(errp[0]);
	setpgid(0, 0);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Read until the command exits, then take what is already buffered: a
 * created container inherits our pipes and would keep them open. */
static int collect(pid_t pid, int out, int errfd, struct cmd_result *r, int timeout_s)
{
	struct sink so = {0}, se = {0};
	bool oo = true, eo = true, exited = false;
	time_t end = time(NULL) + timeout_s;
	int status = 0;

	while ((oo || eo) && !exited) {
		struct pollfd p[2] = {{.fd = oo ? out : -1, .events = POLLIN},
				      {.fd = eo ? errfd : -1, .events = POLLIN}};

		if (time(NULL) > end) {
			kill(-pid, SIGKILL);
			break;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (poll(p, 2, exited ? 0 : 50) <= 0)
			continue;
		if (p[0].revents)
			sink_read(&so, out, &oo);
		if (p[1].revents)
			sink_read(&se, errfd, &eo);
	}
	while (oo || eo) {
		struct pollfd p[2] = {{.fd = oo ? out : -1, .events = POLLIN},
				      {.fd = eo ? errfd : -1, .events = POLLIN}};

		if (poll(p, 2, 0) <= 0)
			break;
		if (p[0].revents & POLLIN)
			sink_read(&so, out, &oo);
		else
			oo = false;
		if (p[1].revents & POLLIN)
			sink_read(&se, errfd, &eo);
		else
			eo = false;
	}
	if (!exited)
		waitpid(pid, &status, 0);
	r->out = so.buf ? so.buf : strdup("");
	r->err = se.buf ? se.buf : strdup("");
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r->status;
}

int cmd_run(struct cmd_result *r, const char *stdin_data, int timeout_s, const char *fmt, ...)
{
	char cmd[8192];
	int in[2], out[2], errp[2];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(errp, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		child_exec(cmd, in, out, errp);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	signal(SIGPIPE, SIG_IGN);
	if (stdin_data)
		(void)!write(in[1], stdin_data, strlen(stdin_data));
	close(in[1]);
	collect(pid, out[0], errp[0], r, timeout_s);
	close(out[0]);
	close(errp[0]);
	return r->status;
}

void cmd_result_free(struct cmd_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static const char *default_ns = "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
				"{\"type\":\"uts\"},{\"type\":\"mount\"}]";

void bundle_make_ns(struct bundle *b, const char *process_args, const char *extra_process,
		    const char *extra_top, const char *extra_linux, const char *namespaces)
{
	char path[512];
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "/tmp/slxtest-bundle-XXXXXX");
	cr_assert(mkdtemp(b->dir));
	snprintf(b->root, sizeof(b->root), "%s/state", b->dir);
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(
	    f,
	    "{\"ociVersion\":\"1.2.0\",\"process\":{\"terminal\":false,"
	    "\"user\":{\"uid\":0,\"gid\":0},\"args\":%s,"
	    "\"env\":[\"PATH=/bin:/usr/bin\"],\"cwd\":\"/\","
	    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_"
	    "SERVICE\"],"
	    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	    "\"noNewPrivileges\":true%s},"
	    "\"root\":{\"path\":\"%s/busybox/rootfs\",\"readonly\":true},"
	    "\"hostname\":\"slxtest\","
	    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	    "{\"destination\":\"/"
	    "dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\","
	    "\"mode=755\",\"size=65536k\"]},"
	    "{\"destination\":\"/dev/"
	    "pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\","
	    "\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
	    "{\"destination\":\"/dev/"
	    "shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\","
	    "\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	    "{\"destination\":\"/"
	    "sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\","
	    "\"nodev\",\"ro\"]},"
	    "{\"destination\":\"/"
	    "tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\"]}]%s,"
	    "\"linux\":{\"namespaces\":%s,\"cgroupsPath\":\"/slxrun/%s\","
	    "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\",\"/proc/timer_list\",\"/sys/"
	    "firmware\",\"/proc/acpi\"],"
	    "\"readonlyPaths\":[\"/proc/sys\",\"/proc/sysrq-trigger\",\"/proc/bus\"]%s}}\n",
	    process_args, extra_process ? extra_process : "", examples_dir(),
	    extra_top ? extra_top : "", namespaces ? namespaces : default_ns,
	    strrchr(b->dir, '/') + 1, extra_linux ? extra_linux : "");
	fclose(f);
}

void bundle_make(struct bundle *b, const char *process_args, const char *extra_process,
		 const char *extra_top, const char *extra_linux)
{
	bundle_make_ns(b, process_args, extra_process, extra_top, extra_linux, NULL);
}

void bundle_force_delete(const struct bundle *b, const char *id)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30, "%s --root %s delete -f %s", slxrun_bin(), b->root, id);
	cmd_result_free(&r);
}

void bundle_own_rootfs(const struct bundle *b)
{
	struct cmd_result r;
	char from[600];

	/* a partial cp -al (another filesystem) would take the copy inside */
	cmd_run(&r, NULL, 30,
		"cp -al %s/busybox/rootfs %s/rootfs 2>/dev/null || "
		"{ rm -rf %s/rootfs && cp -a %s/busybox/rootfs %s/rootfs; }",
		examples_dir(), b->dir, b->dir, examples_dir(), b->dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(from, sizeof(from), "\"path\":\"%s/busybox/rootfs\"", examples_dir());
	bundle_config_replace(b, from, "\"path\":\"rootfs\"");
	/* the sandbox's user namespace walks down to it as an unmapped id */
	cr_assert_eq(chmod(b->dir, 0755), 0, "%s: %s", b->dir, strerror(errno));
}

void bundle_remove(struct bundle *b)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10, "rm -rf '%s'", b->dir);
	cmd_result_free(&r);
}

/* Directories in path whose name starts with prefix ("" for all). */
static void list_dir(const char *path, const char *prefix, char *buf, size_t len)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t off = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    !strncmp(e->d_name, prefix, strlen(prefix)))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s ",
						e->d_name);
	closedir(d);
}

const char *cgroup2_root(void)
{
	return access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0
		   ? "/sys/fs/cgroup/unified"
		   : "/sys/fs/cgroup";
}

void leftovers_take(const struct bundle *b, struct leftovers *l)
{
	struct cmd_result r;
	char parent[64];

	/* Only this bundle's cgroup: other suites may run beside this one. */
	snprintf(parent, sizeof(parent), "%s/slxrun", cgroup2_root());
	list_dir(parent, strrchr(b->dir, '/') + 1, l->cgroups, sizeof(l->cgroups));
	list_dir(b->root, "", l->states, sizeof(l->states));
	cmd_run(&r, NULL, 10, "cat /proc/self/mountinfo");
	l->mounts = count_lines(r.out);
	cmd_result_free(&r);
}

bool leftovers_equal(const struct leftovers *a, const struct leftovers *b)
{
	return !strcmp(a->cgroups, b->cgroups) && !strcmp(a->states, b->states) &&
	       a->mounts == b->mounts;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

int wait_exit(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		sleep_ms(10);
	}
	return -1;
}

/* Replace the first `from` in the bundle's config.json with `to`. */
void bundle_config_replace(const struct bundle *b, const char *from, const char *to)
{
	char path[512], *buf, *at, *out;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	f = fopen(path, "r");
	cr_assert(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	cr_assert(buf && fread(buf, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	at = strstr(buf, from);
	cr_assert(at, "%s not in config.json", from);
	out = calloc(1, (size_t)len + strlen(to) + 1);
	cr_assert(out);
	memcpy(out, buf, (size_t)(at - buf));
	strcat(out, to);
	strcat(out, at + strlen(from));
	f = fopen(path, "w");
	cr_assert(f);
	fputs(out, f);
	fclose(f);
	free(buf);
	free(out);
}

void keyring_possess_key(const char *desc)
{
	long id;

	cr_assert_geq(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "slxtest"), 0,
		      "join a session keyring: %s", strerror(errno));
	id = syscall(SYS_add_key, "user", desc, "secret", 6, KEY_SPEC_SESSION_KEYRING);
	cr_assert_geq(id, 0, "add_key: %s", strerror(errno));
	/* possessor: view, read, write, search, link, setattr; nobody else */
	cr_assert_eq(syscall(SYS_keyctl, KEYCTL_SETPERM, id, 0x3f000000), 0, "setperm: %s",
		     strerror(errno));
}
