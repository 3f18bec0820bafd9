/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_log.c -- a runtime-api function's log.  The bootstrap writes to a
 * pipe the agent owns, never to the shim's stderr itself: with that file
 * in hand it could truncate the shim's log, read back what other functions
 * logged there, pass a line off as the shim's, or fill the disk at the
 * speed of write(2).  The agent copies the pipe to its own stderr line by
 * line, each line after "[NAME] ", control characters escaped, at most
 * AGENT_LOG_RATE bytes a second for the function, all its sandboxes
 * together (a bucket of AGENT_LOG_BURST); past it the lines are dropped,
 * and one line says how much. */
#include "agent_log.h"
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "lambda.h"

#define AGENT_LOG_RATE	(1u << 20) /* bytes a second */
#define AGENT_LOG_BURST (1u << 20)
#define NS_PER_S	1000000000ll
#define FULL		((int64_t)AGENT_LOG_BURST * NS_PER_S) /* in byte-nanoseconds */

/* s[0..n) with every byte outside printable ASCII and tab (and the
 * backslash) as \xNN, into out (4 bytes a byte at most); its length.  Tab
 * stays: Lambda's runtimes separate a line's fields with it, and it moves
 * no line. */
static size_t escape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\t') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	return o;
}

struct agent_log_rate *agent_log_rate_new(void)
{
	struct agent_log_rate *r =
	    mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	atomic_init(&r->tokens, FULL);
	atomic_init(&r->last_ns, slx_now_ns());
	return r;
}

void agent_log_rate_free(struct agent_log_rate *r)
{
	if (r)
		(void)munmap(r, sizeof(*r));
}

/* Credit the time since the last refill (whoever moves last_ns credits it,
 * once), the bucket kept at FULL. */
static uint64_t refill(struct agent_log_rate *r)
{
	uint64_t now = slx_now_ns(), last = atomic_load(&r->last_ns);
	int64_t add, cur;

	if (now <= last || !atomic_compare_exchange_strong(&r->last_ns, &last, now))
		return now;
	add = now - last >= (uint64_t)NS_PER_S ? FULL : (int64_t)(now - last) * AGENT_LOG_RATE;
	cur = atomic_fetch_add(&r->tokens, add) + add;
	while (cur > FULL && !atomic_compare_exchange_weak(&r->tokens, &cur, FULL))
		;
	return now;
}

/* Take n bytes' worth, or nothing. */
static bool take(struct agent_log_rate *r, size_t n)
{
	int64_t cost = (int64_t)n * NS_PER_S;

	if (atomic_fetch_sub(&r->tokens, cost) >= cost)
		return true;
	atomic_fetch_add(&r->tokens, cost);
	return false;
}

int agent_log_open(struct agent_log *l, const char *name, struct agent_log_rate *rate,
		   const struct shim_floor *floor, int *write_end)
{
	int p[2];

	*l = (struct agent_log){.fd = -1, .rate = rate};
	l->name_len = escape(name, strnlen(name, 64), l->name);
	l->name[l->name_len] = '\0';
	if (agent_pipe(p, floor) < 0)
		return -1;
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	l->fd = p[0];
	*write_end = p[1];
	return 0;
}

/* The count of what was dropped, at most once a second (it is charged
 * like any line, so dropping cannot itself flood). */
static void say_dropped(struct agent_log *l, int out, uint64_t now)
{
	char msg[512];
	size_t n;
	int len;

	if (l->said_ns && now - l->said_ns < 1000000000ull)
		return;
	len = snprintf(msg, sizeof(msg),
		       "slxrun agent: function %s: %llu bytes of its log dropped (over %u KiB/s)\n",
		       l->name, (unsigned long long)l->dropped, AGENT_LOG_RATE >> 10);
	if (len <= 0)
		return;
	n = (size_t)len < sizeof(msg) ? (size_t)len : sizeof(msg) - 1;
	(void)slx_write_all(out, msg, n); /* a failing stderr loses the line, never the agent */
	atomic_fetch_sub(&l->rate->tokens, (int64_t)n * NS_PER_S);
	l->dropped = 0;
	l->said_ns = now;
}

