/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lambda.c -- how AWS Lambda words things, for the shim and its agent: the
 * error JSON, a process's end, request ids, epoch-ms deadlines. */
#include "lambda.h"

#include <errno.h>
#include <openssl/evp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

#include "../common/fsutil.h"
#include "../common/lazylib.h"

#define LOG_RESULT_MAX 4096 /* Lambda's "last 4 KB" */

int shim_log_result(struct slx_buf *b, const char *request_id, const char *log, size_t len,
		    const struct shim_report *rep, struct slx_err *err)
{
	struct slx_buf text = {0};
	double ms = (double)rep->duration_ns / 1e6;
	unsigned long long billed = (rep->duration_ns + 999999) / 1000000;
	char head[128], foot[640], more[256] = "";
	size_t start, n, m = 0;
	int r = -1;

	snprintf(head, sizeof(head), "START RequestId: %s Version: $LATEST\n", request_id);
	/* Lambda's own order; MB as it counts them, rounded up */
	if (rep->max_memory_bytes)
		m +=
		    (size_t)snprintf(more + m, sizeof(more) - m, "Max Memory Used: %llu MB\t",
				     (unsigned long long)((rep->max_memory_bytes + 1048575) >> 20));
	if (rep->init_ns)
		m += (size_t)snprintf(more + m, sizeof(more) - m, "Init Duration: %.2f ms\t",
				      (double)rep->init_ns / 1e6);
	if (rep->status)
		m += (size_t)snprintf(more + m, sizeof(more) - m, "Status: %s\t", rep->status);
	if (rep->error_type && m < sizeof(more))
		snprintf(more + m, sizeof(more) - m, "Error Type: %.64s\t", rep->error_type);
	snprintf(foot, sizeof(foot),
		 "%sEND RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\t"
		 "Billed Duration: %llu ms\tMemory Size: %lld MB\t%s\n",
		 len && log[len - 1] != '\n' ? "\n" : "", request_id, request_id, ms,
		 billed ? billed : 1, rep->memory_mb, more);
	if ((rep->init_log_len && slx_buf_add(&text, rep->init_log, rep->init_log_len) < 0) ||
	    (rep->init_log_len && rep->init_log[rep->init_log_len - 1] != '\n' &&
	     slx_buf_add(&text, "\n", 1) < 0) ||
	    slx_buf_add(&text, head, strlen(head)) < 0 || slx_buf_add(&text, log, len) < 0 ||
	    slx_buf_add(&text, foot, strlen(foot)) < 0)
		goto out;
	start = text.len > LOG_RESULT_MAX ? text.len - LOG_RESULT_MAX : 0;
	n = text.len - start;
	if (slx_lazy_load_crypto(err) < 0)
		goto out;
	b->len = 0;
	if (slx_buf_reserve(b, 4 * ((n + 2) / 3) + 1) < 0)
		goto out;
	b->len = (size_t)EVP_EncodeBlock((unsigned char *)b->p,
					 (const unsigned char *)text.p + start, (int)n);
	r = 0;
out:
	if (r < 0 && !err->msg[0])
		slx_error(err, ENOMEM, "the call's log");
	slx_buf_release(&text);
	return r;
}

/* A runtime's init error read as a stream (never a tree: a hostile one
 * nested half a million arrays deep and overflowed the shim's stack freeing
 * it) and written anew as it is read (yajl_gen), so that what goes out is
 * what was checked: the top level's errorType once (is_word refuses a NUL
 * in it), errorMessage once at most, every string and key UTF-8 as decoded
 * (yajl passes overlong forms, and decodes a lone low surrogate escape to
 * one). */
#define INIT_ERROR_MAX	 (256 * 1024)
#define INIT_ERROR_DEPTH 64

struct err_scan {
	int depth;
	bool type_next; /* at depth 1, the value that follows is errorType's */
	bool have_type, have_msg, ok_top;
	struct slx_buf type;
	yajl_gen g; /* the answer */
};

#define GEN(call) ((call) == yajl_gen_status_ok)

static int es_scalar(struct err_scan *e)
{
	return !e->type_next; /* an errorType that is no string */
}

static int es_null(void *c)
{
	return es_scalar(c) && GEN(yajl_gen_null(((struct err_scan *)c)->g));
}

static int es_bool(void *c, int v)
{
	return es_scalar(c) && GEN(yajl_gen_bool(((struct err_scan *)c)->g, v));
}

static int es_number(void *c, const char *s, size_t n)
{
	return es_scalar(c) && GEN(yajl_gen_number(((struct err_scan *)c)->g, s, n));
}

