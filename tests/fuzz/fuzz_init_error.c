/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_init_error.c -- libFuzzer harness for the answer to a runtime's
 * init error (shim/lambda.c shim_init_error_answer): the input is the body
 * a hostile runtime posts to /runtime/init/error.  What is accepted goes
 * out to clients, so it must be one JSON object, UTF-8, whose errorType is
 * the word handed back, and answering it again must give it unchanged. */
#include <yajl/yajl_parse.h>

#include "common/buf.h"
#include "shim/lambda.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slx_buf out = {0}, again = {0};
	char type[72], type2[72];
	yajl_handle h;

	if (shim_init_error_answer((const char *)data, size, &out, type, sizeof(type)) < 0) {
		slx_buf_release(&out);
		return 0;
	}
	FUZZ_CHECK(out.len > 0 && out.p[0] == '{');
	FUZZ_CHECK(slx_utf8_valid(out.p, out.len));
	FUZZ_CHECK(strlen(type) > 0 && strlen(type) <= 64);
	for (const char *c = type; *c; c++)
		FUZZ_CHECK(*c > ' ' && *c < 0x7f);
	h = yajl_alloc(NULL, NULL, NULL);
	FUZZ_CHECK(h != NULL);
	FUZZ_CHECK(yajl_parse(h, (const unsigned char *)out.p, out.len) == yajl_status_ok &&
		   yajl_complete_parse(h) == yajl_status_ok);
	yajl_free(h);
	FUZZ_CHECK(shim_init_error_answer(out.p, out.len, &again, type2, sizeof(type2)) == 0);
	FUZZ_CHECK(again.len == out.len && !memcmp(again.p, out.p, out.len));
	FUZZ_CHECK(!strcmp(type, type2));
	slx_buf_release(&out);
	slx_buf_release(&again);
	return 0;
}
