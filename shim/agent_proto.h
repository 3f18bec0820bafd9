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
	AGENT_READY = 1,  /* agent -> shim: ready for INVOKE; no payload */
	AGENT_INVOKE,	  /* shim -> agent: struct agent_invoke, request id, event */
	AGENT_RESULT,	  /* agent -> shim: struct agent_result, error type, body */
	AGENT_INIT_ERROR, /* agent -> shim: the error JSON; the agent then exits */
	/* agent -> shim: the runtime is gone, and the event in hand, if any,
	 * never reached it (nothing ran); the agent then exits. */
	AGENT_GONE,
	/* agent -> shim, before a RESULT, for an INVOKE with AGENT_INVOKE_TAIL:
	 * the last AGENT_TAIL_MAX bytes the function logged during it. */
	AGENT_LOG,
};

#define AGENT_INVOKE_TAIL 1u /* agent_invoke.flags: send the call's log (AGENT_LOG) */
#define AGENT_TAIL_MAX	  4096u

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
	uint32_t flags; /* AGENT_INVOKE_* */
};

/* RESULT payload: this, then error_type_len bytes, then the body. */
struct agent_result {
	uint32_t outcome;	 /* enum shim_outcome */
	uint32_t error_type_len; /* 0: no error type */
};

/* A complete frame found in received bytes; payload points into them. */
struct agent_frame {
	uint32_t type;
	const char *payload;
	size_t len;
};
/* A frame at the head of buf[0..len): 1 and *f when it is all there, 0 when
 * more bytes are needed, -1 when its header announces more than
 * AGENT_FRAME_MAX (the peer is broken: waiting for more cannot help). */
int agent_frame_parse(const char *buf, size_t len, struct agent_frame *f);

/* An INVOKE payload split into its parts (pointing into the payload). */
struct agent_invoke_msg {
	uint64_t deadline_ms;
	uint32_t flags;
	const char *request_id; /* not NUL-terminated */
	size_t request_id_len;
	const char *event;
	size_t event_len;
};
/* A RESULT payload split likewise; error_type is NULL when there is none. */
struct agent_result_msg {
	uint32_t outcome; /* enum shim_outcome, not range-checked here */
	const char *error_type;
	size_t error_type_len;
	const char *body;
	size_t body_len;
};
/* 0, or -1 when the fixed part or a length runs past the payload. */
int agent_invoke_parse(const char *payload, size_t len, struct agent_invoke_msg *m);
int agent_result_parse(const char *payload, size_t len, struct agent_result_msg *m);

/* A frame being received on a non-blocking fd. */
struct agent_rx {
	char *buf;
	size_t len, cap;
	bool eof;
};

/* Read what is available (until EAGAIN or EOF, bounded by one frame).
 * 0 on progress or nothing, -1 on a read error or an oversized frame.
 * Socket I/O (agent_io.c); the other agent_rx functions are pure
 * (agent_proto.c). */
int agent_rx_fill(struct agent_rx *rx, int fd, struct slx_err *err);
/* A complete frame at the head of rx: 1 and type/payload/len (pointing into
 * rx, valid until agent_rx_consume), else 0. */
int agent_rx_frame(const struct agent_rx *rx, uint32_t *type, const char **payload, size_t *len);
/* Drop the frame at the head of rx (nothing unless a whole one is there). */
void agent_rx_consume(struct agent_rx *rx);
void agent_rx_release(struct agent_rx *rx);

/* Write one frame of up to three parts, waiting for the peer (poll) at
 * most timeout_ms per stall (-1: no bound).  MSG_NOSIGNAL: a dead peer is
 * EPIPE, not a signal.  (agent_io.c) */
int agent_send(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
	       const void *c, size_t clen, int timeout_ms, struct slx_err *err);

#endif
