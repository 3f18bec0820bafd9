/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.h -- how `invoke` finds a shim serving a bundle: every `shim
 * serve` also listens on <root>/shims/<key>.sock, key derived from the
 * bundle's absolute path, and keeps its bearer token (if any) beside. */
#ifndef SLX_SHIM_REGISTRY_H
#define SLX_SHIM_REGISTRY_H

#include <stddef.h>

#include "../common/err.h"

/* "<root>/shims/<16 hex digits of FNV-1a 64 of bundle_abs>.sock" */
int shim_registry_socket_path(const char *root, const char *bundle_abs, char *buf, size_t len,
			      struct slx_err *err);

/* Link path (a function's registry socket) to target, the name of the
 * node's socket in the same directory; a stale socket or link nobody
 * answers on is replaced, a live one is an error. */
int shim_registry_link(const char *path, const char *target, struct slx_err *err);

/* The token of the shim serving bundle_abs, readable by root only:
 * "<root>/shims/<key>.d/token" (through a node's link: its target's key).
 * 0 and a NUL-terminated *token (free it), 1 when that shim asks for none,
 * -1 on error. */
int shim_registry_read_token(const char *root, const char *bundle_abs, char **token,
			     struct slx_err *err);

/* A bearer token from an operator's file: one line of 16 to 512 visible
 * characters, in a file nobody but its owner may read. */
int shim_token_load(const char *path, char **token, struct slx_err *err);

#endif
