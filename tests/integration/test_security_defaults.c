/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_security_defaults.c -- attacks on the runtime's defaults, each written
 * as the container (or its image) would try it: the host binary through
 * /proc/<pid>/exe, device nodes shipped in the image, capabilities kept when
 * the config names none, seccomp without no_new_privs, LSM labels ignored. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/harness.h"

/* Drop process.capabilities from the bundle's config. */
static void config_drop_capabilities(const struct bundle *b)
{
	bundle_config_replace(
	    b,
	    "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_"
	    "SERVICE\"],"
	    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},",
	    "");
}

static struct cmd_result run_bundle(struct bundle *b, const char *id)
{
	struct cmd_result r;

	cmd_run(&r, NULL, 30, "%s --root %s run -b %s %s", slxrun_bin(), b->root, b->dir, id);
	return r;
}

Test(security_defaults, no_capabilities_object_means_no_capabilities)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(
	    &b, "[\"/bin/sh\",\"-c\",\"grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status\"]",
	    NULL, NULL, NULL);
	config_drop_capabilities(&b);
	r = run_bundle(&b, "nocaps");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
				"CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
				"CapAmb:\t0000000000000000\n");
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* Keyrings are not namespaced: a container kept the session keyring of
 * whoever ran slxrun, its keys readable and clearable from inside (what a
 * root container lists in /proc/keys without the mask is what it
 * possesses).  runc gives each container a keyring of its own unless
 * --no-new-keyring, and so does run (and exec). */
Test(security_defaults, a_container_does_not_hold_the_callers_keyring)
{
	struct bundle b;
	struct cmd_result r;
	char desc[64];

	snprintf(desc, sizeof(desc), "slxtest-key-%d", getpid());
	keyring_possess_key(desc);
	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"cat /proc/keys; echo done\"]", NULL, NULL, NULL);
	bundle_config_replace(&b, "\"/proc/keys\",", "");
	r = run_bundle(&b, "keys");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "done"), "%s", r.out);
	cr_assert_null(strstr(r.out, desc), "the caller's key, in the container:\n%s", r.out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "%s --root %s run --no-new-keyring -b %s keys2", slxrun_bin(), b.root,
		b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, desc), "--no-new-keyring keeps the caller's: %s", r.out);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* exec follows what the container was created with, as runc's: a new
 * keyring of its own, or with --no-new-keyring the caller's. */
Test(security_defaults, exec_keeps_the_keyring_choice_of_create)
{
	struct bundle b;
	struct cmd_result r;
	char desc[64];

	snprintf(desc, sizeof(desc), "slxtest-key-%d", getpid());
	keyring_possess_key(desc);
	bundle_make(&b, "[\"/bin/sleep\",\"60\"]", NULL, NULL, NULL);
	bundle_config_replace(&b, "\"/proc/keys\",", "");
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s k1", slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_config_replace(&b, "\"cgroupsPath\":\"/slxrun/", "\"cgroupsPath\":\"/slxrun/k2-");
	cmd_run(&r, NULL, 30,
		"%s --root %s run -d --no-new-keyring -b %s k2 && "
		"%s --root %s exec k1 cat /proc/keys && echo === && "
		"%s --root %s exec k2 cat /proc/keys",
		slxrun_bin(), b.root, b.dir, slxrun_bin(), b.root, slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "===") && strstr(strstr(r.out, "==="), desc),
		  "exec into a --no-new-keyring container keeps the caller's: %s", r.out);
	cr_expect(!strstr(r.out, desc) || strstr(r.out, desc) > strstr(r.out, "==="),
		  "exec into a container of its own keyring got the caller's: %s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "k1");
	bundle_force_delete(&b, "k2");
	bundle_remove(&b);
}

Test(security_defaults, exec_process_file_without_capabilities_gets_none)
{
	struct bundle b;
	struct cmd_result r;
	char path[600];
	FILE *f;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	snprintf(path, sizeof(path), "%s/process.json", b.dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"env\":[\"PATH=/bin\"],"
	      "\"args\":[\"/bin/sh\",\"-c\",\"grep -E '^Cap(Eff|Bnd)' /proc/self/status\"]}",
	      f);
	fclose(f);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s ex1 && %s --root %s exec --process %s ex1",
		slxrun_bin(), b.root, b.dir, slxrun_bin(), b.root, path);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n");
	cmd_result_free(&r);
	bundle_force_delete(&b, "ex1");
	bundle_remove(&b);
}

/* A rootfs of our own: the busybox example's, copied, plus what the test adds. */
static void bundle_private_rootfs(struct bundle *b, const char *setup)
{
	struct cmd_result r;
	char from[600], to[600];

	cmd_run(&r, NULL, 60, "cp -a %s/busybox/rootfs %s/rootfs && cd %s/rootfs && %s",
		examples_dir(), b->dir, b->dir, setup);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(from, sizeof(from), "\"path\":\"%s/busybox/rootfs\"", examples_dir());
	snprintf(to, sizeof(to), "\"path\":\"%s/rootfs\"", b->dir);
	bundle_config_replace(b, from, to);
}

/* An image may ship device nodes (tar layers can carry them).  Without a
 * device filter the container writes the host's kernel log through one. */
