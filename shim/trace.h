/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trace.h -- the Azure Functions 2019 trace (Shahrad et al.): per-minute
 * invocation counts per function, day files chained, with the optional
 * duration and app-memory files.  Parsing only; the replay walks the result. */
#ifndef SLX_SHIM_TRACE_H
#define SLX_SHIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"

#define TRACE_MINUTES	     1440
#define TRACE_MAX_PER_MINUTE 1000000u /* above: a broken file, not a workload */
#define TRACE_MAX_DAYS	     366

/* A minute with invocations, counted from the start of the first day. */
struct trace_minute {
	uint32_t minute;
	uint32_t count;
};

struct trace_function {
	char *key; /* "HashOwner,HashApp,HashFunction" */
	char *trigger;
	size_t app;
	double dur_sum_ms, dur_count; /* Count-weighted Average over day files */
	struct trace_minute *min;
	size_t n_min, cap_min;
	unsigned last_day; /* 1-based day that last listed it; guards duplicates */
};

struct trace_app {
	char *key;			/* "HashOwner,HashApp" */
	double mem_sum_mb, mem_samples; /* SampleCount-weighted AverageAllocatedMb */
	size_t *fns;
	size_t n_fns, cap_fns;
};

struct trace_index {
	size_t *slot; /* index + 1; 0 is empty */
	size_t cap, n;
};

struct trace {
	struct trace_app *apps;
	size_t n_apps, cap_apps;
	struct trace_function *fns;
	size_t n_fns, cap_fns;
	struct trace_index app_index, fn_index;
	unsigned days; /* invocation files loaded */
	uint64_t invocations;
};

void trace_init(struct trace *t);
void trace_free(struct trace *t);

/* invocations_per_function_md.anon.dNN.csv: appended as the next day.
 * `name` is used in errors: "NAME:17: expected 1444 columns, got 12". */
int trace_load_invocations(struct trace *t, FILE *in, const char *name, struct slx_err *err);
/* function_durations_percentiles.anon.dNN.csv: Average (ms) per function. */
int trace_load_durations(struct trace *t, FILE *in, const char *name, struct slx_err *err);
/* app_memory_percentiles.anon.dNN.csv: AverageAllocatedMb per app. */
int trace_load_memory(struct trace *t, FILE *in, const char *name, struct slx_err *err);
/* Open path and call one of the loaders above. */
int trace_load_path(struct trace *t, const char *path,
		    int (*load)(struct trace *, FILE *, const char *, struct slx_err *),
		    struct slx_err *err);

/* Mean duration of a function (ms), or fallback when no file gave one. */
double trace_function_duration_ms(const struct trace_function *f, double fallback);
/* Mean allocated memory of an app (MB), or fallback. */
double trace_app_memory_mb(const struct trace_app *a, double fallback);

#endif
