/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_state.c -- libFuzzer harness for state.json (oci/state.c): whatever
 * decodes must print, in both forms, and the full form must decode again to
 * the same state (slxrun rewrites state.json from what it read). */
#include "oci/oci.h"
#include "tests/fuzz/fuzz.h"

/* The printer writes an absent string as "". */
static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static void check_same(const struct oci_state *a, const struct oci_state *b)
{
	FUZZ_CHECK(same_str(a->id, b->id) && same_str(a->bundle, b->bundle));
	FUZZ_CHECK(same_str(a->cgroup_path, b->cgroup_path));
	FUZZ_CHECK(a->status == b->status && a->pid == b->pid);
	FUZZ_CHECK(a->pid_start_time == b->pid_start_time);
	FUZZ_CHECK(a->systemd_cgroup == b->systemd_cgroup);
	FUZZ_CHECK(a->annotations.n == b->annotations.n);
	for (size_t i = 0; i < a->annotations.n; i++)
		FUZZ_CHECK(same_str(a->annotations.v[i].value, b->annotations.v[i].value));
	FUZZ_CHECK(a->poststop.n == b->poststop.n && a->poststart.n == b->poststart.n);
	for (size_t i = 0; i < a->poststop.n; i++) {
		FUZZ_CHECK(same_str(a->poststop.v[i].path, b->poststop.v[i].path));
		FUZZ_CHECK(a->poststop.v[i].args.n == b->poststop.v[i].args.n);
		FUZZ_CHECK(a->poststop.v[i].timeout.set == b->poststop.v[i].timeout.set);
	}
}

static void round_trip(const struct oci_state *st)
{
	struct oci_state *again = NULL;
	struct slx_err err = {0};
	char *text = NULL;
	size_t len;

	FUZZ_CHECK(oci_state_to_json(st, false, &text, &len, &err) == 0);
	FUZZ_CHECK(strlen(text) == len);
	free(text);
	text = NULL;
	FUZZ_CHECK(oci_state_to_json(st, true, &text, &len, &err) == 0);
	if (oci_state_parse("state.json", text, len, &again, &err) < 0) {
		fprintf(stderr, "re-read: %s\n%s\n", err.msg, text);
		abort();
	}
	check_same(st, again);
	oci_state_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_state *st = NULL;
	struct slx_err err = {0};

	if (oci_state_parse("state.json", (const char *)data, size, &st, &err) < 0) {
		fuzz_check_error(st, &err);
		return 0;
	}
	round_trip(st);
	oci_state_free(st);
	return 0;
}
