/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_proto.c -- the shim<->agent frame codec: finding a frame in received
 * bytes and splitting INVOKE and RESULT payloads into their parts.  Pure (no
 * I/O), so both ends share one set of bounds checks and the fuzzer calls it. */
#include "agent_proto.h"

#include <stdlib.h>
#include <string.h>

int agent_frame_parse(const char *buf, size_t len, struct agent_frame *f)
{
	struct agent_frame_hdr h;

	if (len < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (h.len > AGENT_FRAME_MAX)
		return -1;
	if (len - sizeof(h) < h.len)
		return 0;
	*f = (struct agent_frame){.type = h.type, .payload = buf + sizeof(h), .len = h.len};
	return 1;
}

int agent_invoke_parse(const char *p, size_t len, struct agent_invoke_msg *m)
{
	struct agent_invoke h;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.request_id_len > len - sizeof(h))
		return -1;
	*m = (struct agent_invoke_msg){
	    .deadline_ms = h.deadline_ms,
	    .flags = h.flags,
	    .request_id = p + sizeof(h),
	    .request_id_len = h.request_id_len,
	    .event = p + sizeof(h) + h.request_id_len,
	    .event_len = len - sizeof(h) - h.request_id_len,
	};
	return 0;
}

int agent_result_parse(const char *p, size_t len, struct agent_result_msg *m)
{
	struct agent_result h;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.error_type_len > len - sizeof(h))
		return -1;
	*m = (struct agent_result_msg){
	    .outcome = h.outcome,
	    .error_type = h.error_type_len ? p + sizeof(h) : NULL,
	    .error_type_len = h.error_type_len,
	    .body = p + sizeof(h) + h.error_type_len,
	    .body_len = len - sizeof(h) - h.error_type_len,
	};
	return 0;
}

int agent_rx_frame(const struct agent_rx *rx, uint32_t *type, const char **payload, size_t *len)
{
	struct agent_frame f;

	if (agent_frame_parse(rx->buf, rx->len, &f) != 1)
		return 0;
	*type = f.type;
	*payload = f.payload;
	*len = f.len;
	return 1;
}

void agent_rx_consume(struct agent_rx *rx)
{
	struct agent_frame f;
	size_t n;

	if (agent_frame_parse(rx->buf, rx->len, &f) != 1)
		return;
	n = sizeof(struct agent_frame_hdr) + f.len;
	memmove(rx->buf, rx->buf + n, rx->len - n);
	rx->len -= n;
}

void agent_rx_release(struct agent_rx *rx)
{
	free(rx->buf);
	*rx = (struct agent_rx){0};
}
