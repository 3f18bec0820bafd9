/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_conformance.c -- runtime-spec corners that runc and crun get right:
 * a container without a mount namespace of its own, a hostname in a joined
 * uts namespace, the status each hook kind reads, and poststart/poststop
 * failures that are warnings. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/harness.h"

/* A bundle whose config.json is exactly `config` with %s for the busybox
 * rootfs path and then the cgroup name: no mounts or masked paths unless
 * the test writes them. */
static void bundle_write(struct bundle *b, const char *config)
{
	char path[512], rootfs[512];
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "/tmp/slxtest-conf-XXXXXX");
	cr_assert(mkdtemp(b->dir));
	snprintf(b->root, sizeof(b->root), "%s/state", b->dir);
	snprintf(rootfs, sizeof(rootfs), "%s/busybox/rootfs", examples_dir());
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, config, rootfs, strrchr(b->dir, '/') + 1);
	fclose(f);
}

#define PROCESS(args)                                                                              \
	"\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":" args ","                           \
	"\"env\":[\"PATH=/bin\"],\"cwd\":\"/\",\"noNewPrivileges\":true}"
#define ROOT   "\"root\":{\"path\":\"%s\"}"
#define CGROUP "\"cgroupsPath\":\"/slxrun/%s\""

/* The pid `slxrun state` reports for id. */
static long state_pid(const struct bundle *b, const char *id)
{
	struct cmd_result r;
	const char *p;
	long pid;

	cmd_run(&r, NULL, 10, "%s --root %s state %s", slxrun_bin(), b->root, id);
	cr_assert_eq(r.status, 0, "state: %s", r.err);
	p = strstr(r.out, "\"pid\"");
	cr_assert(p, "%s", r.out);
	pid = strtol(strchr(p, ':') + 1, NULL, 10);
	cmd_result_free(&r);
	return pid;
}

static void link_of(char *buf, size_t len, const char *fmt, long pid)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), fmt, pid);
	n = readlink(path, buf, len - 1);
	cr_assert(n > 0, "readlink %s", path);
	buf[n] = '\0';
}

/* --- no mount namespace ---------------------------------------------- */

