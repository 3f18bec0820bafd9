/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trace.c -- Azure Functions 2019 trace files: split, check, index.  Every
 * error names the file and line, and the column where one is at fault. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "trace.h"

#define INV_FIXED 4 /* HashOwner,HashApp,HashFunction,Trigger */
#define INV_COLS  (INV_FIXED + TRACE_MINUTES)
#define DUR_COLS  14
#define MEM_COLS  12

/* ---- a string-keyed index ---------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

typedef const char *(*key_of_fn)(const struct trace *t, size_t i);

static const char *app_key(const struct trace *t, size_t i)
{
	return t->apps[i].key;
}

static const char *fn_key(const struct trace *t, size_t i)
{
	return t->fns[i].key;
}

static size_t *index_slot(const struct trace *t, const struct trace_index *x, key_of_fn key_of,
			  const char *key)
{
	size_t i = hash_str(key) & (x->cap - 1);

	while (x->slot[i] && strcmp(key_of(t, x->slot[i] - 1), key))
		i = (i + 1) & (x->cap - 1);
	return &x->slot[i];
}

/* -1 when absent. */
static long index_find(const struct trace *t, const struct trace_index *x, key_of_fn key_of,
		       const char *key)
{
	size_t *s;

	if (!x->cap)
		return -1;
	s = index_slot(t, x, key_of, key);
	return *s ? (long)(*s - 1) : -1;
}

static int index_put(const struct trace *t, struct trace_index *x, key_of_fn key_of, size_t idx)
{
	if (2 * (x->n + 1) > x->cap) {
		struct trace_index bigger = {.cap = x->cap ? 2 * x->cap : 64};

		bigger.slot = calloc(bigger.cap, sizeof(size_t));
		if (!bigger.slot)
			return -1;
		for (size_t i = 0; i < x->cap; i++)
			if (x->slot[i])
				*index_slot(t, &bigger, key_of, key_of(t, x->slot[i] - 1)) =
				    x->slot[i];
		free(x->slot);
		bigger.n = x->n;
		*x = bigger;
	}
	*index_slot(t, x, key_of, key_of(t, idx)) = idx + 1;
	x->n++;
	return 0;
}

/* ---- the trace ------------------------------------------------------------ */

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
}

void trace_free(struct trace *t)
{
	for (size_t i = 0; i < t->n_apps; i++) {
		free(t->apps[i].key);
		free(t->apps[i].fns);
	}
	for (size_t i = 0; i < t->n_fns; i++) {
		free(t->fns[i].key);
		free(t->fns[i].trigger);
		free(t->fns[i].min);
	}
	free(t->apps);
	free(t->fns);
	free(t->app_index.slot);
	free(t->fn_index.slot);
	trace_init(t);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static long app_get(struct trace *t, const char *owner, const char *app)
{
	cleanup_free char *key = NULL;
	long i;

	if (asprintf(&key, "%s,%s", owner, app) < 0)
		return -1;
	i = index_find(t, &t->app_index, app_key, key);
	if (i >= 0)
		return i;
	if (grow((void **)&t->apps, &t->cap_apps, t->n_apps, sizeof(*t->apps)) < 0)
		return -1;
	t->apps[t->n_apps++] = (struct trace_app){.key = steal_ptr(key)};
	if (index_put(t, &t->app_index, app_key, t->n_apps - 1) < 0)
		return -1;
	return (long)t->n_apps - 1;
}

static long fn_get(struct trace *t, char **col)
{
	cleanup_free char *key = NULL;
	struct trace_app *a;
	long i, ai;

	if (asprintf(&key, "%s,%s,%s", col[0], col[1], col[2]) < 0)
		return -1;
	i = index_find(t, &t->fn_index, fn_key, key);
	if (i >= 0)
		return i;
	ai = app_get(t, col[0], col[1]);
	if (ai < 0 || grow((void **)&t->fns, &t->cap_fns, t->n_fns, sizeof(*t->fns)) < 0)
		return -1;
	a = &t->apps[ai];
	if (grow((void **)&a->fns, &a->cap_fns, a->n_fns, sizeof(*a->fns)) < 0)
		return -1;
	i = (long)t->n_fns++;
	t->fns[i] = (struct trace_function){.key = steal_ptr(key), .app = (size_t)ai};
	t->fns[i].trigger = strdup(col[3]);
	a->fns[a->n_fns++] = (size_t)i;
	if (!t->fns[i].trigger || index_put(t, &t->fn_index, fn_key, (size_t)i) < 0)
		return -1;
	return i;
}

/* ---- lines and fields ---------------------------------------------------- */

/* Split line in place at commas into col[0..max); returns the count (which
 * may exceed max: only the first max are stored). */
static size_t split(char *line, char **col, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		char *c = strchr(p, ',');

		if (n < max)
			col[n] = p;
		n++;
		if (!c)
			return n;
		*c = '\0';
		p = c + 1;
	}
}

