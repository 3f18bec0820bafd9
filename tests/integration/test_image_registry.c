/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_image_registry.c -- docker:// pulls: from Debian's docker-registry
 * (started here on 127.0.0.1 with its own storage, filled by skopeo), and
 * from fake_registry.py, which demands a Bearer token, drops every blob's
 * first transfer halfway, and answers 404, 500 and corrupt blobs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/harness.h"

static char work[64];
static int fake_port;

static void setup(void)
{
	char port[16] = "", cwd[512], path[128];
	struct cmd_result r;
	FILE *f;

	snprintf(work, sizeof(work), "/tmp/slx-registry-XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	/* Sandboxes mount the store by path as an id the host does not know. */
	cr_assert_eq(chmod(work, 0711), 0);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cmd_run(
	    &r, NULL, 60,
	    "cd %s && umoci init --layout oci && umoci new --image oci:v1 && "
	    "umoci unpack --image oci:v1 b >/dev/null && mkdir -p b/rootfs/bin && "
	    "cp /bin/busybox b/rootfs/bin/ && umoci repack --image oci:v1 b && "
	    "umoci config --image oci:v1 --config.cmd /bin/busybox --config.cmd echo "
	    "--config.cmd pulled && "
	    "(setsid python3 %s/tests/integration/fake_registry.py oci port log >fake.out 2>&1 & "
	    "echo $! >fake.pid) && i=0; while [ ! -e port ] && [ $i -lt 50 ]; do sleep 0.1; "
	    "i=$((i+1)); done; [ -e port ]",
	    work, cwd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(path, sizeof(path), "%s/port", work);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(port, sizeof(port), f));
	fclose(f);
	fake_port = atoi(port);
}

static void teardown(void)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30,
		"cd %s && for p in fake.pid registry.pid; do [ -e $p ] && kill $(cat $p); done; "
		"cd / && rm -rf %s",
		work, work);
	cmd_result_free(&r);
}

TestSuite(image_registry, .init = setup, .fini = teardown);

static void pull_from(struct cmd_result *r, const char *host, const char *repo)
{
	cmd_run(r, NULL, 60, "cd %s && '%s' --root root image pull docker://%s:%d/%s", work,
		slxrun_bin(), host, fake_port, repo);
}

static void pull(struct cmd_result *r, const char *repo)
{
	pull_from(r, "127.0.0.1", repo);
}

/* A pull from host of repo fails with one line holding want. */
static void pull_refused(const char *host, const char *repo, const char *want)
{
	struct cmd_result r;

	pull_from(&r, host, repo);
	cr_expect_eq(r.status, 1, "%s: %s", repo, r.err);
	cr_expect(strstr(r.err, want), "%s: %s", repo, r.err);
	cr_expect_eq(count_lines(r.err), 1, "%s: %s", repo, r.err);
	cmd_result_free(&r);
}

/* Nothing of a failed pull is left: no temp file, layer or ref. */
static void store_left_empty(void)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10,
		"cd %s/root/images && [ -z \"$(ls tmp)\" ] && [ -z \"$(ls layers)\" ] && "
		"! [ -e refs.json ]",
		work);
	cr_expect_eq(r.status, 0, "something was left in the store");
	cmd_result_free(&r);
}

Test(image_registry, a_token_protected_registry_that_drops_blobs_midway_still_pulls)
{
	struct cmd_result r;

	pull(&r, "fn/echo:v1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cd %s && cat log", work);
	cr_assert(strstr(r.out, "auth=None"), "never challenged: %s", r.out);
	cr_assert(strstr(r.out, "auth=Bearer T0K3N"), "no token used: %s", r.out);
	cr_assert(strstr(r.out, "range=bytes="), "no resumed blob: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 60,
		"cd %s && '%s' --root root invoke --data x docker://127.0.0.1:%d/fn/echo:v1", work,
		slxrun_bin(), fake_port);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "pulled\n");
	cmd_result_free(&r);
}

Test(image_registry, http_errors_and_corrupt_blobs_are_one_line_and_leave_nothing)
{
	pull_refused("127.0.0.1", "fn/missing:v1",
		     "/v2/fn/missing/manifests/v1: HTTP 404 (not found)");
	pull_refused("127.0.0.1", "fail/500:v1", "HTTP 500");
	pull_refused("127.0.0.1", "fn/corrupt:v1", "content has digest sha256:");
	store_left_empty();
}

/* A hostile registry: a blob that streams past its descriptor's size
 * would fill the store's disk before its digest is checked; a plain-http
 * realm elsewhere (or behind a user name, "localhost:x@127.0.0.2") would
 * have the pull fetch what another service answers and hand it to the
 * registry as the token; a registry elsewhere may not reach this host at
 * all, however its name is spelled.  Each is one line, and leaves nothing. */
Test(image_registry, a_hostile_registry_cannot_fill_the_disk_or_pick_the_realm)
{
	pull_refused("127.0.0.1", "evil/endless:v1", "bytes its descriptor gives");
	pull_refused("127.0.0.1", "evil/realm:v1", "plain http only to 127.0.0.1 or localhost");
	pull_refused("127.0.0.1", "evil/realm2:v1", "plain http only to 127.0.0.1 or localhost");
	/* 127.0.0.2 is not this host's registry name, but it is this host */
	pull_refused("127.0.0.2", "fn/echo:v1", "a registry elsewhere may not reach this host");
	store_left_empty();
}