static const char no_mntns_config[] = "{\"ociVersion\":\"1.2.0\"," PROCESS(
    "[\"sleep\",\"30\"]") "," ROOT ","
			  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{"
			  "\"type\":\"uts\"},"
			  "{\"type\":\"network\"}]," CGROUP "}}";

Test(conformance, no_mount_namespace_runs_chrooted_in_the_hosts)
{
	struct bundle b;
	struct cmd_result r;
	char ours[64], theirs[64], root[PATH_MAX], rootfs[PATH_MAX], want[PATH_MAX];
	long pid;

	bundle_write(&b, no_mntns_config);
	cmd_run(&r, NULL, 30, "%s --root %s create -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "create without a mount namespace: %s", r.err);
	cmd_result_free(&r);
	pid = state_pid(&b, "c1");
	link_of(ours, sizeof(ours), "/proc/%ld/ns/mnt", (long)getpid());
	link_of(theirs, sizeof(theirs), "/proc/%ld/ns/mnt", pid);
	cr_expect_str_eq(theirs, ours, "the container shares the host's mount namespace");
	link_of(root, sizeof(root), "/proc/%ld/root", pid);
	snprintf(rootfs, sizeof(rootfs), "%s/busybox/rootfs", examples_dir());
	cr_assert(realpath(rootfs, want));
	cr_expect_str_eq(root, want, "its root is the bundle's rootfs");

	/* exec lands in the same chroot, not in the host's "/". */
	cmd_run(&r, NULL, 30, "%s --root %s exec c1 sh -c 'ls /; test -x /bin/busybox'",
		slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "exec: %s", r.err);
	cr_expect_null(strstr(r.out, "work\n"), "exec sees the host's /: %s", r.out);
	cr_expect(strstr(r.out, "bin\n"), "exec sees no /bin: %s", r.out);
	cmd_result_free(&r);

	cmd_run(&r, NULL, 30, "%s --root %s delete -f c1", slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "delete: %s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Every mount would land in the host's namespace: refused by field. */
Test(conformance, no_mount_namespace_refuses_mounts_by_name)
{
	static const char config[] = "{\"ociVersion\":\"1.2.0\"," PROCESS(
	    "[\"true\"]") "," ROOT ","
			  "\"mounts\":[{\"destination\":\"/"
			  "proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
			  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]," CGROUP "}}";
	struct bundle b;
	struct cmd_result r;
	char mounts_before[64], mounts_after[64];

	bundle_write(&b, config);
	cmd_run(&r, NULL, 10, "grep -c %s/busybox/rootfs /proc/self/mountinfo", examples_dir());
	snprintf(mounts_before, sizeof(mounts_before), "%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "mounts: needs a mount namespace of the container's own"), "%s",
		  r.err);
	cr_expect_eq(count_lines(r.err), 1, "one line: %s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "grep -c %s/busybox/rootfs /proc/self/mountinfo", examples_dir());
	snprintf(mounts_after, sizeof(mounts_after), "%s", r.out);
	cmd_result_free(&r);
	cr_expect_str_eq(mounts_after, mounts_before, "a mount reached the host's namespace");
	bundle_remove(&b);
}

/* --- uts ------------------------------------------------------------- */

Test(conformance, hostname_is_set_in_a_joined_uts_namespace)
{
	static const char config[] = "{\"ociVersion\":\"1.2.0\"," PROCESS(
	    "[\"hostname\"]") "," ROOT ","
			      "\"hostname\":\"joined-uts\","
			      "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
			      "{\"type\":\"uts\",\"path\":\"/proc/%s/ns/uts\"}]," CGROUP "}}";
	char holder_pid[32], cfg[sizeof(config) + 32];
	struct bundle b;
	struct cmd_result r;

	/* A uts namespace held open by a sleeping process of our own. */
	cmd_run(&r, NULL, 10, "unshare --uts sleep 60 >/dev/null 2>&1 & echo $!");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(holder_pid, sizeof(holder_pid), "%ld", strtol(r.out, NULL, 10));
	cmd_result_free(&r);
	usleep(200000);
	snprintf(cfg, sizeof(cfg), config, "%s", holder_pid, "%s");
	bundle_write(&b, cfg);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	cr_expect_str_eq(r.out, "joined-uts\n");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "nsenter -u -t %s hostname; kill %s", holder_pid, holder_pid);
	cr_expect_str_eq(r.out, "joined-uts\n", "the joined namespace holds the hostname");
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "hostname");
	cr_expect_str_neq(r.out, "joined-uts\n", "the host's hostname changed");
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(conformance, hostname_without_a_uts_namespace_is_refused)
{
	static const char config[] = "{\"ociVersion\":\"1.2.0\"," PROCESS(
	    "[\"true\"]") "," ROOT ","
			  "\"hostname\":\"nope\","
			  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]," CGROUP "}}";
	struct bundle b;
	struct cmd_result r;

	bundle_write(&b, config);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "hostname: setting it needs a uts namespace"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* linux.personality: the domain holds for the container's process and
 * for what exec runs in it (runc's tests: uname says i686); the spec
 * defines no flags, so one is refused by name. */
Test(conformance, personality_domain_holds_for_run_and_exec)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"sleep\",\"60\"]", NULL, NULL,
		    ",\"personality\":{\"domain\":\"LINUX32\",\"flags\":[]}");
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "cat /proc/%ld/personality; %s --root %s exec c1 uname -m",
		state_pid(&b, "c1"), slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "00000008\ni686\n");
	cmd_result_free(&r);
	bundle_force_delete(&b, "c1");
	bundle_remove(&b);

	bundle_make(&b, "[\"true\"]", NULL, NULL,
		    ",\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"SHORT_INODE\"]}");
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "linux.personality.flags[0]"), "%s", r.err);
	cr_expect_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Without a uts namespace setdomainname would rename the host's domain. */
