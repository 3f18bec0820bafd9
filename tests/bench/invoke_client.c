/* SPDX-License-Identifier: GPL-2.0-or-later */
/* invoke_client.c -- the benchmark's warm-invocation client: N POSTs over one kept-alive libcurl
 * connection to a shim's invocations endpoint, per-request latency out, p50/p90/p99 printed.
 *
 * Usage: invoke_client URL N [EVENT [TIMES_FILE]]
 * Exits non-zero unless every request got HTTP 200 without X-Amz-Function-Error. TIMES_FILE gets
 * one latency in ms per line, in request order. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct reply {
	size_t bytes;
	bool function_error;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	(void)p;
	r->bytes += size * n;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "X-Amz-Function-Error:";
	struct reply *r = arg;

	if (size * n >= sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1))
		r->function_error = true;
	return size * n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank quantile of sorted v. */
static double quantile(const double *v, long n, double q)
{
	long k = (long)(q * (double)n + 0.999999) - 1;

	return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* One request on the reused handle; its latency in ms, or -1 after printing why it failed. */
static double one(CURL *c, struct reply *r, long i)
{
	double t0 = now_ms(), t;
	long code = 0;
	CURLcode rc;

	*r = (struct reply){0};
	rc = curl_easy_perform(c);
	t = now_ms() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200 || r->function_error) {
		fprintf(stderr, "invoke_client: request %ld: %s, HTTP %ld%s\n", i,
			curl_easy_strerror(rc), code, r->function_error ? ", function error" : "");
		return -1;
	}
	return t;
}

static CURL *make_handle(const char *url, const char *event, struct reply *r)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, event);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	return c;
}

static int write_times(const char *path, const double *v, long n)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return -1;
	}
	for (long i = 0; i < n; i++)
		fprintf(f, "%.4f\n", v[i]);
	return fclose(f);
}

int main(int argc, char **argv)
{
	const char *event = argc > 3 ? argv[3] : "{\"bench\":1}";
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : -1, done = 0;
	struct reply r;
	double *v;
	CURL *c;

	if (argc < 3 || argc > 5 || n < 1) {
		fprintf(stderr, "usage: invoke_client URL N [EVENT [TIMES_FILE]]\n");
		return 2;
	}
	v = calloc((size_t)n, sizeof(*v));
	if (!v || curl_global_init(CURL_GLOBAL_DEFAULT) || !(c = make_handle(argv[1], event, &r))) {
		fprintf(stderr, "invoke_client: out of memory\n");
		return 1;
	}
	while (done < n && (v[done] = one(c, &r, done)) >= 0)
		done++;
	curl_easy_cleanup(c);
	curl_global_cleanup();
	if (done < n || (argc > 4 && write_times(argv[4], v, n) < 0)) {
		free(v);
		return 1;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("n=%ld p50=%.4f p90=%.4f p99=%.4f min=%.4f max=%.4f\n", n, quantile(v, n, 0.5),
	       quantile(v, n, 0.9), quantile(v, n, 0.99), v[0], v[n - 1]);
	free(v);
	return 0;
}
