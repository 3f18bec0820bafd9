/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_agent_frame.c -- libFuzzer harness for the shim<->agent frame codec
 * (shim/agent_proto.c): the input is a received byte stream; every frame in
 * it is found, decoded as INVOKE or RESULT, and consumed as both ends do. */
#include "shim/agent_proto.h"
#include "tests/fuzz/fuzz.h"

/* Every part of a decoded payload lies inside it and they add up. */
static void check_payload(const struct agent_frame *f)
{
	const char *end = f->payload + f->len;
	struct agent_invoke_msg im;
	struct agent_result_msg rm;
	volatile char sink = 0;

	if (agent_invoke_parse(f->payload, f->len, &im) == 0) {
		FUZZ_CHECK(im.request_id >= f->payload && im.event + im.event_len == end);
		FUZZ_CHECK(sizeof(struct agent_invoke) + im.request_id_len + im.event_len ==
			   f->len);
		for (size_t i = 0; i < im.request_id_len; i++)
			sink ^= im.request_id[i];
	}
	if (agent_result_parse(f->payload, f->len, &rm) == 0) {
		FUZZ_CHECK(rm.body + rm.body_len == end);
		FUZZ_CHECK(!rm.error_type == !rm.error_type_len);
		for (size_t i = 0; i < rm.error_type_len; i++)
			sink ^= rm.error_type[i];
	}
	for (size_t i = 0; i < f->len; i++)
		sink ^= f->payload[i];
	(void)sink;
}

/* The same stream through struct agent_rx, as the receiving ends walk it:
 * the frames seen must be the ones agent_frame_parse found. */
static void walk_rx(const uint8_t *data, size_t size, size_t frames)
{
	struct agent_rx rx = {.buf = malloc(size ? size : 1), .len = size, .cap = size};
	const char *payload;
	uint32_t type;
	size_t len, seen = 0;

	FUZZ_CHECK(rx.buf != NULL);
	if (size)
		memcpy(rx.buf, data, size);
	while (agent_rx_frame(&rx, &type, &payload, &len)) {
		size_t before = rx.len;

		agent_rx_consume(&rx);
		FUZZ_CHECK(rx.len == before - sizeof(struct agent_frame_hdr) - len);
		seen++;
	}
	FUZZ_CHECK(seen == frames);
	agent_rx_consume(&rx); /* a partial frame stays where it is */
	agent_rx_release(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t off = 0, frames = 0;
	struct agent_frame f;
	int r;

	while ((r = agent_frame_parse(p + off, size - off, &f)) == 1) {
		FUZZ_CHECK(f.payload == p + off + sizeof(struct agent_frame_hdr));
		FUZZ_CHECK(f.len <= AGENT_FRAME_MAX && f.len <= size - off);
		check_payload(&f);
		off += sizeof(struct agent_frame_hdr) + f.len;
		frames++;
	}
	FUZZ_CHECK(r == 0 || r == -1);
	walk_rx(data, size, frames);
	return 0;
}
