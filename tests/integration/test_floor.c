/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_floor.c -- the floor every function sandbox gets, tried from inside a
 * function as an attacker would: the shim's sockets, the host's 9001, the
 * root and /tmp, the agent, what an invocation leaves running, the user and
 * its host id, new namespaces, a writable root private to its sandbox; and
 * bundles that ask for less, refused. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/harness.h"
#include "tests/lib/shim_proc.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68 /* Linux 6.4; Debian 12's headers are 6.1's */
#endif

static struct shim_proc floor_t_shim = SHIM_PROC_INIT;
static char floor_t_dir[64], floor_t_host[80];

static void floor_t_fini(void)
{
	struct cmd_result r;

	shim_proc_cleanup(&floor_t_shim);
	if (floor_t_dir[0]) {
		cmd_run(&r, NULL, 10, "umount -R -l '%s' 2>/dev/null; rm -rf '%s'", floor_t_dir,
			floor_t_dir);
		cmd_result_free(&r);
	}
	floor_t_dir[0] = '\0';
	if (floor_t_host[0]) {
		cmd_run(&r, NULL, 10, "rm -rf '%s'", floor_t_host);
		cmd_result_free(&r);
	}
	floor_t_host[0] = '\0';
}

TestSuite(floor, .fini = floor_t_fini);

/* A function shaped as the example bundles are (hello-exec's config.json
 * and a copy of its rootfs: no /tmp mount, the bundle's namespaces) whose
 * handler is `script`, bound read-only over /function/handler.sh;
 * `sed_extra` edits the config further. */
static const char *floor_t_bundle(const char *script, const char *sed_extra)
{
	static char cfg[128];
	char path[128];
	struct cmd_result r;
	FILE *f;

	snprintf(floor_t_dir, sizeof(floor_t_dir), "/tmp/slxtest-floor-XXXXXX");
	cr_assert(mkdtemp(floor_t_dir));
	/* The sandbox's root is an unmapped id: it must be able to walk here. */
	cr_assert_eq(chmod(floor_t_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/handler.sh", floor_t_dir);
	cr_assert((f = fopen(path, "w")));
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	cr_assert_eq(chmod(path, 0755), 0);
	snprintf(cfg, sizeof(cfg), "%s/config.json", floor_t_dir);
	cmd_run(
	    &r, NULL, 10,
	    "cp -a %s/hello-exec/rootfs %s/rootfs && "
	    "sed -e 's|\"mounts\": \\[|\"mounts\": [ { \"destination\": \"/function/handler.sh\", "
	    "\"type\": \"bind\", \"source\": \"%s\", \"options\": [\"rbind\", \"ro\"] },|' %s "
	    "%s/hello-exec/config.json > %s",
	    examples_dir(), floor_t_dir, path, sed_extra ? sed_extra : "", examples_dir(), cfg);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	return floor_t_dir;
}

/* prog (C source) built static into the bundle's rootfs as /name. */
static void floor_t_compile(const char *name, const char *prog)
{
	struct cmd_result r;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.c", floor_t_dir, name);
	cr_assert((f = fopen(path, "w")));
	fputs(prog, f);
	fclose(f);
	cmd_run(&r, NULL, 60, "cc -static -O1 -o %s/rootfs/%s %s", floor_t_dir, name, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
}

static void floor_t_invoke(const char *bundle, const char *flags, const char *event,
			   struct cmd_result *r)
{
	cmd_run(r, NULL, 30, "%s --root %s/state invoke %s --data '%s' %s", slxrun_bin(), bundle,
		flags ? flags : "", event, bundle);
}

/* A function that is prog (C, built static as /name), invoked once: it
 * must answer want. */
static void floor_t_prog_says(const char *name, const char *prog, const char *want,
			      const char *what)
{
	char handler[80];
	struct cmd_result r;

	snprintf(handler, sizeof(handler), "/%s", name);
	floor_t_bundle(handler, NULL);
	floor_t_compile(name, prog);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want, "%s: %s", what, r.out);
	cmd_result_free(&r);
}

Test(floor, function_cannot_reach_the_shims_tcp_port_or_unix_socket)
{
	int port = 20000 + getpid() % 20000;
	char script[512], flags[64];
	struct http_reply r;

	snprintf(script, sizeof(script),
		 "printf 'GET /status HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 %d | grep -q HTTP "
		 "&& echo tcp-reached || echo tcp-refused\n"
		 "[ -e %s/shim.sock ] && echo unix-reached || echo unix-unreachable",
		 port, "/tmp/slxtest-shim");
	floor_t_bundle(script, NULL);
	snprintf(flags, sizeof(flags), "--no-auth --listen tcp:127.0.0.1:%d", port);
	shim_proc_start(&floor_t_shim, floor_t_dir, flags);
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "tcp-refused\nunix-unreachable\n");
	cr_assert_eq(shim_metric(&floor_t_shim, "slxrun_invocations_total{outcome=\"ok\"}"), 1,
		     "the function invoked the shim itself");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* True while the host's 0.0.0.0:9001 can be bound. */
static bool floor_t_host_9001_free(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9001)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	/* SO_REUSEADDR: past connections' TIME_WAIT does not count, a listener does. */
	bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		  bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

Test(floor, runtime_api_never_takes_the_hosts_9001)
{
	/* A bootstrap that polls /next once and waits: the agent's Runtime API
	 * is up and the sandbox is ready.  The bundle has no network namespace. */
	floor_t_bundle("exec wget -q -O - http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
		       "-e 's|\"org.slxrun.function.mode\": \"exec\"|\"org.slxrun.function.mode\": "
		       "\"runtime-api\"|'");
	cr_assert(floor_t_host_9001_free(), "9001 is busy before the test");
	shim_proc_start(&floor_t_shim, floor_t_dir, "--min-warm 1");
	for (int i = 0;
	     i < 100 && shim_metric(&floor_t_shim, "slxrun_sandboxes{state=\"idle\"}") < 1; i++)
		sleep_ms(50);
	cr_assert_eq(shim_metric(&floor_t_shim, "slxrun_sandboxes{state=\"idle\"}"), 1);
	cr_assert(floor_t_host_9001_free(), "the sandbox's Runtime API took the host's 9001");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

Test(floor, root_is_read_only_and_tmp_is_writable_and_private_to_a_sandbox)
{
	struct cmd_result r;

	floor_t_bundle("read -r x\n"
		       "touch /rootfile 2>&1 | grep -q 'Read-only' && echo root-ro\n"
		       "[ -e /tmp/mark ] && echo seen-another-sandboxs-tmp\n"
		       "echo $x > /tmp/mark && cat /tmp/mark",
		       NULL);
	floor_t_invoke(floor_t_dir, NULL, "first", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "root-ro\nfirst\n");
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "second", &r);
	cr_assert_str_eq(r.out, "root-ro\nsecond\n");
	cmd_result_free(&r);
}

/* root.readonly false: the bundle's rootfs is the overlay's read-only
 * lower, each sandbox writes into its own tmpfs upper; neither the next
 * sandbox nor the bundle's directory sees a write.  The lower is seen
 * through an idmapped view (host id X is X inside) and copy-up keeps
 * owners: /data, the function's own 993:990, takes writes; /etc, root's,
 * does not. */
Test(floor, a_writable_root_is_private_to_its_sandbox_and_never_the_bundles)
{
	const char *script = "read -r x\n"
			     "cat /data/log 2>/dev/null\n"
			     "echo $x >> /data/log && echo wrote-$x\n"
			     "touch /etc/owned-by-host-root 2>/dev/null && echo wrote-etc\n"
			     "true";
	struct cmd_result r;

	floor_t_bundle(script, "-e 's|\"readonly\": true|\"readonly\": false|'");
	cmd_run(&r, NULL, 10,
		"cd %s && cp -a %s/hello-exec/rootfs rootfs && mkdir rootfs/data && "
		"chown 993:990 rootfs/data && "
		"sed -i 's|\"path\": \"[^\"]*\"|\"path\": \"rootfs\"|' config.json",
		floor_t_dir, examples_dir());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "one", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "wrote-one\n", "err: %s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "two", &r);
	cr_assert_str_eq(r.out, "wrote-two\n", "the second sandbox saw the first one's write");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10,
		"[ -z \"$(ls -A %s/rootfs/data)\" ] && [ ! -e %s/rootfs/.slxrun-upper ]",
		floor_t_dir, floor_t_dir);
	cr_assert_eq(r.status, 0, "a sandbox wrote into the bundle's rootfs");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "sed -i 's|\"readonly\": false|\"readonly\": true|' %s/config.json",
		floor_t_dir);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "three", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "", "a read-only root took a write: %s", r.out);
	cmd_result_free(&r);
}

/* A rootfs already chowned into the sandbox's range (what a runtime
 * without idmapped mounts needs) is not idmapped again: its host ids
 * 1879048192 + X are X inside, /data (the function's) takes writes. */
