/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.h -- how `invoke` finds a shim serving a bundle: every `shim
 * serve` also listens on <root>/shims/<key>.sock, key derived from the
 * bundle's absolute path. */
#ifndef SLX_SHIM_REGISTRY_H
#define SLX_SHIM_REGISTRY_H

#include <stddef.h>

#include "../common/err.h"

/* "<root>/shims/<16 hex digits of FNV-1a 64 of bundle_abs>.sock" */
int shim_registry_socket_path(const char *root, const char *bundle_abs,
			      char *buf, size_t len, struct slx_err *err);

#endif
