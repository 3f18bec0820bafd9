/* SPDX-License-Identifier: GPL-2.0-or-later */
/* invoke.c -- one invocation from outside: through the shim serving the
 * bundle when there is one (HTTP over its unix socket, libcurl), else a cold
 * one-shot sandbox that leaves nothing behind. */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/buf.h"
#include "../common/fsutil.h"
#include "../common/cleanup.h"
#include "../common/lazylib.h"
#include "../runtime/runtime.h"
#include "agent_proto.h"
#include "registry.h"
#include "function_sandbox.h"
#include "lambda.h"
#include "orphans.h"
#include "shim.h"

/* The function is named by its registry key (the socket's name less
 * ".sock"): a node serving several functions routes by it. */
#define INVOKE_URL "http://localhost/2015-03-31/functions/%.*s/invocations"

static int read_stdin(struct slx_buf *b, struct slx_err *err)
{
	char chunk[65536];
	ssize_t n;

	if (slx_buf_add(b, "", 0) < 0)
		return slx_error(err, ENOMEM, "event");
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return slx_error(err, errno, "read the event from stdin");
		if (b->len + (size_t)n > AGENT_PAYLOAD_MAX)
			return slx_error(err, EMSGSIZE, "event: more than %u bytes",
					 AGENT_PAYLOAD_MAX);
		if (slx_buf_add(b, chunk, (size_t)n) < 0)
			return slx_error(err, ENOMEM, "event");
	}
	return 0;
}

/* ---- through a serving shim ------------------------------------------- */

struct warm_reply {
	struct slx_buf body;
	bool function_error;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct warm_reply *w = arg;

	return slx_buf_add(&w->body, p, size * n) < 0 ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct warm_reply *w = arg;
	static const char name[] = "X-Amz-Function-Error:";

	if (size * n >= sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1))
		w->function_error = true;
	return size * n;
}

/* 0 and *status when the shim answered; 1 when nobody listens there (the
 * caller goes cold); -1 on any other failure. */
static int invoke_warm(const char *sock, const char *token, const char *event, size_t len,
		       int *status, struct slx_err *err)
{
	struct warm_reply w = {0};
	struct curl_slist *hdrs = NULL;
	struct slx_buf auth = {0};
	const char *key = strrchr(sock, '/') ? strrchr(sock, '/') + 1 : sock;
	char url[160];
	CURL *c;
	CURLcode rc;
	long code = 0;
	int r = -1;

	/* libcurl is loaded only here: see lazylib.h. */
	if (slx_lazy_load_curl(err) < 0)
		return -1;
	if (!(c = curl_easy_init()))
		return slx_error(err, 0, "invoke: libcurl init failed");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (token && slx_buf_add(&auth, "Authorization: Bearer ", 22) == 0 &&
	    slx_buf_add(&auth, token, strlen(token)) == 0)
		hdrs = curl_slist_append(hdrs, auth.p);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	snprintf(url, sizeof(url), INVOKE_URL, (int)(strlen(key) - strlen(".sock")), key);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, event);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &w);
	rc = curl_easy_perform(c);
	if (rc == CURLE_COULDNT_CONNECT) {
		r = 1;
	} else if (rc != CURLE_OK) {
		slx_error(err, 0, "invoke through %s: %s", sock, curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		bool failed = w.function_error || code < 200 || code > 299;

		if (w.body.len)
			fwrite(w.body.p, 1, w.body.len, failed ? stderr : stdout);
		if (failed && w.body.len && w.body.p[w.body.len - 1] != '\n')
			fputc('\n', stderr);
		*status = failed ? 1 : 0;
		r = 0;
	}
	slx_buf_release(&w.body);
	if (auth.p)
		explicit_bzero(auth.p, auth.len);
	slx_buf_release(&auth);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return r;
}

/* ---- cold one-shot ------------------------------------------------------ */