Test(floor, a_rootfs_already_in_the_sandbox_range_is_left_as_it_is)
{
	struct cmd_result r;

	floor_t_bundle("echo w > /data/f && cat /data/f && stat -c %u:%g /data /etc",
		       "-e 's|\"readonly\": true|\"readonly\": false|'");
	cmd_run(&r, NULL, 10,
		"cd %s && cp -a %s/hello-exec/rootfs rootfs && mkdir rootfs/data && "
		"chown -R 1879048192:1879048192 rootfs && "
		"chown 1879049185:1879049182 rootfs/data && "
		"sed -i 's|\"path\": \"[^\"]*\"|\"path\": \"rootfs\"|' config.json",
		floor_t_dir, examples_dir());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "x", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "w\n993:990\n0:0\n", "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
}

/* A program printing its euid, in the bundle's rootfs as /euid. */
static void floor_t_euid(void)
{
	floor_t_compile("euid", "#include <stdio.h>\n#include <unistd.h>\n"
				"int main(void) { printf(\"%u\\n\", geteuid()); return 0; }\n");
}

/* The function refused at load, one line naming what; nothing left. */
static void floor_t_refused(const char *what)
{
	struct cmd_result r;

	floor_t_invoke(floor_t_dir, NULL, "x", &r);
	cr_assert_neq(r.status, 0, "ran: %s", r.out);
	cr_assert(strstr(r.err, what), "want \"%s\" in: %s", what, r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "ls -A %s/state 2>/dev/null", floor_t_dir);
	cr_assert_str_eq(r.out, "", "left behind: %s", r.out);
	cmd_result_free(&r);
}

static void floor_t_sh(const char *cmd)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10, "cd %s && %s", floor_t_dir, cmd);
	cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
	cmd_result_free(&r);
}

/* The function loads and answers "ran". */
static void floor_t_runs(void)
{
	struct cmd_result r;

	floor_t_invoke(floor_t_dir, NULL, "x", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ran\n");
	cmd_result_free(&r);
}

/* A rootfs shifted into the sandboxes' range by a tool that keeps the
 * set-id bits, holding a file set-uid to BASE: the sandboxes' user
 * namespaces belong to BASE, so any host user who runs it through the
 * rootfs's searchable path holds every capability over them.  The premise
 * first (nobody runs it and is BASE), then: the function is refused at
 * load, in one line naming the file, and nothing is left. */
Test(floor, a_set_uid_file_of_a_sandbox_id_in_the_bundle_is_refused)
{
	struct cmd_result r;

	floor_t_bundle("echo ran", NULL);
	floor_t_euid();
	cmd_run(&r, NULL, 10,
		"chown -R 1879048192:1879048192 %s/rootfs && chmod 4755 %s/rootfs/euid && "
		"setpriv --reuid=65534 --regid=65534 --clear-groups %s/rootfs/euid",
		floor_t_dir, floor_t_dir, floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1879048192\n", "the host user did not become BASE: %s", r.out);
	cmd_result_free(&r);
	floor_t_refused("rootfs/euid is set-uid to 1879048192, a sandbox id: any host user");
	/* set-gid to a sandbox group, likewise, and each such file counted
	 * once, whatever its names */
	floor_t_sh("chown 1879048193:1879048193 rootfs/euid && chmod 2755 rootfs/euid && "
		   "cp -a rootfs/euid rootfs/euid2 && ln rootfs/euid rootfs/euid3");
	floor_t_refused("is set-gid to 1879048193, a sandbox id (one of 2 such files)");
	/* set-uid to an id after the range, which owns a sandbox's namespace
	 * while it lives (floor_owner.c) */
	floor_t_sh("chmod 0755 rootfs/euid2 && chown 1879113728 rootfs/euid && "
		   "chmod 4755 rootfs/euid");
	floor_t_refused("is set-uid to 1879113728, a sandbox id: any host user");
	/* the bits cleared, it runs */
	floor_t_sh("chmod 0755 rootfs/euid rootfs/euid2");
	floor_t_runs();
}

/* The shifts an operator gets half right, and what a host user cannot run.
 * `chown -R B rootfs/...` leaves the top directory root's: still walked.  A
 * set-uid file only the range's group may execute (as Debian's 4754
 * dbus-daemon-launch-helper) is runnable by no host user: it loads.  A bind
 * source in the bundle, shifted, is walked as the rootfs is, and so is a
 * file system mounted under the rootfs (not nosuid: the path reaches it). */
Test(floor, a_half_shifted_tree_a_bind_source_and_a_mount_under_it_are_walked)
{
	struct cmd_result r;

	floor_t_bundle("echo ran", "-e 's|\"mounts\": \\[|\"mounts\": [ { \"destination\": "
				   "\"/data\", \"type\": \"bind\", \"source\": \"data\", "
				   "\"options\": [\"rbind\", \"ro\"] },|'");
	floor_t_euid();
	floor_t_sh("mkdir data rootfs/data && chown -R 1879048192:1879048192 rootfs/* && "
		   "chown 1879048192 rootfs/euid && chmod 4755 rootfs/euid");
	floor_t_refused("rootfs/euid is set-uid to 1879048192, a sandbox id");
	floor_t_sh("chmod 4754 rootfs/euid");
	floor_t_runs();
	floor_t_sh("cp -a rootfs/euid data/su && chown -R 1879048192:1879048192 data && "
		   "chmod 4755 data/su");
	floor_t_refused("data/su is set-uid to 1879048192, a sandbox id");
	floor_t_sh("rm data/su && mount -t tmpfs slxtest rootfs/data && cp -a rootfs/euid "
		   "rootfs/data/su && chmod 4755 rootfs/data/su");
	floor_t_refused("rootfs/data/su is set-uid to 1879048192, a sandbox id");
	floor_t_sh("mount -o remount,nosuid rootfs/data");
	floor_t_invoke(floor_t_dir, NULL, "x", &r);
	cr_assert_eq(r.status, 0, "nosuid: %s", r.err);
	cmd_result_free(&r);
	floor_t_sh("umount rootfs/data");
}

/* The attacker's bundle: a root over a host directory that is not its own
 * (here a copy of the example's rootfs holding a root:42 0640 file, outside
 * the bundle).  A function sees only its own files: refused, naming the
 * field (named "/", it would have shown the sandbox the whole host). */
Test(floor, a_root_outside_the_bundle_is_refused)
{
	struct cmd_result r;

	floor_t_bundle("cat /secret", "-e 's|\"readonly\": true|\"readonly\": false|'");
	snprintf(floor_t_host, sizeof(floor_t_host), "%s-host", floor_t_dir);
	cmd_run(&r, NULL, 10,
		"cp -a %s/hello-exec/rootfs %s && echo s >%s/secret && chown 0:42 %s/secret && "
		"chmod 640 %s/secret && sed -i 's|\"path\": \"[^\"]*\"|\"path\": \"%s\"|' "
		"%s/config.json",
		examples_dir(), floor_t_host, floor_t_host, floor_t_host, floor_t_host,
		floor_t_host, floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "x", &r);
	cr_assert_neq(r.status, 0, "ran: %s", r.out);
	cr_assert(strstr(r.err, "root.path: ") && strstr(r.err, "is outside the bundle"), "%s",
		  r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	/* refused before the store was touched: no skeleton made for it */
	cmd_run(&r, NULL, 10, "ls -A %s/state 2>/dev/null", floor_t_dir);
	cr_assert_str_eq(r.out, "", "left behind: %s", r.out);
	cmd_result_free(&r);
}

/* A function held the session keyring of whoever started the shim: an
 * attacker's program read the operator's key and cleared the keyring (the
 * keys are the host's: /proc/keys in the sandbox does not list them, but
 * keyctl reaches them).  A sandbox gets no keyring of its own (each would
 * count against the one host uid the sandboxes share, 200 keys): the floor's
 * seccomp profile refuses the keyring calls, as Docker's does. */
Test(floor, a_function_does_not_reach_the_operators_keyring)
{
	static const char prog[] =
	    "#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n"
	    "#include <linux/keyctl.h>\n"
	    "int main(void) { char d[256] = \"\"; long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, "
	    "KEY_SPEC_SESSION_KEYRING, d, sizeof(d) - 1);\n"
	    "printf(\"%s\\n\", n < 0 ? \"refused\" : d); return 0; }\n";
	keyring_possess_key("slxtest-operator-key");
	floor_t_prog_says("keys", prog, "refused\n", "the operator's keyring, from the sandbox");
}

/* Same-page merging (KSM) is a timing side channel between the processes
 * whose pages it merges: a page of guessed content, merged or not, says
 * whether another process holds it.  Only a function whose operator let its
 * sandboxes share memory (--share-memory) is mergeable; any other that made
 * itself so (prctl PR_SET_MEMORY_MERGE, Linux 6.4, or madvise
 * MADV_MERGEABLE on its own pages) could probe those.  The floor's seccomp
 * profile refuses both. */
Test(floor, a_function_cannot_make_its_memory_mergeable)
{
	static const char prog[] =
	    "#include <stdio.h>\n#include <unistd.h>\n#include <sys/mman.h>\n"
	    "#include <sys/syscall.h>\n"
	    "#define TRY(...) fputs(syscall(__VA_ARGS__) ? \" refused\" : \" merges\", stdout)\n"
	    "int main(void) { void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, "
	    "MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);\n"
	    /* the kernel reads both as an int: high bits must not slip by */
	    "TRY(SYS_prctl, 67UL, 1UL, 0UL, 0UL, 0UL); TRY(SYS_prctl, 0x100000043UL, 1UL, 0UL, "
	    "0UL, "
	    "0UL);\n"
	    "TRY(SYS_madvise, p, 4096UL, 12UL); TRY(SYS_madvise, p, 4096UL, "
	    "0xff0000000000000cUL);\n"
	    "puts(\"\"); return 0; }\n";
	floor_t_prog_says("merge", prog, " refused refused refused refused\n",
			  "making its memory mergeable");
}

/* --share-memory (the operator's, for every function served): each
 * sandbox mergeable as a whole (KSM), laid out alike (no ASLR), with one
 * hash seed per function for Python; without it, none of that.  A kernel
 * without per-process merging refuses it in one line. */
Test(floor, sandboxes_share_memory_only_when_the_operator_says_so)
{
	/* Linux before 6.4 (the VM's 6.1) has no per-process switch */
	bool old_kernel = prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) < 0 && errno == EINVAL;
	struct http_reply r;
	struct cmd_result c;
	unsigned seed;

	floor_t_bundle("cat /proc/self/personality; grep merge_any /proc/self/ksm_stat; "
		       "echo \"$GLIBC_TUNABLES\"; echo \"seed:$PYTHONHASHSEED\"",
		       NULL);
	shim_proc_start(&floor_t_shim, floor_t_dir, NULL);
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_str_eq(r.body, old_kernel ? "00000000\n\nseed:\n"
					    : "00000000\nksm_merge_any: no\n\nseed:\n");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);

	if (old_kernel) {
		/* one line, nothing served */
		cmd_run(&c, NULL, 30, "%s --root %s/state shim serve --no-auth --share-memory %s",
			slxrun_bin(), floor_t_dir, floor_t_dir);
		cr_assert_neq(c.status, 0, "%s", c.out);
		cr_assert(strstr(c.err, "--share-memory: this kernel cannot merge"), "%s", c.err);
		cr_assert_eq(count_lines(c.err), 1, "%s", c.err);
		cmd_result_free(&c);
		return;
	}
	shim_proc_start(&floor_t_shim, floor_t_dir, "--share-memory");
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_eq(sscanf(r.body,
			    "00040000\nksm_merge_any: yes\nglibc.malloc.tcache_count=0\nseed:%u\n",
			    &seed),
		     1, "%s", r.body);
	cr_assert_gt(seed, 0u);
	/* The agent is a clone of the shim: its memory holds the shim's (the
	 * token, every function's config, the events in flight), which a
	 * function probed page by page while the agent was mergeable. */
	cmd_run(&c, NULL, 10,
		"for p in /proc/[0-9]*; do [ \"$(tr -d '\\0' <$p/cmdline 2>/dev/null)\" = "
		"slxrun-agent ] && grep -q %s $p/cgroup 2>/dev/null && "
		"grep merge_any $p/ksm_stat; done; true",
		strrchr(floor_t_dir, '/') + 1);
	cr_assert(strstr(c.out, "ksm_merge_any: no") && !strstr(c.out, "yes"),
		  "the agent's merge state: %s", c.out);
	cmd_result_free(&c);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);

	cmd_run(&c, NULL, 30,
		"%s --root %s/state shim serve --no-auth --share-memory --unsafe-sandbox %s",
		slxrun_bin(), floor_t_dir, floor_t_dir);
	cr_assert_neq(c.status, 0, "%s", c.out);
	cr_assert(strstr(c.err, "--share-memory needs the sandbox floor"), "%s", c.err);
	cmd_result_free(&c);
}

