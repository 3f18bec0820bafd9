/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.c -- the well-known socket path of the shim serving a bundle. */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

int shim_registry_socket_path(const char *root, const char *bundle_abs,
			      char *buf, size_t len, struct slx_err *err)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)bundle_abs; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	if (snprintf(buf, len, "%s/shims/%016" PRIx64 ".sock", root, h) >= (int)len)
		return slx_error(err, ENAMETOOLONG, "shim socket path under %s", root);
	return 0;
}
