/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one id parser: what exec's --user/-g and an image's User take. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../common/ids.h"

static enum slx_id_parse parse(const char *s, uint32_t *v)
{
	return slx_parse_id(s, strlen(s), v);
}

Test(ids, decimal_ids_up_to_the_last_valid_one)
{
	uint32_t v = 7;

	cr_assert_eq(parse("0", &v), SLX_ID_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse("1000", &v), SLX_ID_OK);
	cr_assert_eq(v, 1000);
	cr_assert_eq(parse("0001000", &v), SLX_ID_OK);
	cr_assert_eq(v, 1000);
	cr_assert_eq(parse("4294967294", &v), SLX_ID_OK);
	cr_assert_eq(v, 4294967294u);
}

Test(ids, anything_but_digits_is_not_decimal_and_leaves_the_id)
{
	const char *bad[] = {"", "1000abc", "+5", "-1", " 5", "5 ", "0x64", "1e3", "１"};
	uint32_t v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(parse(bad[i], &v), SLX_ID_NOT_DECIMAL, "\"%s\"", bad[i]);
	cr_assert_eq(v, 7);
}

Test(ids, minus_one_and_past_it_is_too_large_without_wrapping)
{
	const char *big[] = {"4294967295", "4294967296", "18446744073709551617",
			     "99999999999999999999999999999999"};
	uint32_t v = 7;

	for (size_t i = 0; i < sizeof(big) / sizeof(*big); i++)
		cr_expect_eq(parse(big[i], &v), SLX_ID_TOO_LARGE, "\"%s\"", big[i]);
	cr_assert_eq(v, 7);
}

Test(ids, the_length_bounds_the_text)
{
	uint32_t v = 0;

	cr_assert_eq(slx_parse_id("1000:1000", 4, &v), SLX_ID_OK);
	cr_assert_eq(v, 1000);
	cr_assert_eq(slx_parse_id("12x", 2, &v), SLX_ID_OK);
	cr_assert_eq(v, 12);
}