Test(security_defaults, image_device_node_is_not_usable)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"echo slxrun-device-test > /kmsg && echo OPENED\"]",
		    NULL, NULL, NULL);
	bundle_private_rootfs(&b, "mknod kmsg c 1 11");
	r = run_bundle(&b, "devnode");
	cr_assert_neq(r.status, 0, "the image's kmsg node was writable: %s", r.out);
	cr_assert_eq(strstr(r.out, "OPENED"), NULL);
	cr_assert(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* The syscalls a process needs to start and run busybox sh: an allow-list
 * profile in the style of the container default (Kubernetes RuntimeDefault),
 * without mkdir/mkdirat so the filter's effect shows. */
static const char *allow_list =
    "\"read\",\"write\",\"writev\",\"readv\",\"pread64\",\"open\",\"openat\",\"close\","
    "\"close_range\",\"fstat\",\"newfstatat\",\"stat\",\"lstat\",\"statx\",\"lseek\","
    "\"mmap\",\"mprotect\",\"munmap\",\"brk\",\"rt_sigaction\",\"rt_sigprocmask\","
    "\"rt_sigreturn\",\"ioctl\",\"access\",\"faccessat\",\"faccessat2\",\"execve\","
    "\"execveat\",\"exit\",\"exit_group\",\"wait4\",\"waitid\",\"getpid\",\"getppid\","
    "\"gettid\",\"getuid\",\"geteuid\",\"getgid\",\"getegid\",\"getgroups\",\"setuid\","
    "\"setgid\",\"setresuid\",\"setresgid\",\"setgroups\",\"capget\",\"capset\",\"prctl\","
    "\"arch_prctl\",\"set_tid_address\",\"set_robust_list\",\"rseq\",\"fcntl\",\"dup\","
    "\"dup2\",\"dup3\",\"pipe\",\"pipe2\",\"clone\",\"clone3\",\"fork\",\"vfork\",\"getcwd\","
    "\"chdir\",\"fchdir\",\"uname\",\"readlink\",\"readlinkat\",\"getdents64\",\"futex\","
    "\"sched_getaffinity\",\"sched_yield\",\"prlimit64\",\"getrlimit\",\"setrlimit\","
    "\"getrandom\",\"sysinfo\",\"accept\",\"accept4\",\"recvmsg\",\"sendmsg\",\"recvfrom\","
    "\"sendto\",\"poll\",\"ppoll\",\"select\",\"pselect6\",\"nanosleep\",\"clock_nanosleep\","
    "\"clock_gettime\",\"gettimeofday\",\"time\",\"kill\",\"tgkill\",\"sigaltstack\","
    "\"umask\",\"getpgrp\",\"setpgid\",\"getpgid\",\"setsid\",\"getsid\",\"madvise\","
    "\"mremap\",\"socket\",\"connect\",\"shutdown\",\"socketpair\",\"getsockopt\","
    "\"setsockopt\",\"getpeername\",\"getsockname\",\"membarrier\",\"restart_syscall\"";

static void seccomp_without_nnp(const char *user)
{
	struct bundle b;
	struct cmd_result r;
	char linux_[8192];

	snprintf(linux_, sizeof(linux_),
		 ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
		 "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
		 "\"syscalls\":[{\"names\":[%s],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		 allow_list);
	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"grep -E '^(Uid|NoNewPrivs|Seccomp):' /proc/self/status; "
		    "mkdir /tmp/d || echo DENIED\"]",
		    NULL, NULL, linux_);
	bundle_config_replace(&b, "\"noNewPrivileges\":true", "\"noNewPrivileges\":false");
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}", user);
	r = run_bundle(&b, "secc");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "NoNewPrivs:\t0\n"), "%s", r.out);
	cr_assert(strstr(r.out, "Seccomp:\t2\n"), "%s", r.out);
	cr_assert(strstr(r.out, "DENIED\n"), "%s", r.out);
	cr_assert(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(security_defaults, seccomp_without_no_new_privileges_starts_as_root)
{
	seccomp_without_nnp("\"user\":{\"uid\":0,\"gid\":0}");
}

Test(security_defaults, seccomp_without_no_new_privileges_starts_as_uid_1000)
{
	seccomp_without_nnp("\"user\":{\"uid\":1000,\"gid\":1000}");
}

/* A label or profile the host cannot apply must stop the container, not be
 * dropped: the operator asked for confinement it would not get. */
static void lsm_refused(const char *extra_process, const char *extra_linux, const char *field)
{
	struct bundle b;
	struct leftovers before, after;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", extra_process, NULL, extra_linux);
	leftovers_take(&b, &before);
	r = run_bundle(&b, "lsm");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, field), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after));
	cmd_result_free(&r);
	bundle_remove(&b);
}

Test(security_defaults, apparmor_profile_that_cannot_apply_is_an_error)
{
	lsm_refused(",\"apparmorProfile\":\"slxrun-test-no-such-profile\"", NULL,
		    "process.apparmorProfile");
}

Test(security_defaults, selinux_label_that_cannot_apply_is_an_error)
{
	lsm_refused(",\"selinuxLabel\":\"system_u:system_r:slxrun_no_such_t:s0\"", NULL,
		    "process.selinuxLabel");
}

Test(security_defaults, mount_label_that_cannot_apply_is_an_error)
{
	lsm_refused(NULL, ",\"mountLabel\":\"system_u:object_r:slxrun_no_such_t:s0\"",
		    "linux.mountLabel");
}

/* CVE-2019-5736: the process that becomes the container is slxrun until its
 * execve; if the container can open its /proc/<pid>/exe it holds the host
 * binary and, once that process has exited, reopens it for writing.  Here
 * the test plays the container's part from outside, which is the same
 * kernel object: the created container's exe must not be writable, ever. */
