/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz.h -- what the libFuzzer harnesses share: the entry point's prototype
 * and FUZZ_CHECK, which turns a broken invariant into a crash libFuzzer keeps. */
#ifndef SLX_FUZZ_H
#define SLX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A failed parse leaves nothing behind and says why in one line. */
static inline void fuzz_check_error(const void *out, const struct slx_err *err)
{
	FUZZ_CHECK(out == NULL);
	FUZZ_CHECK(err->msg[0] != '\0');
	FUZZ_CHECK(memchr(err->msg, '\n', strnlen(err->msg, sizeof(err->msg))) == NULL);
}

/* Read every byte of a decoded string, so one not NUL-terminated inside its
 * allocation is an ASan report, not a silent pass. */
static inline size_t fuzz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

#endif
