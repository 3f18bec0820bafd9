/* SPDX-License-Identifier: GPL-2.0-or-later */
/* burst.c -- the benchmark's burst launcher: start N copies of a command at once, wait for all.
 *
 * Usage: burst N COMMAND ARG...   (every "%i" in an argument becomes the copy's index, so each
 * container gets its own id). posix_spawn (vfork) keeps the launcher's own cost per copy far below
 * a container start; hyperfine times the whole call. Exits 1 if any copy failed, naming the first.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* arg with every "%i" replaced by index; a fresh string. */
static char *expand(const char *arg, long index)
{
	char num[24], *out, *o;
	size_t n = strlen(arg) + 1;

	snprintf(num, sizeof(num), "%ld", index);
	for (const char *p = arg; (p = strstr(p, "%i")); p += 2)
		n += strlen(num);
	out = o = malloc(n);
	if (!out)
		return NULL;
	while (*arg) {
		if (arg[0] == '%' && arg[1] == 'i') {
			o = stpcpy(o, num);
			arg += 2;
		} else {
			*o++ = *arg++;
		}
	}
	*o = '\0';
	return out;
}

static pid_t spawn_one(char **tmpl, int argc, long index)
{
	char *argv[argc + 1];
	pid_t pid = -1;
	int i;

	for (i = 0; i < argc; i++)
		if (!(argv[i] = expand(tmpl[i], index)))
			break;
	argv[i] = NULL;
	if (i == argc && posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		pid = -1;
	while (i--)
		free(argv[i]);
	return pid;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[1], NULL, 10) : 0, started = 0, failed = 0;
	int status;
	pid_t pid;

	if (n < 1) {
		fprintf(stderr, "usage: burst N COMMAND ARG...\n");
		return 2;
	}
	for (; started < n; started++)
		if (spawn_one(argv + 2, argc - 2, started) < 0) {
			perror("burst: posix_spawn");
			failed++;
			break;
		}
	while ((pid = wait(&status)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (!failed)
				fprintf(stderr, "burst: pid %d exited with status %#x\n", (int)pid,
					status);
			failed++;
		}
	return failed ? 1 : 0;
}
