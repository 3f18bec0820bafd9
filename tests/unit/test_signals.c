/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_signals.c -- what a container's process inherits of signals from
 * whoever ran slxrun: rt_signals_default, called before each execve. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/internal.h"

/* A mask line of /proc/self/status ("SigIgn:", "SigBlk:") as a number. */
static unsigned long long status_mask(const char *key)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 16);
	fclose(f);
	return v;
}

/* Ignored and blocked as a nohup'd caller (HUP), the hooks' runner (PIPE)
 * and CI's environment (signal 32, glibc's own, which its sigaction
 * refuses to touch) left them: nothing of it reaches the execve.  (Each
 * criterion test runs in a process of its own.) */
Test(rt_signals, none_ignored_or_blocked_after_the_reset)
{
	unsigned long ign[4] = {(unsigned long)SIG_IGN};
	sigset_t usr1;

	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(syscall(SYS_rt_sigaction, 32, ign, NULL, _NSIG / 8), 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	cr_assert_eq(status_mask("SigIgn:") & 0x80001001ull, 0x80001001ull);
	cr_assert_eq(status_mask("SigBlk:") & (1ull << (SIGUSR1 - 1)), 1ull << (SIGUSR1 - 1));
	rt_signals_default();
	cr_expect_eq(status_mask("SigIgn:"), 0, "still ignored: %llx", status_mask("SigIgn:"));
	cr_expect_eq(status_mask("SigBlk:"), 0, "still blocked: %llx", status_mask("SigBlk:"));
}

/* A caught handler is left for execve to reset: the created container's
 * TERM handler must not turn back into "ignored as pid 1" before it. */
static void caught(int sig)
{
	(void)sig;
}

Test(rt_signals, a_caught_signal_stays_caught)
{
	struct sigaction sa = {.sa_handler = caught}, now;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGTERM, &sa, NULL), 0);
	rt_signals_default();
	cr_assert_eq(sigaction(SIGTERM, NULL, &now), 0);
	cr_expect(now.sa_handler == caught);
}