Test(security_defaults, host_binary_is_not_writable_through_proc_exe)
{
	struct bundle b;
	struct cmd_result r;
	struct stat host, seen;
	char pidfile[600], path[64], fdpath[64];
	int fd, wfd;
	long pid = 0;
	FILE *f;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", b.dir);
	cmd_run(&r, NULL, 30, "%s --root %s create --pid-file %s -b %s exe1", slxrun_bin(), b.root,
		pidfile, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	f = fopen(pidfile, "r");
	cr_assert(f && fscanf(f, "%ld", &pid) == 1);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	fd = open(path, O_PATH | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(stat(slxrun_bin(), &host), 0);
	cr_assert_eq(fstat(fd, &seen), 0);
	cr_expect(seen.st_dev != host.st_dev || seen.st_ino != host.st_ino,
		  "the container's exe is the host's %s", slxrun_bin());
	cmd_run(&r, NULL, 30, "%s --root %s start exe1 && sleep 0.2 && %s --root %s delete exe1",
		slxrun_bin(), b.root, slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	/* The process is gone: nothing holds the file busy any more.  The write
	 * puts back the byte already there, so a failed defence changes nothing;
	 * a sealed memfd opens for writing but refuses the write itself. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	wfd = open(fdpath, O_RDWR | O_CLOEXEC);
	if (wfd >= 0) {
		char first = 0;

		cr_assert_eq(pread(wfd, &first, 1, 0), 1);
		cr_expect_neq(pwrite(wfd, &first, 1, 0), 1,
			      "the host binary written through /proc/%ld/exe", pid);
		close(wfd);
	}
	close(fd);
	bundle_remove(&b);
}

/* A container given CAP_SYS_PTRACE (no user namespace) watches its pid
 * namespace for a process whose /proc/<pid>/root is not its own root and
 * copies a host file through it, writing the copy on the host.  `exec`'s
 * child was born in the container's pid namespace but still in the host's
 * mount namespace and root until its setns() (an attacker's review; strace
 * holds every setns a second here, where the grab won on the first exec
 * unheld).  runc and crun join the other namespaces first and only then
 * fork into the pid namespace, as slxrun now does: nothing of the host is
 * ever in the container's view. */
/* strace (and cc) are on the host CI runs this suite on, not in the VM's
 * initramfs, which runs this suite too for its cgroups: there the attacks
 * that need them are the host's to run. */
static void needs_tools(const char *tools)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "for t in %s; do command -v $t >/dev/null || exit 1; done",
		 tools);
	if (system(cmd) != 0)
		cr_skip_test("needs %s (the host's run has them)", tools);
}

Test(security_defaults, exec_is_never_in_the_containers_pid_namespace_with_the_hosts_root)
{
	struct bundle b;
	struct cmd_result r;
	char args[1024], got[600];

	needs_tools("strace");
	/* its parent's path, so no path of the container's own rootfs */
	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	snprintf(args, sizeof(args),
		 "[\"/bin/sh\",\"-c\",\"while :; do for p in /proc/[0-9]*; do "
		 "cat $p/root%1$s/mark > $p/root%1$s/got 2>/dev/null && exit 0; done; done\"]",
		 b.dir);
	bundle_config_replace(&b, "[\"/bin/true\"]", args);
	cmd_run(&r, NULL, 30,
		"set -e; cd %1$s; echo host-only > mark; "
		"sed -i 's/\"CAP_KILL\"/\"CAP_KILL\",\"CAP_SYS_PTRACE\"/g' config.json; "
		"grep -o CAP_SYS_PTRACE config.json | wc -l; "
		"%2$s --root %3$s run -d -b %1$s xw </dev/null >/dev/null 2>&1; sleep 0.3; "
		"for i in 1 2 3; do strace -f -qq -o /dev/null -e trace=setns "
		"-e inject=setns:delay_enter=1000000:when=1 %2$s --root %3$s exec xw /bin/true "
		"2>/dev/null || true; "
		"test -e got && break; done; true",
		b.dir, slxrun_bin(), b.root);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_geq(atoi(r.out), 3, "CAP_SYS_PTRACE given: %s", r.out);
	cmd_result_free(&r);
	snprintf(got, sizeof(got), "%s/got", b.dir);
	cr_expect_neq(access(got, F_OK), 0, "the container copied a host file onto the host");
	bundle_force_delete(&b, "xw");
	bundle_remove(&b);
}

/* The container's root stops every process it sees start: `exec`'s, still
 * the runtime's code before its execve, was stopped there and `exec -d`
 * waited for ever (an attacker's review).  Past its deadline it is killed
 * and exec fails, saying so; nothing of it stays in the container. */
Test(security_defaults, exec_ends_when_the_container_stops_its_process_before_execve,
     .timeout = 120)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"while :; do for p in /proc/[0-9]*; do p=${p#/proc/}; "
		    "[ $p -gt 1 ] && kill -STOP $p 2>/dev/null; done; done\"]",
		    NULL, NULL, NULL);
	cmd_run(&r, NULL, 40,
		"%1$s --root %2$s run -d -b %3$s stp </dev/null >/dev/null 2>&1; sleep 0.3; "
		"%1$s --root %2$s exec -d stp /bin/sleep 100",
		slxrun_bin(), b.root, b.dir);
	cr_expect_lt(r.status, 128, "exec -d never returned: %s", r.err);
	cr_expect(r.status == 0 || strstr(r.err, "did not reach its execve"), "%d: %s", r.status,
		  r.err);
	if (r.status) {
		cmd_result_free(&r);
		cmd_run(&r, NULL, 10, "%s --root %s ps --format json stp", slxrun_bin(), b.root);
		cr_expect(r.status == 0 && !strchr(r.out, ','), "its process was left: %s %s",
			  r.out, r.err);
	}
	cmd_result_free(&r);
	bundle_force_delete(&b, "stp");
	bundle_remove(&b);
}

/* A container that joins another's user namespace by path is cloned by a
 * helper that joins it first (rt_clone_in_userns).  That helper was
 * dumpable and, in the joined namespace, open to its root: a container
 * owning that namespace, with CAP_SYS_PTRACE there and the host's pids in
 * view, attached to the helper, still the host's root in the host's mount
 * namespace, and made it run a program of its own as the host's root (an
 * attacker's review).  strace holds the helper a moment after its setns
 * (so here the watcher takes its descriptors, as ptrace would be strace's);
 * the watcher, trying every process of its namespace named slxrun, must
 * reach none. */
static const char attach_prog[] =
    "#include <dirent.h>\n#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "#include <string.h>\n#include <sys/syscall.h>\n#include <unistd.h>\n"
    "static int in_ns(const char *pid, const char *me) { char p[64], l[64]; ssize_t n;\n"
    "  snprintf(p, sizeof(p), \"/proc/%s/ns/user\", pid);\n"
    "  n = readlink(p, l, sizeof(l) - 1); if (n < 0) return 0; l[n] = 0; return !strcmp(l, me); }\n"
    "static int named(const char *pid, const char *name) { char p[64], c[32] = \"\"; FILE *f;\n"
    "  snprintf(p, sizeof(p), \"/proc/%s/comm\", pid);\n"
    "  if (!(f = fopen(p, \"r\"))) return 0; fgets(c, sizeof(c), f); fclose(f);\n"
    "  c[strcspn(c, \"\\n\")] = 0; return !strcmp(c, name); }\n"
    "int main(void) { char me[64]; ssize_t n = readlink(\"/proc/self/ns/user\", me, 63);\n"
    "  me[n > 0 ? n : 0] = 0;\n"
    "  for (;;) { DIR *d = opendir(\"/proc\"); struct dirent *e;\n"
    "    while ((e = readdir(d))) { int pid = atoi(e->d_name);\n"
    "      if (pid <= 1 || !in_ns(e->d_name, me) || !named(e->d_name, \"slxrun\")) continue;\n"
    "      int pfd = syscall(SYS_pidfd_open, pid, 0);\n"
    "      for (int fd = 3; pfd >= 0 && fd < 64; fd++) { int s = syscall(SYS_pidfd_getfd, pfd, fd, "
    "0);\n"
    "        char p[64], l[256]; ssize_t n; FILE *f;\n"
    "        if (s < 0) continue;\n"
    "        snprintf(p, sizeof(p), \"/proc/self/fd/%d\", s); n = readlink(p, l, sizeof(l) - 1);\n"
    "        l[n > 0 ? n : 0] = 0; f = fopen(\"/tmp/out/got\", \"w\");\n"
    "        fprintf(f, \"took fd %d (%s) of %d\\n\", fd, l, pid); fclose(f); return 0; }\n"
    "      if (pfd >= 0) close(pfd); }\n"
    "    closedir(d); } }\n";

