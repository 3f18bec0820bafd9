/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_err.c -- the error type: one line whatever the message quotes. */
#include <criterion/criterion.h>
#include <errno.h>

#include "../../common/err.h"

Test(slx_err, control_characters_in_quoted_text_are_escaped)
{
	struct slx_err err = {0};

	cr_assert_eq(slx_error(&err, ENOENT, "mount %s on %s", "a\nb", "/x\x1b[2J\t"), -1);
	cr_assert_str_eq(err.msg, "mount a\\nb on /x\\u001b[2J\\t: No such file or directory");
	slx_error_prefix(&err, "mounts[%d] \r", 2);
	cr_assert_str_eq(
	    err.msg, "mounts[2] \\r: mount a\\nb on /x\\u001b[2J\\t: No such file or directory");
}

Test(slx_err, plain_text_is_left_alone)
{
	struct slx_err err = {0};

	slx_error(&err, 0, "process.args[%d]: expected a string, got \"%s\"", 1, "x\\y");
	cr_assert_str_eq(err.msg, "process.args[1]: expected a string, got \"x\\y\"");
}