static int parse_count(const char *s, uint32_t *out, const char *name, unsigned line, size_t column,
		       struct slx_err *err)
{
	uint64_t v = 0;

	if (*s == '-')
		return slx_error(err, 0, "%s:%u: column %zu: negative count %s", name, line, column,
				 s);
	if (!*s)
		return slx_error(err, 0, "%s:%u: column %zu: empty count", name, line, column);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return slx_error(err, 0, "%s:%u: column %zu: not a count: \"%.32s\"", name,
					 line, column, s);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > TRACE_MAX_PER_MINUTE)
			return slx_error(err, 0,
					 "%s:%u: column %zu: count %.32s above %u per minute", name,
					 line, column, s, TRACE_MAX_PER_MINUTE);
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_real(const char *s, double max, double *out, const char *name, unsigned line,
		      size_t column, struct slx_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return slx_error(err, 0, "%s:%u: column %zu: not a number: \"%.32s\"", name, line,
				 column, s);
	if (v < 0 || v > max)
		return slx_error(err, 0, "%s:%u: column %zu: %.32s out of range 0..%g", name, line,
				 column, s, max);
	*out = v;
	return 0;
}

static int check_header(char **col, size_t n, size_t want, const char *const *names, size_t n_names,
			const char *name, struct slx_err *err)
{
	if (n != want)
		return slx_error(err, 0, "%s:1: header: expected %zu columns, got %zu", name, want,
				 n);
	for (size_t i = 0; i < n_names; i++)
		if (strcmp(col[i], names[i]))
			return slx_error(err, 0,
					 "%s:1: header: column %zu is \"%.40s\", expected \"%s\"",
					 name, i + 1, col[i], names[i]);
	return 0;
}

static int check_keys(char **col, size_t n_keys, const char *name, unsigned line,
		      struct slx_err *err)
{
	for (size_t i = 0; i < n_keys; i++)
		if (!*col[i])
			return slx_error(err, 0, "%s:%u: column %zu: empty hash", name, line,
					 i + 1);
	return 0;
}

/* One pass over a CSV file: header check, then row() per non-blank line
 * with exactly `cols` columns. */
typedef int (*row_fn)(struct trace *t, char **col, const char *name, unsigned line,
		      struct slx_err *err);

static int each_row(struct trace *t, FILE *in, const char *name, size_t cols,
		    const char *const *head, size_t n_head, row_fn row, struct slx_err *err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char **col = calloc(cols, sizeof(char *));
	size_t cap = 0, n;
	unsigned line = 0;

	if (!col)
		return slx_error(err, ENOMEM, "%s", name);
	while (getline(&buf, &cap, in) >= 0) {
		line++;
		if (line > 1 && buf[strspn(buf, " \t\r\n")] == '\0')
			continue;
		n = split(buf, col, cols);
		if (line == 1) {
			if (check_header(col, n, cols, head, n_head, name, err) < 0)
				return -1;
			continue;
		}
		if (n != cols)
			return slx_error(err, 0, "%s:%u: expected %zu columns, got %zu", name, line,
					 cols, n);
		if (row(t, col, name, line, err) < 0)
			return -1;
	}
	if (ferror(in))
		return slx_error(err, errno, "read %s", name);
	if (line == 0)
		return slx_error(err, 0, "%s: empty file (no header)", name);
	return 0;
}

/* ---- the three files ------------------------------------------------------ */

static const char *const inv_head[] = {"HashOwner", "HashApp", "HashFunction", "Trigger"};

static int inv_row(struct trace *t, char **col, const char *name, unsigned line,
		   struct slx_err *err)
{
	uint32_t counts[TRACE_MINUTES];
	uint32_t base = (t->days - 1) * TRACE_MINUTES;
	struct trace_function *f;
	long fi;

	if (check_keys(col, 3, name, line, err) < 0)
		return -1;
	for (size_t m = 0; m < TRACE_MINUTES; m++)
		if (parse_count(col[INV_FIXED + m], &counts[m], name, line, INV_FIXED + m + 1,
				err) < 0)
			return -1;
	fi = fn_get(t, col);
	if (fi < 0)
		return slx_error(err, ENOMEM, "%s:%u", name, line);
	f = &t->fns[fi];
	if (f->last_day == t->days)
		return slx_error(err, 0, "%s:%u: function %.80s listed twice", name, line, f->key);
	f->last_day = t->days;
	for (uint32_t m = 0; m < TRACE_MINUTES; m++) {
		if (!counts[m])
			continue;
		if (grow((void **)&f->min, &f->cap_min, f->n_min, sizeof(*f->min)) < 0)
			return slx_error(err, ENOMEM, "%s:%u", name, line);
		f->min[f->n_min++] = (struct trace_minute){base + m, counts[m]};
		t->invocations += counts[m];
	}
	return 0;
}

