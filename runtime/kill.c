/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kill.c -- signals to a container: names to numbers, its init through a
 * pidfd pinned against pid reuse, or every process in its cgroup. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>

#include "../common/cleanup.h"
#include "internal.h"

static const struct {
	const char *name;
	int sig;
} signal_table[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"IOT", SIGIOT},	     {"BUS", SIGBUS},
    {"FPE", SIGFPE},	   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},	   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int rt_signal_parse(const char *s)
{
	char *end;
	long n;

	if (!s || !*s)
		return -1;
	n = strtol(s, &end, 10);
	if (!*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		if (!strcasecmp(s, signal_table[i].name))
			return signal_table[i].sig;
	/* RTMIN+n and RTMAX-n, n within the real-time range only: a sign or
	 * an overflow made RTMIN+-25 SIGKILL (an attacker's review), past a
	 * caller's filter that allows "RTMIN+" names. */
	if ((!strncasecmp(s, "RTMIN+", 6) || !strncasecmp(s, "RTMAX-", 6)) && s[6] >= '0' &&
	    s[6] <= '9') {
		errno = 0;
		n = strtol(s + 6, &end, 10);
		if (*end || errno || n > SIGRTMAX - SIGRTMIN)
			return -1;
		return toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
	}
	if (!strcasecmp(s, "RTMIN"))
		return SIGRTMIN;
	if (!strcasecmp(s, "RTMAX"))
		return SIGRTMAX;
	return -1;
}

static int signal_pid(const struct oci_state *st, int sig, struct slx_err *err)
{
	cleanup_close int pidfd = pidfd_open(st->pid, 0);

	/* The pidfd pins the process: checking the start time after opening
	 * it makes a recycled pid impossible to hit. */
	if (pidfd < 0 || rt_pid_start_time(st->pid) != st->pid_start_time)
		return slx_error(err, 0, "container not running");
	if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
		return slx_error(err, errno == ESRCH ? 0 : errno,
				 errno == ESRCH ? "process already finished" : "kill %d", st->pid);
	return 0;
}

static int signal_all(const struct oci_state *st, int sig, struct slx_err *err)
{
	struct cg_handle cg = {.dirfd = -1};
	int r;

	if (!st->cgroup_path || !*st->cgroup_path)
		return signal_pid(st, sig, err);
	if (cg_open(st->cgroup_path, &cg, err) < 0)
		return -1;
	r = cg_kill_all(&cg, sig, err);
	cg_handle_release(&cg);
	return r;
}

int rt_signal_container(const struct oci_state *st, int sig, bool all, struct slx_err *err)
{
	return all ? signal_all(st, sig, err) : signal_pid(st, sig, err);
}

int rt_kill(const struct rt_ctx *ctx, const char *id, int sig, bool all, struct slx_err *err)
{
	struct oci_state *st = NULL;
	cleanup_close int lock = -1;
	int r;

	if (rt_state_lock(ctx, id, &lock, err) < 0 || rt_state(ctx, id, &st, err) < 0)
		return -1;
	/* --all reaches what outlived pid 1, which only a shared pid namespace
	 * allows; else the cgroup is empty or another's. */
	if (st->status == OCI_STATUS_STOPPED && (!all || st->own_pidns))
		r = slx_error(err, 0, "container not running");
	else
		r = rt_signal_container(st, sig, all, err);
	oci_state_free(st);
	return r;
}
