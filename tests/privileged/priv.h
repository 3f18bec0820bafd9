/* SPDX-License-Identifier: GPL-2.0-or-later */
/* priv.h -- helpers of the privileged suite: oci_strv literals and a check
 * run in a forked child, so a syscall that changes the process (caps,
 * seccomp, unshare) never reaches criterion's runner. */
#ifndef SLX_TEST_PRIV_H
#define SLX_TEST_PRIV_H

#include <stdint.h>

#define PRIV_STRV(...)                                                                             \
	((struct oci_strv){.v = (char *[]){__VA_ARGS__, NULL},                                     \
			   .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})
#define PRIV_BIT(c) (UINT64_C(1) << (c))

/* Run fn in a forked child and return its raw wait status; the child never
 * returns into criterion. */
int priv_in_child(int (*fn)(void));
/* The same, asserting the child exited 0; a non-zero exit is the number of
 * the step that failed. */
void priv_assert_child_ok(int (*fn)(void));

#endif