/* A registry that sends half a blob and then nothing held the pull, and
 * the store's lock with it, for ever: a transfer under 1 KiB/s for 20 s is
 * cut and resumed where it stopped (a slow link is not a failure). */
Test(image_registry, a_stalled_blob_is_cut_and_resumed)
{
	struct cmd_result r;

	pull(&r, "evil/stall:v1");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cd %s && grep -c '/v2/evil/stall/blobs/.*range=bytes=' log", work);
	cr_expect_neq(atoi(r.out), 0, "no blob was resumed");
	cmd_result_free(&r);
}

/* A registry decides how long a pull's transfers take (a trickle just over
 * the floor lasts days for a blob it says is big), and the pull held the
 * store's gc lock throughout: `image prune` waited for it.  Now prune runs
 * while a blob stalls, and keeps what the pull has fetched and is fetching:
 * the pull still completes and the image runs. */
Test(image_registry, prune_does_not_wait_on_a_stalled_pull_nor_take_its_blobs)
{
	struct cmd_result r;
	char cmd[1024];
	pid_t puller;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && exec '%s' --root root image pull docker://127.0.0.1:%d/evil/stall:v1",
		 work, slxrun_bin(), fake_port);
	puller = fork();
	cr_assert_geq(puller, 0);
	if (puller == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* until the layer's first transfer has stalled (the registry logs it) */
	cmd_run(&r, NULL, 30,
		"cd %s && i=0; until grep -q '/v2/evil/stall/blobs/.*range=None' log && "
		"[ -n \"$(ls root/images/tmp)\" ]; do i=$((i+1)); [ $i -lt 200 ] || exit 1; "
		"sleep 0.05; done; sleep 0.5",
		work);
	cr_assert_eq(r.status, 0, "the pull never reached its stalled blob");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cd %s && '%s' --root root image prune", work, slxrun_bin());
	cr_expect_eq(r.status, 0, "prune waited on the pull's transfer: %s", r.err);
	cmd_result_free(&r);
	cr_expect_eq(waitpid(puller, &status, WNOHANG), 0, "the pull ended before prune did");
	cr_assert_eq(waitpid(puller, &status, 0), puller);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the pull failed after a prune ran beside it");
	cmd_run(&r, NULL, 60,
		"cd %s && '%s' --root root invoke --data x docker://127.0.0.1:%d/evil/stall:v1",
		work, slxrun_bin(), fake_port);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "pulled\n");
	cmd_result_free(&r);
}

/* `image pull` of the fake registry's repo:v1 under an fd limit. */
static void reg_pull_under(int fds, const char *repo, struct cmd_result *r)
{
	cmd_run(r, NULL, 60,
		"cd %s && ulimit -n %d && '%s' --root root image pull docker://127.0.0.1:%d/%s:v1",
		work, fds, slxrun_bin(), fake_port, repo);
}

/* A registry pull holds each blob it needs with an open fd: one layer the
 * manifest lists 1,100 times took 1,100 fds, past a 1024 limit.  Each blob
 * is held once. */
Test(image_registry, a_layer_listed_many_times_is_held_once)
{
	struct cmd_result r;

	reg_pull_under(256, "evil/many", &r);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
}

/* 1,100 distinct layers, past a 1,024 fd limit (the pull pins each blob
 * it fetches by an fd until it ends) and past the 500 lowers an overlay
 * stacks: refused in one line when the manifest is read, before any blob
 * is asked for, and nothing is left in the store's blobs or temp. */
Test(image_registry, more_layers_than_an_overlay_stacks_are_refused_before_any_blob)
{
	struct cmd_result r;

	reg_pull_under(1024, "evil/deep", &r);
	cr_assert_neq(r.status, 0, "pulled: %s", r.out);
	cr_assert(strstr(r.err, "1100 distinct layers; an overlay stacks at most 500"), "%s",
		  r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "grep -c 'evil/deep/blobs' %s/log", work);
	cr_assert_str_eq(r.out, "0\n", "blobs asked for: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "ls -A %s/root/images/tmp", work);
	cr_assert_str_eq(r.out, "", "left in the store's temp: %s", r.out);
	cmd_result_free(&r);
}

Test(image_registry, debians_docker_registry_serves_what_skopeo_pushed)
{
	struct cmd_result r;

	cmd_run(
	    &r, NULL, 60,
	    "cd %s && printf 'version: 0.1\\nstorage:\\n  filesystem:\\n    rootdirectory: "
	    "%s/reg\\n"
	    "http:\\n  addr: 127.0.0.1:%d\\n' >reg.yml && "
	    "(docker-registry serve reg.yml >reg.log 2>&1 & echo $! >registry.pid) && "
	    "i=0; until curl -sf http://127.0.0.1:%d/v2/ >/dev/null || [ $i -gt 50 ]; do sleep "
	    "0.1; "
	    "i=$((i+1)); done && "
	    "skopeo copy -q --dest-tls-verify=false oci:oci:v1 docker://127.0.0.1:%d/fn/echo:v1 && "
	    "'%s' --root root invoke --data x docker://127.0.0.1:%d/fn/echo:v1",
	    work, work, fake_port + 1, fake_port + 1, fake_port + 1, slxrun_bin(), fake_port + 1);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "pulled\n");
	cmd_result_free(&r);
}