Test(conformance, domainname_without_a_uts_namespace_is_refused)
{
	static const char config[] = "{\"ociVersion\":\"1.2.0\"," PROCESS(
	    "[\"true\"]") "," ROOT ","
			  "\"domainname\":\"slxtest.invalid\","
			  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]," CGROUP "}}";
	struct bundle b;
	struct cmd_result r;
	char before[256];

	cmd_run(&r, NULL, 10, "cat /proc/sys/kernel/domainname");
	snprintf(before, sizeof(before), "%s", r.out);
	cmd_result_free(&r);
	bundle_write(&b, config);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "domainname: setting it needs a uts namespace"), "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cat /proc/sys/kernel/domainname");
	cr_expect_str_eq(r.out, before, "the host's domainname changed");
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* --- hooks ----------------------------------------------------------- */

/* A host hook that saves its stdin as <bundle>/<name>.json (@DIR@ becomes
 * the bundle directory once it exists: bundle_at). */
#define SAVE_HOOK(name)                                                                            \
	"{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > @DIR@/" name ".json\"]}"

static void bundle_at(const struct bundle *b)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 10, "sed -i 's|@DIR@|%s|g' %s/config.json", b->dir, b->dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
}

/* The "status" a saved state carries, whitespace ignored. */
static void expect_status(const char *dir, const char *name, const char *status)
{
	struct cmd_result r;
	char want[64];

	cmd_run(&r, NULL, 10, "tr -d ' \\n\\t' < %s/%s.json", dir, name);
	cr_expect_eq(r.status, 0, "%s hook did not run: %s", name, r.err);
	snprintf(want, sizeof(want), "\"status\":\"%s\"", status);
	cr_expect(strstr(r.out, want), "%s hook read %s, expected %s", name, r.out, want);
	cmd_result_free(&r);
}

Test(conformance, each_hook_kind_reads_its_status)
{
	/* startContainer runs inside the container: its stdout is run's. */
	static const char hooks[] = ",\"hooks\":{\"prestart\":[" SAVE_HOOK(
	    "prestart") "],"
			"\"createRuntime\":[" SAVE_HOOK(
			    "createRuntime") "],"
					     "\"createContainer\":[" SAVE_HOOK(
						 "createContainer") "],"
								    "\"startContainer\":[{\"path\":"
								    "\"/bin/"
								    "sh\",\"args\":[\"sh\",\"-c\","
								    "\"cat\"]}],"
								    "\"poststart\":[" SAVE_HOOK(
									"poststart") "],"
										     "\"poststop\":"
										     "[" SAVE_HOOK(
											 "poststop") "]}";
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"true\"]", NULL, hooks, NULL);
	bundle_at(&b);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(strstr(r.out, "\"status\":\"created\"") ||
		      strstr(r.out, "\"status\": \"created\""),
		  "startContainer read %s", r.out);
	cmd_result_free(&r);
	expect_status(b.dir, "prestart", "created");
	expect_status(b.dir, "createRuntime", "created");
	expect_status(b.dir, "createContainer", "created");
	expect_status(b.dir, "poststart", "running");
	expect_status(b.dir, "poststop", "stopped");
	bundle_remove(&b);
}

/* Two hooks of `kind`, the first failing: the second runs, the command
 * succeeds, the failure is a warning in log.json. */
