/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_config.c -- libFuzzer harness for the config.json decoder
 * (oci_config_parse): any bytes either decode into a config whose vectors
 * are well formed or fail with one line and nothing left allocated. */
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

static void check_process(const struct oci_process *p)
{
	check_strv(&p->args);
	check_strv(&p->env);
	check_strv(&p->caps.bounding);
	check_strv(&p->caps.effective);
	check_strv(&p->caps.ambient);
	FUZZ_CHECK(p->args.n >= 1 && p->cwd && p->cwd[0] == '/');
	for (size_t i = 0; i < p->n_rlimits; i++)
		(void)fuzz_touch(p->rlimits[i].type);
}

static void check_config(const struct oci_config *cfg)
{
	FUZZ_CHECK(cfg->oci_version && cfg->root.path);
	if (cfg->has_process)
		check_process(&cfg->process);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		FUZZ_CHECK(cfg->mounts[i].destination);
		(void)fuzz_touch(cfg->mounts[i].destination);
		check_strv(&cfg->mounts[i].options);
	}
	for (size_t i = 0; i < cfg->hooks.prestart.n; i++)
		check_strv(&cfg->hooks.prestart.v[i].args);
	for (size_t i = 0; i < cfg->annotations.n; i++)
		FUZZ_CHECK(cfg->annotations.v[i].key && cfg->annotations.v[i].value);
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		FUZZ_CHECK(cfg->linux_.namespaces[i].type < OCI_NS_COUNT);
	check_strv(&cfg->linux_.masked_paths);
	check_strv(&cfg->linux_.readonly_paths);
	for (size_t i = 0; i < cfg->linux_.seccomp.n_syscalls; i++)
		check_strv(&cfg->linux_.seccomp.syscalls[i].names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config *cfg = NULL;
	struct slx_err err = {0};

	if (oci_config_parse("config.json", (const char *)data, size, &cfg, &err) < 0) {
		fuzz_check_error(cfg, &err);
		return 0;
	}
	check_config(cfg);
	oci_config_free(cfg);
	return 0;
}