int trace_load_invocations(struct trace *t, FILE *in, const char *name, struct slx_err *err)
{
	char minute_names[TRACE_MINUTES][8];
	const char *head[INV_COLS];

	if (t->days >= TRACE_MAX_DAYS)
		return slx_error(err, 0, "%s: more than %d day files", name, TRACE_MAX_DAYS);
	memcpy(head, inv_head, sizeof(inv_head));
	for (int m = 0; m < TRACE_MINUTES; m++) {
		snprintf(minute_names[m], sizeof(minute_names[m]), "%d", m + 1);
		head[INV_FIXED + m] = minute_names[m];
	}
	t->days++;
	return each_row(t, in, name, INV_COLS, head, INV_COLS, inv_row, err);
}

static const char *const dur_head[] = {
    "HashOwner",
    "HashApp",
    "HashFunction",
    "Average",
    "Count",
    "Minimum",
    "Maximum",
    "percentile_Average_0",
    "percentile_Average_1",
    "percentile_Average_25",
    "percentile_Average_50",
    "percentile_Average_75",
    "percentile_Average_99",
    "percentile_Average_100",
};

static int dur_row(struct trace *t, char **col, const char *name, unsigned line,
		   struct slx_err *err)
{
	cleanup_free char *key = NULL;
	double avg, count;
	long fi;

	if (check_keys(col, 3, name, line, err) < 0 ||
	    parse_real(col[3], 1e9, &avg, name, line, 4, err) < 0 ||
	    parse_real(col[4], 1e12, &count, name, line, 5, err) < 0)
		return -1;
	if (asprintf(&key, "%s,%s,%s", col[0], col[1], col[2]) < 0)
		return slx_error(err, ENOMEM, "%s:%u", name, line);
	fi = index_find(t, &t->fn_index, fn_key, key);
	if (fi < 0) /* a function with no invocations in the loaded days */
		return 0;
	if (count <= 0)
		count = 1;
	t->fns[fi].dur_sum_ms += avg * count;
	t->fns[fi].dur_count += count;
	return 0;
}

int trace_load_durations(struct trace *t, FILE *in, const char *name, struct slx_err *err)
{
	return each_row(t, in, name, DUR_COLS, dur_head, DUR_COLS, dur_row, err);
}

static const char *const mem_head[] = {
    "HashOwner",
    "HashApp",
    "SampleCount",
    "AverageAllocatedMb",
    "AverageAllocatedMb_pct1",
    "AverageAllocatedMb_pct5",
    "AverageAllocatedMb_pct25",
    "AverageAllocatedMb_pct50",
    "AverageAllocatedMb_pct75",
    "AverageAllocatedMb_pct95",
    "AverageAllocatedMb_pct99",
    "AverageAllocatedMb_pct100",
};

static int mem_row(struct trace *t, char **col, const char *name, unsigned line,
		   struct slx_err *err)
{
	cleanup_free char *key = NULL;
	double samples, mb;
	long ai;

	if (check_keys(col, 2, name, line, err) < 0 ||
	    parse_real(col[2], 1e12, &samples, name, line, 3, err) < 0 ||
	    parse_real(col[3], 1e7, &mb, name, line, 4, err) < 0)
		return -1;
	if (asprintf(&key, "%s,%s", col[0], col[1]) < 0)
		return slx_error(err, ENOMEM, "%s:%u", name, line);
	ai = index_find(t, &t->app_index, app_key, key);
	if (ai < 0)
		return 0;
	if (samples <= 0)
		samples = 1;
	t->apps[ai].mem_sum_mb += mb * samples;
	t->apps[ai].mem_samples += samples;
	return 0;
}

int trace_load_memory(struct trace *t, FILE *in, const char *name, struct slx_err *err)
{
	return each_row(t, in, name, MEM_COLS, mem_head, MEM_COLS, mem_row, err);
}

int trace_load_path(struct trace *t, const char *path,
		    int (*load)(struct trace *, FILE *, const char *, struct slx_err *),
		    struct slx_err *err)
{
	cleanup_file FILE *in = fopen(path, "re");

	if (!in)
		return slx_error(err, errno, "open %s", path);
	return load(t, in, path, err);
}

double trace_function_duration_ms(const struct trace_function *f, double fallback)
{
	return f->dur_count > 0 ? f->dur_sum_ms / f->dur_count : fallback;
}

double trace_app_memory_mb(const struct trace_app *a, double fallback)
{
	return a->mem_samples > 0 ? a->mem_sum_mb / a->mem_samples : fallback;
}