static void print_timings(const struct rt_timings *rt, uint64_t agent_ns, uint64_t fn_ns,
			  uint64_t teardown_ns, uint64_t total_ns)
{
	const struct {
		const char *name;
		uint64_t ns;
	} rows[] = {
	    {"prepare", rt->prepare_ns}, {"cgroup", rt->cgroup_ns},
	    {"clone", rt->clone_ns},	 {"namespaces", rt->namespaces_ns},
	    {"rootfs", rt->rootfs_ns},	 {"agent ready", agent_ns},
	    {"function", fn_ns},	 {"teardown", teardown_ns},
	    {"total", total_ns},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(stderr, "%-18s %8.3f ms\n", rows[i].name, (double)rows[i].ns / 1e6);
}

static int print_result(const struct shim_result *res)
{
	if (res->outcome == SHIM_OK) {
		fwrite(res->body, 1, res->len, stdout);
		return 0;
	}
	fwrite(res->body, 1, res->len, stderr);
	if (!res->len || res->body[res->len - 1] != '\n')
		fputc('\n', stderr);
	return 1;
}

/* A Ctrl-C, `timeout` or a closed terminal (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT) while a one-shot's sandbox exists: its pid 1 is killed at once,
 * so the wait for it ends, the sandbox is torn down as after any end (its
 * cgroup removed), and then, the handlers put back, the process dies of
 * the signal, as its caller expects; one that comes after the teardown
 * (while the answer is written) acts as it always did.  Before, it died at
 * once and the sandbox's cgroup stayed for good.  A signal ignored when
 * slxrun started (nohup, an async list's SIGINT) stays so. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_STOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))
static volatile sig_atomic_t cold_stop;
static volatile sig_atomic_t cold_pidfd = -1;

static void cold_on_signal(int sig)
{
	int saved = errno;

	cold_stop = sig;
	if (cold_pidfd >= 0)
		(void)pidfd_send_signal(cold_pidfd, SIGKILL, NULL, 0);
	errno = saved;
}

/* SA_RESTART: only the waits on the sandbox (poll) should see EINTR. */
static void cold_signals(struct sigaction old[N_STOP_SIGNALS])
{
	struct sigaction sa = {.sa_handler = cold_on_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		if (sigaction(stop_signals[i], NULL, &old[i]) == 0 && old[i].sa_handler != SIG_IGN)
			(void)sigaction(stop_signals[i], &sa, NULL);
}

/* The sandbox is gone: the handlers put back, and death by the signal
 * that asked for it, if one did. */
static void cold_signals_done(const struct sigaction old[N_STOP_SIGNALS])
{
	int sig;

	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		(void)sigaction(stop_signals[i], &old[i], NULL);
	if (!(sig = cold_stop))
		return;
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	_exit(128 + sig);
}

/* A cgroup named for this process's pid is a killed invoke's (SIGKILL
 * leaves it): removed, empty, so that this one's sandbox gets its own,
 * made and removed by it, not one with that invoke's settings left in. */
static int stale_cgroup_remove(const struct shim_function *fn, const char *id, struct slx_err *err)
{
	char path[PATH_MAX];

	if (rt_sandbox_cgroup_path(fn->cgroup_parent, id, path, sizeof(path), err) < 0)
		return -1;
	if (!path[0] || rmdir(path) == 0 || errno == ENOENT)
		return 0;
	return slx_error(err, errno, "cgroup %s, left by a killed invoke", path);
}

static int invoke_cold(const char *bundle, const struct shim_invoke_opts *o, const char *event,
		       size_t len, bool timings, struct slx_err *err)
{
	uint64_t t0 = slx_now_ns(), t1, t2, t3, ready_ns;
	struct shim_function *fn = NULL;
	struct shim_sandbox *sb = NULL;
	struct shim_result res = {0};
	char id[32], request_id[37];
	struct sigaction old[N_STOP_SIGNALS];
	int r;

	cold_signals(old);
	if (shim_function_load(bundle, o->root, &o->floor, &o->settings, &fn, err) < 0) {
		cold_signals_done(old);
		return -1;
	}
	snprintf(id, sizeof(id), "invoke-%d", (int)getpid());
	if (cold_stop || stale_cgroup_remove(fn, id, err) < 0 ||
	    shim_sandbox_spawn(fn, id, &sb, err) < 0) {
		shim_function_free(fn);
		cold_signals_done(old);
		return -1;
	}
	cold_pidfd = shim_sandbox_pidfd(sb);
	if (cold_stop) /* came while it was made */
		cold_on_signal(cold_stop);
	ready_ns = slx_now_ns();
	r = shim_sandbox_wait_ready(sb, err);
	t1 = slx_now_ns();
	ready_ns = t1 - ready_ns;
	if (r == 0 && !cold_stop) {
		shim_request_id_new(request_id);
		r = shim_sandbox_invoke(sb, request_id, event, len, &res, err);
	}
	t2 = slx_now_ns();
	struct rt_timings rt = *shim_sandbox_rt_timings(sb);
	cold_pidfd = -1;
	shim_sandbox_destroy(sb);
	shim_function_free(fn);
	t3 = slx_now_ns();
	if (cold_stop)
		shim_result_release(&res);
	cold_signals_done(old);
	if (r < 0)
		return -1;
	r = print_result(&res);
	shim_result_release(&res);
	if (timings)
		print_timings(&rt, ready_ns, t2 - t1, t3 - t2, t3 - t0);
	/* After the answer: what killed one-shots before it left, which
	 * nothing else records (a readdir of slxrun/, where a shim's start
	 * was the only other sweep). */
	shim_orphans_reap_invokes();
	return r;
}

int shim_invoke(const struct shim_invoke_opts *o, struct slx_err *err)
{
	struct slx_buf ev = {0};
	char abs[PATH_MAX], sock[PATH_MAX];
	cleanup_free char *bundle = NULL;
	cleanup_close int pin = -1; /* held until the answer is out */
	struct stat st;
	char *token = NULL;
	int r = -1, status = 0;

	/* The range first: an image ref is pulled and unpacked into the store
	 * by shim_function_bundle, which a refused range must not leave. */
	if ((!o->floor.unsafe && shim_floor_range_hold(&o->floor, err) < 0) ||
	    shim_function_bundle(o->root, o->bundle, &bundle, &pin, err) < 0)
		return -1;
	if (!realpath(bundle, abs))
		return slx_error(err, errno, "bundle %s", bundle);
	if (o->data && slx_buf_add(&ev, o->data, strlen(o->data)) < 0) {
		slx_error(err, ENOMEM, "event");
		goto out;
	}
	if (!o->data && read_stdin(&ev, err) < 0)
		goto out;
	if (shim_registry_socket_path(o->root, abs, sock, sizeof(sock), err) < 0)
		goto out;
	/* A shim serving this bundle answers warm; a stale socket is no shim. */
	if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (shim_registry_read_token(o->root, abs, &token, err) < 0)
			goto out;
		r = invoke_warm(sock, token, ev.p, ev.len, &status, err);
		if (r <= 0) {
			r = r < 0 ? -1 : status;
			goto out;
		}
	}
	r = invoke_cold(abs, o, ev.p, ev.len, o->timings, err);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	slx_buf_release(&ev);
	return r;
}
