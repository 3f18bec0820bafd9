/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_trace.c -- libFuzzer harness for the Azure trace parser (shim/trace.c).
 * The input is up to three files separated by form feeds, loaded in order as
 * invocations, durations and app memory into one trace, as replay does. */
#include "shim/trace.h"
#include "tests/fuzz/fuzz.h"

typedef int (*trace_loader)(struct trace *, FILE *, const char *, struct slx_err *);

static const trace_loader loaders[] = {trace_load_invocations, trace_load_durations,
				       trace_load_memory};

/* Every minute the trace holds is in range, in order within a function, and
 * the counts add up to the total. */
static void check_trace(const struct trace *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->n_fns; i++) {
		const struct trace_function *f = &t->fns[i];

		FUZZ_CHECK(f->app < t->n_apps && f->key && f->trigger);
		for (size_t m = 0; m < f->n_min; m++) {
			FUZZ_CHECK(f->min[m].minute < t->days * TRACE_MINUTES);
			FUZZ_CHECK(f->min[m].count > 0 && f->min[m].count <= TRACE_MAX_PER_MINUTE);
			FUZZ_CHECK(m == 0 || f->min[m - 1].minute < f->min[m].minute);
			sum += f->min[m].count;
		}
		FUZZ_CHECK(trace_function_duration_ms(f, 0) >= 0); /* false for NaN */
	}
	for (size_t i = 0; i < t->n_apps; i++)
		FUZZ_CHECK(trace_app_memory_mb(&t->apps[i], 0) >= 0);
	FUZZ_CHECK(sum == t->invocations);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct trace t;
	struct slx_err err = {0};

	trace_init(&t);
	for (size_t i = 0; i < 3 && p < end; i++) {
		const char *ff = memchr(p, '\f', (size_t)(end - p));
		size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);
		FILE *in = fmemopen((void *)p, len ? len : 1, "r");

		FUZZ_CHECK(in != NULL);
		if (!len)
			(void)fgetc(in); /* fmemopen needs a byte; this empties it */
		if (loaders[i](&t, in, "trace", &err) < 0) {
			FUZZ_CHECK(err.msg[0] != '\0');
			fclose(in);
			break;
		}
		fclose(in);
		p += len + 1;
	}
	check_trace(&t);
	trace_free(&t);
	return 0;
}