void agent_tail_keep(struct agent_tail *t, const char *p, size_t n)
{
	size_t first;

	if (n >= AGENT_TAIL_MAX) {
		memcpy(t->buf, p + n - AGENT_TAIL_MAX, AGENT_TAIL_MAX);
		t->head = 0;
		t->len = AGENT_TAIL_MAX;
		return;
	}
	first = AGENT_TAIL_MAX - t->head < n ? AGENT_TAIL_MAX - t->head : n;
	memcpy(t->buf + t->head, p, first);
	memcpy(t->buf, p + first, n - first);
	t->head = (t->head + n) % AGENT_TAIL_MAX;
	t->len = t->len + n < AGENT_TAIL_MAX ? t->len + n : AGENT_TAIL_MAX;
}

size_t agent_tail_copy(const struct agent_tail *t, char *out)
{
	size_t start = (t->head + AGENT_TAIL_MAX - t->len) % AGENT_TAIL_MAX;
	size_t first = AGENT_TAIL_MAX - start < t->len ? AGENT_TAIL_MAX - start : t->len;

	memcpy(out, t->buf + start, first);
	memcpy(out + first, t->buf, t->len - first);
	return t->len;
}

/* One line (without its newline), named and escaped, or dropped.  The
 * bucket pays for what is written (the name, the escapes), not for what
 * came in: a line of control characters is four times its size out. */
static void emit(struct agent_log *l, int out, const char *s, size_t n)
{
	char buf[4 * (64 + AGENT_LOG_LINE) + 8];
	size_t o = 0;
	uint64_t now = refill(l->rate);

	if (l->tail) { /* the call's own log, whatever the shim's rate drops */
		size_t from = l->tail_from < n ? l->tail_from : n;

		agent_tail_keep(l->tail, s + from, n - from);
		agent_tail_keep(l->tail, "\n", 1);
	}
	l->tail_from = 0;
	buf[o++] = '[';
	memcpy(buf + o, l->name, l->name_len);
	o += l->name_len;
	buf[o++] = ']';
	buf[o++] = ' ';
	o += escape(s, n, buf + o);
	buf[o++] = '\n';
	if (!take(l->rate, o)) {
		l->dropped += n + 1;
		if (atomic_load(&l->rate->tokens) > 0)
			say_dropped(l, out, now);
		return;
	}
	if (l->dropped)
		say_dropped(l, out, now);
	(void)slx_write_all(out, buf, o);
}

void agent_log_tail_start(struct agent_log *l, struct agent_tail *t)
{
	*t = (struct agent_tail){0};
	l->tail = t;
	l->tail_from = l->len;
}

void agent_log_tail_end(struct agent_log *l)
{
	if (l->tail && l->len > l->tail_from)
		agent_tail_keep(l->tail, l->line + l->tail_from, l->len - l->tail_from);
	l->tail_from = l->len;
	l->tail = NULL;
}

size_t agent_log_tail_peek(const struct agent_log *l, char *out)
{
	struct agent_tail t;

	if (!l->tail)
		return 0;
	t = *l->tail;
	if (l->len > l->tail_from)
		agent_tail_keep(&t, l->line + l->tail_from, l->len - l->tail_from);
	return agent_tail_copy(&t, out);
}

int agent_log_early_ms(uint64_t deadline_ms)
{
	uint64_t now = shim_epoch_ms();
	uint64_t at = deadline_ms > AGENT_LOG_EARLY_MS ? deadline_ms - AGENT_LOG_EARLY_MS : 0;

	if (now >= at)
		return 0;
	return at - now > INT_MAX ? INT_MAX : (int)(at - now);
}

void agent_log_drain(struct agent_log *l, int out)
{
	char chunk[16384];

	/* at most 256 KiB a pass: a writer that never stops must not hold the
	 * agent here (its loop comes back while the pipe is readable) */
	for (int pass = 0; pass < 16 && l->fd >= 0; pass++) {
		ssize_t n = read(l->fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* every writer is gone */
			agent_log_close(l, out);
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n' || l->len == AGENT_LOG_LINE) {
				emit(l, out, l->line, l->len);
				l->len = 0;
				if (chunk[i] == '\n')
					continue;
			}
			l->line[l->len++] = chunk[i];
		}
	}
}

void agent_log_close(struct agent_log *l, int out)
{
	if (l->len)
		emit(l, out, l->line, l->len);
	l->len = 0;
	if (l->dropped) {
		l->said_ns = 0;
		say_dropped(l, out, slx_now_ns());
	}
	slx_closep(&l->fd);
}
