/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim_proc.h -- one `slxrun shim serve` process for a test: start it in a
 * private directory and wait until it answers, talk HTTP to it over its unix
 * socket, stop it, and clean up after a test that failed half way. */
#ifndef SLX_TEST_SHIM_PROC_H
#define SLX_TEST_SHIM_PROC_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct shim_proc {
	pid_t pid;    /* -1: not running */
	char dir[64]; /* private: holds the --root, the socket and the log */
	char root[96];
	char sock[96];
	char log[96];
};

#define SHIM_PROC_INIT                                                                             \
	{                                                                                          \
		.pid = -1                                                                          \
	}
#define SHIM_INVOKE_PATH "/2015-03-31/functions/function/invocations"

struct http_reply {
	long status;
	char body[65536];
	size_t len;
	char headers[16384];
	size_t hlen;
};

/* A ready handle for one request to http://localhost<url path> on sock;
 * body NULL is a GET.  The reply lands in r. */
CURL *http_easy(const char *sock, const char *url, const char *body, size_t len,
		struct http_reply *r);
/* Drive every transfer of m to its end. */
void http_multi_finish(CURLM *m);
/* One request; method NULL is GET or POST by body.  Returns curl's result. */
CURLcode http_request(const char *sock, const char *method, const char *path, const char *body,
		      size_t len, struct http_reply *r);

/* A fresh private directory for s, then shim_proc_spawn and shim_proc_ready. */
void shim_proc_start(struct shim_proc *s, const char *bundle, const char *flags);
/* `slxrun --root s->root shim serve --listen unix:s->sock FLAGS BUNDLE`,
 * output to s->log; s's paths must be set. */
void shim_proc_spawn(struct shim_proc *s, const char *bundle, const char *flags);
/* Wait (5 s) until GET /status answers 200; fails the test if the shim exits. */
void shim_proc_ready(const struct shim_proc *s);
/* SIGTERM, SIGKILL after 20 s: the exit status (128+signal), -1 if it hung
 * or was not running. */
int shim_proc_stop(struct shim_proc *s);
/* No shim records or sockets left under s->root. */
bool shim_proc_root_clean(const struct shim_proc *s);
/* For a suite's .fini: stop s, let a brief shim sweep what a killed one
 * left under its root, remove its directory.  Safe twice. */
void shim_proc_cleanup(struct shim_proc *s);

/* POST event to the invocation path; fails the test when curl does. */
void shim_invoke(const struct shim_proc *s, const char *event, struct http_reply *r);
/* The value of one sample line of /metrics ("name{labels} value"). */
double shim_metric(const struct shim_proc *s, const char *sample);

/* Wait (5 s) until n sandboxes are idle or frozen; how many are. */
int shim_wait_warm(const struct shim_proc *s, int n);

/* For playing a trace against a shim: the monotonic clock in ns, and a
 * sleep until it reads t_ns (none if it already does). */
uint64_t shim_clock_ns(void);
void shim_sleep_until(uint64_t t_ns);

#endif
