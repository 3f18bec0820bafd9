/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_lambda.c -- shim/lambda.c's wording: a runtime's errorType taken
 * only when it is a word, and a Tail's execution log (an init's log before
 * START, the REPORT's fields in Lambda's order). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "shim/lambda.h"

Test(lambda, an_error_type_is_taken_only_when_it_is_a_word)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"errorMessage\":\"x\",\"errorType\":\"Runtime.ImportModuleError\"}",
	     "Runtime.ImportModuleError"},
	    {"{\"errorType\":\"Bad\\nREPORT forged\"}", NULL},
	    {"{\"errorType\":\"two words\"}", NULL},
	    {"{\"errorType\":\"\"}", NULL},
	    {"{\"errorType\":7}", NULL},
	    {"[\"errorType\"]", NULL},
	    {"not json", NULL},
	    {"{\"errorType\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
	     NULL},
	};
	char type[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = shim_error_type_of(cases[i].json, type, sizeof(type));

		if (cases[i].want) {
			cr_expect_eq(r, 0, "%s", cases[i].json);
			cr_expect_str_eq(type, cases[i].want);
		} else {
			cr_expect_eq(r, -1, "%s: took %s", cases[i].json, type);
		}
	}
}

/* The base64 of b decoded into out (NUL-terminated), by coreutils. */
static void lambda_decode(const struct slx_buf *b, char *out, size_t cap)
{
	char cmd[2048];
	size_t n;
	FILE *p;

	cr_assert_lt(b->len + 32, sizeof(cmd));
	snprintf(cmd, sizeof(cmd), "echo %.*s | base64 -d", (int)b->len, b->p);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "not base64: %.*s", (int)b->len, b->p);
}

Test(lambda, a_tails_log_has_the_init_log_first_and_the_reports_fields_in_order)
{
	struct shim_report rep = {
	    .duration_ns = 1500000,
	    .memory_mb = 128,
	    .max_memory_bytes = 3 * 1048576 + 1,
	    .init_ns = 25000000,
	    .status = "error",
	    .error_type = "Runtime.ImportModuleError",
	    .init_log = "loading",
	    .init_log_len = 7,
	};
	struct slx_buf b = {0};
	struct slx_err err = {0};
	char text[1024];

	cr_assert_eq(shim_log_result(&b, "id1", "line\n", 5, &rep, &err), 0, "%s", err.msg);
	lambda_decode(&b, text, sizeof(text));
	cr_expect_str_eq(text, "loading\nSTART RequestId: id1 Version: $LATEST\nline\nEND RequestId: "
			       "id1\nREPORT RequestId: id1\tDuration: 1.50 ms\tBilled Duration: 2 "
			       "ms\tMemory Size: 128 MB\tMax Memory Used: 4 MB\tInit Duration: "
			       "25.00 ms\tStatus: error\tError Type: Runtime.ImportModuleError\t\n");
	slx_buf_release(&b);
}