static void failing_hook_is_a_warning(const char *kind, const char *verbs)
{
	struct bundle b;
	struct cmd_result r;
	char hooks[1024];

	snprintf(hooks, sizeof(hooks),
		 ",\"hooks\":{\"%s\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"exit 3\"]},"
		 "{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"touch @DIR@/second-ran\"]}]}",
		 kind);
	bundle_make(&b, "[\"true\"]", NULL, hooks, NULL);
	bundle_at(&b);
	cmd_run(&r, NULL, 30, verbs, slxrun_bin(), b.root, b.dir, b.dir, slxrun_bin(), b.root,
		b.dir);
	cr_expect_eq(r.status, 0, "%s: %s", kind, r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "test -e %s/second-ran", b.dir);
	cr_expect_eq(r.status, 0, "the %s hook after the failing one did not run", kind);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "grep '\"level\":\"warning\"' %s/log.json", b.dir);
	cr_expect_eq(r.status, 0, "no warning logged for the failing %s hook", kind);
	cr_expect(strstr(r.out, kind) && strstr(r.out, "exit status 3"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "c1"); /* create+start leave the stopped c1 and its cgroup */
	bundle_remove(&b);
}

static const char run_verbs[] = "%s --root %s --log %s/log.json --log-format json run -b %s c1"
				"%.0s%.0s%.0s";
static const char create_start_verbs[] =
    "%s --root %s create -b %s c1 && "
    "%.0s%s --root %s --log %s/log.json --log-format json start c1";

Test(conformance, failing_poststart_hook_is_a_warning_with_run)
{
	failing_hook_is_a_warning("poststart", run_verbs);
}

Test(conformance, failing_poststart_hook_is_a_warning_with_start)
{
	failing_hook_is_a_warning("poststart", create_start_verbs);
}

Test(conformance, failing_poststop_hook_is_a_warning)
{
	failing_hook_is_a_warning("poststop", run_verbs);
}

/* Without --log a hook's failure still reaches the user: on stderr, as
 * runc's warnings do, and the run still succeeds. */
Test(conformance, failing_poststart_hook_warns_on_stderr_without_a_log)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"true\"]", NULL,
		    ",\"hooks\":{\"poststart\":[{\"path\":\"/bin/"
		    "sh\",\"args\":[\"sh\",\"-c\",\"exit 3\"]}]}",
		    NULL);
	cmd_run(&r, NULL, 30, "%s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "slxrun: warning: ") && strstr(r.err, "poststart") &&
		      strstr(r.err, "exit status 3"),
		  "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* --- the process's defaults, as runc's ----------------------------------- */

/* With no process.user.umask the container got its caller's umask (0077
 * under a careful operator, 0000 under a shim that sets none), and with no
 * HOME in its env an empty one; runc gives 0022 and the user's home from the
 * container's /etc/passwd ("/" when it has none), for run and exec alike. */
Test(conformance, umask_and_home_default_as_runc)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"umask; echo home=$HOME; sleep 30\"]", NULL, NULL,
		    NULL);
	cmd_run(&r, NULL, 30,
		"umask 077; %1$s --root %2$s run -d -b %3$s c1 >%3$s/out 2>&1 </dev/null && "
		"sleep 0.5 && %1$s --root %2$s exec c1 sh -c 'umask; echo home=$HOME' && "
		"%1$s --root %2$s exec --env HOME=/given c1 sh -c 'echo home=$HOME' && "
		"%1$s --root %2$s exec --user 65534:65534 c1 sh -c 'echo home=$HOME' && "
		"%1$s --root %2$s exec --user 4242:4242 c1 sh -c 'echo home=$HOME' && cat %3$s/out",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(
	    r.out,
	    "0022\nhome=/root\nhome=/given\nhome=/nonexistent\nhome=/\n"
	    "0022\nhome=/root\n",
	    "exec, exec with HOME, as nobody, as a user /etc/passwd lacks, then run: %s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "c1");
	bundle_remove(&b);
}

/* exec's --user UID[:GID] and -g/--additional-gids as runc takes them: the
 * groups add to the container's (none here); an id with anything but digits is refused
 * by name ("1000abc" ran as 1000, "1000:abc" as 1000:0), and nothing runs;
 * --cwd is absolute, as process.cwd (a relative one ran from /). */
Test(conformance, exec_user_and_additional_gids_as_runc)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30,
		"S=%1$s; R=%2$s; $S --root $R run -d -b %3$s eu </dev/null >/dev/null 2>&1 || "
		"exit 2; $S --root $R exec -u 1000:1000 -g 10 --additional-gids 20 eu id && "
		"$S --root $R exec -g 7 eu id && "
		"for u in 1000abc 1000:abc 1000: :5 ' 1000' 99999999999; do "
		"$S --root $R exec -u \"$u\" eu id && echo \"ran as $u\"; done; "
		"$S --root $R exec -g 7x eu id && echo ran with 7x; "
		"$S --root $R exec --cwd bin eu pwd && echo ran in bin; true",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
			 "uid=1000 gid=1000 groups=10,20\nuid=0(root) gid=0(root) groups=7\n", "%s",
			 r.err);
	cr_expect(strstr(r.err, "exec: --user: expected a decimal id, got \"1000abc\"\n"), "%s",
		  r.err);
	cr_expect(strstr(r.err, "exec: --user: expected a decimal id, got \"\"\n"), "%s", r.err);
	cr_expect(strstr(r.err, "exec: --additional-gids: expected a decimal id, got \"7x\"\n"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "exec: --cwd: must be an absolute path, got \"bin\"\n"), "%s",
		  r.err);
	cr_expect_eq(count_lines(r.err), 8, "one line for each refused: %s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "eu");
	bundle_remove(&b);
}

