/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ids.h -- a user or group id as runc and the image's /etc/passwd take it. */
#ifndef SLX_IDS_H
#define SLX_IDS_H

#include <stddef.h>
#include <stdint.h>

enum slx_id_parse {
	SLX_ID_OK = 0,
	SLX_ID_NOT_DECIMAL = -1, /* empty, or anything but the digits 0-9 */
	SLX_ID_TOO_LARGE = -2,	 /* (uint32_t)-1 or more: that is no id */
};

/* s[0..len): decimal digits only (no sign, space or "0x"), below
 * (uint32_t)-1; *out is set only on SLX_ID_OK. */
enum slx_id_parse slx_parse_id(const char *s, size_t len, uint32_t *out);

#endif
