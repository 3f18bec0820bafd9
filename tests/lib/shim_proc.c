/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim_proc.c -- a shim process under test and HTTP to it through libcurl. */
#include "tests/lib/shim_proc.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/harness.h"

static size_t http_append(char *buf, size_t *len, size_t cap, const char *p, size_t k)
{
	size_t room = cap - 1 - *len, n = k < room ? k : room;

	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
	return k;
}

static size_t http_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;

	return http_append(r->body, &r->len, sizeof(r->body), p, size * n);
}

static size_t http_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;

	return http_append(r->headers, &r->hlen, sizeof(r->headers), p, size * n);
}

CURL *http_easy(const char *sock, const char *url, const char *body, size_t len,
		struct http_reply *r)
{
	CURL *c = curl_easy_init();

	cr_assert(c);
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	return c;
}

void http_multi_finish(CURLM *m)
{
	int running = 0;

	do {
		cr_assert_eq(curl_multi_perform(m, &running), CURLM_OK);
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running);
}

CURLcode http_request(const char *sock, const char *method, const char *path, const char *body,
		      size_t len, struct http_reply *r)
{
	char url[256];
	CURLcode rc;
	CURL *c;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	c = http_easy(sock, url, body, len, r);
	if (method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	return rc;
}

void shim_invoke(const struct shim_proc *s, const char *event, struct http_reply *r)
{
	CURLcode rc = http_request(s->sock, NULL, SHIM_INVOKE_PATH, event, strlen(event), r);

	cr_assert_eq(rc, CURLE_OK, "invoke: %s", curl_easy_strerror(rc));
}

double shim_metric(const struct shim_proc *s, const char *sample)
{
	static struct http_reply r;
	size_t n = strlen(sample);

	cr_assert_eq(http_request(s->sock, NULL, "/metrics", NULL, 0, &r), CURLE_OK);
	cr_assert_eq(r.status, 200);
	for (const char *p = r.body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, sample, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	cr_assert_fail("no sample %s in /metrics:\n%s", sample, r.body);
	return -1;
}

int shim_wait_warm(const struct shim_proc *s, int n)
{
	int warm = 0;

	for (int i = 0; i < 100; i++) {
		warm = (int)(shim_metric(s, "slxrun_sandboxes{state=\"idle\"}") +
			     shim_metric(s, "slxrun_sandboxes{state=\"frozen\"}"));
		if (warm >= n)
			break;
		usleep(50000);
	}
	return warm;
}

void shim_proc_spawn(struct shim_proc *s, const char *bundle, const char *flags)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "exec '%s' --root '%s' shim serve --listen unix:%s %s '%s' >'%s' 2>&1",
		 slxrun_bin(), s->root, s->sock, flags ? flags : "", bundle, s->log);
	s->pid = fork();
	cr_assert(s->pid >= 0);
	if (s->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
}

void shim_proc_ready(const struct shim_proc *s)
{
	static struct http_reply r;

	for (int i = 0; i < 500; i++) {
		if (access(s->sock, F_OK) == 0 &&
		    http_request(s->sock, NULL, "/status", NULL, 0, &r) == CURLE_OK &&
		    r.status == 200)
			return;
		cr_assert_eq(waitpid(s->pid, NULL, WNOHANG), 0, "the shim exited at start (log %s)",
			     s->log);
		sleep_ms(10);
	}
	cr_assert_fail("the shim did not answer on %s within 5 s", s->sock);
}

void shim_proc_start(struct shim_proc *s, const char *bundle, const char *flags)
{
	/* A test that serves twice: the first shim's directory goes first. */
	if (s->dir[0])
		shim_proc_cleanup(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/slxtest-shim-XXXXXX");
	cr_assert(mkdtemp(s->dir));
	/* An image store under root is mounted by path from a sandbox's user namespace. */
	cr_assert_eq(chmod(s->dir, 0711), 0);
	snprintf(s->root, sizeof(s->root), "%s/root", s->dir);
	snprintf(s->sock, sizeof(s->sock), "%s/s.sock", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	shim_proc_spawn(s, bundle, flags);
	shim_proc_ready(s);
}

int shim_proc_stop(struct shim_proc *s)
{
	int status;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	status = wait_exit(s->pid, 20000);
	if (status < 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
	return status;
}

bool shim_proc_root_clean(const struct shim_proc *s)
{
	char shims[160];
	DIR *d;
	struct dirent *e;
	bool clean = true;

	snprintf(shims, sizeof(shims), "%s/shims", s->root);
	d = opendir(shims);
	if (!d)
		return true;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			clean = false;
	closedir(d);
	return clean;
}

void shim_proc_cleanup(struct shim_proc *s)
{
	struct cmd_result r;

	(void)shim_proc_stop(s);
	/* A test that failed after a kill -9: a brief shim sweeps the orphans. */
	if (s->root[0] && !shim_proc_root_clean(s)) {
		cmd_run(&r, NULL, 20, "timeout -s TERM 2 '%s' --root '%s' shim serve '%s/busybox'",
			slxrun_bin(), s->root, examples_dir());
		cmd_result_free(&r);
	}
	if (s->dir[0]) {
		cmd_run(&r, NULL, 10, "rm -rf '%s'", s->dir);
		cmd_result_free(&r);
	}
	s->dir[0] = '\0';
	s->root[0] = '\0';
}

uint64_t shim_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void shim_sleep_until(uint64_t t_ns)
{
	uint64_t now = shim_clock_ns();
	struct timespec ts;

	if (now >= t_ns)
		return;
	ts.tv_sec = (time_t)((t_ns - now) / 1000000000ull);
	ts.tv_nsec = (long)((t_ns - now) % 1000000000ull);
	nanosleep(&ts, NULL);
}