static int es_string(void *c, const unsigned char *s, size_t n)
{
	struct err_scan *e = c;
	bool type = e->type_next;

	e->type_next = false;
	if (e->depth < 1 || !slx_utf8_valid((const char *)s, n))
		return 0;
	if (type && slx_buf_add(&e->type, (const char *)s, n) < 0)
		return 0;
	return GEN(yajl_gen_string(e->g, s, n));
}

static int es_open(struct err_scan *e)
{
	if (e->depth == 0)
		e->ok_top = true;
	if (e->type_next)
		return 0;
	return ++e->depth <= INIT_ERROR_DEPTH;
}

static int es_open_map(void *c)
{
	struct err_scan *e = c;

	return es_open(e) && GEN(yajl_gen_map_open(e->g));
}

static int es_open_array(void *c)
{
	struct err_scan *e = c;

	return e->depth > 0 && es_open(e) && GEN(yajl_gen_array_open(e->g));
}

static int es_close_map(void *c)
{
	struct err_scan *e = c;

	e->depth--;
	return GEN(yajl_gen_map_close(e->g));
}

static int es_close_array(void *c)
{
	struct err_scan *e = c;

	e->depth--;
	return GEN(yajl_gen_array_close(e->g));
}

static int es_key(void *c, const unsigned char *k, size_t n)
{
	struct err_scan *e = c;

	if (!slx_utf8_valid((const char *)k, n))
		return 0;
	if (e->depth == 1 && n == 12 && !memcmp(k, "errorMessage", 12)) {
		if (e->have_msg) /* one, or clients read different ones */
			return 0;
		e->have_msg = true;
	}
	if (e->depth == 1 && n == 9 && !memcmp(k, "errorType", 9)) {
		if (e->have_type)
			return 0;
		e->have_type = e->type_next = true;
	}
	return GEN(yajl_gen_string(e->g, k, n));
}

static const yajl_callbacks es_callbacks = {
    .yajl_null = es_null,
    .yajl_boolean = es_bool,
    .yajl_number = es_number,
    .yajl_string = es_string,
    .yajl_start_map = es_open_map,
    .yajl_map_key = es_key,
    .yajl_end_map = es_close_map,
    .yajl_start_array = es_open_array,
    .yajl_end_array = es_close_array,
};

/* A word, as Lambda's error types are: it goes into log lines and the REPORT. */
static bool is_word(const char *s, size_t n)
{
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	return true;
}

int shim_init_error_answer(const char *body, size_t len, struct slx_buf *out, char *type,
			   size_t cap)
{
	struct err_scan e = {0};
	yajl_handle h = NULL;
	const unsigned char *g;
	size_t glen;
	int r = -1;

	if (len > INIT_ERROR_MAX || !(e.g = yajl_gen_alloc(NULL)) ||
	    !(h = yajl_alloc(&es_callbacks, NULL, &e)))
		goto out;
	if (yajl_parse(h, (const unsigned char *)body, len) == yajl_status_ok &&
	    yajl_complete_parse(h) == yajl_status_ok && e.ok_top && e.have_type &&
	    is_word(e.type.p, e.type.len) && e.type.len < cap &&
	    GEN(yajl_gen_get_buf(e.g, &g, &glen))) {
		memcpy(type, e.type.p, e.type.len);
		type[e.type.len] = '\0';
		out->len = 0;
		r = slx_buf_add(out, g, glen);
	}
out:
	if (h)
		yajl_free(h);
	if (e.g)
		yajl_gen_free(e.g);
	slx_buf_release(&e.type);
	return r;
}

int shim_error_json(struct slx_buf *b, const char *type, const char *msg, size_t msg_len)
{
	b->len = 0;
	if (slx_buf_add(b, "{\"errorMessage\":", 16) < 0 || slx_buf_json_str(b, msg, msg_len) < 0 ||
	    slx_buf_add(b, ",\"errorType\":", 13) < 0 ||
	    slx_buf_json_str(b, type, strlen(type)) < 0)
		return -1;
	return slx_buf_add(b, "}", 1);
}

void shim_exit_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status)) {
		const char *name = strsignal(WTERMSIG(status));

		snprintf(buf, len, "signal: %s", name ? name : "unknown");
		/* Go's (and so Lambda's) wording is lower case: "segmentation fault". */
		if (buf[8])
			buf[8] = (char)(buf[8] >= 'A' && buf[8] <= 'Z' ? buf[8] + 32 : buf[8]);
		return;
	}
	snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

void shim_request_id_new(char buf[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(slx_now_ns() >> (i % 8 * 8));
	b[6] = (b[6] & 0x0f) | 0x40; /* UUID v4, the shape Lambda uses */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

uint64_t shim_epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
