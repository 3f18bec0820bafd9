/* SPDX-License-Identifier: GPL-2.0-or-later */
/* share_exec.c -- what the agent of a shim serve --share-memory sandbox
 * execs in place of each function process: `share-exec PATH ARGV0 ARGS...`
 * makes its memory mergeable (PR_SET_MEMORY_MERGE, kept across execve) and
 * execs PATH.  A fresh image of its own, so that nothing of the agent's
 * memory -- a clone of the shim's, holding its token, every function's
 * config and the events in flight -- is ever mergeable: the agent's mm
 * never is, and the mm the flag is set on holds only this program and the
 * function's own arguments and environment.  Static, without libc (a few
 * KB, one page fault or two), built at build time and embedded in slxrun
 * (build/gen/share_exec_bin.c), handed to the agent as a sealed memfd. */
#include <stddef.h>
#include <sys/syscall.h>

#define PR_SET_MEMORY_MERGE 67

#if defined(__x86_64__)
/* Three arguments; the fourth and fifth are 0 (prctl checks they are). */
static long sys(long n, long a, long b, long c)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}
__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall share_exec_main\n\thlt\n");
#elif defined(__aarch64__)
static long sys(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = 0;
	register long x4 __asm__("x4") = 0;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
}
__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl share_exec_main\n");
#else
#error "share_exec: no system call convention for this architecture"
#endif

static size_t len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* "slxrun: share-exec: WHAT: errno N\n" on stderr, then exit 127. */
static __attribute__((noreturn)) void fail(const char *what, long e)
{
	char num[24];
	int i = sizeof(num);

	num[--i] = '\n';
	do
		num[--i] = (char)('0' + e % 10);
	while ((e /= 10) && i > 0);
	sys(SYS_write, 2, (long)"slxrun: share-exec: ", 20);
	sys(SYS_write, 2, (long)what, (long)len(what));
	sys(SYS_write, 2, (long)": errno ", 8);
	sys(SYS_write, 2, (long)(num + i), (long)(sizeof(num) - (size_t)i));
	for (;;)
		sys(SYS_exit_group, 127, 0, 0);
}

__attribute__((used, noreturn)) void share_exec_main(long *sp);
void share_exec_main(long *sp)
{
	long argc = sp[0], r;
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;

	if (argc < 3)
		fail("usage: share-exec PATH ARGV0 [ARG...]", 22);
	if ((r = sys(SYS_prctl, PR_SET_MEMORY_MERGE, 1, 0)) < 0)
		fail("PR_SET_MEMORY_MERGE", -r);
	r = sys(SYS_execve, (long)argv[1], (long)(argv + 2), (long)envp);
	fail(argv[1], -r);
}
