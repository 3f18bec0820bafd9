/* SPDX-License-Identifier: GPL-2.0-or-later */
/* init.c -- the container's first process between clone3 and execve: enter
 * namespaces, build the rootfs, pivot, become the configured user with the
 * configured capabilities and seccomp filter, then exec (or run the entry). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fsutil.h"
#include "internal.h"

struct init_ctx {
	const struct rt_spawn_req *req;
	const struct rt_ns_plan *plan;
	struct rt_confine confine; /* a copy: the child opens its LSM attribute */
	int sync_fd;
	char *state_json;
	char exec_path[PATH_MAX];
	char home[PATH_MAX + 8]; /* "HOME=..." when the env has none */
	struct slx_err err;
};

#define INIT_CHECK(ic, stage, call)                                                                \
	do {                                                                                       \
		if ((call) < 0)                                                                    \
			rt_sync_fail((ic)->sync_fd, (stage), &(ic)->err);                          \
	} while (0)

static int wait_go(struct init_ctx *ic)
{
	struct rt_sync_hdr hdr;
	char *payload = NULL;

	if (rt_sync_recv(ic->sync_fd, &hdr, &payload, &ic->err) < 0)
		_exit(1); /* the parent is gone or gave up: nobody to tell */
	if (hdr.type != RT_SYNC_GO) {
		free(payload);
		_exit(1);
	}
	if (payload) {
		free(ic->state_json);
		ic->state_json = payload;
	}
	return 0;
}