/* The kernel charges an inotify instance, at each user namespace level, to
 * the user owning the level below: a sandbox's user namespace made by root
 * charged its function's instances, at the top, to host root, and one
 * function holding 128 left host root's inotify_init1 failing (EMFILE: its
 * services' file watches) while it ran.  The floor's user namespaces are
 * owned by the sandboxes' own host id instead. */
/* A function that makes every inotify instance it may have, says how many,
 * and holds them 4 s. */
static const char floor_t_inotify_hold[] =
    "#include <stdio.h>\n#include <unistd.h>\n#include <sys/inotify.h>\n"
    "#include <sys/prctl.h>\n"
    "int main(void) { int n = 0; while (inotify_init1(0) >= 0) n++;\n"
    "printf(\"%d securebits %d\\n\", n, prctl(PR_GET_SECUREBITS)); fflush(stdout); "
    "sleep(4); return 0; }\n";

Test(floor, inotify_instances_of_a_sandbox_are_never_host_roots)
{
	struct cmd_result r;
	int fd;

	floor_t_bundle("/hold", NULL);
	floor_t_compile("hold", floor_t_inotify_hold);
	cmd_run(&r, NULL, 30, "%s --root %s/state invoke --data '{}' %s > %s/out 2>&1 & sleep 2",
		slxrun_bin(), floor_t_dir, floor_t_dir, floor_t_dir);
	cmd_result_free(&r);
	fd = inotify_init1(IN_CLOEXEC);
	cr_expect_geq(fd, 0, "host root's inotify_init1, while a function holds all it can: %s",
		      strerror(errno));
	if (fd >= 0)
		close(fd);
	/* the answer comes when the function exits, 4 s after its count */
	cmd_run(&r, NULL, 30,
		"for i in $(seq 100); do [ -s %s/out ] && break; sleep 0.1; done; "
		"cat %s/out",
		floor_t_dir, floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_gt(atoi(r.out), 0, "the function made no inotify instance: %s", r.out);
	/* the owner's uid was taken keeping capabilities: not the function */
	cr_expect(strstr(r.out, " securebits 0\n"), "%s", r.out);
	cmd_result_free(&r);
}

/* With one owner for every sandbox's user namespace, the sandboxes shared
 * its 128 inotify instances (fs.inotify.max_user_instances, counted per
 * owner at the host's level): one function holding them all left every
 * other sandbox of the node none (its first inotify_init1 EMFILE) while it
 * ran.  Each sandbox's namespace has an owner of its own now, one of the
 * ids after the range, held node-wide while the sandbox lives: a second
 * sandbox of a shim's pool (made by its creator process), and a one-shot
 * invoke's beside them, make their own. */
Test(floor, a_sandbox_holding_its_inotify_instances_leaves_the_others_theirs)
{
	int first = -1, second = -1, oneshot = -1;
	struct cmd_result r;
	char cmd[1024];

	floor_t_bundle("/hold", NULL);
	floor_t_compile("hold", floor_t_inotify_hold);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth");
	snprintf(cmd, sizeof(cmd),
		 "call() { curl -s --max-time 30 --unix-socket %s "
		 "http://shim" SHIM_INVOKE_PATH " -d '{}' > %s/$1; }; "
		 "call first & sleep 2; call second & "
		 "%s --root %s/state invoke --data '{}' %s > %s/oneshot; wait; "
		 "cat %s/first %s/second %s/oneshot",
		 floor_t_shim.sock, floor_t_dir, slxrun_bin(), floor_t_dir, floor_t_dir,
		 floor_t_dir, floor_t_dir, floor_t_dir, floor_t_dir);
	cmd_run(&r, NULL, 60, "%s", cmd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%d securebits 0\n%d securebits 0\n%d securebits 0\n", &first,
			    &second, &oneshot),
		     3, "%s", r.out);
	cr_expect_gt(first, 0, "%s", r.out);
	cr_expect_gt(second, 0,
		     "a second sandbox of the pool, while the first holds all it can: %s", r.out);
	cr_expect_gt(oneshot, 0, "a one-shot invoke's sandbox, while two hold all they can: %s",
		     r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* What the kernel counts by host uid alone, whatever the namespace, was
 * shared by every sandbox while their function users were one host id
 * (BASE+993): a function holding 1,265 fds in flight over a unix socket
 * (the count is the user's, held to the sender's RLIMIT_NOFILE) and 64
 * pipes of 1 MiB (fs.pipe-user-pages-soft) left a one-shot invoke's sandbox
 * beside it unable to pass one fd (ETOOMANYREFS) or grow a pipe (an
 * attacker's review).  Each sandbox's function user is a host id of its own. */
Test(floor, fds_in_flight_and_pipe_pages_of_one_sandbox_leave_the_others_theirs)
{
	static const char prog[] =
	    "#define _GNU_SOURCE\n#include <errno.h>\n#include <fcntl.h>\n#include <stdio.h>\n"
	    "#include <string.h>\n#include <sys/socket.h>\n#include <unistd.h>\n"
	    "static int send_fds(int s, int n) { char ctl[CMSG_SPACE(sizeof(int) * 253)]; "
	    "char c = 'x';\n"
	    "struct iovec iov = {&c, 1}; struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, "
	    ".msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n)};\n"
	    "struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm->cmsg_level = SOL_SOCKET; "
	    "cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int) * n);\n"
	    "for (int i = 0; i < n; i++) ((int *)CMSG_DATA(cm))[i] = 1;\n"
	    "return sendmsg(s, &mh, MSG_DONTWAIT) < 0 ? -errno : 0; }\n"
	    "int main(void) { char b[64] = \"\"; int sv[2], p[2]; ssize_t n = read(0, b, 63);\n"
	    "b[n > 0 ? n : 0] = 0; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);\n"
	    "if (strstr(b, \"hog\")) { int in = 0, k = 0; while (send_fds(sv[0], 253) == 0) "
	    "in += 253;\n"
	    "for (;;) { if (pipe(p) < 0 || fcntl(p[0], F_SETPIPE_SZ, 1 << 20) < 0) break; "
	    "close(p[1]); k++; }\n"
	    "printf(\"hog %d %d\\n\", in, k); fflush(stdout); sleep(5); return 0; }\n"
	    "int r = send_fds(sv[0], 1); pipe(p);\n"
	    "printf(\"fd %s, pipe %s\\n\", r ? strerror(-r) : \"ok\", "
	    "fcntl(p[0], F_SETPIPE_SZ, 1 << 20) < 0 ? strerror(errno) : \"ok\"); return 0; }\n";
	int in = 0, pipes = 0;
	struct cmd_result r;
	char cmd[1024];

	floor_t_bundle("/peruser", NULL);
	floor_t_compile("peruser", prog);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth");
	snprintf(cmd, sizeof(cmd),
		 "curl -s --max-time 30 --unix-socket %s http://shim" SHIM_INVOKE_PATH
		 " -d '\"hog\"' > %s/hog & sleep 2; "
		 "%s --root %s/state invoke --data '\"probe\"' %s; wait; cat %s/hog",
		 floor_t_shim.sock, floor_t_dir, slxrun_bin(), floor_t_dir, floor_t_dir,
		 floor_t_dir);
	cmd_run(&r, NULL, 60, "%s", cmd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "hog ") &&
		      sscanf(strstr(r.out, "hog "), "hog %d %d", &in, &pipes) == 2,
		  "%s", r.out);
	cr_expect_gt(in, 253, "the hog held no fds in flight: %s", r.out);
	cr_expect_gt(pipes, 16, "the hog made no big pipes: %s", r.out);
	cr_expect(!strncmp(r.out, "fd ok, pipe ok\n", 15),
		  "a sandbox beside one holding its user's fds in flight and pipe pages: %s",
		  r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* The kernel charges a pipe's pages to the real user who made it, also
 * when whoever holds an end grows it (F_SETPIPE_SZ): the function's stdin,
 * stdout and stderr were the agent's, root inside, host id BASE in every
 * sandbox, so a function growing its three to 1 MiB took 768 pages of
 * BASE's 16,384 (fs.pipe-user-pages-soft), and 22 such sandboxes left every
 * other sandbox's agent two-page pipes it could not grow (an attacker's
 * review).  The agent makes them as the function's user now.  Measured by
 * a host process running as BASE: the pages it can still have while such a
 * function runs, against after. */
Test(floor, stdio_pipes_are_charged_to_the_functions_own_user)
{
	static const char prog[] =
	    "#define _GNU_SOURCE\n#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n"
	    "int main(void) { int n = 0;\n"
	    "for (int fd = 0; fd < 3; fd++) n += fcntl(fd, F_SETPIPE_SZ, 1 << 20) == 1 << 20;\n"
	    "printf(\"grew %d\\n\", n); fflush(stdout); sleep(4); return 0; }\n";
	static const char pages[] =
	    "#define _GNU_SOURCE\n#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n"
	    "int main(void) { long n = 0; int p[2];\n"
	    "while (pipe(p) == 0) { int sz = fcntl(p[0], F_SETPIPE_SZ, 1 << 20);\n"
	    "if (sz < 0) { n += fcntl(p[0], F_GETPIPE_SZ) / 4096; break; } n += sz / 4096; }\n"
	    "printf(\"%ld\\n\", n); return 0; }\n";
	long during, after;
	struct cmd_result r;
	FILE *f;
	char path[128];

	floor_t_bundle("/grow", NULL);
	floor_t_compile("grow", prog);
	snprintf(path, sizeof(path), "%s/pages.c", floor_t_dir);
	cr_assert((f = fopen(path, "w")));
	fputs(pages, f);
	fclose(f);
	cmd_run(&r, NULL, 60,
		"cc -O1 -o %s/pages %s && %s --root %s/state invoke --data '{}' %s > %s/out 2>&1 & "
		"sleep 2; setpriv --reuid=1879048192 --regid=1879048192 --clear-groups %s/pages; "
		"wait; setpriv --reuid=1879048192 --regid=1879048192 --clear-groups %s/pages; "
		"cat %s/out",
		floor_t_dir, path, slxrun_bin(), floor_t_dir, floor_t_dir, floor_t_dir, floor_t_dir,
		floor_t_dir, floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%ld\n%ld\n", &during, &after), 2, "%s", r.out);
	cr_expect(strstr(r.out, "grew 3"), "the function could not grow its pipes: %s", r.out);
	cr_expect_gt(after, 1000, "%s", r.out);
	cr_expect_lt(after - during, 256, "pages the function's stdio took from BASE: %s", r.out);
	cmd_result_free(&r);
}

/* A fork bomb: on a host whose cgroup v2 has no pids controller (this
 * build host; a hybrid host), pids.max is left out and nothing held a
 * function's processes -- 2,000 made, as many as it asked -- short of the
 * host's own limits, which every sandbox and host service share.  As on
 * Lambda, a function's user may have at most 1,024 processes (RLIMIT_NPROC,
 * counted in the sandbox's own user namespace, so per sandbox); with a pids
 * controller pids.max holds it too. */
/* Owners are allocated node-wide by id, so a range laid over another
 * shim's owners or function users (here the next 65,536 ids: its ids are
 * the shim's owners) gave one host id to sandboxes of both, which then
 * share what the kernel counts per user.  Such a range is refused while
 * the other is used, naming it, and leaves nothing; the same range is
 * shared; once the other is gone the range is free. */
Test(floor, a_range_over_another_shims_owners_is_refused_while_it_runs)
{
	static const char same[] = "--sandbox-ids 1879310336:65536",
			  over[] = "--sandbox-ids 1879375872:65536";
	struct cmd_result r;

	floor_t_bundle("echo ok", NULL);
	shim_proc_start(&floor_t_shim, floor_t_dir, same);
	floor_t_invoke(floor_t_dir, over, "{}", &r);
	cr_assert_neq(r.status, 0, "a range over the live shim's owners ran: %s", r.out);
	cr_expect(strstr(r.err, "overlap 1879310336:65536's"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "ls -A %s/state 2>/dev/null", floor_t_dir);
	cr_expect_str_empty(r.out, "left behind: %s", r.out);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, same, "{}", &r);
	cr_assert_eq(r.status, 0, "the shim's own range: %s", r.err);
	cr_assert_str_eq(r.out, "ok\n");
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	floor_t_invoke(floor_t_dir, over, "{}", &r);
	cr_assert_eq(r.status, 0, "once the shim is gone: %s", r.err);
	cr_assert_str_eq(r.out, "ok\n");
	cmd_result_free(&r);
}

/* Under systemd's default of 1,024 open files (soft) a shim ran out of
 * descriptors with a few hundred sandboxes (each holds four or more), and
 * failed the rest: here, started with a soft limit of 40, twelve calls at
 * once (--max 12) got ...  The shim raises its soft limit
 * to the hard one, as Go's runtime does for containerd and podman; a
 * bundle without RLIMIT_NOFILE gets Lambda's 1,024, never the raise. */
Test(floor, twelve_calls_at_once_under_a_low_open_files_limit_get_twelve_sandboxes)
{
	struct rlimit was, low;
	struct cmd_result r;
	char cmd[1024];

	floor_t_bundle("sleep 3; ulimit -n; ulimit -Hn", "-e '/\"rlimits\"/,/\\]/d'");
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	cr_assert_gt(was.rlim_max, 1024, "this test wants a hard limit over 1024");
	low = (struct rlimit){40, was.rlim_max};
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --max 12");
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	snprintf(cmd, sizeof(cmd),
		 "for i in $(seq 12); do curl -s -D - --max-time 60 --unix-socket %s "
		 "http://shim" SHIM_INVOKE_PATH " -d '{}' -o %s/out$i > %s/hdr$i & done; wait; "
		 "cat %s/out* | sort | uniq -c | tr -s ' '; "
		 "grep -h X-Slxrun-Sandbox %s/hdr* | sort -u | wc -l",
		 floor_t_shim.sock, floor_t_dir, floor_t_dir, floor_t_dir, floor_t_dir);
	cmd_run(&r, NULL, 90, "%s", cmd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, " 24 1024\n12\n",
			 "twelve answers of 1024 open files, from twelve sandboxes: %s", r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	/* Without the floor the bundle's limits are the ones the shim started
	 * with, as runc's are its caller's: not the raise. */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --unsafe-sandbox");
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	cmd_run(&r, NULL, 30,
		"curl -s --max-time 20 --unix-socket %s http://shim" SHIM_INVOKE_PATH " -d '{}'",
		floor_t_shim.sock);
	snprintf(cmd, sizeof(cmd), "40\n%llu\n", (unsigned long long)was.rlim_max);
	cr_expect_str_eq(r.out, cmd, "--unsafe-sandbox: %s", r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* Where the hard limit is low too, a shim out of open files got replies
 * whose descriptors the kernel cut: it took each for a broken creator and
 * stopped it ("no sandbox creator is left" for every later call), and each
 * sandbox so made stayed, a zombie and a cgroup, for the shim's life and
 * the cgroup after it; the calls were told their function's init failed.
 * Such a sandbox is now killed, reaped and removed, its call fails as
 * Lambda's ServiceException (500) naming it, and the shim serves on. */
Test(floor, a_shim_out_of_open_files_fails_calls_cleanly_and_serves_on)
{
	/* Each test is a process of its own: a hard limit lowered stays here. */
	const struct rlimit low = {40, 40};
	struct cmd_result r;
	char cmd[1024];
	const char *name;
	int done = 0, failed = 0;

	floor_t_bundle("sleep 2; echo done", "-e '/\"rlimits\"/,/\\]/d'");
	name = strrchr(floor_t_dir, '/') + 1;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --max 12");
	snprintf(cmd, sizeof(cmd),
		 "for i in $(seq 12); do curl -s --max-time 60 --unix-socket %s "
		 "http://shim" SHIM_INVOKE_PATH " -d '{}' -o %s/out$i & done; wait; "
		 "for i in $(seq 12); do cat %s/out$i; echo; done",
		 floor_t_shim.sock, floor_t_dir, floor_t_dir);
	cmd_run(&r, NULL, 90, "%s", cmd);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		done += !strcmp(line, "done");
		failed += strstr(line, "ServiceException") && strstr(line, name) &&
			  !strstr(line, "no sandbox creator");
	}
	cr_expect_eq(done + failed, 12,
		     "each call done, or failed on the shim's side naming its sandbox: %s", r.out);
	cmd_result_free(&r);
	cr_expect_eq(
	    shim_metric(&floor_t_shim, "slxrun_invocations_total{outcome=\"service_error\"}"),
	    (double)failed);
	cr_expect_eq(shim_metric(&floor_t_shim, "slxrun_invocations_total{outcome=\"init_error\"}"),
		     0);
	cmd_run(&r, NULL, 10, "ps -o stat= --ppid %d | grep -c Z", floor_t_shim.pid);
	cr_expect_str_eq(r.out, "0\n", "zombies of the shim: %s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30,
		"curl -s --max-time 20 --unix-socket %s http://shim" SHIM_INVOKE_PATH " -d '{}'",
		floor_t_shim.sock);
	cr_expect_str_eq(r.out, "done\n", "a call after them: %s", r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	cmd_run(&r, NULL, 10, "ls %s/slxrun | grep -c '^%s-'", cgroup2_root(), name);
	cr_expect_str_eq(r.out, "0\n", "cgroups left: %s", r.out);
	cmd_result_free(&r);
}

static int floor_t_fds(pid_t pid)
{
	struct cmd_result r;
	int n;

	cmd_run(&r, NULL, 10, "sleep 1; ls /proc/%d/fd | wc -l", (int)pid);
	n = atoi(r.out);
	cmd_result_free(&r);
	return n;
}

/* A creator that dies while it makes a sandbox (a crash, the OOM killer, a
 * kill): the sandbox's pid 1 is the shim's child (CLONE_PARENT) and its
 * cgroup the shim's, but the shim never heard of either.  strace holds each
 * creator in one stage -- its clone3 returned (the child waits for the
 * creator), or the sandbox made and its reply about to go -- while both
 * creators are killed.  Before, the pid 1 stayed a zombie and the cgroup
 * stayed, past the shim's exit, and every later call failed with "no
 * sandbox creator is left". */
Test(floor, a_creator_killed_while_it_makes_a_sandbox_leaves_nothing_and_is_replaced)
{
	static const char *const call[] = {"clone3", "sendmsg"};
	static const char *const stage[] = {"clone3:delay_exit", "sendmsg:delay_enter"};
	struct cmd_result r;
	const char *name;
	int fds;

	floor_t_bundle("echo done", NULL);
	name = strrchr(floor_t_dir, '/') + 1;
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --keep-alive 0");
	fds = floor_t_fds(floor_t_shim.pid);
	for (size_t k = 0; k < sizeof(stage) / sizeof(stage[0]); k++) {
		cmd_run(
		    &r, NULL, 60,
		    "set -e; c=$(pgrep -d' ' -P %1$d -x slxrun-creator); test -n \"$c\"; "
		    "for p in $c; do strace -qq -o /dev/null -e trace=%7$s -e inject=%2$s=20000000 "
		    "-p $p & done; sleep 1; "
		    "curl -s --max-time 40 --unix-socket %3$s http://shim" SHIM_INVOKE_PATH
		    " -d '{}' > %4$s/out & sleep 2; kill -9 $c; wait; cat %4$s/out; echo; "
		    "sleep 1; ps -o stat= --ppid %1$d | grep -c Z || true; "
		    "ls %5$s/slxrun | grep -c '^%6$s-' || true",
		    floor_t_shim.pid, stage[k], floor_t_shim.sock, floor_t_dir, cgroup2_root(),
		    name, call[k]);
		cr_assert_eq(r.status, 0, "%s: %s", stage[k], r.err);
		cr_expect(strstr(r.out, "ServiceException"), "%s: the call: %s", stage[k], r.out);
		cr_expect(strstr(r.out, "}\n0\n0\n"), "%s: zombies, then cgroups of the shim: %s",
			  stage[k], r.out);
		cmd_result_free(&r);
		cmd_run(&r, NULL, 30,
			"curl -s --max-time 20 --unix-socket %s http://shim" SHIM_INVOKE_PATH
			" -d '{}'",
			floor_t_shim.sock);
		cr_expect_str_eq(r.out, "done\n", "%s: a call after: %s", stage[k], r.out);
		cmd_result_free(&r);
		/* counted as the shim's failure, not the function's init */
		cr_expect_eq(shim_metric(&floor_t_shim,
					 "slxrun_invocations_total{outcome=\"service_error\"}"),
			     (double)(k + 1));
		cr_expect_eq(
		    shim_metric(&floor_t_shim, "slxrun_invocations_total{outcome=\"init_error\"}"),
		    0);
	}
	/* the sweep of a cgroup still busy kept an fd of it per try */
	cr_expect_eq(floor_t_fds(floor_t_shim.pid), fds, "the shim's fds, before and after");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	cmd_run(&r, NULL, 10, "ls %s/slxrun | grep -c '^%s-'", cgroup2_root(), name);
	cr_expect_str_eq(r.out, "0\n", "cgroups left: %s", r.out);
	cmd_result_free(&r);
}

/* Both creators killed just before the loop sends them a request, so it
 * meets a socket whose peer is gone (EPIPE) before it has seen either die:
 * strace holds the shim's first send(2), the request, while they are
 * killed.  Each dead creator is then drained, handled as lost and replaced,
 * and the request goes to a creator that lives: the call is answered.
 * Before, it failed as if its sandbox could not be made. */
Test(floor, a_request_to_a_creator_that_just_died_goes_to_one_that_lives)
{
	struct cmd_result r;
	const char *name;

	floor_t_bundle("echo done", NULL);
	name = strrchr(floor_t_dir, '/') + 1;
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --keep-alive 0");
	cmd_run(&r, NULL, 60,
		"set -e; c=$(pgrep -d' ' -P %1$d -x slxrun-creator); test -n \"$c\"; "
		"strace -qq -o /dev/null -e trace=sendto "
		"-e inject=sendto:delay_enter=3000000:when=1 -p %1$d & s=$!; sleep 1; "
		"curl -s --max-time 40 --unix-socket %2$s http://shim" SHIM_INVOKE_PATH
		" -d '{}' > %3$s/out & k=$!; sleep 1; kill -9 $c; wait $k; kill $s; "
		"wait $s || true; cat %3$s/out; "
		"n=$(pgrep -d' ' -P %1$d -x slxrun-creator); echo \"$n\" | wc -w; "
		"for p in $c; do echo \" $n \" | grep -c \" $p \" || true; done",
		floor_t_shim.pid, floor_t_shim.sock, floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "done\n2\n0\n0\n",
			 "the call, creators alive, then each dead one among them: %s", r.out);
	cmd_result_free(&r);
	cr_expect_eq(
	    shim_metric(&floor_t_shim, "slxrun_invocations_total{outcome=\"service_error\"}"), 0);
	cmd_run(&r, NULL, 10, "ps -o stat= --ppid %d | grep -c Z || true", floor_t_shim.pid);
	cr_expect_str_eq(r.out, "0\n", "zombies of the shim: %s", r.out);
	cmd_result_free(&r);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	cmd_run(&r, NULL, 10, "ls %s/slxrun | grep -c '^%s-' || true", cgroup2_root(), name);
	cr_expect_str_eq(r.out, "0\n", "cgroups left: %s", r.out);
	cmd_result_free(&r);
}

/* Calls, a moment apart for up to 30 s, until one is answered. */
static void floor_t_serves_again(const char *what)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 40,
		"for i in $(seq 60); do o=$(curl -s --max-time 10 --unix-socket %s "
		"http://shim" SHIM_INVOKE_PATH " -d '{}'); "
		"[ \"$o\" = done ] && break; sleep 0.5; done; echo \"$o\"",
		floor_t_shim.sock);
	cr_expect_str_eq(r.out, "done\n", "%s: %s", what, r.out);
	cmd_result_free(&r);
}

/* A creator that cannot be replaced (the shim's fork fails: pids.max,
 * RLIMIT_NPROC, memory) is tried again, after a delay that doubles, so
 * the shim is no fork storm and serves again once a fork works.  Before,
 * one failed restart left it without creators for good (an attacker's
 * review; in its first form a creator dying at start was restarted ~440
 * times a second). */
Test(floor, a_creator_that_cannot_be_replaced_is_tried_again_later_and_no_faster)
{
	struct cmd_result r;
	int tries;

	floor_t_bundle("echo done", NULL);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth");
	cmd_run(&r, NULL, 30,
		"set -e; c=$(pgrep -d' ' -P %1$d -x slxrun-creator); test -n \"$c\"; "
		"strace -qq -o /dev/null -e trace=clone,clone3,fork,vfork "
		"-e inject=clone,clone3,fork,vfork:error=EAGAIN -p %1$d & s=$!; sleep 1; "
		"kill -9 $c; sleep 3; kill $s; wait $s || true; "
		"grep -c 'no sandbox creator in its place' %2$s",
		floor_t_shim.pid, floor_t_shim.log);
	tries = atoi(r.out);
	cr_expect(tries >= 4 && tries <= 16, "tries in 3 s of failing forks: %s %s", r.out, r.err);
	cmd_result_free(&r);
	floor_t_serves_again("once forks work again");
	/* creators killed as they start (strace follows the shim's forks) */
	cmd_run(&r, NULL, 30,
		"set -e; c=$(pgrep -d' ' -P %1$d -x slxrun-creator); test -n \"$c\"; "
		"strace -f -qq -o /dev/null -e trace=prctl -e inject=prctl:signal=SIGKILL "
		"-p %1$d & s=$!; sleep 1; kill -9 $c; sleep 3; kill $s; wait $s || true; "
		"grep -c 'died: killed by signal 9' %2$s",
		floor_t_shim.pid, floor_t_shim.log);
	tries = atoi(r.out);
	cr_expect(tries >= 6 && tries <= 20, "deaths in 3 s of creators dying young: %s %s", r.out,
		  r.err);
	cmd_result_free(&r);
	floor_t_serves_again("once creators live again");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

static unsigned long floor_t_proc_sys(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	cr_assert(f && fscanf(f, "%lu", &v) == 1, "%s", path);
	fclose(f);
	return v;
}

/* Every sandbox a shim may hold, together, takes at most half the host's
 * processes: at --max 32 a function's 1,024 each could hold all of this
 * host's 32,768 pids, and forks failed host-wide (an attacker's review).
 * At --max 64 each gets its share, and the shim says so as it starts. */
Test(floor, a_shims_sandboxes_together_hold_at_most_half_the_hosts_processes)
{
	static const char prog[] =
	    "#include <stdio.h>\n#include <unistd.h>\n"
	    "int main(void) { int n = 0; while (n < 2000) { pid_t p = fork();\n"
	    "if (p == 0) { pause(); _exit(0); } if (p < 0) break; n++; }\n"
	    "printf(\"%d\\n\", n); return 0; }\n";
	unsigned long pid_max = floor_t_proc_sys("/proc/sys/kernel/pid_max");
	unsigned long threads = floor_t_proc_sys("/proc/sys/kernel/threads-max");
	unsigned long each = (threads < pid_max ? threads : pid_max) / 2 / 64;
	struct http_reply r;
	struct cmd_result c;

	cr_assert_lt(each, 1024, "this host gives 64 sandboxes their 1,024 each");
	floor_t_bundle("/bomb", NULL);
	floor_t_compile("bomb", prog);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--no-auth --max 64");
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_gt(atoi(r.body), (int)each / 2, "the function forked no more than %s", r.body);
	cr_expect_lt(atoi(r.body), (int)each, "a sandbox's processes: %s", r.body);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
	cmd_run(&c, NULL, 10, "grep -c 'each may hold %lu$' %s", each, floor_t_shim.log);
	cr_expect_str_eq(c.out, "1\n", "the shim's word on it: %s", c.out);
	cmd_result_free(&c);
}

/* Only /tmp was held to the ephemeral storage: any other tmpfs of the
 * bundle kept its own size, or none (half the host's memory), and where
 * no memory controller charges its pages they belonged to nothing the OOM
 * killer could take (2 GB written to a /dev/shm of 11.8 G; an attacker's
 * review).  Each now holds at most the ephemeral storage, and together
 * too; one that asks more, or a ramfs (no size at all), is refused. */
Test(floor, a_bundles_own_tmpfs_holds_no_more_than_the_ephemeral_storage)
{
	static const struct {
		const char *sed, *want;
	} c[] = {
	    {"-e 's|\"size=65536k\"|\"size=100g\"|'", "mounts[2]: a tmpfs may hold"},
	    {"-e 's|\"type\": \"tmpfs\", \"source\": \"shm\"|\"type\": \"ramfs\", \"source\": "
	     "\"shm\"|'",
	     "mounts[4]: a ramfs"},
	    {"-e 's|\"size=65536k\"|\"size=300m\"|g'", "the bundle's tmpfs mounts together"},
	    /* one option word of two: the kernel reads its last size= */
	    {"-e 's|\"size=65536k\"|\"size=1m\", \"mode=1777,size=4g\"|'",
	     "mounts[2]: a tmpfs may hold"},
	    {"-e 's|\"size=65536k\"|\"size=1m,nr_inodes=0\"|'", "no nr_inodes=0"},
	};
	struct cmd_result r;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		floor_t_bundle("echo ran", c[i].sed);
		floor_t_invoke(floor_t_dir, NULL, "{}", &r);
		cr_expect_neq(r.status, 0, "case %zu ran: %s", i, r.out);
		cr_expect(strstr(r.err, c[i].want), "case %zu: %s", i, r.err);
		cmd_result_free(&r);
		floor_t_fini();
	}
	/* one without a size gets the ephemeral storage's */
	floor_t_bundle("df -k /dev/shm | tail -1",
		       "-e '/\"source\": \"shm\"/{n;s|, \"size=65536k\"||}'");
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, " 458752 "), "the size of /dev/shm (512 MB less /dev's 64): %s",
		  r.out);
	cmd_result_free(&r);
}

Test(floor, a_fork_bomb_is_held_to_1024_processes_with_or_without_a_pids_controller)
{
	static const char prog[] =
	    "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n"
	    "int main(void) { int n = 0; while (n < 2000) { pid_t p = fork();\n"
	    "if (p == 0) { pause(); _exit(0); } if (p < 0) break; n++; }\n"
	    "printf(\"%d\\n\", n); return 0; }\n";
	struct cmd_result r;

	floor_t_bundle("/bomb", NULL);
	floor_t_compile("bomb", prog);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_gt(atoi(r.out), 100, "the function forked no more than %s", r.out);
	cr_expect_lt(atoi(r.out), 1024, "a function's processes: %s", r.out);
	cmd_result_free(&r);
}

/* pid 1 of a sandbox is a clone of the shim: /proc/1/cmdline showed the
 * function the operator's command line (every function of the node and
 * its bundle's path, an invoke's event).  The agent has its own. */
Test(floor, the_agents_command_line_is_its_own)
{
	struct cmd_result r;

	floor_t_bundle("tr '\\0' ' ' </proc/1/cmdline; echo; cat /proc/1/comm", NULL);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "slxrun-agent"), "%s", r.out);
	cr_assert(strstr(r.out, "\nslxrun-agent\n"), "its name (comm): %s", r.out);
	cr_assert_null(strstr(r.out, floor_t_dir), "the operator's command line: %s", r.out);
	cr_assert_null(strstr(r.out, "invoke"), "the operator's command line: %s", r.out);
	cmd_result_free(&r);
}

Test(floor, function_cannot_kill_or_read_the_agent)
{
	struct http_reply r;

	floor_t_bundle("kill -9 1 2>/dev/null\n"
		       "kill -STOP 1 2>/dev/null\n"
		       "cat /proc/1/environ >/dev/null 2>&1 && echo read-agent-environ\n"
		       "ls /proc/1/fd >/dev/null 2>&1 && echo read-agent-fds\n"
		       "cat /proc/1/mem >/dev/null 2>&1 && echo read-agent-mem\n"
		       "echo done",
		       NULL);
	shim_proc_start(&floor_t_shim, floor_t_dir, NULL);
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_str_eq(r.body, "done\n");
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_str_eq(r.body, "done\n");
	cr_assert(strstr(r.headers, "X-Slxrun-Start: warm"), "the agent died: %s", r.headers);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

Test(floor, nothing_an_invocation_leaves_running_survives_into_the_next)
{
	struct http_reply r;

	floor_t_bundle(
	    "read -r x\n"
	    "if [ \"$x\" = one ]; then sleep 1000 </dev/null >/dev/null 2>&1 & echo started; "
	    "else ps -o comm,args | grep -c '[s]leep 1000'; fi; true",
	    NULL);
	shim_proc_start(&floor_t_shim, floor_t_dir, NULL);
	shim_invoke(&floor_t_shim, "one", &r);
	cr_assert_str_eq(r.body, "started\n");
	shim_invoke(&floor_t_shim, "two", &r);
	cr_assert(strstr(r.headers, "X-Slxrun-Start: warm"), "%s", r.headers);
	cr_assert_str_eq(r.body, "0\n", "the sleep of the first invocation survived");
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* The floor checks a bundle's paths when it loads the function; each new
 * sandbox mounted them by path, so the bundle's owner, a host user, could
 * swap a checked file for a symlink while the shim served it and have the
 * next sandbox bind in any host file.  What a sandbox mounts from its
 * bundle is what was checked, held since the load. */
Test(floor, a_bundle_swapped_after_load_binds_in_only_what_was_checked)
{
	char outside[64], cmd[512];
	struct http_reply r;
	FILE *f;

	floor_t_bundle("read -r e; [ \"$e\" = slow ] && sleep 5; echo mine", NULL);
	snprintf(floor_t_host, sizeof(floor_t_host), "/tmp/slxtest-outside-XXXXXX");
	cr_assert(mkdtemp(floor_t_host));
	cr_assert_eq(chmod(floor_t_host, 0755), 0);
	snprintf(outside, sizeof(outside), "%s/h.sh", floor_t_host);
	cr_assert((f = fopen(outside, "w")));
	fputs("#!/bin/sh\necho outside\n", f);
	fclose(f);
	cr_assert_eq(chmod(outside, 0755), 0);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--timeout 1");
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_str_eq(r.body, "mine\n");
	snprintf(cmd, sizeof(cmd), "mv %s/handler.sh %s/handler.old && ln -s %s %s/handler.sh",
		 floor_t_dir, floor_t_dir, outside, floor_t_dir);
	cr_assert_eq(system(cmd), 0);
	/* past its timeout the sandbox goes: the next call gets a new one */
	shim_invoke(&floor_t_shim, "slow", &r);
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert(strstr(r.headers, "X-Slxrun-Start: cold"), "%s", r.headers);
	cr_assert_str_eq(r.body, "mine\n", "a new sandbox bound in the swapped path: %s", r.body);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

/* A pin cloned from a mount that receives the host's mounts went on
 * receiving them: on a host whose "/" is shared (systemd's), what the
 * bundle's owner mounted under the bundle after the load (fusermount is
 * theirs to run) reached the next sandbox, writable.  A shared bind of the
 * bundle's directory stands in for a shared "/" here. */
Test(floor, a_mount_made_under_the_bundle_after_load_never_reaches_a_sandbox)
{
	char cmd[512];
	struct http_reply r;

	floor_t_bundle("read -r e; [ \"$e\" = slow ] && sleep 5; ls /mnt", NULL);
	snprintf(cmd, sizeof(cmd),
		 "mount --bind %s %s && mount --make-shared %s && mkdir -p %s/rootfs/mnt",
		 floor_t_dir, floor_t_dir, floor_t_dir, floor_t_dir);
	cr_assert_eq(system(cmd), 0);
	shim_proc_start(&floor_t_shim, floor_t_dir, "--timeout 1");
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert_str_eq(r.body, "");
	snprintf(cmd, sizeof(cmd),
		 "mount -t tmpfs slxtest-later %s/rootfs/mnt && touch %s/rootfs/mnt/INJECTED",
		 floor_t_dir, floor_t_dir);
	cr_assert_eq(system(cmd), 0);
	shim_invoke(&floor_t_shim, "slow", &r);
	shim_invoke(&floor_t_shim, "{}", &r);
	cr_assert(strstr(r.headers, "X-Slxrun-Start: cold"), "%s", r.headers);
	cr_assert_str_eq(r.body, "", "a mount made after the load reached a new sandbox: %s",
			 r.body);
	cr_assert_eq(shim_proc_stop(&floor_t_shim), 0);
}

Test(floor, function_runs_as_a_non_root_user_mapped_to_an_unprivileged_host_id)
{
	struct cmd_result r;
	unsigned inside, outside, count, uid;

	floor_t_bundle("id -u; grep -E '^ *0 ' /proc/self/uid_map", NULL);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%u %u %u %u", &uid, &inside, &outside, &count), 4, "%s", r.out);
	cr_assert_neq(uid, 0, "the function runs as root");
	cr_assert_eq(inside, 0);
	cr_assert_geq(outside, 65536, "root inside is host id %u", outside);
	cmd_result_free(&r);
}

/* A bundle whose user is non-root but whose group is root's (what an
 * image's `USER 1000` gives) runs in the floor's group, never gid 0. */
Test(floor, function_never_runs_in_roots_group)
{
	struct cmd_result r;

	floor_t_bundle("id -g; id -G",
		       "-e 's|\"uid\": 993, \"gid\": 990|\"uid\": 1000, \"gid\": 0|'");
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "990\n990\n", "the function's groups: %s", r.out);
	cmd_result_free(&r);
}

/* The attack: a device node anyone may open (a fuse node, 0666, made here:
 * this host's own are 0600) is bound read-only into the sandbox's /dev, which
 * the bind rule allows; the device filter is what keeps it shut.  A bundle that
 * widens the filter, by an allow rule or through linux.devices (whose nodes
 * the filter allows), is refused naming the field. */
Test(floor, host_devices_beyond_the_default_set_stay_shut)
{
	static const struct {
		const char *sed, *field;
	} widen[] = {
	    {"-e 's|\"linux\": {|\"linux\": { \"resources\": { \"devices\": [ { \"allow\": false, "
	     "\"access\": \"rwm\" }, { \"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": "
	     "229, \"access\": \"rw\" } ] },|'",
	     "linux.resources.devices[1]: allows c 10:229 rw, beyond a function sandbox's devices"},
	    {"-e 's|\"linux\": {|\"linux\": { \"devices\": [ { \"path\": \"/dev/fuse\", \"type\": "
	     "\"c\", \"major\": 10, \"minor\": 229 } ],|'",
	     "linux.devices[0]: /dev/fuse (c 10:229) is not one of a function sandbox's devices"},
	};
	static const char script[] =
	    "(exec 3<>/anyones-fuse) 2>/dev/null && echo opened-a-host-device || echo shut";
	struct cmd_result r;

	for (size_t i = 0; i <= sizeof(widen) / sizeof(widen[0]); i++) {
		floor_t_bundle(script, i ? widen[i - 1].sed : NULL);
		cmd_run(&r, NULL, 10, "mknod -m 0666 %s/rootfs/anyones-fuse c 10 229", floor_t_dir);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cmd_result_free(&r);
		floor_t_invoke(floor_t_dir, NULL, "{}", &r);
		if (!i) {
			cr_assert_eq(r.status, 0, "%s", r.err);
			cr_assert_str_eq(r.out, "shut\n", "the filter let the node open");
		} else {
			cr_assert_neq(r.status, 0, "case %zu ran: %s", i, r.out);
			cr_assert(strstr(r.err, widen[i - 1].field), "case %zu: %s", i, r.err);
			cr_assert(strstr(r.err, "--unsafe-sandbox"), "case %zu: %s", i, r.err);
			cr_assert_eq(count_lines(r.err), 1, "case %zu: %s", i, r.err);
		}
		cmd_result_free(&r);
		floor_t_fini();
	}
}

/* What a bundle binds in must be its own file or directory: a bind of the
 * host's /, /proc or /dev (an attacker's bundle read another function's
 * config.json and its secrets, every host process's command line, and took
 * every host pty through /dev/ptmx), of a directory through a symlink in
 * its rootfs, or of a unix socket or device node even inside the bundle
 * (connect() ignores "ro"), is refused naming the field, and nothing runs. */
Test(floor, a_bundle_binds_in_only_its_own_files_and_directories)
{
	static const struct {
		const char *source, *why;
	} cases[] = {
	    {"/", "is outside the bundle"},	    {"/proc", "is outside the bundle"},
	    {"/dev", "is outside the bundle"},	    {"rootfs/up/host", "is outside the bundle"},
	    {"fuse", "is not a file or directory"}, {"sock", "is not a file or directory"},
	};
	struct cmd_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		floor_t_bundle("echo ran", NULL);
		cmd_run(&r, NULL, 10,
			"cd %s && mkdir rootfs/up rootfs/mnt && ln -s /etc rootfs/up/host && "
			"mknod -m 0666 fuse c 10 229 && python3 -c 'import socket; "
			"socket.socket(socket.AF_UNIX).bind(\"sock\")' && "
			"sed -i 's|\"nodev\", \"ro\"\\] }|&, { \"destination\": \"/mnt\", "
			"\"type\": \"bind\", \"source\": \"%s\", \"options\": [\"rbind\", "
			"\"ro\"] }|' config.json && grep -q '\"/mnt\"' config.json",
			floor_t_dir, cases[i].source);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cmd_result_free(&r);
		floor_t_invoke(floor_t_dir, NULL, "{}", &r);
		cr_assert_neq(r.status, 0, "case %zu (%s) ran: %s", i, cases[i].source, r.out);
		cr_assert(strstr(r.err, cases[i].why) && strstr(r.err, "].source: "),
			  "case %zu: %s", i, r.err);
		cr_assert_eq(count_lines(r.err), 1, "case %zu: %s", i, r.err);
		cmd_result_free(&r);
		floor_t_fini();
	}
}

/* A bind's "ro" followed by "rrw" (recursive attributes are applied after
 * the bind) was a writable view of the bundle's own rootfs, the shared root
 * every sandbox runs: from it a sandbox could swap a checked bind source
 * for a symlink to the host.  Every read-only bind ends rro. */
Test(floor, a_read_only_bind_stays_read_only_whatever_follows)
{
	struct cmd_result r;

	floor_t_bundle("touch /mnt/x 2>/dev/null && echo wrote || echo read-only", NULL);
	cmd_run(&r, NULL, 10,
		"cd %s && mkdir -m 1777 rootfs/data && mkdir -p rootfs/mnt && "
		"sed -i 's|\"nodev\", \"ro\"\\] }|&, { \"destination\": \"/mnt\", "
		"\"type\": \"bind\", \"source\": \"rootfs/data\", \"options\": [\"bind\", "
		"\"ro\", \"rrw\"] }|' config.json && grep -q rrw config.json",
		floor_t_dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "read-only\n", "the bundle's rootfs, written from a sandbox");
	cmd_result_free(&r);
}

/* An overlay the bundle brings wrote wherever its text said: a symlink
 * copied up into the tmpfs below it (rootfs/up/h1 -> /var/tmp) passed the
 * text check and the upper was the host's /var/tmp (the attacker filled it,
 * and planted a file in another image's shared layer the same way).  Only a
 * bundle the image store made may bring one; nothing is written. */
Test(floor, a_bundles_own_overlay_is_refused_and_writes_nothing)
{
	struct cmd_result r;
	char mark[64], sed[768];

	snprintf(mark, sizeof(mark), "slxtest-ovl-%d", getpid());
	snprintf(sed, sizeof(sed),
		 "-e 's|\"mounts\": \\[|\"mounts\": [ { \"destination\": \"/up\", \"type\": "
		 "\"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"tmpcopyup\", "
		 "\"size=1m\"] }, { \"destination\": \"/mnt\", \"type\": \"overlay\", "
		 "\"source\": \"overlay\", \"options\": [\"lowerdir=/srv\", "
		 "\"upperdir=@B@/rootfs/up/h1\", \"workdir=@B@/rootfs/up/h2\"] },|'");
	floor_t_bundle("echo x > /mnt/"
		       "%s; echo ran",
		       sed);
	cmd_run(&r, NULL, 10,
		"cd %s && mkdir -p rootfs/up rootfs/mnt && ln -s /var/tmp rootfs/up/h1 && "
		"ln -s /tmp rootfs/up/h2 && sed -i 's|@B@|%s|g' config.json && "
		"sed -i 's|%%s|%s|' handler.sh",
		floor_t_dir, floor_t_dir, mark);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_neq(r.status, 0, "ran: %s", r.out);
	cr_assert(strstr(r.err, "mounts[1]: a function bundle brings no overlay of its own"), "%s",
		  r.err);
	cmd_result_free(&r);
	snprintf(sed, sizeof(sed), "/var/tmp/%s", mark);
	cr_assert_neq(access(sed, F_OK), 0, "%s written on the host", sed);
}

Test(floor, function_cannot_make_namespaces_or_mounts)
{
	struct cmd_result r;

	floor_t_bundle("unshare -U -r true 2>/dev/null && echo made-a-user-namespace\n"
		       "unshare -n true 2>/dev/null && echo made-a-network-namespace\n"
		       "grep -q '^Seccomp:.*2' /proc/self/status && echo filtered\n"
		       "grep -q '^NoNewPrivs:.*1' /proc/self/status && echo no-new-privs",
		       NULL);
	floor_t_invoke(floor_t_dir, NULL, "{}", &r);
	cr_assert_str_eq(r.out, "filtered\nno-new-privs\n", "err: %s", r.err);
	cmd_result_free(&r);
}

/* Each edit asks for less than the floor: refused with one line naming the
 * field, accepted with --unsafe-sandbox. */
Test(floor, bundle_asking_for_less_is_refused_naming_the_field)
{
	static const struct {
		const char *sed, *field;
	} cases[] = {
	    {"-e 's|{ \"type\": \"network\" },|{ \"type\": \"network\", \"path\": "
	     "\"/proc/1/ns/net\" },|'",
	     "linux.namespaces[1].path: a function sandbox gets its own network namespace"},
	    {"-e 's|\"mounts\": \\[|\"mounts\": [ { \"destination\": \"/mnt\", \"type\": "
	     "\"overlay\", \"source\": \"overlay\", \"options\": [\"lowerdir=/etc\", "
	     "\"upperdir=/var/tmp/u\", \"workdir=/var/tmp/w\"] },|'",
	     "mounts[0]: a function bundle brings no overlay of its own"},
	    {"-e 's|\"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"\\]|\"CAP_KILL\", \"CAP_SYS_ADMIN\"]|'",
	     "process.capabilities.bounding[2]: CAP_SYS_ADMIN is beyond"},
	    {"-e 's|\\[\"rbind\", \"ro\"\\]|[\"rbind\"]|'", "mounts[0]: a bind mount"},
	    {"-e 's|\"linux\": {|\"linux\": { \"uidMappings\": [{\"containerID\": 0, \"hostID\": "
	     "0, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": "
	     "1}],|'",
	     "linux.uidMappings:"},
	    {"-e 's|{ \"type\": \"mount\" }|{ \"type\": \"mount\" }, { \"type\": \"time\", "
	     "\"path\": \"/proc/1/ns/time\" }|'",
	     "linux.namespaces[5].path: a function sandbox joins no time namespace by path"},
	};
	struct cmd_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		floor_t_bundle("echo ran", cases[i].sed);
		floor_t_invoke(floor_t_dir, NULL, "{}", &r);
		cr_assert_neq(r.status, 0, "case %zu ran: %s", i, r.out);
		cr_assert(strstr(r.err, cases[i].field), "case %zu: %s", i, r.err);
		cr_assert(strstr(r.err, "--unsafe-sandbox"), "case %zu: %s", i, r.err);
		cr_assert_eq(count_lines(r.err), 1, "case %zu: %s", i, r.err);
		cmd_result_free(&r);
		/* no joining pid 1's net or time ns, writing the host through an
		 * overlay or mapping host root even so */
		if (i != 0 && i != 1 && i != 4 && i != 5) {
			floor_t_invoke(floor_t_dir, "--unsafe-sandbox", "{}", &r);
			cr_assert_eq(r.status, 0, "case %zu: %s", i, r.err);
			cr_assert_str_eq(r.out, "ran\n");
			cmd_result_free(&r);
		}
		floor_t_fini();
	}
}
