/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_spec.c -- `slxrun spec [--bundle DIR] [--rootless]`: write the default
 * config.json into the bundle, refusing to overwrite one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "cli.h"

int cmd_spec(const struct rt_ctx *ctx, int argc, char **argv, struct slx_err *err)
{
	const char *bundle = ".";
	bool rootless = false;
	cleanup_free char *json = NULL;
	cleanup_close int fd = -1;
	char path[PATH_MAX];
	size_t len;
	int idx = 0;
	const struct cli_flag flags[] = {
	    {"bundle", 'b', CLI_STR, &bundle},
	    {"rootless", 0, CLI_BOOL, &rootless},
	};

	(void)ctx;
	if (cli_parse("spec", argc, argv, &idx, CLI_FLAGS(flags), err) < 0 ||
	    cli_expect_args("spec", argc, idx, 0, "[--bundle DIR] [--rootless]", err) < 0)
		return -1;
	if (oci_spec_default_json(rootless, getuid(), getgid(), &json, &len, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return slx_error(err, errno, "spec: %s", path);
	if (write(fd, json, len) != (ssize_t)len)
		return slx_error(err, errno, "spec: write %s", path);
	return 0;
}