Test(security_defaults, a_joined_user_namespace_cannot_reach_the_helper_that_joins_it)
{
	struct bundle a, v;
	struct cmd_result r;
	char out[600], mounts[900], ns[300], path[700];
	long pid;
	FILE *f;

	needs_tools("cc strace");
	bundle_make_ns(&a, "[\"/tmp/out/attach\"]", NULL, NULL,
		       ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		       "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
		       "[{\"type\":\"user\"},{\"type\":\"mount\"},{\"type\":\"network\"},"
		       "{\"type\":\"uts\"},{\"type\":\"ipc\"}]");
	snprintf(out, sizeof(out), "%s/out", a.dir);
	cr_assert_eq(chmod(a.dir, 0755), 0); /* the namespace's root must walk here */
	cr_assert_eq(mkdir(out, 0777), 0);
	cr_assert_eq(chmod(out, 0777), 0);
	snprintf(path, sizeof(path), "%s/attach.c", a.dir);
	cr_assert((f = fopen(path, "w")));
	fputs(attach_prog, f);
	fclose(f);
	cmd_run(&r, NULL, 60, "cc -static -O1 -o %1$s/attach %2$s", out, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	/* the host's /proc (no pid namespace of its own) and a way out */
	bundle_config_replace(&a,
			      "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}",
			      "{\"destination\":\"/proc\",\"type\":\"bind\",\"source\":\"/proc\","
			      "\"options\":[\"rbind\"]}");
	snprintf(mounts, sizeof(mounts),
		 "\"options\":[\"nosuid\",\"nodev\"]},{\"destination\":\"/tmp/out\",\"type\":"
		 "\"bind\",\"source\":\"%s\",\"options\":[\"rbind\"]}]",
		 out);
	bundle_config_replace(&a, "\"options\":[\"nosuid\",\"nodev\"]}]", mounts);
	cmd_run(&r, NULL, 30,
		"cd %1$s; sed -i 's/\"CAP_KILL\"/\"CAP_KILL\",\"CAP_SYS_PTRACE\"/g' config.json; "
		"%2$s --root %3$s run -d -b %1$s watcher </dev/null >/dev/null || exit 1; "
		"%2$s --root %3$s state watcher | grep -o '\"pid\": *[0-9]*' | grep -o '[0-9]*$'",
		a.dir, slxrun_bin(), a.root);
	cr_assert_eq(r.status, 0, "the watcher: %s", r.err);
	pid = atol(r.out);
	cmd_result_free(&r);
	snprintf(ns, sizeof(ns),
		 "[{\"type\":\"user\",\"path\":\"/proc/%ld/ns/user\"},{\"type\":\"pid\"},"
		 "{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"ipc\"},"
		 "{\"type\":\"network\"}]",
		 pid);
	bundle_make_ns(&v, "[\"/bin/true\"]", NULL, NULL, NULL, ns);
	cmd_run(&r, NULL, 60,
		"for i in 1 2 3; do strace -f -qq -o /dev/null -e trace=setns "
		"-e inject=setns:delay_exit=1500000 %1$s --root %2$s run -b %3$s v$i; "
		"test -s %4$s/got && break; done; true",
		slxrun_bin(), v.root, v.dir, out);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 10, "cat %s/got 2>/dev/null", out);
	cr_expect_str_eq(r.out, "", "the watcher %s", r.out);
	cmd_result_free(&r);
	bundle_remove(&v);
	bundle_force_delete(&a, "watcher");
	bundle_remove(&a);
}

/* The same container goes after the socket `exec`'s process shares with
 * slxrun from its birth: it takes it (pidfd_getfd; CAP_SYS_PTRACE passes
 * over the process's dumpable 0) and writes first, naming a host pid as
 * the process exec made.  slxrun wrote that pid as the --pid-file, and
 * would have signalled and waited for it (an attacker's review of the
 * joiner's first form).  Only a pidfd of its own child counts now.  It
 * also floods the socket (64 forged answers ahead of the joiner's: exec
 * read 16 and failed, leaving its process running) and, once exec waits
 * for the end of the socket, forges the process's error (exec said it
 * failed and killed the process).  Only the joiner's word and its
 * process's own count now, told apart by the kernel's SCM_CREDENTIALS.
 * strace holds the joiner's send and the process's execve, so the
 * container always wins the race to the socket. */
static const char forge_prog[] =
    "#define _GNU_SOURCE\n#include <dirent.h>\n#include <stdlib.h>\n#include <string.h>\n"
    "#include <sys/socket.h>\n#include <sys/syscall.h>\n#include <unistd.h>\n"
    "int main(int argc, char **argv) {\n"
    "  struct { unsigned type; int errnum, stage; unsigned len; } h = {7, 0, 0, 0};\n"
    "  h.len = strlen(argv[1]);\n"
    "  for (;;) { DIR *d = opendir(\"/proc\"); struct dirent *e;\n"
    "    while ((e = readdir(d))) { int pid = atoi(e->d_name), pfd;\n"
    "      if (pid <= 1 || (pfd = syscall(SYS_pidfd_open, pid, 0)) < 0) continue;\n"
    "      for (int fd = 3; fd < 16; fd++) { int s = syscall(SYS_pidfd_getfd, pfd, fd, 0), t = 0;\n"
    "        socklen_t l = sizeof(t);\n"
    "        if (s >= 0 && !getsockopt(s, SOL_SOCKET, SO_TYPE, &t, &l) && t == SOCK_SEQPACKET) {\n"
    "          struct iovec v[2] = {{&h, sizeof(h)}, {argv[1], h.len}};\n"
    "          struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};\n"
    "          for (int k = 0; k < 64; k++) sendmsg(s, &m, MSG_NOSIGNAL);\n"
    "          usleep(1000000); h.type = 5; h.errnum = 1; h.len = 6; v[1].iov_base = \"forged\";\n"
    "          v[1].iov_len = 6; sendmsg(s, &m, MSG_NOSIGNAL); return 0; }\n"
    "        if (s >= 0) close(s); }\n"
    "      close(pfd); }\n"
    "    closedir(d); } }\n";