/* runc's exec --user UID without a GID keeps the config's group, and its
 * additional groups stay, with -g's added after them: `-u 2000` on a
 * container running as 1000:1000 ran as group root, and -g dropped the
 * config's groups. */
Test(conformance, exec_user_keeps_the_configs_groups_as_runc)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}",
			      "\"user\":{\"uid\":1000,\"gid\":1000,\"additionalGids\":[5]}");
	cmd_run(&r, NULL, 30,
		"S=%1$s; R=%2$s; $S --root $R run -d -b %3$s eg </dev/null >/dev/null 2>&1 || "
		"exit 2; $S --root $R exec -u 2000 eg id && $S --root $R exec -g 7 eg id && "
		"$S --root $R exec -u 2000:3000 -g 7 eg id",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
			 "uid=2000 gid=1000 groups=5\nuid=1000 gid=1000 groups=5,7\n"
			 "uid=2000 gid=3000 groups=5,7\n",
			 "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "eg");
	bundle_remove(&b);
}

/* A created container (its init waiting for `start`) ends on TERM, INT or
 * HUP as runc's does (its Go init exits on them); ours, pid 1 of its pid
 * namespace with no handler, ignored them, so `kill` of a created task
 * (ctr task kill, a pod torn down before it started) did nothing until a
 * KILL.  Other signals stay ignored, as runc's init ignores them. */
Test(conformance, a_created_container_ends_on_term_as_runc)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(
	    &r, NULL, 30,
	    "S=%1$s; R=%2$s; st() { $S --root $R state $1 | grep -o '\"status\": *\"[a-z]*\"' | "
	    "grep -o '[a-z]*\"$' | tr -d '\"'; }; "
	    "for sig in TERM INT HUP; do $S --root $R create -b %3$s c$sig </dev/null >/dev/null "
	    "2>&1 || exit 2; $S --root $R kill c$sig $sig || exit 3; i=0; "
	    "while [ \"$(st c$sig)\" = created ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); "
	    "done; echo \"$sig $(st c$sig)\"; $S --root $R delete c$sig || exit 4; done; "
	    "$S --root $R create -b %3$s cu </dev/null >/dev/null 2>&1 || exit 5; "
	    "$S --root $R kill cu USR1; sleep 0.3; echo \"USR1 $(st cu)\"; "
	    "$S --root $R start cu && echo \"then $(st cu)\"",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out,
			 "TERM stopped\nINT stopped\nHUP stopped\nUSR1 created\nthen running\n",
			 "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "cu");
	bundle_remove(&b);
}

