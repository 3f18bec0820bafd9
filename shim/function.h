/* SPDX-License-Identifier: GPL-2.0-or-later */
/* function.h -- a function is an OCI bundle plus how it is called (its
 * org.slxrun.function.* annotations). */
#ifndef SLX_SHIM_FUNCTION_H
#define SLX_SHIM_FUNCTION_H

#include <stdint.h>

#include "../common/err.h"
#include "../oci/oci.h"
#include "floor.h"
#include "shim.h"

enum shim_mode {
	SHIM_MODE_EXEC,	       /* per invocation fork+exec process.args, event on stdin */
	SHIM_MODE_RUNTIME_API, /* long-lived bootstrap polling the Lambda Runtime API */
};

struct shim_function {
	char *bundle; /* absolute */
	struct oci_config *cfg;
	enum shim_mode mode;
	uint32_t timeout_s;	 /* org.slxrun.function.timeout, default 30 */
	char *name;		 /* basename of the bundle: the function's name in ARNs and ids */
	struct shim_floor floor; /* cfg is the sandbox's config, the floor applied */
	/* Its sandboxes' parent cgroup, relative to the unified root (the
	 * node's, with a memory budget), borrowed; NULL: slxrun. */
	const char *cgroup_parent;
	int pin; /* an image's bundle held against prune (shim_function_bundle), or -1 */
	struct agent_log_rate *log_rate; /* its sandboxes' log, shared (agent_log.h) */
};

/* Load <bundle>/config.json and the annotations (each overridden by the
 * operator's settings when given), and apply the sandbox floor (floor.h)
 * unless floor->unsafe, its overlay skeleton made under root; errors name
 * the annotation, flag or field: "org.slxrun.function.mode: unknown mode
 * \"foo\" (exec or runtime-api)". */
int shim_function_load(const char *bundle, const char *root, const struct shim_floor_opts *floor,
		       const struct shim_settings *settings, struct shim_function **out,
		       struct slx_err *err);
void shim_function_free(struct shim_function *fn);
/* Its memory size in MB, as Lambda states it: the bundle's memory limit,
 * else Lambda's default 128. */
long long shim_function_memory_mb(const struct shim_function *fn);

/* The bundle a command line's BUNDLE names: an image reference (oci:,
 * oci-archive:, docker-archive:, docker://) becomes the bundle the image
 * store under root makes of it, pulled when missing, and *pin a descriptor
 * that keeps prune from it while open (hand it to the function's pin); a
 * directory stays as it is, *pin -1.  *bundle is heap. */
int shim_function_bundle(const char *root, const char *arg, char **bundle, int *pin,
			 struct slx_err *err);

#endif