Test(security_defaults, exec_takes_its_process_from_its_joiner_not_from_the_container)
{
	struct bundle b;
	struct cmd_result r;
	char path[600];
	FILE *f;

	needs_tools("cc strace");
	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	bundle_own_rootfs(&b);
	snprintf(path, sizeof(path), "%s/forge.c", b.dir);
	cr_assert((f = fopen(path, "w")));
	fputs(forge_prog, f);
	fclose(f);
	cmd_run(&r, NULL, 90,
		"set -e; cd %1$s; cc -static -O1 -o rootfs/forge forge.c; "
		"sleep 1000 & v=$!; trap 'kill $v' EXIT; "
		"sed -i -e 's/\"CAP_KILL\"/\"CAP_KILL\",\"CAP_SYS_PTRACE\"/g' "
		"-e \"s|\\[\\\"/bin/true\\\"\\]|[\\\"/bin/sh\\\",\\\"-c\\\",\\\"/forge $v \\& "
		"exec sleep 1000\\\"]|\" config.json; "
		"%2$s --root %3$s run -d -b %1$s fg </dev/null >/dev/null 2>&1; sleep 0.3; "
		"strace -f -qq -o /dev/null -e trace=sendmsg,execve "
		"-e inject=sendmsg:delay_enter=300000:when=1 "
		"-e inject=execve:delay_enter=300000:when=1 %2$s --root %3$s exec -d "
		"--pid-file %1$s/pid fg /bin/sleep 5 </dev/null >/dev/null 2>&1 || true; "
		"p=$(cat pid 2>/dev/null || true); echo \"victim $v pid-file $p\"; "
		"[ \"$p\" != \"$v\" ] && kill -0 $v && grep -m1 Name: /proc/$p/status",
		b.dir, slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	/* (a zombie under strace, which traces it past slxrun's exit) */
	cr_expect(strstr(r.out, "\nName:\tsleep\n"), "the pid-file names the exec's process: %s",
		  r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "fg");
	bundle_remove(&b);
}

/* `kill --all` with a signal other than KILL read the container's pids from
 * its cgroup and signalled each number: one that exited between the two
 * left its pid to whatever the host started next, which got the signal (an
 * attacker's review; a container decides when its processes exit, and on
 * a host of 32,768 pids it can churn the counter).  strace holds each
 * signal 3 s; the container's `sleep 2` ends meanwhile (its shell reaps
 * it) and a host `sleep` is given its pid (ns_last_pid).  Each pid is
 * pinned by a pidfd now and signalled only while it is in the container's
 * cgroup. */
Test(security_defaults, kill_all_never_signals_a_host_process_that_took_a_containers_pid)
{
	struct bundle b;
	struct cmd_result r;

	needs_tools("strace");
	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 2 & wait; exec sleep 1000\"]", NULL, NULL,
		    NULL);
	cmd_run(
	    &r, NULL, 60,
	    "S=%1$s; R=%2$s; $S --root $R run -d -b %3$s ka </dev/null >/dev/null 2>&1 || exit 2; "
	    "sleep 0.3; init=$($S --root $R state ka | sed -n 's/.*\"pid\": "
	    "*\\([0-9]*\\).*/\\1/p'); "
	    "p=$($S --root $R ps --format json ka | tr -d '[]' | tr ',' '\\n' | grep -vx "
	    "\"$init\"); "
	    "[ -n \"$p\" ] || exit 3; "
	    "strace -f -qq -o /dev/null -e trace=kill,pidfd_open,pidfd_send_signal "
	    "-e inject=kill:delay_enter=3000000 -e inject=pidfd_open:delay_enter=3000000 "
	    "$S --root $R kill --all ka USR1 & k=$!; "
	    "while [ -e /proc/$p ]; do sleep 0.05; done; "
	    "echo $((p - 1)) > /proc/sys/kernel/ns_last_pid; sleep 30 & h=$!; "
	    "[ \"$h\" = \"$p\" ] || { echo \"pid $p not reused ($h)\"; kill $h; exit 4; }; "
	    "wait $k; sleep 0.2; if kill -0 $h 2>/dev/null; then echo alive; kill $h; "
	    "else echo signalled; fi",
	    slxrun_bin(), b.root, b.dir);
	if (r.status == 4) { /* another process (a kernel thread) took the pid first */
		cmd_result_free(&r);
		bundle_force_delete(&b, "ka");
		bundle_remove(&b);
		cr_skip_test("the container's pid went to another process before the test's");
	}
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "alive"), "the host process that took the container's pid: %s",
		  r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "ka");
	bundle_remove(&b);
}

/* A chain of processes, each forking the next and exiting, outlived
 * `kill --all TERM`: the pids read from the cgroup had exited by the time
 * each was signalled, and the one forked meanwhile was never listed.  strace
 * holds each signal 300 ms so the chain moves on for sure.  The cgroup is
 * now frozen while its pids are read and signalled (as runc does), so no
 * process forks in between; pid 1 (sleep, no handler) ignores TERM. */
Test(security_defaults, kill_all_reaches_a_chain_forking_ahead_of_it)
{
	struct bundle b;
	struct cmd_result r;

	needs_tools("strace");
	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"c(){ c & }; c; exec sleep 1000\"]", NULL, NULL,
		    NULL);
	cmd_run(
	    &r, NULL, 60,
	    "S=%1$s; R=%2$s; $S --root $R run -d -b %3$s ch </dev/null >/dev/null 2>&1 || "
	    "exit 2; "
	    "n() { $S --root $R ps --format json ch | tr ',' '\\n' | grep -c '[0-9]'; }; "
	    "i=0; until [ \"$(n)\" -gt 1 ]; do i=$((i + 1)); [ $i -gt 100 ] && exit 3; "
	    "sleep 0.1; done; "
	    "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null "
	    "-e trace=kill,pidfd_send_signal -e inject=kill:delay_enter=300000 "
	    "-e inject=pidfd_send_signal:delay_enter=300000 "
	    "$S --root $R kill --all ch TERM || exit 4; "
	    "left=0; for i in 1 2 3 4 5; do sleep 0.2; [ \"$(n)\" -gt 1 ] && left=$((left + 1)); "
	    "done; echo \"left $left\"; $S --root $R state ch | grep -q '\"running\"' && "
	    "echo running",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "left 0\nrunning\n", "processes the kill missed: %s %s", r.out,
			 r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "ch");
	bundle_remove(&b);
}

/* `kill --all` freezes the cgroup around its signals, and thaws only what it
 * froze: a paused container stays paused.  (A signal that kills by default
 * kills a frozen process at once; one it handles waits for the thaw.) */
Test(security_defaults, kill_all_leaves_a_paused_container_paused)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"trap 'echo got >/tmp/usr1' USR1; touch /tmp/ready; "
		    "sleep 1000 & wait; wait; exec sleep 1000\"]",
		    NULL, NULL, NULL);
	cmd_run(
	    &r, NULL, 60,
	    "S=%1$s; R=%2$s; $S --root $R run -d -b %3$s pz </dev/null >/dev/null 2>&1 || "
	    "exit 2; i=0; until $S --root $R exec pz test -e /tmp/ready; do i=$((i + 1)); "
	    "[ $i -gt 100 ] && exit 5; sleep 0.1; done; "
	    "$S --root $R pause pz && $S --root $R kill --all pz USR1 || exit 3; sleep 0.3; "
	    "$S --root $R state pz | grep -o '\"paused\"'; "
	    "$S --root $R resume pz || exit 4; i=0; until $S --root $R exec pz test -e /tmp/usr1; "
	    "do i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done; "
	    "$S --root $R exec pz cat /tmp/usr1",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "\"paused\"\ngot\n", "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "pz");
	bundle_remove(&b);
}

/* A cgroup above the container's is frozen (a paused slice or pod): the
 * container is frozen already and kill --all need not freeze it, but it
 * froze and thawed its own, then waited for a "frozen 0" the parent
 * withholds, and failed after 2 s with the signals sent. */
