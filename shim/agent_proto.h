/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent_proto.h -- the framing between the shim and its in-sandbox agent:
 * length-prefixed frames over one SOCK_STREAM socketpair (events and answers
 * reach 6 MiB, more than a datagram holds). */
#ifndef SLX_SHIM_AGENT_PROTO_H
#define SLX_SHIM_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* Lambda's synchronous payload limit, for events and answers. */
#define AGENT_PAYLOAD_MAX (6u * 1024 * 1024)
/* A frame carries a payload plus its small fixed part and strings. */
#define AGENT_FRAME_MAX (AGENT_PAYLOAD_MAX + 64 * 1024)

enum agent_frame_type {
	AGENT_READY = 1, /* agent -> shim: ready for INVOKE; no payload */
	AGENT_INVOKE, /* shim -> agent: struct agent_invoke, request id, event */
	AGENT_RESULT, /* agent -> shim: struct agent_result, error type, body */
	AGENT_INIT_ERROR, /* agent -> shim: the error JSON; the agent then exits */
};

/* Every frame: this header (host byte order, both ends are one host), then
 * `len` bytes of payload. */
struct agent_frame_hdr {
	uint32_t type;
	uint32_t len;
};

/* INVOKE payload: this, then request_id_len bytes of request id, then the
 * event (the rest of the payload). */
struct agent_invoke {
	uint64_t deadline_ms; /* epoch milliseconds */
	uint32_t request_id_len;
	uint32_t reserved;
};

/* RESULT payload: this, then error_type_len bytes, then the body. */
struct agent_result {
	uint32_t outcome; /* enum shim_outcome */
	uint32_t error_type_len; /* 0: no error type */
};

/* A frame being received on a non-blocking fd. */
struct agent_rx {
	char *buf;
	size_t len, cap;
	bool eof;
};

/* Read what is available (until EAGAIN or EOF, bounded by one frame).
 * 0 on progress or nothing, -1 on a read error or an oversized frame. */
int agent_rx_fill(struct agent_rx *rx, int fd, struct slx_err *err);
/* A complete frame at the head of rx: 1 and type/payload/len (pointing into
 * rx, valid until agent_rx_consume), else 0. */
int agent_rx_frame(const struct agent_rx *rx, uint32_t *type,
		   const char **payload, size_t *len);
/* Drop the frame at the head of rx. */
void agent_rx_consume(struct agent_rx *rx);
void agent_rx_release(struct agent_rx *rx);

/* Write one frame of up to three parts, waiting for the peer (poll) at
 * most timeout_ms per stall (-1: no bound).  MSG_NOSIGNAL: a dead peer is
 * EPIPE, not a signal. */
int agent_send(int fd, uint32_t type, const void *a, size_t alen,
	       const void *b, size_t blen, const void *c, size_t clen,
	       int timeout_ms, struct slx_err *err);

#endif
