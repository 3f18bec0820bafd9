/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_agent_proto.c -- shim/agent_proto.c: frames found in received bytes,
 * INVOKE and RESULT payloads split, and every length that runs past its
 * buffer refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "shim/agent_proto.h"

/* One frame into buf: header, then the parts; returns its size. */
static size_t put_frame(char *buf, uint32_t type, const void *a, size_t alen, const void *b,
			size_t blen)
{
	struct agent_frame_hdr h = {.type = type, .len = (uint32_t)(alen + blen)};

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a, alen);
	if (blen)
		memcpy(buf + sizeof(h) + alen, b, blen);
	return sizeof(h) + alen + blen;
}

Test(agent_proto, a_frame_is_found_only_once_all_of_it_arrived)
{
	char buf[64];
	struct agent_frame f;
	size_t n = put_frame(buf, AGENT_READY, "abc", 3, NULL, 0);

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(agent_frame_parse(buf, i, &f), 0, "at %zu bytes", i);
	cr_assert_eq(agent_frame_parse(buf, n, &f), 1);
	cr_assert_eq(f.type, AGENT_READY);
	cr_assert_eq(f.len, 3);
	cr_assert_eq(f.payload, buf + sizeof(struct agent_frame_hdr));
}

Test(agent_proto, a_header_announcing_more_than_a_frame_is_refused_at_once)
{
	struct agent_frame_hdr h = {.type = AGENT_RESULT, .len = AGENT_FRAME_MAX + 1};
	struct agent_frame f;

	cr_assert_eq(agent_frame_parse((const char *)&h, sizeof(h), &f), -1);
	h.len = UINT32_MAX;
	cr_assert_eq(agent_frame_parse((const char *)&h, sizeof(h), &f), -1);
}

Test(agent_proto, consume_drops_one_whole_frame_and_never_a_partial_one)
{
	char buf[128];
	size_t n = put_frame(buf, AGENT_READY, "xy", 2, NULL, 0);
	size_t m = put_frame(buf + n, AGENT_INIT_ERROR, "{}", 2, NULL, 0);
	struct agent_rx rx = {.buf = buf, .len = n + m - 1, .cap = sizeof(buf)};
	const char *p;
	uint32_t type;
	size_t len;

	agent_rx_consume(&rx);
	cr_assert_eq(rx.len, m - 1);
	cr_assert_eq(agent_rx_frame(&rx, &type, &p, &len), 0);
	agent_rx_consume(&rx);
	cr_assert_eq(rx.len, m - 1, "a partial frame stays");
}

Test(agent_proto, invoke_splits_request_id_and_event)
{
	struct agent_invoke h = {.deadline_ms = 42, .request_id_len = 3};
	char buf[64];
	struct agent_invoke_msg m;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "rid{\"a\":1}", 10);
	cr_assert_eq(agent_invoke_parse(buf, sizeof(h) + 10, &m), 0);
	cr_assert_eq(m.deadline_ms, 42);
	cr_assert_eq(m.request_id_len, 3);
	cr_assert_eq(memcmp(m.request_id, "rid", 3), 0);
	cr_assert_eq(m.event_len, 7);
	cr_assert_eq(memcmp(m.event, "{\"a\":1}", 7), 0);
}

Test(agent_proto, invoke_with_a_request_id_past_the_payload_is_refused)
{
	struct agent_invoke h = {.request_id_len = 11};
	char buf[64] = {0};
	struct agent_invoke_msg m;

	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(agent_invoke_parse(buf, sizeof(h) + 10, &m), -1);
	cr_assert_eq(agent_invoke_parse(buf, sizeof(h) - 1, &m), -1);
	h.request_id_len = UINT32_MAX;
	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(agent_invoke_parse(buf, sizeof(buf), &m), -1);
}

Test(agent_proto, result_splits_error_type_and_body_and_refuses_overruns)
{
	struct agent_result h = {.outcome = 1, .error_type_len = 9};
	char buf[64];
	struct agent_result_msg m;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "Unhandled{}", 11);
	cr_assert_eq(agent_result_parse(buf, sizeof(h) + 11, &m), 0);
	cr_assert_eq(m.outcome, 1);
	cr_assert_eq(memcmp(m.error_type, "Unhandled", 9), 0);
	cr_assert_eq(m.body_len, 2);
	cr_assert_eq(agent_result_parse(buf, sizeof(h) + 8, &m), -1);
	h.error_type_len = 0;
	memcpy(buf, &h, sizeof(h));
	cr_assert_eq(agent_result_parse(buf, sizeof(h), &m), 0);
	cr_assert_null(m.error_type);
	cr_assert_eq(m.body_len, 0);
}
