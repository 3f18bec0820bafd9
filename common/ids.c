/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ids.c -- one parser for user and group ids (exec's flags, image users). */
#include "ids.h"

enum slx_id_parse slx_parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (!len)
		return SLX_ID_NOT_DECIMAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SLX_ID_NOT_DECIMAL;
		if (v < UINT32_MAX)
			v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return SLX_ID_TOO_LARGE;
	*out = (uint32_t)v;
	return SLX_ID_OK;
}