Test(security_defaults, kill_all_under_a_frozen_parent_cgroup_succeeds)
{
	struct bundle b;
	struct cmd_result r;
	char from[300], to[300], parent[512];
	const char *name;

	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"trap 'echo got >/tmp/hup' HUP; touch /tmp/ready; "
		    "sleep 1000 & wait; wait; exec sleep 1000\"]",
		    NULL, NULL, NULL);
	name = strrchr(b.dir, '/') + 1;
	snprintf(from, sizeof(from), "\"cgroupsPath\":\"/slxrun/%s\"", name);
	snprintf(to, sizeof(to), "\"cgroupsPath\":\"/slxrun/%s/c\"", name);
	bundle_config_replace(&b, from, to);
	snprintf(parent, sizeof(parent), "%s/slxrun/%s", cgroup2_root(), name);
	cmd_run(&r, NULL, 60,
		"S=%1$s; R=%2$s; $S --root $R run -d -b %3$s fp </dev/null >/dev/null 2>&1 || "
		"exit 2; i=0; until $S --root $R exec fp test -e /tmp/ready; do i=$((i + 1)); "
		"[ $i -gt 100 ] && exit 5; sleep 0.1; done; echo 1 > %4$s/cgroup.freeze; i=0; "
		"until grep -qx 'frozen 1' %4$s/c/cgroup.events; do i=$((i + 1)); "
		"[ $i -gt 100 ] && exit 6; sleep 0.1; done; "
		"$S --root $R kill --all fp HUP || exit 3; cat %4$s/c/cgroup.freeze; "
		"echo 0 > %4$s/cgroup.freeze; i=0; until $S --root $R exec fp test -e /tmp/hup; "
		"do i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done; "
		"$S --root $R exec fp cat /tmp/hup",
		slxrun_bin(), b.root, b.dir, parent);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "0\ngot\n", "%s", r.err);
	cmd_result_free(&r);
	cmd_run(&r, NULL, 30, "echo 0 > %s/cgroup.freeze; %s --root %s delete -f fp; rmdir %s",
		parent, slxrun_bin(), b.root, parent);
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* A container's pid 1 exits and a host process is given its pid
 * (ns_last_pid): no verb takes that process for the container's.  It is
 * said stopped; kill, exec and pause refuse; delete spares it. */
Test(security_defaults, a_host_process_that_took_pid_1s_pid_is_never_the_containers)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 1\"]", NULL, NULL, NULL);
	cmd_run(
	    &r, NULL, 60,
	    "S=%1$s; R=%2$s; $S --root $R run -d -b %3$s pr </dev/null >/dev/null 2>&1 || exit 2; "
	    "p=$($S --root $R state pr | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p'); "
	    "[ -n \"$p\" ] || exit 3; while [ -e /proc/$p ]; do sleep 0.05; done; "
	    "echo $((p - 1)) > /proc/sys/kernel/ns_last_pid; sleep 30 & h=$!; "
	    "[ \"$h\" = \"$p\" ] || { kill $h; exit 4; }; "
	    "$S --root $R state pr | grep -q '\"stopped\"' && echo said-stopped; "
	    "$S --root $R kill pr KILL 2>/dev/null && echo KILLED; "
	    "$S --root $R exec pr /bin/true 2>/dev/null && echo EXECED; "
	    "$S --root $R pause pr 2>/dev/null && echo PAUSED; "
	    "$S --root $R delete pr && echo deleted; "
	    "kill -0 $h 2>/dev/null && echo alive; kill $h",
	    slxrun_bin(), b.root, b.dir);
	if (r.status == 4) {
		cmd_result_free(&r);
		bundle_force_delete(&b, "pr");
		bundle_remove(&b);
		cr_skip_test("the container's pid went to another process before the test's");
	}
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "said-stopped\ndeleted\nalive\n", "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "pr");
	bundle_remove(&b);
}

/* The same attack from inside, as CVE-2019-5736 was found: the container's
 * pid 1 watches for a process running /proc/self/exe (here brought in by
 * `exec`, whose args name it), holds its /proc/<pid>/exe open, waits for it
 * to exit and writes through the held file (putting back the byte already
 * there, so a failed defence changes nothing).  It takes the one process
 * whose argv[0] is /proc/self/exe: the runtime's own clone carries the
 * marker in its arguments too until it execs, and two matches at once made
 * the watcher's shell fail on a two-line path (a flake under load).  The rootfs carries the
 * libraries slxrun needs so the host binary really runs inside. */
Test(security_defaults, container_cannot_reopen_the_host_binary_it_was_run_with)
{
	struct bundle b;
	struct cmd_result r;
	char setup[1024], result[600];
	FILE *f;

	bundle_make(
	    &b,
	    "[\"/bin/sh\",\"-c\",\"until p=$(for c in $(grep -l slxrun-attack-mark[e]r "
	    "/proc/[0-9]*/cmdline 2>/dev/null); do grep -q ^/proc/self/ex[e] $c 2>/dev/null && "
	    "echo $c && break; done); [ ${#p} -gt 0 ]; do :; done; p=${p%%/cmdline}; "
	    "exec 3< $p/exe && touch /opened; "
	    "while [ -e $p ]; do sleep 0.05; done; "
	    "if dd if=/proc/self/fd/3 of=/proc/self/fd/3 bs=1 count=1 conv=notrunc 2>/dev/null; "
	    "then echo WROTE; else echo REFUSED; fi > /result\"]",
	    NULL, NULL, NULL);
	snprintf(setup, sizeof(setup),
		 "for l in $(/lib64/ld-linux-x86-64.so.2 --list %s | grep -o '/[^ ]*'); do "
		 "mkdir -p .$(dirname $l) && cp -L $l .$l; done",
		 slxrun_bin());
	bundle_private_rootfs(&b, setup);
	bundle_config_replace(&b, "\"readonly\":true", "\"readonly\":false");
	/* The exec'd slxrun blocks on its stdin until the watcher says it holds
	 * the exe open, so a slow machine cannot make the attacker miss it. */
	cmd_run(&r, NULL, 150,
		"%s --root %s run -d -b %s atk >/dev/null 2>&1 </dev/null && "
		"(for i in $(seq 1200); do test -e %s/rootfs/opened && break; sleep 0.05; done) | "
		"%s --root %s exec atk /proc/self/exe update -r - slxrun-attack-marker; "
		"for i in $(seq 300); do test -s %s/rootfs/result && break; sleep 0.1; done; "
		"%s --root %s delete -f atk",
		slxrun_bin(), b.root, b.dir, b.dir, slxrun_bin(), b.root, b.dir, slxrun_bin(),
		b.root);
	cmd_result_free(&r);
	snprintf(result, sizeof(result), "%s/rootfs/result", b.dir);
	f = fopen(result, "r");
	cr_assert(f, "the attacker never saw the host binary run: %s", result);
	cr_assert(fgets(result, sizeof(result), f));
	fclose(f);
	cr_assert_str_eq(result, "REFUSED\n");
	bundle_remove(&b);
}