/* The container's process starts with no signal ignored and none blocked,
 * whoever ran the runtime: ignored dispositions and the mask survive
 * execve, so a container run from nohup (HUP ignored) could not trap HUP,
 * and one whose config has hooks got the SIGPIPE the hooks' runner
 * ignores (crun resets them as well).  A caller with HUP and PIPE ignored
 * and USR1 blocked runs, then execs, a process that prints its own. */
Test(conformance, the_process_inherits_no_ignored_or_blocked_signal)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/grep\",\"-E\",\"^Sig(Blk|Ign)\",\"/proc/self/status\"]", NULL,
		    NULL, NULL);
	cmd_run(&r, NULL, 30,
		"python3 -c 'import os, signal, sys\n"
		"signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
		"signal.signal(signal.SIGPIPE, signal.SIG_IGN)\n"
		"signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
		"os.execvp(\"sh\", [\"sh\", \"-c\", sys.argv[1]])' "
		"'%1$s --root %2$s run -b %3$s sg </dev/null && "
		"%1$s --root %2$s create -b %3$s sx </dev/null && "
		"%1$s --root %2$s exec sx grep -E \"^Sig(Blk|Ign)\" /proc/self/status'",
		slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
			 "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
			 "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
			 "run, then exec: %s %s", r.out, r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "sg");
	bundle_force_delete(&b, "sx");
	bundle_remove(&b);
}

/* /dev/stdout is /proc/self/fd/1, and reopening it checks the pipe's owner:
 * a container process of another uid than the caller's could not write its
 * own output there (non-root images logging to /dev/stdout, under podman and
 * containerd alike), run or exec.  Its stdio pipes are its user's now, as
 * with runc; a regular file or a named FIFO given as stdio stays the
 * caller's (the FIFO was given away: an attacker's review). */
Test(conformance, a_non_root_process_can_reopen_its_own_stdio)
{
	struct bundle b;
	struct cmd_result r;
	struct stat st;
	char file[300];

	bundle_make(
	    &b, "[\"/bin/sh\",\"-c\",\"echo run > /dev/stdout; echo err > /dev/stderr; sleep 30\"]",
	    NULL, NULL, NULL);
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}",
			      "\"user\":{\"uid\":1000,\"gid\":1000}");
	snprintf(file, sizeof(file), "%s/out.txt", b.dir);
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s run -d -b %3$s c1 </dev/null 2>&1 | cat > %3$s/run.out & sleep 1; "
	    "%1$s --root %2$s exec c1 sh -c 'echo exec > /dev/stdout' | cat; "
	    "%1$s --root %2$s exec c1 sh -c 'echo file > /dev/stdout' > %4$s; "
	    "mkfifo -m 600 %3$s/fifo; cat %3$s/fifo > /dev/null & "
	    "%1$s --root %2$s exec c1 true > %3$s/fifo; wait $!; stat -c 'fifo %%u' %3$s/fifo; "
	    "cat %3$s/run.out",
	    slxrun_bin(), b.root, b.dir, file);
	cr_expect(strstr(r.out, "exec\n"), "exec's pipe: %s (%s)", r.out, r.err);
	cr_expect(strstr(r.out, "run\n") && strstr(r.out, "err\n"), "run's pipe: %s (%s)", r.out,
		  r.err);
	cr_expect_eq(stat(file, &st), 0);
	cr_expect_eq(st.st_uid, 0, "the caller's file was given to uid %u", (unsigned)st.st_uid);
	cr_expect(strstr(r.out, "fifo 0\n"), "the caller's named FIFO was given away: %s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "c1");
	bundle_remove(&b);
}

/* A cwd the image lacks is made at create, as runc makes it (a Kubernetes
 * workingDir need not be in the image; containerd's `ctr run --cwd` failed
 * with ENOENT); exec still needs one that exists. */
