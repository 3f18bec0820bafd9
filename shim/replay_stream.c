/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_stream.c -- one application's arrivals in time order (see
 * replay_stream.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "replay_stream.h"

#define NS MODEL_NS_PER_S

static int cmp_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
	return (x->dur_ns > y->dur_ns) - (x->dur_ns < y->dur_ns);
}

/* buf[0, mid) and buf[mid, n) are sorted: merge them through tmp.  Each
 * function's minute comes out sorted, so merging the apps' one to three
 * runs replaces a sort that was 15 % of a replay's time. */
static int merge_runs(struct replay_stream *s, size_t mid)
{
	size_t i = 0, j = mid, k = 0;

	if (!mid || mid == s->n || cmp_arrival(&s->buf[mid - 1], &s->buf[mid]) <= 0)
		return 0;
	if (s->tmp_cap < s->n) {
		struct arrival *v = realloc(s->tmp, s->cap * sizeof(*v));

		if (!v)
			return -1;
		s->tmp = v;
		s->tmp_cap = s->cap;
	}
	while (i < mid && j < s->n)
		s->tmp[k++] = cmp_arrival(&s->buf[j], &s->buf[i]) < 0 ? s->buf[j++] : s->buf[i++];
	while (i < mid)
		s->tmp[k++] = s->buf[i++];
	while (j < s->n)
		s->tmp[k++] = s->buf[j++];
	memcpy(s->buf, s->tmp, s->n * sizeof(*s->buf));
	return 0;
}

void replay_stream_free(struct replay_stream *s)
{
	free(s->seed);
	s->seed = NULL;
	free(s->buf);
	free(s->tmp);
	s->buf = s->tmp = NULL;
	s->cap = s->tmp_cap = 0;
}

/* splitmix64's finaliser: a well-mixed 64 bits from any input. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The i-th of a function-minute's exponential draws: -ln U, U in (0, 1). */
static double spacing(uint64_t seed, uint32_t minute, uint32_t i)
{
	uint64_t z = mix64(seed ^ mix64(((uint64_t)minute << 32) | i));

	return -log(((double)(z >> 11) + 0.5) / 9007199254740992.0);
}

/* n arrivals at uniformly random instants of the minute, in order: the
 * sums of n + 1 exponential spacings, scaled to the minute, are n sorted
 * uniform draws (no sort, no buffer), each the same whatever thread or
 * order the apps replay in. */
static void spread_random(struct replay_stream *s, uint32_t minute, uint32_t n, uint64_t dur_ns,
			  size_t src)
{
	const uint64_t base = (uint64_t)minute * 60 * NS;
	uint64_t seed = s->seed[src];
	double total = 0, sum = 0;

	for (uint32_t i = 0; i <= n; i++)
		total += spacing(seed, minute, i);
	for (uint32_t k = 0; k < n; k++) {
		uint64_t t;

		sum += spacing(seed, minute, k);
		t = (uint64_t)(sum / total * 60.0 * NS);
		/* sum / total rounds to 1 when the last spacing is tiny */
		t = base + (t < 60 * NS ? t : 60 * NS - 1);
		s->buf[s->n++] =
		    (struct arrival){s->scale > 1 ? t / s->scale : t, dur_ns, false, (uint16_t)src};
	}
}

/* A function's seed: FNV-1a of its key, never 0; 0 for a timer's. */
static uint64_t function_seed(const struct trace_function *f)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (f->trigger && !strcmp(f->trigger, "timer"))
		return 0;
	for (const char *p = f->key; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* n arrivals in the minute, the k-th at ((2k + 1) x 30 s) / n into it,
 * rounded down in ns: the offsets step by 2 x 30 s / n, their remainders
 * carried, so the exact quotients come without a division each. */
static void spread(struct replay_stream *s, uint32_t minute, uint32_t n, uint64_t dur_ns,
		   size_t src)
{
	const uint64_t half = 30 * NS, base = (uint64_t)minute * 60 * NS;
	uint64_t off = half / n, rem = half % n, step = 2 * half / n, step_rem = 2 * half % n;

	if (s->random && s->seed[src]) {
		spread_random(s, minute, n, dur_ns, src);
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint64_t t = base + off;

		s->buf[s->n++] =
		    (struct arrival){s->scale > 1 ? t / s->scale : t, dur_ns, false, (uint16_t)src};
		off += step;
		rem += step_rem;
		if (rem >= n) {
			rem -= n;
			off++;
		}
	}
}

int replay_stream_fill(struct replay_stream *s)
{
	uint32_t minute = UINT32_MAX;

	if (s->random && !s->seed) {
		s->seed = calloc(s->app->n_fns + 1, sizeof(*s->seed));
		if (!s->seed)
			return -1;
		for (size_t i = 0; i < s->app->n_fns; i++)
			s->seed[i] = function_seed(&s->t->fns[s->app->fns[i]]);
	}
	s->n = s->pos = 0;
	for (size_t i = 0; i < s->app->n_fns; i++) {
		const struct trace_function *f = &s->t->fns[s->app->fns[i]];

		if (s->cur[i] < f->n_min && f->min[s->cur[i]].minute < minute)
			minute = f->min[s->cur[i]].minute;
	}
	if (minute == UINT32_MAX)
		return 0;
	for (size_t i = 0; i < s->app->n_fns; i++) {
		const struct trace_function *f = &s->t->fns[s->app->fns[i]];
		const struct trace_minute *m;
		size_t mid = s->n;

		if (s->cur[i] >= f->n_min || f->min[s->cur[i]].minute != minute)
			continue;
		m = &f->min[s->cur[i]++];
		if (s->n + m->count > s->cap) {
			size_t cap = (s->n + m->count) * 2;
			struct arrival *v = realloc(s->buf, cap * sizeof(*v));

			if (!v)
				return -1;
			s->buf = v;
			s->cap = cap;
		}
		spread(s, minute, m->count, s->dur_ns[i], i);
		if (merge_runs(s, mid) < 0)
			return -1;
	}
	return 1;
}

/* cap is a power of two, so positions wrap with a mask, not a division. */
int arrival_queue_push(struct arrival_queue *q, struct arrival a)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct arrival *v = malloc(cap * sizeof(*v));

		if (!v)
			return -1;
		for (size_t i = 0; i < q->len; i++)
			v[i] = q->v[(q->head + i) & (q->cap - 1)];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->len++) & (q->cap - 1)] = a;
	return 0;
}

struct arrival arrival_queue_pop(struct arrival_queue *q)
{
	struct arrival a = q->v[q->head];

	q->head = (q->head + 1) & (q->cap - 1);
	q->len--;
	return a;
}

void arrival_queue_free(struct arrival_queue *q)
{
	free(q->v);
	*q = (struct arrival_queue){0};
}

struct model_sandbox *replay_ready_sandbox(struct model_function *f)
{
	struct model_sandbox *best = NULL;

	for (size_t i = 0; i < f->n_sb; i++) {
		struct model_sandbox *sb = &f->sb[i];

		if (sb->state != MODEL_SB_IDLE && sb->state != MODEL_SB_FROZEN)
			continue;
		if (!best || (best->state == MODEL_SB_FROZEN && sb->state == MODEL_SB_IDLE) ||
		    (best->state == sb->state && sb->idle_since_ns > best->idle_since_ns))
			best = sb;
	}
	return best;
}