static int setup_identity(struct init_ctx *ic)
{
	const struct oci_config *cfg = ic->req->cfg;

	if (rt_ns_enter(cfg, ic->plan, &ic->err) < 0)
		return -1;
	/* In a new user namespace, or one joined at birth, we are still the
	 * host's uid: become the namespace's root (as runc's nsexec) so files we
	 * create are owned by a mapped id. */
	if ((ic->plan->new_ns[OCI_NS_USER] || ic->plan->born_in_user) &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return slx_error(&ic->err, errno, "become root in the user namespace");
	if (ic->req->new_keyring && rt_process_new_keyring(&ic->err) < 0)
		return -1;
	if (cfg->hostname && *cfg->hostname &&
	    sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return slx_error(&ic->err, errno, "hostname: sethostname");
	if (cfg->domainname && *cfg->domainname &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return slx_error(&ic->err, errno, "domainname: setdomainname");
	if (cfg->linux_.sysctl.n && rt_sysctl_apply(&cfg->linux_.sysctl, &ic->err) < 0)
		return -1;
	if (ic->plan->new_ns[OCI_NS_NETWORK] && rt_netlink_lo_up(&ic->err) < 0)
		return -1;
	return 0;
}

static int setup_process(struct init_ctx *ic)
{
	const struct rt_spawn_req *req = ic->req;
	const struct oci_process *p = &req->cfg->process;

	if (rt_process_session(req->console_fd, p, !req->entry, &ic->err) < 0)
		return -1;
	if (!req->entry && rt_exec_lookup(p, ic->exec_path, sizeof(ic->exec_path), &ic->err) < 0)
		return -1;
	if (rt_process_chdir(p, !req->entry, &ic->err) < 0 || rt_process_rlimits(p, &ic->err) < 0)
		return -1;
	if (rt_process_personality(req->cfg, &ic->err) < 0 ||
	    (req->same_layout && rt_process_same_layout(&ic->err) < 0))
		return -1;
	if (!req->entry)
		rt_process_home(p, ic->home, sizeof(ic->home));
	return rt_process_confine(p, &ic->confine, &ic->err);
}

static void end_on_signal(int sig)
{
	_exit(128 + sig);
}

/* A created container ends on TERM, INT or HUP, as runc's does (its Go
 * init exits on them): as pid 1 of its pid namespace with no handler it
 * ignored them, and `kill` of a created task did nothing.  Set before
 * READY, after which `create` returns and a kill may come; execve puts
 * the handlers back to the default. */
static void end_on_signals(void)
{
	struct sigaction sa = {.sa_handler = end_on_signal};

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

/* Block until `start` connects; from then on errors go to that caller. */
static void wait_start(struct init_ctx *ic)
{
	int conn;

	do
		conn = accept4(ic->req->start_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		_exit(1);
	close(ic->req->start_listen_fd);
	close(ic->sync_fd);
	ic->sync_fd = conn;
}

static __attribute__((noreturn)) void finish_and_exec(struct init_ctx *ic)
{
	const struct rt_spawn_req *req = ic->req;
	const struct oci_process *p = &req->cfg->process;
	int keep[1 + req->n_keep_fds];
	size_t nkeep = 0;

	if (req->cfg->hooks.start_container.n &&
	    rt_hooks_run("startContainer", &req->cfg->hooks.start_container,
			 ic->state_json ? ic->state_json : "{}", &ic->err) < 0)
		rt_sync_fail(ic->sync_fd, RT_STAGE_HOOK_START_CONTAINER, &ic->err);
	(void)rt_sync_send(ic->sync_fd, RT_SYNC_EXEC, 0, 0, NULL, 0);
	keep[nkeep++] = ic->sync_fd;
	for (size_t i = 0; i < req->n_keep_fds; i++)
		keep[nkeep++] = req->keep_fds[i];
	rt_close_fds_preserving(req->preserve_fds, keep, nkeep);
	rt_signals_default();
	if (rt_process_seccomp_last(p, &ic->confine, &ic->err) < 0)
		rt_sync_fail(ic->sync_fd, RT_STAGE_EXEC, &ic->err);
	if (req->entry) {
		/* A sandbox dies with the shim that owns it, frozen or not (the
		 * v2 freezer lets SIGKILL through).  Set here, after the user
		 * switch, which would clear it; a shim gone before this point
		 * shows as EOF on the agent's socket. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(ic->sync_fd);
		_exit(req->entry(req->entry_arg));
	}
	execve(ic->exec_path, p->args.v, rt_process_env(p, ic->home));
	slx_error(&ic->err, errno, "exec %s", ic->exec_path);
	rt_sync_fail(ic->sync_fd, RT_STAGE_EXEC, &ic->err);
}

/* The clone copied every fd the parent had: its cgroup's directory on the
 * host's cgroupfs, the --log file, the device filter's program.  A process
 * in our pid namespace with CAP_SYS_PTRACE (an `exec` into a created
 * container, a sibling sharing the namespace) could open them through
 * /proc/1/fd until our execve, and from the cgroup's walk the host's whole
 * cgroup tree.  Keep only what the child uses. */
static void close_inherited(const struct rt_spawn_req *req, const struct rt_ns_plan *plan,
			    int sync_fd)
{
	size_t n_trees = req->idmap_trees && req->mount_plan ? req->mount_plan->n_ops : 0;
	int keep[3 + OCI_NS_COUNT + req->n_keep_fds + n_trees + req->n_covers];
	size_t n = 0;

	keep[n++] = sync_fd;
	keep[n++] = req->start_listen_fd;
	keep[n++] = req->console_fd;
	for (size_t i = 0; i < OCI_NS_COUNT; i++)
		keep[n++] = plan->join_fd[i];
	for (size_t i = 0; i < req->n_keep_fds; i++)
		keep[n++] = req->keep_fds[i];
	for (size_t i = 0; i < n_trees; i++)
		keep[n++] = req->idmap_trees[i];
	for (size_t i = 0; i < req->n_covers; i++)
		keep[n++] = req->cover_trees[i];
	rt_close_fds_preserving(req->preserve_fds, keep, n);
}

void rt_init_main(const struct rt_spawn_req *req, const struct rt_ns_plan *plan,
		  const struct rt_confine *confine, int sync_fd)
{
	struct init_ctx ic = {.req = req, .plan = plan, .confine = *confine, .sync_fd = sync_fd};
	uint64_t t[3];
	struct rt_rootfs_opts ro = {.rootfs = req->rootfs,
				    .no_pivot = req->no_pivot,
				    .plan = req->mount_plan,
				    .trees = req->idmap_trees,
				    .cover_paths = req->cover_paths,
				    .cover_trees = req->cover_trees,
				    .n_covers = req->n_covers,
				    .host_mntns = !plan->new_ns[OCI_NS_MOUNT] &&
						  plan->join_fd[OCI_NS_MOUNT] < 0};

	/* Nobody may open our /proc/<pid>/exe (the host's slxrun) while we
	 * run host code inside the container's reach (CVE-2019-5736);
	 * execve resets this for the container's own binary. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close_inherited(req, plan, sync_fd);
	signal(SIGPIPE, SIG_DFL);
	wait_go(&ic);
	t[0] = slx_now_ns();
	INIT_CHECK(&ic, RT_STAGE_NAMESPACES, rt_lsm_open(&ic.confine.lsm, &ic.err));
	INIT_CHECK(&ic, RT_STAGE_NAMESPACES, setup_identity(&ic));
	t[1] = slx_now_ns();
	INIT_CHECK(&ic, RT_STAGE_ROOTFS, rt_rootfs_prepare(req->cfg, &ro, &ic.err));
	if (req->cfg->hooks.prestart.n || req->cfg->hooks.create_runtime.n) {
		(void)rt_sync_send(sync_fd, RT_SYNC_HOOKS, 0, 0, NULL, 0);
		wait_go(&ic);
	}
	if (req->cfg->hooks.create_container.n)
		INIT_CHECK(&ic, RT_STAGE_HOOK_CREATE_CONTAINER,
			   rt_hooks_run("createContainer", &req->cfg->hooks.create_container,
					ic.state_json ? ic.state_json : "{}", &ic.err));
	INIT_CHECK(&ic, RT_STAGE_PIVOT, rt_rootfs_finish(req->cfg, &ro, &ic.err));
	t[2] = slx_now_ns();
	INIT_CHECK(&ic, RT_STAGE_PROCESS, setup_process(&ic));
	/* READY carries how long namespaces and rootfs took, for --timings. */
	t[2] -= t[1];
	t[1] -= t[0];
	if (!req->auto_start)
		end_on_signals();
	(void)rt_sync_send(sync_fd, RT_SYNC_READY, 0, 0, (const char *)&t[1], 2 * sizeof(uint64_t));
	if (!req->auto_start)
		wait_start(&ic);
	finish_and_exec(&ic);
}
