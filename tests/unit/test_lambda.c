/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_lambda.c -- shim/lambda.c's wording: a runtime's init error
 * answered with its own body only when its errorType is a word, and a Tail's execution
 * log (an init's log before START, the REPORT's fields in Lambda's order). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "shim/lambda.h"

/* A runtime's init error is answered with its own fields, as Lambda
 * answers it (the RIC's trace, Python's stackTrace and requestId with
 * them), written anew as they were read and checked, or not at all (the
 * caller wraps it).  Attacker's reviews: a body nested half a million
 * arrays deep overflowed the shim's stack (yajl's tree, freed
 * recursively), a NUL hid what followed it from the check, a second
 * errorType or a comment went out to clients unchecked; passed as it came,
 * overlong forms and an escaped lone surrogate went out as not UTF-8. */
Test(lambda, an_init_error_is_answered_with_its_own_fields_when_its_errortype_is_a_word)
{
	static const struct {
		const char *json, *want; /* want: NULL refused, "" the same */
	} cases[] = {
	    {"{\"errorMessage\":\"no \\\"x\\\"\",\"errorType\":\"Runtime.ImportModuleError\","
	     "\"stack\":[\"a\",{\"b\":[1,-2.5e3,true,null]}]}",
	     ""},
	    {"{\"errorMessage\": \"Unable to import module 'lambda_function'\", \"errorType\": "
	     "\"Runtime.ImportModuleError\", \"requestId\": \"\", \"stackTrace\": []}",
	     "{\"errorMessage\":\"Unable to import module 'lambda_function'\",\"errorType\":"
	     "\"Runtime.ImportModuleError\",\"requestId\":\"\",\"stackTrace\":[]}"},
	    {"{\"errorType\":\"T\"}", ""},
	    {"{\"errorType\":\"T\",\"trace\":[\"a\\u0000b\"],\"x\\u0041y\":1}",
	     "{\"errorType\":\"T\",\"trace\":[\"a\\u0000b\"],\"xAy\":1}"},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"\xe2\x82\xac \\u20ac\"}",
	     "{\"errorType\":\"T\",\"errorMessage\":\"\xe2\x82\xac \xe2\x82\xac\"}"},
	    {"{\"errorType\":\"Bad\\nREPORT forged\"}", NULL},
	    {"{\"errorType\":\"two words\"}", NULL},
	    {"{\"errorType\":\"\"}", NULL},
	    {"{\"errorType\":7}", NULL},
	    {"{\"errorType\":[\"T\"]}", NULL},
	    {"{\"errorType\":{\"a\":1}}", NULL},
	    {"{\"errorType\":\"X\",\"errorType\":\"Y\"}", NULL},
	    {"{\"errorType\":\"X\",\"error\\u0054ype\":\"Y\"}", NULL},
	    {"{\"errorType\":\"A\\u0000B\"}", NULL},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"\xff\"}", NULL},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"\xc0\xa2 overlong quote\"}", NULL},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"\xed\xa0\x80 surrogate\"}", NULL},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"\\udc00 lone low\"}", NULL},
	    {"{\"errorType\":\"T\",\"\xc0\xa2\":1}", NULL},
	    {"{\"errorType\":\"T\",\"errorMessage\":\"a\",\"errorMessage\":\"b\"}", NULL},
	    {"{\"errorType\":\"Ok\"/*c*/}", NULL},
	    {"{\"errorType\":\"Ok\"} trailing", NULL},
	    {"{\"errorType\":\"Ok\"} {\"errorType\":\"Ok\"}", NULL},
	    {"[\"errorType\"]", NULL},
	    {"\"errorType\"", NULL},
	    {"not json", NULL},
	    {"{\"errorType\":"
	     "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
	     NULL},
	};
	struct slx_buf b = {0};
	char type[72];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want = cases[i].want && !*cases[i].want ? cases[i].json : cases[i].want;
		int r = shim_init_error_answer(cases[i].json, strlen(cases[i].json), &b, type,
					       sizeof(type));

		if (want) {
			cr_expect_eq(r, 0, "%s", cases[i].json);
			cr_expect_eq(b.len, strlen(want), "%s: %.*s", cases[i].json, (int)b.len,
				     b.p);
			cr_expect(!memcmp(b.p, want, b.len), "%.*s", (int)b.len, b.p);
			cr_expect(strstr(want, type) && strlen(type) > 0, "%s", type);
		} else {
			cr_expect_eq(r, -1, "%s: took %s", cases[i].json, type);
		}
	}
	slx_buf_release(&b);
}

/* A hundred thousand arrays deep (inside the 256 KB read), or a NUL byte
 * before more: refused, and with no tree; past 256 KB nothing is read. */
Test(lambda, a_hostile_init_error_is_refused_without_a_tree)
{
	size_t n = 100000, len = 400 * 1024;
	char *j = malloc(len), type[72];
	struct slx_buf b = {0};
	size_t o;

	cr_assert_not_null(j);
	o = (size_t)sprintf(j, "{\"errorType\":\"Deep\",\"a\":");
	memset(j + o, '[', n);
	memset(j + o + n, ']', n);
	strcpy(j + o + 2 * n, "}");
	cr_expect_eq(shim_init_error_answer(j, strlen(j), &b, type, sizeof(type)), -1);
	cr_expect_eq(
	    shim_init_error_answer("{\"errorType\":\"X\"}\0<script>", 26, &b, type, sizeof(type)),
	    -1);
	memset(j, ' ', 300 * 1024);
	memcpy(j + 300 * 1024 - 18, "{\"errorType\":\"X\"}", 17);
	cr_expect_eq(shim_init_error_answer(j, 300 * 1024, &b, type, sizeof(type)), -1);
	free(j);
	slx_buf_release(&b);
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
	cr_expect_str_eq(text,
			 "loading\nSTART RequestId: id1 Version: $LATEST\nline\nEND RequestId: "
			 "id1\nREPORT RequestId: id1\tDuration: 1.50 ms\tBilled Duration: 2 "
			 "ms\tMemory Size: 128 MB\tMax Memory Used: 4 MB\tInit Duration: "
			 "25.00 ms\tStatus: error\tError Type: Runtime.ImportModuleError\t\n");
	slx_buf_release(&b);
}

/* JSON text is UTF-8: an error message a runtime wrote in anything else
 * (an overlong form, a surrogate, a stray byte) goes out as U+FFFD, what is
 * UTF-8 as it is (a review: the shim's own error JSON was no UTF-8). */
Test(lambda, an_error_message_goes_out_as_utf8)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"bad \xff\xfe", "bad \\ufffd\\ufffd"},
	    {"\xc0\x80", "\\ufffd\\ufffd"},
	    {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},
	    {"\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	    {"cut \xe2\x82", "cut \\ufffd\\ufffd"},
	};
	struct slx_buf b = {0};
	char want[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(shim_error_json(&b, "T", cases[i].in, strlen(cases[i].in)), 0);
		snprintf(want, sizeof(want), "{\"errorMessage\":\"%s\",\"errorType\":\"T\"}",
			 cases[i].want);
		cr_expect_eq(b.len, strlen(want), "case %zu: %.*s", i, (int)b.len, b.p);
		cr_expect(!memcmp(b.p, want, b.len), "case %zu: %.*s", i, (int)b.len, b.p);
	}
	slx_buf_release(&b);
}