/* exec must act on the config the container was created with: whoever can
 * write the bundle afterwards must not loosen every later exec. */
Test(security_defaults, exec_uses_the_config_the_container_was_created_with)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(
	    &b, "[\"/bin/sleep\",\"30\"]", NULL, NULL,
	    ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	    "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s cfg1 </dev/null >/dev/null 2>&1",
		slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	bundle_config_replace(&b, "\"SCMP_ACT_ERRNO\"", "\"SCMP_ACT_ALLOW\"");
	bundle_config_replace(&b, "\"bounding\":[\"CAP_AUDIT_WRITE\"",
			      "\"bounding\":[\"CAP_SYS_ADMIN\"");
	bundle_config_replace(&b, "\"effective\":[\"CAP_AUDIT_WRITE\"",
			      "\"effective\":[\"CAP_SYS_ADMIN\"");
	bundle_config_replace(&b, "\"permitted\":[\"CAP_AUDIT_WRITE\"",
			      "\"permitted\":[\"CAP_SYS_ADMIN\"");
	cmd_run(&r, NULL, 30,
		"%s --root %s exec cfg1 sh -c 'mkdir /tmp/d || echo DENIED; grep CapEff "
		"/proc/self/status'",
		slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "DENIED\n"), "the edited bundle's seccomp applied: %s", r.out);
	cr_expect(strstr(r.out, "CapEff:\t0000000020000420\n"),
		  "the edited bundle's capabilities applied: %s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "cfg1");
	bundle_remove(&b);
}

/* With no cgroup v2 in sight a container would get no device filter and no
 * limits: refused, nothing left behind. */
Test(security_defaults, no_cgroup2_hierarchy_is_refused)
{
	struct bundle b;
	struct leftovers before, after;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/true\"]", NULL, NULL, NULL);
	leftovers_take(&b, &before);
	cmd_run(&r, NULL, 30,
		"unshare -m --propagation private sh -c "
		"'mount -t tmpfs slxtest-nocg /sys/fs/cgroup && %s --root %s run -b %s nocg'",
		slxrun_bin(), b.root, b.dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "no cgroup v2 hierarchy"), "%s", r.err);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	leftovers_take(&b, &after);
	cr_assert(leftovers_equal(&before, &after));
	cmd_result_free(&r);
	bundle_remove(&b);
}

/* linux.devices makes a node; linux.resources.devices says whether it may be
 * opened, as with runc.  Every listed node was allowed after the config's
 * own rules (an attacker's review): a config that denied every device but
 * listed /dev/kmsg wrote the host's kernel log.  update's rules replace the
 * filter the same way: what they allow, no more. */
Test(security_defaults, the_device_rules_decide_even_for_the_nodes_linux_devices_makes)
{
	static const char kmsg[] =
	    ",\"devices\":[{\"path\":\"/dev/kmsg\",\"type\":\"c\",\"major\":1,\"minor\":11}]";
	struct bundle b;
	struct cmd_result r;
	char linux_[400];

	snprintf(linux_, sizeof(linux_),
		 "%s,\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}", kmsg);
	bundle_make(&b,
		    "[\"/bin/sh\",\"-c\",\"echo slxrun-device-test > /dev/kmsg && echo WROTE\"]",
		    NULL, NULL, linux_);
	r = run_bundle(&b, "devdeny");
	cr_expect_neq(r.status, 0, "a node denied by the rules was written: %s", r.out);
	cr_expect_eq(strstr(r.out, "WROTE"), NULL);
	cr_expect(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);

	snprintf(linux_, sizeof(linux_),
		 "%s,\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
		 "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":11,\"access\":\"rw\"}]}",
		 kmsg);
	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, linux_);
	cmd_run(
	    &r, NULL, 30,
	    "%1$s --root %2$s run -d -b %3$s upd </dev/null >/dev/null 2>&1 && "
	    "%1$s --root %2$s exec upd sh -c 'echo slxrun-update-test > /dev/kmsg && echo WROTE' "
	    "&& echo '{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}' | "
	    "%1$s --root %2$s update -r - upd && "
	    "%1$s --root %2$s exec upd sh -c 'echo slxrun-update-test > /dev/kmsg && echo WROTE'",
	    slxrun_bin(), b.root, b.dir);
	cr_expect_neq(r.status, 0, "update's deny-all left /dev/kmsg open: %s", r.out);
	cr_expect_str_eq(r.out, "WROTE\n", "allowed at create, denied by update: %s", r.out);
	cr_expect(strstr(r.err, "Operation not permitted"), "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "upd");
	bundle_remove(&b);
}

/* ---- the operator's terminal ------------------------------------------ */

/* `sh -c cmd` with a new pseudo-terminal as its controlling terminal, as
 * from an operator's interactive shell; what reached the terminal. */
static char *on_a_terminal(const char *cmd)
{
	static char out[8192];
	size_t len = 0;
	int master, status;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	cr_assert_geq(pid, 0, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 30000) <= 0)
			break;
		n = read(master, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break; /* EIO: the last holder of the slave is gone */
		len += (size_t)n;
	}
	out[len] = '\0';
	close(master);
	kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	return out;
}

#define TTY_PROBE                                                                                  \
	"if (echo probe >/dev/tty) 2>/dev/null; then echo TTY-OPENED; else echo TTY-REFUSED; fi"

/* A process in the container that can open its controlling terminal can
 * push keystrokes into the operator's shell with TIOCSTI (a Ctrl-C, then a
 * command the shell runs as root).  Every container, exec'd process and
 * sandbox starts a session of its own: /dev/tty is no terminal there. */
Test(security_defaults, no_container_process_shares_the_operators_terminal)
{
	char cmd[2048];
	struct bundle b;
	struct cmd_result r;
	const char *out;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"cat >/dev/null; " TTY_PROBE "\"]", NULL, NULL, NULL);
	bundle_own_rootfs(&b);
	snprintf(cmd, sizeof(cmd), "%s --root %s run -b %s tty1 </dev/null", slxrun_bin(), b.root,
		 b.dir);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "TTY-REFUSED") && !strstr(out, "TTY-OPENED"), "run: %s", out);
	snprintf(cmd, sizeof(cmd), "%s --root %s invoke --data x %s", slxrun_bin(), b.root, b.dir);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "TTY-REFUSED") && !strstr(out, "TTY-OPENED"), "invoke: %s", out);

	bundle_remove(&b);

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30, "%s --root %s run -d -b %s tty2 </dev/null", slxrun_bin(), b.root,
		b.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd), "%s --root %s exec tty2 sh -c '" TTY_PROBE "'", slxrun_bin(),
		 b.root);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "TTY-REFUSED") && !strstr(out, "TTY-OPENED"), "exec: %s", out);
	bundle_force_delete(&b, "tty2");
	bundle_remove(&b);
}

