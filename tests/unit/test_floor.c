/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_floor.c -- the function sandbox's floor as rules (shim/floor.c): a
 * bundle's config in, the floored config or the refusal naming the field
 * out; what the bundle leaves out is filled, what would loosen it refused;
 * the annotations that size a sandbox; the registry of ranges in use,
 * through a file of its own.  Runs as nobody. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "shim/floor.h"

#define ALL_CTRL (CG_CTRL_MEMORY | CG_CTRL_PIDS | CG_CTRL_CPU)
#define MB	 (1ll << 20)

/* A function bundle that asks for nothing: a read-only root and a command. */
#define CFG_HEAD                                                                                   \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"              \
	"\"process\":{\"args\":[\"/f\"],\"cwd\":\"/\""

/* What the floor is sized by: memory and /tmp, the controllers the "host" holds. */
struct floor_t_sizes {
	uint32_t memory_mb, tmp_mb;
	unsigned controllers;
};

struct floored {
	struct oci_config *cfg;
	struct shim_floor f;
	struct slx_err err;
	int rc;
};

static struct floor_t_sizes floor_t_sizes(uint32_t memory_mb, uint32_t tmp_mb, unsigned ctrl)
{
	return (struct floor_t_sizes){
	    .memory_mb = memory_mb, .tmp_mb = tmp_mb, .controllers = ctrl};
}

/* process_extra goes inside "process", rest after it (",\"linux\":{...}"). */
static void floor_t_apply(struct floored *t, const char *process_extra, const char *rest,
			  const struct shim_floor_opts *o, struct floor_t_sizes sz)
{
	struct shim_floor_opts opts = o ? *o : (struct shim_floor_opts){0};
	char json[4096];
	int n = snprintf(json, sizeof(json), CFG_HEAD "%s}%s}", process_extra ? process_extra : "",
			 rest ? rest : "");

	memset(t, 0, sizeof(*t));
	cr_assert_eq(oci_config_parse("config.json", json, (size_t)n, &t->cfg, &t->err), 0,
		     "%s: %s", json, t->err.msg);
	opts.controllers = &sz.controllers;
	t->rc = shim_floor_apply(t->cfg, &opts, "/bundle", "/skeleton", sz.memory_mb, sz.tmp_mb,
				 &t->f, &t->err);
}

static void floor_t_release(struct floored *t)
{
	shim_floor_release(&t->f);
	oci_config_free(t->cfg);
}

static void floor_t_refused(const char *process_extra, const char *rest, const char *msg)
{
	struct floored t;

	floor_t_apply(&t, process_extra, rest, NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, -1, "accepted, wanted \"%s\"", msg);
	cr_assert_str_eq(t.err.msg, msg);
	floor_t_release(&t);
}

static const struct oci_mount *floor_t_mount(const struct oci_config *cfg, const char *dst,
					     size_t *count)
{
	const struct oci_mount *m = NULL;

	*count = 0;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (!strcmp(cfg->mounts[i].destination, dst)) {
			m = &cfg->mounts[i];
			(*count)++;
		}
	return m;
}

static const char *floor_t_unified(const struct oci_resources *r, const char *key)
{
	for (size_t i = 0; i < r->unified.n; i++)
		if (!strcmp(r->unified.v[i].key, key))
			return r->unified.v[i].value;
	return NULL;
}

/* ---- what is filled ------------------------------------------------- */

Test(floor_rules, every_namespace_is_added_once)
{
	static const enum oci_ns_type want[] = {OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_IPC,
						OCI_NS_UTS, OCI_NS_MOUNT,   OCI_NS_CGROUP,
						OCI_NS_USER};
	struct floored t;

	floor_t_apply(&t, NULL,
		      ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}", NULL,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.cfg->linux_.n_namespaces, 7);
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		size_t seen = 0;

		for (size_t i = 0; i < t.cfg->linux_.n_namespaces; i++)
			if (t.cfg->linux_.namespaces[i].type == want[w]) {
				seen++;
				cr_assert_null(t.cfg->linux_.namespaces[i].path);
			}
		cr_assert_eq(seen, 1, "namespace type %d seen %zu times", want[w], seen);
	}
	floor_t_release(&t);
}

/* runc's masked and read-only paths whatever the bundle lists (an empty
 * maskedPaths showed /proc/keys and /proc/timer_list), the bundle's own
 * kept; a devpts takes at most SHIM_FLOOR_PTYS ptys unless the bundle's
 * is tighter (one sandbox took the host's whole pool of 3,072). */
