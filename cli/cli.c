/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.c -- flag parsing shaped like runc's (urfave/cli): long flags with one
 * or two dashes, values inline or next, one-letter aliases. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_flag *find_flag(const struct cli_flag *flags, size_t n, const char *name,
					size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (len == 1 && flags[i].alias == name[0])
			return &flags[i];
		if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len))
			return &flags[i];
	}
	return NULL;
}

static int set_value(const char *verb, const struct cli_flag *f, const char *val,
		     struct slx_err *err)
{
	char *end;
	long v;

	switch (f->kind) {
	case CLI_BOOL:
		if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
			*(bool *)f->dest = true;
		else if (!strcmp(val, "false") || !strcmp(val, "0"))
			*(bool *)f->dest = false;
		else
			return slx_error(err, 0, "%s: --%s: invalid boolean %s", verb, f->name,
					 val);
		return 0;
	case CLI_STR:
		*(const char **)f->dest = val;
		return 0;
	case CLI_LIST: {
		struct cli_list *l = f->dest;

		if (l->n == CLI_LIST_MAX)
			return slx_error(err, 0, "%s: --%s given too often", verb, f->name);
		l->v[l->n++] = val;
		return 0;
	}
	case CLI_INT:
		errno = 0;
		v = strtol(val, &end, 10);
		if (errno || !*val || *end || v < INT_MIN || v > INT_MAX)
			return slx_error(err, 0, "%s: --%s: invalid number %s", verb, f->name, val);
		*(int *)f->dest = (int)v;
		return 0;
	}
	return -1;
}

/* --help: the verb's flags from its own table, so it cannot go stale. */
static __attribute__((noreturn)) void print_help(const char *verb, const struct cli_flag *flags,
						 size_t n)
{
	static const char *const kinds[] = {[CLI_BOOL] = "",
					    [CLI_STR] = " VALUE",
					    [CLI_INT] = " N",
					    [CLI_LIST] = " VALUE (repeatable)"};

	printf("usage: slxrun %s [flags] ...\nflags:\n", verb);
	for (size_t i = 0; i < n; i++) {
		if (flags[i].alias)
			printf("  -%c, --%s%s\n", flags[i].alias, flags[i].name,
			       kinds[flags[i].kind]);
		else
			printf("      --%s%s\n", flags[i].name, kinds[flags[i].kind]);
	}
	exit(0);
}

int cli_parse(const char *verb, int argc, char **argv, int *idx, const struct cli_flag *flags,
	      size_t n_flags, struct slx_err *err)
{
	while (*idx < argc) {
		const char *a = argv[*idx], *name, *eq;
		const struct cli_flag *f;
		size_t len;

		if (a[0] != '-' || !a[1])
			return 0;
		(*idx)++;
		if (!strcmp(a, "--"))
			return 0;
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		f = find_flag(flags, n_flags, name, len);
		if (!f && ((len == 4 && !strncmp(name, "help", 4)) || (len == 1 && name[0] == 'h')))
			print_help(verb, flags, n_flags);
		if (!f)
			return slx_error(err, 0, "%s: unknown flag %.*s", verb,
					 (int)(name - a + len), a);
		if (eq) {
			if (set_value(verb, f, eq + 1, err) < 0)
				return -1;
		} else if (f->kind == CLI_BOOL) {
			*(bool *)f->dest = true;
		} else {
			if (*idx >= argc)
				return slx_error(err, 0, "%s: flag --%s needs a value", verb,
						 f->name);
			if (set_value(verb, f, argv[(*idx)++], err) < 0)
				return -1;
		}
	}
	return 0;
}

int cli_expect_args(const char *verb, int argc, int idx, int want, const char *usage,
		    struct slx_err *err)
{
	if (argc - idx != want)
		return slx_error(err, 0, "%s: expected %d argument%s, got %d (usage: slxrun %s %s)",
				 verb, want, want == 1 ? "" : "s", argc - idx, verb, usage);
	return 0;
}

int cli_parse_sizes(const char *verb, const char *flag, const char *list, uint64_t *out, size_t max,
		    size_t *n, struct slx_err *err)
{
	const char *p = list;

	*n = 0;
	while (*p) {
		static const char units[] = "KMGT";
		const char *u;
		char *end;
		unsigned long long v;
		unsigned shift = 0;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p || *p == '-')
			return slx_error(err, 0, "%s: %s %s: expected SIZE[,SIZE...]", verb, flag,
					 list);
		if (*end && (u = strchr(units, *end))) {
			shift = 10 * (unsigned)(u - units + 1);
			end++;
		}
		if (!v || v > (UINT64_MAX >> shift) || (*end && *end != ',') || *n == max)
			return slx_error(err, 0, "%s: %s %s: expected SIZE[,SIZE...]", verb, flag,
					 list);
		out[(*n)++] = (uint64_t)v << shift;
		p = *end ? end + 1 : end;
	}
	if (!*n)
		return slx_error(err, 0, "%s: %s: no size", verb, flag);
	return 0;
}

int cli_fail_on(const struct rt_ctx *ctx, const char *id, struct slx_err *err)
{
	if (err->errnum == ENOENT && rt_state_being_created(ctx, id))
		return rt_state_creating_error(id, err);
	return -1;
}
