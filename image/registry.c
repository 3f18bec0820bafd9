/* SPDX-License-Identifier: GPL-2.0-or-later */
/* registry.c -- docker:// references: the OCI distribution API over libcurl. */
#include "internal.h"

int img_source_registry(const struct img_ref *ref, struct img_source **out,
			struct slx_err *err)
{
	(void)out;
	return slx_error(err, 0, "%s: docker:// pulls are not built yet (use oci:, oci-archive: "
				 "or docker-archive:)",
			 ref->name);
}
