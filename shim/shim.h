/* SPDX-License-Identifier: GPL-2.0-or-later */
/* shim.h -- the shim's verbs as main() dispatches them. */
#ifndef SLX_SHIM_H
#define SLX_SHIM_H

#include "../common/err.h"
#include "../runtime/runtime.h"

/* `slxrun invoke [--data EVENT] [--timings] BUNDLE` */
int cmd_invoke(const struct rt_ctx *ctx, int argc, char **argv,
	       struct slx_err *err);
/* `slxrun shim serve|replay ...` */
int cmd_shim(const struct rt_ctx *ctx, int argc, char **argv,
	     struct slx_err *err);

#endif
