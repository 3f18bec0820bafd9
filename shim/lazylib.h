/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lazylib.h -- libmicrohttpd and libcurl loaded on first use, not at exec:
 * they and their TLS stacks cost ~3 ms of start-up on every `slxrun` run,
 * which only the shim's HTTP paths need. */
#ifndef SLX_SHIM_LAZYLIB_H
#define SLX_SHIM_LAZYLIB_H

#include "../common/err.h"

/* Load libmicrohttpd and resolve every function slxrun calls.  Must run
 * before spawning a sandbox whose agent serves HTTP: after pivot_root the
 * library's file is out of reach. */
int shim_lazy_load_mhd(struct slx_err *err);
int shim_lazy_load_curl(struct slx_err *err);

#endif
