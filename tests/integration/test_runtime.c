/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_runtime.c -- real containers on the busybox bundle: output and exit
 * codes, isolation, security settings, hooks, lifecycle, and bad input that
 * must leave nothing behind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

static struct cmd_result run_in(struct bundle *b, const char *id)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30, "%s --root %s run -b %s %s", slxrun_bin(), b->root, b->dir, id);
	return r;
}

static struct cmd_result run_sh(const char *script, const char *extra_process,
				const char *extra_top, const char *extra_linux)
{
	struct bundle b;
	struct cmd_result r;
	char args[4096];

	snprintf(args, sizeof(args), "[\"/bin/sh\",\"-c\",\"%s\"]", script);
	bundle_make(&b, args, extra_process, extra_top, extra_linux);
	r = run_in(&b, "c1");
	bundle_remove(&b);
	return r;
}

Test(runtime, output_and_exit_code_propagate)
{
	struct cmd_result r = run_sh("echo hello; echo oops >&2; exit 7", NULL, NULL, NULL);

	cr_assert_eq(r.status, 7, "status %d, stderr %s", r.status, r.err);
	cr_assert_str_eq(r.out, "hello\n");
	cr_assert_str_eq(r.err, "oops\n");
	cmd_result_free(&r);
}

Test(runtime, process_is_pid_1_with_its_hostname)
{
	struct cmd_result r = run_sh("echo $$; hostname", NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1\nslxtest\n");
	cmd_result_free(&r);
}

Test(runtime, configured_mounts_are_visible)
{
	struct cmd_result r = run_sh("cat /proc/mounts", NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "proc /proc proc"), "%s", r.out);
	cr_assert(strstr(r.out, "shm /dev/shm tmpfs"), "%s", r.out);
	cr_assert(strstr(r.out, "devpts /dev/pts devpts"), "%s", r.out);
	cr_assert(strstr(r.out, "sysfs /sys sysfs ro"), "%s", r.out);
	cmd_result_free(&r);
}

