/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-echo.c -- the benchmark's minimal exec-mode function: "hello " + stdin to stdout.
 * Built static with musl (or without any libc) so a warm invocation measures the platform's
 * fork+exec, not glibc's start-up. */
#include <unistd.h>

static int put(const char *p, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, (size_t)n);

		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

int main(void)
{
	static char buf[65536];
	ssize_t n;

	if (put("hello ", 6) < 0)
		return 1;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (put(buf, n) < 0)
			return 1;
	return n < 0 ? 1 : 0;
}