Test(floor_rules, masked_paths_and_a_pty_cap_whatever_the_bundle_says)
{
	struct floored t;
	const struct oci_mount *m;
	size_t n;
	char want[32];

	floor_t_apply(&t, NULL,
		      ",\"mounts\":[{\"destination\":\"/dev/pts\",\"type\":\"devpts\","
		      "\"source\":\"devpts\",\"options\":[\"newinstance\",\"max=100000\"]},"
		      "{\"destination\":\"/p2\",\"type\":\"devpts\",\"source\":\"devpts\","
		      "\"options\":[\"max=4\",\"max=9999\"]},"
		      "{\"destination\":\"/p3\",\"type\":\"devpts\",\"source\":\"devpts\","
		      "\"options\":[\"max=0\"]}],"
		      "\"linux\":{\"maskedPaths\":[\"/proc/mine\"],\"readonlyPaths\":[]}",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	for (size_t i = 0; oci_default_masked_paths[i]; i++) {
		bool found = false;

		for (size_t k = 0; k < t.cfg->linux_.masked_paths.n; k++)
			found |=
			    !strcmp(t.cfg->linux_.masked_paths.v[k], oci_default_masked_paths[i]);
		cr_assert(found, "%s not masked", oci_default_masked_paths[i]);
	}
	cr_assert_str_eq(t.cfg->linux_.masked_paths.v[0], "/proc/mine");
	cr_assert_geq(t.cfg->linux_.readonly_paths.n, 5);
	m = floor_t_mount(t.cfg, "/dev/pts", &n);
	snprintf(want, sizeof(want), "max=%d", SHIM_FLOOR_PTYS);
	cr_assert_str_eq(m->options.v[m->options.n - 1], want);
	m = floor_t_mount(t.cfg, "/p2", &n);
	cr_assert_str_eq(m->options.v[m->options.n - 1], "max=4");
	m = floor_t_mount(t.cfg, "/p3", &n);
	cr_assert_str_eq(m->options.v[m->options.n - 1], want, "max=0 is no cap at all");
	floor_t_release(&t);
}

Test(floor_rules, ids_map_root_to_the_reserved_range)
{
	struct shim_floor_opts o = {.id_base = 200000, .id_count = 70000};
	struct floored t;

	floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.cfg->linux_.n_uid_mappings, 1);
	cr_assert_eq(t.cfg->linux_.n_gid_mappings, 1);
	cr_assert_eq(t.cfg->linux_.uid_mappings[0].container_id, 0);
	cr_assert_eq(t.cfg->linux_.uid_mappings[0].host_id, SHIM_FLOOR_ID_BASE);
	cr_assert_eq(t.cfg->linux_.uid_mappings[0].size, SHIM_FLOOR_ID_COUNT);
	cr_assert_eq(t.cfg->linux_.gid_mappings[0].host_id, SHIM_FLOOR_ID_BASE);
	floor_t_release(&t);

	floor_t_apply(&t, NULL, NULL, &o, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.cfg->linux_.uid_mappings[0].host_id, 200000);
	cr_assert_eq(t.cfg->linux_.uid_mappings[0].size, 70000);
	floor_t_release(&t);
}

Test(floor_rules, root_function_runs_as_lambdas_sbx_user_and_the_agent_as_root)
{
	struct floored t;

	floor_t_apply(&t, ",\"user\":{\"uid\":0,\"gid\":0}", NULL, NULL,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert(t.f.on);
	cr_assert_eq(t.f.uid, 993);
	cr_assert_eq(t.f.gid, 990);
	/* the config is the agent's: root inside, three capabilities, no_new_privs */
	cr_assert_eq(t.cfg->process.user.uid, 0);
	cr_assert_eq(t.cfg->process.user.gid, 0);
	cr_assert(t.cfg->process.no_new_privileges);
	cr_assert_eq(t.cfg->process.caps.bounding.n, 3);
	cr_assert_str_eq(t.cfg->process.caps.bounding.v[0], "CAP_SETUID");
	cr_assert_str_eq(t.cfg->process.caps.bounding.v[1], "CAP_SETGID");
	cr_assert_str_eq(t.cfg->process.caps.bounding.v[2], "CAP_KILL");
	cr_assert_eq(t.cfg->process.caps.effective.n, 3);
	cr_assert_eq(t.cfg->process.caps.permitted.n, 3);
	cr_assert_eq(t.cfg->process.caps.inheritable.n, 0);
	cr_assert_eq(t.cfg->process.caps.ambient.n, 0);
	floor_t_release(&t);
}

Test(floor_rules, a_non_root_user_and_its_groups_are_kept_for_the_function)
{
	struct floored t;

	floor_t_apply(&t, ",\"user\":{\"uid\":1000,\"gid\":1001,\"additionalGids\":[5,6]}", NULL,
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.f.uid, 1000);
	cr_assert_eq(t.f.gid, 1001);
	cr_assert_eq(t.f.n_gids, 2);
	cr_assert_eq(t.f.gids[0], 5);
	cr_assert_eq(t.f.gids[1], 6);
	cr_assert_eq(t.cfg->process.user.n_additional_gids, 0, "the agent has no extra groups");
	floor_t_release(&t);
}

/* A non-root user whose group is root's (gid 0 is also what a bundle that
 * leaves the group out says) runs in the floor's group, as uid 0 runs as the
 * floor's user: a function never holds root's group inside. */
Test(floor_rules, a_function_never_runs_in_roots_group)
{
	struct floored t;

	floor_t_apply(&t, ",\"user\":{\"uid\":1000,\"gid\":0}", NULL, NULL,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.f.uid, 1000);
	cr_assert_eq(t.f.gid, SHIM_FLOOR_GID, "the function runs with gid %u", t.f.gid);
	floor_t_release(&t);

	floor_t_apply(&t, ",\"user\":{\"uid\":0,\"gid\":5}", NULL, NULL,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.f.uid, SHIM_FLOOR_UID);
	cr_assert_eq(t.f.gid, SHIM_FLOOR_GID);
	floor_t_release(&t);
}

/* The default devices named as they are (runc-style configs list them) and
 * device rules that allow no more than the defaults, or deny, are taken. */
Test(floor_rules, default_devices_and_rules_within_them_are_accepted)
{
	struct floored t;

	floor_t_apply(&t, NULL,
		      ",\"linux\":{\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\","
		      "\"major\":1,\"minor\":3},{\"path\":\"/dev/tty\",\"type\":\"c\","
		      "\"major\":5,\"minor\":0,\"fileMode\":438}],"
		      "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
		      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rw\"},"
		      "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"},"
		      "{\"allow\":true,\"type\":\"b\",\"access\":\"m\"},"
		      "{\"allow\":false,\"type\":\"c\",\"major\":10,\"minor\":229}]}}",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.cfg->linux_.n_devices, 2);
	cr_assert_eq(t.cfg->linux_.resources.n_devices, 5);
	floor_t_release(&t);
}