Test(runtime, masked_paths_read_empty)
{
	struct cmd_result r =
	    run_sh("wc -c < /proc/keys; ls /sys/firmware | wc -l", NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n0\n");
	cmd_result_free(&r);
}

Test(runtime, readonly_paths_refuse_writes)
{
	struct cmd_result r = run_sh("echo 1 > /proc/sys/kernel/domainname && echo written; touch "
				     "/newfile && echo rootwritten; echo done",
				     NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "done\n");
	cr_assert(strstr(r.err, "Read-only file system"), "%s", r.err);
	cmd_result_free(&r);
}

/* readonlyPaths makes a path read-only and nothing more, as runc: it added
 * noexec, nosuid and nodev too, and a program on a bind listed there did
 * not run (an attacker's review, against runc). */
Test(runtime, readonly_paths_keep_programs_running)
{
	struct bundle b;
	struct cmd_result r;
	char mount[700];

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"/tmp/opt/sh -c 'echo ran'; touch /tmp/opt/x && echo "
		    "written; true\"]",
		    NULL, NULL, NULL);
	cmd_run(&r, NULL, 10, "mkdir %1$s/opt && cp %2$s/busybox/rootfs/bin/busybox %1$s/opt/sh",
		b.dir, examples_dir());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	/* after the /tmp tmpfs, the last of the mounts */
	snprintf(mount, sizeof(mount),
		 "\"options\":[\"nosuid\",\"nodev\"]},{\"destination\":\"/tmp/opt\",\"type\":"
		 "\"bind\",\"source\":\"%s/opt\",\"options\":[\"rbind\"]}]",
		 b.dir);
	bundle_config_replace(&b, "\"options\":[\"nosuid\",\"nodev\"]}]", mount);
	bundle_config_replace(&b, "\"readonlyPaths\":[", "\"readonlyPaths\":[\"/tmp/opt\",");
	r = run_in(&b, "c1");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "ran\n", "%s", r.err);
	cr_expect(strstr(r.err, "Read-only file system"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(runtime, capabilities_match_the_config)
{
	struct cmd_result r =
	    run_sh("grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status", NULL, NULL, NULL);

	/* CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29). */
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "CapPrm:\t0000000020000420\nCapEff:\t0000000020000420\n"
				"CapBnd:\t0000000020000420\n");
	cmd_result_free(&r);
}

Test(runtime, no_new_privileges_is_set)
{
	struct cmd_result r = run_sh("grep NoNewPrivs /proc/self/status", NULL, NULL, NULL);

	cr_assert_str_eq(r.out, "NoNewPrivs:\t1\n");
	cmd_result_free(&r);
}

Test(runtime, seccomp_rule_returns_its_errno)
{
	struct cmd_result r =
	    run_sh("mkdir /tmp/x 2>&1; echo rc=$?", NULL, NULL,
		   ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
		   "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "Function not implemented"), "%s", r.out);
	cr_assert(strstr(r.out, "rc=1"), "%s", r.out);
	cmd_result_free(&r);
}

Test(runtime, user_namespace_maps_the_uid)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make_ns(&b, "[\"/bin/sh\",\"-c\",\"cat /proc/self/uid_map; id -u\"]", NULL, NULL,
		       ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		       "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
		       "[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
		       "{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"network\"}]");
	r = run_in(&b, "u1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "100000"), "%s", r.out);
	cr_assert(strstr(r.out, "\n0\n"), "%s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A container of uid 1000 in a user namespace (0 -> host 100000) with a
 * host directory bound at /tmp/data: 1000:1000's 0600 file and root's.
 * `options` and `maps` complete the bind (its options, its own maps). */
static struct cmd_result idmap_run(const char *options, const char *maps)
{
	char mount[1024];
	struct cmd_result r;
	struct bundle b;

	bundle_make_ns(&b,
		       "[\"/bin/sh\",\"-c\",\"cat /tmp/data/f 2>&1; stat -c %u:%g /tmp/data/f "
		       "/tmp/data/r; cat /tmp/data/r 2>/dev/null || echo denied\"]",
		       NULL, NULL,
		       ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		       "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
		       "[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
		       "{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"network\"}]");
	cmd_run(&r, NULL, 10,
		"cd %s && chmod 711 . && mkdir data && echo mine >data/f && echo root >data/r && "
		"chown 1000:1000 data/f && chmod 600 data/f data/r",
		b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}",
			      "\"user\":{\"uid\":1000,\"gid\":1000}");
	snprintf(mount, sizeof(mount),
		 "\"options\":[\"nosuid\",\"nodev\"]},{\"destination\":\"/tmp/data\","
		 "\"type\":\"bind\",\"source\":\"%s/data\",\"options\":[\"bind\",\"ro\"%s]%s}]",
		 b.dir, options, maps);
	bundle_config_replace(&b, "\"options\":[\"nosuid\",\"nodev\"]}]", mount);
	r = run_in(&b, "i1");
	bundle_remove(&b);
	return r;
}

/* runtime-spec 1.1's idmapped binds: through the container's own maps
 * (idmap) the host's 1000 is 1000 inside, which reads its own 0600 file and
 * not root's; without, both are the overflow id, out of its reach; with the
 * mount's own maps (host 1000 shown as 2000) it is someone else's. */
Test(runtime, idmapped_bind_shows_host_owners_through_the_maps_asked)
{
	struct cmd_result r = idmap_run(",\"idmap\"", "");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "mine\n1000:1000\n0:0\ndenied\n", "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
	r = idmap_run("", "");
	cr_assert(strstr(r.out, "Permission denied\n65534:65534\n65534:65534\ndenied\n"),
		  "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
	r = idmap_run("", ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":1000},"
			  "{\"containerID\":1000,\"hostID\":102000,\"size\":1}],"
			  "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":1001}]");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(
	    r.out, "cat: can't open '/tmp/data/f': Permission denied\n2000:1000\n0:0\ndenied\n",
	    "out: %s err: %s", r.out, r.err);
	cmd_result_free(&r);
}

Test(runtime, time_namespace_applies_its_offsets)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make_ns(&b, "[\"/bin/sh\",\"-c\",\"cut -d. -f1 /proc/uptime\"]", NULL, NULL,
		       ",\"timeOffsets\":{\"boottime\":{\"secs\":864000,\"nanosecs\":0}}",
		       "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
		       "{\"type\":\"time\"}]");
	r = run_in(&b, "tm1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Ten days of boot-time offset show in the container's uptime. */
	cr_assert_geq(atol(r.out), 864000, "%s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(runtime, device_filter_holds_without_linux_resources)
{
	/* As with runc, a config without linux.resources still gets the
	 * default device allow-list: a node the container makes itself for
	 * /dev/kmsg (1:11, not in the list) cannot be opened. */
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"mknod /dev/k c 1 11 && echo made; "
		    "echo x > /dev/k || echo denied; echo y > /dev/null && echo null-ok\"]",
		    NULL, NULL, NULL);
	cmd_run(&r, NULL, 10,
		"sed -i 's/\"CAP_KILL\",/\"CAP_KILL\",\"CAP_MKNOD\",/g' %s/config.json", b.dir);
	cmd_result_free(&r);
	r = run_in(&b, "dev1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "made\ndenied\nnull-ok\n", "stderr: %s", r.err);
	cr_assert(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(runtime, no_host_fd_leaks_into_the_container)
{
	/* ls holds one fd for the directory it reads: 0 1 2 and that one. */
	struct cmd_result r = run_sh("ls /proc/self/fd | tr '\\\\n' ' '", NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0 1 2 3 ");
	cmd_result_free(&r);
}

Test(runtime, cwd_through_a_leaked_fd_is_refused)
{
	/* runc CVE-2024-21626: a cwd of /proc/self/fd/N must never land
	 * outside the container's root. */
	for (int fd = 3; fd < 10; fd++) {
		char extra[128];
		struct cmd_result r;

		snprintf(extra, sizeof(extra), ",\"cwd\":\"/proc/self/fd/%d\"", fd);
		r = run_sh("pwd; ls ../../.. | head -3", NULL, NULL, NULL);
		cmd_result_free(&r);
		{
			struct bundle b;
			char path[600];
			FILE *f;

			bundle_make(&b, "[\"/bin/sh\",\"-c\",\"pwd\"]", NULL, NULL, NULL);
			snprintf(path, sizeof(path), "%s/config.json", b.dir);
			f = fopen(path, "r+");
			cr_assert(f);
			fclose(f);
			cmd_run(&r, NULL, 30,
				"sed -i 's|\"cwd\":\"/\"|\"cwd\":\"/proc/self/fd/%d\"|' %s && "
				"%s --root %s run -b %s c%d",
				fd, path, slxrun_bin(), b.root, b.dir, fd);
			if (r.status == 0)
				cr_assert(r.out[0] == '/' && !strstr(r.out, "sys/fs/cgroup"),
					  "cwd escaped: %s", r.out);
			else
				cr_assert(strstr(r.err, "process.cwd"), "%s", r.err);
			cmd_result_free(&r);
			bundle_remove(&b);
		}
	}
}

Test(runtime, host_binary_cannot_be_overwritten_through_proc_exe)
{
	/* runc CVE-2019-5736: while a created container's init is still
	 * slxrun's code, a process sharing its pid namespace must not be able
	 * to open /proc/1/exe (the host binary) for writing. */
	struct bundle a, b;
	struct cmd_result r, hash_before, hash_after, st;
	char ns[512], *pid;

	cmd_run(&hash_before, NULL, 10, "sha256sum < %s", slxrun_bin());
	bundle_make(&a, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s victim", slxrun_bin(), a.root, a.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&st, NULL, 10, "%s --root %s state victim | grep '\"pid\"' | tr -dc 0-9",
		slxrun_bin(), a.root);
	pid = st.out;
	snprintf(ns, sizeof(ns),
		 "[{\"type\":\"pid\",\"path\":\"/proc/%s/ns/pid\"},{\"type\":\"mount\"},"
		 "{\"type\":\"ipc\"},{\"type\":\"uts\"}]",
		 pid);
	bundle_make_ns(&b,
		       "[\"/bin/sh\",\"-c\",\"echo pwned > /proc/1/exe; echo rc=$?; "
		       "head -c 4 /proc/1/exe > /dev/null; echo read=$?\"]",
		       NULL, NULL, NULL, ns);
	r = run_in(&b, "attacker");
	cr_assert(strstr(r.out, "rc=1"), "write to /proc/1/exe: %s %s", r.out, r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force victim", slxrun_bin(), a.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_run(&hash_after, NULL, 10, "sha256sum < %s", slxrun_bin());
	cr_assert_str_eq(hash_before.out, hash_after.out);
	cmd_result_free(&r);
	cmd_result_free(&st);
	cmd_result_free(&hash_before);
	cmd_result_free(&hash_after);
	bundle_remove(&a);
	bundle_remove(&b);
}

Test(runtime, hooks_run_in_order_with_the_state_on_stdin)
{
	struct bundle b;
	struct cmd_result r;
	char hooks[4096], log[600];

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(log, sizeof(log), "%s/hooks.log", b.dir);
#define HOOK(name)                                                                                 \
	"[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo " name                              \
	" $(tr -d ' \\\\n') >> %s\"]}]"
	snprintf(
	    hooks, sizeof(hooks),
	    ",\"hooks\":{\"prestart\":" HOOK("prestart") ",\"createRuntime\":" HOOK(
		"createRuntime") ",\"createContainer\":" HOOK("createContainer") ",\"poststart\""
										 ":" HOOK(
										     "poststar"
										     "t") ",\""
											  "pos"
											  "tst"
											  "op"
											  "\""
											  ":" HOOK(
											      "post"
											      "sto"
											      "p") "}",
	    log, log, log, log, log);
#undef HOOK
	bundle_remove(&b);
	bundle_make(&b, "[\"/bin/true\"]", NULL, hooks, NULL);
	snprintf(log, sizeof(log), "%s/hooks.log", b.dir);
	/* The hook log path was computed for the first bundle dir: rewrite. */
	cmd_run(&r, NULL, 10,
		"sed -i 's|/tmp/slxtest-bundle-[A-Za-z0-9]*/hooks.log|%s|g' %s/config.json", log,
		b.dir);
	cmd_result_free(&r);
	r = run_in(&b, "h1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cut -d' ' -f1 %s | tr '\\n' ' '", log);
	cr_assert_str_eq(r.out, "prestart createRuntime createContainer poststart poststop ");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cat %s", log);
	cr_assert(strstr(r.out, "\"id\":\"h1\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"pid\""), "%s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

static char *state_status(struct bundle *b, const char *id)
{
	struct cmd_result r;
	char *s, *e, *out;

	cmd_run(&r, NULL, 10, "%s --root %s state %s", slxrun_bin(), b->root, id);
	s = strstr(r.out, "\"status\"");
	if (!s) {
		out = strdup(r.err);
		cmd_result_free(&r);
		return out;
	}
	s = strchr(s + 9, '"') + 1;
	e = strchr(s, '"');
	out = strndup(s, (size_t)(e - s));
	cmd_result_free(&r);
	return out;
}

Test(runtime, create_start_kill_delete_transitions)
{
	struct bundle b;
	struct cmd_result r;
	struct leftovers before, after;
	char *s;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	leftovers_take(&b, &before);
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s t1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cr_assert_str_eq((s = state_status(&b, "t1")), "created");
	free(s);
	cmd_run(&r, NULL, 30, "%s --root %s start t1", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cr_assert_str_eq((s = state_status(&b, "t1")), "running");
	free(s);
	cmd_run(&r, NULL, 30, "%s --root %s delete t1", slxrun_bin(), b.root);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "not stopped"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s kill t1 KILL && sleep 0.2", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cr_assert_str_eq((s = state_status(&b, "t1")), "stopped");
	free(s);
	cmd_run(&r, NULL, 30, "%s --root %s kill t1 TERM", slxrun_bin(), b.root);
	cr_assert(strstr(r.err, "container not running"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete t1", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	s = state_status(&b, "t1");
	cr_assert(strstr(s, "does not exist"), "%s", s);
	free(s);
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after), "left behind: cgroups [%s] -> [%s]",
		  before.cgroups, after.cgroups);
	bundle_remove(&b);
}

Test(runtime, delete_force_ends_a_running_container)
{
	struct bundle b;
	struct cmd_result r;
	struct leftovers before, after;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	leftovers_take(&b, &before);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s f1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s delete --force f1", slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after));
	bundle_remove(&b);
}

Test(runtime, list_shows_containers_as_table_and_json)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30,
		"%s --root %s create -b %s l1 && %s --root %s list && "
		"%s --root %s list --format=json",
		slxrun_bin(), b.root, b.dir, slxrun_bin(), b.root, slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "l1 "), "%s", r.out);
	cr_assert(strstr(r.out, "created"), "%s", r.out);
	cr_assert(strstr(r.out, "[{"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "l1");
	bundle_remove(&b);
}

Test(runtime, pid_file_holds_the_container_pid)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30,
		"%s --root %s create --pid-file=%s/pid -b %s p1 && test -d /proc/$(cat %s/pid) && "
		"grep -q %s /proc/$(cat %s/pid)/cgroup && echo ok",
		slxrun_bin(), b.root, b.dir, b.dir, b.dir, strrchr(b.dir, '/') + 1, b.dir);
	cr_assert_str_eq(r.out, "ok\n", "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "p1");
	bundle_remove(&b);
}
