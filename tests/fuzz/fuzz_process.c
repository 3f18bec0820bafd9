/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_process.c -- libFuzzer harness for the process.json decoder that
 * `exec --process FILE` uses (oci_process_parse). */
#include "oci/oci.h"
#include "tests/fuzz/fuzz.h"

static void check_strv(const struct oci_strv *v)
{
	if (!v->v) {
		FUZZ_CHECK(v->n == 0);
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		FUZZ_CHECK(v->v[i] != NULL && fuzz_touch(v->v[i]) < SIZE_MAX);
	FUZZ_CHECK(v->v[v->n] == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_process *p = NULL;
	struct slx_err err = {0};

	if (oci_process_parse("process.json", (const char *)data, size, &p, &err) < 0) {
		fuzz_check_error(p, &err);
		return 0;
	}
	/* exec hands args.v to execve and chdirs to cwd: both must hold. */
	check_strv(&p->args);
	check_strv(&p->env);
	check_strv(&p->caps.bounding);
	check_strv(&p->caps.effective);
	check_strv(&p->caps.inheritable);
	check_strv(&p->caps.permitted);
	check_strv(&p->caps.ambient);
	FUZZ_CHECK(p->args.n >= 1 && p->cwd && p->cwd[0] == '/');
	FUZZ_CHECK(p->user.n_additional_gids == 0 || p->user.additional_gids);
	(void)fuzz_touch(p->apparmor_profile);
	(void)fuzz_touch(p->user.username);
	oci_process_free(p);
	return 0;
}