/* `slxrun spec` writes terminal: true, and a foreground `run` of it gave
 * the container no terminal at all (`tty`: not a tty; an interactive shell
 * had no prompt).  As runc, it gets a pty of its own, whose master slxrun
 * carries to its caller: the caller's terminal made raw and given back,
 * the caller's stdin in. */
Test(security_defaults, a_foreground_run_with_a_terminal_gets_a_pty_of_its_own)
{
	char cmd[2048];
	struct bundle b;
	const char *out;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"tty; echo $((6*7)); " TTY_PROBE "\"]",
		    ",\"terminal\":true", NULL, NULL);
	snprintf(cmd, sizeof(cmd),
		 "%s --root %s run -b %s pty1; echo status=$?; stty -a | grep -o -- '-\\?icanon'",
		 slxrun_bin(), b.root, b.dir);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "/dev/pts/0") && strstr(out, "42"), "run: %s", out);
	cr_expect(strstr(out, "TTY-OPENED"), "its own pty is its controlling terminal: %s", out);
	cr_expect(strstr(out, "status=0"), "%s", out);
	cr_expect(strstr(out, "\nicanon") || strstr(out, " icanon"), "our terminal given back: %s",
		  out);
	bundle_remove(&b);

	bundle_make(&b, "[\"/bin/sh\"]", ",\"terminal\":true", NULL, NULL);
	snprintf(
	    cmd, sizeof(cmd),
	    "echo 'echo from-$((1+1))-stdin; exit 3' | %s --root %s run -b %s pty2; echo status=$?",
	    slxrun_bin(), b.root, b.dir);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "from-2-stdin") && strstr(out, "status=3"), "stdin in: %s", out);
	bundle_remove(&b);

	/* and so does a foreground exec -t */
	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	snprintf(cmd, sizeof(cmd),
		 "%1$s --root %2$s run -d -b %3$s pty3 </dev/null >/dev/null 2>&1; "
		 "%1$s --root %2$s exec -t pty3 sh -c 'tty; " TTY_PROBE "'; echo status=$?",
		 slxrun_bin(), b.root, b.dir);
	out = on_a_terminal(cmd);
	cr_expect(strstr(out, "/dev/pts/") && strstr(out, "TTY-OPENED") && strstr(out, "status=0"),
		  "exec -t: %s", out);
	bundle_force_delete(&b, "pty3");
	bundle_remove(&b);
}

/* The terminal carried to a foreground run wrote our stdin into the
 * container's pty in the loop that forwards signals and waits for the
 * container: a container that never reads its terminal, with stdin still
 * coming, left slxrun asleep in that write for good, its container
 * ended and unreaped (a review of the carrying).  What the pty does not
 * take now waits, and the run ends with its container. */
Test(security_defaults, a_container_that_never_reads_its_terminal_does_not_hold_run)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sh\",\"-c\",\"sleep 2; exit 7\"]", ",\"terminal\":true", NULL,
		    NULL);
	cmd_run(&r, NULL, 40, "yes | timeout 20 %s --root %s run -b %s unread; echo status=$?",
		slxrun_bin(), b.root, b.dir);
	cr_expect(strstr(r.out, "status=7"), "run held by its stdin: %s %s", r.out, r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "unread");
	bundle_remove(&b);
}

/* From its clone to its execve a container's first process held the host's
 * cgroupfs directory of its cgroup: a process in its pid namespace with
 * CAP_SYS_PTRACE (one `exec`'d into a created container, a sibling sharing
 * the namespace) walked ../ from /proc/1/fd/N into the host's whole cgroup
 * tree, out of its limits and device filter, to any other container's
 * cgroup.kill.  It holds only what it needs now: stdio, its sync and start
 * sockets. */
Test(security_defaults, a_created_containers_first_process_holds_no_host_cgroup)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	for (int i = 0; i < 3; i++)
		bundle_config_replace(&b, "[\"CAP_AUDIT_WRITE\",",
				      "[\"CAP_SYS_PTRACE\",\"CAP_AUDIT_WRITE\",");
	cmd_run(&r, NULL, 30,
		"%s --root %s --log %s/runtime.log create -b %s cg1 && %s --root %s exec cg1 "
		"sh -c 'for f in /proc/1/fd/*; do [ -e $f/../../cgroup.procs ] && "
		"echo $$ >$f/../../cgroup.procs && echo ESCAPED; done; cat /proc/self/cgroup; "
		"ls /proc/1/fd | wc -l'",
		slxrun_bin(), b.root, b.dir, b.dir, slxrun_bin(), b.root);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_null(strstr(r.out, "ESCAPED"), "left its cgroup through pid 1's fd: %s", r.out);
	cr_expect(strstr(r.out, "0::/slxrun/"), "%s", r.out);
	cmd_result_free(&r);
	bundle_force_delete(&b, "cg1");
	bundle_remove(&b);
}

/* uid or gid 4294967295 is (uid_t)-1, which setresuid and setresgid take
 * as "leave it": the container ran as root, with its capabilities.
 * Refused, naming the field, for run and for exec --user. */
Test(security_defaults, the_id_minus_one_is_refused_not_left_as_root)
{
	struct bundle b;
	struct cmd_result r;

	bundle_make(&b, "[\"/bin/id\"]", NULL, NULL, NULL);
	bundle_config_replace(&b, "\"user\":{\"uid\":0,\"gid\":0}",
			      "\"user\":{\"uid\":4294967295,\"gid\":4294967295}");
	r = run_bundle(&b, "idm1");
	cr_expect_neq(r.status, 0, "ran as: %s", r.out);
	cr_expect(strstr(r.err, "process.user.uid: 4294967295"), "%s", r.err);
	cr_expect_eq(count_lines(r.err), 1, "%s", r.err);
	cmd_result_free(&r);
	bundle_remove(&b);
	bundle_make(&b, "[\"/bin/sleep\",\"30\"]", NULL, NULL, NULL);
	cmd_run(&r, NULL, 30,
		"%s --root %s run -d -b %s idm2 && %s --root %s exec --user 4294967295 idm2 id",
		slxrun_bin(), b.root, b.dir, slxrun_bin(), b.root);
	cr_expect_neq(r.status, 0, "exec ran as: %s", r.out);
	cr_expect(strstr(r.err, "--user: 4294967295 is not an id"), "%s", r.err);
	cmd_result_free(&r);
	bundle_force_delete(&b, "idm2");
	bundle_remove(&b);
}