Test(conformance, a_missing_cwd_is_made_for_the_first_process)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"pwd; ls -ld . | cut -c1-10\"]", NULL, NULL, NULL);
	bundle_config_replace(&b, "\"cwd\":\"/\"", "\"cwd\":\"/tmp/work/deep\"");
	cmd_run(&r, NULL, 30, "umask 077; %s --root %s run -b %s c1", slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "/tmp/work/deep\ndrwxr-xr-x\n");
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* --- a user namespace joined by path ------------------------------------ */

/* A pod's containers join its user namespace by path and make the rest new
 * (Kubernetes with hostUsers: false, podman pods with --userns): namespaces
 * made before the join belonged to the host's user namespace, and the
 * container could not mount in its own mount namespace ("set propagation
 * of /: Operation not permitted").  They are made inside the joined one
 * now, as runc's nsexec does, and the process is root there. */
static void runs_in_a_joined_user_namespace(const char *map)
{
	struct bundle b;
	struct cmd_result r;
	char holder[32], ns[400];

	cmd_run(&r, NULL, 10, "unshare --user %s sleep 60 >/dev/null 2>&1 & echo $!",
		map ? "" : "--map-root-user");
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(holder, sizeof(holder), "%ld", strtol(r.out, NULL, 10));
	cmd_result_free(&r);
	usleep(300000);
	if (map) { /* written by us, root of the parent namespace, as a runtime does */
		cmd_run(&r, NULL, 10,
			"echo '%1$s' > /proc/%2$s/uid_map && echo '%1$s' > /proc/%2$s/gid_map", map,
			holder);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cmd_result_free(&r);
	}
	snprintf(
	    ns, sizeof(ns),
	    "[{\"type\":\"user\",\"path\":\"/proc/%s/ns/user\"},{\"type\":\"pid\"},"
	    "{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"network\"}]",
	    holder);
	bundle_make_ns(&b,
		       "[\"/bin/sh\",\"-c\",\"head -1 /proc/self/uid_map | tr -s ' '; id -u; "
		       "echo pid $$; hostname; readlink /proc/self/ns/user\"]",
		       NULL, NULL, NULL, ns);
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s run -b %3$s u1 && readlink /proc/%4$s/ns/user && "
		"%1$s --root %2$s list -q | wc -l",
		slxrun_bin(), b.root, b.dir, holder);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\n0\npid 1\nslxtest\nuser:["), "%s", r.out);
	if (strstr(r.out, "user:[")) {
		const char *in = strstr(r.out, "user:["), *out = strstr(in + 1, "user:[");

		cr_expect(out && !strncmp(in, out, (size_t)(strchr(in, ']') - in)),
			  "the joined namespace: %s", r.out);
	}
	cmd_result_free(&r);
	/* and exec joins it as the container's own */
	bundle_config_replace(&b, "\"hostname\":\"slxtest\",", "\"hostname\":\"slxtest2\",");
	bundle_config_replace(&b, "readlink /proc/self/ns/user\"]", "sleep 30\"]");
	cmd_run(&r, NULL, 30,
		"%1$s --root %2$s run -d -b %3$s u2 </dev/null >/dev/null 2>&1 || exit 1; "
		"%1$s --root %2$s exec u2 sh -c 'id -u; hostname; readlink /proc/self/ns/user'; "
		"readlink /proc/%4$s/ns/user",
		slxrun_bin(), b.root, b.dir, holder);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(!strncmp(r.out, "0\nslxtest2\nuser:[", strlen("0\nslxtest2\nuser:[")), "%s",
		  r.out);
	cmd_result_free(&r);
	kill((pid_t)strtol(holder, NULL, 10), SIGKILL);
	bundle_force_delete(&b, "u1");
	bundle_force_delete(&b, "u2");
	bundle_remove(&b);
}

Test(conformance, a_user_namespace_joined_by_path_owns_the_new_ones)
{
	runs_in_a_joined_user_namespace(NULL);
}

Test(conformance, a_joined_user_namespace_mapping_a_range)
{
	runs_in_a_joined_user_namespace("0 100000 65536");
}
