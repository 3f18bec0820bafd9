/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lazylib.h -- shared libraries loaded on first use, not at exec:
 * libmicrohttpd and libcurl (with their TLS stacks ~3 ms of start-up on every
 * `slxrun` run, which only the shim's HTTP paths need), libarchive and
 * libcrypto (only image pulls, and a call asking for its log, need them). */
#ifndef SLX_LAZYLIB_H
#define SLX_LAZYLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* One library: its soname, the names slxrun calls and a slot for each. */
struct slx_lazy_lib {
	const char *soname;
	const char *const *names;
	void **slots;
	size_t n;
	bool loaded;
};

/* dlopen the library and resolve every name; once. */
int slx_lazy_load(struct slx_lazy_lib *lib, struct slx_err *err);
/* The same for a stub, which cannot report: it aborts with one line. */
void slx_lazy_require(struct slx_lazy_lib *lib);

/* Load libmicrohttpd and resolve every function slxrun calls.  Must run
 * before spawning a sandbox whose agent serves HTTP: after pivot_root the
 * library's file is out of reach. */
int slx_lazy_load_mhd(struct slx_err *err);
int slx_lazy_load_curl(struct slx_err *err);
/* libarchive and libcrypto, for the image store (image/). */
int slx_lazy_load_archive(struct slx_err *err);
int slx_lazy_load_crypto(struct slx_err *err);

#endif