Test(floor_rules, default_capabilities_named_by_the_bundle_are_accepted)
{
	struct floored t;

	floor_t_apply(&t,
		      ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"]}",
		      NULL, NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.cfg->process.caps.bounding.n, 3, "the agent's set replaces the bundle's");
	floor_t_release(&t);
}

Test(floor_rules, a_private_size_capped_tmp_replaces_the_bundles)
{
	struct floored t;
	const struct oci_mount *m;
	size_t n;

	floor_t_apply(
	    &t, NULL,
	    ",\"mounts\":[{\"destination\":\"/tmp\",\"type\":\"bind\",\"source\":\"/tmp\","
	    "\"options\":[\"rbind\",\"ro\"]},{\"destination\":\"/proc\",\"type\":\"proc\","
	    "\"source\":\"proc\"}]",
	    NULL, floor_t_sizes(128, 1024, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	m = floor_t_mount(t.cfg, "/tmp", &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(m->type, "tmpfs");
	cr_assert_str_eq(m->source, "tmpfs");
	cr_assert_eq(m->options.n, 4);
	cr_assert_str_eq(m->options.v[0], "nosuid");
	cr_assert_str_eq(m->options.v[1], "nodev");
	cr_assert_str_eq(m->options.v[2], "mode=1777");
	cr_assert_str_eq(m->options.v[3], "size=1024m");
	floor_t_mount(t.cfg, "/proc", &n);
	cr_assert_eq(n, 1, "other mounts stay");
	floor_t_release(&t);
}

Test(floor_rules, a_read_only_bind_is_accepted)
{
	struct floored t;

	floor_t_apply(&t, NULL,
		      ",\"mounts\":[{\"destination\":\"/data\",\"source\":\"/srv\","
		      "\"options\":[\"bind\",\"ro\"]}]",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	floor_t_release(&t);
}

Test(floor_rules, limits_follow_the_memory_size)
{
	static const struct {
		uint32_t mb;
		const char *weight;
	} cases[] = {{128, "100"}, {256, "200"}, {1024, "800"}, {16, "12"}, {10240, "8000"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct oci_resources *r;
		struct floored t;

		floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(cases[i].mb, 512, ALL_CTRL));
		cr_assert_eq(t.rc, 0, "%s", t.err.msg);
		r = &t.cfg->linux_.resources;
		cr_assert(r->present);
		cr_assert(r->memory.limit.set);
		cr_assert_eq(r->memory.limit.v, (int64_t)cases[i].mb * MB);
		/* OCI's swap is memory+swap: equal to the limit means no swap */
		cr_assert(r->memory.swap.set);
		cr_assert_eq(r->memory.swap.v, r->memory.limit.v);
		cr_assert(r->pids.limit.set);
		cr_assert_eq(r->pids.limit.v, SHIM_FLOOR_PIDS);
		cr_assert_str_eq(floor_t_unified(r, "cpu.weight"), cases[i].weight, "at %u MB",
				 cases[i].mb);
		cr_assert_eq(t.f.missing, 0);
		cr_assert_eq(t.f.memory_mb, cases[i].mb);
		floor_t_release(&t);
	}
}

Test(floor_rules, a_bundle_may_tighten_the_limits)
{
	const struct oci_resources *r;
	struct floored t;

	floor_t_apply(&t, NULL,
		      ",\"linux\":{\"resources\":{\"memory\":{\"limit\":33554432},"
		      "\"pids\":{\"limit\":64},\"cpu\":{\"shares\":512}}}",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	r = &t.cfg->linux_.resources;
	cr_assert_eq(r->memory.limit.v, 32 * MB);
	cr_assert_eq(r->memory.swap.v, 32 * MB, "no swap on top of the bundle's limit either");
	cr_assert_eq(r->pids.limit.v, 64);
	cr_assert_null(floor_t_unified(r, "cpu.weight"), "the bundle's cpu.shares stands");
	floor_t_release(&t);
}

/* A function's user may have SHIM_FLOOR_PIDS processes, as on Lambda:
 * RLIMIT_NPROC is added where the bundle names none, and a bundle's lower
 * one stands, whatever controllers the host has (without a pids
 * controller it is all that holds a fork bomb). */
/* The rlimit of resource in t's config, at most once. */
static const struct oci_rlimit *floor_t_rlimit(const struct floored *t, int resource)
{
	const struct oci_rlimit *found = NULL;

	for (size_t k = 0; k < t->cfg->process.n_rlimits; k++)
		if (t->cfg->process.rlimits[k].resource == resource) {
			cr_assert_null(found, "resource %d twice", resource);
			found = &t->cfg->process.rlimits[k];
		}
	cr_assert_not_null(found, "no rlimit for resource %d", resource);
	return found;
}

/* Processes: at most SHIM_FLOOR_PIDS, the bundle may ask for fewer.  Open
 * files: the bundle's own, else Lambda's 1,024 (the host's hard limit if
 * lower), never what the shim runs with (it raises its own). */
Test(floor_rules, a_functions_processes_are_limited_whatever_the_controllers)
{
	static const char *const extra[] = {
	    NULL, ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":64,\"hard\":64}]",
	    ",\"rlimits\":[{\"type\":\"RLIMIT_NPROC\",\"soft\":16,\"hard\":32}]"};
	static const uint64_t soft[] = {SHIM_FLOOR_PIDS, SHIM_FLOOR_PIDS, 16};
	static const uint64_t hard[] = {SHIM_FLOOR_PIDS, SHIM_FLOOR_PIDS, 32};
	struct rlimit host;
	uint64_t files;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &host), 0);
	files = host.rlim_max < SHIM_FLOOR_FILES ? host.rlim_max : SHIM_FLOOR_FILES;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		for (unsigned ctrl = 0; ctrl <= ALL_CTRL; ctrl += ALL_CTRL) {
			const struct oci_rlimit *nproc, *nofile;
			struct floored t;

			floor_t_apply(&t, extra[i], NULL, NULL, floor_t_sizes(128, 512, ctrl));
			cr_assert_eq(t.rc, 0, "%s", t.err.msg);
			nproc = floor_t_rlimit(&t, RLIMIT_NPROC);
			nofile = floor_t_rlimit(&t, RLIMIT_NOFILE);
			cr_assert_str_eq(nproc->type, "RLIMIT_NPROC");
			cr_assert_eq(nproc->soft, soft[i], "case %zu", i);
			cr_assert_eq(nproc->hard, hard[i], "case %zu", i);
			cr_assert_str_eq(nofile->type, "RLIMIT_NOFILE");
			cr_assert_eq(nofile->soft, i == 1 ? 64 : files, "case %zu", i);
			cr_assert_eq(nofile->hard, i == 1 ? 64 : files, "case %zu", i);
			cr_assert_eq(t.cfg->process.n_rlimits, 2u);
			floor_t_release(&t);
		}
}

Test(floor_rules, a_bundle_cpu_weight_stands)
{
	struct floored t;

	floor_t_apply(&t, NULL, ",\"linux\":{\"resources\":{\"unified\":{\"cpu.weight\":\"7\"}}}",
		      NULL, floor_t_sizes(512, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_str_eq(floor_t_unified(&t.cfg->linux_.resources, "cpu.weight"), "7");
	cr_assert_eq(t.cfg->linux_.resources.unified.n, 1);
	floor_t_release(&t);
}

Test(floor_rules, limits_a_host_cannot_hold_are_left_out_and_reported)
{
	const struct oci_resources *r;
	struct floored t;
	char names[32];

	floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(128, 512, CG_CTRL_PIDS));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	r = &t.cfg->linux_.resources;
	cr_assert_not(r->memory.limit.set);
	cr_assert_not(r->memory.swap.set);
	cr_assert_eq(r->pids.limit.v, SHIM_FLOOR_PIDS);
	cr_assert_null(floor_t_unified(r, "cpu.weight"));
	cr_assert_eq(t.f.missing, CG_CTRL_MEMORY | CG_CTRL_CPU);
	shim_floor_missing_names(t.f.missing, names, sizeof(names));
	cr_assert_str_eq(names, "memory, cpu");
	floor_t_release(&t);

	floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(128, 512, 0));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_eq(t.f.missing, ALL_CTRL);
	shim_floor_missing_names(t.f.missing, names, sizeof(names));
	cr_assert_str_eq(names, "memory, pids, cpu");
	floor_t_release(&t);
}

Test(floor_rules, the_default_seccomp_profile_is_loaded_and_the_bundles_stacked)
{
	struct floored t;

	floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_not_null(t.f.seccomp);
	cr_assert_null(t.f.bundle_seccomp);
	floor_t_release(&t);

	floor_t_apply(&t, NULL,
		      ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		      "[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_not_null(t.f.seccomp);
	cr_assert_not_null(t.f.bundle_seccomp, "the bundle's filter goes on the function");
	cr_assert_not(t.cfg->linux_.seccomp.present,
		      "the agent loads the floor's, not the bundle's");
	floor_t_release(&t);
}

Test(floor_rules, unsafe_leaves_the_bundle_as_written)
{
	struct shim_floor_opts o = {.unsafe = true};
	struct floored t;

	floor_t_apply(&t, ",\"user\":{\"uid\":0,\"gid\":0}",
		      ",\"root\":{\"path\":\"r\",\"readonly\":false}", &o,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_not(t.f.on);
	cr_assert_eq(t.cfg->linux_.n_namespaces, 0);
	cr_assert_eq(t.cfg->linux_.n_uid_mappings, 0);
	cr_assert_not(t.cfg->linux_.resources.memory.limit.set);
	cr_assert_eq(t.cfg->n_mounts, 0);
	cr_assert_null(t.f.seccomp);
	floor_t_release(&t);
}

/* ---- what is refused --------------------------------------------------- */

#define HINT " (--unsafe-sandbox to allow)"

Test(floor_rules, joining_a_namespace_is_refused)
{
	floor_t_refused(NULL,
			",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
			"{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}]}",
			"linux.namespaces[1].path: a function sandbox gets its own network "
			"namespace, not /proc/1/ns/net" HINT);
	floor_t_refused(
	    NULL, ",\"linux\":{\"namespaces\":[{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}]}",
	    "linux.namespaces[0].path: a function sandbox gets its own user namespace, not "
	    "/proc/1/ns/user" HINT);
}

/* A time namespace is not one the floor makes (the sandbox keeps the
 * host's clocks), but joining one by path is refused as any other join:
 * the floor's rule is "no namespace by path", not a list of types. */
Test(floor_rules, joining_a_time_namespace_is_refused)
{
	floor_t_refused(
	    NULL, ",\"linux\":{\"namespaces\":[{\"type\":\"time\",\"path\":\"/proc/1/ns/time\"}]}",
	    "linux.namespaces[0].path: a function sandbox joins no time namespace by path, not "
	    "/proc/1/ns/time" HINT);
}

Test(floor_rules, own_time_namespace_is_accepted)
{
	struct floored t;

	floor_t_apply(&t, NULL, ",\"linux\":{\"namespaces\":[{\"type\":\"time\"}]}", NULL,
		      floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	floor_t_release(&t);
}

/* linux.devices binds the host's node of that path into the sandbox and
 * lets its cgroup open it: only the default nodes, exactly as they are. */
Test(floor_rules, host_devices_beyond_the_default_set_are_refused)
{
	floor_t_refused(NULL,
			",\"linux\":{\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\","
			"\"major\":1,\"minor\":3},{\"path\":\"/dev/fuse\",\"type\":\"c\","
			"\"major\":10,\"minor\":229}]}",
			"linux.devices[1]: /dev/fuse (c 10:229) is not one of a function sandbox's "
			"devices (/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, "
			"/dev/tty)" HINT);
	/* a default path with another device's numbers: the filter would allow those */
	floor_t_refused(NULL,
			",\"linux\":{\"devices\":[{\"path\":\"/dev/null\",\"type\":\"c\","
			"\"major\":10,\"minor\":232}]}",
			"linux.devices[0]: /dev/null (c 10:232) is not one of a function sandbox's "
			"devices (/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, "
			"/dev/tty)" HINT);
	floor_t_refused(NULL,
			",\"linux\":{\"devices\":[{\"path\":\"/dev/sda\",\"type\":\"b\","
			"\"major\":8,\"minor\":0}]}",
			"linux.devices[0]: /dev/sda (b 8:0) is not one of a function sandbox's "
			"devices (/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, "
			"/dev/tty)" HINT);
}

/* An allow rule of linux.resources.devices beyond what the default rules
 * already allow would open a host device bound in (or shipped) to the
 * function: refused; deny rules only take away. */
Test(floor_rules, device_rules_beyond_the_default_set_are_refused)
{
	floor_t_refused(
	    NULL,
	    ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,"
	    "\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":10,"
	    "\"minor\":229,\"access\":\"rw\"}]}}",
	    "linux.resources.devices[1]: allows c 10:229 rw, beyond a function "
	    "sandbox's devices (null, zero, full, random, urandom, tty, ptmx, pts)" HINT);
	floor_t_refused(
	    NULL,
	    ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
	    "\"access\":\"rwm\"}]}}",
	    "linux.resources.devices[0]: allows a *:* rwm, beyond a function "
	    "sandbox's devices (null, zero, full, random, urandom, tty, ptmx, pts)" HINT);
	floor_t_refused(
	    NULL,
	    ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
	    "\"type\":\"c\",\"major\":1,\"access\":\"rw\"}]}}",
	    "linux.resources.devices[0]: allows c 1:* rw, beyond a function "
	    "sandbox's devices (null, zero, full, random, urandom, tty, ptmx, pts)" HINT);
	floor_t_refused(
	    NULL,
	    ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,"
	    "\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"r\"}]}}",
	    "linux.resources.devices[0]: allows b 8:0 r, beyond a function "
	    "sandbox's devices (null, zero, full, random, urandom, tty, ptmx, pts)" HINT);
}

Test(floor_rules, the_bundles_own_id_mappings_are_refused)
{
	floor_t_refused(
	    NULL, ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}",
	    "linux.uidMappings: a function sandbox's ids are the shim's (--sandbox-ids), not the "
	    "bundle's" HINT);
	floor_t_refused(
	    NULL, ",\"linux\":{\"gidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}",
	    "linux.gidMappings: a function sandbox's ids are the shim's (--sandbox-ids), not the "
	    "bundle's" HINT);
}

Test(floor_rules, capabilities_beyond_the_default_set_are_refused)
{
	floor_t_refused(",\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"]}", NULL,
			"process.capabilities.bounding[1]: CAP_SYS_ADMIN is beyond a function "
			"sandbox's default set" HINT);
	floor_t_refused(",\"capabilities\":{\"ambient\":[\"CAP_SYS_PTRACE\"]}", NULL,
			"process.capabilities.ambient[0]: CAP_SYS_PTRACE is beyond a function "
			"sandbox's default set" HINT);
}

Test(floor_rules, a_user_outside_the_sandboxs_ids_is_refused)
{
	floor_t_refused(",\"user\":{\"uid\":70000,\"gid\":1}", NULL,
			"process.user: 70000:1 is outside the sandbox's 65536 ids");
	floor_t_refused(",\"user\":{\"uid\":1000,\"gid\":65536}", NULL,
			"process.user: 1000:65536 is outside the sandbox's 65536 ids");
	floor_t_refused(
	    ",\"user\":{\"uid\":1000,\"gid\":1000,\"additionalGids\":[4,0]}", NULL,
	    "process.user.additionalGids[1]: 0 is root's group or outside the sandbox's ids");
}

/* The shared rootfs is never written: read-only it is the root alone; a
 * writable one becomes an overlay lower under a private tmpfs upper of the
 * /tmp size, mounted on the skeleton. */
Test(floor_rules, a_writable_root_becomes_an_overlay_on_a_private_upper)
{
	const struct oci_mount *m;
	struct floored t;
	size_t n;

	floor_t_apply(&t, NULL, NULL, NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_str_eq(t.cfg->root.path, "rootfs");
	floor_t_mount(t.cfg, "/", &n);
	cr_assert_eq(n, 0, "a read-only root needs no overlay");
	floor_t_release(&t);

	floor_t_apply(&t, NULL, ",\"root\":{\"path\":\"rootfs\",\"readonly\":false}", NULL,
		      floor_t_sizes(128, 1024, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_str_eq(t.cfg->root.path, "/skeleton");
	m = floor_t_mount(t.cfg, "/", &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(m->type, "overlay");
	cr_assert_str_eq(m->options.v[0], "lowerdir=/bundle/rootfs");
	cr_assert(m > t.cfg->mounts && !strcmp(m[-1].type, "tmpfs"), "no tmpfs upper before it");
	floor_t_release(&t);
}

Test(floor_rules, hooks_are_refused)
{
	floor_t_refused(NULL, ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\"}]}",
			"hooks: a function sandbox runs no hooks (they run on the host)" HINT);
	floor_t_refused(NULL, ",\"hooks\":{\"poststop\":[{\"path\":\"/bin/true\"}]}",
			"hooks: a function sandbox runs no hooks (they run on the host)" HINT);
}

Test(floor_rules, a_writable_bind_mount_is_refused)
{
	floor_t_refused(
	    NULL,
	    ",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/"
	    "srv\",\"options\":[\"rbind\"]}]",
	    "mounts[1]: a bind mount into a function sandbox must be read-only (add \"ro\")" HINT);
	floor_t_refused(
	    NULL,
	    ",\"mounts\":[{\"destination\":\"/data\",\"source\":\"/"
	    "srv\",\"options\":[\"bind\",\"rw\"]}]",
	    "mounts[0]: a bind mount into a function sandbox must be read-only (add \"ro\")" HINT);
}

/* An idmapped bind would map host owners to ids of the bundle's choosing
 * (a root-only host file to the function's own uid). */
Test(floor_rules, an_idmapped_bind_mount_is_refused)
{
	floor_t_refused(NULL,
			",\"mounts\":[{\"destination\":\"/data\",\"source\":\"/srv\","
			"\"options\":[\"bind\",\"ro\",\"idmap\"]}]",
			"mounts[0]: a function sandbox's mounts take no uidMappings or idmap (the "
			"floor maps the shared root itself)" HINT);
	floor_t_refused(
	    NULL,
	    ",\"mounts\":[{\"destination\":\"/data\",\"source\":\"/srv\","
	    "\"options\":[\"bind\",\"ro\"],\"uidMappings\":[{\"containerID\":0,"
	    "\"hostID\":1879049185,\"size\":1}],\"gidMappings\":[{\"containerID\":0,"
	    "\"hostID\":1879049182,\"size\":1}]}]",
	    "mounts[0]: a function sandbox's mounts take no uidMappings or idmap (the floor maps "
	    "the shared root itself)" HINT);
}

/* The attacker's read: "ro" then "rw" ends writable (options apply in
 * order), and rbind + ro alone leaves every mount below the source
 * writable, so the floor adds rro. */
Test(floor_rules, a_bind_mount_read_only_in_name_only_is_refused)
{
	const char *bad[] = {"\"rbind\",\"ro\",\"rw\"", "\"bind\",\"ro\",\"rw\"",
			     "\"rbind\",\"rro\",\"rrw\""};
	const struct oci_mount *m;
	size_t n;
	char rest[512];
	struct floored t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(rest, sizeof(rest),
			 ",\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\","
			 "\"source\":\"/srv\",\"options\":[%s]}]",
			 bad[i]);
		floor_t_refused(NULL, rest,
				"mounts[0]: a bind mount into a function sandbox must be read-only "
				"(add \"ro\")" HINT);
	}
	floor_t_apply(&t, NULL,
		      ",\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\","
		      "\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"]}]",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "rbind + ro refused: %s", t.err.msg);
	m = floor_t_mount(t.cfg, "/data", &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(m->options.v[m->options.n - 1], "rro", "the tree below stays writable");
	floor_t_release(&t);
}

Test(floor_rules, limits_above_the_floor_are_refused)
{
	floor_t_refused(NULL, ",\"linux\":{\"resources\":{\"memory\":{\"limit\":134217729}}}",
			"linux.resources.memory.limit: 134217729 is above "
			"org.slxrun.function.memory (128 MB)" HINT);
	floor_t_refused(NULL, ",\"linux\":{\"resources\":{\"pids\":{\"limit\":1025}}}",
			"linux.resources.pids.limit: 1025 is above a function sandbox's 1024" HINT);
	floor_t_refused(NULL, ",\"linux\":{\"resources\":{\"pids\":{\"limit\":-1}}}",
			"linux.resources.pids.limit: -1 is above a function sandbox's 1024" HINT);
	floor_t_refused(NULL, ",\"linux\":{\"resources\":{\"pids\":{\"limit\":0}}}",
			"linux.resources.pids.limit: 0 is above a function sandbox's 1024" HINT);
	floor_t_refused(
	    ",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":0},"
	    "{\"type\":\"RLIMIT_NPROC\",\"soft\":1024,\"hard\":4096}]",
	    NULL,
	    "process.rlimits[1]: RLIMIT_NPROC 1024/4096 is above a function sandbox's 1024" HINT);
}

/* unified keys are written after the typed limits, so they would win: only
 * what tightens the floor is taken (found by an attacker's read: memory.max
 * "max", pids.max "max" and cpu.weight 10000 went through). */
Test(floor_rules, unified_keys_that_loosen_the_floor_are_refused)
{
	static const char *const bad[][2] = {
	    {"memory.max", "max"},   {"memory.swap.max", "max"}, {"pids.max", "max"},
	    {"cpu.weight", "10000"}, {"memory.low", "1"},	 {"memory.high", "134217729"},
	    {"io.weight", "10000"},  {"cpu.max.burst", "1000"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rest[256], msg[512];

		snprintf(rest, sizeof(rest),
			 ",\"linux\":{\"resources\":{\"unified\":{\"%s\":\"%s\"}}}", bad[i][0],
			 bad[i][1]);
		snprintf(
		    msg, sizeof(msg),
		    "linux.resources.unified[\"%s\"]: a function sandbox's limits come from "
		    "org.slxrun.function.memory; only cpu.weight, cpu.max and memory.high at or "
		    "below the floor's may be set" HINT,
		    bad[i][0]);
		floor_t_refused(NULL, rest, msg);
	}
	floor_t_refused(NULL, ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":262144}}}",
			"linux.resources.cpu.shares: 262144 is above a function sandbox's weight "
			"(100 at 128 MB)" HINT);
}

Test(floor_rules, unified_keys_that_tighten_the_floor_are_taken)
{
	struct floored t;

	floor_t_apply(&t, NULL,
		      ",\"linux\":{\"resources\":{\"unified\":{\"cpu.max\":\"50000 100000\","
		      "\"memory.high\":\"67108864\",\"cpu.weight\":\"50\"}}}",
		      NULL, floor_t_sizes(128, 512, ALL_CTRL));
	cr_assert_eq(t.rc, 0, "%s", t.err.msg);
	cr_assert_str_eq(floor_t_unified(&t.cfg->linux_.resources, "cpu.max"), "50000 100000");
	cr_assert_str_eq(floor_t_unified(&t.cfg->linux_.resources, "cpu.weight"), "50");
	floor_t_release(&t);
}

/* ---- the annotations that size a sandbox ------------------------------ */

Test(floor_rules, sizes_in_range_are_taken)
{
	struct slx_err err = {0};
	uint32_t mb = 0;

	cr_assert_eq(shim_floor_parse_mb("org.slxrun.function.memory", "16", 16, &mb, &err), 0);
	cr_assert_eq(mb, 16);
	cr_assert_eq(shim_floor_parse_mb("org.slxrun.function.memory", "10240", 16, &mb, &err), 0);
	cr_assert_eq(mb, 10240);
	cr_assert_eq(
	    shim_floor_parse_mb("org.slxrun.function.ephemeral-storage", "512", 512, &mb, &err), 0);
	cr_assert_eq(mb, 512);
}

Test(floor_rules, sizes_out_of_range_or_not_numbers_are_refused)
{
	static const char *const bad_memory[] = {"15",
						 "10241",
						 "0",
						 "",
						 "-1",
						 "+128",
						 " 128",
						 "128 ",
						 "12x",
						 "1e3",
						 "99999999999999999999"};
	struct slx_err err = {0};
	uint32_t mb = 77;
	char msg[256];

	for (size_t i = 0; i < sizeof(bad_memory) / sizeof(bad_memory[0]); i++) {
		cr_assert_eq(
		    shim_floor_parse_mb("org.slxrun.function.memory", bad_memory[i], 16, &mb, &err),
		    -1, "memory \"%s\" accepted", bad_memory[i]);
		snprintf(
		    msg, sizeof(msg),
		    "org.slxrun.function.memory: \"%s\" is not a whole number of MB from 16 to "
		    "10240",
		    bad_memory[i]);
		cr_assert_str_eq(err.msg, msg);
		cr_assert_eq(mb, 77, "refused, yet written");
	}
	cr_assert_eq(shim_floor_parse_mb("--memory", "8", 16, &mb, &err), -1);
	cr_assert_str_eq(err.msg, "--memory: \"8\" is not a whole number of MB from 16 to 10240");
	cr_assert_eq(
	    shim_floor_parse_mb("org.slxrun.function.ephemeral-storage", "511", 512, &mb, &err),
	    -1);
	cr_assert_str_eq(err.msg, "org.slxrun.function.ephemeral-storage: \"511\" is not a whole "
				  "number of MB from 512 to 10240");
}

/* ---- --sandbox-ids ------------------------------------------------------ */

Test(floor_rules, sandbox_ids_are_base_and_count_above_65535)
{
	struct shim_floor_opts o = {0};
	struct slx_err err = {0};
	/* the last: its function users would end at (uid_t)-1 */
	static const char *const bad[] = {"65535:65536",
					  "65536:65535",
					  "x",
					  "100000",
					  ":65536",
					  "100000:",
					  "4294901760:65536",
					  "100000:65536x",
					  "-1:65536",
					  "100000:-1",
					  "18446744073709486080:65536",
					  "4294770688:65536"};

	cr_assert_eq(shim_floor_parse_ids("1879048192:65536", &o, &err), 0, "%s", err.msg);
	cr_assert_eq(o.id_base, 1879048192u);
	cr_assert_eq(o.id_count, 65536u);
	/* the last function user (uid_t)-2 */
	cr_assert_eq(shim_floor_parse_ids("4294770687:65536", &o, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[256];

		cr_assert_eq(shim_floor_parse_ids(bad[i], &o, &err), -1, "\"%s\" accepted", bad[i]);
		snprintf(
		    msg, sizeof(msg),
		    "--sandbox-ids: \"%s\" is not BASE:COUNT with BASE and COUNT at least 65536 "
		    "and BASE+COUNT+131072 (the sandboxes' owners and users after the range) below "
		    "2^32",
		    bad[i]);
		cr_assert_str_eq(err.msg, msg);
	}
}

/* A bundle's one overlay lower (its rootfs, which the floor stacks) was
 * checked to be inside the bundle; when the idmapped covers resolved it
 * again, a directory swapped for a symlink since then made a host
 * directory every sandbox's root (a reviewer's race, 5 runs in 30).  A
 * lower that resolves elsewhere now is refused, never rewritten. */
Test(floor_rules, an_overlay_lower_that_resolves_outside_the_bundle_is_refused)
{
	static const char *const outside[] = {"%s/alt", "/usr"};
	char dir[] = "/tmp/slxtest-floor-unit-XXXXXX", real[PATH_MAX], link[PATH_MAX + 8],
	     json[PATH_MAX + 256];
	struct slx_err err = {0};

	cr_assert(mkdtemp(dir));
	cr_assert(realpath(dir, real));
	snprintf(link, sizeof(link), "%s/alt", real);
	cr_assert_eq(symlink("/usr", link), 0);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		struct oci_config *cfg = NULL;
		char lower[PATH_MAX + 8];
		int n;

		snprintf(lower, sizeof(lower), outside[i], real);
		n = snprintf(json, sizeof(json),
			     CFG_HEAD "},\"mounts\":[{\"destination\":\"/\",\"type\":\"overlay\","
				      "\"source\":\"overlay\",\"options\":[\"lowerdir=%s\"]}]}",
			     lower);
		cr_assert_eq(oci_config_parse("config.json", json, (size_t)n, &cfg, &err), 0, "%s",
			     err.msg);
		cr_expect_eq(shim_floor_lowers(cfg, real, "/nonexistent-root", &err), -1,
			     "lowerdir=%s accepted as %s", lower, cfg->mounts[0].options.v[0]);
		cr_expect(strstr(err.msg, "changed while the function was being loaded"), "%s",
			  err.msg);
		oci_config_free(cfg);
	}
	unlink(link);
	rmdir(dir);
}

/* The node-wide registry of ranges (floor_owner.c), through a file of the
 * test's own: a range is refused while another process holds one it
 * overlaps without being it, from either side or around it; the same range
 * and a range apart are taken; a holder's exit frees its range. */
static pid_t floor_t_holder(const char *path, uint32_t base, uint32_t count)
{
	int ready[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct slx_err e;

		close(ready[0]);
		if (shim_floor_range_take(path, base, count, &e) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the holder could not take its range");
	close(ready[0]);
	return pid;
}

static bool floor_t_range_ok(const char *path, uint32_t base, uint32_t count, const char *want)
{
	struct slx_err e = {0};
	int fd = shim_floor_range_take(path, base, count, &e);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	cr_expect(want && strstr(e.msg, want), "%" PRIu32 ":%" PRIu32 ": %s", base, count, e.msg);
	return false;
}

Test(floor_rules, a_range_is_refused_over_a_live_other_and_shared_when_the_same)
{
	const uint32_t b = 1879048192u, c = SHIM_FLOOR_ID_COUNT, span = c + 2 * SHIM_FLOOR_OWNERS;
	char path[] = "/tmp/slxtest-ranges-XXXXXX";
	int fd = mkstemp(path), status;
	pid_t holder;

	cr_assert_geq(fd, 0);
	close(fd);
	holder = floor_t_holder(path, b, c);
	cr_expect(floor_t_range_ok(path, b, c, NULL), "the same range is shared");
	cr_expect(!floor_t_range_ok(path, b + c, c, "overlap 1879048192:65536's"),
		  "over the holder's owners");
	cr_expect(!floor_t_range_ok(path, b + span - 1, c, "overlap"), "over its last id");
	cr_expect(!floor_t_range_ok(path, b - c, c, "overlap"), "its users over the holder's ids");
	cr_expect(!floor_t_range_ok(path, b, 2 * c, "overlap"), "the same base, more ids");
	cr_expect(!floor_t_range_ok(path, b - c, 8 * c, "overlap"), "around it");
	cr_expect(floor_t_range_ok(path, b + span, c, NULL), "right after its span");
	cr_expect(floor_t_range_ok(path, b - span, c, NULL), "right before it");
	kill(holder, SIGKILL);
	cr_assert_eq(waitpid(holder, &status, 0), holder);
	cr_expect(floor_t_range_ok(path, b + c, c, NULL), "once the holder is gone");
	/* Whoever could open it could hold its guard, and every shim, for ever. */
	cr_assert_eq(chmod(path, 0644), 0);
	cr_expect(!floor_t_range_ok(path, b, c, "only it may open (mode 0600)"), "mode 0644");
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect(!floor_t_range_ok(path, b, c, "must be a regular file"), "a FIFO");
	unlink(path);
}
